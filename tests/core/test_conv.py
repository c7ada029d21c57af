"""Conv1D and MaxPool1D: gradient checks, equality with torch, argument errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from _helpers_conv import CONV_CASES
from course_rnn.conv import (
    Conv1D,
    MaxPool1D,
    conv1d_backward,
    conv1d_forward,
    conv_padding,
    init_conv1d_params,
    maxpool1d_backward,
    maxpool1d_forward,
)
from course_rnn.gradcheck import numerical_gradient_array, rel_error


def _torch_conv(x, W, b, stride, padding, dilation):
    """torch's result for the same arguments (causal and (left, right) via F.pad)."""
    K = W.shape[2]
    if isinstance(padding, str) and padding != "same":
        x = F.pad(x, conv_padding(padding, K, dilation, stride))
        padding = 0
    elif isinstance(padding, tuple):
        x = F.pad(x, padding)
        padding = 0
    return F.conv1d(x, W, b, stride=stride, padding=padding, dilation=dilation)


def _data(rng, N, C_in, L, C_out, K, dtype=np.float64):
    x = rng.standard_normal((N, C_in, L)).astype(dtype)
    p = init_conv1d_params(C_in, C_out, K, rng, dtype)
    return x, p["W"], p["b"]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv1d_matches_torch(case):
    N, C_in, L, C_out, K, s, p, d = case
    rng = np.random.default_rng(0)
    x, W, b = _data(rng, N, C_in, L, C_out, K)
    y, cache = conv1d_forward(x, W, b, s, p, d)
    dy = rng.standard_normal(y.shape)
    g = conv1d_backward(dy, cache)

    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    yt = _torch_conv(xt, Wt, bt, s, p, d)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(g.dx, xt.grad.numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(g.dW, Wt.grad.numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(g.db, bt.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_same_padding_matches_torch_module():
    rng = np.random.default_rng(1)
    x, W, b = _data(rng, 2, 3, 10, 4, 4)
    conv = torch.nn.Conv1d(3, 4, 4, padding="same", dilation=3).double()
    conv.weight.data, conv.bias.data = torch.tensor(W), torch.tensor(b)
    y, _ = conv1d_forward(x, W, b, padding="same", dilation=3)
    assert y.shape == (2, 4, 10)
    np.testing.assert_allclose(y, conv(torch.tensor(x)).detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv1d_gradient_check(case):
    N, C_in, L, C_out, K, s, p, d = case
    rng = np.random.default_rng(2)
    x, W, b = _data(rng, N, C_in, L, C_out, K)
    y, cache = conv1d_forward(x, W, b, s, p, d)
    dy = rng.standard_normal(y.shape)
    g = conv1d_backward(dy, cache)
    num_dx = numerical_gradient_array(lambda z: conv1d_forward(z, W, b, s, p, d)[0], x, dy)
    num_dW = numerical_gradient_array(lambda z: conv1d_forward(x, z, b, s, p, d)[0], W, dy)
    num_db = numerical_gradient_array(lambda z: conv1d_forward(x, W, z, s, p, d)[0], b, dy)
    assert rel_error(g.dx, num_dx) < 1e-7
    assert rel_error(g.dW, num_dW) < 1e-7
    assert rel_error(g.db, num_db) < 1e-7


def test_causal_output_never_sees_the_future():
    rng = np.random.default_rng(3)
    x, W, b = _data(rng, 1, 2, 12, 3, 3)
    y, _ = conv1d_forward(x, W, b, padding="causal", dilation=2)
    x2 = x.copy()
    x2[:, :, 7:] = rng.standard_normal((1, 2, 5))
    y2, _ = conv1d_forward(x2, W, b, padding="causal", dilation=2)
    assert y.shape == (1, 3, 12)
    np.testing.assert_array_equal(y[:, :, :7], y2[:, :, :7])
    assert not np.allclose(y[:, :, 7:], y2[:, :, 7:])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv1d_layer_keeps_dtype_and_fills_grads(dtype):
    rng = np.random.default_rng(4)
    x, W, b = _data(rng, 2, 3, 9, 4, 3, dtype)
    layer = Conv1D(W, b, stride=2, padding=1)
    y = layer.forward(x)
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dtype and dx.dtype == dtype and layer.grads["W"].dtype == dtype
    conv = torch.nn.Conv1d(3, 4, 3, stride=2, padding=1).to(getattr(torch, np.dtype(dtype).name))
    conv.weight.data, conv.bias.data = torch.tensor(W), torch.tensor(b)
    yt = conv(torch.tensor(x))
    yt.sum().backward()
    tol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.grads["W"], conv.weight.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.grads["b"], conv.bias.grad.numpy(), rtol=tol, atol=tol)


def test_conv1d_without_bias():
    rng = np.random.default_rng(5)
    x, W, _ = _data(rng, 2, 3, 6, 2, 2)
    layer = Conv1D(W)
    y = layer.forward(x)
    layer.backward(np.ones_like(y))
    assert set(layer.grads) == {"W"}
    np.testing.assert_allclose(y, F.conv1d(torch.tensor(x), torch.tensor(W)).numpy(), rtol=1e-6)


def test_conv1d_errors_name_argument_and_shapes():
    rng = np.random.default_rng(6)
    x, W, b = _data(rng, 2, 3, 6, 4, 3)
    with pytest.raises(ValueError, match=r"x has shape \(2, 5, 6\) but W expects C_in=3"):
        conv1d_forward(rng.standard_normal((2, 5, 6)), W, b)
    with pytest.raises(ValueError, match=r"b has shape \(3,\) but W expects C_out=4"):
        conv1d_forward(x, W, b[:3])
    with pytest.raises(ValueError, match=r"x must have 3 dimensions, got shape \(3, 6\)"):
        conv1d_forward(x[0], W, b)
    with pytest.raises(ValueError, match=r"x has shape \(2, 3, 2\).*span"):
        conv1d_forward(x[:, :, :2], W, b, dilation=2)
    with pytest.raises(ValueError, match="padding"):
        conv1d_forward(x, W, b, padding="full")
    with pytest.raises(ValueError, match="stride=1"):
        conv1d_forward(x, W, b, stride=2, padding="same")
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        conv1d_forward(x, W, b, stride=0)
    _, cache = conv1d_forward(x, W, b)
    with pytest.raises(ValueError, match=r"dy has shape \(2, 4, 5\), expected \(2, 4, 4\)"):
        conv1d_backward(np.zeros((2, 4, 5)), cache)


# (N, C, L, K, stride, padding)
POOL_CASES = [
    (2, 3, 10, 2, None, 0),
    (1, 1, 7, 3, 1, 1),
    (2, 2, 9, 3, 2, 1),
    (1, 4, 8, 4, 3, 2),
    (3, 2, 5, 5, None, 0),
]


@pytest.mark.parametrize("case", POOL_CASES)
def test_maxpool1d_matches_torch_and_gradient_check(case):
    N, C, L, K, s, p = case
    rng = np.random.default_rng(7)
    x = rng.standard_normal((N, C, L))
    y, cache = maxpool1d_forward(x, K, s, p)
    dy = rng.standard_normal(y.shape)
    dx = maxpool1d_backward(dy, cache)

    xt = torch.tensor(x, requires_grad=True)
    yt = F.max_pool1d(xt, K, s, p)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-6, atol=1e-12)

    num = numerical_gradient_array(lambda z: maxpool1d_forward(z, K, s, p)[0], x, dy)
    assert rel_error(dx, num) < 1e-7


def test_maxpool1d_ties_go_to_the_first_maximum_like_torch():
    x = np.array([[[1.0, 3.0, 3.0, 0.0, 2.0, 2.0]]])
    pool = MaxPool1D(2, stride=1)
    y = pool.forward(x)
    dx = pool.backward(np.ones_like(y))
    xt = torch.tensor(x, requires_grad=True)
    F.max_pool1d(xt, 2, 1).sum().backward()
    np.testing.assert_array_equal(dx, xt.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maxpool1d_keeps_dtype(dtype):
    x = np.random.default_rng(8).standard_normal((2, 3, 8)).astype(dtype)
    y, cache = maxpool1d_forward(x, 3, 2, 1)
    assert y.dtype == dtype and maxpool1d_backward(np.ones_like(y), cache).dtype == dtype


def test_maxpool1d_errors():
    x = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match="padding=2 must be at most kernel_size // 2 = 1"):
        maxpool1d_forward(x, 3, padding=2)
    with pytest.raises(ValueError, match=r"x has shape \(2, 3, 4\).*kernel_size=5"):
        maxpool1d_forward(x, 5)
    with pytest.raises(ValueError, match=r"x must have 3 dimensions, got shape \(3, 4\)"):
        maxpool1d_forward(x[0], 2)
    _, cache = maxpool1d_forward(x, 2)
    with pytest.raises(ValueError, match=r"dy has shape \(2, 3, 3\), expected \(2, 3, 2\)"):
        maxpool1d_backward(np.zeros((2, 3, 3)), cache)


def test_conv1d_layer_reuses_buffers_safely_across_shapes():
    rng = np.random.default_rng(9)
    p = init_conv1d_params(3, 4, 3, rng)
    layer = Conv1D(p["W"], p["b"], padding="causal", dilation=2)
    for N, L in [(2, 9), (1, 5), (2, 9)]:
        x = rng.standard_normal((N, 3, L))
        layer.forward(rng.standard_normal((N, 3, L)))  # overwritten by the next call
        y = layer.forward(x)
        dy = rng.standard_normal(y.shape)
        dx = layer.backward(dy)
        y_ref, cache = conv1d_forward(x, p["W"], p["b"], padding="causal", dilation=2)
        g = conv1d_backward(dy, cache)
        np.testing.assert_array_equal(y, y_ref)
        np.testing.assert_array_equal(dx, g.dx)
        np.testing.assert_array_equal(layer.grads["W"], g.dW)


def test_channels_last_input_gets_told_to_transpose():
    rng = np.random.default_rng(10)
    x, W, b = _data(rng, 2, 3, 7, 4, 3)
    x_last = x.transpose(0, 2, 1)  # (N, L, C_in) = (2, 7, 3), as a (N, T, D) sequence batch
    with pytest.raises(ValueError, match=r"x has shape \(2, 7, 3\) but W expects C_in=3 on "
                                         r"axis 1; x looks channels-last \(N, L, C_in\).*"
                                         r"x\.transpose\(0, 2, 1\)"):
        conv1d_forward(x_last, W, b)
    with pytest.raises(ValueError, match="channels-last"):
        Conv1D(W, b).forward(x_last)
    with pytest.raises(ValueError, match=r"C_in=3 on axis 1$"):  # no hint: neither axis fits
        conv1d_forward(rng.standard_normal((2, 5, 6)), W, b)
    y, _ = conv1d_forward(x_last.transpose(0, 2, 1), W, b)  # the advice works
    np.testing.assert_array_equal(y, conv1d_forward(x, W, b)[0])


def test_torch_style_one_tuples_are_accepted():
    rng = np.random.default_rng(11)
    x, W, b = _data(rng, 2, 3, 12, 4, 3)
    y, _ = conv1d_forward(x, W, b, stride=(2,), padding=(1,), dilation=(2,))
    np.testing.assert_array_equal(y, conv1d_forward(x, W, b, 2, 1, 2)[0])
    m = torch.nn.Conv1d(3, 4, 3, stride=(2,), padding=(1,), dilation=(2,)).double()
    with torch.no_grad():
        m.weight.copy_(torch.tensor(W))
        m.bias.copy_(torch.tensor(b))
        np.testing.assert_allclose(y, m(torch.tensor(x)).numpy(), rtol=1e-6)
    layer = Conv1D(W, b, stride=(2,), padding=(1,), dilation=(2,))
    np.testing.assert_array_equal(layer.forward(x), y)
    assert (layer.stride, layer.dilation) == (2, 2)
    assert conv_padding((1,), 3) == (1, 1)
    assert conv_padding("same", 3, dilation=(2,), stride=(1,)) == (2, 2)

    yp, _ = maxpool1d_forward(x, (3,), (2,), (1,))
    np.testing.assert_array_equal(yp, maxpool1d_forward(x, 3, 2, 1)[0])
    np.testing.assert_array_equal(MaxPool1D((3,), stride=(2,), padding=(1,)).forward(x), yp)
    np.testing.assert_array_equal(
        yp, torch.nn.MaxPool1d((3,), (2,), (1,))(torch.tensor(x)).numpy())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stride": (2, 2)}, r"stride must be an integer >= 1 or a 1-tuple .*got \(2, 2\)"),
        ({"stride": ()}, r"stride must be an integer >= 1 or a 1-tuple .*got \(\)"),
        ({"dilation": (1, 1)}, r"dilation must be an integer >= 1 or a 1-tuple .*got \(1, 1\)"),
        ({"dilation": (0,)}, r"dilation must be an integer >= 1 .*got \(0,\)"),
        ({"stride": "2"}, r"stride must be an integer >= 1 .*got '2'"),
        ({"padding": (1, 2, 3)}, r"padding must be an int p, a 1-tuple \(p,\) as torch writes "
                                 r"it, a pair \(left, right\).*\(1, 2, 3\) \(3 entries\)"),
        ({"padding": ("same",)}, r"padding must be non-negative integers, got \('same',\)"),
        ({"padding": (-1,)}, r"padding must be non-negative integers, got \(-1,\)"),
    ],
)
def test_conv1d_refuses_other_tuples_clearly(kwargs, match):
    rng = np.random.default_rng(12)
    x, W, b = _data(rng, 2, 3, 12, 4, 3)
    with pytest.raises(ValueError, match=match):
        conv1d_forward(x, W, b, **kwargs)
    with pytest.raises(ValueError, match=match):  # the layer refuses when it is built
        Conv1D(W, b, **kwargs)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (((3, 3),), r"kernel_size must be an integer >= 1 or a 1-tuple .*got \(3, 3\)"),
        ((3, (1, 2)), r"stride must be an integer >= 1 or a 1-tuple .*got \(1, 2\)"),
        ((3, None, (1, 1)), r"padding must be an integer >= 0 or a 1-tuple .*got \(1, 1\)"),
        ((3, None, (2,)), r"padding=2 must be at most kernel_size // 2 = 1"),
    ],
)
def test_maxpool1d_refuses_other_tuples_clearly(args, match):
    x = np.zeros((2, 3, 8))
    with pytest.raises(ValueError, match=match):
        maxpool1d_forward(x, *args)
    with pytest.raises(ValueError, match=match):  # the layer refuses when it is built
        MaxPool1D(*args)
