"""course_rnn.attention and course_rnn.decoding: gradient checks of the three scores and the
whole model (float64), equality with torch (pack_padded_sequence on the same padded data),
masking, masked loss, greedy decoding, beam search (width 1 = greedy), edit distance."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_rnn.attention import (
    SCORES,
    AttentionSeq2Seq,
    attention_backward,
    attention_forward,
    init_attention_params,
    masked_softmax,
    score_backward,
    score_forward,
)
from course_rnn.data.dates import END, PAD, SRC_VOCAB, START, T_OUT, TGT_VOCAB, make_dataset
from course_rnn.decoding import beam_search, edit_distance, mean_edit_distance
from course_rnn.gradcheck import check_gradients, numerical_gradient, rel_error
from course_rnn.seq2seq import decoder_inputs
from course_rnn.torch_ref.attention import TorchAttentionSeq2Seq, torch_attention

TOL = 1e-6
V_SRC, V_TGT = len(SRC_VOCAB), len(TGT_VOCAB)
KINDS = tuple(SCORES)


def setup_case(kind, N=3, Tq=4, T=5, H=4, A=3, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(N, Tq, H))
    k = rng.normal(size=(N, T, H))
    mask = np.ones((N, T), dtype=bool)
    mask[0, 3:] = False  # a row with padding
    mask[2, 1:] = False  # a row with one real position
    return q, k, mask, init_attention_params(kind, H, rng, A)


@pytest.mark.parametrize("kind", KINDS)
def test_attention_gradients(kind):
    q, k, mask, params = setup_case(kind)
    rng = np.random.default_rng(1)
    dctx = rng.normal(size=q.shape)
    dw = rng.normal(size=(3, 4, 5))

    def loss():
        ctx, w, _ = attention_forward(q, k, mask, params, kind)
        return np.sum(ctx * dctx) + np.sum(w * dw)

    _, _, cache = attention_forward(q, k, mask, params, kind)
    dq, dk, dparams = attention_backward(dctx, cache, dweights=dw)

    def loss_at(qq, kk):
        ctx, w, _ = attention_forward(qq, kk, mask, params, kind)
        return np.sum(ctx * dctx) + np.sum(w * dw)

    assert rel_error(dq, numerical_gradient(lambda x: loss_at(x, k), q)) < TOL
    assert rel_error(dk, numerical_gradient(lambda x: loss_at(q, x), k)) < TOL
    errors = check_gradients(loss, params, dparams)
    assert errors.keys() == params.keys()
    assert all(e < TOL for e in errors.values()), errors
    # masked keys get no gradient at all
    assert np.all(dk[0, 3:] == 0) and np.all(dk[2, 1:] == 0)


@pytest.mark.parametrize("kind", KINDS)
def test_single_step_equals_one_query(kind):
    q, k, mask, params = setup_case(kind)
    ctx, w, cache = attention_forward(q[:, 1], k, mask, params, kind)
    ctx_all, w_all, _ = attention_forward(q, k, mask, params, kind)
    np.testing.assert_allclose(ctx, ctx_all[:, 1], rtol=1e-12)
    np.testing.assert_allclose(w, w_all[:, 1], rtol=1e-12)
    dq, dk, _ = attention_backward(np.ones_like(ctx), cache)
    assert dq.shape == q[:, 1].shape and dk.shape == k.shape


def test_separate_values_get_their_own_gradient():
    q, k, mask, params = setup_case("general")
    vals = np.random.default_rng(3).normal(size=(3, 5, 2))
    ctx, _, cache = attention_forward(q, k, mask, params, "general", values=vals)
    dctx = np.random.default_rng(4).normal(size=ctx.shape)
    *_, dv = attention_backward(dctx, cache)

    def f(x):
        return np.sum(attention_forward(q, k, mask, params, "general", values=x)[0] * dctx)

    assert rel_error(dv, numerical_gradient(f, vals)) < TOL


@pytest.mark.parametrize("kind", KINDS)
def test_attention_equals_torch(kind):
    q, k, mask, params = setup_case(kind, seed=5)
    rng = np.random.default_rng(6)
    dctx = rng.normal(size=q.shape)
    ctx, w, cache = attention_forward(q, k, mask, params, kind)
    dq, dk, dparams = attention_backward(dctx, cache)
    tq, tk = torch.tensor(q, requires_grad=True), torch.tensor(k, requires_grad=True)
    tp = {n: torch.tensor(v, requires_grad=True) for n, v in params.items()}
    tctx, tw = torch_attention(tq, tk, torch.tensor(mask), tp, kind)
    (tctx * torch.tensor(dctx)).sum().backward()
    np.testing.assert_allclose(ctx, tctx.detach().numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(w, tw.detach().numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(dq, tq.grad.numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(dk, tk.grad.numpy(), rtol=1e-6, atol=1e-12)
    for n in params:
        np.testing.assert_allclose(dparams[n], tp[n].grad.numpy(), rtol=1e-6, atol=1e-12)


def test_masked_softmax():
    e = np.array([[[1000.0, 999.0, 5.0]]])  # large scores: no overflow
    w = masked_softmax(e, np.array([[True, True, False]]))
    assert np.all(np.isfinite(w)) and w[0, 0, 2] == 0
    np.testing.assert_allclose(w[0, 0, :2], [1 / (1 + np.exp(-1)), 1 / (1 + np.e)])
    with pytest.raises(ValueError, match="no real position"):
        masked_softmax(e, np.array([[False, False, False]]))
    with pytest.raises(ValueError, match="mask must have shape"):
        masked_softmax(e, np.array([[True, True]]))


def test_bad_arguments():
    q, k, mask, params = setup_case("additive")
    with pytest.raises(ValueError, match="score must be one of"):
        attention_forward(q, k, mask, params, "cosine")
    with pytest.raises(ValueError, match="missing"):
        attention_forward(q, k, mask, {}, "additive")
    with pytest.raises(ValueError, match="queries must be"):
        score_forward(q[0], k, params, "additive")
    with pytest.raises(ValueError, match="same size"):
        score_forward(q, k[..., :2], {}, "dot")


def test_score_backward_additive_sums_every_pair():
    q, k, _, params = setup_case("additive", Tq=2, T=3)
    e, cache = score_forward(q, k, params, "additive")
    g = score_backward(np.ones_like(e), cache)[2]
    f = lambda v: score_forward(q, k, {**params, "v": v}, "additive")[0].sum()  # noqa: E731
    assert rel_error(g["v"], numerical_gradient(f, params["v"])) < TOL


def model(kind="general", E=3, H=4, seed=1, dtype=np.float64, A=3):
    return AttentionSeq2Seq(V_SRC, V_TGT, E, H, np.random.default_rng(seed), start=START,
                            score=kind, A=A, dtype=dtype)


def data(n=3, seed=0):
    ds = make_dataset(n, np.random.default_rng(seed))
    return ds["src"], ds["tgt"]


def ragged_targets(tgt, seed=0):
    """Targets cut to random lengths after an end symbol, padded with the ignore id."""
    rng = np.random.default_rng(seed)
    out = tgt.copy()
    for row in out:
        cut = int(rng.integers(2, tgt.shape[1]))
        row[cut - 1] = END
        row[cut:] = -100
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_model_gradients(kind):
    m = model(kind)
    src, tgt = data(3)
    tgt = ragged_targets(tgt)
    assert (src == PAD).any() and (tgt == -100).any()
    m.forward(src, tgt)
    m.backward()
    errors = check_gradients(lambda: m.forward(src, tgt), m.params, m.grads)
    assert errors.keys() == m.params.keys()
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("kind", KINDS)
def test_model_equals_torch_with_packed_sequences(kind):
    m = model(kind, E=5, H=6, seed=7)
    src, tgt = data(6, seed=3)
    assert len(set((src != PAD).sum(1))) > 2  # rows of several lengths
    tgt = ragged_targets(tgt, seed=2)
    loss = m.forward(src, tgt)
    m.backward()
    tm = TorchAttentionSeq2Seq(m.params, kind)
    scores, weights = tm(torch.tensor(src), torch.tensor(m._dec_in(tgt)))
    t_loss = F.cross_entropy(scores.reshape(-1, V_TGT), torch.tensor(tgt).reshape(-1),
                             ignore_index=-100)
    t_loss.backward()
    assert np.isclose(loss, t_loss.item(), rtol=1e-10)
    np.testing.assert_allclose(m.last_weights, weights.detach().numpy(), rtol=1e-6, atol=1e-12)
    tg = tm.grads()
    assert tg.keys() == m.grads.keys()
    for name, g in tg.items():
        np.testing.assert_allclose(m.grads[name], g, rtol=1e-6, atol=1e-10, err_msg=name)


def test_padding_changes_nothing():
    m = model("additive", seed=2)
    src, tgt = data(4, seed=5)
    more = np.concatenate([src, np.full((4, 7), PAD)], axis=1)  # 7 more padding symbols
    np.testing.assert_allclose(m.forward(src, tgt), m.forward(more, tgt), rtol=1e-12)
    w_more = m.last_weights
    assert np.all(w_more[..., src.shape[1]:] == 0)
    with pytest.raises(ValueError, match="right-padded"):
        m.forward(np.concatenate([np.full((4, 1), PAD), src], axis=1), tgt)


def test_masked_loss_ignores_the_padded_targets():
    m = model("dot", seed=3)
    src, tgt = data(3, seed=1)
    cut = ragged_targets(tgt, seed=4)
    other = np.where(cut == -100, -100, cut)
    loss = m.forward(src, cut)
    scores = m.predict(src, cut)
    logp = scores - np.log(np.exp(scores - scores.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - scores.max(-1, keepdims=True)
    real = cut != -100
    manual = -np.mean(logp[real, np.where(real, cut, 0)[real]])
    assert np.isclose(loss, manual, rtol=1e-10)
    assert np.isclose(m.forward(src, other), loss)


@pytest.mark.parametrize("kind", KINDS)
def test_greedy_decoding_matches_teacher_forced_pass(kind):
    m = model(kind, E=4, H=5, seed=8)
    src, _ = data(5, seed=4)
    pred = m.generate(src, T_OUT)
    w_free = m.last_weights
    assert pred.shape == (5, T_OUT) and w_free.shape == (5, T_OUT, src.shape[1])
    scores = m.scores(src, decoder_inputs(pred, START))
    assert np.array_equal(scores.argmax(-1), pred)
    np.testing.assert_allclose(m.last_weights, w_free, rtol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_beam_of_width_one_is_greedy(kind):
    m = model(kind, E=4, H=5, seed=9)
    src, _ = data(6, seed=6)
    pred = m.generate(src, T_OUT)
    for n in range(6):
        ids, logp = m.beam_search(src[n], beam=1, steps=T_OUT, end=END)
        stop = list(pred[n]).index(END) + 1 if END in pred[n] else T_OUT
        assert list(ids) == list(pred[n, :stop])
        _, wide_logp = m.beam_search(src[n], beam=4, steps=T_OUT, end=END)
        assert wide_logp >= logp - 1e-12 or END not in ids  # a wider beam never finds worse


def brute_force_best(logp_table, start, end, steps):
    """Exhaustive search over a bigram model: the most probable output of at most `steps`."""
    V = logp_table.shape[0]
    best = (None, -np.inf)
    frontier = [([], 0.0)]
    for _ in range(steps):
        new = []
        for seq, s in frontier:
            prev = seq[-1] if seq else start
            for v in range(V):
                cand = ([*seq, v], s + logp_table[prev, v])
                if v == end:
                    best = max(best, cand, key=lambda h: h[1])
                else:
                    new.append(cand)
        frontier = new
    for cand in frontier:
        best = max(best, cand, key=lambda h: h[1])
    return best


def test_beam_search_on_a_bigram_model():
    rng = np.random.default_rng(0)
    V, start, end = 5, 0, 4
    found_better = 0
    for _ in range(30):
        logits = rng.normal(scale=2.0, size=(V, V))
        table = logits - np.log(np.exp(logits).sum(1, keepdims=True))

        def step(prev, states, table=table):
            return table[prev], states

        exact = brute_force_best(table, start, end, 4)
        greedy_ids, greedy_lp = beam_search(step, np.zeros((1, 1)), start, end, 1, 4)
        wide_ids, wide_lp = beam_search(step, np.zeros((1, 1)), start, end, 25, 4)
        assert wide_lp == pytest.approx(exact[1]) and list(wide_ids) == exact[0]
        assert np.isclose(sum(table[a, b] for a, b in
                              zip([start, *greedy_ids[:-1]], greedy_ids, strict=True)),
                          greedy_lp)
        found_better += wide_lp > greedy_lp + 1e-12
    assert found_better > 0  # the random tables include cases where greedy is not the best
    with pytest.raises(ValueError, match="beam"):
        beam_search(step, np.zeros((1, 1)), start, end, 0, 4)


def test_length_normalisation_prefers_longer_outputs():
    # from the start symbol: end at once with p = 0.4, or "1" (p = 0.6) and then end (p = 0.6)
    table = np.log(np.array([[1e-9, 0.6, 0.4], [1e-9, 0.4, 0.6], [1 / 3] * 3]))

    def step(prev, states):
        return table[prev], states

    ids, _ = beam_search(step, np.zeros((1, 1)), 0, 2, 2, 3)
    assert list(ids) == [2]  # log 0.4 > log 0.36
    ids, _ = beam_search(step, np.zeros((1, 1)), 0, 2, 2, 3, alpha=1.0)
    assert list(ids) == [1, 2]  # per symbol: log(0.36) / 2 > log 0.4


def test_edit_distance():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3
    assert edit_distance("2024-03-05", "2024-03-05") == 0
    assert edit_distance("2024-03-05", "2024-05-03") == 2
    assert edit_distance([1, 2, 3], [1, 3]) == 1
    assert mean_edit_distance(["ab", "cd"], ["ab", "ce"]) == 0.5
    with pytest.raises(ValueError, match="predictions"):
        mean_edit_distance(["a"], [])


def test_float32_stays_float32():
    m = model(dtype=np.float32)
    src, tgt = data(4)
    m.forward(src, tgt)
    m.backward()
    assert all(g.dtype == np.float32 for g in m.grads.values())


def test_self_attention_gradients_and_torch():
    from course_rnn.attention import self_attention_backward, self_attention_forward

    rng = np.random.default_rng(11)
    xs = rng.normal(size=(2, 5, 4))
    W_q, W_k, W_v = (rng.normal(size=(4, 3)) for _ in range(3))
    mask = np.ones((2, 5), dtype=bool)
    mask[1, 3:] = False
    dout = rng.normal(size=(2, 5, 3))
    out, w, cache = self_attention_forward(xs, W_q, W_k, W_v, mask)
    grads = self_attention_backward(dout, cache)
    for g, which in zip(grads, range(4), strict=True):
        def f(x, which=which):
            args = [xs, W_q, W_k, W_v]
            args[which] = x
            return np.sum(self_attention_forward(*args, mask)[0] * dout)
        assert rel_error(g, numerical_gradient(f, [xs, W_q, W_k, W_v][which])) < TOL
    t = [torch.tensor(a, requires_grad=True) for a in (xs, W_q, W_k, W_v)]
    ref = F.scaled_dot_product_attention(t[0] @ t[1], t[0] @ t[2], t[0] @ t[3],
                                         attn_mask=torch.tensor(mask)[:, None, :])
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-6, atol=1e-12)
    (ref * torch.tensor(dout)).sum().backward()
    for g, tt in zip(grads, t, strict=True):
        np.testing.assert_allclose(g, tt.grad.numpy(), rtol=1e-6, atol=1e-12)
    assert w.shape == (2, 5, 5) and np.all(w[1, :, 3:] == 0)
