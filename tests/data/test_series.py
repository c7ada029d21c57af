"""data.series: the series of the forecasting benchmark and its three tasks."""

import numpy as np
import pytest

from course_rnn.data.series import generate_time_series, load_task


def test_series_follow_the_formula():
    rng = np.random.default_rng(5)
    s = generate_time_series(3, 40, np.random.default_rng(5))
    f1, f2, o1, o2 = rng.random((4, 3, 1))
    t = np.linspace(0, 1, 40)
    clean = 0.5 * np.sin((t - o1) * (f1 * 10 + 10)) + 0.2 * np.sin((t - o2) * (f2 * 20 + 20))
    noise = 0.1 * (rng.random((3, 40)) - 0.5)
    assert s.shape == (3, 40, 1) and s.dtype == np.float32
    np.testing.assert_allclose(s[..., 0], clean + noise, atol=1e-6)
    with pytest.raises(ValueError, match="n_series"):
        generate_time_series(0, 5, rng)


def test_tasks_shapes_and_alignment():
    nxt, ahead, s2s = (load_task(t, seed=3) for t in ("next", "ahead", "seq2seq"))
    assert nxt.X_train.shape == (7000, 50, 1) and nxt.Y_train.shape == (7000, 1)
    assert nxt.X_valid.shape == (2000, 50, 1) and nxt.X_test.shape == (1000, 50, 1)
    assert ahead.Y_valid.shape == (2000, 10) and s2s.Y_valid.shape == (2000, 50, 10)
    np.testing.assert_array_equal(ahead.X_valid, s2s.X_valid)
    # Y[:, t, k-1] is the value k steps after step t: x_{t+k}
    np.testing.assert_array_equal(s2s.Y_valid[:, 10, 0], s2s.X_valid[:, 11, 0])
    np.testing.assert_array_equal(s2s.Y_valid[:, 20, 4], s2s.X_valid[:, 25, 0])
    np.testing.assert_array_equal(s2s.Y_valid[:, -1], ahead.Y_valid)
    np.testing.assert_array_equal(load_task("next", 3).X_train, nxt.X_train)
    assert not np.array_equal(load_task("next", 4).X_train, nxt.X_train)
    with pytest.raises(ValueError, match="task must be one of"):
        load_task("tomorrow")
