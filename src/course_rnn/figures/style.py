"""Matplotlib set-up for the book: Hangul that renders on any machine, PNG figures.

Matplotlib's default font, DejaVu Sans, has no Hangul: Korean labels come out as
boxes, with a "Glyph ... missing" warning per character (which the strict book build
turns into an error). Machines without a Korean system font are common (CI, Colab,
Binder), so the package ships one: Noto Sans KR (SIL Open Font License), in
``course_rnn/figures/fonts`` with its licence and its SHA-256, checked before use.

Why Noto Sans KR and not NanumGothic (which ``koreanize-matplotlib`` ships): Matplotlib
falls back glyph by glyph between fonts for plain text, but *math text* (``$t$`` inside
a label, the ``10^{-2}`` tick labels of log axes) is drawn with one font and no
fallback. A label such as ``"시간 단계 $t$"`` needs Hangul from that font, and a log axis
needs the minus sign U+2212 from it. NanumGothic has no U+2212; Noto Sans KR has
Hangul, Latin, Greek and U+2212, so every label of the book renders from it alone.
DejaVu Sans stays second in the family list for the few symbols Noto lacks.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

KOREAN_FONT = "Noto Sans KR"
FALLBACK_FONT = "DejaVu Sans"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILE = FONT_DIR / "NotoSansKR-Regular.otf"
FONT_SHA256 = "69975a0ac8472717870aefeab0a4d52739308d90856b9955313b2ad5e0148d68"


@functools.cache
def korean_font_file() -> Path:
    """The shipped Noto Sans KR file, after checking its SHA-256.

    Raises ``RuntimeError`` naming the file and both checksums if it was changed or
    truncated (for example by a checkout that treated it as text).
    """
    if not FONT_FILE.exists():
        raise RuntimeError(f"the Korean font {FONT_FILE} is missing; reinstall course-rnn")
    digest = hashlib.sha256(FONT_FILE.read_bytes()).hexdigest()
    if digest != FONT_SHA256:
        raise RuntimeError(
            f"{FONT_FILE} has SHA-256 {digest}, expected {FONT_SHA256}; reinstall course-rnn"
        )
    return FONT_FILE


def use_korean_font() -> str:
    """Register Noto Sans KR with Matplotlib and make it the default font.

    Idempotent. Returns the family name in use.
    """
    known = {f.name for f in font_manager.fontManager.ttflist}
    if KOREAN_FONT not in known:
        font_manager.fontManager.addfont(str(korean_font_file()))
    # a list of families (not the generic "sans-serif") enables per-glyph fallback
    mpl.rcParams["font.family"] = [KOREAN_FONT, FALLBACK_FONT]
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
