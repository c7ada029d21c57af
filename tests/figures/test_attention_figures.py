"""course_rnn.figures.attention: the attention diagram, the alignment heat map and the
length study's curves (chapter 10)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import FancyArrowPatch

from course_rnn.figures.attention import (
    alignment_heatmap,
    draw_attention_decoder,
    plot_length_study,
)


def test_draw_attention_decoder():
    w = np.array([0.1, 0.6, 0.2, 0.1])
    d = draw_attention_decoder(w, t=2, T_out=3, title="t")
    assert ("c", 2) in d.boxes and ("dec", "y", 2) in d.boxes
    # c_t sits above y_t, which sits above s_t
    c_box, y_box, s_box = d.boxes[("c", 2)], d.boxes[("dec", "y", 2)], d.boxes[("dec", "h", 1, 2)]
    assert c_box.get_y() > y_box.get_y() > s_box.get_y()
    assert np.isclose(c_box.get_x(), y_box.get_x())
    # the weights are printed, and the heaviest weight draws the thickest arrow into c_t
    texts = {t.get_text() for t in d.ax.texts}
    assert {"0.10", "0.60", "0.20"} <= texts and "$c_2$" in texts and "$h_T$" in texts
    widths = sorted(p.get_linewidth() for p in d.ax.patches if isinstance(p, FancyArrowPatch))
    assert widths[-1] == pytest.approx(0.3 + 5 * 0.6)
    # every box is inside the axes' limits
    (x0, x1), (y0, y1) = d.ax.get_xlim(), d.ax.get_ylim()
    assert x0 < c_box.get_x() and c_box.get_x() + c_box.get_width() < x1
    assert y0 < s_box.get_y() and c_box.get_y() + c_box.get_height() < y1
    plt.close("all")
    with pytest.raises(ValueError, match="summing to 1"):
        draw_attention_decoder([0.5, 0.6])
    with pytest.raises(ValueError, match="summing to 1"):
        draw_attention_decoder([[0.5, 0.5]])
    with pytest.raises(ValueError, match="decoder step"):
        draw_attention_decoder([0.5, 0.5], t=4, T_out=3)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_alignment_heatmap(lang):
    w = np.zeros((6, 8))  # two steps and two positions more than the strings: cut off
    w[np.arange(6), [0, 1, 2, 3, 3, 3]] = 1.0
    ax = alignment_heatmap(w, "3/5 24", "2024", lang=lang, title="x")
    image = ax.images[0].get_array()
    assert image.shape == (4, 6)
    np.testing.assert_array_equal(image, w[:4, :6])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["3", "/", "5", "␣", "2", "4"]
    assert [t.get_text() for t in ax.get_yticklabels()] == list("2024")
    assert ("입력" in ax.get_xlabel()) == (lang == "ko") and ax.get_title() == "x"
    assert len(ax.figure.axes) == 2  # the colour bar
    _, ax2 = plt.subplots()
    alignment_heatmap(w, "3/5", [*"20", "</s>"], ax=ax2, colorbar=False)  # symbols, not a string
    assert len(ax2.figure.axes) == 1 and ax2.images[0].get_array().shape == (3, 3)
    assert [t.get_text() for t in ax2.get_yticklabels()] == ["2", "0", "</s>"]
    plt.close("all")
    with pytest.raises(ValueError, match="input characters"):
        alignment_heatmap(w, "a much longer input", "20")
    with pytest.raises(ValueError, match="output characters"):
        alignment_heatmap(w, "3/5", "2024-03-05")


def _summary():
    L = 5
    curve = np.linspace(1, 0, L)
    return {"plain": {"curve": curve, "sd": np.full(L, 0.1), "seeds": [0, 1, 2]},
            "dot": {"curve": np.ones(L), "sd": np.zeros(L), "seeds": [0, 1]}}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_plot_length_study(lang):
    labels = {"plain": "plain", "dot": "dot"}
    ax = plot_length_study(_summary(), labels, lang=lang)
    assert len(ax.get_lines()) == 2 and len(ax.collections) == 2
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), np.arange(1, 6))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == (["plain (3 seeds)", "dot (2 seeds)"] if lang == "en"
                      else ["plain (시드 3개)", "dot (시드 2개)"])
    # the band is clipped to [0, 1]
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() >= 0 and band[:, 1].max() <= 1
    ax = plot_length_study(_summary(), labels, lang=lang, models=["dot"])
    assert len(ax.get_lines()) == 1
    plt.close("all")
