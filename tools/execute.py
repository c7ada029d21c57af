"""Re-run chapter notebooks in place and store their outputs: ``make execute``.

``python tools/execute.py [NOTEBOOK ...]`` (default: every ``chapters/*/*.ipynb``).
Each notebook runs in a fresh kernel of this environment, in its own folder, with
widget state stored (so the book shows any widget) and ``COURSE_RNN_EXPLORERS=book``: the
chapters' interactive figures (``course_rnn.figures.explorer``) store every figure of
their grid, so that they respond in the online book without a kernel. A notebook is written only if
every cell ran without error and nothing was printed to stderr (the strict build
rejects stderr in stored outputs); the new file replaces the old one atomically, so
an interrupted run never leaves a half-written notebook.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT = 300
EXPLORERS = "COURSE_RNN_EXPLORERS"  # course_rnn.figures.explorer.ENV


def stderr_cells(nb) -> list[int]:
    """Indices of code cells with a stderr stream in their outputs."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and any(
            o.get("output_type") == "stream" and o.get("name") == "stderr" for o in cell.outputs
        )
    ]


def execute(path: Path) -> float:
    """Execute ``path`` and replace it atomically; return the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    os.environ[EXPLORERS] = "book"  # inherited by the kernel
    # the state of the widgets of the last run: nbclient writes it only when the notebook
    # shows widgets, and would otherwise keep the stale one
    nb.metadata.pop("widgets", None)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    bad = stderr_cells(nb)
    if bad:
        texts = [
            "".join(o.get("text", "") for o in nb.cells[i].outputs if o.get("name") == "stderr")
            for i in bad
        ]
        detail = "\n".join(
            f"  cell {i}: {t.strip()[:300]}" for i, t in zip(bad, texts, strict=True)
        )
        raise RuntimeError(f"{path}: output on stderr (not written):\n{detail}")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".ipynb")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(ROOT.glob("chapters/*/*.ipynb"))
    failed = []
    for path in paths:
        try:
            seconds = execute(path.resolve())
        except (CellExecutionError, RuntimeError) as err:
            print(f"FAILED {path}:\n{err}", file=sys.stderr, flush=True)
            failed.append(path)
        else:
            print(f"ok {path} ({seconds:.1f} s)", flush=True)
    if failed:
        print(
            f"{len(failed)} notebook(s) left unchanged: {[str(p) for p in failed]}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
