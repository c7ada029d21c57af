r"""Chapter 4's language model in torch, from the numpy model's weights, and its training loop.

- :class:`TorchRNNLM`: the numpy ``RNNLanguageModel`` rebuilt in torch from the same
  weights (``nn.Embedding`` -> ``nn.RNN`` -> ``nn.Linear``), with torch's second bias
  ``bias_hh`` frozen at zero because course_rnn's cell has one bias
  :math:`b_h = b_{ih} + b_{hh}`;
- :func:`torch_train_losses`: the training loop of ``course_rnn.training.train`` written
  in torch (truncated BPTT, ``h.detach()`` between chunks, clipping, SGD), so the two
  loss curves can be compared step by step.

Taught in chapter 4.
"""

from __future__ import annotations


def _torch_module():
    import torch
    from torch import nn

    class TorchRNNLM(nn.Module):
        r"""The numpy ``RNNLanguageModel`` in torch, with the same weights.

        .. math::

            h_t = \tanh(E[w_t] W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}),
            \qquad b_{hh} = 0 \text{ (frozen)}, \qquad s_t = h_t W^\top + b

        ``TorchRNNLM(model)`` copies ``model.params`` (``embed.W`` (V, D), ``rnn.W_xh``
        (D, H), ``rnn.W_hh`` (H, H), ``rnn.b_h`` (H,), ``affine.W`` (H, V), ``affine.b``
        (V,)) in float64, transposing the matrices to torch's (out, in) layout;
        ``forward(ids (N, T), h=None) -> (scores (N, T, V), h (1, N, H))``;
        ``as_numpy()`` gives the weights back in course_rnn's names and layout.
        Taught in chapter 4.
        """

        def __init__(self, model):
            super().__init__()
            p = model.params
            V, D = p["embed.W"].shape
            H = p["rnn.W_hh"].shape[0]
            self.embed = nn.Embedding(V, D, dtype=torch.float64)
            self.rnn = nn.RNN(D, H, batch_first=True, dtype=torch.float64)
            self.out = nn.Linear(H, V, dtype=torch.float64)
            from course_rnn.torch_ref.convert import rnn_params_to_torch

            with torch.no_grad():
                self.embed.weight.copy_(torch.as_tensor(p["embed.W"]))
                rnn_params_to_torch({k[4:]: v for k, v in p.items() if k.startswith("rnn.")},
                                    self.rnn)  # W_ih = W_xh.T, b_ih = b_h, b_hh = 0
                self.out.weight.copy_(torch.as_tensor(p["affine.W"].T))  # (V, H)
                self.out.bias.copy_(torch.as_tensor(p["affine.b"]))
            self.rnn.bias_hh_l0.requires_grad_(False)  # one bias, as in course_rnn

        def forward(self, ids, h=None):
            hs, h = self.rnn(self.embed(ids), h)  # (N, T, H), (1, N, H)
            return self.out(hs), h  # (N, T, V)

        def as_numpy(self) -> dict:
            """The weights in course_rnn's names and layout (numpy copies)."""
            r = self.rnn
            return {"embed.W": self.embed.weight.detach().numpy().copy(),
                    "rnn.W_xh": r.weight_ih_l0.detach().numpy().T.copy(),
                    "rnn.W_hh": r.weight_hh_l0.detach().numpy().T.copy(),
                    "rnn.b_h": (r.bias_ih_l0 + r.bias_hh_l0).detach().numpy().copy(),
                    "affine.W": self.out.weight.detach().numpy().T.copy(),
                    "affine.b": self.out.bias.detach().numpy().copy()}

    return TorchRNNLM


def TorchRNNLM(model):
    r"""The numpy ``RNNLanguageModel`` ``model`` rebuilt in torch with the same weights.

    .. math::

        W_{ih} = W_{xh}^\top, \quad W_{hh}^\text{torch} = W_{hh}^\top, \quad
        b_{ih} = b_h, \quad b_{hh} = 0 \ (\text{frozen}), \quad
        W_\text{Linear} = W_\text{out}^\top

    Returns an ``nn.Module`` with ``forward(ids (N, T), h=None) -> (scores (N, T, V),
    h (1, N, H))`` and ``as_numpy()``. Torch: ``nn.Embedding``, ``nn.RNN``,
    ``nn.Linear`` in float64. Taught in chapter 4.
    """
    return _torch_module()(model)


def torch_train_losses(net, batches, lr: float, *, epochs: int = 1,
                       max_grad_norm: float | None = None) -> list[float]:
    r"""Train the torch twin as ``course_rnn.training.train`` trains the numpy model.

    For each chunk :math:`(x, t)` of ``batches`` (in order, state carried):
    :math:`L = \mathrm{cross\_entropy}(\mathrm{net}(x, h), t)`, backward,
    ``clip_grad_norm_`` (if ``max_grad_norm``), SGD step
    :math:`\theta \leftarrow \theta - \eta g`, then ``h = h.detach()`` (truncated BPTT).
    The state is reset to zeros at the start of each epoch.

    Parameters
    ----------
    net : TorchRNNLM
    batches : list of (xs (N, T), ts (N, T)) int arrays
    lr : float
    epochs : int
    max_grad_norm : float or None

    Returns
    -------
    list of float
        The loss of every step, as ``History.losses``. Taught in chapter 4.
    """
    import torch
    import torch.nn.functional as F

    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=lr)
    losses = []
    for _ in range(epochs):
        h = None
        for xs, ts in batches:
            scores, h = net(torch.as_tensor(xs), h)
            loss = F.cross_entropy(scores.reshape(-1, scores.shape[-1]),
                                   torch.as_tensor(ts).reshape(-1))
            opt.zero_grad()
            loss.backward()
            if max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
            opt.step()
            h = h.detach()  # forward carried on, backward cut here
            losses.append(loss.item())
    return losses
