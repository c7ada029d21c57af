r"""Generated "images" with their captions, for the image-captioning example of chapter 2.

Each image is a small grayscale square (``size`` x ``size``, 16 by default, values in
[0, 1] plus Gaussian noise) holding one or two simple shapes, each in one of four places
(``top``, ``left``, ``right``, ``bottom``), shifted by up to one pixel. Its caption names
every shape and its place, in a fixed order of places (top, left, right, bottom), with
``and`` between two shapes, between a start and an end symbol:

.. math::

    \langle s \rangle\ \text{vertical bar left and dot bottom}\ \langle /s \rangle

The captions are rows of ids into ``VOCAB``, padded after the end symbol with
``IGNORE`` (-100, torch's ``ignore_index``), which the loss skips. Nothing is
downloaded: everything comes from a ``numpy.random.Generator``. Taught in chapter 2
(one-to-many: image captioning).
"""

from __future__ import annotations

import numpy as np

#: Target value that the losses and accuracies skip (torch's ``ignore_index`` default).
IGNORE = -100

#: The pixels of each shape, as offsets (row, column) from its centre.
SHAPES = {
    "dot": [(0, 0)],
    "square": [(r, c) for r in (-1, 0, 1) for c in (-1, 0, 1)],
    "cross": [(r, 0) for r in (-2, -1, 1, 2)] + [(0, c) for c in (-2, -1, 0, 1, 2)],
    "vertical bar": [(r, 0) for r in range(-2, 3)],
    "horizontal bar": [(0, c) for c in range(-2, 3)],
}
#: The places, in the order a caption names them, as fractions (row, column) of the size.
PLACES = {"top": (0.2, 0.5), "left": (0.5, 0.2), "right": (0.5, 0.8), "bottom": (0.8, 0.5)}
#: The words of the captions: start, end, ``and``, the shapes' words, the places.
VOCAB = ("<s>", "</s>", "and", "dot", "square", "cross", "vertical", "horizontal", "bar",
         "top", "left", "right", "bottom")
START, END = 0, 1
WORD_ID = {w: i for i, w in enumerate(VOCAB)}


def caption_ids(words: str) -> list[int]:
    r"""Ids of a caption written as words, with the start and end symbols added:
    ``"dot left"`` -> ``[0, 3, 10, 1]`` (:math:`\langle s \rangle` dot left
    :math:`\langle /s \rangle`). Raises KeyError on a word outside ``VOCAB``.
    torch: none. Taught in chapter 2.
    """
    return [START] + [WORD_ID[w] for w in words.split()] + [END]


def caption_words(ids) -> str:
    r"""The words of a row of ids, without the start symbol, up to the first end symbol
    (excluded); ``IGNORE`` is skipped: ``[0, 3, 10, 1, -100]`` -> ``"dot left"``.
    torch: none. Taught in chapter 2.
    """
    words = []
    for i in np.asarray(ids).tolist():
        if i == END:
            break
        if i not in (START, IGNORE):
            words.append(VOCAB[i])
    return " ".join(words)


def shape_images(n: int, rng: np.random.Generator, size: int = 16, p_two: float = 0.5,
                 noise: float = 0.1) -> tuple[np.ndarray, np.ndarray, list[str]]:
    r"""``n`` images of one or two shapes, their captions as ids and as words.

    .. math::

        x = \mathrm{clip}\Bigl(\sum_{k} \mathbb{1}_{\text{shape}_k} + \epsilon, 0, 1\Bigr),
        \qquad \epsilon_{ij} \sim \mathcal{N}(0, \sigma^2)

    Parameters
    ----------
    n : int
        Number of images.
    rng : numpy.random.Generator
        Draws the number of shapes, the shapes (independently: a shape may appear
        twice), their places (distinct), shifts of -1, 0 or 1 pixel and the noise.
    size : int
        Side of the images in pixels (at least 12).
    p_two : float
        Probability that an image holds two shapes.
    noise : float
        Standard deviation :math:`\sigma` of the pixel noise.

    Returns
    -------
    images : ndarray, shape (n, size, size)
    tokens : ndarray of int, shape (n, L)
        :math:`\langle s \rangle`, the caption, :math:`\langle /s \rangle`, then
        ``IGNORE``; L = 9 (the longest caption, "vertical bar top and horizontal bar
        left", has 7 words).
    captions : list of str
        The captions as words (``caption_words`` of each row).

    Notes
    -----
    torch: none (a data generator). Taught in chapter 2.
    """
    if size < 12:
        raise ValueError(f"size must be at least 12, got {size}")
    names, places = list(SHAPES), list(PLACES)
    images = np.zeros((n, size, size))
    L = 9
    tokens = np.full((n, L), IGNORE, dtype=np.int64)
    captions = []
    for i in range(n):
        k = 2 if rng.random() < p_two else 1
        chosen = sorted(rng.choice(len(places), size=k, replace=False))  # caption order
        parts = []
        for p in chosen:
            shape = names[rng.integers(len(names))]
            fr, fc = PLACES[places[p]]
            r0 = round(fr * (size - 1)) + int(rng.integers(-1, 2))
            c0 = round(fc * (size - 1)) + int(rng.integers(-1, 2))
            for dr, dc in SHAPES[shape]:
                images[i, r0 + dr, c0 + dc] = 1.0
            parts.append(f"{shape} {places[p]}")
        words = " and ".join(parts)
        ids = caption_ids(words)
        tokens[i, : len(ids)] = ids
        captions.append(words)
    images = np.clip(images + noise * rng.standard_normal(images.shape), 0.0, 1.0)
    return images, tokens, captions
