"""Each chapter's exercise set in the built book, and nothing of the instructor's versions.

- every chapter page of both editions offers its student notebook, as a download (copied
  into the site) and as a Colab link derived from ``_config.yml``'s repository, in the
  header beside the launch buttons and in a box at the end of the page; the front page,
  the glossary and the instructors' page offer none;
- the offline zips carry the same notebooks;
- no file of the site, and no file inside the offline zips, holds any of the instructor
  notebooks' content: solution markers, the ``# QUESTION``/``# ASSIGNMENT``/``# HIDDEN``
  cells, the hidden tests, or the known wrong answers (the functions of the hidden cells).
  The scan is shown to catch an instructor notebook copied into a folder, a zip or a page.
"""

from __future__ import annotations

import ast
import hashlib
import html
import io
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from course_rnn.grading.release import PACKAGED
from course_rnn.grading.spec import (
    SOLUTION_BEGIN,
    SOLUTION_END,
    SOLUTION_LINE,
    cell_source,
    is_hidden,
    parse_instructor,
)

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("ko", "en")
EXERCISES = ROOT / "exercises"
sys.path.insert(0, str(ROOT / "tools"))
import book  # noqa: E402  (tools/book.py)
import repository  # noqa: E402  (tools/repository.py)

# markers of the exercise format (course_rnn.grading.spec): a line that is one of them
LINE_MARKERS = {
    "# BEGIN SOLUTION": SOLUTION_BEGIN,
    "# END SOLUTION": SOLUTION_END,
    "a line ending in # SOLUTION": SOLUTION_LINE,
    "# HIDDEN": re.compile(r"^\s*# HIDDEN\b"),
    "# QUESTION": re.compile(r"^\s*#\s*QUESTION\s+q\w*\s*$"),
    "# ASSIGNMENT": re.compile(r"^\s*#\s*ASSIGNMENT\s*$"),
}
MARKER_WORDS = re.compile(r"SOLUTION|QUESTION|ASSIGNMENT|HIDDEN|hidden")  # worth a closer look
HIDDEN_TEST = re.compile(r"""["']hidden["']\s*:\s*True\b""")  # a hidden test's spec
TAG = re.compile(r"<[^>]+>")


def hidden_names() -> set[str]:
    """The known wrong answers (each question's ``mistakes``) and every other function of
    the instructor notebooks' hidden cells: they exist nowhere else."""
    names = set()
    for path in sorted(EXERCISES.glob("*/*.ipynb")):
        inb = parse_instructor(path)
        names |= {m["function"] for q in inb.questions for m in q.mistakes.values()}
        for cell in inb.nb["cells"]:
            if cell.get("cell_type") == "code" and is_hidden(cell):
                tree = ast.parse(cell_source(cell))
                names |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return names


HIDDEN_NAMES = hidden_names()
HIDDEN_NAME = re.compile(r"(?<![\w])(" + "|".join(sorted(map(re.escape, HIDDEN_NAMES))) +
                         r")(?![\w])")


def solution_lines() -> set[str]:
    """The instructors' solution code: every line of 25 characters or more inside a
    ``# BEGIN SOLUTION`` block (or ending in ``# SOLUTION``) that appears nowhere in the
    chapters or the package (whose lines the book may show: a chapter derives the same
    gradient its exercise asks for)."""
    lines = set()
    for path in sorted(EXERCISES.glob("*/*.ipynb")):
        for cell in parse_instructor(path).nb["cells"]:
            if cell.get("cell_type") != "code":
                continue
            inside = False
            for line in cell_source(cell).splitlines():
                if SOLUTION_BEGIN.match(line):
                    inside = True
                elif SOLUTION_END.match(line):
                    inside = False
                elif inside or SOLUTION_LINE.match(line):
                    marked = SOLUTION_LINE.match(line)
                    code = (marked.group(2) if marked else line).split("#")[0].strip()
                    if len(code) >= 25:
                        lines.add(code)
    public = "\n".join(
        p.read_text(encoding="utf-8")
        for p in [*ROOT.glob("chapters/*/*.ipynb"), *ROOT.glob("src/course_rnn/**/*.py")]
    )  # fmt: skip
    return {line for line in lines if line not in public and json.dumps(line)[1:-1] not in public}


SOLUTION_LINES = solution_lines()


def _views(text: str) -> list[str]:
    """The text as it is, with JSON string escapes undone (a notebook's cells, a script's
    strings), and as an HTML page reads (tags removed, entities decoded)."""
    unescaped = text.replace("\\n", "\n").replace('\\"', '"').replace("\\'", "'")
    return [text, unescaped, html.unescape(TAG.sub("", text))]


def text_problems(text: str) -> list[str]:
    """What in ``text`` comes from an instructor notebook (empty: nothing)."""
    found = []
    for view in _views(text)[:2]:
        for line in view.splitlines():
            code = line.strip().strip('",').strip()
            if code in SOLUTION_LINES:
                found.append(f"the solution line {code!r}")
                break
        if found:
            break
    if not MARKER_WORDS.search(text):
        return found + [f"the hidden function {m}" for m in
                        dict.fromkeys(HIDDEN_NAME.findall(text))]
    for view in _views(text):
        for line in view.splitlines():
            bare = line.lstrip(" \t\"'")
            for label, marker in LINE_MARKERS.items():
                if marker.match(bare) and label not in found:
                    found.append(label)
    if any(HIDDEN_TEST.search(view) for view in _views(text)):
        found.append('a hidden test ("hidden": True)')
    for m in dict.fromkeys(HIDDEN_NAME.findall(text)):
        found.append(f"the hidden function {m}")
    return found


def checks_problems(data: bytes) -> list[str]:
    """A checks file that holds hidden tests or a withheld answer."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        manifest = json.loads(bytes(npz["__manifest__"]).decode("utf-8"))
    found = []
    for q in manifest["questions"]:
        spec = q["spec"]
        conceptual = spec["kind"] in ("choice", "number")
        for case in q["cases"]:
            if not case["public"] and not conceptual:
                found.append(f"{spec['id']}: the data of hidden test {case['index'] + 1}")
            if conceptual and case["expected"] and not spec.get("public"):
                found.append(f"{spec['id']}: the answer")
    return found


def file_problems(name: str, data: bytes) -> list[str]:
    """``name: what`` for each piece of instructor content in one file (zips opened)."""
    if name.endswith(".npz"):
        return [f"{name}: {p}" for p in checks_problems(data)]
    if name.endswith(".zip"):
        out = []
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    out += file_problems(f"{name}!{info.filename}", zf.read(info))
        return out
    return [f"{name}: {p}" for p in _content_problems(hashlib.sha256(data).digest(), data)]


_SEEN: dict[bytes, list[str]] = {}  # a zip's copy of a site's file is scanned once


def _content_problems(digest: bytes, data: bytes) -> list[str]:
    if digest not in _SEEN:
        try:
            _SEEN[digest] = text_problems(data.decode("utf-8"))
        except UnicodeDecodeError:
            _SEEN[digest] = []  # images, fonts: no text to hide answers in
    return _SEEN[digest]


def folder_problems(folder: Path) -> list[str]:
    """Every piece of instructor content in every file below ``folder``."""
    return [p for path in sorted(folder.rglob("*")) if path.is_file()
            for p in file_problems(str(path.relative_to(folder)), path.read_bytes())]


def chapter_pages(site: Path, lang: str) -> list[Path]:
    return sorted((site / lang / "chapters" / lang).glob("*.html"))


# ----------------------------------------------------------------------------- the scan itself


def test_the_scan_finds_an_instructor_notebook_and_nothing_in_a_student_one(tmp_path):
    assert {"q1_transposed", "q3_state_not_carried", "_q2_backward"} <= HIDDEN_NAMES
    site = tmp_path / "site"
    (site / "en" / "exercises").mkdir(parents=True)
    shutil.copy(PACKAGED / "en" / "03_bptt.ipynb", site / "en" / "exercises")
    shutil.copy(PACKAGED / "en" / "03_bptt.checks.npz", site / "en" / "exercises")
    page = site / "en" / "instructors.html"
    page.write_text("<p>Solutions use otter-grader's markers (<code># BEGIN SOLUTION</code> / "
                    "<code># END\nSOLUTION</code>); a question is a raw cell "
                    "<code># QUESTION q1</code>.</p>", encoding="utf-8")
    assert folder_problems(site) == []

    instructor = EXERCISES / "en" / "03_bptt.ipynb"
    shutil.copy(instructor, site / "en" / "exercises" / "copied.ipynb")
    found = folder_problems(site)
    assert found and all(p.startswith("en/exercises/copied.ipynb: ") for p in found)
    text = " ".join(found)
    for what in ("# BEGIN SOLUTION", "# END SOLUTION", "# QUESTION", "# HIDDEN",
                 "hidden test", "the hidden function q1_no_alpha"):
        assert what in text, f"the scan missed {what!r}: {found}"

    # the same notebook zipped, or rendered into a page by a toc entry
    (site / "en" / "exercises" / "copied.ipynb").unlink()
    with zipfile.ZipFile(site / "book.zip", "w") as zf:
        zf.write(instructor, "course-rnn-en/exercises/03_bptt.ipynb")
    assert folder_problems(site)[0].startswith(
        "book.zip!course-rnn-en/exercises/03_bptt.ipynb: ")
    (site / "book.zip").unlink()
    (site / "en" / "page.html").write_text(
        '<pre><span></span><span class="k">def</span><span class="w"> </span>leaky_step():\n'
        '<span class="w">    </span><span class="c1"># BEGIN SOLUTION</span>\n</pre>',
        encoding="utf-8")
    assert folder_problems(site) == ["en/page.html: # BEGIN SOLUTION"]


def test_the_scan_finds_hidden_tests_in_a_checks_file(tmp_path):
    from course_rnn.grading.assignment import load_assignment
    from course_rnn.grading.checks import build_manifest, write_npz

    assignment = load_assignment(EXERCISES / "en" / "01_recurrent_cell.ipynb")
    for hidden in (False, True):
        manifest, arrays = build_manifest(assignment, include_hidden=hidden)
        blob = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
        path = write_npz(tmp_path / f"{hidden}.checks.npz", {"__manifest__": blob, **arrays})
        found = checks_problems(path.read_bytes())
        assert bool(found) == hidden, found
    assert "q1: the data of hidden test" in found[0] and any("q5: the answer" in p for p in found)


def test_the_build_stops_when_the_packaged_copies_are_stale(tmp_path):
    from types import SimpleNamespace

    sys.path.insert(0, str(ROOT / "tools" / "sphinx_ext"))
    import exercise_links
    from sphinx.errors import ExtensionError

    name = "00_getting_started"
    (tmp_path / "exercises" / "en").mkdir(parents=True)
    shutil.copy(EXERCISES / "en" / f"{name}.ipynb", tmp_path / "exercises" / "en")
    packaged = tmp_path / repository.RELEASED / "en"
    packaged.mkdir(parents=True)
    for suffix in (".ipynb", ".checks.npz"):
        shutil.copy(PACKAGED / "en" / f"{name}{suffix}", packaged)
    app = SimpleNamespace(srcdir=str(tmp_path), builder=SimpleNamespace(format="html"),
                          config=SimpleNamespace(course_lang="en"))
    exercise_links._release(app)
    assert list(app.course_exercises) == [name]
    shutil.rmtree(app.course_exercises_dir)

    stale = packaged / f"{name}.ipynb"
    stale.write_text(stale.read_text(encoding="utf-8").replace("check(", "check (", 1),
                     encoding="utf-8")
    with pytest.raises(ExtensionError, match=rf"run `make release`.*\n  {name}\.ipynb: differs"):
        exercise_links._release(app)


# ----------------------------------------------------------------------------- the built book


@pytest.fixture(scope="module")
def zips(site, tmp_path_factory) -> dict[str, Path]:
    """Each edition's offline zip, as ``make offline`` writes it."""
    out = tmp_path_factory.mktemp("offline-zips")
    return {lang: book.archive(site, lang, out) for lang in LANGS}


@pytest.mark.slow
def test_no_instructor_content_in_the_site_or_the_offline_zips(site, zips):
    found = folder_problems(site)
    for path in zips.values():
        found += file_problems(path.name, path.read_bytes())
    assert not found, "instructor content in the built book:\n" + "\n".join(found)


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_every_chapter_page_offers_its_exercises(site, lang):
    setting = repository.read_setting()
    names = sorted(p.stem for p in (EXERCISES / lang).glob("*.ipynb"))
    shipped = sorted(p.stem for p in (site / lang / "exercises").iterdir())
    assert shipped == names, "the site's exercises/ holds exactly the student notebooks"
    for name in names:
        built = site / lang / "exercises" / f"{name}.ipynb"
        assert built.read_bytes() == (PACKAGED / lang / f"{name}.ipynb").read_bytes(), built
        assert json.loads(built.read_text(encoding="utf-8"))["metadata"]["course_rnn"][
            "version"] == "student"
    pages = chapter_pages(site, lang)
    with_exercises = [p for p in pages if p.stem in names]
    assert len(with_exercises) == len(names)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if page.stem not in names:
            assert "exercise-buttons" not in text and "course-exercises" not in text, page
            continue
        colab = repository.exercise_colab_url(setting, lang, page.stem)
        assert colab.startswith("https://colab.research.google.com/github/")
        header = text[text.index('class="article-header-buttons"'):text.index("</article>")]
        group = re.search(r'<div class="dropdown dropdown-exercise-buttons">(.*?)</ul>',
                          header, re.S)
        assert group, f"{page}: no exercise buttons in the article header"
        launch = header.index("dropdown-launch-buttons")
        assert launch < group.start(), f"{page}: the exercise buttons are not after launch"
        box = re.search(r'<div class="admonition course-exercises" id="course-exercises">'
                        r'(.*?)</div>', text, re.S)
        assert box, f"{page}: no exercise box at the end of the page"
        heading = {"ko": "<h2>연습 문제<", "en": "<h2>Exercises<"}[lang]
        section = text.index(heading)
        assert section < box.start() < text.index("</section>", section), (
            f"{page}: the box is not at the end of the exercises section")
        for part in (group[1], box[1]):
            links = re.findall(r'href="([^"]+)"', part)
            assert colab in links, f"{page}: no link to {colab}"
            local = [u for u in links if u.endswith(".ipynb") and "://" not in u]
            assert len(local) == 1, f"{page}: {links}"
            assert (page.parent / local[0]).resolve() == (
                site / lang / "exercises" / f"{page.stem}.ipynb").resolve(), local
        expected = {"ko": ("연습 문제 내려받기 (.ipynb)", "Colab에서 연습 문제 열기"),
                    "en": ("Download the exercises (.ipynb)", "Open the exercises in Colab")}
        for label in expected[lang]:
            assert label in group[1] and label in box[1], f"{page}: no {label!r}"
    for other in ("index", "glossary", "instructors"):
        assert other in {p.stem for p in pages}


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_the_offline_zip_carries_the_exercises(zips, lang):
    with zipfile.ZipFile(zips[lang]) as zf:
        members = {n for n in zf.namelist() if "/exercises/" in n}
        for name in members:
            packaged = PACKAGED / lang / Path(name).name
            assert zf.read(name) == packaged.read_bytes(), name
    expected = {f"{book.archive_name(lang)}/exercises/{p.name}"
                for p in (EXERCISES / lang).glob("*.ipynb")}
    assert members == expected
