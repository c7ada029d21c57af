r"""The rows of the forecasting benchmark: published numbers, models, scores, results.

Every row of Hands-On ML's table (2nd ed., chapter 15) is a key of ``PUBLISHED``;
``build_model(key, rng)`` is its numpy model with Keras's initialisation
(``course_rnn.forecast.models``) and ``score`` its validation metric. Taught in chapter 11
(the layers in chapters 1-8; batch normalisation between layers in chapter 7).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from course_rnn.batchnorm import BatchNorm
from course_rnn.data.series import AHEAD, N_STEPS, Task
from course_rnn.forecast.models import Conv, Dense, Flatten, InferenceSequential, Recurrent
from course_rnn.layers import MSELoss
from course_rnn.models import Sequential

PUBLISHED = {
    "naive": 0.0202, "linear": 0.00417, "simple_rnn_1": 0.0109, "deep_rnn": 0.00291,
    "deep_rnn_dense": 0.00262,
    "ahead_naive": 0.257, "ahead_iterative": 0.0275, "ahead_linear": 0.0187,
    "ahead_rnn_dense": 0.0085,
    "s2s_rnn": 0.0096, "s2s_ln_rnn": 0.0121, "s2s_lstm": 0.0086, "s2s_gru": 0.0103,
    "s2s_conv_gru": 0.0080, "s2s_wavenet": 0.0072,
    "s2s_bn_rnn": 0.0164,  # appended last: a row's initial weights are seeded by its index
}
"""Validation MSE of each row in Hands-On ML 2nd ed., chapter 15 notebook (Keras, CPU)."""

PUBLISHED_CURVES = {
    "s2s_ln_rnn": (0.0624, 0.0423, 0.0342, 0.0286, 0.0258, 0.0229, 0.0206, 0.0185, 0.0184, 0.0172,
                   0.0170, 0.0159, 0.0148, 0.0149, 0.0145, 0.0149, 0.0128, 0.0130, 0.0131, 0.0121),
    "s2s_conv_gru": (0.0396, 0.0285, 0.0218, 0.0152, 0.0141, 0.0115, 0.0116, 0.0105, 0.0109,
                     0.0102, 0.0100, 0.0102, 0.0101, 0.0099, 0.0093, 0.0095, 0.0091, 0.0086,
                     0.0084, 0.0080),
}
"""The published notebook's validation last-step MSE after each of its 20 epochs (one run,
seed 42), for the two rows chapter 11 looks at more closely; the last value is ``PUBLISHED``."""

ROWS = tuple(PUBLISHED)

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
    "s2s_bn_rnn": {"ko": "seq2seq: SimpleRNN + 배치 정규화",
                   "en": "seq2seq: SimpleRNN + batch norm"},
}


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


def build_model(key: str, rng, dtype=np.float32) -> Sequential:
    r"""The numpy model of a row, with Keras's initialisation drawn from ``rng``.

    .. math::

        \text{e.g. deep RNN + Dense: } x \to \mathrm{RNN}_{20} \to \mathrm{RNN}_{20}
        \to h_T W + b

    A ``course_rnn.models.Sequential`` of the layers (named ``"0"``, ``"1"``, ...) with the
    mean squared error; ``predict`` runs on batches of 500 rows, in inference mode
    (``InferenceSequential``: the batch-normalised row uses its running averages). Every
    row of ``PUBLISHED`` but the naive ones (which are not trained). Taught in chapter 11.
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
    elif key == "s2s_bn_rnn":  # batch normalisation between the layers (Keras's defaults)
        layers = [Recurrent("rnn", 1, _H, rng, **kw), BatchNorm(_H, dtype=dtype),
                  Recurrent("rnn", _H, _H, rng, **kw), BatchNorm(_H, dtype=dtype),
                  Dense(_H, AHEAD, rng, **kw)]
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
    return InferenceSequential(layers, MSELoss(), predict_batch=500)


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
    per_step: np.ndarray = field(default_factory=lambda: np.zeros(0))  # seq2seq: MSE at each step

    @property
    def published(self) -> float:
        return PUBLISHED[self.key]

    @property
    def ratio(self) -> float:
        return self.mse / self.published


def example_of(task: Task, key: str, pred: np.ndarray) -> dict:
    """Inputs, targets and predictions of the first three validation series (for plots)."""
    return {"x": task.X_valid[:3, :, 0], "y": targets(key, task.Y_valid[:3]), "pred": pred[:3]}
