"""The built book in a real browser, with no network: headless Chromium driven by
Playwright for Python (Debian's ``chromium``, no browser download).

Each edition is opened three ways: served over ``http://127.0.0.1`` (an instructor's
course server), opened from disk (``file://``), and unzipped from the offline archive
(``tools/book.py offline``). On the chapter with math and an interactive figure
(``03_bptt``) the tests read from the rendered DOM that

- MathJax replaced the LaTeX of a known equation with rendered math, and left no raw
  TeX and no MathJax error anywhere on the page;
- Hangul is drawn with the book's Noto Sans KR (the font the layout engine used for
  the text, from the DevTools protocol's ``CSS.getPlatformFontsForNode``), never tofu;
- the language switch leads to the same page of the other edition;
- the console shows no error, no request failed, and nothing was requested from
  anywhere but the page's own site (requests elsewhere are aborted and reported).

Every interactive figure of the book (``course_rnn.figures.explorer``), in both editions,
over http and unzipped from the offline archive (``file://``), has each of its controls
moved through every value it offers: the
figure must change, be drawn, and be the one the chapter's notebook stored for the values
the controls now show (read back from the controls' readouts).

Every other page of both editions is checked for the same console, request and math
conditions. Screenshots of the chapter in both editions go to ``_build/screenshots``.

Chromium is installed with apt-get when it is missing and the tests run as root on
Debian or Ubuntu; elsewhere the tests are skipped with a message saying so.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tools" / "sphinx_ext"))
import course_book  # noqa: E402  (tools/sphinx_ext/course_book.py)
import hangul_font  # noqa: E402
import web_assets  # noqa: E402

import book  # noqa: E402  (tools/book.py)
import repository  # noqa: E402  (tools/repository.py)

pytestmark = pytest.mark.slow

LANGS = ("ko", "en")
OTHER = {"ko": "en", "en": "ko"}
CHAPTER = "03_bptt"
# a display equation of the chapter, in both editions: dL_3/dW as a sum over k
KNOWN_EQUATION = (r"\frac{\partial L_3}{\partial W}", r"\sum_{k=1}^{3}")
# the first control of the chapter's interactive figure (its description, per edition)
KNOWN_SLIDER = {"ko": "스펙트럼 반지름", "en": "spectral radius"}
EXPLORER = 'class="course-explorer"'
SCREENSHOTS = ROOT / "_build" / "screenshots"
FONT_FAMILY = "Noto Sans KR"
# The flags for Debian's Chromium on a machine without network. Playwright adds its
# own defaults (a fresh temporary user-data dir among them) and these stay in force.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]  # fmt: skip
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# elements whose own text is Hangul on a Korean chapter page; the font of each is checked
HANGUL_PROBES = {
    "ko": [
        "article h1",
        "article section p",
        ".bd-sidenav li.current > a",  # bold: Chromium drew tofu here once
        ".navbar-brand p.title",
        ".course-explorer-control > span",
        "mjx-container svg text",  # Hangul inside an equation (\text{...})
    ],
    "en": [".course-lang-switch"],  # "한국어"
}


# -- Chromium -----------------------------------------------------------------------


def find_chromium() -> str | None:
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    for candidate in (os.environ.get("COURSE_CHROMIUM"), *map(shutil.which, names)):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def install_chromium() -> str:
    """Install Debian's chromium; returns why not when it cannot."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return (
            "Chromium is not installed, and it can be installed here only as root on "
            "Debian or Ubuntu. Install it (`sudo apt-get install chromium`, or set "
            "COURSE_CHROMIUM to a Chromium or Chrome binary) to run the browser tests."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium",
         "fonts-liberation"],
    ):  # fmt: skip
        print("+", " ".join(cmd), file=sys.__stderr__, flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)
        if proc.returncode != 0:
            return (
                f"`{' '.join(cmd)}` failed, so the browser tests cannot run:\n"
                f"{proc.stderr[-2000:]}"
            )
    return ""


@pytest.fixture(scope="session")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        reason = install_chromium()
        path = find_chromium()
        if path is None:
            pytest.skip(reason or "apt-get installed chromium, but no binary was found")
    return path


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


# -- the site: served, on disk, and from the offline archive --------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def server(site):
    """The built site served over HTTP on 127.0.0.1, as from a course server."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def archives(site, tmp_path_factory) -> dict[str, Path]:
    """Each edition's offline zip, unzipped: {lang: folder of the edition}."""
    zips = tmp_path_factory.mktemp("offline")
    out = {}
    for lang in LANGS:
        path = book.archive(site, lang, zips)
        with zipfile.ZipFile(path) as zf:
            zf.extractall(zips / "unzipped")
        out[lang] = zips / "unzipped" / book.archive_name(lang)
    return out


def url_of(base: str | Path, page: str) -> str:
    if isinstance(base, Path):
        return (base / page).as_uri()
    return f"{base}/{page}"


def chapter(lang: str) -> str:
    return f"{lang}/chapters/{lang}/{CHAPTER}.html"


# -- one visit of a page ------------------------------------------------------------

READY = """async () => {
  if (document.readyState !== "complete") {
    await new Promise((resolve) => addEventListener("load", resolve, { once: true }));
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
}"""

WIDGETS_DRAWN = f"""() => [...document.querySelectorAll('script[type="{WIDGET_VIEW}"]')]
  .every((s) => {{
    const area = s.previousElementSibling;
    return area && area.classList.contains("widget-subarea")
      && area.querySelector(".jupyter-widgets") !== null;
  }})"""

MATH_PROBLEMS = r"""() => {
  const out = [];
  for (const el of document.querySelectorAll("div.math, span.math")) {
    if (!el.querySelector("mjx-container")) out.push("not typeset: " + el.textContent.slice(0, 80));
  }
  for (const el of document.querySelectorAll("mjx-merror, [data-mjx-error]")) {
    const message = el.getAttribute("data-mjx-error") || el.textContent;
    out.push("MathJax error: " + message.slice(0, 120));
  }
  const root = document.querySelector("article") || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("pre, code, script, style, textarea, mjx-container")) continue;
    if (/\\\(|\\\[|\$\$|\\begin\{/.test(node.data)) {
      out.push("raw TeX: " + node.data.trim().slice(0, 80));
    }
  }
  return out;
}"""


@dataclass
class Visit:
    """A page opened in a fresh browser context, with what it logged and requested."""

    page: object
    problems: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = self.problems + [f"requested from outside: {u}" for u in self.external]
        return "\n".join(lines + [f"(console warning: {w})" for w in self.warnings])


def _is_local(url: str, host: str | None) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"file", "data", "blob", "about"} or (
        host is not None and parts.netloc == host
    )


VIEWPORT = {"width": 1280, "height": 1000}


def visit(context, url: str, lands_on: str | None = None) -> Visit:
    """Open ``url`` in a new tab of ``context`` (it redirects to ``lands_on``, if given)
    and wait until MathJax has typeset the page, its fonts are loaded and its stored
    widgets are drawn. Requests to other sites are aborted and reported."""
    host = urlsplit(url).netloc or None
    page = context.new_page()
    v = Visit(page)
    page.route(lambda u: not _is_local(u, host), lambda route: route.abort())

    def on_console(msg):
        if msg.type == "error":
            v.problems.append(f"console error: {msg.text} at {msg.location.get('url')}")
        elif msg.type == "warning":
            v.warnings.append(msg.text[:200])

    def on_request(req):
        if not _is_local(req.url, host):
            v.external.append(req.url)

    def on_failed(req):
        if _is_local(req.url, host):
            v.problems.append(f"request failed: {req.url} ({req.failure})")

    def on_response(resp):
        if resp.status >= 400:
            v.problems.append(f"HTTP {resp.status}: {resp.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: v.problems.append(f"uncaught exception: {exc}"))
    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.goto(url, wait_until="load")
    if lands_on:
        page.wait_for_url(lands_on, wait_until="load")
    page.evaluate(READY)
    page.wait_for_function(WIDGETS_DRAWN, timeout=30_000)
    return v


@pytest.fixture
def open_page(browser):
    """Opens a page as a first-time reader would: a new browser context, no cache, no
    stored settings."""
    contexts = []

    def _open(url, lands_on=None):
        contexts.append(browser.new_context(viewport=VIEWPORT))
        return visit(contexts[-1], url, lands_on)

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def reader(browser):
    """One browser context for reading the whole book page after page (its cache makes
    the visits faster); each page still gets its own tab and its own checks."""
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


def assert_clean(v: Visit, what: str):
    assert not v.problems and not v.external, f"{what}:\n{v.report()}"


# -- what a chapter page must show --------------------------------------------------


def check_math(v: Visit, what: str):
    assert v.page.evaluate(MATH_PROBLEMS) == [], what
    found = v.page.evaluate(
        """(needles) => {
          const item = [...MathJax.startup.document.math]
            .find((m) => m.display && needles.every((n) => m.math.includes(n)));
          if (!item) return null;
          const root = item.typesetRoot, svg = root.querySelector("svg");
          const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
          const div = root.closest("div.math");
          return {
            tag: root.tagName.toLowerCase(), display: root.getAttribute("display"),
            width: box.width, height: box.height,
            tex_left: div ? div.textContent.includes("\\\\frac") : true,
            mathml: (root.querySelector("mjx-assistive-mml") || {}).innerHTML || "",
          };
        }""",
        list(KNOWN_EQUATION),
    )
    assert found, f"{what}: the equation {KNOWN_EQUATION} is not on the page"
    assert found["tag"] == "mjx-container" and found["display"] == "true", (what, found)
    assert found["width"] > 100 and found["height"] > 20, f"{what}: equation not drawn {found}"
    assert not found["tex_left"], f"{what}: the equation's LaTeX is still in the page"
    assert "<mfrac>" in found["mathml"] and "munderover" in found["mathml"], what


def stored_explorers(lang: str, name: str) -> list[dict]:
    """The interactive figures that chapter ``name``'s notebook stored, in order: for each,
    its controls (description, labels of the values) and, for every point of the grid
    (a tuple of value indices), the name of the image file the book makes of its figure
    (``tools/sphinx_ext/explorer_assets.py``: the PNG's SHA-256)."""
    nb = json.loads((ROOT / "chapters" / lang / f"{name}.ipynb").read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            html = "".join(output.get("data", {}).get("text/html", ""))
            if EXPLORER not in html:
                continue
            payload = re.search(
                r'<script type="application/json" class="course-explorer-data">(.*?)</script>',
                html, re.S,
            ).group(1)  # fmt: skip
            data = json.loads(payload.replace("<\\/", "</"))
            files = {}
            for key, uri in data["figures"].items():
                png = base64.b64decode(uri.split(",", 1)[1])
                files[tuple(int(i) for i in key.split(","))] = (
                    hashlib.sha256(png).hexdigest()[:32] + ".png"
                )
            out.append({"controls": data["controls"], "files": files})
    return out


def explorer_pages() -> list[str]:
    """Chapters whose notebook (Korean edition) calls ``explore``; the English must match."""
    names = []
    for path in sorted((ROOT / "chapters" / "ko").glob("*.ipynb")):
        if stored_explorers("ko", path.stem):
            names.append(path.stem)
    return names


EXPLORER_STATE = """(root) => {
  const img = root.querySelector("img.course-explorer-figure");
  const readouts = [...root.querySelectorAll("[data-name]")].map((el) =>
    el.tagName === "SELECT" ? el.options[el.selectedIndex].textContent
                            : el.parentElement.querySelector("output").textContent);
  const box = img.getBoundingClientRect();
  const fields = [...root.querySelectorAll("[data-name]")];
  return { src: img.getAttribute("src"), alt: img.alt, readouts,
           enabled: fields.every((el) => !el.disabled),
           spoken: fields.map((el, i) =>
             el.tagName === "SELECT" ? readouts[i] : el.getAttribute("aria-valuetext")),
           drawn: img.complete && img.naturalWidth > 0 && box.width > 0 && box.height > 0 };
}"""

IMAGE_DRAWN = """(root) => { const img = root.querySelector("img.course-explorer-figure");
  return img.complete && img.naturalWidth > 0; }"""


def move_to(v: Visit, field, k: int, now: int):
    """Set one control from its ``now``-th to its ``k``-th value as a reader would: one
    arrow key on a slider (``k`` is a neighbour), a choice in a drop-down list."""
    if field.evaluate("(el) => el.tagName") == "SELECT":
        field.select_option(index=k)
    else:
        assert abs(k - now) == 1, (now, k)
        field.focus()
        v.page.keyboard.press("ArrowRight" if k > now else "ArrowLeft")


def tour(n: int, start: int, select: bool) -> list[int]:
    """The values a control is moved through, from ``start``: each of its ``n`` values at
    least once, then back to ``start``; a slider moves by one step at a time (down to the
    first value, up to the last, down to ``start``)."""
    if select:
        others = [k for k in range(n) if k != start]
        return [*others, start] if others else []
    down, up = list(range(start - 1, -1, -1)), list(range(1, n))
    back = list(range(n - 2, start - 1, -1))
    return down + up + back


def explorer_state(root, spec: dict, what: str) -> tuple[dict, tuple[int, ...]]:
    """What one interactive figure shows once its image is drawn: the readouts of its
    controls, its image and alt text; checked against the notebook's figure for the values
    read out. Returns (state, index of each control's value)."""
    root.page.wait_for_function(IMAGE_DRAWN, arg=root.element_handle(), timeout=10_000)
    got = root.evaluate(EXPLORER_STATE)
    assert got["drawn"], f"{what}: the figure is not drawn ({got})"
    assert got["enabled"], f"{what}: controls still disabled (course-explorer.js did not run)"
    controls = spec["controls"]
    pairs = list(zip(controls, got["readouts"], strict=True))
    index = tuple(c["labels"].index(label) for c, label in pairs)
    file = got["src"].rsplit("/", 1)[-1]
    assert file == spec["files"][index], (
        f"{what}: the figure is {file} for {got['readouts']}, but the notebook drew "
        f"{spec['files'][index]} for these values"
    )  # fmt: skip
    assert got["spoken"] == got["readouts"], f"{what}: a screen reader hears {got['spoken']}"
    alt = ", ".join(f"{c['description']} = {label}" for c, label in pairs)
    assert got["alt"] == alt, f"{what}: alt text {got['alt']!r}, expected {alt!r}"
    return got, index


def check_explorers(v: Visit, lang: str, name: str, what: str) -> int:
    """Move every control of every interactive figure of the page through every value it
    offers, the others staying where they are; after each move the figure must be drawn,
    have changed, and be the notebook's figure for the values that the controls show.
    Returns the number of moves."""
    expected = stored_explorers(lang, name)
    roots = v.page.locator(".course-explorer")
    assert roots.count() == len(expected) > 0, (
        f"{what}: {roots.count()} interactive figures on the page, the notebook has "
        f"{len(expected)}"
    )  # fmt: skip
    moves = 0
    for e, spec in enumerate(expected):
        root = roots.nth(e)
        root.scroll_into_view_if_needed()
        fields = root.locator("[data-name]")
        assert fields.count() == len(spec["controls"]), f"{what}: figure {e + 1} lost a control"
        where = f"{what}, figure {e + 1}"
        seen, index = explorer_state(root, spec, where)
        for c, control in enumerate(spec["controls"]):
            field = fields.nth(c)
            select = field.evaluate("(el) => el.tagName") == "SELECT"
            for k in tour(len(control["labels"]), index[c], select):
                move_to(v, field, k, index[c])
                got, index = explorer_state(root, spec, where)
                assert index[c] == k, (
                    f"{where}: {control['description']} set to {control['labels'][k]!r} "
                    f"but it shows {got['readouts'][c]!r}"
                )  # fmt: skip
                assert got["src"] != seen["src"], f"{where}: the figure did not change ({got})"
                seen = got
                moves += 1
    return moves


def check_exercises(v: Visit, lang: str, what: str, folder: Path | None = None):
    """The chapter's exercise set, one click away: the header's exercises menu opens and
    shows its two links, the box at the end of the page has the same two; the download is
    the student notebook (fetched over http, or the file beside the page on disk), and
    the Colab link opens the packaged student copy of the repository named in
    ``_config.yml``."""
    menu = v.page.locator(".dropdown-exercise-buttons")
    menu.locator("button").first.click()
    items = menu.locator(".dropdown-menu a")
    v.page.wait_for_function(
        "() => [...document.querySelectorAll('.dropdown-exercise-buttons .dropdown-menu a')]"
        ".every((a) => a.getBoundingClientRect().height > 0)"
    )
    links = [
        items.nth(i).evaluate("(a) => a.href") for i in range(items.count())
    ]  # fmt: skip
    box = v.page.evaluate(
        "() => [...document.querySelectorAll('#course-exercises a')].map((a) => a.href)"
    )
    colab = repository.exercise_colab_url(repository.read_setting(), lang, CHAPTER)
    assert len(links) == 2 and links == box, f"{what}: exercise links {links} / {box}"
    download = links[0]
    assert download.endswith(f"/exercises/{CHAPTER}.ipynb") and links[1] == colab, (what, links)
    if folder is None:
        text = v.page.evaluate("(url) => fetch(url).then((r) => r.text())", download)
    else:
        text = (folder / "exercises" / f"{CHAPTER}.ipynb").read_text(encoding="utf-8")
    nb = json.loads(text)
    assert nb["metadata"]["course_rnn"]["version"] == "student", what
    assert "BEGIN SOLUTION" not in text, f"{what}: the download has the solutions"
    v.page.keyboard.press("Escape")


def platform_fonts(v: Visit, selectors: list[str]) -> dict[str, tuple[int, list[dict]]]:
    """For each selector, the first visible element whose own text has Hangul: its
    number of Hangul characters and the fonts Chromium used to draw that text."""
    counts = v.page.evaluate(
        """(selectors) => {
          const hangul = /[\\u1100-\\u11ff\\u3130-\\u318f\\ua960-\\ua97f\\uac00-\\ud7a3]/g;
          return selectors.map((sel, i) => {
            for (const el of document.querySelectorAll(sel)) {
              let n = 0;
              for (const c of el.childNodes) {
                if (c.nodeType === 3) n += (c.data.match(hangul) || []).length;
              }
              if (n > 0 && el.getClientRects().length > 0) {
                el.setAttribute("data-hangul-probe", String(i));
                return n;
              }
            }
            return 0;
          });
        }""",
        selectors,
    )
    cdp = v.page.context.new_cdp_session(v.page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    out = {}
    for i, (selector, n) in enumerate(zip(selectors, counts, strict=True)):
        if n == 0:
            out[selector] = (0, [])
            continue
        probe = f'[data-hangul-probe="{i}"]'
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": probe})
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        out[selector] = (n, fonts)
    cdp.detach()
    return out


def check_hangul_font(v: Visit, lang: str, what: str):
    for selector, (n, fonts) in platform_fonts(v, HANGUL_PROBES[lang]).items():
        assert n > 0, f"{what}: no Hangul found in {selector}"
        ours = [f for f in fonts if f["familyName"] == FONT_FAMILY and f["isCustomFont"]]
        # unicode-range limits the font to Hangul: one glyph per syllable, all from it
        assert ours and ours[0]["glyphCount"] >= n, (
            f"{what}: Hangul of {selector} is not all drawn with the book's {FONT_FAMILY} "
            f"({n} Hangul characters; fonts used: {fonts})"
        )


def check_switch(v: Visit, lang: str, site: Path, base: str | Path):
    """The switch's link, resolved by the browser, is the other edition's same page."""
    href = v.page.evaluate(
        "() => { const a = document.querySelector('a.course-lang-switch');"
        " return a && new URL(a.getAttribute('href'), location.href).href; }"
    )
    expected = url_of(base, chapter(OTHER[lang]))
    assert href == expected, f"{lang}: the language switch goes to {href}, not {expected}"
    assert (site / chapter(OTHER[lang])).is_file()


def screenshot(v: Visit, lang: str):
    """The chapter's top, its known equation and its interactive figure, for a person to
    look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    v.page.evaluate("window.scrollTo(0, 0)")
    v.page.screenshot(path=SCREENSHOTS / f"{lang}_{CHAPTER}.png")
    for name, scroll_to in (
        ("math", """(needles) => [...MathJax.startup.document.math]
                      .find((m) => m.display && needles.every((n) => m.math.includes(n)))
                      .typesetRoot.scrollIntoView({ block: "center" })"""),
        ("explorer", """() => document.querySelector(".course-explorer")
                      .scrollIntoView({ block: "start" })"""),
    ):  # fmt: skip
        v.page.evaluate(scroll_to, list(KNOWN_EQUATION))
        v.page.evaluate("window.scrollBy(0, -100)")  # below the sticky header
        v.page.screenshot(path=SCREENSHOTS / f"{lang}_{CHAPTER}_{name}.png")


# -- the tests ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_chapter_served_over_http(open_page, server, site, lang):
    v = open_page(url_of(server, chapter(lang)))
    what = f"{lang} {CHAPTER} over http"
    check_math(v, what)
    check_hangul_font(v, lang, what)
    check_switch(v, lang, site, server)
    check_exercises(v, lang, what)
    screenshot(v, lang)
    # follow the switch: the same chapter of the other edition, in its language
    v.page.locator("a.course-lang-switch").click()
    v.page.wait_for_url(url_of(server, chapter(OTHER[lang])), wait_until="domcontentloaded")
    assert v.page.evaluate("document.documentElement.lang") == OTHER[lang]
    assert_clean(v, what)


@pytest.mark.parametrize("lang", LANGS)
def test_chapter_opened_from_disk(open_page, site, lang):
    v = open_page(url_of(site, chapter(lang)))
    what = f"{lang} {CHAPTER} from file://"
    check_math(v, what)
    check_hangul_font(v, lang, what)
    check_switch(v, lang, site, site)
    assert_clean(v, what)


@pytest.mark.parametrize("lang", LANGS)
def test_offline_archive(open_page, archives, lang):
    folder = archives[lang]
    pages = sorted(
        p for p in folder.rglob("*.html") if not p.relative_to(folder).parts[0].startswith("_")
    )
    assert folder / "index.html" in pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert course_book.offline_problems(html, page) == [], page
        assert "course-lang-switch" not in html, f"{page}: links to the edition not in the zip"
    v = open_page((folder / f"chapters/{lang}/{CHAPTER}.html").as_uri())
    what = f"{lang} {CHAPTER} unzipped from {book.archive_name(lang)}.zip"
    check_math(v, what)
    if lang == "ko":
        check_hangul_font(v, lang, what)
    check_exercises(v, lang, what, folder)
    assert_clean(v, what)


WAYS = ("http", "zip")  # file:// too: the zip is opened from disk


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("name", explorer_pages())
@pytest.mark.parametrize("lang", LANGS)
def test_every_interactive_figure_responds(open_page, server, site, archives, lang, name, way):
    page = f"chapters/{lang}/{name}.html"
    url = {
        "http": url_of(server, f"{lang}/{page}"),
        "disk": url_of(site, f"{lang}/{page}"),
        "zip": (archives[lang] / page).as_uri(),
    }[way]
    what = f"{lang} {name} ({way})"
    v = open_page(url)
    moves = check_explorers(v, lang, name, what)
    assert moves > 0, what
    assert_clean(v, what)


def _toc_files(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["file"]] if "file" in node else []
        return own + [f for value in node.values() for f in _toc_files(value)]
    if isinstance(node, list):
        return [f for value in node for f in _toc_files(value)]
    return []


def every_page() -> list[str]:
    """The pages of the table of contents, in both editions, and the site's front door."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"], *_toc_files(toc)]
    pages = [
        f"{lang}/{f.replace('chapters/ko/', f'chapters/{lang}/')}.html"
        for lang in LANGS
        for f in files
    ]
    # the chapter itself is checked in depth by the tests above
    return ["index.html"] + [p for p in pages if p not in {chapter(lang) for lang in LANGS}]


@pytest.mark.parametrize("page", every_page())
def test_every_page_renders_offline(reader, server, page):
    # the front door redirects to ko/index.html, which redirects to the Korean front page
    lands_on = url_of(server, "ko/chapters/ko/index.html") if page == "index.html" else None
    v = visit(reader, url_of(server, page), lands_on)
    try:
        assert v.page.evaluate(MATH_PROBLEMS) == [], page
        assert_clean(v, page)
    finally:
        v.page.close()


# -- static checks of what the pages load ------------------------------------------


def test_every_hangul_character_is_in_the_embedded_font(site):
    from fontTools.ttLib import TTFont

    css = (site / "ko" / "_static" / hangul_font.CSS_NAME).read_text(encoding="utf-8")
    assert css == (site / "en" / "_static" / hangul_font.CSS_NAME).read_text(encoding="utf-8")
    data = re.search(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", css).group(1)
    cmap = TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()
    assert len(base64.b64decode(data)) < 400_000, "the embedded font grew past 400 kB"
    used = set()
    for lang in LANGS:
        files = [*(site / lang).rglob("*.html"), *(site / lang / "_static").glob("*.js")]
        used |= hangul_font.hangul_in(files)
    assert used, "no Hangul found in the site"
    missing = sorted(c for c in used if ord(c) not in cmap)
    assert not missing, f"Hangul used by the pages but not in course-hangul.css: {missing}"
    assert hangul_font.ks_x_1001_hangul() <= {chr(c) for c in cmap}
    assert {"『", "』", "「", "」"} <= {chr(c) for c in cmap}, "CJK punctuation would be tofu"


@pytest.mark.parametrize("lang", LANGS)
def test_pages_load_the_pinned_local_libraries(site, lang):
    html = (site / chapter(lang)).read_text(encoding="utf-8")
    for rel in (web_assets.MATHJAX_PATH, "course-explorer.js"):
        m = re.search(rf'<script[^>]* src="\.\./\.\./_static/{re.escape(rel)}(\?v=\w+)?"', html)
        assert m, f"{lang}: {rel} is not loaded"
        assert (site / lang / "_static" / rel).is_file()
    assert "integrity=" not in html and "crossorigin=" not in html
    # the widget manager loads only on a page that stores widgets (none does today: the
    # interactive figures are course-explorer.js's); it stays in _static for those
    for page in (site / lang).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if web_assets.WIDGETS_PATH in text:
            assert "application/vnd.jupyter.widget-state+json" in text, page
    for pkg in web_assets.PACKAGES:
        stamp = json.loads((site / lang / "_static" / pkg.dest / "npm-source.json").read_text())
        assert (stamp["name"], stamp["version"], stamp["integrity"]) == (
            pkg.name, pkg.version, pkg.integrity,
        )  # fmt: skip
    embed = (site / "en" / "_static" / web_assets.WIDGETS_PATH).read_text(encoding="utf-8")
    assert ".origin}${" not in embed, "the widget manager's public-path patch is missing"


def test_offline_check_catches_cdn_and_missing_files(tmp_path):
    page = tmp_path / "p.html"
    (tmp_path / "here.js").write_text("")
    html = (
        '<script src="https://cdn.example.org/x.js"></script><script src="here.js?v=1">'
        '</script><link rel="stylesheet" href="gone.css"><img src="data:image/png;base64,AA">'
        '<a href="https://example.org">a link is not loaded</a>'
    )
    assert course_book.offline_problems(html, page) == [
        "loads https://cdn.example.org/x.js from the network",
        "names gone.css, which is not in the build",
    ]
