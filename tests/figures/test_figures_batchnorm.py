"""figures.batchnorm: learning curves with their spread over seeds, and every seed's end."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from course_rnn.figures.batchnorm import plot_normalisation_runs
from course_rnn.forecast.rows import ROW_LABELS


def test_plot_normalisation_runs_draws_means_bands_and_every_seed():
    curves = {"s2s_rnn": np.array([[0.04, 0.03], [0.05, 0.032], [0.045, 0.031]]),
              "s2s_bn_rnn": np.array([[0.07, 0.05], [0.08, 0.055], [0.075, 0.052]])}
    fig = plot_normalisation_runs(curves, extra={"BN, exact": np.array([0.03, 0.035, 0.033])},
                                  lang="ko")
    left, right = fig.axes
    assert [line.get_label() for line in left.lines] == [ROW_LABELS[k]["ko"] for k in curves]
    np.testing.assert_allclose(left.lines[0].get_ydata(), curves["s2s_rnn"].mean(axis=0))
    assert len(left.collections) == 2  # one band per model
    dots = [line for line in right.lines if len(line.get_xdata()) == 3]
    assert len(dots) == 3  # three seeds per row, the extra row included
    assert [t.get_text() for t in right.get_yticklabels()][-1] == "BN, exact"
    assert left.get_yscale() == "log"
    plt.close(fig)
