"""course_rnn.deep_lm: the 2-layer language model with dropout and tied weights (Deep
Learning from Scratch 2, section 6.5). Gradient checks with the dropout masks held fixed,
the tied matrix as one parameter with the summed gradient, the modes, the state carried
by every layer, sampling, and a short training. Equality with torch: tests/torch_ref/
test_deep_lm_twin.py."""

import numpy as np
import pytest

from course_rnn.data.batches import truncated_bptt_batches
from course_rnn.deep_lm import DeepLanguageModel, TiedAffine, TimeCell, init_scaled_normal_params
from course_rnn.gradcheck import check_gradients
from course_rnn.lstm import TimeLSTM
from course_rnn.optim import Adam
from course_rnn.training import evaluate, train

V, D, H = 7, 4, 4


def _data(seed=0, N=2, T=3):
    rng = np.random.default_rng(seed)
    return rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))


def _hold_masks(model, seed):
    """A loss function that draws the same dropout masks at every call: the dropout layers
    get a fresh generator of the same seed before each forward."""

    def loss(xs, ts):
        g = np.random.default_rng(seed)
        for layer in model.dropouts:
            layer.rng = g
        return model.forward(xs, ts)

    return loss


def _states(model):
    return [(layer.h, getattr(layer, "c", None)) for layer in model.recurrent]


def _set_states(model, states):
    for layer, (h, c) in zip(model.recurrent, states, strict=True):
        layer.h = h
        if c is not None:
            layer.c = c


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_gradient_check_with_dropout_masks_held_fixed(cell, tie, num_layers):
    model = DeepLanguageModel(V, D, H, rng=1, cell=cell, num_layers=num_layers, dropout=0.4,
                              tie_weights=tie, stateful=False)
    for p in model.params.values():  # the book's initialisation has zero biases: move them
        p += 0.1 * np.random.default_rng(2).standard_normal(p.shape)
    xs, ts = _data(3)
    ts[1, 0] = -100  # a padded position
    loss = _hold_masks(model, 5)
    loss(xs, ts)
    model.backward()
    dropped = [np.mean(layer.cache.mask == 0) for layer in model.dropouts]
    assert all(0 < f < 1 for f in dropped), dropped  # dropout did act, on every layer
    errors = check_gradients(lambda: loss(xs, ts), model.params, model.grads)
    assert max(errors.values()) < 1e-6, errors


def test_gradient_check_from_a_carried_state():
    """Truncated BPTT: the second chunk starts from the first chunk's states (h and c of
    both layers) and its gradient stops there."""
    model = DeepLanguageModel(V, D, H, rng=4, dropout=0.3)
    for p in model.params.values():
        p += 0.1 * np.random.default_rng(6).standard_normal(p.shape)
    (x1, t1), (x2, t2) = _data(7), _data(8)
    loss = _hold_masks(model, 9)
    loss(x1, t1)
    carried = _states(model)
    assert all(h is not None and c is not None for h, c in carried)

    def second_chunk():
        _set_states(model, carried)
        return loss(x2, t2)

    second_chunk()
    model.backward()
    errors = check_gradients(second_chunk, model.params, model.grads)
    assert max(errors.values()) < 1e-6, errors


def test_the_tied_matrix_is_one_parameter_with_the_summed_gradient():
    tied = DeepLanguageModel(V, D, H, rng=3, dropout=0.3, tie_weights=True)
    untied = DeepLanguageModel(V, D, H, rng=3, dropout=0.3, tie_weights=False)
    assert "affine.W" not in tied.params and "affine.W" in untied.params
    assert len(tied.params) == len(untied.params) - 1
    assert tied.params["embed.W"] is tied.parts["embed"].params["W"]
    assert isinstance(tied.parts["affine"], TiedAffine)
    # the untied model with W_out = E^T computes the same: its two gradients add up
    untied.load_params({k: v for k, v in tied.params.items()})
    untied.params["affine.W"][...] = tied.params["embed.W"].T
    xs, ts = _data(4)
    assert _hold_masks(tied, 1)(xs, ts) == pytest.approx(_hold_masks(untied, 1)(xs, ts),
                                                         rel=1e-12)
    tied.backward()
    untied.backward()
    g_embed, g_out = untied.grads["embed.W"], untied.grads["affine.W"]
    assert np.abs(g_out).max() > 0.1 * np.abs(g_embed).max() > 0  # both uses contribute
    np.testing.assert_allclose(tied.grads["embed.W"], g_embed + g_out.T, rtol=1e-12,
                               atol=1e-15)
    for name in tied.grads:  # every other gradient is the same
        if name != "embed.W":
            np.testing.assert_allclose(tied.grads[name], untied.grads[name], rtol=1e-12,
                                       atol=1e-15)


def test_adam_updates_the_tied_matrix_once():
    model = DeepLanguageModel(V, D, H, rng=2, dropout=0.0)
    xs, ts = _data(5)
    E0 = model.params["embed.W"].copy()
    model.forward(xs, ts)
    model.backward()
    g = model.grads["embed.W"].copy()
    Adam(lr=0.01).update(model.params, model.grads)
    expected = {"E": E0.copy()}
    Adam(lr=0.01).update(expected, {"E": g})  # one update with the summed gradient
    np.testing.assert_allclose(model.params["embed.W"], expected["E"], rtol=1e-12)
    # the output layer reads the updated matrix: the scores follow the embedding
    model.reset_state()
    scores = model.predict(xs)
    model.reset_state()
    hs = model.params["embed.W"][xs]  # (N, T, D); no dropout in evaluation
    for layer in model.recurrent:
        hs = layer.forward(hs)
    np.testing.assert_allclose(scores, hs @ model.params["embed.W"].T + model.params["affine.b"],
                               rtol=1e-12)


# ----------------------------------------------------------------------------- modes


def test_eval_mode_turns_dropout_off_and_predict_always_evaluates():
    model = DeepLanguageModel(V, D, H, rng=6, dropout=0.5, stateful=False)
    plain = DeepLanguageModel(V, D, H, rng=6, dropout=0.0, stateful=False)
    xs, ts = _data(6)
    assert model.training and all(d.training for d in model.dropouts)
    a, b = model.forward(xs, ts), model.forward(xs, ts)
    assert a != b  # new masks at every call in training mode
    assert model.eval() is model and not model.training
    assert not any(d.training for d in model.dropouts)
    assert model.forward(xs, ts) == pytest.approx(plain.forward(xs, ts), rel=1e-12)
    model.train()
    np.testing.assert_allclose(model.predict(xs), plain.predict(xs), rtol=1e-12)
    assert model.training  # predict restored the mode
    model.train(False)
    assert not model.training


def test_inverted_dropout_keeps_the_mean():
    model = DeepLanguageModel(V, D, H, rng=1, dropout=0.5)
    ids = np.zeros((200, 50), dtype=np.int64)
    drop = model.dropouts[0]
    e = model.parts["embed"].forward(ids)
    y = drop.forward(e)
    assert np.mean(drop.cache.mask == 0) == pytest.approx(0.5, abs=0.02)
    np.testing.assert_allclose(y.mean(axis=(0, 1)), e[0, 0], rtol=0.05)


# ----------------------------------------------------------------------------- state


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_every_layer_carries_its_state_and_reset_clears_it(cell):
    model = DeepLanguageModel(V, D, H, rng=7, cell=cell, dropout=0.5).eval()
    rng = np.random.default_rng(1)
    xs = rng.integers(0, V, (3, 8))
    whole = model.predict(xs)
    model.reset_state()
    first, second = model.predict(xs[:, :5]), model.predict(xs[:, 5:])
    np.testing.assert_allclose(np.concatenate([first, second], 1), whole, rtol=1e-12)
    for layer in model.recurrent:
        assert layer.h.shape == (3, H)
        if cell == "lstm":
            assert layer.c.shape == (3, H)
    # the carried states matter: a fresh start gives other scores
    model.reset_state()
    assert all(layer.h is None and getattr(layer, "c", None) is None
               for layer in model.recurrent)
    assert not np.allclose(model.predict(xs[:, 5:]), second)
    model.reset_state()
    fresh = model.predict(xs[:, 5:])
    model.stateful = False
    assert not any(layer.stateful for layer in model.recurrent)
    model.predict(xs[:, :5])
    np.testing.assert_allclose(model.predict(xs[:, 5:]), fresh, rtol=1e-12)


def test_time_cell_lstm_is_time_lstm():
    rng = np.random.default_rng(3)
    p = init_scaled_normal_params("lstm", 3, 4, rng)
    p["b"] += rng.standard_normal(p["b"].shape)
    ours = TimeCell("lstm", p, stateful=True)
    ref = TimeLSTM(**{k: v.copy() for k, v in p.items()}, stateful=True)
    for xs in (rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4, 3))):
        np.testing.assert_allclose(ours.forward(xs), ref.forward(xs), rtol=1e-13)
        np.testing.assert_allclose(ours.c, ref.c, rtol=1e-13)
        dhs = rng.standard_normal((2, xs.shape[1], 4))
        np.testing.assert_allclose(ours.backward(dhs), ref.backward(dhs), rtol=1e-12)
        for name in p:
            np.testing.assert_allclose(ours.grads[name], ref.grads[name], rtol=1e-12)
        np.testing.assert_allclose(ours.dc, ref.dc, rtol=1e-12)
    with pytest.raises(ValueError, match="needs the parameters"):
        TimeCell("gru", p)


# ----------------------------------------------------------------------------- sampling


def test_generate_is_deterministic_for_a_seed_and_ignores_dropout():
    model = DeepLanguageModel(V, D, H, rng=8, dropout=0.5)
    for p in model.params.values():
        p += 0.5 * np.random.default_rng(0).standard_normal(p.shape)
    a = model.generate([1, 2], 20, np.random.default_rng(3))
    b = model.generate([1, 2], 20, np.random.default_rng(3))
    assert a == b and len(a) == 20 and all(0 <= i < V for i in a)
    assert model.generate([1, 2], 20, np.random.default_rng(4)) != a
    assert model.training  # the mode is restored
    assert all(layer.h is None for layer in model.recurrent)  # and the state reset
    assert model.eval().generate([1, 2], 20, np.random.default_rng(3)) == a  # no dropout used
    greedy = model.generate([1, 2], 5, np.random.default_rng(0), temperature=0)
    ids = [1, 2]
    for _ in range(5):  # greedy: the argmax of the scores of the whole prefix, step by step
        model.reset_state()
        ids.append(int(np.argmax(model.predict(np.array([ids]))[0, -1])))
    assert greedy == ids[2:]


# ----------------------------------------------------------------------------- errors, dtype


def test_clear_errors():
    with pytest.raises(ValueError, match="D=4, H=5"):
        DeepLanguageModel(V, 4, 5, rng=0)
    DeepLanguageModel(V, 4, 5, rng=0, tie_weights=False)  # untied: any sizes
    with pytest.raises(ValueError, match="num_layers"):
        DeepLanguageModel(V, D, H, rng=0, num_layers=0)
    with pytest.raises(ValueError, match="dropout"):
        DeepLanguageModel(V, D, H, rng=0, dropout=1.0)
    with pytest.raises(ValueError, match="cell must be one of"):
        DeepLanguageModel(V, D, H, rng=0, cell="transformer")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keeps_dtype_and_the_books_initialisation(dtype):
    model = DeepLanguageModel(50, 32, 32, rng=0, dtype=dtype, tie_weights=False)
    assert all(p.dtype == dtype for p in model.params.values())
    p = model.params
    assert np.std(p["embed.W"]) == pytest.approx(0.01, rel=0.1)
    assert np.std(p["lstm0.W_x"]) == pytest.approx(32**-0.5, rel=0.1)
    assert np.std(p["affine.W"]) == pytest.approx(32**-0.5, rel=0.1)
    assert not p["lstm1.b"].any() and not p["affine.b"].any()
    xs, ts = _data(0)
    model.forward(np.minimum(xs, 49), ts)
    model.backward()
    assert all(g.dtype == dtype for g in model.grads.values())


# ----------------------------------------------------------------------------- training


def test_learns_a_repetitive_sequence_quickly():
    pattern = np.array([0, 1, 2, 3, 4, 2, 5, 1, 6, 3])  # period 10; some ids recur
    ids = np.tile(pattern, 60)  # 600 tokens
    batches = truncated_bptt_batches(ids, 4, 10)  # 14 chunks of (4, 10)
    model = DeepLanguageModel(V, 16, 16, rng=0, dropout=0.1)
    history = train(model, batches, Adam(0.01), epochs=15, max_grad_norm=5.0)
    assert len(history.losses) == 15 * len(batches) < 300
    assert history.losses[0] > 1.8  # log 7 = 1.95 at the start
    model.eval()
    val = evaluate(model, batches)
    assert val < 0.1, (history.epoch_losses, val)  # the sequence is deterministic
