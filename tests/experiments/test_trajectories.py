"""experiments.trajectories: principal components of hidden states."""

from __future__ import annotations

import numpy as np
import pytest

from course_rnn.experiments.trajectories import pca


def test_pca_finds_the_direction_of_largest_variance():
    rng = np.random.default_rng(0)
    t = rng.normal(size=(4, 50))
    direction = np.array([3.0, 4.0, 0.0]) / 5
    hs = t[..., None] * direction + 0.01 * rng.normal(size=(4, 50, 3)) + 2.0  # (N, T, H)
    res = pca(hs, k=2)
    assert res.scores.shape == (4, 50, 2) and res.components.shape == (2, 3)
    np.testing.assert_allclose(res.components[0], direction, atol=1e-2)  # sign fixed: +
    assert res.explained[0] > 0.99 and res.explained.sum() <= 1 + 1e-12
    np.testing.assert_allclose(res.components @ res.components.T, np.eye(2), atol=1e-12)
    # projecting back the k = H scores gives the states again
    full = pca(hs, k=3)
    back = full.scores @ full.components + full.mean
    np.testing.assert_allclose(back, hs, atol=1e-12)


def test_pca_sign_does_not_depend_on_the_input_sign():
    rng = np.random.default_rng(1)
    hs = rng.normal(size=(30, 4)) * [3, 2, 1, 0.5]
    a, b = pca(hs), pca(-hs)
    np.testing.assert_allclose(a.components, b.components)
    np.testing.assert_allclose(a.scores, -b.scores)


def test_pca_rejects_bad_k_and_too_few_states():
    with pytest.raises(ValueError, match="between 1 and H=3"):
        pca(np.zeros((5, 3)), k=4)
    with pytest.raises(ValueError, match="two states"):
        pca(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="dimensions"):
        pca(np.zeros(3))
