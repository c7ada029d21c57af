"""The book's interactive figures (``course_rnn.figures.explorer``) in the built pages.

A stored explorer carries every figure of its grid as a ``data:`` PNG inside the page.
On each page that has one, this module

- writes every such PNG to ``_images/explorer/<sha256>.png`` and puts the file's relative
  URL in its place, so a page loads only the figures its reader selects (the first one,
  then one per move of a control) instead of all of them;
- adds ``course-explorer.js`` (``static/``), which switches between the figures.

Loaded by ``course_book.py``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

MARK = 'class="course-explorer"'
DATA_PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")
FOLDER = "_images/explorer"
SCRIPT = "course-explorer.js"


def extract(body: str, outdir: Path, up: str) -> tuple[str, int]:
    """``body`` with every ``data:`` PNG replaced by a file in ``outdir/_images/explorer``
    (named by its SHA-256), linked relative to the page (``up`` is ``"../"`` per folder
    of the page's name); and the number of PNGs moved."""
    folder = outdir / FOLDER
    count = 0

    def to_file(m: re.Match) -> str:
        nonlocal count
        data = base64.b64decode(m.group(1))
        name = hashlib.sha256(data).hexdigest()[:32] + ".png"
        path = folder / name
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        count += 1
        return f"{up}{FOLDER}/{name}"

    return DATA_PNG.sub(to_file, body), count


def _page_context(app, pagename, templatename, context, doctree):
    body = context.get("body") or ""
    if MARK not in body:
        return
    up = "../" * pagename.count("/")
    context["body"], _ = extract(body, Path(app.outdir), up)
    app.add_js_file(SCRIPT)


def setup(app):
    app.connect("html-page-context", _page_context)
