r"""Inverted dropout, with an explicit random generator.

In training, each unit is kept with probability :math:`1 - p` and the kept ones are
scaled by :math:`1/(1-p)`, so that the expected output equals the input and nothing has
to change at test time:

.. math::

    m_i \sim \mathrm{Bernoulli}(1 - p), \qquad
    y = \frac{m \odot x}{1 - p} \ \text{(training)}, \qquad y = x \ \text{(evaluation)}.

The mask comes from a ``numpy.random.Generator`` that the caller passes, so a run is
reproducible. ``shared_axes`` draws one mask for every position along those axes: with
``xs`` (N, T, D) and ``shared_axes=(1,)`` each sequence drops the same units at every
time step ("variational" dropout, Gal & Ghahramani 2016, as Keras's
``recurrent_dropout`` does). Taught in chapter 7.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_rnn._validate import check_shape


class DropoutCache(NamedTuple):
    mask: np.ndarray | None  # scaled mask m / (1 - p), broadcastable to x; None: identity
    x_shape: tuple


def _check_p(p) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability p must be in [0, 1], got {p}")
    return float(p)


def _generator(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator or an int seed, got {rng!r}")


def dropout_forward(x, p: float, rng, train: bool = True, shared_axes: tuple[int, ...] = ()):
    r"""Inverted dropout.

    .. math::

        y = \frac{m \odot x}{1 - p}, \quad m_i \sim \mathrm{Bernoulli}(1 - p)
        \ \text{if train, else}\ y = x

    Parameters
    ----------
    x : ndarray, any shape, e.g. (N, T, H)
    p : float in [0, 1]
        Probability of dropping a unit (``p = 1`` gives zeros, as in torch).
    rng : numpy.random.Generator or int
        Source of the mask. An int seeds a new generator, so the same seed gives the
        same mask at every call; pass a Generator to draw a new mask each time.
    train : bool
        False: return ``x`` unchanged.
    shared_axes : tuple of int
        Axes along which the mask is shared (size 1 in the mask); ``(1,)`` for the
        same mask at every time step of (N, T, H).

    Returns
    -------
    y : ndarray, shape and dtype of ``x``
    cache : DropoutCache

    Torch: ``torch.nn.functional.dropout(x, p, training=train)`` (which draws its own
    mask; only the distribution is the same). Taught in chapter 7.
    """
    x = np.asarray(x)
    p = _check_p(p)
    if not train or p == 0.0:
        return x.copy(), DropoutCache(None, x.shape)
    rng = _generator(rng)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    shape = list(x.shape)
    for axis in shared_axes:
        shape[axis] = 1  # an out-of-range axis raises IndexError here
    if p == 1.0:
        mask = np.zeros(shape, dtype=dtype)
    else:
        mask = (rng.random(shape) >= p).astype(dtype) / dtype.type(1.0 - p)  # 0 or 1/(1-p)
    return x * mask, DropoutCache(mask, x.shape)


def dropout_backward(dy, cache: DropoutCache) -> np.ndarray:
    r"""Gradient of dropout: the same mask, :math:`\partial L/\partial x = m \odot \delta y/(1-p)`
    (or ``dy`` itself in evaluation mode). ``dy`` has the shape of ``x``. Torch: autograd
    through ``F.dropout``. Taught in chapter 7.
    """
    dy = np.asarray(dy)
    check_shape("dy", dy, cache.x_shape, "the shape of x")
    return dy.copy() if cache.mask is None else dy * cache.mask


class Dropout:
    r"""Inverted dropout layer with a train / evaluation switch.

    .. math::

        y = \frac{m \odot x}{1 - p} \ \text{(training)}, \qquad y = x \ \text{(evaluation)}

    ``Dropout(p, rng, shared_axes=())``: ``rng`` is a ``numpy.random.Generator`` or a
    seed for one, drawn from at every ``forward``. ``train()`` and ``eval()`` switch the
    mode (``training`` is True at first, as in torch). No parameters.
    Torch: ``torch.nn.Dropout(p)``. Taught in chapter 7.
    """

    def __init__(self, p: float, rng, shared_axes: tuple[int, ...] = ()):
        self.p = _check_p(p)
        self.rng = _generator(rng)
        self.shared_axes = tuple(shared_axes)
        self.training = True
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.cache: DropoutCache | None = None

    def train(self) -> Dropout:
        self.training = True
        return self

    def eval(self) -> Dropout:
        self.training = False
        return self

    def forward(self, x) -> np.ndarray:
        y, self.cache = dropout_forward(x, self.p, self.rng, self.training, self.shared_axes)
        return y

    def backward(self, dy) -> np.ndarray:
        return dropout_backward(dy, self.cache)
