"""What several grading tests share: chapter 1's class set up for grading, and its q3 answered
without calling q1's function."""

import json
from pathlib import Path

from course_rnn.grading.bench import solution_sources
from course_rnn.grading.release import release

CHAPTER1 = Path(__file__).resolve().parents[1] / "exercises" / "en" / "01_recurrent_cell.ipynb"

# q3 without a call to rnn_cell_step: breaking (or slowing) q1 cannot spill into q3
SELF_CONTAINED_Q3 = '''def time_rnn_forward_lengths(xs, lengths, h0, W_xh, W_hh, b_h):
    N, T, _ = xs.shape
    h = np.zeros((N, W_hh.shape[0])) if h0 is None else h0
    hs = np.zeros((N, T, W_hh.shape[0]))
    for t in range(T):
        real = (t < lengths)[:, None]
        h = np.where(real, np.tanh(xs[:, t] @ W_xh + h @ W_hh + b_h), h)
        hs[:, t] = np.where(real, h, 0.0)
    return hs, h
'''


def chapter1_class(tmp: Path) -> tuple[dict, dict, Path]:
    """Release chapter 1 into ``tmp/student``; return the student notebook, the solutions
    (q3 self-contained) by function name, and an empty folder ``tmp/subs`` for submissions."""
    release(CHAPTER1, tmp / "student")
    student = json.loads((tmp / "student" / CHAPTER1.name).read_text(encoding="utf-8"))
    good = solution_sources(CHAPTER1)
    good["time_rnn_forward_lengths"] = SELF_CONTAINED_Q3
    subs = tmp / "subs"
    subs.mkdir()
    return student, good, subs
