"""Hangul in Matplotlib figures, on machines without a Korean system font."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import font_manager

from course_rnn.figures import style as plotting
from course_rnn.figures.style import KOREAN_FONT, korean_font_file, use_korean_font


def draw_without_warnings(fig, path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(path)
    plt.close(fig)


def test_the_shipped_font_is_checked(tmp_path, monkeypatch):
    assert korean_font_file().name == "NotoSansKR-Regular.otf"
    assert (korean_font_file().parent / "OFL.txt").exists()
    broken = tmp_path / "NotoSansKR-Regular.otf"
    broken.write_bytes(b"not a font")
    monkeypatch.setattr(plotting, "FONT_FILE", broken)
    plotting.korean_font_file.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="SHA-256"):
            korean_font_file()
    finally:
        plotting.korean_font_file.cache_clear()


def test_hangul_and_minus_render_without_glyph_warnings(tmp_path):
    use_korean_font()
    fig, ax = plt.subplots()
    ax.plot(np.arange(-3, 3), np.arange(-3, 3) ** 2)  # negative tick labels use U+2212
    ax.set(title="은닉 상태 궤적", xlabel="시간 단계 t", ylabel="기울기 −1")
    draw_without_warnings(fig, tmp_path / "plot.png")
    assert matplotlib.rcParams["font.family"] == [KOREAN_FONT, "DejaVu Sans"]
    used = font_manager.findfont(font_manager.FontProperties(family=[KOREAN_FONT]))
    assert used.endswith("NotoSansKR-Regular.otf")


def test_math_text_with_hangul_and_log_axes(tmp_path):
    """Math text ($t$, the $10^{-2}$ ticks of a log axis) is drawn from one font, with no
    glyph fallback: that font needs Hangul and the minus sign both."""
    use_korean_font()
    fig, ax = plt.subplots()
    ax.semilogy(np.arange(5), 10.0 ** -np.arange(5))
    ax.set(title=r"기울기 노름 $\|\delta h_t\|$", xlabel="시간 단계 $t$", ylabel="$h_t$ 값 −1")
    draw_without_warnings(fig, tmp_path / "log.png")


def test_hangul_is_drawn_with_glyphs_not_boxes():
    """The rendered width of Hangul differs between characters only with a real font
    (a missing glyph draws the same box for every character)."""
    use_korean_font()
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer = RendererAgg(200, 100, 72)
    prop = FontProperties(family=matplotlib.rcParams["font.family"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w1 = renderer.get_text_width_height_descent("가", prop, ismath=False)[0]
        w2 = renderer.get_text_width_height_descent("가나다라", prop, ismath=False)[0]
    assert w2 > 3 * w1 > 0
