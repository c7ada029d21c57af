"""torch_ref.convert: weights both ways between numpy and torch.nn, checked by outputs."""

import numpy as np
import pytest
import torch

from _helpers_cells import assert_close, tensor
from course_rnn.conv import conv1d_forward
from course_rnn.layernorm import layernorm_forward
from course_rnn.multilayer import stacked_forward
from course_rnn.torch_ref.convert import (
    cell_name,
    conv1d_params_from_torch,
    conv1d_params_to_torch,
    layernorm_params_from_torch,
    layernorm_params_to_torch,
    rnn_params_from_torch,
    rnn_params_to_torch,
)

MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
KEYS = {"rnn": {"W_xh", "W_hh", "b_h"}, "lstm": {"W_x", "W_h", "b"},
        "gru": {"W_x", "W_h", "b_x", "b_h"}}


def _module(kind, D=4, H=3, **kw):
    torch.manual_seed(0)
    return MODULES[kind](D, H, batch_first=True, **kw).double()


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)])
def test_from_torch_gives_the_same_outputs(kind, num_layers, bidirectional):
    m = _module(kind, num_layers=num_layers, bidirectional=bidirectional)
    layers = rnn_params_from_torch(m)
    assert len(layers) == num_layers
    first = layers[0][0] if bidirectional else layers[0]
    assert set(first) == KEYS[kind]
    G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    assert first[next(iter(KEYS[kind] & {"W_xh", "W_x"}))].shape == (4, G * 3)  # (D, G*H)
    xs = np.random.default_rng(0).standard_normal((2, 5, 4))
    hs, _, _ = stacked_forward(kind, xs, layers)
    assert_close(hs, m(tensor(xs))[0].detach().numpy())


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_round_trip(kind):
    """numpy -> torch -> numpy gives the same arrays; torch -> numpy -> torch the same outputs."""
    m = _module(kind, num_layers=2, bidirectional=True)
    layers = rnn_params_from_torch(m)
    other = rnn_params_to_torch(layers, _module(kind, num_layers=2, bidirectional=True))
    if kind != "gru":  # the summed bias is split as (b, 0): parameters differ, outputs do not
        assert torch.all(other.bias_hh_l1_reverse == 0)
    xs = tensor(np.random.default_rng(1).standard_normal((2, 5, 4)))
    assert_close(other(xs)[0].detach().numpy(), m(xs)[0].detach().numpy())
    again = rnn_params_from_torch(other)
    for a, b in zip(layers, again, strict=True):
        for da, db in zip(a, b, strict=True):
            for k in da:
                np.testing.assert_array_equal(da[k], db[k])


def test_copies_do_not_share_memory_and_keep_dtype():
    m = torch.nn.LSTM(3, 2, batch_first=True)  # float32
    p = rnn_params_from_torch(m)[0]
    assert all(v.dtype == np.float32 for v in p.values())
    p["W_x"][...] = 0
    assert torch.count_nonzero(m.weight_ih_l0) > 0


def test_relu_rnn_and_cells():
    assert cell_name(torch.nn.RNN(2, 3, nonlinearity="relu")) == "rnn_relu"
    assert cell_name(torch.nn.GRUCell(2, 3)) == "gru"
    cell = torch.nn.LSTMCell(2, 3)
    (p,) = rnn_params_from_torch(cell)
    assert p["W_x"].shape == (2, 12)
    with pytest.raises(TypeError, match=r"expected torch\.nn\.RNN, LSTM, GRU"):
        cell_name(torch.nn.Linear(2, 3))


def test_bias_false_modules():
    m = torch.nn.GRU(2, 3, bias=False, batch_first=True).double()
    p = rnn_params_from_torch(m)[0]
    assert not np.any(p["b_x"]) and not np.any(p["b_h"])
    rnn_params_to_torch(p, m)  # zeros are fine
    p["b_h"] = np.ones(9)
    with pytest.raises(ValueError, match="bias=False"):
        rnn_params_to_torch(p, m)


def test_to_torch_shape_errors():
    m = _module("lstm", num_layers=2)
    layers = rnn_params_from_torch(m)
    with pytest.raises(ValueError, match="params has 1 layers but the module has 2"):
        rnn_params_to_torch(layers[:1], m)
    bad = [layers[0], dict(layers[1], W_x=np.zeros((4, 12)))]
    msg = r"layer 1 weight_ih has shape \(12, 4\), expected \(12, 3\)"
    with pytest.raises(ValueError, match=msg):
        rnn_params_to_torch(bad, m)
    with pytest.raises(ValueError, match="layer 0 of params has 2 direction"):
        rnn_params_to_torch([(layers[0], layers[0]), layers[1]], m)


@pytest.mark.parametrize("bias", [True, False])
def test_conv1d(bias):
    torch.manual_seed(1)
    m = torch.nn.Conv1d(3, 5, 4, stride=2, dilation=2, bias=bias).double()
    p = conv1d_params_from_torch(m)
    assert p["W"].shape == (5, 3, 4) and p["b"].shape == (5,)
    x = np.random.default_rng(2).standard_normal((2, 3, 20))
    y, _ = conv1d_forward(x, p["W"], p["b"], stride=2, dilation=2)
    assert_close(y, m(tensor(x)).detach().numpy())
    other = conv1d_params_to_torch(p, torch.nn.Conv1d(3, 5, 4, bias=bias).double())
    assert torch.equal(other.weight, m.weight)
    with pytest.raises(ValueError, match=r"W has shape \(5, 3, 4\), expected \(5, 3, 3\)"):
        conv1d_params_to_torch(p, torch.nn.Conv1d(3, 5, 3))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv1d_refuses_padding_modes_other_than_zeros(mode):
    m = torch.nn.Conv1d(3, 5, 3, padding=1, padding_mode=mode).double()
    p = conv1d_params_from_torch(torch.nn.Conv1d(3, 5, 3, padding=1).double())
    match = rf"padding_mode='{mode}'; course_rnn.conv pads with zeros only"
    with pytest.raises(ValueError, match=match):
        conv1d_params_from_torch(m)
    with pytest.raises(ValueError, match=match):
        conv1d_params_to_torch(p, m)


def test_conv1d_refuses_groups():
    m = torch.nn.Conv1d(4, 6, 3, groups=2).double()  # weight (6, 2, 3): half the inputs each
    with pytest.raises(ValueError, match=r"groups=2; course_rnn.conv supports groups=1 only"):
        conv1d_params_from_torch(m)
    p = {"W": np.zeros((6, 2, 3)), "b": np.zeros(6)}  # the module's own shapes
    with pytest.raises(ValueError, match=r"groups=2"):
        conv1d_params_to_torch(p, m)
    assert torch.all(m.weight != 0)  # nothing was copied


def test_layernorm():
    m = torch.nn.LayerNorm(6).double()
    with torch.no_grad():
        m.weight.uniform_(0.5, 1.5)
        m.bias.uniform_(-1, 1)
    p = layernorm_params_from_torch(m)
    x = np.random.default_rng(3).standard_normal((2, 4, 6))
    y, _ = layernorm_forward(x, p["gamma"], p["beta"])
    assert_close(y, m(tensor(x)).detach().numpy())
    other = layernorm_params_to_torch(p, torch.nn.LayerNorm(6).double())
    assert torch.equal(other.bias, m.bias)
    plain = layernorm_params_from_torch(torch.nn.LayerNorm(6, elementwise_affine=False))
    np.testing.assert_array_equal(plain["gamma"], np.ones(6))
    with pytest.raises(ValueError, match=r"gamma has shape \(6,\), expected \(5,\)"):
        layernorm_params_to_torch(p, torch.nn.LayerNorm(5))
