"""course_rnn.ngram: add-k and interpolated Kneser-Ney n-grams. Distributions sum to 1,
numbers by hand on a tiny corpus, a slow dictionary-based reference, perplexity checks,
errors."""

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from course_rnn.data.corpus import load_corpus, unigram_perplexity
from course_rnn.data.tokenize import CharTokenizer
from course_rnn.ngram import AddKNGram, KneserNeyNGram

# the tiny corpus of the by-hand tests: a b a c a b, with a 4th token (d) never seen
TINY, V_TINY = np.array([0, 1, 0, 2, 0, 1]), 4

MODELS = [
    lambda: AddKNGram(1, k=1.0),
    lambda: AddKNGram(2, k=0.5),
    lambda: AddKNGram(3, k=0.01),
    lambda: KneserNeyNGram(1),
    lambda: KneserNeyNGram(2),
    lambda: KneserNeyNGram(3),
    lambda: KneserNeyNGram(3, discount=0.3),
    lambda: KneserNeyNGram(2, discount="chen-goodman"),
    lambda: KneserNeyNGram(3, discount="chen-goodman"),
    lambda: KneserNeyNGram(4, discount=1.0),
]
NAMES = ["add1-uni", "add0.5-bi", "add0.01-tri", "kn-uni", "kn-bi", "kn-tri", "kn-tri-0.3",
         "kn-bi-cg", "kn-tri-cg", "kn-4-D1"]


def _text_ids(lang="en", size=30_000, val_fraction=0.1):
    text = load_corpus(lang, size=size)
    cut = int(len(text) * (1 - val_fraction))
    tok = CharTokenizer().fit(text[:cut])
    return tok.encode(text[:cut]), tok.encode(text[cut:]), len(tok)


# ----------------------------------------------------------------- distributions
@pytest.mark.parametrize("make", MODELS, ids=NAMES)
def test_next_distribution_sums_to_one_for_seen_and_unseen_contexts(make):
    rng = np.random.default_rng(0)
    V = 9
    train = rng.integers(0, V - 1, 400)  # token V-1 never occurs in training
    model = make().fit(train, V)
    contexts = [[], [0], [V - 1], [V - 1, V - 1], [V - 1, 0], list(train[:3]), list(train[:10])]
    contexts += [list(train[i: i + 2]) for i in range(0, 100, 7)]  # seen contexts
    contexts += [list(rng.integers(0, V, 3)) for _ in range(20)]  # mostly unseen ones
    for ctx in contexts:
        p = model.next_distribution(ctx)
        assert p.shape == (V,)
        assert abs(p.sum() - 1.0) < 1e-12, (ctx, p.sum())
        assert (p > 0).all()
        for w in (0, V - 1):
            assert model.prob(ctx, w) == pytest.approx(p[w], rel=1e-14)


@pytest.mark.parametrize("make", MODELS, ids=NAMES)
def test_a_training_sequence_shorter_than_the_order(make):
    model = make().fit([2], 5)  # one token: no bigram, no trigram
    for ctx in ([], [2], [2, 2], [0, 1, 3]):
        p = model.next_distribution(ctx)
        assert abs(p.sum() - 1.0) < 1e-12 and (p > 0).all()
        if not ctx:  # the unigram level: the one token seen is the likeliest (or tied)
            assert p[2] == p.max()


@pytest.mark.parametrize("make", MODELS, ids=NAMES)
def test_log_prob_is_the_sum_of_conditionals(make):
    rng = np.random.default_rng(1)
    model = make().fit(rng.integers(0, 6, 300), 6)
    held = rng.integers(0, 6, 25)
    expected = [math.log(model.prob(held[max(0, t - model.order + 1): t], held[t]))
                for t in range(len(held))]
    np.testing.assert_allclose(model.token_log_probs(held), expected, rtol=1e-12)
    assert model.log_prob(held) == pytest.approx(sum(expected), rel=1e-12)
    assert model.perplexity(held) == pytest.approx(math.exp(-sum(expected) / 25), rel=1e-12)
    assert model.log_prob([]) == 0.0
    assert model.token_log_probs(held[:1]).shape == (1,)


# ----------------------------------------------------------------- add-k by hand
def test_add_k_by_hand():
    k, V = 0.5, V_TINY
    uni = AddKNGram(1, k=k).fit(TINY, V)
    # unigram counts a:3 b:2 c:1 d:0, N = 6: P(w) = (c(w) + k) / (N + kV)
    assert uni.next_distribution([]) == pytest.approx(
        [(3 + k) / (6 + k * V), (2 + k) / 8, (1 + k) / 8, k / 8], rel=1e-14)
    bi = AddKNGram(2, k=k).fit(TINY, V)
    # bigrams ab:2 ba:1 ac:1 ca:1; context a is followed 3 times, b once
    assert bi.prob([0], 1) == pytest.approx((2 + k) / (3 + k * V))  # 2.5 / 5 = 0.5
    assert bi.prob([0], 3) == pytest.approx(k / (3 + k * V))  # 0.1
    assert bi.prob([1], 0) == pytest.approx((1 + k) / (1 + k * V))  # 1.5 / 3
    assert bi.prob([3], 2) == pytest.approx(1 / V)  # unseen context: uniform
    assert bi.prob([2, 0], 1) == bi.prob([0], 1)  # only the last token is read
    # held-out a b a: P(a) from the unigram level, then P(b|a), P(a|b)
    expected = math.log(3.5 / 8) + math.log(0.5) + math.log(1.5 / 3)
    assert bi.log_prob([0, 1, 0]) == pytest.approx(expected, rel=1e-14)
    tri = AddKNGram(3, k=k).fit(TINY, V)
    # trigrams aba ba c aca cab, one each: context (b, a) once, followed by c
    assert tri.prob([1, 0], 2) == pytest.approx((1 + k) / (1 + k * V))
    assert tri.prob([1, 0], 1) == pytest.approx(k / (1 + k * V))
    assert tri.prob([0], 1) == bi.prob([0], 1)  # short context: the bigram model


def test_add_k_unigram_agrees_with_the_corpus_baseline():
    train, val, V = _text_ids()
    for k in (1.0, 0.1):
        assert AddKNGram(1, k=k).fit(train, V).perplexity(val) == pytest.approx(
            unigram_perplexity(train, val, V, alpha=k), rel=1e-12)


# ----------------------------------------------------------------- Kneser-Ney by hand
def test_kneser_ney_bigram_by_hand():
    D, V = 0.5, V_TINY
    model = KneserNeyNGram(2, discount=D).fit(TINY, V)
    # continuation counts N1+(. w) from the distinct bigrams ab ba ac ca:
    # a is preceded by b and c -> 2; b by a -> 1; c by a -> 1; d -> 0; total 4, 3 types
    cont = np.array([2, 1, 1, 0])
    total, types = 4, 3
    p_uni = np.maximum(cont - D, 0) / total + D * types / total / V
    assert p_uni == pytest.approx([0.46875, 0.21875, 0.21875, 0.09375], rel=1e-14)
    # context a: ab twice, ac once -> c(a .) = 3, N1+(a .) = 2
    p_a = (np.maximum(np.array([0, 2, 1, 0]) - D, 0) + D * 2 * p_uni) / 3
    assert model.next_distribution([0]) == pytest.approx(p_a, rel=1e-14)
    assert model.prob([0], 1) == pytest.approx(1.5 / 3 + 1 / 3 * 0.21875, rel=1e-14)
    # unseen context d: the continuation unigram whole
    assert model.next_distribution([3]) == pytest.approx(p_uni, rel=1e-14)
    # no context (first token of a sequence): the KN unigram on raw counts a3 b2 c1, N=6
    p_first = np.maximum(np.array([3, 2, 1, 0]) - D, 0) / 6 + D * 3 / 6 / V
    assert model.next_distribution([]) == pytest.approx(p_first, rel=1e-14)
    assert model.discounts == {1: D, 2: D}


def test_kneser_ney_trigram_by_hand():
    D, V = 0.5, V_TINY
    model = KneserNeyNGram(3, discount=D).fit(TINY, V)
    # level 1, continuation counts from the bigram types ab ba ac ca (as above)
    p1 = {0: (2 - D) / 4 + D * 3 / 4 / V, 1: (1 - D) / 4 + D * 3 / 4 / V,
          3: D * 3 / 4 / V}
    assert p1[0] == 0.46875
    # level 2, continuation counts from the trigram types aba bac aca cab:
    # N1+(. b a) = 1, N1+(. a c) = 1, N1+(. c a) = 1, N1+(. a b) = 1 (the first ab has
    # no token before it). Context b: one type (ba), total 1; context a: ac, ab, total 2.
    p2_a_after_b = (1 - D) / 1 + D * 1 / 1 * p1[0]  # 0.734375
    p2_d_after_b = D * 1 / 1 * p1[3]
    p2_b_after_a = (1 - D) / 2 + D * 2 / 2 * p1[1]  # 0.359375
    assert (p2_a_after_b, p2_b_after_a) == (0.734375, 0.359375)
    # level 3, raw counts: context (a, b) seen once, followed by a
    assert model.prob([0, 1], 0) == pytest.approx((1 - D) / 1 + D * 1 * p2_a_after_b)
    assert model.prob([0, 1], 0) == pytest.approx(0.8671875, rel=1e-14)
    assert model.prob([0, 1], 3) == pytest.approx(D * 1 * p2_d_after_b, rel=1e-14)
    # unseen trigram context (d, a): the level-2 continuation distribution after a
    assert model.prob([3, 0], 1) == pytest.approx(p2_b_after_a, rel=1e-14)
    # one token of context: the KN bigram model (raw counts at its top level)
    assert model.prob([0], 1) == pytest.approx(1.5 / 3 + 1 / 3 * 0.21875, rel=1e-14)


def test_chen_goodman_discounts_by_hand():
    model = KneserNeyNGram(3, discount="chen-goodman").fit(TINY, V_TINY)
    # D = n1 / (n1 + 2 n2): trigram counts 1,1,1,1 -> 4/4; level-2 continuation counts
    # 1,1,1,1 -> 1; level-1 continuation counts 2,1,1 -> n1=2, n2=1 -> 2/4
    assert model.discounts == {1: 0.5, 2: 1.0, 3: 1.0}
    # with D = 1 every seen trigram keeps 0 of its own count: all goes to the level below
    p1_a = (2 - 0.5) / 4 + 0.5 * 3 / 4 / V_TINY
    assert model.prob([0, 1], 0) == pytest.approx(1 * (0 + 1 * p1_a), rel=1e-14)


def _reference_kn(train, V, order, D):
    """Interpolated KN written from Jurafsky & Martin's equations with dictionaries: slow,
    independent of the vectorised code. Returns P(w | context)."""
    train = [int(t) for t in train]
    raw = {m: Counter(tuple(train[i: i + m]) for i in range(len(train) - m + 1))
           for m in range(1, order + 1)}
    cont = {m: Counter(g[1:] for g in raw[m + 1]) for m in range(1, order)}

    def p(h, w, top):
        m = len(h) + 1
        counts = raw[m] if top else cont[m]
        after = {g: c for g, c in counts.items() if g[:-1] == h}
        lower = 1 / V if m == 1 else p(h[1:], w, False)
        total = sum(after.values())
        if total == 0:
            return lower
        return (max(after.get((*h, w), 0) - D, 0) + D * len(after) * lower) / total

    def prob(context, w):
        h = tuple(int(t) for t in context)
        return p(h[len(h) - (order - 1):] if order > 1 else (), w, True)

    return prob


@pytest.mark.parametrize("order", [1, 2, 3])
def test_kneser_ney_matches_a_dictionary_reference(order):
    rng = np.random.default_rng(order)
    V, D = 6, 0.75
    train = rng.integers(0, V - 1, 250)  # token 5 unseen
    model = KneserNeyNGram(order, discount=D).fit(train, V)
    ref = _reference_kn(train, V, order, D)
    for ctx in itertools.product(range(V), repeat=order - 1):  # seen and unseen contexts
        expected = [ref(ctx, w) for w in range(V)]
        np.testing.assert_allclose(model.next_distribution(list(ctx)), expected, rtol=1e-12)
    held = rng.integers(0, V, 40)
    expected = sum(math.log(ref(held[:t], held[t])) for t in range(len(held)))
    assert model.log_prob(held) == pytest.approx(expected, rel=1e-12)


def test_short_contexts_are_the_lower_order_models():
    train, _, V = _text_ids(size=5000)
    for make in (lambda n: KneserNeyNGram(n, discount=0.75), lambda n: AddKNGram(n, k=0.3)):
        tri, bi, uni = make(3).fit(train, V), make(2).fit(train, V), make(1).fit(train, V)
        for a in train[:20]:
            np.testing.assert_allclose(tri.next_distribution([a]), bi.next_distribution([a]),
                                       rtol=1e-13)
        np.testing.assert_allclose(tri.next_distribution([]), uni.next_distribution([]),
                                   rtol=1e-13)
        held = train[100:103]
        assert tri.token_log_probs(held)[:2] == pytest.approx(
            [uni.token_log_probs(held[:1])[0], bi.token_log_probs(held[:2])[1]], rel=1e-13)


# ----------------------------------------------------------------- perplexity
@pytest.mark.parametrize("make", [lambda: AddKNGram(1, k=1.0), lambda: AddKNGram(1, k=7.0),
                                  lambda: KneserNeyNGram(1, discount=0.75)])
def test_perplexity_of_a_uniform_model_is_the_vocabulary_size(make):
    V = 13
    model = make().fit(np.tile(np.arange(V), 5), V)  # every token equally often
    np.testing.assert_allclose(model.next_distribution([]), np.full(V, 1 / V), rtol=1e-14)
    held = np.random.default_rng(0).integers(0, V, 500)
    assert model.perplexity(held) == pytest.approx(V, rel=1e-12)


def test_kneser_ney_fits_its_text_better_than_add_one():
    train, val, V = _text_ids()
    kn = KneserNeyNGram(3).fit(train, V)
    for n in (1, 2, 3):
        assert kn.perplexity(train) < AddKNGram(n, k=1.0).fit(train, V).perplexity(train)
    # on held-out text: more context, lower perplexity, and KN beats add-1 at every order
    ppl = {n: KneserNeyNGram(n).fit(train, V).perplexity(val) for n in (1, 2, 3)}
    assert ppl[3] < ppl[2] < ppl[1]
    for n in (2, 3):
        assert ppl[n] < AddKNGram(n, k=1.0).fit(train, V).perplexity(val)


def test_refit_replaces_the_counts():
    model = KneserNeyNGram(2).fit(TINY, V_TINY)
    before = model.next_distribution([0])
    model.fit(np.array([3, 3, 3, 2]), 5)
    assert model.vocab_size == 5 and model.next_distribution([0]).shape == (5,)
    assert not np.allclose(model.next_distribution([0])[:4], before)


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize("bad", [0, -1, 1.5, "3", True, None])
def test_order_must_be_a_positive_integer(bad):
    for cls in (AddKNGram, KneserNeyNGram):
        with pytest.raises(ValueError, match="order must be an integer >= 1"):
            cls(bad)


@pytest.mark.parametrize("bad", [-1.0, 0, -0.5, math.inf, math.nan, "1", True])
def test_k_must_be_positive(bad):
    with pytest.raises(ValueError, match="k must be a positive number"):
        AddKNGram(2, k=bad)


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, math.nan, "kn", True])
def test_discount_must_be_in_zero_one(bad):
    with pytest.raises(ValueError, match="discount must be a number in"):
        KneserNeyNGram(3, discount=bad)


@pytest.mark.parametrize("make", MODELS[:6], ids=NAMES[:6])
def test_bad_ids(make):
    model = make()
    with pytest.raises(RuntimeError, match="not fitted"):
        model.perplexity([0, 1])
    with pytest.raises(RuntimeError, match="not fitted"):
        model.next_distribution([0])
    with pytest.raises(ValueError, match=r"ids\[2\] = 4 .* \[0, 4\)"):
        model.fit([0, 1, 4], 4)
    with pytest.raises(ValueError, match=r"ids\[0\] = -1"):
        model.fit([-1, 1], 4)
    with pytest.raises(TypeError, match="integer token ids"):
        model.fit([0.0, 1.0], 4)
    with pytest.raises(ValueError, match="dimensions"):
        model.fit([[0, 1]], 4)
    with pytest.raises(ValueError, match="empty"):
        model.fit([], 4)
    for bad_v in (0, 2.5, "4"):
        with pytest.raises(ValueError, match="vocab_size"):
            model.fit([0, 1], bad_v)
    assert model.vocab_size is None  # a failed fit leaves the model unfitted
    model.fit(TINY, V_TINY)
    with pytest.raises(ValueError, match=r"ids\[1\] = 4 "):
        model.perplexity([0, 4])
    with pytest.raises(ValueError, match="empty"):
        model.perplexity([])
    with pytest.raises(ValueError, match=r"context\[0\] = 9"):
        model.next_distribution([9])
    with pytest.raises(ValueError, match=r"token\[0\] = 4"):
        model.prob([0], 4)


def test_vocabulary_too_large_for_the_keys():
    with pytest.raises(ValueError, match="too large for order 3"):
        KneserNeyNGram(3).fit([0, 1, 2], 3_000_000)
    KneserNeyNGram(2).fit([0, 1, 2], 3_000_000)  # V**2 fits in int64
