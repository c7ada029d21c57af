"""Fixtures shared by the tests of the book's pipeline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """Both editions built with warnings as errors, as `make book` does, once per run.

    Returns the site folder (``index.html``, ``ko/``, ``en/``). A test module that
    defines its own ``site`` fixture overrides this one.
    """
    build_dir = tmp_path_factory.mktemp("book")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "book.py"), "build", "--build-dir", str(build_dir)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, (
        f"the book does not build:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    )
    return build_dir / "html"
