"""course_rnn.figures.trajectories: the heat map of hidden states and the trajectory plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_rnn.figures.trajectories import plot_state_heatmap, plot_trajectories


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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
