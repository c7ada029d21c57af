"""course_rnn.gru_variants: the Cho et al. GRU against torch autograd, and the gap.

Its gradient checks (as a registered cell, "cho_gru") are in test_cells.
"""

import numpy as np
import torch

from _helpers_cells import tensor
from course_rnn.gru import gru_step_forward, init_gru_params
from course_rnn.gru_variants import (
    candidate_gap,
    cho_gru_backward,
    cho_gru_forward,
    cho_gru_step_forward,
)


def _params(D, H, seed=0):
    return init_gru_params(D, H, np.random.default_rng(seed))


def _torch_cho(xs, h0, W_x, W_h, b_x, b_h):
    """The Cho GRU written with tensor operations (autograd is the reference)."""
    H = h0.shape[1]
    h, hs = h0, []
    for t in range(xs.shape[1]):
        ax = xs[:, t] @ W_x + b_x
        r = torch.sigmoid(ax[:, :H] + h @ W_h[:, :H] + b_h[:H])
        z = torch.sigmoid(ax[:, H : 2 * H] + h @ W_h[:, H : 2 * H] + b_h[H : 2 * H])
        n = torch.tanh(ax[:, 2 * H :] + (r * h) @ W_h[:, 2 * H :] + b_h[2 * H :])
        h = (1 - z) * n + z * h
        hs.append(h)
    return torch.stack(hs, dim=1), h


def test_equals_torch_autograd():
    rng = np.random.default_rng(4)
    N, T, D, H = 3, 6, 4, 5
    p = _params(D, H, seed=5)
    xs, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    dhs = rng.standard_normal((N, T, H))
    hs, h_last, caches = cho_gru_forward(xs, h0, **p)
    g = cho_gru_backward(dhs, caches)
    tin = {"xs": tensor(xs, True), "h0": tensor(h0, True)}
    tp = {k: tensor(v, True) for k, v in p.items()}
    ths, th_last = _torch_cho(**tin, **tp)
    (ths * tensor(dhs)).sum().backward()
    np.testing.assert_allclose(hs, ths.detach().numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(h_last, th_last.detach().numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(g.dxs, tin["xs"].grad.numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(g.dh0, tin["h0"].grad.numpy(), rtol=1e-6, atol=1e-9)
    for k in p:
        np.testing.assert_allclose(getattr(g, "d" + k), tp[k].grad.numpy(), rtol=1e-6, atol=1e-9)


def test_gap_formula_and_when_forms_coincide():
    rng = np.random.default_rng(6)
    N, D, H = 4, 3, 5
    p = _params(D, H, seed=7)
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    h_t, c_t = gru_step_forward(x, h, **p)
    h_c, c_c = cho_gru_step_forward(x, h, **p)
    r = c_t.gates[:, :H]
    np.testing.assert_allclose(c_t.gates[:, :2 * H], c_c.gates[:, :2 * H])  # same r, z
    pre_t = np.arctanh(c_t.gates[:, 2 * H:])
    pre_c = np.arctanh(c_c.gates[:, 2 * H:])
    gap = candidate_gap(h, r, p["W_h"][:, 2 * H:], p["b_h"][2 * H:])
    np.testing.assert_allclose(pre_t - pre_c, gap, atol=1e-10)
    assert np.abs(h_t - h_c).max() > 1e-3  # they differ in general
    # r = 1 (a large reset bias): the two forms agree
    q = {k: v.copy() for k, v in p.items()}
    q["b_x"][:H] = 50.0
    np.testing.assert_allclose(gru_step_forward(x, h, **q)[0], cho_gru_step_forward(x, h, **q)[0],
                               atol=1e-12)
    # b_hn = 0 and h_{t-1} = 0: they agree as well
    q = {k: v.copy() for k, v in p.items()}
    q["b_h"][2 * H:] = 0.0
    zero = np.zeros((N, H))
    np.testing.assert_allclose(gru_step_forward(x, zero, **q)[0],
                               cho_gru_step_forward(x, zero, **q)[0], atol=1e-15)
    # one reset value for every unit and b_hn = 0: diag(r) commutes with W_hn
    r_const = np.full((N, H), 0.3)
    assert np.abs(candidate_gap(h, r_const, p["W_h"][:, 2 * H:], np.zeros(H))).max() < 1e-15
