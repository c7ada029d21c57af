"""One setting names the repository (``_config.yml``): ``tools/repository.py`` finds every
place that disagrees with it and rewrites them all for a fork."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_rnn.grading.release import release

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "repository.py"
sys.path.insert(0, str(ROOT / "tools"))
import repository  # noqa: E402  (tools/repository.py)

FORK = "https://github.com/someone-else/rnn-book"
SKIP = shutil.ignore_patterns(".git", ".venv", "_build", "*.egg-info", "__pycache__",
                              ".ruff_cache", ".pytest_cache", "build")


def run(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), "--root", str(root), *args],
                          capture_output=True, text=True)


def test_every_place_agrees_with_the_setting():
    proc = run("check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    setting = repository.read_setting()
    assert repository.GITHUB.match(setting.url), setting
    derived = {p.relative_to(ROOT).as_posix() for p in repository.derived_files()}
    assert {"README.md", "chapters/ko/index.md", "chapters/en/index.md",
            "exercises/ko/01_recurrent_cell.ipynb", "chapters/en/03_bptt.ipynb",
            f"{repository.RELEASED}/en/01_recurrent_cell.ipynb"} <= derived


def test_check_names_each_place_that_disagrees(tmp_path):
    for rel in ("_config.yml", "README.md", "chapters/en/index.md",
                "exercises/en/02_kinds_of_rnn.ipynb"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    assert run("check", root=tmp_path).returncode == 0
    nb = tmp_path / "exercises/en/02_kinds_of_rnn.ipynb"
    nb.write_text(nb.read_text(encoding="utf-8").replace("git+https://github.com/",
                                                         "git+https://gitlab.com/"),
                  encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(re.sub(r"git clone \S+", "git clone <this repository>",
                             readme.read_text(encoding="utf-8")), encoding="utf-8")
    proc = run("check", root=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 2, proc.stdout
    assert lines[0].startswith("exercises/en/02_kinds_of_rnn.ipynb:") and "gitlab" in lines[0]
    assert lines[1].startswith("README.md:13: 'git clone <this repository> course-rnn'")


@pytest.mark.parametrize("url", ["https://gitlab.com/you/course-rnn", "github.com/you/x",
                                 "https://github.com/you"])
def test_set_refuses_what_colab_cannot_open(url, tmp_path):
    shutil.copy(ROOT / "_config.yml", tmp_path)
    proc = run("set", url, root=tmp_path)
    assert proc.returncode == 2 and "https://github.com/OWNER/REPO" in proc.stderr
    assert (tmp_path / "_config.yml").read_bytes() == (ROOT / "_config.yml").read_bytes()


def test_set_rewrites_every_place_and_leaves_no_stale_url(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=SKIP)
    old = repository.read_setting()
    proc = run("set", FORK + ".git", "--branch", "dev", root=copy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fork = repository.Setting(FORK, "dev")
    assert repository.read_setting(copy) == fork
    assert run("check", root=copy).returncode == 0

    stale = []
    for path in sorted(copy.rglob("*")):
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            if old.url in text:
                stale.append(path.relative_to(copy).as_posix())
    assert not stale, f"{old.url} is still named in {stale}"

    # only the repository's lines changed in _config.yml, comments and all
    before = (ROOT / "_config.yml").read_text(encoding="utf-8").splitlines()
    after = (copy / "_config.yml").read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [(f'  url: "{old.url}"', f'  url: "{FORK}"'),
                       (f"  branch: {old.branch}", "  branch: dev")]
    spec = f"course-rnn @ git+{FORK}@dev"
    for nb in repository.derived_files(copy):
        if nb.suffix == ".ipynb":
            setup = next(c for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]
                         if c["cell_type"] == "code")
            assert spec in "".join(setup["source"]), nb
    assert f"git clone {FORK} course-rnn" in (copy / "README.md").read_text(encoding="utf-8")

    # the released copies are what a release of the rewritten exercises gives
    name = "01_recurrent_cell.ipynb"
    release(copy / "exercises" / "en" / name, tmp_path / "fresh")
    assert (tmp_path / "fresh" / name).read_bytes() == (
        copy / repository.RELEASED / "en" / name).read_bytes()

    # and back again: every derived file as it was
    assert run("set", old.url, "--branch", old.branch, root=copy).returncode == 0
    for path in [ROOT / "_config.yml", *repository.derived_files()]:
        rel = path.relative_to(ROOT)
        assert (copy / rel).read_bytes() == path.read_bytes(), rel
