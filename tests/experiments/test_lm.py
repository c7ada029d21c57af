"""experiments.lm: chapter 4's temperature, entropy and next-token probabilities."""

import numpy as np
import pytest

from course_rnn.data.corpus import build_vocab, encode, load_corpus
from course_rnn.experiments.lm import entropy, next_token_probs, temperature_softmax
from course_rnn.models import RNNLanguageModel


def _data(size=3000):
    text = load_corpus("en", size=size)
    char_to_id, id_to_char = build_vocab(text)
    return encode(text, char_to_id), len(id_to_char)


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
