"""Inverted dropout: the mask, its scaling, train/eval, gradients, reproducibility."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_rnn.dropout import Dropout, dropout_backward, dropout_forward
from course_rnn.gradcheck import numerical_gradient_array, rel_error


@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 5, 4), (7, 3)])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_gradient_check(shape, p):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    _, cache = dropout_forward(x, p, np.random.default_rng(1))
    dy = rng.standard_normal(shape)
    dx = dropout_backward(dy, cache)
    num = numerical_gradient_array(lambda z: dropout_forward(z, p, 1)[0], x, dy)
    assert rel_error(dx, num) < 1e-7


def test_mask_is_zero_or_scaled_and_keeps_the_mean_like_torch():
    x = np.ones((200, 500))
    p = 0.3
    y, _ = dropout_forward(x, p, np.random.default_rng(2))
    yt = F.dropout(torch.tensor(x), p, training=True).numpy()
    for out in (y, yt):
        assert set(np.unique(out)) <= {0.0, 1 / (1 - p)}
        assert abs((out == 0).mean() - p) < 0.01
        assert abs(out.mean() - 1.0) < 0.02


def test_eval_mode_and_extreme_p_match_torch():
    x = np.random.default_rng(3).standard_normal((4, 6))
    xt = torch.tensor(x)
    np.testing.assert_array_equal(dropout_forward(x, 0.5, 0, train=False)[0], x)
    np.testing.assert_array_equal(F.dropout(xt, 0.5, training=False).numpy(), x)
    np.testing.assert_array_equal(dropout_forward(x, 0.0, 0)[0], x)
    np.testing.assert_array_equal(dropout_forward(x, 1.0, 0)[0], F.dropout(xt, 1.0).numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_kept(dtype):
    x = np.ones((3, 4), dtype=dtype)
    y, cache = dropout_forward(x, 0.5, np.random.default_rng(0))
    assert y.dtype == dtype and dropout_backward(np.ones_like(y), cache).dtype == dtype


def test_same_generator_state_gives_same_mask_and_generator_advances():
    x = np.ones((5, 5))
    a, _ = dropout_forward(x, 0.5, np.random.default_rng(7))
    b, _ = dropout_forward(x, 0.5, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    layer = Dropout(0.5, np.random.default_rng(7))
    first, second = layer.forward(x), layer.forward(x)
    np.testing.assert_array_equal(first, a)
    assert not np.array_equal(first, second)


def test_shared_axes_gives_one_mask_for_every_time_step():
    xs = np.ones((3, 6, 8))
    y, cache = dropout_forward(xs, 0.5, np.random.default_rng(4), shared_axes=(1,))
    assert cache.mask.shape == (3, 1, 8)
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1], y.shape))
    dx = dropout_backward(np.ones_like(xs), cache)
    np.testing.assert_array_equal(dx, y)


def test_layer_train_eval_switch():
    layer = Dropout(0.5, 0)
    x = np.ones((4, 4))
    assert layer.training
    layer.eval()
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x * 2), x * 2)
    layer.train()
    y = layer.forward(x)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), y)


def test_errors():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="p must be in"):
        dropout_forward(x, 1.5, 0)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        dropout_forward(x, 0.5, np.random.rand)
    _, cache = dropout_forward(x, 0.5, 0)
    with pytest.raises(ValueError, match=r"dy has shape \(3, 2\), expected \(2, 3\)"):
        dropout_backward(np.ones((3, 2)), cache)
