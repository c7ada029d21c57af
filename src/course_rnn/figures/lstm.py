r"""Figures of chapter 5: the LSTM cell with its cell-state highway, and gate heat maps.

``draw_lstm_cell`` draws one LSTM step: the cell state :math:`c_{t-1} \to c_t` running
straight through the top (multiplied by :math:`f_t`, then added :math:`i_t \odot g_t`),
the four gate layers fed by :math:`[h_{t-1}, x_t]` at the bottom, and
:math:`h_t = o_t \odot \tanh(c_t)` leaving on the right. ``plot_gate_heatmaps`` shows the
activations of the gates i, f, g, o (units by time steps) of one sequence, with the
marked steps of the adding problem drawn as lines. For the language models of real text
(``course_rnn.experiments.language_models``): ``plot_lm_study`` (every seed's test
perplexity, its mean and sample standard deviation, every run's learning curve, the best
n-gram), ``plot_window_sweep`` (test perplexity against the truncated-BPTT window) and
``draw_deep_lm`` (the two-layer LSTM language model with dropout and tied weights).
Labels in Korean or English. Taught in chapter 5.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import MaxNLocator

from course_rnn.figures.bptt import log_axis
from course_rnn.lstm import GATE_ORDER

HIGHWAY = "#c0392b"
LINE = "#222222"
GATE_FACE = {"i": "#e8f1fb", "f": "#fdecea", "g": "#e9f6ec", "o": "#f4e9f7"}
TEXT = {
    "ko": {"highway": "셀 상태의 길: 곱셈 한 번, 덧셈 한 번", "cell": "LSTM 셀",
           "gates": {"i": "입력 게이트", "f": "망각 게이트", "g": "후보 $g$", "o": "출력 게이트"},
           "time": "시간 단계", "unit": "유닛", "mark": "표시된 단계"},
    "en": {"highway": "the cell-state path: one product, one sum", "cell": "LSTM cell",
           "gates": {"i": "input gate", "f": "forget gate", "g": "candidate $g$",
                     "o": "output gate"},
           "time": "time step", "unit": "unit", "mark": "marked steps"},
}


def _check_lang(lang: str) -> dict:
    if lang not in TEXT:
        raise ValueError(f"lang must be one of {tuple(TEXT)}, got {lang!r}")
    return TEXT[lang]


def _arrow(ax, a, b, color=LINE, lw=1.4, style="-|>", connection="arc3"):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle=style, mutation_scale=11, color=color,
                                 lw=lw, connectionstyle=connection, zorder=2))


def _op(ax, xy, text, color=LINE):
    ax.add_patch(Circle(xy, 0.22, facecolor="white", edgecolor=color, lw=1.4, zorder=3))
    ax.text(*xy, text, ha="center", va="center", fontsize=12, color=color, zorder=4)


def _gate(ax, x, y, text, face):
    ax.add_patch(FancyBboxPatch((x - 0.36, y - 0.24), 0.72, 0.48,
                                boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=face, edgecolor=LINE, lw=1.2, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=11, zorder=4)


def draw_lstm_cell(ax=None, lang: str = "en"):
    r"""Draw one LSTM step; return the axes.

    .. math::

        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

    The cell state runs along the top in red (the "highway": an elementwise product with
    :math:`f_t` and a sum, no weight matrix, no squashing); the gates
    :math:`f_t, i_t, o_t` (:math:`\sigma`) and the candidate :math:`g_t` (:math:`\tanh`)
    all read :math:`h_{t-1}` and :math:`x_t`. Drawn left to right in the order of the
    equations (f, i, g, o), while the code fuses them in ``GATE_ORDER`` = i, f, g, o.
    torch: the cell of ``nn.LSTM`` / ``nn.LSTMCell``. Taught in chapter 5.
    """
    text = _check_lang(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(8.6, 4.4))
    # frame of the cell
    ax.add_patch(FancyBboxPatch((0.6, 0.55), 7.3, 3.55,
                                boxstyle="round,pad=0.02,rounding_size=0.25",
                                facecolor="#fafafa", edgecolor="#888888", lw=1.0, zorder=0))
    ax.text(0.8, 3.85, text["cell"], fontsize=9, color="#666666", ha="left")
    top, mid, bottom = 3.55, 2.05, 1.05
    gx = {"f": 1.9, "i": 3.0, "g": 4.0, "o": 5.3}
    # the cell-state highway
    _arrow(ax, (-0.2, top), (1.68, top), HIGHWAY, lw=2.6, style="-")
    _op(ax, (1.9, top), r"$\times$", HIGHWAY)
    _arrow(ax, (2.12, top), (3.78, top), HIGHWAY, lw=2.6, style="-")
    _op(ax, (4.0, top), "+", HIGHWAY)
    _arrow(ax, (4.22, top), (8.7, top), HIGHWAY, lw=2.6)
    ax.text(-0.25, top + 0.25, r"$c_{t-1}$", fontsize=12, color=HIGHWAY)
    ax.text(8.35, top + 0.25, r"$c_t$", fontsize=12, color=HIGHWAY)
    ax.text(4.25, top + 0.75, text["highway"], fontsize=9, color=HIGHWAY, ha="center")
    # inputs: h_{t-1} enters bottom left, x_t from below; both feed every gate
    ax.text(-0.25, bottom - 0.05, r"$h_{t-1}$", fontsize=12)
    ax.text(1.0, -0.25, r"$x_t$", fontsize=12, ha="center")
    _arrow(ax, (0.2, bottom), (5.3, bottom), LINE, style="-")
    _arrow(ax, (1.0, -0.05), (1.0, bottom), LINE, style="-")
    for name, x in gx.items():
        _arrow(ax, (x, bottom), (x, mid - 0.25))
        act = r"$\tanh$" if name == "g" else r"$\sigma$"
        _gate(ax, x, mid, act, GATE_FACE[name])
        ax.text(x + 0.42, mid - 0.42, f"${name}_t$", fontsize=11)
    # f multiplies the old cell state
    _arrow(ax, (gx["f"], mid + 0.25), (gx["f"], top - 0.22))
    # i and g meet in a product, which is added to the cell state
    _op(ax, (3.5, 2.9), r"$\times$")
    _arrow(ax, (gx["i"], mid + 0.25), (3.35, 2.75))
    _arrow(ax, (gx["g"], mid + 0.25), (3.65, 2.75))
    _arrow(ax, (3.65, 3.05), (3.84, top - 0.16))
    # output: tanh(c_t) times o_t
    _gate(ax, 6.4, 2.85, r"$\tanh$", "#ffffff")
    _arrow(ax, (6.4, top), (6.4, 3.1))
    _op(ax, (6.4, 2.05), r"$\times$")
    _arrow(ax, (6.4, 2.61), (6.4, 2.27))
    _arrow(ax, (gx["o"] + 0.36, mid), (6.18, 2.05))
    _arrow(ax, (6.62, 2.05), (7.25, 2.05), style="-")
    _arrow(ax, (7.25, 2.05), (7.25, 4.6))
    _arrow(ax, (7.25, 2.05), (7.25, 1.05), style="-")
    _arrow(ax, (7.25, 1.05), (8.7, 1.05))
    ax.text(7.4, 4.45, r"$h_t$", fontsize=12)
    ax.text(8.35, 1.2, r"$h_t$", fontsize=12)
    for name, x in gx.items():
        ax.text(x, 0.35, text["gates"][name], fontsize=8,
                ha="center", color="#555555")
    ax.set_xlim(-0.5, 9.0)
    ax.set_ylim(-0.5, 4.8)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_gate_heatmaps(gates, marks=None, lang: str = "en", cmap: str = "viridis"):
    r"""Heat maps of the four gates of one sequence; return the figure.

    .. math::

        \text{panel } \bullet \in (i, f, g, o): \quad
        \bigl[\bullet_{t}\bigr]_{j}, \quad j = 1..H \text{ (rows)}, \; t = 1..T \text{ (columns)}

    Parameters
    ----------
    gates : ndarray, shape (T, 4, H)
        Activations in ``GATE_ORDER`` (i, f, g, o), e.g. ``cache.gates[:, :, :, n]`` of
        ``lstm_forward`` for sequence n.
    marks : sequence of int, optional
        Time steps (0-based) to mark with a red triangle (the adding problem's markers).
    lang : {"ko", "en"}
    cmap : str
        Colour map; i, f, o lie in [0, 1] and g in [-1, 1].

    Notes
    -----
    torch: the gates are not returned by ``nn.LSTM``; recompute them from its weights
    (``course_rnn.torch_ref.convert``) with ``lstm_forward``. Taught in chapter 5.
    """
    text = _check_lang(lang)
    gates = np.asarray(gates)
    if gates.ndim != 3 or gates.shape[1] != 4:
        raise ValueError(f"gates must have shape (T, 4, H), got {gates.shape}")
    T, _, H = gates.shape
    marks = [] if marks is None else [int(m) for m in np.ravel(marks)]
    fig, axes = plt.subplots(4, 1, figsize=(9, 7.6), sharex=True)
    for k, (name, ax) in enumerate(zip(GATE_ORDER, axes, strict=True)):
        lo = -1.0 if name == "g" else 0.0
        im = ax.imshow(gates[:, k, :].T, aspect="auto", cmap=cmap, vmin=lo, vmax=1.0,
                       interpolation="nearest", extent=(0.5, T + 0.5, H + 0.5, 0.5))
        ax.set_ylabel(f"${name}_t$", rotation=0, labelpad=14, fontsize=12)
        ax.set_title(text["gates"][name], fontsize=10, loc="left", pad=9)
        ax.grid(False)
        for m in marks:  # a red triangle above each marked step
            ax.plot([m + 1], [0.5], marker="v", color=HIGHWAY, markersize=8, clip_on=False,
                    zorder=5)
        fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01)
    axes[-1].set_xlabel(text["time"])
    fig.supylabel(text["unit"], fontsize=10)
    return fig


# --------------------------------------------------------------------------- language models
LM_TEXT = {
    "ko": {"test": "시험 퍼플렉서티", "valid": "검증 퍼플렉서티", "epoch": "에폭",
           "per": {"char": "글자당", "word": "단어당"}, "seeds": "시드별 값",
           "mean": "평균 ± 표준편차", "ngram": "최선의 n-그램", "window": "절단 BPTT 창 $T$",
           "lang": {"en": "영어", "ko": "한국어"},
           "tokens": {"char": "글자", "jamo": "자모", "word": "단어"},
           "layers": "{n}층", "tied": "가중치 공유", "clipped": "그림 밖의 값",
           "updates": "갱신 횟수", "dropout": "드롭아웃",
           "kn": "Kneser-Ney {n}-그램", "addk": "add-k {n}-그램",
           "deep": {"word": "단어 $w_t$", "embed": "임베딩 $E$ $(V, D)$", "drop": "드롭아웃",
                    "lstm": "LSTM {n}층", "affine": "출력층 $E^\\top$, $b$",
                    "softmax": "소프트맥스", "next": "다음 단어의 확률 $p(w_{t+1})$",
                    "tie": "같은 행렬 $E$ (가중치 공유)", "state": "$h, c$: 다음 시간 단계로"}},
    "en": {"test": "test perplexity", "valid": "validation perplexity", "epoch": "epoch",
           "per": {"char": "per character", "word": "per word"}, "seeds": "each seed",
           "mean": "mean ± sd", "ngram": "best n-gram", "window": "truncated-BPTT window $T$",
           "lang": {"en": "English", "ko": "Korean"},
           "tokens": {"char": "characters", "jamo": "jamo", "word": "words"},
           "layers": "{n} layer(s)", "tied": "tied", "clipped": "value above the plot",
           "updates": "updates", "dropout": "dropout",
           "kn": "Kneser-Ney {n}-gram", "addk": "add-k {n}-gram",
           "deep": {"word": "word $w_t$", "embed": "embedding $E$ $(V, D)$", "drop": "dropout",
                    "lstm": "LSTM layer {n}", "affine": "output $E^\\top$, $b$",
                    "softmax": "softmax", "next": "next-word probabilities $p(w_{t+1})$",
                    "tie": "one matrix $E$ (tied weights)", "state": "$h, c$: to the next step"}},
}
LM_COLORS = ("tab:blue", "tab:cyan", "tab:red", "tab:purple", "tab:green", "tab:orange")
LM_SHADES = {"rnn": ("tab:blue", "tab:cyan"), "lstm": ("tab:red", "tab:purple", "tab:orange"),
             "gru": ("tab:green", "tab:olive")}


def _lm_text(lang: str) -> dict:
    if lang not in LM_TEXT:
        raise ValueError(f"lang must be one of {tuple(LM_TEXT)}, got {lang!r}")
    return LM_TEXT[lang]


def lm_row_labels(results: dict, names, lang: str = "en") -> dict:
    r"""Short labels of the study's rows ``names``, ``{name: label}``: the cell, then the
    number of layers, the learning rate and the window :math:`T` when they differ among
    ``names``, and dropout and tying when used (``"RNN, lr 0.003"``,
    ``"LSTM, 2 layers, dropout 0.5, tied"``). ``results["rows"]`` holds the rows' settings.
    Taught in chapter 5."""
    w = _lm_text(lang)
    rows = {n: results["rows"][n] for n in names}
    vary = {k: len({r[k] for r in rows.values()}) > 1 for k in ("layers", "lr", "T")}
    out = {}
    for n, r in rows.items():
        parts = [r["cell"].upper()]
        if vary["layers"]:
            parts.append(w["layers"].format(n=r["layers"]))
        if r["dropout"]:
            parts.append(f"{w['dropout']} {r['dropout']:g}")
        if r["tie"]:
            parts.append(w["tied"])
        if vary["lr"]:
            parts.append(f"lr {r['lr']:g}")
        if vary["T"]:
            parts.append(f"T={r['T']}")
        out[n] = ", ".join(parts)
    return out


def lm_row_colors(results: dict, names) -> dict:
    """A colour per row, ``{name: colour}``: blues for the RNN, reds and purples for the
    LSTM, greens for the GRU, the k-th row of a cell among ``names`` taking the k-th shade.
    Taught in chapter 5."""
    out, seen = {}, {}
    for n in names:
        cell = results["rows"][n]["cell"]
        shades = LM_SHADES.get(cell, LM_COLORS)
        out[n] = shades[seen.get(cell, 0) % len(shades)]
        seen[cell] = seen.get(cell, 0) + 1
    return out


def _ngram_label(r: dict, w: dict) -> str:
    kind = w["kn"] if r["kind"] == "kn" else w["addk"]
    return f"{w['ngram']}: {kind.format(n=r['order'])}"


def _plain_log_y(ax) -> None:
    """A log y axis labelled with plain numbers (3, 4, 6, 10, 20, ...), minor ticks bare."""
    from matplotlib.ticker import NullFormatter

    ax.set_yscale("log")
    lo, hi = ax.get_ylim()
    for nice in ((1, 1.5, 2, 3, 4, 5, 6, 8), (1, 2, 3, 4, 6), (1, 2, 3, 5), (1, 2, 5), (1, 3),
                 (1,)):  # the finest set of round numbers that gives at most 7 labels
        candidates = np.concatenate([np.array(nice) * 10.0 ** k for k in range(-1, 6)])
        ticks = candidates[(candidates >= lo) & (candidates <= hi)]
        if len(ticks) <= 7:
            break
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(lo, hi)


def _legend_with_markers(ax, w: dict) -> None:
    """The axes' legend plus two entries: a seed (open dot) and the mean ± sd (square)."""
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], ls="", marker="o", mfc="none", color="0.3"),
                Line2D([], [], ls="", marker="s", color="0.3")]
    labels += [w["seeds"], w["mean"]]
    ax.legend(handles, labels, fontsize=8, loc="best")


def _plot_curves(ax, curves: dict, labels: dict, colors: dict, floor: float, w: dict,
                 ceiling: float = 8.0, steps: dict | None = None) -> None:
    """Learning curves, one thin line per seed, on a log axis that stops at ``ceiling``
    times ``floor`` (the baseline): a value above it is drawn as a triangle at the top
    with its value written beside it, so one diverging epoch does not flatten the rest.
    ``steps`` (``{name: updates per epoch}``) puts the updates on the x axis instead of
    the epochs."""
    values = np.concatenate([c for runs in curves.values() for c in runs])
    top = min(values.max(), ceiling * floor) * 1.08
    bottom = min(values.min(), floor) / 1.08
    clipped: dict = {}  # epoch -> values above the top
    for n, runs in curves.items():
        for j, curve in enumerate(runs):
            epochs = np.arange(1, curve.size + 1) * (steps[n] if steps else 1)
            ax.plot(epochs, np.minimum(curve, top), color=colors[n], lw=1.1, alpha=0.8,
                    label=labels[n] if j == 0 else None)
            for e, v in zip(epochs, curve, strict=True):
                if v > top:
                    clipped.setdefault(int(e), []).append(float(v))
                    ax.plot([e], [top], "^", color=colors[n], ms=6, clip_on=False)
    for e, vs in clipped.items():
        ax.annotate(", ".join(f"{v:.0f}" for v in sorted(vs, reverse=True)), (e, top),
                    xytext=(6, -9), textcoords="offset points", fontsize=7, color="0.25")
    if clipped:
        ax.plot([], [], "^", color="0.3", ls="", label=w["clipped"])
    ax.set_ylim(bottom, top)
    _plain_log_y(ax)
    if steps:  # updates on a log axis: the runs make from ~10^2 to ~10^4 of them
        log_axis(ax, "x")
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _runs_of(results: dict, name: str) -> list:
    runs = [r for r in results["runs"] if r["row"] == name]
    if not runs:
        raise KeyError(f"no run of the row {name!r} in the results")
    return sorted(runs, key=lambda r: r["seed"])


def plot_lm_study(results: dict, groups, lang: str = "en"):
    r"""Language models of the study side by side; return the figure.

    One row of two panels per group of row names (one language and tokenisation each):
    left, the test perplexity of every seed (dots) and its mean :math:`\pm` sample
    standard deviation (bar); right, every run's learning curve, the validation
    perplexity after each epoch (one thin line per seed, log axis). The dashed line is the
    count baseline with the lowest validation perplexity for that language and
    tokenisation (``best_ngram``): its test perplexity on the left, its validation
    perplexity on the right.

    .. math::

        \text{left: } \mathrm{PPL}_\text{test}^{(s)},\ \bar x \pm s; \qquad
        \text{right: } e \mapsto \mathrm{PPL}_\text{valid}(\theta_e)

    ``results``: ``course_rnn.experiments.language_models.load_results()``; ``groups``: a
    list of lists of row names. Taught in chapter 5.
    """
    import matplotlib.pyplot as plt

    from course_rnn.experiments.language_models import best_ngram, summary

    w = _lm_text(lang)
    groups = [list(g) for g in groups]
    table = summary(results)
    fig, axes = plt.subplots(len(groups), 2, figsize=(11, 3.7 * len(groups)), squeeze=False,
                             gridspec_kw={"width_ratios": (1, 1.5)})
    for (ax0, ax1), names in zip(axes, groups, strict=True):
        rows = [results["rows"][n] for n in names]
        langs = {(r["lang"], r["tokens"]) for r in rows}
        if len(langs) != 1:
            raise ValueError(f"a group must hold one language and tokenisation, got {langs}")
        data_lang, tokens = langs.pop()
        per = w["per"]["word" if tokens == "word" else "char"]
        base = best_ngram(results, data_lang, tokens)
        labels = lm_row_labels(results, names, lang)
        colors = lm_row_colors(results, names)
        curves = {}
        for k, n in enumerate(names):
            s = table[n]
            x = k + np.linspace(-0.12, 0.12, len(s["test"]))
            ax0.plot(x, s["test"], "o", color=colors[n], ms=5, mfc="none", mew=1.2)
            ax0.errorbar([k + 0.3], [s["mean"]], yerr=[s["sd"]], fmt="s", color=colors[n],
                         ms=5, capsize=4, lw=1.5)
            curves[n] = [np.asarray(r["curve"], dtype=float) for r in _runs_of(results, n)]
        _plot_curves(ax1, curves, labels, colors, base["valid"], w)
        ax0.axhline(base["test"], color="0.4", ls="--", lw=1, label=_ngram_label(base, w))
        ax1.axhline(base["valid"], color="0.4", ls="--", lw=1, label=_ngram_label(base, w))
        ax1.legend(fontsize=8)
        ax0.set_xticks(range(len(names)), [labels[n].replace(", ", "\n", 1) for n in names],
                       fontsize=8)
        ax0.set_xlim(-0.5, len(names) - 0.3)
        ax0.set_ylabel(f"{w['test']} ({per})")
        ax0.set_title(f"{w['lang'][data_lang]}, {w['tokens'][tokens]}", fontsize=10)
        _legend_with_markers(ax0, w)
        ax1.set_title(f"{w['lang'][data_lang]}, {w['tokens'][tokens]}", fontsize=10)
        ax1.set(xlabel=w["epoch"], ylabel=f"{w['valid']} ({per})")
    return fig


def plot_window_sweep(results: dict, names, lang: str = "en", updates: dict | None = None):
    r"""Test perplexity against the truncated-BPTT window; return the figure.

    Left: every seed (dots) and the mean :math:`\pm` sample standard deviation (bars) at
    each window :math:`T` of the rows ``names`` (log-2 axis), the means joined; right:
    the learning curves, one thin line per seed, against the epoch, or against the number
    of parameter updates if ``updates`` gives each row's updates per epoch
    (``{name: len(batches)}``): at an equal number of tokens read, a window of
    :math:`T` steps makes :math:`1/T` as many updates. Taught in chapter 5.
    """
    import matplotlib.pyplot as plt

    from course_rnn.experiments.language_models import summary

    w = _lm_text(lang)
    table = summary(results)
    names = sorted(names, key=lambda n: results["rows"][n]["T"])
    Ts = np.array([results["rows"][n]["T"] for n in names])
    tokens = {results["rows"][n]["tokens"] for n in names}
    per = w["per"]["word" if tokens == {"word"} else "char"]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 3.6))
    means = np.array([table[n]["mean"] for n in names])
    sds = np.array([table[n]["sd"] for n in names])
    ax0.plot(Ts, means, "-", color="tab:red", lw=1, alpha=0.6)
    ax0.errorbar(Ts * 1.08, means, yerr=sds, fmt="s", color="tab:red", ms=5, capsize=4)
    curves, labels, colors = {}, {}, {}
    for k, n in enumerate(names):
        test = table[n]["test"]
        ax0.plot(np.full(len(test), Ts[k]), test, "o", color="tab:red", ms=5, mfc="none",
                 mew=1.1)
        curves[n] = [np.asarray(r["curve"], dtype=float) for r in _runs_of(results, n)]
        labels[n], colors[n] = f"T = {Ts[k]}", LM_COLORS[k % len(LM_COLORS)]
    _plot_curves(ax1, curves, labels, colors, float(min(c.min() for r in curves.values()
                                                         for c in r)), w,
                 steps={n: updates[n] for n in names} if updates else None)
    ax0.set_xscale("log", base=2)
    ax0.set_xticks(Ts, [str(T) for T in Ts])
    ax0.minorticks_off()
    ax0.set(xlabel=w["window"], ylabel=f"{w['test']} ({per})")
    _legend_with_markers(ax0, w)
    ax1.set(xlabel=w["updates"] if updates else w["epoch"], ylabel=f"{w['valid']} ({per})")
    ax1.legend(fontsize=8)
    return fig


def draw_deep_lm(ax=None, lang: str = "en"):
    r"""Draw the two-layer LSTM language model with dropout and tied weights; return the
    axes.

    .. math::

        e_t = \mathrm{drop}(E[w_t]), \quad h^{(l)}_t = \mathrm{drop}\bigl(
        \mathrm{LSTM}^{(l)}(h^{(l-1)}_t, h^{(l)}_{t-1})\bigr), \quad
        s_t = h^{(2)}_t E^\top + b

    From the bottom: the word, the embedding, dropout, two LSTM layers each followed by
    dropout (their states go on to the next time step, to the right), the output layer
    whose weight is the embedding matrix transposed (the red link: one parameter), the
    softmax. Deep Learning from Scratch 2's ``BetterRnnlm`` (section 6.5).
    torch: ``course_rnn.torch_ref.models.TorchLanguageModel(..., tie_weights=True)``.
    Taught in chapter 5.
    """
    import matplotlib.pyplot as plt

    w = _lm_text(lang)["deep"]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.6, 6.2))
    x, width = 2.4, 2.6
    stack = [("embed", "#fdf2d0"), ("drop", "#eeeeee"), ("lstm1", "#e8f1fb"),
             ("drop", "#eeeeee"), ("lstm2", "#e8f1fb"), ("drop", "#eeeeee"),
             ("affine", "#fdf2d0"), ("softmax", "#ffffff")]
    ys = 0.9 + 0.78 * np.arange(len(stack))
    ax.text(x, 0.15, w["word"], ha="center", va="center", fontsize=11)
    _arrow(ax, (x, 0.35), (x, ys[0] - 0.24))
    for k, ((part, face), y) in enumerate(zip(stack, ys, strict=True)):
        label = w["lstm"].format(n=part[-1]) if part.startswith("lstm") else w[part]
        height = 0.48 if part != "drop" else 0.36
        ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                    boxstyle="round,pad=0.02,rounding_size=0.08",
                                    facecolor=face, edgecolor=LINE, lw=1.1, zorder=3))
        ax.text(x, y, label, ha="center", va="center", fontsize=10, zorder=4)
        if k + 1 < len(stack):
            top = y + height / 2
            nxt = ys[k + 1] - (0.48 if stack[k + 1][0] != "drop" else 0.36) / 2
            _arrow(ax, (x, top), (x, nxt))
        if part.startswith("lstm"):  # the recurrent state goes on to step t+1
            _arrow(ax, (x + width / 2, y), (x + width / 2 + 0.9, y), "#555555")
            ax.text(x + width / 2 + 0.95, y, w["state"], va="center", fontsize=8,
                    color="#555555")
    _arrow(ax, (x, ys[-1] + 0.24), (x, ys[-1] + 0.6))
    ax.text(x, ys[-1] + 0.8, w["next"], ha="center", va="center", fontsize=10)
    # the tie: embedding and output layer share E
    left = x - width / 2
    _arrow(ax, (left, ys[0]), (left, ys[6]), HIGHWAY, lw=2.0, style="<|-|>",
           connection="arc3,rad=-0.45")
    ax.text(left - 1.35, (ys[0] + ys[6]) / 2, w["tie"], color=HIGHWAY, fontsize=9,
            ha="center", va="center", rotation=90)
    ax.set_xlim(-0.9, 6.0)
    ax.set_ylim(-0.2, ys[-1] + 1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
