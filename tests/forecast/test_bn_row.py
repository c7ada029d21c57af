"""The batch-normalised seq2seq row: builds, trains, equals its torch twin, switches modes."""

import numpy as np
import pytest
import torch

from course_rnn.batchnorm import BatchNorm
from course_rnn.data.series import AHEAD
from course_rnn.forecast.rows import (
    PUBLISHED,
    ROW_LABELS,
    ROWS,
    TRAINED_ROWS,
    build_model,
    task_of,
)
from course_rnn.forecast.run import COST
from course_rnn.forecast.torch_twin import _predict, torch_model
from course_rnn.layers import MSELoss
from course_rnn.optim import Adam
from course_rnn.training import shuffled_batches, train

KEY = "s2s_bn_rnn"


def test_the_row_is_appended_last_with_its_labels_and_cost():
    assert ROWS[-1] == KEY and PUBLISHED[KEY] == 0.0164 and KEY in TRAINED_ROWS
    assert ROWS[:15] == ("naive", "linear", "simple_rnn_1", "deep_rnn", "deep_rnn_dense",
                         "ahead_naive", "ahead_iterative", "ahead_linear", "ahead_rnn_dense",
                         "s2s_rnn", "s2s_ln_rnn", "s2s_lstm", "s2s_gru", "s2s_conv_gru",
                         "s2s_wavenet")  # no earlier row moved: their seeds stay
    assert set(ROW_LABELS[KEY]) == {"ko", "en"} and "배치 정규화" in ROW_LABELS[KEY]["ko"]
    assert task_of(KEY) == "seq2seq" and COST[KEY] > 1


def test_the_model_is_rnn_bn_rnn_bn_dense():
    model = build_model(KEY, 0)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Recurrent", "BatchNorm", "Recurrent", "BatchNorm", "Dense"]
    assert all(layer.params["gamma"].dtype == np.float32
               for layer in model.layers if isinstance(layer, BatchNorm))
    assert model.predict(np.zeros((3, 50, 1), np.float32)).shape == (3, 50, AHEAD)


def _data(N=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, 50, 1)), rng.standard_normal((N, 50, AHEAD))


def test_one_epoch_on_a_small_slice_lowers_the_loss_and_moves_the_running_averages():
    X, Y = _data(64)
    model = build_model(KEY, 1, dtype=np.float64)
    bns = [layer for layer in model.layers if isinstance(layer, BatchNorm)]
    before = model.forward(X, Y)
    history = train(model, shuffled_batches(X, Y, 16, np.random.default_rng(2)), Adam(0.01),
                    epochs=1, bptt="full")
    assert len(history.losses) == 4 and np.isfinite(history.losses).all()
    assert model.forward(X, Y) < before
    for bn in bns:  # 4 updates (+ the 2 forwards above) moved them away from 0 and 1
        assert np.abs(bn.buffers["running_mean"]).max() > 0
        assert np.abs(bn.buffers["running_var"] - 1).max() > 0
        assert bn.training  # predict switched back


def test_predict_uses_the_running_averages_and_forward_the_batch():
    X, Y = _data(6)
    model = build_model(KEY, 1, dtype=np.float64)
    bn = model.layers[1]
    bn.buffers["running_mean"] = np.full(20, 0.3)
    bn.buffers["running_var"] = np.full(20, 2.0)
    pred_all = model.predict(X)
    np.testing.assert_allclose(model.predict(X[:1]), pred_all[:1], rtol=1e-12)  # no batch effect
    np.testing.assert_array_equal(bn.buffers["running_mean"], 0.3)  # predict does not update
    loss = MSELoss()
    train_pred = model._apply(X)  # training mode: the batch's statistics
    assert np.abs(train_pred - pred_all).max() > 1e-3
    alone = model._apply(X[:1])
    assert np.abs(alone - train_pred[:1]).max() > 1e-3  # a sample's output depends on its batch
    assert np.isclose(model.forward(X, Y), loss.forward(train_pred, Y))
    assert bn.training and np.abs(bn.buffers["running_mean"] - 0.3).max() > 0  # training updates


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_numpy_equals_the_torch_twin_at_initialisation(mode):
    X, Y = _data(5)
    model = build_model(KEY, 3, dtype=np.float64)
    tm = torch_model(KEY, 3, dtype=np.float64)
    Xt = torch.tensor(X, requires_grad=True)
    if mode == "eval":
        pred = model.predict(X)
        tm.eval()
    else:
        pred = model._apply(X)
    out = tm(Xt)
    np.testing.assert_allclose(pred, out.detach().numpy(), rtol=1e-9, atol=1e-12)
    loss_t = torch.nn.functional.mse_loss(out, torch.tensor(Y))
    loss_t.backward()
    dx = (pred - Y) * (2.0 / Y.size)
    for layer in reversed(model.layers):
        dx = layer.backward(dx)
    np.testing.assert_allclose(dx, Xt.grad.numpy(), rtol=1e-7, atol=1e-12)
    if mode == "train":  # one training forward: the running means agree (momentum 0.99)
        for layer, module in zip(model.layers, tm, strict=True):
            if isinstance(layer, BatchNorm):
                np.testing.assert_allclose(layer.buffers["running_mean"],
                                           module.bn.running_mean.numpy(), rtol=1e-9)


def test_torch_predict_runs_in_eval_mode_and_restores_training():
    tm = torch_model(KEY, 3, dtype=np.float64)
    X, _ = _data(4)
    before = [m.bn.running_mean.clone() for m in tm if hasattr(m, "bn")]
    _predict(tm, X)
    assert tm.training
    after = [m.bn.running_mean for m in tm if hasattr(m, "bn")]
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))  # not updated
