"""The generated corpus of chapter 4: reproducible, structured, and its baseline."""

import hashlib

import numpy as np
import pytest

from course_rnn.data.corpus import (
    build_vocab,
    decode,
    encode,
    load_corpus,
    train_val_split,
    unigram_perplexity,
    unigram_probs,
)

# SHA-256 of load_corpus(lang) with the default arguments: a change of the grammar (and
# so of every number the chapters print) is noticed here first.
CHECKSUMS = {
    "ko": "82822e91ba185cf6d2600a90936cff39b0817ba7aef5e08caa873f1d3d4804ec",
    "en": "75c354cdfa9bad45052f0b7f0716295e75201043658d99e9b85cb6afe7cf5250",
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_default_corpus_checksum(lang):
    text = load_corpus(lang)
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == CHECKSUMS[lang]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_size_seed_and_ending(lang):
    text = load_corpus(lang, size=5000, seed=3)
    assert 4800 <= len(text) <= 5001
    assert text.endswith((".\n", "?\n", '."\n'))
    assert text == load_corpus(lang, size=5000, seed=3)
    assert text != load_corpus(lang, size=5000, seed=4)


def test_korean_particles_agree_with_the_final_consonant():
    text = load_corpus("ko", size=20_000)
    for wrong in ("사과을", "빵를", "책를", "나은 ", "동생는", "학교으로", "집로", "민수과"):
        assert wrong not in text
    for right in ("사과를", "나는 ", "동생은"):
        assert right in text


def test_english_agreement():
    text = load_corpus("en", size=20_000)
    for wrong in ("a apple", "a egg", "an book", "I eats", "They eats", "We goes", "to home"):
        assert wrong not in text
    assert "an apple" in text or "an egg" in text


def test_vocab_round_trip():
    text = load_corpus("ko", size=3000)
    char_to_id, id_to_char = build_vocab(text)
    ids = encode(text, char_to_id)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert decode(ids, id_to_char) == text
    assert id_to_char == sorted(id_to_char)
    with pytest.raises(KeyError, match="vocabulary"):
        encode("Z", char_to_id)


def test_train_val_split_is_contiguous():
    ids = np.arange(100)
    train, val = train_val_split(ids, 0.1)
    np.testing.assert_array_equal(train, np.arange(90))
    np.testing.assert_array_equal(val, np.arange(90, 100))
    with pytest.raises(ValueError):
        train_val_split(ids, 1.5)


def test_unigram_perplexity_by_hand():
    train = np.array([0, 0, 0, 1])  # counts 3, 1, 0 with V = 3
    p = unigram_probs(train, 3, alpha=1.0)
    np.testing.assert_allclose(p, [4 / 7, 2 / 7, 1 / 7])
    val = np.array([0, 1])
    expected = np.exp(-(np.log(4 / 7) + np.log(2 / 7)) / 2)
    assert unigram_perplexity(train, val, V=3) == pytest.approx(expected, rel=1e-12)
    # a uniform distribution over V symbols has perplexity V
    uniform = np.arange(5).repeat(10)
    assert unigram_perplexity(uniform, uniform, alpha=0.0) == pytest.approx(5.0)


@pytest.mark.parametrize(("lang", "low", "high"), [("ko", 40, 120), ("en", 15, 30)])
def test_baseline_of_the_default_corpus(lang, low, high):
    text = load_corpus(lang)
    char_to_id, _ = build_vocab(text)
    train, val = train_val_split(encode(text, char_to_id), 0.1)
    assert low < unigram_perplexity(train, val, V=len(char_to_id)) < high


def test_bad_arguments():
    with pytest.raises(ValueError, match="lang"):
        load_corpus("fr")
    with pytest.raises(ValueError, match="size"):
        load_corpus("en", size=10)
