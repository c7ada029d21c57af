"""An assignment, ready to grade: the instructor's solution run in the grader's own process.

Used by the exercises of every chapter (release, batch grading, and ``check()`` in an
instructor's notebook). ``load_assignment(path)`` reads an instructor notebook, runs its
code cells (solutions and the hidden wrong variants) in a fresh namespace of *this*
process, and computes every test: the inputs (seeded), the expected outputs (the
solution's), the outputs of each known wrong variant (for hints), and for gradient
questions the reference forward at every moved input. Nothing here runs submitted
code; that happens only in the sandbox (``course_rnn.grading.sandbox``).

When grading, ``load_assignment(path, salt=...)`` draws every public test again with a
seed mixed from its own and the run's salt (``spec.grading_seed``; ``new_salt()``
picks one), so the expected outputs a learner sees in ``NAME.checks.npz`` are not
those the grade depends on; ``check()`` and the release use the stored seeds.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_rnn.grading._worker import StepError, clean_cell, encode, perturbed_outputs, run_steps
from course_rnn.grading.judge import Case, probe_losses
from course_rnn.grading.spec import (
    CONCEPTUAL,
    FormatError,
    InstructorNotebook,
    QuestionSpec,
    cell_source,
    drawn_seed,
    graded_code_cells,
    make_inputs,
    parse_instructor,
)

SALT_MAX = 2**31  # salts are drawn below this: short enough to read and type in a regrade


def new_salt() -> int:
    """A fresh grading salt: a random integer in ``[0, 2**31)`` (record it to regrade)."""
    return secrets.randbelow(SALT_MAX)


@dataclass
class Assignment:
    """An instructor notebook with every test's inputs and expected outputs computed."""

    notebook: InstructorNotebook
    cases: dict = field(default_factory=dict)  # qid -> list of Case
    namespace: dict = field(default_factory=dict)
    salt: int | None = None  # the grading salt public tests were re-drawn with (None: stored)

    @property
    def id(self) -> str:
        """The assignment's id (the notebook's file name without ``.ipynb``)."""
        return self.notebook.id

    @property
    def lang(self) -> str:
        """The edition: "ko" or "en"."""
        return self.notebook.lang

    @property
    def questions(self) -> list:
        """The questions, in notebook order."""
        return self.notebook.questions

    def question(self, qid: str) -> QuestionSpec:
        """The question with id ``qid``."""
        return self.notebook.question(qid)

    @property
    def max_points(self) -> float:
        """Total points of the assignment."""
        return float(sum(q.points for q in self.questions))

    def calls(self, call_timeout: float) -> list:
        """Every test as a call for the sandbox (inputs as plain arrays), in order.

        ``call_timeout`` applies to every test of a question without its own ``timeout``.
        """
        out = []
        for q in self.questions:
            timeout = float(q.timeout or call_timeout)
            for case in self.cases[q.id]:
                out.append(call_for(q, case, timeout))
        return out


def encode_input(value) -> dict:
    """A trusted input for the sandbox: arrays as raw bytes, other literals as JSON."""
    if isinstance(value, np.ndarray):
        return encode(value)
    if value is None:
        return {"t": "none"}
    return {"t": "literal", "v": value}


def probe_spec(q: QuestionSpec) -> dict | None:
    """What the sandbox must run to give the numerical gradient of the forward."""
    gc = q.gradcheck
    if not gc:
        return None
    wrt = list(dict.fromkeys(gc["wrt"].values()))
    return {"steps": [gc["forward"]], "wrt": wrt, "out": list(gc["loss"]), "eps": gc["eps"]}


def call_for(q: QuestionSpec, case: Case, timeout: float) -> dict:
    """The sandbox call of one test."""
    if q.kind in CONCEPTUAL:
        return {"id": case.id, "kind": "variable", "name": q.variable, "timeout": timeout}
    call = {"id": case.id, "kind": "pipeline", "timeout": timeout, "steps": q.steps,
            "send": q.compare, "inputs": {k: encode_input(v) for k, v in case.inputs.items()}}
    probe = probe_spec(q)
    if probe:
        call["probe"] = probe
    return call


def noop_check(*args, **kwargs):
    """``check`` while the solution runs in the grader (the grader does the checking)."""
    return None


def run_cells(sources: list[str], where: str) -> dict:
    """Run the instructor's code cells in a fresh namespace; stop at the first error."""
    ns = {"__name__": "__main__", "__builtins__": builtins, "np": np, "numpy": np,
          "check": noop_check}
    for i, src in enumerate(sources):
        code = clean_cell(src)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"<{where} cell {i}>", "exec"), ns)
        except Exception as exc:
            raise FormatError(f"{where}: the instructor's code cell {i} raised "
                              f"{type(exc).__name__}: {exc}") from exc
    ns["check"] = noop_check
    return ns


def _plain(value, what: str) -> np.ndarray:
    if not isinstance(value, (np.ndarray, np.generic, int, float)):
        raise FormatError(f"{what} is a {type(value).__name__}; the grader compares arrays "
                          "(list the values in 'returns')")
    return np.array(value, subok=False)


def make_case(q: QuestionSpec, test, ns: dict, where: str, salt: int | None = None) -> Case:
    """Compute one test: inputs, the solution's outputs, the wrong variants' outputs.

    With a grading ``salt``, a public test's inputs are drawn again
    (``spec.grading_seed``) and its expected outputs computed from them here, as for
    hidden tests; ``None`` (``check()``, the release) keeps the stored seed.
    """
    case = Case(q.id, test.index, test.points, not test.hidden, dict(test.dims),
                drawn_seed(test, salt), name=test.name)
    if q.kind in CONCEPTUAL:
        if q.variable not in ns:
            raise FormatError(f"{where} {q.id}: the solution does not set {q.variable}")
        answer = ns[q.variable]
        if q.kind == "text":
            if not isinstance(answer, str):
                raise FormatError(f"{where} {q.id}: {q.variable} is a text question's answer: "
                                  f"a string, not {type(answer).__name__}")
            case.expected = {}  # graded by hand: the model answer never leaves this process
        elif q.kind == "choice":
            if str(answer).lower() not in [c.lower() for c in q.choices]:
                raise FormatError(f"{where} {q.id}: the answer {answer!r} is not among the choices")
            case.expected = {"answer": str(answer)}
        else:
            case.expected = {"answer": float(answer)}
        return case
    case.inputs = make_inputs(q, test, salt)
    label = f"{where} {q.id} test {test.index}"
    try:
        vals = run_steps(ns, q.steps, dict(_copy(case.inputs)))
    except StepError as exc:
        raise FormatError(f"{label}: {exc.kind} {exc.info}") from None
    except Exception as exc:
        raise FormatError(f"{label}: the solution raised {type(exc).__name__}: {exc}") from exc
    case.expected = {n: _plain(vals[n], f"{label}: {n}") for n in q.compare}
    for key, m in q.mistakes.items():
        if m["function"] not in ns:
            raise FormatError(f"{where} {q.id}: mistake {key!r} names {m['function']}, "
                              "which no cell defines")
        steps = [dict(st, function=m["function"]) if st["function"] == m["replaces"] else st
                 for st in q.steps]
        try:
            with np.errstate(all="ignore"):
                got = run_steps(ns, steps, dict(_copy(case.inputs)))
            # arrays, numpy scalars and Python numbers alike (a variant returning
            # np.float64 is a wrong answer like any other, with its hint)
            case.mistakes[key] = {n: np.array(got[n], subok=False) for n in q.compare
                                  if isinstance(got.get(n), (np.ndarray, np.generic, int, float))}
        except Exception:
            case.mistakes[key] = {}  # a variant that cannot run on these inputs gives no hint
    if q.gradcheck:
        probe = probe_spec(q)
        got = perturbed_outputs(ns, probe, _copy(case.inputs))
        case.ref_forward = {o: _plain(v, f"{label}: forward {o}") for o, v in got["base"].items()}
        upstream = {o: np.asarray(case.inputs[u], dtype=np.float64)
                    for o, u in q.gradcheck["loss"].items()}
        shapes = {o: e.shape for o, e in case.ref_forward.items()}
        case.ref_losses = probe_losses(got["moved"], upstream, shapes)
        if case.ref_losses is None:
            raise FormatError(f"{label}: the forward {q.gradcheck['forward']['function']} "
                              "returned something other than numbers or arrays of a fixed "
                              "shape when an input moved; the gradient check needs them")
    return case


def _copy(inputs: dict) -> dict:
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}


def load_assignment(path, salt: int | None = None) -> Assignment:
    """Read an instructor notebook and compute all its tests (see the module docstring).

    ``salt``: the grading run's salt (``new_salt()``); public tests are then drawn
    again from ``grading_seed(seed, salt)``. ``None`` keeps every stored seed.

    Raises ``FormatError`` with a message naming the cell, question or test when the
    notebook does not follow the format or its solution cannot run. Used by the
    exercises of every chapter (``course-rnn release`` and ``course-rnn grade``).
    """
    inb = parse_instructor(path)
    where = Path(path).name
    ns = run_cells(graded_code_cells(inb.nb), where)
    a = Assignment(inb, namespace=ns, salt=None if salt is None else int(salt))
    for q in inb.questions:
        if q.function and q.function not in ns:
            raise FormatError(f"{where} {q.id}: no cell defines {q.function}")
        a.cases[q.id] = [make_case(q, t, ns, where, salt) for t in q.tests]
    return a


def student_version_problem(path) -> str | None:
    """Why ``path`` is not an instructor notebook but a released student version, or None.

    A student version carries ``"version": "student"`` in its ``course_rnn`` metadata
    (``student_notebook`` writes it) or has no ``# QUESTION`` raw cell at all while
    naming an assignment. Release and grading need the instructor's notebook.
    """
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # parse_instructor says what is wrong with it
    info = (nb.get("metadata") or {}).get("course_rnn") if isinstance(nb, dict) else None
    if not isinstance(info, dict):
        return None
    has_questions = any(c.get("cell_type") == "raw"
                        and cell_source(c).lstrip().startswith("# QUESTION")
                        for c in nb.get("cells", []) if isinstance(c, dict))
    if info.get("version") == "student" or not has_questions:
        return (f"{path} is a student version of {info.get('assignment', 'an assignment')!r} "
                "(what learners get: no solutions, no '# QUESTION' cells, no hidden tests); "
                "expected the instructor's notebook, with its '# QUESTION' raw cells and "
                "solutions, e.g. exercises/en/NAME.ipynb")
    return None
