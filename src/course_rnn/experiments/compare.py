r"""RNN, LSTM and GRU side by side: parameter counts, and the same trainings timed.

- ``parameter_formula`` / ``count_parameters``: :math:`G \cdot H(D + H + b)` with
  :math:`G` = 1, 4, 3 blocks for the RNN, LSTM, GRU (``course_rnn.cells``), against the
  count of a module;
- ``compare_cells``: chapter 5's trainings (``course_rnn.experiments.adding.train_adding`` on the
  adding problem, ``train_char_lm`` on a character corpus) run for each cell with the
  same data, sizes, optimizer and seed, with the wall-clock time of each epoch;
- ``equal_parameter_sizes`` and ``compare_language_models``: numpy language models of real
  text (``course_rnn.deep_lm``), one per cell, at (about) the same number of parameters,
  trained side by side and timed (tokens per second);
- ``study_languages``, ``cell_study``, ``cell_verdict``, ``curve_diagnostics``: reading the
  stored comparison of the language-model study (``course_rnn.experiments.language_models``):
  does a gated cell beat the plain RNN by more than the spread over seeds, and what do the
  learning curves show;
- ``benchmark_rows``: the rows of ``docs/benchmarks.md`` (``make bench``), the speed of
  course_rnn against torch.

Taught in chapter 6. torch is imported only inside the training functions.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_rnn.cells import get_cell


def parameter_formula(cell: str, D: int, H: int, biases: int = 2) -> int:
    r"""Number of parameters of one recurrent layer.

    .. math::

        G \cdot H \cdot (D + H + \text{biases}), \qquad G = 1 \text{ (RNN)}, 4 \text{ (LSTM)},
        3 \text{ (GRU)}

    ``biases=2`` counts torch's ``bias_ih`` and ``bias_hh``; ``biases=1`` the single bias
    of course_rnn's RNN and LSTM (the sum, which is all they compute with). The GRU needs
    both (:math:`b_{hn}` is multiplied by the reset gate), so course_rnn's GRU has
    :math:`3H(D + H + 2)`. G is ``course_rnn.cells.get_cell(cell).blocks`` (the RNN's one
    block, the LSTM's i, f, g, o, the GRU's r, z, n). Taught in chapter 6.
    """
    return get_cell(cell).blocks * H * (D + H + biases)


def count_parameters(module) -> int:
    r"""Number of scalars in a torch module's parameters, :math:`\sum_p |p|`.

    torch: ``sum(p.numel() for p in module.parameters())``. Taught in chapter 6.
    """
    return int(sum(p.numel() for p in module.parameters()))


@dataclass
class CellResult:
    """One cell's training in ``compare_cells``. Taught in chapter 6."""

    cell: str
    parameters: int  # of the whole model (recurrent layer, head, embedding)
    recurrent_parameters: int  # of the recurrent layer alone
    metric: list = field(default_factory=list)  # validation MSE or perplexity, every epoch
    seconds_per_epoch: float = 0.0  # median wall-clock time of an epoch
    model: object = field(default=None, repr=False)
    tokens_per_second: float = 0.0  # language models: training tokens per second

    @property
    def final(self) -> float:
        """The validation metric after the last epoch."""
        return self.metric[-1]


def compare_cells(task: str, train, val, cells=("rnn", "lstm", "gru"), **kwargs) -> dict:
    r"""Run one of chapter 5's trainings for every cell: ``{cell: CellResult}``.

    .. math::

        \text{same data},\ H,\ \text{optimizer, seed} \;\Rightarrow\; \text{only the cell differs}

    Parameters
    ----------
    task : {"adding", "char_lm"}
        ``"adding"``: ``train`` and ``val`` are ``(xs (N, T, 2), ys (N, 1))`` pairs and the
        metric is the validation MSE (``experiments.adding.train_adding``). ``"char_lm"``:
        they are id arrays (n,) and ``kwargs`` must hold ``V``; the metric is the
        validation perplexity (``course_rnn.experiments.adding.train_char_lm``).
    cells : sequence of cell names with a torch module (``course_rnn.cells``)
    **kwargs
        Passed to the training function (``H``, ``epochs``, ``lr``, ``seed``, ``log_every``,
        ``lang`` (the language of the printed lines)...).

    Returns
    -------
    dict
        ``CellResult`` per cell; the time of an epoch is the median over epochs (for
        ``"adding"``, the whole call divided by the number of epochs).

    Notes
    -----
    torch: ``nn.RNN``/``nn.LSTM``/``nn.GRU`` in ``torch_ref.models``. Taught in chapter 6.
    """
    from course_rnn.experiments.adding import train_adding, train_char_lm

    if task not in ("adding", "char_lm"):
        raise ValueError(f"task must be 'adding' or 'char_lm', got {task!r}")
    results = {}
    for cell in cells:
        start = time.perf_counter()
        if task == "adding":
            model, hist = train_adding(cell, train, val, **kwargs)
            metric = hist["val"]
            seconds = (time.perf_counter() - start) / len(metric)
        else:
            model, hist = train_char_lm(cell, train, val, **kwargs)
            metric = hist["val_ppl"]
            seconds = float(np.median(hist["seconds"]))
        results[cell] = CellResult(cell, count_parameters(model), count_parameters(model.rnn),
                                   list(metric), seconds, model)
    return results


# --------------------------------------------------------------------------- real text
def equal_parameter_sizes(V: int, D: int, H_lstm: int, cells=("rnn", "lstm", "gru")) -> dict:
    r"""The hidden size of each cell whose language model has the number of parameters
    nearest to the LSTM's with ``H_lstm``.

    .. math::

        H_c = \arg\min_H \bigl| P_c(V, D, H) - P_\text{lstm}(V, D, H_\text{lstm}) \bigr|,
        \qquad P_c = VD + G_c H (D + H + b_c) + HV + V

    with :math:`G_c` = 1, 4, 3 blocks and :math:`b_c` = 1, 1, 2 biases per block for the
    RNN, LSTM, GRU (``course_rnn.experiments.language_models.parameter_count``, one layer,
    untied; the smaller H on a tie). Returns ``{cell: H}``. Taught in chapter 6.
    """
    from course_rnn.experiments.language_models import parameter_count

    target = parameter_count("lstm", V, D, H_lstm)
    sizes = {}
    for cell in cells:
        H = 1
        while parameter_count(cell, V, D, H + 1) <= target:  # the count grows with H
            H += 1
        below, above = parameter_count(cell, V, D, H), parameter_count(cell, V, D, H + 1)
        sizes[cell] = H if target - below <= above - target else H + 1
    return sizes


_LM_WORDS = {"en": ("epoch", "validation perplexity per character"),
             "ko": ("에폭", "검증 퍼플렉서티(글자당)")}


def compare_language_models(train_ids, valid_ids, V: int, sizes: dict, *, D: int = 32,
                            epochs: int = 2, batch_size: int = 16, time_size: int = 32,
                            lr: float = 1e-2, clip: float = 1.0, seed: int = 0,
                            tokens_per_char: float = 1.0, log_every: int = 1, lang: str = "en",
                            dtype=np.float32) -> dict:
    r"""Train one numpy language model per cell on the same text, and time it.

    .. math::

        \mathrm{PPL}_\text{char} = \exp\Bigl(\bar L_\text{token} \cdot \frac{n_w}{n_c}\Bigr),
        \qquad \text{tokens/s} = \frac{\text{epochs} \cdot K \cdot B \cdot T}
        {\text{seconds spent in the K training steps}}

    Each model is a ``course_rnn.deep_lm.DeepLanguageModel`` with one layer of the cell, no
    dropout and its own output layer (the study's models), trained by
    ``course_rnn.training.train`` with Adam, the global gradient norm clipped at ``clip``,
    truncated BPTT over ``train_ids`` in ``batch_size`` rows of ``time_size`` steps. After
    every epoch the validation text (8 rows, as the study's ``EVAL_ROWS``) is scored,
    outside the timed part.

    Parameters
    ----------
    train_ids, valid_ids : int arrays (n,)
    V : int
        Vocabulary size.
    sizes : dict
        ``{cell: H}``, e.g. from :func:`equal_parameter_sizes`; the models are trained in
        this order.
    D, epochs, batch_size, time_size, lr, clip, seed : as named
        ``seed`` draws the initial weights, the same seed for every cell.
    tokens_per_char : float
        :math:`n_w / n_c` of the validation text (1 for characters, about 2 for Korean
        jamo), to print and store perplexity per character.
    log_every : int
        Print one line (cell, epoch, validation perplexity per character) every
        ``log_every`` epochs and after the last; 0: silent.
    lang : {"en", "ko"}
        Language of the printed lines.
    dtype : numpy float type of the weights (float32, as the study)

    Returns
    -------
    dict
        ``{cell: CellResult}``: ``metric`` the validation perplexity per character after
        every epoch, ``seconds_per_epoch`` the median training time of an epoch,
        ``tokens_per_second`` over all epochs, ``parameters`` of the whole model and
        ``recurrent_parameters`` of its recurrent layer.

    Notes
    -----
    torch: ``course_rnn.torch_ref.models.TorchLanguageModel(V, D, H, cell)``. Taught in
    chapter 6.
    """
    from course_rnn.data.batches import truncated_bptt_batches

    if lang not in _LM_WORDS:
        raise ValueError(f"lang must be one of {tuple(_LM_WORDS)}, got {lang!r}")
    batches = truncated_bptt_batches(train_ids, batch_size, time_size)
    valid = truncated_bptt_batches(valid_ids, 8, time_size)
    setting = dict(D=D, epochs=epochs, lr=lr, clip=clip, seed=seed,
                   tokens_per_char=tokens_per_char, log_every=log_every, lang=lang, dtype=dtype)
    return {cell: _train_lm_cell(cell, H, batches, valid, V, **setting)
            for cell, H in sizes.items()}


def _train_lm_cell(cell, H, batches, valid, V, *, D, epochs, lr, clip, seed, tokens_per_char,
                   log_every, lang, dtype) -> CellResult:
    """One model of ``compare_language_models``: train, score after every epoch, time."""
    from course_rnn.deep_lm import DeepLanguageModel, recurrent_part
    from course_rnn.optim import Adam
    from course_rnn.training import evaluate, train

    words = _LM_WORDS[lang]
    model = DeepLanguageModel(V, D, H, rng=seed, cell=cell, num_layers=1, dropout=0.0,
                              tie_weights=False, dtype=dtype)
    ppl, seconds = [], []
    clock = {"start": time.perf_counter()}

    def on_epoch(epoch, history):
        seconds.append(time.perf_counter() - clock["start"])  # the training steps only
        ppl.append(math.exp(evaluate(model, valid) * tokens_per_char))
        if log_every and (epoch % log_every == 0 or epoch == epochs):
            print(f"{cell:5s} {words[0]} {epoch:2d}: {words[1]} {ppl[-1]:.2f}")
        clock["start"] = time.perf_counter()

    train(model, batches, Adam(lr=lr), epochs=epochs, max_grad_norm=clip, on_epoch=on_epoch)
    xs, _ = batches[0]
    tokens = epochs * len(batches) * xs.size  # B * T per batch
    prefix = recurrent_part(cell, 0) + "."
    return CellResult(cell, int(sum(v.size for v in model.params.values())),
                      int(sum(v.size for k, v in model.params.items() if k.startswith(prefix))),
                      ppl, float(np.median(seconds)), model, tokens / sum(seconds))


# --------------------------------------------------------------------------- the stored study
STUDY_CELLS = ("rnn", "rnn-slow", "lstm", "gru")
"""The rows of the study compared in chapter 6, in the order shown ("rnn-slow": the same
RNN trained with a smaller step)."""
STUDY_TOKENS = {"en": "char", "ko": "jamo"}
"""The tokenisation of each language's comparison of cells (characters; Korean jamo)."""


def cell_study(results: dict, lang: str) -> dict:
    r"""The comparison of cells of one language in the stored study.

    Returns ``{"rows": {cell: row name}, "table": {cell: summary}, "ngram": best
    baseline}``: the rows ``<lang>-<tokens>-<cell>`` of :data:`STUDY_CELLS` that the results
    hold, their ``language_models.summary`` (test perplexity per character of every seed,
    mean, sample standard deviation, parameters, tokens/s) and the count baseline of the
    same tokenisation with the lowest validation perplexity (``best_ngram``).
    Taught in chapter 6.
    """
    from course_rnn.experiments.language_models import best_ngram, summary

    if lang not in STUDY_TOKENS:
        raise ValueError(f"lang must be one of {tuple(STUDY_TOKENS)}, got {lang!r}")
    table = summary(results)
    tokens = STUDY_TOKENS[lang]
    rows = {c: f"{lang}-{tokens}-{c}" for c in STUDY_CELLS if f"{lang}-{tokens}-{c}" in table}
    if not rows:
        names = ", ".join(f"{lang}-{tokens}-{c}" for c in STUDY_CELLS)
        raise KeyError(f"the results hold none of the rows {names}; run `make lm`")
    return {"rows": rows, "table": {c: table[n] for c, n in rows.items()},
            "ngram": best_ngram(results, lang, tokens)}


def study_languages(results: dict) -> list[str]:
    """The languages whose stored study holds a plain RNN, an LSTM and a GRU row (of
    :data:`STUDY_TOKENS`), in the order of :data:`STUDY_TOKENS`. Taught in chapter 6."""
    names = {r["row"] for r in results["runs"]}
    return [lang for lang, tokens in STUDY_TOKENS.items()
            if {f"{lang}-{tokens}-lstm", f"{lang}-{tokens}-gru"} <= names
            and names & {f"{lang}-{tokens}-rnn", f"{lang}-{tokens}-rnn-slow"}]


def cell_verdict(table: dict) -> dict:
    r"""Do the gated cells beat the plain RNN, and which gated cell is better, by more than
    the spread over seeds?

    With the mean :math:`m` and sample standard deviation :math:`s` of each row's test
    perplexity, a row A is **ahead of B by more than the spread** when the intervals
    :math:`m \pm s` do not overlap:

    .. math::

        m_A + s_A < m_B - s_B \iff m_B - m_A > s_A + s_B

    The plain RNN is its better row (``"rnn"`` or ``"rnn-slow"``, lower mean).

    Parameters
    ----------
    table : dict
        ``{cell: summary}`` as :func:`cell_study`'s ``"table"``, with ``"rnn"`` (or
        ``"rnn-slow"``), ``"lstm"`` and ``"gru"``.

    Returns
    -------
    dict
        ``"rnn"``: the RNN row used; ``"gated"``: per gated cell ``{"gap": m_rnn - m,
        "spread": s_rnn + s, "beats": gap > spread, "every_seed": every seed of the cell
        below every seed of the RNN}``; ``"better"``/``"worse"``: the gated cells by mean;
        ``"gated_gap"``, ``"gated_spread"``, ``"gated_separated"`` the same test between the
        two. Taught in chapter 6.
    """
    rnns = [c for c in ("rnn", "rnn-slow") if c in table]
    missing = [c for c in ("lstm", "gru") if c not in table]
    if not rnns or missing:
        raise KeyError(f"cell_verdict needs an RNN row and 'lstm', 'gru'; got {sorted(table)}")
    rnn = min(rnns, key=lambda c: table[c]["mean"])
    r = table[rnn]
    gated = {}
    for c in ("lstm", "gru"):
        gap, spread = r["mean"] - table[c]["mean"], r["sd"] + table[c]["sd"]
        gated[c] = {"gap": gap, "spread": spread, "beats": bool(gap > spread),
                    "every_seed": bool(max(table[c]["test"]) < min(r["test"]))}
    better, worse = sorted(("lstm", "gru"), key=lambda c: table[c]["mean"])
    gap = table[worse]["mean"] - table[better]["mean"]
    spread = table[worse]["sd"] + table[better]["sd"]
    return {"rnn": rnn, "gated": gated, "better": better, "worse": worse, "gated_gap": gap,
            "gated_spread": spread, "gated_separated": bool(gap > spread)}


def curve_diagnostics(results: dict, row: str) -> dict:
    r"""What the learning curves of a row's seeds show: still falling at the end? a jump?

    For each seed's validation curve :math:`p_1, \dots, p_E` (perplexity after each epoch):

    .. math::

        \text{last drop} = \frac{p_{E-1} - p_E}{p_{E-1}}, \qquad
        \text{jump} = \max\Bigl(1, \max_{e \ge 2} \frac{p_e}{\min_{k < e} p_k}\Bigr)

    A positive last drop means the curve was still falling when training stopped; a jump
    above 1 means the validation perplexity rose above the best value seen so far (a
    training that diverged for a while, as a plain RNN with too large a step does), and 1
    that it never did.

    Returns ``{"seeds", "epochs", "best_epoch", "last_drop", "jump"}`` (lists over the
    seeds, in the order of the results). Taught in chapter 6.
    """
    runs = [r for r in results["runs"] if r["row"] == row]
    if not runs:
        raise KeyError(f"no runs of the row {row!r} in the results")
    out = {"seeds": [], "epochs": [], "best_epoch": [], "last_drop": [], "jump": []}
    for r in runs:
        p = np.asarray(r["curve"], dtype=float)  # (E,)
        out["seeds"].append(r["seed"])
        out["epochs"].append(len(p))
        out["best_epoch"].append(r["best_epoch"])
        out["last_drop"].append(float((p[-2] - p[-1]) / p[-2]) if len(p) > 1 else 0.0)
        best_before = np.minimum.accumulate(p)[:-1]  # min_{k<e} p_k for e = 2..E
        out["jump"].append(max(1.0, float(np.max(p[1:] / best_before))) if len(p) > 1 else 1.0)
    return out


# --------------------------------------------------------------------------- benchmarks
def _rate(text: str) -> float:
    """``"34.5k"`` -> 34500.0, ``"1.20M"`` -> 1200000.0, ``"512"`` -> 512.0."""
    scale = {"k": 1e3, "M": 1e6}.get(text[-1:], 1.0)
    return float(text[:-1] if scale != 1.0 else text) * scale


def benchmark_rows(path, model: str | None = None) -> list[dict]:
    r"""The rows of the benchmark table ``docs/benchmarks.md`` written by ``make bench``
    (``course_rnn.torch_ref.bench``), optionally of one ``model`` (e.g. ``"LSTM LM"``).

    Each row: ``threads``, ``model``, ``shape`` (a tuple; ``(N, T, V, D, H)`` for a
    language model), ``dtype``, ``ours_ms``, ``torch_ms``, ``ratio`` (course_rnn's time
    over torch's) and ``tokens`` (course_rnn's and torch's tokens per second, or None).
    Raises ``ValueError`` if the file has no benchmark table. Taught in chapter 6.
    """
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 10 or not cells[0].isdigit():
            continue  # the header, the separator, or prose
        tokens = None
        if cells[9] != "-":
            tokens = tuple(_rate(v.strip()) for v in cells[9].split("/"))
        rows.append({"threads": int(cells[0]), "model": cells[1],
                     "shape": tuple(int(v) for v in re.findall(r"\d+", cells[2])),
                     "dtype": cells[3], "ours_ms": float(cells[4]),
                     "torch_ms": float(cells[5]), "ratio": float(cells[6]), "tokens": tokens})
    if not rows:
        raise ValueError(f"{path} holds no benchmark table (the rows of `make bench`: "
                         "| threads | model | shape | dtype | ... |)")
    return [r for r in rows if model is None or r["model"] == model]
