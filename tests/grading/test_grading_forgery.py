"""Forging results: nothing written to the grader's channel earns a point or blames the grader.

The worker answers one call at a time, each with the call's id and a fresh nonce; the
grader accepts exactly that one answer (``course_rnn.grading.sandbox``). One class of
chapter 1's exercises is graded once; each hostile submission must get exactly its
honest score: a question whose function writes to the channel loses that question
(the run ends on its test, twice), a top-level cell that does so is skipped and costs
nothing else, and no submission is ever a ``grader_error``. The hidden tests' inputs
are never in the worker's memory while submitted code runs: a function that walks the
call stack and the garbage collector finds no other test's inputs.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from _helpers_grading import chapter1_class
from course_rnn.grading.assignment import encode_input, load_assignment
from course_rnn.grading.bench import make_submission
from course_rnn.grading.grade import grade_folder
from course_rnn.grading.sandbox import Limits, Sandbox

ROOT = Path(__file__).resolve().parents[2]
INSTRUCTOR = ROOT / "exercises" / "en" / "01_recurrent_cell.ipynb"
LIMITS = {"cell_timeout": 3.0, "call_timeout": 3.0, "budget": 40.0, "max_result_mb": 2}
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="grading on Linux")]

# Top-level helpers of the attacks: where the worker keeps the running call, and its channel.
TOOLS = '''import gc, json, os, sys, base64, binascii
def grader_call():
    """The request the worker is answering now: (call, nonce), found up the stack."""
    f = sys._getframe(1)
    while f is not None:
        for v in list(f.f_locals.values()):
            if isinstance(v, dict) and "nonce" in v and "call" in v:
                return v["call"], v["nonce"]
        f = f.f_back
    return None, None
def forge(obj):
    os.write(int(sys.argv[1]), (json.dumps(obj) + "\\n").encode())
def encoded(value):
    return sys.modules["__main__"].encode(value)
'''

RIGHT = "return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)"


def q1(body: str) -> dict:
    """Question 1's function with this body (it ends by returning the right answer)."""
    src = "def rnn_cell_step(x_t, h_prev, W_xh, W_hh, b_h):\n" + "".join(
        "    " + line + "\n" for line in body.strip("\n").splitlines())
    return {"rnn_cell_step": src}


# Every str or ndarray reachable (but through the notebook's own globals) from the worker's
# frames (locals, globals, then containers, four levels deep) or the collector's containers.
SCAN = '''def reachable(use_gc):
    seen, out, todo = {id(globals())}, [], []  # the notebook's own names are its own data
    f = sys._getframe(2)
    while f is not None:
        todo += [(f.f_locals, 0), (f.f_globals, 0)]
        f = f.f_back
    if use_gc:
        todo += [(o, 2) for o in gc.get_objects() if isinstance(o, (dict, list, tuple))]
    while todo:
        obj, depth = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, (str, bytes, bytearray, np.ndarray)):
            out.append(obj)
        elif isinstance(obj, dict) and depth < 4:
            todo += [(v, depth + 1) for v in list(obj.values())]
        elif isinstance(obj, (list, tuple)) and depth < 4:
            todo += [(v, depth + 1) for v in obj]
    return out
def foreign(own, use_gc):
    """Inputs of another test: encoded data or float arrays that are none of ``own``."""
    mine = {np.ascontiguousarray(a).tobytes() for a in own}
    found = 0
    for obj in reachable(use_gc):
        if isinstance(obj, np.ndarray):
            if obj.dtype == np.float64 and obj.size >= 4 and obj.tobytes() not in mine and \\
                    obj.shape in [a.shape for a in own]:
                found += 1
        elif isinstance(obj, str) and len(obj) >= 24 and len(obj) % 4 == 0:
            try:
                raw = base64.b64decode(obj, validate=True)
            except (binascii.Error, ValueError):
                continue
            if len(raw) >= 32 and len(raw) % 8 == 0 and raw not in mine:  # not a nonce
                found += 1
    return found
'''


def peek(use_gc: bool) -> dict:
    """Question 1: right only when no other test's inputs can be found from inside."""
    return q1("if grader_call()[0] is None:  # the notebook's own cells calling it\n"
              f"    {RIGHT}\n"
              f"found = foreign([x_t, h_prev, W_xh, W_hh, b_h], {use_gc!r})\n"
              "print('found', found)\n"
              "if found:\n    return np.zeros((x_t.shape[0], W_hh.shape[0]))\n" + RIGHT)


def cases() -> dict:
    """``{name: (spec, questions that lose all their points, what the notes or tests say)}``."""
    wrong_id = ('call, nonce = grader_call()\n'
                'forge({"ev": "result", "id": "q3/4", "nonce": nonce, '
                '"outputs": {n: encoded(np.zeros(1)) for n in call["send"]}})\n')
    return {
        "a_correct": ({}, (), None),
        # the current test's answer, well formed, with its id and nonce; then the worker's own
        "forge_current": ({"replace": q1(
            "call, nonce = grader_call()\n"
            "h = np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)\n"
            'forge({"ev": "result", "id": call["id"], "nonce": nonce, '
            '"outputs": {n: encoded(h) for n in call["send"]}})\n' + RIGHT)},
            ("q1",), "wrote to it"),
        "forge_later_in_function": ({"replace": q1(wrong_id + RIGHT)}, ("q1",), "wrote to it"),
        "forge_later_in_cell": ({"after": [
            'forge({"ev": "result", "id": "q2/2", "nonce": "0" * 32, "outputs": {}})\n']},
            (), "wrote to it"),
        "forge_done_in_cell": ({"after": [
            'forge({"ev": "done", "nonce": "0" * 32, "stdout": "", "stdout_chars": 0})\n']},
            (), "wrote to it"),
        "malformed_in_function": ({"replace": q1(
            "call, nonce = grader_call()\n"
            'forge({"ev": "result", "id": call["id"], "nonce": nonce, "outputs": {"nope": 5}})\n'
            + RIGHT)}, ("q1",), "could not be read"),
        "malformed_error_in_function": ({"replace": q1(
            "call, nonce = grader_call()\n"
            'forge({"ev": "result", "id": call["id"], "nonce": nonce, '
            '"error": {"type": "Timeout", "message": "abc", "where": [1]}})\n' + RIGHT)},
            ("q1",), "could not be read"),
        "not_json_in_cell": ({"after": ["os.write(int(sys.argv[1]), b'not json at all\\n')\n"]},
                             (), "could not be read"),
        "deep_json_in_cell": ({"after": [
            "os.write(int(sys.argv[1]), b'[' * 200000 + b']' * 200000 + b'\\n')\n"]},
            (), "could not be read"),
        "half_line_in_cell": ({"after": [
            "os.write(int(sys.argv[1]), b'{\"ev\": \"cell_end\"')\nos._exit(0)\n"]},
            (), "could not be read"),
        "flood_in_cell": ({"after": [
            "for i in range(40):\n    os.write(int(sys.argv[1]), b'x' * 100_000)\n"]},
            (), "MB of results"),
        "every_fd": ({"after": [
            "wrote = []\nfor fd in range(3, 256):\n    try:\n"
            "        os.write(fd, b'{\"ev\": \"done\", \"nonce\": \"\", \"stdout\": \"\", "
            "\"stdout_chars\": 0}\\n')\n        wrote.append(fd)\n"
            "    except OSError:\n        pass\n"]}, (), "wrote to it"),
        "peek_frames": ({"replace": peek(False)}, (), None),
        "peek_gc": ({"replace": peek(True)}, (), None),
        "z_correct": ({}, (), None),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release chapter 1, build every forging submission, grade the class once."""
    tmp = tmp_path_factory.mktemp("forgery")
    student, good, subs = chapter1_class(tmp)
    for name, (spec, _, _) in cases().items():
        nb = make_submission(student, {**good, **spec.get("replace", {})}, [TOOLS, SCAN],
                             spec.get("after", ()))
        (subs / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    kwargs = {}
    if "salt" in inspect.signature(grade_folder).parameters:
        kwargs["salt"] = 1234
    fbs = grade_folder(INSTRUCTOR, subs, tmp / "grades.csv", limits=LIMITS, jobs=2,
                       progress=False, **kwargs)
    assignment = load_assignment(INSTRUCTOR)
    full = {q.id: q.points for q in assignment.questions}
    return {"fb": {f["student"]: f for f in fbs}, "full": full}


def points(fb: dict) -> dict:
    return {q["id"]: q["points"] for q in fb["questions"]}


@pytest.mark.parametrize("name", sorted(cases()))
def test_each_forgery_earns_exactly_its_honest_score(graded, name):
    _, lost, says = cases()[name]
    fb = graded["fb"][name]
    want = {q: (0.0 if q in lost else p) for q, p in graded["full"].items()}
    assert fb["status"] == "graded", fb["notes"]
    assert points(fb) == want, (points(fb), fb["notes"], fb["cells"])
    text = json.dumps(fb, ensure_ascii=False)
    if says:
        assert says in text, (fb["notes"], fb["cells"])
    if lost:  # the question's first two tests ended their runs; the others were not run
        tests = next(q["tests"] for q in fb["questions"] if q["id"] == lost[0])
        assert [t["status"] for t in tests[:2]] == ["died", "died"]
        assert says in tests[0]["lines"][0]
    else:
        assert "tampered" not in text or says in text


def test_the_call_stack_and_the_collector_hold_no_other_tests_inputs(graded):
    n_q1 = len(next(q["tests"] for q in graded["fb"]["a_correct"]["questions"]
                    if q["id"] == "q1"))
    for name in ("peek_frames", "peek_gc"):
        found = [line for line in graded["fb"][name]["stdout"].splitlines()
                 if line.startswith("found")]
        assert found == ["found 0"] * n_q1


# ----------------------------------------------------------------------------- sentinels


SENTINEL_PROBE = '''import gc, sys, base64
def probe(x):
    """How many of the other calls' sentinels (1e6 + k, k != own) are reachable from here."""
    own = float(x[0])
    others = {1e6 + k for k in range(8)} - {own}
    codes = {base64.b64encode(np.full(4, v).tobytes()).decode() for v in others}
    found, seen = 0, set()
    todo = []
    f = sys._getframe(1)
    while f is not None:
        todo += [f.f_locals, f.f_globals]
        f = f.f_back
    todo += [o for o in gc.get_objects() if isinstance(o, (dict, list, tuple))]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            found += int(obj.dtype.kind == "f" and bool(np.isin(obj, list(others)).any()))
        elif isinstance(obj, str):
            found += int(any(c[:16] in obj for c in codes))
        elif isinstance(obj, (bytes, bytearray)):
            found += int(any(np.full(4, v).tobytes() in obj for v in others))
        elif isinstance(obj, dict):
            todo += list(obj.values())
        elif isinstance(obj, (list, tuple)):
            todo += list(obj)
    return np.array([float(found)])
'''


def test_other_calls_sentinel_inputs_are_never_reachable():
    calls = [{"id": f"q1/{k}", "kind": "pipeline", "timeout": 5.0,
              "steps": [{"function": "probe", "args": ["x"], "returns": ["n"]}], "send": ["n"],
              "inputs": {"x": encode_input(np.full(4, 1e6 + k))}} for k in range(8)]
    with Sandbox(Limits()) as box:
        run = box.run([SENTINEL_PROBE], calls)
    assert run.finished and run.end == "", (run.end, run.stderr)
    found = {cid: np.frombuffer(__import__("base64").b64decode(m["outputs"]["n"]["data"]))[0]
             for cid, m in run.results.items()}
    assert found == {f"q1/{k}": 0.0 for k in range(8)}


def test_a_second_answer_voids_the_first():
    """Forging the running call's answer, then letting the worker answer too: that call fails."""
    cell = TOOLS + ('def f(x):\n    call, nonce = grader_call()\n'
                    '    forge({"ev": "result", "id": call["id"], "nonce": nonce, '
                    '"outputs": {"y": encoded(x * 0)}})\n    return x\n')
    calls = [{"id": f"q1/{k}", "kind": "pipeline", "timeout": 5.0,
              "steps": [{"function": "f", "args": ["x"], "returns": ["y"]}], "send": ["y"],
              "inputs": {"x": encode_input(np.full(2, float(k)))}} for k in range(3)]
    with Sandbox(Limits()) as box:
        run = box.run([cell], calls)
    assert not run.finished and run.end == "channel"
    assert run.current == ("call", "q1/0") and "q1/0" not in run.results
