"""The gradebook of one assignment: roster, submission times, late policy, manual points.

Used by the exercises of every chapter (``course-rnn grade``; the instructors' page of
chapter 0 walks through it). The sandbox's verdicts (``grade.grade_submission``) are the
*automatic* points of each question; this module turns them into the final grade:

- a **roster** (``--roster``: CSV ``id,name[,email]``) gives every student a row; a
  student without a submission gets status ``missing`` and 0 points; a submission whose
  student is not on it is graded and flagged ``not_on_roster``;
- the **submission time** of each notebook comes from a manifest (``--times``: CSV
  ``id,submitted_at`` in ISO 8601) or else from the file's modification time;
- a **late policy** (``--deadline``, ``--penalty-per-day``, ``--penalty-cap``) takes a
  percentage of the points earned per started day after the deadline, up to a cap;
- a **manual file** (``--manual``: CSV ``id,question,points,comment``) sets the points of
  a question by hand (free-text questions are graded this way; any question may be
  overridden), with the comment shown in the student's feedback.

The settings live beside the gradebook, in ``NAME.meta.json``, so that grading a few
students again (``--only``) reuses the same roster, salt, manifest of submission times,
late policy and manual points and keeps every other row. The final grade is always
recomputed from the automatic points stored in each feedback file, so applying a new
manual file never runs a submission again.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

ID_COLUMNS = ("id", "student")


class GradebookError(ValueError):
    """A roster, manifest, manual file or option is wrong: the message names the row."""


# ----------------------------------------------------------------------------- reading CSVs


def _rows(path: Path, required: tuple, what: str) -> list[tuple[int, dict]]:
    """``(line number, row)`` of a CSV with a header; the header must hold ``required``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GradebookError(f"{path}: cannot read the {what} ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise GradebookError(f"{path}: the {what} needs the column(s) {', '.join(missing)} "
                             f"in its first line (found: {', '.join(header) or 'nothing'})")
    out = []
    for row in reader:
        clean = {str(k).strip().lower(): (v or "").strip() for k, v in row.items()
                 if k is not None}
        if any(clean.values()):
            out.append((reader.line_num, clean))
    return out


def read_roster(path) -> dict:
    """``{id: {"name": ..., "email": ...}}`` from a CSV with columns ``id,name[,email]``."""
    roster: dict = {}
    for line, row in _rows(path, ("id", "name"), "roster"):
        sid = row["id"]
        if not sid:
            raise GradebookError(f"{path} line {line}: empty id")
        if sid in roster:
            raise GradebookError(f"{path} line {line}: the id {sid!r} appears twice")
        roster[sid] = {"name": row["name"], "email": row.get("email", "")}
    return roster


def parse_time(text: str, where: str) -> datetime:
    """An ISO 8601 time; without a zone it is the machine's local time. Always aware."""
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise GradebookError(f"{where}: {text!r} is not an ISO 8601 time "
                             "(e.g. 2026-12-20T23:59 or 2026-12-20T23:59:00+09:00)") from None
    return t if t.tzinfo is not None else t.astimezone()


def read_times(path) -> dict:
    """``{id: datetime}`` from a manifest CSV with columns ``id,submitted_at``."""
    out = {}
    for line, row in _rows(path, ("id", "submitted_at"), "manifest of submission times"):
        out[row["id"]] = parse_time(row["submitted_at"], f"{path} line {line}")
    return out


def file_time(path) -> datetime:
    """The modification time of a submitted file, as an aware local time."""
    return datetime.fromtimestamp(Path(path).stat().st_mtime).astimezone()


def iso(t: datetime) -> str:
    """``2026-12-21T08:30:00+09:00``: how times are written in the gradebook."""
    return t.isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- late policy


@dataclass
class LatePolicy:
    """``penalty_per_day`` percent of the points earned per started day late, at most ``cap``."""

    deadline: str  # ISO 8601, as given
    penalty_per_day: float = 0.0
    cap: float = 100.0

    def __post_init__(self):
        parse_time(self.deadline, "--deadline")
        if not 0 <= self.penalty_per_day <= 100:
            raise GradebookError(f"--penalty-per-day {self.penalty_per_day:g}: expected a "
                                 "percentage between 0 and 100")
        if not 0 <= self.cap <= 100:
            raise GradebookError(f"--penalty-cap {self.cap:g}: expected a percentage between "
                                 "0 and 100")

    def days_late(self, submitted: datetime) -> int:
        """Started days after the deadline (0 when on time): one second late is one day."""
        late = submitted - parse_time(self.deadline, "--deadline")
        if late <= timedelta(0):
            return 0
        return math.ceil(late / timedelta(days=1))

    def percent(self, days: int) -> float:
        """The percentage taken off for ``days`` days late."""
        return min(self.penalty_per_day * days, self.cap)


# ----------------------------------------------------------------------------- manual points


def read_manual(path, questions: dict, students) -> list[dict]:
    """Rows ``{id, question, points, comment}`` of a manual file, each checked.

    ``questions`` maps each question id to its points; ``students`` holds every id of the
    gradebook. A row naming an unknown student or question, points that are not a number
    between 0 and the question's points, or a second row for the same student and
    question, is an error naming the line.
    """
    out, seen = [], set()
    students = set(students)
    for line, row in _rows(path, ("id", "question", "points"), "manual file"):
        where = f"{path} line {line}"
        sid, qid = row["id"], row["question"]
        if sid not in students:
            raise GradebookError(f"{where}: no student {sid!r} in the gradebook (the roster "
                                 "and the submissions)")
        if qid not in questions:
            raise GradebookError(f"{where}: no question {qid!r} in this assignment "
                                 f"(questions: {', '.join(questions)})")
        try:
            points = float(row["points"])
        except ValueError:
            raise GradebookError(f"{where}: points {row['points']!r} is not a number") from None
        if not 0 <= points <= questions[qid]:
            raise GradebookError(f"{where}: {points:g} points for {qid}, which is worth "
                                 f"{questions[qid]:g}")
        if (sid, qid) in seen:
            raise GradebookError(f"{where}: a second row for {sid} {qid}")
        seen.add((sid, qid))
        out.append({"id": sid, "question": qid, "points": points,
                    "comment": row.get("comment", "")})
    return out


# ----------------------------------------------------------------------------- metadata


@dataclass
class Settings:
    """What a gradebook was graded with, kept in ``NAME.meta.json`` for the next run."""

    assignment: str
    salt: object = None
    roster: dict | None = None
    late: dict | None = None
    manual: list | None = None
    times: dict | None = None  # the manifest of submission times: {id: ISO 8601}

    @classmethod
    def read(cls, path: Path) -> Settings | None:
        """The settings of an existing gradebook, or None when there is none."""
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: data.get(k) for k in ("assignment", "salt", "roster", "late",
                                                   "manual", "times")})
        except (OSError, ValueError, TypeError) as exc:
            raise GradebookError(f"{path}: unreadable settings of the gradebook ({exc}); "
                                 "delete it to start a new gradebook") from None

    def policy(self) -> LatePolicy | None:
        """The late policy, or None."""
        return LatePolicy(**self.late) if self.late else None

    def text(self) -> str:
        """JSON text of the settings."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def meta_path(out_csv) -> Path:
    """``grades.csv`` -> ``grades.meta.json``."""
    out_csv = Path(out_csv)
    return out_csv.with_name(out_csv.stem + ".meta.json")


# ----------------------------------------------------------------------------- the final grade


def roster_key(student: str, roster: dict | None) -> str:
    """The row of a submission when there is a roster: the roster id it names.

    ``kim`` (``kim.ipynb``), ``kim/01_recurrent_cell`` (a folder per student) and
    ``section1/kim`` (a folder per section) all give ``kim`` when ``kim`` is on the
    roster; a submission not on it keeps its first folder (or its id when it has none).
    """
    if not roster or student in roster:
        return student
    parts = student.split("/")
    for candidate in (parts[0], parts[-1]):
        if candidate in roster:
            return candidate
    return parts[0]


def missing_feedback(sid: str, assignment, lang: str) -> dict:
    """The feedback of a student on the roster who handed nothing in."""
    return {"student": sid, "file": "", "assignment": assignment.id, "lang": lang,
            "status": "missing", "score": 0.0, "max_score": assignment.max_points,
            "questions": [{"id": q.id, "points": 0.0, "max_points": q.points, "tests": []}
                          for q in assignment.questions],
            "cells": [], "notes": [], "stdout": ""}


def finalize(fb: dict, manual: list, policy: LatePolicy | None, roster: dict | None) -> dict:
    """Apply manual points and the late policy to one feedback (in place; idempotent).

    The automatic points of each question are kept as ``auto_points`` (taken from
    ``points`` the first time); ``points`` becomes the manual points when a manual row
    names the question. ``total_before_penalty`` is their sum; ``penalty`` the points
    taken off for lateness; ``score`` the final total.
    """
    mine = {m["question"]: m for m in manual if m["id"] == fb["student"]}
    total = 0.0
    for q in fb["questions"]:
        q.setdefault("auto_points", q["points"])
        q.pop("manual", None)
        q["points"] = q["auto_points"]
        if q["id"] in mine:
            m = mine[q["id"]]
            q["points"] = m["points"]
            q["manual"] = {"points": m["points"], "comment": m["comment"]}
        total += q["points"]
    fb["total_before_penalty"] = total
    days = 0
    if policy is not None and fb.get("submitted_at"):
        days = policy.days_late(parse_time(fb["submitted_at"], fb["student"]))
    percent = policy.percent(days) if policy is not None else 0.0
    fb["late"] = {"days": days, "percent": percent,
                  "deadline": policy.deadline if policy is not None else None}
    fb["penalty"] = round(total * percent / 100, 6)
    fb["score"] = round(total - fb["penalty"], 6)
    fb["on_roster"] = None if roster is None else fb["student"] in roster
    return fb


def gradebook_rows(qids: list, feedbacks: list[dict], roster: dict | None) -> list[list[str]]:
    """The gradebook as rows (header first), one per student, sorted by id."""
    rows = [["student", "name", *qids, "total_before_penalty", "submitted_at", "days_late",
             "penalty", "total", "max", "status", "flag", "note"]]
    for fb in sorted(feedbacks, key=lambda f: f["student"]):
        points = {q["id"]: q["points"] for q in fb["questions"]}
        note = fb["notes"][0] if fb["status"] != "graded" and fb["notes"] else ""
        name = (roster or {}).get(fb["student"], {}).get("name", "")
        flag = "not_on_roster" if fb.get("on_roster") is False else ""
        rows.append([fb["student"], name, *(f"{points.get(q, 0.0):g}" for q in qids),
                     f"{fb.get('total_before_penalty', fb['score']):g}",
                     fb.get("submitted_at") or "", str((fb.get("late") or {}).get("days", 0)),
                     f"{fb.get('penalty', 0.0):g}", f"{fb['score']:g}", f"{fb['max_score']:g}",
                     fb["status"], flag, re.sub(r"\s+", " ", note)[:200]])
    return rows


def to_csv(rows: list[list[str]]) -> str:
    """CSV text of ``rows`` (lists of cells), one line each, ``\n`` line ends: what the
    gradebook, the LMS export and the stored settings are written as."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
