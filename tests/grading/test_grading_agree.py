"""``check()`` agrees with the grader; the step messages show; free-text questions.

- An answer that uses a helper of the set-up cell, or ``course_rnn``, runs in the
  notebook but fails when graded (the grader runs no set-up cell and cannot import
  ``course_rnn``): ``check()`` fails it too, with the grader's words.
- A function that is not callable, or returns the wrong number of values, gets its own
  message, in Korean and English, from the grader and from ``check()``.
- A free-text question (``"kind": "text"``) records the answer, gives 0 points pending
  manual grading, and says so.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from course_rnn.grading._worker import encode
from course_rnn.grading.assignment import load_assignment
from course_rnn.grading.bench import make_submission, solution_sources
from course_rnn.grading.checks import Checks, grading_problems, load_checks
from course_rnn.grading.grade import grade_submission, read_submission
from course_rnn.grading.judge import error_result, judge
from course_rnn.grading.sandbox import Limits, Sandbox
from course_rnn.grading.spec import (
    MAX_TEXT,
    FormatError,
    parse_instructor,
    parse_question,
    student_notebook,
)

ROOT = Path(__file__).resolve().parents[2]
CH1 = ROOT / "exercises" / "en" / "01_recurrent_cell.ipynb"
SETUP_HELPER = "def act(a):\n    return np.tanh(a)\n"
USES_HELPER = ("def rnn_cell_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
               "    return act(x_t @ W_xh + h_prev @ W_hh + b_h)\n")
IMPORTS_INSIDE = ("def rnn_cell_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
                  "    from course_rnn.figures import style  # noqa\n"
                  "    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)\n")


def kernel(setup_extra: str = "", lang: str = "en") -> dict:
    """A notebook kernel's namespace after the set-up cell (with ``setup_extra`` in it)."""
    ns = {"__name__": "__main__"}
    code = ("import numpy as np\nfrom course_rnn.grading import load_checks\n" + setup_extra
            + f"check = load_checks('01_recurrent_cell', {lang!r}, folder={str(ROOT)!r})\n")
    exec(compile(code, "<setup>", "exec"), ns)
    return ns


def run_cell(ns: dict, source: str) -> None:
    exec(compile(source, "<cell>", "exec"), ns)


def grade_one(nb: dict, tmp: Path, lang: str = "en", path=CH1) -> dict:
    folder = tmp / "subs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "s.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    assignment = load_assignment(path)
    limits = Limits.for_assignment(assignment.notebook.config, {"call_timeout": 5.0})
    with Sandbox(limits, jobs=1) as sandbox:
        return grade_submission(assignment, sandbox, read_submission(folder / "s.ipynb", folder),
                                lang)


def q1_tests(fb: dict) -> list:
    return next(q for q in fb["questions"] if q["id"] == "q1")["tests"]


# ----------------------------------------------------------------------------- set-up, course_rnn


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_setup_helper_fails_in_check_as_in_the_grader(lang, tmp_path):
    ns = kernel(SETUP_HELPER, lang)
    run_cell(ns, USES_HELPER)
    checks = ns["check"]
    assert "act" in checks.setup and "np" not in checks.setup
    mine = checks.run("q1", ns)
    assert all(r.status == "error" and r.points == 0 for r in mine)
    # the grader: the set-up cell (with the helper) is not run, so the call raises NameError
    student = student_notebook(parse_instructor(CH1))
    setup = next(c for c in student["cells"] if c["cell_type"] == "code")
    setup["source"] = SETUP_HELPER + "".join(setup["source"])
    nb = make_submission(student, {**solution_sources(CH1), "rnn_cell_step": USES_HELPER})
    graded = q1_tests(grade_one(nb, tmp_path, lang))
    assert all(t["points"] == 0 for t in graded)
    for r in mine:  # the same words: the exception, then the same hint
        assert r.lines[0] == graded[0]["lines"][0]
        assert r.hints == graded[0]["hints"]
    expected = {"en": "the grader does not run the set-up cell",
                "ko": "채점기는 준비 셀을 실행하지 않으므로"}[lang]
    assert expected in mine[0].hints[0] and "`act`" in mine[0].hints[0]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        checks("q1", ns)
    assert "NameError" in out.getvalue() and expected in out.getvalue()


def test_a_name_redefined_in_an_answer_cell_is_not_flagged():
    ns = kernel(SETUP_HELPER)
    run_cell(ns, SETUP_HELPER + USES_HELPER)  # the learner's own cell defines act again
    assert all(r.passed for r in ns["check"].run("q1", ns))


@pytest.mark.parametrize("answer", [
    IMPORTS_INSIDE,
    "import course_rnn.grading.judge as J\n" + USES_HELPER.replace("act(", "J.np.tanh("),
    "from course_rnn.grading.judge import rel_error as rnn_cell_step\n",
])
def test_course_rnn_in_an_answer_is_flagged(answer):
    ns = kernel()
    run_cell(ns, answer)
    results = ns["check"].run("q1", ns)
    for r in results:
        assert r.status == "error" and r.points == 0
        assert r.lines[0] == "`rnn_cell_step` raised ModuleNotFoundError: No module named " \
                             "'course_rnn'"
        assert "course_rnn package, which is not there" in r.hints[0]


def test_a_variable_set_in_a_cell_that_imports_course_rnn_is_flagged():
    ns = kernel()
    cell = "from course_rnn.grading import spec\nq4_answer = 10 * 32 + 32 * 32 + 32\n"
    run_cell(ns, cell)
    ns["In"] = ["", "import numpy as np\ncheck = load_checks('x')", cell]  # IPython's history
    q = ns["check"].questions["q4"]
    assert grading_problems(q, ns, ns["check"].setup) == ("course_rnn", "q4_answer", "course_rnn")
    ns["In"].append("q4_answer = 10 * 32 + 32 * 32 + 32\n")  # answered again, without it
    assert grading_problems(q, ns, ns["check"].setup) is None


def test_the_grader_says_why_course_rnn_fails(tmp_path):
    student = student_notebook(parse_instructor(CH1))
    nb = make_submission(student, {**solution_sources(CH1), "rnn_cell_step": IMPORTS_INSIDE})
    graded = q1_tests(grade_one(nb, tmp_path))
    ns = kernel()
    run_cell(ns, IMPORTS_INSIDE)
    mine = ns["check"].run("q1", ns)
    assert graded[0]["lines"][0] == mine[0].lines[0]
    assert graded[0]["hints"] == mine[0].hints


# ----------------------------------------------------------------------------- step messages


@pytest.mark.parametrize("lang, not_callable, returns", [
    ("en", "`time_rnn_forward_lengths` is a int, not a function.",
     "`time_rnn_forward_lengths` should return 2 values (hs, h_last); it returned 1."),
    ("ko", "`time_rnn_forward_lengths`이(가) 함수가 아니라 int입니다.",
     "`time_rnn_forward_lengths`은(는) 값 2개(hs, h_last)를 돌려주어야 하는데 1개를"),
])
def test_step_messages_show_in_check_and_in_the_grader(lang, not_callable, returns):
    checks = load_checks("01_recurrent_cell", lang, folder=ROOT / "src" / "course_rnn" /
                         "grading" / "released" / lang)
    q, case = checks.questions["q3"], checks.cases["q3"][0]
    said = checks.run("q3", {"time_rnn_forward_lengths": 3})[0]
    assert said.lines == [not_callable] and said.status == "missing"
    said = checks.run("q3", {"time_rnn_forward_lengths": lambda *a: a[0]})[0]
    assert said.lines[0].startswith(returns) and said.status == "error"
    # the grader's message from the worker, whichever key holds the called value's type
    for error in ({"type": "int", "kind": "not_callable", "function": q.function, "step": 0},
                  {"type": "StepError", "kind": "not_callable", "function": q.function,
                   "type_name": "int", "step": 0}):
        assert error_result(q, case, error, lang).lines == [not_callable]
    for error in ({"type": "ndarray", "kind": "returns", "function": q.function,
                   "expected": ["hs", "h_last"], "got": 1, "step": 0},
                  {"type": "StepError", "kind": "returns", "function": q.function,
                   "expected": ["hs", "h_last"], "got": 1, "type_name": "ndarray", "step": 0}):
        assert error_result(q, case, error, lang).lines[0].startswith(returns)


def test_step_messages_show_when_graded(tmp_path):
    student = student_notebook(parse_instructor(CH1))
    nb = make_submission(student, {**solution_sources(CH1), "rnn_cell_step": "rnn_cell_step = 3\n",
                                   "time_rnn_forward_lengths":
                                   "def time_rnn_forward_lengths(*args):\n    return args[0]\n"})
    fb = grade_one(nb, tmp_path)
    q = {x["id"]: x for x in fb["questions"]}
    assert q["q1"]["tests"][0]["lines"] == ["`rnn_cell_step` is a int, not a function."]
    assert q["q3"]["tests"][0]["lines"][0].startswith(
        "`time_rnn_forward_lengths` should return 2 values (hs, h_last); it returned 1.")


# ----------------------------------------------------------------------------- free text


def text_notebook(tmp: Path) -> Path:
    """A small instructor notebook: one function question and one free-text question."""
    def cell(kind, src, **extra):
        c = {"cell_type": kind, "metadata": {}, "source": src, **extra}
        if kind == "code":
            c.update(outputs=[], execution_count=None)
        return c

    cells = [
        cell("code", "import numpy as np\nfrom course_rnn.grading import load_checks\n"
                     "check = load_checks('textq', 'en')\n"),
        cell("raw", '# QUESTION q1\n{"function": "double", "args": {"x": "normal(N)"}, '
                    '"returns": ["y"], "tests": [{"dims": {"N": 3}, "seed": 1, "points": 1}]}'),
        cell("code", "def double(x):\n    return 2 * x  # SOLUTION\n"),
        cell("code", 'check("q1")\n'),
        cell("raw", '# QUESTION q2\n{"kind": "text", "variable": "q2_answer", "points": 2}'),
        cell("code", 'q2_answer = "The gradient vanishes because |W| < 1."  # SOLUTION\n'),
        cell("code", 'check("q2")\n'),
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp / "en" / "textq.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_text_question_spec():
    q = parse_question("q7", {"kind": "text", "variable": "q7_answer", "points": 2})
    assert q.kind == "text" and q.points == 2 and q.variable == "q7_answer"
    with pytest.raises(FormatError, match="text question takes kind, variable, points"):
        parse_question("q7", {"kind": "text", "variable": "q7_answer", "choices": ["a", "b"]})
    with pytest.raises(FormatError, match="names its 'variable'"):
        parse_question("q7", {"kind": "text", "variable": "not a name", "points": 1})


@pytest.mark.parametrize("lang, words", [("en", "graded by hand"), ("ko", "직접 채점하는 문제")])
def test_text_questions_are_recorded_for_manual_grading(tmp_path, lang, words):
    path = text_notebook(tmp_path)
    assignment = load_assignment(path)
    q = assignment.question("q2")
    case = assignment.cases["q2"][0]
    assert case.expected == {}  # the model answer stays with the instructor
    student = student_notebook(assignment.notebook)
    sources = ["".join(c["source"]) for c in student["cells"] if c["cell_type"] == "code"]
    assert 'q2_answer = ""' in sources and not any("vanishes" in s for s in sources)
    # check(): graded by hand, with the answer's length; an empty string is unanswered
    checks = Checks.from_assignment(assignment, lang)
    answer = "x" * (MAX_TEXT + 100)
    r = checks.run("q2", {"q2_answer": answer})[0]
    assert r.status == "manual" and r.points == 0 and r.max_points == 2
    assert r.answer == "x" * MAX_TEXT and f"{MAX_TEXT + 100}" in r.lines[0] and words in r.lines[0]
    assert words in checks.report("q2", [r]) and "✗" not in checks.report("q2", [r])
    assert checks.run("q2", {"q2_answer": ""})[0].status == "unanswered"
    assert checks.run("q2", {"q2_answer": 3})[0].status == "invalid"
    # the grader, from a worker's message
    msg = {"outputs": {"q2_answer": encode("Because the spectral radius is below one.")}}
    r = judge(q, case, msg, lang)
    assert (r.status, r.points, r.answer) == ("manual", 0.0,
                                              "Because the spectral radius is below one.")


def test_text_questions_in_the_sandbox(tmp_path):
    path = text_notebook(tmp_path)
    student = student_notebook(parse_instructor(path))
    nb = make_submission(student, {"double": "def double(x):\n    return 2 * x\n",
                                   "q2_answer": 'q2_answer = "Because |W| < 1."\n'})
    fb = grade_one(nb, tmp_path, "en", path)
    q = {x["id"]: x for x in fb["questions"]}
    assert q["q1"]["points"] == 1 and q["q2"]["points"] == 0 and q["q2"]["max_points"] == 2
    t = q["q2"]["tests"][0]
    assert t["status"] == "manual" and t["answer"] == "Because |W| < 1."
    assert "graded by hand" in t["lines"][0]
