r"""The forecasting benchmark's results: a text table of one run, and the
stored three-seed results that chapter 11 loads (``results.json``, written by
``python -m course_rnn.forecast``)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np

from course_rnn.forecast.rows import PUBLISHED, ROW_LABELS, ROWS, RowResult

RESULTS_FILE = Path(__file__).with_name("results.json")
"""The per-seed results of ``make forecast``, shipped inside the package."""

RESULTS_FORMAT = 1
"""The layout of ``results.json``; ``load_results`` refuses another."""


def format_table(results: dict, lang: str = "en", times: bool = False) -> str:
    r"""The rows as a text table: ours, published, ours / published (and seconds).

    .. math::

        \text{ratio} = \mathrm{MSE}_\text{ours} / \mathrm{MSE}_\text{published}

    ``results``: key -> RowResult. Seconds depend on the machine: print them only in cells
    whose output is not compared (``times=True``). Taught in chapter 11.
    """
    if lang not in ("ko", "en"):
        raise ValueError(f"lang must be 'ko' or 'en', got {lang!r}")
    head = {"ko": ("모델", "우리 MSE", "발표된 MSE", "비율", "초"),
            "en": ("model", "our MSE", "published", "ratio", "s")}[lang]
    width = max(len(ROW_LABELS[k][lang]) for k in results) + 2
    lines = [f"{head[0]:<{width}}{head[1]:>10}{head[2]:>12}{head[3]:>8}"
             + (f"{head[4]:>8}" if times else "")]
    for key, r in results.items():
        line = (f"{ROW_LABELS[key][lang]:<{width}}{r.mse:>10.4f}{r.published:>12.4f}"
                f"{r.ratio:>8.2f}")
        lines.append(line + (f"{r.seconds:>8.1f}" if times else ""))
    return "\n".join(lines)


def _result(d: dict) -> RowResult:
    example = {k: np.array(v) for k, v in d.get("example", {}).items()}
    if example and d["key"].startswith("s2s_"):  # stored: the last step only -> (3, 1, 10)
        example["y"], example["pred"] = example["y"][:, None], example["pred"][:, None]
    return RowResult(d["key"], d["backend"], d["seed"], d["mse"], d["seconds"],
                     np.array(d["curve"]), example=example, per_step=np.array(d["per_step"]))


def load_results(path=None, complete: bool = False) -> tuple[dict, dict]:
    r"""The stored three-seed results: ``({(key, backend): [RowResult per seed]}, meta)``.

    .. math::

        (\text{row}, \text{backend}) \mapsto (\mathrm{MSE}_{s})_{s \in \text{seeds}}

    ``path``: the JSON file that ``python -m course_rnn.forecast`` writes (default: the one
    shipped with the package, ``RESULTS_FILE``). ``meta`` holds ``epochs``, ``seeds``,
    ``rows``, ``backends``, ``missing`` (the ``(key, backend)`` pairs the run did not have)
    and ``run`` (machine, versions, date, minutes, load). Each list holds one result per
    seed, in the order of ``meta["seeds"]``; the seq2seq rows' examples keep the last step
    only, as a time axis of length 1. Raises ``FileNotFoundError`` when the file is absent,
    ``ValueError`` when it is malformed, lacks a seed of a row, or (``complete=True``) lacks
    a row of ``ROWS``. Taught in chapter 11.
    """
    path = Path(path) if path is not None else RESULTS_FILE
    if not path.exists():
        raise FileNotFoundError(f"no stored forecasting results at {path}: run `make forecast` "
                                "(python -m course_rnn.forecast) to train the rows and write it")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        meta, records = data["meta"], data["records"]
        fmt = meta["format"]
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path} is not a results file of the forecasting benchmark "
                         f"({err!r}): write it again with `make forecast`") from err
    if fmt != RESULTS_FORMAT:
        raise ValueError(f"{path} has format {fmt}, this code reads format {RESULTS_FORMAT}: "
                         "write it again with `make forecast`")
    seeds = list(meta["seeds"])
    found: dict = {}
    for d in records:
        if d["key"] not in ROWS:
            raise ValueError(f"{path}: unknown row {d['key']!r}; rows: {ROWS}")
        found[d["key"], d["backend"], d["seed"]] = _result(d)
    table = {}
    for key in meta["rows"]:
        for b in meta["backends"]:
            if [key, b] in meta["missing"]:
                continue
            lacking = [s for s in seeds if (key, b, s) not in found]
            if lacking:
                raise ValueError(f"{path}: row {key!r} ({b}) lacks seeds {lacking}: the file is "
                                 "partial; write it again with `make forecast`")
            table[key, b] = [found[key, b, s] for s in seeds]
    missing = [(k, b) for k in ROWS for b in meta["backends"] if (k, b) not in table]
    if complete and missing:
        raise ValueError(f"{path} lacks {len(missing)} (row, backend) pairs, e.g. {missing[:3]}: "
                         "run `make forecast` until every row is trained")
    meta = {**meta, "missing": missing}
    return table, meta


def seed_stats(results) -> dict:
    r"""Mean, sample standard deviation, ratio to the published value and mean seconds of
    one row's per-seed results.

    .. math::

        \bar m = \frac{1}{S}\sum_s m_s, \qquad
        \mathrm{sd} = \sqrt{\frac{1}{S-1}\sum_s (m_s - \bar m)^2}, \qquad
        \text{ratio} = \bar m / m_\text{published}

    ``results``: the list of RowResult of one (row, backend), one per seed. Returns a dict
    with ``mean``, ``sd``, ``ratio``, ``seconds``, ``low``, ``high`` (the extreme seeds) and
    ``mse`` (every seed's). Taught in chapter 11.
    """
    results = list(results)
    if not results:
        raise ValueError("seed_stats needs at least one result")
    m = np.array([r.mse for r in results])
    return {"mean": float(m.mean()), "sd": float(m.std(ddof=1)) if m.size > 1 else 0.0,
            "ratio": float(m.mean() / PUBLISHED[results[0].key]),
            "seconds": float(np.mean([r.seconds for r in results])),
            "low": float(m.min()), "high": float(m.max()), "mse": m}


def _ljust(text: str, width: int) -> str:
    """Left-justify for a monospace font, where a Hangul syllable takes two columns."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return text + " " * max(0, width - len(text) - wide)


def _rjust(text: str, width: int) -> str:
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return " " * max(0, width - len(text) - wide) + text


def format_seed_table(table: dict, lang: str = "en") -> str:
    r"""The stored results as a text table: published value, then for each backend the mean
    ± standard deviation over the seeds and the ratio of the mean to the published value.

    .. math::

        \bar m \pm \mathrm{sd}, \qquad \bar m / m_\text{published}

    ``table``: ``{(key, backend): [RowResult per seed]}`` (``load_results``). A backend
    without a row prints ``-``. Taught in chapter 11.
    """
    if lang not in ("ko", "en"):
        raise ValueError(f"lang must be 'ko' or 'en', got {lang!r}")
    backends = list(dict.fromkeys(b for _, b in table))
    keys = [k for k in ROWS if any((k, b) in table for b in backends)]
    width = max(len(_ljust(ROW_LABELS[k][lang], 0)) for k in keys) + 2
    head = {"ko": ("모델", "발표된 값", "평균 ± 표준편차", "비율"),
            "en": ("model", "published", "mean ± sd", "ratio")}[lang]
    top = " " * (width + 10) + "".join(_rjust(b, 24) for b in backends)
    lines = [top, _ljust(head[0], width) + _rjust(head[1], 10)
             + "".join(_rjust(head[2], 17) + _rjust(head[3], 7) for _ in backends)]
    for key in keys:
        line = _ljust(ROW_LABELS[key][lang], width) + f"{PUBLISHED[key]:>10.4f}"
        for b in backends:
            if (key, b) in table:
                s = seed_stats(table[key, b])
                line += f"{s['mean']:>9.4f} ± {s['sd']:.4f}{s['ratio']:>7.2f}"
            else:
                line += f"{'-':>17}{'-':>7}"
        lines.append(line)
    return "\n".join(lines)
