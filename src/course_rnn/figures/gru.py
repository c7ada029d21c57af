r"""A drawing of the GRU cell (chapter 6): gates r, z and the candidate n, PyTorch's placement."""

from __future__ import annotations

import matplotlib.pyplot as plt

_TEXT = {
    "ko": {"reset": "리셋 게이트", "update": "업데이트 게이트", "cand": "후보",
           "out": "출력", "torch": "PyTorch: $r_t \\odot (h_{t-1}W_{hn} + b_{hn})$"},
    "en": {"reset": "reset gate", "update": "update gate", "cand": "candidate",
           "out": "output", "torch": "PyTorch: $r_t \\odot (h_{t-1}W_{hn} + b_{hn})$"},
}


def draw_gru_cell(ax=None, lang: str = "ko"):
    r"""Draw one GRU cell with PyTorch's placement of the reset gate.

    .. math::

        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    The state runs along the top line (one vector, no separate cell state); the update
    gate :math:`z_t` scales the old state by :math:`z_t` and the candidate by
    :math:`1 - z_t`; the reset gate multiplies :math:`h_{t-1} W_{hn} + b_{hn}` on its way
    to the candidate. No output gate: :math:`h_t` leaves the cell whole. Returns the axes.
    Taught in chapter 6.
    """
    from matplotlib.patches import Circle, FancyBboxPatch

    txt = _TEXT[lang]
    if ax is None:
        _, ax = plt.subplots(figsize=(9.0, 5.2))
    ax.add_patch(FancyBboxPatch((0.6, -1.2), 10.2, 7.0, boxstyle="round,pad=0.1",
                                fc="#f6f6f6", ec="#999999", lw=1.0))

    def arrow(a, b, color="black", style="-|>", ls="-"):
        ax.annotate("", xy=b, xytext=a, arrowprops=dict(arrowstyle=style, color=color, lw=1.6,
                                                        linestyle=ls, shrinkA=0, shrinkB=0))

    def box(x, y, label, fc, w=1.3, h=0.75):
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                                    fc=fc, ec="black", lw=1.2, zorder=3))
        ax.text(x, y, label, ha="center", va="center", fontsize=12, zorder=4)

    def node(x, y, label):
        ax.add_patch(Circle((x, y), 0.3, fc="white", ec="black", lw=1.2, zorder=3))
        ax.text(x, y, label, ha="center", va="center", fontsize=12, zorder=4)

    # the state line on top: h_{t-1} -> (x z) -> (+) -> h_t
    arrow((-0.6, 5.0), (4.7, 5.0))
    node(5.0, 5.0, r"$\times$")
    arrow((5.3, 5.0), (8.7, 5.0))
    node(9.0, 5.0, "+")
    arrow((9.3, 5.0), (12.0, 5.0))
    arrow((10.2, 5.0), (10.2, 6.6))
    ax.text(-0.7, 5.3, r"$h_{t-1}$", fontsize=13, ha="left")
    ax.text(11.9, 5.3, r"$h_t$", fontsize=13, ha="right")
    ax.text(10.35, 6.45, rf"$h_t$ ({txt['out']})", fontsize=11, ha="left")
    # inputs: h_{t-1} comes down the left side, x_t up from the bottom
    ax.plot([1.2, 1.2], [5.0, -0.3], color="black", lw=1.6)
    arrow((2.0, -2.0), (2.0, -0.3))
    ax.text(2.15, -1.9, r"$x_t$", fontsize=13, ha="left")
    ax.plot([1.2, 8.6], [-0.3, -0.3], color="black", lw=1.6)
    # the gates
    box(3.0, 1.6, r"$\sigma$", "#f4cccc")
    arrow((3.0, -0.3), (3.0, 1.22))
    ax.text(2.3, 2.15, rf"$r_t$ {txt['reset']}", fontsize=10, ha="left")
    box(5.0, 3.3, r"$\sigma$", "#cfe2f3")
    arrow((5.0, -0.3), (5.0, 2.92))
    arrow((5.0, 3.68), (5.0, 4.7))
    ax.text(3.0, 3.85, rf"$z_t$ {txt['update']}", fontsize=10, ha="left")
    node(6.8, 3.3, r"$1-$")
    arrow((5.65, 3.3), (6.5, 3.3))
    node(9.0, 3.3, r"$\times$")
    arrow((7.1, 3.3), (8.7, 3.3))
    arrow((9.0, 3.6), (9.0, 4.7))
    # the candidate: r_t multiplies h_{t-1} W_hn + b_hn (PyTorch), then tanh
    box(6.8, 0.55, r"$h_{t-1}W_{hn}+b_{hn}$", "#eeeeee", w=2.3)
    arrow((6.8, -0.3), (6.8, 0.17))
    node(6.8, 1.6, r"$\times$")
    arrow((6.8, 0.93), (6.8, 1.3))
    arrow((3.65, 1.6), (6.5, 1.6), color="#cc0000")
    box(9.0, 1.6, "tanh", "#d9ead3")
    arrow((7.1, 1.6), (8.35, 1.6))
    arrow((8.6, -0.3), (8.6, 1.22))
    arrow((9.0, 1.98), (9.0, 3.0))
    ax.text(9.2, 2.4, rf"$n_t$ {txt['cand']}", fontsize=10, ha="left")
    ax.text(4.2, -0.85, txt["torch"], fontsize=10, ha="left", color="#cc0000")
    ax.set_xlim(-0.9, 12.2)
    ax.set_ylim(-2.2, 7.0)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
