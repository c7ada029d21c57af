"""Fixtures shared by the tests of the book's pipeline, and the scheduling of ``make test``
on several cores (pytest-xdist, ``-n auto --dist loadfile``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

if os.environ.get("PYTEST_XDIST_WORKER"):
    # One BLAS / OpenMP thread per worker (set before numpy and torch load): the workers
    # already fill the cores, and a second thread spinning beside another busy process
    # made small products hundreds of times slower (see course_rnn.notebook.setup).
    for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, "1")


# Chapter 11 trains the same forecasting rows live in both editions (same seeds, same code):
# the rows are trained once per run and shared through a folder that the first process
# creates (course_rnn.forecast.run.run_quiet reads COURSE_RNN_SHARED_ROWS). xdist's workers,
# their notebook kernels and the kernels' training processes inherit the variable.
SHARED_ROWS = "COURSE_RNN_SHARED_ROWS"
CHAPTERS_SHARING_ROWS = (11,)


def pytest_configure(config):
    if os.environ.get("PYTEST_XDIST_WORKER") or os.environ.get(SHARED_ROWS):
        return
    config._course_shared_rows = tempfile.mkdtemp(prefix="course-rnn-rows-")
    os.environ[SHARED_ROWS] = config._course_shared_rows


def pytest_unconfigure(config):
    folder = getattr(config, "_course_shared_rows", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(SHARED_ROWS, None)


# Test files that share the built book (the session fixture ``site`` below): xdist runs
# them on one worker, so that the book is built once per run, not once per worker.
SHARES_THE_BOOK = ("tests/book/test_book.py", "tests/browser/test_browser.py",
                   "tests/book/test_exercises_in_book.py")


def _heaviest_first(scope: str, tests: dict) -> tuple:
    """Order of the units of work: the chapter notebooks, later (longer) chapters first, then
    the book's build and pages, then the other files by their number of tests. A long unit
    handed out last would leave the other cores idle at the end of the run. The English
    chapter 11 comes after the other notebooks: by then the Korean one has trained the rows
    they share (:data:`SHARED_ROWS`)."""
    name = Path(scope).name
    if name.endswith(".ipynb"):
        chapter = int(name[:2]) if name[:2].isdigit() else 0
        # the English chapter 11 reads the rows the Korean one trained: after it
        reads_rows = Path(scope).parent.name == "en" and chapter in CHAPTERS_SHARING_ROWS
        return (0, reads_rows, -chapter, scope)
    return (1 if scope == SHARES_THE_BOOK[0] else 2, 0, -len(tests), scope)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with the files of :data:`SHARES_THE_BOOK` as one unit of work,
    and the units handed out heaviest first (:func:`_heaviest_first`).

    Every other file is a unit of its own: the cells of a chapter notebook (nbval) run in
    order in one kernel, and a module's fixtures are set up once.
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class CourseScheduling(LoadFileScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return SHARES_THE_BOOK[0] if scope in SHARES_THE_BOOK else scope

        def _assign_work_unit(self, node) -> None:
            if not self.ordered:  # the queue is complete before the first unit leaves
                units = sorted(self.workqueue.items(), key=lambda u: _heaviest_first(*u))
                self.workqueue.clear()
                self.workqueue.update(units)
                self.ordered = True
            super()._assign_work_unit(node)

    return CourseScheduling(config, log)


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
