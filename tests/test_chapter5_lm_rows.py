"""Chapter 5 reads rows of the language-model study (course_rnn.experiments.language_models)
and its prose states how they differ. These tests hold the study to what the chapter says,
so that a change of ROWS that would make the text wrong fails here, before the chapter runs."""

from dataclasses import asdict

import pytest

from course_rnn.experiments.language_models import ROWS, parameter_count, prepare

CELLS = ("en-char-rnn", "en-char-lstm")
WINDOW = ("en-char-lstm-T16", "en-char-lstm-T64", "en-char-lstm-T128")
DEEP = (("en-char-lstm", "en-char-lstm2-drop"), ("en-word-lstm", "en-word-lstm2-tied"))


def _differ(a: str, b: str) -> set:
    ra, rb = asdict(ROWS[a]), asdict(ROWS[b])
    return {k for k in ra if k not in ("ship", "group") and ra[k] != rb[k]}


def test_every_row_the_chapter_reads_is_in_the_study():
    needed = {*CELLS, *WINDOW, *(n for pair in DEEP for n in pair), "ko-jamo-lstm"}
    missing = needed - set(ROWS)
    assert not missing, f"chapter 5 reads rows that the study no longer has: {sorted(missing)}"


def test_rnn_and_lstm_differ_only_in_the_cell_at_about_equal_parameters():
    """5.7: "about the same number of parameters and the same training"."""
    assert _differ(*CELLS) == {"cell", "H"}
    V = prepare("en", "char").V
    counts = [parameter_count(ROWS[n].cell, V, ROWS[n].D, ROWS[n].H) for n in CELLS]
    assert abs(counts[0] - counts[1]) / counts[1] < 0.01, counts
    assert ROWS["ko-jamo-lstm"].cell == "lstm" and ROWS["ko-jamo-lstm"].tokens == "jamo"


def test_the_window_rows_differ_only_in_T():
    """5.7: the same LSTM trained for the same epochs (equal tokens read) with T = 16, 64, 128."""
    assert [ROWS[n].T for n in WINDOW] == [16, 64, 128]
    for n in WINDOW[1:]:
        assert _differ(WINDOW[0], n) == {"T"}


@pytest.mark.parametrize("one, better", DEEP)
def test_the_better_model_adds_layers_and_dropout_with_the_same_training(one, better):
    """5.8: one layer without dropout against two layers with dropout, trained alike; words
    tie the output to the embedding (D = H), characters do not (D < H)."""
    r1, r2 = ROWS[one], ROWS[better]
    assert (r1.layers, r1.dropout, r1.tie) == (1, 0.0, False)
    assert r2.layers == 2 and r2.dropout > 0
    assert _differ(one, better) <= {"layers", "dropout", "tie"}
    if r2.tokens == "word":
        assert r2.tie and r2.D == r2.H
    else:
        assert not r2.tie and r2.D < r2.H
