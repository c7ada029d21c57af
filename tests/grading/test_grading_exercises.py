"""The exercise notebooks of ``exercises/``: they release, they pass their own tests, and the
student versions run without error up to their first unanswered question.

For every instructor notebook in ``exercises/ko`` and ``exercises/en``:

- ``course-rnn release`` accepts it (its solution passes every test in the sandbox,
  each known wrong variant fails one, the student version passes none);
- run top to bottom in a kernel, every ``check(...)`` cell passes;
- the released student notebook, run in a kernel beside its ``.checks.npz``, runs
  without error until the first cell that calls an unanswered function;
- both editions hold the same questions and the same code (comments and docstrings
  aside), and the Korean one uses the glossary's terms.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_rnn.grading.release import release
from course_rnn.grading.spec import cell_source, parse_instructor

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "exercises"
NOTEBOOKS = sorted(EXERCISES.glob("*/*.ipynb"))
IDS = [f"{p.parent.name}/{p.name}" for p in NOTEBOOKS]
pytestmark = pytest.mark.slow  # every test runs or releases whole exercise notebooks


def execute(path: Path) -> nbformat.NotebookNode:
    """Run a notebook in a fresh kernel in its own folder, errors recorded, not raised."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") ==
                   "stream")


def errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def test_there_are_exercises_in_both_editions():
    ko = {p.name for p in (EXERCISES / "ko").glob("*.ipynb")}
    en = {p.name for p in (EXERCISES / "en").glob("*.ipynb")}
    assert ko == en and "01_recurrent_cell.ipynb" in ko


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_release_accepts_it(path, tmp_path):
    written = release(path, tmp_path)
    assert {p.name for p in written} == {path.name, f"{path.stem}.checks.npz"}
    student = json.loads((tmp_path / path.name).read_text(encoding="utf-8"))
    source = "\n".join(cell_source(c) for c in student["cells"])
    assert "BEGIN SOLUTION" not in source and "# QUESTION" not in source
    assert "HIDDEN" not in source and "q1_transposed" not in source
    assert student["metadata"]["course_rnn"]["assignment"] == path.stem


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_the_instructor_notebook_passes_its_own_checks(path):
    nb = execute(path)
    checked = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not errors(cell), (cell.source, errors(cell))
        if cell.source.startswith("check("):
            out = text(cell)
            assert "✓" in out and "✗" not in out, out
            checked += 1
    assert checked >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_the_student_notebook_runs_until_its_first_unanswered_question(path, tmp_path):
    release(path, tmp_path)
    nb = execute(tmp_path / path.name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first_error = next((i for i, c in enumerate(code) if errors(c)), len(code))
    for cell in code[first_error:]:  # later errors all come from unanswered functions
        for err in errors(cell):
            assert err["ename"] == "NotImplementedError", err
    first_prompt = next(i for i, c in enumerate(code) if "raise NotImplementedError" in c.source)
    assert first_error > first_prompt
    first_check = next(c for c in code if c.source.startswith("check("))
    lang = parse_instructor(path).lang
    assert {"en": "not answered yet", "ko": "아직 답을 쓰지 않았습니다"}[lang] in text(first_check)


# ----------------------------------------------------------------------------- the two editions


def _strip_docstrings(tree):
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            body.pop(0)
    return tree


def code_shape(path: Path) -> list[str]:
    """Every code cell as an AST dump without comments or docstrings (language normalised)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = cell_source(cell).replace('"ko")', '"LANG")').replace('"en")', '"LANG")')
            out.append(ast.dump(_strip_docstrings(ast.parse(src))))
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in (EXERCISES / "en").glob("*.ipynb")))
def test_both_editions_hold_the_same_questions_and_code(name):
    ko, en = parse_instructor(EXERCISES / "ko" / name), parse_instructor(EXERCISES / "en" / name)
    assert ko.id == en.id and (ko.lang, en.lang) == ("ko", "en")
    assert [q.raw for q in ko.questions] == [q.raw for q in en.questions]
    assert ko.config == en.config
    assert code_shape(EXERCISES / "ko" / name) == code_shape(EXERCISES / "en" / name)


@pytest.mark.parametrize("path", sorted((EXERCISES / "ko").glob("*.ipynb")), ids=lambda p: p.name)
def test_the_korean_edition_uses_the_glossary_terms(path):
    from _helpers_text import AVOID, korean_text

    found = {word: term for word, term in AVOID.items() if word in korean_text(path)}
    assert not found, f"use the glossary's terms instead: {found}"


def test_instructor_checks_work_from_a_copy(tmp_path):
    """``load_checks`` finds the instructor notebook in the kernel's folder (no .npz there)."""
    from course_rnn.grading import load_checks

    src = EXERCISES / "en" / "01_recurrent_cell.ipynb"
    shutil.copy(src, tmp_path / src.name)
    checks = load_checks("01_recurrent_cell", "en", folder=tmp_path)
    assert checks.instructor and len(checks.cases["q1"]) == 4  # hidden tests included
