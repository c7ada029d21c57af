r"""The numpy models of the forecasting benchmark: small layers, Keras-style initialisation.

The rows of the benchmark (chapters 7, 8 and 11, ``course_rnn.forecast.run``) are stacks of
five kinds of layer, each a thin wrapper around a course_rnn function with its own backward:

- ``Recurrent``: one layer of any cell of ``course_rnn.cells`` (``"rnn"``, ``"lstm"``,
  ``"gru"``, ``"ln_rnn"``, ...) through ``course_rnn.multilayer.cell_forward``, returning
  every state (seq-to-seq) or the last one (seq-to-vec);
- ``Dense``: :math:`y = x W + b` on the last axis (time-distributed on ``(N, T, H)``);
- ``Flatten``: ``(N, T, D) -> (N, T D)``;
- ``Conv``: ``course_rnn.conv.conv1d_forward`` on channels-last sequences, optional ReLU;
- ``BatchNorm`` (``course_rnn.batchnorm``): each feature standardised over the batch and the
  time steps, batch statistics in training, running averages in inference.

Initialisation follows Keras, where the published numbers come from (Hands-On ML, ch. 15):

.. math::

    W_x \sim U\Bigl(-\sqrt{6 / (\text{fan}_\text{in} + \text{fan}_\text{out})},\,
    +\sqrt{6 / (\text{fan}_\text{in} + \text{fan}_\text{out})}\Bigr)
    \;(\text{Glorot}), \qquad W_h = Q \;(\text{orthogonal}), \qquad b = 0

with the LSTM's forget-gate bias set to 1. Shapes: batch first, ``(N, T, D)``.
A row's model is these layers in an ``InferenceSequential`` (a ``course_rnn.models.Sequential``
whose ``predict`` runs in inference mode) with the mean squared error
(``course_rnn.forecast.rows.build_model``). The same stacks in torch are in
``course_rnn.forecast.torch_twin``. Taught in chapter 7.
"""

from __future__ import annotations

import numpy as np

from course_rnn.cells import get_cell
from course_rnn.conv import conv1d_backward, conv1d_forward
from course_rnn.models import Sequential
from course_rnn.multilayer import cell_backward, cell_forward


def glorot_uniform(fan_in: int, fan_out: int, shape, rng: np.random.Generator) -> np.ndarray:
    r"""Glorot (Xavier) uniform weights, Keras's default for kernels.

    .. math::

        W \sim U(-a, a), \qquad a = \sqrt{6 / (\text{fan}_\text{in} + \text{fan}_\text{out})}

    torch: ``torch.nn.init.xavier_uniform_``. Taught in chapter 7.
    """
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, shape)


def orthogonal(rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    r"""A (rows, cols) matrix with orthonormal rows or columns (whichever are fewer).

    .. math::

        A = QR \;(A \sim \mathcal{N}(0, 1)), \qquad
        Q \leftarrow Q\,\mathrm{diag}(\mathrm{sign}\,R_{ii})

    The sign fix makes Q uniformly distributed (Mezzadri 2007). Keras's ``Orthogonal``
    and ``torch.nn.init.orthogonal_`` do the same. Taught in chapter 7.
    """
    big, small = max(rows, cols), min(rows, cols)
    q, r = np.linalg.qr(rng.standard_normal((big, small)))
    q *= np.sign(np.diag(r))
    return q if rows >= cols else q.T


def init_recurrent(cell: str, D: int, H: int, rng: np.random.Generator, dtype=np.float32) -> dict:
    r"""Keras-style parameters of one recurrent layer, in course_rnn's names and layout.

    .. math::

        W_x: \text{Glorot}(D, kH), \quad W_h: \text{orthogonal}(H, kH), \quad b = 0
        \;(b_f = 1 \text{ for the LSTM})

    with k = 1 (RNN), 3 (GRU), 4 (LSTM), the cell's ``blocks`` in ``course_rnn.cells``;
    each parameter is set by its role there (a layer norm's scale starts at 1, and the
    forget gate's block of the bias, where the cell has one, at 1). torch: see
    ``course_rnn.forecast.torch_twin``. Taught in chapter 7.
    """
    spec = get_cell(cell)
    k = spec.blocks
    W_x = glorot_uniform(D, k * H, (D, k * H), rng)
    W_h = orthogonal(H, k * H, rng)
    p = {}
    for name, role in spec.roles.items():
        if role == "input":
            p[name] = W_x
        elif role == "recurrent":
            p[name] = W_h
        else:
            p[name] = np.ones(k * H) if role == "scale" else np.zeros(k * H)
            if role in ("bias", "bias_ih") and "f" in spec.gates:
                f = spec.gates.index("f")
                p[name][f * H : (f + 1) * H] = 1.0  # the forget gate starts open
    return {name: value.astype(dtype) for name, value in p.items()}


class Recurrent:
    r"""One recurrent layer over ``(N, T, D)``; every state or only the last one.

    .. math::

        h_t = \mathrm{cell}(x_t, h_{t-1}), \qquad
        y = (h_1, \dots, h_T) \;\text{or}\; h_T

    ``Recurrent(cell, D, H, rng, sequences=True)`` with ``cell`` a name of
    ``course_rnn.cells``. torch: one layer of ``nn.RNN``, ``nn.LSTM``, ``nn.GRU``
    (``ln_rnn``: a loop with ``nn.LayerNorm``). Taught in chapter 7.
    """

    def __init__(self, cell: str, D: int, H: int, rng, sequences: bool = True,
                 dtype=np.float32):
        self.cell, self.sequences = cell, sequences
        self.params = init_recurrent(cell, D, H, rng, dtype)
        self.grads: dict = {}
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        hs, _, self._cache = cell_forward(self.cell, x, None, self.params)
        return hs if self.sequences else hs[:, -1]  # (N, T, H) or (N, H)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dhs, dlast = (dy, None) if self.sequences else (None, dy)
        if get_cell(self.cell).paired_state and dlast is not None:
            dlast = (dlast, None)  # the gradient reaches h_T, not c_T
        dxs, _, self.grads = cell_backward(dhs, self._cache, dlast)
        return dxs


class Dense:
    r"""Affine map on the last axis: ``(N, D) -> (N, M)`` or ``(N, T, D) -> (N, T, M)``.

    .. math::

        y = x W + b, \qquad \delta W = \textstyle\sum x^\top \delta y, \quad
        \delta x = \delta y\, W^\top

    Glorot-uniform W, zero b. torch: ``nn.Linear(D, M)`` (weight = W.T). Taught in chapter 7.
    """

    def __init__(self, D: int, M: int, rng, dtype=np.float32):
        self.params = {"W": glorot_uniform(D, M, (D, M), rng).astype(dtype),
                       "b": np.zeros(M, dtype)}
        self.grads: dict = {}
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dy: np.ndarray) -> np.ndarray:
        D, M = self.params["W"].shape
        x2, dy2 = self._x.reshape(-1, D), dy.reshape(-1, M)
        self.grads = {"W": x2.T @ dy2, "b": dy2.sum(axis=0)}
        return dy @ self.params["W"].T


class Flatten:
    r"""``(N, T, D) -> (N, T D)``: the input of a linear model over the whole window.

    .. math::

        y_n = (x_{n,1}, \dots, x_{n,T}) \in \mathbb{R}^{T D}

    torch: ``nn.Flatten()``. Taught in chapter 7.
    """

    def __init__(self):
        self.params: dict = {}
        self.grads: dict = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy.reshape(self._shape)


class Conv:
    r"""Conv1D on channels-last sequences ``(N, L, C_in) -> (N, L_out, C_out)``, optional ReLU.

    .. math::

        y_{n,l,o} = \phi\Bigl(b_o + \sum_{c,k} W_{o,c,k}\, x_{n,\,l s + k d,\,c}\Bigr)

    ``Conv(C_in, C_out, K, rng, stride=1, padding="valid", dilation=1, relu=False)``; the
    work is ``course_rnn.conv.conv1d_forward`` (channels first, as torch). Glorot-uniform W
    (fan_in = C_in K, fan_out = C_out K), zero b. torch: ``nn.Conv1d`` (+ ``F.pad`` for
    "causal"). Taught in chapter 8.
    """

    def __init__(self, C_in: int, C_out: int, K: int, rng, stride: int = 1, padding="valid",
                 dilation: int = 1, relu: bool = False, dtype=np.float32):
        W = glorot_uniform(C_in * K, C_out * K, (C_out, C_in, K), rng)
        self.params = {"W": W.astype(dtype), "b": np.zeros(C_out, dtype)}
        self.stride, self.padding, self.dilation, self.relu = stride, padding, dilation, relu
        self.grads: dict = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        y, self._cache = conv1d_forward(x.transpose(0, 2, 1), self.params["W"], self.params["b"],
                                        self.stride, self.padding, self.dilation)
        if self.relu:
            self._mask = y > 0
            y = y * self._mask
        return y.transpose(0, 2, 1)  # (N, L_out, C_out)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dy = dy.transpose(0, 2, 1)
        if self.relu:
            dy = dy * self._mask
        g = conv1d_backward(np.ascontiguousarray(dy), self._cache)
        self.grads = {"W": g.dW, "b": g.db}
        return g.dx.transpose(0, 2, 1)



class InferenceSequential(Sequential):
    r"""A ``Sequential`` whose ``predict`` runs its layers in inference mode.

    .. math::

        \hat y = f_L^{\text{eval}}(\cdots f_1^{\text{eval}}(x)) \ \text{(predict)}, \qquad
        L = \ell(f_L^{\text{train}}(\cdots f_1^{\text{train}}(x)), y) \ \text{(forward)}

    Layers with a train / inference switch (``train()``, ``eval()`` and ``training``, as
    ``course_rnn.dropout.Dropout`` and ``course_rnn.batchnorm.BatchNorm``) are put in
    inference mode for ``predict`` and back in their mode after it; ``forward`` (the
    loss the training loop minimises) runs them as they are, in training mode. Nothing
    changes for layers without the switch. Torch: ``model.eval()`` around the forecast,
    ``model.train()`` after. Taught in chapter 7.
    """

    def predict(self, inputs, batch: int | None = None) -> np.ndarray:
        """The last layer's output with every switchable layer in inference mode."""
        switchable = [layer for layer in self.layers if hasattr(layer, "eval")]
        modes = [layer.training for layer in switchable]
        for layer in switchable:
            layer.eval()
        try:
            return super().predict(inputs, batch)
        finally:
            for layer, training in zip(switchable, modes, strict=True):
                if training:
                    layer.train()
