r"""Drawings of recurrent networks: the folded cell with its loop, and the network
unrolled in time.

The figures are drawn with Matplotlib patches (boxes and arrows), not pasted as
images, so every chapter can draw the variant it teaches and label it in its own
language. Two functions:

- ``draw_folded`` draws one recurrent cell: :math:`x_t \to h_t \to y_t` and the loop
  :math:`h_{t-1} \to h_t` that carries the state to the next step;
- ``draw_unrolled`` draws the same network unrolled over T steps, and is general
  enough for the kinds of RNN of chapter 2: which steps have an input and which an
  output (one-to-many, many-to-one, ...), stacked layers, a backward direction
  (bidirectional RNN), the previous output fed back (generation).

Both return a ``Diagram``: the figure, the axes, the boxes by name and the arrows
(each with its kind and label), so that a caller can add arrows between two diagrams
on one axes (an encoder and a decoder) and a test can count what was drawn.

Box names are tuples: ``("x", t)``, ``("y", t)``, ``("h", l, t)`` for layer ``l``
(1 is the lowest) and step ``t`` (1..T; ``t = 0`` is the initial state), and
``("hb", l, t)`` for the backward direction (whose initial state is ``t = T + 1``).

Taught in chapter 1 (folded and unrolled network); reused from chapter 2 on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.path import Path

# Geometry (data units): distance between columns and rows, size of a box.
DX, DY = 1.7, 1.3
BOX_W, BOX_H = 0.9, 0.56
# Offset of the two vertical arrows of a column when a layer has two directions.
SIDE = 0.2

COLORS = {
    "x": ("#e3f1dc", "#4d8a3a"),  # (fill, edge)
    "h": ("#d8e6f5", "#2f5f98"),
    "hb": ("#fbe3cc", "#b86a1e"),
    "y": ("#f6d9d9", "#a33a3a"),
    "h0": ("#f2f2f2", "#777777"),
}
ARROW_COLORS = {
    "input": "#4d8a3a",
    "recurrent": "#2f5f98",
    "output": "#a33a3a",
    "input_b": "#4d8a3a",
    "recurrent_b": "#b86a1e",
    "feedback": "#7a4fa3",
    "loop": "#2f5f98",
    "extra": "#444444",
}

#: Names of the boxes' symbols (the letter inside a box) and their defaults.
SYMBOLS = {"x": "x", "h": "h", "hb": "h", "y": "y"}
#: Weight label of each kind of arrow and its default (Matplotlib mathtext).
WEIGHTS = {
    "input": r"$W_{xh}$",
    "recurrent": r"$W_{hh}$",
    "output": r"$W_{hy}$",
    "input_b": r"$\overleftarrow{W}_{xh}$",
    "recurrent_b": r"$\overleftarrow{W}_{hh}$",
    "feedback": "",
}


@dataclass
class Arrow:
    """One arrow of a diagram: from box ``src`` to box ``dst`` (names as in ``boxes``)."""

    src: tuple
    dst: tuple
    kind: str  # input, recurrent, output, input_b, recurrent_b, feedback, loop, extra
    label: str
    patch: FancyArrowPatch


@dataclass
class Diagram:
    """What ``draw_folded`` and ``draw_unrolled`` drew.

    ``boxes`` maps a box name (see the module docstring) to its patch; ``arrows``
    lists every arrow in drawing order. ``count(kind)`` counts arrows of one kind.
    """

    fig: Figure
    ax: Axes
    boxes: dict = field(default_factory=dict)
    arrows: list = field(default_factory=list)

    def count(self, kind: str | None = None) -> int:
        """Number of arrows of ``kind`` (all arrows when None)."""
        return sum(1 for a in self.arrows if kind is None or a.kind == kind)

    def center(self, name: tuple) -> tuple[float, float]:
        """Centre of box ``name`` in data coordinates."""
        if name not in self.boxes:
            raise KeyError(f"no box {name!r}; boxes are {sorted(self.boxes, key=str)}")
        box = self.boxes[name]
        return box.get_x() + box.get_width() / 2, box.get_y() + box.get_height() / 2

    def connect(self, src: tuple, dst: tuple, label: str = "", kind: str = "extra",
                rad: float = 0.0, color: str | None = None,
                to: Diagram | None = None) -> Arrow:
        """Draw an arrow from box ``src`` to box ``dst`` and record it here.

        ``dst`` is a box of ``to`` when given (another diagram on the same axes, e.g.
        from the last encoder state to the first decoder state), else of this diagram.
        ``rad`` bends the arrow (Matplotlib's ``arc3`` connection style).
        """
        other = self if to is None else to
        if other.ax is not self.ax:
            raise ValueError("connect: both diagrams must be drawn on the same axes")
        (x0, y0), (x1, y1) = self.center(src), other.center(dst)
        a = _edge_point(self.boxes[src], x1, y1)
        b = _edge_point(other.boxes[dst], x0, y0)
        c = color or ARROW_COLORS.get(kind, ARROW_COLORS["extra"])
        patch = _arrow(self.ax, a, b, c, rad=rad)
        if label:
            _label(self.ax, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + 0.08, label, c,
                   ha="center", va="bottom", fontsize=9)
        arrow = Arrow(src, dst, kind, label, patch)
        self.arrows.append(arrow)
        return arrow


# ----------------------------------------------------------------------------- helpers


def _edge_point(box: FancyBboxPatch, tx: float, ty: float) -> tuple[float, float]:
    """Point on the border of ``box`` on the segment from its centre towards (tx, ty)."""
    w, h = box.get_width(), box.get_height()
    cx, cy = box.get_x() + w / 2, box.get_y() + h / 2
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    s = min(w / 2 / abs(dx) if dx else float("inf"), h / 2 / abs(dy) if dy else float("inf"))
    return cx + s * dx, cy + s * dy


def _box(ax: Axes, cx: float, cy: float, text: str, style: str, dashed: bool = False,
         fontsize: float = 12, w: float = BOX_W, h: float = BOX_H) -> FancyBboxPatch:
    fill, edge = COLORS[style]
    box = FancyBboxPatch(
        (cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.1",
        facecolor=fill, edgecolor=edge, linewidth=1.4, linestyle="--" if dashed else "-",
        zorder=3,
    )
    ax.add_patch(box)
    ax.text(cx, cy, text, ha="center", va="center", fontsize=fontsize, zorder=4)
    return box


def _arrow(ax: Axes, a, b, color: str, rad: float = 0.0, path: Path | None = None,
           lw: float = 1.4) -> FancyArrowPatch:
    kwargs = {"arrowstyle": "-|>", "mutation_scale": 12, "color": color, "linewidth": lw,
              "shrinkA": 0, "shrinkB": 0, "zorder": 1}
    if path is not None:
        patch = FancyArrowPatch(path=path, **kwargs)
    else:
        patch = FancyArrowPatch(a, b, connectionstyle=f"arc3,rad={rad}", **kwargs)
    ax.add_patch(patch)
    return patch


def _label(ax: Axes, x: float, y: float, text: str, color: str, **kwargs) -> None:
    if text:
        ax.text(x, y, text, color=color, fontsize=kwargs.pop("fontsize", 10), zorder=5,
                **kwargs)


def _fit(ax: Axes, margin: float = 0.35, left_extra: float = 0.0) -> None:
    """Set the limits of ``ax`` to the boxes on it (with a margin), equal aspect, no axis."""
    xs, ys = [], []
    for p in ax.patches:
        if isinstance(p, (FancyBboxPatch, Rectangle)):
            ext = p.get_path().get_extents(p.get_patch_transform())
            xs += [ext.x0, ext.x1]
            ys += [ext.y0, ext.y1]
    if not xs:
        return
    ax.set_xlim(min(xs) - margin - left_extra, max(xs) + margin)
    ax.set_ylim(min(ys) - margin, max(ys) + margin)
    ax.set_aspect("equal")
    ax.axis("off")


def _new_axes(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure sized for a diagram of ``width`` x ``height`` data units."""
    scale = 0.95
    fig, ax = plt.subplots(figsize=(max(2.5, width * scale), max(2.0, height * scale)))
    return fig, ax


def _check_labels(name: str, given: Mapping | None, known: Mapping) -> dict:
    given = dict(given or {})
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValueError(f"unknown {name} keys {unknown}; valid keys are {sorted(known)}")
    return {**known, **given}


def _steps(name: str, steps: Iterable[int] | None, T: int) -> set[int]:
    if steps is None:
        return set(range(1, T + 1))
    if isinstance(steps, str):
        raise TypeError(f"{name} must be None or a collection of time steps 1..T, got {steps!r}")
    out = set()
    for t in steps:
        if isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= T:
            raise ValueError(f"{name} must hold time steps between 1 and T={T}, got {t!r}")
        out.add(t)
    return out


def _per_layer(kind: str, value, layers: int) -> list[str]:
    """A weight label given once (str) or per layer (sequence of ``layers`` str)."""
    if isinstance(value, str):
        return [value] * layers
    value = list(value)
    if len(value) != layers:
        raise ValueError(f"weights[{kind!r}] has {len(value)} labels, expected one per layer "
                         f"({layers})")
    return value


# ----------------------------------------------------------------------------- folded


def draw_folded(ax: Axes | None = None, *, symbols: Mapping[str, str] | None = None,
                weights: Mapping[str, str] | None = None, step: str = "t",
                delay: bool = True, title: str | None = None) -> Diagram:
    r"""Draw one recurrent cell with its loop (the "folded" network).

    .. math::

        h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \qquad y_t = h_t W_{hy} + b_y

    Three boxes, bottom to top: ``("x", 1)``, ``("h", 1, 1)``, ``("y", 1)``; three
    arrows: ``input`` (x to h), ``loop`` (h back into h, the recurrent weight) and
    ``output`` (h to y). With ``delay`` a small black square on the loop marks the
    delay of one time step (the loop brings :math:`h_{t-1}`, not :math:`h_t`).

    Parameters
    ----------
    ax : Axes, optional
        Where to draw; a new figure when None.
    symbols : dict, optional
        Letters of the boxes, keys ``"x"``, ``"h"``, ``"y"`` (defaults x, h, y).
    weights : dict, optional
        Arrow labels, keys ``"input"``, ``"recurrent"``, ``"output"`` (Matplotlib
        mathtext, e.g. ``r"$W_{xh}$"``; an empty string leaves an arrow unlabelled).
    step : str
        Subscript of the boxes (default ``"t"``).
    delay : bool
        Draw the one-step delay mark on the loop.
    title : str, optional
        Title of the axes (give it in the reader's language).

    Returns
    -------
    Diagram
        3 boxes and 3 arrows.

    Notes
    -----
    Taught in chapter 1. torch has no drawing; ``torch.nn.RNNCell`` is this cell.
    """
    sym = _check_labels("symbols", symbols, SYMBOLS)
    w = _check_labels("weights", weights, WEIGHTS)
    if ax is None:
        fig, ax = _new_axes(2.8, 4.2)
    else:
        fig = ax.figure
    d = Diagram(fig, ax)
    cx = 0.0
    ys = {"x": 0.0, "h": DY, "y": 2 * DY}
    d.boxes[("x", 1)] = _box(ax, cx, ys["x"], f"${sym['x']}_{{{step}}}$", "x")
    d.boxes[("h", 1, 1)] = _box(ax, cx, ys["h"], f"${sym['h']}_{{{step}}}$", "h")
    d.boxes[("y", 1)] = _box(ax, cx, ys["y"], f"${sym['y']}_{{{step}}}$", "y")

    a, b = (cx, ys["x"] + BOX_H / 2), (cx, ys["h"] - BOX_H / 2)
    d.arrows.append(Arrow(("x", 1), ("h", 1, 1), "input", w["input"],
                          _arrow(ax, a, b, ARROW_COLORS["input"])))
    _label(ax, cx + 0.08, (a[1] + b[1]) / 2, w["input"], ARROW_COLORS["input"], va="center")

    # the loop: out of the right side, round, back into the right side
    r = cx + BOX_W / 2
    top, bottom, reach = ys["h"] + 0.14, ys["h"] - 0.14, 0.62
    loop = Path(
        [(r, top), (r + reach, top + 0.35), (r + reach, bottom - 0.35), (r, bottom)],
        [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4],
    )
    d.arrows.append(Arrow(("h", 1, 1), ("h", 1, 1), "loop", w["recurrent"],
                          _arrow(ax, None, None, ARROW_COLORS["loop"], path=loop)))
    tip = r + 0.75 * reach  # the rightmost point of the Bezier curve
    if delay:
        ax.add_patch(Rectangle((tip - 0.06, ys["h"] - 0.06), 0.12, 0.12, color="black",
                               zorder=2))
    _label(ax, tip + 0.12, ys["h"], w["recurrent"], ARROW_COLORS["loop"], va="center")

    a, b = (cx, ys["h"] + BOX_H / 2), (cx, ys["y"] - BOX_H / 2)
    d.arrows.append(Arrow(("h", 1, 1), ("y", 1), "output", w["output"],
                          _arrow(ax, a, b, ARROW_COLORS["output"])))
    _label(ax, cx + 0.08, (a[1] + b[1]) / 2, w["output"], ARROW_COLORS["output"], va="center")
    # room on the right for the loop and its label
    ax.add_patch(Rectangle((tip + 0.6, ys["h"]), 0.01, 0.01, visible=False))
    _fit(ax)
    if title:
        ax.set_title(title)
    return d


# ----------------------------------------------------------------------------- unrolled


def draw_unrolled(T: int, ax: Axes | None = None, *, inputs: Iterable[int] | None = None,
                  outputs: Iterable[int] | None = None, layers: int = 1,
                  bidirectional: bool = False, h0: bool = True, feedback: bool = False,
                  symbols: Mapping[str, str] | None = None,
                  weights: Mapping[str, str | Sequence[str]] | None = None,
                  step_labels: Sequence[str] | None = None, h0_label: str | None = None,
                  layer_names: Sequence[str] | None = None, origin: tuple = (0.0, 0.0),
                  title: str | None = None) -> Diagram:
    r"""Draw a recurrent network unrolled over ``T`` time steps.

    .. math::

        h^{(l)}_t = \tanh\bigl(h^{(l-1)}_t W^{(l)}_{xh} + h^{(l)}_{t-1} W^{(l)}_{hh}
        + b^{(l)}_h\bigr), \quad h^{(0)}_t = x_t, \qquad y_t = h^{(L)}_t W_{hy} + b_y

    One column per time step, bottom to top: the input :math:`x_t`, the hidden state
    of each layer, the output :math:`y_t`. Every recurrent arrow of a layer carries
    the same weight label, which is the point of the picture: the weights are shared
    by all time steps.

    Parameters
    ----------
    T : int
        Number of time steps (columns), at least 1.
    ax : Axes, optional
        Where to draw; a new figure when None. Several diagrams can share one axes
        (use ``origin`` to place them); the limits fit everything drawn on it.
    inputs, outputs : collection of int, optional
        Time steps (1..T) that have an input / an output box; all steps when None.
        ``inputs={1}`` is one-to-many, ``outputs={T}`` many-to-one.
    layers : int
        Number of stacked recurrent layers (deep RNN), at least 1. Layer ``l`` reads
        the states of layer ``l - 1`` at the same step (the input for ``l = 1``).
    bidirectional : bool
        Add a backward chain to every layer (boxes ``("hb", l, t)``, arrows from
        step ``t + 1`` to ``t``). The output and the next layer read the pair
        :math:`[\overrightarrow{h}_t, \overleftarrow{h}_t]`, drawn as a dotted frame
        ``("pair", l, t)`` around the two boxes; the arrow into the backward row passes
        behind the forward box.
    h0 : bool
        Draw the initial state box(es): ``("h", l, 0)``, and ``("hb", l, T + 1)``
        for the backward chain.
    feedback : bool
        Feed each output back into the next step's first layer
        (arrows ``("y", t)`` to ``("h", 1, t + 1)``), as in sequence generation.
    symbols : dict, optional
        Letters of the boxes, keys ``"x"``, ``"h"``, ``"hb"``, ``"y"``.
    weights : dict, optional
        Arrow labels by kind: ``"input"``, ``"recurrent"``, ``"output"``, the backward
        ``"input_b"``, ``"recurrent_b"``, and ``"feedback"``. The
        ``input``/``recurrent`` kinds (and their ``_b`` forms) take one string or one
        per layer. An empty string leaves those arrows unlabelled.
    step_labels : sequence of str, optional
        Subscripts of the T columns (default ``"1"`` .. ``"T"``), e.g.
        ``["1", "2", "T-1", "T"]``.
    h0_label : str, optional
        Text of the initial-state box (default ``$h_0$``).
    layer_names : sequence of str, optional
        One name per layer, written left of the layer's row.
    origin : (float, float)
        Data coordinates of the initial-state column's bottom.
    title : str, optional
        Title of the axes (in the reader's language).

    Returns
    -------
    Diagram
        Boxes named as in the module docstring; arrows of kinds ``input``,
        ``recurrent``, ``output`` (and ``input_b``, ``recurrent_b``, ``feedback``).

    Raises
    ------
    ValueError
        On ``T < 1``, ``layers < 1``, steps outside 1..T, unknown label keys, label
        lists of the wrong length, or ``feedback`` with ``bidirectional``.

    Notes
    -----
    Taught in chapter 1 (unrolling, parameter sharing); chapter 2 draws its kinds of
    RNN with it. torch: what ``torch.nn.RNN(..., num_layers=layers,
    bidirectional=bidirectional)`` computes.
    """
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be an integer >= 1, got {T!r}")
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
        raise ValueError(f"layers must be an integer >= 1, got {layers!r}")
    ins, outs = _steps("inputs", inputs, T), _steps("outputs", outputs, T)
    if feedback and bidirectional:
        raise ValueError("feedback (generation) needs a forward-only network, "
                         "not bidirectional=True")
    sym = _check_labels("symbols", symbols, SYMBOLS)
    w = _check_labels("weights", weights, WEIGHTS)
    per = {k: _per_layer(k, w[k], layers)
           for k in ("input", "recurrent", "input_b", "recurrent_b")}
    if step_labels is None:
        step_labels = [str(t) for t in range(1, T + 1)]
        last_step = str(T + 1)  # subscript of the backward chain's initial state
    else:
        step_labels = list(step_labels)
        if len(step_labels) != T:
            raise ValueError(f"step_labels has {len(step_labels)} entries, expected T={T}")
        last_step = f"{step_labels[-1]}+1"
    if layer_names is not None and len(layer_names) != layers:
        raise ValueError(f"layer_names has {len(layer_names)} entries, expected {layers}")

    rows_per_layer = 2 if bidirectional else 1
    n_rows = 2 + layers * rows_per_layer
    if ax is None:
        fig, ax = _new_axes((T + 1 + bidirectional) * DX + 0.6 + 1.2 * bool(layer_names),
                            (n_rows - 1) * DY + 1.0 + 0.4 * bool(title))
    else:
        fig = ax.figure
    d = Diagram(fig, ax)
    ox, oy = origin

    def col(t):
        return ox + t * DX

    def row_f(l):  # forward row of layer l
        return oy + (1 + (l - 1) * rows_per_layer) * DY

    def row_b(l):
        return row_f(l) + DY

    y_top = oy + (n_rows - 1) * DY

    def sub(symbol, l, s):
        if layers == 1:
            return f"${symbol}_{{{s}}}$"
        if bidirectional:  # the superscript after the subscript clears the arrow accent
            return f"${symbol}_{{{s}}}^{{\\,({l})}}$"
        return f"${symbol}^{{({l})}}_{{{s}}}$"

    back_sym = rf"\overleftarrow{{{sym['hb']}}}" if bidirectional else sym["hb"]
    fwd_sym = rf"\overrightarrow{{{sym['h']}}}" if bidirectional else sym["h"]

    # boxes ------------------------------------------------------------------------
    for t in sorted(ins):
        d.boxes[("x", t)] = _box(ax, col(t), oy, f"${sym['x']}_{{{step_labels[t - 1]}}}$", "x")
    for l in range(1, layers + 1):
        for t in range(1, T + 1):
            d.boxes[("h", l, t)] = _box(ax, col(t), row_f(l), sub(fwd_sym, l, step_labels[t - 1]),
                                        "h")
            if bidirectional:
                d.boxes[("hb", l, t)] = _box(ax, col(t), row_b(l),
                                             sub(back_sym, l, step_labels[t - 1]), "hb")
        if h0:
            text = h0_label if h0_label is not None else sub(fwd_sym, l, "0")
            d.boxes[("h", l, 0)] = _box(ax, col(0), row_f(l), text, "h0", dashed=True)
            if bidirectional:
                d.boxes[("hb", l, T + 1)] = _box(ax, col(T + 1), row_b(l),
                                                 sub(back_sym, l, last_step), "h0", dashed=True)
        if layer_names is not None:
            ax.text(col(0) - BOX_W / 2 - 0.25, row_f(l) + (DY / 2 if bidirectional else 0),
                    layer_names[l - 1], ha="right", va="center", fontsize=10, color="#333333")
    for t in sorted(outs):
        d.boxes[("y", t)] = _box(ax, col(t), y_top, f"${sym['y']}_{{{step_labels[t - 1]}}}$",
                                 "y")

    # arrows -----------------------------------------------------------------------
    def vertical(src, dst, kind, label, x, y0, y1, label_side=1):
        color = ARROW_COLORS[kind]
        patch = _arrow(ax, (x, y0), (x, y1), color)
        d.arrows.append(Arrow(src, dst, kind, label, patch))
        if label:
            y_label = (y0 + y1) / 2 if y1 - y0 < 1.2 * DY else y1 - 0.36
            _label(ax, x + label_side * 0.07, y_label, label, color,
                   ha="left" if label_side > 0 else "right", va="center", fontsize=9)

    def horizontal(src, dst, kind, label, x0, x1, y):
        color = ARROW_COLORS[kind]
        patch = _arrow(ax, (x0, y), (x1, y), color)
        d.arrows.append(Arrow(src, dst, kind, label, patch))
        _label(ax, (x0 + x1) / 2, y + 0.06, label, color, ha="center", va="bottom", fontsize=9)

    half_w, half_h = BOX_W / 2, BOX_H / 2
    pad = 0.1  # the frame of a bidirectional pair, around its two boxes

    def pair(l, t):
        """The frame around (forward, backward) of layer l at step t: their concatenation."""
        name = ("pair", l, t)
        if name not in d.boxes:
            frame = FancyBboxPatch(
                (col(t) - half_w - pad, row_f(l) - half_h - pad), BOX_W + 2 * pad,
                row_b(l) - row_f(l) + BOX_H + 2 * pad, boxstyle="round,pad=0,rounding_size=0.12",
                facecolor="none", edgecolor="#888888", linewidth=1.0, linestyle=":", zorder=2)
            ax.add_patch(frame)
            d.boxes[name] = frame
        return name, row_b(l) + half_h + pad

    for l in range(1, layers + 1):
        # into layer l from below: x_t (l = 1) or the states of layer l - 1
        for t in range(1, T + 1):
            if l == 1:
                if t not in ins:
                    continue
                src, y_src = ("x", t), oy + half_h
            elif bidirectional:
                src, y_src = pair(l - 1, t)
            else:
                src, y_src = ("h", l - 1, t), row_f(l - 1) + half_h
            if bidirectional:  # two arrows; the one to the backward row passes behind
                vertical(src, ("h", l, t), "input", per["input"][l - 1], col(t) - SIDE, y_src,
                         row_f(l) - half_h, label_side=-1)
                vertical(src, ("hb", l, t), "input_b", per["input_b"][l - 1], col(t) + SIDE,
                         y_src, row_b(l) - half_h)
            else:
                vertical(src, ("h", l, t), "input", per["input"][l - 1], col(t), y_src,
                         row_f(l) - half_h)
        # along time: forward left to right, backward right to left
        first = 0 if h0 else 1
        for t in range(first, T):
            horizontal(("h", l, t), ("h", l, t + 1), "recurrent", per["recurrent"][l - 1],
                       col(t) + half_w, col(t + 1) - half_w, row_f(l))
        if bidirectional:
            last = T + 1 if h0 else T
            for t in range(last, 1, -1):
                horizontal(("hb", l, t), ("hb", l, t - 1), "recurrent_b",
                           per["recurrent_b"][l - 1], col(t) - half_w, col(t - 1) + half_w,
                           row_b(l))
    for t in sorted(outs):
        if bidirectional:
            src, y_src = pair(layers, t)
        else:
            src, y_src = ("h", layers, t), row_f(layers) + half_h
        vertical(src, ("y", t), "output", w["output"], col(t), y_src, y_top - half_h)
    if feedback:
        for t in sorted(outs):
            if t < T:
                src, dst = ("y", t), ("h", 1, t + 1)
                a = (col(t) + half_w, y_top - half_h / 2)
                b = (col(t + 1) - half_w / 2, row_f(1) + half_h)
                patch = _arrow(ax, a, b, ARROW_COLORS["feedback"])
                patch.set_linestyle("--")
                d.arrows.append(Arrow(src, dst, "feedback", w["feedback"], patch))
                _label(ax, (a[0] + b[0]) / 2 + 0.08, (a[1] + b[1]) / 2, w["feedback"],
                       ARROW_COLORS["feedback"], fontsize=9, va="center")
    _fit(ax, left_extra=1.2 if layer_names is not None else 0.0)
    if title:
        ax.set_title(title)
    return d
