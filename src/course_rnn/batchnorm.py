r"""Batch normalisation of sequences, as Keras applies it between recurrent layers.

Batch normalisation (Ioffe & Szegedy, 2015) standardises each *feature* with statistics
taken over the mini-batch. On a batch of sequences ``(N, T, H)`` Keras's
``BatchNormalization()`` (axis -1) pools the batch **and every time step**: one mean and
one variance per feature, :math:`M = N T` values each,

.. math::

    \mu_j = \frac{1}{NT}\sum_{n,t} x_{ntj}, \quad
    \sigma_j^2 = \frac{1}{NT}\sum_{n,t} (x_{ntj} - \mu_j)^2, \quad
    y_{ntj} = \gamma_j \frac{x_{ntj} - \mu_j}{\sqrt{\sigma_j^2 + \epsilon}} + \beta_j .

In training the statistics are the batch's, and running averages follow them,

.. math::

    \bar\mu \leftarrow m\,\bar\mu + (1 - m)\,\mu, \qquad
    \bar\sigma^2 \leftarrow m\,\bar\sigma^2 + (1 - m)\,\sigma^2
    \qquad (m = 0.99),

which inference uses instead of the batch's, so that a prediction does not depend on the
other samples of its batch. The conventions are Keras's (momentum 0.99, eps 1e-3, the
biased batch variance in the running average). torch's ``nn.BatchNorm1d`` on ``(N, H, T)``
computes the same output; its ``momentum`` is :math:`1 - m` (0.01 here), and its running
variance averages the *unbiased* batch variance, :math:`\sigma^2 M / (M - 1)`.

Where it goes in an RNN: between layers, on the sequence of states one layer passes to
the next, never inside the recurrence (chapter 7 explains why). Size letters: N batch,
T time, H features. Taught in chapter 7.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_rnn._validate import as_array, check_shape, normalisation_inputs

MOMENTUM = 0.99
"""Keras's default momentum of the running averages (torch's ``momentum`` is 1 - this)."""
EPS = 1e-3
"""Keras's default epsilon (torch's default is 1e-5)."""


class BatchNormCache(NamedTuple):
    xhat: np.ndarray  # (..., H) the standardised input
    inv_std: np.ndarray  # (H,) 1 / sqrt(var + eps)
    gamma: np.ndarray  # (H,)
    batch_stats: bool  # True: training mode (the statistics depend on x)


class BatchNormGrads(NamedTuple):
    dx: np.ndarray  # (..., H)
    dgamma: np.ndarray  # (H,)
    dbeta: np.ndarray  # (H,)


def batch_moments(x) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean and biased variance of each feature over every axis but the last.

    .. math::

        \mu_j = \frac{1}{M}\sum_i x_{ij}, \qquad \sigma_j^2 = \frac{1}{M}\sum_i (x_{ij} - \mu_j)^2

    with :math:`i` running over the ``M`` positions (``N T`` for a batch of sequences).
    Keras: ``tf.nn.moments(x, axes=[0, 1])``. Taught in chapter 7.
    """
    x = np.asarray(x)
    lead = tuple(range(x.ndim - 1))
    mean = x.mean(axis=lead)  # (H,)
    xc = x - mean
    return mean, np.mean(xc * xc, axis=lead)  # (H,), (H,)


def batchnorm_forward(x, gamma, beta, eps: float = EPS, mean=None, var=None):
    r"""Batch normalisation over every axis but the last (the features).

    .. math::

        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \odot \hat x + \beta

    Training mode (``mean`` and ``var`` None): :math:`\mu, \sigma^2` are the batch's
    (``batch_moments``: over N and T for a sequence). Inference mode: the given running
    averages.

    Parameters
    ----------
    x : ndarray, shape (N, T, H) or (N, H)
    gamma, beta : ndarray, shape (H,)
        Scale and shift (torch's ``weight`` and ``bias``).
    eps : float
        Added to the variance; 1e-3 as Keras (torch: 1e-5).
    mean, var : ndarray, shape (H,), or None
        Running averages for inference mode; None for training mode.

    Returns
    -------
    y : ndarray, shape of ``x``
    cache : BatchNormCache
    stats : tuple of ndarray (H,)
        The mean and the biased variance used (the batch's in training mode), for
        ``update_running``.

    Notes
    -----
    torch: ``nn.BatchNorm1d(H, eps=eps)`` applied to ``x.transpose(1, 2)`` (N, H, T), in
    ``train()`` mode or, with ``running_mean = mean`` and ``running_var = var``, in
    ``eval()`` mode. Taught in chapter 7.
    """
    x, gamma, beta = normalisation_inputs(x, gamma, beta, 2, "a batch axis and a feature axis")
    if (mean is None) != (var is None):
        raise ValueError("give both mean and var (inference) or neither (training)")
    train = mean is None
    if train:
        mean, var = batch_moments(x)  # (H,), (H,)
    else:
        mean, var = as_array("mean", mean, 1), as_array("var", var, 1)
        check_shape("mean", mean, gamma.shape, f"gamma has shape {gamma.shape}")
        check_shape("var", var, gamma.shape, f"gamma has shape {gamma.shape}")
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)  # (H,)
    xhat = (x - mean.astype(x.dtype)) * inv_std  # (..., H)
    y = gamma.astype(x.dtype) * xhat + beta.astype(x.dtype)
    return y, BatchNormCache(xhat, inv_std, gamma, train), (mean, var)


def batchnorm_backward(dy, cache: BatchNormCache) -> BatchNormGrads:
    r"""Gradients of batch normalisation, in training or inference mode.

    .. math::

        \frac{\partial L}{\partial \beta} = \sum_i \delta y_i, \quad
        \frac{\partial L}{\partial \gamma} = \sum_i \delta y_i \odot \hat x_i, \quad
        \frac{\partial L}{\partial x_i} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
        \Bigl(g_i - \overline{g} - \hat x_i\, \overline{g \odot \hat x}\Bigr), \quad
        g = \gamma \odot \delta y

    where :math:`i` and the bars run over the M = N T positions (every axis but the last):
    the statistics of the batch depend on every input. In inference mode the statistics
    are constants and :math:`\partial L / \partial x = g / \sqrt{\bar\sigma^2 + \epsilon}`.
    ``dy`` has the shape of ``x``, e.g. (N, T, H). Torch: autograd through
    ``nn.BatchNorm1d`` (``weight.grad``, ``bias.grad``). Taught in chapter 7.
    """
    xhat, inv_std, gamma, train = cache
    dy = np.asarray(dy)
    check_shape("dy", dy, xhat.shape, "the shape of the forward output")
    lead = tuple(range(dy.ndim - 1))
    dbeta = dy.sum(axis=lead)  # (H,)
    dgamma = (dy * xhat).sum(axis=lead)  # (H,)
    g = dy * gamma.astype(dy.dtype)  # (..., H)
    if not train:
        return BatchNormGrads(g * inv_std, dgamma, dbeta)
    gm = g.mean(axis=lead)  # (H,)
    gxm = (g * xhat).mean(axis=lead)  # (H,)
    return BatchNormGrads(inv_std * (g - gm - xhat * gxm), dgamma, dbeta)


def update_running(running_mean, running_var, mean, var, momentum: float = MOMENTUM):
    r"""One step of the running averages that inference uses.

    .. math::

        \bar\mu \leftarrow m\,\bar\mu + (1 - m)\,\mu, \qquad
        \bar\sigma^2 \leftarrow m\,\bar\sigma^2 + (1 - m)\,\sigma^2

    ``running_mean``, ``running_var``, ``mean``, ``var``: arrays (H,); returns the new
    pair. Keras's ``momentum`` is :math:`m` (0.99) and :math:`\sigma^2` the biased batch
    variance; torch's ``momentum`` is :math:`1 - m` and it averages the unbiased variance
    :math:`\sigma^2 M/(M-1)`. Taught in chapter 7.
    """
    new_mean = momentum * running_mean + (1 - momentum) * mean
    new_var = momentum * running_var + (1 - momentum) * var
    return (new_mean.astype(np.asarray(running_mean).dtype),
            new_var.astype(np.asarray(running_var).dtype))


class BatchNorm:
    r"""Batch normalisation layer with a train / inference switch, Keras's defaults.

    .. math::

        y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta, \qquad
        (\mu, \sigma^2) = \begin{cases} \text{the batch's (and update the running averages)}
        & \text{training} \\ (\bar\mu, \bar\sigma^2) & \text{inference} \end{cases}

    ``BatchNorm(H, momentum=0.99, eps=1e-3)``: ``params = {"gamma": 1, "beta": 0}`` (learned),
    ``buffers = {"running_mean": 0, "running_var": 1}`` (followed, not learned).
    ``train()`` and ``eval()`` switch the mode as ``course_rnn.dropout.Dropout`` does
    (``training`` is True at first); ``forward(x (N, T, H) or (N, H))``,
    ``backward(dy) -> dx``. Torch: ``nn.BatchNorm1d(H, eps=1e-3, momentum=0.01)`` on
    ``(N, H, T)``. Taught in chapter 7.
    """

    def __init__(self, H: int, momentum: float = MOMENTUM, eps: float = EPS, dtype=np.float64):
        self.momentum, self.eps = momentum, eps
        self.params = {"gamma": np.ones(H, dtype=dtype), "beta": np.zeros(H, dtype=dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.buffers = {"running_mean": np.zeros(H, dtype=dtype),
                        "running_var": np.ones(H, dtype=dtype)}
        self.training = True
        self.cache: BatchNormCache | None = None

    def train(self) -> BatchNorm:
        self.training = True
        return self

    def eval(self) -> BatchNorm:
        self.training = False
        return self

    def forward(self, x) -> np.ndarray:
        p, b = self.params, self.buffers
        if self.training:
            y, self.cache, (mean, var) = batchnorm_forward(x, p["gamma"], p["beta"], self.eps)
            b["running_mean"], b["running_var"] = update_running(
                b["running_mean"], b["running_var"], mean, var, self.momentum)
        else:
            y, self.cache, _ = batchnorm_forward(x, p["gamma"], p["beta"], self.eps,
                                                 b["running_mean"], b["running_var"])
        return y

    def backward(self, dy) -> np.ndarray:
        g = batchnorm_backward(dy, self.cache)
        self.grads["gamma"][...] = g.dgamma
        self.grads["beta"][...] = g.dbeta
        return g.dx
