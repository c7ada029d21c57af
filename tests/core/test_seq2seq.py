"""course_rnn.seq2seq: gradient checks, equality with torch, padding, teacher forcing,
greedy decoding, scheduled sampling, and a small training that learns the dates."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_rnn.data.dates import (
    END,
    PAD,
    SRC_VOCAB,
    START,
    T_OUT,
    TGT_VOCAB,
    length_batches,
    make_dataset,
)
from course_rnn.gradcheck import check_gradients, numerical_gradient, rel_error
from course_rnn.optim import Adam
from course_rnn.seq2seq import (
    Seq2Seq,
    decoder_backward,
    decoder_forward,
    decoder_inputs,
    encoder_backward,
    encoder_forward,
    exact_match,
    init_seq2seq_params,
)
from course_rnn.torch_ref.convert import rnn_params_to_torch
from course_rnn.training import train

TOL = 1e-6
V_SRC, V_TGT = len(SRC_VOCAB), len(TGT_VOCAB)


def model(peeky=False, E=3, H=4, seed=1, dtype=np.float64):
    return Seq2Seq(V_SRC, V_TGT, E, H, np.random.default_rng(seed), start=START, peeky=peeky,
                   dtype=dtype)


def data(n=3, seed=0):
    ds = make_dataset(n, np.random.default_rng(seed))
    return ds["src"], ds["tgt"]


@pytest.mark.parametrize("peeky", [False, True])
def test_model_gradients(peeky):
    m = model(peeky)
    src, tgt = data(3)
    assert (src == PAD).any()  # rows of different lengths: the padding is exercised
    m.forward(src, tgt)
    m.backward()
    errors = check_gradients(lambda: m.forward(src, tgt), m.params, m.grads)
    assert errors.keys() == m.params.keys()
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("peeky", [False, True])
def test_decoder_backward_gives_the_context_gradient(peeky):
    rng = np.random.default_rng(4)
    p = init_seq2seq_params(V_SRC, V_TGT, 3, 4, rng, peeky)
    dec = {k[4:]: v for k, v in p.items() if k.startswith("dec.")}
    dec_in = rng.integers(0, V_TGT, (2, 5))
    c = rng.standard_normal((2, 4))
    G = rng.standard_normal((2, 5, V_TGT))
    _, cache = decoder_forward(dec_in, c, **dec, peeky=peeky)
    dc, grads = decoder_backward(G, cache)
    num = numerical_gradient(
        lambda v: np.sum(decoder_forward(dec_in, v, **dec, peeky=peeky)[0] * G), c)
    assert rel_error(dc, num) < TOL
    assert set(grads) == {"embed", "W_x", "W_h", "b_x", "b_h", "W_out", "b_out"}


def test_encoder_reads_the_last_real_symbol_and_ignores_padding():
    rng = np.random.default_rng(5)
    p = init_seq2seq_params(V_SRC, V_TGT, 3, 4, rng)
    enc = {k[4:]: v for k, v in p.items() if k.startswith("enc.")}
    src, _ = data(4, seed=2)
    c, cache = encoder_forward(src, **enc)
    longer = np.concatenate([src, np.full((4, 7), PAD)], axis=1)  # more padding
    c2, _ = encoder_forward(longer, **enc)
    assert np.allclose(c, c2, rtol=0, atol=1e-14)
    for n in range(4):  # one row alone, unpadded
        row = src[n:n + 1, :(src[n] != PAD).sum()]
        assert np.allclose(encoder_forward(row, **enc)[0], c[n], atol=1e-14)
    g = encoder_backward(np.ones_like(c), cache)
    assert np.all(g["embed"][PAD] == 0)  # the padding never reaches c
    with pytest.raises(ValueError, match="only padding"):
        encoder_forward(np.zeros((2, 3), dtype=int), **enc)
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        encoder_forward(src[0], **enc)


def test_decoder_inputs_shift_right():
    tgt = np.array([[1, 2, 3, END], [4, 5, 6, END]])
    assert np.array_equal(decoder_inputs(tgt, START), [[START, 1, 2, 3], [START, 4, 5, 6]])


class TorchSeq2Seq(torch.nn.Module):
    """The same model in torch: packed encoder GRU, decoder GRU from c, linear, peeky or not."""

    def __init__(self, p, E, H, peeky):
        super().__init__()
        self.peeky = peeky
        self.enc_embed = torch.nn.Embedding(V_SRC, E).double()
        self.dec_embed = torch.nn.Embedding(V_TGT, E).double()
        self.enc = torch.nn.GRU(E, H, batch_first=True).double()
        self.dec = torch.nn.GRU(E + H * peeky, H, batch_first=True).double()
        self.out = torch.nn.Linear(H * (1 + peeky), V_TGT).double()
        with torch.no_grad():
            self.enc_embed.weight.copy_(torch.tensor(p["enc.embed"]))
            self.dec_embed.weight.copy_(torch.tensor(p["dec.embed"]))
            self.out.weight.copy_(torch.tensor(p["dec.W_out"].T))
            self.out.bias.copy_(torch.tensor(p["dec.b_out"]))
        for part, module in (("enc", self.enc), ("dec", self.dec)):
            rnn_params_to_torch({k: p[f"{part}.{k}"] for k in ("W_x", "W_h", "b_x", "b_h")}, module)

    def forward(self, src, dec_in):
        lengths = (src != PAD).sum(1)
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            self.enc_embed(src), lengths, batch_first=True, enforce_sorted=False)
        _, h_n = self.enc(packed)
        c = h_n[0]  # (N, H)
        u = self.dec_embed(dec_in)
        cs = c[:, None].expand(-1, dec_in.shape[1], -1)
        if self.peeky:
            u = torch.cat([u, cs], -1)
        ss, _ = self.dec(u, h_n)
        return self.out(torch.cat([ss, cs], -1) if self.peeky else ss)


@pytest.mark.parametrize("peeky", [False, True])
def test_equals_torch(peeky):
    E, H = 5, 6
    m = model(peeky, E=E, H=H, seed=7)
    src, tgt = data(6, seed=3)
    loss = m.forward(src, tgt)
    m.backward()
    tm = TorchSeq2Seq(m.params, E, H, peeky)
    scores = tm(torch.tensor(src), torch.tensor(decoder_inputs(tgt, START)))
    t_loss = F.cross_entropy(scores.reshape(-1, V_TGT), torch.tensor(tgt).reshape(-1))
    t_loss.backward()
    assert np.isclose(loss, t_loss.item(), rtol=1e-10)
    torch_grads = {
        "enc.embed": tm.enc_embed.weight.grad, "dec.embed": tm.dec_embed.weight.grad,
        "dec.W_out": tm.out.weight.grad.T, "dec.b_out": tm.out.bias.grad,
    }
    for part, module in (("enc", tm.enc), ("dec", tm.dec)):
        torch_grads[f"{part}.W_x"] = module.weight_ih_l0.grad.T
        torch_grads[f"{part}.W_h"] = module.weight_hh_l0.grad.T
        torch_grads[f"{part}.b_x"] = module.bias_ih_l0.grad
        torch_grads[f"{part}.b_h"] = module.bias_hh_l0.grad
    assert torch_grads.keys() == m.grads.keys()
    for name, g in torch_grads.items():
        np.testing.assert_allclose(m.grads[name], g.numpy(), rtol=1e-6, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("peeky", [False, True])
def test_greedy_decoding_is_argmax_of_its_own_inputs(peeky):
    m = model(peeky, E=4, H=5, seed=8)
    src, _ = data(5, seed=4)
    pred = m.generate(src, T_OUT)
    assert pred.shape == (5, T_OUT)
    read = m.generate(src, T_OUT, return_inputs=True)
    assert np.array_equal(read, decoder_inputs(pred, START))
    # the same steps run as one teacher-forced pass over the model's own outputs
    assert np.array_equal(m.scores(src, read).argmax(-1), pred)


def test_scheduled_sampling_ends():
    m = model(E=4, H=5, seed=9)
    src, tgt = data(8, seed=5)
    teacher = m.generate(src, T_OUT, teacher=tgt, feed_prob=0.0, return_inputs=True)
    assert np.array_equal(teacher, decoder_inputs(tgt, START))  # q = 0: teacher forcing
    free = m.generate(src, T_OUT, teacher=tgt, feed_prob=1.0, return_inputs=True)
    assert np.array_equal(free, m.generate(src, T_OUT, return_inputs=True))  # q = 1: free
    m.feed_prob = 1.0
    loss_free = m.forward(src, tgt)
    m.feed_prob = 0.0
    assert loss_free != m.forward(src, tgt)


def test_exact_match():
    assert exact_match([[1, 2], [3, 4]], [[1, 2], [3, 5]]) == 0.5
    with pytest.raises(ValueError, match="shape"):
        exact_match([[1, 2]], [[1, 2, 3]])


def test_float32_stays_float32():
    m = model(dtype=np.float32)
    src, tgt = data(4)
    m.forward(src, tgt)
    m.backward()
    assert all(g.dtype == np.float32 for g in m.grads.values())
    assert m.scores(src, decoder_inputs(tgt, START)).dtype == np.float32


def test_training_learns_some_dates():
    rng = np.random.default_rng(0)
    tr = make_dataset(600, rng)
    m = Seq2Seq(V_SRC, V_TGT, 8, 32, np.random.default_rng(1), start=START)
    opt = Adam(lr=0.01)
    before = (m.generate(tr["src"][:200], T_OUT) == tr["tgt"][:200]).mean()
    losses = []
    for _ in range(3):
        h = train(m, length_batches(tr["src"], tr["tgt"], 32, rng), opt, bptt="full",
                  max_grad_norm=5.0)
        losses += h.epoch_losses
    assert losses[-1] < 0.6 * losses[0]
    after = (m.generate(tr["src"][:200], T_OUT) == tr["tgt"][:200]).mean()
    assert before < 0.2 and after > 0.5  # most characters right already


def test_encode_through_padding_and_given_context():
    m = model(E=4, H=5, seed=10)
    src, _ = data(4, seed=6)
    assert np.allclose(m.encode(src), encoder_forward(
        src, **{k[4:]: v for k, v in m.params.items() if k.startswith("enc.")})[0])
    naive = m.encode(src, through_padding=True)  # h_T after the padding
    full = (src != PAD).all(axis=1)
    assert np.allclose(naive[full], m.encode(src)[full]) and not np.allclose(naive, m.encode(src))
    assert np.array_equal(m.generate(src, T_OUT, context=m.encode(src)), m.generate(src, T_OUT))
    assert not np.array_equal(m.generate(src, T_OUT, context=np.zeros_like(naive) + 3.0),
                              m.generate(src, T_OUT))


def test_parts_and_load_params_restore_a_checkpoint():
    m = model(E=4, H=5, seed=11, dtype=np.float32)
    assert list(m.parts) == ["enc", "dec"] and not m.stateful
    assert list(m.params) == list(init_seq2seq_params(V_SRC, V_TGT, 4, 5,
                                                      np.random.default_rng(11)))
    src, _ = data(4, seed=7)
    saved = {k: v.copy() for k, v in m.params.items()}
    other = model(E=4, H=5, seed=12, dtype=np.float32)
    assert not np.array_equal(other.generate(src, T_OUT), m.generate(src, T_OUT))
    other.load_params(saved)
    assert np.array_equal(other.generate(src, T_OUT), m.generate(src, T_OUT))
    assert all(v.dtype == np.float32 for v in other.params.values())
    tgt = other.generate(src, T_OUT)
    assert np.array_equal(other.predict(src, tgt).argmax(-1), tgt)  # teacher forcing on its own
