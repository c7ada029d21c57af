"""The first cell of every chapter: ``from course_rnn.notebook import setup; setup("ko")``.

It makes the chapter's outputs the same on every machine (which nbval checks) and
its figures readable in both editions.
"""

from __future__ import annotations

import numpy as np

from course_rnn.plotting import setup_matplotlib

LANGS = ("ko", "en")


def setup(lang: str = "ko", *, torch_threads: int | None = 1) -> str:
    """Prepare a chapter notebook.

    Parameters
    ----------
    lang : {"ko", "en"}
        The edition; chapters may use it to choose labels (``lang == "ko"``).
    torch_threads : int or None
        Threads for torch if torch is used (``torch.set_num_threads``); 1 gives
        repeatable timings on a shared 2-core machine. None leaves torch alone.

    Effects: Matplotlib with the Korean font and the book's figure style (PNG inline
    figures), numpy printing 4 significant decimals, and torch's thread count pinned.
    Returns ``lang``.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    setup_matplotlib()
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    if torch_threads is not None:
        try:
            import torch
        except ImportError:
            pass
        else:
            torch.set_num_threads(torch_threads)
    return lang
