"""Conv1D as loops and as im2col: equal to course_rnn.conv and torch; im2col's backward checked."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from _helpers_conv import CONV_CASES
from course_rnn.conv import conv1d_backward, conv1d_forward, conv_padding, init_conv1d_params
from course_rnn.experiments.conv_forms import (
    col2im1d,
    conv1d_im2col_backward,
    conv1d_im2col_forward,
    conv1d_loops,
    im2col1d,
)
from course_rnn.gradcheck import numerical_gradient_array, rel_error

# chapter 3's cases of test_conv (stride, padding, dilation), and a strided kernel of 4
CASES = [*CONV_CASES, (1, 3, 13, 2, 4, 2, "valid", 1)]


def _data(seed, N, C_in, L, C_out, K):
    rng = np.random.default_rng(seed)
    p = init_conv1d_params(C_in, C_out, K, rng)
    return rng.standard_normal((N, C_in, L)), p["W"], p["b"], rng


@pytest.mark.parametrize("case", CASES)
def test_three_forms_agree_with_each_other_and_torch(case):
    N, C_in, L, C_out, K, s, p, d = case
    x, W, b, _ = _data(0, N, C_in, L, C_out, K)
    y_fast, _ = conv1d_forward(x, W, b, s, p, d)
    y_loops = conv1d_loops(x, W, b, s, p, d)
    y_cols, _ = conv1d_im2col_forward(x, W, b, s, p, d)
    y_torch = F.conv1d(F.pad(torch.tensor(x), conv_padding(p, K, d, s)), torch.tensor(W),
                       torch.tensor(b), stride=s, dilation=d).numpy()
    for y in (y_loops, y_cols, y_torch):
        np.testing.assert_allclose(y_fast, y, rtol=1e-10, atol=1e-12)


def test_loops_without_bias():
    x, W, _, _ = _data(1, 2, 3, 8, 2, 3)
    np.testing.assert_allclose(conv1d_loops(x, W), F.conv1d(torch.tensor(x), torch.tensor(W)),
                               rtol=1e-10)


def test_im2col_rows_are_the_windows():
    x = np.arange(2 * 2 * 7, dtype=float).reshape(2, 2, 7)
    cols = im2col1d(x, K=3, stride=2, dilation=1)  # L_out = 3
    assert cols.shape == (2 * 3, 2 * 3)
    np.testing.assert_array_equal(cols[4], np.r_[x[1, 0, 2:5], x[1, 1, 2:5]])  # n=1, l=1
    causal = im2col1d(x, K=2, padding="causal", dilation=3)
    np.testing.assert_array_equal(causal[0], [0, x[0, 0, 0], 0, x[0, 1, 0]])  # zeros on the left


def test_col2im_is_the_adjoint_of_im2col():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 11))
    for args in ((3, 1, 0, 1), (2, 3, (2, 1), 2), (3, 1, "causal", 2), (4, 2, 1, 1)):
        cols = im2col1d(x, *args)
        g = rng.standard_normal(cols.shape)
        # <im2col(x), g> == <x, col2im(g)> for every x and g
        assert np.isclose(np.sum(cols * g), np.sum(x * col2im1d(g, x.shape, *args)))


@pytest.mark.parametrize("case", CASES)
def test_im2col_backward_gradient_check_and_equal_to_conv1d_backward(case):
    N, C_in, L, C_out, K, s, p, d = case
    x, W, b, rng = _data(3, N, C_in, L, C_out, K)
    y, cache = conv1d_im2col_forward(x, W, b, s, p, d)
    dy = rng.standard_normal(y.shape)
    g = conv1d_im2col_backward(dy, cache)
    ref = conv1d_backward(dy, conv1d_forward(x, W, b, s, p, d)[1])
    for a, r in zip(g, ref, strict=True):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-12)
    num_dx = numerical_gradient_array(lambda z: conv1d_im2col_forward(z, W, b, s, p, d)[0], x, dy)
    num_dW = numerical_gradient_array(lambda z: conv1d_im2col_forward(x, z, b, s, p, d)[0], W, dy)
    assert rel_error(g.dx, num_dx) < 1e-7 and rel_error(g.dW, num_dW) < 1e-7


def test_errors_name_the_argument():
    x, W, b, _ = _data(4, 2, 3, 6, 4, 3)
    with pytest.raises(ValueError, match=r"x has shape \(2, 2, 6\) but W expects C_in=3"):
        conv1d_loops(x[:, :2], W)
    with pytest.raises(ValueError, match=r"b has shape \(3,\) but W expects C_out=4"):
        conv1d_im2col_forward(x, W, b[:3])
    with pytest.raises(ValueError, match="too short"):
        im2col1d(x[:, :, :2], K=3)
    _, cache = conv1d_im2col_forward(x, W, b)
    with pytest.raises(ValueError, match=r"dy has shape \(2, 4, 5\), expected \(2, 4, 4\)"):
        conv1d_im2col_backward(np.zeros((2, 4, 5)), cache)
