"""The stored three-seed results of the forecasting benchmark: written by ``bench``, read back by
``report.load_results`` (chapter 11), with clear errors for a missing or partial file."""

import json

import numpy as np
import pytest

from course_rnn.forecast import bench
from course_rnn.forecast.report import (
    RESULTS_FILE,
    format_seed_table,
    load_results,
    seed_stats,
)
from course_rnn.forecast.rows import PUBLISHED, ROWS, RowResult


def _row(key, seed, mse, backend="numpy", s2s=False):
    rng = np.random.default_rng(seed)
    width = (3, 50, 10) if s2s else (3, 10)
    example = {"x": rng.standard_normal((3, 50)), "y": rng.standard_normal(width),
               "pred": rng.standard_normal(width)}
    return RowResult(key, backend, seed, mse, seconds=1.234, curve=np.linspace(0.02, mse, 20),
                     example=example, per_step=np.linspace(0.05, mse, 50) if s2s else np.zeros(0))


def _table():
    return {("linear", "numpy"): [_row("linear", s, m) for s, m in ((0, 0.004), (1, 0.005))],
            ("s2s_rnn", "numpy"): [_row("s2s_rnn", s, m, s2s=True)
                                   for s, m in ((0, 0.008), (1, 0.007))],
            ("s2s_rnn", "torch"): [_row("s2s_rnn", s, m, "torch", s2s=True)
                                   for s, m in ((0, 0.009), (1, 0.0085))]}


def test_write_then_load_keeps_every_seed_and_lists_what_is_missing(tmp_path):
    path = tmp_path / "results.json"
    bench.write_results(path, _table(), [0, 1], 20, elapsed=600.0, load=1.5,
                        rows=("linear", "s2s_rnn"), date="2026-12-07")
    table, meta = load_results(path)
    assert set(table) == {("linear", "numpy"), ("s2s_rnn", "numpy"), ("s2s_rnn", "torch")}
    assert meta["seeds"] == [0, 1] and meta["epochs"] == 20
    assert meta["run"]["date"] == "2026-12-07" and meta["run"]["minutes"] == 10.0
    assert ("linear", "torch") in meta["missing"] and ("s2s_gru", "numpy") in meta["missing"]
    r = table["s2s_rnn", "numpy"][1]
    assert (r.key, r.backend, r.seed, r.mse, r.seconds) == ("s2s_rnn", "numpy", 1, 0.007, 1.23)
    np.testing.assert_allclose(r.per_step, np.linspace(0.05, 0.007, 50), rtol=1e-5)
    np.testing.assert_allclose(r.curve, np.linspace(0.02, 0.007, 20), rtol=1e-5)
    assert r.example == {}  # examples are kept for the first seed only
    first = table["s2s_rnn", "numpy"][0].example
    assert first["y"].shape == first["pred"].shape == (3, 1, 10)  # the last step, as a time axis
    written = _table()["s2s_rnn", "numpy"][0].example
    np.testing.assert_allclose(first["y"][:, 0], written["y"][:, -1], rtol=1e-4)
    assert table["linear", "numpy"][0].example["pred"].shape == (3, 10)


def test_load_results_refuses_a_missing_or_partial_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="make forecast"):
        load_results(tmp_path / "absent.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a results file"):
        load_results(tmp_path / "bad.json")
    path = tmp_path / "results.json"
    bench.write_results(path, _table(), [0, 1], 20, 60.0, 1.0, rows=("linear", "s2s_rnn"))
    data = json.loads(path.read_text())
    data["meta"]["format"] = 99
    (tmp_path / "old.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="format 99"):
        load_results(tmp_path / "old.json")
    data = json.loads(path.read_text())
    data["records"] = [d for d in data["records"] if not (d["key"] == "linear" and d["seed"] == 1)]
    (tmp_path / "partial.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"'linear' \(numpy\) lacks seeds \[1\]"):
        load_results(tmp_path / "partial.json")
    with pytest.raises(ValueError, match=r"lacks \d+ \(row, backend\) pairs"):
        load_results(path, complete=True)


def test_seed_stats_and_the_text_table():
    s = seed_stats([_row("linear", i, m) for i, m in enumerate((0.003, 0.004, 0.005))])
    assert s["mean"] == pytest.approx(0.004) and s["sd"] == pytest.approx(0.001)
    assert s["ratio"] == pytest.approx(0.004 / PUBLISHED["linear"])
    assert (s["low"], s["high"], s["seconds"]) == (0.003, 0.005, pytest.approx(1.234))
    with pytest.raises(ValueError, match="at least one"):
        seed_stats([])
    text = format_seed_table(_table(), "en")
    lines = text.splitlines()
    assert "numpy" in lines[0] and "torch" in lines[0] and "mean ± sd" in lines[1]
    assert lines[2].startswith("linear") and "0.0045 ± 0.0007" in lines[2]
    assert lines[2].endswith("-")  # no torch result
    assert "seq2seq: SimpleRNN" in lines[3] and "0.0088 ± 0.0004" in lines[3]
    assert "선형 모델" in format_seed_table(_table(), "ko")
    with pytest.raises(ValueError, match="lang"):
        format_seed_table(_table(), "fr")


def test_the_command_writes_the_results_from_the_cache_alone(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    for seed in (0, 1):
        r = _row("linear", seed, 0.004 + seed / 1000)
        record = {"key": "linear", "backend": "numpy", "seed": seed, "mse": r.mse, "seconds": 0.5,
                  "curve": r.curve.tolist(), "per_step": [],
                  "example": {k: v.tolist() for k, v in r.example.items()}}
        (cache / f"linear-numpy-seed{seed}-epochs20.json").write_text(json.dumps([record]))
    out, results = tmp_path / "forecasting.md", tmp_path / "results.json"
    assert bench.main(["--seeds", "0", "1", "--rows", "naive", "linear", "s2s_rnn", "--cache",
                       str(cache), "--out", str(out), "--results", str(results),
                       "--cached-only"]) == 0
    table, meta = load_results(results)
    assert [r.mse for r in table["linear", "numpy"]] == [0.004, 0.005]
    assert ("s2s_rnn", "numpy") in meta["missing"] and ("linear", "torch") in meta["missing"]
    assert len(table["naive", "torch"]) == 2  # the naive rows are computed, not trained
    assert "| linear |" in out.read_text() and (tmp_path / "forecasting.ko.md").exists()


def test_the_shipped_results_cover_every_row():
    """``make forecast`` has been run to the end: every row, both backends, every seed."""
    table, meta = load_results(RESULTS_FILE, complete=True)
    assert set(meta["rows"]) == set(ROWS) and meta["seeds"] == [0, 1, 2]
    for (key, backend), results in table.items():
        assert [r.seed for r in results] == meta["seeds"], (key, backend)
        assert all(0 < r.mse < 2 * PUBLISHED[key] for r in results), (key, backend)


def test_run_rows_prints_in_the_language_it_is_given_with_the_same_numbers():
    from course_rnn.forecast.run import run_rows
    from course_rnn.forecast.train import EpochLog, epoch_line, log_epoch

    assert epoch_line("linear", "numpy", 5, 20, 0.00301, 0.0031) == \
        "linear           [numpy] epoch  5/20  train 0.0030  valid 0.0031"
    assert epoch_line("linear", "numpy", 5, 20, 0.00301, 0.0031, lang="ko") == \
        "linear           [numpy] 에폭  5/20  학습 0.0030  검증 0.0031"
    kept, printed = EpochLog(), []
    for log in (kept, printed.append):
        for epoch in (4, 5):
            log_epoch(log, "linear", "numpy", epoch, 20, 0.00301, 0.0031)
    assert kept == [("linear", "numpy", 5, 20, 0.00301, 0.0031)]  # numbers, every 5 epochs
    assert printed == [epoch_line(*kept[0])]  # English, as before
    lines = {}
    for lang in ("en", "ko"):
        lines[lang] = []
        res = run_rows(["naive", "linear"], seed=0, workers=1, epochs=5, log=lines[lang].append,
                       lang=lang)
    en, ko = lines["en"], lines["ko"]
    assert en[-2:] == ["linear           [numpy] epoch  5/5  train " + en[-2].split("train ")[1],
                       f"linear           [numpy] valid MSE {res['linear'].mse:.4f} "
                       f"(published {PUBLISHED['linear']:.4f})"]
    assert ko[0] == f"naive            [numpy] 검증 MSE {res['naive'].mse:.4f} (발표된 값 0.0202)"
    assert ko[-2] == en[-2].replace("epoch", "에폭").replace("train", "학습").replace("valid",
                                                                                    "검증")
    with pytest.raises(ValueError, match="lang"):
        run_rows(["naive"], lang="fr")
