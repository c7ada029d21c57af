r"""The kinds of RNN of chapter 2 as small models: one recurrent cell, wired five ways.

Row vectors, batch first: :math:`h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h)`, as in
``course_rnn.rnn`` (seeds 000, 002, 003).

==================  ================================  =============================================
kind                model                             factorisation
==================  ================================  =============================================
one-to-many         ``SequenceGenerator``             :math:`\prod_t p(y_t \mid h_t)`,
                                                      :math:`h_t = f(h_{t-1}, x)`
many-to-one         ``SequenceClassifier``            :math:`p(y \mid h_T)`
(one-to-one)        ``SequenceClassifier``, T = 1     :math:`p(y \mid h_1)`, :math:`h_1 = f(0, x)`
many-to-many,       ``SequenceTagger``                :math:`\prod_t p(y_t \mid h_t)`,
aligned                                               :math:`h_t = f(h_{t-1}, x_t)`
many-to-many,       ``EncoderDecoder``                :math:`\prod_{t'} p(y_{t'} \mid s_{t'})`,
unaligned                                             :math:`s_0 = c = h_T`
==================  ================================  =============================================

The recurrent part of the first three is ``stacked_forward`` of ``course_rnn.multilayer``,
so each takes ``num_layers`` (a deep RNN) and, where it makes sense, ``bidirectional``.
Every model is a ``course_rnn.models.Model``: ``forward(inputs, targets) -> loss``,
``backward()``, and flat dicts ``params`` / ``grads`` whose arrays are the ones the layers
compute with, so ``course_rnn.training.train`` (or ``fit``) trains it. The models are
stateless (every sequence starts from :math:`h_0 = 0`). Taught in chapter 2 (kinds of RNN).
"""

from __future__ import annotations

import numpy as np

from course_rnn.layers import (
    mse_backward,
    mse_forward,
    one_hot,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    time_affine_backward,
    time_affine_forward,
)
from course_rnn.models import Model, Weights
from course_rnn.multilayer import stacked_backward, stacked_forward
from course_rnn.rnn import init_rnn_params, rnn_backward, rnn_forward

#: Target value that the losses and accuracies skip (torch's ``ignore_index`` default).
IGNORE = -100


def _affine_params(D: int, M: int, rng: np.random.Generator) -> dict:
    """``{"W": (D, M), "b": (M,)}`` drawn as torch's ``nn.Linear(D, M)``."""
    k = 1.0 / np.sqrt(D)
    return {"W": rng.uniform(-k, k, (D, M)), "b": rng.uniform(-k, k, M)}


class _RecurrentModel(Model):
    """A ``Model`` whose parts are arrays (``Weights``) used by the functional layers."""

    def _weights(self, part: str, arrays: dict) -> dict:
        """Register ``arrays`` as the part ``part``; returns them (the same arrays)."""
        return self.add(part, Weights(arrays)).params

    def _store(self, part: str, grads: dict) -> None:
        self.parts[part].store(grads)

    def _add_stack(self, D: int, H: int, rng, num_layers: int, bidirectional: bool) -> list:
        """RNN layers in the format of ``stacked_forward``, registered as ``rnn1``, ..."""
        layers, d_in = [], D
        for l in range(1, num_layers + 1):
            if bidirectional:
                layers.append((self._weights(f"rnn{l}.fwd", init_rnn_params(d_in, H, rng)),
                               self._weights(f"rnn{l}.bwd", init_rnn_params(d_in, H, rng))))
            else:
                layers.append(self._weights(f"rnn{l}", init_rnn_params(d_in, H, rng)))
            d_in = 2 * H if bidirectional else H
        return layers

    def _store_stack(self, dparams: list) -> None:
        for l, g in enumerate(dparams, start=1):
            if isinstance(g, tuple):
                self._store(f"rnn{l}.fwd", g[0])
                self._store(f"rnn{l}.bwd", g[1])
            else:
                self._store(f"rnn{l}", g)


class SequenceClassifier(_RecurrentModel):
    r"""Many-to-one (seq2vec): read a sequence, classify it from the last hidden state.

    .. math::

        h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \quad h_0 = 0, \qquad
        p(y \mid x_{1:T}) = \mathrm{Cat}\bigl(y \mid \mathrm{softmax}(h_T W_{hy} + b_y)\bigr)

    With ``bidirectional=True`` the summary is :math:`[h^\rightarrow_T \,\|\,
    h^\leftarrow_1]`, the last state of each direction. With T = 1 the model is
    one-to-one: :math:`h_1 = \tanh(x_1 W_{xh} + b_h)` is a feedforward hidden layer and
    :math:`W_{hh}` gets no gradient.

    Parameters
    ----------
    D, H, C : int
        Input size, hidden size (per direction), number of classes.
    rng : numpy.random.Generator
    num_layers : int
        Stacked RNN layers (a deep RNN when more than 1).
    bidirectional : bool

    Notes
    -----
    ``forward(xs (N, T, D), labels (N,) int) -> loss`` (mean cross-entropy);
    ``predict(xs) -> scores (N, C)``. Parameters ``"rnn1.W_xh"`` ... and
    ``"out.W"`` (H or 2H, C), ``"out.b"`` (C,).
    torch: ``nn.RNN(D, H, num_layers, batch_first=True, bidirectional=...)``, then
    ``nn.Linear`` on ``h_n`` and ``F.cross_entropy``. Taught in chapter 2.
    """

    def __init__(self, D: int, H: int, C: int, rng: np.random.Generator,
                 num_layers: int = 1, bidirectional: bool = False):
        super().__init__()
        self.H, self.bidirectional = H, bidirectional
        self.layers = self._add_stack(D, H, rng, num_layers, bidirectional)
        self.out = self._weights("out", _affine_params(2 * H if bidirectional else H, C, rng))
        self._cache = None

    def _summary(self, hs: np.ndarray) -> np.ndarray:
        if self.bidirectional:  # the forward direction ends at T, the backward one at 1
            return np.concatenate([hs[:, -1, :self.H], hs[:, 0, self.H:]], axis=1)  # (N, 2H)
        return hs[:, -1]  # (N, H)

    def predict(self, xs) -> np.ndarray:
        """Class scores (N, C) for ``xs`` (N, T, D)."""
        hs, _, rnn_cache = stacked_forward("rnn", xs, self.layers)  # (N, T, H or 2H)
        scores, out_cache = time_affine_forward(self._summary(hs), self.out["W"], self.out["b"])
        self._cache = (hs.shape, rnn_cache, out_cache)
        return scores  # (N, C)

    def forward(self, xs, labels) -> float:
        """Mean cross-entropy of the labels (N,) given the sequences ``xs`` (N, T, D)."""
        loss, self._loss_cache = softmax_cross_entropy_forward(self.predict(xs), labels, IGNORE)
        return loss

    def backward(self) -> None:
        """Fill ``grads`` from the last ``forward``."""
        shape, rnn_cache, out_cache = self._cache
        dscores = softmax_cross_entropy_backward(1.0, self._loss_cache)  # (N, C)
        g = time_affine_backward(dscores, out_cache)
        self._store("out", {"W": g.dW, "b": g.db})
        dhs = np.zeros(shape)  # (N, T, H or 2H): only the summary's states feed the loss
        if self.bidirectional:
            dhs[:, -1, :self.H] = g.dxs[:, :self.H]
            dhs[:, 0, self.H:] = g.dxs[:, self.H:]
        else:
            dhs[:, -1] = g.dxs
        self._store_stack(stacked_backward(dhs, rnn_cache).dparams)


class SequenceGenerator(_RecurrentModel):
    r"""One-to-many (vec2seq): one vector in, a sequence out; the vector is fed at every step.

    .. math::

        h_t = \tanh(x W_{xh} + h_{t-1} W_{hh} + b_h), \quad h_0 = 0, \qquad
        \hat y_t = h_t W_{hy} + b_y, \qquad t = 1, \dots, T

    Trained with the mean squared error, which is the negative log-likelihood of
    :math:`p(y_t \mid h_t) = \mathcal{N}(y_t \mid \hat y_t, \sigma^2 I)` up to a constant.

    Parameters
    ----------
    D, H, M : int
        Size of the input vector, hidden size, size of each output.
    rng : numpy.random.Generator
    num_layers : int

    Notes
    -----
    ``forward(x (N, D), ys (N, T, M)) -> loss``; ``predict(x, T) -> (N, T, M)``.
    torch: ``nn.RNN(D, H, batch_first=True)`` on ``x[:, None].expand(N, T, D)``, then
    ``nn.Linear(H, M)`` and ``nn.MSELoss``. Taught in chapter 2.
    """

    def __init__(self, D: int, H: int, M: int, rng: np.random.Generator, num_layers: int = 1):
        super().__init__()
        self.layers = self._add_stack(D, H, rng, num_layers, False)
        self.out = self._weights("out", _affine_params(H, M, rng))
        self._cache = None

    def predict(self, x, T: int) -> np.ndarray:
        """The sequences (N, T, M) generated from the vectors ``x`` (N, D)."""
        x = np.asarray(x, dtype=float)
        xs = np.repeat(x[:, None, :], T, axis=1)  # (N, T, D): the same vector at every step
        hs, _, rnn_cache = stacked_forward("rnn", xs, self.layers)  # (N, T, H)
        ys, out_cache = time_affine_forward(hs, self.out["W"], self.out["b"])  # (N, T, M)
        self._cache = (rnn_cache, out_cache)
        return ys

    def forward(self, x, ys) -> float:
        """Mean squared error of the generated sequences against ``ys`` (N, T, M)."""
        loss, self._loss_cache = mse_forward(self.predict(x, np.shape(ys)[1]), ys)
        return loss

    def backward(self) -> None:
        """Fill ``grads`` from the last ``forward``."""
        rnn_cache, out_cache = self._cache
        g = time_affine_backward(mse_backward(1.0, self._loss_cache), out_cache)
        self._store("out", {"W": g.dW, "b": g.db})
        self._store_stack(stacked_backward(g.dxs, rnn_cache).dparams)


class SequenceTagger(_RecurrentModel):
    r"""Many-to-many, aligned (dense labelling): one label per time step.

    .. math::

        h_t = f(h_{t-1}, x_t), \qquad
        p(y_{1:T} \mid x_{1:T}) = \prod_{t=1}^{T}
        \mathrm{Cat}\bigl(y_t \mid \mathrm{softmax}(h_t W_{hy} + b_y)\bigr)

    With ``bidirectional=True``, :math:`h_t = [h^\rightarrow_t \,\|\, h^\leftarrow_t]`
    sees the whole sequence, past and future; with ``num_layers`` = L the top layer's
    :math:`h^{(L)}_t` is read.

    Parameters
    ----------
    D, H, C : int
        Input size, hidden size (per direction), number of classes.
    rng : numpy.random.Generator
    num_layers : int
    bidirectional : bool

    Notes
    -----
    ``forward(xs (N, T, D), labels (N, T) int) -> loss`` (mean cross-entropy over the
    labels that are not ``IGNORE``); ``predict(xs) -> scores (N, T, C)``.
    torch: ``nn.RNN(D, H, num_layers, batch_first=True, bidirectional=...)``, then
    ``nn.Linear`` on every step and ``F.cross_entropy(..., ignore_index=-100)``.
    Taught in chapter 2.
    """

    def __init__(self, D: int, H: int, C: int, rng: np.random.Generator,
                 num_layers: int = 1, bidirectional: bool = False):
        super().__init__()
        self.layers = self._add_stack(D, H, rng, num_layers, bidirectional)
        self.out = self._weights("out", _affine_params(2 * H if bidirectional else H, C, rng))
        self._cache = None

    def predict(self, xs) -> np.ndarray:
        """Scores (N, T, C) for every step of ``xs`` (N, T, D)."""
        hs, _, rnn_cache = stacked_forward("rnn", xs, self.layers)  # (N, T, H or 2H)
        scores, out_cache = time_affine_forward(hs, self.out["W"], self.out["b"])  # (N, T, C)
        self._cache = (rnn_cache, out_cache)
        return scores

    def forward(self, xs, labels) -> float:
        """Mean cross-entropy of the labels (N, T), skipping ``IGNORE``."""
        loss, self._loss_cache = softmax_cross_entropy_forward(self.predict(xs), labels, IGNORE)
        return loss

    def backward(self) -> None:
        """Fill ``grads`` from the last ``forward``."""
        rnn_cache, out_cache = self._cache
        g = time_affine_backward(softmax_cross_entropy_backward(1.0, self._loss_cache),
                                 out_cache)
        self._store("out", {"W": g.dW, "b": g.db})
        self._store_stack(stacked_backward(g.dxs, rnn_cache).dparams)


class EncoderDecoder(_RecurrentModel):
    r"""Many-to-many, unaligned: an encoder RNN reads the input, a decoder RNN writes the output.

    .. math::

        c = h_T, \quad h_t = \tanh(x_t W^{e}_{xh} + h_{t-1} W^{e}_{hh} + b^{e}_h), \\
        s_0 = c, \quad
        s_t = \tanh(y_{t-1} W^{d}_{xh} + s_{t-1} W^{d}_{hh} + b^{d}_h), \quad
        p(y_t \mid y_{<t}, x_{1:T}) = \mathrm{softmax}(s_t W_{sy} + b_y)_{y_t}

    Symbols enter as one-hot rows; :math:`y_0` is a start symbol (id ``V_out``). In
    training the decoder reads the true previous symbol (teacher forcing);
    ``generate`` reads its own previous choice (greedy decoding).

    Parameters
    ----------
    V_in, V_out : int
        Sizes of the input and output alphabets.
    H : int
        Hidden size of the encoder and of the decoder.
    rng : numpy.random.Generator

    Notes
    -----
    ``forward(src (N, T) ids, tgt (N, T') ids) -> loss``; ``generate(src, T') -> (N, T')``.
    Parameters ``"enc.*"``, ``"dec.*"`` (as ``init_rnn_params``) and ``"out.W"`` (H, V_out),
    ``"out.b"``. torch: two ``nn.RNN(batch_first=True)``, the decoder called with
    ``h_0 = h_n`` of the encoder, then ``nn.Linear`` and ``F.cross_entropy``.
    Taught in chapter 2; chapter 9 is devoted to it.
    """

    def __init__(self, V_in: int, V_out: int, H: int, rng: np.random.Generator):
        super().__init__()
        self.V_in, self.V_out = V_in, V_out
        self.enc = self._weights("enc", init_rnn_params(V_in, H, rng))
        self.dec = self._weights("dec", init_rnn_params(V_out + 1, H, rng))  # + the start symbol
        self.out = self._weights("out", _affine_params(H, V_out, rng))
        self._cache = None

    def encode(self, src) -> np.ndarray:
        """The context vector :math:`c = h_T` (N, H) of the ids ``src`` (N, T)."""
        _, c, self._enc_cache = rnn_forward(one_hot(src, self.V_in), None, **self.enc)
        return c

    def _decoder_inputs(self, tgt) -> np.ndarray:
        """Ids (N, T') the decoder reads under teacher forcing: start, y_1, ..., y_{T'-1}."""
        tgt = np.asarray(tgt)
        start = np.full((tgt.shape[0], 1), self.V_out)
        return np.concatenate([start, tgt[:, :-1]], axis=1)

    def predict(self, src, tgt) -> np.ndarray:
        """Scores (N, T', V_out) of every output step under teacher forcing."""
        c = self.encode(src)  # (N, H)
        ins = one_hot(self._decoder_inputs(tgt), self.V_out + 1)  # (N, T', V_out + 1)
        ss, _, dec_cache = rnn_forward(ins, c, **self.dec)  # (N, T', H)
        scores, out_cache = time_affine_forward(ss, self.out["W"], self.out["b"])
        self._cache = (self._enc_cache, dec_cache, out_cache)
        return scores

    def forward(self, src, tgt) -> float:
        """Mean cross-entropy of the target ids ``tgt`` (N, T') given ``src`` (N, T)."""
        loss, self._loss_cache = softmax_cross_entropy_forward(self.predict(src, tgt), tgt,
                                                               IGNORE)
        return loss

    def backward(self) -> None:
        """Fill ``grads``: the decoder's ``dh0`` is the encoder's ``dh_last``."""
        enc_cache, dec_cache, out_cache = self._cache
        g = time_affine_backward(softmax_cross_entropy_backward(1.0, self._loss_cache),
                                 out_cache)
        self._store("out", {"W": g.dW, "b": g.db})
        gd = rnn_backward(g.dxs, dec_cache)
        self._store("dec", {"W_xh": gd.dW_xh, "W_hh": gd.dW_hh, "b_h": gd.db_h})
        ge = rnn_backward(None, enc_cache, dh_last=gd.dh0)  # the context vector's gradient
        self._store("enc", {"W_xh": ge.dW_xh, "W_hh": ge.dW_hh, "b_h": ge.db_h})

    def generate(self, src, length: int) -> np.ndarray:
        """Greedy decoding: ``length`` ids (N, length), each step reading the previous choice."""
        s = self.encode(src)  # (N, H)
        prev = np.full(len(s), self.V_out)  # the start symbol
        out = []
        for _ in range(length):
            _, s, _ = rnn_forward(one_hot(prev[:, None], self.V_out + 1), s, **self.dec)
            scores = s @ self.out["W"] + self.out["b"]  # (N, V_out)
            prev = scores.argmax(axis=1)
            out.append(prev)
        return np.stack(out, axis=1)  # (N, length)
