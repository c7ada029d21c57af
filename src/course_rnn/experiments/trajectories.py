r"""Looking at hidden states: principal components of :math:`h_t` for 2-D trajectories.

A recurrent layer turns a sequence into a path :math:`h_1, h_2, \dots, h_T` in
:math:`\mathbb{R}^H`. ``pca`` projects every state on the two directions of largest
variance (principal component analysis); ``course_rnn.figures.trajectories`` draws each
sequence's path (``plot_trajectories``) and a heat map of the states over time
(``plot_state_heatmap``).

Taught in chapter 1 (hidden-state trajectories); reusable for the LSTM and GRU states
of chapters 5 and 6.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_rnn._validate import as_array


class PCAResult(NamedTuple):
    """Principal components of a set of hidden states."""

    scores: np.ndarray  # (..., k): the states in the new coordinates
    components: np.ndarray  # (k, H): unit directions, one per row
    mean: np.ndarray  # (H,): the mean state, subtracted before projecting
    explained: np.ndarray  # (k,): share of the total variance along each direction


def pca(hs, k: int = 2) -> PCAResult:
    r"""Project hidden states on their ``k`` directions of largest variance.

    .. math::

        \bar h = \frac{1}{n} \sum_i h_i, \qquad
        H_c = U S V^\top \ (\text{SVD of the centred states}), \qquad
        \text{scores} = H_c V_{:, :k}

    Every state of every sequence and step is one sample: ``hs`` of shape
    (N, T, H) gives ``scores`` of shape (N, T, k). The sign of each direction is fixed
    (its largest entry is positive) so that the picture does not flip between machines.

    Parameters
    ----------
    hs : ndarray, shape (..., H)
    k : int
        Number of directions, 1 <= k <= H.

    Returns
    -------
    PCAResult
        ``scores`` (..., k), ``components`` (k, H), ``mean`` (H,), ``explained`` (k,).

    Notes
    -----
    torch: ``torch.pca_lowrank`` (randomised); scikit-learn: ``PCA(k).fit_transform``.
    Taught in chapter 1.
    """
    hs = as_array("hs", hs, (2, 3, 4))
    H = hs.shape[-1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= H:
        raise ValueError(f"k must be an integer between 1 and H={H}, got {k!r}")
    X = hs.reshape(-1, H).astype(float)  # (n, H)
    if X.shape[0] < 2:
        raise ValueError("pca needs at least two states")
    mean = X.mean(axis=0)  # (H,)
    Xc = X - mean
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)  # Vt: (min(n, H), H)
    comps = Vt[:k]  # (k, H)
    signs = np.sign(comps[np.arange(k), np.abs(comps).argmax(axis=1)])
    comps = comps * signs[:, None]
    var = s**2
    explained = var[:k] / var.sum() if var.sum() > 0 else np.zeros(k)
    scores = (Xc @ comps.T).reshape(*hs.shape[:-1], k)  # (..., k)
    return PCAResult(scores, comps, mean, explained)


