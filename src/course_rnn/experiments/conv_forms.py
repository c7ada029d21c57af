r"""Conv1D written the two textbook ways: a sliding dot product, and im2col.

``course_rnn.conv`` is the fast Conv1D (one matrix product per tap, on views). This
module holds the two forms chapter 8 derives it from, kept as plain as possible, and
checked against it in the tests.

**Sliding dot product.** Kernel ``o`` is a small (C_in, K) array that slides over the
(padded) sequence; at output step ``l`` it is multiplied entry by entry with the window
that starts at ``l s`` and reads every ``d``-th step, and the products are summed:

.. math::

    y_{n,o,l} = b_o + \sum_{c=1}^{C_\text{in}} \sum_{k=0}^{K-1}
                W_{o,c,k}\; x^{\text{pad}}_{n,\,c,\,l s + k d}.

**im2col** ("image to columns"). Copy every window into one row of a matrix
:math:`X_\text{col}` (N L_out, C_in K); flatten the kernels into
:math:`W_\text{mat}` (C_in K, C_out). The whole convolution is then one product

.. math::

    Y_\text{mat} = X_\text{col} W_\text{mat} + b, \qquad
    \delta W_\text{mat} = X_\text{col}^\top \delta Y_\text{mat}, \qquad
    \delta X_\text{col} = \delta Y_\text{mat} W_\text{mat}^\top,

the backward pass of an affine layer; ``col2im`` adds each row of
:math:`\delta X_\text{col}` back onto the window it was copied from (a step read by
several windows collects several gradients). Layout as in torch: ``x`` (N, C_in, L),
``W`` (C_out, C_in, K). Taught in chapter 8.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from course_rnn._validate import as_array, check_dim
from course_rnn.conv import conv_padding


def _pad(x: np.ndarray, left: int, right: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (left, right)))  # zeros at both ends of the time axis


def conv1d_loops(x, W, b=None, stride: int = 1, padding=0, dilation: int = 1) -> np.ndarray:
    r"""Conv1D as a sliding dot product, with Python loops (slow, for reading).

    .. math::

        y_{n,o,l} = b_o + \sum_{c,k} W_{o,c,k}\; x^{\text{pad}}_{n,\,c,\,l s + k d}

    ``x`` (N, C_in, L), ``W`` (C_out, C_in, K), ``b`` (C_out,) or None; ``padding`` as in
    ``conv_padding`` ("valid", "same", "causal", an int or a pair). Returns ``y``
    (N, C_out, L_out). Torch: ``torch.nn.functional.conv1d``. Taught in chapter 8.
    """
    x, W = as_array("x", x, 3), as_array("W", W, 3)
    C_out, C_in, K = W.shape
    check_dim("x", x, 1, C_in, "W", "C_in")
    xp = _pad(x, *conv_padding(padding, K, dilation, stride))
    N, L_pad = x.shape[0], xp.shape[2]
    L_out = (L_pad - dilation * (K - 1) - 1) // stride + 1
    y = np.zeros((N, C_out, L_out), dtype=np.result_type(x, W))
    for n in range(N):
        for o in range(C_out):
            for l in range(L_out):
                window = xp[n, :, l * stride : l * stride + dilation * (K - 1) + 1 : dilation]
                y[n, o, l] = np.sum(W[o] * window)  # (C_in, K) * (C_in, K), summed
    return y if b is None else y + np.asarray(b)[:, None]


def im2col1d(x, K: int, stride: int = 1, padding=0, dilation: int = 1) -> np.ndarray:
    r"""Every window of ``x`` as one row: :math:`X_\text{col}` of shape (N L_out, C_in K).

    .. math::

        X_{\text{col}}[\,n L_\text{out} + l,\; c K + k\,] = x^{\text{pad}}_{n,\,c,\,l s + k d}

    ``x`` (N, C_in, L). Row ``n L_out + l`` is the window of output step ``l`` of sequence
    ``n``; columns run over channels, then taps, as ``W.reshape(C_out, C_in * K)`` does.
    A copy (K times the input's size for stride 1). Taught in chapter 8.
    """
    x = as_array("x", x, 3)
    xp = _pad(x, *conv_padding(padding, K, dilation, stride))
    span = dilation * (K - 1) + 1
    if xp.shape[2] < span:
        raise ValueError(f"x has shape {x.shape}: too short for a kernel span of {span}")
    win = sliding_window_view(xp, span, axis=2)[:, :, ::stride, ::dilation]  # (N, C_in, L_out, K)
    N, C_in, L_out, _ = win.shape
    return win.transpose(0, 2, 1, 3).reshape(N * L_out, C_in * K)  # (N L_out, C_in K) copy


def col2im1d(dcols, x_shape: tuple, K: int, stride: int = 1, padding=0,
             dilation: int = 1) -> np.ndarray:
    r"""The adjoint of ``im2col1d``: add each row back onto the steps its window read.

    .. math::

        \delta x^{\text{pad}}_{n,\,c,\,l s + k d} \mathrel{+}=
        \delta X_{\text{col}}[\,n L_\text{out} + l,\; c K + k\,]

    ``dcols`` (N L_out, C_in K) -> ``dx`` of shape ``x_shape`` = (N, C_in, L); the padding
    steps' gradients are dropped. Taught in chapter 8.
    """
    N, C_in, L = x_shape
    left, right = conv_padding(padding, K, dilation, stride)
    L_pad = L + left + right
    L_out = (L_pad - dilation * (K - 1) - 1) // stride + 1
    d = np.asarray(dcols).reshape(N, L_out, C_in, K)
    dxp = np.zeros((N, C_in, L_pad), dtype=d.dtype)
    last = stride * (L_out - 1) + 1
    for k in range(K):  # tap k of output step l read step l*s + k*d
        dxp[:, :, k * dilation : k * dilation + last : stride] += d[:, :, :, k].transpose(0, 2, 1)
    return dxp[:, :, left : left + L]


class Im2colCache(NamedTuple):
    cols: np.ndarray  # (N L_out, C_in K)
    W: np.ndarray  # (C_out, C_in, K)
    x_shape: tuple  # (N, C_in, L)
    stride: int
    padding: object
    dilation: int


class Im2colGrads(NamedTuple):
    dx: np.ndarray  # (N, C_in, L)
    dW: np.ndarray  # (C_out, C_in, K)
    db: np.ndarray  # (C_out,)


def conv1d_im2col_forward(x, W, b, stride: int = 1, padding=0, dilation: int = 1):
    r"""Conv1D as one matrix product over all windows.

    .. math::

        Y_\text{mat} = X_\text{col} W_\text{mat} + b, \qquad
        W_\text{mat} = W\text{.reshape}(C_\text{out}, C_\text{in} K)^\top

    ``x`` (N, C_in, L), ``W`` (C_out, C_in, K), ``b`` (C_out,). Returns ``y``
    (N, C_out, L_out) and an ``Im2colCache``. Torch: ``torch.nn.functional.conv1d``
    (``x.unfold(2, span, stride)`` builds the same windows). Taught in chapter 8.
    """
    x, W, b = as_array("x", x, 3), as_array("W", W, 3), as_array("b", b, 1)
    C_out, C_in, K = W.shape
    check_dim("x", x, 1, C_in, "W", "C_in")
    check_dim("b", b, 0, C_out, "W", "C_out")
    cols = im2col1d(x, K, stride, padding, dilation)  # (N L_out, C_in K)
    Y = cols @ W.reshape(C_out, C_in * K).T + b  # (N L_out, C_out)
    N = x.shape[0]
    y = Y.reshape(N, -1, C_out).transpose(0, 2, 1)  # (N, C_out, L_out)
    return np.ascontiguousarray(y), Im2colCache(cols, W, x.shape, stride, padding, dilation)


def conv1d_im2col_backward(dy, cache: Im2colCache) -> Im2colGrads:
    r"""Gradients of ``conv1d_im2col_forward``: an affine layer's, then ``col2im1d``.

    .. math::

        \delta W_\text{mat} = X_\text{col}^\top \delta Y_\text{mat}, \qquad
        \delta X_\text{col} = \delta Y_\text{mat} W_\text{mat}^\top, \qquad
        \delta b = \textstyle\sum_\text{rows} \delta Y_\text{mat}

    ``dy`` (N, C_out, L_out) -> ``Im2colGrads(dx (N, C_in, L), dW (C_out, C_in, K),
    db (C_out,))``. Torch: autograd through ``F.conv1d``. Taught in chapter 8.
    """
    cols, W, x_shape, stride, padding, dilation = cache
    C_out, C_in, K = W.shape
    dy = as_array("dy", dy, 3)
    L_out = cols.shape[0] // x_shape[0]
    if dy.shape != (x_shape[0], C_out, L_out):
        raise ValueError(f"dy has shape {dy.shape}, expected {(x_shape[0], C_out, L_out)} "
                         "(the shape of the forward output)")
    dY = dy.transpose(0, 2, 1).reshape(-1, C_out)  # (N L_out, C_out)
    dW = (cols.T @ dY).T.reshape(C_out, C_in, K)  # (C_out, C_in, K)
    dcols = dY @ W.reshape(C_out, C_in * K)  # (N L_out, C_in K)
    dx = col2im1d(dcols, x_shape, K, stride, padding, dilation)  # (N, C_in, L)
    return Im2colGrads(dx, dW, dY.sum(axis=0))
