"""The student notebooks shipped in the package (``make release``): up to date, reproducible,
and enough on their own.

- the copies in ``src/course_rnn/grading/released`` equal a fresh release of ``exercises/``,
  and a release run twice gives the same bytes;
- ``load_checks`` finds the checks in the notebook's folder first, then an instructor
  notebook there, then the package's copy;
- a student notebook copied alone into an empty folder runs its ``check`` cells in a kernel;
- the set-up cell's install path works: in an environment without ``course_rnn``, the
  cell installs a wheel of the package (standing in for the git URL) and ``check`` works.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from course_rnn.grading import load_checks
from course_rnn.grading.checks import read_checks_file, write_npz
from course_rnn.grading.release import (
    PACKAGED,
    ReleaseError,
    checks_differences,
    release,
    release_differences,
)
from course_rnn.grading.spec import cell_source

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "exercises"
RELEASED = sorted(PACKAGED.glob("*/*.ipynb"))
IDS = [f"{p.parent.name}/{p.name}" for p in RELEASED]
NOT_ANSWERED = {"en": "not answered yet", "ko": "아직 답을 쓰지 않았습니다"}


def test_every_exercise_is_shipped_in_the_package():
    exercises = sorted(f"{p.parent.name}/{p.name}" for p in EXERCISES.glob("*/*.ipynb"))
    assert IDS == exercises, "run make release"
    for nb in RELEASED:
        assert nb.with_name(f"{nb.stem}.checks.npz").is_file(), nb


@pytest.mark.slow
def test_the_packaged_copies_equal_a_fresh_release(tmp_path):
    release(EXERCISES, tmp_path)
    differences = release_differences(tmp_path, PACKAGED)
    assert not differences, ("the released copies in the package are stale: run make release\n"
                             + "\n".join(differences))


def test_a_release_gives_the_same_bytes_twice(tmp_path):
    source = EXERCISES / "en" / "01_recurrent_cell.ipynb"
    first, second = release(source, tmp_path / "a"), release(source, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two releases"
    with zipfile.ZipFile(first[1]) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_differences_of_checks_ignore_the_last_bits_only(tmp_path):
    manifest = np.frombuffer(json.dumps({"format": 1, "x": 0.5}).encode(), dtype=np.uint8)
    a = np.linspace(-1, 1, 7)
    write_npz(tmp_path / "a.npz", {"__manifest__": manifest, "a0": a})
    write_npz(tmp_path / "b.npz", {"__manifest__": manifest, "a0": a * (1 + 1e-15)})
    write_npz(tmp_path / "c.npz", {"__manifest__": manifest, "a0": a + 1e-3})
    write_npz(tmp_path / "d.npz", {"__manifest__": manifest, "a0": a.astype(np.float32)})
    other = np.frombuffer(json.dumps({"format": 1, "x": 0.6}).encode(), dtype=np.uint8)
    write_npz(tmp_path / "e.npz", {"__manifest__": other, "a0": a})
    assert checks_differences(tmp_path / "a.npz", tmp_path / "b.npz") == []
    assert "values differ" in checks_differences(tmp_path / "a.npz", tmp_path / "c.npz")[0]
    assert "float64(7,) != float32(7,)" in checks_differences(tmp_path / "a.npz",
                                                              tmp_path / "d.npz")[0]
    assert checks_differences(tmp_path / "a.npz", tmp_path / "e.npz") == [
        "manifest.x: 0.5 != 0.6"]


def test_differences_of_released_folders_name_the_file(tmp_path):
    for name in ("fresh", "packaged"):
        shutil.copytree(PACKAGED / "en", tmp_path / name)
    assert release_differences(tmp_path / "fresh", tmp_path / "packaged") == []
    nb = tmp_path / "packaged" / "02_kinds_of_rnn.ipynb"
    nb.write_text(nb.read_text(encoding="utf-8").replace("check(", "check (", 1),
                  encoding="utf-8")
    (tmp_path / "packaged" / "99_gone.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "fresh" / "03_bptt.checks.npz").unlink()
    assert release_differences(tmp_path / "fresh", tmp_path / "packaged") == [
        f"03_bptt.checks.npz: in {tmp_path / 'packaged'} but no longer released",
        f"99_gone.ipynb: in {tmp_path / 'packaged'} but no longer released",
        "02_kinds_of_rnn.ipynb: differs",
    ]


def test_a_refused_release_leaves_the_old_folder(tmp_path):
    out = tmp_path / "released"
    (out / "en").mkdir(parents=True)
    (out / "en" / "old.ipynb").write_text("{}", encoding="utf-8")
    broken = tmp_path / "src" / "en" / "broken.ipynb"
    broken.parent.mkdir(parents=True)
    nb = json.loads((EXERCISES / "en" / "00_getting_started.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["source"] = cell_source(cell).replace("# END SOLUTION", "# (end)")
    broken.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(ReleaseError, match="BEGIN SOLUTION without END SOLUTION"):
        release(tmp_path / "src", out, replace=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["released", "src"]
    assert [p.name for p in (out / "en").iterdir()] == ["old.ipynb"]

    shutil.copy(EXERCISES / "en" / "00_getting_started.ipynb", broken)
    written = release(tmp_path / "src", out, replace=True)
    assert sorted(p.name for p in (out / "en").iterdir()) == ["broken.checks.npz",
                                                               "broken.ipynb"]
    assert all(p.is_file() for p in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["released", "src"]


# ----------------------------------------------------------------------------- load_checks


@pytest.mark.parametrize("path", RELEASED, ids=IDS)
def test_a_packaged_notebook_finds_its_checks_from_an_empty_folder(path, tmp_path,
                                                                   monkeypatch):
    meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]["course_rnn"]
    monkeypatch.chdir(tmp_path)
    checks = load_checks(meta["assignment"], meta["lang"])
    assert list(checks.questions) == meta["questions"]
    assert not checks.instructor and checks.lang == meta["lang"]
    assert all(h["count"] >= 0 for h in checks.hidden.values())


def test_load_checks_looks_in_the_folder_then_the_instructor_notebook_then_the_package(
        tmp_path):
    name = "01_recurrent_cell"
    packaged = load_checks(name, "en", folder=tmp_path)
    assert packaged.assignment == name and not packaged.instructor

    shutil.copy(EXERCISES / "en" / f"{name}.ipynb", tmp_path)
    instructor = load_checks(name, "en", folder=tmp_path)
    assert instructor.instructor and all(h["count"] == 0 for h in instructor.hidden.values())

    manifest, arrays = read_checks_file(PACKAGED / "en" / f"{name}.checks.npz")
    manifest["questions"] = manifest["questions"][:1]
    blob = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
    write_npz(tmp_path / f"{name}.checks.npz", {"__manifest__": blob, **arrays})
    beside = load_checks(name, "en", folder=tmp_path)
    assert list(beside.questions) == ["q1"] and not beside.instructor


def test_without_any_checks_the_learner_is_told_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no checks for 99_unknown: "
                       r"99_unknown\.checks\.npz is not in .*released/en/99_unknown"):
        load_checks("99_unknown", "en", folder=tmp_path)
    with pytest.raises(FileNotFoundError, match="같은 폴더"):
        load_checks("99_unknown", "ko", folder=tmp_path)


# ----------------------------------------------------------------------------- alone


def outputs(cell, kind: str) -> list:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == kind]


def stdout(cell) -> str:
    return "".join(o.get("text", "") for o in outputs(cell, "stream"))


@pytest.mark.slow
@pytest.mark.parametrize("path", [PACKAGED / "ko" / "01_recurrent_cell.ipynb",
                                  PACKAGED / "en" / "08_conv1d.ipynb"],
                         ids=["ko/01_recurrent_cell", "en/08_conv1d"])
def test_a_student_notebook_alone_in_an_empty_folder_runs_its_checks(path, tmp_path):
    shutil.copy(path, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    nb = nbformat.read(tmp_path / path.name, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not outputs(code[0], "error"), outputs(code[0], "error")  # the set-up cell
    assert stdout(code[0]) == ""  # course_rnn is in the kernel: nothing to install
    checks = [c for c in code if c.source.startswith("check(")]
    lang = path.parent.name
    assert len(checks) >= 3
    for cell in checks:
        assert not outputs(cell, "error"), (cell.source, outputs(cell, "error"))
        assert re.search(r"q\w+", stdout(cell)), f"{cell.source}: printed nothing"
    assert NOT_ANSWERED[lang] in stdout(checks[0])
    for cell in code:  # any other error comes from an unanswered function
        for err in outputs(cell, "error"):
            assert err["ename"] == "NotImplementedError", (cell.source, err)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no checks file appeared


# ----------------------------------------------------------------------------- install path


def _wheel(tmp_path: Path) -> Path:
    """A wheel of the package, built from a copy of the sources (no build/ in the tree)."""
    src = tmp_path / "source"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src)
    shutil.copytree(ROOT / "src", src / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(tmp_path / "wheel")],
                   check=True, capture_output=True, text=True)
    (wheel,) = (tmp_path / "wheel").glob("course_rnn-*.whl")
    return wheel


def _bare_venv(tmp_path: Path) -> Path:
    """A venv that sees this environment's packages but not ``course_rnn``.

    Its site-packages holds a ``.pth`` naming a folder of links to every entry of this
    environment's site-packages but ``course_rnn``'s own (its editable-install ``.pth``
    and its dist-info): numpy, matplotlib, pip ... import; ``course_rnn`` does not, and
    pip does not see it installed (nor try to uninstall it from this environment).
    """
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                                "get_paths()['purelib'])"], check=True, capture_output=True,
                               text=True).stdout.strip())
    ours = Path(sysconfig.get_paths()["purelib"])
    links = tmp_path / "deps"
    links.mkdir()
    for entry in ours.iterdir():
        if not re.match(r"(__editable__[._]+)?course_rnn", entry.name):
            (links / entry.name).symlink_to(entry)
    (site / "deps.pth").write_text(f"{links}\n", encoding="utf-8")
    return python


def test_the_setup_cell_installs_the_package_where_it_is_missing(tmp_path):
    wheel = _wheel(tmp_path)
    python = _bare_venv(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    work = tmp_path / "work"
    work.mkdir()
    probe = ("import importlib.util, numpy, matplotlib\n"
             "print(importlib.util.find_spec('course_rnn'))")
    before = subprocess.run([str(python), "-c", probe], cwd=work, env=env, check=True,
                            capture_output=True, text=True).stdout.strip()
    assert before == "None", f"course_rnn is importable before the set-up cell: {before}"

    student = PACKAGED / "en" / "01_recurrent_cell.ipynb"
    setup_cell = next(cell_source(c) for c in json.loads(student.read_text(encoding="utf-8"))
                      ["cells"] if c["cell_type"] == "code")
    url = re.search(r"git\+(https://\S+?)\"", setup_cell)
    assert url, f"no git+ install line in the set-up cell:\n{setup_cell}"
    script = setup_cell.replace(f"git+{url[1]}", wheel.as_uri())
    assert wheel.as_uri() in script
    script += ("\nimport course_rnn\nprint('FROM', course_rnn.__file__)\n"
               "def rnn_cell_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
               "    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)\n"
               "check('q1')\ncheck('q2')\n")
    run = subprocess.run([str(python), "-c", script], cwd=work, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    where = re.search(r"FROM (\S+)", run.stdout)[1]
    assert Path(where).is_relative_to(tmp_path / "venv"), where
    assert "q1" in run.stdout and "✓" in run.stdout, run.stdout
    assert "`rnn_cell_step_stacked` is not defined" in run.stdout, run.stdout  # q2: no answer
    assert list(work.iterdir()) == []
