r"""Drawings of the forecasting benchmark (chapter 11): forecasts of one series,
validation curves, and the stored three-seed results: every seed against the published value,
curves with their spread over seeds, the seq2seq rows' error at each step."""

from __future__ import annotations

import numpy as np

from course_rnn.data.series import N_STEPS
from course_rnn.forecast.rows import PUBLISHED, ROW_LABELS, ROWS, targets


def plot_forecasts(results: dict, keys=None, lang: str = "en", series: int = 0):
    r"""One validation series per row: the 50 inputs, the targets and the row's forecast.

    .. math::

        x_1, \dots, x_{50} \;\to\; \hat x_{51}, \dots

    For seq2seq rows the forecast from the last step is drawn. Returns the figure.
    Taught in chapter 11.
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
    fig.tight_layout()
    return fig


def plot_curves(results: dict, ax=None, lang: str = "en"):
    r"""Validation MSE after each epoch of the trained rows, on a log scale, with the
    published value of each row as a short line at epoch 20.

    .. math::

        e \mapsto \mathrm{MSE}_\text{valid}(\theta_e)

    Returns the axes. Taught in chapter 11.
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


_MARKS = {"numpy": ("o", "tab:blue"), "torch": ("^", "tab:orange")}


def plot_seed_ratios(table: dict, ax=None, lang: str = "en"):
    r"""Every seed of every row against its published value: one dot per seed and backend at
    :math:`m_s / m_\text{published}`, a tick at each backend's mean, a line at 1.

    .. math::

        s \mapsto \mathrm{MSE}_s / \mathrm{MSE}_\text{published}

    ``table``: ``{(key, backend): [RowResult per seed]}`` (``load_results``). Rows in the
    order of ``ROWS``, the first at the top. Returns the axes. Taught in chapter 11.
    """
    import matplotlib.pyplot as plt

    backends = [b for b in _MARKS if any(bb == b for _, bb in table)]
    keys = [k for k in ROWS if any((k, b) in table for b in backends)]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.38 * len(keys) + 1.2))
    for i, key in enumerate(keys):
        for j, b in enumerate(backends):
            if (key, b) not in table:
                continue
            y = i + (j - (len(backends) - 1) / 2) * 0.28
            ratios = np.array([r.mse for r in table[key, b]]) / PUBLISHED[key]
            marker, color = _MARKS[b]
            ax.plot(ratios, [y] * len(ratios), marker, color=color, ms=5, alpha=0.8, ls="none",
                    label=b if i == next(n for n, k in enumerate(keys) if (k, b) in table)
                    else None)
            ax.plot([ratios.mean()], [y], "|", color=color, ms=13, mew=2)
    ax.axvline(1.0, color="0.3", lw=1)
    ax.set_yticks(range(len(keys)), [ROW_LABELS[k][lang] for k in keys], fontsize=8)
    ax.set_ylim(len(keys) - 0.5, -0.5)
    ax.set_xlabel({"ko": "MSE / 발표된 값 (점: 시드 하나, 세로 막대: 평균)",
                   "en": "MSE / published (dot: one seed, bar: mean)"}[lang])
    ax.grid(alpha=0.3, axis="x", which="both")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_seed_curves(table: dict, keys, ax=None, lang: str = "en", backend: str = "numpy"):
    r"""Validation MSE after each epoch, mean over the seeds (line) and the band between the
    lowest and the highest seed, with the published value as a thick bar after the last epoch.

    .. math::

        e \mapsto \frac{1}{S}\sum_s \mathrm{MSE}_\text{valid}(\theta^{(s)}_e)

    ``table``: ``{(key, backend): [RowResult per seed]}``; ``keys``: the trained rows to draw
    (rows absent from ``table`` are skipped). Returns the axes. Taught in chapter 11.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4))
    colors = plt.get_cmap("tab10")
    drawn = [k for k in keys if (k, backend) in table and len(table[k, backend][0].curve)]
    for i, key in enumerate(drawn):
        curves = np.array([r.curve for r in table[key, backend]])  # (S, epochs)
        epochs = np.arange(1, curves.shape[1] + 1)
        color = colors(i % 10)
        ax.plot(epochs, curves.mean(axis=0), "-", color=color, lw=1.5,
                label=ROW_LABELS[key][lang])
        ax.fill_between(epochs, curves.min(axis=0), curves.max(axis=0), color=color, alpha=0.2,
                        lw=0)
        ax.plot([epochs[-1] + 0.4, epochs[-1] + 1.4], [PUBLISHED[key]] * 2, "-", color=color,
                lw=4, alpha=0.6)
    ax.set_yscale("log")
    ax.set_xlabel({"ko": "에폭", "en": "epoch"}[lang])
    ax.set_ylabel({"ko": "검증 MSE", "en": "validation MSE"}[lang])
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return ax


def per_step_axis(key: str, length: int) -> np.ndarray:
    r"""The time steps :math:`t` at which a seq2seq row forecasts (``Y[:, 3::2]`` for the
    Conv1D + GRU, every step otherwise), for a per-step error of ``length`` values.

    .. math::

        t \in \{0, \dots, 49\} \text{ or } \{3, 5, \dots, 49\}

    Taught in chapter 11.
    """
    from course_rnn.data.series import N_STEPS

    steps = targets(key, np.arange(N_STEPS)[None, :])[0]
    if steps.size != length:
        raise ValueError(f"{key}: {length} per-step errors, but the row forecasts at "
                         f"{steps.size} steps")
    return steps


def plot_per_step(table: dict, keys, ax=None, lang: str = "en", backend: str = "numpy",
                  mark: int | None = None):
    r"""The seq2seq rows' validation MSE at each time step :math:`t` of the forecast, mean over
    the seeds with the band between the lowest and the highest seed (log scale).

    .. math::

        t \mapsto \frac{1}{N \cdot 10}\sum_{n,j} (\hat y_{n,t,j} - y_{n,t,j})^2

    ``mark``: a time step to draw as a grey dashed line (e.g. 30). Returns the axes. Taught in
    chapter 11.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4))
    colors = plt.get_cmap("tab10")
    drawn = [k for k in keys if (k, backend) in table and len(table[k, backend][0].per_step)]
    for i, key in enumerate(drawn):
        err = np.array([r.per_step for r in table[key, backend]])  # (S, T')
        steps = per_step_axis(key, err.shape[1])
        color = colors(i % 10)
        ax.plot(steps, err.mean(axis=0), ".-", color=color, ms=3, lw=1.2,
                label=ROW_LABELS[key][lang])
        ax.fill_between(steps, err.min(axis=0), err.max(axis=0), color=color, alpha=0.15, lw=0)
    if mark is not None:
        ax.axvline(mark, color="gray", ls="--", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel({"ko": "예측하는 시점 t", "en": "time step t of the forecast"}[lang])
    ax.set_ylabel({"ko": "검증 MSE", "en": "validation MSE"}[lang])
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return ax


def plot_published_vs_seeds(table: dict, keys, lang: str = "en", backend: str = "numpy",
                            first: int = 3):
    r"""Many seeds of a row against its one published run: the final scores (left) and the
    validation curves (right) of every seed, beside the published value and curve.

    .. math::

        s \mapsto \mathrm{MSE}_s, \qquad
        e \mapsto \mathrm{MSE}_\text{valid}(\theta^{(s)}_e) \text{ and the published } e \mapsto
        \mathrm{MSE}_e

    ``table``: ``{(key, backend): [RowResult per seed]}`` (``load_results`` of the many-seed
    file); ``keys``: rows of ``PUBLISHED_CURVES``, one row of panels each. Left: every seed
    as a dot, the first ``first`` seeds on a line of their own, each line with its mean ± sd;
    a vertical line at the published value. Right: every seed's curve (thin), the band
    between the lowest and the highest seed, the median, and the published curve (black).
    Returns the figure. Taught in chapter 11.
    """
    import matplotlib.pyplot as plt

    from course_rnn.forecast.rows import PUBLISHED_CURVES

    keys = list(keys)
    words = {"ko": ("시드 {}개", "발표된 값", "우리 시드 (가는 선)", "최저~최고", "중앙값",
                    "발표된 곡선", "에폭", "검증 MSE (마지막 단계)", "검증 MSE"),
             "en": ("{} seeds", "published", "our seeds (thin)", "lowest to highest", "median",
                    "published curve", "epoch", "validation MSE (last step)",
                    "validation MSE")}[lang]
    fig, axes = plt.subplots(len(keys), 2, figsize=(12, 3.2 * len(keys)), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1.8]})
    for (ax_dots, ax_curves), key in zip(axes, keys, strict=True):
        results = table[key, backend]
        mse = np.array([r.mse for r in results])
        for y, part in ((1, mse[:first]), (0, mse)):
            ax_dots.plot(part, [y] * part.size, "o", color="tab:blue", ms=6, alpha=0.75,
                         ls="none")
            ax_dots.errorbar([part.mean()], [y - 0.22], xerr=[part.std(ddof=1)], fmt="|",
                             color="tab:blue", ms=10, capsize=3, lw=1.5)
        ax_dots.axvline(PUBLISHED[key], color="k", lw=1.5, label=words[1])
        ax_dots.set_yticks([1, 0], [words[0].format(first), words[0].format(mse.size)])
        ax_dots.set_ylim(-0.6, 1.5)
        ax_dots.set_title(ROW_LABELS[key][lang], fontsize=10)
        ax_dots.set_xlabel(words[7], fontsize=9)
        ax_dots.grid(alpha=0.3, axis="x")
        ax_dots.legend(fontsize=8, loc="upper right")
        curves = np.array([r.curve for r in results])  # (S, epochs)
        epochs = np.arange(1, curves.shape[1] + 1)
        for i, c in enumerate(curves):
            ax_curves.plot(epochs, c, "-", color="tab:blue", lw=0.7, alpha=0.5,
                           label=words[2] if i == 0 else None)
        ax_curves.fill_between(epochs, curves.min(axis=0), curves.max(axis=0), color="tab:blue",
                               alpha=0.12, lw=0, label=words[3])
        ax_curves.plot(epochs, np.median(curves, axis=0), "-", color="tab:blue", lw=2,
                       label=words[4])
        published = np.array(PUBLISHED_CURVES[key])
        ax_curves.plot(np.arange(1, published.size + 1), published, "o-", color="k", ms=3,
                       lw=1.5, label=words[5])
        ax_curves.set_yscale("log")
        ax_curves.set_xticks(np.unique(np.r_[1, np.arange(5, epochs.size + 1, 5)]))
        ax_curves.set_xlabel(words[6], fontsize=9)
        ax_curves.set_ylabel(words[8], fontsize=9)
        ax_curves.grid(alpha=0.3, which="both")
        ax_curves.legend(fontsize=8)
    return fig
