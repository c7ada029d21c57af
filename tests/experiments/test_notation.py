"""The column and stacked forms of the Elman step equal ``rnn_step_forward``."""

from __future__ import annotations

import numpy as np
import pytest

from course_rnn.experiments.notation import (
    rnn_step_columns,
    rnn_step_stacked,
    rnn_step_stacked_columns,
    stack_weights,
)
from course_rnn.rnn import init_rnn_params, rnn_step_forward


@pytest.fixture
def step():
    rng = np.random.default_rng(0)
    N, D, H = 3, 4, 5
    p = init_rnn_params(D, H, rng)
    x = rng.normal(size=(N, D))
    h = rng.uniform(-1, 1, size=(N, H))
    return x, h, p


def test_column_form_is_the_transposed_row_form(step):
    x, h, p = step
    rows, _ = rnn_step_forward(x, h, p["W_xh"], p["W_hh"], p["b_h"])  # (N, H)
    cols = rnn_step_columns(x.T, h.T, p["W_xh"].T, p["W_hh"].T, p["b_h"])  # (H, N)
    assert cols.shape == (5, 3)
    np.testing.assert_allclose(cols.T, rows, rtol=0, atol=1e-14)


def test_column_form_without_bias(step):
    x, h, p = step
    rows, _ = rnn_step_forward(x, h, p["W_xh"], p["W_hh"], np.zeros(5))
    cols = rnn_step_columns(x.T, h.T, p["W_xh"].T, p["W_hh"].T)
    np.testing.assert_allclose(cols.T, rows, rtol=0, atol=1e-14)


def test_stacked_form_equals_the_two_products(step):
    x, h, p = step
    W = stack_weights(p["W_xh"], p["W_hh"])
    assert W.shape == (4 + 5, 5)
    np.testing.assert_array_equal(W[:4], p["W_xh"])
    rows, _ = rnn_step_forward(x, h, p["W_xh"], p["W_hh"], p["b_h"])
    np.testing.assert_allclose(rnn_step_stacked(x, h, W, p["b_h"]), rows, rtol=0, atol=1e-14)
    cols = rnn_step_stacked_columns(x.T, h.T, W.T, p["b_h"])  # (H, N)
    np.testing.assert_allclose(cols.T, rows, rtol=0, atol=1e-14)


def test_errors_name_the_argument_and_the_shapes(step):
    x, h, p = step
    with pytest.raises(ValueError, match=r"x_t has shape \(3, 4\) but W_xh expects D=4"):
        rnn_step_columns(x, h.T, p["W_xh"].T, p["W_hh"].T)  # x not transposed
    with pytest.raises(ValueError, match="W_hh has shape"):
        stack_weights(p["W_xh"], p["W_hh"][:, :4])
    W = stack_weights(p["W_xh"], p["W_hh"])
    with pytest.raises(ValueError, match="W has shape"):
        rnn_step_stacked(x[:, :3], h, W, p["b_h"])
    with pytest.raises(ValueError, match="h_prev has shape"):
        rnn_step_stacked(x, h[:2], W, p["b_h"])
    with pytest.raises(ValueError, match="W has shape"):
        rnn_step_stacked_columns(x.T, h.T, W, p["b_h"])  # W not transposed
    with pytest.raises(ValueError, match="h_prev has shape"):
        rnn_step_stacked_columns(x.T, h, W.T, p["b_h"])
    with pytest.raises(ValueError, match="b_h has shape"):
        rnn_step_columns(x.T, h.T, p["W_xh"].T, p["W_hh"].T, np.zeros(4))
