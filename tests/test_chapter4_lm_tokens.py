"""experiments.lm, chapter 4 on real text: what tokenisations make of a text, readable
tokens, samples drawn from a model."""

import math

import numpy as np
import pytest

from course_rnn.data.text import load_corpus, split_text
from course_rnn.data.tokenize import CharTokenizer, JamoTokenizer, WordTokenizer
from course_rnn.experiments.lm import (
    entropy,
    hangul_sample_stats,
    jamo_per_syllable,
    min_freq_sweep,
    next_token_probs,
    readable_text,
    sample_text,
    temperature_softmax,
    token_labels,
    tokenisation_rows,
)
from course_rnn.models import RNNLanguageModel


@pytest.fixture(scope="module")
def texts():
    """Small slices of both corpora: (training, validation) text per language."""
    out = {}
    for lang, name in (("en", "pride_and_prejudice"), ("ko", "libreoffice_help")):
        train, valid, _ = split_text(load_corpus(name))
        out[lang] = (train[:20000], valid[:4000])
    return out


def test_jamo_per_syllable():
    assert jamo_per_syllable("가나") == 2.0  # no final consonant
    assert jamo_per_syllable("한글") == 3.0  # ㅎㅏㄴ, ㄱㅡㄹ
    assert jamo_per_syllable("한 가, abc") == pytest.approx(2.5)  # other characters ignored
    assert math.isnan(jamo_per_syllable("no Hangul"))


def test_tokenisation_rows_match_the_tokenizers(texts):
    rows = tokenisation_rows(texts, min_freqs=(1, 3))
    kinds = [(r["lang"], r["tokens"], r["min_freq"]) for r in rows]
    assert kinds == [("en", "char", None), ("en", "word", 1), ("en", "word", 3),
                     ("ko", "char", None), ("ko", "jamo", None), ("ko", "word", 1),
                     ("ko", "word", 3)]  # jamo only for the text with Hangul
    by = {(r["lang"], r["tokens"], r["min_freq"]): r for r in rows}
    for lang, (train, valid) in texts.items():
        for (tokens, m), tok in {("char", None): CharTokenizer(),
                                 ("word", 3): WordTokenizer(min_freq=3)}.items():
            tok.fit(train)
            r = by[lang, tokens, m]
            assert r["V"] == len(tok)
            assert r["unk_rate"] == pytest.approx(tok.unk_rate(valid))
            assert r["tokens_per_char"] == pytest.approx(len(tok.encode(valid)) / len(valid))
        assert by[lang, "char", None]["tokens_per_char"] == 1.0
        assert by[lang, "word", 1]["V"] > by[lang, "word", 3]["V"]
    jamo = JamoTokenizer().fit(texts["ko"][0])
    assert by["ko", "jamo", None]["V"] == len(jamo) < by["ko", "char", None]["V"]
    assert 1.5 < by["ko", "jamo", None]["tokens_per_char"] < 3.0


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("lower", [False, True])
def test_min_freq_sweep_equals_one_tokenizer_per_count(texts, lang, lower):
    train, valid = texts[lang]
    min_freqs = (1, 2, 3, 5, 8)
    V, unk = min_freq_sweep(train, valid, min_freqs, lower=lower)
    assert V.shape == unk.shape == (5,)
    for m, v, u in zip(min_freqs, V, unk, strict=True):
        tok = WordTokenizer(min_freq=m, lower=lower).fit(train)
        assert v == len(tok)
        assert u == pytest.approx(tok.unk_rate(valid), abs=1e-12)
    assert np.all(np.diff(V) <= 0) and np.all(np.diff(unk) >= 0)
    with pytest.raises(ValueError, match="min_freqs"):
        min_freq_sweep(train, valid, (0,))


def test_token_labels_and_readable_text():
    tok = JamoTokenizer().fit("한 글\n가")
    ids = tok.encode("한 글\n")
    assert token_labels(tok, ids) == ["ㅎ", "ㅏ", "ㄴ", "␣", "ㄱ", "ㅡ", "ㄹ", "↵"]
    assert readable_text(tok, ids) == "한 글\n"
    # a syllable cut in half: the jamo left over are shown as compatibility jamo
    assert readable_text(tok, ids[1:6]) == "ㅏㄴ 그"
    assert readable_text(tok, ids[2:5]) == "ㄴ ㄱ"
    chars = CharTokenizer().fit("ab c")
    assert readable_text(chars, chars.encode("c ab")) == "c ab"
    with pytest.raises(ValueError, match="1-D"):
        token_labels(tok, ids[None])


def test_sample_text_draws_with_generate_and_reports_the_entropy():
    text = "the cat sat on the mat. " * 20
    tok = CharTokenizer().fit(text)
    model = RNNLanguageModel(len(tok), 4, 8, rng=0)
    s = sample_text(model, tok, "the ", 30, np.random.default_rng(3), temperature=0.7)
    expected = model.generate(tok.encode("the "), 30, np.random.default_rng(3), temperature=0.7)
    assert s["ids"] == expected
    assert s["text"] == "the " + tok.decode(expected)
    P = next_token_probs(model, np.r_[tok.encode("the "), expected])[3:-1]  # (30, V)
    h = entropy(temperature_softmax(np.log(P), 0.7)).mean()
    assert s["entropy"] == pytest.approx(h)
    assert 0 < s["entropy"] < math.log(len(tok))
    with pytest.raises(ValueError, match="prompt"):
        sample_text(model, tok, "", 5, np.random.default_rng(0))


def test_sample_text_recomposes_a_jamo_sample():
    tok = JamoTokenizer().fit("한글 한글 한글")
    model = RNNLanguageModel(len(tok), 4, 8, rng=1)
    s = sample_text(model, tok, "한", 12, np.random.default_rng(0))
    assert s["text"] == readable_text(tok, np.r_[tok.encode("한"), s["ids"]])
    assert s["text"].startswith("한")  # the prompt's syllable is complete: nothing joins it


def test_hangul_sample_stats():
    known = "한글 문서"
    assert hangul_sample_stats("한글 ㄱ 글자 ㅏ", known) == {"syllables": 4, "novel": 1,
                                                         "stray_jamo": 2}
    assert hangul_sample_stats("abc", known) == {"syllables": 0, "novel": 0, "stray_jamo": 0}


def test_pick_model_prefers_the_cell_then_the_lowest_mean():
    from course_rnn.experiments.lm import pick_model

    rows = {"en-rnn-a": {"lang": "en", "tokens": "char", "cell": "rnn"},
            "en-rnn-b": {"lang": "en", "tokens": "char", "cell": "rnn"},
            "en-lstm": {"lang": "en", "tokens": "char", "cell": "lstm"},
            "ko-lstm": {"lang": "ko", "tokens": "jamo", "cell": "lstm"},
            "ko-gru": {"lang": "ko", "tokens": "jamo", "cell": "gru"},
            "ko-unshipped-rnn": {"lang": "ko", "tokens": "jamo", "cell": "rnn"}}
    runs = [{"row": n, "test": t} for n, ts in (("en-rnn-a", (4.0, 3.0)), ("en-rnn-b", (3.4, 3.4)),
                                                ("en-lstm", (2.0,)), ("ko-lstm", (5.0, 5.2)),
                                                ("ko-gru", (5.3,)), ("ko-unshipped-rnn", (1.0,)))
            for t in ts]
    results = {"rows": rows, "runs": runs,
               "weights": dict.fromkeys(["en-rnn-a", "en-rnn-b", "en-lstm", "ko-lstm", "ko-gru"])}
    assert pick_model(results, "en", "char") == "en-rnn-b"  # mean 3.4 < 3.5; the LSTM is no RNN
    assert pick_model(results, "en", "char", cell="lstm") == "en-lstm"
    assert pick_model(results, "ko", "jamo") == "ko-lstm"  # no shipped RNN: the best shipped
    with pytest.raises(KeyError, match="shipped"):
        pick_model(results, "ko", "char")
