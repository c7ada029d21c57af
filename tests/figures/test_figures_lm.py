"""course_rnn.figures.lm: the language model's layers and the truncated-BPTT offsets."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from course_rnn.figures.lm import draw_lm_layers, draw_offsets


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_figures(lang):
    ax = draw_lm_layers(lang=lang)
    assert len(ax.patches) > 10
    ax2 = draw_offsets(100, 4, 5, lang=lang)
    assert len(ax2.patches) == 4 * 5  # 4 rows, 25 steps each = 5 chunks
    plt.close("all")
    with pytest.raises(ValueError):
        draw_offsets(10, 4, 5)
    with pytest.raises(ValueError):
        draw_lm_layers(lang="fr")
