"""Principal components of hidden states, the heat map and the trajectory plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_rnn.experiments.trajectories import pca
from course_rnn.figures.trajectories import plot_state_heatmap, plot_trajectories


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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


def test_heatmap_shows_units_by_steps():
    h = np.tanh(np.random.default_rng(2).normal(size=(20, 6)))  # (T, H)
    fig, ax = plt.subplots()
    image = plot_state_heatmap(h, ax, xlabel="t", ylabel="unit", title="h", colorbar_label="h")
    assert image.get_array().shape == (6, 20)
    np.testing.assert_array_equal(image.get_array(), h.T)
    assert image.get_clim() == (-1.0, 1.0)
    assert len(fig.axes) == 2  # the heat map and its colour bar
    with pytest.raises(ValueError, match="dimensions"):
        plot_state_heatmap(h[None])


def test_trajectories_draw_one_line_per_sequence():
    scores = np.random.default_rng(3).normal(size=(3, 10, 2))
    ax = plot_trajectories(scores, names=["a", "b", "c"], start_label="t = 1")
    lines = [line for line in ax.lines if line.get_linestyle() == "-"]
    assert len(lines) == 3
    np.testing.assert_array_equal(lines[1].get_xdata(), scores[1, :, 0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c", "t = 1"]
    outside = plot_trajectories(scores, names=["a", "b", "c"], legend_outside=True)
    assert outside.get_legend().get_bbox_to_anchor().x0 > outside.bbox.x1 - 1
    with pytest.raises(ValueError, match=r"\(N, T, 2\)"):
        plot_trajectories(np.zeros((3, 10, 3)))
    with pytest.raises(ValueError, match="names has 1"):
        plot_trajectories(scores, names=["a"])
