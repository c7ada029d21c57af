"""course_rnn.gru: gradient checks, equality with torch.nn.GRU, truncated BPTT, errors."""

import numpy as np
import pytest
import torch

from _helpers_cells import (
    SEQ_TOL,
    STEP_TOL,
    assert_close,
    assert_grads_close,
    assert_params_close,
    numeric_grads,
    tensor,
    torch_grads,
    torch_module,
)
from course_rnn.gru import (
    TimeGRU,
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
    init_gru_params,
)
from course_rnn.torch_ref.convert import rnn_params_to_torch


def _params(D, H, seed=0, dtype=np.float64):
    return init_gru_params(D, H, np.random.default_rng(seed), dtype)


def _grads_dict(g):
    return {"W_x": g.dW_x, "W_h": g.dW_h, "b_x": g.db_x, "b_h": g.db_h}


@pytest.mark.parametrize("N,D,H", [(1, 3, 4), (2, 4, 4), (3, 5, 2)])
def test_step_gradcheck(N, D, H):
    rng = np.random.default_rng(1)
    inputs = dict(x_t=rng.standard_normal((N, D)), h_prev=rng.standard_normal((N, H)),
                  **_params(D, H))
    dh = rng.standard_normal((N, H))
    _, cache = gru_step_forward(**inputs)
    grads = gru_step_backward(dh, cache)
    numeric = numeric_grads(lambda **kw: (gru_step_forward(**kw)[0],), inputs, [dh])
    assert_grads_close(grads, inputs, numeric, STEP_TOL)


@pytest.mark.parametrize("N,T,D,H", [(1, 1, 3, 4), (2, 3, 4, 5), (3, 4, 2, 3)])
def test_sequence_gradcheck(N, T, D, H):
    rng = np.random.default_rng(2)
    inputs = dict(xs=rng.standard_normal((N, T, D)), h0=rng.standard_normal((N, H)),
                  **_params(D, H, seed=3))
    dhs, dh_last = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    *_, cache = gru_forward(**inputs)
    grads = gru_backward(dhs, cache, dh_last)
    numeric = numeric_grads(lambda **kw: gru_forward(**kw)[:2], inputs, [dhs, dh_last])
    assert_grads_close(grads, inputs, numeric, SEQ_TOL)


def test_sequence_gradcheck_last_state_only():
    rng = np.random.default_rng(4)
    inputs = dict(xs=rng.standard_normal((2, 5, 3)), h0=rng.standard_normal((2, 4)),
                  **_params(3, 4))
    dh_last = rng.standard_normal((2, 4))
    grads = gru_backward(None, gru_forward(**inputs)[2], dh_last)
    numeric = numeric_grads(lambda **kw: gru_forward(**kw)[:2], inputs, [None, dh_last])
    assert_grads_close(grads, inputs, numeric, SEQ_TOL)


@pytest.mark.parametrize("N,T,D,H", [(1, 1, 3, 4), (4, 7, 5, 6)])
def test_sequence_equals_torch(N, T, D, H):
    rng = np.random.default_rng(5)
    p = _params(D, H, seed=6)
    xs, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    dhs, dh_last = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    hs, h_last, cache = gru_forward(xs, h0, **p)
    g = gru_backward(dhs, cache, dh_last)

    m = torch_module("gru", p, D, H)
    xs_t, h0_t = tensor(xs, True), tensor(h0[None], True)
    out, h_n = m(xs_t, h0_t)
    ((out * tensor(dhs)).sum() + (h_n[0] * tensor(dh_last)).sum()).backward()
    assert_close(hs, out.detach().numpy(), "hs")
    assert_close(h_last, h_n[0].detach().numpy(), "h_last")
    assert_close(g.dxs, xs_t.grad.numpy(), "dxs")
    assert_close(g.dh0, h0_t.grad[0].numpy(), "dh0")
    assert_params_close(_grads_dict(g), torch_grads(m)[0])


def test_step_equals_torch_cell():
    rng = np.random.default_rng(7)
    D, H = 3, 5
    p = _params(D, H)
    x, h, dh = rng.standard_normal((2, D)), rng.standard_normal((2, H)), rng.standard_normal((2, H))
    h_next, cache = gru_step_forward(x, h, **p)
    g = gru_step_backward(dh, cache)
    cell = rnn_params_to_torch(p, torch.nn.GRUCell(D, H).double())
    x_t, h_t = tensor(x, True), tensor(h, True)
    out = cell(x_t, h_t)
    (out * tensor(dh)).sum().backward()
    assert_close(h_next, out.detach().numpy())
    assert_close(g.dx_t, x_t.grad.numpy())
    assert_close(g.dh_prev, h_t.grad.numpy())
    assert_params_close(_grads_dict(g), torch_grads(cell)[0])


def test_reset_gate_placement_matters():
    """b_hn sits inside r * (h W_hn + b_hn): moving it into b_x changes the output."""
    rng = np.random.default_rng(8)
    p = _params(3, 4)
    xs = rng.standard_normal((2, 5, 3))
    moved = dict(p, b_x=p["b_x"] + p["b_h"], b_h=np.zeros_like(p["b_h"]))
    assert not np.allclose(gru_forward(xs, None, **p)[0], gru_forward(xs, None, **moved)[0])
    # but the r and z blocks of the two biases can be merged freely
    H = 4
    merged = dict(p, b_x=p["b_x"].copy(), b_h=p["b_h"].copy())
    merged["b_x"][: 2 * H] += merged["b_h"][: 2 * H]
    merged["b_h"][: 2 * H] = 0
    np.testing.assert_allclose(gru_forward(xs, None, **p)[0], gru_forward(xs, None, **merged)[0])


def test_step_and_sequence_agree():
    rng = np.random.default_rng(9)
    p = _params(3, 4)
    xs, h0 = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 4))
    hs, _, _ = gru_forward(xs, h0, **p)
    h = h0
    for t in range(3):
        h, _ = gru_step_forward(xs[:, t], h, **p)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12, atol=1e-14)


def test_truncated_bptt_equals_torch_detach():
    rng = np.random.default_rng(10)
    N, T, D, H, chunk = 2, 7, 3, 4, 3
    p = _params(D, H, seed=11)
    xs, dhs = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    layer = TimeGRU(**{k: v.copy() for k, v in p.items()}, stateful=True)
    total = {k: np.zeros_like(v) for k, v in p.items()}
    m, h = torch_module("gru", p, D, H), None
    for s in range(0, T, chunk):
        hs = layer.forward(xs[:, s : s + chunk])
        dxs = layer.backward(dhs[:, s : s + chunk])
        for k in total:
            total[k] += layer.grads[k]
        x_t = tensor(xs[:, s : s + chunk], True)
        out, h = m(x_t, h)
        (out * tensor(dhs[:, s : s + chunk])).sum().backward()
        h = h.detach()
        assert_close(hs, out.detach().numpy())
        assert_close(dxs, x_t.grad.numpy())
    assert_params_close(total, torch_grads(m)[0])
    layer.reset_state()
    assert layer.h is None


def test_float32_stays_float32():
    rng = np.random.default_rng(12)
    p = _params(3, 4, dtype=np.float32)
    xs = rng.standard_normal((2, 5, 3)).astype(np.float32)
    hs, h_last, cache = gru_forward(xs, None, **p)
    g = gru_backward(np.ones_like(hs), cache, np.ones_like(h_last))
    assert hs.dtype == h_last.dtype == np.float32
    assert all(a.dtype == np.float32 for a in g)
    p64 = {k: v.astype(np.float64) for k, v in p.items()}
    np.testing.assert_allclose(hs, gru_forward(xs.astype(np.float64), None, **p64)[0], atol=1e-5)
    h, c = gru_step_forward(xs[:, 0], h_last, **p)
    assert h.dtype == np.float32
    assert all(a.dtype == np.float32 for a in gru_step_backward(h, c))


def test_inputs_not_modified():
    rng = np.random.default_rng(13)
    p = _params(3, 4)
    arrays = [rng.standard_normal(s) for s in [(2, 5, 3), (2, 4), (2, 5, 4), (2, 4)]]
    saved = [a.copy() for a in (*arrays, *p.values())]
    xs, h0, dhs, dh_last = arrays
    gru_backward(dhs, gru_forward(xs, h0, **p)[2], dh_last)
    for a, b in zip(saved, (*arrays, *p.values()), strict=True):
        np.testing.assert_array_equal(a, b)


def test_bad_input_messages():
    p = _params(4, 3)
    with pytest.raises(ValueError, match=r"x_t has shape \(2, 5\) but W_x expects D=4"):
        gru_step_forward(np.zeros((2, 5)), np.zeros((2, 3)), **p)
    with pytest.raises(ValueError, match=r"h_prev has shape \(2, 4\) but W_h expects H=3"):
        gru_step_forward(np.zeros((2, 4)), np.zeros((2, 4)), **p)
    with pytest.raises(ValueError, match=r"b_h has shape \(6,\) but W_x expects 3H=9"):
        gru_forward(np.zeros((2, 5, 4)), None, p["W_x"], p["W_h"], p["b_x"], np.zeros(6))
    with pytest.raises(ValueError, match=r"W_h has shape \(3, 6\), expected \(3, 9\)"):
        gru_forward(np.zeros((2, 5, 4)), None, p["W_x"], np.zeros((3, 6)), p["b_x"], p["b_h"])
    with pytest.raises(ValueError, match=r"xs must have 3 dimensions, got shape \(5, 4\)"):
        gru_forward(np.zeros((5, 4)), None, **p)
    with pytest.raises(ValueError, match=r"h0 has shape \(3, 3\) but xs expects N=2"):
        gru_forward(np.zeros((2, 5, 4)), np.zeros((3, 3)), **p)
