r"""Computing rows of the forecasting benchmark: one row, or several in parallel processes.

``run_row(key)`` trains a row in numpy (``course_rnn.forecast.train``) or in torch
(``course_rnn.forecast.torch_twin``, the same initial weights and batches) and returns the
validation MSE after the last epoch; ``run_rows`` trains several rows in parallel
processes. ``python -m course_rnn.forecast`` is the 3-seed benchmark
(``course_rnn.forecast.bench``, ``docs/forecasting.md``). Taught in chapter 11.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import time
from collections.abc import Callable
from pathlib import Path

from course_rnn.data.series import load_task
from course_rnn.forecast.rows import PUBLISHED, ROWS, TRAINED_ROWS, RowResult, example_of, score
from course_rnn.forecast.train import (
    EPOCH_WORDS,
    EpochLog,
    epoch_line,
    iterative_forecast,
    model_from_params,
    naive_row,
    train_numpy,
)


def iterative_row(one_step: RowResult, seed: int = 42) -> RowResult:
    """The "10 ahead: iterative" row from a trained ``deep_rnn_dense`` result."""
    if one_step.key != "deep_rnn_dense":
        raise ValueError(f"the iterative row uses the 'deep_rnn_dense' model, got {one_step.key!r}")
    task = load_task("ahead", seed)
    start = time.perf_counter()
    if one_step.backend == "torch":
        from course_rnn.forecast.torch_twin import iterative_forecast_torch

        pred = iterative_forecast_torch(one_step, task.X_valid)
    else:
        pred = iterative_forecast(model_from_params("deep_rnn_dense", one_step.params),
                                  task.X_valid)
    return RowResult("ahead_iterative", one_step.backend, seed, score("ahead_iterative", pred,
                     task.Y_valid), time.perf_counter() - start, example=example_of(
                     task, "ahead_iterative", pred))


def run_row(key: str, seed: int = 42, backend: str = "numpy", epochs: int = 20,
            log: Callable[[str], None] | None = print) -> RowResult:
    r"""Compute one row of the table (train it if it is a model).

    .. math::

        \text{row} \mapsto \mathrm{MSE}_\text{valid} \text{ after the last epoch}

    ``backend``: ``"numpy"`` (course_rnn) or ``"torch"`` (same initial weights and batches).
    The iterative row trains ``deep_rnn_dense`` first. Taught in chapter 11.
    """
    if key not in ROWS:
        raise ValueError(f"unknown row {key!r}; rows: {ROWS}")
    if backend not in ("numpy", "torch"):
        raise ValueError(f"backend must be 'numpy' or 'torch', got {backend!r}")
    if key in ("naive", "ahead_naive"):
        return naive_row(key, seed)
    if key == "ahead_iterative":
        return iterative_row(run_row("deep_rnn_dense", seed, backend, epochs, log), seed)
    if backend == "torch":
        from course_rnn.forecast.torch_twin import train_torch

        return train_torch(key, seed, epochs, log=log)
    return train_numpy(key, seed, epochs, log=log)


# Rough cost of a row relative to the deep RNN (numpy), to start the slow ones first.
COST = {"s2s_gru": 8, "s2s_lstm": 6, "s2s_ln_rnn": 6, "s2s_conv_gru": 4, "s2s_wavenet": 2,
         "linear": 0.2, "ahead_linear": 0.2, "simple_rnn_1": 0.5, "s2s_bn_rnn": 1.5}


def worker_init() -> None:
    """A worker process of ``run_rows``: one BLAS thread, one torch thread."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass


SHARED_RESULTS = "COURSE_RNN_SHARED_ROWS"
"""Environment variable naming a folder where ``run_quiet`` shares finished rows between
processes (set by the test command, so that the two editions of a chapter train each row
once per run; unset, every call trains)."""


def run_quiet(key: str, seed: int, backend: str, epochs: int) -> tuple[RowResult, list]:
    """``run_row`` with its progress collected instead of printed: an ``EpochLog`` of numbers,
    which ``run_rows`` prints in the language it is given.

    When the environment variable ``COURSE_RNN_SHARED_ROWS`` names a folder, a finished
    row is kept there (``pickle``, written atomically) and a later call with the same key,
    seed, backend and epochs reads it instead of training again; a lock file per row makes
    a second process wait for the first rather than train the same row beside it.
    """
    folder = os.environ.get(SHARED_RESULTS)
    if not folder:
        return _train_quiet(key, seed, backend, epochs)
    path = Path(folder) / f"{key}-{backend}-seed{seed}-epochs{epochs}.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if path.exists():
            return pickle.loads(path.read_bytes())
        done = _train_quiet(key, seed, backend, epochs)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(done))
        tmp.replace(path)
        return done


def _train_quiet(key: str, seed: int, backend: str, epochs: int) -> tuple[RowResult, list]:
    lines = EpochLog()
    return run_row(key, seed, backend, epochs, log=lines), lines


def run_rows(keys, seed: int = 42, backend: str = "numpy", workers: int = 2, epochs: int = 20,
             log: Callable[[str], None] | None = print, lang: str = "en") -> dict[str, RowResult]:
    r"""Compute several rows, training them in ``workers`` processes (one BLAS thread each).

    .. math::

        \{\text{row} \mapsto \mathrm{MSE}_\text{valid}\}

    The slowest rows start first. Each row's progress lines are printed when it finishes,
    so their order depends on the machine (a notebook cell running this has its output
    ignored by nbval; the returned dict, in the order of ``keys``, is what to print and
    check). The iterative row reuses the trained ``deep_rnn_dense``. ``lang``: the language of
    the printed lines (``"en"`` or ``"ko"``: ``에폭``, ``학습``, ``검증``); the numbers are the
    same. Taught in chapter 11.
    """
    import concurrent.futures as cf
    import multiprocessing as mp

    if lang not in EPOCH_WORDS:
        raise ValueError(f"lang must be one of {tuple(EPOCH_WORDS)}, got {lang!r}")
    keys = list(keys)
    for key in keys:
        if key not in ROWS:
            raise ValueError(f"unknown row {key!r}; rows: {ROWS}")
    trained = [k for k in keys if k in TRAINED_ROWS]
    if "ahead_iterative" in keys and "deep_rnn_dense" not in trained:
        trained.append("deep_rnn_dense")
    say = log or (lambda line: None)
    results: dict[str, RowResult] = {}

    def finish(key: str, result: RowResult, lines=()) -> None:
        for line in lines:
            say(line if isinstance(line, str) else epoch_line(*line, lang=lang))
        results[key] = result
        if key in keys:
            say({"en": f"{key:16s} [{backend}] valid MSE {result.mse:.4f} "
                       f"(published {PUBLISHED[key]:.4f})",
                 "ko": f"{key:16s} [{backend}] 검증 MSE {result.mse:.4f} "
                       f"(발표된 값 {PUBLISHED[key]:.4f})"}[lang])

    for key in keys:
        if key in ("naive", "ahead_naive"):
            finish(key, naive_row(key, seed))
    with cf.ProcessPoolExecutor(max(1, workers), mp_context=mp.get_context("spawn"),
                                initializer=worker_init) as pool:
        futures = {pool.submit(run_quiet, k, seed, backend, epochs): k
                   for k in sorted(trained, key=lambda k: -COST.get(k, 1))}
        for future in cf.as_completed(futures):
            key = futures[future]
            finish(key, *future.result())
            if key == "deep_rnn_dense" and "ahead_iterative" in keys:
                finish("ahead_iterative", iterative_row(results[key], seed))
    return {k: results[k] for k in keys}
