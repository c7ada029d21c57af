r"""Figures of chapter 3: the unrolled graph of BPTT, and log axes that render in Korean.

``draw_unrolled_graph`` draws the RNN unrolled in time as a computational graph: inputs
:math:`x_t`, states :math:`h_t`, outputs :math:`\hat y_t`, losses :math:`L_t` and their
sum :math:`L = \sum_t L_t`, with the forward pass in black and the backward pass (BPTT)
in red. With a truncation window the forward arrows cross the chunk boundaries and the
backward arrows stop there. Labels in Korean or English. ``log_axis`` gives an axis a log
scale whose labels :math:`10^{n}` render with the Korean set-up (see its docstring).
Taught in chapter 3.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import FuncFormatter, NullFormatter

FORWARD = "#222222"
BACKWARD = "#c0392b"
NODE_STYLE = {  # row -> (face colour, edge colour)
    "x": ("#e8f1fb", "#3a6ea5"),
    "h": ("#fdf1e1", "#c77c1e"),
    "y": ("#e9f6ec", "#3c8d50"),
    "L": ("#f4e9f7", "#7d4b91"),
}
TEXT = {
    "ko": {"forward": "순전파", "backward": "역전파 (BPTT)", "cut": "역전파를 끊는 곳",
           "shared": "모든 시간 단계가 같은 $W_{xh}, W_{hh}, W_{hy}$를 씁니다"},
    "en": {"forward": "forward pass", "backward": "backward pass (BPTT)",
           "cut": "backward pass cut here",
           "shared": "every time step uses the same $W_{xh}, W_{hh}, W_{hy}$"},
}


def _power_of_ten(value: float, _pos=None) -> str:
    """Tick label ``$10^{n}$`` for an exact power of ten, nothing otherwise."""
    if not value > 0:
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    return f"$10^{{{round(exponent)}}}$"


def log_axis(ax, axis: str = "y"):
    r"""Put ``axis`` of ``ax`` on a log scale labelled :math:`10^{n}`; return ``ax``.

    .. math::

        \text{label}(v) = 10^{\log_{10} v} \quad (v \text{ a power of ten})

    Matplotlib's own log labels are ``$\mathdefault{10^{-2}}$``: ``\mathdefault`` draws
    in the text font, which the Korean set-up makes NanumGothic, and NanumGothic has no
    minus sign U+2212 (a "Font 'default' does not have a glyph" warning on stderr for
    every negative exponent). These labels are plain math text, drawn with the math font
    (DejaVu Sans), which has it. Minor ticks are left unlabelled.

    Parameters
    ----------
    ax : matplotlib Axes
    axis : {"x", "y"}

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    Matplotlib: ``ax.set_yscale("log")`` with a ``FuncFormatter``. Used in chapter 3.
    """
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_major_formatter(FuncFormatter(_power_of_ten))
    target.set_minor_formatter(NullFormatter())
    return ax


def _node(ax, xy, label, row, r=0.34):
    face, edge = NODE_STYLE[row]
    circle = plt.Circle(xy, r, facecolor=face, edgecolor=edge, lw=1.6, zorder=3)
    ax.add_patch(circle)
    ax.text(*xy, label, ha="center", va="center", fontsize=11, zorder=4)


def _arrow(ax, a, b, color, r=0.36, style="-|>", ls="-", rad=0.0, lw=1.4, z=2):
    """An arrow from circle ``a`` to circle ``b`` (both of radius ``r``, in data units)."""
    (x0, y0), (x1, y1) = a, b
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    start, end = (x0 + r * ux, y0 + r * uy), (x1 - r * ux, y1 - r * uy)
    patch = FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=color,
                            linestyle=ls, lw=lw, shrinkA=0, shrinkB=0,
                            connectionstyle=f"arc3,rad={rad}", zorder=z)
    ax.add_patch(patch)


def draw_unrolled_graph(ax=None, T: int = 4, window: int | None = None, lang: str = "en"):
    r"""Draw the unrolled computational graph of an Elman RNN with its BPTT arrows.

    .. math::

        h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \quad
        \hat y_t = \mathrm{softmax}(h_t W_{hy}), \quad
        L = \sum_{t=1}^{T} L_t

    Parameters
    ----------
    ax : matplotlib Axes or None
        Drawn into (a new figure when None).
    T : int
        Number of time steps drawn (2 to 8 read well).
    window : int or None
        Truncation window: a dotted line after every ``window`` steps, where the red
        backward arrows stop (the black forward arrows go on).
    lang : {"ko", "en"}
        Language of the legend.

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    No torch equivalent (``torchviz`` draws autograd graphs, in far more detail).
    Taught in chapter 3.
    """
    if lang not in TEXT:
        raise ValueError(f"lang must be 'ko' or 'en', got {lang!r}")
    text = TEXT[lang]
    if ax is None:
        _, ax = plt.subplots(figsize=(0.95 * T + 2.2, 3.9))
    dx = 1.55
    rows = {"x": 0.0, "h": 1.35, "y": 2.7, "L": 3.95}
    top = 5.0
    ax.set_xlim(-0.5, dx * T + 0.6)
    ax.set_ylim(-0.9, top + 0.55)
    ax.set_aspect("equal")
    ax.axis("off")

    _node(ax, (0, rows["h"]), "$h_0$", "h")
    for t in range(1, T + 1):
        c = dx * t
        _node(ax, (c, rows["x"]), f"$x_{t}$", "x")
        _node(ax, (c, rows["h"]), f"$h_{t}$", "h")
        _node(ax, (c, rows["y"]), rf"$\hat y_{t}$", "y")
        _node(ax, (c, rows["L"]), f"$L_{t}$", "L")
        # forward pass (black)
        _arrow(ax, (c, rows["x"]), (c, rows["h"]), FORWARD)
        _arrow(ax, (c - dx, rows["h"] + 0.07), (c, rows["h"] + 0.07), FORWARD)
        _arrow(ax, (c, rows["h"]), (c, rows["y"]), FORWARD)
        _arrow(ax, (c, rows["y"]), (c, rows["L"]), FORWARD)
        # backward pass (red, beside the forward arrows)
        _arrow(ax, (c + 0.2, rows["L"]), (c + 0.2, rows["y"]), BACKWARD, ls="--", lw=1.2)
        _arrow(ax, (c + 0.2, rows["y"]), (c + 0.2, rows["h"]), BACKWARD, ls="--", lw=1.2)
        cut = window is not None and (t - 1) % window == 0 and t > 1
        if not cut:
            _arrow(ax, (c, rows["h"] - 0.12), (c - dx, rows["h"] - 0.12), BACKWARD, ls="--",
                   lw=1.2, rad=-0.35)
        else:
            ax.text(c - dx / 2, rows["h"] - 0.62, "×", color=BACKWARD, ha="center",
                    va="center", fontsize=16)
        # every L_t feeds the total loss
        ax.plot([c, dx * (T + 1) / 2], [rows["L"] + 0.34, top - 0.3], color="#888888", lw=0.8,
                zorder=1)
    ax.text(dx * (T + 1) / 2, top, r"$L = \sum_t L_t$", ha="center", va="center", fontsize=12,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": NODE_STYLE["L"][0],
                  "edgecolor": NODE_STYLE["L"][1]})
    # weight labels on the first step
    ax.text(dx - 0.1, (rows["x"] + rows["h"]) / 2, "$W_{xh}$", fontsize=9, ha="right",
            va="center", color=FORWARD)
    ax.text(dx / 2, rows["h"] + 0.32, "$W_{hh}$", fontsize=9, ha="center", color=FORWARD)
    ax.text(dx - 0.1, (rows["h"] + rows["y"]) / 2, "$W_{hy}$", fontsize=9, ha="right",
            va="center", color=FORWARD)
    if window is not None:
        for s in range(window, T, window):
            xb = dx * s + dx / 2
            ax.plot([xb, xb], [-0.6, rows["L"] + 0.4], color=BACKWARD, ls=":", lw=1.5)
        ax.text(dx * window + dx / 2, -0.8, text["cut"], color=BACKWARD, ha="center",
                va="center", fontsize=9)
    ax.plot([], [], color=FORWARD, label=text["forward"])
    ax.plot([], [], color=BACKWARD, ls="--", label=text["backward"])
    ax.legend(loc="upper left", fontsize=9, frameon=False)
    if window is None:
        ax.text(dx * T / 2 + 0.4, -0.8, text["shared"], ha="center", va="center", fontsize=9,
                color="#555555")
    return ax
