r"""A small hidden Markov model, to read an RNN as a state-space model (chapter 1).

An HMM with K hidden states and M observation symbols has a *random* hidden state:

.. math::

    z_0 \sim p_0, \qquad
    p(z_t = j \mid z_{t-1} = i) = A_t[i, j], \qquad
    p(y_t = m \mid z_t = k) = B[k, m],

    p(y_{1:T}) = \sum_{z_{0:T}} p_0(z_0) \prod_{t=1}^{T} A_t[z_{t-1}, z_t]\, B[z_t, y_t].

``A`` is one (K, K) matrix for every step, or one per step, (T, K, K): a transition
that depends on an input :math:`x_t` is ``A_table[xs]``. An RNN has the same picture
with a *deterministic* transition, :math:`p(h_t \mid h_{t-1}, x_t) =
\mathbb{I}(h_t = f(h_{t-1}, x_t))`: of the :math:`K^{T+1}` paths of the sum, one is
left (``deterministic_transitions`` builds such an A for a finite state set).

And the other way round: the forward algorithm that computes the HMM's likelihood
is a recurrence of the RNN kind, a fixed function of the previous "state" (the
belief :math:`b_{t-1}`) and the current input :math:`y_t`:

.. math::

    b_t = \frac{(b_{t-1} A_t) \odot B[:, y_t]}{c_t}, \qquad
    c_t = \sum_k \bigl((b_{t-1} A_t) \odot B[:, y_t]\bigr)_k, \qquad
    \log p(y_{1:T}) = \sum_t \log c_t .

Row vectors, as everywhere in the course. Taught in chapter 1 (the state-space view).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from course_rnn._validate import as_array, check_dim

MAX_PATHS = 1_000_000  # brute-force sums refuse more paths than this


def _check_stochastic(name: str, P: np.ndarray) -> None:
    if (P < 0).any() or not np.allclose(P.sum(axis=-1), 1.0, rtol=0, atol=1e-10):
        raise ValueError(f"every row of {name} must be a probability distribution "
                         "(non-negative, summing to 1)")


def _check_hmm(p0, A, B, T: int):
    """Arrays ``p0`` (K,), ``A`` as (T, K, K), ``B`` (K, M), after checking them."""
    p0 = as_array("p0", p0, 1).astype(float)
    B = as_array("B", B, 2).astype(float)
    A = as_array("A", A, (2, 3)).astype(float)
    K = p0.shape[0]
    check_dim("B", B, 0, K, "p0", "K")
    check_dim("A", A, -1, K, "p0", "K")
    check_dim("A", A, -2, K, "p0", "K")
    if A.ndim == 3:
        check_dim("A", A, 0, T, "the sequence", "T")
    else:
        A = np.broadcast_to(A, (T, K, K))
    for name, P in (("p0", p0), ("A", A), ("B", B)):
        _check_stochastic(name, P)
    return p0, A, B


def _check_obs(ys, M: int) -> np.ndarray:
    ys = as_array("ys", ys, 1)
    if ys.dtype.kind not in "iu":
        raise TypeError(f"ys must hold integer symbols, got dtype {ys.dtype}")
    if ys.size and (ys.min() < 0 or ys.max() >= M):
        raise ValueError(f"ys holds symbols outside [0, M) with M={M}")
    return ys


def deterministic_transitions(next_state) -> np.ndarray:
    r"""One-hot transition matrices of a deterministic state machine.

    .. math::

        A[x][i, j] = \mathbb{I}\bigl(j = f(i, x)\bigr), \qquad f(i, x) = \texttt{next\_state}[x, i]

    Parameters
    ----------
    next_state : int ndarray, shape (X, K)
        ``next_state[x, i]`` is the state that follows state ``i`` on input ``x``.

    Returns
    -------
    A : ndarray, shape (X, K, K)
        ``A[xs]`` (shape (T, K, K)) is the transition of an input sequence ``xs``.

    Notes
    -----
    The finite-state counterpart of :math:`h_t = f(h_{t-1}, x_t)`. Taught in chapter 1.
    """
    table = as_array("next_state", next_state, 2)
    if table.dtype.kind not in "iu":
        raise TypeError(f"next_state must hold integer states, got dtype {table.dtype}")
    X, K = table.shape
    if table.min() < 0 or table.max() >= K:
        raise ValueError(f"next_state holds states outside [0, K) with K={K}")
    A = np.zeros((X, K, K))
    A[np.arange(X)[:, None], np.arange(K)[None, :], table] = 1.0
    return A


def hmm_sample(p0, A, B, T: int, rng: np.random.Generator):
    r"""Draw hidden states and observations from the HMM.

    .. math::

        z_0 \sim p_0, \quad z_t \sim A_t[z_{t-1}, :], \quad y_t \sim B[z_t, :]
        \qquad (t = 1, \dots, T)

    Parameters
    ----------
    p0 : ndarray, shape (K,)
    A : ndarray, shape (K, K) or (T, K, K)
    B : ndarray, shape (K, M)
    T : int
    rng : numpy.random.Generator

    Returns
    -------
    zs : int ndarray, shape (T + 1,)
        ``zs[t]`` is :math:`z_t`, from :math:`z_0`.
    ys : int ndarray, shape (T,)
        ``ys[t - 1]`` is :math:`y_t`.

    Notes
    -----
    Taught in chapter 1.
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be an integer >= 1, got {T!r}")
    p0, A, B = _check_hmm(p0, A, B, T)
    K, M = B.shape
    zs = np.empty(T + 1, dtype=int)
    ys = np.empty(T, dtype=int)
    zs[0] = rng.choice(K, p=p0)
    for t in range(1, T + 1):
        zs[t] = rng.choice(K, p=A[t - 1, zs[t - 1]])
        ys[t - 1] = rng.choice(M, p=B[zs[t]])
    return zs, ys


class PathSum(NamedTuple):
    """The likelihood as an explicit sum over hidden paths."""

    likelihood: float  # p(y_{1:T})
    n_paths: int  # K^(T+1) paths z_0..z_T
    n_nonzero: int  # paths with a non-zero term
    best_path: np.ndarray  # (T + 1,) the path with the largest term
    best_share: float  # its term divided by the likelihood


def hmm_likelihood_brute_force(p0, A, B, ys) -> PathSum:
    r"""The likelihood of ``ys`` by summing over every hidden path.

    .. math::

        p(y_{1:T}) = \sum_{z_{0:T}} p_0(z_0) \prod_{t=1}^{T} A_t[z_{t-1}, z_t]\, B[z_t, y_t]

    Exponential in T (:math:`K^{T+1}` terms): for checking ``hmm_filter`` and for
    seeing how many paths contribute.

    Parameters
    ----------
    p0 : ndarray, shape (K,)
    A : ndarray, shape (K, K) or (T, K, K)
    B : ndarray, shape (K, M)
    ys : int ndarray, shape (T,)

    Returns
    -------
    PathSum

    Raises
    ------
    ValueError
        If there are more than ``MAX_PATHS`` paths.

    Notes
    -----
    Taught in chapter 1.
    """
    ys = as_array("ys", ys, 1)
    T = ys.shape[0]
    p0, A, B = _check_hmm(p0, A, B, T)
    ys = _check_obs(ys, B.shape[1])
    K = p0.shape[0]
    n_paths = K ** (T + 1)
    if n_paths > MAX_PATHS:
        raise ValueError(f"{n_paths} paths (K={K}, T={T}) is more than MAX_PATHS={MAX_PATHS}; "
                         "use hmm_filter")
    paths = np.array(list(itertools.product(range(K), repeat=T + 1)))  # (P, T + 1)
    terms = p0[paths[:, 0]].copy()  # (P,)
    for t in range(1, T + 1):
        terms *= A[t - 1, paths[:, t - 1], paths[:, t]] * B[paths[:, t], ys[t - 1]]
    total = float(terms.sum())
    best = int(np.argmax(terms))
    return PathSum(total, n_paths, int((terms > 0).sum()), paths[best],
                   float(terms[best] / total) if total > 0 else float("nan"))


def hmm_filter_step(b_prev, y_t: int, A_t, B):
    r"""One step of the forward algorithm: the HMM's "recurrent cell".

    .. math::

        \tilde b_t = (b_{t-1} A_t) \odot B[:, y_t], \qquad c_t = \textstyle\sum_k \tilde b_t[k],
        \qquad b_t = \tilde b_t / c_t

    Parameters
    ----------
    b_prev : ndarray, shape (K,)
        :math:`b_{t-1} = p(z_{t-1} \mid y_{1:t-1})`.
    y_t : int
    A_t : ndarray, shape (K, K)
    B : ndarray, shape (K, M)

    Returns
    -------
    b_t : ndarray, shape (K,)
        :math:`p(z_t \mid y_{1:t})`.
    c_t : float
        :math:`p(y_t \mid y_{1:t-1})`.

    Notes
    -----
    Compare :math:`h_t = \tanh(h_{t-1} W_{hh} + x_t W_{xh} + b_h)`: a linear map of the
    previous state, combined with the input, then a fixed nonlinearity (here: the
    normalisation). Taught in chapter 1.
    """
    unnorm = (b_prev @ A_t) * B[:, y_t]  # (K,)
    c_t = float(unnorm.sum())
    if c_t <= 0:
        raise ValueError(f"the observation {y_t} has probability 0 under the model")
    return unnorm / c_t, c_t


class FilterResult(NamedTuple):
    """The output of the forward algorithm."""

    beliefs: np.ndarray  # (T + 1, K): beliefs[t] = p(z_t | y_{1:t}), beliefs[0] = p0
    log_likelihood: float  # log p(y_{1:T})


def hmm_filter(p0, A, B, ys) -> FilterResult:
    r"""The forward algorithm, normalised at every step.

    .. math::

        b_0 = p_0, \qquad b_t = \frac{(b_{t-1} A_t) \odot B[:, y_t]}{c_t}, \qquad
        \log p(y_{1:T}) = \sum_{t=1}^{T} \log c_t

    Linear in T (:math:`O(T K^2)`), against :math:`K^{T+1}` terms for the plain sum.

    Parameters
    ----------
    p0 : ndarray, shape (K,)
    A : ndarray, shape (K, K) or (T, K, K)
    B : ndarray, shape (K, M)
    ys : int ndarray, shape (T,)

    Returns
    -------
    FilterResult
        ``beliefs`` (T + 1, K) and ``log_likelihood``.

    Notes
    -----
    Taught in chapter 1.
    """
    ys = as_array("ys", ys, 1)
    T = ys.shape[0]
    p0, A, B = _check_hmm(p0, A, B, T)
    ys = _check_obs(ys, B.shape[1])
    beliefs = np.empty((T + 1, p0.shape[0]))
    beliefs[0] = p0
    log_lik = 0.0
    for t in range(1, T + 1):
        beliefs[t], c_t = hmm_filter_step(beliefs[t - 1], int(ys[t - 1]), A[t - 1], B)
        log_lik += np.log(c_t)
    return FilterResult(beliefs, float(log_lik))
