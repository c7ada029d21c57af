r"""The bottleneck removed: copying long digit strings with and without attention (chapter 10).

The task is chapter 9's digit copy (``course_rnn.data.dates.make_digit_dataset``): write back
a string of :math:`L` digits, :math:`1 \le L \le` ``SETTINGS["max_len"]``. What the decoder must
know grows with :math:`L` (:math:`3.32\,L` bits), so a decoder that sees the input only through
one vector :math:`c` of H numbers fails beyond some length, while a decoder with attention
reads every encoder state. Targets stop at the end symbol: the positions after it are padded
with ``IGNORE`` and left out of the loss (masked loss), and a prediction counts as an exact
match when it is right up to and including the target's end symbol.

The models (``MODELS``), same embedding size E, hidden size H, optimiser and data:

- ``plain``: chapter 9's decoder, :math:`s_0 = c` only (``Seq2Seq``);
- ``peeky``: chapter 9's decoder that also reads :math:`c` at every step;
- ``dot``, ``general``, ``additive``: ``AttentionSeq2Seq`` with that score.

``train_one`` trains one (model, seed); ``run_study`` all of them in parallel processes;
``python -m course_rnn.experiments.attention`` (``make attention``) writes
``attention_results.json`` beside this module, which ``load_results`` reads. Every run shares
the training and test sets (drawn with ``SETTINGS["data_seed"]``); the seed sets the model's
initial weights and the order of the batches.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from course_rnn.attention import AttentionSeq2Seq
from course_rnn.data.dates import (
    END,
    SRC_VOCAB,
    START,
    TGT_VOCAB,
    length_batches,
    make_digit_dataset,
)
from course_rnn.experiments._pool import completed
from course_rnn.experiments.language_models import cosine_lr
from course_rnn.optim import Adam
from course_rnn.seq2seq import Seq2Seq
from course_rnn.training import train

IGNORE = -100
"""The target id of the positions after the end symbol (left out of the loss)."""

SETTINGS = {"max_len": 32, "n_train": 8000, "n_test": 3000, "E": 16, "H": 128, "A": 64,
            "epochs": 10, "batch_size": 64, "lr": 0.005, "max_grad_norm": 5.0, "data_seed": 7}
"""What every run shares: the longest input, the sizes of the training and test sets, the
embedding and hidden sizes (A: the additive score's size), epochs, batch size, Adam's
learning rate (annealed along a cosine to 5% of it, ``cosine_lr``), the clipping norm and the
seed of the data."""

MODELS = ("plain", "peeky", "dot", "general", "additive")
SEEDS = (0, 1, 2)
LONG = 17
"""Inputs of at least ``LONG`` digits are the long ones of the chapter's comparison."""

LABELS = {"ko": {"plain": "c를 s_0으로만", "peeky": "peeky (c를 매 단계)",
                 "dot": "어텐션: 점곱", "general": "어텐션: 일반", "additive": "어텐션: 가산"},
          "en": {"plain": "c only as s_0", "peeky": "peeky (c at every step)",
                 "dot": "attention: dot", "general": "attention: general",
                 "additive": "attention: additive"}}

RESULTS_FILE = Path(__file__).with_name("attention_results.json")


def copy_data(n: int, max_len: int, rng: np.random.Generator) -> dict:
    r"""``make_digit_dataset`` with the targets masked after their end symbol:
    :math:`y = (x_1, \dots, x_L, \texttt{</s>}, \text{IGNORE}, \dots)`, shape (n, max_len + 1).
    Returns the dict of ``make_digit_dataset`` with ``tgt`` masked. Taught in chapter 10."""
    data = make_digit_dataset(n, max_len, rng)
    tgt = data["tgt"].copy()
    cols = np.arange(tgt.shape[1])
    tgt[cols[None, :] > data["lengths"][:, None]] = IGNORE  # after the end symbol
    return {**data, "tgt": tgt}


def exact_up_to_end(pred, tgt) -> np.ndarray:
    r"""Per row, whether ``pred`` equals ``tgt`` at every position that is not ``IGNORE``
    (so up to and including the end symbol): bool (N,). Taught in chapter 10."""
    pred, tgt = np.asarray(pred), np.asarray(tgt)
    return ((pred == tgt) | (tgt == IGNORE)).all(axis=1)


def exact_by_length(pred, data: dict, max_len: int) -> list:
    r"""Exact match for each input length :math:`L = 1, \dots, \text{max\_len}`:
    :math:`\frac{1}{|\{n: L_n = L\}|}\sum_{n: L_n = L} [\hat y_n = y_n]`. Taught in chapter 10."""
    ok, L = exact_up_to_end(pred, data["tgt"]), data["lengths"]
    return [float(ok[L == k].mean()) if (L == k).any() else float("nan")
            for k in range(1, max_len + 1)]


def build_model(kind: str, seed: int, settings: dict = SETTINGS):
    """A fresh model of ``MODELS`` (float32) for the digit copy. Taught in chapter 10."""
    if kind not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {kind!r}")
    rng = np.random.default_rng(seed)
    V_src, V_tgt, E, H = len(SRC_VOCAB), len(TGT_VOCAB), settings["E"], settings["H"]
    if kind in ("plain", "peeky"):
        return Seq2Seq(V_src, V_tgt, E, H, rng, start=START, peeky=kind == "peeky")
    return AttentionSeq2Seq(V_src, V_tgt, E, H, rng, start=START, score=kind,
                            A=settings["A"], ignore=IGNORE)


def _fill_ignored(tgt):
    """Chapter 9's Seq2Seq has no masked loss: it learns the end symbol at the masked places
    (what its own chapter does), so its targets are filled with END there."""
    return np.where(tgt == IGNORE, END, tgt)


def train_one(kind: str, seed: int, settings: dict = SETTINGS, log=None) -> dict:
    r"""Train one model on the digit copy; return its exact match by input length.

    Returns a dict ``model``, ``seed``, ``exact_by_len`` (max_len floats), ``losses`` (one per
    epoch), ``seconds`` and ``params`` (the number of parameters). Taught in chapter 10.
    """
    data_rng = np.random.default_rng(settings["data_seed"])
    train_set = copy_data(settings["n_train"], settings["max_len"], data_rng)
    test_set = copy_data(settings["n_test"], settings["max_len"], data_rng)
    model = build_model(kind, seed, settings)
    tgt = train_set["tgt"] if isinstance(model, AttentionSeq2Seq) else \
        _fill_ignored(train_set["tgt"])
    rng = np.random.default_rng(1000 + seed)
    optimizer = Adam(lr=settings["lr"])
    losses, t0 = [], time.perf_counter()
    for epoch in range(1, settings["epochs"] + 1):
        optimizer.lr = cosine_lr(settings["lr"], epoch - 1, settings["epochs"])
        batches = length_batches(train_set["src"], tgt, settings["batch_size"], rng)
        hist = train(model, batches, optimizer, bptt="full",
                     max_grad_norm=settings["max_grad_norm"])
        losses.append(float(hist.epoch_losses[-1]))
        if log:
            log(f"{kind} seed {seed} epoch {epoch}: loss {losses[-1]:.4f}")
    seconds = time.perf_counter() - t0
    pred = model.generate(test_set["src"], settings["max_len"] + 1)
    return {"model": kind, "seed": seed, "losses": losses, "seconds": seconds,
            "params": int(sum(v.size for v in model.params.values())),
            "exact_by_len": exact_by_length(pred, test_set, settings["max_len"])}


def _job(args):
    kind, seed, settings = args
    return train_one(kind, seed, settings)


def run_study(models=MODELS, seeds=SEEDS, settings: dict = SETTINGS, workers: int = 2,
              log=print) -> dict:
    """Every (model, seed) in ``workers`` processes (spawned, one thread each). Returns
    ``{"settings", "long", "runs"}`` with the runs sorted by model and seed."""
    jobs = [(m, s, dict(settings)) for m in models for s in seeds]
    runs = []
    for done, r in completed(_job, jobs, workers):
        runs.append(r)
        if log:
            long = r["exact_by_len"][LONG - 1:]
            score = f"{np.mean(long):.3f}" if long else "(no such input)"
            log(f"{r['model']:9s} seed {r['seed']}: exact match for L >= {LONG} "
                f"{score}, {r['seconds']:.0f} s ({done}/{len(jobs)})")
    runs.sort(key=lambda r: (MODELS.index(r["model"]), r["seed"]))
    return {"settings": dict(settings), "long": LONG, "runs": runs}


def load_results(path=None) -> dict:
    """The stored study (default: ``attention_results.json`` beside this module)."""
    return json.loads(Path(path or RESULTS_FILE).read_text(encoding="utf-8"))


def summary(results: dict) -> dict:
    r"""Per model: ``curve`` (mean exact match by L over the seeds), ``sd`` (their sample
    standard deviation), ``long`` (each seed's mean exact match over :math:`L \ge` LONG) and
    ``long_mean``, ``long_sd``, ``params``, ``seconds`` (mean). Taught in chapter 10."""
    out, first = {}, results["long"] - 1
    for kind in dict.fromkeys(r["model"] for r in results["runs"]):
        runs = [r for r in results["runs"] if r["model"] == kind]
        curves = np.array([r["exact_by_len"] for r in runs])  # (seeds, max_len)
        long = curves[:, first:].mean(axis=1)
        out[kind] = {"curve": curves.mean(axis=0), "sd": curves.std(axis=0, ddof=1),
                     "long": long, "long_mean": float(long.mean()),
                     "long_sd": float(long.std(ddof=1)), "params": runs[0]["params"],
                     "seconds": float(np.mean([r["seconds"] for r in runs])),
                     "seeds": [r["seed"] for r in runs]}
    return out


def render(results: dict) -> str:
    r"""The study as a Markdown page (``docs/attention.md``): settings, then one row per model
    with its parameters, seconds per run and mean ± sd exact match over the short
    (:math:`L < \text{LONG}`) and the long inputs, and the per-seed long-input scores."""
    st, s, first = results["settings"], summary(results), results["long"] - 1
    lines = [
        "# The bottleneck removed: copying long digit strings (chapter 10)",
        "",
        "Written by `make attention` (`python -m course_rnn.experiments.attention --table "
        "docs/attention.md`) from `src/course_rnn/experiments/attention_results.json`, which "
        "chapter 10 loads. Do not edit by hand.",
        "",
        f"Task: copy a string of L = 1..{st['max_len']} digits (chapter 9's digit copy), targets "
        f"masked after the end symbol. {st['n_train']} training strings, {st['n_test']} test "
        f"strings, E = {st['E']}, H = {st['H']} (additive score: A = {st['A']}), {st['epochs']} "
        f"epochs, batches of {st['batch_size']}, Adam {st['lr']} on a cosine to 5 %, clipping "
        f"{st['max_grad_norm']}; float32 numpy, one thread per run. Exact match on the test set, "
        f"mean ± sample standard deviation over the seeds. Seconds per run are wall-clock with "
        f"two runs (and sometimes other jobs) sharing 2 cores: a rough guide, not a benchmark.",
        "",
        f"| model | parameters | seconds per run | exact match, L < {first + 1} | "
        f"exact match, L ≥ {first + 1} | per seed, L ≥ {first + 1} |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for kind, v in s.items():
        short = np.array([r["exact_by_len"][:first] for r in results["runs"]
                          if r["model"] == kind]).mean(axis=1)
        lines.append(
            f"| {LABELS['en'][kind]} | {v['params']:,} | {v['seconds']:.0f} | "
            f"{short.mean():.3f} ± {short.std(ddof=1):.3f} | "
            f"{v['long_mean']:.3f} ± {v['long_sd']:.3f} | "
            f"{', '.join(f'{x:.3f}' for x in v['long'])} |")
    return "\n".join(lines) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def main(argv=None) -> None:
    """``python -m course_rnn.experiments.attention [--table docs/attention.md] [--render]``:
    run the study (or, with ``--render``, read it back) and write the results and the page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS_FILE,
                        help="the results file (JSON) to write, or to read with --render")
    parser.add_argument("--table", type=Path, help="also write the Markdown page here")
    parser.add_argument("--render", action="store_true",
                        help="train nothing: read --out and write --table from it")
    args = parser.parse_args(argv)
    if args.render:
        if args.table is None:
            parser.error("--render needs --table")
        results = load_results(args.out)
    else:
        results = run_study(args.models, args.seeds, workers=args.workers)
        _write_atomic(args.out, json.dumps(results, indent=1) + "\n")
    if args.table is not None:
        _write_atomic(args.table, render(results))
    for kind, s in summary(results).items():
        print(f"{kind:9s} exact match for L >= {LONG}: {s['long_mean']:.3f} ± {s['long_sd']:.3f}"
              f"  ({s['params']} parameters, {s['seconds']:.0f} s per run)")


if __name__ == "__main__":
    main()
