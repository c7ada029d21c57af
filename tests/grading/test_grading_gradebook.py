"""Batch grading: gradient questions in the sandbox, the gradebook, feedback, reruns, crashes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import course_rnn.grading.grade as grade_module
from course_rnn.grading.bench import make_submission, solution_sources
from course_rnn.grading.cli import main
from course_rnn.grading.grade import grade_folder
from course_rnn.grading.release import release

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "grading" / "grading_fixtures" / "bptt_step.ipynb"
CH1_KO = ROOT / "exercises" / "ko" / "01_recurrent_cell.ipynb"
LIMITS = {"cell_timeout": 2.0, "call_timeout": 2.0, "budget": 20.0}

NO_DERIVATIVE = '''def tanh_step_backward(dh_next, x_t, h_prev, W_xh, W_hh, b_h):
    da = dh_next
    return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''
# A forward that answers the gradient check's nearby inputs with the output at the test's
# own input, so that the numerical gradient of "its" forward is zero, like its backward.
PROBE_CHEAT_FORWARD = '''_seen = {}
def tanh_step(x_t, h_prev, W_xh, W_hh, b_h):
    key = (x_t.shape, W_hh.shape)
    if key in _seen:
        x0, out = _seen[key]
        if not np.array_equal(x0, x_t) and np.allclose(x0, x_t, atol=1e-3):
            return out
    out = np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)
    _seen[key] = (x_t.copy(), out)
    return out
'''
PROBE_CHEAT_BACKWARD = '''def tanh_step_backward(dh_next, x_t, h_prev, W_xh, W_hh, b_h):
    return (np.zeros_like(x_t), np.zeros_like(h_prev), np.zeros_like(W_xh),
            np.zeros_like(W_hh), np.zeros_like(b_h))
'''


def write(folder: Path, name: str, nb: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


@pytest.fixture(scope="module")
def fixture_class(tmp_path_factory):
    """The gradient fixture released, and three submissions graded."""
    tmp = tmp_path_factory.mktemp("gradients")
    release(FIXTURE, tmp / "student")
    student = json.loads((tmp / "student" / FIXTURE.name).read_text(encoding="utf-8"))
    good = solution_sources(FIXTURE)
    write(tmp / "subs", "right", make_submission(student, good))
    wrong = {**good, "tanh_step_backward": NO_DERIVATIVE}
    write(tmp / "subs", "no_derivative", make_submission(student, wrong))
    write(tmp / "subs", "probe_cheat", make_submission(student, {
        **good, "tanh_step": None, "tanh_step_backward": PROBE_CHEAT_BACKWARD},
        before=[PROBE_CHEAT_FORWARD]))
    fbs = grade_folder(FIXTURE, tmp / "subs", tmp / "grades.csv", limits=LIMITS, jobs=2,
                       progress=False)
    return {f["student"]: f for f in fbs}


def q(fb, qid):
    return next(x for x in fb["questions"] if x["id"] == qid)


def test_gradient_questions_grade_a_right_backward(fixture_class):
    fb = fixture_class["right"]
    assert fb["score"] == fb["max_score"] == 8


def test_gradient_questions_explain_a_missing_derivative(fixture_class):
    fb = fixture_class["no_derivative"]
    assert q(fb, "q2")["points"] == 0 and fb["score"] == 4
    test = q(fb, "q2")["tests"][0]
    assert "relative error" in test["lines"][0] and "(1 - h²)" in test["hints"][0]


def test_a_forward_cannot_answer_the_gradient_check_differently(fixture_class):
    fb = fixture_class["probe_cheat"]
    assert q(fb, "q1")["points"] == 2  # its forward itself is right
    assert q(fb, "q2")["points"] == 0
    said = q(fb, "q2")["tests"][0]["lines"][0]
    assert "disagrees with the reference near the test's input" in said


# ----------------------------------------------------------------------------- the gradebook


@pytest.fixture()
def small_class(tmp_path):
    """Chapter 1 (Korean edition): one right, one wrong, one unanswered submission."""
    release(CH1_KO, tmp_path / "student")
    student = json.loads((tmp_path / "student" / CH1_KO.name).read_text(encoding="utf-8"))
    good = solution_sources(CH1_KO)
    subs = tmp_path / "subs"
    write(subs / "kim", "01_recurrent_cell", make_submission(student, good))
    write(subs / "lee", "01_recurrent_cell", make_submission(student, {
        **good, "q5_answer": "q5_answer = 'c'\n"}))
    write(subs / "park", "01_recurrent_cell", student)
    return tmp_path


def read_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_gradebook_rows_and_korean_feedback(small_class):
    out = small_class / "grades.csv"
    fbs = grade_folder(CH1_KO, small_class / "subs", out, limits=LIMITS, jobs=2, progress=False)
    rows = read_rows(out)
    assert [(r["student"], r["total"], r["status"]) for r in rows] == [
        ("kim/01_recurrent_cell", "14", "graded"), ("lee/01_recurrent_cell", "13", "graded"),
        ("park/01_recurrent_cell", "0", "graded")]
    park = json.loads((small_class / "grades_feedback" / "park__01_recurrent_cell.json")
                      .read_text(encoding="utf-8"))
    assert park["lang"] == "ko"
    assert "아직 답을 쓰지 않았습니다" in park["questions"][0]["tests"][0]["lines"][0]
    assert "아직 답하지 않았습니다" in park["questions"][3]["tests"][0]["lines"][0]
    assert "정답이 아닙니다" in fbs[1]["questions"][4]["tests"][0]["lines"][0]


def test_a_rerun_gives_the_same_gradebook(small_class):
    out = small_class / "grades.csv"
    grade_folder(CH1_KO, small_class / "subs", out, limits=LIMITS, jobs=2, progress=False)
    first = out.read_bytes()
    grade_folder(CH1_KO, small_class / "subs", out, limits=LIMITS, jobs=1, progress=False)
    assert out.read_bytes() == first


def test_a_crash_halfway_leaves_the_previous_gradebook(small_class, monkeypatch):
    out = small_class / "grades.csv"
    grade_folder(CH1_KO, small_class / "subs", out, limits=LIMITS, jobs=2, progress=False)
    before = out.read_bytes()
    real = grade_module.grade_submission

    def crash(assignment, sandbox, sub, lang=None):
        if sub.student.startswith("lee"):
            raise KeyboardInterrupt  # the instructor's Ctrl-C, or the machine going down
        return real(assignment, sandbox, sub, lang)

    monkeypatch.setattr(grade_module, "grade_submission", crash)
    (small_class / "subs" / "kim" / "01_recurrent_cell.ipynb").write_text("{}")  # would change
    with pytest.raises(KeyboardInterrupt):
        grade_folder(CH1_KO, small_class / "subs", out, limits=LIMITS, jobs=1, progress=False)
    assert out.read_bytes() == before
    assert [p.name for p in small_class.iterdir() if p.name.startswith(".")] == []


def test_a_grader_bug_costs_no_grade(small_class, monkeypatch):
    real = grade_module.grade_submission

    def buggy(assignment, sandbox, sub, lang=None):
        if sub.student.startswith("lee"):
            raise RuntimeError("a bug in the grader")
        return real(assignment, sandbox, sub, lang)

    monkeypatch.setattr(grade_module, "grade_submission", buggy)
    out = small_class / "grades.csv"
    grade_folder(CH1_KO, small_class / "subs", out, limits=LIMITS, jobs=2, progress=False)
    rows = {r["student"]: r for r in read_rows(out)}
    assert rows["lee/01_recurrent_cell"]["status"] == "grader_error"
    assert "a bug in the grader" in rows["lee/01_recurrent_cell"]["note"]
    assert rows["kim/01_recurrent_cell"]["total"] == "14"


def test_the_command_line(small_class, capsys):
    out = small_class / "book.csv"
    code = main(["grade", str(small_class / "subs"), "--assignment", str(CH1_KO), "--out",
                 str(out), "--quiet", "--call-timeout", "2", "--lang", "en"])
    assert code == 0
    said = capsys.readouterr().out
    assert "graded 3 submission(s)" in said and "graded 3" in said
    park = json.loads((small_class / "book_feedback" / "park__01_recurrent_cell.json").read_text())
    assert "not answered yet" in park["questions"][0]["tests"][0]["lines"][0]
    assert main(["grade", str(small_class / "nowhere"), "--assignment", str(CH1_KO),
                 "--out", str(out)]) == 2
