"""``course-rnn release``: student notebooks from instructor notebooks, only if they are right.

Used by the exercises of every chapter (the instructors' page of chapter 0 walks
through it). For each instructor notebook the release

1. reads the format and runs the solution in this process to compute every test
   (``load_assignment``; a format error or a crashing solution stops here);
2. grades the instructor's notebook itself, in the sandbox, exactly as a submission:
   every test must pass (so the solution also works without ``course_rnn``, within
   the time and memory limits);
3. checks that every known wrong variant (``"mistakes"``) fails at least one test,
   otherwise its hint could never show;
4. grades the student version in the sandbox: no test may pass (a solution that was
   not marked would otherwise be handed out);
5. only then writes ``NAME.ipynb`` (solutions replaced by prompts, question and hidden
   cells removed, outputs cleared) and ``NAME.checks.npz`` (the public tests' data).

Any problem raises ``ReleaseError`` naming the notebook, the question and the test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from course_rnn.grading._worker import encode
from course_rnn.grading.assignment import load_assignment
from course_rnn.grading.checks import save_checks
from course_rnn.grading.grade import Submission, grade_submission, write_atomic
from course_rnn.grading.judge import check_form, judge, rel_error
from course_rnn.grading.messages import say
from course_rnn.grading.sandbox import Limits, Sandbox
from course_rnn.grading.spec import (
    FormatError,
    cell_source,
    graded_code_cells,
    student_notebook,
)

CHECK_CALL = re.compile(r"""check\(\s*["'](\w+)["']""")


class ReleaseError(RuntimeError):
    """The release was refused: the message says which notebook, question and test."""


def _as_submission(nb: dict, label: str, path: Path) -> Submission:
    cells = graded_code_cells(nb)
    return Submission(label, path, cells=cells, labels=[str(i + 1) for i in range(len(cells))],
                      lang=None)


def _failures(fb: dict, lang: str) -> list[tuple[str, int, str]]:
    out = []
    for q in fb["questions"]:
        for t in q["tests"]:
            if t["status"] != "passed":
                label = say("test_label" if t["public"] else "hidden_label", lang, k=t["index"] + 1)
                out.append((q["id"], t["index"], f"{label}: " + " ".join(t["lines"])))
    return out


def mistake_problems(assignment) -> list[str]:
    """Wrong variants that pass every test (their hint could never show)."""
    problems = []
    lang = assignment.lang
    for q in assignment.questions:
        for key in q.mistakes:
            fails = False
            for case in assignment.cases[q.id]:
                got = case.mistakes.get(key) or {}
                if set(got) != set(q.compare):
                    fails = True
                    break
                if q.gradcheck:
                    for name in q.compare:
                        if not check_form(name, case.expected[name], got[name], q.dtype, lang).ok:
                            fails = True
                        elif name in q.gradcheck["wrt"]:
                            w = q.gradcheck["wrt"][name]
                            losses = case.ref_losses[w]
                            num = (losses[:, 0] - losses[:, 1]).reshape(np.shape(case.inputs[w]))
                            if rel_error(got[name], num / (2 * q.gradcheck["eps"])) > \
                                    q.gradcheck["tol"]:
                                fails = True
                else:
                    msg = {"outputs": {n: encode(v) for n, v in got.items()}}
                    if not judge(q, case, msg, lang).passed:
                        fails = True
                if fails:
                    break
            if not fails:
                problems.append(f"{assignment.notebook.path.name} {q.id}: the wrong variant "
                                f"{key!r} passes every test; add a test that tells it apart")
    return problems


def check_cells_problems(assignment) -> list[str]:
    """Every question has a ``check("qN")`` cell, and every such cell names a question."""
    called = set()
    for cell in assignment.notebook.nb["cells"]:
        if cell.get("cell_type") == "code":
            called |= set(CHECK_CALL.findall(cell_source(cell)))
    ids = {q.id for q in assignment.questions}
    name = assignment.notebook.path.name
    problems = [f"{name}: check({c!r}) names no question" for c in sorted(called - ids)]
    problems += [f"{name} {q}: no check({q!r}) cell, so learners cannot test it"
                 for q in sorted(ids - called)]
    return problems


def validate(path, sandbox: Sandbox):
    """Run every check of a release on one instructor notebook; (assignment, problems)."""
    path = Path(path)
    try:
        assignment = load_assignment(path)
    except FormatError as exc:
        raise ReleaseError(str(exc)) from None
    name = path.name
    problems = check_cells_problems(assignment)
    fb = grade_submission(assignment, sandbox, _as_submission(assignment.notebook.nb,
                                                              "(solution)", path), "en")
    for cell in fb["cells"]:
        problems.append(f"{name}: in the sandbox, {cell['error']}")
    for qid, _, text in _failures(fb, "en"):
        problems.append(f"{name} {qid} {text} (the instructor's solution fails its own test)")
    if fb["status"] != "graded":
        problems.append(f"{name}: the solution could not be graded: {fb['notes']}")
    problems += mistake_problems(assignment)
    student = student_notebook(assignment.notebook)
    fb2 = grade_submission(assignment, sandbox, _as_submission(student, "(student)", path), "en")
    for q in fb2["questions"]:
        for t in q["tests"]:
            if t["status"] == "passed":
                problems.append(f"{name} {q['id']} test {t['index'] + 1} passes in the student "
                                "version: is the solution marked with # BEGIN SOLUTION?")
    return assignment, problems


def instructor_notebooks(source: Path) -> list[tuple[Path, Path]]:
    """``(notebook, folder relative to source)`` pairs: one notebook, a folder, or a tree."""
    if source.is_file():
        return [(source, Path("."))]
    return sorted((p, p.parent.relative_to(source)) for p in source.rglob("*.ipynb")
                  if not any(part.startswith(".") for part in p.relative_to(source).parts))


def release(source, out, limits: dict | None = None, jobs: int = 1) -> list[Path]:
    """Release one instructor notebook, or every one below a folder, into ``out``.

    ``exercises/en`` gives ``out/NAME.ipynb``; ``exercises`` gives ``out/ko/...`` and
    ``out/en/...``. Returns the paths written (each ``NAME.ipynb`` with its
    ``NAME.checks.npz``). Nothing is written unless every notebook passes every check:
    on any problem, ``ReleaseError`` lists them all. ``limits`` overrides the sandbox's
    limits as in ``grade_folder``. Used by the exercises of every chapter.
    """
    source, out = Path(source), Path(out)
    pairs = instructor_notebooks(source)
    if not pairs:
        raise ReleaseError(f"{source}: no instructor notebook found")
    done, problems = [], []
    for p, rel in pairs:
        config = {}
        try:
            from course_rnn.grading.spec import parse_instructor

            config = parse_instructor(p).config
        except FormatError as exc:
            problems.append(str(exc))
            continue
        with Sandbox(Limits.for_assignment(config, limits), jobs=jobs) as sandbox:
            try:
                assignment, found = validate(p, sandbox)
            except ReleaseError as exc:
                problems.append(str(exc))
                continue
        problems += found
        done.append((assignment, rel))
    if problems:
        raise ReleaseError("release refused:\n  " + "\n  ".join(problems))
    written = []
    for assignment, rel in done:
        nb = student_notebook(assignment.notebook)
        target = out / rel / assignment.notebook.path.name
        write_atomic(target, json.dumps(nb, ensure_ascii=False, indent=1) + "\n")
        checks = save_checks(assignment, target.with_name(f"{target.stem}.checks.npz"))
        written += [target, checks]
    return written
