"""course_rnn.rnn: gradient checks, equality with torch.nn.RNN, truncated BPTT, errors."""

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
from course_rnn.rnn import (
    TimeRNN,
    init_rnn_params,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)

NONLIN = ["tanh", "relu"]


def _params(D, H, seed=0, dtype=np.float64):
    return init_rnn_params(D, H, np.random.default_rng(seed), dtype)


@pytest.mark.parametrize("nonlinearity", NONLIN)
@pytest.mark.parametrize("N,D,H", [(1, 3, 4), (2, 4, 4), (3, 5, 2)])
def test_step_gradcheck(N, D, H, nonlinearity):
    rng = np.random.default_rng(1)
    inputs = dict(x_t=rng.standard_normal((N, D)), h_prev=rng.standard_normal((N, H)),
                  **_params(D, H))
    dh = rng.standard_normal((N, H))
    _, cache = rnn_step_forward(**inputs, nonlinearity=nonlinearity)
    grads = rnn_step_backward(dh, cache)

    def fn(**kw):
        return (rnn_step_forward(**kw, nonlinearity=nonlinearity)[0],)

    assert_grads_close(grads, inputs, numeric_grads(fn, inputs, [dh]), STEP_TOL)


@pytest.mark.parametrize("nonlinearity", NONLIN)
@pytest.mark.parametrize("N,T,D,H", [(1, 1, 3, 4), (2, 3, 4, 5), (3, 4, 2, 3)])
def test_sequence_gradcheck(N, T, D, H, nonlinearity):
    rng = np.random.default_rng(2)
    inputs = dict(xs=rng.standard_normal((N, T, D)), h0=rng.standard_normal((N, H)),
                  **_params(D, H, seed=3))
    dhs, dh_last = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    *_, cache = rnn_forward(**inputs, nonlinearity=nonlinearity)
    grads = rnn_backward(dhs, cache, dh_last)

    def fn(**kw):
        return rnn_forward(**kw, nonlinearity=nonlinearity)[:2]

    assert_grads_close(grads, inputs, numeric_grads(fn, inputs, [dhs, dh_last]), SEQ_TOL)


def test_sequence_gradcheck_last_state_only():
    """dhs=None: only h_last feeds the loss (a sequence classifier)."""
    rng = np.random.default_rng(4)
    inputs = dict(xs=rng.standard_normal((2, 5, 3)), h0=rng.standard_normal((2, 4)),
                  **_params(3, 4))
    dh_last = rng.standard_normal((2, 4))
    grads = rnn_backward(None, rnn_forward(**inputs)[2], dh_last)
    numeric = numeric_grads(lambda **kw: rnn_forward(**kw)[:2], inputs, [None, dh_last])
    assert_grads_close(grads, inputs, numeric, SEQ_TOL)


def _torch_rnn(p, nonlinearity, D, H):
    return torch_module("rnn_relu" if nonlinearity == "relu" else "rnn", p, D, H)


@pytest.mark.parametrize("nonlinearity", NONLIN)
@pytest.mark.parametrize("N,T,D,H", [(1, 1, 3, 4), (4, 7, 5, 6)])
def test_sequence_equals_torch(N, T, D, H, nonlinearity):
    rng = np.random.default_rng(5)
    p = _params(D, H, seed=6)
    xs, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    dhs, dh_last = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    hs, h_last, cache = rnn_forward(xs, h0, **p, nonlinearity=nonlinearity)
    g = rnn_backward(dhs, cache, dh_last)

    m = _torch_rnn(p, nonlinearity, D, H)
    xs_t, h0_t = tensor(xs, True), tensor(h0[None], True)
    out, h_n = m(xs_t, h0_t)
    ((out * tensor(dhs)).sum() + (h_n[0] * tensor(dh_last)).sum()).backward()
    assert_close(hs, out.detach().numpy(), "hs")
    assert_close(h_last, h_n[0].detach().numpy(), "h_last")
    assert_close(g.dxs, xs_t.grad.numpy(), "dxs")
    assert_close(g.dh0, h0_t.grad[0].numpy(), "dh0")
    assert_params_close({"W_xh": g.dW_xh, "W_hh": g.dW_hh, "b_h": g.db_h}, torch_grads(m)[0])


@pytest.mark.parametrize("nonlinearity", NONLIN)
def test_step_equals_torch_cell(nonlinearity):
    rng = np.random.default_rng(7)
    D, H = 3, 5
    p = _params(D, H)
    x, h = rng.standard_normal((2, D)), rng.standard_normal((2, H))
    dh = rng.standard_normal((2, H))
    h_next, cache = rnn_step_forward(x, h, **p, nonlinearity=nonlinearity)
    g = rnn_step_backward(dh, cache)
    cell = torch.nn.RNNCell(D, H, nonlinearity=nonlinearity).double()
    from course_rnn.torch_ref.convert import rnn_params_to_torch

    rnn_params_to_torch(p, cell)
    x_t, h_t = tensor(x, True), tensor(h, True)
    out = cell(x_t, h_t)
    (out * tensor(dh)).sum().backward()
    assert_close(h_next, out.detach().numpy())
    assert_close(g.dx_t, x_t.grad.numpy())
    assert_close(g.dh_prev, h_t.grad.numpy())
    assert_params_close({"W_xh": g.dW_xh, "W_hh": g.dW_hh, "b_h": g.db_h}, torch_grads(cell)[0])


def test_step_and_sequence_agree():
    rng = np.random.default_rng(8)
    p = _params(3, 4)
    xs, h0 = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 4))
    hs, _, _ = rnn_forward(xs, h0, **p)
    h = h0
    for t in range(3):
        h, _ = rnn_step_forward(xs[:, t], h, **p)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("nonlinearity", NONLIN)
def test_truncated_bptt_equals_torch_detach(nonlinearity):
    """Forward state carried across chunks, backward cut: torch with h.detach()."""
    rng = np.random.default_rng(9)
    N, T, D, H, chunk = 3, 10, 4, 5, 4  # chunks of 4, 4, 2
    p = _params(D, H, seed=10)
    xs, dhs = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))

    layer = TimeRNN(**{k: v.copy() for k, v in p.items()}, stateful=True,
                    nonlinearity=nonlinearity)
    total = {k: np.zeros_like(v) for k, v in p.items()}
    outs, dxs = [], []
    for s in range(0, T, chunk):
        outs.append(layer.forward(xs[:, s : s + chunk]))
        dxs.append(layer.backward(dhs[:, s : s + chunk]))
        for k in total:
            total[k] += layer.grads[k]

    m = _torch_rnn(p, nonlinearity, D, H)
    h = None
    for k, s in enumerate(range(0, T, chunk)):
        x_t = tensor(xs[:, s : s + chunk], True)
        out, h = m(x_t, h)
        (out * tensor(dhs[:, s : s + chunk])).sum().backward()
        h = h.detach()  # the cut
        assert_close(outs[k], out.detach().numpy(), f"hs of chunk {k}")
        assert_close(dxs[k], x_t.grad.numpy(), f"dxs of chunk {k}")
    assert_params_close(total, torch_grads(m)[0], "accumulated")


def test_time_rnn_state_handling():
    rng = np.random.default_rng(11)
    p = _params(3, 4)
    xs = rng.standard_normal((2, 6, 3))
    full, h_last, _ = rnn_forward(xs, None, **p)

    layer = TimeRNN(**p, stateful=True)
    first, second = layer.forward(xs[:, :3]), layer.forward(xs[:, 3:])
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), full, rtol=1e-12)
    np.testing.assert_allclose(layer.h, h_last, rtol=1e-12)
    layer.reset_state()
    np.testing.assert_allclose(layer.forward(xs[:, 3:]), rnn_forward(xs[:, 3:], None, **p)[0])

    stateless = TimeRNN(**p)
    stateless.forward(xs[:, :3])
    np.testing.assert_allclose(stateless.forward(xs[:, 3:]), rnn_forward(xs[:, 3:], None, **p)[0])
    with pytest.raises(RuntimeError, match="before forward"):
        TimeRNN(**p).backward(np.zeros((2, 3, 4)))


def test_time_rnn_grads_match_functions():
    rng = np.random.default_rng(12)
    p = _params(3, 4)
    xs, dhs = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 4))
    layer = TimeRNN(**p)
    layer.forward(xs)
    dxs = layer.backward(dhs)
    g = rnn_backward(dhs, rnn_forward(xs, None, **p)[2])
    np.testing.assert_array_equal(dxs, g.dxs)
    for k in p:
        np.testing.assert_array_equal(layer.grads[k], getattr(g, "d" + k))


@pytest.mark.parametrize("nonlinearity", NONLIN)
def test_float32_stays_float32(nonlinearity):
    rng = np.random.default_rng(13)
    p = _params(3, 4, dtype=np.float32)
    xs = rng.standard_normal((2, 5, 3)).astype(np.float32)
    hs, h_last, cache = rnn_forward(xs, None, **p, nonlinearity=nonlinearity)
    g = rnn_backward(np.ones_like(hs), cache, np.ones_like(h_last))
    assert hs.dtype == h_last.dtype == np.float32
    assert all(a.dtype == np.float32 for a in g)
    assert rnn_forward(np.ones((2, 5, 3), dtype=int), None, **p)[0].dtype == np.float32
    h, c = rnn_step_forward(xs[:, 0], np.zeros((2, 4), np.float32), **p)
    assert h.dtype == np.float32
    assert all(a.dtype == np.float32 for a in rnn_step_backward(np.ones_like(h), c))
    # and it agrees with float64 to float32 precision
    p64 = {k: v.astype(np.float64) for k, v in p.items()}
    np.testing.assert_allclose(hs, rnn_forward(xs.astype(np.float64), None, **p64,
                                               nonlinearity=nonlinearity)[0], atol=1e-5)


def test_inputs_not_modified():
    rng = np.random.default_rng(14)
    p = _params(3, 4)
    xs, h0, dhs = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4)), np.ones((2, 5, 4))
    dh_last = np.ones((2, 4))
    saved = [a.copy() for a in (xs, h0, dhs, dh_last, *p.values())]
    *_, cache = rnn_forward(xs, h0, **p)
    rnn_backward(dhs, cache, dh_last)
    for a, b in zip(saved, (xs, h0, dhs, dh_last, *p.values()), strict=True):
        np.testing.assert_array_equal(a, b)


def test_bad_input_messages():
    p = _params(4, 3)
    with pytest.raises(ValueError, match=r"x_t has shape \(3, 5\) but W_xh expects D=4"):
        rnn_step_forward(np.zeros((3, 5)), np.zeros((3, 3)), **p)
    with pytest.raises(ValueError, match=r"h_prev has shape \(3, 2\) but W_hh expects H=3"):
        rnn_step_forward(np.zeros((3, 4)), np.zeros((3, 2)), **p)
    with pytest.raises(ValueError, match=r"h_prev has shape \(2, 3\) but x_t expects N=3"):
        rnn_step_forward(np.zeros((3, 4)), np.zeros((2, 3)), **p)
    with pytest.raises(ValueError, match=r"b_h has shape \(4,\) but W_xh expects H=3"):
        rnn_forward(np.zeros((2, 5, 4)), None, p["W_xh"], p["W_hh"], np.zeros(4))
    with pytest.raises(ValueError, match=r"W_hh has shape \(4, 4\), expected \(3, 3\)"):
        rnn_forward(np.zeros((2, 5, 4)), None, p["W_xh"], np.zeros((4, 4)), p["b_h"])
    with pytest.raises(ValueError, match=r"xs must have 3 dimensions, got shape \(5, 4\)"):
        rnn_forward(np.zeros((5, 4)), None, **p)
    with pytest.raises(ValueError, match=r"xs has shape \(2, 5, 3\) but W_xh expects D=4"):
        rnn_forward(np.zeros((2, 5, 3)), None, **p)
    with pytest.raises(ValueError, match=r"h0 has shape \(2, 4\) but W_hh expects H=3"):
        rnn_forward(np.zeros((2, 5, 4)), np.zeros((2, 4)), **p)
    with pytest.raises(ValueError, match=r"nonlinearity must be one of .* got 'sigmoid'"):
        rnn_forward(np.zeros((2, 5, 4)), None, **p, nonlinearity="sigmoid")
    _, _, cache = rnn_forward(np.zeros((2, 5, 4)), None, **p)
    with pytest.raises(ValueError, match=r"dhs has shape \(2, 4, 3\), expected \(2, 5, 3\)"):
        rnn_backward(np.zeros((2, 4, 3)), cache)
    with pytest.raises(TypeError, match="xs must be a numeric array"):
        rnn_forward(np.array([[["a"]]]), None, **p)
