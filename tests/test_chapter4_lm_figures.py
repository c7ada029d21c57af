"""figures.lm, chapter 4 on real text: vocabularies against the minimum count, the n-gram
baselines against their order, perplexity curves, the next-token heat map."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_rnn.figures.lm import (
    draw_baselines,
    draw_min_freq,
    draw_next_token_heatmap,
    draw_perplexity_curves,
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _rows():
    rows = [{"tokens": t, "kind": "add-k", "order": n, "valid": v, "per": "char"}
            for t, vals in (("char", (20.0, 10.0, 7.0)), ("jamo", (900.0, 60.0, 20.0)))
            for n, v in zip((1, 2, 3), vals, strict=True)]
    rows += [{"tokens": "char", "kind": "kn", "order": n, "valid": v, "per": "char"}
             for n, v in zip((2, 3, 4), (10.0, 6.0, 5.0), strict=True)]
    rows += [{"tokens": "word", "kind": "kn", "order": n, "valid": v, "per": "word"}
             for n, v in zip((2, 3), (120.0, 110.0), strict=True)]
    return rows


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_draw_min_freq(lang):
    m = np.arange(1, 6)
    sweeps = {"en": (m, np.array([900, 500, 400, 300, 250]), np.linspace(0.02, 0.08, 5)),
              "ko": (m, np.array([2000, 900, 700, 500, 400]), np.linspace(0.04, 0.1, 5))}
    ax_v, ax_u = draw_min_freq(sweeps, lang=lang)
    assert len(ax_v.lines) == len(ax_u.lines) == 2
    np.testing.assert_allclose(ax_u.lines[1].get_ydata(), 100 * sweeps["ko"][2])
    assert ax_v.get_yscale() == "log"
    with pytest.raises(ValueError, match="one length"):
        draw_min_freq({"en": (m, np.ones(4), np.ones(5))}, lang=lang)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_draw_baselines_one_panel_per_unit(lang):
    axes = draw_baselines(_rows(), lang=lang)
    assert len(axes) == 2  # per character, per word
    # characters: KN and add-k; jamo: add-k only; the star of the lowest
    labels = [line.get_label() for line in axes[0].lines]
    assert len(labels) == 4
    star = axes[0].lines[-1]
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (4, 5.0)
    assert axes[1].lines[-1].get_ydata()[0] == 110.0
    only_chars = draw_baselines([r for r in _rows() if r["per"] == "char"], lang=lang)
    assert len(only_chars) == 1
    with pytest.raises(ValueError, match="empty"):
        draw_baselines([], lang=lang)


def test_draw_perplexity_curves():
    ax = draw_perplexity_curves({"run": [9.0, 6.0, 5.0], "seeds": [[8.0, 5.0], [7.0, 4.5]]},
                                {"unigram": 20.0, "best": 3.0}, per="char", lang="en")
    assert len(ax.lines) == 1 + 2 + 2  # one curve, two seeds, two baselines
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    assert ax.lines[1].get_color() == ax.lines[2].get_color()  # the seeds of one row
    assert ax.lines[2].get_label().startswith("_")  # one legend entry per row
    assert ax.get_ylim()[0] < 3.0 and ax.get_ylim()[1] > 20.0
    with pytest.raises(ValueError, match="per"):
        draw_perplexity_curves({"run": [2.0]}, {}, per="jamo")
    with pytest.raises(ValueError, match="lang"):
        draw_perplexity_curves({"run": [2.0]}, {}, lang="fr")


def test_draw_next_token_heatmap_marks_the_true_token():
    V, T = 6, 5
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(V), size=T)  # (T, V)
    ids = np.array([0, 1, 2, 3, 4])
    labels = [f"t{v}" for v in range(V)]
    ax = draw_next_token_heatmap(P, ids, labels, n_candidates=V, lang="ko")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["t0", "t1", "t2", "t3", "t4"]
    circles = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(circles) == T - 1  # every next token is among the V rows
    rows = np.argsort(-P.sum(axis=0), kind="stable")
    for t, c in enumerate(circles):
        assert rows[int(c.get_ydata()[0])] == ids[t + 1]
    with pytest.raises(ValueError, match="labels"):
        draw_next_token_heatmap(P, ids, labels[:3])
    with pytest.raises(ValueError, match="T = len"):
        draw_next_token_heatmap(P[:3], ids, labels)
