"""The exercise format: questions, generators, solution markers, and the release's refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from course_rnn.grading.cli import main
from course_rnn.grading.messages import MESSAGES, REASONS, say
from course_rnn.grading.release import ReleaseError, release
from course_rnn.grading.spec import (
    FormatError,
    generate,
    graded_code_cells,
    make_inputs,
    parse_instructor,
    parse_question,
    strip_solutions,
    student_notebook,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "grading" / "grading_fixtures" / "bptt_step.ipynb"
CH1 = ROOT / "exercises" / "en" / "01_recurrent_cell.ipynb"


# ----------------------------------------------------------------------------- generators


def test_generators_follow_the_sizes_and_the_seed():
    dims = {"N": 2, "D": 3, "H": 4}
    rng = np.random.default_rng(0)
    w = generate("normal(D + H, H, scale=0.5)", dims, rng)
    assert w.shape == (7, 4) and w.dtype == np.float64
    u = generate("uniform(N, H, low=-1, high=1)", dims, rng)
    assert u.min() >= -1 and u.max() <= 1
    i = generate("integers(N, D, low=0, high=5)", dims, rng)
    assert i.dtype == np.int64 and i.max() < 5
    assert generate("zeros(H, dtype='float32')", dims, rng).dtype == np.float32
    assert generate(None, dims, rng) is None and generate("tanh", dims, rng) == "tanh"
    a = generate("normal(N, D)", dims, np.random.default_rng(5))
    b = generate("normal(N, D)", dims, np.random.default_rng(5))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("bad", ["normal(N, Q)", "exec('1')", "normal(N, D, sigma=2)",
                                 "normal(N, __import__('os'))"])
def test_generators_reject_anything_else(bad):
    with pytest.raises(FormatError):
        generate(bad, {"N": 2, "D": 3}, np.random.default_rng(0))


def test_a_test_can_override_an_argument():
    test = {"dims": {"N": 3}, "seed": 1, "points": 1, "args": {"h0": None}}
    q = parse_question("q1", {"function": "f", "args": {"x": "normal(N)", "h0": "normal(N)"},
                              "returns": ["y"], "tests": [test]})
    inputs = make_inputs(q, q.tests[0])
    assert inputs["h0"] is None and inputs["x"].shape == (3,)


# ----------------------------------------------------------------------------- questions


@pytest.mark.parametrize("raw, message", [
    ({"function": "f", "args": {}, "returns": ["y"]}, "tests"),
    ({"function": "f", "args": {}, "returns": ["y"], "tests": [{"points": 1, "hidden": True}]},
     "public"),
    ({"function": "f", "args": {}, "returns": ["y"], "tests": [{"seed": 1}]}, "points"),
    ({"function": "f", "args": {}, "tests": [{"points": 1}], "colour": "red"}, "unknown key"),
    ({"kind": "choice", "variable": "a", "choices": ["x"]}, "choices"),
    ({"function": "f", "args": {"x": "normal(N)"}, "returns": ["y"], "compare": ["z"],
      "tests": [{"points": 1}]}, "compare"),
    ({"function": "f", "args": {"x": "normal(N)"}, "returns": ["dx"], "tests": [{"points": 1}],
      "gradcheck": {"forward": {"function": "g", "args": ["x"], "returns": ["y"]},
                    "loss": {"y": "dy"}, "wrt": {"dx": "x"}}}, "gradcheck.loss"),
])
def test_malformed_questions_are_refused_with_a_reason(raw, message):
    with pytest.raises(FormatError, match=message):
        parse_question("q1", raw)


def test_the_chapter_1_notebook_parses():
    inb = parse_instructor(CH1)
    assert inb.id == "01_recurrent_cell" and inb.lang == "en"
    assert [q.id for q in inb.questions] == ["q1", "q2", "q3", "q4", "q5"]
    assert inb.question("q3").compare == ["hs", "h_last"]
    assert inb.config == {"cell_timeout": 5, "call_timeout": 2}
    assert sum(q.points for q in inb.questions) == 14


# ----------------------------------------------------------------------------- markers


def test_solution_regions_become_prompts():
    src = ("def f(x):\n    \"\"\"doc\"\"\"\n    # BEGIN SOLUTION\n    y = x + 1\n    return y\n"
           "    # END SOLUTION\n\nanswer = 42  # SOLUTION\n"
           "# BEGIN SOLUTION\nz = 1\n# END SOLUTION\n"
           "# BEGIN SOLUTION NO PROMPT\nsecret = 2\n# END SOLUTION\nkept = 3\n")
    out = strip_solutions(src, "en")
    assert "y = x + 1" not in out and "secret" not in out and "z = 1" not in out
    assert "    # YOUR CODE HERE\n    raise NotImplementedError" in out
    assert "answer = ..." in out and "\n...\n" in out and "kept = 3" in out
    assert "# 여기에 코드를 쓰세요" in strip_solutions(src, "ko")


def test_the_student_notebook_keeps_no_secret():
    inb = parse_instructor(FIXTURE)
    nb = student_notebook(inb)
    text = json.dumps(nb)
    assert "BEGIN SOLUTION" not in text and "QUESTION" not in text
    assert "q2_no_derivative" not in text
    assert "1 - h_next ** 2" not in text
    assert nb["metadata"]["course_rnn"] == {"assignment": "bptt_step", "lang": "en",
                                             "version": "student", "questions": ["q1", "q2", "q3"]}
    assert all(c.get("outputs", []) == [] for c in nb["cells"] if c["cell_type"] == "code")
    cells = graded_code_cells(nb)
    assert not any("load_checks" in c for c in cells)  # the set-up cell is not graded


def test_unbalanced_markers_are_refused(tmp_path):
    nb = json.loads(FIXTURE.read_text())
    cell = next(c for c in nb["cells"] if "def tanh_step(" in "".join(c["source"]))
    cell["source"] = "".join(cell["source"]).replace("# END SOLUTION", "")
    bad = tmp_path / "bptt_step.ipynb"
    bad.write_text(json.dumps(nb))
    with pytest.raises(FormatError, match="BEGIN SOLUTION without END"):
        parse_instructor(bad)


# ----------------------------------------------------------------------------- release


def _with_solution(tmp_path, old: str, new: str, name="bptt_step.ipynb") -> Path:
    nb = json.loads(FIXTURE.read_text())
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell["source"] = src.replace(old, new)
    path = tmp_path / name
    path.write_text(json.dumps(nb))
    return path


def test_release_writes_the_notebook_and_its_checks(tmp_path):
    written = release(FIXTURE, tmp_path / "out")
    assert sorted(p.name for p in written) == ["bptt_step.checks.npz", "bptt_step.ipynb"]
    with np.load(tmp_path / "out" / "bptt_step.checks.npz", allow_pickle=False) as data:
        manifest = json.loads(bytes(data["__manifest__"]).decode())
    cases = [c for q in manifest["questions"] for c in q["cases"]]
    assert all(c["public"] for c in cases)  # hidden tests stay with the instructor
    assert manifest["questions"][1]["hidden"] == {"count": 1, "points": 2.0}


def test_release_refuses_a_solution_that_fails_a_test(tmp_path, capsys):
    bad = _with_solution(tmp_path, "da = dh_next * (1 - h_next ** 2)",
                         "da = dh_next * (1 - h_next)")
    out = tmp_path / "out"
    assert main(["release", str(bad), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "release refused" in err and "q2 test 1" in err and "relative error" in err
    assert "the instructor's solution fails its own test" in err
    assert not out.exists()


def test_release_refuses_a_solution_that_crashes(tmp_path):
    bad = _with_solution(tmp_path, "return x @ W + b, (x, W)", "return x @ W + b + undefined, 0")
    with pytest.raises(ReleaseError, match="q3 test 0: the solution raised NameError"):
        release(bad, tmp_path / "out")


def test_release_refuses_an_unmarked_solution(tmp_path):
    marked = ("    # BEGIN SOLUTION\n    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)\n"
              "    # END SOLUTION")
    bad = _with_solution(tmp_path, marked, "    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)")
    with pytest.raises(ReleaseError, match="q1 test 1 passes in the student version"):
        release(bad, tmp_path / "out")


def test_release_refuses_a_mistake_that_passes(tmp_path):
    variant = ("def q3_db_not_summed(dout, cache):\n    x, W = cache\n"
               "    return dout @ W.T, x.T @ dout, dout")
    bad = _with_solution(tmp_path, variant, variant + ".sum(axis=0)")
    with pytest.raises(ReleaseError, match="wrong variant 'db_not_summed' passes every test"):
        release(bad, tmp_path / "out")


def test_release_refuses_a_solution_that_needs_course_rnn(tmp_path):
    bad = _with_solution(tmp_path, "    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)\n",
                         "    from course_rnn.rnn import rnn_step_forward\n"
                         "    return rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h)[0]\n")
    with pytest.raises(ReleaseError, match="No module named 'course_rnn'"):
        release(bad, tmp_path / "out")


@pytest.mark.slow
def test_release_of_a_tree_keeps_the_editions_apart(tmp_path):
    written = release(ROOT / "exercises", tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {"ko/01_recurrent_cell.ipynb", "en/01_recurrent_cell.checks.npz"} <= names


# ----------------------------------------------------------------------------- messages


def test_every_message_exists_in_both_languages_with_the_same_fields():
    import string

    for key, table in {**MESSAGES, **REASONS}.items():
        assert set(table) == {"ko", "en"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in table.values()]
        assert fields[0] == fields[1], key


def test_say_never_raises():
    assert "q9" in say("unknown_question", "ko", qid="q9", ids="q1")
    assert say("values", "en") .startswith("{name}")  # a missing field shows the template
