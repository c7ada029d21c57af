"""The one setting that names the course's repository, and every place derived from it.

``_config.yml``'s ``repository.url`` and ``repository.branch`` name the repository
(GitHub: Colab opens notebooks from GitHub only). Everything else that names it is
derived from them:

- the launch buttons and the source link of every page (Jupyter Book reads the setting);
- the "Open the exercises in Colab" links of every chapter page (``colab_url``, used by
  ``tools/sphinx_ext/exercise_links.py`` when the book is built);
- the install line of the set-up cell of every notebook: ``chapters/*/*.ipynb``,
  ``exercises/*/*.ipynb`` and the released copies in ``src/course_rnn/grading/released``
  (``install_spec``: ``course-rnn @ git+URL``, with ``@BRANCH`` unless the branch is
  ``main``, which pip's ``git+URL`` installs already);
- the clone line of the README and of each edition's front page (``git clone URL
  course-rnn``).

Commands (``.venv/bin/python tools/repository.py ...``)::

    show                       the setting and what is derived from it
    check                      every place that disagrees with the setting (exit status 1)
    set URL [--branch BRANCH]  rewrite _config.yml and every derived place (make repository)

``set`` computes every new file first, then replaces each through a temporary file; the
released copies get the same line as ``exercises/`` (``make release`` gives the same
files, and the book's build checks that they agree).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = "_config.yml"
COLAB = "https://colab.research.google.com"
RELEASED = "src/course_rnn/grading/released"
GITHUB = re.compile(r"^https://github\.com/(?P<owner>[A-Za-z0-9][\w.-]*)/(?P<repo>[\w.-]+)$")
# the install line of a set-up cell, as it sits in a notebook's JSON
INSTALL = re.compile(r"course-rnn @ git\+(?P<url>[^\s\"'\\@]+)(?:@(?P<branch>[^\s\"'\\]+))?")
# the clone line of a page: ``git clone URL course-rnn`` (or a placeholder in <...>)
CLONE = re.compile(r"git clone (?P<url><[^>\n]*>|\S+)(?P<folder> course-rnn)?")
NOTEBOOKS = ("chapters/*/*.ipynb", "exercises/*/*.ipynb", f"{RELEASED}/*/*.ipynb")
PAGES = ("README.md", "chapters/*/index.md")


@dataclass(frozen=True)
class Setting:
    """The repository named by ``_config.yml``."""

    url: str
    branch: str

    @property
    def owner_repo(self) -> tuple[str, str]:
        m = GITHUB.match(self.url)
        if not m:
            raise ValueError(f"{self.url!r} is not https://github.com/OWNER/REPO")
        return m["owner"], m["repo"]


def normalise_url(url: str) -> str:
    """``https://github.com/OWNER/REPO`` (a trailing ``/`` or ``.git`` removed), or an error."""
    url = url.strip().rstrip("/")
    url = url[: -len(".git")] if url.endswith(".git") else url
    if not GITHUB.match(url):
        raise ValueError(f"{url!r}: expected https://github.com/OWNER/REPO (Colab opens "
                         "notebooks from GitHub only)")
    return url


def read_setting(root: Path = ROOT) -> Setting:
    """``repository.url`` and ``repository.branch`` of ``_config.yml``."""
    config = yaml.safe_load((root / CONFIG).read_text(encoding="utf-8"))
    repo = config.get("repository") or {}
    if not repo.get("url"):
        raise ValueError(f"{root / CONFIG}: no repository.url")
    return Setting(str(repo["url"]), str(repo.get("branch") or "main"))


def install_spec(setting: Setting) -> str:
    """What a set-up cell gives pip: ``course-rnn @ git+URL`` (``@BRANCH`` unless main)."""
    ref = "" if setting.branch == "main" else f"@{setting.branch}"
    return f"course-rnn @ git+{setting.url}{ref}"


def clone_line(setting: Setting) -> str:
    """The clone line of the README and of the front pages."""
    return f"git clone {setting.url} course-rnn"


def colab_url(setting: Setting, path: str, colab: str = COLAB) -> str:
    """Colab's link to the file ``path`` of the repository, on the setting's branch."""
    owner, repo = setting.owner_repo
    return f"{colab.rstrip('/')}/github/{owner}/{repo}/blob/{setting.branch}/{path}"


def exercise_colab_url(setting: Setting, lang: str, name: str, colab: str = COLAB) -> str:
    """Colab's link to the released student notebook ``NAME.ipynb`` of edition ``lang``."""
    return colab_url(setting, f"{RELEASED}/{lang}/{name}.ipynb", colab)


def derived_files(root: Path = ROOT) -> list[Path]:
    """Every file that names the repository besides ``_config.yml``."""
    files = [p for pattern in NOTEBOOKS + PAGES for p in sorted(root.glob(pattern))]
    return [p for p in files if p.is_file()]


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def problems(root: Path = ROOT) -> list[str]:
    """Every place that disagrees with the setting, one line each (empty: all agree)."""
    setting = read_setting(root)
    out = []
    try:
        setting.owner_repo  # noqa: B018 (raises on a URL that is not GitHub's)
    except ValueError as exc:
        out.append(f"{CONFIG}: repository.url {exc}")
    spec, clone = install_spec(setting), clone_line(setting)
    for path in derived_files(root):
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            found = list(INSTALL.finditer(text))
            if not found:
                out.append(f"{rel}: no install line (course-rnn @ git+...) in its set-up cell")
            out += [f"{rel}:{_line_of(text, m.start())}: {m[0]!r}, the setting gives {spec!r}"
                    for m in found if m[0] != spec]
        else:
            found = list(CLONE.finditer(text))
            if not found:
                out.append(f"{rel}: no clone line (git clone URL course-rnn)")
            out += [f"{rel}:{_line_of(text, m.start())}: {m[0]!r}, the setting gives {clone!r}"
                    for m in found if m[0] != clone]
    return out


def rewrite(text: str, suffix: str, setting: Setting) -> str:
    """``text`` of a derived file with its install or clone lines derived from ``setting``."""
    if suffix == ".ipynb":
        return INSTALL.sub(install_spec(setting), text)
    return CLONE.sub(clone_line(setting), text)


def rewrite_config(text: str, setting: Setting) -> str:
    """``_config.yml`` with ``repository.url`` and ``branch`` set (comments kept)."""
    block = re.search(r"(?m)^repository:\n((?:[ \t]+.*\n?|\n)*)", text)
    if not block:
        raise ValueError(f"{CONFIG}: no 'repository:' block")
    body = block[1]
    for key, value in (("url", f'"{setting.url}"'), ("branch", setting.branch)):
        line = re.compile(rf"(?m)^([ \t]+){key}:.*$")
        if line.search(body):
            body = line.sub(lambda m, k=key, v=value: f"{m[1]}{k}: {v}", body, count=1)
        else:
            body = f"  {key}: {value}\n" + body
    return text[: block.start(1)] + body + text[block.end(1) :]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def set_repository(url: str, branch: str | None = None, root: Path = ROOT) -> list[Path]:
    """Point ``_config.yml`` and every derived place at ``url`` (and ``branch``).

    Returns the files changed. Every new text is computed (and ``_config.yml`` read back
    with the new values) before the first file is replaced.
    """
    old = read_setting(root)
    setting = Setting(normalise_url(url), branch or old.branch)
    if not re.fullmatch(r"[\w./-]+", setting.branch):
        raise ValueError(f"branch {setting.branch!r}: letters, digits, '.', '_', '-', '/'")
    config_text = (root / CONFIG).read_text(encoding="utf-8")
    changes = {root / CONFIG: rewrite_config(config_text, setting)}
    if read_setting_from_text(changes[root / CONFIG]) != setting:
        raise ValueError(f"{CONFIG}: could not rewrite repository.url/branch")
    for path in derived_files(root):
        text = path.read_text(encoding="utf-8")
        new = rewrite(text, path.suffix, setting)
        if new != text:
            changes[path] = new
    changed = [p for p, t in changes.items() if p.read_text(encoding="utf-8") != t]
    for path in changed:
        _write_atomic(path, changes[path])
    return changed


def read_setting_from_text(text: str) -> Setting:
    repo = (yaml.safe_load(text) or {}).get("repository") or {}
    return Setting(str(repo.get("url")), str(repo.get("branch") or "main"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The repository the book, the set-up cells "
                                     "and the README point at (_config.yml's repository).")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("show", help="the setting and what is derived from it")
    sub.add_parser("check", help="list every place that disagrees with the setting")
    s = sub.add_parser("set", help="rewrite _config.yml and every derived place")
    s.add_argument("url", help="https://github.com/OWNER/REPO")
    s.add_argument("--branch", help="the branch (default: keep the current one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "show":
        setting = read_setting(root)
        print(f"repository   {setting.url}\nbranch       {setting.branch}")
        print(f"install line {install_spec(setting)}\nclone line   {clone_line(setting)}")
        print(f"colab        {exercise_colab_url(setting, 'en', '01_recurrent_cell')}")
        print(f"{len(derived_files(root))} files derive from it (tools/repository.py check)")
        return 0
    if args.command == "check":
        found = problems(root)
        for line in found:
            print(line)
        if found:
            print(f"{len(found)} place(s) disagree with {CONFIG}'s repository: run "
                  "make repository URL=<its url>", file=sys.stderr)
            return 1
        print(f"every place agrees with {CONFIG}: {read_setting(root).url}")
        return 0
    if not args.url:
        parser.error("set needs a URL: make repository URL=https://github.com/you/course-rnn")
    try:
        changed = set_repository(args.url, args.branch, root)
    except ValueError as exc:
        print(f"repository.py set: {exc}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"rewrote {path.relative_to(root)}")
    left = problems(root)
    if left:
        print("\n".join(left), file=sys.stderr)
        return 1
    print(f"every place now names {read_setting(root).url}; the released exercises were "
          "rewritten too (make release gives the same files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
