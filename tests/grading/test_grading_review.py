"""Problems found reviewing the grader of #17 as a class and as an instructor would.

- A regrade of one student (``--only``) without ``--times`` kept the roster, salt, late
  policy and manual points but not the manifest of submission times: the student graded
  again got the file's modification time, and so a late penalty the manifest did not give.
- The HTML feedback showed a free-text answer (graded by hand, a hidden test) as "failed",
  with "your outputs differ from the expected ones", even once the instructor had given
  it full points.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import datetime
from pathlib import Path

from course_rnn.grading.bench import make_submission, solution_sources
from course_rnn.grading.cli import main
from course_rnn.grading.feedback_html import render

ROOT = Path(__file__).resolve().parents[2]
CH1 = ROOT / "exercises" / "en" / "01_recurrent_cell.ipynb"
PACKAGED = ROOT / "src" / "course_rnn" / "grading" / "released" / "en" / CH1.name
LIMITS = ["--call-timeout", "2", "--cell-timeout", "2", "--budget", "20", "--jobs", "1",
          "--quiet"]
AFTER_DEADLINE = datetime.fromisoformat("2027-01-15T12:00:00+09:00").timestamp()


def rows(path: Path) -> dict:
    return {r["student"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}


def test_a_regrade_keeps_the_manifest_of_submission_times(tmp_path):
    student = json.loads(PACKAGED.read_text(encoding="utf-8"))
    good = solution_sources(CH1)
    subs = tmp_path / "subs"
    for sid in ("ana", "cho"):
        path = subs / f"{sid}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(make_submission(student, good)), encoding="utf-8")
        os.utime(path, (AFTER_DEADLINE, AFTER_DEADLINE))  # copied to the grader after the deadline
    (tmp_path / "times.csv").write_text(
        "id,submitted_at\nana,2026-12-20T20:00:00+09:00\ncho,2026-12-20T23:00:00+09:00\n",
        encoding="utf-8")
    out = tmp_path / "grades.csv"
    common = [str(subs), "--assignment", str(CH1), "--out", str(out), *LIMITS]
    assert main(["grade", *common, "--times", str(tmp_path / "times.csv"),
                 "--deadline", "2026-12-20T23:59+09:00", "--penalty-per-day", "10"]) == 0
    first = rows(out)
    assert first["cho"]["submitted_at"] == "2026-12-20T23:00:00+09:00"
    assert first["cho"]["days_late"] == "0" and first["cho"]["total"] == "14"
    # cho is graded again (say, after a fix of the grader), without the manifest
    assert main(["grade", *common, "--only", "cho"]) == 0
    again = rows(out)
    assert again["cho"]["submitted_at"] == "2026-12-20T23:00:00+09:00", again["cho"]
    assert again["cho"]["days_late"] == "0" and again["cho"]["penalty"] == "0"
    assert again == first
    # a new manifest replaces the stored one
    (tmp_path / "times2.csv").write_text("id,submitted_at\ncho,2026-12-21T10:00:00+09:00\n",
                                         encoding="utf-8")
    assert main(["grade", *common, "--only", "cho", "--times", str(tmp_path / "times2.csv")]) == 0
    last = rows(out)
    assert last["cho"]["days_late"] == "1" and last["cho"]["total"] == "12.6"
    assert last["ana"] == first["ana"]


def text_feedback(lang: str, manual: dict | None = None) -> dict:
    q = {"id": "q2", "points": 0.0, "max_points": 2.0, "auto_points": 0.0,
         "tests": [{"qid": "q2", "index": 0, "public": False, "points": 0.0, "max_points": 2.0,
                    "status": "manual", "lines": ["Recorded: 17 characters, graded by hand."],
                    "hints": [], "inputs": "", "answer": "Because |W| < 1."}]}
    if manual:
        q["manual"] = manual
        q["points"] = manual["points"]
    return {"student": "kim", "assignment": "textq", "lang": lang, "status": "graded",
            "score": q["points"], "max_score": 2.0, "questions": [q], "cells": [], "notes": [],
            "stdout": ""}


def test_html_feedback_of_a_free_text_answer_is_neither_failed_nor_a_hidden_difference():
    for lang, words, failed, differ in (
            ("en", "graded by hand", ">failed<", "differ from the expected"),
            ("ko", "직접 채점", ">실패<", "기댓값과 다릅니다")):
        for manual in (None, {"points": 2.0, "comment": "good"}):
            page = render(text_feedback(lang, manual))
            assert words in page and "Recorded: 17 characters" in page, page
            assert failed not in page and differ not in page, page
            assert 'class="bad"' not in page
