"""The prose of both editions speaks in the book's own voice: it never points the reader to
material the reader cannot see (the notes the chapters were written from)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from _helpers_text import joined

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("ko", "en")

# Phrases that refer to unpublished source material; cite a published work instead.
UNSEEN = ("원천 문서", "원자료", "원래 자료", "source document")
UNSEEN_RE = re.compile("|".join(re.escape(p).replace(r"\ ", r"\s+") for p in UNSEEN), re.IGNORECASE)


def prose_pages() -> list[Path]:
    pages = []
    for lang in LANGS:
        chapters = ROOT / "chapters" / lang
        pages += sorted(p for p in chapters.iterdir() if p.suffix in {".md", ".ipynb"})
        pages += sorted((ROOT / "exercises" / lang).glob("*.ipynb"))
    return pages


def prose(path: Path) -> str:
    """The Markdown a reader reads: a page, or the Markdown cells of a notebook."""
    if path.suffix == ".md":
        return joined(path.read_text(encoding="utf-8"))
    nb = nbformat.read(path, as_version=4)
    return "\n\n".join(joined(cell.source) for cell in nb.cells if cell.cell_type == "markdown")


def unseen(text: str) -> list[str]:
    return [" ".join(m.group(0).split()) for m in UNSEEN_RE.finditer(text)]


def test_the_check_finds_each_phrase():
    assert unseen("이 장은 원천\n문서 003이 꼽은 대책을") == ["원천 문서"]
    assert unseen("원자료의 표기, 원래 자료의 식") == ["원자료", "원래 자료"]
    assert unseen("As the Source\n  Document puts it") == ["Source Document"]
    assert unseen("『핸즈온 머신러닝』 2판 15장") == []


@pytest.mark.parametrize(
    "path", prose_pages(), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}"
)
def test_prose_cites_no_unseen_material(path):
    found = unseen(prose(path))
    assert not found, (
        f"{path.relative_to(ROOT)}: {found}; write in the book's voice or cite a published work"
    )


# The repository's own test files are the project's bookkeeping, not the reader's text (the
# instructors' page, which is about grading, may name them).
TEST_FILE_RE = re.compile(r"\btests/[\w/]*test_\w+\.py")


@pytest.mark.parametrize(
    "path",
    [p for p in prose_pages() if p.parent.parent.name == "chapters" and p.stem != "instructors"],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_chapter_prose_names_no_test_file(path):
    assert TEST_FILE_RE.search("see `tests/core/test_seq2seq.py`")  # the check itself
    found = TEST_FILE_RE.findall(prose(path))
    assert not found, f"{path.relative_to(ROOT)} names test files {found}: state the result"
