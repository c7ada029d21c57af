r"""The generated data of chapter 9: dates written in many Korean and English forms, to be
normalised to the ISO form ``YYYY-MM-DD``.

A date :math:`d` is drawn uniformly from 1950-01-01 to 2049-12-31 and written in one of the
``FORMS`` (chosen uniformly), e.g. ``"2024년 3월 5일"``, ``"24. 3. 5."``, ``"화요일, 2024년 3월
5일"``, ``"March 5, 2024"``, ``"5 Mar 2024"``, ``"03/05/2024"``. The target is always
``"2024-03-05"``: the input has 6 to 29 characters, the output 10, and no character of the
output sits at a fixed place of the input, so the pair is an *unaligned* sequence-to-sequence
task,

.. math::

    x_{1:T} = \mathrm{form}(d), \qquad y_{1:T'} = \mathrm{iso}(d), \qquad T \ne T' .

Conventions: a slash with the year last is the US order month/day/year (``03/05/2024`` is
5 March); a two-digit year ``yy`` means 19yy when yy >= 50 and 20yy otherwise (the pivot of
the date range, so every string names exactly one date); weekdays are right.

Inputs are encoded character by character with ``SRC_VOCAB`` (id 0 is the padding ``PAD``,
added at the right of shorter strings); outputs with ``TGT_VOCAB`` (digits, ``-``, the end
symbol ``</s>`` and the start symbol ``<s>`` that the decoder reads first). Everything random
takes a ``numpy.random.Generator``. Taught in chapter 9 (encoder-decoder).
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

FIRST, LAST = _dt.date(1950, 1, 1), _dt.date(2049, 12, 31)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_KO = ("월", "화", "수", "목", "금", "토", "일")


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _ko(d):
    return f"{d.year}년 {d.month}월 {d.day}일"


def _wk(d):
    return WEEKDAYS_KO[d.weekday()]


def _en(d, short=False):
    return MONTHS[d.month - 1][:3] if short else MONTHS[d.month - 1]


#: name -> (language, function writing a ``datetime.date``). Language: "ko", "en" or "num".
FORMS = {
    "ko": ("ko", _ko),
    "ko_padded": ("ko", lambda d: f"{d.year}년 {d.month:02d}월 {d.day:02d}일"),
    "ko_yy": ("ko", lambda d: f"{d.year % 100:02d}년 {d.month}월 {d.day}일"),
    "ko_dots": ("ko", lambda d: f"{d.year}. {d.month}. {d.day}."),
    "ko_dots_yy": ("ko", lambda d: f"{d.year % 100:02d}. {d.month}. {d.day}."),
    "ko_weekday_first": ("ko", lambda d: f"{_wk(d)}요일, {_ko(d)}"),
    "ko_weekday_last": ("ko", lambda d: f"{_ko(d)} {_wk(d)}요일"),
    "ko_weekday_paren": ("ko", lambda d: f"{_ko(d)} ({_wk(d)})"),
    "ko_year_last": ("ko", lambda d: f"{d.month}월 {d.day}일 {d.year}년"),
    "en_mdy": ("en", lambda d: f"{_en(d)} {d.day}, {d.year}"),
    "en_mdy_abbr": ("en", lambda d: f"{_en(d, True)} {d.day}, {d.year}"),
    "en_dmy": ("en", lambda d: f"{d.day} {_en(d)} {d.year}"),
    "en_dmy_abbr": ("en", lambda d: f"{d.day} {_en(d, True)} {d.year}"),
    "en_weekday": ("en", lambda d: f"{WEEKDAYS_EN[d.weekday()]}, {_en(d)} {d.day}, {d.year}"),
    "en_weekday_abbr": ("en", lambda d: f"{WEEKDAYS_EN[d.weekday()][:3]}, {d.day} "
                                         f"{_en(d, True)} {d.year}"),
    "en_ordinal": ("en", lambda d: f"{_en(d)} {_ordinal(d.day)}, {d.year}"),
    "us_slash": ("num", lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}"),
    "us_slash_yy": ("num", lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}"),
    "iso_slash": ("num", lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}"),
    "compact": ("num", lambda d: f"{d.year}{d.month:02d}{d.day:02d}"),
}
FORM_NAMES = tuple(FORMS)

#: Words put around a date by ``make_sentence_dataset``; none holds a digit or a character
#: of a Korean date (년, 월, 일, 요, weekdays), none is a month or a weekday.
FILLER = {
    "ko": ("회의", "안내", "참고", "바랍니다", "변경", "예정", "오후", "장소", "본관", "마감",
           "발표", "행사", "공지", "제출", "서류", "신청", "확인", "결과"),
    "en": ("the", "meeting", "report", "is", "due", "on", "please", "note", "deadline",
           "submit", "by", "event", "notice", "office", "schedule", "for", "at", "our"),
}

PAD = 0
#: Input characters; id 0 is the padding.
SRC_VOCAB = ("<pad>", *sorted(
    set("0123456789 ,./()-") | set("년월일요") | set(WEEKDAYS_KO)
    | set("".join(MONTHS)) | set("".join(WEEKDAYS_EN)) | set("stndrh")
    | set("".join(FILLER["ko"] + FILLER["en"]))))
TGT_VOCAB = (*"0123456789-", "</s>", "<s>")
END, START = TGT_VOCAB.index("</s>"), TGT_VOCAB.index("<s>")
#: Length of every target: 10 characters and the end symbol.
T_OUT = 11
SRC_ID = {c: i for i, c in enumerate(SRC_VOCAB)}


def iso(d: _dt.date) -> str:
    r"""The target form ``YYYY-MM-DD`` (ISO 8601) of a date: :math:`y = \mathrm{iso}(d)`.
    torch: none (data). Taught in chapter 9."""
    return d.isoformat()


def write_date(d: _dt.date, form: str) -> str:
    r"""Write the date ``d`` in the form ``form`` (a key of ``FORMS``): :math:`x =
    \mathrm{form}(d)`. torch: none (data). Taught in chapter 9."""
    if form not in FORMS:
        raise ValueError(f"form must be one of FORM_NAMES, got {form!r}")
    return FORMS[form][1](d)


def random_dates(n: int, rng: np.random.Generator) -> list[_dt.date]:
    r"""``n`` dates drawn uniformly from ``FIRST`` to ``LAST``,
    :math:`d \sim U\{\text{1950-01-01}, \dots, \text{2049-12-31}\}`. torch: none (data).
    Taught in chapter 9."""
    days = rng.integers(FIRST.toordinal(), LAST.toordinal() + 1, n)
    return [_dt.date.fromordinal(int(k)) for k in days]


def make_pairs(n: int, rng: np.random.Generator, forms=FORM_NAMES):
    r"""``n`` (input string, ISO string, form name) triples, forms drawn uniformly.

    .. math::

        d_i \sim U\{\text{dates}\}, \quad f_i \sim U\{\text{forms}\}, \qquad
        (x_i, y_i) = (f_i(d_i), \mathrm{iso}(d_i))

    Returns three lists of length ``n``. torch: none (data). Taught in chapter 9.
    """
    forms = tuple(forms)
    dates = random_dates(n, rng)
    which = rng.integers(0, len(forms), n)
    chosen = [forms[k] for k in which]
    texts = [write_date(d, f) for d, f in zip(dates, chosen, strict=True)]
    return texts, [iso(d) for d in dates], chosen


def encode_source(texts, length: int | None = None) -> np.ndarray:
    r"""Character ids (N, T) of the input strings, right-padded with ``PAD`` (0) to the
    longest (or to ``length``). :math:`x_{n,t} = \mathrm{id}(\mathrm{text}_n[t])`.
    torch: ``nn.utils.rnn.pad_sequence(..., batch_first=True)``. Taught in chapter 9."""
    texts = list(texts)
    T = max(len(s) for s in texts) if length is None else length
    out = np.full((len(texts), T), PAD, dtype=np.int64)
    for n, s in enumerate(texts):
        if len(s) > T:
            raise ValueError(f"text {s!r} has {len(s)} characters, more than length={T}")
        try:
            out[n, :len(s)] = [SRC_ID[c] for c in s]
        except KeyError as err:
            raise ValueError(f"text {s!r} holds {err.args[0]!r}, not in SRC_VOCAB") from None
    return out


def encode_target(texts) -> np.ndarray:
    r"""Ids (N, 11) of ISO strings followed by the end symbol: ``"2024-03-05"`` ->
    ``2 0 2 4 - 0 3 - 0 5 </s>``. torch: none (data). Taught in chapter 9."""
    rows = []
    for s in texts:
        if len(s) != T_OUT - 1 or any(c not in TGT_VOCAB[:11] for c in s):
            raise ValueError(f"target {s!r} is not of the form YYYY-MM-DD")
        rows.append([TGT_VOCAB.index(c) for c in s] + [END])
    return np.array(rows, dtype=np.int64)


def decode_target(ids) -> list[str]:
    r"""Strings from target ids (N, T'), stopping at the end symbol (inverse of
    ``encode_target``; start symbols are skipped). torch: none. Taught in chapter 9."""
    out = []
    for row in np.atleast_2d(ids):
        chars = []
        for i in row:
            if i == END:
                break
            if i != START:
                chars.append(TGT_VOCAB[int(i)])
        out.append("".join(chars))
    return out


def decode_source(ids) -> list[str]:
    r"""Strings from input ids (N, T), padding dropped (inverse of ``encode_source``).
    torch: none. Taught in chapter 9."""
    return ["".join(SRC_VOCAB[int(i)] for i in row if i != PAD) for row in np.atleast_2d(ids)]


def make_dataset(n: int, rng: np.random.Generator, forms=FORM_NAMES) -> dict:
    r"""A data set of ``n`` pairs as arrays: ``src`` (n, T) ids, ``tgt`` (n, 11) ids,
    ``lengths`` (n,), ``forms`` (n,) names and the strings ``texts``, ``isos``.
    :math:`T = \max_i |x_i|`. torch: a ``TensorDataset``. Taught in chapter 9."""
    texts, isos, names = make_pairs(n, rng, forms)
    return {"src": encode_source(texts), "tgt": encode_target(isos),
            "lengths": np.array([len(s) for s in texts]), "forms": np.array(names),
            "texts": texts, "isos": isos}


def length_batches(src, tgt, batch_size: int, rng: np.random.Generator) -> list:
    r"""Mini-batches of pairs of similar input length, in random order (bucketing).

    The pairs are sorted by length (ties broken at random), cut into chunks of
    ``batch_size``, each chunk's padding trimmed to its longest input, and the chunks
    shuffled: a batch of short dates does not pay for the longest one,
    :math:`T_\text{batch} = \max_{i \in \text{batch}} |x_i|`. Returns a list of
    ``(src (B, T_batch), tgt (B, 11))``. torch: a ``BatchSampler`` over length buckets.
    Taught in chapter 9.
    """
    src, tgt = np.asarray(src), np.asarray(tgt)
    lengths = (src != PAD).sum(axis=1)
    order = np.lexsort((rng.random(len(src)), lengths))
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    out = []
    for k in rng.permutation(len(chunks)):
        idx = chunks[k]
        T = int(lengths[idx].max())
        out.append((src[idx, :T], tgt[idx]))
    return out


def make_sentence_dataset(n: int, rng: np.random.Generator, max_before: int = 2,
                          max_after: int = 6, forms=FORM_NAMES) -> dict:
    r"""The longer-input variant: each date inside a run of filler words.

    .. math::

        x = w_1 \dots w_a \ \mathrm{form}(d) \ w'_1 \dots w'_b, \qquad
        a \sim U\{0..	ext{max\_before}\}, \ b \sim U\{0..	ext{max\_after}\}

    with words from ``FILLER`` in the form's language (either for the numeric forms),
    joined by spaces; the target is still ``iso(d)``. Returns the dict of
    ``make_dataset`` plus ``before`` and ``after`` (n,): the number of characters in front
    of and behind the date. torch: none (data). Taught in chapter 9.
    """
    texts, isos, names = make_pairs(n, rng, forms)
    out, before, after = [], [], []
    for text, name in zip(texts, names, strict=True):
        lang = FORMS[name][0]
        if lang == "num":
            lang = ("ko", "en")[int(rng.integers(0, 2))]
        words = FILLER[lang]
        pre = [words[k] for k in rng.integers(0, len(words), rng.integers(0, max_before + 1))]
        post = [words[k] for k in rng.integers(0, len(words), rng.integers(0, max_after + 1))]
        head = " ".join(pre) + " " if pre else ""
        tail = " " + " ".join(post) if post else ""
        out.append(head + text + tail)
        before.append(len(head))
        after.append(len(tail))
    return {"src": encode_source(out), "tgt": encode_target(isos),
            "lengths": np.array([len(s) for s in out]), "forms": np.array(names),
            "texts": out, "isos": isos, "before": np.array(before), "after": np.array(after)}


def make_digit_dataset(n: int, max_len: int, rng: np.random.Generator) -> dict:
    r"""The longer-content variant: write back a string of :math:`L` digits.

    .. math::

        L \sim U\{1..\text{max\\_len}\}, \quad x_{1:L} \sim U\{0..9\}^L, \qquad
        y_{1:L+1} = (x_1, \dots, x_L, \texttt{</s>})

    Unlike a date, whose content is the same however it is written, what the context
    vector must hold grows with :math:`L`. Targets are padded with further end symbols to
    ``max_len + 1`` (so every row has the same length). Returns ``src`` (n, max_len),
    ``tgt`` (n, max_len + 1), ``lengths`` (n,) and the strings ``texts``.
    torch: none (data). Taught in chapter 9.
    """
    lengths = rng.integers(1, max_len + 1, n)
    digits = rng.integers(0, 10, (n, max_len))
    texts = ["".join(str(d) for d in row[:k]) for row, k in zip(digits, lengths, strict=True)]
    tgt = np.full((n, max_len + 1), END, dtype=np.int64)
    for i, k in enumerate(lengths):
        tgt[i, :k] = digits[i, :k]  # the ids of "0".."9" in TGT_VOCAB are the digits
    return {"src": encode_source(texts, max_len), "tgt": tgt, "lengths": lengths,
            "texts": texts}
