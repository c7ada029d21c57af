"""course_rnn.gru: reset-gate placement, truncated BPTT against torch, dtypes, errors.

The gradient checks and the equality with torch.nn.GRU of every cell are in test_cells.
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
from course_rnn.gru import (
    TimeGRU,
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
    init_gru_params,
)


def _params(D, H, seed=0, dtype=np.float64):
    return init_gru_params(D, H, np.random.default_rng(seed), dtype)


def _grads_dict(g):
    return {"W_x": g.dW_x, "W_h": g.dW_h, "b_x": g.db_x, "b_h": g.db_h}


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


def test_lstm_parameters_and_torch_layout_are_explained():
    rng = np.random.default_rng(0)
    W_x, W_h = rng.standard_normal((4, 12)), rng.standard_normal((3, 12))  # an LSTM's, H=3
    b = np.zeros(12)
    with pytest.raises(ValueError, match=r"look like an LSTM's parameters: 4H columns "
                                         r"\(i, f, g, o\) where a GRU needs 3H \(r, z, n\)"):
        gru_forward(np.zeros((2, 5, 4)), None, W_x, W_h, b, b)
    with pytest.raises(ValueError, match="look like an LSTM's parameters"):
        TimeGRU(W_x, W_h, b, b)
    p = _params(4, 3)
    with pytest.raises(ValueError, match=r"W_x has shape \(9, 4\): it looks transposed.*"
                                         r"W_x = weight_ih.T, of shape \(4, 9\)"):
        gru_forward(np.zeros((2, 5, 4)), None, p["W_x"].T, p["W_h"], p["b_x"], p["b_h"])
