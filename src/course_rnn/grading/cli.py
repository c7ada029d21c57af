"""The ``course-rnn`` command: ``release`` student notebooks, ``grade`` submissions.

Used by the exercises of every chapter; the instructors' page of chapter 0 shows both::

    course-rnn release exercises/en --out build/student/en
    course-rnn release exercises --out src/course_rnn/grading/released --replace
    course-rnn grade submissions/ --assignment exercises/en/01_recurrent_cell.ipynb \\
        --out grades.csv

``release`` exits with status 1, naming the failing notebook, question and test, when
an instructor's solution fails any of its tests (nothing is written then); with
``--replace`` the folder is replaced as a whole (``make release`` writes the copies
shipped in the package that way). ``grade``
exits with 0 once the gradebook is written, whatever the students' scores.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path


def _limits(args) -> dict:
    return {k: getattr(args, k) for k in ("cell_timeout", "call_timeout", "budget", "memory_mb")
            if getattr(args, k, None) is not None}


def main(argv: list[str] | None = None) -> int:
    """Run the ``course-rnn`` command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="course-rnn", description="Release student notebooks; grade submissions.")
    sub = parser.add_subparsers(dest="command", required=True)

    rel = sub.add_parser("release", help="write student notebooks (refused if a solution fails)")
    rel.add_argument("source", type=Path, help="an instructor notebook, or a folder of them")
    rel.add_argument("--out", type=Path, required=True, help="folder for the student versions")
    rel.add_argument("--replace", action="store_true",
                     help="replace OUT as a whole (files of removed notebooks go too); "
                          "a failed release leaves it as it was")

    gr = sub.add_parser("grade", help="grade a folder of submitted notebooks")
    gr.add_argument("submissions", type=Path, help="folder of submitted .ipynb files")
    gr.add_argument("--assignment", type=Path, required=True,
                    help="the instructor notebook (e.g. exercises/en/01_recurrent_cell.ipynb)")
    gr.add_argument("--out", type=Path, required=True, help="the gradebook (CSV)")
    gr.add_argument("--feedback", type=Path, help="folder of per-student JSON feedback "
                    "(default: OUT without .csv, plus _feedback)")
    gr.add_argument("--jobs", type=int, help="parallel workers (default: all cores)")
    gr.add_argument("--lang", choices=("ko", "en"), help="language of the feedback")
    gr.add_argument("--quiet", action="store_true", help="no progress bar")
    for p in (rel, gr):
        p.add_argument("--cell-timeout", type=float, help="seconds per notebook cell")
        p.add_argument("--call-timeout", type=float, help="seconds per test call")
        p.add_argument("--budget", type=float, help="seconds per submission, all runs together")
        p.add_argument("--memory-mb", type=int, help="address-space limit of a worker")
    args = parser.parse_args(argv)

    from course_rnn.grading.spec import FormatError

    if args.command == "release":
        from course_rnn.grading.release import ReleaseError, release

        try:
            written = release(args.source, args.out, _limits(args), replace=args.replace)
        except ReleaseError as exc:
            print(exc, file=sys.stderr)
            return 1
        for p in written:
            print(f"wrote {p}")
        return 0

    from course_rnn.grading.grade import grade_folder

    if not args.submissions.is_dir():
        print(f"course-rnn grade: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    try:
        feedbacks = grade_folder(args.assignment, args.submissions, args.out, args.feedback,
                                 args.jobs, _limits(args), args.lang, progress=not args.quiet)
    except FormatError as exc:
        print(f"course-rnn grade: {exc}", file=sys.stderr)
        return 1
    statuses = Counter(f["status"] for f in feedbacks)
    mean = sum(f["score"] for f in feedbacks) / max(len(feedbacks), 1)
    top = feedbacks[0]["max_score"] if feedbacks else 0
    print(f"graded {len(feedbacks)} submission(s) into {args.out}: mean {mean:.2f} of {top:g}; "
          + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
