"""The Korean glossary read as data, and the text a reader of each edition reads: shared by
the glossary and prose tests (tests/book) and the exercises' checks (tests/grading)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
KO, EN = ROOT / "chapters" / "ko", ROOT / "chapters" / "en"


def table(path: Path) -> list[list[str]]:
    """Rows of the Markdown table of a glossary page (header and rule skipped)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]


def words(cell: str) -> list[str]:
    return [word.strip() for word in cell.split(",") if word.strip()]


# Korean glossary columns: term | English | also said (allowed) | do not use (wrong or misleading)
KO_ROWS = table(KO / "glossary.md")
ALSO = {word: row[0] for row in KO_ROWS for word in words(row[2])}
AVOID = {word: row[0] for row in KO_ROWS for word in words(row[3])}


def joined(text: str) -> str:
    """Text with the line breaks inside a paragraph joined: a break (and the indentation of the
    next line) inside a Korean sentence stands for one space, so "덧셈\\n   문제" reads "덧셈 문제".
    Blank lines, which end a paragraph, stay."""
    return re.sub(r"(?<=\S)[ \t]*\n[ \t]*(?=\S)", " ", text)


def korean_text(path: Path) -> str:
    """Everything a reader of the Korean edition reads: prose, code comments, outputs,
    each part with its line breaks joined."""
    if path.suffix == ".md":
        return joined(path.read_text(encoding="utf-8"))
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(str(out.get("text", "")) + str(out.get("data", {}).get("text/plain", "")))
    return "\n\n".join(joined(part) for part in parts)


def avoided(text: str) -> dict[str, str]:
    """The do-not-use words in an already joined text, each with the glossary term to write."""
    return {word: term for word, term in AVOID.items() if word in text}
