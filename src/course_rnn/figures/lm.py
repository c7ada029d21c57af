r"""Drawings of chapter 4: the language model's layers unrolled in time, the rows of a
truncated-BPTT mini-batch read at their offsets, and what the chapter measures on real text
(word vocabularies against their minimum count, the count baselines against their order,
perplexity curves against baselines, the next-token probabilities as a heat map)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

_LM_TEXT = {
    "ko": {"embed": "Embedding", "rnn": "Time RNN", "affine": "Time Affine",
           "loss": "Softmax\n교차 엔트로피", "mean": "평균", "in": "입력 $w_t$",
           "target": "정답"},
    "en": {"embed": "Embedding", "rnn": "Time RNN", "affine": "Time Affine",
           "loss": "Softmax\ncross-entropy", "mean": "mean", "in": "input $w_t$",
           "target": "target"},
}


def draw_lm_layers(tokens=("나", "는", " ", "사"), targets=("는", " ", "사", "과"),
                   lang: str = "ko", ax=None):
    r"""Draw the language model unrolled in time, one column per time step.

    Each column reads :math:`w_t` and goes up through Embedding, the RNN cell
    (:math:`h_{t-1} \to h_t` from left to right), Affine and the softmax loss against
    :math:`w_{t+1}`; the losses meet in their mean :math:`L`. ``tokens`` and
    ``targets`` (T each) label the columns. Returns the Axes. Torch: none (a figure).
    Taught in chapter 4.
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if lang not in _LM_TEXT:
        raise ValueError(f"lang must be 'ko' or 'en', got {lang!r}")
    if len(tokens) != len(targets):
        raise ValueError("tokens and targets must have the same length")
    text = _LM_TEXT[lang]
    T = len(tokens)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.9 * T + 1.6, 5.4))
    rows = [("embed", 1.0, "#dbe9f6"), ("rnn", 2.0, "#fde2c8"), ("affine", 3.0, "#dff0d8"),
            ("loss", 4.1, "#f2dede")]
    w, hgt = 1.35, 0.55

    def box(x, y, label, color):
        ax.add_patch(FancyBboxPatch((x - w / 2, y - hgt / 2), w, hgt,
                                    boxstyle="round,pad=0.03", fc=color, ec="black", lw=0.8))
        ax.text(x, y, label, ha="center", va="center", fontsize=9)

    def arrow(a, b, color="black"):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=10,
                                     color=color, lw=0.9))

    for t in range(T):
        x = 1.9 * t
        ax.text(x, 0.15, f"{text['in']}\n'{tokens[t]}'".replace("$w_t$", f"$w_{t + 1}$"),
                ha="center", va="center", fontsize=9)
        arrow((x, 0.45), (x, 1.0 - hgt / 2))
        for (name, y, color), nxt in zip(rows, [*rows[1:], None], strict=True):
            box(x, y, text[name], color)
            if nxt is not None:
                arrow((x, y + hgt / 2), (x, nxt[1] - hgt / 2))
        ax.text(x + w / 2 + 0.05, 4.1 - 0.55,
                f"{text['target']} '{targets[t]}'", ha="left", va="center", fontsize=8,
                color="tab:red")
        arrow((x + 0.55, 3.55), (x + 0.35, 4.1 - hgt / 2), color="tab:red")
        arrow((x, 4.1 + hgt / 2), (1.9 * (T - 1) / 2, 5.05))
        if t < T - 1:
            arrow((x + w / 2, 2.0), (x + 1.9 - w / 2, 2.0), color="tab:orange")
    ax.text(-1.25, 2.0, "$h_0$", ha="center", va="center", fontsize=10)
    arrow((-1.05, 2.0), (-w / 2, 2.0), color="tab:orange")
    ax.text(1.9 * (T - 1) / 2, 5.25, f"$L$ ({text['mean']})", ha="center", va="center",
            fontsize=10)
    ax.set_xlim(-1.6, 1.9 * (T - 1) + 1.0)
    ax.set_ylim(-0.3, 5.5)
    ax.set_axis_off()
    return ax


def draw_offsets(n: int, batch_size: int, time_size: int, lang: str = "ko", ax=None):
    r"""Draw how ``truncated_bptt_batches`` reads one sequence of ``n`` pairs.

    Row :math:`i` starts at :math:`o_i = \lfloor i n / B \rfloor` and reads
    :math:`\lfloor n / B \rfloor` steps cut into chunks of ``time_size``; chunk k of each
    row is drawn in the colour of mini-batch k. Returns the Axes. Torch: none (a figure).
    Taught in chapter 4.
    """

    B, T = batch_size, time_size
    steps = n // B
    n_chunks = steps // T
    if n_chunks < 1:
        raise ValueError(f"{n} pairs in {B} rows give fewer than time_size={T} steps per row")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.5 * B + 1.2))
    colors = plt.get_cmap("tab10")
    for i in range(B):
        o = i * n // B
        for k in range(n_chunks):
            ax.barh(i, T, left=o + k * T, color=colors(k % 10), edgecolor="white", height=0.6)
            ax.text(o + k * T + T / 2, i, f"{k + 1}", ha="center", va="center", fontsize=8)
    ax.set_xlim(0, n)
    ax.set_yticks(range(B))
    ax.set_yticklabels([f"{'행' if lang == 'ko' else 'row'} {i} (o = {i * n // B})"
                        for i in range(B)])
    ax.invert_yaxis()
    ax.set_xlabel({"ko": "시퀀스 안의 위치 (숫자: 미니배치 번호)",
                   "en": "position in the sequence (number: mini-batch)"}.get(lang, ""))
    return ax


# --------------------------------------------------------------------------- real text
_TEXT = {
    "ko": {"min_freq": "최소 빈도 (이보다 적게 나온 단어는 <unk>)", "V": "어휘 크기 $V$",
           "unk": "검증 글의 <unk> 비율 (%)", "lang": {"en": "영어", "ko": "한국어"},
           "order": "차수 $n$ (1 = 유니그램)", "per_char": "검증 퍼플렉서티 (글자당)",
           "per_word": "검증 퍼플렉서티 (단어당)",
           "tokens": {"char": "글자", "jamo": "자모", "word": "단어"},
           "kn": "Kneser-Ney", "addk": "add-k", "best": "가장 낮음",
           "epoch": "에폭", "ppl": "검증 퍼플렉서티 ({per}당)",
           "per": {"char": "글자", "word": "단어"},
           "read": "읽은 토큰", "next": "다음 토큰 후보", "prob": "확률"},
    "en": {"min_freq": "minimum count (a word seen fewer times is <unk>)",
           "V": "vocabulary size $V$", "unk": "<unk> in the validation text (%)",
           "lang": {"en": "English", "ko": "Korean"}, "order": "order $n$ (1 = unigram)",
           "per_char": "validation perplexity (per character)",
           "per_word": "validation perplexity (per word)",
           "tokens": {"char": "characters", "jamo": "jamo", "word": "words"},
           "kn": "Kneser-Ney", "addk": "add-k", "best": "lowest", "epoch": "epoch",
           "ppl": "validation perplexity (per {per})",
           "per": {"char": "character", "word": "word"},
           "read": "token read", "next": "next-token candidate", "prob": "probability"},
}


def _text(lang: str) -> dict:
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'ko' or 'en', got {lang!r}")
    return _TEXT[lang]


def _plain_log(ax, lo: float, hi: float) -> None:
    """A log y axis from ``lo`` to ``hi`` labelled with plain numbers (2, 5, 10, 20, ...)."""
    from matplotlib.ticker import NullFormatter

    ax.set_yscale("log")
    nice = [m * 10.0 ** k for k in range(-1, 7) for m in (1, 2, 3, 5)]
    ticks = [t for t in nice if lo <= t <= hi]
    if len(ticks) > 8:  # about six labels
        ticks = ticks[:: int(np.ceil(len(ticks) / 6))]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(lo, hi)


def draw_min_freq(sweeps: dict, lang: str = "ko", axes=None):
    r"""Word vocabulary size and validation ``<unk>`` rate against the minimum count.

    ``sweeps``: ``{corpus_lang: (min_freqs, V, unk_rate)}`` (arrays of one length, as
    ``course_rnn.experiments.lm.min_freq_sweep`` gives). Left: :math:`V(m)` on a log axis;
    right: the share of validation tokens that are ``<unk>``, in percent. Raising
    :math:`m` shrinks the vocabulary and turns more of the held-out text into ``<unk>``.
    Returns the two Axes. Torch: none (a figure). Taught in chapter 4.
    """
    text = _text(lang)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    ax_v, ax_u = axes
    vmax = 1
    for k, (corpus_lang, (m, V, unk)) in enumerate(sweeps.items()):
        if not len(m) == len(V) == len(unk):
            raise ValueError(f"{corpus_lang}: min_freqs, V and unk_rate must have one length, "
                             f"got {len(m)}, {len(V)}, {len(unk)}")
        color = ("tab:blue", "tab:red", "tab:green")[k % 3]
        label = text["lang"].get(corpus_lang, corpus_lang)
        ax_v.plot(m, V, marker="o", color=color, label=label)
        ax_u.plot(m, 100 * unk, marker="o", color=color, label=label)
        vmax = max(vmax, max(V))
    _plain_log(ax_v, min(min(V) for _, V, _ in sweeps.values()) * 0.8, vmax * 1.25)
    for ax, ylabel in ((ax_v, text["V"]), (ax_u, text["unk"])):
        ax.set_xlabel(text["min_freq"], fontsize=9)
        ax.set_ylabel(ylabel)
        ax.legend()
    ax_u.set_ylim(0, None)
    return axes


def draw_baselines(rows, lang: str = "ko", axes=None):
    r"""Validation perplexity of the count baselines against their order.

    ``rows``: dicts with ``tokens`` (``"char"``, ``"jamo"``, ``"word"``), ``kind``
    (``"add-k"`` or ``"kn"``), ``order``, ``valid`` and ``per`` (``"char"`` or ``"word"``),
    as ``course_rnn.experiments.language_models.ngram_row`` returns them. One panel per
    unit (per character: characters and jamo; per word: words), log axis; solid lines
    Kneser-Ney, dashed add-k (order 1: the unigram); a star on the lowest of each panel.
    Returns the Axes. Torch: none (a figure). Taught in chapter 4.
    """
    text = _text(lang)
    rows = list(rows)
    units = [u for u in ("char", "word") if any(r["per"] == u for r in rows)]
    if not units:
        raise ValueError("rows is empty: nothing to draw")
    if axes is None:
        _, axes = plt.subplots(1, len(units), figsize=(5.4 * len(units), 3.6), squeeze=False)
        axes = axes[0]
    colors = {"char": "tab:blue", "jamo": "tab:red", "word": "tab:green"}
    for ax, unit in zip(axes, units, strict=True):
        mine = [r for r in rows if r["per"] == unit]
        for tokens in dict.fromkeys(r["tokens"] for r in mine):
            for kind, style in (("kn", "-o"), ("add-k", "--s")):
                pts = sorted((r["order"], r["valid"]) for r in mine
                             if r["tokens"] == tokens and r["kind"] == kind)
                if pts:
                    x, y = zip(*pts, strict=True)
                    ax.plot(x, y, style, color=colors.get(tokens, "0.3"), ms=4,
                            label=f"{text['tokens'].get(tokens, tokens)}, "
                                  f"{text['kn'] if kind == 'kn' else text['addk']}")
        best = min(mine, key=lambda r: r["valid"])
        ax.plot(best["order"], best["valid"], "*", color="black", ms=13, zorder=5,
                label=f"{text['best']}: {best['valid']:.2f}")
        values = [r["valid"] for r in mine]
        _plain_log(ax, min(values) * 0.85, max(values) * 1.2)
        ax.set_xlabel(text["order"])
        ax.set_ylabel(text["per_char" if unit == "char" else "per_word"])
        ax.set_xticks(sorted({r["order"] for r in mine}))
        ax.legend(fontsize=8)
    return axes


def draw_perplexity_curves(curves: dict, baselines: dict, per: str = "char",
                           lang: str = "ko", ax=None):
    r"""Validation perplexity after each epoch, against horizontal baselines.

    ``curves``: ``{label: values}``, ``values`` one curve (a sequence, epoch 1, 2, ...) or
    several (a list of sequences, e.g. one per seed, drawn in one colour);
    ``baselines``: ``{label: perplexity}``, dashed grey lines. ``per``: ``"char"`` or
    ``"word"`` (the unit of the y label). Log axis. Returns the Axes. Torch: none (a
    figure). Taught in chapter 4.
    """
    text = _text(lang)
    if per not in text["per"]:
        raise ValueError(f"per must be 'char' or 'word', got {per!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.8, 3.8))
    values = list(baselines.values())
    for k, (label, ys) in enumerate(curves.items()):
        runs = [ys] if np.ndim(ys[0]) == 0 else list(ys)
        color = plt.get_cmap("tab10")(k % 10)
        for j, y in enumerate(runs):
            y = np.asarray(y, dtype=float)
            ax.plot(np.arange(1, y.size + 1), y, marker="o", ms=3, color=color,
                    alpha=0.85, label=label if j == 0 else None)
            values += list(y)
    grays = np.linspace(0.15, 0.6, max(len(baselines), 1))
    for g, (label, v) in zip(grays, baselines.items(), strict=False):
        ax.axhline(v, color=str(g), ls="--", lw=1, label=f"{label}: {v:.2f}")
    _plain_log(ax, min(values) * 0.85, max(values) * 1.2)
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_xlabel(text["epoch"])
    ax.set_ylabel(text["ppl"].format(per=text["per"][per]))
    ax.legend(fontsize=8)
    return ax


def draw_next_token_heatmap(P, ids, labels, n_candidates: int = 14, lang: str = "ko",
                            ax=None):
    r"""The model's next-token probabilities after every token read, as a heat map.

    ``P`` (T, V): row t is :math:`p(w_{t+1} \mid w_{\le t})`
    (``course_rnn.experiments.lm.next_token_probs``); ``ids`` (T,) the tokens read;
    ``labels``: a label for every id of the vocabulary (``token_labels(tok,
    range(V))``). Columns: the tokens read; rows: the ``n_candidates`` tokens with the most
    probability in all; a red circle marks the token that came next. Returns the Axes.
    Torch: none (a figure). Taught in chapter 4.
    """
    text = _text(lang)
    P = np.asarray(P)
    ids = np.asarray(ids)
    if P.ndim != 2 or P.shape[0] != ids.shape[0]:
        raise ValueError(f"P must be (T, V) with T = len(ids) = {ids.shape[0]}, "
                         f"got shape {P.shape}")
    if len(labels) != P.shape[1]:
        raise ValueError(f"labels must name every id: {P.shape[1]} labels, got {len(labels)}")
    T = len(ids)
    rows = np.argsort(-P.sum(axis=0), kind="stable")[:n_candidates]
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.27 * T + 2), 0.3 * len(rows) + 1.2))
    im = ax.imshow(P[:, rows].T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.grid(False)  # the style's grid would cross the cells
    ax.set_yticks(range(len(rows)), [labels[i] for i in rows])
    ax.set_xticks(range(T), [labels[i] for i in ids])
    for t in range(T - 1):
        hit = np.flatnonzero(rows == ids[t + 1])
        if hit.size:
            ax.plot(t, hit[0], "o", mfc="none", mec="red", ms=7)
    ax.set_xlabel(text["read"])
    ax.set_ylabel(text["next"])
    ax.figure.colorbar(im, ax=ax, label=text["prob"])
    return ax
