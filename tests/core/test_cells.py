"""course_rnn.cells: every registered cell, through the registry's common signature.

Gradient checks (float64, CS231n's thresholds), equality with the torch module where there
is one (float64, rtol 1e-6), the parameters' names, shapes and gate layout, the state
format; and a toy cell registered at run time, accepted everywhere without other edits.
"""

import dataclasses
from types import SimpleNamespace

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
from course_rnn.cells import Cell, check_param_names, get_cell, names, register, unregister
from course_rnn.multilayer import (
    bidirectional_backward,
    bidirectional_forward,
    cell_backward,
    cell_forward,
    stacked_backward,
    stacked_forward,
)
from course_rnn.torch_ref.convert import rnn_params_to_torch

CELLS = names()
TORCH_CELLS = [c for c in CELLS if get_cell(c).torch_class is not None]
STEP_CELLS = [c for c in CELLS if get_cell(c).step_forward is not None]


def _params(spec: Cell, D, H, rng):
    """The cell's own init, moved off it a little (so that no scale is exactly 1)."""
    p = spec.init(D, H, rng)
    return {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in p.items()}


def _state_names(spec: Cell, suffix: str) -> tuple:
    return ("h" + suffix, "c" + suffix) if spec.paired_state else ("h" + suffix,)


def _pack(spec: Cell, parts):
    return tuple(parts) if spec.paired_state else parts[0]


def _unpack(spec: Cell, state) -> tuple:
    return tuple(state) if spec.paired_state else (state,)


# ----------------------------------------------------------------------------- registry


def test_get_cell_names_the_unknown_and_the_registered():
    with pytest.raises(ValueError, match=r"one of \('rnn', .*'lstm'.*got 'transformer'"):
        get_cell("transformer")
    assert {"rnn", "rnn_relu", "lstm", "gru", "ln_rnn", "cho_gru"} <= set(CELLS)
    with pytest.raises(ValueError, match="already registered"):
        register(get_cell("rnn"))


def test_gate_layouts_and_torch_modules():
    assert get_cell("lstm").gates == ("i", "f", "g", "o") and get_cell("lstm").blocks == 4
    assert get_cell("gru").gates == ("r", "z", "n") and get_cell("gru").blocks == 3
    assert get_cell("rnn").gates == ("h",) and get_cell("ln_rnn").blocks == 1
    assert get_cell("rnn_relu").torch_class == "RNN"
    assert get_cell("rnn_relu").torch_kwargs == {"nonlinearity": "relu"}
    assert get_cell("ln_rnn").torch_class is None and get_cell("cho_gru").torch_class is None
    assert [c for c in CELLS if get_cell(c).paired_state] == ["lstm"]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_matches_names_shapes_and_gate_layout(cell, dtype):
    spec = get_cell(cell)
    D, H = 3, 5
    p = spec.init(D, H, np.random.default_rng(0), dtype)
    assert tuple(p) == spec.param_names
    assert {k: v.shape for k, v in p.items()} == spec.shapes(D, H)
    assert all(v.dtype == dtype for v in p.values())
    assert p[spec.name_of("input")].shape == (D, spec.blocks * H)
    assert p[spec.name_of("recurrent")].shape == (H, spec.blocks * H)
    assert spec.sizes(p) == (D, H)


@pytest.mark.parametrize("cell", CELLS)
def test_state_format(cell):
    spec = get_cell(cell)
    rng = np.random.default_rng(1)
    N, T, D, H = 2, 3, 4, 5
    p = spec.init(D, H, rng)
    xs = rng.standard_normal((N, T, D))
    hs, last, cache = spec.forward(xs, None, p)
    assert hs.shape == (N, T, H)
    parts = _unpack(spec, last)
    assert len(parts) == (2 if spec.paired_state else 1)
    assert all(isinstance(s, np.ndarray) and s.shape == (N, H) for s in parts)
    np.testing.assert_array_equal(parts[0], hs[:, -1])
    # None is the zero state
    zeros = _pack(spec, [np.zeros((N, H))] * len(parts))
    np.testing.assert_array_equal(spec.forward(xs, zeros, p)[0], hs)
    dxs, dstate0, grads = spec.backward(np.ones_like(hs), cache, None)
    assert dxs.shape == xs.shape and tuple(grads) == spec.param_names
    assert all(s.shape == (N, H) for s in _unpack(spec, dstate0))
    assert all(grads[k].shape == v.shape for k, v in p.items())


@pytest.mark.parametrize("cell", CELLS)
def test_zero_length_sequence_is_refused(cell):
    """torch raises for T = 0; so does every cell (the LSTM used to raise an IndexError)."""
    spec = get_cell(cell)
    p = spec.init(2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"xs has shape \(2, 0, 2\): T must be at least 1"):
        spec.forward(np.zeros((2, 0, 2)), None, p)


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("last_only", [False, True])
@pytest.mark.parametrize("N,T,D,H", [(1, 1, 3, 4), (2, 3, 4, 5), (3, 4, 2, 3)])
def test_sequence_gradcheck(cell, N, T, D, H, last_only):
    """``last_only``: dhs=None, only the last state feeds the loss (a classifier)."""
    spec = get_cell(cell)
    rng = np.random.default_rng(2)
    states = _state_names(spec, "0")
    inputs = {"xs": rng.standard_normal((N, T, D)),
              **{s: rng.standard_normal((N, H)) for s in states}, **_params(spec, D, H, rng)}
    dhs = None if last_only else rng.standard_normal((N, T, H))
    dlast = [rng.standard_normal((N, H)) for _ in states]

    def fn(**kw):
        state0 = _pack(spec, [kw[s] for s in states])
        hs, last, _ = spec.forward(kw["xs"], state0, {k: kw[k] for k in spec.param_names})
        return (hs, *_unpack(spec, last))

    *_, cache = spec.forward(inputs["xs"], _pack(spec, [inputs[s] for s in states]),
                             {k: inputs[k] for k in spec.param_names})
    dxs, dstate0, grads = spec.backward(dhs, cache, _pack(spec, dlast))
    analytic = SimpleNamespace(dxs=dxs, **{"d" + k: v for k, v in grads.items()},
                               **dict(zip(["d" + s for s in states], _unpack(spec, dstate0),
                                          strict=True)))
    numeric = numeric_grads(fn, inputs, [dhs, *dlast])
    assert_grads_close(analytic, inputs, numeric, SEQ_TOL)


@pytest.mark.parametrize("cell", STEP_CELLS)
@pytest.mark.parametrize("N,D,H", [(1, 3, 4), (2, 4, 4), (3, 5, 3)])
def test_step_gradcheck(cell, N, D, H):
    """H >= 3: with H = 2 a layer normalisation maps every input to +-gamma."""
    spec = get_cell(cell)
    rng = np.random.default_rng(1)
    states = _state_names(spec, "_prev")
    inputs = {"x_t": rng.standard_normal((N, D)),
              **{s: rng.standard_normal((N, H)) for s in states}, **_params(spec, D, H, rng)}
    dnext = [rng.standard_normal((N, H)) for _ in states]

    def fn(**kw):
        state = _pack(spec, [kw[s] for s in states])
        nxt, _ = spec.step_forward(kw["x_t"], state, {k: kw[k] for k in spec.param_names})
        return _unpack(spec, nxt)

    _, cache = spec.step_forward(inputs["x_t"], _pack(spec, [inputs[s] for s in states]),
                                 {k: inputs[k] for k in spec.param_names})
    dx, dprev, grads = spec.step_backward(_pack(spec, dnext), cache)
    analytic = SimpleNamespace(dx_t=dx, **{"d" + k: v for k, v in grads.items()},
                               **dict(zip(["d" + s for s in states], _unpack(spec, dprev),
                                          strict=True)))
    assert_grads_close(analytic, inputs, numeric_grads(fn, inputs, dnext), STEP_TOL)


@pytest.mark.parametrize("cell", STEP_CELLS)
def test_step_and_sequence_agree(cell):
    spec = get_cell(cell)
    rng = np.random.default_rng(8)
    p = spec.init(3, 4, rng)
    xs = rng.standard_normal((2, 3, 3))
    state0 = _pack(spec, [rng.standard_normal((2, 4)) for _ in _state_names(spec, "")])
    hs, _, _ = spec.forward(xs, state0, p)
    state = state0
    for t in range(3):
        state, _ = spec.step_forward(xs[:, t], state, p)
        np.testing.assert_allclose(hs[:, t], _unpack(spec, state)[0], rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- torch


@pytest.mark.parametrize("cell", TORCH_CELLS)
@pytest.mark.parametrize("N,T,D,H", [(1, 1, 3, 4), (4, 7, 5, 6)])
def test_sequence_equals_torch(cell, N, T, D, H):
    spec = get_cell(cell)
    rng = np.random.default_rng(5)
    p = spec.init(D, H, np.random.default_rng(6))
    k = 2 if spec.paired_state else 1
    xs, dhs = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    state0 = [rng.standard_normal((N, H)) for _ in range(k)]
    dlast = [rng.standard_normal((N, H)) for _ in range(k)]
    hs, last, cache = spec.forward(xs, _pack(spec, state0), p)
    dxs, dstate0, grads = spec.backward(dhs, cache, _pack(spec, dlast))

    m = torch_module(cell, p, D, H)
    xs_t = tensor(xs, True)
    s0_t = [tensor(s[None], True) for s in state0]
    out, last_t = m(xs_t, _pack(spec, s0_t))
    loss = (out * tensor(dhs)).sum()
    for s, d in zip(_unpack(spec, last_t), dlast, strict=True):
        loss = loss + (s[0] * tensor(d)).sum()
    loss.backward()
    assert_close(hs, out.detach().numpy(), "hs")
    for i, s in enumerate(_unpack(spec, last_t)):
        assert_close(_unpack(spec, last)[i], s[0].detach().numpy(), f"last state {i}")
        assert_close(_unpack(spec, dstate0)[i], s0_t[i].grad[0].numpy(), f"dstate0 {i}")
    assert_close(dxs, xs_t.grad.numpy(), "dxs")
    assert_params_close(grads, torch_grads(m)[0])


@pytest.mark.parametrize("cell", [c for c in TORCH_CELLS if c in STEP_CELLS])
def test_step_equals_torch_cell(cell):
    spec = get_cell(cell)
    rng = np.random.default_rng(7)
    D, H = 3, 5
    p = spec.init(D, H, rng)
    k = 2 if spec.paired_state else 1
    x = rng.standard_normal((2, D))
    state = [rng.standard_normal((2, H)) for _ in range(k)]
    dnext = [rng.standard_normal((2, H)) for _ in range(k)]
    nxt, cache = spec.step_forward(x, _pack(spec, state), p)
    dx, dprev, grads = spec.step_backward(_pack(spec, dnext), cache)

    module = getattr(torch.nn, spec.torch_class + "Cell")(D, H, **spec.torch_kwargs)
    module = rnn_params_to_torch(p, module.double())
    x_t, state_t = tensor(x, True), [tensor(s, True) for s in state]
    out = _unpack(spec, module(x_t, _pack(spec, state_t)))
    sum(((o * tensor(d)).sum() for o, d in zip(out, dnext, strict=True))).backward()
    for i in range(k):
        assert_close(_unpack(spec, nxt)[i], out[i].detach().numpy(), f"state {i}")
        assert_close(_unpack(spec, dprev)[i], state_t[i].grad.numpy(), f"dstate {i}")
    assert_close(dx, x_t.grad.numpy(), "dx_t")
    assert_params_close(grads, torch_grads(module)[0])


# ----------------------------------------------------------------------------- errors


def test_wrong_parameter_names_are_explained():
    rng = np.random.default_rng(0)
    lstm_p = get_cell("lstm").init(3, 4, rng)
    with pytest.raises(ValueError, match=r"look like the parameters of 'lstm' \(4H columns, "
                                         r"gates i, f, g, o\) where 'gru' needs 3H \(r, z, n\)"):
        cell_forward("gru", np.zeros((2, 5, 3)), None, lstm_p)
    gru_p = get_cell("gru").init(3, 4, rng)
    with pytest.raises(ValueError, match=r"look like the parameters of 'gru'.* where 'lstm' "
                                         r"needs 4H"):
        check_param_names(get_cell("lstm"), gru_p)
    with pytest.raises(TypeError, match="must be a dict"):
        cell_forward("rnn", np.zeros((2, 5, 3)), None, [lstm_p])


# ----------------------------------------------------------------------------- a new cell


@pytest.fixture
def toy_cell():
    """A copy of the tanh RNN under another name, registered only for the test."""
    toy = register(dataclasses.replace(get_cell("rnn"), name="toy_rnn"))
    yield toy
    unregister(toy.name)


def test_a_registered_cell_is_accepted_everywhere(toy_cell):
    from course_rnn.forecast.models import Recurrent, init_recurrent
    from course_rnn.torch_ref.models import make_rnn

    rng = np.random.default_rng(3)
    D, H = 3, 4
    xs = rng.standard_normal((2, 5, D))
    layers = [(toy_cell.init(D, H, rng), toy_cell.init(D, H, rng)), toy_cell.init(2 * H, H, rng)]

    hs, _, cache = cell_forward("toy_rnn", xs, None, layers[0][0])
    ref = cell_forward("rnn", xs, None, layers[0][0])
    np.testing.assert_array_equal(hs, ref[0])
    np.testing.assert_array_equal(cell_backward(hs, cache)[0], cell_backward(hs, ref[2])[0])

    hs, _, cache = bidirectional_forward("toy_rnn", xs, *layers[0])
    np.testing.assert_array_equal(hs, bidirectional_forward("rnn", xs, *layers[0])[0])
    assert bidirectional_backward(hs, cache).dxs.shape == xs.shape

    hs, _, cache = stacked_forward("toy_rnn", xs, layers)
    ref_hs, _, ref_cache = stacked_forward("rnn", xs, layers)
    np.testing.assert_array_equal(hs, ref_hs)
    g, ref_g = stacked_backward(hs, cache), stacked_backward(hs, ref_cache)
    np.testing.assert_array_equal(g.dxs, ref_g.dxs)
    assert_params_close(g.dparams[1], ref_g.dparams[1])

    layer = Recurrent("toy_rnn", D, H, np.random.default_rng(0), sequences=False)
    ref_layer = Recurrent("rnn", D, H, np.random.default_rng(0), sequences=False)
    np.testing.assert_array_equal(layer.forward(xs), ref_layer.forward(xs))
    np.testing.assert_array_equal(layer.backward(np.ones((2, H))),
                                  ref_layer.backward(np.ones((2, H))))
    assert init_recurrent("toy_rnn", D, H, rng).keys() == {"W_xh", "W_hh", "b_h"}
    assert isinstance(make_rnn("toy_rnn", D, H), torch.nn.RNN)
