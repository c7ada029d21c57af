"""course_rnn.figures.lstm: the LSTM cell drawing and the gate heat maps."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_rnn.figures.lstm import draw_lstm_cell, plot_gate_heatmaps


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_draw_lstm_cell(lang):
    ax = draw_lstm_cell(lang=lang)
    texts = [t.get_text() for t in ax.texts]
    for label in (r"$c_{t-1}$", r"$c_t$", r"$h_{t-1}$", r"$x_t$", "$f_t$", "$i_t$", "$g_t$",
                  "$o_t$"):
        assert label in texts
    assert any("셀 상태" in t for t in texts) == (lang == "ko")
    plt.close("all")


def test_draw_lstm_cell_rejects_unknown_language():
    with pytest.raises(ValueError):
        draw_lstm_cell(lang="fr")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_plot_gate_heatmaps(lang):
    gates = np.random.default_rng(0).uniform(0, 1, (12, 4, 5))
    fig = plot_gate_heatmaps(gates, marks=np.array([2, 9]), lang=lang)
    heat_axes = [ax for ax in fig.axes if ax.images]
    assert len(heat_axes) == 4
    for k, ax in enumerate(heat_axes):
        np.testing.assert_array_equal(ax.images[0].get_array(), gates[:, k, :].T)
        assert len(ax.lines) == 2  # one triangle per marked step
    assert heat_axes[2].images[0].get_clim() == (-1.0, 1.0)  # g lies in [-1, 1]
    plt.close("all")


def test_plot_gate_heatmaps_checks_shape():
    with pytest.raises(ValueError):
        plot_gate_heatmaps(np.zeros((5, 3, 2)))
