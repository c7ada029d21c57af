r"""The LSTM layer: one step, a whole sequence, and ``TimeLSTM``.

.. math::

    i_t &= \sigma(x_t W_{xi} + h_{t-1} W_{hi} + b_i) \qquad
    f_t  = \sigma(x_t W_{xf} + h_{t-1} W_{hf} + b_f) \\
    g_t &= \tanh(x_t W_{xg} + h_{t-1} W_{hg} + b_g) \qquad
    o_t  = \sigma(x_t W_{xo} + h_{t-1} W_{ho} + b_o) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \qquad
    h_t  = o_t \odot \tanh(c_t)

The four gates are fused: ``W_x`` (D, 4H) is :math:`[W_{xi} | W_{xf} | W_{xg} | W_{xo}]`,
``W_h`` (H, 4H) and ``b`` (4H,) likewise, in PyTorch's order ``GATE_ORDER = (i, f, g, o)``,
so that one matrix product gives all four pre-activations ``A`` (N, 4H).

=========  ==========  ==========================================
name       shape       torch.nn.LSTM
=========  ==========  ==========================================
``W_x``    (D, 4H)     ``weight_ih_l0.T``
``W_h``    (H, 4H)     ``weight_hh_l0.T``
``b``      (4H,)       ``bias_ih_l0 + bias_hh_l0``
=========  ==========  ==========================================

Taught in chapter 5. The backward pass follows the lecture notation: :math:`\delta c_t`,
then :math:`\delta o_t, \delta i_t, \delta f_t, \delta g_t` (with respect to the gates'
pre-activations), then :math:`\delta W_x, \delta W_h, \delta b`.
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

GATE_ORDER = ("i", "f", "g", "o")
"""Order of the four gates along the last axis of ``W_x``, ``W_h``, ``b`` (PyTorch's)."""


def _tanh_gate_mask(H: int, dtype) -> np.ndarray:
    """(4H,) vector: 1 on the columns of g (the tanh gate), 0 on the sigmoid gates i, f, o."""
    m = np.zeros(4 * H, dtype=dtype)
    m[2 * H : 3 * H] = 1
    return m


def _lstm_gates(A: np.ndarray, H: int) -> tuple[np.ndarray, ...]:
    """Turn pre-activations ``A`` (N, 4H) into gates i, f, g, o in place; return views.

    With the gate order i, f, g, o, the sigmoid gates are columns [0, 2H) and [3H, 4H).
    """
    sigmoid(A[:, : 2 * H], out=A[:, : 2 * H])  # i, f
    np.tanh(A[:, 2 * H : 3 * H], out=A[:, 2 * H : 3 * H])  # g
    sigmoid(A[:, 3 * H :], out=A[:, 3 * H :])  # o
    return split_gates(A)


def split_gates(A: np.ndarray) -> tuple[np.ndarray, ...]:
    r"""Views of the four gate blocks of ``A`` (..., 4H), in the order ``GATE_ORDER``.

    .. math::

        A = [A_i \,|\, A_f \,|\, A_g \,|\, A_o], \qquad A_\bullet \in \mathbb{R}^{\dots \times H}

    torch: ``A.chunk(4, dim=-1)``. Taught in chapter 5.
    """
    H = A.shape[-1] // 4
    return A[..., :H], A[..., H : 2 * H], A[..., 2 * H : 3 * H], A[..., 3 * H :]


def _check_lstm_params(W_x, W_h, b):
    """Return ``W_x, W_h, b`` as arrays after checking their shapes; also H."""
    W_x = as_array("W_x", W_x, 2)
    W_h = as_array("W_h", W_h, 2)
    b = as_array("b", b, 1)
    if W_h.shape[1] == 3 * W_h.shape[0] and W_x.shape[1] == W_h.shape[1]:
        raise ValueError(
            f"W_x {W_x.shape} and W_h {W_h.shape} look like a GRU's parameters: 3H columns "
            "(r, z, n) where an LSTM needs 4H (i, f, g, o)"
        )
    check_not_transposed("W_x", W_x, "W_h", W_h, b, 4)
    if W_x.shape[1] % 4:
        raise ValueError(f"W_x has shape {W_x.shape}: its second axis must be 4H (i, f, g, o)")
    H = W_x.shape[1] // 4
    check_shape("W_h", W_h, (H, 4 * H), f"W_x has shape {W_x.shape}, so H={H}")
    check_dim("b", b, 0, 4 * H, "W_x", "4H")
    return W_x, W_h, b, H


# ----------------------------------------------------------------------------- one step


@dataclass
class LSTMStepCache:
    """What ``lstm_step_backward`` needs from ``lstm_step_forward``."""

    x_t: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    c_prev: np.ndarray  # (N, H)
    gates: np.ndarray  # (N, 4H): i, f, g, o after their activations
    tanh_c: np.ndarray  # (N, H): tanh(c_t)
    W_x: np.ndarray  # (D, 4H)
    W_h: np.ndarray  # (H, 4H)


class LSTMStepGrads(NamedTuple):
    """Gradients of one LSTM step."""

    dx_t: np.ndarray  # (N, D)
    dh_prev: np.ndarray  # (N, H)
    dc_prev: np.ndarray  # (N, H)
    dW_x: np.ndarray  # (D, 4H)
    dW_h: np.ndarray  # (H, 4H)
    db: np.ndarray  # (4H,)


def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    r"""One LSTM step.

    .. math::

        [i_t | f_t | g_t | o_t] = [\sigma | \sigma | \tanh | \sigma]
            (x_t W_x + h_{t-1} W_h + b), \\
        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

    Parameters
    ----------
    x_t : ndarray, shape (N, D)
    h_prev : ndarray, shape (N, H)
        Short-term state :math:`h_{t-1}`.
    c_prev : ndarray, shape (N, H)
        Long-term (cell) state :math:`c_{t-1}`.
    W_x : ndarray, shape (D, 4H)
    W_h : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)
        Fused in the order ``GATE_ORDER`` = i, f, g, o.

    Returns
    -------
    h_next : ndarray, shape (N, H)
    c_next : ndarray, shape (N, H)
    cache : LSTMStepCache

    Notes
    -----
    torch: ``h, c = torch.nn.LSTMCell(D, H)(x_t, (h_prev, c_prev))`` with
    ``W_x = weight_ih.T``, ``W_h = weight_hh.T``, ``b = bias_ih + bias_hh``.

    Taught in chapter 5.
    """
    W_x, W_h, b, H = _check_lstm_params(W_x, W_h, b)
    x_t = as_array("x_t", x_t, 2)
    h_prev = as_array("h_prev", h_prev, 2)
    c_prev = as_array("c_prev", c_prev, 2)
    check_dim("x_t", x_t, 1, W_x.shape[0], "W_x", "D")
    check_dim("h_prev", h_prev, 1, H, "W_h", "H")
    check_dim("h_prev", h_prev, 0, x_t.shape[0], "x_t", "N")
    check_shape("c_prev", c_prev, h_prev.shape, "the shape of h_prev")

    A = x_t @ W_x + h_prev @ W_h + b  # (N, 4H)
    i, f, g, o = _lstm_gates(A, H)
    c_next = f * c_prev + i * g  # (N, H)
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c  # (N, H)
    return h_next, c_next, LSTMStepCache(x_t, h_prev, c_prev, A, tanh_c, W_x, W_h)


def _gate_deltas(dA, dh_t, dc_t, gates, c_prev, tanh_c, tanh_mask):
    r"""Write :math:`\delta` of the four gate pre-activations into ``dA`` (N, 4H).

    .. math::

        \delta o_t = \delta h_t \odot \tanh(c_t) \odot o_t (1 - o_t), \quad
        \delta i_t = \delta c_t \odot g_t \odot i_t (1 - i_t), \\
        \delta f_t = \delta c_t \odot c_{t-1} \odot f_t (1 - f_t), \quad
        \delta g_t = \delta c_t \odot i_t \odot (1 - g_t^2)

    Each is (gradient reaching the gate's output) times (derivative of its activation).
    The four derivatives come from one expression over all 4H columns:
    :math:`\sigma' = y (1 - y)` and :math:`\tanh' = (1 - y)(1 + y)` are both
    :math:`(1 - y)(y + m)`, with m = 0 on the sigmoid gates and m = 1 on g
    (``tanh_mask``, from ``_tanh_gate_mask``).
    """
    i, _, g, _ = split_gates(gates)  # (N, H) each
    di, df, dg, do = split_gates(dA)  # views into dA, written in place
    np.multiply(dh_t, tanh_c, out=do)  # dL/do_t
    np.multiply(dc_t, g, out=di)  # dL/di_t
    np.multiply(dc_t, c_prev, out=df)  # dL/df_t
    np.multiply(dc_t, i, out=dg)  # dL/dg_t
    dA *= (1 - gates) * (gates + tanh_mask)  # delta o_t, i_t, f_t, g_t


def lstm_step_backward(dh_next, dc_next, cache: LSTMStepCache) -> LSTMStepGrads:
    r"""Backward pass of one LSTM step, in the lecture's order.

    .. math::

        \delta c_t = \delta h_t \odot o_t \odot (1 - \tanh^2 c_t) + \delta c_t^{\text{next}},

    then :math:`\delta o_t, \delta i_t, \delta f_t, \delta g_t` as in ``lstm_backward``,
    stacked as :math:`\delta A_t` (N, 4H), and

    .. math::

        \delta x_t = \delta A_t W_x^\top, \quad \delta h_{t-1} = \delta A_t W_h^\top, \quad
        \delta c_{t-1} = \delta c_t \odot f_t, \\
        \delta W_x = x_t^\top \delta A_t, \quad \delta W_h = h_{t-1}^\top \delta A_t, \quad
        \delta b = \textstyle\sum_n \delta A_t .

    Parameters
    ----------
    dh_next : ndarray, shape (N, H)
        Gradient with respect to :math:`h_t`.
    dc_next : ndarray, shape (N, H)
        Gradient with respect to :math:`c_t` from outside this step (e.g. step t+1).
    cache : LSTMStepCache

    Returns
    -------
    LSTMStepGrads
        ``dx_t`` (N, D), ``dh_prev`` (N, H), ``dc_prev`` (N, H), ``dW_x`` (D, 4H),
        ``dW_h`` (H, 4H), ``db`` (4H,).

    Notes
    -----
    torch: autograd through ``torch.nn.LSTMCell``. Taught in chapter 5.
    """
    dh_next = as_array("dh_next", dh_next, 2)
    dc_next = as_array("dc_next", dc_next, 2)
    check_shape("dh_next", dh_next, cache.h_prev.shape, "the shape of h_next")
    check_shape("dc_next", dc_next, cache.h_prev.shape, "the shape of c_next")
    _, f, _, o = split_gates(cache.gates)
    dc_t = dh_next * o * (1 - cache.tanh_c**2) + dc_next  # delta c_t
    dA = np.empty_like(cache.gates)  # (N, 4H)
    tanh_mask = _tanh_gate_mask(dA.shape[1] // 4, dA.dtype)
    _gate_deltas(dA, dh_next, dc_t, cache.gates, cache.c_prev, cache.tanh_c, tanh_mask)
    return LSTMStepGrads(
        dx_t=dA @ cache.W_x.T,  # (N, D)
        dh_prev=dA @ cache.W_h.T,  # (N, H)
        dc_prev=dc_t * f,  # (N, H)
        dW_x=cache.x_t.T @ dA,  # (D, 4H)
        dW_h=cache.h_prev.T @ dA,  # (H, 4H)
        db=dA.sum(axis=0),  # (4H,)
    )


# ----------------------------------------------------------------------------- a sequence
#
# How the sequence functions store their arrays. The numbers are those of the row-vector
# equations; the layout is chosen for speed (measured in ``course_rnn.torch_ref.bench``):
#
# - Column vectors inside the loop, chapter 1's column form with the stacked matrix: with
#   W = [W_x; W_h; b] (D+H+1, 4H) and the stacked column z_t = [x_t; h_{t-1}; 1] (D+H+1, N)
#   of the batch, one product W^T z_t gives A_t^T (4H, N), the transpose of
#   x_t W_x + h_{t-1} W_h + b (the 1 in z_t carries the bias). In A_t^T each gate is a block
#   of H contiguous rows, so an elementwise operation on a gate reads one piece of memory,
#   and OpenBLAS runs this orientation of the product faster (94 against 77 GFLOP/s for
#   the step of (N, D, H) = (64, 128, 256) in float32 on the benchmark machine).
# - The columns of all steps sit side by side in ``zs`` (D+H+1, T+1, N), so that
#   zs[:, :T] is one (D+H+1, T*N) matrix and the backward's dW_x, dW_h, db are one product.
# - One tanh call for the four gates: sigma(a) = (1 + tanh(a/2)) / 2, with the sigmoid
#   gates' rows of W^T halved.
# - The backward computes before its loop, for all steps at once, every factor of the
#   deltas that does not depend on the gradient coming back; the loop only carries
#   delta h and delta c. Per step the loop makes 7 numpy calls and the forward 9, which
#   is what counts at small sizes, where each call costs about a microsecond.


@dataclass
class LSTMCache:
    r"""What ``lstm_backward`` needs from ``lstm_forward``, as columns (see above).

    Index t of the loop is step t + 1 of the equations: it reads ``zs[:, t]``
    (:math:`x_{t+1}`, :math:`h_t`, 1) and ``cs[t]`` (:math:`c_t`), and writes its gates
    to ``gates[t]``, :math:`c_{t+1}` to ``cs[t + 1]``, :math:`\tanh c_{t+1}` to
    ``tanh_cs[t]`` and :math:`h_{t+1}` to ``zs[D:D+H, t + 1]``.
    """

    zs: np.ndarray  # (D + H + 1, T + 1, N): the columns [x_t; h_{t-1}; 1]
    cs: np.ndarray  # (T + 1, H, N): c_t as columns (cs[0]: the initial state)
    gates: np.ndarray  # (T, 4, H, N): i, f, g, o of every step, as columns
    tanh_cs: np.ndarray  # (T, H, N): tanh(c_t) of every step
    W_x: np.ndarray  # (D, 4H)
    W_h: np.ndarray  # (H, 4H)


class LSTMGrads(NamedTuple):
    """Gradients of a whole LSTM sequence."""

    dxs: np.ndarray  # (N, T, D)
    dh0: np.ndarray  # (N, H)
    dc0: np.ndarray  # (N, H)
    dW_x: np.ndarray  # (D, 4H)
    dW_h: np.ndarray  # (H, 4H)
    db: np.ndarray  # (4H,)


def _sigmoid_rows(dtype) -> np.ndarray:
    """(4, 1, 1): 0.5 for the sigmoid gates i, f, o, 1 for the tanh gate g."""
    return np.array([0.5, 0.5, 1.0, 0.5], dtype=dtype).reshape(4, 1, 1)


def lstm_forward(xs, h0, c0, W_x, W_h, b):
    r"""Run the LSTM over a whole sequence.

    .. math::

        [i_t | f_t | g_t | o_t] = [\sigma | \sigma | \tanh | \sigma]
            (x_t W_x + h_{t-1} W_h + b), \\
        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

    The loop works with columns (chapter 1): :math:`A_t^\top = W^\top z_t` with
    :math:`W = [W_x; W_h; b]` and :math:`z_t = [x_t; h_{t-1}; 1]`, the same numbers
    transposed (the comment above ``LSTMCache`` says why).

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
    h0, c0 : ndarray, shape (N, H), or None
        Initial states (zeros if None).
    W_x : ndarray, shape (D, 4H)
    W_h : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)

    Returns
    -------
    hs : ndarray, shape (N, T, H)
        A view of the cache (do not write into it).
    (h_last, c_last) : tuple of ndarrays, shape (N, H)
        Final states (copies), like torch's ``(h_n, c_n)``.
    cache : LSTMCache

    Notes
    -----
    torch: ``hs, (h_n, c_n) = torch.nn.LSTM(D, H, batch_first=True)(xs, (h0[None], c0[None]))``.

    Taught in chapter 5.
    """
    W_x, W_h, b, H = _check_lstm_params(W_x, W_h, b)
    D = W_x.shape[0]
    xs, h0 = check_sequence_input(xs, h0, D, H, "W_x", "W_h")
    _, c0 = check_sequence_input(xs, c0, D, H, "W_x", "W_h", name_h0="c0")
    N, T, _ = xs.shape
    dtype = float_dtype(xs, W_x, W_h, b)
    K = D + H + 1

    # sigma(a) = (1 + tanh(a / 2)) / 2: with the rows of i, f, o in W^T halved, one tanh
    # call covers the four gates, and u = tanh(.) becomes half * u + (1 - half).
    half = _sigmoid_rows(dtype)  # (4, 1, 1)
    offset = 1 - half  # (4, 1, 1)
    W_T = np.concatenate([W_x, W_h, b[None]]).T.reshape(4, H, K) * half  # (4, H, D+H+1)
    W_T = W_T.reshape(4 * H, K).astype(dtype, copy=False)  # W^T, contiguous, rows halved

    zs = np.empty((K, T + 1, N), dtype=dtype)  # z_t = [x_t; h_{t-1}; 1] of every step
    zs[:D, :T] = time_major(xs).transpose(2, 0, 1)  # x_t as columns: (D, T, N)
    zs[:D, T] = 0  # there is no x_{T+1}: this last column only holds h_T
    zs[D : D + H, 0] = 0 if h0 is None else h0.T  # h_0
    zs[D + H] = 1  # the bias row
    cs = np.empty((T + 1, H, N), dtype=dtype)
    cs[0] = 0 if c0 is None else c0.T
    gates = np.empty((T, 4, H, N), dtype=dtype)
    tanh_cs = np.empty((T, H, N), dtype=dtype)
    ig = np.empty((H, N), dtype=dtype)  # i * g, reused at every step
    for t in range(T):
        A = gates[t]  # (4, H, N)
        np.matmul(W_T, zs[:, t], out=A.reshape(4 * H, N))  # A_t^T = W^T z_t (i, f, o halved)
        np.tanh(A, out=A)
        A *= half
        A += offset  # A now holds the gates i, f, g, o
        i, f, g, o = A  # (H, N) each
        c, tanh_c = cs[t + 1], tanh_cs[t]  # (H, N) each, written below
        np.multiply(f, cs[t], out=c)
        c += np.multiply(i, g, out=ig)  # c_t = f * c_{t-1} + i * g
        np.tanh(c, out=tanh_c)
        np.multiply(o, tanh_c, out=zs[D : D + H, t + 1])  # h_t = o * tanh(c_t), in z_{t+1}
    hs = zs[D : D + H, 1:].transpose(2, 1, 0)  # (N, T, H) view
    cache = LSTMCache(zs, cs, gates, tanh_cs, W_x, W_h)
    return hs, (hs[:, T - 1].copy(), cs[T].T.copy()), cache


def lstm_backward(dhs, cache: LSTMCache, dh_last=None, dc_last=None) -> LSTMGrads:
    r"""Backpropagation through time for ``lstm_forward``, as the lecture writes it.

    For :math:`t = T, \dots, 1`, with :math:`\Delta_t` the gradient from the layer
    above and :math:`\Delta h_t` the one from step :math:`t + 1`:

    .. math::

        \delta h_t &= \Delta_t + \Delta h_t \\
        \delta c_t &= \delta h_t \odot o_t \odot (1 - \tanh^2 c_t)
                      + \delta c_{t+1} \odot f_{t+1} \\
        \delta o_t &= \delta h_t \odot \tanh(c_t) \odot o_t (1 - o_t) \\
        \delta i_t &= \delta c_t \odot g_t \odot i_t (1 - i_t) \\
        \delta f_t &= \delta c_t \odot c_{t-1} \odot f_t (1 - f_t) \\
        \delta g_t &= \delta c_t \odot i_t \odot (1 - g_t^2) \\
        \Delta h_{t-1} &= \delta A_t W_h^\top, \qquad
        \delta A_t = [\delta i_t | \delta f_t | \delta g_t | \delta o_t]

    and after the loop, each as one matrix product over all steps,

    .. math::

        \delta x_t = \delta A_t W_x^\top, \quad
        [\delta W_x; \delta W_h; \delta b] = \sum_t [x_t; h_{t-1}; 1]^\top \delta A_t .

    Every factor of :math:`\delta o_t, \delta i_t, \delta f_t, \delta g_t` except
    :math:`\delta c_t` and :math:`\delta h_t` comes from the forward pass alone, so it is
    computed for all steps before the loop, and the loop only carries
    :math:`\delta h` and :math:`\delta c` (as columns, like the forward).

    Parameters
    ----------
    dhs : ndarray, shape (N, T, H), or None
        Gradient with respect to every ``hs[:, t]`` (None: zeros).
    cache : LSTMCache
    dh_last, dc_last : ndarray, shape (N, H), or None
        Gradients with respect to ``h_last`` and ``c_last`` (None: zeros).

    Returns
    -------
    LSTMGrads
        ``dxs`` (N, T, D), ``dh0`` (N, H), ``dc0`` (N, H), ``dW_x`` (D, 4H),
        ``dW_h`` (H, 4H), ``db`` (4H,).

    Notes
    -----
    torch: ``loss.backward()`` through ``torch.nn.LSTM``. Taught in chapter 5.
    """
    zs, cs, gates, tanh_cs = cache.zs, cache.cs, cache.gates, cache.tanh_cs
    T, _, H, N = gates.shape
    K = zs.shape[0]
    D = K - H - 1
    dtype = gates.dtype
    dhs = check_upstream("dhs", dhs, (N, T, H), dtype, zeros=False)
    dh_last = check_upstream("dh_last", dh_last, (N, H), dtype)
    dc_last = check_upstream("dc_last", dc_last, (N, H), dtype)
    dh = np.array(dh_last.T, dtype=dtype, order="C")  # (H, N): Delta h_t, from step t+1
    dc = np.array(dc_last.T, dtype=dtype, order="C")  # (H, N): delta c_{t+1} * f_{t+1}
    if dhs is None:
        dhs_cols = np.zeros((T, H, N), dtype=dtype)
    else:
        dhs_cols = time_major(dhs).transpose(0, 2, 1)  # (T, H, N): Delta_t as columns
        dhs_cols = np.ascontiguousarray(dhs_cols, dtype=dtype)

    # Every factor of the deltas that the forward pass fixes, for all steps at once, in
    # the layout of the gates (T, 4, H, N): [g i(1-i), c_{t-1} f(1-f), i (1-g^2),
    # tanh(c_t) o(1-o)], which the loop then multiplies by [dc_t, dc_t, dc_t, dh_t].
    i, f, g, o = gates.transpose(1, 0, 2, 3)  # (T, H, N) each
    dA = np.subtract(1, gates)  # (T, 4, H, N): 1 - y
    dA[:, :2] *= gates[:, :2]  # sigma' = y (1 - y) on i, f
    dA[:, 3] *= o  # and on o
    dA[:, 2] *= 1 + g  # tanh' = (1 - y)(1 + y) on g
    dA[:, 0] *= g
    dA[:, 1] *= cs[:-1]  # c_{t-1}
    dA[:, 2] *= i
    dA[:, 3] *= tanh_cs  # tanh(c_t)
    dc_dh = np.multiply(tanh_cs, tanh_cs)  # (T, H, N)
    np.subtract(1, dc_dh, out=dc_dh)
    dc_dh *= o  # o_t (1 - tanh^2 c_t): how h_t = o_t tanh(c_t) passes to c_t
    dA_cols = dA.reshape(T, 4 * H, N)  # dA_cols[t] is delta A_t^T (4H, N)
    W_h = np.ascontiguousarray(cache.W_h, dtype=dtype)  # (H, 4H)

    dh_t = np.empty((H, N), dtype=dtype)
    dc_t = np.empty((H, N), dtype=dtype)
    for t in range(T - 1, -1, -1):
        np.add(dh, dhs_cols[t], out=dh_t)  # delta h_t = Delta_t + Delta h_t
        np.multiply(dh_t, dc_dh[t], out=dc_t)
        dc_t += dc  # delta c_t
        dA[t, :3] *= dc_t  # delta i_t, delta f_t, delta g_t
        dA[t, 3] *= dh_t  # delta o_t
        np.multiply(dc_t, f[t], out=dc)  # delta c_t * f_t, for step t - 1
        np.matmul(W_h, dA_cols[t], out=dh)  # Delta h_{t-1} = W_h delta A_t^T (H, N)

    # delta A^T of all steps as one (4H, T*N) matrix (a copy), then one product each
    dA_2d = dA_cols.transpose(1, 0, 2).reshape(4 * H, T * N)
    dW_T = dA_2d @ zs[:, :T].reshape(K, T * N).T  # (4H, D+H+1): [dW_x; dW_h; db]^T
    dxs_cols = cache.W_x @ dA_2d  # (D, T*N): delta x_t^T = W_x delta A_t^T
    return LSTMGrads(
        dxs=dxs_cols.reshape(D, T, N).transpose(2, 1, 0),  # (N, T, D)
        dh0=dh.T.copy(),
        dc0=dc.T.copy(),
        dW_x=dW_T[:, :D].T.copy(),  # (D, 4H)
        dW_h=dW_T[:, D : D + H].T.copy(),  # (H, 4H)
        db=dW_T[:, D + H].copy(),  # (4H,)
    )


# ----------------------------------------------------------------------------- the layer


def init_lstm_params(D: int, H: int, rng: np.random.Generator, dtype=np.float64) -> dict:
    r"""Random ``{"W_x": (D, 4H), "W_h": (H, 4H), "b": (4H,)}`` as torch initialises ``nn.LSTM``.

    .. math::

        W_x, W_h, b \sim U\bigl(-1/\sqrt{H},\, 1/\sqrt{H}\bigr)

    torch: ``nn.LSTM(D, H).reset_parameters()``. Taught in chapter 5.
    """
    k = 1.0 / np.sqrt(H)
    return {
        "W_x": rng.uniform(-k, k, (D, 4 * H)).astype(dtype),
        "W_h": rng.uniform(-k, k, (H, 4 * H)).astype(dtype),
        "b": rng.uniform(-k, k, 4 * H).astype(dtype),
    }


class TimeLSTM(TimeLayer):
    r"""The Time LSTM layer: ``lstm_forward``/``lstm_backward`` with parameters and state.

    .. math::

        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

    ``params``/``grads``: ``"W_x"`` (D, 4H), ``"W_h"`` (H, 4H), ``"b"`` (4H,).
    ``forward(xs)`` maps (N, T, D) to (N, T, H); ``backward(dhs)`` returns ``dxs``.
    With ``stateful=True`` both ``h`` and ``c`` are carried from call to call
    (truncated BPTT); ``reset_state()`` forgets them. The plumbing is
    ``course_rnn._time_layer.TimeLayer``'s.

    torch: ``torch.nn.LSTM(D, H, batch_first=True)`` with ``(h.detach(), c.detach())``
    carried. Taught in chapter 5.
    """

    STATE = ("h", "c")

    def __init__(self, W_x, W_h, b, stateful: bool = False):
        W_x, W_h, b, _ = _check_lstm_params(W_x, W_h, b)
        super().__init__({"W_x": W_x, "W_h": W_h, "b": b}, stateful)

    def _run(self, xs, h0, c0):
        p = self.params
        return lstm_forward(xs, h0, c0, p["W_x"], p["W_h"], p["b"])

    def _grad(self, dhs, cache):
        return lstm_backward(dhs, cache)

    def set_state(self, h, c=None):
        """Set the initial states of the next call (used only when ``stateful``)."""
        self.h, self.c = h, c
