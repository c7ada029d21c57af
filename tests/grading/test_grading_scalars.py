"""A learner's function may return a plain number: it travels as a 0-d array."""

from __future__ import annotations

import numpy as np

from course_rnn.grading import _worker


def test_zero_dimensional_values_keep_their_shape():
    for value in (np.float64(2.5), np.asarray(2.5), 3.0, np.int64(4)):
        enc = _worker.encode(value)
        assert enc["t"] == "array" and enc["shape"] == [], (value, enc)
        back = _worker.decode_inputs(enc)
        assert back.shape == () and back == np.asarray(value)


def test_arrays_round_trip():
    arr = np.arange(6.0).reshape(2, 3).T  # not contiguous
    back = _worker.decode_inputs(_worker.encode(arr))
    np.testing.assert_array_equal(back, arr)


def test_a_wrong_variant_that_returns_a_number_still_gives_its_hint(tmp_path):
    """A known mistake returning np.float64 (not an array) is kept, and its hint shows."""
    import json
    from pathlib import Path

    from course_rnn.grading.assignment import load_assignment
    from course_rnn.grading.judge import judge
    from course_rnn.grading.release import mistake_problems

    fixture = Path(__file__).parent / "grading_fixtures" / "bptt_step.ipynb"
    nb = json.loads(fixture.read_text())
    hidden = None
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        src = src.replace("return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)",
                          "return np.sum(np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h))")
        src = src.replace('"returns": ["h_next"],\n    "tests"',
                          '"returns": ["h_next"],\n    "mistakes": {"no_tanh": {"function": '
                          '"q1_no_tanh", "en": "tanh is missing", "ko": "tanh가 없습니다"}},\n'
                          '    "tests"')
        cell["source"] = src
        if src.startswith("def tanh_step("):
            hidden = {**cell, "source": "# HIDDEN\ndef q1_no_tanh(x_t, h_prev, W_xh, W_hh, b_h):"
                      "\n    return np.sum(x_t @ W_xh + h_prev @ W_hh + b_h)\n"}
    nb["cells"].insert(nb["cells"].index(next(c for c in nb["cells"] if c["source"]
                                              .startswith("def tanh_step("))) + 1, hidden)
    # q2's gradient check uses tanh_step as its forward: keep q2 away from the scalar version
    path = tmp_path / "scalar.ipynb"
    path.write_text(json.dumps(nb))
    a = load_assignment(path)
    q = next(q for q in a.questions if q.id == "q1")
    case = a.cases["q1"][0]
    assert case.mistakes["no_tanh"]["h_next"].shape == ()
    assert not [p for p in mistake_problems(a) if " q1:" in p]
    wrong = case.mistakes["no_tanh"]["h_next"]
    result = judge(q, case, {"outputs": {"h_next": _worker.encode(np.float64(wrong))}}, "en")
    assert not result.passed and "tanh is missing" in " ".join(result.hints)
