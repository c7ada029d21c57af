"""course_rnn.figures.gru: the GRU cell drawing, and the stored comparison of the cells."""

import numpy as np

from course_rnn.figures.gru import draw_gru_cell


def test_draw_gru_cell():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for lang in ("ko", "en"):
        ax = draw_gru_cell(lang=lang)
        assert len(ax.patches) >= 10
        plt.close(ax.figure)


def _results():
    """A stored study (the schema of language_models.load_results) with both languages."""
    runs, ngrams = [], []
    for lang, tokens in (("en", "char"), ("ko", "jamo")):
        for i, cell in enumerate(("rnn", "rnn-slow", "lstm", "gru")):
            for seed in range(3):
                curve = [30.0, 8.0 + i, 40.0, 5.0 + i + 0.1 * seed]
                runs.append({"row": f"{lang}-{tokens}-{cell}", "seed": seed,
                             "test": curve[-1], "valid": curve[-1], "params": 1000,
                             "per": "char", "tokens_per_second": 100, "curve": curve})
        ngrams.append({"lang": lang, "tokens": tokens, "kind": "kn", "order": 5, "k": None,
                       "valid": 7.0, "test": 7.1, "per": "char"})
    return {"runs": runs, "ngrams": ngrams}


def test_plot_cell_study_and_curves():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pytest

    from course_rnn.figures.gru import plot_cell_study, plot_study_curves

    results = _results()
    for lang in ("ko", "en"):
        axes = plot_cell_study(results, ("en", "ko"), lang=lang)
        assert len(axes) == 2
        # per row: 3 seeds as one line of points, the mean as an error bar; the baseline
        assert [t.get_text() for t in axes[1].get_xticklabels()] == [
            "RNN", "RNN (lr 1e-3)", "LSTM", "GRU"]
        seeds = [ln for ln in axes[0].lines if ln.get_linestyle() == "None"
                 and len(ln.get_ydata()) == 3]
        assert len(seeds) == 4
        assert any(np.allclose(ln.get_ydata(), 7.1) for ln in axes[0].lines)  # n-gram, test
        plt.close(axes[0].figure)
        axes = plot_study_curves(results, ("ko",), lang=lang)
        assert len(axes) == 1 and axes[0].get_yscale() == "log"
        assert len([ln for ln in axes[0].lines if len(ln.get_xdata()) == 4]) == 12  # 4 rows x 3
        plt.close(axes[0].figure)
        axes = plot_study_curves(results, ("en",), lang=lang, zoom=True)
        low, high = axes[0].get_ylim()  # linear, from below the baseline to above the last values
        assert axes[0].get_yscale() == "linear" and low < 7.0 and 8.3 < high < 30.0
        plt.close(axes[0].figure)
    with pytest.raises(ValueError, match="lang"):
        plot_cell_study(results, lang="fr")
