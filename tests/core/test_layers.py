"""Embedding, time affine, softmax cross-entropy over time, MSE, sigmoid: gradients, torch,
errors."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_rnn.gradcheck import numerical_gradient, numerical_gradient_array, rel_error
from course_rnn.layers import (
    Embedding,
    MSELoss,
    TimeAffine,
    TimeSoftmaxCrossEntropy,
    embedding_backward,
    embedding_forward,
    mse_backward,
    mse_forward,
    sigmoid,
    softmax,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    time_affine_backward,
    time_affine_forward,
)

SHAPES = [(1, 1, 3, 5), (2, 4, 5, 3), (3, 2, 1, 4), (1, 6, 4, 4)]  # (N, T, D, M or V)


# ------------------------------------------------------------------------------ embedding
@pytest.mark.parametrize(("N", "T", "D", "V"), SHAPES)
def test_embedding_matches_torch_and_gradient_check(N, T, D, V):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((V, D))
    ids = rng.integers(0, V, (N, T))
    ids[0, 0] = ids[-1, -1]  # a repeated id must accumulate its gradients
    out, cache = embedding_forward(ids, W)
    dout = rng.standard_normal(out.shape)
    dW = embedding_backward(dout, cache)

    emb = torch.nn.Embedding(V, D).double()
    emb.weight.data = torch.tensor(W)
    out_t = emb(torch.tensor(ids))
    out_t.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(dW, emb.weight.grad.numpy(), rtol=1e-6, atol=1e-12)
    num = numerical_gradient_array(lambda w: embedding_forward(ids, w)[0], W, dout)
    assert rel_error(dW, num) < 1e-7


def test_embedding_layer_and_errors():
    W = np.arange(12.0).reshape(4, 3).astype(np.float32)
    layer = Embedding(W)
    out = layer.forward(np.array([[1, 1]]))
    assert out.dtype == np.float32
    grads_W = layer.grads["W"]
    layer.backward(np.ones((1, 2, 3), dtype=np.float32))
    assert layer.grads["W"] is grads_W  # written in place
    np.testing.assert_array_equal(grads_W[1], [2, 2, 2])
    with pytest.raises(ValueError, match=r"ids holds ids in \[0, 4\] but the vocabulary has V=4"):
        embedding_forward(np.array([[0, 4]]), W)
    with pytest.raises(TypeError, match="ids must hold integer token ids"):
        embedding_forward(np.array([[0.0, 1.0]]), W)
    _, cache = embedding_forward(np.array([[0, 1]]), W)
    with pytest.raises(ValueError, match=r"dout has shape \(1, 3, 3\) but ids has shape \(1, 2\)"):
        embedding_backward(np.ones((1, 3, 3)), cache)


# ---------------------------------------------------------------------------- time affine
@pytest.mark.parametrize(("N", "T", "D", "M"), SHAPES)
def test_time_affine_matches_torch_and_gradient_check(N, T, D, M):
    rng = np.random.default_rng(1)
    xs, W, b = rng.standard_normal((N, T, D)), rng.standard_normal((D, M)), rng.standard_normal(M)
    ys, cache = time_affine_forward(xs, W, b)
    dys = rng.standard_normal(ys.shape)
    g = time_affine_backward(dys, cache)

    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (xs, W, b))
    yt = F.linear(xt, Wt.T, bt)  # torch.nn.Linear stores weight = W.T
    yt.backward(torch.tensor(dys))
    np.testing.assert_allclose(ys, yt.detach().numpy(), rtol=1e-6)
    for ours, theirs in ((g.dxs, xt), (g.dW, Wt), (g.db, bt)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-6, atol=1e-12)

    f = time_affine_forward
    assert rel_error(g.dxs, numerical_gradient_array(lambda z: f(z, W, b)[0], xs, dys)) < 1e-7
    assert rel_error(g.dW, numerical_gradient_array(lambda z: f(xs, z, b)[0], W, dys)) < 1e-7
    assert rel_error(g.db, numerical_gradient_array(lambda z: f(xs, W, z)[0], b, dys)) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_time_affine_layer_keeps_dtype(dtype):
    rng = np.random.default_rng(2)
    layer = TimeAffine(rng.standard_normal((3, 2)).astype(dtype), np.zeros(2, dtype))
    ys = layer.forward(rng.standard_normal((2, 4, 3)).astype(dtype))
    dxs = layer.backward(np.ones_like(ys))
    assert ys.dtype == dxs.dtype == layer.grads["W"].dtype == dtype
    np.testing.assert_allclose(layer.grads["b"], [8, 8])


def test_time_affine_errors():
    W, b = np.zeros((4, 6)), np.zeros(6)
    with pytest.raises(ValueError, match=r"xs has shape \(2, 3, 5\) but W expects D=4"):
        time_affine_forward(np.zeros((2, 3, 5)), W, b)
    with pytest.raises(ValueError, match=r"b has shape \(3,\) but W expects M=6"):
        time_affine_forward(np.zeros((2, 3, 4)), W, np.zeros(3))
    _, cache = time_affine_forward(np.zeros((2, 3, 4)), W, b)
    with pytest.raises(ValueError, match=r"dys has shape \(2, 3, 5\), expected \(2, 3, 6\)"):
        time_affine_backward(np.zeros((2, 3, 5)), cache)


# ------------------------------------------------------------------ softmax cross-entropy
@pytest.mark.parametrize(("N", "T", "V", "n_pad"), [(1, 1, 4, 0), (2, 5, 7, 3), (3, 2, 2, 1)])
def test_cross_entropy_matches_torch_with_ignore_index(N, T, V, n_pad):
    rng = np.random.default_rng(3)
    scores = rng.standard_normal((N, T, V)) * 3
    targets = rng.integers(0, V, (N, T))
    targets.reshape(-1)[rng.permutation(N * T)[:n_pad]] = -1  # padded positions
    loss, cache = softmax_cross_entropy_forward(scores, targets, ignore_index=-1)
    dscores = softmax_cross_entropy_backward(1.0, cache)

    st = torch.tensor(scores, requires_grad=True)
    lt = F.cross_entropy(st.reshape(-1, V), torch.tensor(targets).reshape(-1), ignore_index=-1)
    lt.backward()
    np.testing.assert_allclose(loss, lt.item(), rtol=1e-6)
    np.testing.assert_allclose(dscores, st.grad.numpy(), rtol=1e-6, atol=1e-12)
    num = numerical_gradient(lambda s: softmax_cross_entropy_forward(s, targets, -1)[0], scores)
    assert rel_error(dscores, num) < 1e-7
    assert np.all(dscores[targets == -1] == 0)


def test_cross_entropy_layer_default_ignore_index_and_2d_scores():
    rng = np.random.default_rng(4)
    scores, targets = rng.standard_normal((6, 5)), np.array([0, 4, -100, 2, 2, -100])
    layer = TimeSoftmaxCrossEntropy()
    loss = layer.forward(scores, targets)
    ds = layer.backward(0.5)
    st = torch.tensor(scores, requires_grad=True)
    lt = F.cross_entropy(st, torch.tensor(targets))
    (0.5 * lt).backward()
    np.testing.assert_allclose(loss, lt.item(), rtol=1e-6)
    np.testing.assert_allclose(ds, st.grad.numpy(), rtol=1e-6)


def test_cross_entropy_all_ignored_is_nan_like_torch_and_large_scores_are_stable():
    loss, cache = softmax_cross_entropy_forward(np.zeros((1, 2, 3)), np.full((1, 2), -100))
    assert np.isnan(loss)
    assert np.isnan(F.cross_entropy(torch.zeros(2, 3), torch.full((2,), -100)).item())
    np.testing.assert_array_equal(softmax_cross_entropy_backward(1.0, cache), 0)
    big = np.array([[[1000.0, -1000.0, 0.0]]], dtype=np.float32)
    loss, cache = softmax_cross_entropy_forward(big, np.array([[1]]))
    assert loss == pytest.approx(2000.0)
    assert softmax_cross_entropy_backward(1.0, cache).dtype == np.float32
    np.testing.assert_allclose(softmax(big).sum(axis=-1), 1.0)


def test_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"targets has shape \(2, 4\), expected \(2, 3\)"):
        softmax_cross_entropy_forward(np.zeros((2, 3, 5)), np.zeros((2, 4), dtype=int))
    with pytest.raises(ValueError, match=r"targets holds id 5 outside \[0, V\) with V=5"):
        softmax_cross_entropy_forward(np.zeros((1, 2, 5)), np.array([[0, 5]]))
    with pytest.raises(TypeError, match="targets must hold integer ids"):
        softmax_cross_entropy_forward(np.zeros((1, 2, 5)), np.zeros((1, 2)))


# -------------------------------------------------------------------------------- MSE
@pytest.mark.parametrize("shape", [(1, 1, 1), (4, 7, 1), (3, 10)])
def test_mse_matches_torch_and_gradient_check(shape):
    rng = np.random.default_rng(5)
    y, t = rng.standard_normal(shape), rng.standard_normal(shape)
    layer = MSELoss()
    loss = layer.forward(y, t)
    dy = layer.backward()
    yt = torch.tensor(y, requires_grad=True)
    lt = torch.nn.MSELoss()(yt, torch.tensor(t))
    lt.backward()
    np.testing.assert_allclose(loss, lt.item(), rtol=1e-6)
    np.testing.assert_allclose(dy, yt.grad.numpy(), rtol=1e-6)
    assert rel_error(dy, numerical_gradient(lambda z: mse_forward(z, t)[0], y)) < 1e-7
    _, cache = mse_forward(y, t)
    np.testing.assert_allclose(mse_backward(2.0, cache), 2 * dy)


def test_mse_errors_and_dtype():
    with pytest.raises(ValueError, match=r"t has shape \(4, 1\), expected \(4, 2\)"):
        mse_forward(np.zeros((4, 2)), np.zeros((4, 1)))
    _, cache = mse_forward(np.ones((2, 2), dtype=np.float32), np.zeros((2, 2), dtype=np.float32))
    assert mse_backward(1.0, cache).dtype == np.float32


def test_sigmoid_is_stable_and_accurate():
    """No overflow warning at any input; absolute error at the level of float64 rounding."""
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 2.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = sigmoid(x)
    np.testing.assert_allclose(y, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-14, atol=1e-16)
    assert sigmoid(np.float32(1.0)).dtype == np.float32
