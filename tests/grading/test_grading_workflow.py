"""The instructor's workflow end to end: release, roster, grade, late policy, regrade one,
manual points, HTML feedback, LMS export, nbgitpuller links (``course-rnn`` commands)."""

from __future__ import annotations

import csv
import json
import os
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from course_rnn.grading.assignment import load_assignment
from course_rnn.grading.bench import make_submission, solution_sources
from course_rnn.grading.cli import main
from course_rnn.grading.gradebook import GradebookError, LatePolicy, parse_time
from course_rnn.grading.links import nbgitpuller_url, read_repository
from course_rnn.grading.lms import merge_lms

ROOT = Path(__file__).resolve().parents[2]
CH1 = ROOT / "exercises" / "en" / "01_recurrent_cell.ipynb"
LIMITS = ["--call-timeout", "2", "--cell-timeout", "2", "--budget", "20", "--jobs", "2",
          "--quiet"]
NO_TANH = ("def rnn_cell_step_stacked(x_t, h_prev, W, b_h):\n"
           "    return np.concatenate([x_t, h_prev], axis=1) @ W + b_h\n")
INJECT = 'print("<script>alert(1)</script><b>bold</b>")\n'
BEFORE_DEADLINE = datetime.fromisoformat("2026-12-18T12:00:00+09:00").timestamp()


def write_nb(path: Path, nb: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")


def rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def local_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Chapter 1 released, a roster of 6, five submissions and one stranger, graded."""
    tmp = tmp_path_factory.mktemp("course")
    assert main(["release", str(CH1), "--out", str(tmp / "student")]) == 0
    student = json.loads((tmp / "student" / CH1.name).read_text(encoding="utf-8"))
    good = solution_sources(CH1)
    subs = tmp / "subs"
    write_nb(subs / "ana" / CH1.name, make_submission(student, good))
    write_nb(subs / "ben" / CH1.name, make_submission(student, good))  # late
    write_nb(subs / "cho" / CH1.name, make_submission(student, {**good,
                                                                "q5_answer": "q5_answer = 'c'\n"}))
    write_nb(subs / "dan" / CH1.name, make_submission(student, {
        **good, "rnn_cell_step_stacked": NO_TANH}))
    write_nb(subs / "fay" / CH1.name, make_submission(student, good, after=[INJECT]))
    write_nb(subs / "zed" / CH1.name, make_submission(student, good))  # not on the roster
    os.utime(subs / "fay" / CH1.name, (BEFORE_DEADLINE, BEFORE_DEADLINE))
    (tmp / "roster.csv").write_text(
        "id,name,email\nana,Ana Kim,ana@x.edu\nben,Ben Lee,\ncho,Cho Park,\ndan,Dan Choi,\n"
        "eve,Eve Han,\nfay,Fay Jung,\n", encoding="utf-8")
    (tmp / "times.csv").write_text(
        "id,submitted_at\nana,2026-12-20T20:00:00+09:00\nben,2026-12-22T10:00:00+09:00\n"
        "cho,2026-12-20T23:59:00+09:00\ndan,2026-12-19T09:00:00+09:00\n"
        "zed,2026-12-20T10:00:00+09:00\n", encoding="utf-8")
    (tmp / "lms.csv").write_text("id,name,00_getting_started\nana,Ana Kim,3\nold,Old Student,2\n",
                                 encoding="utf-8")
    code = main(["grade", str(subs), "--assignment", str(CH1), "--out", str(tmp / "grades.csv"),
                 "--roster", str(tmp / "roster.csv"), "--times", str(tmp / "times.csv"),
                 "--deadline", "2026-12-20T23:59+09:00", "--penalty-per-day", "10",
                 "--penalty-cap", "50", "--lms", str(tmp / "lms.csv"), *LIMITS])
    assert code == 0
    first = {p.name: p.read_bytes() for p in (tmp / "grades_feedback").iterdir()}
    return {"tmp": tmp, "student": student, "good": good, "first": first,
            "first_csv": (tmp / "grades.csv").read_text(encoding="utf-8")}


def test_the_first_gradebook_is_exact(course):
    a = load_assignment(CH1)
    pts = {q.id: q.points for q in a.questions}
    full = sum(pts.values())
    fay_time = local_iso(BEFORE_DEADLINE)

    def row(sid, name, points, total_before, at, days, penalty, total, status="graded",
            flag=""):
        return [sid, name, *(f"{points[q]:g}" for q in pts), f"{total_before:g}", at, str(days),
                f"{penalty:g}", f"{total:g}", f"{full:g}", status, flag, ""]

    zero = dict.fromkeys(pts, 0.0)
    cho = {**pts, "q5": 0.0}
    dan = {**pts, "q2": 0.0}
    expected = [
        ["student", "name", *pts, "total_before_penalty", "submitted_at", "days_late", "penalty",
         "total", "max", "status", "flag", "note"],
        row("ana", "Ana Kim", pts, full, "2026-12-20T20:00:00+09:00", 0, 0, full),
        # 34 hours late: two started days, 20 % of the points earned
        row("ben", "Ben Lee", pts, full, "2026-12-22T10:00:00+09:00", 2, 0.2 * full,
            0.8 * full),
        row("cho", "Cho Park", cho, full - 1, "2026-12-20T23:59:00+09:00", 0, 0, full - 1),
        row("dan", "Dan Choi", dan, full - pts["q2"], "2026-12-19T09:00:00+09:00", 0, 0,
            full - pts["q2"]),
        row("eve", "Eve Han", zero, 0, "", 0, 0, 0, status="missing"),
        row("fay", "Fay Jung", pts, full, fay_time, 0, 0, full),
        row("zed", "", pts, full, "2026-12-20T10:00:00+09:00", 0, 0, full, flag="not_on_roster"),
    ]
    got = list(csv.reader(course["first_csv"].splitlines()))
    assert got == expected
    meta = json.loads((course["tmp"] / "grades.meta.json").read_text(encoding="utf-8"))
    assert meta["assignment"] == "01_recurrent_cell" and isinstance(meta["salt"], int)
    assert meta["late"] == {"deadline": "2026-12-20T23:59+09:00", "penalty_per_day": 10.0,
                            "cap": 50.0}
    # the LMS file: this assignment's column added, the other column and rows kept
    lms = list(csv.reader((course["tmp"] / "lms.csv").read_text(encoding="utf-8").splitlines()))
    assert lms[0] == ["id", "name", "00_getting_started", "01_recurrent_cell"]
    assert lms[1] == ["ana", "Ana Kim", "3", f"{full:g}"]
    assert ["eve", "Eve Han", "", "0"] in lms and ["old", "Old Student", "2", ""] in lms
    assert ["ben", "Ben Lee", "", f"{0.8 * full:g}"] in lms


def test_html_feedback_shows_public_details_and_hides_hidden_values(course):
    fb_dir = course["tmp"] / "grades_feedback"
    fb = json.loads((fb_dir / "dan.json").read_text(encoding="utf-8"))
    page = (fb_dir / "dan.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<link" not in page
    q2 = next(q for q in fb["questions"] if q["id"] == "q2")
    hidden = [t for t in q2["tests"] if not t["public"]]
    public = [t for t in q2["tests"] if t["public"]]
    assert hidden and public and all(t["status"] == "failed" for t in q2["tests"])
    # the JSON explains a hidden failure with its expected value: the page never does
    for t in hidden:
        said = " ".join(t["lines"])
        number = re.search(r"expected (\S+), got", said).group(1)
        assert number not in page and said not in page
    assert "hidden test 3" in page and "its values are not shown" in page
    # the hidden tests' expected arrays, however printed, are not on the page
    a = load_assignment(CH1, salt=json.loads((course["tmp"] / "grades.meta.json").read_text())
                        ["salt"])
    for case in a.cases["q2"]:
        if not case.public:
            for v in case.expected.values():
                text = np.array2string(v, precision=4, threshold=200, edgeitems=3,
                                       suppress_small=True)
                assert text not in page and f"{v.flat[0]:.6g}" not in page
    # a public test in full: its explanation, its inputs and expected outputs as values
    for t in public:
        for line in t["lines"]:
            assert line.replace("'", "&#x27;") in page
    assert "Expected" in page and "h_next =" in page


def test_html_feedback_escapes_printed_output_and_shows_the_penalty(course):
    fb_dir = course["tmp"] / "grades_feedback"
    fay = (fb_dir / "fay.html").read_text(encoding="utf-8")
    assert "<script>" not in fay and "<b>bold" not in fay
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in fay
    ben = (fb_dir / "ben.html").read_text(encoding="utf-8")
    assert "2 day(s) late: 20% of 14 points taken off" in ben
    assert not (fb_dir / "eve.html").exists()  # no submission, no page


def test_regrade_one_student_with_a_manual_file(course):
    tmp = course["tmp"]
    fb_dir = tmp / "grades_feedback"
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in fb_dir.iterdir()}
    csv_inode = (tmp / "grades.csv").stat().st_ino
    # cho fixes q5; the instructor takes a point off ana's q1 after reading it
    write_nb(tmp / "subs" / "cho" / CH1.name, make_submission(course["student"], course["good"]))
    (tmp / "manual.csv").write_text(
        "id,question,points,comment\nana,q1,3,copied <code> from the book: see me\n",
        encoding="utf-8")
    code = main(["grade", str(tmp / "subs"), "--assignment", str(CH1), "--out",
                 str(tmp / "grades.csv"), "--only", "cho", "--manual", str(tmp / "manual.csv"),
                 *LIMITS])
    assert code == 0
    new = {r["student"]: r for r in rows(tmp / "grades.csv")}
    old = {r["student"]: r for r in csv.DictReader(course["first_csv"].splitlines())}
    assert sorted(new) == sorted(old)  # every row kept
    assert new["cho"]["total"] == "14" and new["cho"]["q5"] == "1"
    assert new["ana"]["q1"] == "3" and new["ana"]["total"] == "13"
    for sid in ("ben", "dan", "eve", "fay", "zed"):
        assert new[sid] == old[sid]  # the roster, times and late policy were reused
    assert (tmp / "grades.csv").stat().st_ino != csv_inode  # replaced, not rewritten in place
    assert not [p for p in tmp.rglob(".*") if p.name.endswith(".tmp")]
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in fb_dir.iterdir()}
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"cho.json", "cho.html", "ana.json", "ana.html"}
    ana = (fb_dir / "ana.html").read_text(encoding="utf-8")
    assert "Graded by hand: 3 of 4 points (automatic: 4)" in ana
    assert "copied &lt;code&gt; from the book: see me" in ana
    ana_fb = json.loads((fb_dir / "ana.json").read_text(encoding="utf-8"))
    assert ana_fb["questions"][0]["manual"]["comment"].startswith("copied <code>")


@pytest.mark.parametrize("body, message", [
    ("id,question,points,comment\nkim,q1,1,\n", "line 2: no student 'kim'"),
    ("id,question,points,comment\nana,q1,1,\nana,q9,1,\n", "line 3: no question 'q9'"),
    ("id,question,points,comment\nana,q1,9,\n", "line 2: 9 points for q1, which is worth 4"),
])
def test_a_wrong_manual_row_is_named_and_nothing_changes(course, body, message, capsys):
    tmp = course["tmp"]
    (tmp / "bad.csv").write_text(body, encoding="utf-8")
    gradebook = (tmp / "grades.csv").read_bytes()
    code = main(["grade", str(tmp / "subs"), "--assignment", str(CH1), "--out",
                 str(tmp / "grades.csv"), "--only", "cho", "--manual", str(tmp / "bad.csv"),
                 *LIMITS])
    assert code == 1 and message in capsys.readouterr().err
    assert (tmp / "grades.csv").read_bytes() == gradebook


def test_release_refuses_an_output_inside_its_source_and_a_student_version(tmp_path, capsys):
    src = tmp_path / "exercises"
    src.mkdir()
    (src / CH1.name).write_bytes(CH1.read_bytes())
    for out in (src, src / "student"):
        assert main(["release", str(src), "--out", str(out)]) == 1
        assert "inside the source folder" in capsys.readouterr().err
    assert main(["release", str(src / CH1.name), "--out", str(src)]) == 1
    assert sorted(p.name for p in src.rglob("*")) == [CH1.name]  # nothing written
    assert (src / CH1.name).read_bytes() == CH1.read_bytes()
    packaged = ROOT / "src" / "course_rnn" / "grading" / "released" / "en" / CH1.name
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / CH1.name).write_bytes(packaged.read_bytes())
    assert main(["release", str(tmp_path / "s"), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "is a student version" in err and "# QUESTION" in err
    assert not (tmp_path / "out").exists()
    (tmp_path / "subs").mkdir()
    assert main(["grade", str(tmp_path / "subs"), "--assignment", str(packaged), "--out",
                 str(tmp_path / "g.csv")]) == 1
    err = capsys.readouterr().err
    assert "is a student version of '01_recurrent_cell'" in err
    assert "expected the instructor's notebook" in err and not (tmp_path / "g.csv").exists()


def test_late_policy_counts_started_days_and_caps():
    p = LatePolicy("2026-12-20T23:59+09:00", 10, 25)
    at = lambda s: parse_time(s, "t")  # noqa: E731
    assert p.days_late(at("2026-12-20T23:59+09:00")) == 0
    assert p.days_late(at("2026-12-21T00:00+09:00")) == 1
    assert p.days_late(at("2026-12-21T23:59+09:00")) == 1
    assert p.days_late(at("2026-12-21T23:59:01+09:00")) == 2
    assert p.days_late(at("2026-12-20T15:00+00:00")) == 1  # zones are compared, not text
    assert [p.percent(d) for d in (0, 1, 2, 3, 9)] == [0, 10, 20, 25, 25]
    with pytest.raises(GradebookError, match="not an ISO 8601 time"):
        LatePolicy("20 Dec", 10)
    with pytest.raises(GradebookError, match="between 0 and 100"):
        LatePolicy("2026-12-20", 120)


def test_lms_merge_keeps_other_columns_and_refuses_a_foreign_file(tmp_path):
    lms = tmp_path / "lms.csv"
    lms.write_text(merge_lms(lms, "a1", {"kim": 3.5, "lee": 2}, {"kim": "Kim"}))
    lms.write_text(merge_lms(lms, "a2", {"lee": 7, "park": 1}))
    lms.write_text(merge_lms(lms, "a1", {"kim": 4}))
    assert lms.read_text() == "id,name,a1,a2\nkim,Kim,4,\nlee,,2,7\npark,,,1\n"
    other = tmp_path / "canvas.csv"
    other.write_text("Student,ID,SIS User ID\n")
    with pytest.raises(ValueError, match="expected \\['id', 'name'\\]"):
        merge_lms(other, "a1", {"kim": 1})


def test_nbgitpuller_links_from_the_repository_setting(tmp_path, capsys):
    url = nbgitpuller_url("https://hub.example.edu/", "https://github.com/a-teacher/rnn-course",
                          "main", "src/course_rnn/grading/released/ko/01_recurrent_cell.ipynb")
    assert url == ("https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2F"
                   "github.com%2Fa-teacher%2Frnn-course&branch=main&urlpath=lab/tree/"
                   "rnn-course/src/course_rnn/grading/released/ko/01_recurrent_cell.ipynb")
    query = parse_qs(urlsplit(url).query)
    assert query["repo"] == ["https://github.com/a-teacher/rnn-course"]
    # the book's own setting, and every released notebook of the edition asked for
    repo, branch = read_repository(ROOT / "_config.yml")
    assert main(["links", "--hub", "https://hub.example.edu", "--config",
                 str(ROOT / "_config.yml"), "--lang", "en"]) == 0
    lines = capsys.readouterr().out.splitlines()
    released = sorted((ROOT / "src/course_rnn/grading/released/en").glob("*.ipynb"))
    assert len(lines) == len(released) > 0
    path, link = lines[1].split("\t")
    assert path == f"src/course_rnn/grading/released/en/{released[1].name}"
    assert link == nbgitpuller_url("https://hub.example.edu", repo, branch, path)
    assert parse_qs(urlsplit(link).query)["branch"] == [branch]
    # another repository and branch, as make repository URL=... BRANCH=... would set
    cfg = tmp_path / "_config.yml"
    cfg.write_text('title: x\nrepository:\n  url: "https://github.com/me/rnn-course.git"\n'
                   "  branch: fall26\n  path_to_book: ''\nsphinx:\n  url: nope\n")
    assert read_repository(cfg) == ("https://github.com/me/rnn-course", "fall26")
    assert main(["links", "--hub", "hub.example.edu", "--config", str(ROOT / "_config.yml")]) == 1
    assert "expected the hub's address" in capsys.readouterr().err
