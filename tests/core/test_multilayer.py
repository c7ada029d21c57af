"""course_rnn.multilayer: stacked and bidirectional layers against torch, gradient checks."""

import numpy as np
import pytest

from _helpers_cells import (
    SEQ_TOL,
    assert_close,
    assert_params_close,
    numeric_grads,
    tensor,
    torch_grads,
    torch_module,
)
from course_rnn.cells import get_cell, names
from course_rnn.gradcheck import rel_error
from course_rnn.gru import init_gru_params
from course_rnn.multilayer import (
    bidirectional_backward,
    bidirectional_forward,
    cell_forward,
    from_torch_states,
    stacked_backward,
    stacked_forward,
    to_torch_states,
)
from course_rnn.rnn import init_rnn_params

CELLS = [c for c in names() if get_cell(c).torch_class is not None]  # compared with torch


def _layers(cell, D, H, num_layers, bidirectional, rng):
    layers, d_in = [], D
    for _ in range(num_layers):
        if bidirectional:
            layers.append((get_cell(cell).init(d_in, H, rng), get_cell(cell).init(d_in, H, rng)))
        else:
            layers.append(get_cell(cell).init(d_in, H, rng))
        d_in = H * (2 if bidirectional else 1)
    return layers


def _random_state(cell, N, H, rng):
    if get_cell(cell).paired_state:
        return rng.standard_normal((N, H)), rng.standard_normal((N, H))
    return rng.standard_normal((N, H))


def _states(cell, num_layers, bidirectional, N, H, rng):
    if bidirectional:
        return [(_random_state(cell, N, H, rng), _random_state(cell, N, H, rng))
                for _ in range(num_layers)]
    return [_random_state(cell, N, H, rng) for _ in range(num_layers)]


def _torch_state(states, cell, grad):
    h = to_torch_states(states, cell)
    if get_cell(cell).paired_state:
        return tensor(h[0], grad), tensor(h[1], grad)
    return tensor(h, grad)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers,bidirectional", [(1, True), (2, False), (2, True)])
def test_equals_torch(cell, num_layers, bidirectional):
    rng = np.random.default_rng(0)
    N, T, D, H = 3, 5, 4, 3
    layers = _layers(cell, D, H, num_layers, bidirectional, rng)
    xs = rng.standard_normal((N, T, D))
    states0 = _states(cell, num_layers, bidirectional, N, H, rng)
    dstates = _states(cell, num_layers, bidirectional, N, H, rng)
    dirs = 2 if bidirectional else 1
    dhs = rng.standard_normal((N, T, dirs * H))

    hs, lasts, cache = stacked_forward(cell, xs, layers, states0)
    g = stacked_backward(dhs, cache, dstates)

    m = torch_module(cell, layers, D, H, num_layers, bidirectional)
    xs_t, s0_t, ds_t = tensor(xs, True), _torch_state(states0, cell, True), _torch_state(
        dstates, cell, False)
    out, last_t = m(xs_t, s0_t)
    loss = (out * tensor(dhs)).sum()
    if get_cell(cell).paired_state:
        loss = loss + (last_t[0] * ds_t[0]).sum() + (last_t[1] * ds_t[1]).sum()
    else:
        loss = loss + (last_t * ds_t).sum()
    loss.backward()

    assert_close(hs, out.detach().numpy(), "hs")
    ours_last = to_torch_states(lasts, cell)
    ours_ds0 = to_torch_states(g.dstates0, cell)
    if get_cell(cell).paired_state:
        for k in range(2):
            assert_close(ours_last[k], last_t[k].detach().numpy(), "last state")
            assert_close(ours_ds0[k], s0_t[k].grad.numpy(), "d initial state")
    else:
        assert_close(ours_last, last_t.detach().numpy(), "last state")
        assert_close(ours_ds0, s0_t.grad.numpy(), "d initial state")
    assert_close(g.dxs, xs_t.grad.numpy(), "dxs")
    for l, (ours, theirs) in enumerate(zip(g.dparams, torch_grads(m), strict=True)):
        if bidirectional:
            assert_params_close(ours[0], theirs[0], f"layer {l} forward")
            assert_params_close(ours[1], theirs[1], f"layer {l} backward")
        else:
            assert_params_close(ours, theirs, f"layer {l}")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_bidirectional_gradcheck(cell):
    rng = np.random.default_rng(1)
    N, T, D, H = 2, 3, 3, 2
    p_f, p_b = get_cell(cell).init(D, H, rng), get_cell(cell).init(D, H, rng)
    xs = rng.standard_normal((N, T, D))
    dhs = rng.standard_normal((N, T, 2 * H))
    *_, cache = bidirectional_forward(cell, xs, p_f, p_b)
    g = bidirectional_backward(dhs, cache)

    inputs = {"xs": xs, **{f"f_{k}": v for k, v in p_f.items()},
              **{f"b_{k}": v for k, v in p_b.items()}}

    def fn(xs, **kw):
        pf = {k[2:]: v for k, v in kw.items() if k.startswith("f_")}
        pb = {k[2:]: v for k, v in kw.items() if k.startswith("b_")}
        return (bidirectional_forward(cell, xs, pf, pb)[0],)

    numeric = numeric_grads(fn, inputs, [dhs])
    analytic = {"xs": g.dxs, **{f"f_{k}": v for k, v in g.dparams[0].items()},
                **{f"b_{k}": v for k, v in g.dparams[1].items()}}
    errors = {k: rel_error(analytic[k], numeric[k]) for k in inputs}
    assert max(errors.values()) <= SEQ_TOL, errors


@pytest.mark.parametrize("cell", ["rnn_relu", "lstm"])
def test_stacked_gradcheck(cell):
    rng = np.random.default_rng(2)
    N, T, D, H = 2, 3, 2, 3
    layers = _layers(cell, D, H, 2, False, rng)
    xs = rng.standard_normal((N, T, D))
    dhs = rng.standard_normal((N, T, H))
    _, _, cache = stacked_forward(cell, xs, layers)
    g = stacked_backward(dhs, cache)
    inputs = {"xs": xs, **{f"{l}_{k}": v for l, p in enumerate(layers) for k, v in p.items()}}

    def fn(xs, **kw):
        ps = [{k[2:]: v for k, v in kw.items() if k.startswith(f"{l}_")} for l in range(2)]
        return (stacked_forward(cell, xs, ps)[0],)

    numeric = numeric_grads(fn, inputs, [dhs])
    analytic = {"xs": g.dxs, **{f"{l}_{k}": v for l, p in enumerate(g.dparams)
                                for k, v in p.items()}}
    errors = {k: rel_error(analytic[k], numeric[k]) for k in inputs}
    assert max(errors.values()) <= SEQ_TOL, errors


def test_torch_state_layout_round_trip():
    rng = np.random.default_rng(3)
    h_n, c_n = rng.standard_normal((4, 2, 3)), rng.standard_normal((4, 2, 3))
    states = from_torch_states(h_n, 2, True, c_n)
    assert len(states) == 2 and len(states[0]) == 2
    back = to_torch_states(states, "lstm")
    np.testing.assert_array_equal(back[0], h_n)
    np.testing.assert_array_equal(back[1], c_n)
    np.testing.assert_array_equal(to_torch_states(from_torch_states(h_n, 4, False), "gru"), h_n)
    with pytest.raises(ValueError, match=r"h_n has shape \(4, 2, 3\) but num_layers=3"):
        from_torch_states(h_n, 3, False)


def test_errors():
    rng = np.random.default_rng(4)
    p = init_rnn_params(3, 2, rng)
    with pytest.raises(ValueError, match=r"cell must be one of \('rnn', .* got 'transformer'"):
        cell_forward("transformer", np.zeros((1, 2, 3)), None, p)
    # a dict where a list with one entry per layer is expected
    with pytest.raises(TypeError, match="layers_params must be a list with one dict per layer "
                                        r"\(or a pair of dicts for a bidirectional layer\), "
                                        "got a dict"):
        stacked_forward("rnn", np.zeros((1, 2, 3)), p)
    _, _, cache = stacked_forward("rnn", np.zeros((1, 2, 3)), [p])
    with pytest.raises(TypeError, match="dstates_last must be a list with one gradient of the "
                                        "last state per layer, or None, got a dict"):
        stacked_backward(np.zeros((1, 2, 2)), cache, {"h": np.zeros((1, 2))})
    with pytest.raises(TypeError, match="cache must be the StackedCache returned by "
                                        "stacked_forward, got tuple"):
        stacked_backward(np.zeros((1, 2, 2)), cache.layers[0])
    with pytest.raises(TypeError, match="states0 must be a list with one initial state"):
        stacked_forward("rnn", np.zeros((1, 2, 3)), [p], np.zeros((1, 2)))
    with pytest.raises(ValueError, match="states0 has 1 entries but layers_params has 2"):
        stacked_forward("rnn", np.zeros((1, 2, 3)), [p, init_rnn_params(2, 2, rng)], [None])
    # the second layer's W_xh must have H rows: the usual error names the shapes
    with pytest.raises(ValueError, match=r"xs has shape \(1, 2, 2\) but W_xh expects D=3"):
        stacked_forward("rnn", np.zeros((1, 2, 3)), [p, p])


def test_float32_through_a_stack():
    rng = np.random.default_rng(5)
    layers = [(init_gru_params(3, 2, rng, np.float32), init_gru_params(3, 2, rng, np.float32)),
              init_gru_params(4, 2, rng, np.float32)]
    hs, _, cache = stacked_forward("gru", rng.standard_normal((2, 4, 3)).astype(np.float32), layers)
    g = stacked_backward(np.ones_like(hs), cache)
    assert hs.dtype == g.dxs.dtype == np.float32
    assert all(v.dtype == np.float32 for v in g.dparams[1].values())
