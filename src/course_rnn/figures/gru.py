r"""Drawings of chapter 6: the GRU cell (gates r, z and the candidate n, PyTorch's placement),
and the stored comparison of RNN, LSTM and GRU language models on real text."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

_TEXT = {
    "ko": {"reset": "리셋 게이트", "update": "업데이트 게이트", "cand": "후보",
           "out": "출력", "torch": "PyTorch: $r_t \\odot (h_{t-1}W_{hn} + b_{hn})$"},
    "en": {"reset": "reset gate", "update": "update gate", "cand": "candidate",
           "out": "output", "torch": "PyTorch: $r_t \\odot (h_{t-1}W_{hn} + b_{hn})$"},
}


def draw_gru_cell(ax=None, lang: str = "ko"):
    r"""Draw one GRU cell with PyTorch's placement of the reset gate.

    .. math::

        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    The state runs along the top line (one vector, no separate cell state); the update
    gate :math:`z_t` scales the old state by :math:`z_t` and the candidate by
    :math:`1 - z_t`; the reset gate multiplies :math:`h_{t-1} W_{hn} + b_{hn}` on its way
    to the candidate. No output gate: :math:`h_t` leaves the cell whole. Returns the axes.
    Taught in chapter 6.
    """
    from matplotlib.patches import Circle, FancyBboxPatch

    txt = _TEXT[lang]
    if ax is None:
        _, ax = plt.subplots(figsize=(9.0, 5.2))
    ax.add_patch(FancyBboxPatch((0.6, -1.2), 10.2, 7.0, boxstyle="round,pad=0.1",
                                fc="#f6f6f6", ec="#999999", lw=1.0))

    def arrow(a, b, color="black", style="-|>", ls="-"):
        ax.annotate("", xy=b, xytext=a, arrowprops=dict(arrowstyle=style, color=color, lw=1.6,
                                                        linestyle=ls, shrinkA=0, shrinkB=0))

    def box(x, y, label, fc, w=1.3, h=0.75):
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                                    fc=fc, ec="black", lw=1.2, zorder=3))
        ax.text(x, y, label, ha="center", va="center", fontsize=12, zorder=4)

    def node(x, y, label):
        ax.add_patch(Circle((x, y), 0.3, fc="white", ec="black", lw=1.2, zorder=3))
        ax.text(x, y, label, ha="center", va="center", fontsize=12, zorder=4)

    # the state line on top: h_{t-1} -> (x z) -> (+) -> h_t
    arrow((-0.6, 5.0), (4.7, 5.0))
    node(5.0, 5.0, r"$\times$")
    arrow((5.3, 5.0), (8.7, 5.0))
    node(9.0, 5.0, "+")
    arrow((9.3, 5.0), (12.0, 5.0))
    arrow((10.2, 5.0), (10.2, 6.6))
    ax.text(-0.7, 5.3, r"$h_{t-1}$", fontsize=13, ha="left")
    ax.text(11.9, 5.3, r"$h_t$", fontsize=13, ha="right")
    ax.text(10.35, 6.45, rf"$h_t$ ({txt['out']})", fontsize=11, ha="left")
    # inputs: h_{t-1} comes down the left side, x_t up from the bottom
    ax.plot([1.2, 1.2], [5.0, -0.3], color="black", lw=1.6)
    arrow((2.0, -2.0), (2.0, -0.3))
    ax.text(2.15, -1.9, r"$x_t$", fontsize=13, ha="left")
    ax.plot([1.2, 8.6], [-0.3, -0.3], color="black", lw=1.6)
    # the gates
    box(3.0, 1.6, r"$\sigma$", "#f4cccc")
    arrow((3.0, -0.3), (3.0, 1.22))
    ax.text(2.3, 2.15, rf"$r_t$ {txt['reset']}", fontsize=10, ha="left")
    box(5.0, 3.3, r"$\sigma$", "#cfe2f3")
    arrow((5.0, -0.3), (5.0, 2.92))
    arrow((5.0, 3.68), (5.0, 4.7))
    ax.text(3.0, 3.85, rf"$z_t$ {txt['update']}", fontsize=10, ha="left")
    node(6.8, 3.3, r"$1-$")
    arrow((5.65, 3.3), (6.5, 3.3))
    node(9.0, 3.3, r"$\times$")
    arrow((7.1, 3.3), (8.7, 3.3))
    arrow((9.0, 3.6), (9.0, 4.7))
    # the candidate: r_t multiplies h_{t-1} W_hn + b_hn (PyTorch), then tanh
    box(6.8, 0.55, r"$h_{t-1}W_{hn}+b_{hn}$", "#eeeeee", w=2.3)
    arrow((6.8, -0.3), (6.8, 0.17))
    node(6.8, 1.6, r"$\times$")
    arrow((6.8, 0.93), (6.8, 1.3))
    arrow((3.65, 1.6), (6.5, 1.6), color="#cc0000")
    box(9.0, 1.6, "tanh", "#d9ead3")
    arrow((7.1, 1.6), (8.35, 1.6))
    arrow((8.6, -0.3), (8.6, 1.22))
    arrow((9.0, 1.98), (9.0, 3.0))
    ax.text(9.2, 2.4, rf"$n_t$ {txt['cand']}", fontsize=10, ha="left")
    ax.text(4.2, -0.85, txt["torch"], fontsize=10, ha="left", color="#cc0000")
    ax.set_xlim(-0.9, 12.2)
    ax.set_ylim(-2.2, 7.0)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


# --------------------------------------------------------------------------- the cells on real text
CELL_COLORS = {"rnn": "#8c8c8c", "rnn-slow": "#4d4d4d", "lstm": "#1f3f6e", "gru": "#8e2418"}
_STUDY_TEXT = {
    "ko": {"cells": {"rnn": "RNN", "rnn-slow": "RNN (lr 1e-3)", "lstm": "LSTM", "gru": "GRU"},
           "data": {"en": "영어, 글자", "ko": "한국어, 자모"}, "test": "시험 퍼플렉서티(글자당)",
           "valid": "검증 퍼플렉서티(글자당)", "epoch": "에폭", "mean": "평균 ± 표준편차",
           "seed": "시드", "kn": "Kneser-Ney {n}-그램", "addk": "add-k {n}-그램", "zoom": "확대"},
    "en": {"cells": {"rnn": "RNN", "rnn-slow": "RNN (lr 1e-3)", "lstm": "LSTM", "gru": "GRU"},
           "data": {"en": "English, characters", "ko": "Korean, jamo"},
           "test": "test perplexity per character", "valid": "validation perplexity per character",
           "epoch": "epoch", "mean": "mean ± sd", "seed": "seed", "kn": "Kneser-Ney {n}-gram",
           "addk": "add-k {n}-gram", "zoom": "zoomed in"},
}


def _study_text(lang: str) -> dict:
    if lang not in _STUDY_TEXT:
        raise ValueError(f"lang must be 'ko' or 'en', got {lang!r}")
    return _STUDY_TEXT[lang]


def _ngram_label(ngram: dict, txt: dict) -> str:
    return txt["kn" if ngram["kind"] == "kn" else "addk"].format(n=ngram["order"])


def _language_panels(langs, axes=None):
    """The given axes, or one new panel per language of the data side by side."""
    if axes is None:
        _, grid = plt.subplots(1, len(langs), figsize=(5.2 * len(langs), 3.8), squeeze=False)
        axes = grid[0]
    return axes


def plot_cell_study(results: dict, langs=("en", "ko"), lang: str = "en", axes=None):
    r"""The stored comparison of cells (``course_rnn.experiments.compare.cell_study``): per
    language one panel, per row the test perplexity per character of every seed (points)
    and their mean ± sample standard deviation (bar), the best count baseline dashed.

    .. math::

        \bar p \pm s, \qquad s = \sqrt{\tfrac{1}{S-1}\textstyle\sum_s (p_s - \bar p)^2}

    ``langs``: the languages of the data, one panel each; ``lang``: the language of the
    labels. Returns the axes. Taught in chapter 6.
    """
    from course_rnn.experiments.compare import cell_study

    txt = _study_text(lang)
    axes = _language_panels(langs, axes)
    for ax, data_lang in zip(axes, langs, strict=True):
        study = cell_study(results, data_lang)
        cells = list(study["table"])
        for i, cell in enumerate(cells):
            s = study["table"][cell]
            test = np.asarray(s["test"])
            jitter = np.linspace(-0.12, 0.12, len(test)) if len(test) > 1 else np.zeros(1)
            ax.plot(i + jitter, test, "o", color=CELL_COLORS[cell], mfc="none", ms=6, mew=1.3,
                    label=txt["seed"] if i == 0 else None)
            ax.errorbar(i + 0.3, s["mean"], yerr=s["sd"], fmt="s", color=CELL_COLORS[cell],
                        ms=5, capsize=4, lw=1.5, label=txt["mean"] if i == 0 else None)
        ngram = study["ngram"]
        ax.axhline(ngram["test"], color="0.5", ls="--", lw=1,
                   label=_ngram_label(ngram, txt))
        ax.set_xticks(range(len(cells)))
        ax.set_xticklabels([txt["cells"][c] for c in cells])
        ax.set_xlim(-0.5, len(cells) - 0.2)
        ax.set_title(txt["data"][data_lang])
        ax.set_ylabel(txt["test"])
        ax.legend(fontsize=8, loc="best")
    return axes


def plot_study_curves(results: dict, langs=("en", "ko"), lang: str = "en", axes=None,
                      zoom: bool = False):
    r"""The validation perplexity per character after every epoch of every seed of the
    rows of :func:`plot_cell_study`, one panel per language, log scale (a diverging plain
    RNN jumps by a factor of several).

    .. math::

        e \mapsto \mathrm{PPL}_\text{valid}(\theta_e), \quad \text{every seed}

    ``zoom=True``: a linear scale from just below the lowest value (or the baseline) to
    just above the highest last value, to tell the curves apart at the end. Returns the
    axes. Taught in chapter 6.
    """
    from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter, ScalarFormatter

    from course_rnn.experiments.compare import cell_study

    txt = _study_text(lang)
    axes = _language_panels(langs, axes)
    for ax, data_lang in zip(axes, langs, strict=True):
        study = cell_study(results, data_lang)
        runs_of = {c: [r for r in results["runs"] if r["row"] == row]
                   for c, row in study["rows"].items()}
        lowest = min(min(r["curve"]) for runs in runs_of.values() for r in runs)
        bottom = min(lowest, study["ngram"]["valid"])
        for cell, runs in runs_of.items():
            for k, r in enumerate(runs):
                epochs = np.arange(1, len(r["curve"]) + 1)
                ax.plot(epochs, r["curve"], "-o", color=CELL_COLORS[cell], ms=2.5, lw=1.1,
                        alpha=0.85, label=txt["cells"][cell] if k == 0 else None)
        ax.axhline(study["ngram"]["valid"], color="0.5", ls="--", lw=1,
                   label=_ngram_label(study["ngram"], txt))
        if zoom:
            top = max(r["curve"][-1] for runs in runs_of.values() for r in runs)
            ax.set_ylim(bottom - 0.05 * (top - bottom), top + 0.3 * (top - bottom))
            ax.set_title(f"{txt['data'][data_lang]} ({txt['zoom']})")
        else:
            ax.set_yscale("log")
            ax.set_ylim(bottom * 0.9, None)
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(ScalarFormatter())  # 2, 5, 10, 20 rather than 10^1
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.set_title(txt["data"][data_lang])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(txt["epoch"])
        ax.set_ylabel(txt["valid"])
        ax.legend(fontsize=8, loc="upper right")
    return axes
