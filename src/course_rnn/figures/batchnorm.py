r"""Drawings of chapter 7's batch normalisation between recurrent layers: the learning
curves of several models over seeds (mean and spread), and every seed's final score."""

from __future__ import annotations

import numpy as np

from course_rnn.forecast.rows import ROW_LABELS

COLORS = {"s2s_rnn": "tab:gray", "s2s_bn_rnn": "tab:red", "s2s_ln_rnn": "tab:blue"}


def plot_normalisation_runs(curves: dict, extra: dict | None = None, lang: str = "en"):
    r"""Left: validation MSE by epoch, mean over seeds with a band of :math:`\pm` one sd;
    right: every seed's last-epoch value and the mean :math:`\pm` sd.

    .. math::

        \bar c_e = \frac{1}{S}\sum_s c_{s,e}, \qquad
        s_e = \sqrt{\frac{1}{S-1}\sum_s (c_{s,e} - \bar c_e)^2}

    ``curves``: key -> array (seeds, epochs), keys of ``course_rnn.forecast.rows.ROW_LABELS``
    (``experiments.batchnorm_rnn.train_runs``); ``extra``: label -> array (seeds,) of more
    final values for the right panel (hollow markers). Returns the figure. Taught in
    chapter 7.
    """
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4),
                                      gridspec_kw={"width_ratios": [1.4, 1]})
    words = {"ko": ("에폭", "검증 MSE (마지막 단계)", "마지막 에폭의 검증 MSE"),
             "en": ("epoch", "validation MSE (last step)",
                    "validation MSE after the last epoch")}[lang]
    finals = []
    for key, c in curves.items():
        c = np.asarray(c)
        epochs = np.arange(1, c.shape[1] + 1)
        mean, sd = c.mean(axis=0), c.std(axis=0, ddof=1)
        color = COLORS.get(key, None)
        label = ROW_LABELS[key][lang]
        left.plot(epochs, mean, "o-", ms=4, color=color, label=label)
        left.fill_between(epochs, mean - sd, mean + sd, color=color, alpha=0.2, lw=0)
        finals.append((label, c[:, -1], color, True))
    for label, values in (extra or {}).items():
        finals.append((label, np.asarray(values), "tab:red", False))
    for i, (_, values, color, filled) in enumerate(finals):
        y = np.full(len(values), i) + np.linspace(-0.12, 0.12, len(values))
        right.plot(values, y, "o", ms=7, color=color, mfc=color if filled else "none")
        m, s = values.mean(), values.std(ddof=1)
        right.errorbar(m, i, xerr=s, fmt="|", ms=18, color="black", capsize=4)
    right.set_yticks(range(len(finals)), [f[0] for f in finals], fontsize=8)
    right.set_ylim(len(finals) - 0.5, -0.5)
    left.set_yscale("log")
    left.set_xlabel(words[0])
    left.set_ylabel(words[1])
    left.legend(fontsize=8)
    right.set_xlabel(words[2])
    for ax in (left, right):
        ax.grid(alpha=0.3)
    return fig
