r"""Numerical gradients by centred differences, and the relative error used to compare them.

For a scalar function :math:`f` of an array :math:`x`, each entry of the gradient is
approximated by

.. math::

    \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h},

whose error is :math:`O(h^2)`. Checks run in float64 with :math:`h = 10^{-5}`; the
relative error

.. math::

    \mathrm{rel}(a, b) = \frac{\max_i |a_i - b_i|}{\max(\max_i |a_i| + \max_i |b_i|, \epsilon)}

is then about :math:`10^{-9}` or smaller for a correct backward pass, and
:math:`10^{-7}` (step functions) or :math:`10^{-6}` (whole sequences) are the bounds
the tests use (the thresholds of CS231n's assignments).

Taught in chapter 3 (backpropagation through time); used in every chapter that writes a
backward pass. The torch equivalent is ``torch.autograd.gradcheck``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Centred-difference gradient of the scalar ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        Takes an array of ``x``'s shape and returns a scalar. It is called with a
        float64 *copy* of ``x``; ``x`` itself is never changed.
    x : ndarray, any shape
        The point. Integer or float32 input is promoted to float64 (a check in
        float32 is meaningless: its rounding error is about 1e-7 already).
    h : float
        Step size.

    Returns
    -------
    ndarray, float64, shape of ``x``
    """
    x = np.array(x, dtype=np.float64, copy=True)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = float(f(x.copy()))
        x[i] = old - h
        fm = float(f(x.copy()))
        x[i] = old
        grad[i] = (fp - fm) / (2.0 * h)
    return grad


def numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    r"""Gradient of :math:`\sum(f(x) \odot dout)` with respect to ``x``.

    The way to check a backward pass that receives an upstream gradient ``dout``
    without writing a loss: the result must equal ``backward(dout)``.
    """
    dout = np.asarray(dout, dtype=np.float64)
    return numerical_gradient(lambda z: float(np.sum(np.asarray(f(z)) * dout)), x, h)


def rel_error(a: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> float:
    """Largest absolute difference divided by the sum of the largest magnitudes.

    0 for identical arrays, about 1 for unrelated ones. Shapes must match.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    num = np.max(np.abs(a - b))
    den = max(np.max(np.abs(a)) + np.max(np.abs(b)), eps)
    return float(num / den)


def check_gradients(
    loss_fn: Callable[[], float],
    params: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    h: float = 1e-5,
) -> dict[str, float]:
    """Relative error of each analytic gradient against the numerical one.

    ``loss_fn()`` reads the arrays of ``params`` (so it sees each perturbation);
    every entry is restored afterwards, so ``params`` is unchanged on return.
    Returns ``{name: rel_error}``.
    """
    errors = {}
    for name, p in params.items():
        if p.dtype != np.float64:
            raise TypeError(f"check_gradients needs float64 parameters; {name} is {p.dtype}")
        saved = p.copy()
        num = np.zeros_like(p)
        try:
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + h
                fp = float(loss_fn())
                p[i] = old - h
                fm = float(loss_fn())
                p[i] = old
                num[i] = (fp - fm) / (2.0 * h)
        finally:
            p[...] = saved
        errors[name] = rel_error(grads[name], num)
    return errors
