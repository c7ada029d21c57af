"""Running the independent trainings of a study side by side (chapters 4-6, 8 and 10).

The long studies (``make lm``, ``make long-range``, ``make attention``) train many
(model, seed) pairs that share nothing. ``completed`` runs them in spawned processes, each
limited to one BLAS thread: on a 2-core machine two single-threaded numpy trainings finish
sooner than one that uses both cores, and a spawned process starts clean (no copy of the
parent's threads or state).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
from collections.abc import Callable, Iterator, Sequence


def _one_thread() -> None:
    import numpy  # noqa: F401  (threadpool_limits reaches only the libraries loaded)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def completed(job: Callable, jobs: Sequence, workers: int = 2) -> Iterator[tuple[int, object]]:
    """Call ``job(args)`` for every ``args`` of ``jobs`` in ``workers`` spawned processes of one
    BLAS thread each; yield ``(count, result)`` as each finishes (count from 1). ``job`` must
    be a module-level function (it is pickled by name). Used by chapters 4-6, 8 and 10's
    studies."""
    with cf.ProcessPoolExecutor(max(1, workers), mp_context=mp.get_context("spawn"),
                                initializer=_one_thread) as pool:
        futures = [pool.submit(job, j) for j in jobs]
        for done, future in enumerate(cf.as_completed(futures), 1):
            yield done, future.result()
