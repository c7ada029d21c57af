r"""The deep language model of Deep Learning from Scratch 2, section 6.5: stacked cells,
dropout and weight tying.

``DeepLanguageModel`` is the book's ``BetterRnnlm`` for any cell of ``course_rnn.cells``
and any number of layers :math:`L`:

.. math::

    e_t = \mathrm{drop}(E[w_t]), \qquad
    h^{(l)}_t = \mathrm{drop}\bigl(\mathrm{cell}^{(l)}(h^{(l-1)}_t, h^{(l)}_{t-1})\bigr),
    \quad h^{(0)}_t = e_t, \qquad
    s_t = h^{(L)}_t E^\top + b, \qquad
    L = -\frac{1}{NT}\sum_{n,t} \log \mathrm{softmax}(s_{n,t})_{w_{n,t+1}}

with inverted dropout (``course_rnn.dropout``) after the embedding and after every
recurrent layer, and the output layer's weight tied to the embedding matrix
:math:`E \in \mathbb{R}^{V \times D}` (Press & Wolf 2017; Inan et al. 2017), which needs
:math:`D = H`. Tying makes :math:`E` one parameter with one gradient, the sum of what the
two uses give:

.. math::

    \frac{\partial L}{\partial E} = \underbrace{\mathrm{scatter}_{w}
    \Bigl(\frac{\partial L}{\partial e}\Bigr)}_{\text{embedding}} +
    \underbrace{\Bigl(\sum_{n,t} h_{n,t}^{(L)\top}
    \frac{\partial L}{\partial s_{n,t}}\Bigr)^{\!\top}}_{\text{output layer}}

so an optimiser sees ``"embed.W"`` once and updates it once. The parts are built here:
``TimeCell`` (a stateful Time layer of any registered cell, the plumbing of
``course_rnn._time_layer.TimeLayer`` around the cell's ``forward``/``backward``) and
``TiedAffine`` (the output layer that reads the embedding's matrix).

Taught in chapter 5 (the LSTM language model made better: two layers, dropout, tied
weights) and chapter 6 (the same model with each cell). Torch:
``course_rnn.torch_ref.models.TorchLanguageModel(..., tie_weights=True)``, built with the
same weights by ``course_rnn.torch_ref.convert.deep_lm_to_torch``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from course_rnn._time_layer import TimeLayer
from course_rnn.cells import check_param_names, get_cell
from course_rnn.dropout import Dropout
from course_rnn.layers import (
    Embedding,
    TimeAffine,
    TimeSoftmaxCrossEntropy,
    time_affine_backward,
    time_affine_forward,
)
from course_rnn.models import LanguageModel, Sequential


class TimeCell(TimeLayer):
    r"""A Time layer of any cell registered in ``course_rnn.cells``, carrying its state.

    .. math::

        (h_1, \dots, h_T), s_T = \mathrm{cell}(x_1, \dots, x_T; s_0), \qquad
        s_0 = s_T^{\text{previous call}} \text{ if stateful, else } 0

    ``TimeCell(cell, params, stateful=False)``: ``params`` as the cell's module names them
    (``{"W_x", "W_h", "b"}`` for ``"lstm"``, ...). The state is ``h`` (N, H), or ``h`` and
    ``c`` for a cell with a paired state (the LSTM), kept as attributes as in
    ``TimeLSTM``; ``forward(xs (N, T, D)) -> hs (N, T, H)``, ``backward(dhs) -> dxs``.
    With ``"lstm"`` it computes what ``TimeLSTM`` does (the same ``lstm_forward``).
    Torch: one layer of ``nn.RNN``/``nn.LSTM``/``nn.GRU(batch_first=True)`` with the state
    detached between calls. Taught in chapter 5.
    """

    def __init__(self, cell: str, params: dict, stateful: bool = False):
        self.cell = get_cell(cell)
        check_param_names(self.cell, params)
        self.STATE = ("h", "c") if self.cell.paired_state else ("h",)
        super().__init__(dict(params), stateful)

    def _run(self, xs, *state0):
        s0 = tuple(state0) if self.cell.paired_state else state0[0]
        return self.cell.forward(xs, s0, self.params)

    def _grad(self, dhs, cache):
        dxs, ds0, grads = self.cell.backward(dhs, cache, None)
        parts = ds0 if self.cell.paired_state else (ds0,)
        named = {f"d{part}0": d for part, d in zip(self.STATE, parts, strict=True)}
        return SimpleNamespace(dxs=dxs, **named, **{"d" + k: v for k, v in grads.items()})


class TiedAffine:
    r"""The output layer whose weight is the embedding matrix transposed, plus its own bias.

    .. math::

        s_t = h_t E^\top + b, \qquad
        \frac{\partial L}{\partial h_t} = \frac{\partial L}{\partial s_t} E, \qquad
        \frac{\partial L}{\partial E}\Big|_\text{output} =
        \Bigl(\sum_t h_t^\top \frac{\partial L}{\partial s_t}\Bigr)^{\!\top}

    ``TiedAffine(embed, b)``: ``embed`` is the model's ``Embedding`` (its ``params["W"]``,
    (V, H), is read at every call, so updates in place are seen); ``b`` (V,).
    ``params``/``grads`` hold ``b`` only: :math:`E` belongs to the embedding. After
    ``backward(dss (N, T, V)) -> dhs (N, T, H)``, ``dW`` (V, H) is this layer's share of
    :math:`\partial L/\partial E`, which the model adds to the embedding's gradient.
    Torch: ``nn.Linear(H, V)`` with ``head.weight = embed.weight``. Taught in chapter 5.
    """

    def __init__(self, embed: Embedding, b):
        self.embed = embed
        self.params = {"b": np.asarray(b)}
        self.grads = {"b": np.zeros_like(self.params["b"])}
        self.dW: np.ndarray | None = None  # (V, H)
        self.cache = None

    def forward(self, hs) -> np.ndarray:
        W = self.embed.params["W"]  # (V, H)
        ss, self.cache = time_affine_forward(hs, W.T, self.params["b"])  # (N, T, V)
        return ss

    def backward(self, dss) -> np.ndarray:
        g = time_affine_backward(dss, self.cache)
        self.dW = g.dW.T  # (V, H)
        self.grads["b"][...] = g.db
        return g.dxs  # (N, T, H)


def init_scaled_normal_params(cell: str, D: int, H: int, rng: np.random.Generator,
                              dtype=np.float64) -> dict:
    r"""A cell's parameters as Deep Learning from Scratch 2 initialises them ("Xavier").

    .. math::

        W_x \sim \mathcal{N}(0, 1/D), \qquad W_h \sim \mathcal{N}(0, 1/H), \qquad
        b = 0

    with :math:`W_x` (D, GH) and :math:`W_h` (H, GH) for the cell's G gate blocks
    (``course_rnn.cells``); every parameter is set by its role (a layer norm's scale
    starts at 1, every bias and shift at 0). The book's ``Rnnlm`` and ``BetterRnnlm``
    use ``randn(D, 4H) / sqrt(D)``, ``randn(H, 4H) / sqrt(H)`` and zero biases.
    torch: ``nn.init.normal_(w, std=D ** -0.5)`` and ``nn.init.zeros_`` (torch's own
    default is :math:`U(-1/\sqrt H, 1/\sqrt H)`). Taught in chapter 5.
    """
    spec = get_cell(cell)
    out = {}
    for name, shape in spec.shapes(D, H).items():
        role = spec.roles[name]
        if role in ("input", "recurrent"):
            value = rng.standard_normal(shape) / np.sqrt(shape[0])
        else:
            value = np.ones(shape) if role == "scale" else np.zeros(shape)
        out[name] = value.astype(dtype)
    return out


def recurrent_part(cell: str, layer: int) -> str:
    r"""The name of layer ``layer`` (from 0) of a ``DeepLanguageModel``: ``"lstm0"``, ...

    .. math::

        \texttt{"lstm1.W\_x"} \leftrightarrow \texttt{rnn.weight\_ih\_l1}^\top

    The digit is torch's ``_l<layer>``. Taught in chapter 5.
    """
    return f"{get_cell(cell).name}{layer}"


class DeepLanguageModel(LanguageModel):
    r"""Embedding -> dropout -> L x (cell -> dropout) -> output tied to the embedding.

    .. math::

        s_t = \mathrm{drop}\bigl(h^{(L)}_t\bigr) E^\top + b \ \text{(tied)}
        \quad\text{or}\quad \mathrm{drop}\bigl(h^{(L)}_t\bigr) W_\text{out} + b,
        \qquad L = \mathrm{mean}_{n,t}\, \mathrm{CE}(s_{n,t}, w_{n,t+1})

    Deep Learning from Scratch 2's ``BetterRnnlm`` (section 6.5) with ``cell="lstm"``,
    ``num_layers=2``, ``tie_weights=True``; the same model with another cell for the
    comparison of chapter 6.

    Parameters
    ----------
    V, D, H : int
        Vocabulary, embedding and hidden sizes; ``tie_weights`` needs ``D == H``.
    rng : numpy.random.Generator or int
        Draws the initial weights, then every dropout mask (one generator for all).
    cell : str
        A cell of ``course_rnn.cells``: ``"rnn"``, ``"lstm"``, ``"gru"`` (or any other
        registered one).
    num_layers : int
        L, the number of stacked recurrent layers.
    dropout : float in [0, 1)
        Probability of dropping a unit, after the embedding and after every layer
        (inverted dropout: the kept units are scaled by :math:`1/(1-p)` in training, and
        nothing changes in evaluation).
    tie_weights : bool
        The output weight is :math:`E^\top` (one parameter ``"embed.W"``); False gives the
        output layer its own ``"affine.W"`` (H, V).
    dtype : float32 or float64
    stateful : bool
        Carry every layer's state (``h``, and ``c`` for the LSTM) across calls
        (truncated BPTT); ``reset_state()`` clears them all.
    ignore_index : int
        Target id that the loss skips (padding).

    Notes
    -----
    Initialisation, as the book's: :math:`E \sim \mathcal{N}(0, 0.01^2)`; recurrent
    weights ``init_scaled_normal_params`` (:math:`\mathcal{N}(0, 1/\text{fan-in})`, zero
    biases); untied output :math:`W_\text{out} \sim \mathcal{N}(0, 1/H)`; output bias 0.
    (torch's default :math:`E \sim \mathcal{N}(0, 1)` would give scores of size
    :math:`\sqrt H` through a tied output.)

    Parts, in order: ``"embed"``, ``"drop0"``, then ``"<cell><l>"`` and ``"drop<l+1>"``
    for l = 0..L-1 (``"lstm0"``, ``"drop1"``, ``"lstm1"``, ``"drop2"``), then
    ``"affine"``; ``params`` ``"embed.W"``, ``"lstm0.W_x"``, ..., ``"affine.b"``.
    ``recurrent`` is the list of the L ``TimeCell`` layers, ``dropouts`` the L + 1
    ``Dropout`` layers.

    Modes, as torch's: ``train()`` (the default) and ``eval()``; ``forward`` drops units
    only in training mode, ``predict`` and ``generate`` always run in evaluation mode.
    Call ``eval()`` before ``course_rnn.training.evaluate``.
    Torch: ``course_rnn.torch_ref.models.TorchLanguageModel(V, D, H, cell, num_layers,
    dropout, tie_weights)`` (``convert.deep_lm_to_torch`` copies the weights).
    Taught in chapter 5 and chapter 6.
    """

    def __init__(self, V: int, D: int, H: int, rng, cell: str = "lstm", num_layers: int = 2,
                 dropout: float = 0.5, tie_weights: bool = True, dtype=np.float64,
                 stateful: bool = True, ignore_index: int = -100):
        spec = get_cell(cell)
        if tie_weights and D != H:
            raise ValueError(f"tie_weights needs the embedding size D to equal the hidden "
                             f"size H (the output weight is the embedding matrix (V, D) "
                             f"transposed), got D={D}, H={H}")
        if not (isinstance(num_layers, (int, np.integer)) and num_layers >= 1):
            raise ValueError(f"num_layers must be an int >= 1, got {num_layers!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        rng = np.random.default_rng(rng)
        embed = Embedding((rng.standard_normal((V, D)) / 100).astype(dtype))  # (V, D)
        layers: dict = {"embed": embed}
        recurrent, dropouts = [], [Dropout(dropout, rng)]
        layers["drop0"] = dropouts[0]
        for l in range(num_layers):
            params = init_scaled_normal_params(spec.name, D if l == 0 else H, H, rng, dtype)
            recurrent.append(TimeCell(spec.name, params, stateful=stateful))
            dropouts.append(Dropout(dropout, rng))
            layers[recurrent_part(spec.name, l)] = recurrent[-1]
            layers[f"drop{l + 1}"] = dropouts[-1]
        b = np.zeros(V, dtype=dtype)  # (V,)
        if tie_weights:
            layers["affine"] = TiedAffine(embed, b)
        else:
            W = (rng.standard_normal((H, V)) / np.sqrt(H)).astype(dtype)  # (H, V)
            layers["affine"] = TimeAffine(W, b)
        Sequential.__init__(self, layers, TimeSoftmaxCrossEntropy(ignore_index))
        self.cell, self.num_layers, self.tie_weights = spec.name, num_layers, tie_weights
        self.recurrent, self.dropouts = recurrent, dropouts
        self.training = True

    def train(self, mode: bool = True) -> DeepLanguageModel:
        """Training mode (dropout on), or evaluation mode with ``mode=False``; returns self."""
        self.training = bool(mode)
        for layer in self.dropouts:
            layer.training = self.training
        return self

    def eval(self) -> DeepLanguageModel:
        """Evaluation mode: dropout off (``train(False)``); returns self."""
        return self.train(False)

    def predict(self, inputs, batch: int | None = None) -> np.ndarray:
        """Scores (N, T, V) in evaluation mode (no dropout), whatever the mode; the mode is
        restored afterwards. Carries the state if ``stateful``."""
        mode = self.training
        self.eval()
        try:
            return super().predict(inputs, batch)
        finally:
            self.train(mode)

    def backward(self, dout: float = 1.0) -> None:
        """Backward pass through the last ``forward``; with tied weights, the output layer's
        share of the embedding's gradient is added to ``grads["embed.W"]``."""
        super().backward(dout)
        if self.tie_weights:
            self.parts["embed"].grads["W"] += self.parts["affine"].dW
