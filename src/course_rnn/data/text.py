r"""Real text for the language models of chapters 4-6, shipped with the package.

Five files in ``course_rnn/data/corpora/`` (their sources, cleaning and licences are in the
``README.md`` beside them; ``tools/corpora.py`` made them from registry packages), one
paragraph per line:

- English: Jane Austen's *Pride and Prejudice* and *Persuasion* (public domain);
- Korean: the Constitution (대한민국헌법) and ten National Assembly bills (not protected
  works, Copyright Act Art. 7), and the Korean LibreOffice help (MPL-2.0), a technical
  register that gives the Korean side most of its size.

:func:`load_corpus` reads a file and refuses it unless its SHA-256 is the one recorded
in :data:`CORPORA`, so every chapter trains on the same bytes. :func:`split_text` cuts a
text into contiguous training, validation and test parts at paragraph boundaries, the
part sizes as near the fractions as whole paragraphs allow:

.. math::

    c_k = \operatorname*{arg\,min}_{b \in B} \Bigl| b - N \sum_{j \le k} f_j \Bigr|,
    \qquad k = 1, 2

where :math:`B` is the set of character offsets at which a paragraph starts and :math:`N`
the text's length. :func:`describe` counts what a tokenisation sees: characters, Hangul
syllables, words. Used by chapters 4-6.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import NamedTuple

LANGS = ("ko", "en")
FOLDER = "corpora"  # inside the package course_rnn.data


@dataclass(frozen=True)
class CorpusFile:
    """One shipped text: its file (relative to ``corpora/``), language, SHA-256, licence
    and title. Chapters 4-6."""

    file: str
    lang: str
    sha256: str
    licence: str
    title: str


CORPORA: dict[str, CorpusFile] = {
    "pride_and_prejudice": CorpusFile(
        "en/pride_and_prejudice.txt", "en",
        "9d0efdb00f53fef6bafab288b91b6b9ed0dfd59b26e76e21e2eb4f84bb051ab3",
        "public domain", "Jane Austen, Pride and Prejudice (1813)",
    ),
    "persuasion": CorpusFile(
        "en/persuasion.txt", "en",
        "f38b37ad6e7e3ea633c7c624530d80afd06aa54ee74450c2bdd5fd60239e52f1",
        "public domain", "Jane Austen, Persuasion (1818)",
    ),
    "constitution": CorpusFile(
        "ko/constitution.txt", "ko",
        "51e3a9fd28ccf0ec9f5c27d2dc9214245c5b834d04f54b7fc83e76f7192512b1",
        "not protected (Korean Copyright Act, Art. 7)", "대한민국헌법",
    ),
    "bills": CorpusFile(
        "ko/bills.txt", "ko",
        "7c396cd35f8ac3061aca1af60ef48a4b08b452b037b7f8c2be6ff937a4f2613f",
        "not protected (Korean Copyright Act, Art. 7)", "국회 의안 10건 (2010년 11월)",
    ),
    "libreoffice_help": CorpusFile(
        "ko/libreoffice_help.txt", "ko",
        "13320b5d2681a30a465b0ffefedc86f2388e4bf40426c1b64582d2c4a695201d",
        "MPL-2.0", "LibreOffice 7.4 도움말",
    ),
}


def corpus_names(lang: str | None = None) -> tuple[str, ...]:
    """The names of the shipped corpora, all or those of ``lang`` (``"ko"`` or ``"en"``),
    in the order of :data:`CORPORA`. Chapters 4-6."""
    if lang is not None and lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS} or None, got {lang!r}")
    return tuple(name for name, c in CORPORA.items() if lang is None or c.lang == lang)


def load_corpus(name: str, root: str | Path | None = None) -> str:
    """The text of the shipped corpus ``name`` (see :func:`corpus_names`), after checking
    its SHA-256 against :data:`CORPORA`.

    ``root``: a folder laid out like ``course_rnn/data/corpora`` to read instead of the
    package's copy (the checksum is checked all the same). Raises ``KeyError`` for an
    unknown name and ``ValueError`` naming the file, both hashes and the remedy when the
    file's bytes are not the recorded ones. Chapters 4-6.
    """
    if name not in CORPORA:
        raise KeyError(f"no corpus named {name!r}; the corpora are {corpus_names()}")
    entry = CORPORA[name]
    if root is None:
        source = resources.files("course_rnn.data").joinpath(FOLDER, *entry.file.split("/"))
    else:
        source = Path(root).joinpath(*entry.file.split("/"))
    if not source.is_file():
        raise FileNotFoundError(
            f"corpus {name!r}: {source} is missing; reinstall course_rnn (the corpora ship "
            "inside the package) or, in a clone, restore src/course_rnn/data/corpora/"
        )
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:
        raise ValueError(
            f"corpus {name!r}: {source} has SHA-256 {digest}, expected {entry.sha256}. "
            "The file was changed or damaged: restore it (reinstall course_rnn, or in a "
            "clone `git checkout src/course_rnn/data/corpora`); a maintainer who rebuilt the "
            "corpora with tools/corpora.py must update CORPORA in course_rnn/data/text.py."
        )
    return data.decode("utf-8")


def _paragraph_starts(text: str) -> list[int]:
    """Offsets at which a paragraph (a line) starts, ``0`` and ``len(text)`` included."""
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    if starts[-1] != len(text):
        starts.append(len(text))
    return starts


def split_text(text: str, fractions=(0.9, 0.05, 0.05)) -> tuple[str, str, str]:
    r"""Cut ``text`` into contiguous (train, valid, test) parts at paragraph boundaries.

    A paragraph is a line (it ends with ``\n``, or the text does). Each cut is the
    paragraph boundary nearest to :math:`N (f_1)` and :math:`N (f_1 + f_2)` characters,
    so a part's size is within one paragraph of its fraction, no paragraph is cut, and
    ``train + valid + test == text``. Deterministic (no shuffling: the validation and
    test text come after the training text, as in Penn Treebank's split). ``fractions``:
    three positive numbers that sum to 1. Raises ``ValueError`` if the text has too few
    paragraphs to give each part one. Chapters 4-6.
    """
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or min(fractions) <= 0 or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(
            f"fractions must be three positive numbers summing to 1, got {fractions}"
        )
    starts = _paragraph_starts(text)
    n = len(text)
    cuts = []
    for target in (n * fractions[0], n * (fractions[0] + fractions[1])):
        cuts.append(min(starts, key=lambda b: (abs(b - target), b)))
    a, b = cuts
    if not 0 < a < b < n:
        raise ValueError(
            f"text of {n} characters in {len(starts) - 1} paragraphs cannot be split into "
            f"three non-empty parts of fractions {fractions}: cuts at {a} and {b}; give a "
            "longer text or fractions closer to its paragraph sizes"
        )
    return text[:a], text[a:b], text[b:]


class TextStats(NamedTuple):
    """What :func:`describe` counts in a text. Chapters 4-6."""

    characters: int
    distinct_characters: int
    syllables: int  # precomposed Hangul syllables, U+AC00-U+D7A3
    distinct_syllables: int
    words: int  # runs of non-whitespace
    paragraphs: int  # lines


def describe(text: str) -> TextStats:
    """Counts of ``text``: characters and distinct characters, Hangul syllables (가-힣) and
    distinct syllables, words (split on whitespace) and paragraphs (lines). These are the
    sizes of the character and word vocabularies a chapter builds. Chapters 4-6."""
    syllables = [c for c in text if "\uac00" <= c <= "\ud7a3"]
    paragraphs = len(_paragraph_starts(text)) - 1
    return TextStats(
        characters=len(text),
        distinct_characters=len(set(text)),
        syllables=len(syllables),
        distinct_syllables=len(set(syllables)),
        words=len(text.split()),
        paragraphs=paragraphs,
    )
