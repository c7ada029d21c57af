"""The language-model study of chapters 4-6 (course_rnn.experiments.language_models): the
rows compare what they claim to compare, perplexities are converted per character
correctly, a run trains and is kept, shipped weights are checked, and the stored results
hold the chapters' headline claims."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math

import numpy as np
import pytest

import course_rnn.experiments.language_models as lm
from course_rnn.experiments.language_models_report import render
from course_rnn.ngram import KneserNeyNGram

STORED = lm.RESULTS_FILE.exists()
needs_results = pytest.mark.skipif(not STORED, reason="no stored study (run make lm)")


def test_cells_compared_at_equal_parameters():
    """The RNN, LSTM and GRU rows differ by less than 1% in parameters; the Korean LSTMs
    differ only in what they read."""
    V = lm.prepare("en", "char").V
    counts = {}
    for cell in ("rnn", "lstm", "gru"):
        row = lm.ROWS[f"en-char-{cell}"]
        counts[cell] = lm.parameter_count(row.cell, V, row.D, row.H)
    assert max(counts.values()) / min(counts.values()) < 1.01, counts
    jamo, chars = lm.ROWS["ko-jamo-lstm"], lm.ROWS["ko-char-lstm"]
    assert dataclasses.replace(jamo, tokens="char", epochs=chars.epochs) == chars


@pytest.mark.parametrize("name", ["en-char-gru", "en-word-lstm2-tied", "en-char-lstm-T16"])
def test_parameter_count_is_the_models(name):
    row = lm.ROWS[name]
    model = lm.build_model(row, 50, seed=0)
    assert lm.parameter_count(row.cell, 50, row.D, row.H, row.layers, row.tie) == sum(
        v.size for v in model.params.values())


def test_rows_that_answer_one_question_differ_only_in_it():
    base = lm.ROWS["en-char-lstm-T64"]
    for T in (16, 128):
        assert dataclasses.replace(lm.ROWS[f"en-char-lstm-T{T}"], T=64) == base
    rnn, lstm = lm.ROWS["en-char-rnn"], lm.ROWS["en-char-lstm"]
    assert dataclasses.replace(rnn, cell="lstm", H=lstm.H, ship=lstm.ship) == lstm


def test_cosine_step_size():
    assert lm.cosine_lr(1.0, 0, 10) == pytest.approx(1.0)
    assert lm.cosine_lr(1.0, 5, 10) == pytest.approx(0.525)
    assert lm.cosine_lr(1.0, 10, 10) == pytest.approx(0.05)
    steps = [lm.cosine_lr(3e-3, e, 8) for e in range(9)]
    assert all(a > b for a, b in itertools.pairwise(steps))


def test_per_character_perplexity():
    """exp(mean loss per token * tokens per character) = PPL_token ** (n_w / n_c)."""
    assert lm.per_char(math.log(9.0), 0.5) == pytest.approx(3.0)
    split = lm.prepare("ko", "jamo")
    ratio = split.tokens_per_char("valid")
    assert 1.5 < ratio < 2.5  # a Hangul syllable is 2 or 3 jamo
    assert lm.prepare("ko", "char").tokens_per_char("valid") == 1.0


def test_jamo_split_reads_the_same_text_as_characters():
    chars, jamo = lm.prepare("ko", "char"), lm.prepare("ko", "jamo")
    assert chars.chars == jamo.chars
    assert jamo.tokenizer.decode(jamo.ids["valid"][:400]) == \
        chars.tokenizer.decode(chars.ids["valid"][:len(jamo.tokenizer.decode(
            jamo.ids["valid"][:400]))])
    assert jamo.V < 250 < 900 < chars.V


def test_ngram_row_picks_k_on_validation_and_matches_the_model():
    r = lm.ngram_row("en", "char", "add-k", 2)
    assert r["k"] in lm.ADD_K
    others = []
    for k in lm.ADD_K:
        data = lm.prepare("en", "char")
        from course_rnn.ngram import AddKNGram
        others.append(AddKNGram(2, k).fit(data.ids["train"], data.V).perplexity(data.ids["valid"]))
    assert r["valid"] == pytest.approx(min(others), rel=1e-4)
    kn = lm.ngram_row("en", "char", "kn", 3)
    data = lm.prepare("en", "char")
    model = KneserNeyNGram(3).fit(data.ids["train"], data.V)
    assert kn["test"] == pytest.approx(model.perplexity(data.ids["test"]), rel=1e-4)


def test_a_jamo_baseline_is_scored_per_character():
    r = lm.ngram_row("ko", "jamo", "kn", 2)
    data = lm.prepare("ko", "jamo")
    per_token = KneserNeyNGram(2).fit(data.ids["train"], data.V).perplexity(data.ids["valid"])
    assert r["valid"] == pytest.approx(per_token ** data.tokens_per_char("valid"), rel=1e-4)
    assert r["per"] == "char"


TINY = lm.Row("en", "char", "lstm", 8, D=8, T=32, B=256, epochs=2, ship=True)


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    """One tiny run (2 epochs of an LSTM with 8 units) kept in a cache folder."""
    cache = tmp_path_factory.mktemp("lm-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(lm.ROWS, "tiny", TINY)
        result = lm._job(("tiny", 0, str(cache)))
    return cache, result


@pytest.fixture
def tiny_row(monkeypatch):
    monkeypatch.setitem(lm.ROWS, "tiny", TINY)
    return "tiny"


def test_a_run_trains_keeps_its_best_epoch_and_is_kept(kept, tiny_row, tmp_path):
    cache, result = kept
    assert result["epochs"] == 2 and len(result["curve"]) == 2
    assert result["valid"] == min(result["curve"])
    assert result["best_epoch"] == int(np.argmin(result["curve"])) + 1
    assert result["curve"][-1] < 74  # better than uniform over the characters
    assert lm.collect(cache, [tiny_row], (0, 1)) == [result]
    digests = lm.ship_weights(cache, tmp_path / "weights", {tiny_row})
    data = (tmp_path / "weights" / "tiny.npz").read_bytes()
    assert digests == {"tiny": hashlib.sha256(data).hexdigest()}
    model = lm.load_model("tiny", {"weights": digests}, folder=tmp_path / "weights")
    assert not model.training
    # the loaded weights score the test text as the run did
    ids = lm.prepare("en", "char").ids["test"]
    again = math.exp(lm.score(model, ids, 32))
    assert again == pytest.approx(result["test"], rel=1e-3)


def test_loss_by_frequency_splits_the_scored_tokens(kept, tiny_row, tmp_path):
    digests = lm.ship_weights(kept[0], tmp_path / "w", {tiny_row})
    model = lm.load_model("tiny", {"weights": digests}, folder=tmp_path / "w")
    split = lm.prepare("en", "char")
    lp, _ = lm.token_log_probs(model, split.ids["test"], T=32)
    assert math.exp(-lp.mean()) == pytest.approx(kept[1]["test"], rel=1e-3)
    kn = KneserNeyNGram(3).fit(split.ids["train"], split.V)
    rows = lm.loss_by_frequency(model, kn, split, edges=(0, 1000, None))
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    counts = np.bincount(split.ids["train"], minlength=split.V)
    rare = counts[split.ids["test"]] < 1000
    assert rows[0]["share"] == pytest.approx(rare.mean())
    assert rows[0]["ngram"] == pytest.approx(-kn.token_log_probs(split.ids["test"])[rare].mean())


def test_a_changed_weight_file_is_refused(kept, tiny_row, tmp_path):
    digests = lm.ship_weights(kept[0], tmp_path / "w", {tiny_row})
    (tmp_path / "w" / "stale.npz").write_bytes(b"old")
    lm.ship_weights(kept[0], tmp_path / "w", {tiny_row})
    assert [p.name for p in (tmp_path / "w").iterdir()] == ["tiny.npz"]  # stale file gone
    path = tmp_path / "w" / "tiny.npz"
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="SHA-256"):
        lm.load_model("tiny", {"weights": digests}, folder=tmp_path / "w")
    with pytest.raises(KeyError, match="no shipped weights"):
        lm.load_model("en-char-gru", {"weights": {}}, folder=tmp_path / "w")


def test_a_changed_row_is_trained_again(kept, tiny_row, monkeypatch):
    cache = kept[0]
    assert lm.collect(cache, [tiny_row], (0,))
    monkeypatch.setitem(lm.ROWS, "tiny", dataclasses.replace(TINY, lr=1e-2))
    assert lm.collect(cache, [tiny_row], (0,)) == []
    monkeypatch.setitem(lm.ROWS, "tiny", dataclasses.replace(TINY, ship=False, group="x"))
    assert lm.collect(cache, [tiny_row], (0,))  # shipping is not training


def _fake_results():
    runs = []
    for i, name in enumerate(("en-char-rnn", "en-char-lstm")):
        for seed in range(3):
            runs.append({"row": name, "seed": seed, "test": 4.0 - i + 0.1 * seed,
                         "valid": 4.1 - i, "params": 100, "per": "char",
                         "tokens_per_second": 1000 + seed})
    ngrams = [{"lang": "en", "tokens": "char", "kind": "kn", "order": 5, "k": None, "V": 74,
               "valid": 3.5, "test": 3.4, "per": "char"},
              {"lang": "en", "tokens": "word", "kind": "kn", "order": 3, "k": None, "V": 9,
               "valid": 1.5, "test": 1.4, "per": "word"}]
    rows = {n: vars(lm.ROWS[n]) for n in ("en-char-rnn", "en-char-lstm")}
    return {"settings": {"seeds": [0, 1, 2]}, "ngrams": ngrams, "runs": runs, "rows": rows}


def test_summary_and_best_ngram():
    s = lm.summary(_fake_results())
    assert s["en-char-lstm"]["mean"] == pytest.approx(3.1)
    assert s["en-char-lstm"]["sd"] == pytest.approx(0.1)
    assert lm.best_ngram(_fake_results(), "en")["order"] == 5  # words are not compared
    assert lm.best_ngram(_fake_results(), "en", "word")["order"] == 3
    with pytest.raises(KeyError):
        lm.best_ngram(_fake_results(), "ko")


def test_the_table_has_both_languages_between_markers():
    page = render(_fake_results())
    for lang in ("en", "ko"):
        part = page.split(f"<!-- start {lang} -->")[1].split(f"<!-- end {lang} -->")[0]
        assert "3.100 ± 0.100" in part
    assert "Kneser-Ney" in page and "오만과 편견" in page


# ---------------------------------------------------------------- the stored study
@needs_results
def test_stored_study_is_complete_and_its_weights_check():
    results = lm.load_results()
    table = lm.summary(results)
    assert set(table) == set(lm.ROWS)
    assert all(s["seeds"] == 3 for s in table.values())
    for name, digest in results["weights"].items():
        data = (lm.WEIGHTS_DIR / f"{name}.npz").read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest
    assert sorted(p.stem for p in lm.WEIGHTS_DIR.glob("*.npz")) == sorted(results["weights"])
    assert json.loads(json.dumps(results)) == results


@needs_results
def test_stored_study_says_what_the_chapters_say():
    """The facts chapters 4-6 state about the stored study (their results cells assert the
    same): in English the best recurrent model beats the best n-gram, the GRU at every seed,
    and the gated cells beat the plain RNN with no overlap of the seeds' ranges; in Korean
    the one-layer LSTMs stay above the best n-gram (chapter 4 shows where they lose) and the
    two-layer GRU with dropout goes below it at every seed."""
    results = lm.load_results()
    table = lm.summary(results)
    best_en = lm.best_ngram(results, "en")["test"]
    assert min(s["mean"] for n, s in table.items() if n.startswith("en-char")) < best_en
    assert max(table["en-char-gru"]["test"]) < best_en
    rnn = min(table["en-char-rnn"]["test"])
    assert max(table["en-char-lstm"]["test"]) < rnn and max(table["en-char-gru"]["test"]) < rnn
    best_ko = lm.best_ngram(results, "ko")["test"]
    assert min(table[n]["mean"] for n in ("ko-char-lstm", "ko-jamo-lstm")) > best_ko
    assert max(table["ko-char-gru2-drop"]["test"]) < best_ko
