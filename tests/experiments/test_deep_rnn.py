"""experiments.deep_rnn: state growth, batch norm of one step, dropout reach, influence maps."""

import numpy as np
import pytest
import torch

from course_rnn.experiments.deep_rnn import (
    batchnorm_forward,
    dropout_reach,
    influence_map,
    preactivations,
    random_rnn,
    state_norms,
    weight_update_growth,
)
from course_rnn.experiments.gradients import spectral_radius
from course_rnn.torch_ref.convert import rnn_params_from_torch, rnn_params_to_torch


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_state_norms_equal_torch(activation):
    p = random_rnn(1.2, H=5, D=3, seed=1)
    xs = np.random.default_rng(0).standard_normal((4, 7, 3))
    ours = state_norms(xs, p["W_xh"], p["W_hh"], p["b_h"], activation)
    rnn = torch.nn.RNN(3, 5, nonlinearity=activation, batch_first=True, dtype=torch.float64)
    rnn_params_to_torch([p], rnn)
    hs, _ = rnn(torch.tensor(xs))
    theirs = (hs.norm(dim=-1) / 5**0.5).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    assert ours.shape == (4, 7)
    if activation == "tanh":
        assert ours.max() < 1


def test_random_rnn_radius():
    for kind in ("orthogonal", "gaussian"):
        p = random_rnn(0.7, H=6, D=2, kind=kind, seed=3)
        assert spectral_radius(p["W_hh"]) == pytest.approx(0.7)
        assert p["W_xh"].shape == (2, 6) and not p["b_h"].any()


def test_weight_update_growth_compounds_for_relu_identity():
    rng = np.random.default_rng(4)
    N, T, D, H, rho, eps = 3, 12, 2, 4, 0.9, 0.1
    xs = rng.uniform(0, 1, (N, T, D))  # positive inputs and weights: positive states
    p = {"W_xh": rng.uniform(0, 1, (D, H)), "W_hh": rho * np.eye(H), "b_h": np.zeros(H)}

    def closed_form(r):
        u = xs @ p["W_xh"]  # (N, T, H)
        hs = np.stack([sum(r ** (t - k) * u[:, k] for k in range(t + 1)) for t in range(T)], 1)
        return np.linalg.norm(hs, axis=-1).mean(axis=0)

    expected = closed_form(rho * (1 + eps)) / closed_form(rho)
    np.testing.assert_allclose(weight_update_growth(xs, p, "relu", eps), expected, rtol=1e-12)
    assert weight_update_growth(xs, p, "relu", eps)[-1] > 1.5
    assert weight_update_growth(xs, p, "tanh", eps)[-1] < 1.3


def test_state_norms_overflow_is_silent():
    p = random_rnn(3.0, H=4, D=2, seed=0)
    p["W_hh"] = 1e200 * np.eye(4)
    xs = np.ones((1, 5, 2))
    with np.errstate(all="raise"):
        s = state_norms(xs, np.abs(p["W_xh"]) + 1, p["W_hh"], p["b_h"], "relu")
    assert not np.isfinite(s[0, -1])


def test_batchnorm_forward_equals_torch_in_both_modes():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 4)) * 3 + 1
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    bn = torch.nn.BatchNorm1d(4, dtype=torch.float64)
    bn.weight.data, bn.bias.data = torch.tensor(gamma), torch.tensor(beta)
    y, _, _ = batchnorm_forward(x, gamma, beta)
    np.testing.assert_allclose(y, bn(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    mean2, var2 = rng.standard_normal(4), rng.uniform(0.5, 2, 4)
    bn.eval()
    bn.running_mean, bn.running_var = torch.tensor(mean2), torch.tensor(var2)
    y2, m_used, _ = batchnorm_forward(x, gamma, beta, mean=mean2, var=var2)
    np.testing.assert_allclose(y2, bn(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    np.testing.assert_array_equal(m_used, mean2)
    # a batch of one: every feature equals its own mean, so only beta is left
    np.testing.assert_array_equal(batchnorm_forward(x[:1], gamma, beta)[0][0], beta)


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"gamma has shape \(3,\) but x expects H=4"):
        batchnorm_forward(np.zeros((2, 4)), np.ones(3), np.zeros(4))
    with pytest.raises(ValueError, match="both mean and var"):
        batchnorm_forward(np.zeros((2, 4)), np.ones(4), np.zeros(4), mean=np.zeros(4))


def test_preactivations_give_the_states():
    p = random_rnn(0.9, H=5, D=3, seed=2)
    xs = np.random.default_rng(1).standard_normal((2, 6, 3))
    a = preactivations(xs, p["W_xh"], p["W_hh"], p["b_h"])
    rnn = torch.nn.RNN(3, 5, batch_first=True, dtype=torch.float64)
    rnn_params_to_torch([p], rnn)
    np.testing.assert_allclose(np.tanh(a), rnn(torch.tensor(xs))[0].detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(a[:, 0], xs[:, 0] @ p["W_xh"])  # h_0 = 0


def test_dropout_reach():
    p = 0.3
    per_step = dropout_reach(200, 10, 50, p, np.random.default_rng(6), variational=False)
    shared = dropout_reach(200, 10, 50, p, np.random.default_rng(6), variational=True)
    np.testing.assert_allclose(per_step, (1 - p) ** np.arange(1, 11), atol=0.01)
    assert np.all(shared == shared[0]) and shared[0] == pytest.approx(1 - p, abs=0.01)
    assert np.all(np.diff(per_step) <= 0)


def _torch_influence(module, xs):
    xt = torch.tensor(xs, requires_grad=True)
    ys, _ = module(xt)
    T = xs.shape[1]
    M = np.empty((T, T))
    for t in range(T):
        (g,) = torch.autograd.grad(ys[:, t].sum(), xt, retain_graph=True)
        M[t] = g.norm(dim=-1).mean(dim=0).numpy()
    return M


@pytest.mark.parametrize("bidirectional", [False, True])
def test_influence_map_equals_torch(bidirectional):
    torch.manual_seed(0)
    m = torch.nn.GRU(2, 3, num_layers=2, batch_first=True, bidirectional=bidirectional,
                     dtype=torch.float64)
    xs = np.random.default_rng(7).standard_normal((3, 6, 2))
    M = influence_map("gru", rnn_params_from_torch(m), xs)
    np.testing.assert_allclose(M, _torch_influence(m, xs), rtol=1e-8, atol=1e-14)
    future = M[np.triu_indices(6, k=1)]
    assert (future.min() > 1e-6) if bidirectional else (future.max() == 0)
