"""A demonstration class for the instructors' page: ``python -m course_rnn.grading.demo``.

Used by the instructors' page of chapter 0 (and its test): it releases chapter 1's
exercises and writes a folder of submitted notebooks of a small made-up class, so that
an instructor can try ``course-rnn grade`` before a real class hands anything in:

- two correct students, one with a classic mistake (transposed ``W_hh``), one who left
  questions 3-5 unanswered, one with a syntax error;
- hostile or broken submissions: an infinite loop, ``os._exit``, numpy patched to make
  every comparison true, an attempt to read the instructor's notebook, a bounded fork
  bomb, an ndarray subclass whose ``==`` is always true, a file that is not a notebook,
  and the notebook of another assignment.

``EXPECTED`` holds the total each one must get (out of 14) or its status.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from course_rnn.grading.bench import make_submission, solution_sources
from course_rnn.grading.release import release

ROOT = Path(__file__).resolve().parents[3]
ASSIGNMENT = "01_recurrent_cell"

Q1 = "def rnn_cell_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
Q3 = "def time_rnn_forward_lengths(xs, lengths, h0, W_xh, W_hh, b_h):\n"
Q3_SELF_CONTAINED = Q3 + (
    "    N, T, _ = xs.shape\n"
    "    h = np.zeros((N, W_hh.shape[0])) if h0 is None else h0\n"
    "    hs = np.zeros((N, T, W_hh.shape[0]))\n"
    "    for t in range(T):\n"
    "        real = (t < lengths)[:, None]\n"
    "        h = np.where(real, np.tanh(xs[:, t] @ W_xh + h @ W_hh + b_h), h)\n"
    "        hs[:, t] = np.where(real, h, 0.0)\n"
    "    return hs, h\n"
)
FORK_BOMB = (
    "import os, time\n"
    "for i in range(200):  # bounded: at most 200 children, each gone within 2 s\n"
    "    if os.fork() == 0:\n"
    "        time.sleep(2)\n"
    "        os._exit(0)\n"
)

# student -> (total out of 14, status) that the gradebook must show
EXPECTED = {
    "kim_correct": (14.0, "graded"),
    "lee_correct": (14.0, "graded"),
    "park_transposed_weights": (10.0, "graded"),
    "choi_unanswered": (7.0, "graded"),
    "jung_syntax_error": (10.0, "graded"),
    "hostile_infinite_loop": (9.0, "graded"),
    "hostile_os_exit": (10.0, "graded"),
    "hostile_patch_numpy": (5.0, "graded"),
    "hostile_reads_solutions": (10.0, "graded"),
    "hostile_fork_bomb": (14.0, "graded"),
    "hostile_always_equal": (10.0, "graded"),
    "hostile_not_a_notebook": (0.0, "invalid_notebook"),
    "hostile_other_assignment": (0.0, "wrong_assignment"),
}


def instructor_notebook(lang: str = "en") -> Path:
    """The instructor's version of chapter 1's exercises in edition ``lang``."""
    return ROOT / "exercises" / lang / f"{ASSIGNMENT}.ipynb"


def write_class(out: Path, lang: str = "en") -> Path:
    """Release chapter 1 into ``out/student`` and write ``out/submissions``; return the latter."""
    instructor = instructor_notebook(lang)
    release(instructor, out / "student")
    student = json.loads((out / "student" / instructor.name).read_text(encoding="utf-8"))
    good = solution_sources(instructor)
    good["time_rnn_forward_lengths"] = Q3_SELF_CONTAINED  # breaking q1 does not spill into q3
    wrong_q1 = Q1 + "    return np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)\n"
    subs = {
        "kim_correct": {},
        "lee_correct": {},
        "park_transposed_weights": {"replace": {"rnn_cell_step": wrong_q1}},
        "choi_unanswered": {"replace": {"time_rnn_forward_lengths": None, "q4_answer": None,
                                        "q5_answer": None}},
        "jung_syntax_error": {"replace": {"rnn_cell_step": Q1.rstrip(":\n") + "\n    return 0\n"}},
        "hostile_infinite_loop": {"replace": {"time_rnn_forward_lengths": (
            Q3 + "    while True:\n        pass\n")}},
        "hostile_os_exit": {"replace": {"rnn_cell_step": Q1 + "    import os\n    os._exit(0)\n"}},
        "hostile_patch_numpy": {
            "before": ["np.allclose = lambda *a, **k: True\n"
                       "np.ndarray.__eq__ = lambda self, other: True\n"],
            "replace": {"rnn_cell_step": Q1 + "    return np.zeros((len(x_t), len(W_hh)))\n",
                        "time_rnn_forward_lengths": Q3 +
                        "    return np.zeros(xs.shape[:2] + (len(W_hh),)), 0\n"}},
        "hostile_reads_solutions": {"replace": {"rnn_cell_step": Q1 + (
            f"    text = open({str(instructor)!r}).read()  # the instructor's notebook\n"
            "    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)\n")}},
        "hostile_fork_bomb": {"before": [FORK_BOMB]},
        "hostile_always_equal": {
            "before": ["class Always(np.ndarray):\n"
                       "    def __eq__(self, other):\n        return True\n"],
            "replace": {"rnn_cell_step": Q1 +
                        "    return np.zeros((len(x_t), len(W_hh))).view(Always)\n"}},
        "hostile_other_assignment": {"assignment": "02_kinds_of_rnn"},
    }
    folder = out / "submissions"
    folder.mkdir(parents=True, exist_ok=True)
    for name, spec in subs.items():
        nb = make_submission(student, {**good, **spec.get("replace", {})},
                             spec.get("before", ()), (), spec.get("assignment"))
        (folder / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (folder / "hostile_not_a_notebook.ipynb").write_text("this is not JSON", encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    """Write the demonstration class and print the command that grades it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo_class"))
    parser.add_argument("--lang", choices=["ko", "en"], default="en")
    args = parser.parse_args(argv)
    folder = write_class(args.out, args.lang)
    print(f"{len(list(folder.glob('*.ipynb')))} submissions in {folder}; grade them with")
    print(f"  course-rnn grade {folder} --assignment {instructor_notebook(args.lang)} "
          f"--out {args.out / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
