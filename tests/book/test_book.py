"""Tests of the book's pipeline: two editions that match, notebooks that follow the
conventions nbval and the strict build rely on, and the built HTML of both editions."""

from __future__ import annotations

import io
import re
import sys
import tokenize
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("ko", "en")
CHAPTERS = {lang: ROOT / "chapters" / lang for lang in LANGS}
NOTEBOOKS = sorted(p.name for p in CHAPTERS["ko"].glob("*.ipynb"))
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
HANGUL = re.compile("[\uac00-\ud7a3]")

sys.path.insert(0, str(ROOT / "tools"))
import book  # noqa: E402  (tools/book.py)


def read(lang: str, name: str):
    return nbformat.read(CHAPTERS[lang] / name, as_version=4)


def code_without_comments(source: str) -> str:
    """The code of a cell with comments and blank lines removed (prose may differ)."""
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type not in (tokenize.COMMENT, tokenize.NL)
    ]
    lines = tokenize.untokenize(tokens).splitlines()
    return "\n".join(line.rstrip() for line in lines if line.strip())


def toc_files(toc: dict) -> list[str]:
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))
            for part in entry.get("parts", []):
                walk(part.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


# -- the two editions have the same pages and the same code ------------------------


def test_editions_have_the_same_files():
    names = {
        lang: sorted(p.name for p in CHAPTERS[lang].iterdir() if p.suffix in {".md", ".ipynb"})
        for lang in LANGS
    }
    assert names["ko"] == names["en"], "chapters/ko and chapters/en must have the same file names"
    assert NOTEBOOKS, "no chapter notebook found"


def test_toc_lists_every_chapter_and_exists():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = toc_files(toc)
    for f in files:
        assert f.startswith("chapters/ko/"), f"_toc.yml must list Korean pages only: {f}"
        matches = list((ROOT / f).parent.glob(Path(f).name + ".*"))
        assert matches, f"_toc.yml lists {f}, which does not exist"
    listed = {Path(f).name for f in files}
    on_disk = {p.stem for p in CHAPTERS["ko"].iterdir() if p.suffix in {".md", ".ipynb"}}
    assert on_disk == listed, f"pages missing from _toc.yml: {sorted(on_disk - listed)}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_editions_have_the_same_code_cells(name):
    ko, en = read("ko", name), read("en", name)
    ko_code = [c.source for c in ko.cells if c.cell_type == "code"]
    en_code = [c.source for c in en.cells if c.cell_type == "code"]
    assert len(ko_code) == len(en_code), (
        f"{name}: {len(ko_code)} code cells in ko, {len(en_code)} in en"
    )
    # the first code cell is the set-up cell, which names the edition
    assert 'setup("ko")' in ko_code[0] and 'setup("en")' in en_code[0], name
    ko_code[0] = ko_code[0].replace('setup("ko")', 'setup("en")')
    for i, (a, b) in enumerate(zip(ko_code, en_code, strict=True)):
        assert code_without_comments(a) == code_without_comments(b), (
            f"{name}: code cell {i} differs"
        )
    ko_tags = [c.metadata.get("tags", []) for c in ko.cells if c.cell_type == "code"]
    en_tags = [c.metadata.get("tags", []) for c in en.cells if c.cell_type == "code"]
    assert ko_tags == en_tags, f"{name}: cell tags differ between editions"


# -- conventions that keep nbval and the strict build green -------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_conventions(lang, name):
    nb = read(lang, name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{lang}/{name} has no code"
    assert all(c.execution_count is not None for c in code), (
        f"{lang}/{name} has cells that were never run: run `make execute`"
    )
    assert any("assert " in c.source for c in code), (
        f"{lang}/{name} has no results cell with assert"
    )
    for i, cell in enumerate(code):
        for out in cell.outputs:
            where = f"{lang}/{name}, code cell {i}"
            assert out.output_type != "error", f"{where} stored an error"
            assert not (out.output_type == "stream" and out.name == "stderr"), (
                f"{where} wrote to stderr"
            )
            assert "image/svg+xml" not in out.get("data", {}), (
                f"{where}: figures must be PNG, not SVG"
            )
        tags = cell.metadata.get("tags", [])
        if "interact(" in cell.source or "interactive(" in cell.source:
            assert "nbval-skip" in tags, (
                f"{lang}/{name}, cell {i}: interact cells need the nbval-skip tag"
            )
    has_widget = any(
        "application/vnd.jupyter.widget-view+json" in out.get("data", {})
        for c in code
        for out in c.outputs
    )
    if has_widget:
        state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        assert state, f"{lang}/{name} shows a widget but stores no widget state: run `make execute`"


def test_korean_edition_is_korean():
    for name in NOTEBOOKS:
        prose = "".join(c.source for c in read("ko", name).cells if c.cell_type == "markdown")
        assert len(HANGUL.findall(prose)) > 0.3 * len(re.findall(r"[A-Za-z]", prose)), name
        prose_en = "".join(c.source for c in read("en", name).cells if c.cell_type == "markdown")
        assert not HANGUL.search(prose_en.replace("한국어", "")), (
            f"en/{name} has Hangul in its prose"
        )


# -- the English edition's configuration is derived from the Korean one -------------


def test_english_configuration_is_derived(tmp_path):
    config_path, toc_path = book.edition_files("en", tmp_path)
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    ko_toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["config"]["language"] == "en"
    assert config["sphinx"]["config"]["course_lang"] == "en"
    assert "chapters/ko" in config["exclude_patterns"]
    assert config["execute"]["stderr_output"] == "error"  # kept from _config.yml
    assert [f.replace("/ko/", "/en/") for f in toc_files(ko_toc)] == toc_files(toc)
    ext = Path(config["sphinx"]["local_extensions"]["course_book"])
    assert ext.is_absolute() and (ext / "course_book.py").exists()


def test_merge_replaces_lists_and_merges_dicts():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert book.merge(base, {"a": {"c": [3]}}) == {"a": {"b": 1, "c": [3]}, "d": 1}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


# -- the built HTML -----------------------------------------------------------------


def pages(site: Path, lang: str) -> list[Path]:
    return sorted((site / lang / "chapters" / lang).glob("*.html"))


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_every_page_has_its_language_and_a_working_switch(site, lang):
    other = {"ko": "en", "en": "ko"}[lang]
    built = pages(site, lang)
    sources = sorted(p.stem for p in CHAPTERS[lang].iterdir() if p.suffix in {".md", ".ipynb"})
    assert [p.stem for p in built] == sources
    for page in built:
        html = page.read_text(encoding="utf-8")
        assert f'<html lang="{lang}"' in html, f"{page}: wrong <html lang>"
        links = re.findall(r'class="btn btn-sm course-lang-switch" href="([^"]+)"', html)
        assert len(links) == 1, f"{page}: no language switch"
        target = (page.parent / links[0]).resolve()
        assert target == (site / other / "chapters" / other / page.name).resolve(), (
            f"{page}: {links[0]}"
        )
        assert target.exists(), f"{page}: the switch points to a missing page {target}"
        prev_next = re.findall(r'class="(?:left-prev|right-next)"\s+href="([^"]+)"', html)
        assert prev_next or len(built) == 1, f"{page}: no previous/next link"
        for rel in prev_next:
            assert f"/{other}/" not in rel and (page.parent / rel).exists(), (
                f"{page}: prev/next {rel}"
            )
        assert "© Copyright 2023" not in html and "Copyright 2023" not in html
        for rel in re.findall(
            r'<(?:a class="reference internal"|link)[^>]* href="([^"#:]+\.html)', html
        ):
            assert (page.parent / rel).exists(), f"{page}: broken link {rel}"


@pytest.mark.slow
def test_pages_show_hangul_math_figures_and_explorers(site):
    ko = (site / "ko" / "chapters" / "ko" / "00_getting_started.html").read_text(encoding="utf-8")
    en = (site / "en" / "chapters" / "en" / "00_getting_started.html").read_text(encoding="utf-8")
    assert "은닉 상태" in ko and "hidden state" in en
    for html, page in ((ko, "ko"), (en, "en")):
        assert re.search(r'<div class="math[^"]*">\s*\\\[.*\\tanh', html, re.S), (
            f"{page}: no display math"
        )
        assert "mathjax" in html.lower(), f"{page}: MathJax is not loaded"
        images = re.findall(r'<img[^>]+src="([^"]+\.png)"', html)
        assert len(images) >= 3, f"{page}: expected the chapter's figures"
        # the interactive figures: controls, a first figure as an image file, no kernel
        explorers = re.findall(r'<div class="course-explorer" data-key="[0-9,]+">', html)
        assert len(explorers) == 2, f"{page}: expected the chapter's two interactive figures"
        assert '<input type="range" data-name="scale"' in html, page
        assert "data:image/png" not in html, f"{page}: explorer figures left inside the page"
        first = re.findall(r'class="course-explorer-figure" src="([^"]+)"', html)
        assert all((site / page / "chapters" / page / f).resolve().is_file() for f in first)
        assert "course-explorer.js" in html, f"{page}: course-explorer.js is not loaded"
        assert "application/vnd.jupyter.widget-state+json" not in html, page
    root = (site / "index.html").read_text(encoding="utf-8")
    assert "url=ko/index.html" in root


@pytest.mark.slow
def test_every_chapter_page_weighs_under_3_mb(site):
    """What a first visit of each chapter page transfers (tools/page_weight.py: the page and
    everything it loads, text gzipped as web servers send it) stays under 3 MB; the figures
    of the interactive explorers load one at a time, when a control moves."""
    import page_weight

    heavy = {}
    for lang in LANGS:
        for page in page_weight.chapter_pages(site, lang):
            w = page_weight.page_weight(page)
            assert w.files > 10 and w.on_disk > w.transferred > w.own / 2, (page, w)
            if w.transferred >= 3e6:
                heavy[f"{lang}/{page.name}"] = round(w.transferred / 1e6, 2)
    assert not heavy, f"pages over 3 MB on a first visit: {heavy}"
    bptt = page_weight.page_weight(site / "en" / "chapters" / "en" / "03_bptt.html")
    assert bptt.on_demand > 1e6, "chapter 3's explorer figures are not counted as on demand"
