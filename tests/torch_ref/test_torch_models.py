"""course_rnn.torch_ref.models: output shapes and one backward pass (a smoke test)."""

import pytest
import torch

from course_rnn.torch_ref.models import (
    TorchLanguageModel,
    TorchSequenceRegressor,
    detach_state,
    make_rnn,
)


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
