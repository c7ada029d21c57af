"""The training loop: truncated BPTT equals torch with .detach(), full BPTT, shuffled batches,
metrics and callbacks, the sample-weighted epoch mean, and ``fit``."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_rnn.data.batches import truncated_bptt_batches
from course_rnn.data.tasks import comparison_task, sine_from_vector
from course_rnn.models import RNNLanguageModel
from course_rnn.optim import SGD, Adam, Momentum, global_norm
from course_rnn.sequence_models import SequenceGenerator, SequenceTagger
from course_rnn.training import evaluate, fit, perplexity, shuffled_batches, train

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


def test_shuffled_batches_draw_a_new_order_every_few_epochs():
    xs, ys = np.arange(10)[:, None], np.arange(10)
    batches = shuffled_batches(xs, ys, 4, np.random.default_rng(0), every=2)
    first = batches(1)
    assert [len(b[0]) for b in first] == [4, 4, 2]
    assert sorted(np.concatenate([b[1] for b in first])) == list(range(10))
    assert all(np.array_equal(b[0][:, 0], b[1]) for b in first)  # inputs and targets together
    assert batches(2) is first  # the same batches within a round
    order = np.random.default_rng(0)
    order.permutation(10)
    third = batches(3)
    assert np.array_equal(np.concatenate([b[1] for b in third]), order.permutation(10))
    with pytest.raises(ValueError, match="every"):
        shuffled_batches(xs, ys, 4, np.random.default_rng(0), every=0)


def test_callable_batches_metric_callback_and_sample_mean():
    model = RNNLanguageModel(V, D, H, rng=10, stateful=False)
    rng = np.random.default_rng(10)
    data = [(rng.integers(0, V, (n, 4)), rng.integers(0, V, (n, 4))) for n in (3, 1)]
    seen, calls = [], []

    def batches(epoch):
        seen.append(epoch)
        return data

    hist = train(model, batches, SGD(0.1), epochs=3, bptt="full", metric=lambda m: 7.0,
                 metric_every=2, on_epoch=lambda e, h: calls.append((e, len(h.epoch_losses))),
                 epoch_mean="sample")
    assert seen == [1, 2, 3] and calls == [(1, 1), (2, 2), (3, 3)]
    assert hist.metric_epochs == [2, 3] and hist.metrics == [7.0, 7.0]
    for k in range(3):
        a, b = hist.losses[2 * k : 2 * k + 2]
        assert hist.epoch_losses[k] == (a * 3 + b * 1) / 4  # weighted by the batch sizes
    plain = train(RNNLanguageModel(V, D, H, rng=10, stateful=False), data, SGD(0.1), epochs=3,
                  bptt="full")
    assert plain.losses == hist.losses
    assert plain.epoch_losses == [float(np.mean(plain.losses[i:i + 2])) for i in (0, 2, 4)]
    assert plain.epoch_losses != hist.epoch_losses
    with pytest.raises(ValueError, match="epoch_mean"):
        train(model, data, SGD(0.1), bptt="full", epoch_mean="token")


def test_fit_lowers_the_loss_and_prints_rounded_lines(capsys):
    r = np.random.default_rng(11)
    xs, labels = comparison_task(64, 6, r, "previous")
    model = SequenceTagger(1, 8, 2, r)
    history = fit(model, xs, labels, epochs=6, rng=r, lr=0.02, log_every=3,
                  metric=lambda m: float(np.mean(m.predict(xs).argmax(-1) == labels)),
                  metric_name="acc", name="tagger ")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("tagger epoch    3  loss ")
    assert lines[1].startswith("tagger epoch    6  loss ") and "  acc 0." in lines[1]
    assert len(history.epoch_losses) == 6 and history.metric_epochs == [3, 6]
    assert len(history.metrics) == 2 and len(history.losses) == 6 * 2  # 2 batches an epoch
    assert history.epoch_losses[-1] < history.epoch_losses[0]
    fit(model, xs, labels, epochs=2, rng=r, verbose=False)
    assert capsys.readouterr().out == ""


def test_fit_is_reproducible_and_equals_train_on_the_same_batches():
    def run(use_fit):
        r = np.random.default_rng(12)
        x, ys = sine_from_vector(40, 5, r)
        model = SequenceGenerator(2, 4, 1, r)
        if use_fit:
            return fit(model, x, ys, epochs=4, rng=r, log_every=2, verbose=False).losses
        optimizer, losses = Adam(lr=0.01), []
        for _ in range(2):  # two rounds of two epochs on the same shuffled batches
            order = r.permutation(40)
            batches = [(x[order[i:i + 32]], ys[order[i:i + 32]]) for i in (0, 32)]
            losses += train(model, batches, optimizer, epochs=2, bptt="full",
                            max_grad_norm=5.0).losses
        return losses

    assert run(True) == run(True) == run(False)


def test_train_prints_and_raises_in_either_language(capsys):
    ids = np.tile(np.arange(V), 60)
    batches = truncated_bptt_batches(ids, 4, 10)
    lines = {}
    for lang in ("en", "ko"):
        train(RNNLanguageModel(V, D, H, rng=6), batches, Adam(0.05), epochs=2,
              val_batches=batches, log_every=2, lang=lang)
        lines[lang] = capsys.readouterr().out.splitlines()
    en, ko = lines["en"][0], lines["ko"][0]
    assert en.startswith("epoch   2  loss ") and "  val loss " in en and "  val ppl " in en
    assert ko.startswith("에폭   2  손실 ") and "  검증 손실 " in ko and "  검증 퍼플렉서티 " in ko
    # the same numbers, rounded the same way
    number = r"\d+\.?\d*"
    assert re.findall(number, en) == re.findall(number, ko) and len(re.findall(number, en)) == 5
    # no lang: the English line, unchanged
    train(RNNLanguageModel(V, D, H, rng=6), batches, Adam(0.05), epochs=2,
          val_batches=batches, log_every=2)
    assert capsys.readouterr().out.splitlines() == lines["en"]
    with pytest.raises(ValueError, match="lang must be one of"):
        train(RNNLanguageModel(V, D, H, rng=6), batches, Adam(0.05), lang="fr")

    class Poison(SGD):
        def update(self, params, grads):
            super().update(params, grads)
            params["affine.b"][0] = np.nan

    ko_message = r"^2번째 갱신에서 손실이 nan이.*\(에폭 1, 배치 2\)$"
    with pytest.raises(FloatingPointError, match=ko_message):
        train(RNNLanguageModel(V, D, H, rng=5), batches[:3], Poison(0.1), lang="ko")
    en_message = r"^the loss became nan at step 2;.*\(epoch 1, batch 2\)$"
    with pytest.raises(FloatingPointError, match=en_message):
        train(RNNLanguageModel(V, D, H, rng=5), batches[:3], Poison(0.1))


def test_fit_prints_in_either_language(capsys):
    def run(**kw):
        r = np.random.default_rng(13)
        xs, labels = comparison_task(64, 6, r, "previous")
        fit(SequenceTagger(1, 8, 2, r), xs, labels, epochs=4, rng=r, lr=0.02, log_every=2,
            metric=lambda m: float(np.mean(m.predict(xs).argmax(-1) == labels)), **kw)
        return capsys.readouterr().out.splitlines()

    en = run(metric_name="acc", name="tagger ", lang="en")
    ko = run(metric_name="정확도", name="태거 ", lang="ko")
    assert en[0].startswith("tagger epoch    2  loss ") and "  acc " in en[0]
    assert ko[0].startswith("태거 에폭    2  손실 ") and "  정확도 " in ko[0]
    number = r"\d+\.\d+|\d+"
    assert [re.findall(number, line) for line in en] == [re.findall(number, line) for line in ko]
    assert len(en) == 2 and len(re.findall(number, en[1])) == 3
    # no lang: the English lines, unchanged
    assert run(metric_name="acc", name="tagger ") == en
    with pytest.raises(ValueError, match="lang must be one of"):
        run(lang="fr")
