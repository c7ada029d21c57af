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
The files are byte for byte the same when nothing changed (``checks.write_npz``).

``make release`` releases ``exercises/`` into the package itself, ``released/ko`` and
``released/en`` beside this module (``release(..., replace=True)``): the student
notebooks that the book links to and ``load_checks`` finds without a second file. The
book's build releases again and refuses to go on when the two differ
(``release_differences``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from course_rnn.grading._worker import encode
from course_rnn.grading.assignment import load_assignment, student_version_problem
from course_rnn.grading.checks import read_checks_file, save_checks
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
PACKAGED = Path(__file__).resolve().parent / "released"  # make release writes it


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
            if t["status"] not in ("passed", "manual"):  # a free-text answer waits for its grader
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


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def release(source, out, limits: dict | None = None, jobs: int = 1,
            replace: bool = False) -> list[Path]:
    """Release one instructor notebook, or every one below a folder, into ``out``.

    ``exercises/en`` gives ``out/NAME.ipynb``; ``exercises`` gives ``out/ko/...`` and
    ``out/en/...``. Returns the paths written (each ``NAME.ipynb`` with its
    ``NAME.checks.npz``). Nothing is written unless every notebook passes every check:
    on any problem, ``ReleaseError`` lists them all. ``limits`` overrides the sandbox's
    limits as in ``grade_folder``. With ``replace``, ``out`` is replaced as a whole
    (files of notebooks that no longer exist go too), through a folder written beside it
    and renamed: a failed release leaves the old ``out`` as it was. An ``out`` equal to
    or inside the source folder (for one notebook: its own folder), or a source that is a
    student version, is refused
    before anything runs. Used by the exercises of every chapter.
    """
    source, out = Path(source), Path(out)
    folder = source if source.is_dir() else source.parent
    # a folder's release must not land inside it (a later release would take the student
    # versions for instructor ones); one notebook's must not land beside it (same file name)
    if _inside(out, folder) if source.is_dir() else out.resolve() == folder.resolve():
        raise ReleaseError(f"release refused: the output folder {out} is inside the source "
                           f"folder {folder}; the student versions would replace or mix with "
                           "the instructor notebooks (solutions lost). Choose an --out outside "
                           f"it, e.g. build/student")
    pairs = instructor_notebooks(source)
    if not pairs:
        raise ReleaseError(f"{source}: no instructor notebook found")
    students = [msg for p, _ in pairs if (msg := student_version_problem(p))]
    if students:
        raise ReleaseError("release refused:\n  " + "\n  ".join(students))
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
    if not replace:
        return _write(done, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    try:
        written = _write(done, staged)
        if out.exists():
            out.rename(old)
        try:
            staged.rename(out)
        except BaseException:
            if old.exists() and not out.exists():
                old.rename(out)  # the previous release stays in place
            raise
    finally:
        shutil.rmtree(staged, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return [out / p.relative_to(staged) for p in written]


def _write(done, out: Path) -> list[Path]:
    written = []
    for assignment, rel in done:
        nb = student_notebook(assignment.notebook)
        target = out / rel / assignment.notebook.path.name
        write_atomic(target, json.dumps(nb, ensure_ascii=False, indent=1) + "\n")
        checks = save_checks(assignment, target.with_name(f"{target.stem}.checks.npz"))
        written += [target, checks]
    return written


def _same(a, b, where: str, rtol: float, atol: float) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{where}: keys {list(a)} != {list(b)}"]
        return [d for k in a for d in _same(a[k], b[k], f"{where}.{k}", rtol, atol)]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in
                _same(x, y, f"{where}[{i}]", rtol, atol)]
    if isinstance(a, float) and isinstance(b, float):
        return [] if np.isclose(a, b, rtol=rtol, atol=atol) else [f"{where}: {a!r} != {b!r}"]
    return [] if a == b and type(a) is type(b) else [f"{where}: {a!r} != {b!r}"]


def checks_differences(a, b, rtol: float = 1e-9, atol: float = 1e-12) -> list[str]:
    """How two ``NAME.checks.npz`` differ: their manifests, then each array's dtype, shape
    and values. Floats agree within ``rtol``/``atol``: another CPU's BLAS kernel may move
    the last bits of a solution's output, which is not a change of the exercise."""
    (ma, xa), (mb, xb) = read_checks_file(a), read_checks_file(b)
    out = _same(ma, mb, "manifest", rtol, atol)
    if sorted(xa) != sorted(xb):
        return [*out, f"arrays {sorted(xa)} != {sorted(xb)}"]
    for key in sorted(xa):
        u, v = xa[key], xb[key]
        if u.dtype != v.dtype or u.shape != v.shape:
            out.append(f"array {key}: {u.dtype}{u.shape} != {v.dtype}{v.shape}")
        elif u.dtype.kind in "fc":
            if not np.allclose(u, v, rtol=rtol, atol=atol, equal_nan=True):
                out.append(f"array {key}: values differ (largest {np.max(np.abs(u - v)):.3g})")
        elif not np.array_equal(u, v):
            out.append(f"array {key}: values differ")
    return out


def release_differences(fresh, packaged) -> list[str]:
    """Files of two released folders that differ, one line each (empty: the same).

    Notebooks must be equal byte for byte; checks files as ``checks_differences`` says.
    """
    fresh, packaged = Path(fresh), Path(packaged)

    def files(folder):
        if not folder.is_dir():
            return set()
        return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
                if p.is_file() and not p.name.startswith(".")}

    a, b = files(fresh), files(packaged)
    out = [f"{name}: missing in {packaged}" for name in sorted(a - b)]
    out += [f"{name}: in {packaged} but no longer released" for name in sorted(b - a)]
    for name in sorted(a & b):
        if name.endswith(".checks.npz"):
            out += [f"{name}: {d}" for d in checks_differences(fresh / name, packaged / name)]
        elif (fresh / name).read_bytes() != (packaged / name).read_bytes():
            out.append(f"{name}: differs")
    return out
