"""The LMS export: one CSV for the whole course, one column per assignment (``--lms``).

Used by the exercises of every chapter (``course-rnn grade ... --lms lms.csv``; the
instructors' page of chapter 0 says how to import it). The layout is the one gradebook
imports of learning management systems read: a student identifier column (``id``),
the student's ``name``, then one column per assignment, headed by the assignment's id
(``01_recurrent_cell``), holding the final total (late penalty and manual points
included). Grading another assignment into the same file adds its column, and grading
one again updates it; every other column and row is kept. The file is replaced
atomically.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path


class LmsError(ValueError):
    """The existing LMS file cannot be merged into: the message says why."""


def merge_lms(path, assignment_id: str, grades: dict, names: dict | None = None) -> str:
    """CSV text of the LMS file at ``path`` (if any) with ``assignment_id``'s column set.

    ``grades`` maps each student id to the final total; ``names`` to the name. Students
    already in the file keep their other columns; new ones get a row (blank elsewhere).
    Rows are sorted by id.
    """
    path = Path(path)
    names = names or {}
    header, rows = ["id", "name"], {}
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise LmsError(f"{path}: cannot read the LMS file ({exc})") from None
        reader = csv.reader(io.StringIO(text))
        old = next(reader, None)
        if old is not None:
            if len(old) < 2 or old[0] != "id" or old[1] != "name":
                raise LmsError(f"{path}: not an LMS file of this grader (its first columns "
                               f"are {old[:2]}, expected ['id', 'name']); choose another --lms")
            if len(set(old)) != len(old):
                raise LmsError(f"{path}: a column appears twice in its first line")
            header = old
            for n, row in enumerate(reader, 2):
                if not any(row):
                    continue
                if len(row) > len(header):
                    raise LmsError(f"{path} line {n}: {len(row)} values for "
                                   f"{len(header)} columns")
                rows[row[0]] = dict(zip(header, row + [""] * (len(header) - len(row)),
                                        strict=True))
    if assignment_id not in header:
        header = [*header, assignment_id]
    for sid, total in grades.items():
        row = rows.setdefault(sid, {"id": sid, "name": ""})
        if names.get(sid):
            row["name"] = names[sid]
        row[assignment_id] = f"{total:g}"
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for sid in sorted(rows):
        w.writerow([rows[sid].get(h, "") for h in header])
    return out.getvalue()
