"""The forecasting benchmark: the rows, the numpy models' gradients, torch equality, the runner."""

import numpy as np
import pytest
import torch

from course_rnn.data.series import load_task
from course_rnn.forecast import bench as forecast_bench
from course_rnn.forecast.models import glorot_uniform, init_recurrent, orthogonal
from course_rnn.forecast.report import format_table
from course_rnn.forecast.rows import (
    PUBLISHED,
    ROWS,
    TRAINED_ROWS,
    RowResult,
    build_model,
    score,
    targets,
    task_of,
)
from course_rnn.forecast.run import run_row, run_rows
from course_rnn.forecast.torch_twin import torch_model
from course_rnn.forecast.train import iterative_forecast, model_from_params, naive_row, train_numpy


def test_score_uses_the_last_step_for_seq2seq():
    Y = np.zeros((4, 50, 10))
    pred = Y.copy()
    pred[:, :-1] = 1.0  # wrong everywhere but the last step
    assert score("s2s_gru", pred, Y) == 0.0
    assert score("ahead_linear", np.ones((4, 10)), np.zeros((4, 10))) == 1.0
    with pytest.raises(ValueError, match="shape"):
        score("linear", np.ones((4, 2)), np.zeros((4, 1)))


def test_initialisers():
    rng = np.random.default_rng(0)
    Q = orthogonal(20, 80, rng)
    np.testing.assert_allclose(Q @ Q.T, np.eye(20), atol=1e-12)  # orthonormal rows
    S = orthogonal(6, 6, rng)
    np.testing.assert_allclose(S.T @ S, np.eye(6), atol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(orthogonal(80, 20, rng))[1], 1.0, atol=1e-12)
    W = glorot_uniform(50, 10, (50, 10), rng)
    assert np.abs(W).max() <= np.sqrt(6 / 60)
    p = init_recurrent("lstm", 1, 5, rng)
    np.testing.assert_array_equal(p["b"][5:10], 1.0)  # forget gate
    np.testing.assert_array_equal(np.delete(p["b"], np.s_[5:10]), 0.0)
    with pytest.raises(ValueError, match="cell must be one of"):
        init_recurrent("transformer", 1, 5, rng)


def _input(key, N=3, seed=0):
    X = np.random.default_rng(seed).standard_normal((N, 50, 1))
    model = build_model(key, 1, dtype=np.float64)
    Y = np.random.default_rng(seed + 1).standard_normal(model.predict(X).shape)
    return model, X, Y


@pytest.mark.parametrize("key", TRAINED_ROWS)
def test_gradients_of_every_model(key):
    """Each layer's parameter gradients against centred differences (a few entries each)."""
    model, X, Y = _input(key)
    model.forward(X, Y)
    model.backward()
    rng = np.random.default_rng(2)
    for layer in model.trainable():
        for name, p in layer.params.items():
            g = layer.grads[name]
            assert g.shape == p.shape, (key, name)
            for _ in range(3):
                i = tuple(rng.integers(s) for s in p.shape)
                old = p[i]
                p[i] = old + 1e-6
                fp = model.forward(X, Y)
                p[i] = old - 1e-6
                fm = model.forward(X, Y)
                p[i] = old
                num = (fp - fm) / 2e-6
                assert abs(num - g[i]) <= 1e-6 * max(1.0, abs(num)) + 1e-9, (key, name, i)


@pytest.mark.parametrize("key", TRAINED_ROWS)
def test_numpy_and_torch_models_agree(key):
    """Same initial weights: same outputs, same loss, same input gradient (float64)."""
    model, X, Y = _input(key)
    tm = torch_model(key, 1, dtype=np.float64).eval()
    Xt = torch.tensor(X, requires_grad=True)
    loss_t = torch.nn.functional.mse_loss(tm(Xt), torch.tensor(Y))
    loss_t.backward()
    pred = model.predict(X)
    np.testing.assert_allclose(pred, tm(torch.tensor(X)).detach().numpy(), rtol=1e-9, atol=1e-12)
    diff = pred - Y
    dy = diff * (2.0 / diff.size)
    dx = dy
    for layer in reversed(model.layers):
        dx = layer.backward(dx)
    np.testing.assert_allclose(float(np.mean(diff**2)), loss_t.item(), rtol=1e-12)
    np.testing.assert_allclose(dx, Xt.grad.numpy(), rtol=1e-7, atol=1e-12)


def test_model_errors_and_round_trip():
    with pytest.raises(ValueError, match="no model for row"):
        build_model("naive", 0)
    model, X, Y = _input("deep_rnn_dense")
    params = [dict(layer.params) for layer in model.trainable()]
    again = model_from_params("deep_rnn_dense", params)
    np.testing.assert_allclose(again.predict(X), model.predict(X))
    with pytest.raises(ValueError, match="parameter dicts"):
        model_from_params("deep_rnn_dense", params[:1])
    with pytest.raises(ValueError, match="no parameter 'W_typo'"):
        model_from_params("deep_rnn_dense", [{"W_typo": np.zeros(1)}, *params[1:]])
    with pytest.raises(ValueError, match=r"has shape \(3, 0\), expected \(3, 1\)"):
        model.forward(X, Y[:, :0])


def test_rows_cover_the_table():
    assert set(ROWS) == set(PUBLISHED) and len(ROWS) == 16
    assert ROWS[-1] == "s2s_bn_rnn"  # appended last: the rows before keep their seeds
    assert task_of("s2s_lstm") == "seq2seq" and task_of("ahead_linear") == "ahead"
    assert task_of("deep_rnn") == "next"
    assert targets("s2s_conv_gru", np.zeros((2, 50, 10))).shape == (2, 24, 10)
    with pytest.raises(ValueError, match="unknown row"):
        task_of("arima")


def test_naive_rows_match_a_direct_computation():
    task = load_task("ahead", 42)
    r = naive_row("ahead_naive", 42)
    direct = np.mean((task.Y_valid - task.X_valid[:, -1]) ** 2)
    assert r.mse == pytest.approx(direct)
    with pytest.raises(ValueError, match="naive_row"):
        naive_row("linear")


def test_iterative_forecast_feeds_predictions_back():
    class LastValue:  # a "model" that predicts x_T + 1
        def predict(self, X):
            return X[:, -1] + 1.0

    X = np.zeros((2, 50, 1))
    np.testing.assert_array_equal(iterative_forecast(LastValue(), X, 3), [[1, 2, 3], [1, 2, 3]])


def test_one_epoch_numpy_and_torch_follow_the_same_path():
    a = run_row("linear", seed=1, epochs=1, log=None)
    b = run_row("linear", seed=1, backend="torch", epochs=1, log=None)
    assert a.curve.shape == (1,) and a.ratio == a.mse / PUBLISHED["linear"]
    assert a.mse == pytest.approx(b.mse, rel=1e-3)
    with pytest.raises(ValueError, match="backend"):
        run_row("linear", backend="jax")
    with pytest.raises(ValueError, match="unknown row"):
        run_row("prophet")


def test_run_rows_reports_every_row_and_reuses_the_one_step_model():
    lines = []
    res = run_rows(["naive", "deep_rnn_dense", "ahead_iterative"], seed=0, workers=2, epochs=1,
                   log=lines.append)
    assert list(res) == ["naive", "deep_rnn_dense", "ahead_iterative"]
    summary = [line for line in lines if "valid MSE" in line]
    assert sorted(line.split()[0] for line in summary) == sorted(res)
    direct = iterative_forecast(model_from_params("deep_rnn_dense", res["deep_rnn_dense"].params),
                                load_task("ahead", 0).X_valid)
    assert res["ahead_iterative"].mse == pytest.approx(
        np.mean((direct - load_task("ahead", 0).Y_valid) ** 2))
    text = format_table(res, "ko", times=True)
    assert "순진한 예측" in text and "발표된 MSE" in text
    with pytest.raises(ValueError, match="lang"):
        format_table(res, "fr")


def test_benchmark_markdown(tmp_path):
    table = {("linear", b): [RowResult("linear", b, s, 0.004 + s / 1000, 1.0) for s in (0, 1)]
             for b in ("numpy", "torch")}
    out = tmp_path / "f.md"
    forecast_bench.write_markdown(str(out), table, (0, 1), 60.0, 20)
    text = out.read_text()
    assert "| linear | 0.00417 | 0.0045 ± 0.0007 | 1.08 | 1.0 |" in text
    assert "seeds 0, 1" in text
    # the machine and the load of the run stay in the file but off the book's page
    hidden = text.split("<!-- run details\n", 1)[1].split("\n-->\n", 1)[0]
    assert "machine:" in hidden and "load average" in hidden
    visible = text.replace(hidden, "")
    assert "machine:" not in visible and "load average" not in visible


def test_benchmark_markdown_in_korean(tmp_path):
    table = {("s2s_gru", "numpy"): [RowResult("s2s_gru", "numpy", 0, 0.0077, 3.0)]}
    out = tmp_path / "f.ko.md"
    forecast_bench.write_markdown(str(out), table, (0,), 60.0, 20, lang="ko", load=1.0)
    text = out.read_text()
    assert "| seq2seq: GRU | 0.0103 | 0.0077 ± 0.0000 | 0.75 | 3.0 |" in text
    assert "20에폭" in text and "부하 평균 1.0" in text
    hidden = text.split("<!-- run details\n", 1)[1].split("\n-->\n", 1)[0]
    assert "부하 평균 1.0" in hidden and "컴퓨터:" in hidden
    assert forecast_bench.korean_path("docs/forecasting.md") == "docs/forecasting.ko.md"


def test_iterative_forecast_with_torch_equals_numpy_from_the_same_weights():
    from course_rnn.forecast.torch_twin import iterative_forecast_torch

    X = load_task("ahead", 0).X_valid[:50]
    tm = torch_model("deep_rnn_dense", 0)
    params = [{k: v.detach().numpy().copy() for k, v in m.state_dict().items()} for m in tm]
    one_step = RowResult("deep_rnn_dense", "torch", 0, 0.0, params=params)
    np.testing.assert_allclose(iterative_forecast_torch(one_step, X),
                               iterative_forecast(build_model("deep_rnn_dense", 0), X),
                               rtol=1e-4, atol=1e-5)


def test_train_numpy_is_the_book_loop_one_adam_per_layer():
    """The one training loop (one Adam over the flat dict) equals the book's loop: one Adam
    per layer, shuffled batches of 32, the train loss weighted by the batch sizes."""
    from course_rnn.forecast.rows import LEARNING_RATE
    from course_rnn.forecast.train import train_numpy
    from course_rnn.optim import Adam

    lines = []
    ours = train_numpy("linear", seed=3, epochs=2, log=lines.append)
    task = load_task("next", 3)
    rng = np.random.default_rng([3, ROWS.index("linear"), 7])
    model = build_model("linear", rng)
    opts = [Adam(LEARNING_RATE.get("linear", 0.001), eps=1e-7) for _ in model.trainable()]
    for _ in range(2):
        order = rng.permutation(len(task.X_train))
        total = 0.0
        for i in range(0, len(order), 32):
            idx = order[i : i + 32]
            total += model.forward(task.X_train[idx], task.Y_train[idx]) * len(idx)
            model.backward()
            for layer, opt in zip(model.trainable(), opts, strict=True):
                opt.update(layer.params, layer.grads)
    for a, b in zip(ours.params, model.trainable(), strict=True):
        for name in a:
            np.testing.assert_array_equal(a[name], b.params[name])
    assert ours.mse == score("linear", model.predict(task.X_valid), task.Y_valid)
    assert lines == [f"linear           [numpy] epoch  2/2  train {total / len(order):.4f}  "
                     f"valid {ours.mse:.4f}"]


def test_run_quiet_trains_a_row_once_when_rows_are_shared(tmp_path, monkeypatch):
    import course_rnn.forecast.run as run_module

    calls = []

    def fake_train(key, seed, backend, epochs):
        calls.append((key, seed, backend, epochs))
        return naive_row("naive", seed), [f"trained {key}"]

    monkeypatch.setattr(run_module, "_train_quiet", fake_train)
    monkeypatch.delenv(run_module.SHARED_RESULTS, raising=False)
    run_module.run_quiet("linear", 0, "numpy", 2)
    run_module.run_quiet("linear", 0, "numpy", 2)
    assert len(calls) == 2  # nothing shared without the variable
    monkeypatch.setenv(run_module.SHARED_RESULTS, str(tmp_path / "rows"))
    first = run_module.run_quiet("linear", 0, "numpy", 2)
    second = run_module.run_quiet("linear", 0, "numpy", 2)
    other_seed = run_module.run_quiet("linear", 1, "numpy", 2)
    assert len(calls) == 4  # the second call read the first's row; another seed trains
    assert second[1] == first[1] == ["trained linear"]
    assert second[0].mse == first[0].mse and other_seed[0].seed == 1


def test_a_trained_batch_norm_row_keeps_its_running_averages():
    result = train_numpy("s2s_bn_rnn", seed=0, epochs=1, log=None)
    layers = [p for p in result.params if "running_mean" in p]
    assert len(layers) == 2 and all(np.abs(p["running_mean"]).max() > 0 for p in layers)
    rebuilt = model_from_params("s2s_bn_rnn", result.params)
    X = load_task("seq2seq", 0).X_valid
    assert score("s2s_bn_rnn", rebuilt.predict(X), load_task("seq2seq", 0).Y_valid) == \
        pytest.approx(result.mse, rel=1e-6)


def test_published_curves_end_at_the_published_values():
    from course_rnn.forecast.rows import PUBLISHED_CURVES

    for key, curve in PUBLISHED_CURVES.items():
        assert len(curve) == 20 and curve[-1] == PUBLISHED[key], key
