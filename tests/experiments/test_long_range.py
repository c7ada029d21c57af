"""experiments.long_range: the adding-problem models, one short training, the sweep's summary."""

import json

import numpy as np
import pytest
import torch

from course_rnn.data.tasks import adding_problem
from course_rnn.experiments import long_range as lr
from course_rnn.gradcheck import numerical_gradient_array, rel_error


def test_sequence_conv_matches_torch_and_gradient():
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((5, 2, 4)), rng.standard_normal(5)
    layer = lr.SequenceConv(W, b, stride=4)
    xs = rng.standard_normal((3, 17, 2))  # (N, T, C_in)
    y = layer.forward(xs)
    assert y.shape == (3, 4, 5)  # floor((17 - 4) / 4) + 1 = 4 steps
    yt = torch.nn.functional.conv1d(torch.tensor(xs).transpose(1, 2), torch.tensor(W),
                                    torch.tensor(b), stride=4).transpose(1, 2)
    np.testing.assert_allclose(y, yt.numpy(), rtol=1e-10)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    num = numerical_gradient_array(lambda v: lr.SequenceConv(W, b, 4).forward(v), xs, dy)
    assert rel_error(dx, num) < 1e-8
    assert layer.grads["W"].shape == W.shape and np.abs(layer.grads["W"]).sum() > 0


def test_sequence_conv_relu_matches_torch_and_gradient():
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((6, 2, 4)), rng.standard_normal(6)
    layer = lr.SequenceConv(W, b, stride=4, relu=True)
    xs = rng.standard_normal((3, 16, 2))
    y = layer.forward(xs)
    xt = torch.tensor(xs, requires_grad=True)
    Wt, bt = torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)
    zt = torch.nn.functional.conv1d(xt.transpose(1, 2), Wt, bt, stride=4)
    yt = torch.relu(zt).transpose(1, 2)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10)
    assert (y == 0).any() and (y > 0).any()  # some units closed, some open
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], Wt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], bt.grad.numpy(), rtol=1e-10, atol=1e-12)
    num = numerical_gradient_array(
        lambda v: lr.SequenceConv(W, b, 4, relu=True).forward(v), xs, dy)
    assert rel_error(dx, num) < 1e-8


def test_relu_convolution_can_extract_the_marked_values():
    # one kernel per position k: relu(v_k + m_k - 1) = m_k v_k, since 0 <= v_k < 1
    s = 4
    W = np.zeros((s, 2, s))
    for k in range(s):
        W[k, :, k] = 1.0
    xs, _ = adding_problem(50, 40, 3, dtype=np.float64)
    y = lr.SequenceConv(W, -np.ones(s), stride=s, relu=True).forward(xs)
    expected = (xs[:, :, 0] * xs[:, :, 1]).reshape(50, 40 // s, s)
    np.testing.assert_allclose(y, expected, atol=1e-12)
    linear = lr.SequenceConv(W, -np.ones(s), stride=s).forward(xs)
    assert np.abs(linear - expected).max() > 0.5  # without the ReLU: not the products


@pytest.mark.parametrize("model", lr.MODELS)
def test_build_model_shapes_and_gradient(model):
    net = lr.build_model(model, 0, H=4, channels=6, dtype=np.float64)
    xs, ys = adding_problem(5, 16, 1, dtype=np.float64)
    assert net.predict(xs).shape == (5, 1)
    net.forward(xs, ys)
    net.backward()
    for name, p in net.params.items():
        def loss_of(v, name=name):
            old = net.params[name].copy()
            net.params[name][...] = v
            out = net.forward(xs, ys)
            net.params[name][...] = old
            return np.array(out)
        num = numerical_gradient_array(loss_of, p.copy(), np.array(1.0))
        assert rel_error(net.grads[name], num) < 1e-6, name
    assert any(k.startswith("0.") for k in net.params) and (
        ("W" in net.parts["0"].params) == model.startswith("conv"))
    with pytest.raises(ValueError):
        lr.build_model("rnn", 0)
    with pytest.raises(ValueError):
        lr.build_model("convx_gru", 0)
    assert lr.parse_model("conv8_gru") == ("gru", 8) and lr.parse_model("lstm") == ("lstm", 1)
    assert lr.parse_model("conv4relu_lstm") == ("lstm", 4)
    assert lr.has_relu(model) == ("relu" in model)
    if model.startswith("conv"):
        assert net.parts["0"].relu == lr.has_relu(model)
    with pytest.raises(ValueError):
        lr.parse_model("convrelu_gru")


def test_validation_set_depends_on_T_only():
    a, b = lr.validation_set(20, 8), lr.validation_set(20, 8)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape == (8, 20, 2) and lr.validation_set(30, 8)[0].shape == (8, 30, 2)


def test_train_one_is_seeded_and_learns(capsys):
    kw = dict(updates=300, log_every=100, eval_every=100, n_valid=200, H=8, lr=0.02)
    r1 = lr.train_one("conv4_gru", 16, 0, **kw)
    out = capsys.readouterr().out
    assert out.count("validation MSE") == 3 and "update  300" in out
    r2 = lr.train_one("conv4_gru", 16, 0, **kw)
    assert r1["curve"] == r2["curve"] and len(r1["curve"]) == 3
    assert r1["val_mse"] == r1["curve"][-1] < 1 / 6  # 16 steps: learned a good part
    assert set(r1) >= {"model", "T", "seed", "updates", "solved_at", "seconds"}
    with pytest.raises(ValueError):
        lr.train_one("gru", 16, 0, updates=150, eval_every=100)
    lr.train_one("gru", 8, 0, updates=100, log_every=100, n_valid=20, H=4, lang="ko")
    assert "검증 MSE" in capsys.readouterr().out
    with pytest.raises(ValueError):
        lr.train_one("gru", 8, 0, updates=100, lang="fr")


def test_summary_and_find_run():
    res = {"settings": dict(lr.SETTINGS), "solved": lr.SOLVED, "runs": [
        {"model": "gru", "T": 50, "seed": s, "val_mse": v, "solved_at": a, "curve": [v]}
        for s, v, a in [(0, 0.001, 500), (1, 0.003, 700), (2, 0.17, None)]]}
    table = lr.summary(res)
    row = table[("gru", 50)]
    assert row["solved"] == 2 and row["seeds"] == 3
    assert row["mean"] == pytest.approx(np.mean([0.001, 0.003, 0.17]))
    assert row["sd"] == pytest.approx(np.std([0.001, 0.003, 0.17], ddof=1))
    assert lr.find_run(res, "gru", 50, 1)["val_mse"] == 0.003
    with pytest.raises(KeyError):
        lr.find_run(res, "lstm", 50, 1)


def test_stored_results_are_complete():
    res = lr.load_results()
    keys = {(r["model"], r["T"], r["seed"]) for r in res["runs"]}
    assert keys == {(m, T, s) for m, T in lr.GRID for s in lr.SEEDS}
    assert len(lr.GRID) == len(lr.MODELS) * len(lr.LENGTHS) + 2 * len(lr.LONG_LENGTHS)
    assert {m for m, T in lr.GRID if T in lr.LONG_LENGTHS} == {"gru", "conv4relu_gru"}
    assert res["settings"] == lr.SETTINGS
    n = res["settings"]["updates"] // res["settings"]["eval_every"]
    assert all(len(r["curve"]) == n and r["val_mse"] == r["curve"][-1] for r in res["runs"])


def test_main_writes_json(tmp_path, monkeypatch):
    fake = {"settings": {}, "solved": 0.01, "runs": []}
    monkeypatch.setattr(lr, "run_sweep", lambda workers, cache: fake)
    out = tmp_path / "r.json"
    lr.main(["--out", str(out), "--workers", "1"])
    assert json.loads(out.read_text())["runs"] == []


def test_run_sweep_uses_its_cache(tmp_path, monkeypatch):
    monkeypatch.setitem(lr.SETTINGS, "updates", 100)
    monkeypatch.setitem(lr.SETTINGS, "n_valid", 10)
    monkeypatch.setitem(lr.SETTINGS, "H", 4)
    kept = lr.train_one("gru", 8, 1)
    kept["val_mse"] = -1.0  # a marker: read back, not trained again
    (tmp_path / lr._cache_name("gru", 8, 1, lr.SETTINGS)).write_text(json.dumps(kept))
    lines = []
    res = lr.run_sweep(grid=[("gru", 8)], seeds=(0, 1), workers=1, log=lines.append,
                       cache=tmp_path)
    assert [r["seed"] for r in res["runs"]] == [0, 1] and res["runs"][1]["val_mse"] == -1.0
    assert len(lines) == 1 and (tmp_path / lr._cache_name("gru", 8, 0, lr.SETTINGS)).exists()
