"""course_rnn.conventions: each convention's own step equations give the course's h (and c).

Every ``*_step`` below is written from its code base's equations (names and slicing as
there), not from course_rnn, so a wrong block order, transpose or sign of z fails.
"""

import itertools

import numpy as np
import pytest
import torch

from course_rnn.conventions import CELLS, CONVENTIONS, convert_params
from course_rnn.gradcheck import rel_error
from course_rnn.gru import gru_forward, gru_step_forward
from course_rnn.gru_variants import cho_gru_step_forward
from course_rnn.lstm import lstm_forward, lstm_step_forward

N, D, H = 3, 4, 5
TOL = 1e-12


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ----------------------------------------------------------------------------- LSTM steps


def course_lstm(x, h, c, p):
    h_next, c_next, _ = lstm_step_forward(x, h, c, p["W_x"], p["W_h"], p["b"])
    return h_next, c_next


def pytorch_lstm(x, h, c, p):
    """torch.nn.LSTM's documented equations, column vectors: i = sigma(W_ii x + b_ii + ...)."""
    gates = p["weight_ih"] @ x.T + p["bias_ih"][:, None] + p["weight_hh"] @ h.T \
        + p["bias_hh"][:, None]  # (4H, N)
    i, f, g, o = np.split(gates, 4, axis=0)
    i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
    c_next = f * c.T + i * g
    return (o * np.tanh(c_next)).T, c_next.T


def cs231n_lstm(x, prev_h, prev_c, p):
    """CS231n assignment 3, rnn_layers.lstm_step_forward: a split into ai, af, ao, ag."""
    Wx, Wh, b = p["Wx"], p["Wh"], p["b"]
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    ai, af, ao, ag = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
    i, f, o, g = sigmoid(ai), sigmoid(af), sigmoid(ao), np.tanh(ag)
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c


def dls2_lstm(x, h_prev, c_prev, p):
    """Deep Learning from Scratch 2, common/time_layers.py, LSTM.forward: slices f, g, i, o."""
    Wx, Wh, b = p["Wx"], p["Wh"], p["b"]
    H = h_prev.shape[1]
    A = np.dot(x, Wx) + np.dot(h_prev, Wh) + b
    f, g, i, o = A[:, :H], A[:, H : 2 * H], A[:, 2 * H : 3 * H], A[:, 3 * H :]
    f, g, i, o = sigmoid(f), np.tanh(g), sigmoid(i), sigmoid(o)
    c_next = f * c_prev + g * i
    h_next = o * np.tanh(c_next)
    return h_next, c_next


def keras_lstm(inputs, h_tm1, c_tm1, p):
    """keras.layers.LSTMCell.call: z0..z3 are i, f, c, o."""
    units = h_tm1.shape[1]
    z = inputs @ p["kernel"] + h_tm1 @ p["recurrent_kernel"] + p["bias"]
    z0, z1 = z[:, :units], z[:, units : 2 * units]
    z2, z3 = z[:, 2 * units : 3 * units], z[:, 3 * units :]
    i, f = sigmoid(z0), sigmoid(z1)
    c = f * c_tm1 + i * np.tanh(z2)
    o = sigmoid(z3)
    return o * np.tanh(c), c


# ----------------------------------------------------------------------------- GRU steps


def course_gru(x, h, p):
    return gru_step_forward(x, h, p["W_x"], p["W_h"], p["b_x"], p["b_h"])[0]


def course_cho_gru(x, h, p):
    return cho_gru_step_forward(x, h, p["W_x"], p["W_h"], p["b_x"], p["b_h"])[0]


def pytorch_gru(x, h, p):
    """torch.nn.GRU's documented equations: n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""
    gi = p["weight_ih"] @ x.T + p["bias_ih"][:, None]  # (3H, N)
    gh = p["weight_hh"] @ h.T + p["bias_hh"][:, None]
    i_r, i_z, i_n = np.split(gi, 3, axis=0)
    h_r, h_z, h_n = np.split(gh, 3, axis=0)
    r, z = sigmoid(i_r + h_r), sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return ((1 - z) * n + z * h.T).T


def keras_gru(inputs, h_tm1, p):
    """keras.layers.GRUCell.call with reset_after=True (bias (2, 3H)): z, r, h blocks."""
    units = h_tm1.shape[1]
    input_bias, recurrent_bias = p["bias"][0], p["bias"][1]
    matrix_x = inputs @ p["kernel"] + input_bias
    x_z, x_r, x_h = matrix_x[:, :units], matrix_x[:, units : 2 * units], matrix_x[:, 2 * units :]
    matrix_inner = h_tm1 @ p["recurrent_kernel"] + recurrent_bias
    recurrent_z, recurrent_r = matrix_inner[:, :units], matrix_inner[:, units : 2 * units]
    z = sigmoid(x_z + recurrent_z)
    r = sigmoid(x_r + recurrent_r)
    recurrent_h = r * matrix_inner[:, 2 * units :]
    hh = np.tanh(x_h + recurrent_h)
    return z * h_tm1 + (1 - z) * hh


def keras_cho_gru(inputs, h_tm1, p):
    """keras.layers.GRUCell.call with reset_after=False (bias (3H,)): reset before the product."""
    units = h_tm1.shape[1]
    matrix_x = inputs @ p["kernel"] + p["bias"]
    x_z, x_r, x_h = matrix_x[:, :units], matrix_x[:, units : 2 * units], matrix_x[:, 2 * units :]
    matrix_inner = h_tm1 @ p["recurrent_kernel"][:, : 2 * units]
    z = sigmoid(x_z + matrix_inner[:, :units])
    r = sigmoid(x_r + matrix_inner[:, units : 2 * units])
    recurrent_h = (r * h_tm1) @ p["recurrent_kernel"][:, 2 * units :]
    hh = np.tanh(x_h + recurrent_h)
    return z * h_tm1 + (1 - z) * hh


def dls2_gru(x, h_prev, p):
    """Deep Learning from Scratch 2, common/time_layers.py, GRU.forward: z, r, h; z updates."""
    Wx, Wh, b = p["Wx"], p["Wh"], p["b"]
    H = Wh.shape[0]
    Wxz, Wxr, Wxh = Wx[:, :H], Wx[:, H : 2 * H], Wx[:, 2 * H :]
    Whz, Whr, Whh = Wh[:, :H], Wh[:, H : 2 * H], Wh[:, 2 * H :]
    bz, br, bh = b[:H], b[H : 2 * H], b[2 * H :]
    z = sigmoid(np.dot(x, Wxz) + np.dot(h_prev, Whz) + bz)
    r = sigmoid(np.dot(x, Wxr) + np.dot(h_prev, Whr) + br)
    h_hat = np.tanh(np.dot(x, Wxh) + np.dot(r * h_prev, Whh) + bh)
    return (1 - z) * h_prev + z * h_hat


STEPS = {
    "lstm": {"course": course_lstm, "pytorch": pytorch_lstm, "cs231n": cs231n_lstm,
             "dls2": dls2_lstm, "keras": keras_lstm},
    "gru": {"course": course_gru, "pytorch": pytorch_gru, "keras": keras_gru},
    "cho_gru": {"course": course_cho_gru, "dls2": dls2_gru, "keras": keras_cho_gru},
}
SHAPES = {  # each convention's own keys and shapes, G = gates
    "course": lambda cell, G: ({"W_x": (D, G * H), "W_h": (H, G * H), "b": (G * H,)}
                               if cell == "lstm" else
                               {"W_x": (D, G * H), "W_h": (H, G * H), "b_x": (G * H,),
                                "b_h": (G * H,)}),
    "pytorch": lambda cell, G: {"weight_ih": (G * H, D), "weight_hh": (G * H, H),
                                "bias_ih": (G * H,), "bias_hh": (G * H,)},
    "cs231n": lambda cell, G: {"Wx": (D, G * H), "Wh": (H, G * H), "b": (G * H,)},
    "dls2": lambda cell, G: {"Wx": (D, G * H), "Wh": (H, G * H), "b": (G * H,)},
    "keras": lambda cell, G: {"kernel": (D, G * H), "recurrent_kernel": (H, G * H),
                              "bias": (2, G * H) if cell == "gru" else (G * H,)},
}
PAIRS = [(cell, conv) for cell in CELLS for conv in STEPS[cell]]


def random_params(cell, convention, seed=0, dtype=np.float64):
    G = 4 if cell == "lstm" else 3
    rng = np.random.default_rng(seed)
    return {k: (0.7 * rng.standard_normal(s)).astype(dtype)
            for k, s in SHAPES[convention](cell, G).items()}


def run_step(cell, convention, params, seed=1):
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    if cell == "lstm":
        return STEPS[cell][convention](x, h, rng.standard_normal((N, H)), params)
    return (STEPS[cell][convention](x, h, params),)


def assert_same_step(cell, conv_a, params_a, conv_b, params_b):
    for out_a, out_b in zip(run_step(cell, conv_a, params_a), run_step(cell, conv_b, params_b),
                            strict=True):
        assert out_a.shape == (N, H)
        assert rel_error(out_a, out_b) < TOL, (cell, conv_a, conv_b, rel_error(out_a, out_b))


def test_the_step_functions_tell_the_conventions_apart():
    """Guard for the tests below: the same arrays read in two conventions give other h."""
    p = random_params("lstm", "cs231n")
    assert rel_error(run_step("lstm", "cs231n", p)[0], run_step("lstm", "dls2", p)[0]) > 1e-3
    p = random_params("cho_gru", "dls2")
    same_arrays = {"kernel": p["Wx"], "recurrent_kernel": p["Wh"], "bias": p["b"]}
    assert rel_error(run_step("cho_gru", "dls2", p)[0],
                     run_step("cho_gru", "keras", same_arrays)[0]) > 1e-3


@pytest.mark.parametrize(("cell", "convention"), PAIRS)
def test_course_weights_converted_give_the_course_step(cell, convention):
    course = random_params(cell, "course")
    other = convert_params(cell, course, "course", convention)
    assert {k: v.shape for k, v in other.items()} == \
        SHAPES[convention](cell, 4 if cell == "lstm" else 3)
    assert_same_step(cell, "course", course, convention, other)


@pytest.mark.parametrize(("cell", "convention"), PAIRS)
def test_foreign_weights_converted_give_their_own_step(cell, convention):
    foreign = random_params(cell, convention, seed=2)
    course = convert_params(cell, foreign, convention, "course")
    assert_same_step(cell, convention, foreign, "course", course)


@pytest.mark.parametrize(
    ("cell", "source", "target"),
    [(cell, a, b) for cell in CELLS for a, b in itertools.permutations(STEPS[cell], 2)],
)
def test_every_pair_of_conventions(cell, source, target):
    p = random_params(cell, source, seed=3)
    assert_same_step(cell, source, p, target, convert_params(cell, p, source, target))


@pytest.mark.parametrize(("cell", "convention"), PAIRS)
def test_round_trip_through_another_convention_is_exact(cell, convention):
    course = random_params(cell, "course", seed=4)
    back = convert_params(cell, convert_params(cell, course, "course", convention),
                          convention, "course")
    assert set(back) == set(course)
    one_bias = cell == "cho_gru" and convention != "course"
    for k in course:
        if one_bias and k.startswith("b_"):
            continue
        np.testing.assert_array_equal(back[k], course[k])
    if one_bias:  # the cell uses b_x + b_h only: it comes back whole in b_x
        np.testing.assert_array_equal(back["b_x"], course["b_x"] + course["b_h"])
        np.testing.assert_array_equal(back["b_h"], np.zeros(3 * H))
        course["b_h"] = np.zeros(3 * H)  # with b_h = 0 the round trip gives the same arrays
        again = convert_params(cell, convert_params(cell, course, "course", convention),
                               convention, "course")
        for k in course:
            np.testing.assert_array_equal(again[k], course[k])


def test_pytorch_lstm_bias_goes_to_bias_ih_and_sums_back():
    course = random_params("lstm", "course")
    torch_p = convert_params("lstm", course, "course", "pytorch")
    np.testing.assert_array_equal(torch_p["bias_ih"], course["b"])
    np.testing.assert_array_equal(torch_p["bias_hh"], np.zeros(4 * H))
    foreign = random_params("lstm", "pytorch")
    back = convert_params("lstm", foreign, "pytorch", "course")
    np.testing.assert_array_equal(back["b"], foreign["bias_ih"] + foreign["bias_hh"])


def test_dls2_gru_z_is_negated():
    """DLS2's z is one minus the course's: 1 - sigma(a) = sigma(-a) flips the z block."""
    dls2 = random_params("cho_gru", "dls2")
    course = convert_params("cho_gru", dls2, "dls2", "course")
    z, r = slice(0, H), slice(H, 2 * H)  # DLS2's blocks z, r, h
    np.testing.assert_array_equal(course["W_x"][:, H : 2 * H], -dls2["Wx"][:, z])
    np.testing.assert_array_equal(course["b_x"][H : 2 * H], -dls2["b"][z])
    np.testing.assert_array_equal(course["W_h"][:, :H], dls2["Wh"][:, r])  # r keeps its sign


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_new_arrays_of_the_same_dtype(dtype):
    p = random_params("gru", "pytorch", dtype=dtype)
    out = convert_params("gru", p, "pytorch", "keras")
    for v in out.values():
        assert v.dtype == dtype
        assert v.flags.c_contiguous
        assert not any(np.shares_memory(v, w) for w in p.values())
    same = convert_params("gru", p, "pytorch", "pytorch")  # identity still copies
    assert not any(np.shares_memory(same[k], p[k]) for k in p)


# ----------------------------------------------------------------------------- torch


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_pytorch_output_loads_into_torch_modules(cell):
    course = random_params(cell, "course", seed=5)
    torch_p = convert_params(cell, course, "course", "pytorch")
    module = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(D, H, batch_first=True)
    module = module.double()
    module.load_state_dict({f"{k}_l0": torch.from_numpy(v) for k, v in torch_p.items()})
    rng = np.random.default_rng(6)
    xs, h0 = rng.standard_normal((N, 6, D)), rng.standard_normal((N, H))
    with torch.no_grad():
        if cell == "lstm":
            c0 = rng.standard_normal((N, H))
            hs_t, _ = module(torch.from_numpy(xs), (torch.from_numpy(h0)[None],
                                                     torch.from_numpy(c0)[None]))
            hs = lstm_forward(xs, h0, c0, course["W_x"], course["W_h"], course["b"])[0]
        else:
            hs_t, _ = module(torch.from_numpy(xs), torch.from_numpy(h0)[None])
            hs = gru_forward(xs, h0, *(course[k] for k in ("W_x", "W_h", "b_x", "b_h")))[0]
    np.testing.assert_allclose(hs, hs_t.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_torch_state_dict_converts_to_course_and_keras(cell):
    torch.manual_seed(0)
    module = (torch.nn.LSTMCell if cell == "lstm" else torch.nn.GRUCell)(D, H).double()
    torch_p = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    rng = np.random.default_rng(7)
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    keras = convert_params(cell, torch_p, "pytorch", "keras")
    with torch.no_grad():
        if cell == "lstm":
            c = rng.standard_normal((N, H))
            h_t, c_t = module(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
            h_k, c_k = keras_lstm(x, h, c, keras)
            assert rel_error(c_k, c_t.numpy()) < TOL
        else:
            h_t = module(torch.from_numpy(x), torch.from_numpy(h))
            h_k = keras_gru(x, h, keras)
    assert rel_error(h_k, h_t.numpy()) < TOL


# ----------------------------------------------------------------------------- errors


def _course(cell="lstm"):
    return random_params(cell, "course")


@pytest.mark.parametrize(
    ("cell", "source", "target", "match"),
    [
        ("lstm", "torch", "course", r"source must be one of .*'pytorch'.* got 'torch'"),
        ("lstm", "course", "tensorflow", r"target must be one of .* got 'tensorflow'"),
        ("rnn", "course", "pytorch", r"cell must be one of \('lstm', 'gru', 'cho_gru'\)"),
        ("gru", "course", "cs231n", r"CS231n.*has no GRU"),
        ("cho_gru", "course", "cs231n", r"CS231n.*has no GRU"),
        ("gru", "course", "dls2", r"DLS2's GRU.*reset gate before.*cell='cho_gru'"),
        ("cho_gru", "course", "pytorch", r"torch has no GRU with the reset gate before"),
    ],
)
def test_unknown_or_impossible_conversions(cell, source, target, match):
    params = _course("gru" if cell == "cho_gru" else "lstm")
    with pytest.raises(ValueError, match=match):
        convert_params(cell, params, source, target)


def test_missing_and_unexpected_keys():
    p = _course("lstm")
    with pytest.raises(ValueError, match=r"exactly the keys \['Wx', 'Wh', 'b'\].*missing "
                                         r"\['Wx', 'Wh'\], unexpected \['W_h', 'W_x'\]"):
        convert_params("lstm", p, "cs231n", "course")
    with pytest.raises(ValueError, match=r"missing \['b_h'\]"):
        convert_params("gru", {k: v for k, v in _course("gru").items() if k != "b_h"},
                       "course", "keras")
    with pytest.raises(ValueError, match=r"unexpected \['extra'\]"):
        convert_params("lstm", {**p, "extra": p["b"]}, "course", "keras")
    with pytest.raises(TypeError, match="must be a dict"):
        convert_params("lstm", list(p.values()), "course", "keras")


def test_wrong_shapes_name_the_array_and_the_expected_shape():
    p = _course("lstm")
    with pytest.raises(ValueError, match=r"W_x has shape \(4, 18\): its axis 1 must be 4H"):
        convert_params("lstm", {**p, "W_x": np.zeros((D, 18))}, "course", "dls2")
    with pytest.raises(ValueError, match=r"W_h has shape \(4, 20\), expected \(5, 20\)"):
        convert_params("lstm", {**p, "W_h": np.zeros((4, 20))}, "course", "dls2")
    with pytest.raises(ValueError, match=r"b has shape \(19,\), expected \(20,\)"):
        convert_params("lstm", {**p, "b": np.zeros(19)}, "course", "dls2")
    torch_p = convert_params("lstm", p, "course", "pytorch")
    with pytest.raises(ValueError, match=r"weight_hh has shape \(5, 20\), expected \(20, 5\)"):
        convert_params("lstm", {**torch_p, "weight_hh": torch_p["weight_hh"].T}, "pytorch",
                       "course")
    with pytest.raises(ValueError, match=r"W_x must have 2 dimensions"):
        convert_params("lstm", {**p, "W_x": np.zeros(20)}, "course", "dls2")


def test_keras_gru_bias_shape_tells_which_reset_placement():
    keras_after = random_params("gru", "keras")
    keras_before = random_params("cho_gru", "keras")
    with pytest.raises(ValueError, match=r"bias has shape \(15,\), expected \(2, 15\).*"
                                         r"reset_after=False.*cell='cho_gru'"):
        convert_params("gru", keras_before, "keras", "course")
    with pytest.raises(ValueError, match=r"bias has shape \(2, 15\), expected \(15,\).*"
                                         r"reset_after=True.*cell='gru'"):
        convert_params("cho_gru", keras_after, "keras", "course")


def test_conventions_constant_lists_every_convention_tested():
    assert set(CONVENTIONS) == {conv for steps in STEPS.values() for conv in steps}
