r"""Drawings of image captioning (chapter 2, one-to-many): the CNN -> RNN pipeline, the
feature maps of the fixed filters, and images under their generated captions.

.. math::

    v = \mathrm{CNN}(x), \qquad h_0 = \tanh(v W_{vh} + b_v), \qquad
    h_t = f(h_{t-1}, w_{t-1}), \qquad w_t = \arg\max_w p(w \mid h_t)

The decoder is ``diagrams.draw_unrolled`` with its outputs fed back; the image, the CNN
and the feature vector are drawn on the same axes to its left. Taught in chapter 2.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from course_rnn.figures.diagrams import (
    ARROW_COLORS,
    BOX_H,
    BOX_W,
    DX,
    DY,
    Arrow,
    Diagram,
    _arrow,
    _box,
    _label,
    draw_unrolled,
)

#: Colours of a right and a wrong caption.
RIGHT, WRONG = "#2e7d32", "#c62828"


def _retext(d: Diagram, name: tuple, text: str, fontsize: float) -> None:
    """Write ``text`` inside box ``name`` of ``d`` (replacing its symbol)."""
    cx, cy = d.center(name)
    for t in d.ax.texts:
        if np.allclose(t.get_position(), (cx, cy)):
            t.set_text(text)
            t.set_fontsize(fontsize)
            return
    raise KeyError(f"no text inside box {name!r}")


def draw_captioning(image, words: Sequence[str], features=None, ax=None,
                    labels: dict | None = None, title: str | None = None) -> Diagram:
    r"""Draw the CNN -> RNN captioner: image, CNN, feature vector, then the decoder
    unrolled over ``len(words)`` steps, each word fed back as the next input.

    .. math::

        v = \mathrm{CNN}(x), \quad h_0 = \tanh(v W_{vh} + b_v), \quad
        h_t = \tanh(e_{w_{t-1}} W_{xh} + h_{t-1} W_{hh} + b_h), \quad w_0 = \langle s \rangle

    Parameters
    ----------
    image : ndarray, shape (S, S)
        Drawn in gray on the left.
    words : sequence of str
        The caption the decoder writes, end symbol included (one output box each).
    features : ndarray, shape (F,), optional
        The feature vector; its first 8 entries shade the strip that stands for it
        (an even ramp when None).
    ax : Axes, optional
    labels : dict, optional
        Texts in the reader's language: ``"cnn"`` (the CNN box, default "CNN"),
        ``"conv"`` (under it), ``"v"`` (above the feature vector).
    title : str, optional

    Returns
    -------
    Diagram
        The decoder's boxes (as ``draw_unrolled``), plus ``("cnn",)`` and arrows of kind
        ``"extra"`` for image -> CNN -> v -> h_0. torch: none (a drawing).
        Taught in chapter 2.
    """
    labels = {"cnn": "CNN", "conv": "", "v": "$v$", **(labels or {})}
    T = len(words)
    ox = 3.5 * DX  # the decoder's h_0 column
    x_img, side = 0.35, 1.3  # the image's left edge and side
    x_min, x_max = x_img - 0.3, ox + T * DX + BOX_W / 2 + 0.3
    y_min, y_max = -BOX_H / 2 - 0.35, 2 * DY + BOX_H / 2 + 0.35
    if ax is None:
        _, ax = plt.subplots(figsize=(0.8 * (x_max - x_min),
                                      0.8 * (y_max - y_min) + 0.35 * bool(title)))
    d = draw_unrolled(T, ax=ax, inputs={1}, feedback=True, origin=(ox, 0.0), title=title,
                      weights={"input": "", "recurrent": "", "output": ""})
    _retext(d, ("x", 1), r"$\langle s \rangle$", 11)
    for t, w in enumerate(words, start=1):
        _retext(d, ("y", t), w.replace("<", r"$\langle$").replace(">", r"$\rangle$")
                if w.startswith("<") else w, 8.5 if len(w) > 6 else 10)
    # the image, on the row of the hidden states
    y_h = DY
    ax.imshow(np.asarray(image), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest",
              extent=(x_img, x_img + side, y_h - side / 2, y_h + side / 2), zorder=3)
    ax.add_patch(plt.Rectangle((x_img, y_h - side / 2), side, side, fill=False,
                               edgecolor="#555555", lw=1.0, zorder=4))
    # the CNN box and the feature vector
    x_cnn = x_img + side + 0.55 + BOX_W / 2
    d.boxes[("cnn",)] = _box(ax, x_cnn, y_h, labels["cnn"], "hb", fontsize=10,
                             w=BOX_W + 0.1, h=BOX_H + 0.3)
    if labels["conv"]:
        ax.text(x_cnn, y_h - (BOX_H + 0.3) / 2 - 0.08, labels["conv"], ha="center", va="top",
                fontsize=8, color="#555555")
    shades = (np.linspace(0.2, 0.8, 8) if features is None
              else np.asarray(features, dtype=float).ravel())
    x_v, cell, height = x_cnn + BOX_W / 2 + 0.65, 0.13, 1.5  # the strip of v, centred on y_h
    v_bottom = y_h - height / 2
    ax.imshow(shades[:, None], cmap="Oranges", vmin=0, vmax=max(1.0, float(shades.max())),
              extent=(x_v - cell, x_v + cell, v_bottom, v_bottom + height), aspect="auto",
              interpolation="nearest", zorder=3)
    ax.add_patch(plt.Rectangle((x_v - cell, v_bottom), 2 * cell, height, fill=False,
                               edgecolor="#b86a1e", lw=1.2, zorder=4))
    ax.text(x_v, v_bottom + height + 0.08, labels["v"], ha="center", va="bottom",
            fontsize=11)
    color = ARROW_COLORS["extra"]
    h0_left = ox - BOX_W / 2
    for a, b in (((x_img + side + 0.04, y_h), (x_cnn - (BOX_W + 0.1) / 2, y_h)),
                 ((x_cnn + (BOX_W + 0.1) / 2, y_h), (x_v - cell - 0.04, y_h)),
                 ((x_v + cell + 0.04, y_h), (h0_left, y_h))):
        d.arrows.append(_arrow_record(ax, a, b, color))
    _label(ax, (x_v + cell + h0_left) / 2, y_h + 0.08, r"$\tanh(v W_{vh} + b_v)$", color,
           ha="center", va="bottom", fontsize=8.5)
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    ax.set_aspect("equal")
    ax.axis("off")
    return d


def _arrow_record(ax, a, b, color) -> Arrow:
    """An unnamed arrow from point ``a`` to point ``b``, recorded as kind ``"extra"``."""
    return Arrow(("left",), ("right",), "extra", "", _arrow(ax, a, b, color))


def draw_feature_maps(image, maps, pooled, names: Sequence[str], titles: dict | None = None):
    r"""One image, its feature maps (one per filter) and their max pooling over a grid.

    .. math::

        a_c = \max(0, x \star k_c), \qquad v_{c,g} = \max_{(i,j) \in g} a_{c,i,j}

    ``image`` (S, S), ``maps`` (C, S, S), ``pooled`` (C, G, G), ``names`` the C filter
    names (in the reader's language). ``titles`` maps ``"image"``, ``"maps"`` (row label of
    the maps) and ``"pooled"`` (row label of the pooled grids) to texts. Returns the
    figure. torch: none (a drawing). Taught in chapter 2.
    """
    titles = {"image": "image", "maps": "ReLU(conv)", "pooled": "max pool", **(titles or {})}
    C = len(maps)
    fig, axes = plt.subplots(2, C + 1, figsize=(1.55 * (C + 1), 3.3))
    axes[0, 0].imshow(image, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    axes[0, 0].set_title(titles["image"], fontsize=9)
    axes[1, 0].axis("off")
    axes[1, 0].text(0.95, 0.5, titles["pooled"], ha="right", va="center", fontsize=9,
                    transform=axes[1, 0].transAxes)
    top = max(1.0, float(np.max(maps)))
    for c in range(C):
        axes[0, c + 1].imshow(maps[c], cmap="Oranges", vmin=0, vmax=top,
                              interpolation="nearest")
        axes[0, c + 1].set_title(names[c], fontsize=9)
        axes[1, c + 1].imshow(pooled[c], cmap="Oranges", vmin=0, vmax=top,
                              interpolation="nearest")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 1].set_ylabel(titles["maps"], fontsize=9)
    return fig


def show_captions(images, captions: Sequence[str], right: Sequence[bool] | None = None,
                  truths: Sequence[str] | None = None, cols: int = 4, prefix: str = ""):
    r"""Images in a grid, each above its caption; generated captions in green when
    right and in red when wrong, with the true caption above a wrong one.

    .. math::

        \hat w = \arg\max_{w} p(w \mid \text{image}) \ \text{(greedy, word by word)}

    ``images`` (N, S, S), ``captions`` N strings; ``right`` N booleans (None: plain
    black, e.g. for the true captions); ``truths`` the true captions, written above a
    wrong one after ``prefix``. Returns the figure. torch: none (a drawing).
    Taught in chapter 2.
    """
    n = len(images)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.75 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ok = None if right is None else bool(right[i])
        color = "black" if ok is None else (RIGHT if ok else WRONG)
        ax.set_xlabel(_wrap(captions[i]), color=color, fontsize=9)
        if ok is False and truths is not None:
            ax.set_title(_wrap(prefix + truths[i]), color="#555555", fontsize=8)
        for spine in ax.spines.values():
            spine.set_edgecolor(color if ok is not None else "#555555")
            spine.set_linewidth(2.0 if ok is not None else 1.0)
    return fig


def _wrap(caption: str) -> str:
    """Two shapes on two lines: ``a and b`` -> ``a and\\nb``."""
    return caption.replace(" and ", " and\n")
