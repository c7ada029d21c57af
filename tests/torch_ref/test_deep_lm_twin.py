"""The deep language model (course_rnn.deep_lm) against its torch twin
(course_rnn.torch_ref.convert.deep_lm_to_torch, a TorchLanguageModel with tied weights):
in evaluation mode the loss and every gradient are torch's (float64), for 1 and 2 layers,
tied and untied, RNN, LSTM and GRU; the state carried across chunks is torch's h_n and c_n
with h.detach(); Adam trains both alike."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_rnn.deep_lm import DeepLanguageModel
from course_rnn.optim import Adam
from course_rnn.torch_ref.convert import deep_lm_from_torch, deep_lm_to_torch
from course_rnn.torch_ref.models import TorchLanguageModel, detach_state
from course_rnn.training import train

RTOL, ATOL = 1e-9, 1e-12  # float64, the same sums in another order
V, D, H = 11, 6, 6


def _model(cell, num_layers, tie, seed=0, dropout=0.5):
    model = DeepLanguageModel(V, D, H, rng=seed, cell=cell, num_layers=num_layers,
                              dropout=dropout, tie_weights=tie)
    rng = np.random.default_rng(seed + 100)
    for p in model.params.values():  # move the zero biases and the tiny embedding
        p += 0.3 * rng.standard_normal(p.shape)
    return model.eval()


def _torch_loss(net, xs, ts, state=None):
    logits, state = net(torch.as_tensor(xs), state)
    loss = F.cross_entropy(logits.reshape(-1, V), torch.as_tensor(ts).reshape(-1))
    return loss, logits, state


def _close_grads(model, net, what):
    theirs = deep_lm_from_torch(net, grads=True)
    assert theirs.keys() == model.grads.keys()
    for name, g in model.grads.items():
        np.testing.assert_allclose(g, theirs[name], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{what}: d{name}")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_loss_and_every_gradient_equal_torch_in_eval_mode(cell, tie, num_layers):
    model = _model(cell, num_layers, tie)
    net = deep_lm_to_torch(model)
    assert not net.training and net.drop.p == 0.5  # dropout configured, and off
    assert (net.head.weight is net.embed.weight) == tie
    n_torch = sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert n_torch == sum(p.size for p in model.params.values())  # the same parameters
    rng = np.random.default_rng(1)
    xs, ts = rng.integers(0, V, (3, 7)), rng.integers(0, V, (3, 7))
    loss = model.forward(xs, ts)
    model.backward()
    t_loss, logits, _ = _torch_loss(net, xs, ts)
    t_loss.backward()
    np.testing.assert_allclose(loss, t_loss.item(), rtol=RTOL)
    model.reset_state()
    np.testing.assert_allclose(model.predict(xs), logits.detach().numpy(), rtol=RTOL, atol=ATOL)
    _close_grads(model, net, f"{cell} tie={tie} L={num_layers}")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_state_carried_across_chunks_is_torchs_detached_state(cell):
    model = _model(cell, 2, True, seed=3)
    net = deep_lm_to_torch(model)
    rng = np.random.default_rng(2)
    chunks = [(rng.integers(0, V, (2, 5)), rng.integers(0, V, (2, 5))) for _ in range(3)]
    state = None
    for k, (xs, ts) in enumerate(chunks):
        loss = model.forward(xs, ts)
        model.backward()
        net.zero_grad()
        t_loss, _, state = _torch_loss(net, xs, ts, state)
        t_loss.backward()
        state = detach_state(state)  # truncated BPTT: forward carried, backward cut
        np.testing.assert_allclose(loss, t_loss.item(), rtol=RTOL, err_msg=f"chunk {k}")
        _close_grads(model, net, f"chunk {k}")
        h_n = state[0] if cell == "lstm" else state  # (L, N, H)
        for l, layer in enumerate(model.recurrent):  # every layer's h (and c) is torch's
            np.testing.assert_allclose(layer.h, h_n[l].numpy(), rtol=RTOL, atol=ATOL)
            if cell == "lstm":
                np.testing.assert_allclose(layer.c, state[1][l].numpy(), rtol=RTOL, atol=ATOL)
    model.reset_state()
    assert all(layer.h is None for layer in model.recurrent)
    np.testing.assert_allclose(model.forward(*chunks[0]), _torch_loss(net, *chunks[0])[0].item(),
                               rtol=RTOL)


def test_adam_trains_numpy_and_torch_alike_with_tied_weights():
    model = _model("lstm", 2, True, seed=5, dropout=0.0).train()
    net = deep_lm_to_torch(model)
    rng = np.random.default_rng(4)
    batches = [(rng.integers(0, V, (2, 4)), rng.integers(0, V, (2, 4))) for _ in range(6)]
    history = train(model, batches, Adam(0.01), epochs=2, max_grad_norm=1.0)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=0.01)
    losses = []
    for _ in range(2):
        state = None
        for xs, ts in batches:
            loss, _, state = _torch_loss(net, xs, ts, state)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            state = detach_state(state)
            losses.append(loss.item())
    np.testing.assert_allclose(history.losses, losses, rtol=1e-8)
    after = deep_lm_from_torch(net)
    for name, p in model.params.items():
        np.testing.assert_allclose(p, after[name], rtol=1e-7, atol=1e-10, err_msg=name)


def test_weights_round_trip_and_clear_errors():
    model = _model("gru", 2, False, seed=6)
    net = deep_lm_to_torch(model)
    other = DeepLanguageModel(V, D, H, rng=9, cell="gru", tie_weights=False)
    other.load_params(deep_lm_from_torch(net))
    for name, p in model.params.items():
        np.testing.assert_array_equal(other.params[name], p)
    with pytest.raises(ValueError, match="no gradient"):
        deep_lm_from_torch(net, grads=True)
    with pytest.raises(ValueError, match="D == H"):
        TorchLanguageModel(V, 4, 5, tie_weights=True)
    tied = TorchLanguageModel(V, 5, 5, tie_weights=True)
    assert "head.weight" not in dict(tied.named_parameters())  # one Parameter, listed once
    with warnings.catch_warnings():  # one layer: no dropout between layers, no warning
        warnings.simplefilter("error")
        TorchLanguageModel(V, 5, 5, num_layers=1, dropout=0.5)
