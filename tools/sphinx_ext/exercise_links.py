"""Each chapter's exercises one click away: the student notebook, as a download and in Colab.

Part of the book's Sphinx extension (``course_book.py`` calls ``setup``). When an
edition is built, this module

1. releases ``exercises/<lang>`` with ``course-rnn release`` into a temporary folder
   (a solution that fails its own tests fails the build) and compares the result with
   the copies shipped in the package, ``src/course_rnn/grading/released/<lang>``: the
   build stops when they differ ("run make release"), since Colab opens those copies
   and ``load_checks`` reads their checks;
2. copies the student notebooks, and only them, into the site:
   ``<lang>/exercises/NAME.ipynb`` (never an instructor notebook, never a checks file:
   the package carries the checks);
3. gives every chapter page that has an exercise set a dropdown beside the launch
   buttons (the theme's own header buttons) and a box at the end of its "Exercises"
   section (of the page, if it has none), each with
   "Download the exercises (.ipynb)" and "Open the exercises in Colab". The Colab link
   is derived from ``_config.yml``'s ``repository`` (``tools/repository.py``). Pages
   without an exercise set (the front page, the glossary, the instructors' page) get
   neither.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
import tempfile
from pathlib import Path

from sphinx.errors import ExtensionError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tools/
import repository  # tools/repository.py

SITE_FOLDER = "exercises"  # <lang>/exercises/NAME.ipynb in the built site
HEADINGS = {"ko": "연습 문제", "en": "Exercises"}  # the section the box closes
TEXT = {
    "ko": {
        "group": "이 장의 연습 문제",
        "download": "연습 문제 내려받기 (.ipynb)",
        "colab": "Colab에서 연습 문제 열기",
        "title": "이 장의 연습 문제",
        "body": "스스로 채점되는 학생용 노트북입니다. 첫 셀이 강의 패키지를 설치하고 검사 데이터를 "
                "불러오므로 이 파일 하나만 있으면 됩니다. 답을 쓰고 <code>check(\"q1\")</code>을 "
                "실행하면 공개 테스트가 바로 돌아가, 어느 입력에서 무엇이 틀렸는지 알려 줍니다.",
    },
    "en": {
        "group": "Exercises for this chapter",
        "download": "Download the exercises (.ipynb)",
        "colab": "Open the exercises in Colab",
        "title": "Exercises for this chapter",
        "body": "A self-grading student notebook: its first cell installs the course package "
                "and loads the checks, so the file alone is enough. After each answer, run "
                "<code>check(\"q1\")</code>: it runs the public tests at once and tells you "
                "which input gave which wrong value.",
    },
}


def _root(app) -> Path:
    return Path(app.srcdir)


def _release(app) -> None:
    """Release the edition's exercises; stop the build if the packaged copies differ."""
    app.course_exercises = {}
    app.course_exercises_dir = None
    if app.builder.format != "html":
        return
    from course_rnn.grading.release import ReleaseError, release, release_differences

    lang = app.config.course_lang
    source = _root(app) / "exercises" / lang
    if not source.is_dir():
        return
    packaged = _root(app) / repository.RELEASED / lang
    work = Path(tempfile.mkdtemp(prefix=f"course-exercises-{lang}-"))
    try:
        release(source, work)
    except ReleaseError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise ExtensionError(f"exercises/{lang} cannot be released: {exc}") from None
    differences = release_differences(work, packaged)
    if differences:
        shutil.rmtree(work, ignore_errors=True)
        raise ExtensionError(
            f"the student notebooks released from exercises/{lang} differ from the copies in "
            f"{repository.RELEASED}/{lang} that Colab opens and load_checks reads: run "
            "`make release` and commit the folder.\n  " + "\n  ".join(differences[:20]))
    app.course_exercises = {p.stem: p for p in sorted(work.glob("*.ipynb"))}
    app.course_exercises_dir = work


def _setting(app) -> repository.Setting:
    opts = app.config.html_theme_options
    url = opts.get("repository_url")
    if not url:
        raise ExtensionError("_config.yml names no repository (repository.url): the exercise "
                             "links to Colab are derived from it")
    return repository.Setting(url.rstrip("/"), opts.get("repository_branch") or "main")


def exercise_name(app, pagename: str) -> str | None:
    """``01_recurrent_cell`` for ``chapters/<lang>/01_recurrent_cell`` when it has exercises."""
    prefix = f"chapters/{app.config.course_lang}/"
    if not pagename.startswith(prefix):
        return None
    name = pagename[len(prefix) :]
    return name if name in getattr(app, "course_exercises", {}) else None


def box_html(lang: str, download: str, colab: str, colab_icon: str, name: str) -> str:
    """The box at the end of a chapter page."""
    t = TEXT[lang]
    esc = html.escape
    return (
        f'\n<div class="admonition course-exercises" id="course-exercises">\n'
        f'<p class="admonition-title">{esc(t["title"])}</p>\n'
        f'<p>{t["body"]}</p>\n'
        f'<p class="course-exercises-links">'
        f'<a class="btn btn-sm course-exercises-download" href="{esc(download)}" '
        f'download="{esc(name)}.ipynb"><i class="fa-solid fa-file-arrow-down"></i> '
        f'{esc(t["download"])}</a>\n'
        f'<a class="btn btn-sm course-exercises-colab" href="{esc(colab)}" target="_blank" '
        f'rel="noopener"><img src="{esc(colab_icon)}" alt=""> {esc(t["colab"])}</a></p>\n'
        f"</div>\n"
    )


def place_box(body: str, box: str, lang: str) -> str:
    """``body`` with ``box`` at the end of the chapter's "Exercises" section (the one whose
    heading is ``HEADINGS[lang]``), or at the end of the page if it has none."""
    m = re.search(rf'<section id="[^"]*">\s*<h2>{re.escape(HEADINGS[lang])}<', body)
    if m:
        end, inner = body.find("</section>", m.end()), body.find("<section", m.end())
        if end != -1 and (inner == -1 or end < inner):
            return body[:end] + box + body[end:]
    return body + box


def _page(app, pagename, templatename, context, doctree):
    name = exercise_name(app, pagename)
    if name is None:
        return
    lang = app.config.course_lang
    t = TEXT[lang]
    pathto = context["pathto"]
    download = pathto(f"{SITE_FOLDER}/{name}.ipynb", 1)
    colab_base = (app.config.html_theme_options.get("launch_buttons") or {}).get(
        "colab_url") or repository.COLAB
    colab = repository.exercise_colab_url(_setting(app), lang, name, colab_base)
    icon = "_static/images/logo_colab.png"
    group = {
        "type": "group",
        "tooltip": t["group"],
        "icon": "fa-solid fa-graduation-cap",
        "label": "exercise-buttons",
        "buttons": [
            {"type": "link", "url": download, "text": t["download"], "tooltip": t["download"],
             "icon": "fa-solid fa-file-arrow-down", "label": "exercise-download-button"},
            {"type": "link", "url": colab, "text": t["colab"], "tooltip": t["colab"],
             "icon": icon, "label": "exercise-colab-button"},
        ],
    }
    buttons = context.setdefault("header_buttons", [])
    launch = [i for i, b in enumerate(buttons) if b.get("label") == "launch-buttons"]
    buttons.insert(launch[0] + 1 if launch else 0, group)
    if "body" in context:
        context["body"] = place_box(context["body"],
                                    box_html(lang, download, colab, pathto(icon, 1), name), lang)


def _copy_notebooks(app, exception):
    work = getattr(app, "course_exercises_dir", None)
    try:
        if exception is None and work is not None and app.builder.format == "html":
            dest = Path(app.outdir) / SITE_FOLDER
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir(parents=True)
            for path in app.course_exercises.values():
                shutil.copyfile(path, dest / path.name)
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


def setup(app):
    """Connect the release, the page buttons and the copy to Sphinx's events."""
    app.connect("builder-inited", _release)
    # after the theme's header buttons (priority 501), before the page is rendered
    app.connect("html-page-context", _page, priority=502)
    app.connect("build-finished", _copy_notebooks)
