"""experiments.kinds: the measures and baselines of chapter 2."""

import numpy as np
import pytest

from course_rnn.experiments.kinds import accuracy, majority_accuracy, mean_baseline_mse
from course_rnn.layers import one_hot
from course_rnn.sequence_models import IGNORE


def test_one_hot_and_accuracy():
    assert np.array_equal(one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError):
        one_hot([3], 3)
    scores = np.array([[[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]])
    assert accuracy(scores, np.array([[1, 1, IGNORE]])) == 0.5
    assert accuracy(np.array([1, 2, 3]), np.array([1, 0, 3])) == pytest.approx(2 / 3)


def test_baselines():
    assert majority_accuracy([0, 1, 1, IGNORE], [1, 0, IGNORE, 1]) == pytest.approx(2 / 3)
    train = np.array([[[1.0], [2.0]], [[3.0], [4.0]]])  # mean sequence (2, 3)
    assert mean_baseline_mse(train, np.array([[[2.0], [3.0]]])) == 0.0
    assert mean_baseline_mse(train, np.array([[[3.0], [3.0]]])) == 0.5
