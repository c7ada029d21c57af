"""The shipped corpora (course_rnn.data.text): checksums, the README, loading, splitting."""

from __future__ import annotations

import hashlib
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest

from course_rnn.data.text import (
    CORPORA,
    LANGS,
    corpus_names,
    describe,
    load_corpus,
    split_text,
)

FOLDER = Path(str(resources.files("course_rnn.data").joinpath("corpora")))
README = (FOLDER / "README.md").read_text(encoding="utf-8")
# a row of the README's table: | `lang/name.txt` | lang | bytes | chars | ... | `sha256` |
ROW = re.compile(r"^\| `(?P<file>[a-z]{2}/\w+\.txt)` \| (?P<lang>\w+) \| (?P<bytes>[\d,]+) \| "
                 r"(?P<chars>[\d,]+) \|.*\| `(?P<sha>[0-9a-f]{64})` \|$", re.M)
TABLE = {m["file"]: m for m in ROW.finditer(README)}


def test_every_shipped_text_is_in_corpora_and_the_readme():
    shipped = {p.relative_to(FOLDER).as_posix() for p in FOLDER.glob("*/*.txt")}
    assert shipped == {c.file for c in CORPORA.values()}
    assert set(TABLE) == shipped


@pytest.mark.parametrize("name", list(CORPORA))
def test_hash_size_and_form_match_the_readme(name):
    entry = CORPORA[name]
    data = (FOLDER / entry.file).read_bytes()
    row = TABLE[entry.file]
    assert hashlib.sha256(data).hexdigest() == entry.sha256 == row["sha"]
    assert row["lang"] == entry.lang == entry.file.split("/")[0]
    assert len(data) == int(row["bytes"].replace(",", ""))
    text = load_corpus(name)
    assert len(text) == int(row["chars"].replace(",", ""))
    # UTF-8, "\n" line endings, one non-empty paragraph per line, each line ended
    assert "\r" not in text and text.endswith("\n") and "\n\n" not in text
    assert all(line == line.strip() for line in text.splitlines())


def test_the_readme_names_source_and_licence_of_every_file():
    for entry in CORPORA.values():
        section = README.split(f"### `{entry.file}`", 1)[1].split("###", 1)[0]
        assert re.search(r"- package: `[\w.+-]+` \S+ .*SHA-256 `[0-9a-f]{64}`", section)
        assert "- licence:" in section and "- cleaning:" in section
    for name in ("LICENSE-MPL-2.0.txt", "LICENSE-Apache-2.0.txt", "NOTICE-janeaustenr.txt",
                 "NOTICE-libreoffice-help-ko.txt"):
        assert (FOLDER / name).is_file() and name in README
    assert "Mozilla Public License, v. 2.0" in (FOLDER / "LICENSE-MPL-2.0.txt").read_text()
    assert "Julia Silge" in (FOLDER / "NOTICE-janeaustenr.txt").read_text()


def test_corpora_have_their_language():
    for name in corpus_names("ko"):
        text = load_corpus(name)
        visible = len(text) - text.count(" ") - text.count("\n")
        assert describe(text).syllables > 0.8 * visible  # mostly Hangul
    for name in corpus_names("en"):
        text = load_corpus(name)
        assert describe(text).syllables == 0 and text.isascii()
    assert describe(load_corpus("libreoffice_help")).distinct_syllables > 700


def test_corpus_names():
    assert corpus_names() == tuple(CORPORA)
    assert corpus_names("en") == ("pride_and_prejudice", "persuasion")
    assert corpus_names("ko") == ("constitution", "bills", "libreoffice_help")
    assert set(corpus_names("ko")) | set(corpus_names("en")) == set(CORPORA)
    assert {c.lang for c in CORPORA.values()} == set(LANGS)
    with pytest.raises(ValueError, match="lang must be one of"):
        corpus_names("fr")
    with pytest.raises(KeyError, match="no corpus named 'ptb'"):
        load_corpus("ptb")


def test_a_corrupted_copy_is_refused_with_both_hashes(tmp_path):
    entry = CORPORA["constitution"]
    copy = tmp_path / entry.file
    copy.parent.mkdir(parents=True)
    shutil.copyfile(FOLDER / entry.file, copy)
    assert load_corpus("constitution", root=tmp_path) == load_corpus("constitution")
    data = bytearray(copy.read_bytes())
    data[100] ^= 1  # one bit flipped
    copy.write_bytes(bytes(data))
    actual = hashlib.sha256(bytes(data)).hexdigest()
    with pytest.raises(ValueError) as err:
        load_corpus("constitution", root=tmp_path)
    message = str(err.value)
    assert str(copy) in message and entry.sha256 in message and actual in message
    assert "restore" in message
    copy.unlink()
    with pytest.raises(FileNotFoundError, match="missing"):
        load_corpus("constitution", root=tmp_path)


@pytest.mark.parametrize("name", list(CORPORA))
def test_split_of_each_corpus(name):
    text = load_corpus(name)
    parts = split_text(text)
    assert "".join(parts) == text
    longest = max(len(line) + 1 for line in text.splitlines())
    for part, fraction in zip(parts, (0.9, 0.05, 0.05), strict=True):
        assert part.endswith("\n")  # no paragraph is cut
        assert abs(len(part) - fraction * len(text)) <= longest
    assert split_text(text) == parts  # deterministic


def test_split_properties_on_a_small_text():
    paragraphs = [f"paragraph {i} " + "x" * (i % 7) for i in range(100)]
    text = "\n".join(paragraphs)  # no final newline: the last paragraph ends the text
    train, valid, test = split_text(text, fractions=(0.6, 0.3, 0.1))
    assert train + valid + test == text
    lines = [p.splitlines() for p in (train, valid, test)]
    assert lines[0] + lines[1] + lines[2] == paragraphs  # contiguous, no overlap, no cut
    longest = max(len(p) + 1 for p in paragraphs)
    for part, fraction in zip((train, valid, test), (0.6, 0.3, 0.1), strict=True):
        assert abs(len(part) - fraction * len(text)) <= longest
    # the cut is the nearest boundary: 10 lines of 10 characters split exactly
    even = "".join(f"{i:09d}\n" for i in range(10))
    assert [len(p) for p in split_text(even, (0.5, 0.3, 0.2))] == [50, 30, 20]


def test_split_refuses_bad_arguments():
    text = "".join(f"line {i}\n" for i in range(20))
    for bad in [(0.9, 0.1), (0.8, 0.3, 0.1), (1.0, 0.0, 0.0), (0.9, -0.05, 0.15)]:
        with pytest.raises(ValueError, match="three positive numbers summing to 1"):
            split_text(text, bad)
    with pytest.raises(ValueError, match="cannot be split into three non-empty parts"):
        split_text("one paragraph\ntwo\n")


def test_describe_counts():
    stats = describe("가나 가다\nab a!\n")
    assert stats.characters == 12
    assert stats.distinct_characters == len(set("가나 다\nab!"))  # 8
    assert stats.syllables == 4 and stats.distinct_syllables == 3
    assert stats.words == 4 and stats.paragraphs == 2
    # jamo and compatibility jamo are not syllables
    assert describe("\u1100\u1161 ㄱ").syllables == 0
    assert describe("") == (0, 0, 0, 0, 0, 0)
