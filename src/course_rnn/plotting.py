"""Matplotlib set-up for the book: Hangul that renders on any machine, PNG figures.

Matplotlib's default font, DejaVu Sans, has no Hangul: Korean labels come out as
boxes, with a "Glyph ... missing" warning per character (which the strict book build
turns into an error). Machines without a Korean system font are common (CI, Colab,
Binder), so the course ships one: NanumGothic (SIL Open Font License), taken from the
files of the ``koreanize-matplotlib`` package. That package is never *imported*: its
``__init__`` needs ``distutils``, which Python 3.12 removed; we only read its font files.

NanumGothic has no U+2212 MINUS SIGN, which Matplotlib uses for negative tick labels,
and Matplotlib's math text (``$10^{-2}$`` on log axes) does no per-glyph fallback. So the
font family is the list ``["DejaVu Sans", "NanumGothic"]``: Latin letters, digits, the
minus sign and all math text come from DejaVu Sans, Matplotlib's default; plain text
falls back glyph by glyph (Matplotlib 3.6 and newer) to NanumGothic for Hangul.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

KOREAN_FONT = "NanumGothic"
LATIN_FONT = "DejaVu Sans"


def korean_font_files() -> list[Path]:
    """The NanumGothic ``.ttf`` files shipped inside the ``koreanize-matplotlib`` package.

    Raises ``RuntimeError`` naming the package to install when they cannot be found.
    """
    spec = importlib.util.find_spec("koreanize_matplotlib")  # locates, does not import
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the Korean font for plots comes from the koreanize-matplotlib package, "
            "which is not installed: pip install koreanize-matplotlib"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    files = sorted(folder.glob("NanumGothic*.ttf"))
    if not files:
        raise RuntimeError(f"no NanumGothic*.ttf in {folder}; reinstall koreanize-matplotlib")
    return files


def use_korean_font() -> str:
    """Register NanumGothic with Matplotlib as the fallback font for Hangul.

    Idempotent. Returns the name of the Korean font. Text is drawn in DejaVu Sans;
    glyphs it lacks (Hangul) come from NanumGothic.
    """
    known = {f.name for f in font_manager.fontManager.ttflist}
    if KOREAN_FONT not in known:
        for path in korean_font_files():
            font_manager.fontManager.addfont(str(path))
    # a list of families (not the generic "sans-serif") enables per-glyph fallback
    mpl.rcParams["font.family"] = [LATIN_FONT, KOREAN_FONT]
    mpl.rcParams["axes.unicode_minus"] = True
    return KOREAN_FONT


def setup_matplotlib() -> None:
    """House style for the book's figures: the Korean font, PNG output, readable sizes."""
    use_korean_font()
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.constrained_layout.use": True,
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.fonttype": "none",
        }
    )
