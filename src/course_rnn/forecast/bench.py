r"""The 3-seed forecasting benchmark: every row, numpy and torch, into ``docs/forecasting.md``.

``python -m course_rnn.forecast --seeds 0 1 2 --out docs/forecasting.md`` (``make forecast``)
trains every row of ``course_rnn.forecast.rows.PUBLISHED`` for each seed with both backends, in
``--workers`` processes of one thread each, and writes a Markdown table: for each row the
mean and standard deviation over the seeds of the validation MSE,

.. math::

    \bar m = \frac{1}{S}\sum_s m_s, \qquad
    \mathrm{sd} = \sqrt{\frac{1}{S - 1}\sum_s (m_s - \bar m)^2},

beside the published value, and the mean wall time of one training (one thread; the
machine is described at the top of the file). It also writes every per-seed record (MSE,
seconds, the validation curve, the seq2seq rows' error at each step, a few example forecasts)
and the run's details into ``course_rnn/forecast/results.json``, shipped with the package,
which chapter 11 loads with ``course_rnn.forecast.report.load_results``. Finished trainings
are cached (``--cache``): with everything cached, the files are rewritten in seconds, and
``--cached-only`` writes what the cache holds without training. Taught in chapter 11.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import platform
import time
from pathlib import Path

import numpy as np

from course_rnn.data.series import load_task
from course_rnn.forecast.report import RESULTS_FILE, RESULTS_FORMAT
from course_rnn.forecast.rows import PUBLISHED, ROW_LABELS, ROWS, RowResult, targets
from course_rnn.forecast.run import COST, iterative_row, run_quiet, worker_init
from course_rnn.forecast.train import model_from_params, naive_row

BACKENDS = ("numpy", "torch")


def _job(key: str, seed: int, backend: str, epochs: int) -> list[dict]:
    """One training in a worker; the iterative row rides along with ``deep_rnn_dense``."""
    result, _ = run_quiet(key, seed, backend, epochs)
    rows = [result]
    if key == "deep_rnn_dense":
        rows.append(iterative_row(result, seed))
    if key.startswith("s2s_") and backend == "numpy":  # the error at every step of the forecast
        task = load_task("seq2seq", seed)
        pred = model_from_params(key, result.params).predict(task.X_valid)
        err = (pred.astype(np.float64) - targets(key, task.Y_valid)) ** 2
        result.per_step = err.mean(axis=(0, 2))
    return [{"key": r.key, "backend": r.backend, "seed": r.seed, "mse": r.mse,
             "seconds": r.seconds, "curve": [float(v) for v in r.curve],
             "per_step": [float(v) for v in r.per_step],
             "example": {k: np.asarray(v, dtype=np.float64).tolist() for k, v in r.example.items()}}
            for r in rows]


def _cache_path(cache: Path, key: str, backend: str, seed: int, epochs: int) -> Path:
    return cache / f"{key}-{backend}-seed{seed}-epochs{epochs}.json"


def _from_record(d: dict) -> RowResult:
    return RowResult(d["key"], d["backend"], d["seed"], d["mse"], d["seconds"],
                     np.array(d["curve"]), example={k: np.array(v) for k, v in
                                                    d.get("example", {}).items()},
                     per_step=np.array(d.get("per_step", [])))


def run(seeds, backends=BACKENDS, rows=ROWS, workers: int = 2, epochs: int = 20,
        cache: str | None = None, log=print, cached_only: bool = False) -> dict:
    r"""Every (row, backend, seed): ``{(key, backend): [RowResult per seed]}``.

    .. math::

        (\text{row}, \text{backend}, s) \mapsto \mathrm{MSE}_\text{valid}

    ``cache``: a folder where each finished training is written (JSON) and read back on the
    next run, so an interrupted benchmark resumes. The numpy trainings run first, then
    torch's (slower here), slowest rows first. ``cached_only``: train nothing, and leave out
    every (row, backend) that the cache lacks for some seed. Taught in chapter 11.
    """
    trained = [k for k in rows if k not in ("naive", "ahead_naive", "ahead_iterative")]
    if "ahead_iterative" in rows and "deep_rnn_dense" not in trained:
        trained.append("deep_rnn_dense")
    folder = Path(cache) if cache else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    found: dict = {}
    jobs = []
    for b in backends:
        for k in sorted(trained, key=lambda k: -COST.get(k, 1)):
            for s in seeds:
                path = folder and _cache_path(folder, k, b, s, epochs)
                if path and path.exists():
                    for d in json.loads(path.read_text()):
                        found[d["key"], b, s] = _from_record(d)
                elif not cached_only:
                    jobs.append((k, b, s))
    log(f"{len(jobs)} trainings to run, {len(found)} results read from the cache")
    with cf.ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                                initializer=worker_init) as pool:
        futures = {pool.submit(_job, k, s, b, epochs): (k, b, s) for k, b, s in jobs}
        for done, future in enumerate(cf.as_completed(futures), 1):
            k, b, s = futures[future]
            records = future.result()
            if folder:
                path = _cache_path(folder, k, b, s, epochs)
                path.with_suffix(".tmp").write_text(json.dumps(records))
                path.with_suffix(".tmp").replace(path)
            for d in records:
                found[d["key"], b, s] = _from_record(d)
            log(f"[{done}/{len(jobs)}] {k} {b} seed {s}: MSE {records[0]['mse']:.4f} in "
                f"{records[0]['seconds']:.0f} s")
    out = {}
    naive = {(k, s): naive_row(k, s) for k in rows if k in ("naive", "ahead_naive") for s in seeds}
    for key in rows:
        for b in backends:
            if key in ("naive", "ahead_naive"):
                out[key, b] = [naive[key, s] for s in seeds]
            elif all((key, b, s) in found for s in seeds):
                out[key, b] = [found[key, b, s] for s in seeds]
    return out


def _machine(lang: str = "en") -> list[str]:
    import torch

    cores = os.cpu_count()
    system = f"{platform.system()} {platform.release()}"
    versions = (f"python {platform.python_version()}, numpy {np.__version__}, torch "
                f"{torch.__version__}")
    if lang == "ko":
        return [f"- 컴퓨터: {platform.machine()}, 코어 {cores}개, {system}",
                f"- {versions}; 학습마다 스레드 하나, 여러 학습을 프로세스로 나란히 실행"]
    return [f"- machine: {platform.machine()}, {cores} cores, {system}",
            f"- {versions}; one thread per training, trainings run in parallel processes"]


_TEXT = {
    "en": {
        "intro": "Validation MSE after {epochs} epochs, mean ± standard deviation over seeds "
                 "{seeds} (data and initial weights from the seed), beside the published Keras "
                 "value (Hands-On ML 2nd ed., chapter 15 notebook). Seconds: mean wall time of one "
                 "training on one thread, one measurement on a machine shared with other "
                 "work: they show orders of magnitude, not exact speeds.",
        "when": "- generated {date} in {minutes:.0f} min; load average at the end {load:.1f} "
                "(above 2, other programs shared the cores: the seconds are then longer than on "
                "a quiet machine)",
        "cols": ("row", "published", "{b} MSE (mean ± sd)", "{b} / published", "{b} s"),
    },
    "ko": {
        "intro": "{epochs}에폭 학습 뒤의 검증 MSE를 시드 {seeds}에 걸쳐 평균 ± 표준편차로 적고 "
                 "(데이터와 초기 가중치가 시드에서 나옵니다), 발표된 Keras 값(Hands-On ML 2판 "
                 "15장 노트북) 옆에 놓았습니다. 초: 스레드 하나로 한 번 학습하는 데 걸린 평균 "
                 "벽시계 시간으로, 다른 작업과 함께 쓰던 컴퓨터에서 한 번 잰 값이라 정확한 속도가 "
                 "아니라 자릿수 정도를 보여 줍니다.",
        "when": "- {date}에 {minutes:.0f}분 동안 생성; 끝날 때 부하 평균 {load:.1f} (2보다 크면 "
                "다른 프로그램과 코어를 나눠 쓴 것이라, 조용한 컴퓨터에서보다 초가 깁니다)",
        "cols": ("행", "발표된 값", "{b} MSE (평균 ± 표준편차)", "{b} / 발표된 값", "{b} 초"),
    },
}


def write_markdown(path: str, table: dict, seeds, elapsed: float, epochs: int,
                   lang: str = "en", load: float | None = None, date: str | None = None) -> None:
    """The committed table of the benchmark, in English or Korean (one file per edition)."""
    text = _TEXT[lang]
    backends = sorted({b for _, b in table}, key=BACKENDS.index)
    cols = text["cols"]
    head = f"| {cols[0]} | {cols[1]} |" + "".join(
        " " + " | ".join(c.format(b=b) for c in cols[2:]) + " |" for b in backends)
    load = os.getloadavg()[0] if load is None else load
    lines = [
        "<!-- written by `python -m course_rnn.forecast`; do not edit by hand -->",
        text["intro"].format(epochs=epochs, seeds=", ".join(map(str, seeds))),
        "",
        # the run's machine and load: kept in the file, hidden from the book's page
        "<!-- run details",
        *_machine(lang),
        text["when"].format(date=date or time.strftime("%Y-%m-%d"), minutes=elapsed / 60,
                            load=load),
        "-->",
        "",
        head,
        "|---|---:|" + "---:|---:|---:|" * len(backends),
    ]
    for key in dict.fromkeys(k for k, _ in table):
        cells = [ROW_LABELS[key][lang], f"{PUBLISHED[key]:.4g}"]
        for b in backends:
            if (key, b) not in table:  # not in the cache (``--cached-only``)
                cells += ["-"] * 3
                continue
            m = np.array([r.mse for r in table[key, b]])
            sd = m.std(ddof=1) if len(m) > 1 else 0.0
            secs = np.mean([r.seconds for r in table[key, b]])
            cells += [f"{m.mean():.4f} ± {sd:.4f}", f"{m.mean() / PUBLISHED[key]:.2f}",
                      f"{secs:.1f}" if secs else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)


def _rounded(values, digits: int = 6) -> list[float]:
    return [float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=np.float64).ravel()]


def _record(r: RowResult, backend: str, example: bool) -> dict:
    """One training as JSON: the curve rounded; the example forecasts only when asked."""
    d = {"key": r.key, "backend": backend, "seed": int(r.seed), "mse": float(r.mse),
         "seconds": round(float(r.seconds), 2), "curve": _rounded(r.curve),
         "per_step": _rounded(r.per_step)}
    if example and r.example:
        x, y, pred = (np.asarray(r.example[k], dtype=np.float64) for k in ("x", "y", "pred"))
        if r.key.startswith("s2s_"):  # the ten values forecast at the last step only
            y, pred = y[:, -1], pred[:, -1]
        d["example"] = {"x": [_rounded(v, 5) for v in x], "y": [_rounded(v, 5) for v in y],
                        "pred": [_rounded(v, 5) for v in pred]}
    return d


def write_results(path, table: dict, seeds, epochs: int, elapsed: float, load: float,
                  rows=ROWS, backends=BACKENDS, date: str | None = None) -> None:
    r"""The benchmark's per-seed records and run details as one JSON file (``results.json``).

    .. math::

        (\text{row}, \text{backend}, s) \mapsto (\mathrm{MSE}, \text{seconds},
        \text{curve}, \text{error per step})

    ``table``: ``{(key, backend): [RowResult per seed]}`` as ``run`` returns it. Each record
    keeps the MSE, the seconds, the validation MSE after every epoch and, for the numpy
    seq2seq rows, the validation MSE at each step of the forecast; the first seed's records
    also keep three example forecasts (the last step's for seq2seq rows). The (row, backend)
    pairs of ``rows`` x ``backends`` that ``table`` lacks are listed under ``missing``, which
    ``course_rnn.forecast.report.load_results`` reads back. Taught in chapter 11.
    """
    import torch

    seeds = [int(s) for s in seeds]
    records = [_record(r, b, example=r.seed == seeds[0])
               for (key, b), results in table.items() for r in results]
    meta = {
        "format": RESULTS_FORMAT, "epochs": int(epochs), "seeds": seeds,
        "rows": [k for k in rows if any((k, b) in table for b in backends)],
        "backends": list(backends),
        "missing": [[k, b] for k in rows for b in backends if (k, b) not in table],
        "published": {k: PUBLISHED[k] for k in rows},
        "run": {"machine": platform.machine(), "cores": os.cpu_count(),
                "system": f"{platform.system()} {platform.release()}",
                "python": platform.python_version(), "numpy": np.__version__,
                "torch": torch.__version__, "date": date or time.strftime("%Y-%m-%d"),
                "minutes": round(elapsed / 60, 1), "load": round(float(load), 2)},
    }
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"meta": meta, "records": records}, separators=(",", ":"))
                   + "\n", encoding="utf-8")
    tmp.replace(path)


def korean_path(path: str) -> str:
    """``docs/forecasting.md`` -> ``docs/forecasting.ko.md`` (the Korean edition's table)."""
    root, ext = os.path.splitext(path)
    return f"{root}.ko{ext}"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m course_rnn.forecast [--seeds ...] [--out PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m course_rnn.forecast", description=__doc__
                                     .split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="docs/forecasting.md",
                        help="the English table; the Korean one goes beside it (.ko.md)")
    parser.add_argument("--cache", default="_build/forecast-cache",
                        help="folder of finished trainings, read back by the next run")
    parser.add_argument("--results", default=str(RESULTS_FILE),
                        help="the per-seed records that chapter 11 loads (JSON)")
    parser.add_argument("--cached-only", action="store_true",
                        help="train nothing: write what the cache holds (rows it lacks: missing)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    table = run(args.seeds, args.backends, args.rows, args.workers, args.epochs, args.cache,
                cached_only=args.cached_only)
    elapsed, load = time.perf_counter() - start, os.getloadavg()[0]
    date = time.strftime("%Y-%m-%d")
    meta = Path(args.cache) / "last-run.json" if args.cache else None
    if meta and elapsed > 60:  # a real run: remember how long it took
        meta.write_text(json.dumps({"elapsed": elapsed, "load": load, "date": date}))
    elif meta and meta.exists():  # everything came from the cache: report the run that made it
        last = json.loads(meta.read_text())
        elapsed, load, date = last["elapsed"], last["load"], last.get("date", date)
    for path, lang in ((args.out, "en"), (korean_path(args.out), "ko")):
        write_markdown(path, table, args.seeds, elapsed, args.epochs, lang, load, date)
        print(f"wrote {path}")
    write_results(args.results, table, args.seeds, args.epochs, elapsed, load, args.rows,
                  args.backends, date)
    print(f"wrote {args.results}")
    return 0
