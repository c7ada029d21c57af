r"""Long sequences: where the LSTM and the GRU stop learning the adding problem, and how a
strided Conv1D in front of them helps. Taught in chapter 8.

The task is the adding problem of chapter 5 (``course_rnn.data.tasks.adding_problem``): T
steps of :math:`x_t = (v_t, m_t)`, :math:`v_t \sim U(0, 1)`, two markers, one in each half,
and the target :math:`y = v_a + v_b`. Predicting the mean gives the baseline
:math:`\mathrm{MSE} = 1/6`. The first marker lies on average :math:`3T/4` steps before the
end, so the dependency grows with T.

The models (``build_model``), all numpy layers of ``course_rnn``:

.. math::

    \text{plain:}\quad x_{1..T} \to \mathrm{LSTM/GRU}_H \to h_T W + b, \qquad
    \text{conv:}\quad x_{1..T} \to \mathrm{Conv1D}(K = s,\ \text{stride } s)
    \to \mathrm{LSTM/GRU}_H \text{ over } \lfloor T/s \rfloor \text{ steps} \to h W + b

A convolution with :math:`K = s` and stride :math:`s` reads every input exactly once, in
blocks of s steps (``MODELS``: s = 4 and 8, 16 channels, so with :math:`C \ge 2s` it can pass
the whole block on): the recurrent layer then has s times fewer steps to carry the first
marked value over. A linear convolution cannot form the products :math:`m_k v_k` the answer
needs; followed by a ReLU (``"conv4relu_<cell>"``) it can, since
:math:`\max(0, v_k + m_k - 1) = m_k v_k` for :math:`0 \le v_k < 1`. Every model runs at
``LENGTHS``; the GRU alone and behind the ReLU convolution also at ``LONG_LENGTHS``.

What is held fixed across T (``SETTINGS``): the hidden size, the batch size, Adam's
learning rate, the gradient clipping, the number of updates, a fresh stream of training
sequences (every batch is new), and one validation set of 1000 sequences per T.
``train_one`` trains one configuration; ``run_sweep`` all of them over several seeds, in
parallel processes; ``python -m course_rnn.experiments.long_range --out FILE`` writes the
results as JSON, and ``load_results`` reads the copy shipped with the package
(``long_range_results.json``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from course_rnn.conv import Conv1D, init_conv1d_params
from course_rnn.data.tasks import adding_problem
from course_rnn.experiments._pool import completed
from course_rnn.gru import TimeGRU, init_gru_params
from course_rnn.layers import MSELoss, TimeAffine
from course_rnn.lstm import TimeLSTM, init_lstm_params
from course_rnn.models import LastStep, Sequential
from course_rnn.optim import Adam
from course_rnn.training import train

SETTINGS = {"H": 32, "channels": 16, "batch_size": 32, "lr": 0.01, "max_grad_norm": 1.0,
            "updates": 1500, "eval_every": 100, "n_valid": 500}
"""What every run shares: hidden size, conv channels, batch size, Adam's learning rate,
clipping norm, number of updates, how often (in updates) the validation MSE is measured,
and the size of the validation set."""

MODELS = ("lstm", "conv4_lstm", "conv8_lstm", "conv4relu_lstm",
          "gru", "conv4_gru", "conv8_gru", "conv4relu_gru")
"""``"<cell>"``: the recurrent layer alone; ``"conv<s>_<cell>"``: a linear Conv1D with
K = s and stride s in front of it; ``"conv<s>relu_<cell>"``: the same convolution followed
by a ReLU."""
LENGTHS = (50, 100, 200, 400)
LONG_LENGTHS = (800, 1600)
"""The GRU alone and behind the ReLU convolution also run at these lengths."""
SEEDS = (0, 1, 2)
GRID = (tuple((m, T) for m in MODELS for T in LENGTHS)
        + tuple((m, T) for m in ("gru", "conv4relu_gru") for T in LONG_LENGTHS))
"""The (model, T) pairs of the sweep: every model at every length of ``LENGTHS``, and the
GRU with and without the ReLU convolution at ``LONG_LENGTHS``."""
SOLVED = 0.01
"""A run counts as solved once its validation MSE is below this (the baseline is 1/6)."""

LABELS = {m: {lang: (m.upper() if "_" not in m else
                     f"Conv1D(s={m[4]}){' + ReLU' if 'relu' in m else ''} + "
                     f"{m.split('_')[1].upper()}") for lang in ("ko", "en")}
          for m in MODELS}

RESULTS_FILE = Path(__file__).with_name("long_range_results.json")
VALID_SEED = 10_000


class SequenceConv:
    r"""A ``course_rnn.conv.Conv1D`` on batch-first sequences: ``(N, T, C_in) -> (N, L, C_out)``,
    optionally followed by a ReLU.

    .. math::

        z_{n,l,o} = b_o + \sum_{c,k} W_{o,c,k}\, x_{n,\,l s + k,\,c}, \qquad
        y = z \ \text{(linear)} \quad\text{or}\quad y = \max(z, 0) \ \text{(relu)}

    The recurrent layers read ``(N, T, D)``, the convolution ``(N, C, L)`` (channels first,
    as torch): this layer transposes on the way in and out. ``params``/``grads`` are the
    convolution's. torch: ``nn.Conv1d`` applied to ``x.transpose(1, 2)``, then
    ``torch.relu`` if ``relu``. Taught in chapter 8.
    """

    def __init__(self, W, b, stride: int = 1, relu: bool = False):
        self.conv = Conv1D(W, b, stride=stride)
        self.relu = relu
        self.mask = None
        self.params, self.grads = self.conv.params, self.conv.grads

    def forward(self, xs) -> np.ndarray:
        y = self.conv.forward(np.ascontiguousarray(xs.transpose(0, 2, 1)))  # (N, C_out, L)
        if self.relu:
            self.mask = y > 0
            y = y * self.mask
        return y.transpose(0, 2, 1)  # (N, L, C_out)

    def backward(self, dy) -> np.ndarray:
        dy = np.ascontiguousarray(dy.transpose(0, 2, 1))  # (N, C_out, L)
        if self.relu:
            dy = dy * self.mask  # the ReLU passes the gradient where it was open
        dx = self.conv.backward(dy)  # (N, C_in, T)
        return dx.transpose(0, 2, 1)


def parse_model(model: str) -> tuple[str, int]:
    """``"conv4_gru"`` -> ``("gru", 4)``, ``"lstm"`` -> ``("lstm", 1)``: the recurrent cell and
    the stride of the convolution in front of it (1: none). ``"conv4relu_gru"`` also gives
    ``("gru", 4)``; ``has_relu`` tells the two apart."""
    front, _, cell = model.rpartition("_")
    digits = front[4:].removesuffix("relu")
    if cell not in ("lstm", "gru") or not (front == "" or (
            front.startswith("conv") and digits.isdigit() and int(digits) >= 1)):
        raise ValueError(f"model must be 'lstm', 'gru', 'conv<s>_<cell>' or "
                         f"'conv<s>relu_<cell>' (e.g. {MODELS}), got {model!r}")
    return cell, int(digits) if front else 1


def has_relu(model: str) -> bool:
    """Whether the convolution of ``model`` is followed by a ReLU (``"conv<s>relu_<cell>"``)."""
    parse_model(model)
    return model.rpartition("_")[0].endswith("relu")


def build_model(model: str, rng, H: int | None = None, channels: int | None = None,
                dtype=np.float32) -> Sequential:
    r"""A regressor for the adding problem: [Conv1D] -> LSTM or GRU -> last state -> affine.

    .. math::

        \hat y = h_{T'} W + b, \qquad T' = T \text{ (plain) or } \lfloor T/s \rfloor
        \text{ (conv)}

    Parameters
    ----------
    model : str
        ``"lstm"``, ``"gru"``, or ``"conv<s>_lstm"``, ``"conv<s>_gru"`` (``MODELS``): a
        Conv1D with K = s and stride s in front; ``"conv<s>relu_lstm"``,
        ``"conv<s>relu_gru"``: the same convolution followed by a ReLU.
    rng : numpy.random.Generator or int
        The initial weights (torch's initialisation: ``init_lstm_params``,
        ``init_gru_params``, ``init_conv1d_params``; the output layer
        :math:`U(-1/\sqrt H, 1/\sqrt H)`, zero bias).
    H, channels : int, optional
        Hidden size and conv channels; default ``SETTINGS``.

    Returns
    -------
    Sequential
        ``forward(xs (N, T, 2), ys (N, 1)) -> MSE``, ``predict(xs) -> (N, 1)``.

    Notes
    -----
    torch: ``nn.Conv1d(2, C, s, stride=s)`` then ``nn.LSTM``/``nn.GRU(batch_first=True)``
    and ``nn.Linear(H, 1)`` on the last state. Taught in chapter 8.
    """
    cell, s = parse_model(model)
    rng = np.random.default_rng(rng)
    H = SETTINGS["H"] if H is None else H
    C = SETTINGS["channels"] if channels is None else channels
    layers, D = [], 2
    if s > 1:
        p = init_conv1d_params(2, C, s, rng, dtype)  # W (C, 2, s), b (C,)
        layers.append(SequenceConv(p["W"], p["b"], stride=s, relu=has_relu(model)))
        D = C
    if cell == "lstm":
        layers.append(TimeLSTM(**init_lstm_params(D, H, rng, dtype)))
    else:
        layers.append(TimeGRU(**init_gru_params(D, H, rng, dtype)))
    k = 1.0 / np.sqrt(H)
    head = TimeAffine(rng.uniform(-k, k, (H, 1)).astype(dtype), np.zeros(1, dtype))
    return Sequential([*layers, LastStep(), head], MSELoss(), predict_batch=500)


def validation_set(T: int, n: int | None = None):
    """The validation sequences of length T, the same for every model and seed."""
    n = SETTINGS["n_valid"] if n is None else n
    return adding_problem(n, T, np.random.default_rng(VALID_SEED + T))


def validation_mse(model: Sequential, xs, ys) -> float:
    r"""Mean squared error of ``model.predict(xs)`` against ``ys``,
    :math:`\frac1N\sum_n (\hat y_n - y_n)^2`, in float64. Taught in chapter 8."""
    pred = model.predict(xs).astype(np.float64)
    return float(np.mean((pred - ys) ** 2))


def train_one(model: str, T: int, seed: int, updates: int | None = None,
              log_every: int = 0, lang: str = "en", **overrides) -> dict:
    r"""Train one configuration on a fresh stream of adding problems; the validation curve.

    .. math::

        \theta \leftarrow \mathrm{Adam}\bigl(\theta, \mathrm{clip}(\nabla_\theta
        \tfrac1B \textstyle\sum_{n} (\hat y_n - y_n)^2)\bigr), \quad
        \text{every batch drawn anew}

    The initial weights and the training stream come from ``seed``; the validation set from
    T alone (``validation_set``). Prints one rounded line every ``log_every`` updates (a
    multiple of ``eval_every``; 0: silent), in English or Korean (``lang``).

    Parameters
    ----------
    model : str
        As for ``build_model`` (``MODELS``).
    T : int
        Sequence length.
    seed : int
    updates : int, optional
        Number of updates (default ``SETTINGS["updates"]``).
    **overrides
        Any other key of ``SETTINGS`` (``H``, ``lr``, ``channels``, ...).

    Returns
    -------
    dict
        ``model``, ``T``, ``seed``, ``updates``, ``curve`` (validation MSE after every
        ``eval_every`` updates), ``val_mse`` (the last of them), ``solved_at`` (the first
        update count with a validation MSE below ``SOLVED``, or None) and ``seconds``.

    Notes
    -----
    torch: the same loop with ``torch.optim.Adam`` and ``clip_grad_norm_``. Taught in
    chapter 8.
    """
    cfg = {**SETTINGS, **overrides}
    if updates is not None:
        cfg["updates"] = updates
    every = cfg["eval_every"]
    if cfg["updates"] % every:
        raise ValueError(f"updates ({cfg['updates']}) must be a multiple of eval_every ({every})")
    rng = np.random.default_rng(seed)
    net = build_model(model, rng, cfg["H"], cfg["channels"])
    stream = np.random.default_rng([seed, T])  # the training sequences
    xv, yv = validation_set(T, cfg["n_valid"])
    curve: list[float] = []
    if lang not in ("en", "ko"):
        raise ValueError(f"lang must be 'en' or 'ko', got {lang!r}")
    words = {"en": ("seed", "update", "training MSE", "validation MSE"),
             "ko": ("시드", "업데이트", "학습 MSE", "검증 MSE")}[lang]
    label = f"{model} T={T} {words[0]} {seed}"

    def batches(epoch: int) -> list:  # one "epoch" = eval_every fresh batches
        return [adding_problem(cfg["batch_size"], T, stream) for _ in range(every)]

    def on_epoch(epoch: int, history) -> None:
        curve.append(validation_mse(net, xv, yv))
        done = epoch * every
        if log_every and done % log_every == 0:
            print(f"{label}: {words[1]} {done:4d}, {words[2]} {history.epoch_losses[-1]:.3f}, "
                  f"{words[3]} {curve[-1]:.3f}")

    start = time.perf_counter()
    train(net, batches, Adam(cfg["lr"]), epochs=cfg["updates"] // every, bptt="full",
          max_grad_norm=cfg["max_grad_norm"], on_epoch=on_epoch)
    solved = [(i + 1) * every for i, v in enumerate(curve) if v < SOLVED]
    return {"model": model, "T": T, "seed": seed, "updates": cfg["updates"],
            "curve": [round(v, 6) for v in curve], "val_mse": round(curve[-1], 6),
            "solved_at": solved[0] if solved else None,
            "seconds": round(time.perf_counter() - start, 2)}


def _job(args: tuple) -> dict:
    model, T, seed, cfg, cache = args
    result = train_one(model, T, seed, **cfg)
    if cache is not None:  # keep the finished run, so that an interrupted sweep resumes
        path = Path(cache) / _cache_name(model, T, seed, cfg)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(result), encoding="utf-8")
        tmp.replace(path)
    return result


def _cache_name(model: str, T: int, seed: int, cfg: dict) -> str:
    tag = "-".join(f"{k}{v}" for k, v in sorted(cfg.items()))
    return f"{model}-T{T}-seed{seed}-{tag}.json"


def run_sweep(grid=GRID, seeds=SEEDS, workers: int = 2, log=print, cache=None) -> dict:
    r"""Train every (model, T) of ``grid`` for every seed with ``SETTINGS``, in ``workers``
    processes.

    .. math::

        \{(\text{model}, T, \text{seed}) \mapsto \mathrm{MSE}_\text{valid}
        \text{ after } U \text{ updates}\}

    The longest runs start first; one line per finished run goes to ``log``. With a
    ``cache`` folder, each finished run is kept there and read back instead of trained
    again (delete the folder after changing the code). Returns
    ``{"settings": SETTINGS, "solved": SOLVED, "runs": [train_one(...), ...]}`` with the
    runs sorted by model, T and seed. Taught in chapter 8.
    """
    runs, jobs, cfg = [], [], dict(SETTINGS)  # the workers get these settings
    if cache is not None:
        Path(cache).mkdir(parents=True, exist_ok=True)
    for m, T in grid:
        for s in seeds:
            kept = Path(cache) / _cache_name(m, T, s, cfg) if cache is not None else None
            if kept is not None and kept.exists():
                runs.append(json.loads(kept.read_text(encoding="utf-8")))
            else:
                jobs.append((m, T, s, cfg, None if cache is None else str(cache)))
    jobs.sort(key=lambda j: -j[1] / parse_model(j[0])[1])  # the most recurrent steps first
    for done, r in completed(_job, jobs, workers):
        runs.append(r)
        if log:
            log(f"{r['model']:14s} T={r['T']:4d} seed {r['seed']}: validation MSE "
                f"{r['val_mse']:.4f}, solved at {r['solved_at']}, {r['seconds']:.0f} s "
                f"({done}/{len(jobs)})")
    runs.sort(key=lambda r: (MODELS.index(r["model"]) if r["model"] in MODELS else len(MODELS),
                             r["model"], r["T"], r["seed"]))
    return {"settings": cfg, "solved": SOLVED, "runs": runs}


def load_results(path=None) -> dict:
    """The stored sweep (default: ``long_range_results.json`` beside this module)."""
    return json.loads(Path(path or RESULTS_FILE).read_text(encoding="utf-8"))


def find_run(results: dict, model: str, T: int, seed: int) -> dict:
    """The run of ``results`` for one (model, T, seed); KeyError if it is not there."""
    for r in results["runs"]:
        if (r["model"], r["T"], r["seed"]) == (model, T, seed):
            return r
    raise KeyError(f"no stored run for {model} T={T} seed {seed}")


def summary(results: dict) -> dict:
    r"""Final validation MSE per (model, T): every seed, mean, standard deviation, and
    how many seeds solved the task.

    .. math::

        \bar m = \frac1S \sum_s m_s, \qquad
        \mathrm{sd} = \sqrt{\tfrac{1}{S - 1} \textstyle\sum_s (m_s - \bar m)^2}

    Returns ``{(model, T): {"mse": [...], "mean", "sd", "solved": k, "seeds": S}}``.
    Taught in chapter 8.
    """
    out: dict = {}
    for r in results["runs"]:
        out.setdefault((r["model"], r["T"]), []).append(r)
    table = {}
    for key, runs in out.items():
        mse = np.array([r["val_mse"] for r in runs])
        table[key] = {"mse": mse.tolist(), "mean": float(mse.mean()),
                      "sd": float(mse.std(ddof=1)) if len(mse) > 1 else 0.0,
                      "solved": sum(r["solved_at"] is not None for r in runs),
                      "solved_at": [r["solved_at"] for r in runs], "seeds": len(runs)}
    return table


def main(argv=None) -> None:
    """``python -m course_rnn.experiments.long_range --out FILE [--workers 2]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS_FILE)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder keeping finished runs (an interrupted sweep resumes)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = run_sweep(workers=args.workers, cache=args.cache)
    results["sweep_seconds"] = round(time.perf_counter() - start, 1)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(results['runs'])} runs, {results['sweep_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
