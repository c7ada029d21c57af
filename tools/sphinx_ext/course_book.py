"""Sphinx extension of the course book: the link between the two editions, and pages
that work offline.

The book is built twice from one repository (``tools/book.py``): the Korean edition
from ``chapters/ko`` into ``_build/html/ko`` and the English edition from
``chapters/en`` into ``_build/html/en``. Each page gets ``other_lang_url``, a relative
link to the same page in the other edition, shown by ``templates/lang-switch.html``
in the article header. Pages have the same file names in both editions, so the link
is found by swapping the language folder; a page that has no twin (which the tests
forbid) links to the other edition's front page instead.

Each chapter page also gets its exercise set, released at build time, as a download
and a Colab link beside the launch buttons and at the end of the page
(``exercise_links.py``).

Sphinx's own i18n (gettext catalogues) translates one source into several languages;
our two editions are written separately, so a small extension is simpler than a
catalogue per chapter.

Offline: every page must render its equations, widgets and Hangul when opened from
disk or served by a machine with no internet. The extension

- puts the book's own MathJax, require.js and widget manager into ``_static``
  (``web_assets.py``: pinned npm packages; ``_config.yml`` points ``mathjax_path`` and
  ``nb_ipywidgets_js`` at them);
- adds ``static/course.css`` and ``course-hangul.css``, the Korean web font embedded in
  CSS (``hangul_font.py``);
- fails the build (a warning, and warnings are errors) when a page still loads a
  script, stylesheet or image from the network, or names a local one that is missing;
- keeps the pages' console free of errors: it removes the inline scripts that two
  extensions register twice (sphinx-thebe's ``const THEBE_JS_URL`` would throw a
  SyntaxError) and gives the theme a default colour mode (an empty one is reported
  with ``console.error``).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sphinx.util import logging

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import exercise_links  # noqa: E402
import explorer_assets  # noqa: E402
import hangul_font  # noqa: E402
import image_weight  # noqa: E402
import web_assets  # noqa: E402

logger = logging.getLogger(__name__)

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


def _korean_font():
    """The file the figures use (checksum verified by ``course_rnn.figures.style``)."""
    from course_rnn.figures.style import korean_font_file

    return korean_font_file()


def _add_templates_and_static(app, config):
    config.templates_path.append(str(HERE / "templates"))
    config.html_static_path.append(str(HERE / "static"))
    cache = web_assets.cache_dir()
    config.html_static_path.append(str(web_assets.static_dir(cache)))
    sources = [
        p for p in (Path(app.srcdir) / "chapters").rglob("*") if p.suffix in {".md", ".ipynb"}
    ]
    config.html_static_path.append(str(hangul_font.static_dir(_korean_font(), sources, cache)))
    # pydata-sphinx-theme logs console.error("Got invalid theme mode") without one
    config.html_context.setdefault("default_mode", "auto")


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    """Drop repeated scripts: Sphinx 7.4 lists twice an inline script that an extension
    registers once the builder exists (sphinx-thebe's, sphinx-togglebutton's)."""
    seen, kept = set(), []
    for js in context.get("script_files", []):
        key = (str(js.filename or ""), tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    context["script_files"] = kept


_REFERENCES = re.compile(
    r"<(script|img|link)\b([^>]*?)\s(src|href)=\"([^\"]+)\"([^>]*)>", re.IGNORECASE
)


def offline_problems(html: str, page: Path) -> list[str]:
    """Scripts, stylesheets and images of a built page that come from the network or
    are missing on disk (``<a>`` links are not loaded, so they may point anywhere)."""
    problems = []
    for m in _REFERENCES.finditer(html):
        tag, attrs, url = m.group(1).lower(), m.group(2) + m.group(5), m.group(4)
        if tag == "link" and not re.search(r'rel="(stylesheet|preload|icon)"', attrs):
            continue
        parts = urlsplit(url)
        if parts.scheme == "data":
            continue
        if parts.scheme or url.startswith("//"):
            problems.append(f"loads {url} from the network")
        elif not (page.parent / unquote(parts.path)).exists():
            problems.append(f"names {url}, which is not in the build")
    return problems


def _copy_font_licence(app, exception):
    """The licence of the font embedded in course-hangul.css, beside it."""
    if exception is not None or app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / "fonts"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(_korean_font().parent / "OFL.txt", dest / "OFL.txt")


def _check_offline(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    # the pages, not _static/ (which holds template files of the theme)
    for page in sorted(outdir.rglob("*.html")):
        if page.relative_to(outdir).parts[0].startswith("_"):
            continue
        for problem in offline_problems(page.read_text(encoding="utf-8"), page):
            logger.warning(
                "%s %s (the book must work offline)",
                page.relative_to(outdir), problem, type="course_book", subtype="offline",
            )  # fmt: skip


def setup(app):
    app.add_config_value("course_lang", "ko", "html", types=[str])
    app.connect("config-inited", _add_templates_and_static)
    app.connect("html-page-context", _page_context)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("build-finished", _copy_font_licence)
    app.connect("build-finished", _check_offline)
    explorer_assets.setup(app)
    image_weight.setup(app)
    exercise_links.setup(app)
    app.add_css_file(hangul_font.CSS_NAME)
    app.add_css_file("course.css")
    return {"version": "0.2", "parallel_read_safe": True, "parallel_write_safe": True}
