"""Chapter 4's tools: the torch twin of the language model, temperature, entropy, figures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_rnn.data.batches import truncated_bptt_batches
from course_rnn.data.corpus import build_vocab, encode, load_corpus
from course_rnn.experiments.lm import entropy, next_token_probs, temperature_softmax
from course_rnn.figures.lm import draw_lm_layers, draw_offsets
from course_rnn.models import RNNLanguageModel
from course_rnn.optim import SGD
from course_rnn.torch_ref.lm import TorchRNNLM, torch_train_losses
from course_rnn.training import train


def _data(size=3000):
    text = load_corpus("en", size=size)
    char_to_id, id_to_char = build_vocab(text)
    return encode(text, char_to_id), len(id_to_char)


def test_torch_twin_has_the_same_scores_and_weights():
    ids, V = _data()
    model = RNNLanguageModel(V, 6, 10, rng=0)
    net = TorchRNNLM(model)
    xs = ids[:40].reshape(2, 20)
    model.reset_state()
    ours = model.predict(xs)
    theirs, h = net(torch.as_tensor(xs))
    np.testing.assert_allclose(theirs.detach().numpy(), ours, rtol=1e-10, atol=1e-12)
    assert h.shape == (1, 2, 10)
    for k, v in net.as_numpy().items():
        np.testing.assert_array_equal(v, model.params[k])
    assert not net.rnn.bias_hh_l0.requires_grad


def test_same_loss_curve_in_numpy_and_torch():
    ids, V = _data()
    batches = truncated_bptt_batches(ids, 4, 10)[:30]
    model = RNNLanguageModel(V, 6, 12, rng=1)
    net = TorchRNNLM(model)
    hist = train(model, batches, SGD(lr=0.5), epochs=1, max_grad_norm=1.0)
    losses = torch_train_losses(net, batches, lr=0.5, max_grad_norm=1.0)
    assert len(losses) == len(hist.losses) == 30
    assert np.max(np.abs(np.array(losses) - np.array(hist.losses))) < 1e-10
    for k, v in net.as_numpy().items():
        np.testing.assert_allclose(v, model.params[k], rtol=1e-7, atol=1e-10)
    assert losses[-1] < losses[0]


def test_temperature_softmax_and_entropy():
    s = np.array([2.0, 1.0, 0.0])
    p1 = temperature_softmax(s, 1.0)
    np.testing.assert_allclose(p1, np.exp(s) / np.exp(s).sum())
    np.testing.assert_allclose(temperature_softmax(s, 0.5), temperature_softmax(2 * s, 1.0))
    assert temperature_softmax(s, 1e-3)[0] == pytest.approx(1.0)
    np.testing.assert_allclose(temperature_softmax(s, 1e6), np.full(3, 1 / 3), atol=1e-6)
    h = [float(entropy(temperature_softmax(s, t))) for t in (0.5, 1.0, 1.5)]
    assert h[0] < h[1] < h[2] < np.log(3)
    assert entropy(np.full(4, 0.25)) == pytest.approx(np.log(4))
    assert entropy(np.array([1.0, 0.0])) == 0.0
    with pytest.raises(ValueError):
        temperature_softmax(s, 0.0)


def test_next_token_probs_rows_are_the_models_predictions():
    ids, V = _data()
    model = RNNLanguageModel(V, 6, 10, rng=2)
    P = next_token_probs(model, ids[:15])
    assert P.shape == (15, V)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    model.reset_state()
    expected = model.predict(ids[None, :5])[0, -1]
    np.testing.assert_allclose(np.log(P[4]) - np.log(P[4]).mean(), expected - expected.mean(),
                               atol=1e-10)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_figures(lang):
    ax = draw_lm_layers(lang=lang)
    assert len(ax.patches) > 10
    ax2 = draw_offsets(100, 4, 5, lang=lang)
    assert len(ax2.patches) == 4 * 5  # 4 rows, 25 steps each = 5 chunks
    plt.close("all")
    with pytest.raises(ValueError):
        draw_offsets(10, 4, 5)
    with pytest.raises(ValueError):
        draw_lm_layers(lang="fr")
