r"""Drawings of chapter 4: the language model's layers unrolled in time, and the rows of a
truncated-BPTT mini-batch read at their offsets."""

from __future__ import annotations

import matplotlib.pyplot as plt

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
