r"""A drawing of a stack of dilated causal convolutions (chapter 8): what feeds one output."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.ticker import MaxNLocator

from course_rnn.experiments.receptive import causal_tree, receptive_field

TEXT = {
    "ko": {"input": "입력", "layer": "층", "output": "출력", "time": "시간 단계",
           "title": "출력 $t={t}$에 닿는 입력 {n}개"},
    "en": {"input": "input", "layer": "layer", "output": "output", "time": "time step",
           "title": "{n} inputs reach the output at $t={t}$"},
}


def draw_dilated_stack(dilations: Sequence[int], kernel_size: int = 2, T: int | None = None,
                       t: int | None = None, lang: str = "en", ax=None):
    r"""Draw a stack of dilated causal convolutions and the inputs that feed one output.

    Row 0 holds the input steps, row ``l`` the outputs of layer ``l`` (dilation
    :math:`d_l`); every node is joined to the K nodes below it that it reads,
    :math:`u, u - d_l, \dots, u - (K-1) d_l` (faint), and the connections that feed
    output step ``t`` of the top layer are drawn in colour (``causal_tree``). ``T``
    defaults to the receptive field plus one step, ``t`` to the last step. Returns the
    axes. Taught in chapter 8.
    """
    if lang not in TEXT:
        raise ValueError(f"lang must be one of {tuple(TEXT)}, got {lang!r}")
    text = TEXT[lang]
    dilations = [int(d) for d in dilations]
    r = receptive_field([kernel_size] * len(dilations), dilations=dilations)
    T = r + 1 if T is None else int(T)
    t = T - 1 if t is None else int(t)
    if not 0 <= t < T:
        raise ValueError(f"t={t} must lie in 0..T-1 = 0..{T - 1}")
    tree = causal_tree(t, kernel_size, dilations)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(12.0, 1.2 + 0.33 * T), 0.9 + 0.55 * len(dilations)))
    faint, bright = [], []
    for l, d in enumerate(dilations, start=1):
        for u in range(T):
            for k in range(kernel_size):
                v = u - k * d
                if v < 0:
                    continue  # a zero of the causal padding
                on = u in tree[l] and v in tree[l - 1]
                (bright if on else faint).append([(v, l - 1), (u, l)])
    ax.add_collection(LineCollection(faint, colors="#c8c8c8", linewidths=0.6, zorder=1))
    ax.add_collection(LineCollection(bright, colors="#c0392b", linewidths=1.4, zorder=2))
    for l in range(len(dilations) + 1):
        on = np.isin(np.arange(T), tree[l])
        ax.scatter(np.arange(T)[~on], np.full((~on).sum(), l), s=16, color="white",
                   edgecolors="#888888", linewidths=0.8, zorder=3)
        ax.scatter(np.arange(T)[on], np.full(on.sum(), l), s=22, color="#c0392b", zorder=4)
    labels = [text["input"]] + [f"{text['layer']} {l} (d={d})"
                                for l, d in enumerate(dilations, start=1)]
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel(text["time"])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(-0.8, T - 0.2)
    ax.set_ylim(-0.5, len(dilations) + 0.5)
    ax.grid(False)
    ax.set_title(text["title"].format(n=len(tree[0]), t=t), fontsize=11)
    return ax
