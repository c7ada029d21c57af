"""course_rnn.figures.long_range: the sweep's two drawings."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from course_rnn.experiments.long_range import MODELS
from course_rnn.figures.long_range import plot_curves_at, plot_final_mse, plot_solved_at


def _fake():
    runs = [{"model": m, "T": T, "seed": s, "val_mse": 0.1 / T, "solved_at": None,
             "curve": [0.16, 0.1 / T]} for m in MODELS for T in (50, 100) for s in (0, 1, 2)]
    return {"settings": {"eval_every": 100}, "solved": 0.01, "runs": runs}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_plots(lang):
    _, axes = plt.subplots(1, 2)
    plot_final_mse(_fake(), ax=axes[0], lang=lang)
    assert len(axes[0].get_legend().get_texts()) == len(MODELS) + 2
    plot_final_mse(_fake(), ax=axes[0], lang=lang, models=MODELS[:3])
    assert ("길이" in axes[0].get_xlabel()) == (lang == "ko")
    plot_curves_at(_fake(), 100, ax=axes[1], lang=lang)
    assert len(axes[1].get_lines()) == 3 * len(MODELS) + 2
    with pytest.raises(ValueError):
        plot_curves_at(_fake(), 400, ax=axes[1])
    with pytest.raises(ValueError):
        plot_final_mse(_fake(), lang="fr")
    res = _fake()
    res["settings"]["updates"] = 200
    res["runs"][0]["solved_at"] = 100
    ax = plot_solved_at(res, ax=axes[1], lang=lang, models=MODELS[:2])
    assert ("단계" in ax.get_xlabel()) == (lang == "ko")
    plt.close("all")
