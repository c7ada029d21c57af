"""`make execute` (tools/execute.py): notebooks are replaced whole or not at all."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import execute  # noqa: E402  (tools/execute.py)


def write(path: Path, *sources: str) -> bytes:
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path.read_bytes()


def test_outputs_are_stored(tmp_path):
    path = tmp_path / "ok.ipynb"
    write(path, "print(6 * 7)")
    execute.execute(path)
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    assert not list(tmp_path.glob(".*.ipynb")), "a temporary file was left behind"


def test_a_failing_notebook_is_left_unchanged(tmp_path):
    path = tmp_path / "fails.ipynb"
    before = write(path, "x = 1", "raise ValueError('boom')")
    with pytest.raises(Exception, match="boom"):
        execute.execute(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fails.ipynb"]


def test_stderr_is_refused(tmp_path):
    path = tmp_path / "stderr.ipynb"
    before = write(path, "import sys; print('careful', file=sys.stderr)")
    with pytest.raises(RuntimeError, match="stderr"):
        execute.execute(path)
    assert path.read_bytes() == before
