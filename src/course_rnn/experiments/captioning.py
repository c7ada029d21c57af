r"""Image captioning as a CNN followed by an RNN (chapter 2, one-to-many).

Show and Tell (Vinyals et al., 2015) and Karpathy & Fei-Fei (2015) describe a picture in
words with two networks in a row: a convolutional network (CNN) turns the image into a
feature vector :math:`v`, and a recurrent decoder, started from it, writes the caption
one word at a time, each word it writes being its next input:

.. math::

    v = \mathrm{CNN}(x), \qquad h_0 = \tanh(v W_{vh} + b_v), \qquad
    h_t = \tanh(e_{w_{t-1}} W_{xh} + h_{t-1} W_{hh} + b_h), \\
    p(w_t \mid w_{<t}, x) = \mathrm{softmax}(h_t W_{hy} + b_y)_{w_t}, \qquad
    w_0 = \langle s \rangle

(:math:`e_w` is the one-hot row of word :math:`w`). In those papers the CNN was first
trained to classify ImageNet photos and then used as it was; here a *fixed* bank of four
hand-made 3x3 filters plays its part (``FILTERS``: a vertical line, a horizontal line, an
isolated dot, a filled patch), followed by a ReLU and a max pooling over a 4 x 4 grid of
cells, so the feature vector keeps *what* was found and roughly *where*. Only
:math:`W_{vh}, b_v` and the decoder are trained, with teacher forcing and the mean
cross-entropy of the caption words. Size letters: N images, S image side, C filters,
F = C G^2 features, T caption steps, H hidden, V vocabulary. Taught in chapter 2.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from course_rnn.layers import (
    one_hot,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    time_affine_backward,
    time_affine_forward,
)
from course_rnn.models import Model, Weights
from course_rnn.rnn import init_rnn_params, rnn_backward, rnn_forward
from course_rnn.sequence_models import IGNORE

#: The fixed 3x3 filters of the feature extractor (each responds at most 1 to its pattern).
FILTERS = {
    "vertical line": np.array([[-1.0, 2.0, -1.0]] * 3) / 6,
    "horizontal line": np.array([[-1.0, 2.0, -1.0]] * 3).T / 6,
    "dot": (9 * np.eye(3)[1][:, None] * np.eye(3)[1][None, :] - 1) / 8,
    "filled patch": np.ones((3, 3)) / 9,
}


def conv2d_same(images, filters) -> np.ndarray:
    r"""Two-dimensional cross-correlation with zero padding that keeps the size.

    .. math::

        m_{n,c,i,j} = \sum_{a=0}^{K-1}\sum_{b=0}^{K-1} k_{c,a,b}\,
        x^{\text{pad}}_{n,\, i+a,\, j+b}

    ``images`` (N, S, S), ``filters`` (C, K, K) with K odd -> feature maps (N, C, S, S).
    torch: ``F.conv2d(x[:, None], k[:, None], padding=K // 2)``. Taught in chapter 2
    (the 1-D form is chapter 8's).
    """
    x, k = np.asarray(images, dtype=float), np.asarray(filters, dtype=float)
    p = k.shape[-1] // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))  # (N, S + 2p, S + 2p)
    windows = sliding_window_view(xp, k.shape[-2:], axis=(1, 2))  # (N, S, S, K, K)
    return np.einsum("nijab,cab->ncij", windows, k)  # (N, C, S, S)


def image_features(images, filters=None, grid: int = 4) -> tuple[np.ndarray, np.ndarray]:
    r"""The fixed "CNN": filters, ReLU, max pooling over a ``grid`` x ``grid`` of cells.

    .. math::

        a = \max(0, \mathrm{conv}(x, k)), \qquad
        v_{n,\,(c, g)} = \max_{(i, j) \in \text{cell } g} a_{n,c,i,j}

    ``images`` (N, S, S) with S divisible by ``grid``; ``filters`` (C, K, K), ``FILTERS``
    when None. Returns the feature vectors ``v`` (N, C grid^2) and the feature maps
    ``a`` (N, C, S, S). torch: ``F.max_pool2d(F.relu(F.conv2d(...)), S // grid)``,
    flattened. Taught in chapter 2.
    """
    k = np.stack(list(FILTERS.values())) if filters is None else np.asarray(filters)
    maps = np.maximum(conv2d_same(images, k), 0.0)  # (N, C, S, S)
    N, C, S, _ = maps.shape
    if S % grid:
        raise ValueError(f"the image side {S} is not divisible by grid={grid}")
    cell = S // grid
    pooled = maps.reshape(N, C, grid, cell, grid, cell).max(axis=(3, 5))  # (N, C, G, G)
    return pooled.reshape(N, C * grid * grid), maps


class Captioner(Model):
    r"""A caption decoder started from an image's feature vector (one-to-many).

    .. math::

        h_0 = \tanh(v W_{vh} + b_v), \qquad
        h_t = \tanh(e_{w_{t-1}} W_{xh} + h_{t-1} W_{hh} + b_h), \qquad
        L = -\frac{1}{|\mathcal{V}|} \sum_{(n,t) \in \mathcal{V}}
        \log \mathrm{softmax}(h_{n,t} W_{hy} + b_y)_{w_{n,t}}

    Parameters
    ----------
    F, V, H : int
        Size of the feature vector, of the vocabulary, of the hidden state.
    rng : numpy.random.Generator
    start, end : int
        Ids of the start and end symbols.

    Notes
    -----
    ``forward(v (N, F), tokens (N, L) ids) -> loss``: ``tokens`` start with ``start``,
    end with ``end`` and are padded with ``IGNORE``; the decoder reads
    ``tokens[:, :-1]`` (teacher forcing) and predicts ``tokens[:, 1:]``.
    ``generate(v, length) -> (N, length)`` ids (greedy decoding). Parameters
    ``"img.W"`` (F, H), ``"img.b"`` (H,), ``"rnn.*"`` (as ``init_rnn_params``),
    ``"out.W"`` (H, V), ``"out.b"`` (V,). torch: ``h0 = torch.tanh(nn.Linear(F, H)(v))``,
    then ``nn.RNN(V, H, batch_first=True)`` on one-hot words with ``h0[None]``,
    ``nn.Linear(H, V)`` and ``F.cross_entropy(..., ignore_index=-100)``.
    Taught in chapter 2.
    """

    def __init__(self, F: int, V: int, H: int, rng: np.random.Generator,
                 start: int = 0, end: int = 1):
        super().__init__()
        self.V, self.start, self.end = V, start, end
        kf, kh = 1.0 / np.sqrt(F), 1.0 / np.sqrt(H)  # as torch's nn.Linear
        self.img = self.add("img", Weights({"W": rng.uniform(-kf, kf, (F, H)),
                                            "b": rng.uniform(-kf, kf, H)})).params
        self.rnn = self.add("rnn", Weights(init_rnn_params(V, H, rng))).params
        self.out = self.add("out", Weights({"W": rng.uniform(-kh, kh, (H, V)),
                                            "b": rng.uniform(-kh, kh, V)})).params
        self._cache = None

    def init_state(self, v) -> np.ndarray:
        r"""The decoder's first state :math:`h_0 = \tanh(v W_{vh} + b_v)` (N, H) of the
        feature vectors ``v`` (N, F). Taught in chapter 2."""
        return np.tanh(np.asarray(v, dtype=float) @ self.img["W"] + self.img["b"])

    def predict(self, v, tokens) -> np.ndarray:
        """Scores (N, L - 1, V) of every next word under teacher forcing."""
        v, tokens = np.asarray(v, dtype=float), np.asarray(tokens)
        h0 = self.init_state(v)  # (N, H)
        ins = np.where(tokens[:, :-1] == IGNORE, self.end, tokens[:, :-1])  # padding read as end
        hs, _, rnn_cache = rnn_forward(one_hot(ins, self.V), h0, **self.rnn)  # (N, L-1, H)
        scores, out_cache = time_affine_forward(hs, self.out["W"], self.out["b"])
        self._cache = (v, h0, rnn_cache, out_cache)
        return scores

    def forward(self, v, tokens) -> float:
        """Mean cross-entropy of the caption words ``tokens[:, 1:]``, skipping ``IGNORE``."""
        scores = self.predict(v, tokens)
        loss, self._loss_cache = softmax_cross_entropy_forward(
            scores, np.asarray(tokens)[:, 1:], IGNORE)
        return loss

    def backward(self) -> None:
        """Fill ``grads``; the gradient of :math:`h_0` flows back into :math:`W_{vh}`."""
        v, h0, rnn_cache, out_cache = self._cache
        g = time_affine_backward(softmax_cross_entropy_backward(1.0, self._loss_cache),
                                 out_cache)
        self.parts["out"].store({"W": g.dW, "b": g.db})
        gr = rnn_backward(g.dxs, rnn_cache)
        self.parts["rnn"].store({"W_xh": gr.dW_xh, "W_hh": gr.dW_hh, "b_h": gr.db_h})
        da = gr.dh0 * (1.0 - h0**2)  # (N, H): through the tanh of h_0
        self.parts["img"].store({"W": v.T @ da, "b": da.sum(axis=0)})

    def generate(self, v, length: int) -> np.ndarray:
        """Greedy decoding: ``length`` ids (N, length), each step reading its previous choice."""
        h = self.init_state(v)  # (N, H)
        prev = np.full(len(h), self.start)
        out = []
        for _ in range(length):
            _, h, _ = rnn_forward(one_hot(prev[:, None], self.V), h, **self.rnn)  # (N, H)
            prev = (h @ self.out["W"] + self.out["b"]).argmax(axis=1)  # (N,)
            out.append(prev)
        return np.stack(out, axis=1)  # (N, length)


def caption_accuracy(generated, tokens, end: int = 1) -> tuple[float, float]:
    r"""Share of captions generated exactly right, and share of words right.

    .. math::

        \mathrm{exact} = \frac{1}{N}\sum_n [\hat w_{n,1:T_n} = w_{n,1:T_n}], \qquad
        \mathrm{words} = \frac{\sum_n \sum_{t \le T_n} [\hat w_{n,t} = w_{n,t}]}{\sum_n T_n}

    ``generated`` (N, length) ids from ``Captioner.generate``; ``tokens`` (N, L) the true
    captions with their start symbol, as ``data.shapes.shape_images`` returns them.
    :math:`T_n` counts the words and the end symbol; a caption is exactly right when every
    one of them is (what follows the end symbol is not read). torch: none.
    Taught in chapter 2.
    """
    generated, target = np.asarray(generated), np.asarray(tokens)[:, 1:]  # (N, L - 1)
    valid = target != IGNORE
    T = target.shape[1]
    gen = np.full(target.shape, IGNORE)
    gen[:, : min(T, generated.shape[1])] = generated[:, :T]
    right = (gen == target) | ~valid  # (N, L - 1)
    words = float(np.sum((gen == target) & valid) / valid.sum())
    return float(np.mean(right.all(axis=1))), words
