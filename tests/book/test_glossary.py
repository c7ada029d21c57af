"""The Korean edition uses the glossary's terms; both glossaries list the same pairs."""

from __future__ import annotations

import pytest

from _helpers_text import ALSO, AVOID, EN, KO, KO_ROWS, avoided, joined, korean_text, table


def test_glossaries_list_the_same_pairs():
    ko_pairs = {(row[0], row[1]) for row in KO_ROWS}
    en_pairs = {(row[1], row[0]) for row in table(EN / "glossary.md")}
    assert ko_pairs == en_pairs
    assert len(KO_ROWS) == len({row[0] for row in KO_ROWS}), "a Korean term is listed twice"
    assert all(len(row) == 4 for row in KO_ROWS), "every row has four cells"
    assert ("퍼플렉서티", "perplexity") in ko_pairs and AVOID["당혹감"] == "퍼플렉서티"
    assert ALSO["히트맵"] == "열지도" and "히트맵" not in AVOID


def test_a_word_is_either_also_said_or_avoided():
    terms = {row[0] for row in KO_ROWS}
    assert not set(ALSO) & set(AVOID)
    assert not (set(ALSO) | set(AVOID)) & terms, "a glossary term is listed as another's variant"


def test_avoided_words_are_found_across_line_breaks():
    text = joined(
        "이 모델을 재귀\n신경망이라고 부르지 않습니다.\n\n"
        "- 목록 안에서도 재귀\n   신경망은 찾습니다."
    )
    assert text.count("재귀 신경망") == 2
    assert avoided(text) == {"재귀 신경망": "순환 신경망"}
    assert avoided(joined("퍼플렉서티를\n당혹감으로 옮기지 않습니다.")) == {"당혹감": "퍼플렉서티"}
    assert joined("첫 문단.\n\n둘째 문단.") == "첫 문단.\n\n둘째 문단."
    assert not avoided(joined("열지도(heat map)는 흔히\n히트맵이라고도 부릅니다."))


@pytest.mark.parametrize(
    "path",
    sorted(p for p in KO.iterdir() if p.suffix in {".md", ".ipynb"} and p.name != "glossary.md"),
    ids=lambda p: p.name,
)
def test_korean_pages_use_the_glossary_terms(path):
    found = avoided(korean_text(path))
    assert not found, f"{path.name}: write {', '.join(f'{t} (not {w})' for w, t in found.items())}"


KOREAN_PAGES = sorted(
    [p for p in KO.iterdir() if p.suffix in {".md", ".ipynb"} and p.name != "glossary.md"]
    + [p for p in (KO.parent.parent / "exercises" / "ko").glob("*.ipynb")]
    + [p for p in (KO.parent.parent / "docs").glob("*.ko.md")]
)


@pytest.mark.parametrize("path", KOREAN_PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_one_word_for_training(path):
    """The glossary lists 훈련 as also said, but the book itself writes 학습 only."""
    assert ALSO["훈련"] == "학습"
    text = korean_text(path)
    assert "훈련" not in text, f"{path.name}: write 학습 for training, not 훈련"
