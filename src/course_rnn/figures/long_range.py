r"""Drawings of the long-sequence sweep of chapter 8 (``course_rnn.experiments.long_range``):
the final validation MSE against the sequence length, every seed shown, and the validation
curves of every seed at one length."""

from __future__ import annotations

import numpy as np

from course_rnn.experiments.long_range import LABELS, MODELS, summary

COLORS = {"lstm": "#1f3f6e", "conv4_lstm": "#3f7fc4", "conv8_lstm": "#8fc1ef",
          "conv4relu_lstm": "#2a9d5c",
          "gru": "#8e2418", "conv4_gru": "#d9603b", "conv8_gru": "#f2b27a",
          "conv4relu_gru": "#7b3294"}
MARKERS = {"lstm": "o", "conv4_lstm": "^", "conv8_lstm": "D", "conv4relu_lstm": "s",
           "gru": "o", "conv4_gru": "^", "conv8_gru": "D", "conv4relu_gru": "s"}
BASELINE = 1.0 / 6.0


def _words(lang: str) -> dict:
    if lang not in ("ko", "en"):
        raise ValueError(f"lang must be 'ko' or 'en', got {lang!r}")
    return {"ko": {"T": "시퀀스 길이 T", "mse": "검증 MSE (학습 끝)", "updates": "업데이트 횟수",
                   "curve": "검증 MSE", "base": "평균 예측 1/6", "solved": "풀었다고 보는 선 0.01",
                   "fail": "×: 예산 안에 풀지 못함", "steps": "순환층이 도는 단계 수 T/s",
                   "solved_at": "검증 MSE가 0.01 아래로 내려간 업데이트"},
            "en": {"T": "sequence length T", "mse": "validation MSE (end of training)",
                   "updates": "updates", "curve": "validation MSE",
                   "base": "predicting the mean, 1/6", "solved": "counted as solved, 0.01",
                   "fail": "×: not solved within the budget", "steps": "recurrent steps T/s",
                   "solved_at": "updates until validation MSE < 0.01"}}[lang]


def plot_final_mse(results: dict, ax=None, lang: str = "en", models=MODELS):
    r"""Final validation MSE against T on log axes: one small marker per seed, the mean
    of the seeds joined by a line, the baseline 1/6 and the 0.01 line.

    .. math::

        T \mapsto \mathrm{MSE}_\text{valid}(\theta_U), \quad \text{every seed}

    Returns the axes. Taught in chapter 8.
    """
    import matplotlib.pyplot as plt

    w = _words(lang)
    ax = ax or plt.gca()
    table = summary(results)
    all_lengths = sorted({T for m, T in table if m in models})
    for i, m in enumerate(models):
        shift = 1.0 + 0.04 * (i - (len(models) - 1) / 2)  # keep the columns apart
        lengths = [T for T in all_lengths if (m, T) in table]
        means = [table[(m, T)]["mean"] for T in lengths]
        ax.plot(np.array(lengths) * shift, means, "-", color=COLORS[m], lw=1.5,
                label=LABELS[m][lang])
        for T in lengths:
            mse = table[(m, T)]["mse"]
            ax.plot([T * shift] * len(mse), mse, MARKERS[m], color=COLORS[m], ms=5,
                    mfc="none", mew=1.3)
    ax.axhline(BASELINE, color="0.4", ls="--", lw=1, label=w["base"])
    ax.axhline(results["solved"], color="0.6", ls=":", lw=1, label=w["solved"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(all_lengths)
    ax.set_xticklabels([str(T) for T in all_lengths])
    ax.minorticks_off()
    ax.set_xlabel(w["T"])
    ax.set_ylabel(w["mse"])
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_curves_at(results: dict, T: int, ax=None, lang: str = "en", models=MODELS):
    r"""Validation MSE after every ``eval_every`` updates at one length T, one line per
    (model, seed), log scale.

    .. math::

        u \mapsto \mathrm{MSE}_\text{valid}(\theta_u), \quad u = 100, 200, \dots

    Returns the axes. Taught in chapter 8.
    """
    import matplotlib.pyplot as plt

    w = _words(lang)
    ax = ax or plt.gca()
    every = results["settings"]["eval_every"]
    runs = [r for r in results["runs"] if r["T"] == T and r["model"] in models]
    if not runs:
        raise ValueError(f"no stored runs at T={T}")
    seen = set()
    for r in runs:
        u = every * np.arange(1, len(r["curve"]) + 1)
        first = r["model"] not in seen
        seen.add(r["model"])
        ax.plot(u, r["curve"], color=COLORS[r["model"]], lw=1.2, alpha=0.9,
                label=LABELS[r["model"]][lang] if first else None)
    ax.axhline(BASELINE, color="0.4", ls="--", lw=1)
    ax.axhline(results["solved"], color="0.6", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel(w["updates"])
    ax.set_ylabel(w["curve"])
    ax.set_title(f"T = {T}", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    return ax


def plot_solved_at(results: dict, ax=None, lang: str = "en", models=MODELS):
    r"""Updates until the validation MSE first fell below the ``solved`` line, against the
    number of recurrent steps :math:`T/s`, one marker per seed; runs that never got there
    are drawn as crosses at the budget.

    .. math::

        T/s \mapsto \min\{u : \mathrm{MSE}_\text{valid}(\theta_u) < 0.01\}

    Returns the axes. Taught in chapter 8.
    """
    import matplotlib.pyplot as plt

    from course_rnn.experiments.long_range import parse_model

    w = _words(lang)
    ax = ax or plt.gca()
    budget = results["settings"]["updates"]
    for m in models:
        s = parse_model(m)[1]
        runs = [r for r in results["runs"] if r["model"] == m]
        done = [(r["T"] // s, r["solved_at"]) for r in runs if r["solved_at"] is not None]
        fail = [r["T"] // s for r in runs if r["solved_at"] is None]
        if done:
            ax.plot(*zip(*done, strict=True), MARKERS[m], color=COLORS[m], ms=6, mfc="none",
                    mew=1.3, label=LABELS[m][lang])
        if fail:
            ax.plot(fail, [budget * 1.15] * len(fail), "x", color=COLORS[m], ms=7, mew=1.5,
                    label=None if done else LABELS[m][lang])
    ax.axhline(budget, color="0.4", ls="--", lw=1)
    ax.text(0.02, budget * 1.32, w["fail"], transform=ax.get_yaxis_transform(), fontsize=8,
            color="0.3")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(top=budget * 1.8)
    steps = sorted({r["T"] // parse_model(r["model"])[1] for r in results["runs"]
                    if r["model"] in models})
    ax.set_xticks(steps)
    ax.set_xticklabels([str(n) for n in steps])
    ticks = [u for u in (100, 200, 500, 1000, 2000, 5000) if u < budget] + [budget]
    ax.set_yticks(ticks)
    ax.set_yticklabels([str(u) for u in ticks])
    ax.minorticks_off()
    ax.set_xlabel(w["steps"])
    ax.set_ylabel(w["solved_at"])
    ax.legend(fontsize=8, loc="lower right")
    return ax
