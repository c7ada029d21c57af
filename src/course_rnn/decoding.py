r"""Decoding an output sequence and scoring it (chapter 10): beam search and edit distance.

Greedy decoding keeps one hypothesis and picks the most probable symbol at every step. Beam
search keeps the ``beam`` most probable partial outputs,

.. math::

    \log p(y_{1:t} \mid x) = \sum_{i=1}^{t} \log p(y_i \mid y_{<i}, x),

extends each by every symbol, and keeps the best ``beam`` of the extensions; a beam of width 1
is greedy decoding. The edit distance (Levenshtein, 1966) counts the insertions, deletions and
substitutions that turn one string into another: a score that gives partial credit where
exact match gives none. Taught in chapter 10 (attention).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def beam_search(step: Callable, state0, start: int, end: int, beam: int, steps: int,
                alpha: float = 0.0):
    r"""The most probable output found by a beam of width ``beam``.

    At every step each of the (at most ``beam``) live hypotheses is extended by every symbol;
    of all extensions, the ``beam`` with the highest summed log-probability are kept (ties:
    the earlier hypothesis, then the smaller id). A kept extension that writes ``end`` is
    finished and leaves the beam. The search stops after ``steps`` steps, when no hypothesis
    is live, or (``alpha = 0``) when the best finished hypothesis scores at least as much as
    every live one (a log-probability can only fall). The answer is the best of the finished
    and the live hypotheses by :math:`\log p / |y|^\alpha` (``alpha = 0``: no length
    normalisation; Wu et al., 2016, use a similar penalty).

    Parameters
    ----------
    step : callable
        ``step(prev (K,) ids, states (K, ...)) -> (logp (K, V), new_states (K, ...))``:
        one decoder step for K hypotheses at once.
    state0 : ndarray, shape (1, ...)
        The decoder's first state.
    start, end : int
        The start symbol read first and the end symbol.
    beam : int
        Beam width, at least 1.
    steps : int
        The most symbols written.
    alpha : float
        Length-normalisation exponent.

    Returns
    -------
    ids : int ndarray, shape (L,)
        The best output, ending with ``end`` if it was written.
    logprob : float
        Its summed log-probability.

    Notes
    -----
    torch: none built in (``torchaudio``'s CTC decoder and Hugging Face ``generate(num_beams=
    ...)`` implement variants). Taught in chapter 10.
    """
    if not isinstance(beam, (int, np.integer)) or beam < 1:
        raise ValueError(f"beam must be an integer >= 1, got {beam!r}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps!r}")
    states = np.asarray(state0)
    prev = np.array([start])
    seqs: list[list[int]] = [[]]
    scores = np.zeros(1)
    finished: list[tuple[list[int], float]] = []

    def normed(seq, score):
        return score / (len(seq) ** alpha) if alpha else score

    for _ in range(steps):
        logp, new_states = step(prev, states)
        logp = np.asarray(logp, dtype=np.float64)
        K, V = logp.shape
        cand = (scores[:, None] + logp).ravel()  # (K * V,)
        order = np.lexsort((np.arange(K * V), -cand))[:beam]  # best first, ties by index
        keep_rows, keep_ids, live_seqs, live_scores = [], [], [], []
        for flat in order:
            k, v = divmod(int(flat), V)
            seq = seqs[k] + [v]
            if v == end:
                finished.append((seq, float(cand[flat])))
            else:
                keep_rows.append(k)
                keep_ids.append(v)
                live_seqs.append(seq)
                live_scores.append(float(cand[flat]))
        if not keep_rows:
            seqs, scores = [], np.zeros(0)
            break
        states = np.asarray(new_states)[keep_rows]
        prev, seqs, scores = np.array(keep_ids), live_seqs, np.array(live_scores)
        if alpha == 0 and finished and max(s for _, s in finished) >= scores.max():
            break
    pool = finished + list(zip(seqs, scores.tolist(), strict=True))
    best_seq, best_score = max(pool, key=lambda h: normed(*h))
    return np.array(best_seq, dtype=np.int64), float(best_score)


def edit_distance(a: Sequence, b: Sequence) -> int:
    r"""The Levenshtein distance between two sequences (strings or id lists):

    .. math::

        D_{i,j} = \min\bigl(D_{i-1,j} + 1,\ D_{i,j-1} + 1,\
        D_{i-1,j-1} + [a_i \ne b_j]\bigr), \qquad D_{i,0} = i, \ D_{0,j} = j

    and the distance is :math:`D_{|a|,|b|}`. One row of the table at a time, O(|a| |b|).
    torch: none (``torchaudio.functional.edit_distance``). Taught in chapter 10.
    """
    a, b = list(a), list(b)
    row = np.arange(len(b) + 1)
    for i, x in enumerate(a, 1):
        diag, row = row, np.empty_like(row)
        row[0] = i
        for j, y in enumerate(b, 1):
            row[j] = min(diag[j] + 1, row[j - 1] + 1, diag[j - 1] + (x != y))
    return int(row[-1])


def mean_edit_distance(preds: Sequence, targets: Sequence) -> float:
    r"""Mean edit distance over pairs, :math:`\frac{1}{N}\sum_n D(\hat y_n, y_n)`; ``preds``
    and ``targets`` are equally long lists of strings. Taught in chapter 10."""
    if len(preds) != len(targets):
        raise ValueError(f"{len(preds)} predictions but {len(targets)} targets")
    return float(np.mean([edit_distance(p, t) for p, t in zip(preds, targets, strict=True)]))
