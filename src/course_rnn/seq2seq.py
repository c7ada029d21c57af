r"""The encoder-decoder of chapter 9 (the unaligned case of source document 000), in numpy.

An encoder GRU reads the input :math:`x_{1:T}` and its state after the last real symbol is the
context vector; a decoder GRU starts from it and writes :math:`y_{1:T'}` one symbol at a time:

.. math::

    c = f_e(x_{1:T}) = h_T, \qquad h_t = \mathrm{GRU}_e(h_{t-1}, E_e[x_t]), \quad h_0 = 0, \\
    s_0 = c, \qquad s_t = \mathrm{GRU}_d(s_{t-1}, E_d[y_{t-1}]), \qquad
    p(y_t \mid y_{<t}, c) = \mathrm{softmax}(s_t W_{sy} + b_y)_{y_t}, \\
    p(y_{1:T'} \mid x_{1:T}) = \prod_{t=1}^{T'} p(y_t \mid y_{<t}, c)

with :math:`y_0` the start symbol. With ``peeky=True`` the decoder also reads :math:`c` at
every step, :math:`s_t = \mathrm{GRU}_d(s_{t-1}, [E_d[y_{t-1}] \,\|\, c])` and
:math:`p(y_t \mid \cdot) = \mathrm{softmax}([s_t \,\|\, c] W_{sy} + b_y)`, as in the RNN
encoder-decoder of Cho et al. (2014) (the "peeky" decoder of Saito, *Deep Learning from
Scratch 2*, ch. 7).

Inputs are right-padded with id ``pad``; :math:`h_T` is read at each row's last real symbol,
so the padding never reaches :math:`c` (torch: ``pack_padded_sequence``). Training reads the
true previous symbol (teacher forcing, ``decoder_inputs``); ``greedy_decode`` reads the
model's own previous choice. The pieces are ``course_rnn.layers`` (embedding, time affine,
softmax cross-entropy) and ``course_rnn.gru``. Taught in chapter 9 (encoder-decoder).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_rnn.gru import gru_backward, gru_forward, gru_step_forward, init_gru_params
from course_rnn.layers import (
    embedding_backward,
    embedding_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    time_affine_backward,
    time_affine_forward,
)
from course_rnn.models import Model, Weights

GRU_NAMES = ("W_x", "W_h", "b_x", "b_h")


def decoder_inputs(tgt, start: int) -> np.ndarray:
    r"""The ids the decoder reads under teacher forcing: the targets shifted right by one,

    .. math::

        (y_0, y_1, \dots, y_{T'-1}) \quad \text{for the targets} \quad (y_1, \dots, y_{T'}),
        \qquad y_0 = \text{start}

    ``tgt`` (N, T') ids -> (N, T') ids. torch: ``torch.cat([start_col, tgt[:, :-1]], 1)``.
    Taught in chapter 9.
    """
    tgt = np.asarray(tgt)
    return np.concatenate([np.full((tgt.shape[0], 1), start, dtype=tgt.dtype), tgt[:, :-1]], 1)


class EncoderCache(NamedTuple):
    emb: object  # EmbeddingCache
    gru: object  # GRUCache
    last: np.ndarray  # (N,) index of each row's last real symbol
    H: int


def encoder_forward(src, embed, W_x, W_h, b_x, b_h, pad: int = 0):
    r"""The encoder: embed the ids, run a GRU, read the state at each row's last real symbol.

    .. math::

        h_t = \mathrm{GRU}(h_{t-1}, E[x_t]), \quad h_0 = 0, \qquad c = h_{T_n}, \quad
        T_n = \#\{t : x_{n,t} \ne \text{pad}\}

    Parameters
    ----------
    src : int ndarray, shape (N, T)
        Input ids, right-padded with ``pad``; every row holds at least one real symbol.
    embed : ndarray, shape (V, E)
    W_x, W_h, b_x, b_h : GRU parameters (E, 3H), (H, 3H), (3H,), (3H,)

    Returns
    -------
    c : ndarray, shape (N, H)
        The context vector.
    cache : EncoderCache

    Notes
    -----
    torch: ``nn.Embedding`` then ``nn.GRU(E, H, batch_first=True)`` on
    ``pack_padded_sequence(..., lengths)``; ``c = h_n[0]``. Taught in chapter 9.
    """
    src = np.asarray(src)
    if src.ndim != 2:
        raise ValueError(f"src must be ids of shape (N, T), got shape {src.shape}")
    lengths = (src != pad).sum(axis=1)
    if (lengths == 0).any():
        raise ValueError(f"row {int(np.argmin(lengths))} of src holds only padding")
    xs, emb_cache = embedding_forward(src, embed)  # (N, T, E)
    hs, _, gru_cache = gru_forward(xs, None, W_x, W_h, b_x, b_h)  # (N, T, H)
    last = lengths - 1
    c = hs[np.arange(len(src)), last]  # (N, H)
    return c, EncoderCache(emb_cache, gru_cache, last, W_h.shape[0])


def encoder_backward(dc, cache: EncoderCache) -> dict:
    r"""Gradients of the encoder's parameters from the context vector's gradient.

    .. math::

        \frac{\partial L}{\partial h_t} = [t = T_n]\,\frac{\partial L}{\partial c}
        \ \text{(then BPTT through the GRU)}, \qquad
        \frac{\partial L}{\partial E_v} = \sum_{(n,t):\,x_{n,t} = v}
        \frac{\partial L}{\partial e_{n,t}}

    ``dc`` (N, H) -> dict ``embed`` (V, E), ``W_x`` (E, 3H), ``W_h`` (H, 3H), ``b_x``,
    ``b_h`` (3H,). torch: autograd through the encoder. Taught in chapter 9.
    """
    N = len(cache.last)
    T = cache.gru.xs_tm.shape[0]
    dhs = np.zeros((N, T, cache.H), dtype=cache.gru.hs_tm.dtype)  # (N, T, H)
    dhs[np.arange(N), cache.last] = dc  # only h_{T_n} feeds the decoder
    g = gru_backward(dhs, cache.gru)
    grads = {name: getattr(g, "d" + name) for name in GRU_NAMES}
    grads["embed"] = embedding_backward(g.dxs, cache.emb)
    return grads


class DecoderCache(NamedTuple):
    emb: object  # EmbeddingCache
    gru: object  # GRUCache
    out: object  # AffineCache
    E: int
    H: int
    peeky: bool


def decoder_forward(dec_in, c, embed, W_x, W_h, b_x, b_h, W_out, b_out, peeky: bool = False):
    r"""The decoder over given input ids (teacher forcing when they are the shifted targets).

    .. math::

        s_0 = c, \quad s_t = \mathrm{GRU}(s_{t-1}, u_t), \quad o_t = v_t W_{sy} + b_y, \\
        (u_t, v_t) = (E[y_{t-1}], s_t) \ \text{or, peeky,} \
        ([E[y_{t-1}] \,\|\, c], [s_t \,\|\, c])

    Parameters
    ----------
    dec_in : int ndarray, shape (N, T')
        The ids read at steps 1..T' (``decoder_inputs(tgt, start)`` for teacher forcing).
    c : ndarray, shape (N, H)
    embed : ndarray, shape (V, E)
    W_x, W_h, b_x, b_h : GRU parameters (E or E + H, 3H), (H, 3H), (3H,), (3H,)
    W_out : ndarray, shape (H or 2H, V); b_out : ndarray, shape (V,)

    Returns
    -------
    scores : ndarray, shape (N, T', V)
    cache : DecoderCache

    Notes
    -----
    torch: ``nn.Embedding``, ``nn.GRU(batch_first=True)`` called with ``h_0 = c[None]``
    (peeky: ``torch.cat([emb, c[:, None].expand(-1, T', -1)], -1)``), ``nn.Linear``.
    Taught in chapter 9.
    """
    us, emb_cache = embedding_forward(dec_in, embed)  # (N, T', E)
    E, (N, T) = us.shape[-1], us.shape[:2]
    cs = np.broadcast_to(c[:, None, :], (N, T, c.shape[1]))  # (N, T', H)
    if peeky:
        us = np.concatenate([us, cs], axis=2)  # (N, T', E + H)
    ss, _, gru_cache = gru_forward(us, c, W_x, W_h, b_x, b_h)  # (N, T', H)
    vs = np.concatenate([ss, cs], axis=2) if peeky else ss  # (N, T', H or 2H)
    scores, out_cache = time_affine_forward(vs, W_out, b_out)  # (N, T', V)
    return scores, DecoderCache(emb_cache, gru_cache, out_cache, E, c.shape[1], peeky)


def decoder_backward(dscores, cache: DecoderCache):
    r"""Gradients of the decoder; the context vector's gradient sums every path to :math:`c`.

    .. math::

        \frac{\partial L}{\partial c} = \frac{\partial L}{\partial s_0}
        + [\text{peeky}] \sum_{t=1}^{T'} \Bigl(\frac{\partial L}{\partial u_t}\Big|_c
        + \frac{\partial L}{\partial v_t}\Big|_c\Bigr)

    ``dscores`` (N, T', V) -> ``(dc (N, H), grads)`` with ``grads`` a dict ``embed``,
    ``W_x``, ``W_h``, ``b_x``, ``b_h``, ``W_out``, ``b_out``. torch: autograd through the
    decoder. Taught in chapter 9.
    """
    E, H = cache.E, cache.H
    g_out = time_affine_backward(dscores, cache.out)  # dvs (N, T', H or 2H)
    dss = g_out.dxs[..., :H]
    g = gru_backward(dss, cache.gru)  # dxs (N, T', E or E + H)
    dc = g.dh0
    if cache.peeky:
        dc = dc + g_out.dxs[..., H:].sum(axis=1) + g.dxs[..., E:].sum(axis=1)
    grads = {name: getattr(g, "d" + name) for name in GRU_NAMES}
    grads["embed"] = embedding_backward(g.dxs[..., :E], cache.emb)
    grads["W_out"], grads["b_out"] = g_out.dW, g_out.db
    return dc, grads


def init_seq2seq_params(V_src: int, V_tgt: int, E: int, H: int, rng: np.random.Generator,
                        peeky: bool = False, dtype=np.float64) -> dict:
    r"""Parameters as torch initialises them, flat names ``enc.*``, ``dec.*``:

    .. math::

        E_e, E_d \sim \mathcal{N}(0, 1), \qquad \mathrm{GRU} \sim U(\pm 1/\sqrt{H}), \qquad
        W_{sy}, b_y \sim U(\pm 1/\sqrt{\mathrm{fan\_in}})

    ``enc.embed`` (V_src, E), ``enc.W_x`` (E, 3H), ..., ``dec.embed`` (V_tgt, E),
    ``dec.W_x`` (E or E + H, 3H), ..., ``dec.W_out`` (H or 2H, V_tgt), ``dec.b_out``.
    torch: ``nn.Embedding``, ``nn.GRU``, ``nn.Linear`` defaults. Taught in chapter 9.
    """
    fan = 2 * H if peeky else H
    k = 1.0 / np.sqrt(fan)
    p = {"enc.embed": rng.standard_normal((V_src, E))}
    p.update({f"enc.{n}": v for n, v in init_gru_params(E, H, rng).items()})
    p["dec.embed"] = rng.standard_normal((V_tgt, E))
    p.update({f"dec.{n}": v for n, v in init_gru_params(E + H * peeky, H, rng).items()})
    p["dec.W_out"] = rng.uniform(-k, k, (fan, V_tgt))
    p["dec.b_out"] = rng.uniform(-k, k, V_tgt)
    return {name: v.astype(dtype) for name, v in p.items()}


class Seq2Seq(Model):
    r"""Encoder-decoder, a ``course_rnn.models.Model`` with two parts, ``enc`` and ``dec``.

    .. math::

        L = -\frac{1}{N T'} \sum_{n, t} \log p(y_{n,t} \mid y_{n,<t}, c_n), \qquad
        c_n = f_e(x_{n,1:T})

    ``forward(src (N, T), tgt (N, T')) -> loss`` under teacher forcing (or, with
    ``feed_prob`` = q > 0, scheduled sampling: each step reads the model's own previous
    choice with probability q, drawn with ``rng``; q = 1 is free running),
    ``backward()`` fills ``grads``; ``generate(src, steps)`` decodes greedily.
    ``params``/``grads`` as ``init_seq2seq_params``; ``load_params`` restores a saved copy.
    Stateless (``reset_state`` does nothing). torch: a module holding the two ``nn.GRU``,
    trained with ``F.cross_entropy``. Taught in chapter 9.
    """

    def __init__(self, V_src: int, V_tgt: int, E: int, H: int, rng: np.random.Generator, *,
                 start: int, pad: int = 0, peeky: bool = False, dtype=np.float32):
        super().__init__()
        params = init_seq2seq_params(V_src, V_tgt, E, H, rng, peeky, dtype)
        for prefix in ("enc", "dec"):
            self.add(prefix, Weights({name[4:]: v for name, v in params.items()
                                      if name.startswith(prefix + ".")}))
        self.start, self.pad, self.peeky, self.rng = start, pad, peeky, rng
        self.feed_prob = 0.0
        self._cache = None

    def encode(self, src, through_padding: bool = False) -> np.ndarray:
        """The context vectors (N, H) of ``src`` (N, T); ``through_padding=True`` reads
        :math:`h_T` after the padding instead (what an unmasked encoder would do)."""
        pad = -1 if through_padding else self.pad  # -1: no id is padding
        return encoder_forward(src, **self.parts["enc"].params, pad=pad)[0]

    def scores(self, src, dec_in) -> np.ndarray:
        """Scores (N, T', V) of every step when the decoder reads the ids ``dec_in``."""
        c, enc_cache = encoder_forward(src, **self.parts["enc"].params, pad=self.pad)
        scores, dec_cache = decoder_forward(dec_in, c, **self.parts["dec"].params,
                                            peeky=self.peeky)
        self._cache = (enc_cache, dec_cache)
        return scores

    def predict(self, src, tgt) -> np.ndarray:
        """Scores (N, T', V) of every step under teacher forcing of the targets ``tgt``."""
        return self.scores(src, decoder_inputs(tgt, self.start))

    def forward(self, src, tgt) -> float:
        """Mean cross-entropy of the targets ``tgt`` (N, T') given ``src`` (N, T)."""
        dec_in = decoder_inputs(tgt, self.start)
        if self.feed_prob > 0:
            dec_in = self.generate(src, tgt.shape[1], teacher=tgt, feed_prob=self.feed_prob,
                                   return_inputs=True)
        loss, self._loss_cache = softmax_cross_entropy_forward(self.scores(src, dec_in), tgt)
        return loss

    def backward(self) -> None:
        """Fill ``grads`` from the last ``forward``: decoder, then encoder from ``dc``."""
        enc_cache, dec_cache = self._cache
        dc, g_dec = decoder_backward(softmax_cross_entropy_backward(1.0, self._loss_cache),
                                     dec_cache)
        self.parts["enc"].store(encoder_backward(dc, enc_cache))
        self.parts["dec"].store(g_dec)

    def generate(self, src, steps: int, *, teacher=None, feed_prob: float = 1.0,
                 return_inputs: bool = False, context=None) -> np.ndarray:
        r"""Greedy decoding, :math:`\hat y_t = \arg\max_v p(v \mid \hat y_{<t}, c)`, for
        ``steps`` steps: ids (N, steps). With ``teacher`` (N, steps), each step reads the
        model's choice with probability ``feed_prob`` and the true symbol otherwise;
        ``return_inputs=True`` returns the ids read (the decoder's inputs) instead.
        ``context`` (N, H) replaces ``encode(src)``."""
        p = self.parts["dec"].params
        c = self.encode(src) if context is None else context  # (N, H)
        s, prev = c, np.full(len(c), self.start)
        read, out = [], []
        for t in range(steps):
            read.append(prev)
            u = p["embed"][prev]  # (N, E)
            if self.peeky:
                u = np.concatenate([u, c], axis=1)  # (N, E + H)
            s, _ = gru_step_forward(u, s, p["W_x"], p["W_h"], p["b_x"], p["b_h"])  # (N, H)
            v = np.concatenate([s, c], axis=1) if self.peeky else s
            choice = (v @ p["W_out"] + p["b_out"]).argmax(axis=1)  # (N,)
            out.append(choice)
            prev = choice
            if teacher is not None:
                own = self.rng.random(len(c)) < feed_prob
                prev = np.where(own, choice, np.asarray(teacher)[:, t])
        return np.stack(read if return_inputs else out, axis=1)


def exact_match(pred, tgt) -> float:
    r"""Share of the rows predicted entirely right, :math:`\frac{1}{N}\sum_n
    [\hat y_{n,1:T'} = y_{n,1:T'}]`. ``pred``, ``tgt`` (N, T') ids. torch:
    ``(pred == tgt).all(1).float().mean()``. Taught in chapter 9."""
    pred, tgt = np.asarray(pred), np.asarray(tgt)
    if pred.shape != tgt.shape:
        raise ValueError(f"pred has shape {pred.shape} but tgt has shape {tgt.shape}")
    return float(np.mean((pred == tgt).all(axis=1)))
