"""course_rnn.figures.receptive: the drawing of a dilated causal stack."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_rnn.experiments.receptive import causal_tree
from course_rnn.figures.receptive import draw_dilated_stack


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_draw_dilated_stack(lang):
    ax = draw_dilated_stack([1, 2, 4, 8] * 2, kernel_size=2, lang=lang)
    faint, bright = ax.collections[:2]
    tree = causal_tree(31, 2, [1, 2, 4, 8] * 2)
    assert len(bright.get_segments()) == sum(2 * len(s) for s in tree[1:])  # K edges per node
    assert len(faint.get_segments()) + len(bright.get_segments()) == sum(
        2 * 32 - d for d in [1, 2, 4, 8] * 2)  # every edge that does not read the padding
    red_inputs = [c for c in ax.collections[2:] if len(c.get_offsets())
                  and np.all(c.get_offsets()[:, 1] == 0) and c.get_facecolor()[0][0] > 0.7
                  and c.get_facecolor()[0][1] < 0.5]
    np.testing.assert_array_equal(red_inputs[0].get_offsets()[:, 0], tree[0])
    assert ("31" in ax.get_title()) and (("입력" in ax.get_title()) == (lang == "ko"))
    plt.close("all")
    with pytest.raises(ValueError):
        draw_dilated_stack([1, 2], lang="fr")
    with pytest.raises(ValueError):
        draw_dilated_stack([1, 2], T=4, t=4)
