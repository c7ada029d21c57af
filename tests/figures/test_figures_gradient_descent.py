"""course_rnn.figures.gradient_descent: the figures of gradient descent in chapter 0."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_rnn.figures.gradient_descent import (
    draw_descent_path,
    draw_loss_by_step,
    draw_slopes,
    draw_step_size_scan,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def loss(w):
    return (np.asarray(w) - 1.0) ** 2 + 0.5


def grad(w):
    return 2 * (np.asarray(w) - 1.0)


def test_descent_path_draws_the_curve_and_the_iterates():
    path = np.array([-1.0, 2.5, -0.2, 1.9])
    ax = draw_descent_path(loss, path, w_star=1.0, title="t", xlabel="w", ylabel="L")
    curve, drawn = ax.lines[0], ax.lines[1]
    np.testing.assert_array_equal(drawn.get_xdata(), path)
    np.testing.assert_allclose(drawn.get_ydata(), loss(path))
    xs = curve.get_xdata()
    assert xs.min() < path.min() and xs.max() > path.max()  # the curve spans the path
    assert ax.get_title() == "t" and ax.get_xlabel() == "w"
    with pytest.raises(ValueError, match="finite"):
        draw_descent_path(loss, np.array([0.0, np.inf]))


def test_slopes_step_downhill_from_both_sides():
    ax = draw_slopes(loss, grad, [-0.5, 2.0], 0.25)
    tangents = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(tangents) == 2
    for line, w0 in zip(tangents, (-0.5, 2.0), strict=True):
        xs, ys = line.get_xdata(), line.get_ydata()
        assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(float(grad(w0)))
    arrows = [t for t in ax.texts if hasattr(t, "arrow_patch")]
    assert len(arrows) == 2
    for arrow in arrows:
        (x0, y0), (x1, y1) = arrow.xyann, arrow.xy
        assert y1 < y0 and abs(x1 - 1.0) < abs(x0 - 1.0)  # towards the minimum, lower loss
    assert len(ax.get_legend().get_texts()) == 2


def test_loss_by_step_uses_a_log_axis_and_handles_zero_gaps():
    gaps = {"a": np.array([1.0, 0.1, 0.01]), "b": np.array([1.0, 0.0, 0.0])}
    ax = draw_loss_by_step(gaps)
    assert ax.get_yscale() == "log" and len(ax.lines) == 2
    assert np.isnan(ax.lines[1].get_ydata()[1:]).all()  # zero: left out
    floored = draw_loss_by_step(gaps, floor=1e-6)
    np.testing.assert_array_equal(floored.lines[1].get_ydata(), [1.0, 1e-6, 1e-6])
    assert floored.get_ylim()[0] == pytest.approx(1e-6)


def test_step_size_scan_marks_one_over_and_two_over_the_curvature():
    lrs = np.linspace(0.05, 1.2, 24)
    dist = np.abs(1 - 2.0 * lrs) ** 10
    ax = draw_step_size_scan(lrs, dist, 2.0, start=1.0, floor=1e-8)
    vertical = [line.get_xdata()[0] for line in ax.lines[1:3]]
    assert vertical == pytest.approx([0.5, 1.0])
    assert ax.get_yscale() == "log" and ax.get_ylim()[0] == pytest.approx(1e-8)
    with pytest.raises(ValueError, match="shape"):
        draw_step_size_scan(lrs, dist[:-1], 2.0)
    with pytest.raises(ValueError, match="curvature"):
        draw_step_size_scan(lrs, dist, 0.0)
