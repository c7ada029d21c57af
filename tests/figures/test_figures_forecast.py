"""figures.forecast: forecasts of one validation series per row, validation curves."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from course_rnn.figures.forecast import plot_curves, plot_forecasts
from course_rnn.forecast.rows import ROW_LABELS, RowResult
from course_rnn.forecast.train import naive_row


def _trained(key: str, curve) -> RowResult:
    return RowResult(key, "numpy", 0, float(curve[-1]), curve=np.array(curve))


def test_plot_forecasts_draws_one_panel_per_row_with_its_label_and_mse():
    results = {"naive": naive_row("naive", 0), "ahead_naive": naive_row("ahead_naive", 0)}
    fig = plot_forecasts(results, lang="ko")
    used = [ax for ax in fig.axes if ax.axison]
    assert len(used) == 2
    for ax, (key, r) in zip(used, results.items(), strict=True):
        assert ROW_LABELS[key]["ko"] in ax.get_title() and f"{r.mse:.4f}" in ax.get_title()
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
