r"""Tokenisers of chapter 4: text into integer ids and back, by characters, jamo or words.

A language model reads a sequence of symbols from a fixed vocabulary; the tokeniser
chooses those symbols, and with them what the model has to learn and how its perplexity
reads. Three choices, one API (``fit(text)``, ``encode(text)``, ``decode(ids)``,
``vocab``, ``len(tokenizer)``, ``unk_rate(text)``):

- :class:`CharTokenizer`: one id per character. The vocabulary is the sorted set of the
  training text's characters (the order of :func:`course_rnn.data.corpus.build_vocab`, so
  the ids agree) followed by ``<unk>``, which stands for any character of held-out text
  that training never saw.
- :class:`JamoTokenizer`: the same, after every precomposed Hangul syllable
  (U+AC00-U+D7A3) is cut into its conjoining jamo by Unicode's arithmetic

  .. math::

      s = \text{0xAC00} + (L \cdot 21 + V) \cdot 28 + T,

  with :math:`L` the initial consonant (19 of them, U+1100-U+1112), :math:`V` the medial
  vowel (21, U+1161-U+1175) and :math:`T` the final consonant (0 for none, else one of 27,
  U+11A8-U+11C2). Initials and finals are distinct code points (ㄱ as an initial is U+1100,
  as a final U+11A8), so :func:`compose_hangul` puts every syllable back unambiguously.
  Real Korean text uses about a thousand distinct syllables; its jamo vocabulary holds at
  most 67 jamo, plus the punctuation, digits and Latin letters of the text.
- :class:`WordTokenizer`: words and punctuation marks split by :data:`WORD_PATTERN`, a
  vocabulary of the words seen at least ``min_freq`` times, ``<unk>`` for the others and
  ``<eol>`` for a line break.

Perplexities are comparable only within one tokenisation: a model of characters and a
model of words predict different things. Taught in chapter 4.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter

import numpy as np

from course_rnn.data.corpus import build_vocab

UNK = "<unk>"
EOL = "<eol>"

# ---------------------------------------------------------------- Hangul arithmetic
SYLLABLE_BASE, SYLLABLE_END = 0xAC00, 0xD7A3  # 가 .. 힣, 11,172 syllables
INITIAL_BASE, MEDIAL_BASE, FINAL_BASE = 0x1100, 0x1161, 0x11A7  # final T=1 is U+11A8
N_INITIALS, N_MEDIALS, N_FINALS = 19, 21, 28  # N_FINALS counts "no final" (T = 0)
# The compatibility jamo (U+3131-U+318E) that display the conjoining ones on their own:
# the same letters in the order of the conjoining blocks (initials, medials, finals T=1..27).
_COMPAT_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_COMPAT_MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_COMPAT_FINALS = "ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"
_TO_COMPAT = {
    **{chr(INITIAL_BASE + i): c for i, c in enumerate(_COMPAT_INITIALS)},
    **{chr(MEDIAL_BASE + i): c for i, c in enumerate(_COMPAT_MEDIALS)},
    **{chr(FINAL_BASE + 1 + i): c for i, c in enumerate(_COMPAT_FINALS)},
}


def _initial(ch: str) -> int | None:
    """L index of a conjoining initial, or None. Chapter 4."""
    i = ord(ch) - INITIAL_BASE
    return i if 0 <= i < N_INITIALS else None


def _medial(ch: str) -> int | None:
    """V index of a conjoining medial, or None. Chapter 4."""
    i = ord(ch) - MEDIAL_BASE
    return i if 0 <= i < N_MEDIALS else None


def _final(ch: str) -> int | None:
    """T index (1..27) of a conjoining final, or None. Chapter 4."""
    i = ord(ch) - FINAL_BASE
    return i if 0 < i < N_FINALS else None


def decompose_hangul(text: str) -> str:
    r"""``text`` with every Hangul syllable replaced by its 2 or 3 conjoining jamo.

    For a syllable :math:`s` (U+AC00-U+D7A3), with :math:`i = s - \text{0xAC00}`:
    :math:`L = \lfloor i / 588 \rfloor`, :math:`V = \lfloor (i \bmod 588) / 28 \rfloor`,
    :math:`T = i \bmod 28`, written as U+1100+L, U+1161+V and, if :math:`T > 0`,
    U+11A7+T. ``"한" -> "\u1112\u1161\u11ab"`` (ᄒ ᅡ ᆫ). Every other character, the
    compatibility jamo ㅋ ㅎ of "ㅋㅋ" included, is kept as it is. Unlike
    ``unicodedata.normalize("NFD", text)`` it leaves accented Latin letters whole.
    Taught in chapter 4.
    """
    out = []
    for ch in text:
        i = ord(ch) - SYLLABLE_BASE
        if 0 <= i <= SYLLABLE_END - SYLLABLE_BASE:
            L, rest = divmod(i, N_MEDIALS * N_FINALS)
            V, T = divmod(rest, N_FINALS)
            out.append(chr(INITIAL_BASE + L) + chr(MEDIAL_BASE + V))
            if T:
                out.append(chr(FINAL_BASE + T))
        else:
            out.append(ch)
    return "".join(out)


def compose_hangul(text: str) -> str:
    r"""``text`` with every run initial + medial (+ final) of conjoining jamo made a syllable.

    The run L, V, (T) becomes :math:`\text{0xAC00} + (L \cdot 21 + V) \cdot 28 + T`; a final
    is taken only right after a medial that completed a syllable. Jamo that form no
    syllable (a lone initial, a medial with no initial before it, a final after anything
    but a completed syllable) stay as they are, so the model's samples decode to readable
    text plus, where it erred, stray jamo (see :func:`to_compatibility_jamo` to show them).

    ``compose_hangul(decompose_hangul(s)) == s`` for every ``s`` in which no conjoining
    jamo joins its neighbour into a syllable: no initial directly followed by a medial, no
    final directly after a syllable that has none. Text normalised to NFC (as typed or
    downloaded text is) never holds one. A string that does (U+1112 U+1161, or 하 U+11AB)
    comes back with the syllable composed (한): the canonically equivalent form, the one
    ``unicodedata.normalize("NFC", s)`` gives. Taught in chapter 4.
    """
    out = []
    i, n = 0, len(text)
    while i < n:
        L = _initial(text[i])
        V = _medial(text[i + 1]) if L is not None and i + 1 < n else None
        if V is None:
            out.append(text[i])
            i += 1
            continue
        T = _final(text[i + 2]) if i + 2 < n else None
        out.append(chr(SYLLABLE_BASE + (L * N_MEDIALS + V) * N_FINALS + (T or 0)))
        i += 3 if T else 2
    return "".join(out)


def to_compatibility_jamo(text: str) -> str:
    """``text`` with every conjoining jamo shown as its compatibility jamo (U+3131-U+3163).

    Conjoining jamo are meant to be drawn stacked inside a syllable; alone, many fonts draw
    them badly or not at all. For display only (a vocabulary, a decomposed sentence, a
    sample's stray jamo): ``to_compatibility_jamo(decompose_hangul("한")) == "ㅎㅏㄴ"``.
    The mapping loses the initial/final distinction, so it cannot be undone. Taught in
    chapter 4.
    """
    return "".join(_TO_COMPAT.get(ch, ch) for ch in text)


# ---------------------------------------------------------------- tokenisers
class Tokenizer(ABC):
    """What every tokeniser of the course shares: a vocabulary, ids, ``<unk>``. Chapter 4.

    A subclass says how a text becomes a list of units (:meth:`units`), how the units of a
    decoded sequence become text (:meth:`join`) and which units enter the vocabulary
    (:meth:`build`). Ids index :attr:`vocab`; ``<unk>`` is always in it.
    """

    def __init__(self):
        self.vocab: list[str] = []
        self._index: dict[str, int] = {}

    # -- what a subclass defines
    @abstractmethod
    def units(self, text: str) -> list[str]:
        """The units (characters, jamo, words) of ``text``, in order. Chapter 4."""

    @abstractmethod
    def join(self, units: list[str]) -> str:
        """The text of a list of vocabulary entries. Chapter 4."""

    @abstractmethod
    def build(self, units: list[str]) -> list[str]:
        """The vocabulary (``<unk>`` included) from the units of the training text. Chapter 4."""

    # -- the common API
    def fit(self, text: str):
        """Build the vocabulary from the training text ``text``; returns ``self``. Chapter 4."""
        if not isinstance(text, str):
            raise TypeError(f"{type(self).__name__}.fit expects a str, got {type(text).__name__}")
        units = self.units(text)
        if not units:
            raise ValueError(f"{type(self).__name__}.fit: the training text has no tokens")
        self.vocab = self.build(units)
        self._index = {u: i for i, u in enumerate(self.vocab)}
        return self

    def _check_fitted(self, what: str) -> None:
        if not self.vocab:
            raise RuntimeError(
                f"{type(self).__name__}.{what}: the tokenizer has no vocabulary yet; "
                "call fit(training_text) first"
            )

    @property
    def unk_id(self) -> int:
        """The id of ``<unk>``. Chapter 4."""
        self._check_fitted("unk_id")
        return self._index[UNK]

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """Ids of the units of ``text``, shape (n,), int64; unseen units get ``<unk>``'s id.
        Chapter 4."""
        self._check_fitted("encode")
        if not isinstance(text, str):
            raise TypeError(f"{type(self).__name__}.encode expects a str, "
                            f"got {type(text).__name__}")
        unk = self._index[UNK]
        ids = [self._index.get(u, unk) for u in self.units(text)]
        return np.array(ids, dtype=np.int64)

    def decode(self, ids) -> str:
        """The text of the ids ``ids`` (integers in [0, V), shape (n,)). Chapter 4."""
        return self.join(self._entries(ids, "decode"))

    def _entries(self, ids, what: str) -> list[str]:
        """The vocabulary entries of ``ids``, after checking them."""
        self._check_fitted(what)
        arr = np.asarray(ids)
        if arr.size == 0:
            return []
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise TypeError(f"ids must be a 1-D sequence of integers, got dtype {arr.dtype} "
                            f"and shape {arr.shape}")
        bad = (arr < 0) | (arr >= len(self.vocab))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(f"id {int(arr[first])} at position {first} is outside the "
                             f"vocabulary: ids must be in [0, {len(self.vocab)})")
        return [self.vocab[i] for i in arr.tolist()]

    def unk_rate(self, text: str) -> float:
        """Fraction of the units of ``text`` that are not in the vocabulary (encoded as
        ``<unk>``); 0.0 for a text with no units. Chapter 4."""
        ids = self.encode(text)
        return float(np.mean(ids == self._index[UNK])) if ids.size else 0.0

    def __repr__(self) -> str:
        size = len(self.vocab) if self.vocab else "not fitted"
        return f"{type(self).__name__}(V={size})"


class CharTokenizer(Tokenizer):
    """One id per character: the sorted characters of the training text, then ``<unk>``.

    ``decode`` writes ``<unk>`` where an unseen character was, so
    ``decode(encode(s)) == s`` exactly when ``unk_rate(s) == 0``. The ids of the
    characters are those of :func:`course_rnn.data.corpus.build_vocab` on the same text.
    Taught in chapter 4.
    """

    def units(self, text: str) -> list[str]:
        """The characters of ``text``. Chapter 4."""
        return list(text)

    def join(self, units: list[str]) -> str:
        """The characters written one after the other. Chapter 4."""
        return "".join(units)

    def build(self, units: list[str]) -> list[str]:
        """Sorted distinct characters, then ``<unk>``. Chapter 4."""
        return [*build_vocab(units)[1], UNK]


class JamoTokenizer(CharTokenizer):
    r"""Characters after Hangul syllables are cut into jamo (:func:`decompose_hangul`).

    ``encode("한") -> ids of ᄒ, ᅡ, ᆫ``; ``decode`` joins the symbols and recomposes the
    syllables (:func:`compose_hangul`), so ``decode(encode(s)) == s`` for text with no
    unseen symbol (and no run of conjoining jamo of its own, see :func:`compose_hangul`).
    English text is unchanged by the decomposition: there it is a :class:`CharTokenizer`.
    :meth:`display` shows a vocabulary or a sequence of jamo with compatibility jamo.
    Taught in chapter 4.
    """

    def units(self, text: str) -> list[str]:
        """The characters of ``decompose_hangul(text)``. Chapter 4."""
        return list(decompose_hangul(text))

    def join(self, units: list[str]) -> str:
        """The symbols written one after the other, syllables recomposed. Chapter 4."""
        return compose_hangul("".join(units))

    def display(self, ids) -> str:
        """The symbols of ``ids`` without recomposition, jamo as compatibility jamo
        (``ㅎㅏㄴ``), to show what the model reads. Chapter 4."""
        return to_compatibility_jamo("".join(self._entries(ids, "display")))


# A word: a run of letters or digits (any script: Hangul, Latin, ...), with inner
# apostrophes kept (don't, o'clock); else a line break, or one punctuation mark or symbol.
WORD_PATTERN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\n|[^\w\s]|_")


class WordTokenizer(Tokenizer):
    r"""Words and punctuation marks: a vocabulary of the words seen ``min_freq`` times or more.

    The text is cut by :data:`WORD_PATTERN`: a word is a run of letters or digits (inner
    apostrophes kept: ``don't``), every other non-space character is a token of its own,
    and a line break is ``<eol>`` (end of line or paragraph); spaces and tabs only
    separate. In Korean this splits on spaces and punctuation only, so particles and
    endings stay attached to their word: the tokens are eojeol (어절), ``학교에서`` and
    ``학교에`` are two different words, and the vocabulary grows accordingly (a
    morphological analyser would split them; the course keeps the rule simple).

    The vocabulary lists the words of the training text by decreasing count (ties in
    sorted order), then ``<eol>`` and ``<unk>``; a word seen fewer than ``min_freq``
    times, or never, is encoded as ``<unk>``. ``lower=True`` lowercases first. After
    ``fit``, :attr:`counts` holds every word's count in the training text.

    ``decode`` joins the words with single spaces and writes a line break for ``<eol>``:
    the original spacing is lost (``말했다.`` comes back as ``말했다 .``, ``"Hi," she``
    as ``" Hi , " she``), so is the case with ``lower=True``, and an unknown word comes
    back as ``<unk>``. Taught in chapter 4.
    """

    def __init__(self, min_freq: int = 1, lower: bool = False):
        super().__init__()
        if isinstance(min_freq, bool) or int(min_freq) != min_freq or min_freq < 1:
            raise ValueError(f"min_freq must be an integer >= 1, got {min_freq!r}")
        self.min_freq = int(min_freq)
        self.lower = bool(lower)
        self.counts: Counter[str] = Counter()

    def units(self, text: str) -> list[str]:
        """The words, punctuation marks and ``<eol>``s of ``text``. Chapter 4."""
        if self.lower:
            text = text.lower()
        return [EOL if w == "\n" else w for w in WORD_PATTERN.findall(text)]

    def join(self, units: list[str]) -> str:
        """Words joined by spaces, ``<eol>`` as a line break. Chapter 4."""
        return "\n".join(" ".join(line) for line in _split_lines(units))

    def build(self, units: list[str]) -> list[str]:
        """Words with count >= ``min_freq`` by decreasing count, then ``<eol>``, ``<unk>``.
        Chapter 4."""
        self.counts = Counter(u for u in units if u != EOL)
        kept = sorted((w for w, c in self.counts.items() if c >= self.min_freq),
                      key=lambda w: (-self.counts[w], w))
        return [*kept, EOL, UNK]

    def __repr__(self) -> str:
        size = len(self.vocab) if self.vocab else "not fitted"
        return f"WordTokenizer(min_freq={self.min_freq}, lower={self.lower}, V={size})"


def _split_lines(units: list[str]) -> list[list[str]]:
    """The units cut at every ``<eol>`` (which is dropped). Chapter 4."""
    lines: list[list[str]] = [[]]
    for u in units:
        if u == EOL:
            lines.append([])
        else:
            lines[-1].append(u)
    return lines
