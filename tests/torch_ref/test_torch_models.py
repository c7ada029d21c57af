"""course_rnn.torch_ref.models: output shapes, and the outputs and gradients of one
backward pass equal to those of the numpy layers run from the same weights (float64)."""

import copy

import numpy as np
import pytest
import torch

from course_rnn.layers import (
    embedding_backward,
    embedding_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    time_affine_backward,
    time_affine_forward,
)
from course_rnn.multilayer import stacked_backward, stacked_forward, to_torch_states
from course_rnn.torch_ref.convert import cell_name, rnn_params_from_torch
from course_rnn.torch_ref.models import (
    TorchLanguageModel,
    TorchSequenceRegressor,
    detach_state,
    make_rnn,
)

RTOL, ATOL = 1e-9, 1e-12  # float64, the same sums in another order


def close(ours, theirs, what):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def rnn_grads(module) -> list:
    """The gradients of a torch RNN/LSTM/GRU in course_rnn's layout: ``rnn_params_from_torch``
    of a copy that holds the gradients as its weights. For the RNN and the LSTM course_rnn
    has one bias, ``bias_ih + bias_hh``, whose gradient is that of either (they are equal)."""
    twin = copy.deepcopy(module)
    grads = {name: p.grad for name, p in module.named_parameters()}
    with torch.no_grad():
        for name, p in twin.named_parameters():
            if name.startswith("bias_hh") and cell_name(module) != "gru":
                torch.testing.assert_close(grads[name], grads[name.replace("_hh", "_ih")])
                p.zero_()
            else:
                p.copy_(grads[name])
    return rnn_params_from_torch(twin)


def close_layers(ours: list, theirs: list, what: str):
    for l, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        pairs = zip(a, b, strict=True) if isinstance(a, tuple) else [(a, b)]
        for d, (pa, pb) in enumerate(pairs):
            assert pa.keys() == pb.keys()
            for key in pa:
                close(pa[key], pb[key], f"{what}: layer {l} direction {d} d{key}")


@pytest.mark.parametrize("cell", ["rnn", "rnn_relu", "lstm", "gru"])
def test_language_model(cell):
    torch.manual_seed(0)
    model = TorchLanguageModel(V=11, D=5, H=7, cell=cell, num_layers=2, dropout=0.1)
    ids = torch.randint(0, 11, (3, 6))
    logits, state = model(ids)
    assert logits.shape == (3, 6, 11)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 11), ids.reshape(-1))
    loss.backward()
    assert model.embed.weight.grad is not None
    assert all(p.grad is not None for p in model.rnn.parameters())
    logits2, _ = model(ids, detach_state(state))  # continue from the carried state
    assert logits2.shape == (3, 6, 11)
    h = state[0] if cell == "lstm" else state
    assert h.shape == (2, 3, 7)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("seq2seq,bidirectional", [(False, False), (True, False), (False, True)])
def test_sequence_regressor(cell, seq2seq, bidirectional):
    torch.manual_seed(0)
    model = TorchSequenceRegressor(D=2, H=8, out=3, cell=cell, num_layers=2, seq2seq=seq2seq,
                              bidirectional=bidirectional)
    xs = torch.randn(4, 9, 2)
    y = model(xs)
    assert y.shape == ((4, 9, 3) if seq2seq else (4, 3))
    y.square().mean().backward()
    assert model.head.weight.grad is not None


def test_regressor_reads_the_last_step():
    torch.manual_seed(0)
    model = TorchSequenceRegressor(D=1, H=4, out=1, cell="gru")
    xs = torch.randn(2, 5, 1)
    hs, _ = model.rnn(xs)
    torch.testing.assert_close(model(xs), model.head(hs[:, -1]))


def test_make_rnn_and_detach():
    m = make_rnn("rnn_relu", 3, 4)
    assert m.nonlinearity == "relu" and m.batch_first
    with pytest.raises(ValueError, match="cell must be one of"):
        make_rnn("transformer", 3, 4)
    h = torch.ones(1, 2, 4, requires_grad=True) * 2
    assert not detach_state(h).requires_grad
    assert all(not s.requires_grad for s in detach_state((h, h)))
    assert detach_state(None) is None


@pytest.mark.parametrize("cell", ["rnn", "rnn_relu", "lstm", "gru"])
def test_language_model_matches_numpy(cell):
    torch.manual_seed(0)
    V = 11
    model = TorchLanguageModel(V=V, D=5, H=7, cell=cell, num_layers=2).double()
    ids = torch.randint(0, V, (3, 6))
    targets = torch.randint(0, V, (3, 6))
    logits, state = model(ids)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    loss.backward()

    # the same model in numpy, from the torch weights
    layers = rnn_params_from_torch(model.rnn)
    W, b = model.head.weight.detach().numpy().T, model.head.bias.detach().numpy()
    e, e_cache = embedding_forward(ids.numpy(), model.embed.weight.detach().numpy())
    hs, lasts, s_cache = stacked_forward(cell, e, layers)
    scores, a_cache = time_affine_forward(hs, W, b)
    loss_np, c_cache = softmax_cross_entropy_forward(scores, targets.numpy())
    close(scores, logits, "logits")
    close(loss_np, loss, "loss")
    ours_state = to_torch_states(lasts, cell)  # h_n, or (h_n, c_n) for the LSTM
    pairs = zip(ours_state, state, strict=True) if cell == "lstm" else [(ours_state, state)]
    for ours, theirs in pairs:
        close(ours, theirs, "last state")

    a_grads = time_affine_backward(softmax_cross_entropy_backward(1.0, c_cache), a_cache)
    s_grads = stacked_backward(a_grads.dxs, s_cache)
    close(a_grads.dW, model.head.weight.grad.T, "head dW")
    close(a_grads.db, model.head.bias.grad, "head db")
    close_layers(s_grads.dparams, rnn_grads(model.rnn), cell)
    close(embedding_backward(s_grads.dxs, e_cache), model.embed.weight.grad, "embedding dW")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("seq2seq,bidirectional", [(False, False), (True, False), (False, True)])
def test_sequence_regressor_matches_numpy(cell, seq2seq, bidirectional):
    torch.manual_seed(0)
    model = TorchSequenceRegressor(D=2, H=8, out=3, cell=cell, num_layers=2, seq2seq=seq2seq,
                                   bidirectional=bidirectional).double()  # fmt: skip
    xs = torch.randn(4, 9, 2, dtype=torch.float64, requires_grad=True)
    y = model(xs)
    y.square().mean().backward()

    layers = rnn_params_from_torch(model.rnn)
    W, b = model.head.weight.detach().numpy().T, model.head.bias.detach().numpy()
    hs, lasts, cache = stacked_forward(cell, xs.detach().numpy(), layers)

    def h_of(state):  # the LSTM's state is (h, c)
        return state[0] if cell == "lstm" else state

    def state_grad(dh):  # the gradient of a last state whose h receives dh
        return (dh, None) if cell == "lstm" else dh

    if seq2seq:
        y_np, a_cache = time_affine_forward(hs, W, b)
    else:  # the top layer's last states (both directions' when bidirectional)
        top = lasts[-1]
        last = np.concatenate([h_of(top[0]), h_of(top[1])], 1) if bidirectional else h_of(top)
        y_np = last @ W + b
    close(y_np, y, "output")
    dy = 2 * y_np / y_np.size  # d mean(y**2) / dy

    if seq2seq:
        a_grads = time_affine_backward(dy, a_cache)
        dW, db = a_grads.dW, a_grads.db
        grads = stacked_backward(a_grads.dxs, cache)
    else:
        dW, db, dlast = last.T @ dy, dy.sum(0), dy @ W.T
        H = model.rnn.hidden_size
        if bidirectional:
            dtop = (state_grad(dlast[:, :H]), state_grad(dlast[:, H:]))
        else:
            dtop = state_grad(dlast)
        grads = stacked_backward(None, cache, [None] * (len(layers) - 1) + [dtop])
    close(dW, model.head.weight.grad.T, "head dW")
    close(db, model.head.bias.grad, "head db")
    close_layers(grads.dparams, rnn_grads(model.rnn), cell)
    close(grads.dxs, xs.grad, "dxs")
