"""Training loop and language model: truncated BPTT equals torch with .detach(), and more."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_rnn.data.batches import truncated_bptt_batches
from course_rnn.gradcheck import check_gradients
from course_rnn.models import RNNLanguageModel
from course_rnn.optim import SGD, Adam, Momentum, global_norm
from course_rnn.training import evaluate, perplexity, train

V, D, H = 7, 4, 5


class TorchLM(torch.nn.Module):
    """The same model in torch, weights converted by hand (bias_hh frozen at zero)."""

    def __init__(self, model):
        super().__init__()
        p = {k: torch.tensor(v.copy()) for k, v in model.params.items()}
        self.embed = torch.nn.Embedding(V, D).double()
        self.rnn = torch.nn.RNN(D, H, batch_first=True).double()
        self.out = torch.nn.Linear(H, V).double()
        with torch.no_grad():
            self.embed.weight.copy_(p["embed.W"])
            self.rnn.weight_ih_l0.copy_(p["rnn.W_xh"].T)
            self.rnn.weight_hh_l0.copy_(p["rnn.W_hh"].T)
            self.rnn.bias_ih_l0.copy_(p["rnn.b_h"])
            self.rnn.bias_hh_l0.zero_()
            self.out.weight.copy_(p["affine.W"].T)
            self.out.bias.copy_(p["affine.b"])
        self.rnn.bias_hh_l0.requires_grad_(False)

    def trained(self):
        return [p for p in self.parameters() if p.requires_grad]

    def loss(self, xs, ts, h):
        hs, h = self.rnn(self.embed(torch.tensor(xs)), h)
        scores = self.out(hs)
        return F.cross_entropy(scores.reshape(-1, V), torch.tensor(ts).reshape(-1)), h

    def as_numpy(self, grad=False):
        """Parameters (or their gradients) in course_rnn's layout and names."""
        rnn = self.rnn
        leaves = {"embed.W": (self.embed.weight, False), "rnn.W_xh": (rnn.weight_ih_l0, True),
                  "rnn.W_hh": (rnn.weight_hh_l0, True), "rnn.b_h": (rnn.bias_ih_l0, False),
                  "affine.W": (self.out.weight, True), "affine.b": (self.out.bias, False)}
        out = {}
        for name, (p, transposed) in leaves.items():
            a = (p.grad if grad else p).detach().numpy()
            out[name] = a.T if transposed else a
        return out


def _corpus(n=200, seed=0):
    return np.random.default_rng(seed).integers(0, V, n)


def test_truncated_bptt_gradients_equal_torch_with_detach():
    model = RNNLanguageModel(V, D, H, rng=1)
    tmodel = TorchLM(model)
    batches = truncated_bptt_batches(_corpus(), batch_size=3, time_size=6)[:3]
    h = None
    for xs, ts in batches:
        loss = model.forward(xs, ts)
        model.backward()
        tloss, h = tmodel.loss(xs, ts, h)
        tmodel.zero_grad()
        tloss.backward()
        h = h.detach()  # forward carried, backward cut
        np.testing.assert_allclose(loss, tloss.item(), rtol=1e-6)
        for name, tgrad in tmodel.as_numpy(grad=True).items():
            np.testing.assert_allclose(model.grads[name], tgrad, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize(("ours", "theirs", "kwargs"), [
    (SGD, torch.optim.SGD, {"lr": 0.5}),
    (Momentum, torch.optim.SGD, {"lr": 0.2, "momentum": 0.9}),
    (Adam, torch.optim.Adam, {"lr": 0.05}),
])
def test_train_truncated_equals_torch_loop(ours, theirs, kwargs):
    model = RNNLanguageModel(V, D, H, rng=2)
    tmodel = TorchLM(model)
    batches = truncated_bptt_batches(_corpus(), batch_size=2, time_size=8)[:4]
    hist = train(model, batches, ours(**kwargs), epochs=2, max_grad_norm=0.5)

    topt = theirs(tmodel.trained(), **kwargs)
    losses, norms = [], []
    for _ in range(2):
        h = None  # the state is reset at the start of every epoch
        for xs, ts in batches:
            loss, h = tmodel.loss(xs, ts, h)
            h = h.detach()
            topt.zero_grad()
            loss.backward()
            norms.append(torch.nn.utils.clip_grad_norm_(tmodel.trained(), 0.5).item())
            topt.step()
            losses.append(loss.item())
    np.testing.assert_allclose(hist.losses, losses, rtol=1e-6)
    np.testing.assert_allclose(hist.grad_norms, norms, rtol=1e-6)
    for name, tp in tmodel.as_numpy().items():
        np.testing.assert_allclose(model.params[name], tp, rtol=1e-6, atol=1e-12)
    assert len(hist.epoch_losses) == 2 and hist.epoch_losses[1] < hist.epoch_losses[0]


def test_train_full_bptt_resets_the_state_before_every_batch():
    model = RNNLanguageModel(V, D, H, rng=3, stateful=False)
    tmodel = TorchLM(model)
    rng = np.random.default_rng(3)
    batches = [(rng.integers(0, V, (2, 5)), rng.integers(0, V, (2, 5))) for _ in range(3)]
    hist = train(model, batches, SGD(0.3), bptt="full")
    topt = torch.optim.SGD(tmodel.trained(), lr=0.3)
    for (xs, ts), ours in zip(batches, hist.losses, strict=True):
        loss, _ = tmodel.loss(xs, ts, None)
        topt.zero_grad()
        loss.backward()
        topt.step()
        np.testing.assert_allclose(ours, loss.item(), rtol=1e-6)


def test_language_model_gradient_check():
    model = RNNLanguageModel(5, 3, 4, rng=4, stateful=False)
    rng = np.random.default_rng(4)
    xs, ts = rng.integers(0, 5, (2, 3)), rng.integers(0, 5, (2, 3))
    ts[0, 1] = -100  # a padded position
    model.forward(xs, ts)
    model.backward()
    errors = check_gradients(lambda: model.forward(xs, ts), model.params, model.grads)
    assert max(errors.values()) < 1e-6, errors


def test_nan_loss_stops_training_and_names_the_step():
    class Poison(SGD):
        """Writes a nan into the weights after the third update."""

        calls = 0

        def update(self, params, grads):
            super().update(params, grads)
            self.calls += 1
            if self.calls == 3:
                params["affine.b"][0] = np.nan

    model = RNNLanguageModel(V, D, H, rng=5)
    batches = truncated_bptt_batches(_corpus(), batch_size=2, time_size=10)[:3]
    with pytest.raises(FloatingPointError, match=r"loss became nan at step 4.*epoch 2, batch 1"):
        train(model, batches, Poison(0.1), epochs=3)


def test_evaluate_perplexity_history_and_progress(capsys):
    ids = np.tile(np.arange(V), 60)
    model = RNNLanguageModel(V, D, H, rng=6)
    batches = truncated_bptt_batches(ids, 4, 10)
    before = evaluate(model, batches)
    hist = train(model, batches, Adam(0.05), epochs=4, max_grad_norm=1.0,
                 val_batches=batches, log_every=2, progress=True)
    assert hist.val_losses[-1] < before and hist.val_perplexities[-1] < 1.5
    assert hist.perplexities == [pytest.approx(np.exp(x)) for x in hist.epoch_losses]
    assert perplexity(np.log(V)) == pytest.approx(V)
    assert global_norm(model.grads) > 0
    out, err = capsys.readouterr()
    assert "training" in err
    lines = out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch   4  loss ") and "val ppl" in lines[1]
    # the deterministic cycle is learnt: greedy sampling continues it
    assert model.generate([0, 1, 2], 5, np.random.default_rng(0), temperature=0) == [3, 4, 5, 6, 0]
    a = model.generate([0], 20, np.random.default_rng(1), temperature=2.0)
    assert a == model.generate([0], 20, np.random.default_rng(1), temperature=2.0)
    assert model.stateful


def test_train_argument_errors():
    model = RNNLanguageModel(V, D, H, rng=7, stateful=False)
    batches = truncated_bptt_batches(_corpus(), 2, 5)
    with pytest.raises(ValueError, match="must be stateful"):
        train(model, batches, SGD(0.1))
    with pytest.raises(ValueError, match="bptt must be one of"):
        train(model, batches, SGD(0.1), bptt="partial")
    with pytest.raises(TypeError, match="re-iterable"):
        train(model, iter(batches), SGD(0.1), bptt="full")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_language_model_keeps_dtype(dtype):
    model = RNNLanguageModel(V, D, H, rng=8, dtype=dtype)
    batches = truncated_bptt_batches(_corpus(), 2, 5)[:2]
    train(model, batches, Adam(0.01), max_grad_norm=1.0)
    assert all(p.dtype == dtype for p in model.params.values())
    assert all(g.dtype == dtype for g in model.grads.values())


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_language_model_with_an_lstm_or_gru_layer(name):
    from course_rnn.gru import TimeGRU
    from course_rnn.layers import Embedding, TimeAffine
    from course_rnn.lstm import TimeLSTM
    from course_rnn.models import LanguageModel

    rng = np.random.default_rng(9)
    Hs = 3
    if name == "lstm":  # W_x (D, 4H), W_h (H, 4H), b (4H,)
        shapes, cls = [(D, 4 * Hs), (Hs, 4 * Hs), (4 * Hs,)], TimeLSTM
    else:  # W_x (D, 3H), W_h (H, 3H), b_x, b_h (3H,)
        shapes, cls = [(D, 3 * Hs), (Hs, 3 * Hs), (3 * Hs,), (3 * Hs,)], TimeGRU
    rec = cls(*(0.3 * rng.standard_normal(s) for s in shapes))
    model = LanguageModel(Embedding(rng.standard_normal((V, D))), rec,
                          TimeAffine(rng.standard_normal((Hs, V)), np.zeros(V)),
                          recurrent_name=name)
    xs, ts = rng.integers(0, V, (2, 3)), rng.integers(0, V, (2, 3))
    model.forward(xs, ts)
    model.backward()
    assert f"{name}.W_x" in model.params
    errors = check_gradients(lambda: model.forward(xs, ts), model.params, model.grads)
    assert max(errors.values()) < 1e-6, errors
