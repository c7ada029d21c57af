r"""The model protocol of every chapter, the layer-by-layer container, and its models.

A *model* is anything ``course_rnn.training.train`` can train:

- ``params`` and ``grads``: flat dicts named ``"<part>.<name>"`` (``"rnn.W_xh"``,
  ``"affine.b"``) whose arrays are the parts' own, so an optimiser that updates ``params``
  in place trains the model;
- ``forward(inputs, targets) -> loss`` (a float) and ``backward()``, which fills ``grads``;
- ``predict(inputs)``: the outputs, without a loss;
- ``stateful`` and ``reset_state()``: whether the state is carried from one call to the
  next (truncated BPTT); a no-op for a model without a carried state.

``Model`` is that protocol as a base class: it gathers the ``params``/``grads`` of its
parts. ``Sequential`` applies layers in order and ends in a loss (softmax cross-entropy
or the mean squared error):

.. math::

    \hat y = f_L(\cdots f_1(x)), \qquad
    L = -\frac{1}{|\mathcal{V}|}\sum_{i \in \mathcal{V}} \log \mathrm{softmax}(\hat y_i)_{y_i}
    \quad \text{or} \quad L = \frac{1}{|y|} \sum_i (\hat y_i - y_i)^2

The language model of chapter 4 (``LanguageModel``, ``RNNLanguageModel``: Embedding ->
Time layer -> Time affine -> cross-entropy), the regressor of chapter 7 (``RNNRegressor``:
Time RNN -> last state -> affine -> MSE) and the forecasting stacks of chapter 11
(``course_rnn.forecast.rows.build_model``) are ``Sequential``; the models of chapter 2
(``course_rnn.sequence_models``) and chapter 9 (``course_rnn.seq2seq.Seq2Seq``) subclass
``Model``. Taught in chapter 4 (the language model) and used from chapter 2 on.
"""

from __future__ import annotations

import numpy as np

from course_rnn.layers import Embedding, MSELoss, TimeAffine, TimeSoftmaxCrossEntropy, softmax
from course_rnn.rnn import TimeRNN, init_rnn_params


class Weights:
    r"""A part of a model that is only arrays: ``params`` and zero ``grads`` of the same shapes.

    .. math::

        \theta = \{W_{xh}, W_{hh}, b_h, \dots\}, \qquad
        \nabla\theta \text{ written in place by } \mathtt{store}

    For models written with the functional layers (``rnn_forward``/``rnn_backward``),
    whose gradients come back as values: ``store(grads)`` copies them into ``grads``.
    Torch: the ``nn.Parameter`` of a module. Taught in chapter 2.
    """

    def __init__(self, arrays: dict):
        self.params: dict[str, np.ndarray] = dict(arrays)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def store(self, grads: dict) -> None:
        """Copy ``grads`` (name -> array of the parameter's shape) into ``self.grads``."""
        for name, g in grads.items():
            self.grads[name][...] = g


class Model:
    r"""The protocol every model of the course follows, as a base class.

    .. math::

        L = \mathrm{forward}(x, y), \qquad \mathrm{backward}() \Rightarrow
        \mathrm{grads} = \nabla_\theta L, \qquad \theta = \mathrm{params}

    ``parts`` maps a name to an object with ``params`` and ``grads`` dicts (a layer, or
    ``Weights``); ``params``/``grads`` are the flat views ``"<part>.<name>"`` of them, in
    the order the parts were added. A subclass adds its parts (``add``) and writes
    ``forward(inputs, targets) -> loss``, ``backward()`` and ``predict(...)``.
    ``stateful``/``reset_state()`` reach the parts that carry a state.
    Torch: ``nn.Module`` (``named_parameters()``), with the loss inside. Taught in chapter 2
    and chapter 4.
    """

    def __init__(self):
        self.parts: dict[str, object] = {}

    def add(self, name: str, part):
        """Register ``part`` (``params``/``grads`` dicts) under ``name``; returns it."""
        if name in self.parts:
            raise ValueError(f"the model already has a part named {name!r}")
        self.parts[name] = part
        return part

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {f"{n}.{k}": v for n, part in self.parts.items() for k, v in part.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{n}.{k}": v for n, part in self.parts.items() for k, v in part.grads.items()}

    def load_params(self, values: dict) -> None:
        """Copy ``values`` (name -> array, e.g. a saved ``{k: v.copy() ...}``) into ``params``."""
        params = self.params
        for name, value in values.items():
            if name not in params:
                raise KeyError(f"the model has no parameter {name!r} (it has {sorted(params)})")
            if np.shape(value) != params[name].shape:
                raise ValueError(f"{name} has shape {np.shape(value)}, the model's "
                                 f"{params[name].shape}")
            params[name][...] = value

    @property
    def stateful(self) -> bool:
        """Whether a part carries its state from one call to the next."""
        return any(getattr(part, "stateful", False) for part in self.parts.values())

    @stateful.setter
    def stateful(self, value: bool) -> None:
        for part in self.parts.values():
            if hasattr(part, "stateful"):
                part.stateful = value

    def reset_state(self) -> None:
        """Forget the carried state (a no-op for a model without one)."""
        for part in self.parts.values():
            if hasattr(part, "reset_state"):
                part.reset_state()

    def forward(self, inputs, targets) -> float:
        raise NotImplementedError

    def backward(self) -> None:
        raise NotImplementedError

    def predict(self, inputs):
        raise NotImplementedError


class Sequential(Model):
    r"""Layers applied in order, then a loss layer.

    .. math::

        \hat y = f_L(\cdots f_1(x)), \qquad L = \ell(\hat y, y), \qquad
        \delta_{l-1} = f_l'^{\,\top} \delta_l \ \text{(backward, from } \delta_L =
        \partial \ell / \partial \hat y)

    Parameters
    ----------
    layers : dict of name -> layer, or list of layers
        Each with ``params``, ``grads``, ``forward(x)`` and ``backward(dy) -> dx``; a list
        names them ``"0"``, ``"1"``, ... (as ``nn.Sequential``).
    loss : TimeSoftmaxCrossEntropy or MSELoss
        ``forward(y_hat, y) -> loss``, ``backward(dout) -> dy_hat``.
    predict_batch : int or None
        ``predict`` runs on chunks of this many rows (None: all at once).

    ``layers`` is the list of layers; ``trainable()`` those with parameters.
    Torch: ``nn.Sequential`` followed by ``F.cross_entropy`` or ``nn.MSELoss``.
    Taught in chapter 4 (and chapter 11 for the forecasting stacks).
    """

    def __init__(self, layers, loss, predict_batch: int | None = None):
        super().__init__()
        named = layers.items() if isinstance(layers, dict) else enumerate(layers)
        for name, layer in named:
            self.add(str(name), layer)
        self.loss_layer = loss
        self.predict_batch = predict_batch

    @property
    def layers(self) -> list:
        return list(self.parts.values())

    def trainable(self) -> list:
        """The layers that have parameters, in order."""
        return [layer for layer in self.layers if layer.params]

    def _apply(self, x):
        for layer in self.parts.values():
            x = layer.forward(x)
        return x

    def predict(self, inputs, batch: int | None = None) -> np.ndarray:
        """The last layer's output; carries the state if ``stateful``. With ``batch`` (or
        ``predict_batch``), on chunks of that many rows, concatenated."""
        batch = batch or self.predict_batch
        if batch is None:
            return self._apply(inputs)
        return np.concatenate([self._apply(inputs[i : i + batch])
                               for i in range(0, len(inputs), batch)])

    def forward(self, inputs, targets) -> float:
        """The loss of the whole batch (never chunked)."""
        return self.loss_layer.forward(self._apply(inputs), targets)

    def backward(self, dout: float = 1.0) -> None:
        """Backward pass through the last ``forward``; the gradients land in ``grads``."""
        d = self.loss_layer.backward(dout)
        for layer in reversed(self.parts.values()):
            d = layer.backward(d)


class LastStep:
    r"""Keep the last time step: ``(N, T, H) -> (N, H)``; backward puts the gradient there.

    .. math::

        y = h_T, \qquad \frac{\partial L}{\partial h_t} = [t = T]\,\frac{\partial L}{\partial y}

    No parameters. Torch: ``hs[:, -1]``. Taught in chapter 7.
    """

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._shape = None

    def forward(self, hs) -> np.ndarray:
        self._shape = np.shape(hs)
        return hs[:, -1]  # (N, H)

    def backward(self, dy) -> np.ndarray:
        dhs = np.zeros(self._shape, dtype=dy.dtype)  # (N, T, H): only h_T feeds the output
        dhs[:, -1] = dy
        return dhs


class LanguageModel(Sequential):
    r"""Embedding -> recurrent Time layer -> Time affine -> softmax cross-entropy.

    .. math::

        h_{1:T} = \mathrm{TimeLayer}(W_\text{embed}[w_{1:T}]), \quad
        s_t = h_t W_\text{out} + b_\text{out}, \quad
        L = -\frac{1}{NT}\sum_{n,t} \log \mathrm{softmax}(s_{n,t})_{w_{n,t+1}}

    A ``Sequential`` with parts ``"embed"``, ``recurrent_name`` (``"rnn"``) and
    ``"affine"``: ``params`` ``"embed.W"``, ``"rnn.W_xh"``, ..., ``"affine.b"``. Any
    recurrent Time layer fits (TimeRNN, TimeLSTM, TimeGRU, TimeLNRNN); it is also
    ``recurrent``.

    ``forward(xs (N, T) ids, ts (N, T) ids) -> loss``; ``backward()`` fills ``grads``;
    ``predict(xs) -> scores (N, T, V)``; ``generate(...)`` samples text.
    Torch: ``nn.Embedding`` -> ``nn.RNN(batch_first=True)`` -> ``nn.Linear`` ->
    ``F.cross_entropy``. Taught in chapter 4.
    """

    def __init__(self, embed: Embedding, recurrent, affine: TimeAffine,
                 ignore_index: int = -100, recurrent_name: str = "rnn"):
        super().__init__({"embed": embed, recurrent_name: recurrent, "affine": affine},
                         TimeSoftmaxCrossEntropy(ignore_index))
        self.recurrent = recurrent

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


class RNNRegressor(Sequential):
    r"""Seq-to-vec regressor: a Time RNN, its last state, an affine map, the squared error.

    .. math::

        h_t = f(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \qquad \hat y = h_T W_{hy} + b_y,
        \qquad L = \frac{1}{N k} \sum_{n} \|\hat y_n - y_n\|^2

    Parameters
    ----------
    params : dict
        ``{"W_xh" (D, H), "W_hh" (H, H), "b_h" (H,)}``, e.g. Keras-style from
        ``course_rnn.forecast.models.init_recurrent("rnn", ...)``.
    W_hy : ndarray, shape (H, k)
    b_y : ndarray, shape (k,)
    activation : {"tanh", "relu"}

    Notes
    -----
    ``forward(xs (N, T, D), ys (N, k)) -> loss``, ``predict(xs) -> (N, k)``; parts
    ``"rnn"``, ``"last"``, ``"head"`` (``"rnn.W_hh"``, ``"head.W"``, ...); stateless,
    for ``train(..., bptt="full")``. Torch:
    ``course_rnn.torch_ref.models.TorchSequenceRegressor``. Taught in chapter 7.
    """

    def __init__(self, params: dict, W_hy, b_y, activation: str = "tanh"):
        rnn = TimeRNN(params["W_xh"], params["W_hh"], params["b_h"], nonlinearity=activation)
        head = TimeAffine(np.asarray(W_hy, dtype=float), np.asarray(b_y, dtype=float))
        super().__init__({"rnn": rnn, "last": LastStep(), "head": head}, MSELoss())
