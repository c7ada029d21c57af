"""``course-rnn links``: nbgitpuller links that hand the student notebooks out on a JupyterHub.

Used by the exercises of every chapter (the instructors' page of chapter 0 shows it).
A course JupyterHub with nbgitpuller installed turns a link into "clone (or update) this
repository into my home folder and open this notebook": the convention large courses use
to distribute notebooks. The link of each released student notebook
(``src/course_rnn/grading/released/{ko,en}/NAME.ipynb``) is built from the repository
setting the book already uses (``repository.url`` and ``repository.branch`` of
``_config.yml``, set by ``make repository URL=...``; the Colab links of the exercises
boxes come from the same setting)::

    {hub}/hub/user-redirect/git-pull?repo={repo}&branch={branch}&urlpath=lab/tree/{name}/{path}

with the repository's URL quoted and ``{name}`` the folder nbgitpuller clones into (the
repository's name).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

RELEASED = "src/course_rnn/grading/released"


class LinksError(ValueError):
    """No repository setting, or a hub address that is not a URL."""


def read_repository(config) -> tuple[str, str]:
    """``(url, branch)`` of the ``repository:`` block of a ``_config.yml``.

    Read line by line (the package does not depend on a YAML parser): the ``url:`` and
    ``branch:`` keys indented under ``repository:``; the branch defaults to ``main``.
    """
    config = Path(config)
    try:
        lines = config.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LinksError(f"{config}: cannot read the book's configuration ({exc}); run "
                         "from the repository's folder, or give --config or --repo") from None
    url, branch, inside = None, "main", False
    for line in lines:
        if re.match(r"^repository\s*:\s*$", line):
            inside = True
            continue
        if inside and line.strip() and not line[0].isspace():
            break
        m = re.match(r"^\s+(url|branch)\s*:\s*[\"']?([^\"'#\s]+)[\"']?", line) if inside else None
        if m:
            if m.group(1) == "url":
                url = m.group(2)
            else:
                branch = m.group(2)
    if not url:
        raise LinksError(f"{config}: no repository.url (set it with make repository URL=...)")
    return url.rstrip("/").removesuffix(".git"), branch


def nbgitpuller_url(hub: str, repo: str, branch: str, path: str) -> str:
    """The nbgitpuller link that opens ``path`` (relative to the repository) in JupyterLab."""
    if not re.match(r"^https?://[^/\s]+", hub):
        raise LinksError(f"--hub {hub!r}: expected the hub's address, e.g. "
                         "https://hub.example.edu")
    name = repo.rstrip("/").rsplit("/", 1)[-1]
    return (f"{hub.rstrip('/')}/hub/user-redirect/git-pull?repo={quote(repo, safe='')}"
            f"&branch={quote(branch, safe='')}"
            f"&urlpath={quote(f'lab/tree/{name}/{path}', safe='/')}")


def released_notebooks(root) -> list[str]:
    """Paths (relative to the repository ``root``) of every released student notebook."""
    folder = Path(root) / RELEASED
    return sorted(p.relative_to(root).as_posix() for p in folder.glob("*/*.ipynb"))


def links(hub: str, repo: str, branch: str, paths: list[str]) -> list[tuple[str, str]]:
    """``(path, link)`` for each notebook path."""
    return [(p, nbgitpuller_url(hub, repo, branch, p)) for p in paths]
