"""The Korean edition uses the glossary's terms; both glossaries list the same pairs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
KO, EN = ROOT / "chapters" / "ko", ROOT / "chapters" / "en"


def table(path: Path) -> list[list[str]]:
    """Rows of the Markdown table of a glossary page (header and rule skipped)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]


KO_ROWS = table(KO / "glossary.md")
AVOID = {
    word.strip(): row[0]
    for row in KO_ROWS
    for word in (row[2].split(",") if len(row) > 2 else [])
    if word.strip()
}


def korean_text(path: Path) -> str:
    """Everything a reader of the Korean edition reads: prose, code comments, outputs."""
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(str(out.get("text", "")) + str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def test_glossaries_list_the_same_pairs():
    ko_pairs = {(row[0], row[1]) for row in KO_ROWS}
    en_pairs = {(row[1], row[0]) for row in table(EN / "glossary.md")}
    assert ko_pairs == en_pairs
    assert len(KO_ROWS) == len({row[0] for row in KO_ROWS}), "a Korean term is listed twice"
    assert ("퍼플렉서티", "perplexity") in ko_pairs and AVOID["당혹감"] == "퍼플렉서티"


@pytest.mark.parametrize(
    "path",
    sorted(p for p in KO.iterdir() if p.suffix in {".md", ".ipynb"} and p.name != "glossary.md"),
    ids=lambda p: p.name,
)
def test_korean_pages_use_the_glossary_terms(path):
    text = korean_text(path)
    found = {word: term for word, term in AVOID.items() if word in text}
    assert not found, f"{path.name}: write {', '.join(f'{t} (not {w})' for w, t in found.items())}"
