"""Lighter figures in the built pages: every PNG of ``_images`` reduced to 256 colours.

The chapters' figures are Matplotlib PNGs in full colour, most of whose colours are the
anti-aliased edges of lines and letters. Reduced to a palette of 256 colours (median cut,
no dithering) they look the same and weigh about a third (chapter 8: 663 kB -> 242 kB),
which keeps every chapter page well under its 3 MB (CONTRIBUTING, "Page weight"). The
stored notebooks keep the full PNGs; only the site's copies change, and a reduced copy is
kept only when it is smaller. Reductions are cached by the PNG's SHA-256 in the build
cache, so a rebuild costs nothing. Loaded by ``course_book.py``.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

COLORS = 256


def reduced(png: bytes, colors: int = COLORS) -> bytes:
    """``png`` with at most ``colors`` colours (``course_rnn.figures.explorer.quantized``,
    as the explorers' figures), or ``png`` itself if that is not smaller."""
    from PIL import Image

    from course_rnn.figures.explorer import quantized

    image = Image.open(io.BytesIO(png))
    if image.mode == "P":
        return png
    has_alpha = image.mode in ("RGBA", "LA") and image.getextrema()[-1][0] < 255
    if has_alpha:
        return png  # transparency would need a palette with alpha: keep the original
    small = quantized(png, colors)
    return small if len(small) < len(png) else png


def reduce_folder(folder: Path, cache: Path) -> tuple[int, int]:
    """Reduce every PNG directly in ``folder`` in place; (bytes before, bytes after)."""
    before = after = 0
    cache.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.glob("*.png")):
        data = path.read_bytes()
        key = cache / (hashlib.sha256(data).hexdigest() + ".png")
        if key.exists():
            small = key.read_bytes()
        else:
            small = reduced(data)
            fd, tmp = tempfile.mkstemp(dir=cache, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(small)
            os.replace(tmp, key)
        before += len(data)
        after += len(small)
        if small != data:
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(small)
            os.chmod(tmp, 0o644)  # readable by a web server, as Sphinx's own copies
            os.replace(tmp, path)
    return before, after


def _build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import web_assets

    folder = Path(app.outdir) / "_images"
    if folder.is_dir():
        reduce_folder(folder, web_assets.cache_dir() / "png-256")


def setup(app):
    app.connect("build-finished", _build_finished)
