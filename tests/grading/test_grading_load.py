"""Grades do not depend on load: limits are CPU time, not wall-clock time.

A slow but correct answer (1.2 s of CPU time per test, under a limit of 3 s of CPU
time) is graded with ``jobs=1`` and with ``jobs=6`` while two busy loops keep both
cores busy: the gradebooks are the same, and the slow answers get full marks. With
wall-clock limits (``ITIMER_REAL``), four slow workers and two busy loops on two cores
get a third of a core each, 3.6 s of wall time per test, and the tests time out.
"""

from __future__ import annotations

import inspect
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _helpers_grading import chapter1_class
from course_rnn.grading.bench import WRONG, make_submission
from course_rnn.grading.grade import grade_folder
from course_rnn.grading.sandbox import Limits, backstop

ROOT = Path(__file__).resolve().parents[2]
INSTRUCTOR = ROOT / "exercises" / "en" / "01_recurrent_cell.ipynb"
LIMITS = {"cell_timeout": 5.0, "call_timeout": 3.0, "budget": 40.0}
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="grading on Linux")]

SLOW = '''def rnn_cell_step_stacked(x_t, h_prev, W, b_h):
    import time
    start = time.process_time()
    while time.process_time() - start < 1.2:  # 1.2 s of CPU time, whatever the load
        pass
    return np.tanh(np.concatenate([x_t, h_prev], axis=1) @ W + b_h)
'''


def test_the_wall_clock_backstop_is_generous():
    lim = Limits(**LIMITS)
    assert backstop(lim.call_timeout) == 3 * lim.call_timeout + 10
    assert backstop(lim.budget) >= 3 * lim.budget


@pytest.fixture
def busy_cores():
    """Two busy loops (one per core), ended by their own pids afterwards."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
             for _ in range(2)]
    time.sleep(0.2)
    yield procs
    for p in procs:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()


def test_same_gradebook_with_one_job_and_six_on_busy_cores(tmp_path, busy_cores):
    student, good, folder = chapter1_class(tmp_path)
    slow = {**good, "rnn_cell_step_stacked": SLOW}
    subs = {"correct": good, "slow_1": slow, "slow_2": slow, "slow_3": slow, "slow_4": slow,
            "wrong": {**good, "rnn_cell_step": WRONG["rnn_cell_step"][0]}}
    for name, sources in subs.items():
        nb = make_submission(student, sources)
        (folder / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    kwargs = {"salt": 99} if "salt" in inspect.signature(grade_folder).parameters else {}
    books, fbs = {}, {}
    for jobs in (1, 6):
        out = tmp_path / f"jobs{jobs}" / "grades.csv"
        fb = grade_folder(INSTRUCTOR, folder, out, jobs=jobs, limits=LIMITS, progress=False,
                          **kwargs)
        fbs[jobs] = {f["student"]: f for f in fb}
        books[jobs] = out.read_text(encoding="utf-8")
    assert all(p.poll() is None for p in busy_cores)  # the cores were busy throughout
    for jobs in (1, 6):
        for name in ("slow_1", "slow_2", "slow_3", "slow_4", "correct"):
            f = fbs[jobs][name]
            assert f["score"] == f["max_score"], (jobs, name, f["notes"], f["questions"][0])
        assert fbs[jobs]["wrong"]["score"] < fbs[jobs]["wrong"]["max_score"]
    assert books[1] == books[6]
