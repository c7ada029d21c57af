"""Sphinx extension of the course book: the link between the two editions.

The book is built twice from one repository (``tools/book.py``): the Korean edition
from ``chapters/ko`` into ``_build/html/ko`` and the English edition from
``chapters/en`` into ``_build/html/en``. Each page gets ``other_lang_url``, a relative
link to the same page in the other edition, shown by ``templates/lang-switch.html``
in the article header. The extension also adds ``static/course.css`` and the Korean
web font it names. Pages have the same file names in both editions, so the link
is found by swapping the language folder; a page that has no twin (which the tests
forbid) links to the other edition's front page instead.

Sphinx's own i18n (gettext catalogues) translates one source into several languages;
our two editions are written separately, so a small extension is simpler than a
catalogue per chapter.
"""

from __future__ import annotations

import shutil
from pathlib import Path

LABELS = {"ko": "English", "en": "한국어"}
TITLES = {"ko": "Read this page in English", "en": "이 쪽을 한국어로 읽기"}
SOURCE_SUFFIXES = (".ipynb", ".md")


def other_lang(lang: str) -> str:
    return {"ko": "en", "en": "ko"}[lang]


def twin_docname(pagename: str, lang: str) -> str:
    """``chapters/ko/01_x`` -> ``chapters/en/01_x`` (other pages keep their name)."""
    prefix = f"chapters/{lang}/"
    if pagename.startswith(prefix):
        return f"chapters/{other_lang(lang)}/" + pagename[len(prefix) :]
    return pagename


def _page_context(app, pagename, templatename, context, doctree):
    lang = app.config.course_lang
    other = other_lang(lang)
    twin = twin_docname(pagename, lang)
    srcdir = Path(app.srcdir)
    generated = pagename in {"genindex", "search", "py-modindex"}
    if not generated and not any((srcdir / (twin + s)).exists() for s in SOURCE_SUFFIXES):
        twin = f"chapters/{other}/index"
    up = "../" * pagename.count("/")
    context["other_lang_url"] = f"{up}../{other}/{twin}.html"
    context["other_lang_label"] = LABELS[lang]
    context["other_lang_title"] = TITLES[lang]
    context["other_lang_code"] = other


HERE = Path(__file__).resolve().parent


def _add_templates_and_static(app, config):
    config.templates_path.append(str(HERE / "templates"))
    config.html_static_path.append(str(HERE / "static"))


def _copy_fonts(app, exception):
    """Put the Korean font named by course.css into ``_static/fonts``.

    It is the file the figures use (``course_rnn.plotting.korean_font_file``, checksum
    verified), so the pages and the plots draw Hangul alike.
    """
    if exception is not None or app.builder.format != "html":
        return
    from course_rnn.plotting import korean_font_file

    dest = Path(app.outdir) / "_static" / "fonts"
    dest.mkdir(parents=True, exist_ok=True)
    font = korean_font_file()
    shutil.copy2(font, dest / font.name)
    shutil.copy2(font.parent / "OFL.txt", dest / "OFL.txt")


def setup(app):
    app.add_config_value("course_lang", "ko", "html", types=[str])
    app.connect("config-inited", _add_templates_and_static)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _copy_fonts)
    app.add_css_file("course.css")
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
