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
