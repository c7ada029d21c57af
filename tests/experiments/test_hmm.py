"""The HMM of chapter 1: the forward algorithm against the sum over every path."""

from __future__ import annotations

import numpy as np
import pytest

from course_rnn.experiments.hmm import (
    deterministic_transitions,
    hmm_filter,
    hmm_filter_step,
    hmm_likelihood_brute_force,
    hmm_sample,
)


@pytest.fixture
def model():
    p0 = np.array([1.0, 0.0, 0.0])
    A = np.array([[0.8, 0.15, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    B = np.array([[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.1, 0.2, 0.7]])
    return p0, A, B


def test_filter_equals_the_sum_over_all_paths(model):
    p0, A, B = model
    ys = np.array([0, 0, 1, 2, 2, 1, 0])
    brute = hmm_likelihood_brute_force(p0, A, B, ys)
    filt = hmm_filter(p0, A, B, ys)
    assert brute.n_paths == 3**8
    assert brute.n_nonzero == 3**7  # z_0 is fixed by p0, every later path is possible
    np.testing.assert_allclose(np.exp(filt.log_likelihood), brute.likelihood, rtol=1e-12)
    np.testing.assert_allclose(filt.beliefs.sum(axis=1), 1.0)
    assert 0 < brute.best_share < 1


def test_time_varying_transitions(model):
    p0, _, B = model
    rng = np.random.default_rng(1)
    As = rng.dirichlet(np.ones(3), size=(5, 3))  # (T, K, K), rows sum to 1
    ys = np.array([2, 1, 0, 0, 1])
    brute = hmm_likelihood_brute_force(p0, As, B, ys)
    filt = hmm_filter(p0, As, B, ys)
    np.testing.assert_allclose(np.exp(filt.log_likelihood), brute.likelihood, rtol=1e-12)


def test_deterministic_transitions_leave_one_path(model):
    p0, _, B = model
    table = np.array([[0, 1, 2], [1, 2, 0]])  # input 0 keeps the state, input 1 moves on
    A_table = deterministic_transitions(table)
    assert A_table.shape == (2, 3, 3)
    np.testing.assert_array_equal(A_table.sum(axis=2), 1.0)
    xs = np.array([1, 0, 1, 1, 0, 1])
    ys = np.array([1, 1, 2, 0, 0, 1])
    brute = hmm_likelihood_brute_force(p0, A_table[xs], B, ys)
    assert brute.n_nonzero == 1 and brute.best_share == 1.0
    # the one path is the state machine's run, z_t = f(z_{t-1}, x_t)
    z, run = 0, [0]
    for x in xs:
        z = table[x, z]
        run.append(z)
    np.testing.assert_array_equal(brute.best_path, run)
    # and the filter's belief is one-hot on it
    filt = hmm_filter(p0, A_table[xs], B, ys)
    np.testing.assert_array_equal(filt.beliefs.argmax(axis=1), run)
    expected = np.sum(np.log(B[run[1:], ys]))
    np.testing.assert_allclose(filt.log_likelihood, expected, rtol=1e-12)


def test_sample_is_reproducible_and_in_range(model):
    p0, A, B = model
    zs, ys = hmm_sample(p0, A, B, 50, np.random.default_rng(3))
    zs2, ys2 = hmm_sample(p0, A, B, 50, np.random.default_rng(3))
    assert zs.shape == (51,) and ys.shape == (50,) and zs[0] == 0
    np.testing.assert_array_equal(zs, zs2)
    np.testing.assert_array_equal(ys, ys2)
    assert set(np.unique(zs)) <= {0, 1, 2} and set(np.unique(ys)) <= {0, 1, 2}


def test_filter_step_is_a_normalised_product(model):
    p0, A, B = model
    b, c = hmm_filter_step(p0, 1, A, B)
    np.testing.assert_allclose(b * c, (p0 @ A) * B[:, 1])
    with pytest.raises(ValueError, match="probability 0"):
        hmm_filter_step(np.array([1.0, 0, 0]), 0, np.eye(3), np.array(
            [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]]))


def test_bad_arguments(model):
    p0, A, B = model
    with pytest.raises(ValueError, match="probability distribution"):
        hmm_filter(p0, A * 2, B, np.array([0, 1]))
    with pytest.raises(ValueError, match="outside"):
        hmm_filter(p0, A, B, np.array([0, 3]))
    with pytest.raises(TypeError, match="integer symbols"):
        hmm_filter(p0, A, B, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="A has shape"):
        hmm_filter(p0, np.stack([A, A]), B, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="B has shape"):
        hmm_filter(p0, A, B[:2], np.array([0]))
    with pytest.raises(ValueError, match="MAX_PATHS"):
        hmm_likelihood_brute_force(p0, A, B, np.zeros(20, dtype=int))
    with pytest.raises(ValueError, match="T must be"):
        hmm_sample(p0, A, B, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="outside"):
        deterministic_transitions(np.array([[0, 3]]))
