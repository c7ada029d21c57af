r"""The forecasting benchmark's models in torch, started from the numpy models' weights.

``torch_model(key, rng)`` builds the numpy model of a row (``course_rnn.forecast.rows.build_model``,
Keras's initialisation) and copies its weights into the same stack of torch modules, so the
two backends start from one point and see the same batches:

.. math::

    \mathrm{RNN}/\mathrm{LSTM}/\mathrm{GRU}: \; W_{ih} = W_x^\top,\ W_{hh} = W_h^\top, \qquad
    \mathrm{Linear}: \; \texttt{weight} = W^\top, \qquad \mathrm{Conv1d}: \; \texttt{weight} = W

The layer-normalised RNN has no torch module: ``LNRNN`` is the loop
:math:`h_t = \tanh(\mathrm{LN}(x_t W_{xh} + h_{t-1} W_{hh} + b_h))` with ``nn.LayerNorm``.
Batch normalisation between layers is ``nn.BatchNorm1d(H, eps=1e-3, momentum=0.01)`` on
``(N, H, T)`` (Keras's momentum 0.99 is torch's 0.01; torch's running variance averages the
unbiased batch variance, numpy's the biased one as Keras, a factor :math:`M/(M-1)` with
:math:`M = N T = 1600` values per feature in a batch of 32 series); forecasts run in
``eval()`` mode.
Taught in chapter 7 (and 8 for the convolutional rows).
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_rnn.batchnorm import BatchNorm
from course_rnn.cells import get_cell
from course_rnn.data.series import load_task
from course_rnn.forecast.models import Conv, Dense, Flatten, Recurrent
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
from course_rnn.forecast.train import iterative_forecast, log_epoch
from course_rnn.torch_ref.convert import conv1d_params_to_torch, rnn_params_to_torch


def _param(value) -> nn.Parameter:
    return nn.Parameter(torch.as_tensor(np.array(value)))


class LNRNN(nn.Module):
    r"""The layer-normalised RNN cell over a sequence (Keras's ``LNSimpleRNNCell``).

    .. math::

        h_t = \tanh\bigl(\mathrm{LN}_{\gamma,\beta}(x_t W_{xh} + h_{t-1} W_{hh} + b_h)\bigr)

    ``forward(xs (N, T, D)) -> (hs (N, T, H), h_T)``; numpy: ``ln_rnn_forward``.
    Taught in chapter 7.
    """

    PARAMS = ("W_xh", "W_hh", "b_h", "gamma", "beta")

    def __init__(self, params: dict):
        super().__init__()
        self.W_xh, self.W_hh, self.b_h = (_param(params[k]) for k in ("W_xh", "W_hh", "b_h"))
        H = self.W_hh.shape[0]
        self.ln = nn.LayerNorm(H, eps=1e-5)
        with torch.no_grad():
            self.ln.weight.copy_(torch.as_tensor(params["gamma"]))
            self.ln.bias.copy_(torch.as_tensor(params["beta"]))

    def forward(self, xs):
        xw = xs @ self.W_xh + self.b_h  # (N, T, H)
        h = xs.new_zeros(xs.shape[0], self.W_hh.shape[0])
        hs = []
        for t in range(xs.shape[1]):
            h = torch.tanh(self.ln(xw[:, t] + h @ self.W_hh))
            hs.append(h)
        return torch.stack(hs, dim=1), h


class _Recurrent(nn.Module):
    def __init__(self, layer: Recurrent):
        super().__init__()
        p, spec = layer.params, get_cell(layer.cell)
        if spec.torch_class is None:  # no torch module: the layer-normalised loop
            if set(p) != set(LNRNN.PARAMS):
                raise ValueError(f"cell {layer.cell!r} has no torch module and is no LN-RNN")
            self.rnn = LNRNN(p)
        else:
            module = getattr(nn, spec.torch_class)(*spec.sizes(p), batch_first=True,
                                                   **spec.torch_kwargs)
            self.rnn = rnn_params_to_torch(p, module)
        self.sequences = layer.sequences

    def forward(self, xs):
        hs, _ = self.rnn(xs)
        return hs if self.sequences else hs[:, -1]


class _Dense(nn.Module):
    def __init__(self, layer: Dense):
        super().__init__()
        D, M = layer.params["W"].shape
        self.linear = nn.Linear(D, M)
        with torch.no_grad():
            self.linear.weight.copy_(torch.as_tensor(layer.params["W"].T))
            self.linear.bias.copy_(torch.as_tensor(layer.params["b"]))

    def forward(self, x):
        return self.linear(x)


class _BatchNorm(nn.Module):
    def __init__(self, layer: BatchNorm):
        super().__init__()
        H = layer.params["gamma"].shape[0]
        self.bn = nn.BatchNorm1d(H, eps=layer.eps, momentum=1.0 - layer.momentum)
        with torch.no_grad():
            self.bn.weight.copy_(torch.as_tensor(layer.params["gamma"]))
            self.bn.bias.copy_(torch.as_tensor(layer.params["beta"]))
            self.bn.running_mean.copy_(torch.as_tensor(layer.buffers["running_mean"]))
            self.bn.running_var.copy_(torch.as_tensor(layer.buffers["running_var"]))

    def forward(self, x):  # (N, T, H): BatchNorm1d normalises (N, H, T) over N and T
        return self.bn(x.transpose(1, 2)).transpose(1, 2)


class _Conv(nn.Module):
    def __init__(self, layer: Conv):
        super().__init__()
        C_out, C_in, K = layer.params["W"].shape
        self.left = (K - 1) * layer.dilation if layer.padding == "causal" else 0
        if layer.padding not in ("causal", "valid", 0):
            raise ValueError(f"padding {layer.padding!r} is not used by the benchmark")
        self.conv = conv1d_params_to_torch(layer.params, nn.Conv1d(
            C_in, C_out, K, stride=layer.stride, dilation=layer.dilation))
        self.relu = layer.relu

    def forward(self, x):  # (N, L, C) channels last, as the numpy layer
        y = self.conv(F.pad(x.transpose(1, 2), (self.left, 0)))
        return (torch.relu(y) if self.relu else y).transpose(1, 2)


def torch_model(key: str, rng, dtype=np.float32) -> nn.Sequential:
    r"""The torch model of a row, with the initial weights of ``build_model(key, rng)``.

    .. math::

        f^{\text{torch}}_{\theta_0} = f^{\text{numpy}}_{\theta_0}

    ``dtype``: float32 (training) or float64 (the tests). Taught in chapter 7.
    """
    wrap = {Recurrent: _Recurrent, Dense: _Dense, Conv: _Conv, BatchNorm: _BatchNorm}
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if np.dtype(dtype) == np.float64 else torch.float32)
    try:
        modules = [nn.Flatten() if isinstance(layer, Flatten) else wrap[type(layer)](layer)
                   for layer in build_model(key, rng, dtype).layers]
    finally:
        torch.set_default_dtype(default)
    return nn.Sequential(*modules)


def _predict(model, X, batch: int = 500) -> np.ndarray:
    training = model.training
    model.eval()  # batch normalisation: the running averages
    try:
        with torch.no_grad():
            return torch.cat([model(torch.as_tensor(X[i : i + batch]))
                              for i in range(0, len(X), batch)]).numpy()
    finally:
        model.train(training)


def train_torch(key: str, seed: int = 42, epochs: int = 20, batch_size: int = 32,
                log=print) -> RowResult:
    r"""``course_rnn.forecast.train.train_numpy`` in torch: same data, initial weights and batches.

    .. math::

        \theta \leftarrow \mathrm{Adam}(\theta, \nabla_\theta L_{\text{batch}})

    (``torch.optim.Adam`` with eps 1e-7 as Keras.) Taught in chapter 7.
    """
    task = load_task(task_of(key), seed)
    rng = np.random.default_rng([seed, ROWS.index(key), 7])
    model = torch_model(key, rng)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE.get(key, 0.001), eps=1e-7)
    X_train = torch.as_tensor(task.X_train)
    Y_train = torch.as_tensor(targets(key, task.Y_train))
    Y_valid = targets(key, task.Y_valid)
    start, curve = time.perf_counter(), []
    for epoch in range(1, epochs + 1):
        order = torch.as_tensor(rng.permutation(len(X_train)))
        total = 0.0
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            loss = F.mse_loss(model(X_train[idx]), Y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        pred = _predict(model, task.X_valid)
        curve.append(score(key, pred, Y_valid))
        log_epoch(log, key, "torch", epoch, epochs, total / len(order), curve[-1])
    params = [{k: v.detach().numpy().copy() for k, v in m.state_dict().items()} for m in model]
    return RowResult(key, "torch", seed, curve[-1], time.perf_counter() - start,
                     np.array(curve), params, example_of(task, key, pred))


class _Predictor:
    """A torch model with the ``predict`` of the numpy rows (``models.Sequential``, by 500)."""

    def __init__(self, model: nn.Module):
        self.model = model

    def predict(self, X: np.ndarray) -> np.ndarray:
        return _predict(self.model, X)


def iterative_forecast_torch(one_step: RowResult, X: np.ndarray, steps: int = 10) -> np.ndarray:
    """The iterative ten-step forecast with a trained torch ``deep_rnn_dense`` result."""
    model = torch_model("deep_rnn_dense", 0)
    for module, state in zip(model, one_step.params, strict=True):
        module.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    return iterative_forecast(_Predictor(model), X, steps)
