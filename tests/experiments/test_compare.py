"""course_rnn.experiments.compare: parameter formulas and the side-by-side trainings."""

import numpy as np
import pytest
import torch

from course_rnn.data.tasks import adding_problem
from course_rnn.experiments.compare import compare_cells, count_parameters, parameter_formula
from course_rnn.gru import init_gru_params
from course_rnn.lstm import init_lstm_params
from course_rnn.rnn import init_rnn_params


@pytest.mark.parametrize("cell,module", [("rnn", torch.nn.RNN), ("lstm", torch.nn.LSTM),
                                         ("gru", torch.nn.GRU)])
def test_formula_equals_torch_count(cell, module):
    for D, H in ((1, 1), (3, 7), (10, 32)):
        assert count_parameters(module(D, H)) == parameter_formula(cell, D, H)


def test_formula_equals_course_rnn_count():
    rng = np.random.default_rng(0)
    D, H = 5, 6

    def size(p):
        return sum(v.size for v in p.values())

    assert size(init_rnn_params(D, H, rng)) == parameter_formula("rnn", D, H, biases=1)
    assert size(init_lstm_params(D, H, rng)) == parameter_formula("lstm", D, H, biases=1)
    assert size(init_gru_params(D, H, rng)) == parameter_formula("gru", D, H, biases=2)
    with pytest.raises(ValueError):
        parameter_formula("transformer", 1, 1)


def test_compare_adding_is_seeded():
    train, val = adding_problem(64, 6, rng=1), adding_problem(32, 6, rng=2)
    kw = dict(H=4, epochs=2, batch_size=16, log_every=0)
    a = compare_cells("adding", train, val, cells=("rnn", "gru"), **kw)
    b = compare_cells("adding", train, val, cells=("rnn", "gru"), **kw)
    for cell in ("rnn", "gru"):
        assert a[cell].metric == b[cell].metric and len(a[cell].metric) == 2
        assert a[cell].seconds_per_epoch > 0 and a[cell].final == a[cell].metric[-1]
    assert a["gru"].recurrent_parameters == parameter_formula("gru", 2, 4)
    assert a["gru"].parameters == parameter_formula("gru", 2, 4) + 4 + 1
    with pytest.raises(ValueError):
        compare_cells("translation", train, val)


def test_compare_char_lm():
    ids = np.random.default_rng(3).integers(0, 5, 600)
    res = compare_cells("char_lm", ids[:500], ids[500:], cells=("lstm",), V=5, D=4, H=6,
                        epochs=1, batch_size=4, time_size=8, log_every=0)
    r = res["lstm"]
    assert r.recurrent_parameters == parameter_formula("lstm", 4, 6)
    assert r.parameters == r.recurrent_parameters + 5 * 4 + 6 * 5 + 5
    assert np.isfinite(r.final) and r.seconds_per_epoch > 0


def test_compare_cells_passes_the_language_on(capsys):
    train, val = adding_problem(64, 6, rng=1), adding_problem(32, 6, rng=2)
    compare_cells("adding", train, val, cells=("rnn",), H=4, epochs=1, batch_size=16, lang="ko")
    assert capsys.readouterr().out.startswith("rnn   에폭  1: 학습 MSE ")


# --------------------------------------------------------------------------- real text
def test_equal_parameter_sizes_gives_the_studys_sizes_and_the_nearest_count():
    from course_rnn.experiments.compare import equal_parameter_sizes
    from course_rnn.experiments.language_models import parameter_count

    # English characters (V = 74), D = 64: the study's RNN 524 / LSTM 256 / GRU 298
    assert equal_parameter_sizes(74, 64, 256) == {"rnn": 524, "lstm": 256, "gru": 298}
    for V, D, H_lstm in ((74, 32, 64), (186, 32, 64), (10, 4, 7)):
        target = parameter_count("lstm", V, D, H_lstm)
        for cell, H in equal_parameter_sizes(V, D, H_lstm).items():
            gap = abs(parameter_count(cell, V, D, H) - target)
            assert gap <= abs(parameter_count(cell, V, D, H - 1) - target)
            assert gap <= abs(parameter_count(cell, V, D, H + 1) - target)


def test_compare_language_models_is_seeded_counts_and_times(capsys):
    from course_rnn.experiments.compare import compare_language_models
    from course_rnn.experiments.language_models import parameter_count

    ids = np.random.default_rng(4).integers(0, 7, 900)
    kw = dict(D=4, epochs=2, batch_size=4, time_size=8, lr=1e-2, seed=1, tokens_per_char=2.0)
    a = compare_language_models(ids[:700], ids[700:], 7, {"rnn": 6, "gru": 5}, lang="ko", **kw)
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["rnn   에폭  1", "rnn   에폭  2",
                                                  "gru   에폭  1", "gru   에폭  2"]
    assert all("검증 퍼플렉서티(글자당)" in ln for ln in lines)
    b = compare_language_models(ids[:700], ids[700:], 7, {"rnn": 6, "gru": 5}, log_every=0, **kw)
    assert capsys.readouterr().out == ""
    for cell, H in (("rnn", 6), ("gru", 5)):
        assert a[cell].metric == b[cell].metric and len(a[cell].metric) == 2
        assert a[cell].parameters == parameter_count(cell, 7, 4, H)
        assert a[cell].recurrent_parameters == parameter_formula(
            cell, 4, H, biases=2 if cell == "gru" else 1)
        assert a[cell].seconds_per_epoch > 0 and a[cell].tokens_per_second > 0
    # the perplexity is per character: exp(loss per token * tokens per character)
    from course_rnn.data.batches import truncated_bptt_batches
    from course_rnn.training import evaluate

    loss = evaluate(a["gru"].model, truncated_bptt_batches(ids[700:], 8, 8))
    assert np.isclose(a["gru"].final, np.exp(2.0 * loss), rtol=1e-5)
    with pytest.raises(ValueError, match="lang"):
        compare_language_models(ids, ids, 7, {"rnn": 3}, lang="fr")


def _study(tests: dict, curves: dict | None = None) -> dict:
    """A small stored study in the schema of ``language_models.load_results``."""
    runs = []
    for row, values in tests.items():
        for seed, v in enumerate(values):
            curve = (curves or {}).get(row, [2 * v, v])
            runs.append({"row": row, "seed": seed, "test": v, "valid": v, "params": 100,
                         "per": "char", "tokens_per_second": 1000 + seed, "curve": curve,
                         "best_epoch": int(np.argmin(curve)) + 1})
    ngrams = [{"lang": "en", "tokens": "char", "kind": "kn", "order": 5, "k": None,
               "valid": 4.0, "test": 4.1, "per": "char"},
              {"lang": "en", "tokens": "char", "kind": "add-k", "order": 3, "k": 0.1,
               "valid": 5.0, "test": 5.1, "per": "char"},
              {"lang": "en", "tokens": "word", "kind": "kn", "order": 3, "k": None,
               "valid": 1.0, "test": 1.0, "per": "word"}]
    return {"runs": runs, "ngrams": ngrams}


def test_cell_study_and_verdict():
    from course_rnn.experiments.compare import cell_study, cell_verdict, study_languages

    results = _study({"en-char-rnn": [4.0, 4.4, 4.2], "en-char-rnn-slow": [3.9, 3.9, 3.9],
                      "en-char-lstm": [3.5, 3.6, 3.7], "en-char-gru": [3.75, 3.85, 3.95]})
    study = cell_study(results, "en")
    assert list(study["rows"]) == ["rnn", "rnn-slow", "lstm", "gru"]
    assert study["ngram"]["kind"] == "kn"  # the lowest validation perplexity, not words
    assert np.isclose(study["table"]["rnn"]["sd"], 0.2)
    v = cell_verdict(study["table"])
    assert v["rnn"] == "rnn-slow"  # the better RNN row
    assert np.isclose(v["gated"]["lstm"]["gap"], 0.3) and np.isclose(
        v["gated"]["lstm"]["spread"], 0.1)
    assert v["gated"]["lstm"]["beats"] and not v["gated"]["gru"]["beats"]  # 0.05 < 0.1 + 0
    assert v["gated"]["lstm"]["every_seed"] and not v["gated"]["gru"]["every_seed"]
    assert (v["better"], v["worse"]) == ("lstm", "gru")
    assert np.isclose(v["gated_gap"], 0.25) and np.isclose(v["gated_spread"], 0.2)
    assert v["gated_separated"]
    close = dict(study["table"], gru=dict(study["table"]["gru"], mean=3.7))
    assert not cell_verdict(close)["gated_separated"]  # 0.1 apart, spread 0.2
    with pytest.raises(KeyError, match="lstm"):
        cell_verdict({"rnn": study["table"]["rnn"]})
    # one wide RNN seed: every LSTM seed is lower, but the intervals overlap
    wide = cell_verdict(cell_study(_study({"en-char-rnn": [3.4, 4.1, 3.2],
                                           "en-char-lstm": [3.19, 3.16, 3.16],
                                           "en-char-gru": [3.5, 3.6, 3.7]}), "en")["table"])
    assert wide["rnn"] == "rnn" and wide["gated"]["lstm"]["every_seed"]
    assert not wide["gated"]["lstm"]["beats"]
    assert study_languages(results) == ["en"]
    assert study_languages(_study({"en-char-rnn": [1.0], "en-char-lstm": [1.0]})) == []
    with pytest.raises(KeyError, match="ko-jamo"):
        cell_study(results, "ko")
    with pytest.raises(ValueError, match="lang"):
        cell_study(results, "fr")


def test_curve_diagnostics():
    from course_rnn.experiments.compare import curve_diagnostics

    results = _study({"en-char-rnn": [3.0, 3.0]},
                     {"en-char-rnn": [6.0, 5.0, 20.0, 4.0, 3.0]})
    d = curve_diagnostics(results, "en-char-rnn")
    assert d["seeds"] == [0, 1] and d["epochs"] == [5, 5] and d["best_epoch"] == [5, 5]
    assert np.allclose(d["last_drop"], 0.25)  # (4 - 3) / 4
    assert np.allclose(d["jump"], 4.0)  # 20 / 5
    flat = curve_diagnostics(_study({"x": [1.0]}, {"x": [3.0, 2.0, 2.0]}), "x")
    assert flat["last_drop"] == [0.0] and flat["jump"] == [1.0]
    falling = curve_diagnostics(_study({"x": [1.0]}, {"x": [3.0, 2.0, 1.5]}), "x")
    assert falling["jump"] == [1.0] and np.isclose(falling["last_drop"][0], 0.25)
    with pytest.raises(KeyError, match="no runs"):
        curve_diagnostics(results, "en-char-gru")


def test_benchmark_rows_reads_what_the_benchmark_writes(tmp_path):
    from course_rnn.experiments.compare import benchmark_rows
    from course_rnn.torch_ref.bench import HEADER, format_row

    rows = [{"threads": 1, "model": "LSTM LM", "shape": (32, 64, 80, 64, 256),
             "dtype": "float32", "ours_ms": 59.38, "torch_ms": 38.61, "ratio": 1.54,
             "gflops": 72.1, "matmul_share": 0.72, "tokens": (34500.0, 1.2e6)},
            {"threads": 2, "model": "Conv1D", "shape": (32, 64, 200, 64, 5), "dtype": "float64",
             "ours_ms": 20.04, "torch_ms": 15.92, "ratio": 1.26, "gflops": 38.4,
             "matmul_share": 0.69, "tokens": None}]
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmark\n\n- CPU: x\n\n" + HEADER + "\n"
                    + "\n".join(format_row(r) for r in rows) + "\n", encoding="utf-8")
    back = benchmark_rows(path)
    assert len(back) == 2
    assert back[0]["shape"] == (32, 64, 80, 64, 256) and back[0]["tokens"] == (34500.0, 1.2e6)
    assert back[0]["ratio"] == 1.54 and back[1]["tokens"] is None
    assert [r["model"] for r in benchmark_rows(path, "LSTM LM")] == ["LSTM LM"]
    (tmp_path / "empty.md").write_text("no table\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no benchmark table"):
        benchmark_rows(tmp_path / "empty.md")
