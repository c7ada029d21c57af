r"""The GRU layer with PyTorch's equations: one step, a whole sequence, and ``TimeGRU``.

.. math::

    r_t &= \sigma(x_t W_{xr} + b_{xr} + h_{t-1} W_{hr} + b_{hr}) \\
    z_t &= \sigma(x_t W_{xz} + b_{xz} + h_{t-1} W_{hz} + b_{hz}) \\
    n_t &= \tanh\bigl(x_t W_{xn} + b_{xn} + r_t \odot (h_{t-1} W_{hn} + b_{hn})\bigr) \\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

The reset gate multiplies :math:`h_{t-1} W_{hn} + b_{hn}` (PyTorch's and cuDNN's
placement), not :math:`h_{t-1}` itself as in Cho et al. (2014), where the candidate
is :math:`\tanh(x_t W_{xn} + (r_t \odot h_{t-1}) W_{hn} + b_n)`. Because :math:`b_{hn}`
sits inside the product with :math:`r_t`, the two biases cannot be merged: the GRU keeps
``b_x`` and ``b_h`` apart.

=========  ==========  ==========================================
name       shape       torch.nn.GRU
=========  ==========  ==========================================
``W_x``    (D, 3H)     ``weight_ih_l0.T`` (gates r, z, n)
``W_h``    (H, 3H)     ``weight_hh_l0.T``
``b_x``    (3H,)       ``bias_ih_l0``
``b_h``    (3H,)       ``bias_hh_l0``
=========  ==========  ==========================================

Taught in chapter 6.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from course_rnn._ops import (
    check_not_transposed,
    check_sequence_input,
    check_upstream,
    float_dtype,
    time_major,
)
from course_rnn._time_layer import TimeLayer
from course_rnn._validate import as_array, check_dim, check_shape
from course_rnn.layers import sigmoid

GRU_GATE_ORDER = ("r", "z", "n")
"""Order of the three blocks along the last axis of ``W_x``, ``W_h``, ``b_x``, ``b_h``."""


def check_gru_params(W_x, W_h, b_x, b_h):
    r"""Return the four parameters as arrays after checking their shapes; also H.

    .. math::

        W_x \in \mathbb{R}^{D \times 3H}, \quad W_h \in \mathbb{R}^{H \times 3H}, \quad
        b_x, b_h \in \mathbb{R}^{3H}

    An LSTM's parameters (4H columns) and torch's transposed weights are named as such.
    Used by ``course_rnn.gru`` and ``course_rnn.gru_variants``; taught in chapter 6.
    """
    W_x = as_array("W_x", W_x, 2)
    W_h = as_array("W_h", W_h, 2)
    b_x = as_array("b_x", b_x, 1)
    b_h = as_array("b_h", b_h, 1)
    if W_h.shape[1] == 4 * W_h.shape[0] and W_x.shape[1] == W_h.shape[1]:
        raise ValueError(
            f"W_x {W_x.shape} and W_h {W_h.shape} look like an LSTM's parameters: 4H columns "
            "(i, f, g, o) where a GRU needs 3H (r, z, n)"
        )
    check_not_transposed("W_x", W_x, "W_h", W_h, b_x, 3)
    if W_x.shape[1] % 3:
        raise ValueError(f"W_x has shape {W_x.shape}: its second axis must be 3H (r, z, n)")
    H = W_x.shape[1] // 3
    check_shape("W_h", W_h, (H, 3 * H), f"W_x has shape {W_x.shape}, so H={H}")
    check_dim("b_x", b_x, 0, 3 * H, "W_x", "3H")
    check_dim("b_h", b_h, 0, 3 * H, "W_x", "3H")
    return W_x, W_h, b_x, b_h, H


# ----------------------------------------------------------------------------- one step


@dataclass
class GRUStepCache:
    """What ``gru_step_backward`` needs from ``gru_step_forward``."""

    x_t: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    gates: np.ndarray  # (N, 3H): r, z, n after their activations
    hn: np.ndarray  # (N, H): h_prev W_hn + b_hn
    W_x: np.ndarray  # (D, 3H)
    W_h: np.ndarray  # (H, 3H)


class GRUStepGrads(NamedTuple):
    """Gradients of one GRU step."""

    dx_t: np.ndarray  # (N, D)
    dh_prev: np.ndarray  # (N, H)
    dW_x: np.ndarray  # (D, 3H)
    dW_h: np.ndarray  # (H, 3H)
    db_x: np.ndarray  # (3H,)
    db_h: np.ndarray  # (3H,)


def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    r"""One GRU step (PyTorch's equations, see the module docstring).

    .. math::

        [r_t | z_t] = \sigma\bigl([x_t W_x + b_x]_{rz} + [h_{t-1} W_h + b_h]_{rz}\bigr), \\
        n_t = \tanh\bigl([x_t W_x + b_x]_n + r_t \odot [h_{t-1} W_h + b_h]_n\bigr), \quad
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    Parameters
    ----------
    x_t : ndarray, shape (N, D)
    h_prev : ndarray, shape (N, H)
    W_x : ndarray, shape (D, 3H)
    W_h : ndarray, shape (H, 3H)
    b_x, b_h : ndarray, shape (3H,)
        Blocks in the order r, z, n.

    Returns
    -------
    h_next : ndarray, shape (N, H)
    cache : GRUStepCache

    Notes
    -----
    torch: ``torch.nn.GRUCell(D, H)(x_t, h_prev)`` with ``W_x = weight_ih.T``,
    ``W_h = weight_hh.T``, ``b_x = bias_ih``, ``b_h = bias_hh``.

    Taught in chapter 6.
    """
    W_x, W_h, b_x, b_h, H = check_gru_params(W_x, W_h, b_x, b_h)
    x_t = as_array("x_t", x_t, 2)
    h_prev = as_array("h_prev", h_prev, 2)
    check_dim("x_t", x_t, 1, W_x.shape[0], "W_x", "D")
    check_dim("h_prev", h_prev, 1, H, "W_h", "H")
    check_dim("h_prev", h_prev, 0, x_t.shape[0], "x_t", "N")

    gates = x_t @ W_x + b_x  # (N, 3H)
    ah = h_prev @ W_h + b_h  # (N, 3H)
    r, z, n = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    sigmoid(gates[:, : 2 * H] + ah[:, : 2 * H], out=gates[:, : 2 * H])  # r, z
    hn = ah[:, 2 * H :]  # (N, H)
    np.tanh(n + r * hn, out=n)
    h_next = (1 - z) * n + z * h_prev  # (N, H)
    return h_next, GRUStepCache(x_t, h_prev, gates, hn, W_x, W_h)


def _gru_deltas(dax, dah, dh_t, gates, hn, h_prev):
    r"""Write :math:`\delta a^x = [\delta a_r | \delta a_z | \delta a_n]` into ``dax`` and
    :math:`\delta a^h = [\delta a_r | \delta a_z | \delta a_n \odot r_t]` into ``dah``.

    ``hn`` (N, H) is :math:`h_{t-1} W_{hn} + b_{hn}`; the equations are those of
    ``gru_step_backward``.
    """
    H = h_prev.shape[1]
    r, z, n = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]  # (N, H) each
    da_r, da_z, da_n = dax[:, :H], dax[:, H : 2 * H], dax[:, 2 * H :]  # views, written
    np.multiply(dh_t * (1 - z), 1 - n * n, out=da_n)  # delta a_n
    np.multiply(dh_t * (h_prev - n), z * (1 - z), out=da_z)  # delta a_z
    np.multiply(da_n * hn, r * (1 - r), out=da_r)  # delta a_r
    dah[:, : 2 * H] = dax[:, : 2 * H]
    np.multiply(da_n, r, out=dah[:, 2 * H :])  # delta a_n * r: the reset gate's product


def gru_step_backward(dh_next, cache: GRUStepCache) -> GRUStepGrads:
    r"""Backward pass of one GRU step.

    With :math:`a^x` and :math:`a^h` the two (N, 3H) products :math:`x_t W_x + b_x`
    and :math:`h_{t-1} W_h + b_h`:

    .. math::

        \delta a_n &= \delta h_t \odot (1 - z_t) \odot (1 - n_t^2), \quad
        \delta a_z = \delta h_t \odot (h_{t-1} - n_t) \odot z_t (1 - z_t), \\
        \delta a_r &= \delta a_n \odot a^h_n \odot r_t (1 - r_t), \\
        \delta a^x &= [\delta a_r | \delta a_z | \delta a_n], \quad
        \delta a^h = [\delta a_r | \delta a_z | \delta a_n \odot r_t], \\
        \delta h_{t-1} &= \delta h_t \odot z_t + \delta a^h W_h^\top, \quad
        \delta x_t = \delta a^x W_x^\top

    Parameters
    ----------
    dh_next : ndarray, shape (N, H)
    cache : GRUStepCache

    Returns
    -------
    GRUStepGrads
        ``dx_t`` (N, D), ``dh_prev`` (N, H), ``dW_x`` (D, 3H), ``dW_h`` (H, 3H),
        ``db_x`` (3H,), ``db_h`` (3H,).

    Notes
    -----
    torch: autograd through ``torch.nn.GRUCell``. Taught in chapter 6.
    """
    dh_next = as_array("dh_next", dh_next, 2)
    check_shape("dh_next", dh_next, cache.h_prev.shape, "the shape of h_next")
    H = cache.h_prev.shape[1]
    z = cache.gates[:, H : 2 * H]
    dax, dah = np.empty_like(cache.gates), np.empty_like(cache.gates)  # (N, 3H) each
    _gru_deltas(dax, dah, dh_next, cache.gates, cache.hn, cache.h_prev)
    return GRUStepGrads(
        dx_t=dax @ cache.W_x.T,  # (N, D)
        dh_prev=dh_next * z + dah @ cache.W_h.T,  # (N, H)
        dW_x=cache.x_t.T @ dax,  # (D, 3H)
        dW_h=cache.h_prev.T @ dah,  # (H, 3H)
        db_x=dax.sum(axis=0),  # (3H,)
        db_h=dah.sum(axis=0),  # (3H,)
    )


# ----------------------------------------------------------------------------- a sequence


@dataclass
class GRUCache:
    """What ``gru_backward`` needs from ``gru_forward``, time-major.

    ``hs_tm[t]`` is :math:`h_t` (``hs_tm[0]`` the initial state); ``gates_tm[t]``
    (r, z, n) and ``ah_tm[t]`` (:math:`h_{t} W_h + b_h`) belong to step t + 1.
    """

    xs_tm: np.ndarray  # (T, N, D)
    hs_tm: np.ndarray  # (T + 1, N, H)
    gates_tm: np.ndarray  # (T, N, 3H)
    ah_tm: np.ndarray  # (T, N, 3H)
    W_x: np.ndarray  # (D, 3H)
    W_h: np.ndarray  # (H, 3H)


class GRUGrads(NamedTuple):
    """Gradients of a whole GRU sequence."""

    dxs: np.ndarray  # (N, T, D)
    dh0: np.ndarray  # (N, H)
    dW_x: np.ndarray  # (D, 3H)
    dW_h: np.ndarray  # (H, 3H)
    db_x: np.ndarray  # (3H,)
    db_h: np.ndarray  # (3H,)


def gru_forward(xs, h0, W_x, W_h, b_x, b_h):
    r"""Run the GRU over a whole sequence.

    .. math::

        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}, \qquad t = 1, \dots, T

    (gates as in ``gru_step_forward``). :math:`x_t W_x + b_x` is computed for all steps
    in one matrix product before the loop.

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H), or None
        Initial state (zeros if None).
    W_x : ndarray, shape (D, 3H)
    W_h : ndarray, shape (H, 3H)
    b_x, b_h : ndarray, shape (3H,)

    Returns
    -------
    hs : ndarray, shape (N, T, H)
        A view of the cache (do not write into it).
    h_last : ndarray, shape (N, H)
    cache : GRUCache

    Notes
    -----
    torch: ``hs, h_n = torch.nn.GRU(D, H, batch_first=True)(xs, h0[None])``.

    Taught in chapter 6.
    """
    W_x, W_h, b_x, b_h, H = check_gru_params(W_x, W_h, b_x, b_h)
    D = W_x.shape[0]
    xs, h0 = check_sequence_input(xs, h0, D, H, "W_x", "W_h")
    N, T, _ = xs.shape
    dtype = float_dtype(xs, W_x, W_h, b_x, b_h)

    xs_tm = time_major(xs).astype(dtype, copy=False)  # (T, N, D)
    hs_tm = np.empty((T + 1, N, H), dtype=dtype)
    hs_tm[0] = 0 if h0 is None else h0
    gates_tm = (xs_tm.reshape(T * N, D) @ W_x).reshape(T, N, 3 * H)  # (T, N, 3H)
    gates_tm += b_x
    ah_tm = np.empty((T, N, 3 * H), dtype=dtype)  # h_{t-1} W_h + b_h of every step
    for t in range(T):
        gates, ah = gates_tm[t], ah_tm[t]  # (N, 3H) each
        np.matmul(hs_tm[t], W_h, out=ah)
        ah += b_h
        rz = gates[:, : 2 * H]
        rz += ah[:, : 2 * H]
        sigmoid(rz, out=rz)  # r_t, z_t
        r, z, n = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
        n += r * ah[:, 2 * H :]
        np.tanh(n, out=n)  # n_t
        h = hs_tm[t + 1]
        np.subtract(hs_tm[t], n, out=h)
        h *= z
        h += n  # h_t = n + z * (h_{t-1} - n) = (1 - z) * n + z * h_{t-1}
    cache = GRUCache(xs_tm, hs_tm, gates_tm, ah_tm, W_x, W_h)
    return hs_tm[1:].swapaxes(0, 1), hs_tm[T].copy(), cache


def gru_backward(dhs, cache: GRUCache, dh_last=None) -> GRUGrads:
    r"""Backpropagation through time for ``gru_forward``.

    For :math:`t = T, \dots, 1`, with :math:`\delta h_t` the sum of the gradient from
    the layer above and the one from step :math:`t + 1`, the deltas of
    ``gru_step_backward``:

    .. math::

        \delta a_n &= \delta h_t \odot (1 - z_t) \odot (1 - n_t^2), \quad
        \delta a_z = \delta h_t \odot (h_{t-1} - n_t) \odot z_t (1 - z_t), \\
        \delta a_r &= \delta a_n \odot a^h_n \odot r_t (1 - r_t), \quad
        \delta h_{t-1} = \delta h_t \odot z_t + \delta a^h_t W_h^\top

    and after the loop, one matrix product each:
    :math:`\delta W_x = \sum_t x_t^\top \delta a^x_t`,
    :math:`\delta W_h = \sum_t h_{t-1}^\top \delta a^h_t`,
    :math:`\delta x_t = \delta a^x_t W_x^\top`.

    Parameters
    ----------
    dhs : ndarray, shape (N, T, H), or None
        Gradient with respect to every ``hs[:, t]`` (None: zeros).
    cache : GRUCache
    dh_last : ndarray, shape (N, H), or None
        Gradient with respect to ``h_last`` (None: zeros).

    Returns
    -------
    GRUGrads
        ``dxs`` (N, T, D), ``dh0`` (N, H), ``dW_x`` (D, 3H), ``dW_h`` (H, 3H),
        ``db_x`` (3H,), ``db_h`` (3H,).

    Notes
    -----
    torch: ``loss.backward()`` through ``torch.nn.GRU``. Taught in chapter 6.
    """
    xs_tm, hs_tm, gates_tm = cache.xs_tm, cache.hs_tm, cache.gates_tm
    T, N, D = xs_tm.shape
    H = hs_tm.shape[2]
    dtype = hs_tm.dtype
    dhs = check_upstream("dhs", dhs, (N, T, H), dtype, zeros=False)
    dhs_tm = None if dhs is None else time_major(dhs)  # (T, N, H)
    dh = check_upstream("dh_last", dh_last, (N, H), dtype).astype(dtype)

    # The local derivatives of every step at once (three products each, over (T, N, H)):
    # delta a_n = delta h * (1 - z)(1 - n^2), delta a_z = delta h * (h_prev - n) z (1 - z),
    # delta a_r = delta a_n * a^h_n r (1 - r), so that the loop is left with the products
    # by delta h that must wait for it.
    r, z, n = gates_tm[..., :H], gates_tm[..., H : 2 * H], gates_tm[..., 2 * H :]
    dn_local = (1 - z) * (1 - n * n)  # (T, N, H)
    dz_local = (hs_tm[:-1] - n) * z * (1 - z)
    dr_local = cache.ah_tm[..., 2 * H :] * r * (1 - r)

    dax_tm = np.empty((T, N, 3 * H), dtype=dtype)  # delta a^x of every step
    dah_tm = np.empty((T, N, 3 * H), dtype=dtype)  # delta a^h of every step
    W_h_T = np.ascontiguousarray(cache.W_h.T)  # (3H, H); contiguous: faster products
    for t in range(T - 1, -1, -1):
        dh_t = dh if dhs_tm is None else dh + dhs_tm[t]  # delta h_t
        dax, dah = dax_tm[t], dah_tm[t]
        da_n = np.multiply(dh_t, dn_local[t], out=dax[:, 2 * H :])  # delta a_n
        np.multiply(dh_t, dz_local[t], out=dax[:, H : 2 * H])  # delta a_z
        np.multiply(da_n, dr_local[t], out=dax[:, :H])  # delta a_r
        dah[:, : 2 * H] = dax[:, : 2 * H]
        np.multiply(da_n, r[t], out=dah[:, 2 * H :])  # delta a_n * r: the reset gate's product
        dh_direct = dh_t * z[t]  # the path h_{t-1} -> z * h_{t-1}
        np.matmul(dah, W_h_T, out=dh)  # (N, H); dh_t may be dh itself, used up above
        dh += dh_direct  # delta h_{t-1}

    dax_2d = dax_tm.reshape(T * N, 3 * H)  # (T*N, 3H)
    dah_2d = dah_tm.reshape(T * N, 3 * H)  # (T*N, 3H)
    return GRUGrads(
        dxs=(dax_2d @ cache.W_x.T).reshape(T, N, D).swapaxes(0, 1),  # (N, T, D)
        dh0=dh,
        dW_x=xs_tm.reshape(T * N, D).T @ dax_2d,  # (D, 3H)
        dW_h=hs_tm[:-1].reshape(T * N, H).T @ dah_2d,  # (H, 3H)
        db_x=dax_2d.sum(axis=0),  # (3H,)
        db_h=dah_2d.sum(axis=0),  # (3H,)
    )


# ----------------------------------------------------------------------------- the layer


def init_gru_params(D: int, H: int, rng: np.random.Generator, dtype=np.float64) -> dict:
    r"""Random ``{"W_x": (D, 3H), "W_h": (H, 3H), "b_x": (3H,), "b_h": (3H,)}`` like torch.

    .. math::

        W_x, W_h, b_x, b_h \sim U\bigl(-1/\sqrt{H},\, 1/\sqrt{H}\bigr)

    torch: ``nn.GRU(D, H).reset_parameters()``. Taught in chapter 6.
    """
    k = 1.0 / np.sqrt(H)
    return {
        "W_x": rng.uniform(-k, k, (D, 3 * H)).astype(dtype),
        "W_h": rng.uniform(-k, k, (H, 3 * H)).astype(dtype),
        "b_x": rng.uniform(-k, k, 3 * H).astype(dtype),
        "b_h": rng.uniform(-k, k, 3 * H).astype(dtype),
    }


class TimeGRU(TimeLayer):
    r"""The Time GRU layer: ``gru_forward``/``gru_backward`` with parameters and state.

    .. math::

        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    ``params``/``grads``: ``"W_x"`` (D, 3H), ``"W_h"`` (H, 3H), ``"b_x"`` (3H,),
    ``"b_h"`` (3H,). ``forward(xs)`` maps (N, T, D) to (N, T, H); ``backward(dhs)``
    returns ``dxs``. ``stateful=True`` carries ``h`` between calls (truncated BPTT). The
    plumbing is ``course_rnn._time_layer.TimeLayer``'s.

    torch: ``torch.nn.GRU(D, H, batch_first=True)``. Taught in chapter 6.
    """

    def __init__(self, W_x, W_h, b_x, b_h, stateful: bool = False):
        W_x, W_h, b_x, b_h, _ = check_gru_params(W_x, W_h, b_x, b_h)
        super().__init__({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, stateful)

    def _run(self, xs, h0):
        return gru_forward(xs, h0, **self.params)

    def _grad(self, dhs, cache):
        return gru_backward(dhs, cache)
