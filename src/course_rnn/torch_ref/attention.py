r"""The attention of chapter 10 in torch: the same equations, for equality checks and timing.

``torch_attention`` is ``course_rnn.attention.attention_forward`` written with torch tensors
(autograd gives the backward); ``TorchAttentionSeq2Seq`` is ``AttentionSeq2Seq`` with torch
modules, its encoder run on ``pack_padded_sequence`` (torch's way of batching sequences of
different lengths) where the numpy model runs over the padding and masks it. Parameters are
copied from a numpy model's flat ``params`` (row-vector weights, transposed for torch).
Taught in chapter 10.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from course_rnn.torch_ref.convert import rnn_params_to_torch

GRU_NAMES = ("W_x", "W_h", "b_x", "b_h")


def torch_scores(queries, keys, params: dict, kind: str):
    r"""Scores (N, T', T) of ``queries`` (N, T', H) against ``keys`` (N, T, H), torch tensors.
    ``params`` maps the names of ``course_rnn.attention.SCORES`` to tensors. Chapter 10."""
    if kind == "dot":
        return queries @ keys.transpose(1, 2)
    if kind == "general":
        return (queries @ params["W_a"]) @ keys.transpose(1, 2)
    if kind == "additive":
        z = (queries @ params["W_q"])[:, :, None, :] + (keys @ params["W_k"])[:, None, :, :]
        return torch.tanh(z) @ params["v"]
    raise ValueError(f"score must be 'dot', 'general' or 'additive', got {kind!r}")


def torch_attention(queries, keys, mask, params: dict, kind: str):
    r"""Context (N, T', H) and weights (N, T', T): ``masked_fill`` with :math:`-\infty`,
    ``softmax``, a batched product. Tensors in, tensors out. Chapter 10."""
    scores = torch_scores(queries, keys, params, kind)
    weights = scores.masked_fill(~mask[:, None, :], float("-inf")).softmax(-1)
    return weights @ keys, weights


class TorchAttentionSeq2Seq(nn.Module):
    r"""``AttentionSeq2Seq`` in torch (float64), built from a numpy model's ``params``.

    ``forward(src, dec_in)`` -> scores (N, T', V) and weights (N, T', T); the encoder reads
    ``pack_padded_sequence(embed(src), lengths, enforce_sorted=False)``, its states come back
    through ``pad_packed_sequence`` (zeros after each row's end) and the decoder starts from
    ``h_n``. ``grads()`` returns the gradients under the numpy model's names. Chapter 10.
    """

    def __init__(self, params: dict, score: str, pad: int = 0):
        super().__init__()
        self.score, self.pad = score, pad
        V_src, E = params["enc.embed"].shape
        V_tgt = params["dec.embed"].shape[0]
        H = params["enc.W_h"].shape[0]
        self.enc_embed = nn.Embedding(V_src, E).double()
        self.dec_embed = nn.Embedding(V_tgt, E).double()
        self.enc = nn.GRU(E, H, batch_first=True).double()
        self.dec = nn.GRU(E, H, batch_first=True).double()
        self.out = nn.Linear(2 * H, V_tgt).double()
        with torch.no_grad():
            self.enc_embed.weight.copy_(torch.tensor(params["enc.embed"], dtype=torch.float64))
            self.dec_embed.weight.copy_(torch.tensor(params["dec.embed"], dtype=torch.float64))
            self.out.weight.copy_(torch.tensor(params["dec.W_out"].T, dtype=torch.float64))
            self.out.bias.copy_(torch.tensor(params["dec.b_out"], dtype=torch.float64))
        for part, module in (("enc", self.enc), ("dec", self.dec)):
            rnn_params_to_torch({k: np.asarray(params[f"{part}.{k}"], dtype=np.float64)
                                 for k in GRU_NAMES}, module)
        self.att = nn.ParameterDict({
            name[4:]: nn.Parameter(torch.tensor(v, dtype=torch.float64))
            for name, v in params.items() if name.startswith("att.")})

    def forward(self, src, dec_in):
        src = torch.as_tensor(src)
        mask = src != self.pad
        lengths = mask.sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(self.enc_embed(src), lengths.cpu(),
                                                   batch_first=True, enforce_sorted=False)
        hs_packed, h_n = self.enc(packed)
        hs, _ = nn.utils.rnn.pad_packed_sequence(hs_packed, batch_first=True,
                                                 total_length=src.shape[1])
        ss, _ = self.dec(self.dec_embed(torch.as_tensor(dec_in)), h_n)
        ctx, weights = torch_attention(ss, hs, mask, dict(self.att), self.score)
        return self.out(torch.cat([ss, ctx], -1)), weights

    def grads(self) -> dict:
        """Gradients after ``backward()``, as numpy arrays under the numpy model's names."""
        g = {"enc.embed": self.enc_embed.weight.grad, "dec.embed": self.dec_embed.weight.grad,
             "dec.W_out": self.out.weight.grad.T, "dec.b_out": self.out.bias.grad}
        for part, module in (("enc", self.enc), ("dec", self.dec)):
            g[f"{part}.W_x"] = module.weight_ih_l0.grad.T
            g[f"{part}.W_h"] = module.weight_hh_l0.grad.T
            g[f"{part}.b_x"] = module.bias_ih_l0.grad
            g[f"{part}.b_h"] = module.bias_hh_l0.grad
        g.update({f"att.{n}": p.grad for n, p in self.att.items()})
        return {k: v.detach().numpy() for k, v in g.items()}
