"""The walkthrough of the instructors' page: release chapter 1, grade a made-up class of
correct, wrong and hostile submissions, and get the expected gradebook, every lost point
explained."""

from __future__ import annotations

import csv
import json

import pytest

from course_rnn.grading.demo import EXPECTED, instructor_notebook, main
from course_rnn.grading.grade import grade_folder


@pytest.mark.slow
def test_the_demo_class_gets_the_expected_gradebook(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    assert "course-rnn grade" in capsys.readouterr().out
    folder = tmp_path / "submissions"
    assert sorted(p.stem for p in folder.glob("*.ipynb")) == sorted(EXPECTED)
    out = tmp_path / "grades.csv"
    grade_folder(instructor_notebook("en"), folder, out, jobs=2, progress=False,
                 limits={"cell_timeout": 3.0, "call_timeout": 2.0, "budget": 30.0})
    rows = {r["student"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    got = {s: (float(r["total"]), r["status"]) for s, r in rows.items()}
    assert got == EXPECTED
    for student, (_total, status) in EXPECTED.items():
        if status != "graded":
            assert rows[student]["note"], f"{student}: no reason given"
            continue
        fb = json.loads((tmp_path / "grades_feedback" / f"{student}.json").read_text("utf-8"))
        for q in fb["questions"]:
            lost = [t for t in q["tests"] if t["points"] < t["max_points"]]
            for t in lost:  # every lost point comes with a reason
                assert t["status"] != "passed" and (t["lines"] or t["hints"]), (student, t)
