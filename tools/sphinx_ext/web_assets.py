"""The book's own copies of MathJax, require.js and the Jupyter widget manager.

A page of the book must render its equations and its stored widgets when it is opened
from disk or served by a machine with no internet. The three JavaScript libraries that
MathJax and myst-nb load from public CDNs by default are therefore taken from the npm
registry at build time, at pinned versions, and copied into each edition's ``_static``:

============================  =======  ================================================
npm package                   version  what the pages load from it
============================  =======  ================================================
mathjax                       3.2.2    ``es5/tex-mml-svg.js`` (and the components it
                                       loads on demand: TeX extensions, menu, a11y)
requirejs                     2.3.8    ``require.js`` (the AMD loader the widget
                                       manager needs)
@jupyter-widgets/html-manager 1.0.15   ``dist/embed-amd.js`` (draws the widgets of
                                       ipywidgets 8 from the state stored in a page)
============================  =======  ================================================

Each tarball is fetched with the npm client (``npm pack``, which checks it against the
registry's own checksum) and then checked here against the SHA-512 pinned below, the
``integrity`` value a ``package-lock.json`` would hold. Tarballs and the unpacked files
are cached under ``_build/cache`` (``COURSE_BOOK_CACHE`` moves it), so only the first
build on a machine reaches the registry. npm's full ``install`` is not used: the widget
manager's dependency tree (JupyterLab, Lumino, ...) is large and already bundled into
``embed-amd.js``.

MathJax 3 (the version Sphinx and myst-nb configure) is used with its SVG output:
the SVG output draws glyphs as paths and loads no web font, so equations render the
same from ``file://`` in every browser, where browsers restrict fonts loaded from
disk (Firefox refuses fonts outside the page's folder).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class NpmPackage:
    name: str
    version: str
    integrity: str  # "sha512-<base64>", as in package-lock.json
    dest: str  # folder under _static
    include: tuple[str, ...]  # globs of the files to keep, inside the tarball's package/
    strip: str = ""  # prefix removed from their paths under dest
    exclude: tuple[str, ...] = ()
    # (file under dest, regex, replacement, number of matches expected)
    patches: tuple[tuple[str, str, str, int], ...] = ()

    @property
    def tarball(self) -> str:
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


MATHJAX_COMPONENT = "tex-mml-svg.js"

PACKAGES = (
    NpmPackage(
        "mathjax",
        "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        dest="mathjax",
        include=("es5/*", "LICENSE"),
        strip="es5/",
        # the other combined components, the CommonHTML output and its fonts, the
        # node.js entry point: never loaded by tex-mml-svg.js
        exclude=(
            "es5/tex-chtml*.js", "es5/tex-svg*.js", "es5/mml-*.js", "es5/tex-mml-chtml.js",
            "es5/output/chtml*", "es5/node-main.js", "es5/adaptors/*", "es5/latest.js",
        ),
    ),
    NpmPackage(
        "requirejs",
        "2.3.8",
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        dest="requirejs",
        include=("require.js", "package.json"),
    ),
    NpmPackage(
        "@jupyter-widgets/html-manager",
        "1.0.15",
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        dest="jupyter-widgets",
        # embed-amd.js and the WOFF2/WOFF Font Awesome 5 files its CSS names (browsers
        # that read neither, which would ask for the TTF/EOT/SVG copies, are long gone)
        include=("dist/embed-amd.js", "dist/*.woff2", "dist/*.woff", "package.json"),
        strip="dist/",
        # Each bundle sets webpack's public path (where its CSS finds the fonts) to
        # `${url.origin}${url.pathname}`; for a page opened from disk URL.origin is the
        # string "null". url.href is the same URL on http(s) and the right one on file://.
        patches=(
            ("embed-amd.js", r"`\$\{(\w+)\.origin\}\$\{\1\.pathname\}`", r"\1.href", 6),
        ),
    ),
)

# Paths under _static that the pages load (set in _config.yml as mathjax_path and
# nb_ipywidgets_js; tests/browser/test_browser.py checks that the pages load them).
MATHJAX_PATH = f"mathjax/{MATHJAX_COMPONENT}"
REQUIRE_PATH = "requirejs/require.js"
WIDGETS_PATH = "jupyter-widgets/embed-amd.js"


class AssetError(RuntimeError):
    pass


def cache_dir() -> Path:
    return Path(os.environ.get("COURSE_BOOK_CACHE") or ROOT / "_build" / "cache")


def sri(data: bytes) -> str:
    """Subresource-integrity form of a SHA-512: ``sha512-<base64>``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch(pkg: NpmPackage, cache: Path) -> Path:
    """The package's tarball in ``cache/npm``, fetched with ``npm pack`` if missing."""
    folder = cache / "npm"
    path = folder / pkg.tarball
    if path.exists() and sri(path.read_bytes()) == pkg.integrity:
        return path
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            "the book's offline copies of MathJax, require.js and the widget manager come "
            "from the npm registry, and `npm` is not on this machine: install Node.js "
            "(Debian: `apt-get install npm`), then build again"
        )
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        spec = f"{pkg.name}@{pkg.version}"
        proc = subprocess.run(
            [npm, "pack", spec, "--pack-destination", tmp, "--json", "--silent"],
            capture_output=True, text=True, cwd=tmp,
        )  # fmt: skip
        if proc.returncode != 0:
            raise AssetError(f"`npm pack {spec}` failed:\n{proc.stderr[-2000:]}")
        got = Path(tmp) / pkg.tarball
        integrity = sri(got.read_bytes())
        if integrity != pkg.integrity:
            raise AssetError(
                f"{spec}: the tarball's checksum {integrity} is not the pinned "
                f"{pkg.integrity} (tools/sphinx_ext/web_assets.py)"
            )
        os.replace(got, path)
    return path


def _wanted(pkg: NpmPackage, member: str) -> str | None:
    """Where a tarball member goes under ``pkg.dest``, or None to leave it out."""
    rel = member.removeprefix("package/")
    if any(fnmatch(rel, p) for p in pkg.exclude) or not any(fnmatch(rel, p) for p in pkg.include):
        return None
    return rel.removeprefix(pkg.strip)


def unpack(pkg: NpmPackage, tarball: Path, static: Path) -> None:
    """Extract the files the pages need into ``static/pkg.dest`` (once per version)."""
    dest = static / pkg.dest
    stamp = dest / "npm-source.json"  # also tells a reader of _static where it came from
    record = {
        "name": pkg.name, "version": pkg.version, "integrity": pkg.integrity,
        "include": list(pkg.include), "exclude": list(pkg.exclude), "patches": pkg.patches,
    }  # fmt: skip
    if stamp.exists() and stamp.read_text() == json.dumps(record):
        return
    staged = Path(tempfile.mkdtemp(prefix=f".{pkg.dest}-", dir=static))
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            target = _wanted(pkg, member.name) if member.isfile() else None
            if target is None:
                continue
            out = staged / target
            out.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            out.write_bytes(source.read())
    for rel, pattern, replacement, count in pkg.patches:
        path = staged / rel
        text, n = re.subn(pattern, replacement, path.read_text(encoding="utf-8"))
        if n != count:
            raise AssetError(f"{pkg.name}: {n} matches of {pattern} in {rel}, not {count}")
        path.write_text(text, encoding="utf-8")
    (staged / "npm-source.json").write_text(json.dumps(record))
    shutil.rmtree(dest, ignore_errors=True)
    staged.rename(dest)


def static_dir(cache: Path | None = None) -> Path:
    """A folder holding ``mathjax/``, ``requirejs/`` and ``jupyter-widgets/``, ready to
    be added to Sphinx's ``html_static_path``. Fetches what the cache lacks."""
    cache = cache or cache_dir()
    static = cache / "web" / "static"
    static.mkdir(parents=True, exist_ok=True)
    for pkg in PACKAGES:
        unpack(pkg, fetch(pkg, cache), static)
    for rel in (MATHJAX_PATH, REQUIRE_PATH, WIDGETS_PATH):
        if not (static / rel).is_file():
            raise AssetError(f"{static / rel} is missing after unpacking")
    return static
