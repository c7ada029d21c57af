"""course_rnn.figures.bptt: the unrolled graph of truncated BPTT and the log axis."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_rnn.figures.bptt import draw_unrolled_graph, log_axis


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_draw_unrolled_graph(lang):
    ax = draw_unrolled_graph(T=5, window=2, lang=lang)
    texts = [t.get_text() for t in ax.texts]
    assert "$x_5$" in texts and "$h_0$" in texts and texts.count("×") == 2
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="lang"):
        draw_unrolled_graph(lang="fr")


def test_log_axis_labels_negative_powers_without_glyph_warnings(caplog):
    from course_rnn.figures.style import setup_matplotlib

    setup_matplotlib()
    fig, ax = plt.subplots()
    ax.plot(np.arange(8), 10.0 ** -np.arange(8))
    log_axis(ax)
    with caplog.at_level("WARNING"):
        fig.canvas.draw()
    assert "does not have a glyph" not in caplog.text
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "$10^{-4}$" in labels
    plt.close(fig)
    with pytest.raises(ValueError, match="axis"):
        log_axis(ax, "z")
