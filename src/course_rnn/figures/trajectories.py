r"""Looking at hidden states: a heat map of :math:`h_t` over time and 2-D trajectories.

- ``plot_state_heatmap``: one row per hidden unit, one column per time step, the colour
  the value of :math:`h_t` (in :math:`(-1, 1)` for tanh);
- ``plot_trajectories``: each sequence's path through the two directions of largest
  variance (``course_rnn.experiments.trajectories.pca``).

Taught in chapter 1; reusable for the LSTM and GRU states of chapters 5 and 6.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.image import AxesImage

from course_rnn._validate import as_array


def plot_state_heatmap(h, ax: Axes | None = None, *, xlabel: str = "t", ylabel: str = "",
                       title: str | None = None, colorbar_label: str | None = None,
                       vmax: float = 1.0) -> AxesImage:
    r"""Heat map of one sequence's hidden states: units down, time steps across.

    .. math::

        \text{colour at (unit } j, \text{ step } t) = h_t[j]

    Parameters
    ----------
    h : ndarray, shape (T, H)
        The states of one sequence (``hs[n]``).
    ax : Axes, optional
    xlabel, ylabel, title, colorbar_label : str
        Labels in the reader's language (the colour bar is drawn when
        ``colorbar_label`` is given).
    vmax : float
        The colour scale runs from ``-vmax`` (blue) to ``vmax`` (red); 1 suits tanh.

    Returns
    -------
    AxesImage
        Its ``get_array()`` is ``h.T`` (H, T).

    Notes
    -----
    Taught in chapter 1.
    """
    h = as_array("h", h, 2)
    T, H = h.shape
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 2.8))
    image = ax.imshow(h.T, aspect="auto", cmap="RdBu_r", vmin=-vmax, vmax=vmax,
                      origin="lower", extent=(0.5, T + 0.5, 0.5, H + 0.5),
                      interpolation="nearest")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.grid(False)
    if title:
        ax.set_title(title)
    if colorbar_label is not None:
        ax.figure.colorbar(image, ax=ax, label=colorbar_label)
    return image


def plot_trajectories(scores, ax: Axes | None = None, *, names: Sequence[str] | None = None,
                      xlabel: str = "PC 1", ylabel: str = "PC 2", title: str | None = None,
                      start_label: str | None = None, legend_outside: bool = False) -> Axes:
    r"""Draw each sequence's path through the 2-D projection of its hidden states.

    .. math::

        (\text{score}_{t,1}, \text{score}_{t,2}), \quad t = 1, \dots, T

    Each sequence is one coloured line with a dot per step, a circle at
    :math:`t = 1` and an arrow head at :math:`t = T`.

    Parameters
    ----------
    scores : ndarray, shape (N, T, 2)
        From ``pca(hs, 2).scores``.
    ax : Axes, optional
    names : sequence of str, optional
        Legend entry of each sequence (N of them).
    xlabel, ylabel, title : str
    start_label : str, optional
        Legend entry for the start marker.
    legend_outside : bool
        Put the legend to the right of the axes instead of over the lines.

    Returns
    -------
    Axes
        With one line per sequence.

    Notes
    -----
    Taught in chapter 1.
    """
    scores = as_array("scores", scores, 3)
    N, T, k = scores.shape
    if k != 2:
        raise ValueError(f"scores must have shape (N, T, 2), got {scores.shape}")
    if names is not None and len(names) != N:
        raise ValueError(f"names has {len(names)} entries, expected N={N}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.8, 4.0))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for n in range(N):  # the lines first, so that the legend lists them in order
        ax.plot(scores[n, :, 0], scores[n, :, 1], "-", marker=".", markersize=4, lw=1.2,
                color=colors[n % len(colors)], label=None if names is None else names[n])
    for n in range(N):
        c = colors[n % len(colors)]
        ax.plot(scores[n, 0, 0], scores[n, 0, 1], "o", ms=8, mfc="white", mec=c, mew=1.5,
                label=start_label if (n == 0 and start_label) else None)
        if T > 1:
            ax.annotate("", xy=scores[n, -1], xytext=scores[n, -2],
                        arrowprops={"arrowstyle": "-|>", "color": c, "lw": 1.2})
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    if names is not None or start_label:
        if legend_outside:
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
        else:
            ax.legend(fontsize=8)
    return ax
