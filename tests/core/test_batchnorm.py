"""Batch normalisation of sequences: gradients, torch, running averages, modes, errors."""

import numpy as np
import pytest
import torch

from course_rnn.batchnorm import (
    BatchNorm,
    batch_moments,
    batchnorm_backward,
    batchnorm_forward,
    update_running,
)
from course_rnn.gradcheck import numerical_gradient_array, rel_error


def _torch_bn(H, gamma, beta, mean=None, var=None, eps=1e-3):
    bn = torch.nn.BatchNorm1d(H, eps=eps, momentum=0.01).double()
    bn.weight.data, bn.bias.data = torch.tensor(gamma), torch.tensor(beta)
    if mean is not None:
        bn.running_mean.data, bn.running_var.data = torch.tensor(mean), torch.tensor(var)
        bn.eval()
    return bn


def _apply(bn, x):  # (N, T, H) through BatchNorm1d's (N, H, T)
    return bn(x.transpose(1, 2)).transpose(1, 2) if x.ndim == 3 else bn(x)


@pytest.mark.parametrize("shape", [(4, 5), (3, 6, 4), (2, 1, 3), (5, 7, 2)])
@pytest.mark.parametrize("inference", [False, True])
def test_batchnorm_matches_torch_and_gradient_check(shape, inference):
    rng = np.random.default_rng(0)
    H = shape[-1]
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.standard_normal(H), rng.standard_normal(H)
    stats = (rng.standard_normal(H), rng.uniform(0.5, 2, H)) if inference else (None, None)
    y, cache, _ = batchnorm_forward(x, gamma, beta, 1e-3, *stats)
    dy = rng.standard_normal(shape)
    g = batchnorm_backward(dy, cache)

    bn = _torch_bn(H, gamma, beta, *stats)
    xt = torch.tensor(x, requires_grad=True)
    yt = _apply(bn, xt)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(g.dx, xt.grad.numpy(), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(g.dgamma, bn.weight.grad.numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(g.dbeta, bn.bias.grad.numpy(), rtol=1e-6, atol=1e-12)

    def f(x_, gamma_, beta_):
        return batchnorm_forward(x_, gamma_, beta_, 1e-3, *stats)[0]

    assert rel_error(g.dx, numerical_gradient_array(lambda z: f(z, gamma, beta), x, dy)) < 1e-7
    assert rel_error(g.dgamma, numerical_gradient_array(lambda z: f(x, z, beta), gamma, dy)) < 1e-7
    assert rel_error(g.dbeta, numerical_gradient_array(lambda z: f(x, gamma, z), beta, dy)) < 1e-7


def test_statistics_pool_batch_and_time():
    x = np.random.default_rng(1).standard_normal((4, 6, 3)) * 3 + 2  # (N, T, H)
    mean, var = batch_moments(x)
    np.testing.assert_allclose(mean, x.reshape(-1, 3).mean(axis=0))
    np.testing.assert_allclose(var, x.reshape(-1, 3).var(axis=0))  # biased, ddof=0
    y, _, _ = batchnorm_forward(x, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(y.mean(axis=(0, 1)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 1)), var / (var + 1e-3))


def test_running_averages_match_torch_momentum_and_variance_conventions():
    rng = np.random.default_rng(2)
    N, T, H = 8, 5, 4
    layer = BatchNorm(H)
    bn = _torch_bn(H, np.ones(H), np.zeros(H))
    M = N * T  # values per feature in a batch
    ours, theirs = np.ones(H), np.ones(H)
    for _ in range(3):
        x = rng.standard_normal((N, T, H)) * 2 + 1
        layer.forward(x)
        _apply(bn, torch.tensor(x))
        # torch's momentum 0.01 is Keras's 0.99: the running means agree
        np.testing.assert_allclose(layer.buffers["running_mean"], bn.running_mean.numpy(),
                                   rtol=1e-12)
        # Keras (and course_rnn) average the biased variance, torch the unbiased one
        _, var = batch_moments(x)
        ours, theirs = 0.99 * ours + 0.01 * var, 0.99 * theirs + 0.01 * var * M / (M - 1)
        np.testing.assert_allclose(layer.buffers["running_var"], ours, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var.numpy(), theirs, rtol=1e-12)


def test_update_running_keeps_dtype():
    m, v = update_running(np.zeros(2, np.float32), np.ones(2, np.float32), np.ones(2), np.ones(2))
    assert m.dtype == v.dtype == np.float32
    np.testing.assert_allclose(m, 0.01, rtol=1e-6)


def test_layer_modes_train_and_eval():
    rng = np.random.default_rng(3)
    layer = BatchNorm(3)
    x = rng.standard_normal((16, 10, 3)) * 4 + 5
    y_train = layer.forward(x)
    np.testing.assert_allclose(y_train.mean(axis=(0, 1)), 0, atol=1e-10)
    mean_after_one = layer.buffers["running_mean"].copy()
    np.testing.assert_allclose(mean_after_one, 0.01 * x.reshape(-1, 3).mean(axis=0))
    layer.eval()
    assert layer.training is False
    y_eval = layer.forward(x)  # running averages: far from standardised after one step
    assert np.abs(y_eval - y_train).max() > 1
    np.testing.assert_array_equal(layer.buffers["running_mean"], mean_after_one)  # not updated
    dx = layer.backward(np.ones_like(y_eval))
    np.testing.assert_allclose(dx, np.broadcast_to(layer.cache.inv_std, x.shape))
    # in inference mode a sample's output does not depend on its batch
    np.testing.assert_allclose(layer.forward(x[:1]), y_eval[:1])
    assert layer.train() is layer and layer.training


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_keeps_dtype(dtype):
    layer = BatchNorm(4, dtype=dtype)
    x = np.random.default_rng(4).standard_normal((3, 5, 4)).astype(dtype)
    y = layer.forward(x)
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == layer.grads["gamma"].dtype == dtype
    assert layer.buffers["running_var"].dtype == dtype


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"x has shape \(2, 5\) but gamma expects H=4"):
        batchnorm_forward(np.zeros((2, 5)), np.ones(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"beta has shape \(3,\), expected \(4,\)"):
        batchnorm_forward(np.zeros((2, 4)), np.ones(4), np.zeros(3))
    with pytest.raises(ValueError, match="both mean and var"):
        batchnorm_forward(np.zeros((2, 4)), np.ones(4), np.zeros(4), mean=np.zeros(4))
    with pytest.raises(ValueError, match="feature axis"):
        batchnorm_forward(np.zeros(4), np.ones(4), np.zeros(4))
    _, cache, _ = batchnorm_forward(np.ones((2, 4)), np.ones(4), np.zeros(4))
    with pytest.raises(ValueError, match="dy has shape"):
        batchnorm_backward(np.zeros((3, 4)), cache)
