r"""The numpy language model of chapter 4: Embedding, a Time RNN, Time affine, softmax loss.

.. math::

    e_t = W_\text{embed}[w_t], \quad h_t = \tanh(e_t W_{xh} + h_{t-1} W_{hh} + b_h), \quad
    s_t = h_t W_\text{out} + b_\text{out}, \quad
    L = -\frac{1}{NT} \sum_{n,t} \log \mathrm{softmax}(s_{n,t})_{w_{n,t+1}}

Shapes: ids (N, T) -> embeddings (N, T, D) -> hidden states (N, T, H) -> scores (N, T, V).
``LanguageModel`` takes any recurrent Time layer (TimeRNN, TimeLSTM, TimeGRU, TimeLNRNN:
anything with ``forward(xs) -> hs``, ``backward(dhs) -> dxs``, ``params``, ``grads``,
``stateful`` and ``reset_state()``); ``RNNLanguageModel`` builds one with a TimeRNN.
Taught in chapter 4.
"""

from __future__ import annotations

import numpy as np

from course_rnn.layers import Embedding, TimeAffine, TimeSoftmaxCrossEntropy, softmax
from course_rnn.rnn import TimeRNN, init_rnn_params


class LanguageModel:
    r"""Embedding -> recurrent Time layer -> Time affine -> softmax cross-entropy.

    .. math::

        h_{1:T} = \mathrm{TimeLayer}(W_\text{embed}[w_{1:T}]), \quad
        s_t = h_t W_\text{out} + b_\text{out}, \quad
        L = -\frac{1}{NT}\sum_{n,t} \log \mathrm{softmax}(s_{n,t})_{w_{n,t+1}}

    ``params`` and ``grads`` are flat dicts named ``"<layer>.<param>"``
    (``"embed.W"``, ``"rnn.W_xh"``, ..., ``"affine.b"``) whose arrays are the layers' own,
    so an optimiser that updates ``params`` in place trains the layers.

    ``forward(xs (N, T) ids, ts (N, T) ids) -> loss``; ``backward()`` fills ``grads``;
    ``predict(xs) -> scores (N, T, V)``; ``generate(...)`` samples text.
    Torch: ``nn.Embedding`` -> ``nn.RNN(batch_first=True)`` -> ``nn.Linear`` ->
    ``F.cross_entropy``. Taught in chapter 4.
    """

    def __init__(self, embed: Embedding, recurrent, affine: TimeAffine,
                 ignore_index: int = -100, recurrent_name: str = "rnn"):
        self.layers = {"embed": embed, recurrent_name: recurrent, "affine": affine}
        self.recurrent = recurrent
        self.loss_layer = TimeSoftmaxCrossEntropy(ignore_index)

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {f"{n}.{k}": v for n, layer in self.layers.items() for k, v in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{n}.{k}": v for n, layer in self.layers.items() for k, v in layer.grads.items()}

    @property
    def stateful(self) -> bool:
        """Whether the recurrent layer carries its state from one call to the next."""
        return self.recurrent.stateful

    @stateful.setter
    def stateful(self, value: bool) -> None:
        self.recurrent.stateful = value

    def reset_state(self) -> None:
        self.recurrent.reset_state()

    def predict(self, xs) -> np.ndarray:
        """Scores (N, T, V) for ids ``xs`` (N, T); carries the state if ``stateful``."""
        for layer in self.layers.values():
            xs = layer.forward(xs)
        return xs

    def forward(self, xs, ts) -> float:
        """Mean cross-entropy of next-token prediction; ``xs``, ``ts`` (N, T) ids."""
        return self.loss_layer.forward(self.predict(xs), ts)

    def backward(self, dout: float = 1.0) -> None:
        """Backward pass through the last ``forward``; the gradients land in ``grads``."""
        d = self.loss_layer.backward(dout)  # (N, T, V)
        for layer in reversed(self.layers.values()):
            d = layer.backward(d)

    def generate(self, start_ids, length: int, rng: np.random.Generator,
                 temperature: float = 1.0) -> list[int]:
        r"""Sample ``length`` ids after the prompt ``start_ids``, one step at a time.

        .. math::

            p(w_{t+1} = v) = \mathrm{softmax}(s_t / \tau)_v

        ``temperature`` :math:`\tau`: below 1 sharpens, above 1 flattens, 0 takes the
        most likely id (greedy). Resets the state before and after. Taught in chapter 4.
        """
        stateful = self.stateful
        self.stateful = True
        self.reset_state()
        try:
            scores = self.predict(np.asarray(start_ids, dtype=np.int64)[None])[0, -1]  # (V,)
            out = []
            for _ in range(length):
                if temperature == 0:
                    nxt = int(np.argmax(scores))
                else:
                    p = softmax(scores.astype(np.float64) / temperature)
                    nxt = int(rng.choice(len(p), p=p))
                out.append(nxt)
                scores = self.predict(np.array([[nxt]]))[0, -1]
        finally:
            self.reset_state()
            self.stateful = stateful
        return out


class RNNLanguageModel(LanguageModel):
    r"""The language model of chapter 4 with a vanilla Time RNN, randomly initialised.

    .. math::

        h_t = \tanh(W_\text{embed}[w_t]\, W_{xh} + h_{t-1} W_{hh} + b_h), \qquad
        s_t = h_t W_\text{out} + b_\text{out}

    Parameters
    ----------
    V, D, H : int
        Vocabulary size, embedding size, hidden size.
    rng : numpy.random.Generator or int
        Initialisation as torch's: embedding :math:`\mathcal{N}(0, 1)`, every other
        entry :math:`U(-1/\sqrt{H}, 1/\sqrt{H})`.
    dtype : float32 or float64
    stateful : bool
        Carry the hidden state across calls (truncated BPTT); True by default.
    ignore_index : int
        Target id that the loss skips (padding).

    Torch: ``nn.Embedding(V, D)``, ``nn.RNN(D, H, batch_first=True)``,
    ``nn.Linear(H, V)`` (``weight = W_out.T``). Taught in chapter 4.
    """

    def __init__(self, V: int, D: int, H: int, rng, dtype=np.float64, stateful: bool = True,
                 ignore_index: int = -100):
        rng = np.random.default_rng(rng)
        k = 1.0 / np.sqrt(H)
        embed = Embedding(rng.standard_normal((V, D)).astype(dtype))  # (V, D)
        rnn = TimeRNN(**init_rnn_params(D, H, rng, dtype), stateful=stateful)
        affine = TimeAffine(rng.uniform(-k, k, (H, V)).astype(dtype),  # (H, V)
                            rng.uniform(-k, k, V).astype(dtype))
        super().__init__(embed, rnn, affine, ignore_index)
