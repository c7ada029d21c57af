"""course_rnn.sequence_models: gradient checks of every model of chapter 2, torch equality,
the shapes and the greedy decoding."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_rnn.data.tasks import comparison_task, frequency_task, reversal_task, sine_from_vector
from course_rnn.gradcheck import check_gradients
from course_rnn.layers import one_hot
from course_rnn.rnn import rnn_forward
from course_rnn.sequence_models import (
    IGNORE,
    EncoderDecoder,
    SequenceClassifier,
    SequenceGenerator,
    SequenceTagger,
)

TOL = 1e-6  # whole sequences, float64 (CS231n's threshold)


def rng(seed=0):
    return np.random.default_rng(seed)


def assert_gradients(model, inputs, targets):
    model.forward(inputs, targets)
    model.backward()
    errors = check_gradients(lambda: model.forward(inputs, targets), model.params, model.grads)
    assert errors.keys() == model.params.keys()
    bad = {k: v for k, v in errors.items() if not v <= TOL}
    assert not bad, f"relative errors above {TOL}: {bad}"


# ----------------------------------------------------------------------------- gradients

LAYOUTS = [(1, False), (1, True), (2, False), (2, True)]


@pytest.mark.parametrize(("num_layers", "bidirectional"), LAYOUTS)
def test_classifier_gradients(num_layers, bidirectional):
    r = rng(1)
    xs, labels = frequency_task(4, 5, r)
    model = SequenceClassifier(1, 3, 3, r, num_layers=num_layers, bidirectional=bidirectional)
    assert_gradients(model, xs, labels)


def test_one_to_one_is_the_classifier_with_one_step():
    r = rng(2)
    model = SequenceClassifier(2, 4, 3, r)
    x = r.standard_normal((5, 1, 2))  # T = 1
    labels = r.integers(0, 3, 5)
    assert_gradients(model, x, labels)
    assert np.all(model.grads["rnn1.W_hh"] == 0)  # h_0 = 0: the recurrent weight is unused
    p = model.params
    h1 = np.tanh(x[:, 0] @ p["rnn1.W_xh"] + p["rnn1.b_h"])  # a feedforward hidden layer
    assert np.allclose(model.predict(x), h1 @ p["out.W"] + p["out.b"])


@pytest.mark.parametrize("num_layers", [1, 2])
def test_generator_gradients(num_layers):
    r = rng(3)
    x, ys = sine_from_vector(4, 5, r)
    assert_gradients(SequenceGenerator(2, 3, 1, r, num_layers=num_layers), x, ys)


@pytest.mark.parametrize(("num_layers", "bidirectional"), LAYOUTS)
def test_tagger_gradients(num_layers, bidirectional):
    r = rng(4)
    xs, labels = comparison_task(4, 5, r, "next")
    model = SequenceTagger(1, 3, 2, r, num_layers=num_layers, bidirectional=bidirectional)
    assert_gradients(model, xs, labels)


def test_encoder_decoder_gradients():
    r = rng(5)
    src, tgt = reversal_task(4, 4, 3, r)
    assert_gradients(EncoderDecoder(3, 3, 4, r), src, tgt[:, :3])  # T' != T works too


# ----------------------------------------------------------------------------- torch


def _torch_rnn(p, bidirectional_p=None):
    """A float64 one-layer torch.nn.RNN holding course_rnn parameters (bias_hh = 0)."""
    D, H = p["W_xh"].shape
    m = torch.nn.RNN(D, H, batch_first=True, bidirectional=bidirectional_p is not None).double()
    with torch.no_grad():
        for suffix, q in (("", p), ("_reverse", bidirectional_p)):
            if q is None:
                continue
            getattr(m, f"weight_ih_l0{suffix}").copy_(torch.tensor(q["W_xh"].T))
            getattr(m, f"weight_hh_l0{suffix}").copy_(torch.tensor(q["W_hh"].T))
            getattr(m, f"bias_ih_l0{suffix}").copy_(torch.tensor(q["b_h"]))
            getattr(m, f"bias_hh_l0{suffix}").zero_()
    return m


def test_bidirectional_tagger_equals_torch():
    r = rng(6)
    xs, labels = comparison_task(3, 6, r, "next")
    model = SequenceTagger(1, 4, 2, r, bidirectional=True)
    loss = model.forward(xs, labels)
    model.backward()
    fwd, bwd = model.layers[0]
    rnn = _torch_rnn(fwd, bwd)
    W = torch.tensor(model.params["out.W"], requires_grad=True)
    b = torch.tensor(model.params["out.b"], requires_grad=True)
    hs, _ = rnn(torch.tensor(xs))
    scores = hs @ W + b
    ref = F.cross_entropy(scores.reshape(-1, 2), torch.tensor(labels).reshape(-1),
                          ignore_index=IGNORE)
    ref.backward()
    assert np.isclose(loss, ref.item(), rtol=1e-10)
    assert np.allclose(model.grads["out.W"], W.grad.numpy(), rtol=1e-6, atol=1e-10)
    assert np.allclose(model.grads["rnn1.bwd.W_hh"], rnn.weight_hh_l0_reverse.grad.numpy().T,
                       rtol=1e-6, atol=1e-10)


def test_encoder_decoder_equals_torch():
    r = rng(7)
    V, H = 4, 5
    src, tgt = reversal_task(3, 5, V, r)
    model = EncoderDecoder(V, V, H, r)
    loss = model.forward(src, tgt)
    model.backward()
    enc, dec = _torch_rnn(model.enc), _torch_rnn(model.dec)
    W = torch.tensor(model.params["out.W"])
    b = torch.tensor(model.params["out.b"])
    _, c = enc(torch.tensor(one_hot(src, V)))  # (1, N, H)
    dec_in = np.concatenate([np.full((3, 1), V), tgt[:, :-1]], axis=1)
    ss, _ = dec(torch.tensor(one_hot(dec_in, V + 1)), c)
    ref = F.cross_entropy((ss @ W + b).reshape(-1, V), torch.tensor(tgt).reshape(-1))
    ref.backward()
    assert np.isclose(loss, ref.item(), rtol=1e-10)
    assert np.allclose(model.grads["enc.W_hh"], enc.weight_hh_l0.grad.numpy().T,
                       rtol=1e-6, atol=1e-10)


# ----------------------------------------------------------------------------- behaviour


def test_predict_shapes():
    r = rng(8)
    assert SequenceClassifier(1, 3, 3, r, bidirectional=True).predict(
        np.zeros((2, 7, 1))).shape == (2, 3)
    assert SequenceGenerator(2, 3, 1, r).predict(np.zeros((2, 2)), 9).shape == (2, 9, 1)
    assert SequenceTagger(1, 3, 2, r, num_layers=2).predict(np.zeros((2, 7, 1))).shape == (2, 7, 2)
    model = EncoderDecoder(3, 4, 5, r)
    assert model.predict(np.zeros((2, 6), int), np.zeros((2, 3), int)).shape == (2, 3, 4)
    assert model.generate(np.zeros((2, 6), int), 3).shape == (2, 3)


def test_greedy_decoding_agrees_with_teacher_forcing_on_its_own_output():
    r = rng(9)
    model = EncoderDecoder(4, 4, 6, r)
    src, _ = reversal_task(5, 4, 4, r)
    out = model.generate(src, 4)
    # fed its own choices as the "true" previous symbols, the decoder makes the same ones
    assert np.array_equal(model.predict(src, out).argmax(axis=-1), out)


def test_bidirectional_classifier_reads_the_last_state_of_each_direction():
    r = rng(10)
    model = SequenceClassifier(1, 3, 2, r, bidirectional=True)
    xs = r.standard_normal((2, 6, 1))
    fwd, bwd = model.layers[0]
    _, h_fwd, _ = rnn_forward(xs, None, **fwd)  # after reading x_T
    _, h_bwd, _ = rnn_forward(xs[:, ::-1], None, **bwd)  # after reading x_1
    summary = np.concatenate([h_fwd, h_bwd], axis=1)  # (N, 2H)
    assert np.allclose(model.predict(xs), summary @ model.params["out.W"] + model.params["out.b"])
