"""course_rnn.rnn: truncated BPTT against torch, TimeRNN, dtypes, errors.

The gradient checks and the equality with torch.nn.RNN of every cell are in test_cells.
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


def _torch_rnn(p, nonlinearity, D, H):
    return torch_module("rnn_relu" if nonlinearity == "relu" else "rnn", p, D, H)


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


def test_torch_weight_ih_passed_as_W_xh_is_named_transposed():
    """torch's weight_ih is (H, D): the message says W_xh = weight_ih.T."""
    p = _params(4, 3)  # D=4, H=3
    with pytest.raises(ValueError, match=r"W_xh has shape \(3, 4\): it looks transposed "
                                         r"\(torch's weight_ih is \(H, D\)\); course_rnn uses "
                                         r"W_xh = weight_ih.T, of shape \(4, 3\)"):
        rnn_forward(np.zeros((2, 5, 4)), None, p["W_xh"].T, p["W_hh"], p["b_h"])
    with pytest.raises(ValueError, match="looks transposed"):
        TimeRNN(p["W_xh"].T, p["W_hh"], p["b_h"])
    # not detectable when D == H (both layouts are square): the usual checks only
    sq = _params(3, 3)
    rnn_forward(np.zeros((2, 5, 3)), None, sq["W_xh"].T, sq["W_hh"], sq["b_h"])
