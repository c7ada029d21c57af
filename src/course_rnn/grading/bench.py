"""How fast the grader is: ``python -m course_rnn.grading.bench`` (a benchmark, not a test).

Used by the exercises of every chapter; the instructors' page of chapter 0 quotes its
result. It releases chapter 1's exercises into a temporary folder, generates 50
submissions of mixed quality (right, wrong in the classic ways, unanswered, broken,
one with an infinite loop), grades them on all cores as ``course-rnn grade`` does, and
prints the median wall time per submission and the time a class of 200 would take.

``make_submission`` and ``solution_sources`` are also what the tests use to build
submissions from a released notebook.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from course_rnn.grading.spec import SOLUTION_BEGIN, SOLUTION_END, cell_source, parse_instructor

DEFINES = re.compile(r"^(?:def\s+(\w+)\s*\(|(\w+)\s*=)", re.M)
ROOT = Path(__file__).resolve().parents[3]


def solution_sources(instructor_path) -> dict:
    """``{name: source}``: each solution cell of an instructor notebook, markers removed."""
    inb = parse_instructor(instructor_path)
    out = {}
    for cell in inb.nb["cells"]:
        src = cell_source(cell)
        if cell.get("cell_type") != "code" or "SOLUTION" not in src:
            continue
        lines = [line for line in src.splitlines()
                 if not SOLUTION_BEGIN.match(line) and not SOLUTION_END.match(line)]
        text = re.sub(r"\s*#\s*SOLUTION\s*$", "", "\n".join(lines), flags=re.M)
        m = DEFINES.search(text)
        if m:
            out[m.group(1) or m.group(2)] = text
    return out


def make_submission(student_nb: dict, replace: dict | None = None, before=(), after=(),
                    assignment: str | None = None) -> dict:
    """A submitted notebook: the student version with some cells answered or added.

    ``replace`` maps a function or variable name to the source of the cell that
    defines it (a cell of the student notebook that defines that name is replaced;
    ``None`` removes the cell). ``before``/``after`` are extra code cells put after
    the set-up cell / at the end. ``assignment`` overrides the notebook's id.
    """
    nb = json.loads(json.dumps(student_nb))
    replace = dict(replace or {})
    cells = []
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code":
            m = DEFINES.search(cell_source(cell))
            name = m and (m.group(1) or m.group(2))
            if name in replace:
                if replace[name] is None:
                    continue
                cell = dict(cell, source=replace[name])
        cells.append(cell)
    setup = next(i for i, c in enumerate(cells) if c.get("cell_type") == "code")

    def code(src):
        return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                "source": src}

    nb["cells"] = cells[: setup + 1] + [code(s) for s in before] + cells[setup + 1:] + [
        code(s) for s in after]
    if assignment is not None:
        nb["metadata"]["course_rnn"]["assignment"] = assignment
    return nb


WRONG = {
    "rnn_cell_step": [
        "def rnn_cell_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
        "    return np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)\n",
        "def rnn_cell_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
        "    return x_t @ W_xh + h_prev @ W_hh + b_h\n",
    ],
    "rnn_cell_step_stacked": [
        "def rnn_cell_step_stacked(x_t, h_prev, W, b_h):\n"
        "    return np.tanh(np.concatenate([h_prev, x_t], axis=1) @ W + b_h)\n",
    ],
    "time_rnn_forward_lengths": [
        "def time_rnn_forward_lengths(xs, lengths, h0, W_xh, W_hh, b_h):\n"
        "    N, T, _ = xs.shape\n"
        "    h = np.zeros((N, W_hh.shape[0])) if h0 is None else h0\n"
        "    hs = np.stack([rnn_cell_step(xs[:, t], h, W_xh, W_hh, b_h) for t in range(T)], 1)\n"
        "    hs = hs * (np.arange(T)[None, :, None] < lengths[:, None, None])\n"
        "    return hs, hs[np.arange(N), lengths - 1]\n",
        "def time_rnn_forward_lengths(xs, lengths, h0, W_xh, W_hh, b_h):\n"
        "    h = np.zeros((len(xs), W_hh.shape[0])) if h0 is None else h0\n"
        "    hs = []\n"
        "    for t in range(xs.shape[1]):\n"
        "        h = rnn_cell_step(xs[:, t], h, W_xh, W_hh, b_h)\n"
        "        hs.append(h)\n"
        "    return np.stack(hs, 1), h\n",
    ],
    "q4_answer": ["q4_answer = 10 * 32 + 32 * 32\n"],
    "q5_answer": ["q5_answer = 'a'\n"],
}


def mixed_submissions(student_nb: dict, solutions: dict, n: int = 50) -> dict:
    """``n`` submissions of chapter 1 of mixed quality, deterministic: ``{name: notebook}``."""
    subs = {}
    names = list(solutions)
    for k in range(n):
        kind = k % 10
        replace = dict(solutions)
        before, after = [], []
        if kind in (0, 1, 2, 3):
            pass  # right
        elif kind in (4, 5):  # one classic mistake
            name = names[k % len(names)]
            options = WRONG.get(name, [])
            if options:
                replace[name] = options[k % len(options)]
        elif kind == 6:  # unanswered from question 3 on
            for name in names[2:]:
                del replace[name]
        elif kind == 7:  # a syntax error in question 2
            replace["rnn_cell_step_stacked"] = "def rnn_cell_step_stacked(x_t, h_prev, W, b_h)\n"
        elif kind == 8:  # an exception at import, a print flood, a missing function
            before = ["raise RuntimeError('left over from testing')\n",
                      "for i in range(20000):\n    print('step', i)\n"]
            replace["rnn_cell_step_stacked"] = None
        elif kind == 9:
            if k == 9:  # one infinite loop in a function, in the whole class
                replace["time_rnn_forward_lengths"] = (
                    "def time_rnn_forward_lengths(xs, lengths, h0, W_xh, W_hh, b_h):\n"
                    "    while True:\n        pass\n")
            else:
                replace["rnn_cell_step"] = WRONG["rnn_cell_step"][1]
        subs[f"student_{k:03d}"] = make_submission(student_nb, replace, before, after)
    return subs


def main(argv=None) -> int:
    """Release chapter 1, grade 50 generated submissions, print the timings."""
    from course_rnn.grading.grade import grade_folder
    from course_rnn.grading.release import release

    parser = argparse.ArgumentParser(description="Speed of course-rnn grade on chapter 1.")
    parser.add_argument("-n", type=int, default=50, help="submissions (default 50)")
    parser.add_argument("--jobs", type=int, help="parallel workers (default: all cores)")
    parser.add_argument("--lang", default="en", choices=("ko", "en"))
    args = parser.parse_args(argv)
    instructor = ROOT / "exercises" / args.lang / "01_recurrent_cell.ipynb"
    with tempfile.TemporaryDirectory(prefix="course-rnn-bench-") as tmp:
        tmp = Path(tmp)
        release(instructor, tmp / "student")
        student = json.loads((tmp / "student" / instructor.name).read_text(encoding="utf-8"))
        subs = mixed_submissions(student, solution_sources(instructor), args.n)
        (tmp / "subs").mkdir()
        for name, nb in subs.items():
            (tmp / "subs" / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        start = time.perf_counter()
        fbs = grade_folder(instructor, tmp / "subs", tmp / "grades.csv", jobs=args.jobs,
                           progress=False)
        wall = time.perf_counter() - start
    per = [f["seconds"] for f in fbs]
    from course_rnn.grading.grade import default_jobs

    jobs = args.jobs or default_jobs()
    print(f"{len(fbs)} submissions of chapter 1 graded on {jobs} worker(s) in {wall:.1f} s")
    print(f"wall time per submission: median {statistics.median(per):.3f} s, "
          f"mean {statistics.mean(per):.3f} s, max {max(per):.2f} s")
    print(f"throughput: {wall / len(fbs):.3f} s per submission; a class of 200: about "
          f"{200 * wall / len(fbs):.0f} s")
    scores = sorted(f["score"] for f in fbs)
    print(f"scores: median {statistics.median(scores):g} of {fbs[0]['max_score']:g}, "
          f"statuses: {sorted({f['status'] for f in fbs})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
