r"""Attention over the encoder's states (chapter 10), in numpy, forward and backward.

The encoder-decoder of chapter 9 hands the decoder one vector :math:`c`. With attention the
decoder reads, at every output step :math:`t`, a weighted average of *all* the encoder's
states :math:`h_1, \dots, h_T`:

.. math::

    e_{t,j} = \mathrm{score}(s_t, h_j), \qquad
    \alpha_{t,j} = \frac{m_j \exp e_{t,j}}{\sum_k m_k \exp e_{t,k}}, \qquad
    c_t = \sum_{j=1}^{T} \alpha_{t,j}\, h_j

with :math:`m_j \in \{0, 1\}` the mask of real (not padding) input symbols. Three scores:

.. math::

    \text{dot: } e = s \cdot h, \qquad
    \text{general: } e = (s W_a) \cdot h, \qquad
    \text{additive: } e = \tanh(s W_q + h W_k) \cdot v

(Luong et al., 2015, for the first two; Bahdanau et al., 2015, for the additive one).
The functions work on many queries at once, ``queries`` (N, T', H) against ``keys`` (N, T, H),
so a whole teacher-forced output sequence is one call; a single decoder step is T' = 1.

``AttentionSeq2Seq`` puts this after the decoder's GRU step (Luong's placement):

.. math::

    s_0 = h_{T_n}, \quad s_t = \mathrm{GRU}_d(s_{t-1}, E_d[y_{t-1}]), \quad
    o_t = [s_t \,\|\, c_t]\, W_{\text{out}} + b_{\text{out}} .

Taught in chapter 10 (attention).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_rnn.decoding import beam_search
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
from course_rnn.seq2seq import GRU_NAMES, decoder_inputs

#: the score functions and the names (and shapes) of their parameters
SCORES = {"dot": (), "general": ("W_a",), "additive": ("W_q", "W_k", "v")}


def _check_kind(kind: str) -> None:
    if kind not in SCORES:
        raise ValueError(f"score must be one of {tuple(SCORES)}, got {kind!r}")


def init_attention_params(kind: str, H: int, rng: np.random.Generator, A: int | None = None,
                          dtype=np.float64) -> dict:
    r"""Parameters of a score function, drawn as torch's ``nn.Linear`` draws its weights:

    .. math::

        W_a \sim U(\pm 1/\sqrt{H}) \ (H, H), \qquad
        W_q, W_k \sim U(\pm 1/\sqrt{H}) \ (H, A), \qquad v \sim U(\pm 1/\sqrt{A}) \ (A,)

    ``dot`` has none. ``A`` (the additive score's hidden size) defaults to ``H``.
    torch: ``nn.Linear(H, H, bias=False)`` / ``nn.Linear(H, A, bias=False)``. Taught in
    chapter 10.
    """
    _check_kind(kind)
    A = H if A is None else A
    k, kv = 1 / np.sqrt(H), 1 / np.sqrt(A)
    p = {}
    if kind == "general":
        p["W_a"] = rng.uniform(-k, k, (H, H))
    elif kind == "additive":
        p["W_q"] = rng.uniform(-k, k, (H, A))
        p["W_k"] = rng.uniform(-k, k, (H, A))
        p["v"] = rng.uniform(-kv, kv, A)
    return {name: v.astype(dtype) for name, v in p.items()}


class ScoreCache(NamedTuple):
    kind: str
    queries: np.ndarray  # (N, T', H)
    keys: np.ndarray  # (N, T, H)
    params: dict
    inner: tuple  # what the score's backward needs


def score_forward(queries, keys, params: dict, kind: str):
    r"""The scores :math:`e_{t,j} = \mathrm{score}(s_t, h_j)` of every query against every key.

    .. math::

        \text{dot: } E = Q K^\top, \qquad \text{general: } E = (Q W_a) K^\top, \qquad
        \text{additive: } E_{t,j} = \tanh(q_t W_q + k_j W_k) \cdot v

    ``queries`` (N, T', H), ``keys`` (N, T, H), ``params`` as ``init_attention_params``
    -> scores (N, T', T), cache. The additive score builds an (N, T', T, A) array: its cost
    grows with the product of the two lengths. torch: ``q @ k.transpose(1, 2)`` (dot,
    general) or ``torch.tanh(q[:, :, None] @ W_q + k[:, None] @ W_k) @ v``. Taught in
    chapter 10.
    """
    _check_kind(kind)
    queries, keys = np.asarray(queries), np.asarray(keys)
    if queries.ndim != 3 or keys.ndim != 3 or queries.shape[0] != keys.shape[0]:
        raise ValueError(f"queries must be (N, T', H) and keys (N, T, H), got {queries.shape} "
                         f"and {keys.shape}")
    missing = [n for n in SCORES[kind] if n not in params]
    if missing:
        raise ValueError(f"the {kind} score needs parameters {SCORES[kind]}, missing {missing}")
    if kind == "dot":
        if queries.shape[2] != keys.shape[2]:
            raise ValueError(f"the dot score needs queries and keys of the same size, got "
                             f"{queries.shape[2]} and {keys.shape[2]}")
        return queries @ keys.swapaxes(1, 2), ScoreCache(kind, queries, keys, params, ())
    if kind == "general":
        qa = queries @ params["W_a"]  # (N, T', H)
        return qa @ keys.swapaxes(1, 2), ScoreCache(kind, queries, keys, params, (qa,))
    W_q, W_k, v = params["W_q"], params["W_k"], params["v"]
    z = (queries @ W_q)[:, :, None, :] + (keys @ W_k)[:, None, :, :]  # (N, T', T, A)
    a = np.tanh(z)
    return a @ v, ScoreCache(kind, queries, keys, params, (a,))


def score_backward(dscores, cache: ScoreCache):
    r"""Gradients of the scores' inputs and parameters from ``dscores`` (N, T', T).

    .. math::

        \text{dot: } \delta Q = \delta E\, K, \ \ \delta K = \delta E^\top Q; \qquad
        \text{general: } \delta Q = \delta E\, K W_a^\top, \ \ \delta K = \delta E^\top Q W_a,
        \ \ \delta W_a = \textstyle\sum_n Q_n^\top \delta E_n K_n; \\
        \text{additive: } \delta z_{t,j} = \delta e_{t,j}\, v \odot (1 - a_{t,j}^2), \ \
        \delta q_t = \textstyle\sum_j \delta z_{t,j} W_q^\top, \ \
        \delta k_j = \textstyle\sum_t \delta z_{t,j} W_k^\top, \ \
        \delta v = \textstyle\sum_{t,j} \delta e_{t,j}\, a_{t,j}

    Returns ``(dqueries (N, T', H), dkeys (N, T, H), dparams)``, ``dparams`` a dict with
    the parameters' names. torch: autograd. Taught in chapter 10.
    """
    q, k, p = cache.queries, cache.keys, cache.params
    if cache.kind == "dot":
        return dscores @ k, dscores.swapaxes(1, 2) @ q, {}
    if cache.kind == "general":
        (qa,) = cache.inner
        dqa = dscores @ k  # (N, T', H)
        dW_a = np.einsum("nth,ntg->hg", q, dqa)
        return dqa @ p["W_a"].T, dscores.swapaxes(1, 2) @ qa, {"W_a": dW_a}
    (a,) = cache.inner
    dv = np.einsum("ntja,ntj->a", a, dscores)
    dz = dscores[..., None] * p["v"] * (1 - a * a)  # (N, T', T, A)
    dzq, dzk = dz.sum(axis=2), dz.sum(axis=1)  # (N, T', A), (N, T, A)
    grads = {"W_q": np.einsum("nth,nta->ha", q, dzq), "W_k": np.einsum("njh,nja->ha", k, dzk),
             "v": dv}
    return dzq @ p["W_q"].T, dzk @ p["W_k"].T, grads


def masked_softmax(scores, mask) -> np.ndarray:
    r"""Softmax over the last axis with masked positions left out:

    .. math::

        \alpha_{t,j} = \frac{m_j \exp(e_{t,j} - \max_k e_{t,k})}
        {\sum_k m_k \exp(e_{t,k} - \max_k e_{t,k})}

    (the max over real positions, so no overflow). ``scores`` (N, T', T), ``mask`` (N, T)
    bool, True at real symbols -> weights (N, T', T), exactly 0 at masked positions, rows
    summing to 1. A row with no real position is an error. torch:
    ``scores.masked_fill(~mask[:, None], -inf).softmax(-1)``. Taught in chapter 10.
    """
    scores = np.asarray(scores)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (scores.shape[0], scores.shape[-1]):
        raise ValueError(f"mask must have shape (N, T) = {(scores.shape[0], scores.shape[-1])}, "
                         f"got {mask.shape}")
    if not mask.any(axis=1).all():
        raise ValueError(f"row {int(np.argmin(mask.any(axis=1)))} of mask has no real position")
    m = mask[:, None, :]
    shifted = np.where(m, scores, -np.inf)
    shifted = shifted - shifted.max(axis=-1, keepdims=True)
    w = np.exp(shifted)  # exp(-inf) = 0 at masked positions
    return w / w.sum(axis=-1, keepdims=True)


class AttentionCache(NamedTuple):
    score: ScoreCache
    weights: np.ndarray  # (N, T', T)
    values: np.ndarray  # (N, T, H)
    single: bool  # queries were (N, H)


def attention_forward(queries, keys, mask, params: dict | None = None, kind: str = "dot",
                      values=None):
    r"""Attention of ``queries`` over ``keys``: scores, masked softmax, weighted average.

    .. math::

        e_{t,j} = \mathrm{score}(q_t, k_j), \qquad
        \alpha_{t,\cdot} = \mathrm{softmax}_{m}(e_{t,\cdot}), \qquad
        c_t = \sum_j \alpha_{t,j} v_j

    Parameters
    ----------
    queries : ndarray, shape (N, T', H) or (N, H)
        Decoder states; (N, H) is one step.
    keys : ndarray, shape (N, T, H)
        Encoder states :math:`h_j`.
    mask : bool ndarray, shape (N, T)
        True at real input symbols.
    params : dict
        Score parameters (``init_attention_params``); none for ``dot``.
    kind : {"dot", "general", "additive"}
    values : ndarray, shape (N, T, H_v), optional
        What is averaged (default: the keys, as in the encoder-decoder).

    Returns
    -------
    context : ndarray, shape (N, T', H_v) or (N, H_v)
    weights : ndarray, shape (N, T', T) or (N, T)
    cache : AttentionCache

    Notes
    -----
    torch: ``w = score.masked_fill(~mask[:, None], float("-inf")).softmax(-1)``,
    ``context = w @ values``. Taught in chapter 10.
    """
    queries = np.asarray(queries)
    single = queries.ndim == 2
    if single:
        queries = queries[:, None, :]
    keys = np.asarray(keys)
    values = keys if values is None else np.asarray(values)
    if values.shape[:2] != keys.shape[:2]:
        raise ValueError(f"values must have shape (N, T, H_v) with (N, T) = {keys.shape[:2]}, "
                         f"got {values.shape}")
    scores, score_cache = score_forward(queries, keys, params or {}, kind)
    weights = masked_softmax(scores, mask)  # (N, T', T)
    context = weights @ values  # (N, T', H_v)
    cache = AttentionCache(score_cache, weights, values, single)
    if single:
        return context[:, 0], weights[:, 0], cache
    return context, weights, cache


def attention_backward(dcontext, cache: AttentionCache, dweights=None):
    r"""Backward pass of ``attention_forward``.

    .. math::

        \delta\alpha_{t,j} = \delta c_t \cdot v_j, \qquad
        \delta e_{t,j} = \alpha_{t,j}\Bigl(\delta\alpha_{t,j} - \sum_k \alpha_{t,k}\,
        \delta\alpha_{t,k}\Bigr), \qquad
        \delta v_j = \sum_t \alpha_{t,j}\, \delta c_t

    then ``score_backward``; masked positions (:math:`\alpha = 0`) get no gradient.
    ``dcontext`` of the context's shape; ``dweights`` (optional) an upstream gradient of the
    weights. Returns ``(dqueries, dkeys, dparams)``, plus ``dvalues`` as a fourth item when
    ``values`` were given apart from the keys; with the default values = keys, ``dkeys``
    holds both paths. torch: autograd. Taught in chapter 10.
    """
    w, values = cache.weights, cache.values
    dcontext = np.asarray(dcontext)
    if cache.single:
        dcontext = dcontext[:, None, :]
        if dweights is not None:
            dweights = np.asarray(dweights)[:, None, :]
    dw = dcontext @ values.swapaxes(1, 2)  # (N, T', T)
    if dweights is not None:
        dw = dw + dweights
    dvalues = w.swapaxes(1, 2) @ dcontext  # (N, T, H_v)
    dscores = w * (dw - (w * dw).sum(axis=-1, keepdims=True))
    dq, dk, dparams = score_backward(dscores, cache.score)
    if cache.single:
        dq = dq[:, 0]
    if values is cache.score.keys:
        return dq, dk + dvalues, dparams
    return dq, dk, dparams, dvalues


class AttnEncoderCache(NamedTuple):
    emb: object  # EmbeddingCache
    gru: object  # GRUCache
    last: np.ndarray  # (N,)
    mask: np.ndarray  # (N, T)


def encode_states(src, embed, W_x, W_h, b_x, b_h, pad: int = 0):
    r"""Every encoder state, the mask and the decoder's first state.

    .. math::

        h_j = \mathrm{GRU}(h_{j-1}, E[x_j]), \qquad m_j = [x_j \ne \text{pad}], \qquad
        s_0 = h_{T_n}

    ``src`` (N, T) ids right-padded with ``pad`` -> ``hs`` (N, T, H), ``mask`` (N, T),
    ``s0`` (N, H), cache. States at padded positions exist (the GRU ran over the padding)
    but the mask keeps them out of every average, so the result equals a packed run.
    torch: ``pack_padded_sequence``, ``nn.GRU``, ``pad_packed_sequence``. Taught in
    chapter 10.
    """
    src = np.asarray(src)
    if src.ndim != 2:
        raise ValueError(f"src must be ids of shape (N, T), got shape {src.shape}")
    mask = src != pad
    lengths = mask.sum(axis=1)
    if (lengths == 0).any():
        raise ValueError(f"row {int(np.argmin(lengths))} of src holds only padding")
    if not (np.diff(mask.astype(int), axis=1) <= 0).all():
        raise ValueError("src must be right-padded: padding only after the last real symbol")
    xs, emb_cache = embedding_forward(src, embed)
    hs, _, gru_cache = gru_forward(xs, None, W_x, W_h, b_x, b_h)  # (N, T, H)
    last = lengths - 1
    s0 = hs[np.arange(len(src)), last]
    return hs, mask, s0, AttnEncoderCache(emb_cache, gru_cache, last, mask)


def encode_states_backward(dhs, ds0, cache: AttnEncoderCache) -> dict:
    r"""Encoder gradients from the gradients of every state and of :math:`s_0 = h_{T_n}`:
    :math:`\partial L/\partial h_j \mathrel{+}= [j = T_n]\, \partial L/\partial s_0`, then BPTT.
    ``dhs`` (N, T, H), ``ds0`` (N, H) -> a dict ``embed``, ``W_x``, ``W_h``, ``b_x``, ``b_h``.
    torch: autograd through the packed GRU. Taught in chapter 10."""
    dhs = np.array(dhs, copy=True)
    dhs[np.arange(len(cache.last)), cache.last] += ds0
    g = gru_backward(dhs, cache.gru)
    grads = {name: getattr(g, "d" + name) for name in GRU_NAMES}
    grads["embed"] = embedding_backward(g.dxs, cache.emb)
    return grads


def init_attention_seq2seq_params(V_src: int, V_tgt: int, E: int, H: int,
                                  rng: np.random.Generator, score: str = "general",
                                  A: int | None = None, dtype=np.float64) -> dict:
    r"""Flat parameters ``enc.*``, ``dec.*``, ``att.*`` as torch initialises them:
    embeddings :math:`\mathcal{N}(0, 1)`, GRUs :math:`U(\pm 1/\sqrt{H})`, the output layer
    (2H, V_tgt) :math:`U(\pm 1/\sqrt{2H})`, the score as ``init_attention_params``.
    Taught in chapter 10."""
    k = 1.0 / np.sqrt(2 * H)
    p = {"enc.embed": rng.standard_normal((V_src, E))}
    p.update({f"enc.{n}": v for n, v in init_gru_params(E, H, rng).items()})
    p["dec.embed"] = rng.standard_normal((V_tgt, E))
    p.update({f"dec.{n}": v for n, v in init_gru_params(E, H, rng).items()})
    p["dec.W_out"] = rng.uniform(-k, k, (2 * H, V_tgt))
    p["dec.b_out"] = rng.uniform(-k, k, V_tgt)
    p.update({f"att.{n}": v for n, v in init_attention_params(score, H, rng, A).items()})
    return {name: v.astype(dtype) for name, v in p.items()}


class AttentionSeq2Seq(Model):
    r"""Encoder-decoder with attention, a ``course_rnn.models.Model`` with parts ``enc``,
    ``dec`` and ``att`` (``att`` empty for the dot score).

    .. math::

        s_t = \mathrm{GRU}_d(s_{t-1}, E_d[y_{t-1}]), \quad
        c_t = \sum_j \alpha_{t,j} h_j, \quad
        p(y_t \mid y_{<t}, x) = \mathrm{softmax}([s_t \,\|\, c_t] W_{\text{out}} + b_{\text{out}})

    ``forward(src, tgt)`` -> mean cross-entropy under teacher forcing, over the target
    positions that are not ``ignore`` (targets padded after their end symbol: masked loss);
    ``backward()`` fills ``grads``; ``generate(src, steps)`` decodes greedily and keeps the
    weights in ``last_weights`` (N, steps, T); ``beam_search(src_row, ...)`` decodes one input
    with a beam. torch: ``course_rnn.torch_ref.attention.TorchAttentionSeq2Seq``. Taught in
    chapter 10.
    """

    def __init__(self, V_src: int, V_tgt: int, E: int, H: int, rng: np.random.Generator, *,
                 start: int, pad: int = 0, score: str = "general", A: int | None = None,
                 ignore: int = -100, dtype=np.float32):
        super().__init__()
        params = init_attention_seq2seq_params(V_src, V_tgt, E, H, rng, score, A, dtype)
        for prefix in ("enc", "dec", "att"):
            self.add(prefix, Weights({name[4:]: v for name, v in params.items()
                                      if name.startswith(prefix + ".")}))
        self.start, self.pad, self.score, self.ignore = start, pad, score, ignore
        self.last_weights = None
        self._cache = None

    def encode(self, src):
        """``hs`` (N, T, H), ``mask`` (N, T), ``s0`` (N, H) of the inputs ``src`` (N, T)."""
        return encode_states(src, **self.parts["enc"].params, pad=self.pad)[:3]

    def scores(self, src, dec_in) -> np.ndarray:
        """Scores (N, T', V) when the decoder reads ``dec_in``; the weights go to
        ``last_weights`` (N, T', T)."""
        p, att = self.parts["dec"].params, self.parts["att"].params
        hs, mask, s0, enc_cache = encode_states(src, **self.parts["enc"].params, pad=self.pad)
        us, emb_cache = embedding_forward(dec_in, p["embed"])
        ss, _, gru_cache = gru_forward(us, s0, p["W_x"], p["W_h"], p["b_x"], p["b_h"])
        ctx, weights, att_cache = attention_forward(ss, hs, mask, att, self.score)
        out, out_cache = time_affine_forward(np.concatenate([ss, ctx], axis=2), p["W_out"],
                                             p["b_out"])
        self.last_weights = weights
        self._cache = (enc_cache, emb_cache, gru_cache, att_cache, out_cache, ss.shape[2])
        return out

    def predict(self, src, tgt) -> np.ndarray:
        """Scores (N, T', V) under teacher forcing of ``tgt`` (ignored ids read as ``pad``)."""
        return self.scores(src, self._dec_in(tgt))

    def _dec_in(self, tgt):
        tgt = np.asarray(tgt)
        return decoder_inputs(np.where(tgt == self.ignore, 0, tgt), self.start)

    def forward(self, src, tgt) -> float:
        """Mean cross-entropy over the real target positions (``tgt`` != ``ignore``)."""
        loss, self._loss_cache = softmax_cross_entropy_forward(
            self.scores(src, self._dec_in(tgt)), tgt, ignore_index=self.ignore)
        return loss

    def backward(self) -> None:
        """Fill ``grads``: output layer, attention (both paths into the encoder's states),
        decoder GRU (its first state is the encoder's last), encoder."""
        enc_cache, emb_cache, gru_cache, att_cache, out_cache, H = self._cache
        g_out = time_affine_backward(softmax_cross_entropy_backward(1.0, self._loss_cache),
                                     out_cache)
        dss, dctx = g_out.dxs[..., :H], g_out.dxs[..., H:]
        dss_att, dhs, datt = attention_backward(dctx, att_cache)
        g = gru_backward(dss + dss_att, gru_cache)
        dec = {name: getattr(g, "d" + name) for name in GRU_NAMES}
        dec["embed"] = embedding_backward(g.dxs, emb_cache)
        dec["W_out"], dec["b_out"] = g_out.dW, g_out.db
        self.parts["enc"].store(encode_states_backward(dhs, g.dh0, enc_cache))
        self.parts["dec"].store(dec)
        self.parts["att"].store(datt)

    def step(self, prev, s, hs, mask):
        r"""One decoding step: ids ``prev`` (K,), state ``s`` (K, H), encoder states ``hs``
        (K, T, H) and ``mask`` (K, T) -> log-probabilities (K, V), new state, weights (K, T)."""
        p = self.parts["dec"].params
        s, _ = gru_step_forward(p["embed"][prev], s, p["W_x"], p["W_h"], p["b_x"], p["b_h"])
        ctx, w, _ = attention_forward(s, hs, mask, self.parts["att"].params, self.score)
        o = np.concatenate([s, ctx], axis=1) @ p["W_out"] + p["b_out"]  # (K, V)
        o = o - o.max(axis=1, keepdims=True)
        return o - np.log(np.exp(o).sum(axis=1, keepdims=True)), s, w

    def generate(self, src, steps: int) -> np.ndarray:
        r"""Greedy decoding, :math:`\hat y_t = \arg\max_v p(v \mid \hat y_{<t}, x)`, for
        ``steps`` steps: ids (N, steps); the weights of every step go to ``last_weights``
        (N, steps, T)."""
        hs, mask, s = self.encode(src)
        prev, out, weights = np.full(len(s), self.start), [], []
        for _ in range(steps):
            logp, s, w = self.step(prev, s, hs, mask)
            prev = logp.argmax(axis=1)
            out.append(prev)
            weights.append(w)
        self.last_weights = np.stack(weights, axis=1)
        return np.stack(out, axis=1)

    def beam_search(self, src_row, beam: int, steps: int, end: int, alpha: float = 0.0):
        """Beam search for one input ``src_row`` (T,): see ``course_rnn.decoding.beam_search``.
        Returns ``(ids, logprob)`` of the best output."""
        hs, mask, s0 = self.encode(np.asarray(src_row)[None])

        def step(prev, states):
            K = len(prev)
            logp, s, _ = self.step(prev, states, np.repeat(hs, K, 0), np.repeat(mask, K, 0))
            return logp, s

        return beam_search(step, s0, self.start, end, beam, steps, alpha=alpha)


class SelfAttentionCache(NamedTuple):
    xs: np.ndarray
    proj: tuple  # (Q, K, V) before scaling
    att: AttentionCache
    W: tuple  # (W_q, W_k, W_v)
    scale: float


def self_attention_forward(xs, W_q, W_k, W_v, mask=None):
    r"""Scaled dot-product self-attention (Vaswani et al., 2017): every position attends to
    every position of the same sequence.

    .. math::

        Q = X W_q, \quad K = X W_k, \quad V = X W_v, \qquad
        \mathrm{out} = \mathrm{softmax}_m\!\Bigl(\frac{Q K^\top}{\sqrt{d}}\Bigr) V

    ``xs`` (N, T, D), ``W_q``, ``W_k`` (D, d), ``W_v`` (D, d_v), ``mask`` (N, T) (default:
    every position real) -> out (N, T, d_v), weights (N, T, T), cache. No recurrence: all T
    outputs come from matrix products, but the weights hold :math:`T^2` numbers per sequence.
    torch: ``F.scaled_dot_product_attention(q, k, v)``. Taught in chapter 10.
    """
    xs = np.asarray(xs)
    if xs.ndim != 3:
        raise ValueError(f"xs must be (N, T, D), got shape {xs.shape}")
    mask = np.ones(xs.shape[:2], dtype=bool) if mask is None else mask
    Q, K, V = xs @ W_q, xs @ W_k, xs @ W_v
    scale = 1.0 / np.sqrt(W_q.shape[1])
    out, weights, cache = attention_forward(Q * scale, K, mask, None, "dot", values=V)
    return out, weights, SelfAttentionCache(xs, (Q, K, V), cache, (W_q, W_k, W_v), scale)


def self_attention_backward(dout, cache: SelfAttentionCache):
    r"""Backward pass of ``self_attention_forward``: ``dout`` (N, T, d_v) -> ``dxs``,
    ``dW_q``, ``dW_k``, ``dW_v``; :math:`\delta X = \delta Q W_q^\top + \delta K W_k^\top +
    \delta V W_v^\top`. torch: autograd. Taught in chapter 10."""
    dQs, dK, _, dV = attention_backward(dout, cache.att)
    dQ = dQs * cache.scale
    W_q, W_k, W_v = cache.W
    xs = cache.xs
    dxs = dQ @ W_q.T + dK @ W_k.T + dV @ W_v.T
    return (dxs, np.einsum("ntd,nte->de", xs, dQ), np.einsum("ntd,nte->de", xs, dK),
            np.einsum("ntd,nte->de", xs, dV))
