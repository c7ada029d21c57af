r"""Language models of real text, measured: what each idea of chapters 4-7 buys.

Every row of :data:`ROWS` is one numpy language model (``course_rnn.deep_lm``) trained on
one of the shipped corpora (``course_rnn.data.text``) with one tokenisation
(``course_rnn.data.tokenize``); :data:`NGRAMS` are the count-based baselines
(``course_rnn.ngram``) on the same split. ``make lm`` trains every row for 3 seeds and
writes ``language_models_results.json`` (read by :func:`load_results`), the trained weights
of seed 0 of the rows the chapters load (``lm_weights/<row>.npz``, SHA-256 in the results,
checked by :func:`load_model`) and the table ``docs/language_models.md``.

Perplexity is compared only within one tokenisation. For characters and jamo it is given
**per character** of the held-out text, so that the two tokenisations of Korean can be
compared: with :math:`n_c` characters and :math:`n_w` tokens (jamo),

.. math::

    \mathrm{PPL}_\text{char} = \exp\Bigl(-\frac{1}{n_c} \sum_{t=1}^{n_w} \log p(w_t \mid
    w_{<t})\Bigr) = \mathrm{PPL}_\text{token}^{\,n_w / n_c}

(a jamo model that spends 2 jamo per character pays both). Word models are compared per
word. A recurrent model is scored on :data:`EVAL_ROWS` rows read in parallel
(``truncated_bptt_batches``), so up to ``EVAL_ROWS x T`` tokens at the end are not scored
and every row starts from a zero state; the per-token mean is converted with the split's
own :math:`n_w / n_c`.

Training: Adam with its step size annealed along a cosine from the row's ``lr`` to 5% of
it over the epochs (:func:`cosine_lr`), the global gradient norm clipped, truncated BPTT
over the whole training text, the validation perplexity after every epoch; the weights of
the best epoch are kept (early stopping) and scored on the test text. Every run's training
speed (tokens per second, one thread) is recorded. Chapters 4, 5 and 6.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import itertools
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_rnn.data.batches import truncated_bptt_batches
from course_rnn.data.text import load_corpus, split_text
from course_rnn.data.tokenize import CharTokenizer, JamoTokenizer, WordTokenizer
from course_rnn.deep_lm import DeepLanguageModel
from course_rnn.experiments._pool import completed
from course_rnn.experiments.language_models_report import render, summary  # noqa: F401 (re-exported)
from course_rnn.ngram import AddKNGram, KneserNeyNGram
from course_rnn.optim import Adam
from course_rnn.training import evaluate, train

HERE = Path(__file__).parent
RESULTS_FILE = HERE / "language_models_results.json"
WEIGHTS_DIR = HERE / "lm_weights"

CORPUS = {"en": "pride_and_prejudice", "ko": "libreoffice_help"}
"""The text each language's models read (split 90/5/5 by paragraph, ``split_text``)."""
TOKENISATIONS = {"en": ("char", "word"), "ko": ("char", "jamo", "word")}
WORD_MIN_FREQ = 3  # a word seen fewer times in the training text is <unk>
EVAL_ROWS = 8
SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Row:
    """One model of the study: language, tokenisation, cell, size and training budget."""

    lang: str
    tokens: str  # "char", "jamo" or "word"
    cell: str  # "rnn", "lstm", "gru"
    H: int
    D: int = 32
    layers: int = 1
    dropout: float = 0.0
    tie: bool = False
    T: int = 64  # truncated-BPTT window
    B: int = 32
    epochs: int = 20
    lr: float = 3e-3
    clip: float = 1.0
    ship: bool = False  # seed 0's weights are shipped for the chapters
    group: str = "cells"  # which question of the study the row answers


def _rows() -> dict[str, Row]:
    rows = {}
    # RNN, LSTM, GRU at (about) equal parameters, ~352K: the hidden sizes make
    # parameter_count equal to the LSTM's with H = 256 (tests check it)
    for cell, H in {"rnn": 524, "lstm": 256, "gru": 298}.items():
        rows[f"en-char-{cell}"] = Row("en", "char", cell, H, D=64, epochs=10,
                                      ship=cell != "gru")
    # the better character model of chapter 5: two LSTM layers with dropout (not tied: the
    # embedding of 74 characters is too small to share with the output)
    rows["en-char-lstm2-drop"] = Row("en", "char", "lstm", 256, D=64, layers=2, dropout=0.2,
                                     epochs=10, group="deep")
    # Korean: the same LSTM reading jamo or characters (jamo are about 2 tokens per
    # character: fewer epochs, about as many updates)
    rows["ko-jamo-lstm"] = Row("ko", "jamo", "lstm", 256, D=64, epochs=4, ship=True,
                               group="tokens")
    rows["ko-char-lstm"] = Row("ko", "char", "lstm", 256, D=64, epochs=6, ship=True,
                               group="tokens")
    # the better Korean character model: two GRU layers with dropout, trained longer
    rows["ko-char-gru2-drop"] = Row("ko", "char", "gru", 256, D=64, layers=2, dropout=0.2,
                                    epochs=10, group="deep")
    # the truncated-BPTT window, at an equal number of tokens read (equal epochs), on a
    # smaller LSTM (~95K parameters)
    for T in (16, 64, 128):
        rows[f"en-char-lstm-T{T}"] = Row("en", "char", "lstm", 128, T=T, epochs=10,
                                         group="window")
    # words: one layer as in chapter 4, and Deep Learning from Scratch 2's better model
    # (2 LSTM layers, dropout 0.5, output tied to the embedding)
    rows["en-word-lstm"] = Row("en", "word", "lstm", 128, D=128, T=32, B=20, epochs=10,
                               group="deep")
    rows["en-word-lstm2-tied"] = Row("en", "word", "lstm", 128, D=128, layers=2, dropout=0.5,
                                     tie=True, T=32, B=20, epochs=10, group="deep")
    return rows


ROWS: dict[str, Row] = _rows()

NGRAMS = {"char": (("add-k", 1), ("add-k", 2), ("add-k", 3),
                   *(("kn", n) for n in range(2, 8))),
          "jamo": (("add-k", 1), ("add-k", 2), ("add-k", 3), *(("kn", n) for n in range(2, 9))),
          "word": (("add-k", 1), ("add-k", 2), ("add-k", 3), ("kn", 2), ("kn", 3))}
"""The count baselines of each tokenisation: add-k (k chosen on the validation text from
``ADD_K``) and interpolated Kneser-Ney, by order (jamo go to order 8: 8 jamo are about 4
characters, as 4 characters are for the character models' order 5)."""
ADD_K = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Split:
    """A tokenised corpus: the tokenizer, the ids and character counts of each part."""

    tokenizer: object
    ids: dict  # "train"/"valid"/"test" -> int64 (n,)
    chars: dict  # "train"/"valid"/"test" -> number of characters of the text

    @property
    def V(self) -> int:
        return len(self.tokenizer)

    def tokens_per_char(self, part: str) -> float:
        return len(self.ids[part]) / self.chars[part]


def make_tokenizer(tokens: str):
    """The tokenizer of a tokenisation name: ``"char"``, ``"jamo"`` or ``"word"``."""
    if tokens == "char":
        return CharTokenizer()
    if tokens == "jamo":
        return JamoTokenizer()
    if tokens == "word":
        return WordTokenizer(min_freq=WORD_MIN_FREQ)
    raise ValueError(f"tokens must be 'char', 'jamo' or 'word', got {tokens!r}")


@functools.lru_cache(maxsize=8)
def prepare(lang: str, tokens: str) -> Split:
    """The corpus of ``lang`` split 90/5/5 and encoded with the tokenisation ``tokens``
    (the vocabulary from the training part). Chapters 4-6."""
    if lang not in CORPUS:
        raise ValueError(f"lang must be one of {tuple(CORPUS)}, got {lang!r}")
    parts = dict(zip(("train", "valid", "test"), split_text(load_corpus(CORPUS[lang])),
                     strict=True))
    tok = make_tokenizer(tokens).fit(parts["train"])
    return Split(tok, {k: tok.encode(v) for k, v in parts.items()},
                 {k: len(v) for k, v in parts.items()})


def per_char(loss_per_token: float, tokens_per_char: float) -> float:
    r"""Perplexity per character from a mean loss per token:
    :math:`\exp(\bar L \cdot n_w / n_c)`."""
    return math.exp(loss_per_token * tokens_per_char)


# --------------------------------------------------------------------------- models
def parameter_count(cell: str, V: int, D: int, H: int, layers: int = 1,
                    tie: bool = False) -> int:
    r"""Number of parameters of a ``DeepLanguageModel``:
    :math:`VD + \sum_l G H (D_l + H + 1) + [HV] + V`, with :math:`G` = 1, 3, 4 for the
    RNN, GRU and LSTM (one bias per gate block, as ``course_rnn.cells``; the GRU, in
    PyTorch's form, has a second bias of :math:`3H` per layer)."""
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    n = V * D + V + (0 if tie else H * V)
    for layer in range(layers):
        n += gates * H * ((D if layer == 0 else H) + H + 1) + (3 * H if cell == "gru" else 0)
    return n


def build_model(row: Row, V: int, seed: int, dtype=np.float32) -> DeepLanguageModel:
    """The untrained model of ``row`` for a vocabulary of ``V`` tokens."""
    return DeepLanguageModel(V, row.D, row.H, rng=seed, cell=row.cell, num_layers=row.layers,
                             dropout=row.dropout, tie_weights=row.tie, dtype=dtype)


def cosine_lr(lr: float, epoch: int, epochs: int, floor: float = 0.05) -> float:
    r"""The step size of epoch ``epoch + 1`` (epochs counted from 1): a cosine from ``lr``
    at the start to ``floor * lr`` after the last epoch (Loshchilov & Hutter, 2017),

    .. math::

        \eta_e = \eta \Bigl(f + (1 - f)\,\frac{1 + \cos(\pi e / E)}{2}\Bigr),
        \qquad e = 0, \dots, E - 1

    Torch: ``optim.lr_scheduler.CosineAnnealingLR(opt, T_max=E, eta_min=f * lr)`` stepped
    once per epoch."""
    return lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * epoch / epochs)))


def score(model, ids, T: int, rows: int = EVAL_ROWS) -> float:
    """Mean loss per token of ``model`` on ``ids`` read by ``rows`` rows of chunks of ``T``
    (evaluation mode, state carried)."""
    return evaluate(model, truncated_bptt_batches(ids, rows, T))


def train_row(name: str, seed: int, epochs: int | None = None, log=None,
              max_tokens: int | None = None) -> tuple[dict, dict]:
    """Train the row ``name`` with ``seed``; returns (result, weights of the best epoch).

    ``epochs`` overrides the row's budget and ``max_tokens`` keeps only the first tokens of
    each part (both for a quick look, not for the study). The result records the
    validation perplexity after every epoch, the best epoch, the validation and test
    perplexity of its weights (per character, or per word), the number of parameters,
    training tokens per second and seconds."""
    row = ROWS[name]
    data = prepare(row.lang, row.tokens)
    ids = {part: v[:max_tokens] for part, v in data.ids.items()}
    model = build_model(row, data.V, seed)
    batches = truncated_bptt_batches(ids["train"], row.B, row.T)
    valid = truncated_bptt_batches(ids["valid"], EVAL_ROWS, row.T)
    unit = 1.0 if row.tokens == "word" else data.tokens_per_char("valid")
    best = {"ppl": math.inf, "epoch": 0, "params": None}
    clock = {"train": 0.0, "last": time.perf_counter()}
    curve = []

    def on_epoch(epoch, history):
        clock["train"] += time.perf_counter() - clock["last"]
        ppl = math.exp(history.val_losses[-1] * unit)
        curve.append(ppl)
        if ppl < best["ppl"]:
            best.update(ppl=ppl, epoch=epoch,
                        params={k: v.copy() for k, v in model.params.items()})
        if log:
            log(f"  {name} seed {seed} epoch {epoch}: valid {ppl:.3f}")
        clock["last"] = time.perf_counter()

    start = time.perf_counter()
    n_epochs = epochs or row.epochs
    optimizer = Adam(lr=row.lr)

    def on_epoch_then_anneal(epoch, history):
        on_epoch(epoch, history)
        optimizer.lr = cosine_lr(row.lr, epoch, n_epochs)

    train(model, batches, optimizer, epochs=n_epochs, max_grad_norm=row.clip,
          val_batches=valid, on_epoch=on_epoch_then_anneal)
    model.load_params(best["params"])
    model.eval()
    test_unit = 1.0 if row.tokens == "word" else data.tokens_per_char("test")
    test = math.exp(score(model, ids["test"], row.T) * test_unit)
    tokens = n_epochs * len(batches) * row.B * row.T
    result = {
        "row": name, "seed": seed, "lang": row.lang, "tokens": row.tokens, "cell": row.cell,
        "layers": row.layers, "H": row.H, "D": row.D, "T": row.T, "V": data.V,
        "params": int(sum(v.size for v in model.params.values())),
        "epochs": n_epochs, "curve": [round(v, 4) for v in curve],
        "best_epoch": best["epoch"], "valid": round(best["ppl"], 4), "test": round(test, 4),
        "per": "word" if row.tokens == "word" else "char",
        "tokens_per_second": round(tokens / clock["train"]),
        "seconds": round(time.perf_counter() - start, 1),
    }
    return result, best["params"]


def token_log_probs(model, ids, T: int = 64, rows: int = EVAL_ROWS) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    r""":math:`\log p(w_{t+1} \mid w_{\le t})` of every token ``model`` scores in ``ids`` read
    as :func:`score` reads them, with the targets: (log_probs (n,), targets (n,)).
    Chapter 4."""
    model.reset_state()
    out, targets = [], []
    try:
        for xs, ts in truncated_bptt_batches(ids, rows, T):
            s = model.predict(xs).astype(np.float64)  # (rows, T, V)
            s -= s.max(axis=-1, keepdims=True)
            logp = s - np.log(np.exp(s).sum(axis=-1, keepdims=True))
            out.append(np.take_along_axis(logp, ts[..., None], axis=-1)[..., 0].ravel())
            targets.append(ts.ravel())
    finally:
        model.reset_state()
    return np.concatenate(out), np.concatenate(targets)


def loss_by_frequency(model, ngram, split: Split, edges=(0, 100, 1000, None),
                      part: str = "test") -> list[dict]:
    r"""Where a recurrent model and a count model lose: the mean loss per token (nats) on
    the tokens of ``part``, grouped by how often the token occurs in the training text.

    For each group :math:`G = \{t : c(w_t) \in [a, b)\}`: its share of the tokens and
    :math:`-\frac{1}{|G|}\sum_{t \in G} \log p(w_t \mid \cdot)` for both models (the
    recurrent model on the tokens it scores, :func:`token_log_probs`). ``edges``: the
    bounds of the groups (None: no upper bound). Chapter 4."""
    counts = np.bincount(split.ids["train"], minlength=split.V)
    lp_model, targets = token_log_probs(model, split.ids[part])
    ids = split.ids[part]
    lp_count = ngram.token_log_probs(ids)
    rows = []
    for lo, hi in itertools.pairwise(edges):
        upper = np.inf if hi is None else hi
        in_model = (counts[targets] >= lo) & (counts[targets] < upper)
        in_count = (counts[ids] >= lo) & (counts[ids] < upper)
        rows.append({"from": lo, "to": hi, "share": float(in_count.mean()),
                     "model": float(-lp_model[in_model].mean()) if in_model.any() else math.nan,
                     "ngram": float(-lp_count[in_count].mean()) if in_count.any() else math.nan})
    return rows


# --------------------------------------------------------------------------- n-grams
def ngram_model(kind: str, order: int, k: float = 1.0):
    """An unfitted baseline: ``("add-k", n)`` or ``("kn", n)``."""
    if kind == "add-k":
        return AddKNGram(order, k)
    if kind == "kn":
        return KneserNeyNGram(order)
    raise ValueError(f"kind must be 'add-k' or 'kn', got {kind!r}")


def ngram_row(lang: str, tokens: str, kind: str, order: int) -> dict:
    """Validation and test perplexity of one count baseline (per character, or per word);
    add-k's k is the one of ``ADD_K`` best on the validation text."""
    data = prepare(lang, tokens)
    units = {p: (1.0 if tokens == "word" else data.tokens_per_char(p)) for p in data.ids}

    def ppl(model, part):
        return math.exp(-np.mean(model.token_log_probs(data.ids[part])) * units[part])

    candidates = ADD_K if kind == "add-k" else (None,)
    best = None
    for k in candidates:
        model = ngram_model(kind, order, k if k is not None else 1.0)
        model.fit(data.ids["train"], data.V)
        valid = ppl(model, "valid")
        if best is None or valid < best[0]:
            best = (valid, k, model)
    valid, k, model = best
    return {"lang": lang, "tokens": tokens, "kind": kind, "order": order, "k": k,
            "V": data.V, "valid": round(valid, 4), "test": round(ppl(model, "test"), 4),
            "per": "word" if tokens == "word" else "char"}


def all_ngrams(log=print) -> list[dict]:
    """Every baseline of :data:`NGRAMS` for every language and tokenisation."""
    out = []
    for lang, toks in TOKENISATIONS.items():
        for tokens in toks:
            V = prepare(lang, tokens).V
            for kind, order in NGRAMS[tokens]:
                if V ** order >= 2 ** 62:  # the n-gram keys must fit in an int64 (Korean
                    continue  # characters, V = 929, stop at order 6; their best is order 5)
                out.append(ngram_row(lang, tokens, kind, order))
                if log:
                    r = out[-1]
                    log(f"{lang} {tokens} {kind}{order}: valid {r['valid']:.3f} "
                        f"test {r['test']:.3f}")
    return out


# --------------------------------------------------------------------------- the sweep
def _cache_paths(cache: Path, name: str, seed: int) -> tuple[Path, Path]:
    row = ROWS[name]
    trained = {k: v for k, v in vars(row).items() if k not in ("ship", "group")}
    # a row whose training settings change gets a new name: it is trained again
    tag = hashlib.sha256(repr(sorted(trained.items())).encode()).hexdigest()[:10]
    stem = f"{name}-seed{seed}-{tag}"
    return cache / f"{stem}.json", cache / f"{stem}.npz"


def _job(args: tuple) -> dict:
    name, seed, cache = args
    result, params = train_row(name, seed)
    if cache is not None:  # keep the finished run, so that an interrupted sweep resumes
        js, nz = _cache_paths(Path(cache), name, seed)
        buf = io.BytesIO()
        np.savez_compressed(buf, **params)
        tmp = nz.with_suffix(".tmp")
        tmp.write_bytes(buf.getvalue())
        tmp.replace(nz)
        tmp = js.with_suffix(".tmp")
        tmp.write_text(json.dumps(result), encoding="utf-8")
        tmp.replace(js)
    return result


def collect(cache: Path | str, rows=None, seeds=SEEDS) -> list[dict]:
    """The finished runs kept in ``cache`` (of ``rows``, default all), without training."""
    found = []
    for name in rows or ROWS:
        for seed in seeds:
            js, nz = _cache_paths(Path(cache), name, seed)
            if js.exists() and nz.exists():
                found.append(json.loads(js.read_text(encoding="utf-8")))
    return found


def run_sweep(rows=None, seeds=SEEDS, workers: int = 2, cache: Path | str = "_build/lm-cache",
              log=print) -> list[dict]:
    """Train every row of ``rows`` (default: all of :data:`ROWS`) for every seed in
    ``workers`` processes; finished runs are kept in ``cache`` (a run whose row is unchanged
    is read back, not trained again). Returns the results, sorted by row and seed."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    rows = list(rows or ROWS)
    done, jobs = [], []
    for name in rows:
        for seed in seeds:
            js, nz = _cache_paths(cache, name, seed)
            if js.exists() and nz.exists():
                done.append(json.loads(js.read_text(encoding="utf-8")))
            else:
                jobs.append((name, seed, str(cache)))
    def cost(job):  # the longest runs first
        row = ROWS[job[0]]
        return row.epochs * row.layers * len(prepare(row.lang, row.tokens).ids["train"])

    jobs.sort(key=cost, reverse=True)
    if log and done:
        log(f"{len(done)} runs read from {cache}; {len(jobs)} to train")
    for i, r in completed(_job, jobs, workers):
        done.append(r)
        if log:
            log(f"{r['row']:22s} seed {r['seed']}: valid {r['valid']:.3f} test "
                f"{r['test']:.3f} per {r['per']} (best epoch {r['best_epoch']}), "
                f"{r['tokens_per_second']} tokens/s, {r['seconds']:.0f} s ({i}/{len(jobs)})")
    order = {n: i for i, n in enumerate(ROWS)}
    done.sort(key=lambda r: (order.get(r["row"], len(order)), r["seed"]))
    return done


def ship_weights(cache: Path | str, out: Path | str = WEIGHTS_DIR, trained=None) -> dict:
    """Copy seed 0's weights of every row with ``ship=True`` (and in ``trained``, if given)
    from ``cache`` to ``out``, removing other ``.npz`` files there; returns
    ``{row: sha256}``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    digests = {}
    shipped = [n for n, row in ROWS.items() if row.ship and (trained is None or n in trained)]
    for old in out.glob("*.npz"):
        if old.stem not in shipped:
            old.unlink()
    for name in shipped:
        _, nz = _cache_paths(Path(cache), name, 0)
        data = nz.read_bytes()
        tmp = out / f"{name}.npz.tmp"
        tmp.write_bytes(data)
        tmp.replace(out / f"{name}.npz")
        digests[name] = hashlib.sha256(data).hexdigest()
    return digests


# --------------------------------------------------------------------------- reading
def load_results(path=None) -> dict:
    """The stored study (default: ``language_models_results.json`` beside this module)."""
    return json.loads(Path(path or RESULTS_FILE).read_text(encoding="utf-8"))


def best_ngram(results: dict, lang: str, tokens: str | None = None) -> dict:
    """The count baseline of ``lang`` (and ``tokens``, or any tokenisation but words) with
    the lowest validation perplexity: the one a recurrent model has to beat. Chapters 4-6."""
    pool = [r for r in results["ngrams"] if r["lang"] == lang
            and (r["tokens"] == tokens if tokens else r["tokens"] != "word")]
    if not pool:
        raise KeyError(f"no baseline for lang={lang!r}, tokens={tokens!r}")
    return min(pool, key=lambda r: r["valid"])


def load_model(name: str, results: dict | None = None, folder=None) -> DeepLanguageModel:
    """The trained model of the row ``name`` (seed 0, shipped weights), in evaluation mode,
    after checking the file's SHA-256 against the results. Chapters 4-6."""
    results = results or load_results()
    digests = results.get("weights", {})
    if name not in digests:
        raise KeyError(f"no shipped weights for {name!r}; shipped: {sorted(digests)}")
    path = Path(folder or WEIGHTS_DIR) / f"{name}.npz"
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != digests[name]:
        raise ValueError(f"{path} has SHA-256 {digest}, expected {digests[name]}: the file "
                         "was changed or damaged; restore it, or run `make lm` again")
    row = ROWS[name]
    V = prepare(row.lang, row.tokens).V
    model = build_model(row, V, seed=0)
    with np.load(io.BytesIO(data)) as arrays:
        model.load_params({k: arrays[k] for k in arrays.files})
    return model.eval()


# --------------------------------------------------------------------------- the table
def write_table(results: dict, path) -> None:
    """``docs/language_models.md``: every model and baseline, mean ± sd over the seeds."""
    Path(path).write_text(render(results), encoding="utf-8")


def main(argv=None) -> None:
    """``python -m course_rnn.experiments.language_models [--rows ...] [--seeds ...]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", default=None, choices=list(ROWS))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path("_build/lm-cache"))
    parser.add_argument("--out", type=Path, default=RESULTS_FILE)
    parser.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--table", type=Path, default=None)
    parser.add_argument("--collect", action="store_true",
                        help="write the results of the runs already in --cache; train nothing")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    ngrams = all_ngrams()
    if args.collect:
        runs = collect(args.cache, args.rows, tuple(args.seeds))
    else:
        runs = run_sweep(args.rows, tuple(args.seeds), args.workers, args.cache)
    results = {"settings": {"corpus": CORPUS, "word_min_freq": WORD_MIN_FREQ,
                            "eval_rows": EVAL_ROWS, "seeds": list(args.seeds)},
               "rows": {n: vars(r) | {} for n, r in ROWS.items()},
               "ngrams": ngrams, "runs": runs,
               "weights": ship_weights(args.cache, args.weights, {r["row"] for r in runs
                                                                   if r["seed"] == 0}),
               "sweep_seconds": round(time.perf_counter() - start, 1)}
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out} ({len(runs)} runs, {results['sweep_seconds']:.0f} s)")
    if args.table is not None:
        write_table(results, args.table)
        print(f"wrote {args.table}")


if __name__ == "__main__":
    main()
