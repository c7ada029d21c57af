r"""Count-based language models of chapter 4: the n-gram baselines a recurrent model must beat.

An n-gram model predicts token :math:`w_t` from the :math:`n-1` tokens before it,
:math:`h = w_{t-n+1} \dots w_{t-1}`, by counting in the training ids. With
:math:`c(hw)` the count of the n-gram :math:`hw`, :math:`c(h\,\cdot) = \sum_w c(hw)` the
count of :math:`h` followed by a token and :math:`V` the vocabulary size:

- :class:`AddKNGram` (add-k, Laplace for :math:`k = 1`; order 1 is the unigram):

  .. math::

      P(w \mid h) = \frac{c(hw) + k}{c(h\,\cdot) + kV}

- :class:`KneserNeyNGram` (interpolated Kneser-Ney): subtract a discount
  :math:`0 < D \le 1` from every seen count and give the mass freed to the model one
  order lower, :math:`h'` being :math:`h` without its first token,

  .. math::

      P(w \mid h) = \frac{\max(c(hw) - D, 0)}{c(h\,\cdot)}
                   + \frac{D \, N_{1+}(h\,\cdot)}{c(h\,\cdot)} \, P(w \mid h'),

  where :math:`N_{1+}(h\,\cdot)` is the number of distinct tokens seen after :math:`h`
  (the formula sums to 1 over :math:`w`). The lower orders replace counts by
  *continuation counts* :math:`N_{1+}(\cdot\,h'w)`, the number of distinct tokens seen
  before :math:`h'w`: a token that follows one fixed word only ("Francisco" after "San")
  is a poor guess in a new context however frequent it is. The recursion ends at the
  uniform distribution :math:`1/V` below the unigram level, so a token never seen in
  training still has a probability above 0. A context never seen at some level
  (:math:`c(h\,\cdot) = 0`) passes the whole mass to the level below. The discount is
  0.75 by default, or Chen & Goodman's estimate :math:`D = n_1 / (n_1 + 2 n_2)` per
  level, with :math:`n_1, n_2` the numbers of n-grams counted exactly once and twice at
  that level (continuation counts for the lower levels).

Both read a token sequence as one stream (a line break is a token like any other). The
first :math:`n-1` tokens of a held-out sequence have shorter contexts: token :math:`t`
is predicted from the :math:`t` tokens before it by the model of order :math:`t+1`
fitted on the same counts, so an order-3 model's ``next_distribution([a])`` is the
order-2 model's. Perplexity over :math:`T` held-out tokens is

.. math::

    \mathrm{PPL} = \exp\Bigl(-\frac{1}{T} \sum_{t=1}^{T} \log P(w_t \mid h_t)\Bigr),

the same reading as a recurrent model's :math:`e^{L}`, and comparable with it only on the
same tokenisation and the same held-out ids.

Counts are kept as sorted numpy arrays of n-gram keys (the n ids read as one base-V
number) and looked up with ``np.searchsorted``, so a whole held-out sequence or a whole
next-token distribution is computed at once.

References: S. F. Chen and J. Goodman, "An Empirical Study of Smoothing Techniques for
Language Modeling", Harvard TR-10-98 (1998), sections 2.7 and 3; D. Jurafsky and J. H.
Martin, *Speech and Language Processing*, 3rd ed. draft, chapter 3 ("N-gram Language
Models"). Torch has no equivalent; ``nltk.lm.Laplace`` and
``nltk.lm.KneserNeyInterpolated`` are the same model families. Taught in chapter 4.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from course_rnn._validate import as_array

DEFAULT_DISCOUNT = 0.75
MAX_KEY = 2**62  # n-gram keys are int64: V ** order must stay below this


@dataclass(frozen=True)
class CountTable:
    """The counts of one level: sorted n-gram keys with their counts, and per context
    (the key without its last token) the total count and the number of distinct next
    tokens. Chapter 4."""

    keys: np.ndarray  # (G,) int64, sorted
    counts: np.ndarray  # (G,) int64
    context_keys: np.ndarray  # (C,) int64, sorted
    totals: np.ndarray  # (C,) sum of the counts after the context
    types: np.ndarray  # (C,) number of distinct tokens after the context

    @classmethod
    def from_counts(cls, keys: np.ndarray, counts: np.ndarray, V: int) -> CountTable:
        """Group sorted, distinct ``keys`` (with ``counts``) by their context ``key // V``.
        Chapter 4."""
        if len(keys) == 0:  # a sequence shorter than the order has no m-grams
            none = np.zeros(0, dtype=np.int64)
            return cls(keys, counts, none, none, none)
        context = keys // V  # sorted too: each context is one run
        starts = np.flatnonzero(np.r_[True, context[1:] != context[:-1]])  # (C,)
        totals = np.add.reduceat(counts, starts)
        types = np.diff(np.r_[starts, len(keys)])
        return cls(keys, counts, context[starts], totals, types)

    def discount_estimate(self) -> float:
        r"""Chen & Goodman's :math:`D = n_1 / (n_1 + 2 n_2)` from these counts, or
        :data:`DEFAULT_DISCOUNT` when no n-gram is counted once (:math:`n_1 = 0`).
        Chapter 4."""
        n1, n2 = int(np.sum(self.counts == 1)), int(np.sum(self.counts == 2))
        return n1 / (n1 + 2 * n2) if n1 else DEFAULT_DISCOUNT


def _find(keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each query in the sorted ``keys`` and whether it is there."""
    if len(keys) == 0:
        return np.zeros(queries.shape, dtype=np.int64), np.zeros(queries.shape, dtype=bool)
    idx = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return idx, keys[idx] == queries


def _take(values: np.ndarray, idx: np.ndarray, found: np.ndarray) -> np.ndarray:
    """``values[idx]`` where ``found``, 0 elsewhere."""
    return np.where(found, values[idx], 0) if len(values) else np.zeros(found.shape, np.int64)


def _lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``values`` of the ``queries`` found in ``keys``, 0 for the others."""
    return _take(values, *_find(keys, queries))


def _is_number(x) -> bool:
    """A real number (not a bool)."""
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def check_ids(name: str, ids, V: int, allow_empty: bool = True) -> np.ndarray:
    """``ids`` as a 1-D int64 array of token ids in [0, V), or an error naming ``name``,
    the first bad id and its position. Chapter 4."""
    arr = np.asarray(ids)
    if arr.size == 0 and arr.ndim <= 1:
        if not allow_empty:
            raise ValueError(f"{name} is empty: it needs at least one token id")
        return np.zeros(0, dtype=np.int64)
    arr = as_array(name, arr, 1)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer token ids, got dtype {arr.dtype}")
    bad = (arr < 0) | (arr >= V)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{first}] = {int(arr[first])} is not a token id: ids must "
                         f"be in [0, vocab_size) = [0, {V})")
    return arr.astype(np.int64, copy=False)


def ngram_keys(ids: np.ndarray, m: int, V: int) -> np.ndarray:
    r"""Keys of the ``len(ids) - m + 1`` m-grams of ``ids``: each window
    :math:`w_1 \dots w_m` read as the base-V number :math:`\sum_j w_j V^{m-j}`.
    Shape (n,) -> (n - m + 1,), int64. Chapter 4."""
    n = len(ids) - m + 1
    keys = np.zeros(max(n, 0), dtype=np.int64)
    for j in range(m):
        keys = keys * V + ids[j: j + n]
    return keys


class NGramModel(ABC):
    r"""What the n-gram models share: counting, checks, and probabilities of held-out ids.

    Subclasses give :math:`P(w \mid h)` for arrays of n-gram keys (:meth:`_probs`); the
    methods here turn it into ``prob``, ``next_distribution``, ``token_log_probs``,
    ``log_prob`` and ``perplexity``. Chapter 4.
    """

    def __init__(self, order: int):
        if not (_is_number(order) and int(order) == order and order >= 1):
            raise ValueError(f"order must be an integer >= 1 (1 = unigram, 2 = bigram, "
                             f"3 = trigram), got {order!r}")
        self.order = int(order)
        self.vocab_size: int | None = None
        self.counts: dict[int, CountTable] = {}  # level m -> counts of the m-grams

    def _ids(self, name: str, ids, allow_empty: bool = True) -> np.ndarray:
        return check_ids(name, ids, self.vocab_size, allow_empty)

    def _check_fitted(self, what: str) -> None:
        if self.vocab_size is None:
            raise RuntimeError(f"{type(self).__name__}.{what}: the model is not fitted; "
                               "call fit(ids, vocab_size) first")

    # ------------------------------------------------------------------ fitting
    def fit(self, ids, vocab_size: int):
        """Count the m-grams of the training ``ids`` (shape (n,), ints in [0, vocab_size))
        for every order m up to ``order``; returns ``self``. Chapter 4."""
        if not (_is_number(vocab_size) and int(vocab_size) == vocab_size and vocab_size >= 1):
            raise ValueError(f"vocab_size must be an integer >= 1, got {vocab_size!r}")
        if int(vocab_size) ** self.order >= MAX_KEY:
            raise ValueError(f"vocab_size {vocab_size} is too large for order {self.order}: "
                             f"the n-gram keys need vocab_size ** order < 2**62")
        V = int(vocab_size)
        ids = check_ids("ids", ids, V, allow_empty=False)
        self.vocab_size = V
        self.counts = {}
        for m in range(1, self.order + 1):
            keys, counts = np.unique(ngram_keys(ids, m, V), return_counts=True)
            self.counts[m] = CountTable.from_counts(keys, counts.astype(np.int64), V)
        return self

    # ------------------------------------------------------------------ probabilities
    @abstractmethod
    def _probs(self, grams: np.ndarray, m: int) -> np.ndarray:
        """P(w | h) for the m-gram keys ``grams`` (context h of m-1 tokens, then w)."""

    def _context_key(self, context) -> tuple[np.ndarray, int]:
        """The key of the last (at most order-1) tokens of ``context`` and their number."""
        ctx = self._ids("context", context)
        ctx = ctx[len(ctx) - min(len(ctx), self.order - 1):]
        key = ngram_keys(ctx, len(ctx), self.vocab_size)  # (1,); the empty context is 0
        return key, len(ctx)

    def next_distribution(self, context) -> np.ndarray:
        r""":math:`P(\cdot \mid h)` over the whole vocabulary after ``context`` (token ids,
        any length; the last ``order - 1`` are used), shape (V,), summing to 1. For
        sampling and for drawing. Chapter 4."""
        self._check_fitted("next_distribution")
        key, n = self._context_key(context)
        V = self.vocab_size
        return self._probs(key[0] * V + np.arange(V, dtype=np.int64), n + 1)

    def prob(self, context, token: int) -> float:
        r""":math:`P(w = \text{token} \mid h)` after ``context`` (token ids, any length).
        Chapter 4."""
        self._check_fitted("prob")
        key, n = self._context_key(context)
        token = self._ids("token", np.asarray([token]))[0]
        return float(self._probs(key * self.vocab_size + token, n + 1)[0])

    def token_log_probs(self, ids) -> np.ndarray:
        r""":math:`\log P(w_t \mid h_t)` (natural log) of every token of the held-out ``ids``,
        shape (n,) -> (n,); the first ``order - 1`` tokens are conditioned on the shorter
        contexts before them. Chapter 4."""
        self._check_fitted("token_log_probs")
        ids = self._ids("ids", ids)
        V, n = self.vocab_size, self.order
        head = [self._probs(ngram_keys(ids[: t + 1], t + 1, V), t + 1)
                for t in range(min(n - 1, len(ids)))]
        tail = [self._probs(ngram_keys(ids, n, V), n)] if len(ids) >= n else []
        return np.log(np.concatenate([*head, *tail, np.zeros(0)]))

    def log_prob(self, ids) -> float:
        r""":math:`\sum_t \log P(w_t \mid h_t)` over the held-out ``ids`` (shape (n,)), in
        nats. Chapter 4."""
        return float(np.sum(self.token_log_probs(ids)))

    def perplexity(self, ids) -> float:
        r"""Perplexity on the held-out ``ids`` (shape (n,), n >= 1):
        :math:`\exp(-\frac{1}{n} \sum_t \log P(w_t \mid h_t))`. Chapter 4."""
        self._check_fitted("perplexity")
        lp = self.token_log_probs(self._ids("ids", ids, allow_empty=False))
        return math.exp(-float(np.mean(lp)))

    def __repr__(self) -> str:
        V = "not fitted" if self.vocab_size is None else self.vocab_size
        return f"{type(self).__name__}(order={self.order}, V={V})"


class AddKNGram(NGramModel):
    r"""Add-k n-gram model: :math:`P(w \mid h) = (c(hw) + k) / (c(h\,\cdot) + kV)`.

    ``order=1`` is the add-k unigram (the same numbers as
    :func:`course_rnn.data.corpus.unigram_probs` with ``alpha=k``), ``k=1`` is Laplace's
    add-one. ``k`` must be positive: with :math:`k = 0` (maximum likelihood) an unseen
    n-gram gets probability 0 and the held-out perplexity is infinite. A context never
    seen gives the uniform :math:`1/V`. Taught in chapter 4.
    """

    def __init__(self, order: int = 2, k: float = 1.0):
        super().__init__(order)
        if not (_is_number(k) and 0 < k < math.inf):
            raise ValueError(f"k must be a positive number (add-k smoothing), got {k!r}")
        self.k = float(k)

    def _probs(self, grams: np.ndarray, m: int) -> np.ndarray:
        table, V, k = self.counts[m], self.vocab_size, self.k
        c = _lookup(table.keys, table.counts, grams)
        total = _lookup(table.context_keys, table.totals, grams // V)
        return (c + k) / (total + k * V)

    def __repr__(self) -> str:
        V = "not fitted" if self.vocab_size is None else self.vocab_size
        return f"AddKNGram(order={self.order}, k={self.k:g}, V={V})"


class KneserNeyNGram(NGramModel):
    r"""Interpolated Kneser-Ney n-gram model (Chen & Goodman 1998; Jurafsky & Martin ch. 3).

    .. math::

        P(w \mid h) = \frac{\max(c(hw) - D, 0) + D\, N_{1+}(h\,\cdot)\, P(w \mid h')}
                           {c(h\,\cdot)}

    at the top level with raw counts; the lower levels use the continuation counts
    :math:`N_{1+}(\cdot\,h'w)` in place of :math:`c`, the unigram level is interpolated
    with the uniform :math:`1/V`, and an unseen context (:math:`c(h\,\cdot) = 0`) takes the
    lower level's distribution whole. ``discount``: a number in (0, 1] for every level,
    or ``"chen-goodman"`` for :math:`D = n_1/(n_1 + 2 n_2)` per level (0.75 where
    :math:`n_1 = 0`). After ``fit``, :attr:`discounts` holds the values used. A context
    shorter than ``order - 1`` (the start of a sequence) is predicted by the KN model of
    the lower order (raw counts at its top level). Taught in chapter 4.
    """

    def __init__(self, order: int = 3, discount: float | str = DEFAULT_DISCOUNT):
        super().__init__(order)
        if isinstance(discount, str):
            if discount != "chen-goodman":
                raise ValueError(f"discount must be a number in (0, 1] or 'chen-goodman', "
                                 f"got {discount!r}")
        elif not (_is_number(discount) and 0 < discount <= 1):
            raise ValueError(f"discount must be a number in (0, 1] (absolute discounting "
                             f"subtracts it from every count) or 'chen-goodman', "
                             f"got {discount!r}")
        self.discount = discount if isinstance(discount, str) else float(discount)
        self.continuation: dict[int, CountTable] = {}  # level m < order -> N1+(. m-gram)

    def fit(self, ids, vocab_size: int):
        """Count the m-grams of ``ids`` (shape (n,), ints in [0, vocab_size)) for every
        order up to ``order``, then the continuation counts and the discounts; returns
        ``self``. Chapter 4."""
        super().fit(ids, vocab_size)
        V = self.vocab_size
        self.continuation = {}
        for m in range(1, self.order):
            # distinct (m+1)-grams u g, counted by their last m tokens g: N1+(. g)
            keys, counts = np.unique(self.counts[m + 1].keys % V**m, return_counts=True)
            self.continuation[m] = CountTable.from_counts(keys, counts.astype(np.int64), V)
        if self.discount == "chen-goodman":
            self._d_top = {m: t.discount_estimate() for m, t in self.counts.items()}
            self._d_low = {m: t.discount_estimate() for m, t in self.continuation.items()}
        else:
            self._d_top = dict.fromkeys(self.counts, self.discount)
            self._d_low = dict.fromkeys(self.continuation, self.discount)
        return self

    @property
    def discounts(self) -> dict[int, float]:
        """Level m -> the discount D used there with a full context (the top level on raw
        counts, the others on continuation counts). Chapter 4."""
        self._check_fitted("discounts")
        return {**self._d_low, self.order: self._d_top[self.order]}

    def _probs(self, grams: np.ndarray, m: int) -> np.ndarray:
        return self._interpolated(grams, m, top=True)

    def _interpolated(self, grams: np.ndarray, m: int, top: bool) -> np.ndarray:
        """P(w | h) at level m for the m-gram keys ``grams``: raw counts if ``top``, else
        continuation counts; recursion down to the uniform distribution at m = 0."""
        V = self.vocab_size
        if m == 0:
            return np.full(grams.shape, 1.0 / V)
        table = self.counts[m] if top else self.continuation[m]
        D = self._d_top[m] if top else self._d_low[m]
        c = _lookup(table.keys, table.counts, grams)
        idx, seen = _find(table.context_keys, grams // V)
        total, types = _take(table.totals, idx, seen), _take(table.types, idx, seen)
        lower = self._interpolated(grams % V ** (m - 1), m - 1, top=False)
        mixed = (np.maximum(c - D, 0.0) + D * types * lower) / np.maximum(total, 1)
        return np.where(seen, mixed, lower)

    def __repr__(self) -> str:
        V = "not fitted" if self.vocab_size is None else self.vocab_size
        return f"KneserNeyNGram(order={self.order}, discount={self.discount!r}, V={V})"
