"""course_rnn.data.dates: the forms, the vocabularies, encoding, seeding, batches."""

import datetime as dt
import itertools

import numpy as np
import pytest

from course_rnn.data.dates import (
    END,
    FILLER,
    FIRST,
    FORM_NAMES,
    FORMS,
    LAST,
    PAD,
    SRC_VOCAB,
    START,
    T_OUT,
    TGT_VOCAB,
    decode_source,
    decode_target,
    encode_source,
    encode_target,
    length_batches,
    make_dataset,
    make_digit_dataset,
    make_pairs,
    make_sentence_dataset,
    random_dates,
    write_date,
)

DAY = dt.date(2024, 3, 5)  # a Tuesday

EXPECTED = {
    "ko": "2024년 3월 5일",
    "ko_padded": "2024년 03월 05일",
    "ko_yy": "24년 3월 5일",
    "ko_dots": "2024. 3. 5.",
    "ko_dots_yy": "24. 3. 5.",
    "ko_weekday_first": "화요일, 2024년 3월 5일",
    "ko_weekday_last": "2024년 3월 5일 화요일",
    "ko_weekday_paren": "2024년 3월 5일 (화)",
    "ko_year_last": "3월 5일 2024년",
    "en_mdy": "March 5, 2024",
    "en_mdy_abbr": "Mar 5, 2024",
    "en_dmy": "5 March 2024",
    "en_dmy_abbr": "5 Mar 2024",
    "en_weekday": "Tuesday, March 5, 2024",
    "en_weekday_abbr": "Tue, 5 Mar 2024",
    "en_ordinal": "March 5th, 2024",
    "us_slash": "03/05/2024",
    "us_slash_yy": "3/5/24",
    "iso_slash": "2024/03/05",
    "compact": "20240305",
}


def test_every_form_writes_the_date():
    assert set(EXPECTED) == set(FORM_NAMES)
    for form, text in EXPECTED.items():
        assert write_date(DAY, form) == text
    assert {FORMS[f][0] for f in FORM_NAMES} == {"ko", "en", "num"}
    with pytest.raises(ValueError, match="form must be one of"):
        write_date(DAY, "roman")


def test_ordinals_and_two_digit_years():
    assert write_date(dt.date(2011, 1, 11), "en_ordinal") == "January 11th, 2011"
    assert write_date(dt.date(2011, 1, 22), "en_ordinal") == "January 22nd, 2011"
    assert write_date(dt.date(2011, 1, 23), "en_ordinal") == "January 23rd, 2011"
    assert write_date(dt.date(2011, 1, 31), "en_ordinal") == "January 31st, 2011"
    # the pivot: yy >= 50 is 19yy, yy < 50 is 20yy, so a two-digit year is never ambiguous
    assert write_date(dt.date(1950, 7, 4), "ko_yy") == "50년 7월 4일"
    assert write_date(dt.date(2049, 7, 4), "us_slash_yy") == "7/4/49"
    assert FIRST == dt.date(1950, 1, 1) and LAST == dt.date(2049, 12, 31)


def test_every_string_names_one_date():
    """No two dates of the range share a string in any form (the task is a function)."""
    days = [dt.date.fromordinal(k) for k in range(FIRST.toordinal(), LAST.toordinal() + 1)]
    for form in FORM_NAMES:
        texts = {write_date(d, form) for d in days}
        assert len(texts) == len(days), form


def test_vocabularies_cover_every_form_and_round_trip():
    days = [dt.date(2000, m, d) for m in range(1, 13) for d in (1, 2, 3, 28)]
    days += [dt.date(2024, 1, k) for k in range(1, 8)]  # every weekday
    texts = [write_date(d, f) for d in days for f in FORM_NAMES]
    ids = encode_source(texts)
    assert ids.dtype == np.int64 and ids.shape == (len(texts), max(map(len, texts)))
    assert decode_source(ids) == texts
    assert SRC_VOCAB[PAD] == "<pad>" and TGT_VOCAB[END] == "</s>" and TGT_VOCAB[START] == "<s>"
    isos = [d.isoformat() for d in days]
    tgt = encode_target(isos)
    assert tgt.shape == (len(days), T_OUT) and np.all(tgt[:, -1] == END)
    assert decode_target(tgt) == isos
    assert decode_target([[2, 0, END, 5]]) == ["20"]  # stops at the end symbol
    with pytest.raises(ValueError, match="not in SRC_VOCAB"):
        encode_source(["2024년 3월 5일 ★"])
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        encode_target(["2024/03/05"])
    with pytest.raises(ValueError, match="more than length"):
        encode_source(["March 5, 2024"], length=5)


def test_filler_avoids_date_characters():
    date_chars = set("0123456789년월일요") | set("월화수목금토일")
    for words in FILLER.values():
        for w in words:
            assert not set(w) & date_chars, w
    assert all(w.islower() for w in FILLER["en"])  # never a month or a weekday


def test_seeded_and_uniform_enough():
    a = make_pairs(200, np.random.default_rng(5))
    b = make_pairs(200, np.random.default_rng(5))
    assert a == b
    _, isos, forms = make_pairs(4000, np.random.default_rng(6))
    counts = np.array([forms.count(f) for f in FORM_NAMES])
    assert counts.min() > 120  # 200 expected per form
    years = np.array([int(s[:4]) for s in isos])
    assert years.min() >= 1950 and years.max() <= 2049
    days = random_dates(1000, np.random.default_rng(7))
    assert all(FIRST <= d <= LAST for d in days)


def test_make_dataset_matches_its_strings():
    ds = make_dataset(50, np.random.default_rng(1))
    assert decode_source(ds["src"]) == ds["texts"]
    assert decode_target(ds["tgt"]) == ds["isos"]
    assert np.array_equal(ds["lengths"], [len(s) for s in ds["texts"]])
    assert np.array_equal((ds["src"] != PAD).sum(axis=1), ds["lengths"])


def test_sentence_dataset_puts_the_date_inside():
    ds = make_sentence_dataset(300, np.random.default_rng(2))
    for text, b, a, n in zip(ds["texts"], ds["before"], ds["after"], ds["lengths"],
                                   strict=True):
        assert len(text) == n
        core = text[b:len(text) - a]
        assert core and core[0] != " " and core[-1] != " "
    assert ds["after"].max() > 20 and ds["before"].max() > 0 and (ds["after"] == 0).any()
    assert decode_source(ds["src"]) == ds["texts"]


def test_length_batches_bucket_and_trim():
    ds = make_dataset(500, np.random.default_rng(3))
    batches = length_batches(ds["src"], ds["tgt"], 64, np.random.default_rng(4))
    assert sum(len(s) for s, _ in batches) == 500
    seen, spans = [], []
    for src, tgt in batches:
        lengths = (src != PAD).sum(axis=1)
        assert src.shape[1] == lengths.max()  # trimmed to the longest of the batch
        assert tgt.shape == (len(src), T_OUT)
        spans.append((lengths.min(), lengths.max()))
        seen += decode_source(src)
    assert sorted(seen) == sorted(ds["texts"])
    spans.sort()
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # buckets do not overlap
    order = [(src != PAD).sum(axis=1).min() for src, _ in batches]
    assert order != sorted(order)  # the buckets come in random order


def test_digit_dataset():
    ds = make_digit_dataset(200, 7, np.random.default_rng(8))
    assert ds["src"].shape == (200, 7) and ds["tgt"].shape == (200, 8)
    assert decode_source(ds["src"]) == ds["texts"] == decode_target(ds["tgt"])
    assert ds["lengths"].min() == 1 and ds["lengths"].max() == 7
    for row, n in zip(ds["tgt"], ds["lengths"], strict=True):
        assert np.all(row[n:] == END) and np.all(row[:n] < 10)
