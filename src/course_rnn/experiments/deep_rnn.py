r"""Training deep RNNs: the measurements behind the remedies for unstable gradients.

The pieces of chapter 7 that are not layers of their own:

- ``state_norms`` / ``weight_update_growth``: why a non-saturating activation makes a
  recurrent net unstable. ReLU is positively homogeneous, :math:`\max(c a, 0) = c \max(a, 0)`
  for :math:`c > 0`, so nothing stops the same :math:`W_{hh}` from scaling the state at
  every step, while :math:`|\tanh| < 1` bounds it;
- ``batchnorm_forward`` (one step, statistics over the batch) and
  ``preactivation_stats``: why batch normalisation fits badly between time steps and
  layer normalisation (``course_rnn.layernorm``) fits well;
- ``dropout_reach``: why a fresh dropout mask at every step wipes out a recurrent memory
  and the same mask at every step (variational dropout) does not;
- ``influence_map``: which inputs each output of a (deep, bidirectional) stack depends on,
  hence why a bidirectional RNN cannot forecast.

The small model the chapter trains to compare initialisations and optimisers is
``course_rnn.models.RNNRegressor``.

Size letters: N batch, T time, D input, H hidden. Taught in chapter 7.
"""

from __future__ import annotations

import numpy as np

from course_rnn._validate import as_array, check_dim
from course_rnn.dropout import dropout_forward
from course_rnn.experiments.gradients import recurrent_weights
from course_rnn.multilayer import stacked_backward, stacked_forward
from course_rnn.rnn import rnn_forward

# ----------------------------------------------------------------------------- activations


def state_norms(xs, W_xh, W_hh, b_h, activation: str = "tanh") -> np.ndarray:
    r"""The root-mean-square size of the hidden state at every step.

    .. math::

        s_t = \frac{\|h_t\|_2}{\sqrt{H}}, \qquad
        h_t = f(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \ h_0 = 0

    :math:`s_t \le 1` for tanh; for ReLU nothing bounds it.

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
    W_xh, W_hh, b_h : ndarrays, shapes (D, H), (H, H), (H,)
    activation : {"tanh", "relu"}

    Returns
    -------
    ndarray, shape (N, T)

    Notes
    -----
    torch: ``nn.RNN(..., nonlinearity=activation)(xs)[0].norm(dim=-1) / H ** 0.5``.
    Taught in chapter 7.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # a ReLU state may overflow: inf
        hs, _, _ = rnn_forward(xs, None, W_xh, W_hh, b_h, activation)  # (N, T, H)
        return np.linalg.norm(hs, axis=-1) / np.sqrt(hs.shape[-1])


def random_rnn(radius: float, H: int = 32, D: int = 4, *, kind: str = "orthogonal",
               input_scale: float = 1.0, seed: int = 0) -> dict:
    r"""``{"W_xh", "W_hh", "b_h"}`` with :math:`\rho(W_{hh})` = ``radius`` and zero bias.

    .. math::

        W_{hh} = \rho\, Q \ \text{(orthogonal)}, \qquad
        W_{xh} \sim \mathcal{N}(0, s^2 / D), \qquad b_h = 0

    ``W_hh`` is ``experiments.gradients.recurrent_weights(H, radius, rng, kind)``; the same
    seed gives the same directions for every radius. No torch equivalent (a test input).
    Taught in chapter 7.
    """
    rng = np.random.default_rng(seed)
    W_hh = recurrent_weights(H, radius, rng, kind)  # (H, H)
    W_xh = rng.standard_normal((D, H)) * (input_scale / np.sqrt(D))  # (D, H)
    return {"W_xh": W_xh, "W_hh": W_hh, "b_h": np.zeros(H)}


def weight_update_growth(xs, params: dict, activation: str, step: float = 0.05) -> np.ndarray:
    r"""How much a small change of the shared :math:`W_{hh}` changes the state at each step.

    The argument of source document 003: an update that makes the output of the first step
    a little larger makes the second step's larger too, because the same weights act at
    every step, and so on. With :math:`W'_{hh} = (1 + \varepsilon) W_{hh}`,

    .. math::

        r_t = \frac{\operatorname{mean}_n \|h'_t\|}{\operatorname{mean}_n \|h_t\|}, \qquad
        h'_t = \sum_{k \le t} (1 + \varepsilon)^{t-k} \rho^{t-k}\, x_k W_{xh}
        \ \text{(ReLU, } W_{hh} = \rho I, \text{ positive states)}

    so with ReLU the change compounds step after step, while tanh keeps :math:`r_t` near 1.

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
    params : dict
        ``{"W_xh", "W_hh", "b_h"}``.
    activation : {"tanh", "relu"}
    step : float
        :math:`\varepsilon`.

    Returns
    -------
    ndarray, shape (T,)
        :math:`r_t`.

    Notes
    -----
    No torch equivalent (a measurement). Taught in chapter 7.
    """
    before = state_norms(xs, params["W_xh"], params["W_hh"], params["b_h"], activation)
    after = state_norms(xs, params["W_xh"], (1 + step) * params["W_hh"], params["b_h"],
                        activation)
    return after.mean(axis=0) / before.mean(axis=0)


# ----------------------------------------------------------------------------- normalisation


def batchnorm_forward(x, gamma, beta, eps: float = 1e-5, mean=None, var=None):
    r"""Batch normalisation of one step: each feature standardised over the batch.

    .. math::

        \mu_j = \frac1N \sum_n x_{nj}, \quad
        \sigma_j^2 = \frac1N \sum_n (x_{nj} - \mu_j)^2, \quad
        y_{nj} = \gamma_j \frac{x_{nj} - \mu_j}{\sqrt{\sigma_j^2 + \epsilon}} + \beta_j

    Compare layer normalisation, which takes :math:`\mu, \sigma^2` of each row (sample)
    over its features instead. In training the statistics are the batch's (so a sample's
    output depends on the other samples); at inference they are given (running averages).

    Parameters
    ----------
    x : ndarray, shape (N, H)
        One time step of a batch, e.g. the pre-activations :math:`a_t`.
    gamma, beta : ndarray, shape (H,)
    eps : float
    mean, var : ndarray, shape (H,), or None
        Statistics to use (inference mode); None: the batch's (training mode).

    Returns
    -------
    y : ndarray, shape (N, H)
    mean, var : ndarray, shape (H,)
        The statistics used (biased variance).

    Notes
    -----
    torch: ``nn.BatchNorm1d(H, eps=eps)`` in ``train()`` mode (batch statistics) or, with
    ``running_mean = mean`` and ``running_var = var``, in ``eval()`` mode. Forward only:
    the chapter uses it to measure, not to train. Taught in chapter 7.
    """
    x = as_array("x", x, 2)
    gamma, beta = as_array("gamma", gamma, 1), as_array("beta", beta, 1)
    check_dim("gamma", gamma, 0, x.shape[1], "x", "H")
    check_dim("beta", beta, 0, x.shape[1], "x", "H")
    if (mean is None) != (var is None):
        raise ValueError("give both mean and var (inference) or neither (training)")
    if mean is None:
        mean, var = x.mean(axis=0), x.var(axis=0)  # (H,), over the batch
    return gamma * (x - mean) / np.sqrt(var + eps) + beta, mean, var


def preactivations(xs, W_xh, W_hh, b_h, activation: str = "tanh") -> np.ndarray:
    r"""The pre-activations :math:`a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h` of every step.

    .. math::

        a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h, \qquad h_t = f(a_t), \ h_0 = 0

    What a normalisation inside the cell would standardise (layer normalisation goes
    right there: :math:`h_t = \tanh(\mathrm{LN}(a_t))`).

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
    W_xh, W_hh, b_h : ndarrays, shapes (D, H), (H, H), (H,)
    activation : {"tanh", "relu"}

    Returns
    -------
    ndarray, shape (N, T, H)

    Notes
    -----
    torch: ``xs @ W_xh + torch.cat([h0, hs[:, :-1]], 1) @ W_hh + b_h``. Taught in chapter 7.
    """
    hs, _, _ = rnn_forward(xs, None, W_xh, W_hh, b_h, activation)  # (N, T, H)
    hs_prev = np.concatenate([np.zeros_like(hs[:, :1]), hs[:, :-1]], axis=1)  # (N, T, H)
    return np.asarray(xs) @ W_xh + hs_prev @ W_hh + b_h


# ----------------------------------------------------------------------------- dropout


def dropout_reach(N: int, T: int, H: int, p: float, rng, variational: bool) -> np.ndarray:
    r"""Share of the units through which :math:`h_0` still reaches :math:`h_t`, with dropout
    on the recurrent connection.

    Each step multiplies the carried state by a dropout mask :math:`m_t`. A unit's content
    survives to step :math:`t` only if it was kept at every step:

    .. math::

        \rho_t = \frac{1}{NH} \sum_{n, j} \Bigl[\prod_{s=1}^{t} m_{s, nj} \ne 0\Bigr],
        \qquad
        \mathbb{E}\rho_t = (1 - p)^t \ \text{(a new mask each step)}, \quad
        1 - p \ \text{(one mask for all steps)}

    Parameters
    ----------
    N, T, H : int
    p : float
        Dropout probability.
    rng : numpy.random.Generator or int
    variational : bool
        True: the same mask at every step (``dropout_forward(..., shared_axes=(1,))``).

    Returns
    -------
    ndarray, shape (T,)
        :math:`\rho_1, \dots, \rho_T`.

    Notes
    -----
    torch: ``F.dropout`` draws a new mask at each call (each step); Keras's
    ``recurrent_dropout`` keeps one per sequence. Taught in chapter 7.
    """
    shared = (1,) if variational else ()
    masks, _ = dropout_forward(np.ones((N, T, H)), p, rng, shared_axes=shared)  # (N, T, H)
    alive = np.cumprod(masks != 0, axis=1)  # (N, T, H): kept at every step so far
    return alive.mean(axis=(0, 2))


# ----------------------------------------------------------------------------- stacks


def influence_map(cell: str, layers_params: list, xs) -> np.ndarray:
    r"""How strongly each output step of a stack depends on each input step.

    .. math::

        M_{ts} = \frac1N \sum_n \Bigl\| \frac{\partial\, \mathbf 1^\top y_{n,t}}
        {\partial x_{n,s}} \Bigr\|_2

    One backward pass per output step :math:`t` (``stacked_backward`` with the upstream
    gradient 1 at step t only). A one-directional stack is causal, :math:`M_{ts} = 0`
    for :math:`s > t`: it may forecast. A bidirectional one reads the future.

    Parameters
    ----------
    cell : str
        Any cell name registered in ``course_rnn.cells``.
    layers_params : list
        As for ``course_rnn.multilayer.stacked_forward``.
    xs : ndarray, shape (N, T, D)

    Returns
    -------
    ndarray, shape (T, T)
        ``M[t, s]``, output step t, input step s (0-based).

    Notes
    -----
    torch: ``torch.autograd.grad(ys[:, t].sum(), xs)`` for every t. Taught in chapter 7.
    """
    ys, _, cache = stacked_forward(cell, xs, layers_params)  # (N, T, H')
    T = ys.shape[1]
    M = np.empty((T, T))
    for t in range(T):
        dys = np.zeros_like(ys)
        dys[:, t] = 1.0
        dxs = stacked_backward(dys, cache).dxs  # (N, T, D)
        M[t] = np.linalg.norm(dxs, axis=-1).mean(axis=0)
    return M
