r"""The other textbook GRU (Cho et al., 2014), next to PyTorch's (the cell is drawn by
``course_rnn.figures.gru``).

``course_rnn.gru`` follows PyTorch: the reset gate multiplies the recurrent product
*after* it is computed, bias included. Cho et al. (2014) and many textbooks apply it to
the state *before* the product. With the same parameters (``W_x`` (D, 3H), ``W_h``
(H, 3H), ``b_x``, ``b_h`` (3H,), blocks r, z, n) the two candidates are

.. math::

    n_t^{\text{torch}} &= \tanh\bigl(x_t W_{xn} + b_{xn}
                          + r_t \odot (h_{t-1} W_{hn} + b_{hn})\bigr) \\
    n_t^{\text{Cho}} &= \tanh\bigl(x_t W_{xn} + b_{xn} + (r_t \odot h_{t-1}) W_{hn} + b_{hn}\bigr)

and everything else (:math:`r_t`, :math:`z_t`, :math:`h_t = (1 - z_t) \odot n_t + z_t
\odot h_{t-1}`) is the same. Their pre-activations differ by

.. math::

    \Delta = h_{t-1} \bigl(W_{hn}\,\mathrm{diag}(r_t) - \mathrm{diag}(r_t)\,W_{hn}\bigr)
             + (r_t - 1) \odot b_{hn},

whose :math:`(i, j)` matrix entry is :math:`W_{hn,ij}(r_j - r_i)`: the forms agree when
:math:`r_t = 1`, or when :math:`b_{hn} = 0` and either :math:`h_{t-1} = 0` or all units
share one reset value (or :math:`W_{hn}` is diagonal).

torch has no module for the Cho form (``torch.nn.GRU`` is the other one); the tests build
it from tensor operations and compare with autograd. Taught in chapter 6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_rnn._ops import check_sequence_input, check_upstream
from course_rnn._validate import as_array, check_dim, check_shape
from course_rnn.gru import GRUGrads, GRUStepGrads, check_gru_params
from course_rnn.layers import sigmoid


@dataclass
class ChoGRUStepCache:
    """What ``cho_gru_step_backward`` needs from ``cho_gru_step_forward``."""

    x_t: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    gates: np.ndarray  # (N, 3H): r, z, n after their activations
    W_x: np.ndarray  # (D, 3H)
    W_h: np.ndarray  # (H, 3H)


# The Cho form has the same parameters as PyTorch's, so its gradients have the same fields.
ChoGRUStepGrads = GRUStepGrads
ChoGRUGrads = GRUGrads


def cho_gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    r"""One step of the GRU of Cho et al. (2014): reset gate applied before the product.

    .. math::

        r_t &= \sigma(x_t W_{xr} + b_{xr} + h_{t-1} W_{hr} + b_{hr}), \quad
        z_t = \sigma(x_t W_{xz} + b_{xz} + h_{t-1} W_{hz} + b_{hz}) \\
        n_t &= \tanh\bigl(x_t W_{xn} + b_{xn} + (r_t \odot h_{t-1}) W_{hn} + b_{hn}\bigr), \quad
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    Parameters
    ----------
    x_t : ndarray, shape (N, D)
    h_prev : ndarray, shape (N, H)
    W_x : ndarray, shape (D, 3H)
    W_h : ndarray, shape (H, 3H)
    b_x, b_h : ndarray, shape (3H,)
        Blocks r, z, n, as in ``course_rnn.gru`` (the same parameters fit both forms).

    Returns
    -------
    h_next : ndarray, shape (N, H)
    cache : ChoGRUStepCache

    Notes
    -----
    torch has no module for this form: ``torch.nn.GRUCell`` computes the other one
    (``course_rnn.gru.gru_step_forward``). Taught in chapter 6.
    """
    W_x, W_h, b_x, b_h, H = check_gru_params(W_x, W_h, b_x, b_h)
    x_t = as_array("x_t", x_t, 2)
    h_prev = as_array("h_prev", h_prev, 2)
    check_dim("x_t", x_t, 1, W_x.shape[0], "W_x", "D")
    check_dim("h_prev", h_prev, 1, H, "W_h", "H")
    check_dim("h_prev", h_prev, 0, x_t.shape[0], "x_t", "N")

    gates = x_t @ W_x + b_x  # (N, 3H)
    gates[:, : 2 * H] += h_prev @ W_h[:, : 2 * H] + b_h[: 2 * H]
    sigmoid(gates[:, : 2 * H], out=gates[:, : 2 * H])  # r, z
    r, z, n = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    np.tanh(n + (r * h_prev) @ W_h[:, 2 * H :] + b_h[2 * H :], out=n)  # (N, H)
    h_next = (1 - z) * n + z * h_prev  # (N, H)
    return h_next, ChoGRUStepCache(x_t, h_prev, gates, W_x, W_h)


def cho_gru_step_backward(dh_next, cache: ChoGRUStepCache) -> ChoGRUStepGrads:
    r"""Backward pass of ``cho_gru_step_forward``.

    .. math::

        \delta a_n &= \delta h_t \odot (1 - z_t) \odot (1 - n_t^2), \quad
        \delta a_z = \delta h_t \odot (h_{t-1} - n_t) \odot z_t (1 - z_t), \\
        \delta s &= \delta a_n W_{hn}^\top \;\; (s = r_t \odot h_{t-1}), \quad
        \delta a_r = \delta s \odot h_{t-1} \odot r_t (1 - r_t), \\
        \delta h_{t-1} &= \delta h_t \odot z_t + [\delta a_r | \delta a_z] W_{h,rz}^\top
                         + \delta s \odot r_t, \\
        \delta W_{h,rz} &= h_{t-1}^\top [\delta a_r | \delta a_z], \quad
        \delta W_{hn} = s^\top \delta a_n, \quad
        \delta b_h = \delta b_x = \textstyle\sum_n [\delta a_r | \delta a_z | \delta a_n]

    Parameters
    ----------
    dh_next : ndarray, shape (N, H)
    cache : ChoGRUStepCache

    Returns
    -------
    ChoGRUStepGrads
        ``dx_t`` (N, D), ``dh_prev`` (N, H), ``dW_x`` (D, 3H), ``dW_h`` (H, 3H),
        ``db_x`` (3H,), ``db_h`` (3H,).

    Notes
    -----
    torch: autograd through the same expression written with tensors (see the tests).
    Taught in chapter 6.
    """
    dh_next = as_array("dh_next", dh_next, 2)
    check_shape("dh_next", dh_next, cache.h_prev.shape, "the shape of h_next")
    h_prev, gates, W_h = cache.h_prev, cache.gates, cache.W_h
    H = h_prev.shape[1]
    r, z, n = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]  # (N, H) each
    da_n = dh_next * (1 - z) * (1 - n * n)  # (N, H)
    da_z = dh_next * (h_prev - n) * z * (1 - z)  # (N, H)
    ds = da_n @ W_h[:, 2 * H :].T  # (N, H): gradient of s = r * h_prev
    da_r = ds * h_prev * r * (1 - r)  # (N, H)
    dax = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H)
    dW_h = np.empty_like(W_h)  # (H, 3H)
    dW_h[:, : 2 * H] = h_prev.T @ dax[:, : 2 * H]
    dW_h[:, 2 * H :] = (r * h_prev).T @ da_n
    dh_prev = dh_next * z + dax[:, : 2 * H] @ W_h[:, : 2 * H].T + ds * r  # (N, H)
    db = dax.sum(axis=0)  # (3H,)
    return ChoGRUStepGrads(
        dx_t=dax @ cache.W_x.T,  # (N, D)
        dh_prev=dh_prev,
        dW_x=cache.x_t.T @ dax,  # (D, 3H)
        dW_h=dW_h,
        db_x=db,
        db_h=db.copy(),
    )


def cho_gru_forward(xs, h0, W_x, W_h, b_x, b_h):
    r"""Run the Cho GRU over a sequence (``cho_gru_step_forward`` at every step).

    .. math::

        h_t = (1 - z_t) \odot \tanh\bigl(x_t W_{xn} + b_{xn} + (r_t \odot h_{t-1}) W_{hn}
        + b_{hn}\bigr) + z_t \odot h_{t-1}, \qquad t = 1, \dots, T

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H), or None (zeros)
    W_x, W_h, b_x, b_h : as in ``cho_gru_step_forward``

    Returns
    -------
    hs : ndarray, shape (N, T, H)
    h_last : ndarray, shape (N, H)
    caches : list of ChoGRUStepCache, one per step

    Notes
    -----
    torch: no module (``torch.nn.GRU`` is the other form). Taught in chapter 6.
    """
    W_x, W_h, b_x, b_h, H = check_gru_params(W_x, W_h, b_x, b_h)
    xs, h0 = check_sequence_input(xs, h0, W_x.shape[0], H, "W_x", "W_h")
    N, T, _ = xs.shape
    h = np.zeros((N, H), dtype=np.result_type(xs, W_x, np.float32)) if h0 is None else h0
    hs = np.empty((N, T, H), dtype=h.dtype)  # (N, T, H)
    caches = []
    for t in range(T):
        h, cache = cho_gru_step_forward(xs[:, t], h, W_x, W_h, b_x, b_h)
        hs[:, t] = h
        caches.append(cache)
    return hs, h.copy(), caches


def cho_gru_backward(dhs, caches, dh_last=None) -> ChoGRUGrads:
    r"""Backpropagation through time for ``cho_gru_forward``.

    .. math::

        \delta h_{t-1} = \delta h_t \odot z_t + [\delta a_r | \delta a_z] W_{h,rz}^\top
        + (\delta a_n W_{hn}^\top) \odot r_t, \qquad
        \delta W = \sum_t \delta W^{(t)}

    with the step gradients of ``cho_gru_step_backward``, :math:`\delta h_t` the sum of
    ``dhs[:, t]`` and the gradient from step :math:`t + 1`.

    Parameters
    ----------
    dhs : ndarray, shape (N, T, H), or None (zeros)
    caches : list of ChoGRUStepCache
    dh_last : ndarray, shape (N, H), or None (zeros)

    Returns
    -------
    ChoGRUGrads
        ``dxs`` (N, T, D), ``dh0`` (N, H), ``dW_x``, ``dW_h``, ``db_x``, ``db_h``.

    Notes
    -----
    torch: ``loss.backward()`` through the tensor expression. Taught in chapter 6.
    """
    T = len(caches)
    N, H = caches[0].h_prev.shape
    D = caches[0].x_t.shape[1]
    dtype = caches[0].gates.dtype
    dhs = check_upstream("dhs", dhs, (N, T, H), dtype, zeros=False)
    dh = check_upstream("dh_last", dh_last, (N, H), dtype).astype(dtype)
    dxs = np.empty((N, T, D), dtype=dtype)  # (N, T, D)
    totals = {k: np.zeros_like(getattr(caches[0], k)) for k in ("W_x", "W_h")}
    db_x = np.zeros(3 * H, dtype=dtype)
    db_h = np.zeros(3 * H, dtype=dtype)
    for t in range(T - 1, -1, -1):
        dh_t = dh if dhs is None else dh + dhs[:, t]
        g = cho_gru_step_backward(dh_t, caches[t])
        dxs[:, t] = g.dx_t
        dh = g.dh_prev
        totals["W_x"] += g.dW_x
        totals["W_h"] += g.dW_h
        db_x += g.db_x
        db_h += g.db_h
    return ChoGRUGrads(dxs, dh, totals["W_x"], totals["W_h"], db_x, db_h)


def candidate_gap(h_prev, r, W_hn, b_hn):
    r"""Pre-activation of PyTorch's candidate minus that of Cho's, on the same weights.

    .. math::

        \Delta = r \odot (h_{t-1} W_{hn} + b_{hn}) - \bigl((r \odot h_{t-1}) W_{hn} + b_{hn}\bigr)
               = h_{t-1}\bigl(W_{hn}\,\mathrm{diag}(r) - \mathrm{diag}(r)\,W_{hn}\bigr)
               + (r - 1) \odot b_{hn}

    Parameters
    ----------
    h_prev : ndarray, shape (N, H)
    r : ndarray, shape (N, H)
        Reset gate values.
    W_hn : ndarray, shape (H, H)
    b_hn : ndarray, shape (H,)

    Returns
    -------
    ndarray, shape (N, H)
        Computed from the right-hand side (the commutator form), so that a chapter can
        compare it with the difference of the two forward passes. Taught in chapter 6.
    """
    h_prev, r = np.asarray(h_prev), np.asarray(r)
    out = np.empty(np.broadcast_shapes(h_prev.shape, r.shape), dtype=np.result_type(h_prev, r))
    for i in range(out.shape[0]):
        R = np.diag(r[i])  # (H, H)
        out[i] = h_prev[i] @ (W_hn @ R - R @ W_hn) + (r[i] - 1) * b_hn
    return out
