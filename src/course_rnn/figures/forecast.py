r"""Drawings of the forecasting benchmark of chapters 7 and 8: forecasts of one series,
validation curves."""

from __future__ import annotations

import numpy as np

from course_rnn.data.series import N_STEPS
from course_rnn.forecast.rows import ROW_LABELS


def plot_forecasts(results: dict, keys=None, lang: str = "en", series: int = 0):
    r"""One validation series per row: the 50 inputs, the targets and the row's forecast.

    .. math::

        x_1, \dots, x_{50} \;\to\; \hat x_{51}, \dots

    For seq2seq rows the forecast from the last step is drawn. Returns the figure.
    Taught in chapters 7 and 8.
    """
    import matplotlib.pyplot as plt

    keys = list(results) if keys is None else list(keys)
    cols = min(4, len(keys))
    rows = -(-len(keys) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.5 * rows), squeeze=False,
                             sharey=True)
    words = {"ko": ("입력", "정답", "예측", "시간 단계"),
             "en": ("input", "target", "forecast", "time step")}[lang]
    for ax, key in zip(axes.flat, keys, strict=False):
        ex = results[key].example
        x = ex["x"][series]
        y, p = np.asarray(ex["y"][series]), np.asarray(ex["pred"][series])
        if key.startswith("s2s_"):
            y, p = y[-1], p[-1]
        t = np.arange(N_STEPS, N_STEPS + y.size)
        ax.plot(np.arange(N_STEPS), x, ".-", color="0.45", ms=3, lw=1, label=words[0])
        ax.plot(t, y, "o", color="tab:blue", ms=5, label=words[1])
        ax.plot(t, p, "x", color="tab:red", ms=6, mew=2, label=words[2])
        ax.set_title(f"{ROW_LABELS[key][lang]}\nMSE {results[key].mse:.4f}", fontsize=9)
        ax.set_xlabel(words[3], fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="lower left")
    return fig


def plot_curves(results: dict, ax=None, lang: str = "en"):
    r"""Validation MSE after each epoch of the trained rows, on a log scale, with the
    published value of each row as a short line at epoch 20.

    .. math::

        e \mapsto \mathrm{MSE}_\text{valid}(\theta_e)

    Returns the axes. Taught in chapters 7 and 8.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4))
    colors = plt.get_cmap("tab10")
    trained = [k for k, r in results.items() if len(r.curve)]
    for i, key in enumerate(trained):
        r, color = results[key], colors(i % 10)
        epochs = np.arange(1, len(r.curve) + 1)
        ax.plot(epochs, r.curve, "-", color=color, lw=1.5, label=ROW_LABELS[key][lang])
        ax.plot([len(r.curve) - 0.6, len(r.curve) + 0.6], [r.published] * 2, "-", color=color,
                lw=4, alpha=0.5)
    ax.set_yscale("log")
    ax.set_xlabel({"ko": "에폭", "en": "epoch"}[lang])
    ax.set_ylabel({"ko": "검증 MSE (굵은 선: 발표된 값)",
                   "en": "validation MSE (thick bar: published)"}[lang])
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    return ax
