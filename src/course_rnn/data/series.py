r"""The series of the forecasting benchmark (chapters 7, 8 and 11), after Hands-On ML.

Data (Géron, *Hands-On Machine Learning*, 2nd ed., chapter 15): each series is

.. math::

    x(t) = 0.5 \sin\bigl((t - o_1)(10 f_1 + 10)\bigr) + 0.2 \sin\bigl((t - o_2)(20 f_2 + 20)\bigr)
    + 0.1\,(u - 0.5), \qquad t \in \mathrm{linspace}(0, 1, n)

with :math:`f_1, f_2, o_1, o_2 \sim U(0, 1)` per series and :math:`u \sim U(0, 1)` per step.
10,000 series, 7000 / 2000 / 1000 for training / validation / test, 50 input steps. Three
tasks: the next value (``"next"``), the next ten values from the last step (``"ahead"``), and
the next ten values from every step (``"seq2seq"``, scored on the last step). Taught in
chapter 7.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

N_SERIES, N_STEPS, AHEAD = 10_000, 50, 10
SPLIT = (7000, 9000)  # train: [:7000], valid: [7000:9000], test: [9000:]


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
