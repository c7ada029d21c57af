"""Layer normalisation and the layer-normalised RNN cell: gradients, torch, errors."""

import numpy as np
import pytest
import torch

from course_rnn.gradcheck import numerical_gradient_array, rel_error
from course_rnn.layernorm import (
    LayerNorm,
    TimeLNRNN,
    layernorm_backward,
    layernorm_forward,
    ln_rnn_backward,
    ln_rnn_forward,
)


@pytest.mark.parametrize("shape", [(1, 3), (4, 5), (2, 3, 6), (1, 1, 2)])
def test_layernorm_matches_torch_and_gradient_check(shape):
    rng = np.random.default_rng(0)
    H = shape[-1]
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.standard_normal(H), rng.standard_normal(H)
    y, cache = layernorm_forward(x, gamma, beta)
    dy = rng.standard_normal(shape)
    g = layernorm_backward(dy, cache)

    ln = torch.nn.LayerNorm(H).double()
    ln.weight.data, ln.bias.data = torch.tensor(gamma), torch.tensor(beta)
    xt = torch.tensor(x, requires_grad=True)
    yt = ln(xt)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(g.dx, xt.grad.numpy(), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(g.dgamma, ln.weight.grad.numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(g.dbeta, ln.bias.grad.numpy(), rtol=1e-6, atol=1e-12)

    f = layernorm_forward
    assert rel_error(g.dx, numerical_gradient_array(lambda z: f(z, gamma, beta)[0], x, dy)) < 1e-7
    num_dgamma = numerical_gradient_array(lambda z: f(x, z, beta)[0], gamma, dy)
    assert rel_error(g.dgamma, num_dgamma) < 1e-7
    num_dbeta = numerical_gradient_array(lambda z: f(x, gamma, z)[0], beta, dy)
    assert rel_error(g.dbeta, num_dbeta) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layernorm_layer_keeps_dtype(dtype):
    layer = LayerNorm(4, dtype=dtype)
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(dtype)
    y = layer.forward(x)
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == layer.grads["gamma"].dtype == dtype
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-5)


def test_layernorm_errors():
    with pytest.raises(ValueError, match=r"x has shape \(2, 5\) but gamma expects H=4"):
        layernorm_forward(np.zeros((2, 5)), np.ones(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"beta has shape \(3,\), expected \(4,\)"):
        layernorm_forward(np.zeros((2, 4)), np.ones(4), np.zeros(3))
    _, cache = layernorm_forward(np.zeros((2, 4)), np.ones(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"dy has shape \(4, 2\), expected \(2, 4\)"):
        layernorm_backward(np.zeros((4, 2)), cache)


# ------------------------------------------------------------------ the layer-normalised cell
def _params(rng, D, H, dtype=np.float64):
    k = 1 / np.sqrt(H)
    return [rng.uniform(-k, k, s).astype(dtype) for s in [(D, H), (H, H), (H,)]] + [
        (1 + 0.1 * rng.standard_normal(H)).astype(dtype),
        (0.1 * rng.standard_normal(H)).astype(dtype),
    ]




def _torch_ln_rnn(xs, h0, W_xh, W_hh, b_h, gamma, beta):
    """The same cell written with torch.nn.LayerNorm, for autograd to differentiate."""
    ln = torch.nn.LayerNorm(W_hh.shape[0]).double()
    ln.weight, ln.bias = torch.nn.Parameter(gamma), torch.nn.Parameter(beta)
    h, hs = h0, []
    for t in range(xs.shape[1]):
        h = torch.tanh(ln(xs[:, t] @ W_xh + h @ W_hh + b_h))
        hs.append(h)
    return torch.stack(hs, dim=1), ln


@pytest.mark.parametrize(("N", "T", "D", "H"), [(1, 1, 2, 3), (2, 4, 3, 5), (3, 3, 5, 4)])
def test_ln_rnn_sequence_matches_torch(N, T, D, H):
    """The torch loop of nn.LayerNorm; the gradient checks are test_cells's."""
    rng = np.random.default_rng(2)
    xs, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    params = _params(rng, D, H)
    hs, h_last, cache = ln_rnn_forward(xs, h0, *params)
    dhs, dh_last = rng.standard_normal(hs.shape), rng.standard_normal(h_last.shape)
    g = ln_rnn_backward(dhs, cache, dh_last)

    tx, th0, *tp = (torch.tensor(a, requires_grad=True) for a in [xs, h0, *params])
    ths, ln = _torch_ln_rnn(tx, th0, *tp)
    (ths * torch.tensor(dhs)).sum().add((ths[:, -1] * torch.tensor(dh_last)).sum()).backward()
    np.testing.assert_allclose(hs, ths.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(h_last, hs[:, -1])
    theirs = [tx.grad, th0.grad, *(p.grad for p in tp[:3]), ln.weight.grad, ln.bias.grad]
    for ours, t in zip(g, theirs, strict=True):
        np.testing.assert_allclose(ours, t.numpy(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_time_ln_rnn_stateful_equals_one_long_sequence(dtype):
    rng = np.random.default_rng(4)
    params = _params(rng, 3, 4, dtype)
    xs = rng.standard_normal((2, 6, 3)).astype(dtype)
    layer = TimeLNRNN(*params, stateful=True)
    chunks = np.concatenate([layer.forward(xs[:, :2]), layer.forward(xs[:, 2:])], axis=1)
    whole, _, _ = ln_rnn_forward(xs, None, *params)
    assert chunks.dtype == dtype
    np.testing.assert_allclose(chunks, whole, rtol=1e-5)
    dxs = layer.backward(np.ones((2, 4, 4), dtype=dtype))
    assert dxs.shape == (2, 4, 3) and layer.grads["gamma"].dtype == dtype
    layer.reset_state()
    np.testing.assert_allclose(layer.forward(xs[:, :2]), whole[:, :2], rtol=1e-5)


def test_ln_rnn_errors():
    rng = np.random.default_rng(5)
    params = _params(rng, 4, 3)
    with pytest.raises(ValueError, match=r"xs has shape \(2, 3, 5\) but W_xh expects D=4"):
        ln_rnn_forward(np.zeros((2, 3, 5)), None, *params)
    with pytest.raises(ValueError, match=r"h0 has shape \(2, 4\) but W_hh expects H=3"):
        ln_rnn_forward(np.zeros((2, 3, 4)), np.zeros((2, 4)), *params)
    bad = [*params[:3], np.ones(5), params[4]]
    with pytest.raises(ValueError, match=r"gamma has shape \(5,\) but W_xh expects H=3"):
        ln_rnn_forward(np.zeros((2, 3, 4)), None, *bad)
    _, _, cache = ln_rnn_forward(np.zeros((2, 3, 4)), None, *params)
    with pytest.raises(ValueError, match=r"dhs has shape \(2, 3, 4\), expected \(2, 3, 3\)"):
        ln_rnn_backward(np.zeros((2, 3, 4)), cache)
    with pytest.raises(RuntimeError, match="before forward"):
        TimeLNRNN(*params).backward(np.zeros((2, 3, 3)))
