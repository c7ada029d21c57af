"""Truncated-BPTT mini-batches read at different offsets of one sequence."""

import numpy as np
import pytest

from course_rnn.data.batches import truncated_bptt_batches


def test_worked_example_of_the_docstring():
    batches = truncated_bptt_batches(np.arange(13), batch_size=2, time_size=3)
    assert len(batches) == 2
    (xs0, ts0), (xs1, ts1) = batches
    np.testing.assert_array_equal(xs0, [[0, 1, 2], [6, 7, 8]])
    np.testing.assert_array_equal(ts0, [[1, 2, 3], [7, 8, 9]])
    np.testing.assert_array_equal(xs1, [[3, 4, 5], [9, 10, 11]])
    np.testing.assert_array_equal(ts1, [[4, 5, 6], [10, 11, 12]])


@pytest.mark.parametrize(("length", "B", "T"), [(101, 4, 5), (50, 1, 7), (37, 3, 1), (20, 19, 1)])
def test_rows_start_at_offsets_and_chunks_continue(length, B, T):
    ids = np.arange(length) * 10  # distinct ids, so positions can be read back
    batches = truncated_bptt_batches(ids, B, T)
    n = length - 1
    assert len(batches) == (n // B) // T
    rows = np.concatenate([xs for xs, _ in batches], axis=1)  # (B, n_chunks*T)
    targets = np.concatenate([ts for _, ts in batches], axis=1)
    for i in range(B):
        start = i * n // B
        np.testing.assert_array_equal(rows[i], ids[start : start + rows.shape[1]])
        np.testing.assert_array_equal(targets[i], ids[start + 1 : start + 1 + rows.shape[1]])
    assert all(xs.shape == (B, T) and ts.shape == (B, T) for xs, ts in batches)
    assert rows.max() <= ids[n - 1] and targets.max() <= ids[n]


def test_keeps_dtype_and_is_reiterable():
    ids = np.arange(30, dtype=np.int32)
    batches = truncated_bptt_batches(ids, 2, 4)
    assert batches[0][0].dtype == np.int32
    assert [b[0].tolist() for b in batches] == [b[0].tolist() for b in batches]


def test_errors():
    with pytest.raises(ValueError, match=r"ids has shape \(10,\): 3 rows get 3 steps each, "
                                         r"fewer than time_size=4"):
        truncated_bptt_batches(np.arange(10), 3, 4)
    with pytest.raises(ValueError, match="1-D array of integer ids"):
        truncated_bptt_batches(np.zeros((2, 5), dtype=int), 1, 1)
    with pytest.raises(ValueError, match="1-D array of integer ids"):
        truncated_bptt_batches(np.linspace(0, 1, 10), 1, 1)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        truncated_bptt_batches(np.arange(10), 0, 1)
