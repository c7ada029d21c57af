"""A student's feedback as one readable, self-contained HTML page (``grades_feedback/ID.html``).

Used by the exercises of every chapter (``course-rnn grade`` writes one page per student
beside the JSON feedback; the instructors' page of chapter 0 shows what it holds). Per
question: the points, and for each test

- a **public** test in full: the inputs (sizes, shapes and values), the expected outputs,
  and the grader's explanation of any difference (the largest error, where, expected
  against actual) with its hint;
- a **hidden** test as passed or failed with the hint only: never its inputs' values nor
  its expected outputs (an error the submission raised is still named).

Then the points set by hand with the instructor's comment, the late penalty, the
notebook's cell errors and the start of its printed output. Every text is escaped (a
submission's output cannot inject HTML), the CSS is inline, and the page is in the
feedback's language (Korean or English).
"""

from __future__ import annotations

import html

import numpy as np

from course_rnn.grading.messages import MESSAGES, say

# the page's own texts, in the grader's one catalogue of bilingual messages (``say``)
MESSAGES.update({f"html_{key}": text for key, text in {
    "title": {"en": "Feedback: {assignment}", "ko": "피드백: {assignment}"},
    "student": {"en": "Student", "ko": "학생"},
    "score": {"en": "Score", "ko": "점수"},
    "status": {"en": "Status", "ko": "상태"},
    "question": {"en": "Question {qid}", "ko": "문제 {qid}"},
    "points": {"en": "{points:g} of {max:g} points", "ko": "{max:g}점 중 {points:g}점"},
    "passed": {"en": "passed", "ko": "통과"},
    "failed": {"en": "failed", "ko": "실패"},
    "manual_status": {"en": "graded by hand", "ko": "직접 채점"},
    "recorded": {"en": "recorded", "ko": "기록함"},
    "inputs": {"en": "Inputs", "ko": "입력"},
    "expected": {"en": "Expected", "ko": "기댓값"},
    "hint": {"en": "Hint", "ko": "힌트"},
    "hidden_failed": {
        "en": "Your outputs differ from the expected ones on this hidden test; its values are "
        "not shown. Check the cases the public tests do not cover.",
        "ko": "이 숨은 테스트에서 출력이 기댓값과 다릅니다. 숨은 테스트의 값은 보여 주지 "
        "않습니다. 공개 테스트가 다루지 않는 경우를 점검해 보세요.",
    },
    "manual": {"en": "Graded by hand: {points:g} of {max:g} points (automatic: {auto:g})",
               "ko": "직접 채점: {max:g}점 중 {points:g}점 (자동 채점: {auto:g}점)"},
    "comment": {"en": "Comment", "ko": "의견"},
    "late": {
        "en": "Submitted {days} day(s) late: {percent:g}% of {total:g} points taken off "
        "(−{penalty:g}).",
        "ko": "마감보다 {days}일 늦게 제출해 {total:g}점의 {percent:g}%를 감점했습니다 "
        "(−{penalty:g}점).",
    },
    "on_time": {"en": "Submitted on time.", "ko": "기한 안에 제출했습니다."},
    "submitted": {"en": "Submitted at {at}", "ko": "제출 시각: {at}"},
    "cells": {"en": "Errors in your cells", "ko": "셀에서 난 오류"},
    "notes": {"en": "Notes", "ko": "참고"},
    "stdout": {"en": "Printed output (start)", "ko": "출력 (앞부분)"},
    "total": {"en": "Total", "ko": "합계"},
}.items()})

STATUS = {
    "graded": {"en": "graded", "ko": "채점 완료"},
    "missing": {"en": "no submission", "ko": "제출 없음"},
    "invalid_notebook": {"en": "unreadable notebook", "ko": "읽을 수 없는 노트북"},
    "wrong_assignment": {"en": "another assignment", "ko": "다른 과제"},
    "grader_error": {"en": "grader error", "ko": "채점기 오류"},
}

# statuses whose explanation is about the submission alone (no expected value in it)
SAFE_HIDDEN = {"error", "missing", "not_implemented", "timeout", "died", "not_run",
               "unanswered", "invalid", "manual", "recorded"}
# statuses that are neither a pass nor a failure: a free-text answer waiting for the
# instructor's points, an answer recorded without a right one (a survey question)
NEUTRAL = {"manual": "manual_status", "recorded": "recorded"}

CSS = """
body{font-family:system-ui,-apple-system,"Noto Sans KR",sans-serif;max-width:52rem;margin:2rem auto;
padding:0 1rem;color:#1f2328;line-height:1.5}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
.summary td{padding:.1rem .8rem .1rem 0}.test{border-left:4px solid #d0d7de;padding:.3rem .8rem;
margin:.6rem 0}.passed{border-color:#1a7f37}.failed{border-color:#cf222e}.label{font-weight:600}
.ok{color:#1a7f37}.bad{color:#cf222e}pre{background:#f6f8fa;padding:.5rem;overflow-x:auto;
font-size:.85rem;white-space:pre-wrap}.hint{background:#fff8c5;padding:.2rem .5rem}
.manual{background:#ddf4ff;padding:.3rem .6rem}
"""


def _t(key: str, lang: str, **fields) -> str:
    return say(f"html_{key}", lang, **fields)


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _array(value) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=4, threshold=200, edgeitems=3,
                               suppress_small=True)
    return repr(value)


def _public_values(case) -> str:
    parts = []
    for name, v in case.inputs.items():
        parts.append(f"{name} =\n{_array(v)}")
    return "\n".join(parts)


def _expected_values(case) -> str:
    return "\n".join(f"{name} =\n{_array(v)}" for name, v in case.expected.items())


def _test(t: dict, case, lang: str) -> str:
    ok = t["status"] == "passed"
    neutral = NEUTRAL.get(t["status"])
    label = say("test_label" if t["public"] else "hidden_label", lang, k=t["index"] + 1)
    verdict = _t(neutral or ("passed" if ok else "failed"), lang)
    box, mark = ("", "") if neutral else (("passed", "ok") if ok else ("failed", "bad"))
    out = [f'<div class="test {box}">',
           f'<span class="label">{_e(label)}</span> · <span class="{mark}">'
           f'{_e(verdict)}</span> ({t["points"]:g}/{t["max_points"]:g})']
    if t["public"]:
        if t.get("inputs"):
            out.append(f"<div>{_e(_t('inputs', lang))}: {_e(t['inputs'])}</div>")
        if case is not None:
            out.append(f"<details><summary>{_e(_t('inputs', lang))}</summary>"
                       f"<pre>{_e(_public_values(case))}</pre></details>")
            if case.expected:
                out.append(f"<details><summary>{_e(_t('expected', lang))}</summary>"
                           f"<pre>{_e(_expected_values(case))}</pre></details>")
        for line in t.get("lines") or []:
            out.append(f"<div>{_e(line)}</div>")
    elif not ok:
        if t["status"] in SAFE_HIDDEN:
            out += [f"<div>{_e(line)}</div>" for line in t.get("lines") or []]
        else:
            out.append(f"<div>{_e(_t('hidden_failed', lang))}</div>")
    for hint in t.get("hints") or []:
        out.append(f'<div class="hint">{_e(_t("hint", lang))}: {_e(hint)}</div>')
    out.append("</div>")
    return "\n".join(out)


def render(fb: dict, assignment=None, name: str = "") -> str:
    """The HTML page of one feedback (a dict of ``grade_submission``, finalized).

    ``assignment`` (optional) adds the values of the public tests' inputs and expected
    outputs; ``name`` is the student's name from the roster.
    """
    lang = fb.get("lang") if fb.get("lang") in ("ko", "en") else "en"
    cases = {}
    if assignment is not None:
        cases = {(c.qid, c.index): c for qcases in assignment.cases.values() for c in qcases
                 if c.public}
    status = STATUS.get(fb["status"], {}).get(lang, fb["status"])
    who = fb["student"] + (f" ({name})" if name else "")
    body = [f"<h1>{_e(_t('title', lang, assignment=fb['assignment']))}</h1>",
            '<table class="summary">',
            f"<tr><td>{_e(_t('student', lang))}</td><td>{_e(who)}</td></tr>",
            f"<tr><td>{_e(_t('score', lang))}</td><td><b>{fb['score']:g} / "
            f"{fb['max_score']:g}</b></td></tr>",
            f"<tr><td>{_e(_t('status', lang))}</td><td>{_e(status)}</td></tr>", "</table>"]
    late = fb.get("late") or {}
    if fb.get("submitted_at"):
        body.append(f"<p>{_e(_t('submitted', lang, at=fb['submitted_at']))}</p>")
    if late.get("days"):
        body.append("<p class=\"bad\">" + _e(_t(
            "late", lang, days=late["days"], percent=late["percent"],
            total=fb.get("total_before_penalty", fb["score"]), penalty=fb.get("penalty", 0.0)))
            + "</p>")
    elif late.get("deadline") and fb.get("submitted_at"):
        body.append(f"<p>{_e(_t('on_time', lang))}</p>")
    for q in fb["questions"]:
        body.append(f"<h2>{_e(_t('question', lang, qid=q['id']))} · "
                    f"{_e(_t('points', lang, points=q['points'], max=q['max_points']))}</h2>")
        if q.get("manual"):
            m = q["manual"]
            text = _t("manual", lang, points=m["points"], max=q["max_points"],
                      auto=q.get("auto_points", 0.0))
            comment = (f"<br>{_e(_t('comment', lang))}: {_e(m['comment'])}"
                       if m.get("comment") else "")
            body.append(f'<div class="manual">{_e(text)}{comment}</div>')
        for t in q.get("tests") or []:
            body.append(_test(t, cases.get((q["id"], t["index"])), lang))
    if fb.get("cells"):
        body.append(f"<h2>{_e(_t('cells', lang))}</h2>")
        body += [f"<pre>{_e(c.get('error', ''))}</pre>" for c in fb["cells"]]
    if fb.get("notes"):
        body.append(f"<h2>{_e(_t('notes', lang))}</h2>")
        body += [f"<p>{_e(n)}</p>" for n in fb["notes"]]
    if fb.get("stdout"):
        body.append(f"<h2>{_e(_t('stdout', lang))}</h2><pre>{_e(fb['stdout'])}</pre>")
    title = _e(_t("title", lang, assignment=fb["assignment"]) + " · " + fb["student"])
    return ("<!DOCTYPE html>\n"
            f'<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")
