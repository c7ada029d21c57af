"""data.shapes: the generated images of chapter 2's captioning example and their captions."""

import numpy as np
import pytest

from course_rnn.data.shapes import (
    END,
    IGNORE,
    PLACES,
    SHAPES,
    START,
    VOCAB,
    caption_ids,
    caption_words,
    shape_images,
)


def test_caption_ids_and_words_round_trip():
    ids = caption_ids("vertical bar left and dot bottom")
    assert ids[0] == START and ids[-1] == END
    assert caption_words([*ids, IGNORE, IGNORE]) == "vertical bar left and dot bottom"
    assert caption_words([START, VOCAB.index("dot"), END, VOCAB.index("cross")]) == "dot"
    with pytest.raises(KeyError):
        caption_ids("triangle left")


def test_images_match_their_captions():
    images, tokens, captions = shape_images(200, np.random.default_rng(0), noise=0.0)
    assert images.shape == (200, 16, 16) and tokens.shape == (200, 9)
    assert images.min() >= 0 and images.max() <= 1
    for img, tok, cap in zip(images, tokens, captions, strict=True):
        assert caption_words(tok) == cap
        parts = cap.split(" and ")
        assert 1 <= len(parts) <= 2
        places = [p.split()[-1] for p in parts]
        assert places == sorted(places, key=list(PLACES).index)  # the fixed order of places
        # without noise, the lit pixels are exactly those of the named shapes
        assert img.sum() == sum(len(SHAPES[" ".join(p.split()[:-1])]) for p in parts)
        assert (tok[len(cap.split()) + 2:] == IGNORE).all()


def test_seeded_and_both_counts_appear():
    a = shape_images(50, np.random.default_rng(3))
    b = shape_images(50, np.random.default_rng(3))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    two = np.mean([" and " in c for c in a[2]])
    assert 0.2 < two < 0.8
    with pytest.raises(ValueError):
        shape_images(1, np.random.default_rng(0), size=8)
