"""course_rnn.lstm: gate order, truncated BPTT against torch, TimeLSTM, dtypes, errors.

The gradient checks and the equality with torch.nn.LSTM of every cell are in test_cells.
"""


import numpy as np
import pytest

from _helpers_cells import (
    assert_close,
    assert_params_close,
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
    split_gates,
)


def _params(D, H, seed=0, dtype=np.float64):
    return init_lstm_params(D, H, np.random.default_rng(seed), dtype)


def _grads_dict(g):
    return {"W_x": g.dW_x, "W_h": g.dW_h, "b": g.db}


def test_gate_order_is_torchs():
    assert GATE_ORDER == ("i", "f", "g", "o")
    A = np.arange(8.0).reshape(1, 8)
    i, f, g, o = split_gates(A)
    assert [i[0, 0], f[0, 0], g[0, 0], o[0, 0]] == [0, 2, 4, 6]


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


def test_zero_length_sequence_is_a_value_error():
    """torch raises for T = 0; lstm_forward used to fail with an IndexError."""
    p = _params(4, 3)
    with pytest.raises(ValueError, match=r"xs has shape \(2, 0, 4\): T must be at least 1"):
        lstm_forward(np.zeros((2, 0, 4)), None, None, **p)


def test_gru_parameters_and_torch_layout_are_explained():
    rng = np.random.default_rng(0)
    W_x, W_h = rng.standard_normal((4, 9)), rng.standard_normal((3, 9))  # a GRU's, H=3
    with pytest.raises(ValueError, match=r"look like a GRU's parameters: 3H columns \(r, z, n\) "
                                         r"where an LSTM needs 4H \(i, f, g, o\)"):
        lstm_forward(np.zeros((2, 5, 4)), None, None, W_x, W_h, np.zeros(9))
    p = _params(4, 3)
    with pytest.raises(ValueError, match=r"W_x has shape \(12, 4\): it looks transposed.*"
                                         r"W_x = weight_ih.T, of shape \(4, 12\)"):
        lstm_forward(np.zeros((2, 5, 4)), None, None, p["W_x"].T, p["W_h"], p["b"])
    with pytest.raises(ValueError, match=r"W_h has shape \(12, 3\): it looks transposed.*"
                                         r"W_h = weight_hh.T"):
        TimeLSTM(p["W_x"], p["W_h"].T, p["b"])
