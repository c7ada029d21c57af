r"""Figures of chapter 5: the LSTM cell with its cell-state highway, and gate heat maps.

``draw_lstm_cell`` draws one LSTM step: the cell state :math:`c_{t-1} \to c_t` running
straight through the top (multiplied by :math:`f_t`, then added :math:`i_t \odot g_t`),
the four gate layers fed by :math:`[h_{t-1}, x_t]` at the bottom, and
:math:`h_t = o_t \odot \tanh(c_t)` leaving on the right. ``plot_gate_heatmaps`` shows the
activations of the gates i, f, g, o (units by time steps) of one sequence, with the
marked steps of the adding problem drawn as lines. Labels in Korean or English.
Taught in chapter 5.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

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
