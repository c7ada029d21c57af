"""course_rnn.lstm: gradient checks, equality with torch.nn.LSTM, truncated BPTT, errors."""

import warnings

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
from course_rnn.lstm import (
    GATE_ORDER,
    TimeLSTM,
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    sigmoid,
    split_gates,
)
from course_rnn.torch_ref.convert import rnn_params_to_torch


def _params(D, H, seed=0, dtype=np.float64):
    return init_lstm_params(D, H, np.random.default_rng(seed), dtype)


def _grads_dict(g):
    return {"W_x": g.dW_x, "W_h": g.dW_h, "b": g.db}


def test_gate_order_is_torchs():
    assert GATE_ORDER == ("i", "f", "g", "o")
    A = np.arange(8.0).reshape(1, 8)
    i, f, g, o = split_gates(A)
    assert [i[0, 0], f[0, 0], g[0, 0], o[0, 0]] == [0, 2, 4, 6]


def test_sigmoid_is_stable_and_accurate():
    """No overflow warning at any input; absolute error at the level of float64 rounding."""
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 2.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = sigmoid(x)
    np.testing.assert_allclose(y, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-14, atol=1e-16)
    assert sigmoid(np.float32(1.0)).dtype == np.float32


@pytest.mark.parametrize("N,D,H", [(1, 3, 4), (2, 4, 4), (3, 5, 2)])
def test_step_gradcheck(N, D, H):
    rng = np.random.default_rng(1)
    inputs = dict(x_t=rng.standard_normal((N, D)), h_prev=rng.standard_normal((N, H)),
                  c_prev=rng.standard_normal((N, H)), **_params(D, H))
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    *_, cache = lstm_step_forward(**inputs)
    grads = lstm_step_backward(dh, dc, cache)
    numeric = numeric_grads(lambda **kw: lstm_step_forward(**kw)[:2], inputs, [dh, dc])
    assert_grads_close(grads, inputs, numeric, STEP_TOL)


@pytest.mark.parametrize("N,T,D,H", [(1, 1, 3, 4), (2, 3, 4, 5), (3, 4, 2, 3)])
def test_sequence_gradcheck(N, T, D, H):
    rng = np.random.default_rng(2)
    inputs = dict(xs=rng.standard_normal((N, T, D)), h0=rng.standard_normal((N, H)),
                  c0=rng.standard_normal((N, H)), **_params(D, H, seed=3))
    dhs = rng.standard_normal((N, T, H))
    dh_last, dc_last = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    *_, cache = lstm_forward(**inputs)
    grads = lstm_backward(dhs, cache, dh_last, dc_last)

    def fn(**kw):
        hs, (h, c), _ = lstm_forward(**kw)
        return hs, h, c

    numeric = numeric_grads(fn, inputs, [dhs, dh_last, dc_last])
    assert_grads_close(grads, inputs, numeric, SEQ_TOL)


def test_sequence_gradcheck_last_state_only():
    rng = np.random.default_rng(4)
    inputs = dict(xs=rng.standard_normal((2, 5, 3)), h0=rng.standard_normal((2, 4)),
                  c0=rng.standard_normal((2, 4)), **_params(3, 4))
    dh_last = rng.standard_normal((2, 4))
    grads = lstm_backward(None, lstm_forward(**inputs)[2], dh_last)
    numeric = numeric_grads(lambda **kw: (lstm_forward(**kw)[1][0],), inputs, [dh_last])
    assert_grads_close(grads, inputs, numeric, SEQ_TOL)


@pytest.mark.parametrize("N,T,D,H", [(1, 1, 3, 4), (4, 7, 5, 6)])
def test_sequence_equals_torch(N, T, D, H):
    rng = np.random.default_rng(5)
    p = _params(D, H, seed=6)
    xs, h0, c0 = (rng.standard_normal(s) for s in [(N, T, D), (N, H), (N, H)])
    dhs, dh_last, dc_last = (rng.standard_normal(s) for s in [(N, T, H), (N, H), (N, H)])
    hs, (h_last, c_last), cache = lstm_forward(xs, h0, c0, **p)
    g = lstm_backward(dhs, cache, dh_last, dc_last)

    m = torch_module("lstm", p, D, H)
    xs_t, h0_t, c0_t = tensor(xs, True), tensor(h0[None], True), tensor(c0[None], True)
    out, (h_n, c_n) = m(xs_t, (h0_t, c0_t))
    loss = (out * tensor(dhs)).sum() + (h_n[0] * tensor(dh_last)).sum()
    (loss + (c_n[0] * tensor(dc_last)).sum()).backward()
    assert_close(hs, out.detach().numpy(), "hs")
    assert_close(h_last, h_n[0].detach().numpy(), "h_last")
    assert_close(c_last, c_n[0].detach().numpy(), "c_last")
    assert_close(g.dxs, xs_t.grad.numpy(), "dxs")
    assert_close(g.dh0, h0_t.grad[0].numpy(), "dh0")
    assert_close(g.dc0, c0_t.grad[0].numpy(), "dc0")
    assert_params_close(_grads_dict(g), torch_grads(m)[0])


def test_step_equals_torch_cell():
    rng = np.random.default_rng(7)
    D, H = 3, 5
    p = _params(D, H)
    x, h, c = rng.standard_normal((2, D)), rng.standard_normal((2, H)), rng.standard_normal((2, H))
    dh, dc = rng.standard_normal((2, H)), rng.standard_normal((2, H))
    h_next, c_next, cache = lstm_step_forward(x, h, c, **p)
    g = lstm_step_backward(dh, dc, cache)
    cell = rnn_params_to_torch(p, torch.nn.LSTMCell(D, H).double())
    x_t, h_t, c_t = tensor(x, True), tensor(h, True), tensor(c, True)
    h1, c1 = cell(x_t, (h_t, c_t))
    ((h1 * tensor(dh)).sum() + (c1 * tensor(dc)).sum()).backward()
    assert_close(h_next, h1.detach().numpy())
    assert_close(c_next, c1.detach().numpy())
    assert_close(g.dx_t, x_t.grad.numpy())
    assert_close(g.dh_prev, h_t.grad.numpy())
    assert_close(g.dc_prev, c_t.grad.numpy())
    assert_params_close(_grads_dict(g), torch_grads(cell)[0])


def test_step_and_sequence_agree():
    rng = np.random.default_rng(8)
    p = _params(3, 4)
    xs, h0, c0 = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 4)), np.zeros((2, 4))
    hs, _, _ = lstm_forward(xs, h0, c0, **p)
    h, c = h0, c0
    for t in range(3):
        h, c, _ = lstm_step_forward(xs[:, t], h, c, **p)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12, atol=1e-14)


def test_truncated_bptt_equals_torch_detach():
    """(h, c) carried across chunks, backward cut: torch with .detach() of both."""
    rng = np.random.default_rng(9)
    N, T, D, H, chunk = 3, 10, 4, 5, 4
    p = _params(D, H, seed=10)
    xs, dhs = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))

    layer = TimeLSTM(**{k: v.copy() for k, v in p.items()}, stateful=True)
    total = {k: np.zeros_like(v) for k, v in p.items()}
    outs, dxs = [], []
    for s in range(0, T, chunk):
        outs.append(layer.forward(xs[:, s : s + chunk]))
        dxs.append(layer.backward(dhs[:, s : s + chunk]))
        for k in total:
            total[k] += layer.grads[k]

    m = torch_module("lstm", p, D, H)
    state = None
    for k, s in enumerate(range(0, T, chunk)):
        x_t = tensor(xs[:, s : s + chunk], True)
        out, state = m(x_t, state)
        (out * tensor(dhs[:, s : s + chunk])).sum().backward()
        state = (state[0].detach(), state[1].detach())  # the cut
        assert_close(outs[k], out.detach().numpy(), f"hs of chunk {k}")
        assert_close(dxs[k], x_t.grad.numpy(), f"dxs of chunk {k}")
    assert_params_close(total, torch_grads(m)[0], "accumulated")


def test_time_lstm_state_handling():
    rng = np.random.default_rng(11)
    p = _params(3, 4)
    xs = rng.standard_normal((2, 6, 3))
    full, (_, c_last), _ = lstm_forward(xs, None, None, **p)
    layer = TimeLSTM(**p, stateful=True)
    parts = [layer.forward(xs[:, :2]), layer.forward(xs[:, 2:])]
    np.testing.assert_allclose(np.concatenate(parts, axis=1), full, rtol=1e-12)
    np.testing.assert_allclose(layer.c, c_last, rtol=1e-12)
    layer.reset_state()
    assert layer.h is None and layer.c is None


def test_float32_stays_float32():
    rng = np.random.default_rng(13)
    p = _params(3, 4, dtype=np.float32)
    xs = rng.standard_normal((2, 5, 3)).astype(np.float32)
    hs, (h, c), cache = lstm_forward(xs, None, None, **p)
    g = lstm_backward(np.ones_like(hs), cache, np.ones_like(h), np.ones_like(c))
    assert hs.dtype == h.dtype == c.dtype == np.float32
    assert all(a.dtype == np.float32 for a in g)
    p64 = {k: v.astype(np.float64) for k, v in p.items()}
    np.testing.assert_allclose(hs, lstm_forward(xs.astype(np.float64), None, None, **p64)[0],
                               atol=1e-5)
    h1, c1, sc = lstm_step_forward(xs[:, 0], h, c, **p)
    assert h1.dtype == c1.dtype == np.float32
    assert all(a.dtype == np.float32 for a in lstm_step_backward(h1, c1, sc))


def test_inputs_not_modified():
    rng = np.random.default_rng(14)
    p = _params(3, 4)
    arrays = [rng.standard_normal(s) for s in [(2, 5, 3), (2, 4), (2, 4), (2, 5, 4), (2, 4)]]
    xs, h0, c0, dhs, dh_last = arrays
    saved = [a.copy() for a in (*arrays, *p.values())]
    lstm_backward(dhs, lstm_forward(xs, h0, c0, **p)[2], dh_last, dh_last)
    for a, b in zip(saved, (*arrays, *p.values()), strict=True):
        np.testing.assert_array_equal(a, b)


def test_bad_input_messages():
    p = _params(4, 3)
    x, h = np.zeros((2, 4)), np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"x_t has shape \(2, 5\) but W_x expects D=4"):
        lstm_step_forward(np.zeros((2, 5)), h, h, **p)
    with pytest.raises(ValueError, match=r"h_prev has shape \(2, 4\) but W_h expects H=3"):
        lstm_step_forward(x, np.zeros((2, 4)), h, **p)
    with pytest.raises(ValueError, match=r"c_prev has shape \(2, 2\), expected \(2, 3\)"):
        lstm_step_forward(x, h, np.zeros((2, 2)), **p)
    with pytest.raises(ValueError, match=r"b has shape \(12, 1\)|b must have 1 dimensions"):
        lstm_forward(np.zeros((2, 5, 4)), None, None, p["W_x"], p["W_h"], np.zeros((12, 1)))
    with pytest.raises(ValueError, match=r"b has shape \(8,\) but W_x expects 4H=12"):
        lstm_forward(np.zeros((2, 5, 4)), None, None, p["W_x"], p["W_h"], np.zeros(8))
    with pytest.raises(ValueError, match=r"W_x has shape \(4, 10\): its second axis must be 4H"):
        lstm_forward(np.zeros((2, 5, 4)), None, None, np.zeros((4, 10)), p["W_h"], p["b"])
    with pytest.raises(ValueError, match=r"xs must have 3 dimensions, got shape \(5, 4\)"):
        lstm_forward(np.zeros((5, 4)), None, None, **p)
    with pytest.raises(ValueError, match=r"c0 has shape \(2, 5\) but W_h expects H=3"):
        lstm_forward(np.zeros((2, 5, 4)), None, np.zeros((2, 5)), **p)
