r"""Gradient descent on one weight: the loss curve, the update, and the step size.

The model predicts the next value of a sequence from the current one with a single weight,
:math:`\hat x_{t+1} = w\, x_t`, and is scored by the mean squared error over all pairs:

.. math::

    L(w) = \frac{1}{n} \sum_{i=1}^{n} (w\, x_i - y_i)^2
         = a w^2 - 2 b w + c, \qquad
    a = \overline{x^2},\ b = \overline{x y},\ c = \overline{y^2}

so :math:`L'(w) = 2 (a w - b)`, :math:`L'' = 2a`, and the minimum is :math:`w^* = b / a`.
Gradient descent repeats :math:`w \leftarrow w - \eta L'(w)`; on this quadratic the
distance to the minimum is multiplied by :math:`1 - \eta L''` at every step, so it shrinks
exactly when :math:`0 < \eta < 2 / L''`, and :math:`\eta = 1 / L''` lands on :math:`w^*`
in one step.

Taught in chapter 0 (gradient descent, before the first training of chapter 2); the
optimisers of chapter 7 (``course_rnn.optim``) start from the same update.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from course_rnn._validate import as_array


class Quadratic(NamedTuple):
    """The line-fit loss written as a parabola: its curvature, minimum and step-size limit."""

    curvature: float  # L'' = 2a
    w_star: float  # the minimum, b / a
    loss_star: float  # L(w*) = c - b^2 / a
    max_lr: float  # 2 / L'': gradient descent converges for 0 < lr < max_lr


def next_value_pairs(xs) -> tuple[np.ndarray, np.ndarray]:
    r"""Every (current value, next value) pair of a batch of one-feature sequences.

    .. math::

        x_i = x_{n,t}, \quad y_i = x_{n,t+1}, \qquad n = 1..N,\ t = 1..T-1

    Parameters
    ----------
    xs : ndarray, shape (N, T, 1) or (N, T)

    Returns
    -------
    (x, y) : two ndarrays of shape (N (T - 1),)

    Notes
    -----
    Taught in chapter 0.
    """
    xs = as_array("xs", xs, (2, 3))
    if xs.ndim == 3:
        if xs.shape[2] != 1:
            raise ValueError(f"xs must have one feature (D=1), got shape {xs.shape}")
        xs = xs[:, :, 0]
    if xs.shape[1] < 2:
        raise ValueError(f"xs needs at least two time steps, got shape {xs.shape}")
    return xs[:, :-1].ravel().astype(float), xs[:, 1:].ravel().astype(float)


def _pairs(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = as_array("x", x, 1).astype(float), as_array("y", y, 1).astype(float)
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"x and y must be non-empty and of the same shape, got {x.shape} "
                         f"and {y.shape}")
    return x, y


def line_loss(w, x, y) -> np.ndarray:
    r"""Mean squared error of the one-weight model :math:`\hat y = w x`.

    .. math::

        L(w) = \frac{1}{n} \sum_i (w\, x_i - y_i)^2

    Parameters
    ----------
    w : float or ndarray of any shape
        One weight, or many (a grid to draw the curve): the loss is computed for each.
    x, y : ndarray, shape (n,)

    Returns
    -------
    ndarray, the shape of ``w``

    Notes
    -----
    torch: ``torch.nn.functional.mse_loss(w * x, y)``. Taught in chapter 0.
    """
    x, y = _pairs(x, y)
    w = np.asarray(w, dtype=float)
    return ((w[..., None] * x - y) ** 2).mean(axis=-1)  # (...,)


def line_loss_grad(w, x, y) -> np.ndarray:
    r"""The derivative of :func:`line_loss` with respect to the weight.

    .. math::

        L'(w) = \frac{2}{n} \sum_i (w\, x_i - y_i)\, x_i

    Parameters
    ----------
    w : float or ndarray of any shape
    x, y : ndarray, shape (n,)

    Returns
    -------
    ndarray, the shape of ``w``

    Notes
    -----
    torch: ``w.grad`` after ``mse_loss(w * x, y).backward()``. Taught in chapter 0.
    """
    x, y = _pairs(x, y)
    w = np.asarray(w, dtype=float)
    return (2 * (w[..., None] * x - y) * x).mean(axis=-1)  # (...,)


def line_loss_quadratic(x, y) -> Quadratic:
    r"""The parabola :math:`L(w) = a w^2 - 2 b w + c` behind :func:`line_loss`.

    .. math::

        L'' = 2a, \qquad w^* = \frac{b}{a}, \qquad L(w^*) = c - \frac{b^2}{a}, \qquad
        \eta_{\max} = \frac{2}{L''}

    Parameters
    ----------
    x, y : ndarray, shape (n,), not all ``x`` zero

    Returns
    -------
    Quadratic
        ``curvature``, ``w_star``, ``loss_star``, ``max_lr``.

    Notes
    -----
    Taught in chapter 0.
    """
    x, y = _pairs(x, y)
    a, b, c = (x * x).mean(), (x * y).mean(), (y * y).mean()
    if a == 0:
        raise ValueError("every x is zero: the loss does not depend on w")
    return Quadratic(float(2 * a), float(b / a), float(c - b * b / a), float(1 / a))


def gradient_descent(grad: Callable[[float], float], w0: float, lr: float,
                     steps: int) -> np.ndarray:
    r"""Run gradient descent on one weight and return every iterate.

    .. math::

        w_{k+1} = w_k - \eta\, L'(w_k), \qquad k = 0, \dots, \text{steps} - 1

    Parameters
    ----------
    grad : callable
        :math:`w \mapsto L'(w)`, e.g. ``lambda w: line_loss_grad(w, x, y)``.
    w0 : float
        The starting weight.
    lr : float
        The learning rate (step size) :math:`\eta \ge 0`.
    steps : int
        Number of updates.

    Returns
    -------
    ndarray, shape (steps + 1,)
        :math:`w_0, w_1, \dots, w_{\text{steps}}` (they may grow without bound when ``lr`` is
        too large; nothing stops them).

    Notes
    -----
    One update is ``course_rnn.optim.SGD(lr).update({"w": w}, {"w": grad})``; torch:
    ``torch.optim.SGD([w], lr=lr).step()``. Taught in chapter 0.
    """
    if lr < 0:
        raise ValueError(f"the learning rate lr must be >= 0, got {lr}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    ws = np.empty(steps + 1)
    ws[0] = w = float(w0)
    for k in range(steps):
        w = w - lr * float(grad(w))
        ws[k + 1] = w
    return ws


def minibatch_gradients(w: float, x, y, batch_size: int, n_batches: int,
                        rng: np.random.Generator) -> np.ndarray:
    r"""The derivative of the loss measured on random mini-batches instead of all pairs.

    .. math::

        g_B(w) = \frac{2}{|B|} \sum_{i \in B} (w\, x_i - y_i)\, x_i, \qquad
        \mathbb{E}_B[g_B(w)] = L'(w)

    Each batch draws ``batch_size`` distinct pairs at random.

    Parameters
    ----------
    w : float
    x, y : ndarray, shape (n,)
    batch_size : int, 1 <= batch_size <= n
    n_batches : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (n_batches,)

    Notes
    -----
    Taught in chapter 0 (the stochastic gradient that mini-batch training follows).
    """
    x, y = _pairs(x, y)
    if not 1 <= batch_size <= x.size:
        raise ValueError(f"batch_size must be between 1 and n={x.size}, got {batch_size}")
    idx = np.stack([rng.choice(x.size, size=batch_size, replace=False)
                    for _ in range(n_batches)])  # (n_batches, batch_size)
    return (2 * (w * x[idx] - y[idx]) * x[idx]).mean(axis=1)  # (n_batches,)


def minibatch_descent(x, y, w0: float, lr: float, steps: int, batch_size: int,
                      rng: np.random.Generator) -> np.ndarray:
    r"""Stochastic gradient descent on one weight: each step uses a new random mini-batch.

    .. math::

        w_{k+1} = w_k - \eta\, g_{B_k}(w_k)

    Parameters
    ----------
    x, y : ndarray, shape (n,)
    w0, lr : float
    steps, batch_size : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (steps + 1,)
        The iterates :math:`w_0, \dots, w_{\text{steps}}`.

    Notes
    -----
    torch: ``torch.optim.SGD`` fed by a shuffling ``DataLoader``. Taught in chapter 0.
    """
    x, y = _pairs(x, y)
    if not 1 <= batch_size <= x.size:
        raise ValueError(f"batch_size must be between 1 and n={x.size}, got {batch_size}")
    ws = np.empty(steps + 1)
    ws[0] = w = float(w0)
    for k in range(steps):
        batch = rng.choice(x.size, size=batch_size, replace=False)
        w = w - lr * float(line_loss_grad(w, x[batch], y[batch]))
        ws[k + 1] = w
    return ws
