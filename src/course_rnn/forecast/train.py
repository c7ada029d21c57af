r"""Training a row of the forecasting benchmark in numpy, and the rows computed without it.

``train_numpy(key, seed)`` trains the row's model for 20 epochs with Adam on shuffled
batches of 32, as the book did, with the course's one training loop
(``course_rnn.training.train``), and returns the validation MSE after the last epoch
(``RowResult``). The torch twin is ``course_rnn.forecast.torch_twin``. Taught in chapter 7.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from course_rnn.data.series import AHEAD, load_task
from course_rnn.forecast.rows import (
    LEARNING_RATE,
    ROWS,
    RowResult,
    build_model,
    example_of,
    score,
    targets,
    task_of,
)
from course_rnn.models import Sequential
from course_rnn.optim import Adam
from course_rnn.training import History, shuffled_batches, train


def iterative_forecast(model: Sequential, X: np.ndarray, steps: int = AHEAD) -> np.ndarray:
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


EPOCH_WORDS = {"en": ("epoch", "train", "valid"), "ko": ("에폭", "학습", "검증")}
"""The words of a progress line, in each language of the book."""


class EpochLog(list):
    """A ``log`` that keeps each progress line as its numbers, ``(key, backend, epoch, epochs,
    train, valid)``, so that it can be printed later in either language (``epoch_line``)."""


def epoch_line(key: str, backend: str, epoch: int, epochs: int, train_loss: float,
               valid: float, lang: str = "en") -> str:
    r"""One progress line of a training: epoch, training MSE and validation MSE.

    .. math::

        e,\; L_\text{train}(e),\; \mathrm{MSE}_\text{valid}(e)

    ``lang``: ``"en"`` (``epoch  5/20  train 0.0030  valid 0.0031``) or ``"ko"``
    (``에폭  5/20  학습 0.0030  검증 0.0031``); the numbers are the same. Taught in chapter 11.
    """
    if lang not in EPOCH_WORDS:
        raise ValueError(f"lang must be one of {tuple(EPOCH_WORDS)}, got {lang!r}")
    w = EPOCH_WORDS[lang]
    return (f"{key:16s} [{backend}] {w[0]} {epoch:2d}/{epochs}  {w[1]} {train_loss:.4f}  "
            f"{w[2]} {valid:.4f}")


def log_epoch(log, key, backend, epoch, epochs, train_loss, valid):
    """Send one progress line to ``log`` every 5 epochs and after the last (in English), or
    keep its numbers when ``log`` is an ``EpochLog``."""
    if log is not None and (epoch % 5 == 0 or epoch == epochs):
        if isinstance(log, EpochLog):
            log.append((key, backend, epoch, epochs, train_loss, valid))
        else:
            log(epoch_line(key, backend, epoch, epochs, train_loss, valid))


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
    Y_train, Y_valid = targets(key, task.Y_train), targets(key, task.Y_valid)
    last = {}

    def valid_mse(m: Sequential) -> float:
        last["pred"] = m.predict(task.X_valid)
        return score(key, last["pred"], Y_valid)

    def report(epoch: int, history: History) -> None:
        log_epoch(log, key, "numpy", epoch, epochs, history.epoch_losses[-1], history.metrics[-1])

    start = time.perf_counter()
    history = train(model, shuffled_batches(task.X_train, Y_train, batch_size, rng),
                    Adam(LEARNING_RATE.get(key, 0.001), eps=1e-7), epochs=epochs, bptt="full",
                    metric=valid_mse, on_epoch=report, epoch_mean="sample")
    return RowResult(key, "numpy", seed, history.metrics[-1], time.perf_counter() - start,
                     np.array(history.metrics),
                     [{**layer.params, **getattr(layer, "buffers", {})}
                      for layer in model.trainable()],
                     example_of(task, key, last["pred"]))


def model_from_params(key: str, params: list) -> Sequential:
    """Rebuild a row's numpy model and load trained parameters (``RowResult.params``).

    A batch-norm layer's running averages (its ``buffers``) travel with its parameters.
    """
    model = build_model(key, 0)
    layers = model.trainable()
    if len(layers) != len(params):
        raise ValueError(f"{key}: {len(params)} parameter dicts for {len(layers)} layers")
    for layer, p in zip(layers, params, strict=True):
        for name, value in p.items():
            held = layer.buffers if name in getattr(layer, "buffers", {}) else layer.params
            if name not in held:
                raise ValueError(f"{key}: a layer has no parameter {name!r}; it has "
                                 f"{sorted(layer.params)}")
            if held[name].shape != value.shape:
                raise ValueError(f"{key}: {name} has shape {value.shape}, the model's "
                                 f"{held[name].shape}")
            held[name] = np.array(value)
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
                     example=example_of(task, key, pred))
