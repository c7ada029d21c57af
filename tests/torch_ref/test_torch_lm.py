"""course_rnn.torch_ref.lm: the torch twin of chapter 4's language model (scores, weights,
loss curve)."""

import numpy as np
import torch

from course_rnn.data.batches import truncated_bptt_batches
from course_rnn.data.corpus import build_vocab, encode, load_corpus
from course_rnn.models import RNNLanguageModel
from course_rnn.optim import SGD
from course_rnn.torch_ref.lm import TorchRNNLM, torch_train_losses
from course_rnn.training import train


def _data(size=3000):
    text = load_corpus("en", size=size)
    char_to_id, id_to_char = build_vocab(text)
    return encode(text, char_to_id), len(id_to_char)


def test_torch_twin_has_the_same_scores_and_weights():
    ids, V = _data()
    model = RNNLanguageModel(V, 6, 10, rng=0)
    net = TorchRNNLM(model)
    xs = ids[:40].reshape(2, 20)
    model.reset_state()
    ours = model.predict(xs)
    theirs, h = net(torch.as_tensor(xs))
    np.testing.assert_allclose(theirs.detach().numpy(), ours, rtol=1e-10, atol=1e-12)
    assert h.shape == (1, 2, 10)
    for k, v in net.as_numpy().items():
        np.testing.assert_array_equal(v, model.params[k])
    assert not net.rnn.bias_hh_l0.requires_grad


def test_same_loss_curve_in_numpy_and_torch():
    ids, V = _data()
    batches = truncated_bptt_batches(ids, 4, 10)[:30]
    model = RNNLanguageModel(V, 6, 12, rng=1)
    net = TorchRNNLM(model)
    hist = train(model, batches, SGD(lr=0.5), epochs=1, max_grad_norm=1.0)
    losses = torch_train_losses(net, batches, lr=0.5, max_grad_norm=1.0)
    assert len(losses) == len(hist.losses) == 30
    assert np.max(np.abs(np.array(losses) - np.array(hist.losses))) < 1e-10
    for k, v in net.as_numpy().items():
        np.testing.assert_allclose(v, model.params[k], rtol=1e-7, atol=1e-10)
    assert losses[-1] < losses[0]
