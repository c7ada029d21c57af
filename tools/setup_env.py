"""Create (or refresh) the course's virtual environment in one step.

Called by every Makefile target, so that ``make book`` and ``make test`` work on a
machine that has only Python and git. Steps:

1. check the Python version (3.10 or newer);
2. create ``.venv`` with the standard ``venv`` module if it does not exist;
3. install torch first, pinned to 2.13.0, with the extra pip arguments given
   (``--index-url https://download.pytorch.org/whl/cpu`` selects a CPU build on
   machines whose default index would serve a CUDA build);
4. install every other dependency at the exact versions of ``requirements.lock``
   (resolved on Python 3.11; on 3.10, where some pinned releases do not exist, the
   bounds of ``pyproject.toml`` are resolved instead);
5. install ``course_rnn`` itself in editable mode, and build Matplotlib's font cache;
6. write a stamp file last, so that an interrupted install is resumed next time.

The book's build also needs ``npm`` (it fetches MathJax, require.js and the widget
manager from the npm registry, ``tools/sphinx_ext/web_assets.py``); a missing ``npm``
is reported here. Chromium, for the browser tests, is installed by those tests.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH = "torch==2.13.0"


def run(cmd: list[str]) -> None:
    print("+", " ".join(shlex.quote(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", default=".venv", help="folder of the environment")
    parser.add_argument(
        "--torch-pip-args",
        default="",
        help="extra pip arguments for installing torch, e.g. a CPU index URL",
    )
    args = parser.parse_args()

    if sys.version_info < (3, 10):  # noqa: UP036 (runs under any python3)
        sys.exit(
            f"course-rnn needs Python 3.10 or newer; this is {sys.version.split()[0]} "
            f"({sys.executable}). Run make with PYTHON=/path/to/python3.11."
        )

    env_dir = (ROOT / args.venv).resolve()
    py = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if not py.exists():
        print(f"creating the virtual environment {env_dir}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(env_dir)
    pip = [str(py), "-m", "pip", "install", "--disable-pip-version-check"]

    run([*pip, TORCH, *shlex.split(args.torch_pip_args)])
    if sys.version_info >= (3, 11):
        run([*pip, "-r", str(ROOT / "requirements.lock")])
        run([*pip, "--no-deps", "-e", str(ROOT)])
    else:
        run([*pip, "-e", f"{ROOT}[torch,book,test]"])

    # Matplotlib builds its font cache on first import and says so on stderr; do it
    # now, so that no chapter's first run prints it into a stored output.
    run([str(py), "-c", "import matplotlib.font_manager"])

    if shutil.which("npm") is None:
        print(
            "note: `npm` (Node.js) is not on this machine; `make book` and `make test` need it "
            "to fetch the book's offline copies of MathJax, require.js and the widget manager "
            "(Debian: apt-get install npm)",
            flush=True,
        )

    stamp = env_dir / ".course-rnn-installed"
    stamp.write_text("installed from requirements.lock and pyproject.toml\n")
    print(f"environment ready: {env_dir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
