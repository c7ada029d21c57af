"""experiments.gradients: Jacobians through time, truncation, memory, the echo accuracy."""

import numpy as np
import pytest
import torch

from course_rnn.data.tasks import delayed_echo_batches
from course_rnn.experiments.gradients import (
    echo_accuracy,
    gradient_flow,
    growth_rate,
    jacobian_norms,
    recurrent_weights,
    spectral_radius,
    state_jacobians,
    stored_activation_bytes,
    truncated_input_gradients,
)
from course_rnn.gradcheck import numerical_gradient, rel_error
from course_rnn.models import RNNLanguageModel
from course_rnn.rnn import init_rnn_params, rnn_forward, rnn_step_backward, rnn_step_forward

ACTS = ["tanh", "relu", "linear"]


def _setup(N=2, T=5, D=3, H=4, seed=0, radius=0.9):
    rng = np.random.default_rng(seed)
    p = init_rnn_params(D, H, rng)
    p["W_hh"] = recurrent_weights(H, radius, rng, "gaussian")
    return rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), p


def _last_state(xs, h0, p, activation):
    """h_T of the forward pass, for finite differences and torch."""
    h = h0
    for t in range(xs.shape[1]):
        a = xs[:, t] @ p["W_xh"] + h @ p["W_hh"] + p["b_h"]
        h = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "linear": lambda z: z}[
            activation](a)
    return h


# -- spectral radius and W_hh ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["orthogonal", "gaussian"])
@pytest.mark.parametrize("radius", [0.5, 1.0, 1.7])
def test_recurrent_weights_have_the_radius(kind, radius):
    W = recurrent_weights(16, radius, 3, kind)
    assert W.shape == (16, 16)
    assert spectral_radius(W) == pytest.approx(radius, rel=1e-10)
    if kind == "orthogonal":  # every singular value is the radius: ||W^n|| = radius^n
        np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), radius, rtol=1e-10)
        W10 = np.linalg.matrix_power(W, 10)
        assert np.linalg.norm(W10, 2) == pytest.approx(radius**10, rel=1e-9)


def test_spectral_radius_matches_torch_and_gelfand():
    W = recurrent_weights(12, 1.3, 0, "gaussian")
    assert spectral_radius(W) == pytest.approx(
        float(torch.linalg.eigvals(torch.tensor(W)).abs().max()), rel=1e-10)
    n = 400
    assert np.linalg.norm(np.linalg.matrix_power(W / 1.3, n), 2) ** (1 / n) == pytest.approx(
        1.0, abs=0.03)


def test_recurrent_weights_errors():
    with pytest.raises(ValueError, match="radius"):
        recurrent_weights(3, -1.0, 0)
    with pytest.raises(ValueError, match="kind"):
        recurrent_weights(3, 1.0, 0, "uniform")
    with pytest.raises(ValueError, match="square"):
        spectral_radius(np.zeros((2, 3)))


# -- Jacobians -------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTS)
def test_jacobians_match_finite_differences(activation):
    xs, h0, p = _setup(N=2, T=5)
    J = state_jacobians(xs, **p, h0=h0, activation=activation)  # (N, T+1, H, H)
    assert J.shape == (2, 6, 4, 4)
    np.testing.assert_array_equal(J[:, 5], np.broadcast_to(np.eye(4), (2, 4, 4)))
    for k in range(6):
        hs_tm = np.concatenate([h0[None], _states(xs, h0, p, activation)], axis=0)
        for n in range(2):
            num = np.empty((4, 4))
            for i in range(4):
                def f(hk, i=i, n=n, k=k):
                    return _last_state(xs[n : n + 1, k:], hk[None], p, activation)[0, i]
                num[i] = numerical_gradient(f, hs_tm[k, n])
            assert rel_error(J[n, k], num) < 1e-7, (activation, k, n)


def _states(xs, h0, p, activation):
    out, h = [], h0
    for t in range(xs.shape[1]):
        h = _last_state(xs[:, t : t + 1], h, p, activation)
        out.append(h)
    return np.stack(out)  # (T, N, H)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_jacobians_match_torch_autograd(activation):
    xs, h0, p = _setup(N=1, T=6, D=3, H=5, seed=1, radius=1.2)
    J = state_jacobians(xs, **p, h0=h0, activation=activation)[0]  # (T+1, H, H)
    rnn = torch.nn.RNN(3, 5, nonlinearity=activation, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(p["W_xh"].T))
        rnn.weight_hh_l0.copy_(torch.tensor(p["W_hh"].T))
        rnn.bias_ih_l0.copy_(torch.tensor(p["b_h"]))
        rnn.bias_hh_l0.zero_()
    x = torch.tensor(xs)
    hs, _ = rnn(x, torch.tensor(h0[None]))
    for k in range(6):
        h_k = torch.tensor(h0[None]) if k == 0 else hs[:, k - 1][None].detach()

        def last(h, k=k):
            return rnn(x[:, k:], h)[1][0, 0]  # (H,)

        ref = torch.autograd.functional.jacobian(last, h_k)[:, 0, 0]  # (H, H)
        np.testing.assert_allclose(J[k], ref.numpy(), rtol=1e-6, atol=1e-12)


def test_jacobian_rows_are_rnn_step_backward():
    """Row i of J_{k-1} is what rnn_step_backward sends back from row i of J_k."""
    xs, h0, p = _setup(N=1, T=4, seed=2)
    J = state_jacobians(xs, **p, h0=h0)[0]
    hs, _, _ = rnn_forward(xs, h0, **p)
    H = 4
    dh = np.eye(H)  # one unit upstream gradient per row
    for t in range(4, 0, -1):
        h_prev = h0 if t == 1 else hs[:, t - 2]
        _, cache = rnn_step_forward(np.repeat(xs[:, t - 1], H, 0), np.repeat(h_prev, H, 0), **p)
        dh = rnn_step_backward(dh, cache).dh_prev
        np.testing.assert_allclose(J[t - 1], dh, rtol=1e-12, atol=1e-14)


def test_linear_orthogonal_norms_are_powers_of_the_radius():
    rng = np.random.default_rng(4)
    for radius in (0.8, 1.0, 1.25):
        W_hh = recurrent_weights(6, radius, rng)
        xs = rng.standard_normal((3, 30, 2))
        norms = jacobian_norms(xs, rng.standard_normal((2, 6)), W_hh, np.zeros(6),
                               activation="linear")
        expected = radius ** np.arange(30, -1, -1.0)  # index k: radius^(T-k)
        np.testing.assert_allclose(norms, np.broadcast_to(expected, (3, 31)), rtol=1e-9)
        assert growth_rate(norms[0][::-1]) == pytest.approx(radius, rel=1e-9)


def test_linear_jacobian_is_a_matrix_power():
    xs, h0, p = _setup(N=1, T=7, seed=5)
    J = state_jacobians(xs, **p, h0=h0, activation="linear")[0]
    for k in range(8):
        np.testing.assert_allclose(J[k], np.linalg.matrix_power(p["W_hh"].T, 7 - k),
                                   rtol=1e-10, atol=1e-14)


def test_growth_rate():
    assert growth_rate(3.0 * 0.5 ** np.arange(10)) == pytest.approx(0.5)
    assert growth_rate([1.0, 0.0, np.inf]) != growth_rate([1.0, 0.0, np.inf])  # nan


# -- the explorer's function -----------------------------------------------------------


def test_gradient_flow_shapes_truncation_and_saturation():
    f = gradient_flow(1.0, T=40, activation="tanh", window=10)
    assert f.distance.shape == f.norms.shape == f.truncated.shape == (41,)
    assert f.norms[0] == pytest.approx(1.0)
    np.testing.assert_array_equal(f.truncated[:11], f.norms[:11])
    assert np.all(f.truncated[11:] == 0) and np.all(f.norms[11:] > 0)
    assert 0 < f.mean_slope < 1 and f.rate < 1  # tanh' < 1: vanishes even at radius 1
    lin = gradient_flow(1.1, T=40, activation="linear")
    np.testing.assert_allclose(lin.norms, lin.reference, rtol=1e-9)
    assert lin.rate == pytest.approx(1.1) and lin.mean_slope == 1.0
    hot = gradient_flow(1.0, T=40, input_scale=8.0)  # saturated tanh
    assert hot.mean_slope < 0.2 and hot.norms[10] < 1e-4 and hot.rate < 0.5
    assert gradient_flow(1.0, T=40, window=0).truncated.tolist() == f.norms.tolist()
    with pytest.raises(ValueError, match="activation"):
        gradient_flow(1.0, activation="sigmoid")


# -- truncation and memory -------------------------------------------------------------


def test_truncated_input_gradients_zero_beyond_the_window_and_match_torch():
    xs, _, p = _setup(N=2, T=10, D=3, H=4, seed=6)
    g = np.random.default_rng(7).standard_normal((2, 4))
    full = truncated_input_gradients(xs, **p, dh_last=g)
    cut = truncated_input_gradients(xs, **p, window=4, dh_last=g)  # chunks 4, 4, 2
    assert np.all(cut[:, :8] == 0)
    np.testing.assert_allclose(cut[:, 8:], full[:, 8:], rtol=1e-10)
    assert np.all(np.abs(full[:, :8]).sum(axis=-1) > 0)

    def loss(z):
        return float(np.sum(_last_state(z, np.zeros((2, 4)), p, "tanh") * g))

    assert rel_error(full, numerical_gradient(loss, xs)) < 1e-8

    rnn = torch.nn.RNN(3, 4, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(p["W_xh"].T))
        rnn.weight_hh_l0.copy_(torch.tensor(p["W_hh"].T))
        rnn.bias_ih_l0.copy_(torch.tensor(p["b_h"]))
        rnn.bias_hh_l0.zero_()
    h, grads = None, []
    for s in range(0, 10, 4):
        x = torch.tensor(xs[:, s : s + 4], requires_grad=True)
        _, h = rnn(x, h)
        if s == 8:
            (h[0] * torch.tensor(g)).sum().backward()
        grads.append(np.zeros(x.shape) if x.grad is None else x.grad.numpy())
        h = h.detach()
    np.testing.assert_allclose(cut, np.concatenate(grads, axis=1), rtol=1e-10, atol=1e-14)


def test_stored_activation_bytes():
    N, T, D, H = 3, 24, 5, 7
    xs, _, p = _setup(N=N, T=T, D=D, H=H, seed=8)
    assert stored_activation_bytes(xs, **p) == 8 * (T * N * D + (T + 1) * N * H)
    assert stored_activation_bytes(xs, **p, window=6) == 8 * (6 * N * D + 7 * N * H)
    assert stored_activation_bytes(xs, **p, window=10) == 8 * (10 * N * D + 11 * N * H)
    with pytest.raises(ValueError, match="window"):
        stored_activation_bytes(xs, **p, window=0)


# -- the delayed-echo task's accuracy --------------------------------------------------


def test_echo_accuracy_restores_the_state_flag():
    model = RNNLanguageModel(4, 3, 5, rng=0, stateful=True)
    xs, _ = delayed_echo_batches(1, 8, 12, 4, 2, rng=1)[0]
    acc = echo_accuracy(model, xs, 2)
    assert 0.0 <= acc <= 1.0 and model.stateful and model.recurrent.h is None
    assert echo_accuracy(model, xs, 2) == acc
