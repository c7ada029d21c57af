"""Hangul in Matplotlib figures, on machines without a Korean system font."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager

from course_rnn.notebook import setup
from course_rnn.plotting import KOREAN_FONT, korean_font_files, use_korean_font


def test_font_files_are_found_without_importing_koreanize_matplotlib():
    import sys

    files = korean_font_files()
    assert any(f.name == "NanumGothic.ttf" for f in files)
    assert "koreanize_matplotlib" not in sys.modules


def test_hangul_and_minus_render_without_glyph_warnings(tmp_path):
    use_korean_font()
    fig, ax = plt.subplots()
    ax.plot(np.arange(-3, 3), np.arange(-3, 3) ** 2)  # negative tick labels use U+2212
    ax.set(title="은닉 상태 궤적", xlabel="시간 단계 t", ylabel="기울기 −1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(tmp_path / "plot.png")
    plt.close(fig)
    assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", KOREAN_FONT]
    hangul_font = font_manager.findfont(font_manager.FontProperties(family=[KOREAN_FONT]))
    assert "NanumGothic" in hangul_font


def test_log_axes_with_negative_exponents_render_without_warnings(tmp_path):
    """Math text ($10^{-2}$) does no glyph fallback: its font must have the minus sign."""
    use_korean_font()
    fig, ax = plt.subplots()
    ax.semilogy(np.arange(5), 10.0 ** -np.arange(5))
    ax.set_title("기울기 노름")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(tmp_path / "log.png")
    plt.close(fig)


def test_hangul_is_drawn_with_glyphs_not_boxes():
    """The rendered width of Hangul differs between characters only with a real font
    (a missing glyph draws the same box for every character)."""
    use_korean_font()
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer = RendererAgg(200, 100, 72)
    prop = FontProperties(family=[KOREAN_FONT])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w1 = renderer.get_text_width_height_descent("가", prop, ismath=False)[0]
        w2 = renderer.get_text_width_height_descent("가나다라", prop, ismath=False)[0]
    assert w2 > 3 * w1 > 0


def test_setup_rejects_an_unknown_edition():
    import pytest

    with pytest.raises(ValueError, match="lang must be one of"):
        setup("fr")
