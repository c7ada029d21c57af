r"""One-dimensional convolution and max pooling over time, vectorised (one product per tap).

Layout as in ``torch.nn.Conv1d``: channels first, ``x`` of shape (N, C_in, L) and
``W`` of shape (C_out, C_in, K). A chapter holding a sequence batch ``xs`` (N, T, D)
passes ``xs.transpose(0, 2, 1)`` (D input channels, L = T steps) and transposes the
output back. Size letters: N batch, C_in / C_out channels, L length, K kernel.

.. math::

    y_{n,o,l} = b_o + \sum_{c=1}^{C_\text{in}} \sum_{k=0}^{K-1}
                W_{o,c,k}\; x^{\text{pad}}_{n,\,c,\,l s + k d}, \qquad
    L_\text{out} = \left\lfloor \frac{L + p_\text{left} + p_\text{right} - d(K-1) - 1}{s}
                   \right\rfloor + 1

with stride :math:`s` and dilation :math:`d`. Read tap by tap, the convolution is K
ordinary matrix products: tap k multiplies the (C_out, C_in) matrix
:math:`W_k = W_{:,:,k}` with the input *shifted* by :math:`k d`.

To make each of them one large product over the whole batch, the padded sequences are
laid end to end, channels first: :math:`X` (C_in, N L_row), where each sequence takes
L_row columns. The input of tap k is then the *view* of columns
:math:`k d, k d + s, \dots` of :math:`X` (no copy), and

.. math::

    \underbrace{Y}_{C_\text{out} \times M}
    = b + \sum_{k=0}^{K-1} \underbrace{W_k}_{C_\text{out} \times C_\text{in}}\;
      \underbrace{X^{(k)}}_{C_\text{in} \times M}, \qquad
    X^{(k)}_{c,\,j} = X_{c,\,j s + k d}.

Output column :math:`j = n R + l` (R = L_row / s) is :math:`y_{n,:,l}` when
:math:`l < L_\text{out}`; the few columns in between read across two sequences and are
dropped. The backward pass is the same sum read backwards, with :math:`\delta Y` set to
zero in the dropped columns: :math:`\delta W_k = \delta Y X^{(k)\top}`, and
:math:`\delta X^{(k)} = W_k^\top \delta Y` is added to the columns tap k read.

*im2col* is the other classic way: copy the K shifted inputs into one
(C_in K, N L_out) matrix and do a single product. It does the same arithmetic but writes
and reads K copies of the input (8 MB at the benchmark's float32 size); with the views
the forward and backward pass took about 10% less time here.
Taught in chapter 8.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from course_rnn._validate import as_array, check_dim


def conv_padding(padding, K: int, dilation: int = 1, stride: int = 1) -> tuple[int, int]:
    r"""Left and right padding of a 1-D convolution.

    ``padding`` is an int ``p`` (``(p, p)``) or a 1-tuple ``(p,)`` as torch writes it, a
    pair ``(left, right)``, ``"valid"`` (none), ``"same"`` (output length L; needs stride
    1; the odd step goes right, as in torch) or ``"causal"``: :math:`(d(K-1), 0)`, so that
    :math:`y_t` sees only :math:`x_{\le t}` (Keras's ``padding="causal"``; in torch,
    ``F.pad(x, (d*(K-1), 0))``). ``stride`` and ``dilation`` may be 1-tuples too.
    Taught in chapter 8.
    """
    stride, dilation = _check_int("stride", stride), _check_int("dilation", dilation)
    total = dilation * (K - 1)
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding == "causal":
            return total, 0
        if padding == "same":
            if stride != 1:
                raise ValueError(f"padding='same' needs stride=1, got stride={stride}")
            return total // 2, total - total // 2
        raise ValueError(f"padding must be an int, a 1-tuple, a pair, 'valid', 'same' or 'causal'; "
                         f"got {padding!r}")
    if np.ndim(padding) == 0:
        left = right = padding
    elif len(padding) == 1:  # torch's padding=(p,)
        left = right = padding[0]
    elif len(padding) == 2:
        left, right = padding
    else:
        raise ValueError(f"padding must be an int p, a 1-tuple (p,) as torch writes it, a pair "
                         f"(left, right), 'valid', 'same' or 'causal'; got {padding!r} "
                         f"({len(padding)} entries)")
    if not (_is_int(left, 0) and _is_int(right, 0)):
        raise ValueError(f"padding must be non-negative integers, got {padding!r}")
    return int(left), int(right)


def _windows(xp: np.ndarray, K: int, stride: int, dilation: int) -> np.ndarray:
    """Read-only view (N, C, L_out, K) of every window: ``[n, c, l, k] = xp[n, c, l*s + k*d]``."""
    span = dilation * (K - 1) + 1
    return sliding_window_view(xp, span, axis=2)[:, :, ::stride, ::dilation]


class Workspace:
    """Arrays kept from one call to the next, by name; reallocated when the shape changes.

    A new large temporary at every call can cost a good part of the matrix products
    (the allocator returns the memory to the system and pages it in again: measured
    21.6 ms instead of 12.4 ms for a float32 forward + backward at (N, C_in, L, C_out, K)
    = (32, 64, 200, 64, 5) with the earlier im2col version), so ``Conv1D`` keeps one
    workspace. It has no equation; torch keeps such buffers internally. Taught in
    chapter 8 (the speed comparison).
    """

    def __init__(self):
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple, dtype) -> np.ndarray:
        a = self._arrays.get(name)
        if a is None or a.shape != tuple(shape) or a.dtype != dtype:
            a = self._arrays[name] = np.empty(shape, dtype)
        return a


def _tap(k: int, count: int, stride: int, dilation: int) -> slice:
    """The ``count`` columns read by tap k: ``X[:, tap]`` is ``X[:, j*s + k*d]``, j < count."""
    start = k * dilation
    return slice(start, start + stride * (count - 1) + 1, stride)


def _sizes(N: int, L_padded: int, L_out: int, stride: int) -> tuple[int, int, int]:
    """Column counts of the end-to-end layout: ``(L_row, R, M)``.

    Each padded sequence takes ``L_row`` input columns (``L_padded`` rounded up to a
    multiple of the stride) and ``R = L_row / s`` output columns, of which the first
    ``L_out`` are real outputs; ``M`` output columns are computed, up to the last real one.
    """
    L_row = -(-L_padded // stride) * stride
    R = L_row // stride
    return L_row, R, (N - 1) * R + L_out


def _is_int(value, low: int) -> bool:
    """Whether ``value`` is a whole number >= ``low`` (an int, or a float such as 2.0)."""
    try:
        return bool(np.ndim(value) == 0 and int(value) == value and value >= low)
    except (TypeError, ValueError):
        return False


def _check_int(name: str, value, low: int = 1) -> int:
    """``value`` as an int >= ``low``; a 1-tuple ``(v,)`` counts as ``v``, as in torch."""
    one = value
    if isinstance(value, (tuple, list, np.ndarray)) and np.ndim(value) == 1 and len(value) == 1:
        one = value[0]  # torch spells stride=(2,), padding=(1,), dilation=(1,)
    if not _is_int(one, low):
        raise ValueError(f"{name} must be an integer >= {low} or a 1-tuple of one (torch's "
                         f"{name}=({low},)), got {value!r}")
    return int(one)


def _check_channels_first(x: np.ndarray, C_in: int) -> None:
    """Raise if axis 1 of ``x`` (N, C_in, L) is not ``C_in``; say so if x looks (N, L, C_in)."""
    if x.shape[1] == C_in:
        return
    hint = ""
    if x.shape[2] == C_in:
        hint = (f"; x looks channels-last (N, L, C_in) = {x.shape}, but the convolution "
                "takes channels first (N, C_in, L), like torch: pass x.transpose(0, 2, 1)")
    raise ValueError(f"x has shape {x.shape} but W expects C_in={C_in} on axis 1{hint}")


class Conv1DCache(NamedTuple):
    X: np.ndarray  # (C_in, N * L_row): the padded sequences end to end, channels first
    W: np.ndarray  # (C_out, C_in, K)
    x_shape: tuple  # (N, C_in, L)
    pad: tuple  # (left, right)
    stride: int
    dilation: int
    workspace: Workspace  # holds X and the temporaries of both passes


class Conv1DGrads(NamedTuple):
    dx: np.ndarray  # (N, C_in, L)
    dW: np.ndarray  # (C_out, C_in, K)
    db: np.ndarray  # (C_out,)


def conv1d_forward(x, W, b=None, stride: int = 1, padding=0, dilation: int = 1,
                   workspace: Workspace | None = None):
    r"""1-D convolution (cross-correlation, as in every deep-learning library).

    .. math::

        y_{n,o,l} = b_o + \sum_{c,k} W_{o,c,k}\; x^{\text{pad}}_{n,\,c,\,l s + k d}
        \qquad\text{i.e.}\qquad Y = b + \sum_k W_k X^{(k)}

    Parameters
    ----------
    x : ndarray, shape (N, C_in, L)
        Channels first, like torch.
    W : ndarray, shape (C_out, C_in, K)
    b : ndarray, shape (C_out,), or None
    stride, dilation : int >= 1
        Or a 1-tuple ``(s,)``, as torch writes them.
    padding : int, (p,), (left, right), "valid", "same" or "causal"
        See ``conv_padding``; zeros are added.
    workspace : Workspace or None
        Where the temporaries live (the input laid out end to end, the per-tap product,
        the backward's buffers). None: new arrays. A layer passes its own, so that it
        does not allocate them at every call; the next call with the same workspace
        overwrites the cache of this one.

    Returns
    -------
    y : ndarray, shape (N, C_out, L_out)
    cache : Conv1DCache

    Torch: ``torch.nn.Conv1d(C_in, C_out, K, stride, padding, dilation)`` with
    ``weight = W``, ``bias = b`` (for "causal": ``F.pad`` on the left first).
    Taught in chapter 8.
    """
    x = as_array("x", x, 3)
    W = as_array("W", W, 3)
    C_out, C_in, K = W.shape
    _check_channels_first(x, C_in)
    if b is not None:
        b = as_array("b", b, 1)
        check_dim("b", b, 0, C_out, "W", "C_out")
    stride, dilation = _check_int("stride", stride), _check_int("dilation", dilation)
    left, right = conv_padding(padding, K, dilation, stride)
    N, _, L = x.shape
    span = dilation * (K - 1) + 1
    if L + left + right < span:
        raise ValueError(f"x has shape {x.shape}: length L={L} plus padding ({left}, {right}) "
                         f"is shorter than the kernel's span d*(K-1)+1={span} (W {W.shape})")
    ws = Workspace() if workspace is None else workspace
    dtype = np.result_type(x, W, np.float16)
    L_out = (L + left + right - span) // stride + 1
    L_row, R, M = _sizes(N, L + left + right, L_out, stride)

    # the padded sequences end to end: X (C_in, N * L_row)
    X = ws.get("X", (C_in, N, L_row), dtype)  # (C_in, N, L_row)
    X[:, :, :left], X[:, :, left + L :] = 0, 0  # the zero padding
    np.copyto(X[:, :, left : left + L], x.transpose(1, 0, 2))
    X = X.reshape(C_in, N * L_row)

    W_taps = np.ascontiguousarray(W.transpose(2, 0, 1), dtype)  # (K, C_out, C_in): W_k
    Y = ws.get("Y", (C_out, N * R), dtype)  # output column j = n * R + l
    product = ws.get("product", (C_out, M), dtype)  # W_k X^(k) of one tap
    for k in range(K):  # Y = sum_k W_k X^(k): one matrix product per tap
        X_k = X[:, _tap(k, M, stride, dilation)]  # (C_in, M) view: the columns tap k reads
        if k == 0:
            np.matmul(W_taps[0], X_k, out=Y[:, :M])  # (C_out, C_in) @ (C_in, M)
        else:
            Y[:, :M] += np.matmul(W_taps[k], X_k, out=product)  # (C_out, M)
    y = Y.reshape(C_out, N, R)[:, :, :L_out].transpose(1, 0, 2)  # (N, C_out, L_out) view
    y = np.ascontiguousarray(y) if b is None else y + b[:, None]  # a new array either way
    return y, Conv1DCache(X, W, x.shape, (left, right), stride, dilation, ws)


def conv1d_backward(dy, cache: Conv1DCache) -> Conv1DGrads:
    r"""Gradients of ``conv1d_forward``.

    .. math::

        \delta b = \sum_{\text{columns}} \delta Y, \quad
        \delta W_k = \delta Y\, X^{(k)\top}, \quad
        \delta X^{(k)} = W_k^\top \delta Y \ \text{added to the columns tap k read}

    ``dy`` has shape (N, C_out, L_out). Returns ``Conv1DGrads(dx (N, C_in, L),
    dW (C_out, C_in, K), db (C_out,))``. Torch: autograd through ``nn.Conv1d`` (its
    ``weight.grad`` and ``bias.grad``). Taught in chapter 8.
    """
    X, W, (N, C_in, L), (left, right), stride, dilation, ws = cache
    C_out, _, K = W.shape
    L_out = (L + left + right - dilation * (K - 1) - 1) // stride + 1
    dy = as_array("dy", dy, 3)
    if dy.shape != (N, C_out, L_out):
        raise ValueError(f"dy has shape {dy.shape}, expected {(N, C_out, L_out)} "
                         "(the shape of the forward output)")
    dtype = np.result_type(dy, X)
    L_row, R, M = _sizes(N, L + left + right, L_out, stride)
    db = dy.sum(axis=(0, 2))  # (C_out,)

    # dY in the layout of the forward's output columns; the dropped columns (across two
    # sequences) get zero, so they send no gradient anywhere
    dY = ws.get("dY", (C_out, N, R), dtype)  # (C_out, N, R)
    dY[:, :, L_out:] = 0
    np.copyto(dY[:, :, :L_out], dy.transpose(1, 0, 2))
    dY = dY.reshape(C_out, N * R)[:, :M]  # (C_out, M)

    W_taps_T = np.ascontiguousarray(W.transpose(2, 1, 0), dtype)  # (K, C_in, C_out): W_k^T
    dW_taps = np.empty((K, C_out, C_in), dtype)  # dW_k
    dX = ws.get("dX", (C_in, N * L_row), dtype)  # (C_in, N * L_row)
    dX.fill(0)
    product = ws.get("dX_product", (C_in, M), dtype)
    for k in range(K):
        columns = _tap(k, M, stride, dilation)  # the columns of X that tap k read
        np.matmul(dY, X[:, columns].T, out=dW_taps[k])  # dW_k = dY X^(k)^T (C_out, C_in)
        dX[:, columns] += np.matmul(W_taps_T[k], dY, out=product)  # W_k^T dY (C_in, M)
    dW = dW_taps.transpose(1, 2, 0).copy()  # (C_out, C_in, K)
    dx = dX.reshape(C_in, N, L_row)[:, :, left : left + L].transpose(1, 0, 2)  # view
    return Conv1DGrads(np.ascontiguousarray(dx), dW, db)  # dx (N, C_in, L)


def init_conv1d_params(C_in: int, C_out: int, K: int, rng: np.random.Generator,
                       dtype=np.float64) -> dict:
    r"""Random ``{"W": (C_out, C_in, K), "b": (C_out,)}`` as torch initialises ``nn.Conv1d``:
    every entry from :math:`U(-1/\sqrt{C_\text{in} K},\ 1/\sqrt{C_\text{in} K})`.
    Taught in chapter 8.
    """
    k = 1.0 / np.sqrt(C_in * K)
    return {"W": rng.uniform(-k, k, (C_out, C_in, K)).astype(dtype),
            "b": rng.uniform(-k, k, C_out).astype(dtype)}


class Conv1D:
    r"""Conv1D layer: ``conv1d_forward``/``conv1d_backward`` with parameters.

    .. math::

        y_{n,o,l} = b_o + \sum_{c,k} W_{o,c,k}\; x^{\text{pad}}_{n,\,c,\,l s + k d}

    ``params = {"W": (C_out, C_in, K), "b": (C_out,)}`` (no ``"b"`` if ``b is None``);
    ``forward(x (N, C_in, L)) -> (N, C_out, L_out)``, ``backward(dy) -> dx``. The layer
    keeps a ``Workspace``, so its large temporaries are allocated once, not at every call.
    Torch: ``torch.nn.Conv1d``. Taught in chapter 8.
    """

    def __init__(self, W, b=None, stride: int = 1, padding=0, dilation: int = 1):
        self.params = {"W": as_array("W", W, 3)}
        if b is not None:
            self.params["b"] = as_array("b", b, 1)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        stride, dilation = _check_int("stride", stride), _check_int("dilation", dilation)
        conv_padding(padding, self.params["W"].shape[2], dilation, stride)  # fail here, not later
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.workspace = Workspace()  # buffers reused from call to call
        self.cache: Conv1DCache | None = None

    def forward(self, x) -> np.ndarray:
        p = self.params
        y, self.cache = conv1d_forward(x, p["W"], p.get("b"), self.stride, self.padding,
                                       self.dilation, self.workspace)
        return y

    def backward(self, dy) -> np.ndarray:
        g = conv1d_backward(dy, self.cache)
        self.grads["W"][...] = g.dW
        if "b" in self.grads:
            self.grads["b"][...] = g.db
        return g.dx


# ----------------------------------------------------------------------------- max pooling
class MaxPool1DCache(NamedTuple):
    argmax: np.ndarray  # (N, C, L_out) int: tap of the maximum in each window
    x_shape: tuple  # (N, C, L)
    K: int
    stride: int
    padding: int


def _pool_args(kernel_size, stride, padding) -> tuple[int, int, int]:
    """``(K, stride, padding)`` as ints after checking them (1-tuples allowed, as in torch)."""
    K = _check_int("kernel_size", kernel_size)
    stride = K if stride is None else _check_int("stride", stride)
    padding = _check_int("padding", padding, low=0)
    if padding > K // 2:
        raise ValueError(f"padding={padding} must be at most kernel_size // 2 = {K // 2}")
    return K, stride, padding


def maxpool1d_forward(x, kernel_size: int, stride: int | None = None, padding: int = 0):
    r"""Max pooling over time, channel by channel.

    .. math::

        y_{n,c,l} = \max_{0 \le k < K} x^{\text{pad}}_{n,\,c,\,l s + k}, \qquad
        L_\text{out} = \left\lfloor \frac{L + 2p - K}{s} \right\rfloor + 1

    Parameters
    ----------
    x : ndarray, shape (N, C, L)
    kernel_size : int
        K, the window length.
    stride : int or None
        s; None means ``kernel_size`` (non-overlapping windows), as in torch.
    padding : int
        p steps of :math:`-\infty` on each side, at most ``kernel_size // 2`` (torch's rule).
        All three may also be 1-tuples, ``(2,)``, as torch accepts them.

    Returns
    -------
    y : ndarray, shape (N, C, L_out)
    cache : MaxPool1DCache

    Ties go to the first maximum, as in torch. Torch: ``torch.nn.MaxPool1d(K, s, p)``
    (``ceil_mode=False``, ``dilation=1``). Taught in chapter 8.
    """
    x = as_array("x", x, 3)
    K, stride, padding = _pool_args(kernel_size, stride, padding)
    N, C, L = x.shape
    if L + 2 * padding < K:
        raise ValueError(f"x has shape {x.shape}: length L={L} plus padding {padding} on "
                         f"each side is shorter than kernel_size={K}")
    if padding:
        xf = x if x.dtype.kind == "f" else x.astype(np.float64)
        x = np.pad(xf, ((0, 0), (0, 0), (padding, padding)), constant_values=-np.inf)
    win = _windows(x, K, stride, 1)  # (N, C, L_out, K) view
    argmax = win.argmax(axis=3)  # (N, C, L_out)
    y = np.take_along_axis(win, argmax[..., None], axis=3)[..., 0]  # (N, C, L_out)
    return y, MaxPool1DCache(argmax, (N, C, L), K, stride, padding)


def maxpool1d_backward(dy, cache: MaxPool1DCache) -> np.ndarray:
    r"""Gradient of max pooling: each window's gradient goes to its maximum only.

    .. math::

        \delta x^{\text{pad}}_{n,c,\,l s + k} \mathrel{+}= \delta y_{n,c,l}\;
        \mathbb{1}[k = \operatorname{argmax}_{k'} x^{\text{pad}}_{n,c,\,l s + k'}]

    ``dy`` (N, C, L_out) -> ``dx`` (N, C, L). Torch: autograd through ``nn.MaxPool1d``.
    Taught in chapter 8.
    """
    argmax, (N, C, L), K, stride, p = cache
    dy = as_array("dy", dy, 3)
    if dy.shape != argmax.shape:
        raise ValueError(f"dy has shape {dy.shape}, expected {argmax.shape} "
                         "(the shape of the forward output)")
    dxp = np.zeros((N, C, L + 2 * p), dtype=dy.dtype)  # (N, C, Lp)
    last = stride * (argmax.shape[2] - 1) + 1
    for k in range(K):  # overlapping windows (s < K) may send several gradients to one x
        dxp[:, :, k : k + last : stride] += np.where(argmax == k, dy, 0)
    return dxp[:, :, p : p + L]


class MaxPool1D:
    r"""Max pooling layer, :math:`y_{n,c,l} = \max_k x^{\text{pad}}_{n,c,ls+k}`.

    ``MaxPool1D(kernel_size, stride=None, padding=0)``; ``forward(x (N, C, L))``,
    ``backward(dy) -> dx``. No parameters. Torch: ``torch.nn.MaxPool1d``.
    Taught in chapter 8.
    """

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0):
        _pool_args(kernel_size, stride, padding)  # fail here, not at the first forward
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.cache: MaxPool1DCache | None = None

    def forward(self, x) -> np.ndarray:
        y, self.cache = maxpool1d_forward(x, self.kernel_size, self.stride, self.padding)
        return y

    def backward(self, dy) -> np.ndarray:
        return maxpool1d_backward(dy, self.cache)
