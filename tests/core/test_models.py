"""course_rnn.models: the model protocol (flat params, load_params, state), the Sequential
container and its models: the language model, the regressor of chapter 7."""

import numpy as np
import pytest
import torch

from course_rnn.data.batches import truncated_bptt_batches
from course_rnn.forecast.models import init_recurrent
from course_rnn.gradcheck import check_gradients, numerical_gradient, rel_error
from course_rnn.layers import MSELoss, TimeAffine
from course_rnn.models import LastStep, Model, RNNLanguageModel, RNNRegressor, Sequential, Weights
from course_rnn.optim import Adam
from course_rnn.rnn import TimeRNN, init_rnn_params
from course_rnn.torch_ref.convert import rnn_params_to_torch
from course_rnn.torch_ref.models import TorchSequenceRegressor
from course_rnn.training import train

V, D, H = 7, 4, 5


def _corpus(n=200, seed=0):
    return np.random.default_rng(seed).integers(0, V, n)


# ----------------------------------------------------------------------------- the protocol


def test_params_are_the_parts_own_arrays_and_load_params_copies_in():
    model = Model()
    w = model.add("w", Weights({"a": np.zeros(3), "b": np.ones((2, 2))}))
    assert list(model.params) == ["w.a", "w.b"] and model.params["w.a"] is w.params["a"]
    model.params["w.a"][...] = 2.0  # an optimiser updates in place
    assert np.all(w.params["a"] == 2.0)
    w.store({"b": np.full((2, 2), 5.0)})
    assert np.all(model.grads["w.b"] == 5.0) and model.grads["w.b"] is w.grads["b"]
    saved = {k: v.copy() for k, v in model.params.items()}
    model.params["w.a"][...] = 0.0
    model.load_params(saved)
    assert np.all(model.params["w.a"] == 2.0) and model.params["w.a"] is w.params["a"]
    with pytest.raises(KeyError, match="no parameter"):
        model.load_params({"w.c": np.zeros(1)})
    with pytest.raises(ValueError, match="shape"):
        model.load_params({"w.a": np.zeros(4)})
    with pytest.raises(ValueError, match="already has a part"):
        model.add("w", Weights({}))
    assert not model.stateful
    model.reset_state()  # nothing to reset: a no-op
    for method in (model.backward, lambda: model.predict(0), lambda: model.forward(0, 0)):
        with pytest.raises(NotImplementedError):
            method()


def test_stateful_reaches_the_recurrent_part():
    model = RNNLanguageModel(V, D, H, rng=0)
    assert model.stateful and model.parts["rnn"].stateful
    model.stateful = False
    assert not model.parts["rnn"].stateful
    model.stateful = True
    model.predict(np.zeros((2, 3), int))
    assert model.parts["rnn"].h is not None
    model.reset_state()
    assert model.parts["rnn"].h is None


def test_sequential_names_a_list_and_predicts_in_chunks():
    rng = np.random.default_rng(1)
    layers = [TimeRNN(**init_rnn_params(2, 3, rng)), LastStep(),
              TimeAffine(rng.standard_normal((3, 1)), np.zeros(1))]
    model = Sequential(layers, MSELoss())
    assert list(model.params) == ["0.W_xh", "0.W_hh", "0.b_h", "2.W", "2.b"]
    assert model.layers == layers and model.trainable() == [layers[0], layers[2]]
    xs = rng.standard_normal((7, 4, 2))
    whole = model.predict(xs)
    np.testing.assert_allclose(model.predict(xs, batch=3), whole, rtol=1e-12)
    assert Sequential(layers, MSELoss(), predict_batch=2).predict(xs).shape == (7, 1)
    ys = rng.standard_normal((7, 1))
    assert model.forward(xs, ys) == pytest.approx(np.mean((whole - ys) ** 2))


def test_last_step_backward_puts_the_gradient_at_the_last_step():
    step = LastStep()
    hs = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(step.forward(hs), hs[:, -1])
    dhs = step.backward(np.ones((2, 4)))
    assert dhs.shape == hs.shape and dhs[:, -1].sum() == 8 and dhs[:, :-1].sum() == 0


# ----------------------------------------------------------------------------- language model


def test_language_model_gradient_check():
    model = RNNLanguageModel(5, 3, 4, rng=4, stateful=False)
    rng = np.random.default_rng(4)
    xs, ts = rng.integers(0, 5, (2, 3)), rng.integers(0, 5, (2, 3))
    ts[0, 1] = -100  # a padded position
    model.forward(xs, ts)
    model.backward()
    errors = check_gradients(lambda: model.forward(xs, ts), model.params, model.grads)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_language_model_keeps_dtype(dtype):
    model = RNNLanguageModel(V, D, H, rng=8, dtype=dtype)
    batches = truncated_bptt_batches(_corpus(), 2, 5)[:2]
    train(model, batches, Adam(0.01), max_grad_norm=1.0)
    assert all(p.dtype == dtype for p in model.params.values())
    assert all(g.dtype == dtype for g in model.grads.values())


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_language_model_with_an_lstm_or_gru_layer(name):
    from course_rnn.gru import TimeGRU
    from course_rnn.layers import Embedding, TimeAffine
    from course_rnn.lstm import TimeLSTM
    from course_rnn.models import LanguageModel

    rng = np.random.default_rng(9)
    Hs = 3
    if name == "lstm":  # W_x (D, 4H), W_h (H, 4H), b (4H,)
        shapes, cls = [(D, 4 * Hs), (Hs, 4 * Hs), (4 * Hs,)], TimeLSTM
    else:  # W_x (D, 3H), W_h (H, 3H), b_x, b_h (3H,)
        shapes, cls = [(D, 3 * Hs), (Hs, 3 * Hs), (3 * Hs,), (3 * Hs,)], TimeGRU
    rec = cls(*(0.3 * rng.standard_normal(s) for s in shapes))
    model = LanguageModel(Embedding(rng.standard_normal((V, D))), rec,
                          TimeAffine(rng.standard_normal((Hs, V)), np.zeros(V)),
                          recurrent_name=name)
    xs, ts = rng.integers(0, V, (2, 3)), rng.integers(0, V, (2, 3))
    model.forward(xs, ts)
    model.backward()
    assert f"{name}.W_x" in model.params
    errors = check_gradients(lambda: model.forward(xs, ts), model.params, model.grads)
    assert max(errors.values()) < 1e-6, errors


# ----------------------------------------------------------------------------- regressor


def _regressor(rng, activation="tanh", D=2, H=4, k=3):
    p = init_recurrent("rnn", D, H, rng, dtype=np.float64)
    p["b_h"] = 0.1 * rng.standard_normal(H)
    return RNNRegressor(p, rng.standard_normal((H, k)), rng.standard_normal(k), activation)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_regressor_gradient_check(activation):
    rng = np.random.default_rng(8)
    model = _regressor(rng, activation)
    xs, ys = rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 3))
    model.forward(xs, ys)
    model.backward()
    for name, value in model.params.items():
        def f(z, name=name, value=value):
            old = value.copy()
            value[...] = z
            loss = model.forward(xs, ys)
            value[...] = old
            return loss
        num = numerical_gradient(f, value.copy())
        assert rel_error(model.grads[name], num) < 1e-7, name


def test_regressor_equals_torch_and_trains():
    rng = np.random.default_rng(9)
    model = _regressor(rng, k=1)
    xs, ys = rng.standard_normal((5, 6, 2)), rng.standard_normal((5, 1))
    tm = TorchSequenceRegressor(D=2, H=4, out=1, cell="rnn").double()
    p = model.params
    rnn_params_to_torch([{k: p["rnn." + k] for k in ("W_xh", "W_hh", "b_h")}], tm.rnn)
    with torch.no_grad():
        tm.head.weight.copy_(torch.tensor(p["head.W"].T))
        tm.head.bias.copy_(torch.tensor(p["head.b"]))
    loss_t = torch.mean((tm(torch.tensor(xs)) - torch.tensor(ys)) ** 2)
    loss_t.backward()
    assert model.forward(xs, ys) == pytest.approx(loss_t.item(), rel=1e-12)
    model.backward()
    np.testing.assert_allclose(model.grads["head.W"], tm.head.weight.grad.numpy().T, rtol=1e-8)
    np.testing.assert_allclose(model.grads["rnn.W_hh"], tm.rnn.weight_hh_l0.grad.numpy().T,
                               rtol=1e-8)
    np.testing.assert_allclose(model.predict(xs), tm(torch.tensor(xs)).detach().numpy(),
                               rtol=1e-10)
    batches = [(xs, ys)]
    h = train(model, batches, Adam(0.05), epochs=30, bptt="full")
    assert h.epoch_losses[-1] < 0.2 * h.epoch_losses[0]
