r"""Batch normalisation between recurrent layers: the measurements of chapter 7.

Hands-On ML (2nd ed., chapter 15) puts Keras's ``BatchNormalization()`` between two
``SimpleRNN`` layers of a sequence-to-sequence forecaster. The layer
(``course_rnn.batchnorm.BatchNorm``) standardises each feature over the batch *and* the
time steps in training, and with running averages at inference. This module measures

- ``train_runs``: learning curves of several models over several seeds on the same data,
  the validation MSE of the last step after every epoch,

  .. math::

      \mathrm{MSE}_\text{last} = \frac{1}{N K} \sum_{n,k} (\hat y_{n,T,k} - y_{n,T,k})^2 ;

- ``batch_dependence``: how much the forecast of one series changes with the batch it is
  computed in, with the batch's statistics (training mode) and with the running averages
  (inference mode).

The models come from the caller (``make_model(key, seed)``, e.g. the rows of
``course_rnn.forecast.rows.build_model``). Size letters: N batch, T time, K values
forecast at each step. Taught in chapter 7.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from course_rnn.batchnorm import batch_moments
from course_rnn.optim import Adam
from course_rnn.training import shuffled_batches, train


def last_step_mse(model, X: np.ndarray, Y: np.ndarray) -> float:
    r"""Validation MSE at the last time step of a sequence-to-sequence forecast.

    .. math::

        \frac{1}{N K} \sum_{n,k} (\hat y_{n,T,k} - y_{n,T,k})^2, \qquad \hat y = \mathtt{predict}(X)

    ``X`` (N, T, 1), ``Y`` (N, T, K); ``model.predict`` runs in inference mode (Keras's
    ``last_time_step_mse``). Taught in chapter 7.
    """
    pred = model.predict(X)  # (N, T, K)
    return float(np.mean((pred[:, -1].astype(np.float64) - Y[:, -1]) ** 2))


def train_runs(make_model: Callable, keys: Sequence[str], seeds: Sequence[int],
               X_train, Y_train, X_valid, Y_valid, *, epochs: int = 6, lr: float = 0.01,
               batch_size: int = 32, log: Callable[[str], None] | None = print,
               lang: str = "en") -> tuple[dict, dict]:
    r"""Train every model of ``keys`` with every seed; the last-step validation MSE by epoch.

    .. math::

        c_{k,s,e} = \mathrm{MSE}_\text{last}\bigl(f_{k,s}^{(e)}\bigr), \qquad
        f_{k,s}^{(e)}: \text{model } k \text{ from seed } s \text{ after } e \text{ epochs of Adam}

    Every model sees the same data; the seed sets its initial weights (through
    ``make_model(key, seed)``) and the order of its mini-batches (the same order for every
    model of one seed).

    Parameters
    ----------
    make_model : callable
        ``make_model(key, seed) -> model`` (``forward``/``backward``/``predict``, e.g. a
        ``course_rnn.models.Sequential``).
    keys, seeds : sequences
    X_train, Y_train, X_valid, Y_valid : ndarray, shapes (N, T, 1) and (N, T, K)
    epochs, lr, batch_size : int, float, int
        Adam (eps 1e-7, as Keras) on shuffled batches.
    log : callable or None
        Receives one rounded line per run (its curve).
    lang : {"en", "ko"}
        Language of the lines (``"ko"``: ``s2s_rnn     시드 0: 에폭별 검증 MSE (마지막 단계)
        [...]``); the numbers are the same.

    Returns
    -------
    curves : dict
        key -> ndarray (len(seeds), epochs).
    models : dict
        key -> list of the trained models, one per seed.

    Notes
    -----
    torch: the same loop with ``torch.optim.Adam`` and ``model.eval()`` for the validation.
    Taught in chapter 7.
    """
    words = {"en": ("seed", "valid MSE (last step) by epoch"),
             "ko": ("시드", "에폭별 검증 MSE (마지막 단계)")}[lang]
    curves = {key: np.zeros((len(seeds), epochs)) for key in keys}
    models = {}
    for i, seed in enumerate(seeds):
        for key in keys:
            model = make_model(key, seed)
            batches = shuffled_batches(X_train, Y_train, batch_size,
                                       np.random.default_rng([seed, 99]))
            history = train(model, batches, Adam(lr, eps=1e-7), epochs=epochs, bptt="full",
                            metric=lambda m: last_step_mse(m, X_valid, Y_valid), lang=lang)
            curves[key][i] = history.metrics
            models.setdefault(key, []).append(model)
            if log is not None:
                log(f"{key:11s} {words[0]} {seed}: {words[1]} {np.round(curves[key][i], 4)}")
    return curves, models


def batch_dependence(model, X: np.ndarray, sizes: Sequence[int] = (1, 2, 8, 64)) -> dict:
    r"""How the forecast of series 0 changes with the batch it is computed in.

    .. math::

        d^\text{train}_B = \max \bigl|\hat y^\text{train}_0(X_{1:B}) - \hat y^\text{eval}_0\bigr|,
        \qquad
        d^\text{eval}_B = \max \bigl|\hat y^\text{eval}_0(X_{1:B}) - \hat y^\text{eval}_0\bigr|

    for batches made of series 0 and the next ``B - 1``; ``eval`` computes with the running
    averages (``predict``), ``train`` with the batch's statistics. The running averages are
    restored after the training-mode passes, which would otherwise update them.

    Parameters
    ----------
    model : Sequential
        Layers with a train / inference switch are put in training mode for ``train``.
    X : ndarray, shape (N, T, 1)
    sizes : sequence of int
        Batch sizes B (each at most N).

    Returns
    -------
    dict
        ``"train"`` and ``"eval"``: ndarray (len(sizes),) of :math:`d_B`.

    Notes
    -----
    torch: ``model.train()`` / ``model.eval()`` around the same calls. Taught in chapter 7.
    """
    layers = [layer for layer in model.layers if hasattr(layer, "buffers")]
    saved = [{k: v.copy() for k, v in layer.buffers.items()} for layer in layers]
    reference = model.predict(X[:1])[0]  # (T, K), inference mode
    out = {"train": [], "eval": []}
    try:
        for B in sizes:
            out["eval"].append(np.abs(model.predict(X[:B])[0] - reference).max())
            y = X[:B]
            for layer in model.layers:  # training mode: the batch's statistics
                if hasattr(layer, "train"):
                    layer.train()
                y = layer.forward(y)
            out["train"].append(np.abs(y[0] - reference).max())
            for layer, buffers in zip(layers, saved, strict=True):
                layer.buffers.update({k: v.copy() for k, v in buffers.items()})
    finally:
        for layer, buffers in zip(layers, saved, strict=True):
            layer.buffers.update(buffers)
    return {k: np.array(v) for k, v in out.items()}


def exact_statistics(model, X: np.ndarray) -> list[dict]:
    r"""Replace the running averages of every batch-norm layer by its input's exact statistics.

    .. math::

        \bar\mu_j \leftarrow \frac{1}{NT}\sum_{n,t} x_{ntj}, \qquad
        \bar\sigma_j^2 \leftarrow \frac{1}{NT}\sum_{n,t} (x_{ntj} - \bar\mu_j)^2

    over the whole of ``X`` (N, T, 1), layer after layer in inference mode (each layer's
    input computed with the statistics already replaced below it). What the running
    averages estimate: after a short training they still carry part of their start
    (0 and 1) and lag behind the weights. Changes ``model`` in place; returns the
    previous buffers, one dict per batch-norm layer.

    Notes
    -----
    torch: ``nn.BatchNorm1d(momentum=None)`` (a cumulative average) run over the data in
    ``train()`` mode without gradient steps. Taught in chapter 7.
    """
    previous = []
    y = X
    for layer in model.layers:
        training = getattr(layer, "training", None)
        if hasattr(layer, "buffers"):
            previous.append({k: v.copy() for k, v in layer.buffers.items()})
            mean, var = batch_moments(y)
            dtype = layer.buffers["running_mean"].dtype
            layer.buffers.update(running_mean=mean.astype(dtype), running_var=var.astype(dtype))
        if training is not None:
            layer.eval()
        y = layer.forward(y)
        if training:
            layer.train()
    return previous
