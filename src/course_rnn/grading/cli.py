"""The ``course-rnn`` command: ``release`` student notebooks, ``grade`` submissions, ``links``.

Used by the exercises of every chapter; the instructors' page of chapter 0 walks through
the whole workflow::

    course-rnn release exercises/en --out build/student/en
    course-rnn release exercises --out src/course_rnn/grading/released --replace
    course-rnn grade submissions/ --assignment exercises/en/01_recurrent_cell.ipynb \\
        --out grades.csv --roster roster.csv --deadline 2026-12-20T23:59 \\
        --penalty-per-day 10 --penalty-cap 50 --manual manual.csv --lms lms.csv
    course-rnn grade submissions/ --assignment ... --out grades.csv --only kim lee
    course-rnn links --hub https://hub.example.edu

``release`` exits with status 1, naming the failing notebook, question and test, when
an instructor's solution fails any of its tests, when the output folder is inside the
source's folder, or when the source is a student version (nothing is written then);
with ``--replace`` the folder is replaced as a whole (``make release`` writes the copies
shipped in the package that way). ``grade`` exits with 0 once the gradebook is written,
whatever the students' scores, and with 1 (nothing written) on a wrong assignment
notebook, roster, manifest, manual file or option. ``links`` prints the nbgitpuller link
of every released student notebook.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path


def _limits(args) -> dict:
    return {k: getattr(args, k) for k in ("cell_timeout", "call_timeout", "budget", "memory_mb")
            if getattr(args, k, None) is not None}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="course-rnn",
        description="Release student notebooks; grade submissions; print JupyterHub links.")
    sub = parser.add_subparsers(dest="command", required=True)

    rel = sub.add_parser("release", help="write student notebooks (refused if a solution fails)")
    rel.add_argument("source", type=Path, help="an instructor notebook, or a folder of them")
    rel.add_argument("--out", type=Path, required=True,
                     help="folder for the student versions (not inside the source's folder)")
    rel.add_argument("--replace", action="store_true",
                     help="replace OUT as a whole (files of removed notebooks go too); "
                          "a failed release leaves it as it was")

    gr = sub.add_parser("grade", help="grade a folder of submitted notebooks")
    gr.add_argument("submissions", type=Path, help="folder of submitted .ipynb files")
    gr.add_argument("--assignment", type=Path, required=True,
                    help="the instructor notebook (e.g. exercises/en/01_recurrent_cell.ipynb)")
    gr.add_argument("--out", type=Path, required=True,
                    help="the gradebook (CSV); an existing one keeps the rows of the students "
                         "not graded now")
    gr.add_argument("--feedback", type=Path, help="folder of per-student feedback, JSON and "
                    "HTML (default: OUT without .csv, plus _feedback)")
    gr.add_argument("--only", nargs="+", metavar="ID",
                    help="grade only these students into the existing gradebook")
    gr.add_argument("--roster", type=Path,
                    help="CSV id,name[,email]: every student gets a row (no submission: "
                         "status missing, 0 points)")
    gr.add_argument("--times", type=Path, help="CSV id,submitted_at (ISO 8601); default: "
                    "each file's modification time")
    gr.add_argument("--deadline", help="ISO 8601, e.g. 2026-12-20T23:59 (local time unless "
                    "a zone is given)")
    gr.add_argument("--penalty-per-day", type=float, default=None,
                    help="percent of the points earned taken off per started day late")
    gr.add_argument("--penalty-cap", type=float, default=None,
                    help="largest penalty, in percent (default 100)")
    gr.add_argument("--manual", type=Path,
                    help="CSV id,question,points,comment: points set by hand (free-text "
                         "questions, overrides)")
    gr.add_argument("--lms", type=Path, help="course LMS file (CSV id,name, one column per "
                    "assignment): this assignment's column is added or updated")
    gr.add_argument("--no-html", action="store_true", help="no HTML feedback pages")
    gr.add_argument("--fresh", action="store_true",
                    help="start a new gradebook (forget the rows and settings of OUT)")
    gr.add_argument("--salt", type=int, help="salt of the re-drawn public tests (default: "
                    "the gradebook's, else a new one)")
    gr.add_argument("--jobs", type=int, help="parallel workers (default: all cores)")
    gr.add_argument("--lang", choices=("ko", "en"), help="language of the feedback")
    gr.add_argument("--quiet", action="store_true", help="no progress bar")
    for p in (rel, gr):
        p.add_argument("--cell-timeout", type=float, help="CPU seconds per notebook cell")
        p.add_argument("--call-timeout", type=float, help="CPU seconds per test call")
        p.add_argument("--budget", type=float, help="CPU seconds per submission, all runs together")
        p.add_argument("--memory-mb", type=int, help="address-space limit of a worker")

    li = sub.add_parser("links", help="nbgitpuller links of the released student notebooks")
    li.add_argument("--hub", required=True, help="the JupyterHub, e.g. https://hub.example.edu")
    li.add_argument("--config", type=Path, default=Path("_config.yml"),
                    help="the book's _config.yml (repository.url and .branch); default: "
                         "./_config.yml")
    li.add_argument("--repo", help="repository URL (instead of the config's)")
    li.add_argument("--branch", help="branch (instead of the config's)")
    li.add_argument("--lang", choices=("ko", "en"), help="only this edition")
    return parser


def _links(args) -> int:
    from course_rnn.grading.links import LinksError, links, read_repository, released_notebooks

    try:
        repo, branch = (args.repo, args.branch or "main") if args.repo else \
            read_repository(args.config)
        branch = args.branch or branch
        root = args.config.parent if not args.repo or args.config.exists() else Path(".")
        paths = [p for p in released_notebooks(root)
                 if args.lang is None or p.split("/")[-2] == args.lang]
        if not paths:
            raise LinksError(f"no released notebook below {root}/src/course_rnn/grading/"
                             "released (run from the repository's folder; make release)")
        for path, url in links(args.hub, repo, branch, paths):
            print(f"{path}\t{url}")
    except LinksError as exc:
        print(f"course-rnn links: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``course-rnn`` command line; returns the exit status."""
    args = _parser().parse_args(argv)

    from course_rnn.grading.spec import FormatError

    if args.command == "links":
        return _links(args)
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
    from course_rnn.grading.gradebook import GradebookError, LatePolicy
    from course_rnn.grading.lms import LmsError

    if not args.submissions.is_dir():
        print(f"course-rnn grade: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    now: list = []
    try:
        late = None
        if args.deadline is not None:
            late = LatePolicy(args.deadline, args.penalty_per_day or 0.0,
                              100.0 if args.penalty_cap is None else args.penalty_cap)
        elif args.penalty_per_day is not None or args.penalty_cap is not None:
            raise GradebookError("--penalty-per-day and --penalty-cap need --deadline")
        feedbacks = grade_folder(
            args.assignment, args.submissions, args.out, args.feedback, args.jobs,
            _limits(args), args.lang, progress=not args.quiet, only=args.only,
            roster=args.roster, times=args.times, late=late, manual=args.manual, lms=args.lms,
            html=not args.no_html, fresh=args.fresh, salt=args.salt, graded_now=now)
    except (FormatError, GradebookError, LmsError) as exc:
        print(f"course-rnn grade: {exc}", file=sys.stderr)
        return 1
    graded = [f for f in feedbacks if f["student"] in set(now)]
    statuses = Counter(f["status"] for f in feedbacks)
    mean = sum(f["score"] for f in graded) / max(len(graded), 1)
    top = feedbacks[0]["max_score"] if feedbacks else 0
    print(f"graded {len(graded)} submission(s) into {args.out} ({len(feedbacks)} row(s)): "
          f"mean {mean:.2f} of {top:g}; "
          + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    stray = [f["student"] for f in feedbacks if f.get("on_roster") is False]
    if stray:
        print(f"not on the roster (graded, flagged): {', '.join(stray)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
