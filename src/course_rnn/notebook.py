"""The first cell of every chapter: ``from course_rnn.notebook import setup; setup("ko")``.

It makes the chapter's outputs the same on every machine (which nbval checks) and
its figures readable in both editions.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from course_rnn.figures.style import setup_matplotlib

LANGS = ("ko", "en")


def setup(lang: str = "ko", *, threads: int | None = 1) -> str:
    """Prepare a chapter notebook.

    Parameters
    ----------
    lang : {"ko", "en"}
        The edition; chapters may use it to choose labels (``lang == "ko"``).
    threads : int or None
        Threads for numpy's BLAS (threadpoolctl) and for torch
        (``torch.set_num_threads``). The chapters' matrices are small: with a second
        BLAS thread, a product that takes 0.1 ms took 39 ms while another process was
        busy on the other core (measured on the course machine), so 1 is both faster
        and repeatable. None leaves both alone.

    Effects: Matplotlib with the Korean font and the book's figure style (PNG inline
    figures), numpy printing 4 significant decimals, and the thread counts pinned.
    Returns ``lang``.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    setup_matplotlib()
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    if threads is not None:
        threadpool_limits(limits=threads, user_api="blas")
        try:
            import torch
        except ImportError:
            pass
        else:
            torch.set_num_threads(threads)
    return lang
