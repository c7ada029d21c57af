r"""Drawings of the kinds of RNN (chapter 2), unrolled in time with ``figures.diagrams``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course_rnn.figures.diagrams import DX, DY, WEIGHTS, Diagram, draw_unrolled

KINDS = ("one_to_one", "one_to_many", "many_to_one", "many_to_many", "bidirectional",
         "stacked")


def relabel(diagram: Diagram, name: tuple, text: str) -> None:
    r"""Replace the text written inside box ``name`` of a ``draw_unrolled`` diagram (e.g.
    :math:`x_1, \dots, x_T` become one :math:`x` when the same vector is fed at every
    step). Not a layer: torch has nothing like it. Taught in chapter 2.
    """
    cx, cy = diagram.center(name)
    for t in diagram.ax.texts:
        if np.allclose(t.get_position(), (cx, cy)):
            t.set_text(text)
            return
    raise KeyError(f"no text inside box {name!r}")


def draw_kind(kind: str, T: int = 4, ax=None, title: str | None = None,
              labels: bool = True) -> Diagram:
    r"""Draw one kind of RNN unrolled over ``T`` steps with ``diagrams.draw_unrolled``.

    .. math::

        h_t = f(h_{t-1}, x_t), \qquad y_t = g(h_t)

    ``kind`` is one of ``KINDS``: ``"one_to_one"`` (T = 1), ``"one_to_many"`` (the same
    :math:`x` at every step), ``"many_to_one"`` (only :math:`y_T`), ``"many_to_many"``
    (aligned), ``"bidirectional"``, ``"stacked"`` (two layers). The unaligned kind is
    ``draw_encoder_decoder``. ``labels=False`` leaves the arrows without weight names
    (for small panels). Returns the ``Diagram``. torch: none (a drawing).
    Taught in chapter 2.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    blank = {k: "" for k in WEIGHTS}
    common = {"ax": ax, "title": title,
              "step_labels": [str(t) for t in range(1, T)] + ["T"]}
    if kind == "one_to_one":
        return draw_unrolled(1, h0=False, ax=ax, title=title,
                             weights=None if labels else blank)
    if kind == "stacked" and labels:
        weights = {"input": [r"$W^{(1)}_{xh}$", r"$W^{(2)}_{xh}$"],
                   "recurrent": [r"$W^{(1)}_{hh}$", r"$W^{(2)}_{hh}$"]}
    elif kind == "bidirectional" and labels:
        weights = {"input": "", "input_b": ""}  # two arrows per column: keep it legible
    else:
        weights = None if labels else blank
    d = draw_unrolled(T, weights=weights, outputs={T} if kind == "many_to_one" else None,
                      bidirectional=kind == "bidirectional",
                      layers=2 if kind == "stacked" else 1, **common)
    if kind == "one_to_many":
        for t in range(1, T + 1):
            relabel(d, ("x", t), "$x$")
    return d


def draw_encoder_decoder(T_in: int = 3, T_out: int = 3, ax=None, title: str | None = None,
                         context_label: str = "$c$", labels: bool = True) -> Diagram:
    r"""Draw the encoder-decoder: an encoder without outputs, whose last state
    :math:`c = h_T` is the decoder's initial state; the decoder feeds each output back.

    .. math::

        c = h_T, \qquad s_0 = c, \qquad s_t = f(s_{t-1}, y_{t-1})

    Two ``draw_unrolled`` diagrams on one axes, joined with ``Diagram.connect``. The
    returned diagram's boxes are the encoder's, plus the decoder's under names
    ``("dec", *name)``. torch: none (a drawing). Taught in chapter 2.
    """
    blank = {k: "" for k in WEIGHTS}
    w_enc = {"input": r"$W^{e}_{xh}$", "recurrent": r"$W^{e}_{hh}$"} if labels else blank
    w_dec = ({"input": r"$W^{d}_{xh}$", "recurrent": r"$W^{d}_{hh}$", "output": r"$W_{sy}$"}
             if labels else blank)
    if ax is None:  # sized for both parts (draw_unrolled would size it for the encoder)
        _, ax = plt.subplots(figsize=(0.95 * ((T_in + T_out + 1.6) * DX + 0.8),
                                      0.95 * (2 * DY + 1.0 + 0.4 * bool(title))))
    enc = draw_unrolled(T_in, ax=ax, outputs=set(), weights=w_enc, title=title,
                        step_labels=[str(t) for t in range(1, T_in)] + ["T"])
    dec = draw_unrolled(T_out, ax=enc.ax, inputs={1}, feedback=True, h0=False,
                        symbols={"h": "s"}, origin=((T_in + 0.6) * DX, 0.0), weights=w_dec,
                        step_labels=[str(t) for t in range(1, T_out)] + ["T'"])
    relabel(dec, ("x", 1), r"$\langle s \rangle$")
    enc.boxes.update({("dec", *name): box for name, box in dec.boxes.items()})
    enc.arrows += dec.arrows
    enc.connect(("h", 1, T_in), ("dec", "h", 1, 1), label=context_label, kind="extra")
    if title:
        enc.ax.set_title(title)
    return enc


def draw_overview(titles: dict):
    r"""The five wirings of seed 002 side by side, on two rows, without weight labels.

    .. math::

        \text{one-to-one},\ \text{one-to-many},\ \text{many-to-one} \ / \
        \text{many-to-many (unaligned)},\ \text{many-to-many (aligned)}

    ``titles`` maps ``"one_to_one"``, ``"one_to_many"``, ``"many_to_one"``,
    ``"encoder_decoder"``, ``"many_to_many"`` to panel titles (in the reader's
    language). Panel widths follow their content, so every box has the same size.
    Returns the figure. torch: none (a drawing). Taught in chapter 2.
    """
    fig = plt.figure(figsize=(9.6, 4.9))
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.12, 1])
    axes = top.subplots(1, 3, width_ratios=[1.6, 6.7, 6.7])
    draw_kind("one_to_one", ax=axes[0], title=titles["one_to_one"], labels=False)
    draw_kind("one_to_many", T=3, ax=axes[1], title=titles["one_to_many"], labels=False)
    draw_kind("many_to_one", T=3, ax=axes[2], title=titles["many_to_one"], labels=False)
    axes = bottom.subplots(1, 2, width_ratios=[11.1, 6.7])
    draw_encoder_decoder(3, 2, ax=axes[0], title=titles["encoder_decoder"], labels=False)
    draw_kind("many_to_many", T=3, ax=axes[1], title=titles["many_to_many"], labels=False)
    return fig
