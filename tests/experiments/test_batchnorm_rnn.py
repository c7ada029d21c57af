"""experiments.batchnorm_rnn: runs over seeds, the batch dependence, the exact statistics."""

import copy

import numpy as np

from course_rnn.batchnorm import BatchNorm, batch_moments
from course_rnn.experiments.batchnorm_rnn import (
    batch_dependence,
    exact_statistics,
    last_step_mse,
    train_runs,
)
from course_rnn.layers import MSELoss
from course_rnn.models import Sequential
from course_rnn.rnn import TimeRNN, init_rnn_params


class _Model(Sequential):  # RNN -> batch norm, predict in inference mode
    def predict(self, inputs, batch=None):
        self.parts["bn"].eval()
        try:
            return super().predict(inputs, batch)
        finally:
            self.parts["bn"].train()


def _model(key, seed):
    rng = np.random.default_rng(seed)
    rnn = TimeRNN(**init_rnn_params(1, 3, rng))
    return _Model({"rnn": rnn, "bn": BatchNorm(3)}, MSELoss())


def _data(N=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, 6, 1)), rng.standard_normal((N, 6, 3))


def test_last_step_mse_reads_only_the_last_step():
    class Fixed:
        def predict(self, X):
            out = np.ones((len(X), 4, 2))
            out[:, -1] = 0.0
            return out

    assert last_step_mse(Fixed(), np.zeros((3, 4, 1)), np.zeros((3, 4, 2))) == 0.0


def test_train_runs_returns_a_curve_per_seed_and_the_models():
    X, Y = _data()
    lines = []
    curves, models = train_runs(_model, ["a", "b"], [0, 1], X, Y, X[:8], Y[:8], epochs=2,
                                batch_size=8, log=lines.append)
    assert set(curves) == {"a", "b"} and curves["a"].shape == (2, 2)
    assert len(models["a"]) == 2 and len(lines) == 4 and "seed 1" in lines[-1]
    assert np.isfinite(curves["b"]).all()
    again, _ = train_runs(_model, ["a"], [0, 1], X, Y, X[:8], Y[:8], epochs=2, batch_size=8,
                          log=None)
    np.testing.assert_array_equal(again["a"], curves["a"])  # seeded


def test_batch_dependence_is_zero_in_inference_mode_and_keeps_the_averages():
    X, _ = _data()
    model = _model("a", 0)
    bn = model.parts["bn"]
    bn.buffers["running_mean"] = np.full(3, 0.1)
    d = batch_dependence(model, X, sizes=(1, 2, 8))
    assert d["train"].shape == (3,) and np.all(d["train"] > 1e-3)
    assert np.all(d["eval"] < 1e-12)
    np.testing.assert_array_equal(bn.buffers["running_mean"], 0.1)
    assert bn.training


def test_exact_statistics_are_the_moments_of_the_layer_input():
    X, _ = _data()
    model = _model("a", 0)
    before = copy.deepcopy(model.parts["bn"].buffers)
    previous = exact_statistics(model, X)
    np.testing.assert_array_equal(previous[0]["running_var"], before["running_var"])
    mean, var = batch_moments(model.parts["rnn"].forward(X))
    np.testing.assert_allclose(model.parts["bn"].buffers["running_mean"], mean)
    np.testing.assert_allclose(model.parts["bn"].buffers["running_var"], var)
    assert model.parts["bn"].training


def test_train_runs_logs_in_either_language():
    X, Y = _data()
    lines = {}
    for lang in ("en", "ko"):
        lines[lang] = []
        train_runs(_model, ["a"], [1], X, Y, X[:8], Y[:8], epochs=2, batch_size=8,
                   log=lines[lang].append, lang=lang)
    assert lines["en"][0].startswith("a           seed 1: valid MSE (last step) by epoch [")
    assert lines["ko"][0].startswith("a           시드 1: 에폭별 검증 MSE (마지막 단계) [")
    assert lines["en"][0].split("[")[1] == lines["ko"][0].split("[")[1]  # the same numbers
    default = []
    train_runs(_model, ["a"], [1], X, Y, X[:8], Y[:8], epochs=2, batch_size=8, log=default.append)
    assert default == lines["en"]
