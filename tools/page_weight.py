"""How much a reader's browser fetches for each page of the built book:
``python tools/page_weight.py [SITE]`` (default ``_build/html``) prints a Markdown table.

For each page, everything its first visit loads: the HTML, its scripts and stylesheets,
the fonts and images those stylesheets name, and the page's images. Two totals:

- **transferred**: what goes over the network from a web server that compresses text
  with gzip, as GitHub Pages, Read the Docs and any common server do (HTML, JavaScript,
  CSS, SVG and JSON compressed at level 6; PNG, JPEG and web fonts, compressed already,
  as they are). This is the page weight a reader waits for, and the one the book keeps
  under 3 MB for every chapter (tests/book/test_book.py);
- **on disk**: the same files uncompressed (opened from disk or the offline zip, nothing
  is transferred; the browser reads these bytes).

The two columns after them are the page's own part (its HTML and images; the rest is
shared by every page and cached after the first) and the figures of its interactive
explorers that load only when a reader moves a control (``_images/explorer``).

Used by CONTRIBUTING's table of page weights and by the book's tests.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

COMPRESSED = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff", ".woff2"}
REFERENCE = re.compile(
    r"<(script|img|link)\b([^>]*?)\s(src|href)=\"([^\"]+)\"([^>]*)>", re.IGNORECASE
)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
EXPLORER_IMAGE = re.compile(r"_images/explorer/[0-9a-f]{32}\.png")


@dataclass
class Weight:
    transferred: int  # bytes over the network, text gzipped
    on_disk: int  # the same files, uncompressed
    own: int  # the page's HTML and images (uncompressed)
    on_demand: int  # explorer figures loaded when a control moves
    files: int  # files loaded on the first visit (the page included)


def _local(url: str, base: Path) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme or url.startswith("//") or not parts.path:
        return None
    path = (base / unquote(parts.path)).resolve()
    return path if path.is_file() else None


def _sent(path: Path, data: bytes) -> int:
    return len(data) if path.suffix.lower() in COMPRESSED else len(gzip.compress(data, 6))


def page_weight(page: Path) -> Weight:
    """What the first visit of ``page`` loads (see the module's docstring)."""
    html = page.read_bytes()
    text = html.decode("utf-8")
    loaded: dict[Path, bytes] = {}
    own = len(html)
    for m in REFERENCE.finditer(text):
        tag, attrs, url = m.group(1).lower(), m.group(2) + m.group(5), m.group(4)
        if tag == "link" and not re.search(r'rel="(stylesheet|preload|icon)"', attrs):
            continue
        path = _local(url, page.parent)
        if path is None or path in loaded:
            continue
        loaded[path] = path.read_bytes()
        if tag == "img":
            own += len(loaded[path])
        if path.suffix == ".css":
            css = loaded[path].decode("utf-8", errors="replace")
            for ref in CSS_URL.findall(css):
                font = _local(ref, path.parent)
                if font is not None and font not in loaded:
                    loaded[font] = font.read_bytes()
    on_demand = 0
    for rel in set(EXPLORER_IMAGE.findall(text)):
        path = _local(rel, _site_root(page))
        if path is not None and path not in loaded:
            on_demand += path.stat().st_size
    transferred = _sent(page, html) + sum(_sent(p, d) for p, d in loaded.items())
    on_disk = len(html) + sum(len(d) for d in loaded.values())
    return Weight(transferred, on_disk, own, on_demand, 1 + len(loaded))


def _site_root(page: Path) -> Path:
    """The edition's folder (the one holding ``_static``) above ``page``."""
    for parent in page.parents:
        if (parent / "_static").is_dir():
            return parent
    raise FileNotFoundError(f"{page}: no _static folder above it; is this a built book?")


def chapter_pages(site: Path, lang: str) -> list[Path]:
    return sorted((site / lang / "chapters" / lang).glob("*.html"))


def table(site: Path) -> str:
    mb = 1e6
    lines = [
        "| page | ko: transferred / on disk | en: transferred / on disk | own (ko) | "
        "explorer figures on demand (ko) |",
        "|---|---|---|---|---|",
    ]
    for page in chapter_pages(site, "ko"):
        w = {lang: page_weight(site / lang / "chapters" / lang / page.name) for lang in
             ("ko", "en")}
        demand = f"{w['ko'].on_demand / mb:.2f} MB" if w["ko"].on_demand else "-"
        lines.append(
            f"| {page.stem} | {w['ko'].transferred / mb:.2f} / {w['ko'].on_disk / mb:.2f} MB | "
            f"{w['en'].transferred / mb:.2f} / {w['en'].on_disk / mb:.2f} MB | "
            f"{w['ko'].own / mb:.2f} MB | {demand} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path,
                        default=Path(__file__).resolve().parent.parent / "_build" / "html")
    args = parser.parse_args(argv)
    if not (args.site / "ko").is_dir():
        print(f"{args.site} has no built book: run `make book` first", file=sys.stderr)
        return 2
    print(table(args.site))
    return 0


if __name__ == "__main__":
    sys.exit(main())
