r"""What chapter 4 computes around the language model: tokenisations, temperature,
entropy, next-token probabilities, samples.

- :func:`tokenisation_rows`, :func:`min_freq_sweep`, :func:`jamo_per_syllable`: what a
  tokenisation makes of a text (vocabulary size :math:`V`, tokens per character, the share
  of ``<unk>`` in held-out text);
- :func:`temperature_softmax` and :func:`entropy`: the sampling distribution
  :math:`p_\tau = \mathrm{softmax}(s / \tau)` and its entropy
  :math:`H(p) = -\sum_v p_v \log p_v` (in nats; :math:`e^{H}` is the effective number
  of choices, the same reading as perplexity);
- :func:`next_token_probs`: the model's distribution over the next token after a prompt;
- :func:`sample_text`, :func:`readable_text`, :func:`token_labels`,
  :func:`hangul_sample_stats`: text drawn from a model, shown the way a reader can read it
  (jamo recomposed into syllables, the strays shown as compatibility jamo);
- :func:`pick_model`: which stored model a section shows.

The torch twin of the model is in ``course_rnn.torch_ref.lm``, its drawings in
``course_rnn.figures.lm``. Taught in chapter 4.
"""

from __future__ import annotations

import numpy as np

from course_rnn.data.tokenize import (
    EOL,
    CharTokenizer,
    JamoTokenizer,
    WordTokenizer,
    decompose_hangul,
    to_compatibility_jamo,
)
from course_rnn.layers import softmax

SYLLABLES = ("\uac00", "\ud7a3")  # 가 .. 힣, the precomposed Hangul syllables


def temperature_softmax(scores, temperature: float = 1.0) -> np.ndarray:
    r"""Next-token distribution at temperature :math:`\tau`.

    .. math::

        p_\tau(v) = \frac{\exp(s_v / \tau)}{\sum_u \exp(s_u / \tau)}

    ``scores`` (..., V) -> probabilities (..., V). :math:`\tau \to 0` tends to the
    one-hot of the arg max, :math:`\tau = 1` is the model's own distribution,
    :math:`\tau \to \infty` the uniform one. Torch: ``F.softmax(scores / tau, -1)``.
    Taught in chapter 4.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    return softmax(np.asarray(scores, dtype=np.float64) / temperature, axis=-1)


def entropy(p, axis: int = -1) -> np.ndarray:
    r"""Entropy in nats of the distributions ``p`` along ``axis``.

    .. math::

        H(p) = -\sum_v p_v \log p_v \qquad (0 \log 0 = 0)

    ``p`` (..., V) -> (...). :math:`e^{H}` is the number of equally likely choices with
    the same uncertainty. Torch: ``torch.distributions.Categorical(probs=p).entropy()``.
    Taught in chapter 4.
    """
    p = np.asarray(p, dtype=np.float64)
    logp = np.log(np.where(p > 0, p, 1.0))
    return -np.sum(p * logp, axis=axis)


def next_token_probs(model, ids) -> np.ndarray:
    r"""The model's next-token distribution after each prefix of ``ids``.

    .. math::

        P_{t, v} = p(w_{t+1} = v \mid w_1, \dots, w_t) = \mathrm{softmax}(s_t)_v

    ``ids`` (T,) -> probabilities (T, V); row t is the prediction made after reading
    ``ids[t]``. The state is reset before and after. Torch: ``F.softmax(net(ids)[0], -1)``.
    Taught in chapter 4.
    """
    model.reset_state()
    try:
        scores = model.predict(np.asarray(ids, dtype=np.int64)[None])[0]  # (T, V)
    finally:
        model.reset_state()
    return softmax(scores.astype(np.float64), axis=-1)




# --------------------------------------------------------------------------- tokenisations
def _has_hangul(text: str) -> bool:
    return any(SYLLABLES[0] <= c <= SYLLABLES[1] for c in text)


def jamo_per_syllable(text: str) -> float:
    r"""Mean number of jamo per Hangul syllable of ``text``: 2 (initial + medial) plus the
    share of syllables with a final consonant. ``nan`` for a text without Hangul.

    .. math::

        \frac{1}{|S|} \sum_{s \in S} |\mathrm{jamo}(s)| \in [2, 3]

    Torch: none (text statistics). Taught in chapter 4.
    """
    syllables = "".join(c for c in text if SYLLABLES[0] <= c <= SYLLABLES[1])
    return len(decompose_hangul(syllables)) / len(syllables) if syllables else float("nan")


def tokenisation_rows(texts: dict, min_freqs=(1, 2, 3, 5)) -> list[dict]:
    r"""What each tokenisation makes of each corpus: one row per (language, tokenisation).

    ``texts``: ``{lang: (train_text, valid_text)}``. For every language: characters, jamo
    (only for a text with Hangul: jamo leave other text unchanged) and words for every
    ``min_freq`` of ``min_freqs``; the vocabulary is fitted on the training text and
    measured on the validation text. Each row: ``lang``, ``tokens`` (``"char"``, ``"jamo"``,
    ``"word"``), ``min_freq`` (``None`` but for words), ``V``, ``tokens_per_char``
    (:math:`n_w / n_c` of the validation text) and ``unk_rate`` (the share of its tokens
    that are ``<unk>``). Torch: none. Taught in chapter 4.
    """
    rows = []
    for lang, (train_text, valid_text) in texts.items():
        tokenizers = [("char", CharTokenizer())]
        if _has_hangul(train_text):
            tokenizers.append(("jamo", JamoTokenizer()))
        for tokens, tok in tokenizers:
            tok.fit(train_text)
            ids = tok.encode(valid_text)
            rows.append({"lang": lang, "tokens": tokens, "min_freq": None, "V": len(tok),
                         "tokens_per_char": len(ids) / len(valid_text),
                         "unk_rate": float(np.mean(ids == tok.unk_id))})
        # words: one tokenisation, every minimum count from the same counts
        n_words = len(WordTokenizer().units(valid_text))
        V, unk = min_freq_sweep(train_text, valid_text, min_freqs)
        rows += [{"lang": lang, "tokens": "word", "min_freq": int(m), "V": int(v),
                  "tokens_per_char": n_words / len(valid_text), "unk_rate": float(u)}
                 for m, v, u in zip(min_freqs, V, unk, strict=True)]
    return rows


def min_freq_sweep(train_text: str, valid_text: str, min_freqs, lower: bool = False):
    r"""Word vocabulary size and validation ``<unk>`` rate for every minimum count.

    With :math:`c(w)` the count of word :math:`w` in the training text, the vocabulary at
    ``min_freq`` :math:`m` holds :math:`\{w : c(w) \ge m\}` plus ``<eol>`` and ``<unk>``,
    and a validation token is ``<unk>`` when :math:`c(w) < m`. Counts once instead of
    fitting a ``WordTokenizer`` per :math:`m`, with the same numbers
    (``len(WordTokenizer(m).fit(train_text))`` and its ``unk_rate(valid_text)``).
    Returns ``(V, unk_rate)``, two arrays of shape ``(len(min_freqs),)``. Torch: none.
    Taught in chapter 4.
    """
    tok = WordTokenizer(min_freq=1, lower=lower).fit(train_text)
    counts = np.array(list(tok.counts.values()))  # (W,) count of every distinct word
    valid = tok.units(valid_text)
    seen = np.array([0 if u == EOL else tok.counts.get(u, 0) for u in valid])  # (n,)
    is_eol = np.array([u == EOL for u in valid])
    V, unk = [], []
    for m in min_freqs:
        if isinstance(m, bool) or int(m) != m or m < 1:
            raise ValueError(f"min_freqs must be integers >= 1, got {m!r}")
        V.append(int(np.sum(counts >= m)) + 2)  # + <eol> and <unk>
        unk.append(float(np.mean(~is_eol & (seen < m))) if len(valid) else 0.0)
    return np.array(V), np.array(unk)


# --------------------------------------------------------------------------- showing tokens
def _visible(unit: str) -> str:
    """A vocabulary entry as a label: space ␣, line break ↵, jamo as compatibility jamo."""
    return to_compatibility_jamo(unit).replace(" ", "␣").replace("\n", "↵").replace(EOL, "↵")


def token_labels(tokenizer, ids) -> list[str]:
    """One readable label per id of ``ids`` (shape (n,)): the vocabulary entry, a space as
    ␣, a line break as ↵, a conjoining jamo as its compatibility jamo (ᄒ -> ㅎ). For the
    axes of a figure. Torch: none. Taught in chapter 4."""
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D, got shape {ids.shape}")
    return [_visible(tokenizer.vocab[int(i)]) for i in ids]


def readable_text(tokenizer, ids) -> str:
    """``tokenizer.decode(ids)`` with the jamo left over (those that formed no syllable)
    shown as compatibility jamo, which every font draws. English text is unchanged.
    Torch: none. Taught in chapter 4."""
    return to_compatibility_jamo(tokenizer.decode(np.asarray(ids, dtype=np.int64)))


def sample_text(model, tokenizer, prompt: str, length: int, rng: np.random.Generator,
                temperature: float = 1.0) -> dict:
    r"""Draw ``length`` tokens from ``model`` after ``prompt``, at ``temperature``.

    Returns ``{"ids"`` (the ``length`` ids drawn), ``"text"`` (prompt and sample decoded
    together by :func:`readable_text`, so a syllable cut at the prompt's end is recomposed),
    ``"entropy"`` (the mean entropy in nats of the distributions the tokens were drawn from,
    :math:`\frac{1}{n}\sum_t H(p_\tau(\cdot \mid w_{<t}))`)``}``. Uses
    ``model.generate`` and :func:`next_token_probs`. Torch: sample with
    ``torch.multinomial(F.softmax(s / tau, -1), 1)``. Taught in chapter 4.
    """
    start = tokenizer.encode(prompt)
    if start.size == 0:
        raise ValueError("prompt must give at least one token")
    out = model.generate(start, length, rng, temperature=temperature)
    P = next_token_probs(model, np.r_[start, out])[len(start) - 1:-1]  # (length, V)
    p_tau = temperature_softmax(np.log(np.maximum(P, 1e-300)), temperature)
    return {"ids": list(out), "text": readable_text(tokenizer, np.r_[start, out]),
            "entropy": float(entropy(p_tau).mean())}


def hangul_sample_stats(text: str, known: str) -> dict:
    r"""How well a sample's Hangul holds together: ``syllables`` (precomposed syllables in
    ``text``), ``novel`` (how many of them never occur in ``known``, e.g. the training
    text: a character model can never write one, a jamo model can), ``stray_jamo`` (jamo
    that formed no syllable: compatibility jamo U+3131-U+318E, as :func:`readable_text`
    shows them; ``known`` text with its own compatibility jamo, such as ㅋㅋ, would make
    this an overestimate). Torch: none. Taught in chapter 4.
    """
    vocab = set(known)
    syll = [c for c in text if SYLLABLES[0] <= c <= SYLLABLES[1]]
    return {"syllables": len(syll), "novel": sum(c not in vocab for c in syll),
            "stray_jamo": sum("\u3131" <= c <= "\u318e" for c in text)}


# --------------------------------------------------------------------------- stored models
def pick_model(results: dict, lang: str, tokens: str, cell: str = "rnn") -> str:
    r"""The stored row a chapter shows for ``lang`` and ``tokens``.

    Among the rows of ``results`` (``course_rnn.experiments.language_models.load_results``)
    whose weights are shipped (``results["weights"]``) and that read ``lang`` as ``tokens``:
    those of the cell ``cell`` if there are any, else all of them; of these, the row with
    the lowest mean test perplexity over its seeds, :math:`\frac{1}{S}\sum_s
    \mathrm{PPL}^{(s)}_\text{test}`. Raises ``KeyError`` when no shipped row fits. Torch:
    none. Taught in chapter 4.
    """
    rows = results["rows"]
    shipped = [n for n in results.get("weights", {})
               if n in rows and rows[n]["lang"] == lang and rows[n]["tokens"] == tokens]
    if not shipped:
        raise KeyError(f"no shipped model reads lang={lang!r} as tokens={tokens!r}; shipped: "
                       f"{sorted(results.get('weights', {}))}")
    of_cell = [n for n in shipped if rows[n]["cell"] == cell]

    def mean_test(name: str) -> float:
        tests = [r["test"] for r in results["runs"] if r["row"] == name]
        return float(np.mean(tests)) if tests else float("inf")

    return min(of_cell or shipped, key=mean_test)
