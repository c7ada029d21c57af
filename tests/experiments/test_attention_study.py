"""course_rnn.experiments.attention: the digit-copy study of chapter 10 on a tiny setting, and
the stored results it ships (shape, and the relation chapter 10 asserts)."""

import numpy as np
import pytest

from course_rnn.data.dates import END
from course_rnn.experiments import attention as study


def test_copy_data_masks_after_the_end_symbol():
    d = study.copy_data(50, 6, np.random.default_rng(0))
    for row, L in zip(d["tgt"], d["lengths"], strict=True):
        assert row[L] == END
        assert np.all(row[L + 1:] == study.IGNORE)
        assert np.all(row[:L] < 10)


def test_exact_up_to_end_ignores_what_follows():
    tgt = np.array([[1, END, study.IGNORE], [2, 3, END]])
    pred = np.array([[1, END, 7], [2, 3, 4]])
    assert study.exact_up_to_end(pred, tgt).tolist() == [True, False]


def test_train_one_tiny_runs_every_model():
    settings = {**study.SETTINGS, "max_len": 4, "n_train": 64, "n_test": 40, "E": 4, "H": 8,
                "A": 4, "epochs": 1, "batch_size": 16}
    for kind in study.MODELS:
        r = study.train_one(kind, 0, settings)
        assert r["model"] == kind and len(r["exact_by_len"]) == 4 and len(r["losses"]) == 1
        assert np.isfinite(r["losses"][0]) and r["params"] > 0
    with pytest.raises(ValueError, match="model must be one of"):
        study.build_model("lstm", 0)


def test_stored_study_says_what_chapter_10_says():
    results = study.load_results()
    assert results["settings"] == study.SETTINGS and results["long"] == study.LONG
    s = study.summary(results)
    assert set(s) == set(study.MODELS) and all(len(v["seeds"]) == 3 for v in s.values())
    for att in ("dot", "general", "additive"):
        for base in ("plain", "peeky"):
            gap = s[att]["long_mean"] - s[base]["long_mean"]
            assert gap > s[att]["long_sd"] + s[base]["long_sd"], (att, base)
            assert s[att]["long"].min() > s[base]["long"].max(), (att, base)


def test_render_lists_every_model(tmp_path):
    results = study.load_results()
    text = study.render(results)
    rows = [line for line in text.splitlines()
            if line.startswith("| ") and "parameters" not in line]
    assert len(rows) == len(study.MODELS)
    assert all(study.LABELS["en"][m] in text for m in study.MODELS)
    path = tmp_path / "r.json"
    path.write_text(__import__("json").dumps(results), encoding="utf-8")
    study.main(["--out", str(path), "--table", str(tmp_path / "t.md"), "--render"])
    assert (tmp_path / "t.md").read_text(encoding="utf-8") == text


def test_run_study_in_processes():
    settings = {**study.SETTINGS, "max_len": 3, "n_train": 32, "n_test": 20, "E": 4, "H": 6,
                "A": 3, "epochs": 1, "batch_size": 16}
    lines = []
    results = study.run_study(("plain", "dot"), (0, 1), settings, workers=2, log=lines.append)
    assert [(r["model"], r["seed"]) for r in results["runs"]] == \
        [("plain", 0), ("plain", 1), ("dot", 0), ("dot", 1)]
    assert len(lines) == 4 and lines[-1].endswith("(4/4)")
    assert study.train_one("dot", 1, settings)["exact_by_len"] == \
        results["runs"][3]["exact_by_len"]  # a worker computes what the parent would
