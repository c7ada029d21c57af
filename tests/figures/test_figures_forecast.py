"""figures.forecast: forecasts of one validation series per row, validation curves."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_rnn.figures.forecast import plot_curves, plot_forecasts
from course_rnn.forecast.rows import ROW_LABELS, RowResult
from course_rnn.forecast.train import naive_row


def _trained(key: str, curve) -> RowResult:
    return RowResult(key, "numpy", 0, float(curve[-1]), curve=np.array(curve))


def test_plot_forecasts_draws_one_panel_per_row_with_its_label_and_mse():
    results = {"naive": naive_row("naive", 0), "ahead_naive": naive_row("ahead_naive", 0)}
    fig = plot_forecasts(results, lang="en")
    used = [ax for ax in fig.axes if ax.axison]
    assert len(used) == 2
    for ax, (key, r) in zip(used, results.items(), strict=True):
        assert ROW_LABELS[key]["en"] in ax.get_title() and f"{r.mse:.4f}" in ax.get_title()
        inputs, targets, forecast = ax.lines[:3]
        assert len(inputs.get_xdata()) == 50  # the 50 input steps
        width = 1 if key == "naive" else 10
        assert len(targets.get_xdata()) == len(forecast.get_xdata()) == width
    plt.close(fig)


def test_plot_curves_draws_the_trained_rows_only_with_the_published_bar():
    results = {"naive": naive_row("naive", 0),
               "linear": _trained("linear", [0.02, 0.01, 0.005]),
               "deep_rnn": _trained("deep_rnn", [0.03, 0.004, 0.003])}
    ax = plot_curves(results, lang="en")
    assert ax.get_yscale() == "log"
    curves, bars = ax.lines[0::2], ax.lines[1::2]
    assert [line.get_label() for line in curves] == [ROW_LABELS[k]["en"] for k in ("linear",
                                                                                     "deep_rnn")]
    for bar, key in zip(bars, ("linear", "deep_rnn"), strict=True):
        assert list(bar.get_ydata()) == [results[key].published] * 2
    plt.close(ax.figure)


def _seeds(key, backend, mses, s2s=False):
    return [RowResult(key, backend, s, m, curve=np.linspace(0.02, m, 20),
                      per_step=np.linspace(0.05, m, 24 if key == "s2s_conv_gru" else 50) if s2s
                      else np.zeros(0)) for s, m in enumerate(mses)]


def test_plot_seed_ratios_draws_one_dot_per_seed_and_a_line_at_one():
    from course_rnn.figures.forecast import plot_seed_ratios

    table = {("linear", "numpy"): _seeds("linear", "numpy", [0.004, 0.005, 0.0045]),
             ("linear", "torch"): _seeds("linear", "torch", [0.0042, 0.0041, 0.0044]),
             ("s2s_gru", "numpy"): _seeds("s2s_gru", "numpy", [0.008, 0.009, 0.010])}
    ax = plot_seed_ratios(table, lang="ko")
    dots = [line for line in ax.lines if line.get_marker() in ("o", "^")]
    assert len(dots) == 3 and all(len(d.get_xdata()) == 3 for d in dots)
    np.testing.assert_allclose(dots[0].get_xdata(), np.array([0.004, 0.005, 0.0045]) / 0.00417)
    assert [t.get_text() for t in ax.get_yticklabels()] == [ROW_LABELS[k]["ko"]
                                                           for k in ("linear", "s2s_gru")]
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in ax.lines)  # the published value
    plt.close(ax.figure)


def test_plot_seed_curves_and_per_step_draw_the_mean_and_the_spread():
    from course_rnn.figures.forecast import per_step_axis, plot_per_step, plot_seed_curves

    table = {("s2s_rnn", "numpy"): _seeds("s2s_rnn", "numpy", [0.007, 0.008, 0.009], s2s=True),
             ("s2s_conv_gru", "numpy"): _seeds("s2s_conv_gru", "numpy", [0.008, 0.0085, 0.009],
                                               s2s=True)}
    ax = plot_seed_curves(table, ["s2s_rnn", "s2s_lstm"], lang="en")  # s2s_lstm: no results
    assert ax.get_yscale() == "log" and len(ax.collections) == 1  # one band
    np.testing.assert_allclose(ax.lines[0].get_ydata()[-1], 0.008)  # the mean over seeds
    assert list(ax.lines[1].get_ydata()) == [0.0096, 0.0096]  # the published bar
    plt.close(ax.figure)
    ax = plot_per_step(table, ["s2s_rnn", "s2s_conv_gru"], lang="ko", mark=30)
    assert list(ax.lines[1].get_xdata()) == list(range(3, 50, 2))  # Y[:, 3::2]
    assert len(ax.collections) == 2 and ax.lines[-1].get_xdata()[0] == 30
    plt.close(ax.figure)
    assert list(per_step_axis("s2s_wavenet", 50)) == list(range(50))
    with pytest.raises(ValueError, match="24 steps"):
        per_step_axis("s2s_conv_gru", 50)


def test_plot_published_vs_seeds_draws_every_seed_and_the_published_run():
    from course_rnn.figures.forecast import plot_published_vs_seeds
    from course_rnn.forecast.rows import PUBLISHED, PUBLISHED_CURVES

    mses = [0.013, 0.014, 0.0135, 0.015, 0.02, 0.016, 0.0128, 0.0127]
    table = {("s2s_ln_rnn", "numpy"): _seeds("s2s_ln_rnn", "numpy", mses)}
    fig = plot_published_vs_seeds(table, ["s2s_ln_rnn"], lang="ko")
    ax_dots, ax_curves = fig.axes
    dots = [line for line in ax_dots.lines if line.get_marker() == "o"]
    assert [len(d.get_xdata()) for d in dots] == [3, 8]  # the first three seeds, then all eight
    np.testing.assert_allclose(dots[1].get_xdata(), mses)
    assert any(list(line.get_xdata()) == [PUBLISHED["s2s_ln_rnn"]] * 2 for line in ax_dots.lines)
    assert [t.get_text() for t in ax_dots.get_yticklabels()] == ["시드 3개", "시드 8개"]
    assert ax_curves.get_yscale() == "log"
    published = ax_curves.lines[-1]
    assert list(published.get_ydata()) == list(PUBLISHED_CURVES["s2s_ln_rnn"])
    assert len(ax_curves.lines) == 8 + 2  # every seed, the median, the published curve
    np.testing.assert_allclose(ax_curves.lines[8].get_ydata()[-1], np.median(mses))
    plt.close(fig)
