r"""Embedding, time-distributed affine, softmax cross-entropy over time, mean squared error.

The non-recurrent layers of a language model (chapter 4) and of a forecaster (chapters 5 and 7).
Each comes as a pure pair ``*_forward(...) -> (out, cache)`` / ``*_backward(dout, cache)``
and as a small class with ``params`` and ``grads`` dicts (gradients written in place,
so a model may keep references to them).

Size letters: N batch, T time, D input (embedding) size, M output size, V vocabulary.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_rnn._validate import as_array, check_dim, check_shape


def _check_ids(name: str, ids, V: int) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer token ids, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(
            f"{name} holds ids in [{ids.min()}, {ids.max()}] but the vocabulary has V={V}"
        )
    return ids


# ----------------------------------------------------------------------------- embedding
class EmbeddingCache(NamedTuple):
    ids: np.ndarray  # (N, T) int
    V: int


def embedding_forward(ids, W) -> tuple[np.ndarray, EmbeddingCache]:
    r"""Look up one row of ``W`` per token id.

    .. math::

        \mathrm{out}_{n,t,:} = W_{\mathrm{ids}_{n,t},\,:}

    which equals the product of a one-hot row vector with :math:`W` without building it.

    Parameters
    ----------
    ids : int ndarray, shape (N, T) (any shape works)
        Token ids in ``[0, V)``.
    W : ndarray, shape (V, D)
        The embedding matrix, one row per word.

    Returns
    -------
    out : ndarray, shape ids.shape + (D,), dtype of ``W``
    cache : EmbeddingCache

    Torch: ``torch.nn.Embedding(V, D)`` with ``weight = W``. Taught in chapter 4.
    """
    W = as_array("W", W, 2)
    ids = _check_ids("ids", ids, W.shape[0])
    return W[ids], EmbeddingCache(ids, W.shape[0])  # (N, T, D)


def embedding_backward(dout, cache: EmbeddingCache) -> np.ndarray:
    r"""Gradient of the embedding matrix: scatter-add each upstream row to its word.

    .. math::

        \frac{\partial L}{\partial W_{v,:}} = \sum_{(n,t):\ \mathrm{ids}_{n,t} = v}
        \frac{\partial L}{\partial \mathrm{out}_{n,t,:}}

    ``np.add.at`` accumulates repeated ids (plain ``dW[ids] += dout`` would keep only the
    last one). ``dout`` has shape ``ids.shape + (D,)``; returns ``dW`` of shape (V, D).
    Torch: ``nn.Embedding``'s ``weight.grad`` after ``backward``. Taught in chapter 4.
    """
    dout = np.asarray(dout)
    if dout.shape[:-1] != cache.ids.shape or dout.ndim != cache.ids.ndim + 1:
        raise ValueError(f"dout has shape {dout.shape} but ids has shape {cache.ids.shape}: "
                         "dout needs one row per token id, shape ids.shape + (D,)")
    dW = np.zeros((cache.V, dout.shape[-1]), dtype=dout.dtype)  # (V, D)
    np.add.at(dW, cache.ids, dout)
    return dW


class Embedding:
    r"""Embedding layer: ``forward(ids)`` returns ``W[ids]``.

    .. math::

        \mathrm{out}_{n,t,:} = W_{\mathrm{ids}_{n,t},\,:}, \qquad W \in \mathbb{R}^{V \times D}

    ``params = {"W": W}``, ``grads = {"W": dW}``. Torch: ``torch.nn.Embedding``.
    Taught in chapter 4.
    """

    def __init__(self, W):
        self.params = {"W": as_array("W", W, 2)}
        self.grads = {"W": np.zeros_like(self.params["W"])}
        self.cache: EmbeddingCache | None = None

    def forward(self, ids) -> np.ndarray:
        out, self.cache = embedding_forward(ids, self.params["W"])
        return out

    def backward(self, dout) -> None:
        self.grads["W"][...] = embedding_backward(dout, self.cache)


# ------------------------------------------------------------------------ time affine
class AffineCache(NamedTuple):
    xs: np.ndarray  # (N, T, D)
    W: np.ndarray  # (D, M)


class AffineGrads(NamedTuple):
    dxs: np.ndarray  # (N, T, D)
    dW: np.ndarray  # (D, M)
    db: np.ndarray  # (M,)


def time_affine_forward(xs, W, b) -> tuple[np.ndarray, AffineCache]:
    r"""The same affine map at every time step, computed as one matrix product.

    .. math::

        y_t = x_t W + b \quad (t = 1..T), \qquad
        Y_{(NT) \times M} = X_{(NT) \times D}\, W + b

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
        (any leading shape works: (N, D) too)
    W : ndarray, shape (D, M)
    b : ndarray, shape (M,)

    Returns
    -------
    ys : ndarray, shape (N, T, M)
    cache : AffineCache

    Torch: ``torch.nn.Linear(D, M)`` with ``weight = W.T``, ``bias = b``.
    Taught in chapter 4.
    """
    W = as_array("W", W, 2)
    b = as_array("b", b, 1)
    xs = np.asarray(xs)
    if xs.ndim < 1:
        raise ValueError(f"xs must have at least 1 dimension, got shape {xs.shape}")
    check_dim("xs", xs, -1, W.shape[0], "W", "D")
    check_dim("b", b, 0, W.shape[1], "W", "M")
    D, M = W.shape
    ys = (xs.reshape(-1, D) @ W + b).reshape(*xs.shape[:-1], M)  # (N, T, M)
    return ys, AffineCache(xs, W)


def time_affine_backward(dys, cache: AffineCache) -> AffineGrads:
    r"""Gradients of the time-distributed affine map.

    .. math::

        \frac{\partial L}{\partial X} = \frac{\partial L}{\partial Y} W^\top, \quad
        \frac{\partial L}{\partial W} = X^\top \frac{\partial L}{\partial Y}, \quad
        \frac{\partial L}{\partial b} = \sum_{n,t} \frac{\partial L}{\partial y_{n,t}}

    ``dys`` has shape (N, T, M); returns ``AffineGrads(dxs, dW, db)``. Torch: autograd
    through ``nn.Linear`` (whose ``weight.grad`` is ``dW.T``). Taught in chapter 4.
    """
    xs, W = cache
    D, M = W.shape
    dys = np.asarray(dys)
    check_shape("dys", dys, (*xs.shape[:-1], M), "the shape of the forward output")
    dy2 = dys.reshape(-1, M)  # (N*T, M)
    dxs = (dy2 @ W.T).reshape(xs.shape)  # (N, T, D)
    dW = xs.reshape(-1, D).T @ dy2  # (D, M)
    db = dy2.sum(axis=0)  # (M,)
    return AffineGrads(dxs, dW, db)


class TimeAffine:
    r"""Time-distributed affine layer, :math:`y_t = x_t W + b` for every t.

    ``params = {"W": W (D, M), "b": b (M,)}``, gradients in ``grads`` under the same
    names. Torch: ``torch.nn.Linear`` (weight ``W.T``). Taught in chapter 4.
    """

    def __init__(self, W, b):
        self.params = {"W": as_array("W", W, 2), "b": as_array("b", b, 1)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache: AffineCache | None = None

    def forward(self, xs) -> np.ndarray:
        ys, self.cache = time_affine_forward(xs, self.params["W"], self.params["b"])
        return ys

    def backward(self, dys) -> np.ndarray:
        g = time_affine_backward(dys, self.cache)
        self.grads["W"][...] = g.dW
        self.grads["b"][...] = g.db
        return g.dxs


# ------------------------------------------------------- softmax cross-entropy over time
def softmax(x, axis: int = -1) -> np.ndarray:
    r"""Numerically stable softmax, :math:`\mathrm{softmax}(x)_i = e^{x_i - m} / \sum_j e^{x_j - m}`
    with :math:`m = \max_j x_j`. Torch: ``torch.softmax(x, dim=axis)``. Taught in chapter 4.
    """
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x, out=None):
    r"""Logistic sigmoid, numerically stable for any input.

    .. math::

        \sigma(x) = \frac{1}{1 + e^{-x}} = \tfrac12 \bigl(1 + \tanh(x / 2)\bigr)

    The tanh form never overflows (``exp(-x)`` does for x < -709 in float64) and its
    absolute error is that of float64 rounding (about 1e-16); for very negative x the
    *relative* error of the tiny result grows (about 1e-4 at x = -30, where
    :math:`\sigma(x) \approx 10^{-13}`), which no gate notices.
    ``out`` may be ``x`` itself, to compute in place. torch: ``torch.sigmoid``.
    Taught in chapter 5.
    """
    x = np.asarray(x)
    if out is None:
        out = np.empty(x.shape, dtype=np.result_type(x, np.float16))  # float32 stays float32
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


class CrossEntropyCache(NamedTuple):
    probs: np.ndarray  # (N*T, V) softmax of the scores
    targets: np.ndarray  # (N*T,) int, ignored positions replaced by 0
    valid: np.ndarray  # (N*T,) bool
    shape: tuple  # shape of the scores (N, T, V)


def softmax_cross_entropy_forward(
    scores, targets, ignore_index: int = -100
) -> tuple[float, CrossEntropyCache]:
    r"""Mean cross-entropy of a softmax over the vocabulary, skipping padded positions.

    .. math::

        L = -\frac{1}{|\mathcal{V}|} \sum_{(n,t) \in \mathcal{V}}
            \log \mathrm{softmax}(s_{n,t})_{y_{n,t}}, \qquad
        \mathcal{V} = \{(n,t) : y_{n,t} \neq \texttt{ignore\_index}\}

    The mean runs over the kept positions only, so a padded batch gives the same loss as
    the unpadded sequences; if every position is ignored the loss is ``nan`` (as in torch).

    Parameters
    ----------
    scores : ndarray, shape (N, T, V)
        Unnormalised scores (logits); (N, V) works too.
    targets : int ndarray, shape (N, T)
        The correct ids, or ``ignore_index`` at padded positions.
    ignore_index : int
        Target value that marks a position to skip.

    Returns
    -------
    loss : float
    cache : CrossEntropyCache

    Torch: ``F.cross_entropy(scores.reshape(-1, V), targets.reshape(-1),
    ignore_index=ignore_index)``. Taught in chapter 4.
    """
    scores = np.asarray(scores)
    if scores.ndim < 2 or scores.dtype.kind != "f":
        raise ValueError(
            f"scores must be a float array of shape (N, T, V), got {scores.dtype} {scores.shape}"
        )
    targets = np.asarray(targets)
    if targets.dtype.kind not in "iu":
        raise TypeError(f"targets must hold integer ids, got dtype {targets.dtype}")
    check_shape("targets", targets, scores.shape[:-1], f"scores has shape {scores.shape}")
    V = scores.shape[-1]
    s = scores.reshape(-1, V)  # (N*T, V)
    t = targets.reshape(-1)  # (N*T,)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= V))
    if bad.any():
        raise ValueError(f"targets holds id {t[bad][0]} outside [0, V) with V={V}")
    t = np.where(valid, t, 0)
    shifted = s - s.max(axis=1, keepdims=True)  # (N*T, V), largest entry 0: no overflow
    probs = np.exp(shifted)
    z = probs.sum(axis=1, keepdims=True)  # (N*T, 1)
    probs /= z  # (N*T, V) softmax
    nll = np.log(z[:, 0]) - shifted[np.arange(t.size), t]  # (N*T,) -log p(target)
    count = int(valid.sum())
    loss = float(nll[valid].sum() / count) if count else float("nan")
    return loss, CrossEntropyCache(probs, t, valid, scores.shape)


def softmax_cross_entropy_backward(dout, cache: CrossEntropyCache) -> np.ndarray:
    r"""Gradient of the mean cross-entropy with respect to the scores.

    .. math::

        \frac{\partial L}{\partial s_{n,t}} = \frac{\mathbb{1}[(n,t) \in \mathcal{V}]}
        {|\mathcal{V}|} \bigl(\mathrm{softmax}(s_{n,t}) - \mathrm{onehot}(y_{n,t})\bigr)

    times the scalar upstream gradient ``dout`` (1.0 for a loss). Returns ``dscores`` of
    the scores' shape (N, T, V), zero at ignored positions. Torch: ``scores.grad`` after
    ``F.cross_entropy(...).backward()``. Taught in chapter 4.
    """
    probs, t, valid, shape = cache
    count = int(valid.sum())
    dscores = probs.copy()  # (N*T, V)
    dscores[np.arange(t.size), t] -= 1
    scale = float(dout) / count if count else 0.0
    dscores *= (valid * scale).astype(dscores.dtype)[:, None]
    return dscores.reshape(shape)  # (N, T, V)


class TimeSoftmaxCrossEntropy:
    r"""Softmax and cross-entropy over every time step, mean over non-ignored positions.

    .. math::

        L = -\frac{1}{|\mathcal{V}|} \sum_{(n,t) \in \mathcal{V}}
            \log \mathrm{softmax}(s_{n,t})_{y_{n,t}}

    ``forward(scores (N, T, V), targets (N, T)) -> loss``; ``backward(dout=1.0) -> dscores``.
    No parameters. Torch: ``F.cross_entropy(..., ignore_index=...)``. Taught in chapter 4.
    """

    def __init__(self, ignore_index: int = -100):
        self.ignore_index = ignore_index
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.cache: CrossEntropyCache | None = None

    def forward(self, scores, targets) -> float:
        loss, self.cache = softmax_cross_entropy_forward(scores, targets, self.ignore_index)
        return loss

    def backward(self, dout: float = 1.0) -> np.ndarray:
        return softmax_cross_entropy_backward(dout, self.cache)


# ------------------------------------------------------------------------ mean squared error
class MSECache(NamedTuple):
    diff: np.ndarray  # y - t, shape of y


def mse_forward(y, t) -> tuple[float, MSECache]:
    r"""Mean squared error over every entry.

    .. math::

        L = \frac{1}{|y|} \sum_i (y_i - t_i)^2

    ``y`` and ``t`` have the same shape, for example (N, T, 1) or (N, 1).
    Torch: ``torch.nn.MSELoss()`` (``reduction="mean"``). Taught in chapter 5 (the
    adding problem); the loss of the forecasts of chapters 7, 8 and 11.
    """
    y = as_array("y", y, tuple(range(1, 8)))
    t = np.asarray(t)
    check_shape("t", t, y.shape, f"y has shape {y.shape}")
    diff = y - t
    return float(np.mean(diff * diff)), MSECache(diff)


def mse_backward(dout, cache: MSECache) -> np.ndarray:
    r"""Gradient of the mean squared error, :math:`\partial L / \partial y = 2 (y - t) / |y|`
    times the scalar ``dout``; shape of ``y``. Torch: ``y.grad`` after
    ``nn.MSELoss()(y, t).backward()``. Taught in chapter 5.
    """
    diff = cache.diff
    return diff * (2.0 * float(dout) / diff.size)


class MSELoss:
    r"""Mean squared error layer, :math:`L = \frac{1}{|y|}\sum_i (y_i - t_i)^2`.

    ``forward(y, t) -> loss``; ``backward(dout=1.0) -> dy``. No parameters.
    Torch: ``torch.nn.MSELoss``. Taught in chapter 5.
    """

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.cache: MSECache | None = None

    def forward(self, y, t) -> float:
        loss, self.cache = mse_forward(y, t)
        return loss

    def backward(self, dout: float = 1.0) -> np.ndarray:
        return mse_backward(dout, self.cache)


def one_hot(ids, V: int) -> np.ndarray:
    r"""One-hot rows, :math:`\mathrm{out}[\dots, v] = [\mathrm{ids} = v]`: ids of any shape
    (e.g. (N, T)) -> float array of shape ``ids.shape + (V,)``. torch:
    ``F.one_hot(ids, V).double()``. Taught in chapter 2.
    """
    ids = np.asarray(ids)
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"ids must lie in [0, {V}), got [{ids.min()}, {ids.max()}]")
    return np.eye(V)[ids]
