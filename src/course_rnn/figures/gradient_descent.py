r"""Figures of gradient descent on one weight: the path on the loss curve, the slopes, the
loss against the step number, and the distance left against the step size.

- ``draw_descent_path``: the curve :math:`L(w)` with the iterates :math:`w_0, w_1, \dots`
  on it, joined in order (a zig-zag when :math:`\eta` is too large);
- ``draw_slopes``: the tangent at a few points and the step :math:`-\eta L'(w)` each
  one takes (why the gradient is subtracted);
- ``draw_loss_by_step``: :math:`L(w_k) - L(w^*)` on a log scale, one line per step size;
- ``draw_step_size_scan``: :math:`|w_K - w^*|` against :math:`\eta`, with the lines
  :math:`\eta = 1/L''` and :math:`\eta = 2/L''`.

The computations are in ``course_rnn.experiments.gradient_descent``. Taught in chapter 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from course_rnn._validate import as_array

CURVE = "#555555"
PATH = "#c0392b"
STAR = "#2c7fb8"


def _axes(ax: Axes | None, size=(4.8, 3.2)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def draw_descent_path(loss: Callable[[np.ndarray], np.ndarray], path, ax: Axes | None = None,
                      *, w_star: float | None = None, title: str | None = None,
                      xlabel: str = "$w$", ylabel: str = "$L(w)$", margin: float = 0.3,
                      color: str = PATH) -> Axes:
    r"""Draw the loss curve and the iterates of gradient descent on it.

    .. math::

        (w_k, L(w_k)), \quad k = 0, 1, \dots, K

    The curve spans every iterate and :math:`w^*` with a ``margin`` (as a share of that
    span) on either side. The start is an open circle, the minimum a star; the iterates are
    dots joined in order, so a step size that overshoots draws a zig-zag across the valley.

    Parameters
    ----------
    loss : callable
        Vectorised :math:`w \mapsto L(w)` (takes and returns an ndarray).
    path : ndarray, shape (K + 1,)
        The iterates, from ``gradient_descent``; they must be finite.
    ax : Axes, optional
    w_star : float, optional
        The minimum, marked with a star.
    title, xlabel, ylabel : str
    margin : float
    color : str
        Colour of the iterates.

    Returns
    -------
    Axes
        Its first line is the curve, its second the path (``get_xdata()`` is ``path``).

    Notes
    -----
    Taught in chapter 0.
    """
    path = as_array("path", path, 1).astype(float)
    if path.size == 0 or not np.isfinite(path).all():
        raise ValueError("path must be a non-empty array of finite weights")
    ax = _axes(ax)
    ends = path if w_star is None else np.append(path, w_star)
    lo, hi = ends.min(), ends.max()
    pad = margin * max(hi - lo, 1e-3)
    grid = np.linspace(lo - pad, hi + pad, 400)  # (400,)
    ax.plot(grid, loss(grid), color=CURVE, lw=1.5)
    ax.plot(path, loss(path), "-o", color=color, lw=0.9, ms=3.5, alpha=0.9)
    ax.plot(path[0], loss(path[:1])[0], "o", ms=8, mfc="white", mec=color, mew=1.5)
    if w_star is not None:
        ax.plot(w_star, loss(np.array([w_star]))[0], "*", ms=12, color=STAR)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    return ax


def draw_slopes(loss: Callable[[np.ndarray], np.ndarray],
                grad: Callable[[np.ndarray], np.ndarray], points: Sequence[float], lr: float,
                ax: Axes | None = None, *, span: tuple[float, float] | None = None,
                title: str | None = None, xlabel: str = "$w$", ylabel: str = "$L(w)$",
                half_width: float = 0.35) -> Axes:
    r"""Draw the loss curve, its tangent at a few points and the step each point takes.

    .. math::

        \text{tangent at } w_0:\ L(w_0) + L'(w_0)(w - w_0), \qquad
        \text{step: } w_0 \to w_0 - \eta L'(w_0)

    The step is an arrow along the curve from :math:`(w_0, L(w_0))` to
    :math:`(w_0 - \eta L'(w_0), L(w_0 - \eta L'(w_0)))`: downhill whichever side of the
    minimum :math:`w_0` is on.

    Parameters
    ----------
    loss, grad : callable
        Vectorised :math:`L` and :math:`L'`.
    points : sequence of float
        The weights :math:`w_0` at which the tangent is drawn.
    lr : float
        The step size :math:`\eta` of the arrows.
    ax : Axes, optional
    span : (float, float), optional
        The range of :math:`w` of the curve; by default the points and their steps, padded.
    title, xlabel, ylabel : str
    half_width : float
        Half the length of each tangent segment, in units of :math:`w`.

    Returns
    -------
    Axes
        Lines: the curve, then one tangent per point; one arrow annotation per point.

    Notes
    -----
    Taught in chapter 0.
    """
    points = as_array("points", points, 1).astype(float)
    ax = _axes(ax)
    steps = points - lr * grad(points)  # (P,)
    if span is None:
        ends = np.concatenate([points, steps])
        pad = 0.3 * max(ends.max() - ends.min(), 1e-3)
        span = (ends.min() - pad, ends.max() + pad)
    grid = np.linspace(span[0], span[1], 400)
    ax.plot(grid, loss(grid), color=CURVE, lw=1.5)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (w0, w1) in enumerate(zip(points, steps, strict=True)):
        c = colors[i % len(colors)]
        L0, slope = float(loss(np.array([w0]))[0]), float(grad(np.array([w0]))[0])
        seg = np.array([w0 - half_width, w0 + half_width])
        ax.plot(seg, L0 + slope * (seg - w0), "--", color=c, lw=1.2,
                label=f"$L'({w0:g})$ = {slope:.2f}")
        ax.annotate("", xy=(w1, float(loss(np.array([w1]))[0])), xytext=(w0, L0),
                    arrowprops={"arrowstyle": "-|>", "color": c, "lw": 1.5})
        ax.plot(w0, L0, "o", color=c, ms=6)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=8, loc="upper center")
    if title:
        ax.set_title(title)
    return ax


def draw_loss_by_step(gaps: Mapping[str, np.ndarray], ax: Axes | None = None, *,
                      xlabel: str = "k", ylabel: str = "$L(w_k) - L(w^*)$",
                      title: str | None = None, floor: float = 0.0) -> Axes:
    r"""Draw, on a log scale, how far each run's loss is above the minimum at every step.

    .. math::

        L(w_k) - L(w^*), \quad k = 0, 1, \dots, K

    With ``floor > 0`` the axis starts at ``floor`` and smaller gaps (rounding errors around
    zero) are drawn on it, so a run that lands on the minimum drops to the bottom; with
    ``floor = 0`` gaps that are not positive are left out.

    Parameters
    ----------
    gaps : mapping from a legend label to an ndarray of shape (K + 1,)
    ax : Axes, optional
    xlabel, ylabel, title : str
    floor : float
        The bottom of the log axis, or 0 to let Matplotlib choose it.

    Returns
    -------
    Axes
        One line per entry of ``gaps``, in order.

    Notes
    -----
    Taught in chapter 0.
    """
    ax = _axes(ax, (6.4, 3.2))
    for label, gap in gaps.items():
        gap = as_array(f"gaps[{label!r}]", gap, 1).astype(float)
        shown = np.maximum(gap, floor) if floor > 0 else np.where(gap > 0, gap, np.nan)
        ax.plot(np.arange(gap.size), shown, marker=".", ms=4, lw=1.2, label=label)
    ax.set_yscale("log")
    if floor > 0:
        ax.set_ylim(bottom=floor)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def draw_step_size_scan(lrs, distances, curvature: float, ax: Axes | None = None, *,
                        xlabel: str = r"$\eta$", ylabel: str = "$|w_K - w^*|$",
                        title: str | None = None, start: float | None = None,
                        floor: float = 1e-16) -> Axes:
    r"""Draw the distance left to the minimum after :math:`K` steps, against the step size.

    .. math::

        |w_K - w^*| = |1 - \eta L''|^K\, |w_0 - w^*| \quad (\text{a quadratic loss})

    Dashed vertical lines mark :math:`\eta = 1/L''` (one step to the minimum) and
    :math:`\eta = 2/L''` (the edge of convergence); a dotted horizontal line the starting
    distance, when given. The axis stops at ``floor`` below: near :math:`\eta = 1/L''` the
    distance falls to rounding errors (zero distances are left out).

    Parameters
    ----------
    lrs : ndarray, shape (M,)
    distances : ndarray, shape (M,)
        :math:`|w_K - w^*|` for each step size.
    curvature : float
        :math:`L''`.
    ax : Axes, optional
    xlabel, ylabel, title : str
    start : float, optional
        :math:`|w_0 - w^*|`.
    floor : float
        The bottom of the log axis.

    Returns
    -------
    Axes
        Its first line is the scan.

    Notes
    -----
    Taught in chapter 0.
    """
    lrs = as_array("lrs", lrs, 1).astype(float)
    distances = as_array("distances", distances, 1).astype(float)
    if lrs.shape != distances.shape:
        raise ValueError(f"lrs {lrs.shape} and distances {distances.shape} differ in shape")
    if not curvature > 0:
        raise ValueError(f"curvature must be > 0, got {curvature}")
    ax = _axes(ax)
    ax.plot(lrs, np.where(distances > 0, distances, np.nan), color=PATH, lw=1.5)
    ax.set_yscale("log")
    for value, text in ((1 / curvature, "$1/L''$"), (2 / curvature, "$2/L''$")):
        ax.axvline(value, color=CURVE, ls="--", lw=1)
        ax.annotate(text, xy=(value, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -12), textcoords="offset points", fontsize=9, color=CURVE)
    if start is not None:
        ax.axhline(start, color=STAR, ls=":", lw=1.2)
    ax.set_ylim(bottom=floor)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    return ax
