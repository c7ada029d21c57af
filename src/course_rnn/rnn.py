r"""The vanilla (Elman) recurrent layer: one step, a whole sequence, and ``TimeRNN``.

.. math::

    a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h, \qquad h_t = \tanh(a_t)
    \quad (\text{or } \max(a_t, 0))

Row vectors, batch first. Size letters: N batch, T time, D input, H hidden.

=========  ==========  ==========================================
name       shape       torch.nn.RNN
=========  ==========  ==========================================
``W_xh``   (D, H)      ``weight_ih_l0.T``
``W_hh``   (H, H)      ``weight_hh_l0.T``
``b_h``    (H,)        ``bias_ih_l0 + bias_hh_l0``
=========  ==========  ==========================================

The forward pass is taught in chapter 1, the backward pass (BPTT) in chapter 3.
``rnn_forward`` takes an initial state ``h0`` and returns the last state ``h_last``:
carrying ``h_last`` into the next chunk while cutting the backward pass there is
truncated BPTT (chapter 3).
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

NONLINEARITIES = ("tanh", "relu")


def _check_nonlinearity(nonlinearity: str) -> None:
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")


def check_rnn_params(W_xh, W_hh, b_h):
    r"""Return ``W_xh, W_hh, b_h`` as arrays after checking that their shapes agree.

    .. math::

        W_{xh} \in \mathbb{R}^{D 	imes H}, \quad W_{hh} \in \mathbb{R}^{H 	imes H}, \quad
        b_h \in \mathbb{R}^{H}

    torch's ``weight_ih`` (H, D) passed as ``W_xh`` is named as transposed
    (``W_xh = weight_ih.T``). Used by every RNN function from chapter 1 on.
    """
    W_xh = as_array("W_xh", W_xh, 2)
    W_hh = as_array("W_hh", W_hh, 2)
    b_h = as_array("b_h", b_h, 1)
    check_not_transposed("W_xh", W_xh, "W_hh", W_hh, b_h, 1)
    H = W_xh.shape[1]
    check_shape("W_hh", W_hh, (H, H), f"W_xh has shape {W_xh.shape}, so H={H}")
    check_dim("b_h", b_h, 0, H, "W_xh", "H")
    return W_xh, W_hh, b_h


def _activate(a: np.ndarray, nonlinearity: str) -> np.ndarray:
    """Apply tanh or ReLU to ``a`` in place and return it."""
    if nonlinearity == "tanh":
        return np.tanh(a, out=a)
    return np.maximum(a, 0, out=a)


def _activation_grad(dh: np.ndarray, h: np.ndarray, nonlinearity: str) -> np.ndarray:
    """``dL/da`` from ``dL/dh`` and the activation's output ``h`` (a new array)."""
    if nonlinearity == "tanh":
        return dh * (1 - h * h)  # tanh'(a) = 1 - tanh(a)^2
    return dh * (h > 0)  # relu'(a) = 1 where the output is positive


# ----------------------------------------------------------------------------- one step


@dataclass
class RNNStepCache:
    """What ``rnn_step_backward`` needs from ``rnn_step_forward``."""

    x_t: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    h_next: np.ndarray  # (N, H)
    W_xh: np.ndarray  # (D, H)
    W_hh: np.ndarray  # (H, H)
    nonlinearity: str


class RNNStepGrads(NamedTuple):
    """Gradients of one RNN step with respect to each of its inputs."""

    dx_t: np.ndarray  # (N, D)
    dh_prev: np.ndarray  # (N, H)
    dW_xh: np.ndarray  # (D, H)
    dW_hh: np.ndarray  # (H, H)
    db_h: np.ndarray  # (H,)


def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h, nonlinearity="tanh"):
    r"""One time step of the Elman RNN.

    .. math::

        h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h)

    (with ``nonlinearity="relu"``, :math:`h_t = \max(0, \cdot)` instead of tanh).

    Parameters
    ----------
    x_t : ndarray, shape (N, D)
        Input at time t for a batch of N sequences.
    h_prev : ndarray, shape (N, H)
        Hidden state :math:`h_{t-1}`.
    W_xh : ndarray, shape (D, H)
        Input-to-hidden weights.
    W_hh : ndarray, shape (H, H)
        Hidden-to-hidden (recurrent) weights.
    b_h : ndarray, shape (H,)
        Bias.
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    h_next : ndarray, shape (N, H)
        :math:`h_t`.
    cache : RNNStepCache
        For ``rnn_step_backward``.

    Notes
    -----
    torch: ``torch.nn.RNNCell(D, H, nonlinearity=...)`` with ``W_xh = weight_ih.T``,
    ``W_hh = weight_hh.T``, ``b_h = bias_ih + bias_hh``.

    Taught in chapter 1 (the recurrent cell).
    """
    _check_nonlinearity(nonlinearity)
    W_xh, W_hh, b_h = check_rnn_params(W_xh, W_hh, b_h)
    D, H = W_xh.shape
    x_t = as_array("x_t", x_t, 2)
    h_prev = as_array("h_prev", h_prev, 2)
    check_dim("x_t", x_t, 1, D, "W_xh", "D")
    check_dim("h_prev", h_prev, 1, H, "W_hh", "H")
    check_dim("h_prev", h_prev, 0, x_t.shape[0], "x_t", "N")

    a = x_t @ W_xh + h_prev @ W_hh + b_h  # (N, H)
    h_next = _activate(a, nonlinearity)  # (N, H)
    return h_next, RNNStepCache(x_t, h_prev, h_next, W_xh, W_hh, nonlinearity)


def rnn_step_backward(dh_next, cache: RNNStepCache) -> RNNStepGrads:
    r"""Backward pass of one RNN step.

    .. math::

        \delta a_t = \delta h_t \odot (1 - h_t^2), \quad
        \delta x_t = \delta a_t W_{xh}^\top, \quad
        \delta h_{t-1} = \delta a_t W_{hh}^\top, \\
        \delta W_{xh} = x_t^\top \delta a_t, \quad
        \delta W_{hh} = h_{t-1}^\top \delta a_t, \quad
        \delta b_h = \textstyle\sum_n \delta a_t

    (for ReLU, :math:`\delta a_t = \delta h_t \odot [h_t > 0]`).

    Parameters
    ----------
    dh_next : ndarray, shape (N, H)
        Gradient of the loss with respect to :math:`h_t`.
    cache : RNNStepCache
        From ``rnn_step_forward``.

    Returns
    -------
    RNNStepGrads
        ``dx_t`` (N, D), ``dh_prev`` (N, H), ``dW_xh`` (D, H), ``dW_hh`` (H, H),
        ``db_h`` (H,).

    Notes
    -----
    torch: autograd through ``torch.nn.RNNCell``.

    Taught in chapter 3 (backpropagation through time).
    """
    dh_next = as_array("dh_next", dh_next, 2)
    check_shape("dh_next", dh_next, cache.h_next.shape, "the shape of h_next")
    da = _activation_grad(dh_next, cache.h_next, cache.nonlinearity)  # (N, H)
    return RNNStepGrads(
        dx_t=da @ cache.W_xh.T,  # (N, D)
        dh_prev=da @ cache.W_hh.T,  # (N, H)
        dW_xh=cache.x_t.T @ da,  # (D, H)
        dW_hh=cache.h_prev.T @ da,  # (H, H)
        db_h=da.sum(axis=0),  # (H,)
    )


# ----------------------------------------------------------------------------- a sequence


@dataclass
class RNNCache:
    """What ``rnn_backward`` needs from ``rnn_forward``.

    Stored time-major, so that the slice of step t is one contiguous block:
    ``xs_tm[t]`` is :math:`x_{t+1}` and ``hs_tm[t]`` is :math:`h_t` (``hs_tm[0]`` is
    :math:`h_0`).
    """

    xs_tm: np.ndarray  # (T, N, D)
    hs_tm: np.ndarray  # (T + 1, N, H)
    W_xh: np.ndarray  # (D, H)
    W_hh: np.ndarray  # (H, H)
    nonlinearity: str


class RNNGrads(NamedTuple):
    """Gradients of a whole RNN sequence with respect to each of its inputs."""

    dxs: np.ndarray  # (N, T, D)
    dh0: np.ndarray  # (N, H)
    dW_xh: np.ndarray  # (D, H)
    dW_hh: np.ndarray  # (H, H)
    db_h: np.ndarray  # (H,)


def rnn_forward(xs, h0, W_xh, W_hh, b_h, nonlinearity="tanh"):
    r"""Run the Elman RNN over a whole sequence ("Time RNN").

    .. math::

        h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \qquad t = 1, \dots, T

    The input projection :math:`x_t W_{xh} + b_h` of every step is computed first,
    in one matrix product; only :math:`h_{t-1} W_{hh}` remains inside the loop.
    Inside, arrays are time-major (T, N, H), so that each step works on one
    contiguous block; ``hs`` is returned as a batch-first (N, T, H) view of it.

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
        A batch of N input sequences of length T.
    h0 : ndarray, shape (N, H), or None
        Initial hidden state (zeros if None). Pass the previous chunk's ``h_last``
        for truncated BPTT.
    W_xh : ndarray, shape (D, H)
    W_hh : ndarray, shape (H, H)
    b_h : ndarray, shape (H,)
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    hs : ndarray, shape (N, T, H)
        Hidden state at every step (a view of the cache: do not write into it).
    h_last : ndarray, shape (N, H)
        :math:`h_T` (a copy).
    cache : RNNCache
        For ``rnn_backward``.

    Notes
    -----
    torch: ``hs, h_n = torch.nn.RNN(D, H, nonlinearity=..., batch_first=True)(xs, h0[None])``
    with ``h_last = h_n[0]``; weights as in the module docstring.

    Taught in chapter 1 (the Time RNN layer, forward).
    """
    _check_nonlinearity(nonlinearity)
    W_xh, W_hh, b_h = check_rnn_params(W_xh, W_hh, b_h)
    D, H = W_xh.shape
    xs, h0 = check_sequence_input(xs, h0, D, H, "W_xh", "W_hh")
    N, T, _ = xs.shape
    dtype = float_dtype(xs, W_xh, W_hh, b_h)

    xs_tm = time_major(xs).astype(dtype, copy=False)  # (T, N, D)
    hs_tm = np.empty((T + 1, N, H), dtype=dtype)  # hs_tm[t] = h_t
    hs_tm[0] = 0 if h0 is None else h0
    # Input projection of all steps at once: hs_tm[1:] holds a_t before the activation.
    np.matmul(xs_tm.reshape(T * N, D), W_xh, out=hs_tm[1:].reshape(T * N, H))  # (T*N, H)
    hs_tm[1:] += b_h
    rec = np.empty((N, H), dtype=dtype)  # h_{t-1} W_hh, one buffer for every step
    for t in range(1, T + 1):
        np.matmul(hs_tm[t - 1], W_hh, out=rec)  # (N, H)
        hs_tm[t] += rec  # a_t
        _activate(hs_tm[t], nonlinearity)  # h_t, in place
    cache = RNNCache(xs_tm, hs_tm, W_xh, W_hh, nonlinearity)
    return hs_tm[1:].swapaxes(0, 1), hs_tm[T].copy(), cache  # (N, T, H), (N, H)


def rnn_backward(dhs, cache: RNNCache, dh_last=None) -> RNNGrads:
    r"""Backpropagation through time for ``rnn_forward``.

    Walking back from :math:`t = T` to 1, the gradient reaching :math:`h_t` is the
    one from the layer above plus the one from step :math:`t + 1`:

    .. math::

        \delta h_t = \frac{\partial L}{\partial h_t}\Big|_{\text{above}}
                     + \delta a_{t+1} W_{hh}^\top, \qquad
        \delta a_t = \delta h_t \odot (1 - h_t^2), \\
        \delta W_{xh} = \sum_t x_t^\top \delta a_t, \quad
        \delta W_{hh} = \sum_t h_{t-1}^\top \delta a_t, \quad
        \delta b_h = \sum_t \textstyle\sum_n \delta a_t .

    The three sums over t are each one matrix product after the loop.

    Parameters
    ----------
    dhs : ndarray, shape (N, T, H), or None
        Gradient of the loss with respect to every ``hs[:, t]`` (None: zeros, when
        only ``h_last`` feeds the loss, as in a sequence classifier).
    cache : RNNCache
        From ``rnn_forward``.
    dh_last : ndarray, shape (N, H), or None
        Gradient with respect to ``h_last`` (None: zeros).

    Returns
    -------
    RNNGrads
        ``dxs`` (N, T, D), ``dh0`` (N, H), ``dW_xh`` (D, H), ``dW_hh`` (H, H),
        ``db_h`` (H,). For truncated BPTT, ``dh0`` is simply not passed on.

    Notes
    -----
    torch: ``loss.backward()`` through ``torch.nn.RNN``.

    Taught in chapter 3 (backpropagation through time).
    """
    xs_tm, hs_tm, W_xh, W_hh = cache.xs_tm, cache.hs_tm, cache.W_xh, cache.W_hh
    T, N, D = xs_tm.shape
    H = W_hh.shape[0]
    dhs = check_upstream("dhs", dhs, (N, T, H), hs_tm.dtype, zeros=False)
    dh = check_upstream("dh_last", dh_last, (N, H), hs_tm.dtype).astype(hs_tm.dtype)  # copy

    hs = hs_tm[1:]  # (T, N, H)
    # f'(a_t) for every step at once: 1 - h_t^2 for tanh, [h_t > 0] for ReLU.
    act_grad = 1 - hs * hs if cache.nonlinearity == "tanh" else (hs > 0).astype(hs.dtype)
    # delta a_t starts as the part coming from the layer above ...
    das = np.zeros_like(hs) if dhs is None else time_major(dhs) * act_grad  # (T, N, H)
    W_hh_T = np.ascontiguousarray(W_hh.T)  # (H, H); contiguous: faster products
    for t in range(T - 1, -1, -1):
        das[t] += dh * act_grad[t]  # ... plus the part coming from step t + 1
        np.matmul(das[t], W_hh_T, out=dh)  # (N, H): flows to h_{t-1}

    das_2d = das.reshape(T * N, H)  # (T*N, H)
    return RNNGrads(
        dxs=(das_2d @ W_xh.T).reshape(T, N, D).swapaxes(0, 1),  # (N, T, D)
        dh0=dh,  # (N, H)
        dW_xh=xs_tm.reshape(T * N, D).T @ das_2d,  # (D, H)
        dW_hh=hs_tm[:-1].reshape(T * N, H).T @ das_2d,  # (H, H)
        db_h=das_2d.sum(axis=0),  # (H,)
    )


# ----------------------------------------------------------------------------- the layer


def init_rnn_params(D: int, H: int, rng: np.random.Generator, dtype=np.float64) -> dict:
    r"""Random ``{"W_xh": (D, H), "W_hh": (H, H), "b_h": (H,)}`` as torch initialises ``nn.RNN``.

    .. math::

        W_{xh}, W_{hh}, b_h \sim U\bigl(-1/\sqrt{H},\, 1/\sqrt{H}\bigr)

    torch: ``nn.RNN(D, H).reset_parameters()`` (torch draws its two biases separately;
    here there is one). ``rng`` is a ``numpy.random.Generator``. Taught in chapter 1.
    """
    k = 1.0 / np.sqrt(H)
    return {
        "W_xh": rng.uniform(-k, k, (D, H)).astype(dtype),
        "W_hh": rng.uniform(-k, k, (H, H)).astype(dtype),
        "b_h": rng.uniform(-k, k, H).astype(dtype),
    }


class TimeRNN(TimeLayer):
    r"""The Time RNN layer: ``rnn_forward``/``rnn_backward`` with parameters and state.

    .. math::

        h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h)

    In the style of *Deep Learning from Scratch 2*: ``params`` and ``grads`` are dicts
    with keys ``"W_xh"`` (D, H), ``"W_hh"`` (H, H), ``"b_h"`` (H,); ``forward(xs)``
    maps (N, T, D) to (N, T, H) and ``backward(dhs)`` returns ``dxs`` (N, T, D).

    With ``stateful=True`` the last hidden state ``h`` of one call is the initial state
    of the next (truncated BPTT: the forward pass is not cut, the backward pass is,
    because ``backward`` keeps ``dh`` for inspection but never passes it to the previous
    chunk). Call ``reset_state()`` at the start of a new sequence. With
    ``stateful=False`` every call starts from zeros. The plumbing is
    ``course_rnn._time_layer.TimeLayer``'s.

    torch: ``torch.nn.RNN(D, H, batch_first=True)`` with ``h`` carried as
    ``h.detach()``. Taught in chapter 1 (forward) and chapter 3 (backward, truncation).
    """

    def __init__(self, W_xh, W_hh, b_h, stateful: bool = False, nonlinearity: str = "tanh"):
        _check_nonlinearity(nonlinearity)
        W_xh, W_hh, b_h = check_rnn_params(W_xh, W_hh, b_h)
        super().__init__({"W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}, stateful)
        self.nonlinearity = nonlinearity

    def _run(self, xs, h0):
        p = self.params
        return rnn_forward(xs, h0, p["W_xh"], p["W_hh"], p["b_h"], self.nonlinearity)

    def _grad(self, dhs, cache):
        return rnn_backward(dhs, cache)
