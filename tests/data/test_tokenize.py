"""course_rnn.data.tokenize: characters, jamo and words; Hangul arithmetic checked against
Unicode's own normalisation, round trips, vocabularies, <unk>, errors."""

import unicodedata

import numpy as np
import pytest

from course_rnn.data.corpus import build_vocab, load_corpus
from course_rnn.data.tokenize import (
    EOL,
    UNK,
    CharTokenizer,
    JamoTokenizer,
    WordTokenizer,
    compose_hangul,
    decompose_hangul,
    to_compatibility_jamo,
)

ALL_SYLLABLES = "".join(chr(c) for c in range(0xAC00, 0xD7A4))
INITIALS = [chr(c) for c in range(0x1100, 0x1113)]
MEDIALS = [chr(c) for c in range(0x1161, 0x1176)]
FINALS = [chr(c) for c in range(0x11A8, 0x11C3)]
# characters that are neither syllables nor conjoining jamo, several scripts: ASCII, Latin
# with accents (NFD would split é), compatibility jamo, hanja, kana, an emoji, a tab
OTHERS = [*"aZ09 .,?!\"'\n\t", "é", "ß", "ㅋ", "ㅎ", "ㅏ", "漢", "字", "か", "😀", "—"]


# ----------------------------------------------------------------- Hangul arithmetic
def test_known_decompositions():
    assert decompose_hangul("한") == "\u1112\u1161\u11ab"  # ᄒ ᅡ ᆫ
    assert decompose_hangul("가") == "\u1100\u1161"  # first syllable, no final
    assert decompose_hangul("각") == "\u1100\u1161\u11a8"  # first final
    assert decompose_hangul("힣") == "\u1112\u1175\u11c2"  # last syllable
    assert decompose_hangul("값") == "\u1100\u1161\u11b9"  # double final ㅄ
    assert decompose_hangul("한국 ABC é ㅋ") == (
        "\u1112\u1161\u11ab\u1100\u116e\u11a8 ABC é ㅋ")
    assert to_compatibility_jamo(decompose_hangul("한")) == "ㅎㅏㄴ"
    assert to_compatibility_jamo(decompose_hangul("닭")) == "ㄷㅏㄺ"


def test_every_syllable_agrees_with_unicode_normalisation():
    """The arithmetic against Python's unicodedata (NFD, NFC) on all 11,172 syllables."""
    jamo = decompose_hangul(ALL_SYLLABLES)
    assert jamo == unicodedata.normalize("NFD", ALL_SYLLABLES)
    assert compose_hangul(jamo) == ALL_SYLLABLES
    assert set(jamo) == set(INITIALS + MEDIALS + FINALS)  # 19 + 21 + 27 distinct symbols
    assert len(set(jamo)) == 67


def test_compatibility_jamo_are_the_same_letters():
    """Each conjoining jamo maps to the compatibility jamo of the same Unicode letter name
    (HANGUL CHOSEONG KIYEOK -> HANGUL LETTER KIYEOK)."""
    for ch in INITIALS + MEDIALS + FINALS:
        compat = to_compatibility_jamo(ch)
        assert 0x3131 <= ord(compat) <= 0x3163
        assert unicodedata.name(ch).split(" ", 2)[2] == unicodedata.name(compat).split(" ", 2)[2]
    assert to_compatibility_jamo("abc 한") == "abc 한"  # everything else unchanged


def _stray_safe_string(rng, n):
    """Random text of syllables (with and without finals), other scripts and stray jamo
    placed so that none joins a neighbour (a stray initial is followed by a space, a stray
    medial or final follows an ASCII letter)."""
    parts = []
    for _ in range(n):
        kind = rng.integers(6)
        if kind == 0:  # syllable without a final
            parts.append(chr(0xAC00 + 28 * int(rng.integers(399))))
        elif kind == 1:  # any syllable (mostly with a final)
            parts.append(chr(0xAC00 + int(rng.integers(11172))))
        elif kind == 2:
            parts.append(OTHERS[rng.integers(len(OTHERS))])
        elif kind == 3:
            parts.append(INITIALS[rng.integers(19)] + " ")
        elif kind == 4:
            parts.append("x" + MEDIALS[rng.integers(21)])
        else:
            parts.append("y" + FINALS[rng.integers(27)])
    return "".join(parts)


@pytest.mark.parametrize("seed", range(5))
def test_round_trip_is_exact_with_stray_jamo_and_mixed_scripts(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        s = _stray_safe_string(rng, int(rng.integers(0, 60)))
        assert compose_hangul(decompose_hangul(s)) == s
        tok = JamoTokenizer().fit(s) if s else None
        if tok is not None:
            assert tok.decode(tok.encode(s)) == s
            assert tok.unk_rate(s) == 0.0


def test_stray_jamo_stay_as_they_are():
    for s in ["ᄒ", "ᅡ", "ᆫ", "ᆫᄒ", "aᅡb", "ᄒ ᅡ", "ᅡᆫ", "한ᆫ", "ᆫᅡ", "ᄒᄒ", "ㅎㅏㄴ"]:
        assert compose_hangul(s) == s
        assert compose_hangul(decompose_hangul(s)) == s


def test_joinable_jamo_come_back_composed_as_nfc_does():
    """Where the input's own jamo can join (an initial then a medial, a syllable without a
    final then a final), the round trip gives the canonically equivalent NFC form."""
    assert compose_hangul("\u1112\u1161") == "하"
    assert compose_hangul("\u1112\u1161\u11ab") == "한"
    assert compose_hangul(decompose_hangul("하\u11ab")) == "한"
    rng = np.random.default_rng(1)
    pool = INITIALS + MEDIALS + FINALS + [ch for ch in OTHERS if ch != "é"] + ["가", "한", "뷁"]
    for _ in range(300):
        s = "".join(pool[i] for i in rng.integers(len(pool), size=int(rng.integers(1, 30))))
        assert compose_hangul(decompose_hangul(s)) == unicodedata.normalize("NFC", s)


def test_decompose_leaves_accented_latin_whole():
    assert decompose_hangul("café") == "café"  # NFD would give 'cafe\u0301'
    assert unicodedata.normalize("NFD", "café") != "café"


# ----------------------------------------------------------------- characters
def test_char_vocab_is_sorted_with_unk_last_and_ids_agree_with_build_vocab():
    text = load_corpus("en", size=2000)
    tok = CharTokenizer().fit(text)
    chars = build_vocab(text)[1]
    assert tok.vocab == [*chars, UNK]
    assert len(tok) == len(chars) + 1
    assert tok.unk_id == len(chars)
    ids = tok.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert tok.decode(ids) == text
    assert tok.decode(ids.tolist()) == text  # a list of ints works too


def test_char_unk():
    tok = CharTokenizer().fit("abca")
    assert tok.vocab == ["a", "b", "c", UNK]
    np.testing.assert_array_equal(tok.encode("abzcz"), [0, 1, 3, 2, 3])
    assert tok.decode(tok.encode("abz")) == "ab<unk>"
    assert tok.unk_rate("abzcz") == pytest.approx(2 / 5)
    assert tok.unk_rate("") == 0.0
    assert tok.encode("").shape == (0,)
    assert tok.decode([]) == ""


# ----------------------------------------------------------------- jamo
def test_jamo_vocabulary_is_small_and_round_trips():
    text = load_corpus("ko", size=20_000)
    chars, jamo = CharTokenizer().fit(text), JamoTokenizer().fit(text)
    n_syllables = len({c for c in text if 0xAC00 <= ord(c) <= 0xD7A3})
    n_jamo = len(set(decompose_hangul(text)) & set(INITIALS + MEDIALS + FINALS))
    n_other = len({c for c in text if not 0xAC00 <= ord(c) <= 0xD7A3})
    assert len(chars) == n_syllables + n_other + 1
    assert len(jamo) == n_jamo + n_other + 1
    assert n_jamo <= 67 < n_syllables  # the vocabulary shrinks
    ids = jamo.encode(text)
    assert len(ids) == len(decompose_hangul(text)) > len(text)
    assert jamo.decode(ids) == text


def test_jamo_encode_display_and_unk():
    tok = JamoTokenizer().fit("한국어")
    symbols = sorted("\u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1165")
    assert tok.vocab == [*symbols, UNK]
    ids = tok.encode("한국")
    assert [tok.vocab[i] for i in ids] == list("\u1112\u1161\u11ab\u1100\u116e\u11a8")
    assert tok.display(ids) == "ㅎㅏㄴㄱㅜㄱ"
    assert tok.decode(ids) == "한국"
    # 각 = ᄀ ᅡ ᆨ: ᄀ and ᆨ were seen (in 국), ᅡ too: no unknown symbol
    assert tok.unk_rate("각") == 0.0 and tok.decode(tok.encode("각")) == "각"
    # 밥 = ᄇ ᅡ ᆸ: ᄇ and ᆸ unseen
    assert tok.unk_rate("밥") == pytest.approx(2 / 3)
    # a sampled sequence out of order decodes to syllables where it can, stray jamo elsewhere
    v = {s: i for i, s in enumerate(tok.vocab)}
    sample = [v["\u1161"], v["\u1112"], v["\u1161"], v["\u11ab"], v["\u11ab"], v["\u1100"]]
    assert tok.decode(sample) == "\u1161한\u11ab\u1100"
    assert to_compatibility_jamo(tok.decode(sample)) == "ㅏ한ㄴㄱ"


def test_jamo_on_english_is_char():
    text = "The cat sat.\n"
    assert JamoTokenizer().fit(text).vocab == CharTokenizer().fit(text).vocab


# ----------------------------------------------------------------- words
def test_word_split_keeps_particles_attached_and_splits_punctuation():
    tok = WordTokenizer()
    text = 'Hi, I don\'t know_it (1998)!\n나는 학교에서 "공부"했다.\n'
    assert tok.units(text) == [
        "Hi", ",", "I", "don't", "know", "_", "it", "(", "1998", ")", "!", EOL,
        "나는", "학교에서", '"', "공부", '"', "했다", ".", EOL,
    ]


def test_word_vocab_min_freq_unk_and_decode():
    text = "the cat sat. the dog sat.\nthe end\n"
    tok = WordTokenizer(min_freq=2).fit(text)
    # counts: the 3, sat 2, . 2, cat 1, dog 1, end 1; decreasing count, ties sorted
    assert tok.vocab == ["the", ".", "sat", EOL, UNK]
    assert tok.counts["cat"] == 1 and tok.counts["the"] == 3
    ids = tok.encode("the cat sat.\nthe end")
    assert tok.decode(ids) == "the <unk> sat .\nthe <unk>"
    assert tok.unk_rate("the cat sat.\nthe end") == pytest.approx(2 / 7)
    assert len(WordTokenizer(min_freq=1).fit(text)) == 6 + 2


def test_word_lower():
    tok = WordTokenizer(lower=True).fit("The the THE cat")
    assert tok.vocab == ["the", "cat", EOL, UNK]
    assert tok.decode(tok.encode("THE Cat")) == "the cat"


def test_word_korean_eojeol_vocabulary():
    text = load_corpus("ko", size=20_000)
    words = WordTokenizer(min_freq=1).fit(text)
    frequent = WordTokenizer(min_freq=5).fit(text)
    assert len(frequent) < len(words)
    assert frequent.unk_rate(text) > 0 == words.unk_rate(text)
    assert "학교에" in words.vocab  # eojeol: the particle stays on its noun


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize("make", [CharTokenizer, JamoTokenizer, WordTokenizer])
def test_errors(make):
    tok = make()
    with pytest.raises(RuntimeError, match="call fit"):
        tok.encode("abc")
    with pytest.raises(RuntimeError, match="call fit"):
        tok.decode([0])
    with pytest.raises(TypeError, match="expects a str"):
        tok.fit(["a", "b"])
    with pytest.raises(ValueError, match="no tokens"):
        tok.fit("")
    tok.fit("ab ab\n")
    with pytest.raises(ValueError, match=r"id 99 at position 1 .* \[0, \d+\)"):
        tok.decode([0, 99])
    with pytest.raises(ValueError, match="id -1"):
        tok.decode(np.array([-1]))
    with pytest.raises(TypeError, match="integers"):
        tok.decode([0.0, 1.0])
    with pytest.raises(TypeError, match="integers"):
        tok.decode([[0, 1]])
    with pytest.raises(TypeError, match="expects a str"):
        tok.encode(b"ab")


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_word_min_freq_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError, match="min_freq"):
        WordTokenizer(min_freq=bad)
