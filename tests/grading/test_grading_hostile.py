"""Hostile and broken submissions: each gets a clear per-question result, none stops the run.

One class of chapter 1's exercises is graded once (in parallel, with short time limits),
two correct students framing the hostile ones; every case is then checked on its own.
A case passes when the hostile submission loses exactly the points of what it broke,
says why, and leaves every other grade, every file outside its folder and the
machine's process table as they were.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import pytest

from _helpers_grading import chapter1_class
from course_rnn.grading import sandbox as sandbox_module
from course_rnn.grading.bench import make_submission
from course_rnn.grading.grade import feedback_name, grade_folder
from course_rnn.grading.sandbox import UID_BASE, UID_SPAN

ROOT = Path(__file__).resolve().parents[2]
INSTRUCTOR = ROOT / "exercises" / "en" / "01_recurrent_cell.ipynb"
LIMITS = {"cell_timeout": 2.0, "call_timeout": 1.0, "budget": 25.0}
FULL = {"q1": 4.0, "q2": 3.0, "q3": 5.0, "q4": 1.0, "q5": 1.0}
LINUX = sys.platform.startswith("linux")
pytestmark = pytest.mark.slow  # every test reads the class graded once (7-13 s)



def q2(body: str) -> dict:
    """Replace question 2's function by one with this body."""
    src = "def rnn_cell_step_stacked(x_t, h_prev, W, b_h):\n" + "".join(
        "    " + line + "\n" for line in body.strip("\n").splitlines())
    return {"rnn_cell_step_stacked": src}


def q1(body: str) -> dict:
    """Replace question 1's function by one with this body."""
    src = "def rnn_cell_step(x_t, h_prev, W_xh, W_hh, b_h):\n" + "".join(
        "    " + line + "\n" for line in body.strip("\n").splitlines())
    return {"rnn_cell_step": src}


FORK_BOMB = '''import os, time
forked, failure = 0, None
for i in range(300):            # bounded: at most 300 children, each gone within 3 s
    try:
        pid = os.fork()
    except OSError as exc:
        failure = exc
        break
    if pid == 0:
        time.sleep(3)
        os._exit(0)
    forked += 1
print("forked", forked, "children;", repr(failure))
if failure is not None:
    raise failure
'''


def cases(paths: dict) -> dict:
    """Every hostile submission: ``{name: (kind, spec)}`` (see ``build``)."""
    leak = paths["leak"]
    return {
        "a_correct": ("nb", {}),
        "not_json": ("raw", b'{"cells": [ this is not json'),
        "other_assignment": ("nb", {"assignment": "02_kinds_of_rnn"}),
        "missing_function": ("nb", {"replace": {"rnn_cell_step": None}}),
        "syntax_error": ("nb", {"replace": {"rnn_cell_step":
                                            "def rnn_cell_step(x_t, h_prev, W_xh, W_hh, b_h)\n"
                                            "    return x_t\n"}}),
        "import_exception": ("nb", {"before": ["raise RuntimeError('boom at import')\n"]}),
        "loop_top": ("nb", {"before": ["while True:\n    pass\n"]}),
        "loop_top_ignores_alarm": ("nb", {"before": [
            "import signal\nsignal.signal(signal.SIGPROF, signal.SIG_IGN)\n"
            "while True:\n    pass\n"]}),
        "loop_function": ("nb", {"replace": q2("while True:\n    pass")}),
        "loop_function_ignores_alarm": ("nb", {"replace": q2(
            "while True:\n    try:\n        while True:\n            pass\n"
            "    except BaseException:\n        pass")}),
        "os_exit_top": ("nb", {"before": ["import os\nos._exit(3)\n"]}),
        "os_exit_function": ("nb", {"replace": q2("import os\nos._exit(0)")}),
        "sys_exit_top": ("nb", {"before": ["import sys\nsys.exit(1)\n"]}),
        "sys_exit_function": ("nb", {"replace": q2("import sys\nsys.exit(2)")}),
        "alloc_8gb_top": ("nb", {"before": ["big = np.ones(10**9)  # 8 GB\n"]}),
        "alloc_8gb_function": ("nb", {"replace": q2("big = np.ones(10**9)\nreturn big[:1]")}),
        "fork_bomb": ("nb", {"before": [FORK_BOMB]}),
        "print_flood": ("nb", {"before": ["for i in range(200_000):\n    print('x' * 100)\n"],
                               "replace": q1("print('y' * 100_000)\n"
                                             "return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)")}),
        "write_outside": ("nb", {"before": [
            f"open({str(leak / 'pwned.txt')!r}, 'w').write('pwned')\n",
            f"open({str(paths['victim'])!r}, 'w').write('{{}}')\n",
            f"open({str(paths['gradebook'])!r}, 'w').write('student,total\\nme,999\\n')\n",
            f"import os\nos.makedirs({str(leak / 'pwned_dir')!r})\n",
            "import os\nos.symlink('/etc', 'etc_link')\n"
            "open('etc_link/pwned', 'w').write('x')\n"]}),
        "read_hidden": ("nb", {
            "before": [
                "import os\nprint(open(f'/proc/{os.getppid()}/cmdline').read())\n",
                f"print(open({str(INSTRUCTOR)!r}).read()[:100])\n",
                f"print(os.listdir({str(INSTRUCTOR.parent)!r}))\n",
            ],
            # a cheat that returns the right answer only if it could read the solutions
            "replace": q1(f"try:\n    text = open({str(INSTRUCTOR)!r}).read()\n"
                          "except OSError:\n    return np.zeros((x_t.shape[0], W_hh.shape[0]))\n"
                          "assert 'BEGIN SOLUTION' in text\n"
                          "return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)")}),
        "reference_import": ("nb", {"replace": q1(
            "from course_rnn.rnn import rnn_step_forward\n"
            "return rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h)[0]")}),
        "patch_numpy": ("nb", {
            "before": ["np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
                       "np.array_equal = lambda *a, **k: True\n"
                       "np.testing.assert_allclose = lambda *a, **k: None\n"
                       "import builtins\nbuiltins.abs = lambda x: 0\n"
                       "np.ndarray.__eq__ = lambda self, other: True\n"],
            "replace": {**q1("return np.zeros((x_t.shape[0], W_hh.shape[0]))"),
                        **q2("return np.zeros((x_t.shape[0], W.shape[1]))"),
                        "time_rnn_forward_lengths": "def time_rnn_forward_lengths(xs, lengths, h0, "
                        "W_xh, W_hh, b_h):\n"
                        "    return np.zeros(xs.shape[:2] + (W_hh.shape[0],)), 0\n"}}),
        "patch_grader": ("nb", {
            "before": ["import __main__\n"
                       "__main__.encode = lambda value, depth=0: {'t': 'array', 'dtype': '<f8',"
                       " 'shape': [], 'data': 'AAAAAAAAAAA='}\n"
                       "__main__.run_steps = lambda *a, **k: {}\n",
                       "import course_rnn.grading\n"],
            "replace": q1("return np.zeros((x_t.shape[0], W_hh.shape[0]))")}),
        "forge_channel": ("nb", {"before": [
            "import os, sys\nfd = int(sys.argv[1])  # the worker's channel to the grader\n"
            "os.write(fd, b'{\"ev\": \"result\", \"id\": \"q1/0\", \"outputs\": {}}\\n')\n"
            "os.write(fd, b'{\"ev\": \"done\"}\\n')\n",
            "import os, sys\nos.write(int(sys.argv[1]), b'not json at all\\n')\n"]}),
        "subclass_eq": ("nb", {
            "before": ["class Always(np.ndarray):\n"
                       "    def __eq__(self, other):\n        return True\n"
                       "    def __array__(self, *a, **k):\n"
                       "        return np.asarray(self.view(np.ndarray) * 0 + 1)\n"],
            "replace": q1("return np.zeros((x_t.shape[0], W_hh.shape[0])).view(Always)")}),
        "returns_nan": ("nb", {"replace": q1("return np.full((len(x_t), len(W_hh)), np.nan)")}),
        "wrong_dtype": ("nb", {"replace": q1(
            "return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h).astype(np.float32)")}),
        "wrong_shape": ("nb", {"replace": q1(
            "return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h).T")}),
        "z_correct": ("nb", {}),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release chapter 1, build every hostile submission, grade the class once."""
    tmp = tmp_path_factory.mktemp("hostile")
    student, good, subs = chapter1_class(tmp)
    leak = tmp / "leak"
    leak.mkdir()
    os.chmod(leak, 0o777)  # writable by anyone: only the sandbox can stop a write
    os.chmod(tmp, 0o755)
    paths = {"leak": leak, "victim": subs / "a_correct.ipynb", "gradebook": tmp / "grades.csv"}
    paths["gradebook"].write_text("student,total\nprevious,1\n", encoding="utf-8")
    for name, (kind, spec) in cases(paths).items():
        target = subs / f"{name}.ipynb"
        if kind == "raw":
            target.write_bytes(spec)
            continue
        nb = make_submission(student, {**good, **spec.get("replace", {})},
                             spec.get("before", ()), spec.get("after", ()), spec.get("assignment"))
        target.write_text(json.dumps(nb), encoding="utf-8")
    victim_before = paths["victim"].read_bytes()
    uids = []  # the uids of this grading's slots (other tests may grade at the same time)
    init = sandbox_module.Slots.__init__

    def recording_init(self, n):
        init(self, n)
        uids.extend(u for u in list(self.q.queue) if u is not None)

    sandbox_module.Slots.__init__ = recording_init
    try:
        fbs = grade_folder(INSTRUCTOR, subs, tmp / "grades.csv", limits=LIMITS, jobs=2,
                           progress=False)
    finally:
        sandbox_module.Slots.__init__ = init
    return {"fb": {f["student"]: f for f in fbs}, "tmp": tmp, "paths": paths,
            "victim_before": victim_before, "uids": set(uids)}


def points(fb: dict) -> dict:
    return {q["id"]: q["points"] for q in fb["questions"]}


def question_tests(fb: dict, qid: str) -> list[dict]:
    return next(q["tests"] for q in fb["questions"] if q["id"] == qid)


def text_of(fb: dict) -> str:
    """Everything the feedback says, as one string."""
    return json.dumps(fb, ensure_ascii=False)


def expect(fb, **lost):
    """Full points except the questions given (their expected points)."""
    want = {**FULL, **lost}
    assert points(fb) == want, (points(fb), fb["notes"], fb["cells"])
    assert fb["score"] == sum(want.values())


# ----------------------------------------------------------------------------- the run


def test_every_submission_has_a_row_and_a_feedback_file(graded):
    rows = list(csv.DictReader((graded["tmp"] / "grades.csv").open(encoding="utf-8")))
    names = sorted(cases(graded["paths"]))
    assert [r["student"] for r in rows] == names
    assert rows[0].keys() >= {"student", "q1", "q5", "total", "max", "status", "note"}
    for name in names:
        fb = json.loads((graded["tmp"] / "grades_feedback" / feedback_name(name)).read_text())
        assert fb["student"] == name and fb["max_score"] == 14


def test_correct_students_are_untouched(graded):
    for name in ("a_correct", "z_correct"):
        fb = graded["fb"][name]
        assert fb["status"] == "graded"
        expect(fb)


@pytest.mark.skipif(not LINUX, reason="the process table is read from /proc")
def test_no_process_of_a_sandbox_survives(graded):
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if UID_BASE <= uid < UID_BASE + UID_SPAN and (uid in graded["uids"] or not graded["uids"]):
            left.append(pid)
    assert not left


# ----------------------------------------------------------------------------- broken notebooks


def test_not_json(graded):
    fb = graded["fb"]["not_json"]
    assert fb["status"] == "invalid_notebook" and fb["score"] == 0
    assert "not a valid notebook" in fb["notes"][0]


def test_notebook_of_another_assignment(graded):
    fb = graded["fb"]["other_assignment"]
    assert fb["status"] == "wrong_assignment" and fb["score"] == 0
    assert "02_kinds_of_rnn" in fb["notes"][0]


def test_missing_function(graded):
    fb = graded["fb"]["missing_function"]
    expect(fb, q1=0)
    assert all(t["status"] == "missing" for t in question_tests(fb, "q1"))
    assert "`rnn_cell_step` is not defined" in question_tests(fb, "q1")[0]["lines"][0]


def test_syntax_error(graded):
    fb = graded["fb"]["syntax_error"]
    expect(fb, q1=0)
    assert any("SyntaxError" in c["error"] for c in fb["cells"])
    assert any("SyntaxError" in h for h in question_tests(fb, "q1")[0]["hints"])


def test_exception_at_import(graded):
    fb = graded["fb"]["import_exception"]
    expect(fb)
    assert any("RuntimeError" in c["error"] and "boom" in c["error"] for c in fb["cells"])


# ----------------------------------------------------------------------------- loops and exits


def test_infinite_loop_at_top_level(graded):
    fb = graded["fb"]["loop_top"]
    expect(fb)
    assert any("Timeout" in c["error"] for c in fb["cells"])


def test_infinite_loop_at_top_level_that_ignores_the_alarm(graded):
    fb = graded["fb"]["loop_top_ignores_alarm"]
    expect(fb)
    assert fb["runs"] >= 2 and any("skipped" in n for n in fb["notes"])


def test_infinite_loop_in_a_function(graded):
    fb = graded["fb"]["loop_function"]
    expect(fb, q2=0)
    first, *rest = question_tests(fb, "q2")
    assert first["status"] == "timeout" and "infinite loop" in first["lines"][0]
    assert all("not run" in t["lines"][0] for t in rest)


def test_infinite_loop_in_a_function_that_ignores_the_alarm(graded):
    fb = graded["fb"]["loop_function_ignores_alarm"]
    expect(fb, q2=0)
    assert fb["runs"] >= 2
    assert "time limit" in question_tests(fb, "q2")[0]["lines"][0]


def test_os_exit_at_top_level(graded):
    fb = graded["fb"]["os_exit_top"]
    expect(fb)
    assert any("exit code 3" in n for n in fb["notes"])


def test_os_exit_in_a_function(graded):
    fb = graded["fb"]["os_exit_function"]
    expect(fb, q2=0)
    assert "exit code 0" in question_tests(fb, "q2")[0]["lines"][0]


def test_sys_exit_at_top_level(graded):
    fb = graded["fb"]["sys_exit_top"]
    expect(fb)
    assert any("SystemExit" in c["error"] for c in fb["cells"])


def test_sys_exit_in_a_function(graded):
    fb = graded["fb"]["sys_exit_function"]
    expect(fb, q2=0)
    assert "SystemExit" in question_tests(fb, "q2")[0]["lines"][0]


# ----------------------------------------------------------------------------- resources


def test_8gb_allocation_at_top_level(graded):
    fb = graded["fb"]["alloc_8gb_top"]
    expect(fb)
    assert any("MemoryError" in c["error"] for c in fb["cells"])


def test_8gb_allocation_in_a_function(graded):
    fb = graded["fb"]["alloc_8gb_function"]
    expect(fb, q2=0)
    assert "out of memory" in question_tests(fb, "q2")[0]["lines"][0]


def test_fork_bomb(graded):
    fb = graded["fb"]["fork_bomb"]
    expect(fb)
    assert "forked 0 children" in fb["stdout"]
    assert any("Resource temporarily unavailable" in c["error"] or "PermissionError" in c["error"]
               for c in fb["cells"])


def test_megabytes_of_printed_output(graded):
    fb = graded["fb"]["print_flood"]
    expect(fb)
    assert fb["stdout_chars"] >= 20_000_000 and len(fb["stdout"]) <= 4096


# ----------------------------------------------------------------------------- the file system


@pytest.mark.skipif(not LINUX, reason="file-system isolation needs Linux's Landlock")
def test_writing_outside_its_folder(graded):
    fb = graded["fb"]["write_outside"]
    if fb["sandbox"].get("landlock", {}).get("abi", 0) < 1:
        pytest.skip("this kernel has no Landlock")
    expect(fb)
    errors = [c["error"] for c in fb["cells"]]
    assert len(errors) == 5 and all("Permission" in e for e in errors), errors
    leak = graded["paths"]["leak"]
    assert list(leak.iterdir()) == []
    assert not Path("/etc/pwned").exists()
    assert graded["paths"]["victim"].read_bytes() == graded["victim_before"]
    assert graded["fb"]["a_correct"]["score"] == 14
    rows = (graded["tmp"] / "grades.csv").read_text(encoding="utf-8")
    assert "999" not in rows and "previous" not in rows


@pytest.mark.skipif(not LINUX, reason="file-system isolation needs Linux's Landlock")
def test_reading_the_hidden_tests(graded):
    fb = graded["fb"]["read_hidden"]
    if fb["sandbox"].get("landlock", {}).get("abi", 0) < 1:
        pytest.skip("this kernel has no Landlock")
    expect(fb, q1=0)  # the cheat returns the right values only if it could read the solutions
    errors = [c["error"] for c in fb["cells"]]
    assert len(errors) == 3 and all("Permission" in e for e in errors), errors
    assert "BEGIN SOLUTION" not in text_of(fb) and "q1_transposed" not in text_of(fb)


def test_the_reference_implementation_is_not_importable(graded):
    fb = graded["fb"]["reference_import"]
    expect(fb, q1=0)
    assert "No module named 'course_rnn'" in question_tests(fb, "q1")[0]["lines"][0]


# ----------------------------------------------------------------------------- faking a score


def test_patching_numpy_changes_nothing(graded):
    fb = graded["fb"]["patch_numpy"]
    expect(fb, q1=0, q2=0, q3=0)


def test_patching_the_grader_changes_nothing(graded):
    fb = graded["fb"]["patch_grader"]
    assert fb["status"] == "graded" and fb["score"] == 0
    assert any("course_rnn" in c["error"] for c in fb["cells"])


def test_forging_the_grader_channel(graded):
    fb = graded["fb"]["forge_channel"]
    expect(fb)  # the forging cells are skipped; nothing forged is believed
    assert sum("tampered" in n for n in fb["notes"]) == 2


def test_ndarray_subclass_whose_eq_is_always_true(graded):
    fb = graded["fb"]["subclass_eq"]
    expect(fb, q1=0)
    assert "entries differ" in question_tests(fb, "q1")[0]["lines"][0]


def test_returning_nan(graded):
    fb = graded["fb"]["returns_nan"]
    expect(fb, q1=0)
    assert "NaN" in question_tests(fb, "q1")[0]["lines"][0]


def test_right_values_wrong_dtype(graded):
    fb = graded["fb"]["wrong_dtype"]
    expect(fb, q1=0)
    t = question_tests(fb, "q1")[0]
    assert "expected dtype float64, got float32" in t["lines"][0]
    assert any("values are right" in h for h in t["hints"])


def test_right_values_wrong_shape(graded):
    fb = graded["fb"]["wrong_shape"]
    expect(fb, q1=0)
    t = question_tests(fb, "q1")[0]
    assert "expected shape (2, 4), got (4, 2)" in t["lines"][0]
    assert any("axes are swapped" in h for h in t["hints"])
