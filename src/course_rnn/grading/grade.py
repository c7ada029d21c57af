"""Batch grading: a folder of submitted notebooks into a gradebook and feedback files.

Used by the exercises of every chapter (``course-rnn grade``; the instructors' page of
chapter 0 shows a run). Each submission is graded on its own, in sandboxed worker
processes (``course_rnn.grading.sandbox``); submissions run in parallel, one per core.
What a worker sends back is only raw arrays; every comparison happens here.

A submission that kills its worker (an infinite loop that ignores the time limit,
``os._exit``, a crash) is run again without the cell that did it, or without the test
that did it, so every other question is still graded; a question whose tests end the
process twice gets no further attempt. Nothing a submission does changes another's
grade, and every submission gets a row in the gradebook, with a status: ``graded``,
``invalid_notebook``, ``wrong_assignment`` or ``grader_error`` (the grader's fault:
rerun). The gradebook is written atomically (a temporary file, then ``os.replace``),
so a crash halfway leaves the previous one intact; grades are deterministic, so a
rerun gives the same gradebook.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course_rnn.grading.assignment import Assignment, load_assignment
from course_rnn.grading.gradebook import (
    GradebookError,
    LatePolicy,
    Settings,
    file_time,
    finalize,
    gradebook_rows,
    iso,
    meta_path,
    missing_feedback,
    parse_time,
    read_manual,
    read_roster,
    read_times,
    roster_key,
    to_csv,
)
from course_rnn.grading.judge import TestResult, judge
from course_rnn.grading.messages import say
from course_rnn.grading.sandbox import Limits, Sandbox, backstop
from course_rnn.grading.spec import LANGS, cell_source, first_line, is_setup_cell

MAX_NOTEBOOK_BYTES = 20 * 2**20


@dataclass
class Submission:
    """A submitted notebook, read once into memory (later changes to the file do not count)."""

    student: str
    path: Path
    cells: list = field(default_factory=list)  # the code cells the grader runs
    labels: list = field(default_factory=list)  # "cell 4 (`def f(x):`)" for each of them
    assignment: str | None = None
    lang: str | None = None
    error: str | None = None


def student_id(path: Path, root: Path) -> str:
    """The student's id: the path below the submissions folder, without ``.ipynb``."""
    rel = path.relative_to(root).with_suffix("")
    return rel.as_posix()


def read_submission(path: Path, root: Path) -> Submission:
    """Read and parse one submission; never raises (problems go into ``error``)."""
    sub = Submission(student_id(path, root), path)
    try:
        data = path.read_bytes()
        if len(data) > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"{len(data) / 2**20:.0f} MB is too large for a notebook")
        nb = json.loads(data.decode("utf-8"))
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
        meta = nb.get("metadata", {})
        info = meta.get("course_rnn", {}) if isinstance(meta, dict) else {}
        if isinstance(info, dict):
            sub.assignment = info.get("assignment") if isinstance(info.get("assignment"),
                                                                    str) else None
            sub.lang = info.get("lang") if info.get("lang") in LANGS else None
        code = [c for c in nb["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"]
        setup_done = False
        for k, cell in enumerate(code, 1):
            src = cell_source(cell)
            if not setup_done and src.strip():
                setup_done = True
                if is_setup_cell(src):
                    continue
            sub.cells.append(src)
            sub.labels.append(f"{k} (`{first_line(src)[:40]}`)")
    except (OSError, ValueError, UnicodeDecodeError, RecursionError) as exc:
        sub.error = str(exc)[:300] or type(exc).__name__
    return sub


def find_submissions(folder: Path) -> list[Path]:
    """Every ``*.ipynb`` below ``folder`` (checkpoints and hidden folders left out), sorted."""
    folder = Path(folder)
    return sorted(p for p in folder.rglob("*.ipynb")
                  if not any(part.startswith(".") for part in p.relative_to(folder).parts))


# ----------------------------------------------------------------------------- one submission


def _reason(run, lang: str, limits: Limits) -> str:
    """Why a worker run ended, in words (the learner's language)."""
    key = run.end or "killed"
    info = dict(run.end_info)
    if key == "startup":
        return say("reason_grader", lang, detail=info.get("detail", ""))
    if key == "output_flood":
        return say("reason_output_flood", lang, mb=limits.max_result_mb)
    if key == "channel":
        return say("reason_channel_write", lang)
    if key == "unreadable":
        return say("reason_unreadable", lang)
    if key == "timeout":
        seconds = float(info.get("seconds") or 0)
        if info.get("cpu"):
            return say("reason_timeout_cpu", lang, seconds=seconds)
        return say("reason_timeout_wall", lang, seconds=backstop(seconds))
    if key == "budget":
        if info.get("wall"):
            return say("reason_budget_wall", lang, seconds=backstop(limits.budget))
        return say("reason_budget_cpu", lang, seconds=limits.budget)
    if key not in ("killed", "cpu", "exited"):
        key = "killed"
    info.setdefault("signal", "?")
    info.setdefault("code", "?")
    return say("reason_" + key, lang, **info)


def grade_submission(assignment: Assignment, sandbox: Sandbox, sub: Submission,
                     lang: str | None = None) -> dict:
    """Grade one submission; returns its feedback (a JSON-able dict, with the score)."""
    started = time.monotonic()
    lang = lang or sub.lang or assignment.lang
    limits = sandbox.limits
    fb = {"student": sub.student, "file": str(sub.path), "assignment": assignment.id,
          "lang": lang, "status": "graded", "score": 0.0, "max_score": assignment.max_points,
          "questions": [], "cells": [], "notes": [], "stdout": "", "runs": 0, "sandbox": {}}
    messages: dict = {}
    if sub.error is not None:
        fb["status"] = "invalid_notebook"
        fb["notes"].append(say("invalid_notebook", lang, error=sub.error))
    elif sub.assignment is not None and sub.assignment != assignment.id:
        fb["status"] = "wrong_assignment"
        fb["notes"].append(say("wrong_assignment", lang, got=sub.assignment,
                               expected=assignment.id))
    else:
        messages = _run_all(assignment, sandbox, sub, lang, fb)
    total = 0.0
    for q in assignment.questions:
        results = []
        for case in assignment.cases[q.id]:
            msg = messages.get(case.id)
            if msg is None:
                msg = {"fatal": fb["notes"][0] if fb["notes"] else "-", "status": "not_run"}
            if msg.get("error", {}).get("type") == "MemoryError":
                msg["error"]["limit"] = f"{limits.memory_mb} MB"
            r = judge(q, case, msg, lang)
            if r.status == "missing" and fb["cells"]:
                r.hints += [c["error"] for c in fb["cells"][:2]]
            results.append(r)
        points = sum(r.points for r in results)
        total += points
        fb["questions"].append({"id": q.id, "points": points, "max_points": q.points,
                                "tests": [r.to_dict() for r in results]})
    fb["score"] = total
    fb["seconds"] = round(time.monotonic() - started, 3)
    return fb


def _run_all(assignment, sandbox, sub, lang, fb) -> dict:
    """Run the submission, restarting after deaths; the message of every call by id.

    Limits are CPU time: ``budget`` CPU seconds for the whole submission, restarts
    included (each worker gets what is left as its ``RLIMIT_CPU``), and a wall-clock
    backstop of ``sandbox.backstop(budget)`` that an idle machine never reaches first.
    """
    limits = sandbox.limits
    calls = assignment.calls(limits.call_timeout)
    by_id = {c["id"]: c for c in calls}
    pending = [c["id"] for c in calls]
    messages: dict = {}
    skip: set = set()
    cell_errors: dict = {}
    deaths: Counter = Counter()
    startup_failures = 0
    cpu_used = 0.0
    deadline = time.monotonic() + backstop(limits.budget)
    while pending:
        cpu_left = limits.budget - cpu_used
        if time.monotonic() >= deadline or cpu_left <= 0:
            key = "reason_budget_cpu" if cpu_left <= 0 else "reason_budget_wall"
            seconds = limits.budget if cpu_left <= 0 else backstop(limits.budget)
            reason = say(key, lang, seconds=seconds)
            for cid in pending:
                messages[cid] = {"fatal": reason, "status": "not_run"}
            break
        run = sandbox.run(sub.cells, [by_id[c] for c in pending], skip, deadline, cpu_left)
        fb["runs"] += 1
        cpu_used += run.cpu
        if run.sandbox:
            fb["sandbox"] = run.sandbox
        for i, err in run.cells.items():
            cell_errors[i] = err
        for cid, msg in run.results.items():
            messages.setdefault(cid, msg)
        if run.stdout and not fb["stdout"]:
            fb["stdout"] = run.stdout
            fb["stdout_chars"] = run.stdout_chars
        if run.after_done:
            fb["notes"].append(say("reason_after_done", lang))
        pending = [c for c in pending if c not in messages]
        if run.finished:
            if pending:  # cannot happen: "done" answers the grader's "end", sent after all calls
                reason = say("reason_channel_write", lang)
                for cid in pending:
                    messages[cid] = {"fatal": reason, "status": "not_run"}
            break
        if run.end == "startup":
            startup_failures += 1
            if startup_failures < 2:
                continue
            fb["status"] = "grader_error"
            reason = _reason(run, lang, limits)
            fb["notes"].append(reason + (f" | {run.stderr[-500:]}" if run.stderr else ""))
            for cid in pending:
                messages[cid] = {"fatal": reason, "status": "not_run"}
            break
        reason = _reason(run, lang, limits)
        current = run.current
        if run.end == "budget":  # what ran gets the reason; nothing else is tried
            for cid in pending:
                died = current == ("call", cid)
                messages[cid] = {"fatal": reason, "status": "died" if died else "not_run"}
            if current is not None and current[0] == "cell":
                fb["notes"].append(say("reason_cell_died", lang, cell=sub.labels[current[1]],
                                       reason=reason))
            break
        if current is not None and current[0] == "cell" and current[1] not in skip:
            i = current[1]
            skip.add(i)
            cell_errors[i] = {"type": "ProcessEnded", "message": reason}
            fb["notes"].append(say("reason_cell_died", lang, cell=sub.labels[i], reason=reason))
            continue
        victim = None
        if current is not None and current[0] == "call" and current[1] in pending:
            victim = current[1]
        elif pending:
            victim = pending[0]
        if victim is None:
            break
        messages[victim] = {"fatal": reason, "status": "died"}
        qid = victim.split("/")[0]
        deaths[qid] += 1
        if deaths[qid] >= 2:
            for cid in pending:
                if cid.split("/")[0] == qid and cid not in messages:
                    messages[cid] = {"fatal": say("reason_question_died", lang),
                                     "status": "not_run"}
        pending = [c for c in pending if c not in messages]
    for i in sorted(cell_errors):
        err = cell_errors[i]
        if err:
            text = say("cell_error", lang, cell=sub.labels[i], type=err.get("type"),
                       message=str(err.get("message", ""))[:300])
            where = err.get("where") or {}
            if where.get("line") and str(where.get("cell", "")).startswith("<cell"):
                text += " " + say("cell_line", lang, line=where["line"], code=where.get("code", ""))
            fb["cells"].append({"cell": sub.labels[i], "error": text})
    return messages


def grader_error_feedback(assignment: Assignment, sub: Submission, exc: BaseException) -> dict:
    """Feedback for a submission the grader itself failed on: kept, with status and reason."""
    return {"student": sub.student, "file": str(sub.path), "assignment": assignment.id,
            "lang": sub.lang or assignment.lang, "status": "grader_error", "score": 0.0,
            "max_score": assignment.max_points,
            "questions": [{"id": q.id, "points": 0.0, "max_points": q.points, "tests": []}
                          for q in assignment.questions],
            "cells": [], "stdout": "",
            "notes": ["".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]]}


# ----------------------------------------------------------------------------- files


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def gradebook_csv(assignment: Assignment, feedbacks: list[dict], roster: dict | None = None) -> str:
    """The gradebook as CSV text: one row per student, sorted; points per question.

    Columns: ``student, name``, one per question, ``total_before_penalty, submitted_at,
    days_late, penalty, total, max, status, flag, note`` (``gradebook.gradebook_rows``).
    """
    return to_csv(gradebook_rows([q.id for q in assignment.questions], feedbacks, roster))


def feedback_name(student: str) -> str:
    """A student's feedback file: ``kim/01_recurrent_cell`` -> ``kim__01_recurrent_cell.json``."""
    return student.replace("/", "__") + ".json"


def default_jobs() -> int:
    """The number of cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` atomically unless the file holds it already (then it is untouched)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, text)
    return True


def _previous(out_csv: Path, feedback_dir: Path, settings, assignment_id: str) -> dict:
    """``{student: feedback}`` of the rows of an existing gradebook of the same assignment."""
    if settings is None or not out_csv.exists():
        return {}
    if settings.assignment != assignment_id:
        raise GradebookError(f"{out_csv} is the gradebook of {settings.assignment!r}, not of "
                             f"{assignment_id!r}: choose another --out (or --fresh to replace it)")
    kept = {}
    with open(out_csv, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            sid = row.get("student", "")
            path = feedback_dir / feedback_name(sid)
            if row.get("status") == "missing" or not path.exists():
                continue
            try:
                kept[sid] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise GradebookError(f"{path}: unreadable feedback of {sid} ({exc}); grade "
                                     "that student again with --only") from None
    return kept


def grade_folder(assignment_path, submissions, out_csv, feedback_dir=None, jobs: int | None = None,
                 limits: dict | None = None, lang: str | None = None,
                 progress: bool = True, *, only=None, roster=None, times=None,
                 late: LatePolicy | None = None, manual=None, lms=None, html: bool = True,
                 fresh: bool = False, salt: int | None = None,
                 graded_now: list | None = None) -> list[dict]:
    """Grade the notebooks below ``submissions``; write the gradebook and feedback files.

    Parameters
    ----------
    assignment_path : path
        The instructor notebook of the assignment (e.g. ``exercises/en/01_recurrent_cell.ipynb``).
    submissions : path
        A folder; every ``*.ipynb`` below it is a submission, its student id the path
        below the folder without ``.ipynb`` (with a roster: the roster id that is the
        file's name or its first folder, ``kim/01_recurrent_cell.ipynb`` -> ``kim``).
    out_csv : path
        The gradebook, replaced atomically at the end. When it exists already (with its
        ``NAME.meta.json``), the students graded now replace their rows and every other
        row is kept, with the same roster, salt, late policy and manual points unless
        new ones are given; ``fresh`` starts a new gradebook instead.
    feedback_dir : path, optional
        ``STUDENT.json`` and ``STUDENT.html`` per student (default:
        ``<out_csv without .csv>_feedback``); a file whose content did not change is
        not rewritten.
    jobs : int, optional
        Parallel workers (default: the number of usable cores).
    limits : dict, optional
        Overrides of the sandbox's limits (fields of ``Limits``: ``cell_timeout``,
        ``call_timeout``, ``budget``, ``memory_mb``, ...), over those of the
        assignment's ``# ASSIGNMENT`` cell.
    lang : {"ko", "en"}, optional
        Language of the feedback (default: each notebook's own).
    only : list of str, optional
        Grade only these students (ids, or roster ids); each must have a submission.
    roster, times, manual : path, optional
        CSV files: ``id,name[,email]``; ``id,submitted_at``; ``id,question,points,comment``
        (``course_rnn.grading.gradebook``). Each one not given is the gradebook's (a
        regrade keeps the manifest of times, so that a student graded again is not late
        by the file's new modification time).
    late : LatePolicy, optional
        The deadline and the penalty per started day late.
    lms : path, optional
        The course's LMS file: this assignment's column is added or updated.
    html : bool
        Write the HTML feedback pages.
    salt : int, optional
        The salt the public tests are re-drawn with (default: the gradebook's, else a
        new one); recorded in ``NAME.meta.json``.
    graded_now : list, optional
        Filled with the ids of the students graded in this run.

    Returns the feedback of every student of the gradebook, sorted. Raises
    ``FormatError`` for a wrong assignment notebook and ``GradebookError`` for a wrong
    roster, manifest, manual file or option, before anything is written. Used by the
    exercises of every chapter (``course-rnn grade``).
    """
    from tqdm import tqdm

    from course_rnn.grading.assignment import new_salt, student_version_problem
    from course_rnn.grading.feedback_html import render
    from course_rnn.grading.lms import merge_lms
    from course_rnn.grading.spec import FormatError

    out_csv = Path(out_csv)
    feedback_dir = Path(feedback_dir) if feedback_dir else out_csv.with_name(
        out_csv.stem + "_feedback")
    jobs = jobs or default_jobs()
    problem = student_version_problem(assignment_path)
    if problem:
        raise FormatError(problem)
    settings = None if fresh else Settings.read(meta_path(out_csv))
    if salt is None and settings is not None:
        salt = settings.salt
    assignment = load_assignment(assignment_path, salt=new_salt() if salt is None else salt)
    previous = _previous(out_csv, feedback_dir, settings, assignment.id)
    if roster is not None:
        roster = read_roster(roster)
    elif settings is not None:
        roster = settings.roster
    if late is None and settings is not None:
        late = settings.policy()
    if times is not None:
        stamps = read_times(times)
    else:  # a regrade keeps the manifest it was first given (else every file's own time)
        stamps = {k: parse_time(v, f"{meta_path(out_csv)}: times of {k}")
                  for k, v in ((settings.times or {}) if settings is not None else {}).items()}
    root = Path(submissions)
    subs = [read_submission(p, root) for p in find_submissions(root)]
    by_key: dict = {}
    for s in subs:
        key = roster_key(s.student, roster)
        if key in by_key:
            raise GradebookError(f"two submissions for {key}: {by_key[key].path} and {s.path}")
        s.student = key
        by_key[key] = s
    if only:
        unknown = [o for o in only if o not in by_key]
        if unknown:
            raise GradebookError(f"--only: no submission for {', '.join(unknown)} in {root}")
        subs = [by_key[o] for o in sorted(set(only))]
    students = set(previous) | set(by_key) | set(roster or {})
    questions = {q.id: q.points for q in assignment.questions}
    if manual is not None:
        manual = read_manual(manual, questions, students)
    else:
        manual = [m for m in (settings.manual or [])] if settings is not None else []
    when = {}
    for s in subs:
        original = s.path.relative_to(root).with_suffix("").as_posix()
        t = stamps.get(s.student) or stamps.get(original)
        when[s.student] = iso(t if t is not None else file_time(s.path))
    feedbacks = {sid: fb for sid, fb in previous.items()}
    limits = Limits.for_assignment(assignment.notebook.config, limits)
    with Sandbox(limits, jobs=jobs) as sandbox, ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_submission, assignment, sandbox, s, lang): s for s in subs}
        bar = tqdm(total=len(subs), file=sys.stderr, unit="nb", disable=not progress,
                   desc=f"grading {assignment.id}")
        for fut in as_completed(futures):
            sub = futures[fut]
            try:
                fb = fut.result()
            except Exception as exc:  # a bug of the grader: the submission keeps its row
                fb = grader_error_feedback(assignment, sub, exc)
            fb["submitted_at"] = when[sub.student]
            finalize(fb, manual, late, roster)
            write_atomic(feedback_dir / feedback_name(fb["student"]),
                         json.dumps(fb, ensure_ascii=False, indent=1))
            feedbacks[fb["student"]] = fb
            bar.update(1)
        bar.close()
    fresh_ids = {s.student for s in subs}
    for sid in sorted(roster or {}):
        if sid not in feedbacks:
            feedbacks[sid] = missing_feedback(sid, assignment, lang or assignment.lang)
    for sid, fb in sorted(feedbacks.items()):
        finalize(fb, manual, late, roster)
        if fb["status"] == "missing":
            continue
        base = feedback_dir / feedback_name(sid)
        if sid not in fresh_ids:
            _write_if_changed(base, json.dumps(fb, ensure_ascii=False, indent=1))
        if html:
            name = (roster or {}).get(sid, {}).get("name", "")
            _write_if_changed(base.with_suffix(".html"), render(fb, assignment, name))
    result = [feedbacks[k] for k in sorted(feedbacks)]
    settings = Settings(assignment.id, assignment.salt, roster,
                        asdict(late) if late is not None else None, manual,
                        {k: iso(v) for k, v in stamps.items()} or None)
    write_atomic(meta_path(out_csv), settings.text())
    write_atomic(out_csv, gradebook_csv(assignment, result, roster))
    if lms is not None:
        names = {k: v.get("name", "") for k, v in (roster or {}).items()}
        write_atomic(Path(lms), merge_lms(lms, assignment.id, {f["student"]: f["score"]
                                                               for f in result}, names))
    if graded_now is not None:
        graded_now += sorted(fresh_ids)
    return result


def result_from_dict(d: dict) -> TestResult:
    """A ``TestResult`` back from a feedback file."""
    return TestResult(**d)
