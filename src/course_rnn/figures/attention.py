r"""The figures of chapter 10 (attention): the decoder reading every encoder state, alignment
heat maps, and exact match against input length with the seeds' spread."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course_rnn.figures.diagrams import (
    ARROW_COLORS,
    BOX_H,
    BOX_W,
    COLORS,
    DX,
    DY,
    _arrow,
    _box,
    _fit,
)
from course_rnn.figures.kinds import draw_encoder_decoder, relabel

_TEXT = {
    "ko": {"weights": "어텐션 가중치", "source": "입력 문자", "output": "출력 문자",
           "length": "입력 길이 $L$ (숫자 개수)", "exact": "완전 일치 (시험 집합)",
           "context": "문맥 벡터"},
    "en": {"weights": "attention weight", "source": "input character", "output": "output character",
           "length": "input length $L$ (digits)", "exact": "exact match (test set)",
           "context": "context vector"},
}


def _centre(box):
    return box.get_x() + box.get_width() / 2, box.get_y() + box.get_height() / 2


def draw_attention_decoder(weights, t: int = 2, T_out: int = 3, ax=None, title: str | None = None):
    r"""The encoder-decoder of chapter 9 with attention at decoder step ``t``: every encoder
    state :math:`h_j` sends an arrow to :math:`c_t`, as thick as its weight
    :math:`\alpha_{t,j}` (``weights``, one per input step, summing to 1, printed above
    :math:`h_j`); :math:`s_t` is the query (the dashed arrow), and :math:`c_t` joins
    :math:`s_t` to make the output :math:`y_t`. The decoder starts from :math:`s_0 = h_T`.

    .. math::

        c_t = \sum_j \alpha_{t,j} h_j, \qquad o_t = [s_t \,\|\, c_t] W_{\text{out}} + b_{\text{out}}

    The box :math:`c_t` sits above :math:`y_t`, a row of its own. Returns the ``Diagram``
    (its boxes plus ``("c", t)``). torch: none (a drawing). Taught in chapter 10.
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 1 or not np.isclose(weights.sum(), 1) or (weights < 0).any():
        raise ValueError(f"weights must be one non-negative weight per input step summing to 1, "
                         f"got {weights}")
    if not 1 <= t <= T_out:
        raise ValueError(f"t must be a decoder step in 1..{T_out}, got {t}")
    T_in = len(weights)
    if ax is None:  # one row more than chapter 9's drawing, for c_t
        _, ax = plt.subplots(figsize=(0.95 * ((T_in + T_out + 1.6) * DX + 0.8),
                                      0.95 * (3 * DY + 1.0 + 0.4 * bool(title))))
    d = draw_encoder_decoder(T_in, T_out, ax=ax, title=title, labels=False, context_label="")
    relabel(d, ("h", 1, T_in), r"$h_T$")
    for j in range(1, T_in):
        relabel(d, ("h", 1, j), f"$h_{j}$")
    sx, sy = _centre(d.boxes[("dec", "h", 1, t)])
    yx, yy = _centre(d.boxes[("dec", "y", t)])
    cx, cy = yx, yy + DY
    d.boxes[("c", t)] = _box(d.ax, cx, cy, f"$c_{t}$", "hb")
    colour = ARROW_COLORS["recurrent_b"]
    for j, w in enumerate(weights, 1):
        hx, hy = _centre(d.boxes[("h", 1, j)])
        _arrow(d.ax, (hx, hy + BOX_H / 2), (cx - BOX_W / 2, cy), colour, rad=-0.25,
               lw=0.3 + 5 * w)
        d.ax.text(hx - 0.08, hy + BOX_H / 2 + 0.08, f"{w:.2f}", fontsize=9, color=COLORS["hb"][1],
                  ha="right", va="bottom")
    # the query: from s_t, round the right of y_t, up to c_t
    _arrow(d.ax, (sx + BOX_W / 2, sy + 0.1), (cx + BOX_W / 2, cy - 0.1), ARROW_COLORS["extra"],
           rad=0.45, lw=1.2).set_linestyle("--")
    _arrow(d.ax, (cx, cy - BOX_H / 2), (yx, yy + BOX_H / 2), ARROW_COLORS["output"])
    _fit(d.ax)
    return d


def alignment_heatmap(weights, source, output, ax=None, lang: str = "en",
                      title: str | None = None, colorbar: bool = True):
    r"""Heat map of the attention weights :math:`\alpha_{t,j}`: one row per output symbol
    (``output``, read down), one column per input symbol (``source``, read across).

    ``source`` and ``output`` are strings or sequences of symbols (``[*"2024", "</s>"]``
    labels the end symbol's row too). ``weights`` (T', T) with T' >= len(output) and
    T >= len(source); rows and columns beyond them (padding, steps after the end symbol) are
    cut off. A space of the source is drawn as ``␣``. Returns the axes. torch: none (a
    drawing). Taught in chapter 10.
    """
    weights = np.asarray(weights)
    if weights.ndim != 2 or weights.shape[0] < len(output) or weights.shape[1] < len(source):
        raise ValueError(f"weights must be (T', T) with T' >= {len(output)} output characters "
                         f"and T >= {len(source)} input characters, got {weights.shape}")
    w = weights[:len(output), :len(source)]
    if ax is None:
        _, ax = plt.subplots(figsize=(0.3 * len(source) + 1.8, 0.3 * len(output) + 1.2))
    im = ax.imshow(w, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(source)))
    ax.set_xticklabels(["␣" if c == " " else c for c in source], fontsize=9)
    ax.set_yticks(range(len(output)))
    ax.set_yticklabels(list(output), fontsize=9)
    ax.tick_params(length=0)
    ax.grid(False)  # the style's grid would cut through the cells
    ax.set_xlabel(_TEXT[lang]["source"])
    ax.set_ylabel(_TEXT[lang]["output"])
    if title:
        ax.set_title(title, fontsize=10)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02, label=_TEXT[lang]["weights"])
    return ax


def plot_length_study(summary: dict, labels: dict, lang: str = "en", ax=None,
                      models=None):
    r"""Exact match against input length, one curve per model: the mean over the seeds with a
    band of :math:`\pm` one standard deviation. ``summary`` as
    ``course_rnn.experiments.attention.summary``, ``labels`` model -> legend text.
    Returns the axes. torch: none (a drawing). Taught in chapter 10."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.6))
    for kind in models or summary:
        s = summary[kind]
        L = np.arange(1, len(s["curve"]) + 1)
        line, = ax.plot(L, s["curve"], marker="o", ms=2.5, lw=1.4,
                        label=f"{labels[kind]} ({len(s['seeds'])} seeds)" if lang == "en"
                        else f"{labels[kind]} (시드 {len(s['seeds'])}개)")
        ax.fill_between(L, np.clip(s["curve"] - s["sd"], 0, 1), np.clip(s["curve"] + s["sd"], 0, 1),
                        color=line.get_color(), alpha=0.18, lw=0)
    ax.set_xlabel(_TEXT[lang]["length"])
    ax.set_ylabel(_TEXT[lang]["exact"])
    ax.set_ylim(-0.03, 1.03)
    ax.legend(fontsize=8, loc="center right")
    return ax
