r"""The forecasting benchmark of chapters 7 and 8: Hands-On ML's table, reproduced.

Data (Géron, *Hands-On Machine Learning*, 2nd ed., chapter 15): each series is

.. math::

    x(t) = 0.5 \sin\bigl((t - o_1)(10 f_1 + 10)\bigr) + 0.2 \sin\bigl((t - o_2)(20 f_2 + 20)\bigr)
    + 0.1\,(u - 0.5), \qquad t \in \mathrm{linspace}(0, 1, n)

with :math:`f_1, f_2, o_1, o_2 \sim U(0, 1)` per series and :math:`u \sim U(0, 1)` per step.
10,000 series, 7000 / 2000 / 1000 for training / validation / test, 50 input steps. Three
tasks: the next value (``"next"``), the next ten values from the last step (``"ahead"``), and
the next ten values from every step (``"seq2seq"``, scored on the last step).

Every row of the published table is a key of ``PUBLISHED``; ``run_row(key)`` trains it for 20
epochs with Adam on batches of 32, as the book did, in numpy (``course_rnn.forecast_models``)
or in torch (``course_rnn.forecast_torch``, the same initial weights), and returns the
validation MSE after the last epoch. ``run_rows`` trains several rows in parallel processes.
``python -m course_rnn.forecast`` is the 3-seed benchmark (``docs/forecasting.md``).
Taught in chapter 7 (the first thirteen rows) and chapter 8 (the two convolutional ones).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from course_rnn.forecast_models import Conv, Dense, Flatten, Recurrent, Stack
from course_rnn.optim import Adam

N_SERIES, N_STEPS, AHEAD = 10_000, 50, 10
SPLIT = (7000, 9000)  # train: [:7000], valid: [7000:9000], test: [9000:]

PUBLISHED = {
    "naive": 0.0202, "linear": 0.00417, "simple_rnn_1": 0.0109, "deep_rnn": 0.00291,
    "deep_rnn_dense": 0.00262,
    "ahead_naive": 0.257, "ahead_iterative": 0.0275, "ahead_linear": 0.0187,
    "ahead_rnn_dense": 0.0085,
    "s2s_rnn": 0.0096, "s2s_ln_rnn": 0.0121, "s2s_lstm": 0.0086, "s2s_gru": 0.0103,
    "s2s_conv_gru": 0.0080, "s2s_wavenet": 0.0072,
}
"""Validation MSE of each row in Hands-On ML 2nd ed., chapter 15 notebook (Keras, CPU)."""

ROWS = tuple(PUBLISHED)
CHAPTER_ROWS = {7: ROWS[:13], 8: ROWS[13:]}

ROW_LABELS = {
    "naive": {"ko": "순진한 예측(마지막 값)", "en": "naive (last value)"},
    "linear": {"ko": "선형 모델", "en": "linear"},
    "simple_rnn_1": {"ko": "SimpleRNN(1)", "en": "SimpleRNN(1)"},
    "deep_rnn": {"ko": "심층 RNN 20-20-1", "en": "deep RNN 20-20-1"},
    "deep_rnn_dense": {"ko": "심층 RNN 20-20 + Dense", "en": "deep RNN 20-20 + Dense"},
    "ahead_naive": {"ko": "10단계: 순진한 예측", "en": "10 ahead: naive"},
    "ahead_iterative": {"ko": "10단계: 한 단계씩 반복", "en": "10 ahead: iterative"},
    "ahead_linear": {"ko": "10단계: 선형 모델", "en": "10 ahead: linear"},
    "ahead_rnn_dense": {"ko": "10단계: RNN + Dense(10)", "en": "10 ahead: RNN + Dense(10)"},
    "s2s_rnn": {"ko": "seq2seq: SimpleRNN", "en": "seq2seq: SimpleRNN"},
    "s2s_ln_rnn": {"ko": "seq2seq: 층 정규화 RNN", "en": "seq2seq: layer-norm RNN"},
    "s2s_lstm": {"ko": "seq2seq: LSTM", "en": "seq2seq: LSTM"},
    "s2s_gru": {"ko": "seq2seq: GRU", "en": "seq2seq: GRU"},
    "s2s_conv_gru": {"ko": "seq2seq: Conv1D + GRU", "en": "seq2seq: Conv1D + GRU"},
    "s2s_wavenet": {"ko": "seq2seq: WaveNet 방식", "en": "seq2seq: WaveNet-style"},
}


def generate_time_series(n_series: int, n_steps: int, rng) -> np.ndarray:
    r"""``n_series`` noisy sums of two sines, shape ``(n_series, n_steps, 1)``, float32.

    .. math::

        x_{n}(t) = 0.5 \sin((t - o_1)(10 f_1 + 10)) + 0.2 \sin((t - o_2)(20 f_2 + 20))
        + 0.1 (u_{n,t} - 0.5)

    ``rng``: a ``numpy.random.Generator`` or a seed. Taught in chapter 7.
    """
    rng = np.random.default_rng(rng)
    if n_series < 1 or n_steps < 1:
        raise ValueError(f"n_series and n_steps must be >= 1, got {n_series} and {n_steps}")
    f1, f2, o1, o2 = rng.random((4, n_series, 1))
    t = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((t - o1) * (f1 * 10 + 10))
    series += 0.2 * np.sin((t - o2) * (f2 * 20 + 20))
    series += 0.1 * (rng.random((n_series, n_steps)) - 0.5)
    return series[..., None].astype(np.float32)


class Task(NamedTuple):
    """The three splits of a task: inputs ``X (N, 50, 1)`` and targets ``Y``."""

    X_train: np.ndarray
    Y_train: np.ndarray
    X_valid: np.ndarray
    Y_valid: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray


TASKS = ("next", "ahead", "seq2seq")


def load_task(task: str, seed: int = 42) -> Task:
    r"""The data of one task, generated from ``seed`` (the same seed gives the same series).

    .. math::

        \text{next: } Y = x_{51}, \qquad \text{ahead: } Y = (x_{51}, \dots, x_{60}), \qquad
        \text{seq2seq: } Y_{t,k} = x_{t+k}, \; t = 1..50,\ k = 1..10

    Shapes: X (N, 50, 1); Y (N, 1), (N, 10) or (N, 50, 10). "ahead" and "seq2seq" share
    their series. Taught in chapter 7.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    extra = 1 if task == "next" else AHEAD
    series = generate_time_series(N_SERIES, N_STEPS + extra, np.random.default_rng([seed, extra]))
    X = series[:, :N_STEPS]
    if task == "next":
        Y = series[:, -1]  # (N, 1)
    elif task == "ahead":
        Y = series[:, -AHEAD:, 0]  # (N, 10)
    else:
        Y = np.stack([series[:, k : k + N_STEPS, 0] for k in range(1, AHEAD + 1)], axis=-1)
    a, b = SPLIT
    return Task(X[:a], Y[:a], X[a:b], Y[a:b], X[b:], Y[b:])


def score(key: str, pred: np.ndarray, Y: np.ndarray) -> float:
    r"""The row's validation metric: the MSE, on the last step only for seq2seq rows.

    .. math::

        \mathrm{MSE} = \frac{1}{N k}\sum_{n,j} (\hat y_{n,j} - y_{n,j})^2

    (Keras's ``last_time_step_mse`` for the seq2seq rows.) Taught in chapter 7.
    """
    if pred.shape != Y.shape:
        raise ValueError(f"{key}: predictions have shape {pred.shape}, targets {Y.shape}")
    if key.startswith("s2s_"):
        pred, Y = pred[:, -1], Y[:, -1]
    return float(np.mean((pred.astype(np.float64) - Y) ** 2))


# ----------------------------------------------------------------------------- the rows

_H = 20


def _rnn_stack(cell: str, rng, out: int, sequences_out: bool, dtype) -> list:
    return [Recurrent(cell, 1, _H, rng, dtype=dtype),
            Recurrent(cell, _H, _H, rng, sequences=sequences_out, dtype=dtype),
            Dense(_H, out, rng, dtype=dtype)]


def build_model(key: str, rng, dtype=np.float32) -> Stack:
    r"""The numpy model of a row, with Keras's initialisation drawn from ``rng``.

    .. math::

        \text{e.g. deep RNN + Dense: } x \to \mathrm{RNN}_{20} \to \mathrm{RNN}_{20}
        \to h_T W + b

    Every row of ``PUBLISHED`` but the naive ones (which are not trained). Taught in
    chapters 7 and 8.
    """
    rng = np.random.default_rng(rng)
    kw = {"dtype": dtype}
    if key in ("linear", "ahead_linear"):
        layers = [Flatten(), Dense(N_STEPS, 1 if key == "linear" else AHEAD, rng, **kw)]
    elif key == "simple_rnn_1":
        layers = [Recurrent("rnn", 1, 1, rng, sequences=False, **kw)]
    elif key == "deep_rnn":
        layers = [Recurrent("rnn", 1, _H, rng, **kw), Recurrent("rnn", _H, _H, rng, **kw),
                  Recurrent("rnn", _H, 1, rng, sequences=False, **kw)]
    elif key in ("deep_rnn_dense", "ahead_rnn_dense"):
        layers = _rnn_stack("rnn", rng, 1 if key == "deep_rnn_dense" else AHEAD, False, dtype)
    elif key in ("s2s_rnn", "s2s_ln_rnn", "s2s_lstm", "s2s_gru"):
        layers = _rnn_stack(key[4:], rng, AHEAD, True, dtype)
    elif key == "s2s_conv_gru":
        layers = [Conv(1, _H, 4, rng, stride=2, **kw), Recurrent("gru", _H, _H, rng, **kw),
                  Recurrent("gru", _H, _H, rng, **kw), Dense(_H, AHEAD, rng, **kw)]
    elif key == "s2s_wavenet":
        layers = []
        for i, d in enumerate((1, 2, 4, 8) * 2):
            layers.append(Conv(1 if i == 0 else _H, _H, 2, rng, padding="causal", dilation=d,
                               relu=True, **kw))
        layers.append(Conv(_H, AHEAD, 1, rng, **kw))
    else:
        raise ValueError(f"no model for row {key!r}; trained rows: {TRAINED_ROWS}")
    return Stack(layers)


TRAINED_ROWS = tuple(k for k in ROWS if k not in ("naive", "ahead_naive", "ahead_iterative"))
LEARNING_RATE = {"simple_rnn_1": 0.005, "s2s_rnn": 0.01}  # as in the book; others 0.001
_TASK_OF = {k: "next" if not k.startswith(("ahead", "s2s")) else
            ("ahead" if k.startswith("ahead") else "seq2seq") for k in ROWS}


def task_of(key: str) -> str:
    """The task (``"next"``, ``"ahead"`` or ``"seq2seq"``) a row is scored on."""
    if key not in _TASK_OF:
        raise ValueError(f"unknown row {key!r}; rows: {ROWS}")
    return _TASK_OF[key]


def targets(key: str, Y: np.ndarray) -> np.ndarray:
    """The targets a row trains on: Conv1D + GRU predicts every other step from step 4."""
    return Y[:, 3::2] if key == "s2s_conv_gru" else Y


@dataclass
class RowResult:
    """One trained (or computed) row: validation MSE after the last epoch, and more."""

    key: str
    backend: str
    seed: int
    mse: float
    seconds: float = 0.0
    curve: np.ndarray = field(default_factory=lambda: np.zeros(0))  # valid MSE per epoch
    params: list = field(default_factory=list)  # numpy parameters of every layer
    example: dict = field(default_factory=dict)  # x, y, pred of 3 validation series

    @property
    def published(self) -> float:
        return PUBLISHED[self.key]

    @property
    def ratio(self) -> float:
        return self.mse / self.published


def _example(task: Task, key: str, pred: np.ndarray) -> dict:
    return {"x": task.X_valid[:3, :, 0], "y": targets(key, task.Y_valid[:3]), "pred": pred[:3]}


def iterative_forecast(model: Stack, X: np.ndarray, steps: int = AHEAD) -> np.ndarray:
    r"""Forecast ``steps`` values with a one-step model, feeding each prediction back in.

    .. math::

        \hat x_{T+j} = f(x_{j}, \dots, x_{T}, \hat x_{T+1}, \dots, \hat x_{T+j-1})

    The window keeps its length T (the model was trained on 50 steps). X (N, T, 1) ->
    (N, steps). Taught in chapter 7.
    """
    window = X
    preds = []
    for _ in range(steps):
        y = model.predict(window)  # (N, 1)
        preds.append(y[:, 0])
        window = np.concatenate([window[:, 1:], y[:, None, :]], axis=1)
    return np.stack(preds, axis=1)


def _log_epoch(log, key, backend, epoch, epochs, train_loss, valid):
    if log is not None and (epoch % 5 == 0 or epoch == epochs):
        log(f"{key:16s} [{backend}] epoch {epoch:2d}/{epochs}  train {train_loss:.4f}  "
            f"valid {valid:.4f}")


def train_numpy(key: str, seed: int = 42, epochs: int = 20, batch_size: int = 32,
                log: Callable[[str], None] | None = print) -> RowResult:
    r"""Train the numpy model of a row with Adam and return its result.

    .. math::

        \theta \leftarrow \mathrm{Adam}(\theta, \nabla_\theta L_{\text{batch}}), \qquad
        \text{20 epochs of shuffled batches of 32}

    The initial weights and the batch order come from ``seed`` and the row; the data from
    ``seed``. Taught in chapter 7.
    """
    task = load_task(task_of(key), seed)
    rng = np.random.default_rng([seed, ROWS.index(key), 7])
    model = build_model(key, rng)
    layers = model.trainable()
    opts = [Adam(LEARNING_RATE.get(key, 0.001), eps=1e-7) for _ in layers]
    Y_train, Y_valid = targets(key, task.Y_train), targets(key, task.Y_valid)
    start, curve = time.perf_counter(), []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(task.X_train))
        total = 0.0
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            total += model.loss_and_grads(task.X_train[idx], Y_train[idx]) * len(idx)
            for layer, opt in zip(layers, opts, strict=True):
                opt.update(layer.params, layer.grads)
        pred = model.predict(task.X_valid)
        curve.append(score(key, pred, Y_valid))
        _log_epoch(log, key, "numpy", epoch, epochs, total / len(order), curve[-1])
    return RowResult(key, "numpy", seed, curve[-1], time.perf_counter() - start,
                     np.array(curve), [dict(layer.params) for layer in layers],
                     _example(task, key, pred))


def model_from_params(key: str, params: list) -> Stack:
    """Rebuild a row's numpy model and load trained parameters (``RowResult.params``)."""
    model = build_model(key, 0)
    layers = model.trainable()
    if len(layers) != len(params):
        raise ValueError(f"{key}: {len(params)} parameter dicts for {len(layers)} layers")
    for layer, p in zip(layers, params, strict=True):
        for name, value in p.items():
            if layer.params[name].shape != value.shape:
                raise ValueError(f"{key}: {name} has shape {value.shape}, the model's "
                                 f"{layer.params[name].shape}")
            layer.params[name] = np.array(value)
    return model


def naive_row(key: str, seed: int = 42) -> RowResult:
    r"""The rows that need no training: repeat the last value of the input.

    .. math::

        \hat x_{T+k} = x_T

    Taught in chapter 7.
    """
    if key not in ("naive", "ahead_naive"):
        raise ValueError(f"naive_row computes 'naive' and 'ahead_naive', got {key!r}")
    task = load_task(task_of(key), seed)
    width = task.Y_valid.shape[1]
    pred = np.repeat(task.X_valid[:, -1], width, axis=1)  # (N, 1) or (N, 10)
    return RowResult(key, "numpy", seed, score(key, pred, task.Y_valid),
                     example=_example(task, key, pred))


def iterative_row(one_step: RowResult, seed: int = 42) -> RowResult:
    """The "10 ahead: iterative" row from a trained ``deep_rnn_dense`` result."""
    if one_step.key != "deep_rnn_dense":
        raise ValueError(f"the iterative row uses the 'deep_rnn_dense' model, got {one_step.key!r}")
    task = load_task("ahead", seed)
    start = time.perf_counter()
    if one_step.backend == "torch":
        from course_rnn.forecast_torch import iterative_forecast_torch

        pred = iterative_forecast_torch(one_step, task.X_valid)
    else:
        pred = iterative_forecast(model_from_params("deep_rnn_dense", one_step.params),
                                  task.X_valid)
    return RowResult("ahead_iterative", one_step.backend, seed, score("ahead_iterative", pred,
                     task.Y_valid), time.perf_counter() - start, example=_example(
                     task, "ahead_iterative", pred))


def run_row(key: str, seed: int = 42, backend: str = "numpy", epochs: int = 20,
            log: Callable[[str], None] | None = print) -> RowResult:
    r"""Compute one row of the table (train it if it is a model).

    .. math::

        \text{row} \mapsto \mathrm{MSE}_\text{valid} \text{ after the last epoch}

    ``backend``: ``"numpy"`` (course_rnn) or ``"torch"`` (same initial weights and batches).
    The iterative row trains ``deep_rnn_dense`` first. Taught in chapters 7 and 8.
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
        from course_rnn.forecast_torch import train_torch

        return train_torch(key, seed, epochs, log=log)
    return train_numpy(key, seed, epochs, log=log)


# Rough cost of a row relative to the deep RNN (numpy), to start the slow ones first.
_COST = {"s2s_gru": 8, "s2s_lstm": 6, "s2s_ln_rnn": 6, "s2s_conv_gru": 4, "s2s_wavenet": 2,
         "linear": 0.2, "ahead_linear": 0.2, "simple_rnn_1": 0.5}


def _worker_init() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass


def _run_quiet(key: str, seed: int, backend: str, epochs: int) -> tuple[RowResult, list[str]]:
    lines: list[str] = []
    return run_row(key, seed, backend, epochs, log=lines.append), lines


def run_rows(keys, seed: int = 42, backend: str = "numpy", workers: int = 2, epochs: int = 20,
             log: Callable[[str], None] | None = print) -> dict[str, RowResult]:
    r"""Compute several rows, training them in ``workers`` processes (one BLAS thread each).

    .. math::

        \{\text{row} \mapsto \mathrm{MSE}_\text{valid}\}

    The slowest rows start first. Each row's progress lines are printed when it finishes,
    so their order depends on the machine (a notebook cell running this has its output
    ignored by nbval; the returned dict, in the order of ``keys``, is what to print and
    check). The iterative row reuses the trained ``deep_rnn_dense``. Taught in chapters 7
    and 8.
    """
    import concurrent.futures as cf
    import multiprocessing as mp

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
            say(line)
        results[key] = result
        if key in keys:
            say(f"{key:16s} [{backend}] valid MSE {result.mse:.4f} "
                f"(published {PUBLISHED[key]:.4f})")

    for key in keys:
        if key in ("naive", "ahead_naive"):
            finish(key, naive_row(key, seed))
    with cf.ProcessPoolExecutor(max(1, workers), mp_context=mp.get_context("spawn"),
                                initializer=_worker_init) as pool:
        futures = {pool.submit(_run_quiet, k, seed, backend, epochs): k
                   for k in sorted(trained, key=lambda k: -_COST.get(k, 1))}
        for future in cf.as_completed(futures):
            key = futures[future]
            finish(key, *future.result())
            if key == "deep_rnn_dense" and "ahead_iterative" in keys:
                finish("ahead_iterative", iterative_row(results[key], seed))
    return {k: results[k] for k in keys}


# ----------------------------------------------------------------------------- showing results


def format_table(results: dict, lang: str = "en", times: bool = False) -> str:
    r"""The rows as a text table: ours, published, ours / published (and seconds).

    .. math::

        \text{ratio} = \mathrm{MSE}_\text{ours} / \mathrm{MSE}_\text{published}

    ``results``: key -> RowResult. Seconds depend on the machine: print them only in cells
    whose output is not compared (``times=True``). Taught in chapters 7 and 8.
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


def plot_forecasts(results: dict, keys=None, lang: str = "en", series: int = 0):
    r"""One validation series per row: the 50 inputs, the targets and the row's forecast.

    .. math::

        x_1, \dots, x_{50} \;\to\; \hat x_{51}, \dots

    For seq2seq rows the forecast from the last step is drawn. Returns the figure.
    Taught in chapters 7 and 8.
    """
    import matplotlib.pyplot as plt

    keys = list(results) if keys is None else list(keys)
    cols = min(4, len(keys))
    rows = -(-len(keys) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.5 * rows), squeeze=False,
                             sharey=True)
    words = {"ko": ("입력", "정답", "예측", "시간 단계"),
             "en": ("input", "target", "forecast", "time step")}[lang]
    for ax, key in zip(axes.flat, keys, strict=False):
        ex = results[key].example
        x = ex["x"][series]
        y, p = np.asarray(ex["y"][series]), np.asarray(ex["pred"][series])
        if key.startswith("s2s_"):
            y, p = y[-1], p[-1]
        t = np.arange(N_STEPS, N_STEPS + y.size)
        ax.plot(np.arange(N_STEPS), x, ".-", color="0.45", ms=3, lw=1, label=words[0])
        ax.plot(t, y, "o", color="tab:blue", ms=5, label=words[1])
        ax.plot(t, p, "x", color="tab:red", ms=6, mew=2, label=words[2])
        ax.set_title(f"{ROW_LABELS[key][lang]}\nMSE {results[key].mse:.4f}", fontsize=9)
        ax.set_xlabel(words[3], fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="lower left")
    return fig


def plot_curves(results: dict, ax=None, lang: str = "en"):
    r"""Validation MSE after each epoch of the trained rows, on a log scale, with the
    published value of each row as a short line at epoch 20.

    .. math::

        e \mapsto \mathrm{MSE}_\text{valid}(\theta_e)

    Returns the axes. Taught in chapters 7 and 8.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4))
    colors = plt.get_cmap("tab10")
    trained = [k for k, r in results.items() if len(r.curve)]
    for i, key in enumerate(trained):
        r, color = results[key], colors(i % 10)
        epochs = np.arange(1, len(r.curve) + 1)
        ax.plot(epochs, r.curve, "-", color=color, lw=1.5, label=ROW_LABELS[key][lang])
        ax.plot([len(r.curve) - 0.6, len(r.curve) + 0.6], [r.published] * 2, "-", color=color,
                lw=4, alpha=0.5)
    ax.set_yscale("log")
    ax.set_xlabel({"ko": "에폭", "en": "epoch"}[lang])
    ax.set_ylabel({"ko": "검증 MSE (굵은 선: 발표된 값)",
                   "en": "validation MSE (thick bar: published)"}[lang])
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    return ax


if __name__ == "__main__":  # pragma: no cover - the benchmark's command line
    import sys

    from course_rnn.forecast_bench import main

    sys.exit(main())
