"""figures.captioning: the CNN -> RNN diagram, the feature maps and the captioned images."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from course_rnn.data.shapes import shape_images
from course_rnn.experiments.captioning import image_features
from course_rnn.figures.captioning import (
    draw_captioning,
    draw_feature_maps,
    show_captions,
)


def test_drawings():
    images, _, captions = shape_images(4, np.random.default_rng(0))
    v, maps = image_features(images)
    words = [*captions[0].split(), "</s>"]
    d = draw_captioning(images[0], words, features=v[0], labels={"conv": "conv"}, title="t")
    assert ("cnn",) in d.boxes and ("y", len(words)) in d.boxes
    assert d.count("feedback") == len(words) - 1 and d.count("extra") == 3
    texts = {t.get_text() for t in d.ax.texts}
    assert set(words[:-1]) <= texts
    fig = draw_feature_maps(images[0], maps[0], v[0].reshape(4, 4, 4), list("abcd"))
    assert len(fig.axes) == 10
    fig = show_captions(images, captions, [True, False, True, True], captions, cols=3)
    assert fig.axes[1].get_title() == captions[1].replace(" and ", " and\n")
    plt.close("all")
