r"""Layer normalisation, and the layer-normalised RNN cell.

Layer normalisation (Ba, Kiros & Hinton, 2016) standardises each example over its
*features* (the last axis), so it behaves the same at every time step and for any
batch size, which is why it suits recurrent networks better than batch normalisation.

.. math::

    \mu = \frac{1}{H}\sum_j a_j, \quad \sigma^2 = \frac{1}{H}\sum_j (a_j - \mu)^2, \quad
    \mathrm{LN}(a) = \gamma \odot \frac{a - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

The layer-normalised cell is the one of Hands-On Machine Learning's ``LNSimpleRNNCell``
(chapter 15): a simple RNN cell without activation, then LN, then tanh,

.. math::

    a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h, \qquad h_t = \tanh(\mathrm{LN}(a_t)).

(Ba et al. leave out :math:`b_h`, whose effect :math:`\beta` nearly takes over; we keep
it so that the weights map one to one onto the Keras cell and onto ``rnn.py``.)

Size letters: N batch, T time, D input, H hidden. Taught in chapter 7.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_rnn._ops import check_not_transposed, check_sequence_input, check_upstream, time_major
from course_rnn._time_layer import TimeLayer
from course_rnn._validate import as_array, check_dim, check_shape, normalisation_inputs
from course_rnn.rnn import init_rnn_params


class LayerNormCache(NamedTuple):
    xhat: np.ndarray  # (..., H) the standardised input
    inv_std: np.ndarray  # (..., 1) 1 / sqrt(var + eps)
    gamma: np.ndarray  # (H,)


class LayerNormGrads(NamedTuple):
    dx: np.ndarray  # (..., H)
    dgamma: np.ndarray  # (H,)
    dbeta: np.ndarray  # (H,)


def layernorm_forward(x, gamma, beta, eps: float = 1e-5) -> tuple[np.ndarray, LayerNormCache]:
    r"""Layer normalisation over the last axis.

    .. math::

        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
        y = \gamma \odot \hat x + \beta

    with :math:`\mu, \sigma^2` the mean and the biased variance of each row.

    Parameters
    ----------
    x : ndarray, shape (..., H)
        For example (N, H) or (N, T, H).
    gamma, beta : ndarray, shape (H,)
        Scale and shift (torch's ``weight`` and ``bias``).
    eps : float
        Added to the variance, 1e-5 as in torch.

    Returns
    -------
    y : ndarray, shape of ``x``
    cache : LayerNormCache

    Torch: ``torch.nn.LayerNorm(H, eps=eps)`` with ``weight = gamma``, ``bias = beta``.
    Taught in chapter 7.
    """
    x, gamma, beta = normalisation_inputs(x, gamma, beta, 1, "at least 1 dimension")
    return _layernorm(x, gamma, beta, eps)


def _layernorm(x, gamma, beta, eps) -> tuple[np.ndarray, LayerNormCache]:
    """``layernorm_forward`` without the argument checks (called at every time step)."""
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    xc = x - mu
    var = np.mean(xc * xc, axis=-1, keepdims=True)  # (..., 1)
    inv_std = 1.0 / np.sqrt(var + eps)  # (..., 1)
    xhat = xc * inv_std  # (..., H)
    return gamma * xhat + beta, LayerNormCache(xhat, inv_std, gamma)


def layernorm_backward(dy, cache: LayerNormCache) -> LayerNormGrads:
    r"""Gradients of layer normalisation.

    .. math::

        \frac{\partial L}{\partial \beta} = \sum \delta y, \quad
        \frac{\partial L}{\partial \gamma} = \sum \delta y \odot \hat x, \quad
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
        \Bigl(g - \overline{g} - \hat x\, \overline{g \odot \hat x}\Bigr), \quad
        g = \gamma \odot \delta y

    where the sums run over every axis but the last and the bars are means over the last
    axis. ``dy`` has the shape of ``x``. Torch: autograd through ``nn.LayerNorm``
    (``weight.grad``, ``bias.grad``). Taught in chapter 7.
    """
    xhat, inv_std, gamma = cache
    dy = np.asarray(dy)
    check_shape("dy", dy, xhat.shape, "the shape of the forward output")
    lead = tuple(range(dy.ndim - 1))
    dbeta = dy.sum(axis=lead)  # (H,)
    dgamma = (dy * xhat).sum(axis=lead)  # (H,)
    return LayerNormGrads(_layernorm_dx(dy, xhat, inv_std, gamma), dgamma, dbeta)


def _layernorm_dx(dy, xhat, inv_std, gamma) -> np.ndarray:
    """The input gradient of layer normalisation (the last line of the equation above)."""
    g = dy * gamma  # (..., H)
    gm = g.mean(axis=-1, keepdims=True)  # (..., 1)
    gxm = (g * xhat).mean(axis=-1, keepdims=True)  # (..., 1)
    return inv_std * (g - gm - xhat * gxm)  # (..., H)


class LayerNorm:
    r"""Layer normalisation over the last axis, :math:`y = \gamma \odot \hat x + \beta`.

    ``LayerNorm(H)`` starts with ``gamma = 1``, ``beta = 0`` (as torch);
    ``params = {"gamma", "beta"}``, gradients in ``grads``. ``forward(x (..., H))``,
    ``backward(dy) -> dx``. Torch: ``torch.nn.LayerNorm(H)``. Taught in chapter 7.
    """

    def __init__(self, H: int, eps: float = 1e-5, dtype=np.float64):
        self.eps = eps
        self.params = {"gamma": np.ones(H, dtype=dtype), "beta": np.zeros(H, dtype=dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache: LayerNormCache | None = None

    def forward(self, x) -> np.ndarray:
        y, self.cache = layernorm_forward(x, self.params["gamma"], self.params["beta"], self.eps)
        return y

    def backward(self, dy) -> np.ndarray:
        g = layernorm_backward(dy, self.cache)
        self.grads["gamma"][...] = g.dgamma
        self.grads["beta"][...] = g.dbeta
        return g.dx


# ------------------------------------------------------------ the layer-normalised RNN cell
class LNRNNCache(NamedTuple):
    xs: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    hs: np.ndarray  # (T, N, H) time major, like the two arrays below
    xhats: np.ndarray  # (T, N, H) standardised pre-activations
    inv_stds: np.ndarray  # (T, N, 1)
    W_xh: np.ndarray  # (D, H)
    W_hh: np.ndarray  # (H, H)
    gamma: np.ndarray  # (H,)


class LNRNNGrads(NamedTuple):
    dxs: np.ndarray  # (N, T, D), or (N, D) for one step
    dh0: np.ndarray  # (N, H)
    dW_xh: np.ndarray  # (D, H)
    dW_hh: np.ndarray  # (H, H)
    db_h: np.ndarray  # (H,)
    dgamma: np.ndarray  # (H,)
    dbeta: np.ndarray  # (H,)


def _check_params(W_xh, W_hh, b_h, gamma, beta):
    W_xh = as_array("W_xh", W_xh, 2)
    H = W_xh.shape[1]
    W_hh = as_array("W_hh", W_hh, 2)
    check_not_transposed("W_xh", W_xh, "W_hh", W_hh, np.asarray(b_h), 1)
    check_shape("W_hh", W_hh, (H, H), f"W_xh has shape {W_xh.shape}, so H={H}")
    for name, v in (("b_h", b_h), ("gamma", gamma), ("beta", beta)):
        check_dim(name, as_array(name, v, 1), 0, H, "W_xh", "H")
    return W_xh, W_hh


def ln_rnn_forward(xs, h0, W_xh, W_hh, b_h, gamma, beta, eps: float = 1e-5):
    r"""Run the layer-normalised RNN cell over a sequence.

    .. math::

        a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h, \qquad h_t = \tanh(\mathrm{LN}_{\gamma,\beta}(a_t))

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H), or None (zeros)
    W_xh : ndarray, shape (D, H)
    W_hh : ndarray, shape (H, H)
    b_h, gamma, beta : ndarray, shape (H,)
    eps : float

    Returns
    -------
    hs : ndarray, shape (N, T, H)
    h_last : ndarray, shape (N, H)
    cache : LNRNNCache

    One step is ``ln_rnn_forward(x_t[:, None], h_prev, ...)`` (T=1). Torch has no such
    module: ``h = torch.tanh(ln(x_t @ W_xh + h @ W_hh + b_h))`` with ``ln`` a
    ``torch.nn.LayerNorm(H)``, or Keras's ``LNSimpleRNNCell`` of Hands-On ML.
    Taught in chapter 7.
    """
    W_xh, W_hh = _check_params(W_xh, W_hh, b_h, gamma, beta)
    D, H = W_xh.shape
    xs, h0 = check_sequence_input(xs, h0, D, H, "W_xh", "W_hh")
    N, T, _ = xs.shape
    dtype = np.result_type(xs, W_xh, np.float16)
    if h0 is None:
        h0 = np.zeros((N, H), dtype=dtype)
    # time major (T, N, ...): each step reads and writes contiguous blocks
    a_tm = (time_major(xs).reshape(T * N, D) @ W_xh + b_h).reshape(T, N, H).astype(dtype)
    hs_tm = np.empty((T, N, H), dtype=dtype)
    xhats = np.empty((T, N, H), dtype=dtype)
    inv_stds = np.empty((T, N, 1), dtype=dtype)
    mean = np.full((H, 1), 1.0 / H, dtype=dtype)  # x @ mean: the mean over features, (N, 1)
    gamma, beta = np.asarray(gamma), np.asarray(beta)
    h = h0
    for t in range(T):
        a = a_tm[t]  # (N, H): x_t W_xh + b_h, becomes a - mean(a)
        a += h @ W_hh
        a -= a @ mean
        inv = inv_stds[t]  # (N, 1)
        np.matmul(a * a, mean, out=inv)  # variance
        inv += eps
        np.sqrt(inv, out=inv)
        np.divide(1.0, inv, out=inv)
        xhat = np.multiply(a, inv, out=xhats[t])
        h = np.multiply(xhat, gamma, out=hs_tm[t])
        h += beta
        np.tanh(h, out=h)  # (N, H)
    cache = LNRNNCache(xs, h0, hs_tm, xhats, inv_stds, W_xh, W_hh, gamma)
    return hs_tm.swapaxes(0, 1), hs_tm[-1].copy(), cache


def ln_rnn_backward(dhs, cache: LNRNNCache, dh_last=None) -> LNRNNGrads:
    r"""Backpropagation through time for ``ln_rnn_forward``.

    .. math::

        \delta h_t = \frac{\partial L}{\partial h_t}\Big|_{\text{above}}
        + \delta a_{t+1} W_{hh}^\top, \quad \delta z_t = \delta h_t \odot (1 - h_t^2), \quad
        \delta a_t = \mathrm{LN}'(\delta z_t), \\
        \delta W_{xh} = \sum_t x_t^\top \delta a_t, \quad
        \delta W_{hh} = \sum_t h_{t-1}^\top \delta a_t, \quad
        \delta\gamma = \sum_t \textstyle\sum_n \delta z_t \odot \hat a_t, \quad
        \delta\beta = \sum_t \textstyle\sum_n \delta z_t

    with :math:`\mathrm{LN}'` the input gradient of ``layernorm_backward``.
    ``dhs`` (N, T, H) or None, ``dh_last`` (N, H) or None. Returns ``LNRNNGrads``
    (``dxs`` (N, T, D), ``dh0`` (N, H), then one gradient per parameter). Torch: autograd
    through the loop written with ``nn.LayerNorm``. Taught in chapter 7.
    """
    xs, h0, hs_tm, xhats, inv_stds, W_xh, W_hh, gamma = cache
    T, N, H = hs_tm.shape
    D = xs.shape[2]
    dtype = hs_tm.dtype
    dhs = check_upstream("dhs", dhs, (N, T, H), dtype, zeros=False)
    dhs_tm = None if dhs is None else time_major(dhs)  # (T, N, H)
    dh = check_upstream("dh_last", dh_last, (N, H), dtype).astype(dtype)
    dzs = np.empty((T, N, H), dtype=dtype)
    das = np.empty((T, N, H), dtype=dtype)
    mean = np.full((H, 1), 1.0 / H, dtype=dtype)
    W_hh_T = np.ascontiguousarray(W_hh.T)
    for t in range(T - 1, -1, -1):
        if dhs_tm is not None:
            dh = dh + dhs_tm[t]
        h, xhat = hs_tm[t], xhats[t]
        dz = np.multiply(dh, 1 - h * h, out=dzs[t])  # through tanh
        g = dz * gamma  # LN': inv_std * (g - mean(g) - xhat * mean(g * xhat))
        da = das[t]
        np.multiply(xhat, (g * xhat) @ mean, out=da)
        g -= g @ mean
        np.subtract(g, da, out=da)
        da *= inv_stds[t]
        dh = da @ W_hh_T  # (N, H) to h_{t-1}
    das2 = das.reshape(T * N, H)
    hs_prev = np.concatenate([h0[None], hs_tm[:-1]], axis=0)  # (T, N, H)
    return LNRNNGrads(
        dxs=(das2 @ W_xh.T).reshape(T, N, D).swapaxes(0, 1),
        dh0=dh,
        dW_xh=time_major(xs).reshape(T * N, D).T @ das2,
        dW_hh=hs_prev.reshape(T * N, H).T @ das2,
        db_h=das2.sum(axis=0),
        dgamma=(dzs * xhats).sum(axis=(0, 1)),
        dbeta=dzs.sum(axis=(0, 1)),
    )


def ln_rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h, gamma, beta, eps: float = 1e-5):
    r"""One step of the layer-normalised cell,
    :math:`h_t = \tanh(\mathrm{LN}(x_t W_{xh} + h_{t-1} W_{hh} + b_h))`.

    ``x_t`` (N, D), ``h_prev`` (N, H), parameters as in ``ln_rnn_forward``; returns
    ``(h_next (N, H), cache)``. It is ``ln_rnn_forward`` on a sequence of length 1.
    Torch: ``torch.tanh(ln(x_t @ W_xh + h_prev @ W_hh + b_h))``. Taught in chapter 7.
    """
    x_t = as_array("x_t", x_t, 2)
    h_prev = as_array("h_prev", h_prev, 2)
    _, h_next, cache = ln_rnn_forward(x_t[:, None], h_prev, W_xh, W_hh, b_h, gamma, beta, eps)
    return h_next, cache


def ln_rnn_step_backward(dh_next, cache: LNRNNCache) -> LNRNNGrads:
    r"""Backward pass of one step.

    .. math::

        \delta a = \mathrm{LN}'\bigl(\delta h_\text{next} \odot (1 - h_\text{next}^2)\bigr),
        \quad \delta x_t = \delta a\, W_{xh}^\top, \quad
        \delta h_\text{prev} = \delta a\, W_{hh}^\top

    ``dh_next`` (N, H) -> ``LNRNNGrads`` whose ``dxs`` is ``dx_t`` (N, D) and ``dh0`` is
    ``dh_prev`` (N, H); the parameter gradients as in ``ln_rnn_backward`` with T=1.
    Torch: autograd through one step. Taught in chapter 7.
    """
    g = ln_rnn_backward(None, cache, dh_last=dh_next)
    return g._replace(dxs=g.dxs[:, 0])


def init_ln_rnn_params(D: int, H: int, rng: np.random.Generator, dtype=np.float64) -> dict:
    r"""``init_rnn_params``'s ``W_xh, W_hh, b_h``, then ``gamma = 1`` and ``beta = 0`` (H,).

    .. math::

        W_{xh}, W_{hh}, b_h \sim U\bigl(-1/\sqrt{H},\, 1/\sqrt{H}\bigr), \qquad
        \gamma = \mathbf 1, \quad \beta = \mathbf 0

    torch: ``nn.RNN(D, H).reset_parameters()`` and ``nn.LayerNorm(H)``'s initial
    ``weight`` and ``bias``. Taught in chapter 7.
    """
    p = init_rnn_params(D, H, rng, dtype)
    p.update(gamma=np.ones(H, dtype=dtype), beta=np.zeros(H, dtype=dtype))
    return p


class TimeLNRNN(TimeLayer):
    r"""Time layer of the layer-normalised RNN cell, with parameters and carried state.

    .. math::

        h_t = \tanh(\mathrm{LN}_{\gamma,\beta}(x_t W_{xh} + h_{t-1} W_{hh} + b_h))

    ``params`` and ``grads``: ``"W_xh"`` (D, H), ``"W_hh"`` (H, H), ``"b_h"``,
    ``"gamma"``, ``"beta"`` (H,). ``forward(xs (N, T, D)) -> hs (N, T, H)``,
    ``backward(dhs) -> dxs``; ``stateful``, ``set_state``, ``reset_state`` as in
    ``TimeRNN`` (``course_rnn._time_layer.TimeLayer``). Torch has no such module (see
    ``ln_rnn_forward``). Taught in chapter 7.
    """

    def __init__(self, W_xh, W_hh, b_h, gamma, beta, stateful: bool = False, eps: float = 1e-5):
        _check_params(W_xh, W_hh, b_h, gamma, beta)
        arrays = (W_xh, W_hh, b_h, gamma, beta)
        names = ("W_xh", "W_hh", "b_h", "gamma", "beta")
        super().__init__({k: np.asarray(v) for k, v in zip(names, arrays, strict=True)}, stateful)
        self.eps = eps

    def _run(self, xs, h0):
        return ln_rnn_forward(xs, h0, *self.params.values(), self.eps)

    def _grad(self, dhs, cache):
        return ln_rnn_backward(dhs, cache)
