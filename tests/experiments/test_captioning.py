"""experiments.captioning: the fixed CNN, the caption decoder (gradients, torch), the accuracy."""

import numpy as np
import pytest

from course_rnn.experiments.captioning import (
    FILTERS,
    Captioner,
    caption_accuracy,
    conv2d_same,
    image_features,
)
from course_rnn.gradcheck import check_gradients
from course_rnn.sequence_models import IGNORE

TOKENS = np.array([[0, 2, 3, 1], [0, 4, 1, IGNORE], [0, 1, IGNORE, IGNORE]])


def test_conv2d_same_matches_a_loop():
    rng = np.random.default_rng(0)
    x, k = rng.random((2, 6, 6)), rng.standard_normal((3, 3, 3))
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    ref = np.zeros((2, 3, 6, 6))
    for n in range(2):
        for c in range(3):
            for i in range(6):
                for j in range(6):
                    ref[n, c, i, j] = np.sum(xp[n, i:i + 3, j:j + 3] * k[c])
    assert np.allclose(conv2d_same(x, k), ref)


def test_features_find_the_pattern_and_its_cell():
    img = np.zeros((1, 16, 16))
    img[0, 2:7, 9] = 1.0  # a vertical bar in the top right cells
    v, maps = image_features(img)
    assert v.shape == (1, 4 * 16) and maps.shape == (1, 4, 16, 16)
    pooled = v.reshape(4, 4, 4)
    vertical = list(FILTERS).index("vertical line")
    horizontal = list(FILTERS).index("horizontal line")
    assert pooled[vertical].max() == pytest.approx(1.0)
    assert pooled[vertical, 0:2, 2].max() == pytest.approx(1.0)  # rows 0-7, columns 8-11
    assert pooled[vertical, 2:].max() == 0 and pooled[horizontal].max() < 0.5
    with pytest.raises(ValueError):
        image_features(np.zeros((1, 10, 10)))


def test_backward_matches_numerical_gradients():
    rng = np.random.default_rng(1)
    model, v = Captioner(6, 5, 3, rng), rng.random((3, 6))
    model.forward(v, TOKENS)
    model.backward()
    errors = check_gradients(lambda: model.forward(v, TOKENS), model.params, model.grads)
    assert set(errors) == set(model.params) and max(errors.values()) < 1e-7


def test_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(2)
    model, v = Captioner(6, 5, 4, rng), rng.random((3, 6))
    loss = model.forward(v, TOKENS)
    model.backward()
    p = {k: torch.tensor(a, requires_grad=True) for k, a in model.params.items()}
    rnn = torch.nn.RNN(5, 4, batch_first=True).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(p["rnn.W_xh"].T)
        rnn.weight_hh_l0.copy_(p["rnn.W_hh"].T)
        rnn.bias_ih_l0.copy_(p["rnn.b_h"])
        rnn.bias_hh_l0.zero_()
    h0 = torch.tanh(torch.tensor(v) @ p["img.W"] + p["img.b"])
    tok = torch.tensor(TOKENS)
    ins = torch.where(tok[:, :-1] == IGNORE, 1, tok[:, :-1])
    hs, _ = rnn(F.one_hot(ins, 5).double(), h0[None])
    scores = hs @ p["out.W"] + p["out.b"]
    t_loss = F.cross_entropy(scores.reshape(-1, 5), tok[:, 1:].reshape(-1), ignore_index=IGNORE)
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-10)
    for k in ("img.W", "img.b", "out.W", "out.b"):
        np.testing.assert_allclose(model.grads[k], p[k].grad.numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(model.grads["rnn.W_xh"], rnn.weight_ih_l0.grad.numpy().T,
                               rtol=1e-6, atol=1e-12)


def test_generate_reads_its_own_choices():
    rng = np.random.default_rng(3)
    model, v = Captioner(6, 5, 4, rng), rng.random((2, 6))
    out = model.generate(v, 4)
    assert out.shape == (2, 4)
    # the first step of greedy decoding equals the first step under teacher forcing
    scores = model.predict(v, np.array([[0, out[0, 0], 1], [0, out[1, 0], 1]]))
    assert np.array_equal(scores[:, 0].argmax(axis=1), out[:, 0])
    assert np.array_equal(scores[:, 1].argmax(axis=1), out[:, 1])


def test_caption_accuracy():
    gen = np.array([[2, 3, 1, 4], [4, 1, 0, 0], [2, 1, 1, 1]])  # right, right, wrong
    exact, words = caption_accuracy(gen, TOKENS)
    assert exact == pytest.approx(2 / 3)
    assert words == pytest.approx(5 / 6)  # 3 + 2 + 1 targets, one wrong
