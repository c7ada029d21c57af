"""data.tasks: the generated tasks of chapters 2, 3 and 5 (and the truncated-BPTT split)."""

import numpy as np
import pytest

from course_rnn.data.batches import split_for_truncated_bptt
from course_rnn.data.tasks import (
    FREQUENCIES,
    adding_problem,
    comparison_task,
    constant_baseline_mse,
    delayed_echo_batches,
    frequency_task,
    parity_task,
    reversal_task,
    sine_from_vector,
)
from course_rnn.sequence_models import IGNORE


def rng(seed=0):
    return np.random.default_rng(seed)


def test_sine_from_vector():
    x, ys = sine_from_vector(50, 12, rng(13))
    assert x.shape == (50, 2) and ys.shape == (50, 12, 1)
    a, omega = x[:, 0], x[:, 1]
    assert np.all((0.5 <= a) & (a <= 1)) and np.all((0.25 <= omega) & (omega <= 0.75))
    assert np.allclose(ys[:, 3, 0], a * np.sin(4 * omega))
    same = sine_from_vector(50, 12, rng(13))
    assert np.array_equal(same[1], ys)


def test_frequency_task():
    xs, labels = frequency_task(300, 20, rng(14), noise=0.0)
    assert xs.shape == (300, 20, 1) and labels.shape == (300,)
    assert set(np.unique(labels)) == {0, 1, 2}
    # noiseless: x_{t+1} + x_{t-1} = 2 cos(omega) x_t identifies the frequency
    n = 5
    ratio = (xs[n, 2, 0] + xs[n, 0, 0]) / (2 * xs[n, 1, 0])
    assert np.isclose(np.arccos(ratio), FREQUENCIES[labels[n]])


@pytest.mark.parametrize("neighbour", ["previous", "next"])
def test_comparison_task(neighbour):
    xs, labels = comparison_task(20, 7, rng(15), neighbour)
    assert xs.shape == (20, 7, 1) and labels.shape == (20, 7)
    x = xs[..., 0]
    if neighbour == "previous":
        assert np.all(labels[:, 0] == IGNORE)
        assert np.array_equal(labels[:, 1:], (x[:, 1:] > x[:, :-1]).astype(int))
    else:
        assert np.all(labels[:, -1] == IGNORE)
        assert np.array_equal(labels[:, :-1], (x[:, :-1] > x[:, 1:]).astype(int))
    with pytest.raises(ValueError, match="neighbour"):
        comparison_task(2, 3, rng(), "both")


def test_reversal_task():
    src, tgt = reversal_task(10, 6, 5, rng(16))
    assert src.shape == tgt.shape == (10, 6)
    assert src.min() >= 0 and src.max() < 5
    assert np.array_equal(tgt, src[:, ::-1])


def test_parity_task():
    xs, labels = parity_task(30, 9, rng(17), window=4)
    bits = xs[..., 0].astype(int)
    assert set(np.unique(bits)) <= {0, 1}
    assert np.all(labels[:, :3] == IGNORE)
    for t in range(3, 9):
        assert np.array_equal(labels[:, t], bits[:, t - 3:t + 1].sum(axis=1) % 2)
    with pytest.raises(ValueError, match="window"):
        parity_task(2, 3, rng(), window=4)


def test_adding_problem_shapes_and_markers():
    xs, ys = adding_problem(200, 20, rng=0, dtype=np.float64)
    assert xs.shape == (200, 20, 2) and ys.shape == (200, 1) and xs.dtype == np.float64
    marks = xs[..., 1]
    assert np.all(marks.sum(axis=1) == 2)
    assert np.all(marks[:, :10].sum(axis=1) == 1) and np.all(marks[:, 10:].sum(axis=1) == 1)
    np.testing.assert_allclose(ys[:, 0], (xs[..., 0] * marks).sum(axis=1))
    assert np.all((xs[..., 0] >= 0) & (xs[..., 0] < 1))
    a, _ = adding_problem(5, 20, rng=3)
    b, _ = adding_problem(5, 20, rng=3)
    assert a.dtype == np.float32 and np.array_equal(a, b)
    with pytest.raises(ValueError):
        adding_problem(5, 1, rng=0)


def test_constant_baseline_is_one_sixth():
    _, ys = adding_problem(200_000, 10, rng=1, dtype=np.float64)
    assert constant_baseline_mse(ys) == pytest.approx(1 / 6, abs=3e-3)
    assert constant_baseline_mse([[1.0], [3.0]], c=2.0) == 1.0


def test_delayed_echo_batches_and_split():
    batches = delayed_echo_batches(3, 4, 10, 5, 3, rng=0)
    assert len(batches) == 3
    xs = np.concatenate([b[0] for b in batches], axis=1)  # (4, 30): the streams
    ys = np.concatenate([b[1] for b in batches], axis=1)
    assert xs.shape == ys.shape == (4, 30) and xs.max() < 5 and ys.min() >= 0
    np.testing.assert_array_equal(ys[:, 3:], xs[:, :-3])  # the echo crosses batch boundaries
    chunks = split_for_truncated_bptt(batches, 4)
    assert [c[0].shape[1] for c in chunks] == [4, 4, 2] * 3
    np.testing.assert_array_equal(np.concatenate([c[0] for c in chunks], axis=1), xs)
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks], axis=1), ys)
    with pytest.raises(ValueError, match="delay"):
        delayed_echo_batches(1, 1, 5, 3, 5, rng=0)
