"""course_rnn.figures.lstm: the LSTM cell drawing and the gate heat maps."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_rnn.figures.lstm import (
    draw_deep_lm,
    draw_lstm_cell,
    lm_row_colors,
    lm_row_labels,
    plot_gate_heatmaps,
    plot_lm_study,
    plot_window_sweep,
)


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


# ----------------------------------------------------------------------------- the study's figures
def _row(cell, lr=3e-3, T=64, layers=1, dropout=0.0, tie=False, lang="en", tokens="char"):
    return {"lang": lang, "tokens": tokens, "cell": cell, "H": 8, "D": 4, "layers": layers,
            "dropout": dropout, "tie": tie, "T": T, "B": 2, "epochs": 4, "lr": lr}


def _results():
    """A small study in the schema of language_models.load_results(): two rows of English
    characters (one with a diverging epoch), a window row, n-grams."""
    rows = {"en-char-rnn": _row("rnn"), "en-char-lstm": _row("lstm"),
            "en-char-lstm-T16": _row("lstm", T=16)}
    curves = {"en-char-rnn": [[9.0, 5.0, 400.0, 4.5], [8.0, 5.5, 4.8, 4.6]],
              "en-char-lstm": [[7.0, 4.5, 4.0, 3.9], [7.5, 4.4, 4.1, 3.8]],
              "en-char-lstm-T16": [[8.0, 5.0, 4.5, 4.4], [8.2, 5.1, 4.6, 4.5]]}
    runs = [{"row": n, "seed": s, "lang": "en", "tokens": "char", "curve": c,
             "test": min(c) * 1.01, "valid": min(c), "params": 100, "per": "char",
             "tokens_per_second": 1000.0}
            for n, cs in curves.items() for s, c in enumerate(cs)]
    ngrams = [{"lang": "en", "tokens": "char", "kind": k, "order": o, "k": None, "V": 5,
               "valid": v, "test": v + 0.1, "per": "char"}
              for k, o, v in (("add-k", 1, 20.0), ("kn", 3, 3.5), ("kn", 5, 3.7))]
    return {"settings": {"seeds": [0, 1]}, "rows": rows, "runs": runs, "ngrams": ngrams}


def test_lm_row_labels_name_what_differs():
    results = _results()
    results["rows"]["en-char-rnn-slow"] = _row("rnn", lr=1e-3)
    labels = lm_row_labels(results, ["en-char-rnn", "en-char-rnn-slow", "en-char-lstm"])
    assert labels == {"en-char-rnn": "RNN, lr 0.003", "en-char-rnn-slow": "RNN, lr 0.001",
                      "en-char-lstm": "LSTM, lr 0.003"}
    results["rows"]["deep"] = _row("lstm", layers=2, dropout=0.5, tie=True)
    assert lm_row_labels(results, ["en-char-lstm", "deep"], "ko")["deep"] == \
        "LSTM, 2층, 드롭아웃 0.5, 가중치 공유"
    colors = lm_row_colors(results, ["en-char-rnn", "en-char-rnn-slow", "en-char-lstm"])
    assert len(set(colors.values())) == 3


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_plot_lm_study_draws_every_seed_and_the_best_ngram(lang):
    results = _results()
    fig = plot_lm_study(results, [["en-char-rnn", "en-char-lstm"]], lang=lang)
    ax0, ax1 = fig.axes
    # left: the seeds' test perplexities, the baseline chosen on validation (kn 3) at its test
    seeds = sorted(np.concatenate([line.get_ydata() for line in ax0.lines
                                   if line.get_marker() == "o"]))
    assert seeds == pytest.approx(sorted(r["test"] for r in results["runs"]
                                         if r["row"] in ("en-char-rnn", "en-char-lstm")))
    dashed = [line for line in ax0.lines if line.get_linestyle() == "--"]
    assert dashed[0].get_ydata()[0] == pytest.approx(3.6)
    # right: one curve per run, the diverging epoch cut at the top and written out
    curves = [line for line in ax1.lines
              if line.get_linestyle() == "-" and len(line.get_xdata()) == 4]
    assert len(curves) == 4
    top = ax1.get_ylim()[1]
    assert max(line.get_ydata().max() for line in curves) <= top < 400
    assert any(t.get_text() == "400" for t in ax1.texts)
    assert ax1.get_yscale() == "log"
    plt.close("all")


def test_plot_lm_study_refuses_a_group_of_two_tokenisations():
    results = _results()
    results["rows"]["en-char-lstm"] = _row("lstm", tokens="word")
    with pytest.raises(ValueError, match="one language and tokenisation"):
        plot_lm_study(results, [["en-char-rnn", "en-char-lstm"]])
    with pytest.raises(ValueError):
        plot_lm_study(_results(), [["en-char-rnn"]], lang="fr")
    plt.close("all")


def test_plot_window_sweep_puts_the_windows_on_the_x_axis():
    results = _results()
    fig = plot_window_sweep(results, ["en-char-lstm", "en-char-lstm-T16"], lang="en")
    ax0 = fig.axes[0]
    assert [t.get_text() for t in ax0.get_xticklabels()] == ["16", "64"]
    mean_line = ax0.lines[0]  # the means joined, in the order of T
    np.testing.assert_allclose(mean_line.get_xdata(), [16, 64])
    expected = [np.mean([r["test"] for r in results["runs"] if r["row"] == n])
                for n in ("en-char-lstm-T16", "en-char-lstm")]
    np.testing.assert_allclose(mean_line.get_ydata(), expected)
    plt.close("all")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_draw_deep_lm(lang):
    ax = draw_deep_lm(lang=lang)
    texts = [t.get_text() for t in ax.texts]
    assert sum("LSTM" in t for t in texts) == 2
    assert sum(t in ("dropout", "드롭아웃") for t in texts) == 3
    assert any("E^\\top" in t for t in texts)
    assert any("가중치 공유" in t for t in texts) == (lang == "ko")
    plt.close("all")


def test_plot_window_sweep_against_updates():
    results = _results()
    fig = plot_window_sweep(results, ["en-char-lstm", "en-char-lstm-T16"], lang="ko",
                            updates={"en-char-lstm": 10, "en-char-lstm-T16": 40})
    ax1 = fig.axes[1]
    xs = {tuple(line.get_xdata()) for line in ax1.lines if len(line.get_xdata()) == 4}
    assert xs == {(10, 20, 30, 40), (40, 80, 120, 160)}  # epochs times updates per epoch
    assert ax1.get_xlabel() == "갱신 횟수"
    plt.close("all")
