r"""Tools of chapter 4 around the language model: its torch twin, temperature, figures.

- :class:`TorchRNNLM`: the numpy ``RNNLanguageModel`` rebuilt in torch from the same
  weights (``nn.Embedding`` -> ``nn.RNN`` -> ``nn.Linear``), with torch's second bias
  ``bias_hh`` frozen at zero because course_rnn's cell has one bias
  :math:`b_h = b_{ih} + b_{hh}`;
- :func:`torch_train_losses`: the training loop of ``course_rnn.training.train`` written
  in torch (truncated BPTT, ``h.detach()`` between chunks, clipping, SGD), so the two
  loss curves can be compared step by step;
- :func:`temperature_softmax` and :func:`entropy`: the sampling distribution
  :math:`p_\tau = \mathrm{softmax}(s / \tau)` and its entropy
  :math:`H(p) = -\sum_v p_v \log p_v` (in nats; :math:`e^{H}` is the effective number
  of choices, the same reading as perplexity);
- :func:`draw_lm_layers` and :func:`draw_offsets`: the layers of the model unrolled in
  time, and the rows of a truncated-BPTT mini-batch read at their offsets.

Taught in chapter 4.
"""

from __future__ import annotations

import numpy as np

from course_rnn.layers import softmax


def temperature_softmax(scores, temperature: float = 1.0) -> np.ndarray:
    r"""Next-token distribution at temperature :math:`\tau`.

    .. math::

        p_\tau(v) = \frac{\exp(s_v / \tau)}{\sum_u \exp(s_u / \tau)}

    ``scores`` (..., V) -> probabilities (..., V). :math:`\tau \to 0` tends to the
    one-hot of the arg max, :math:`\tau = 1` is the model's own distribution,
    :math:`\tau \to \infty` the uniform one. Torch: ``F.softmax(scores / tau, -1)``.
    Taught in chapter 4.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    return softmax(np.asarray(scores, dtype=np.float64) / temperature, axis=-1)


def entropy(p, axis: int = -1) -> np.ndarray:
    r"""Entropy in nats of the distributions ``p`` along ``axis``.

    .. math::

        H(p) = -\sum_v p_v \log p_v \qquad (0 \log 0 = 0)

    ``p`` (..., V) -> (...). :math:`e^{H}` is the number of equally likely choices with
    the same uncertainty. Torch: ``torch.distributions.Categorical(probs=p).entropy()``.
    Taught in chapter 4.
    """
    p = np.asarray(p, dtype=np.float64)
    logp = np.log(np.where(p > 0, p, 1.0))
    return -np.sum(p * logp, axis=axis)


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
            from course_rnn.convert import rnn_params_to_torch

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


def next_token_probs(model, ids) -> np.ndarray:
    r"""The model's next-token distribution after each prefix of ``ids``.

    .. math::

        P_{t, v} = p(w_{t+1} = v \mid w_1, \dots, w_t) = \mathrm{softmax}(s_t)_v

    ``ids`` (T,) -> probabilities (T, V); row t is the prediction made after reading
    ``ids[t]``. The state is reset before and after. Torch: ``F.softmax(net(ids)[0], -1)``.
    Taught in chapter 4.
    """
    model.reset_state()
    try:
        scores = model.predict(np.asarray(ids, dtype=np.int64)[None])[0]  # (T, V)
    finally:
        model.reset_state()
    return softmax(scores.astype(np.float64), axis=-1)


_LM_TEXT = {
    "ko": {"embed": "Embedding", "rnn": "Time RNN", "affine": "Time Affine",
           "loss": "Softmax\n교차 엔트로피", "mean": "평균", "in": "입력 $w_t$",
           "target": "정답"},
    "en": {"embed": "Embedding", "rnn": "Time RNN", "affine": "Time Affine",
           "loss": "Softmax\ncross-entropy", "mean": "mean", "in": "input $w_t$",
           "target": "target"},
}


def draw_lm_layers(tokens=("나", "는", " ", "사"), targets=("는", " ", "사", "과"),
                   lang: str = "ko", ax=None):
    r"""Draw the language model unrolled in time, one column per time step.

    Each column reads :math:`w_t` and goes up through Embedding, the RNN cell
    (:math:`h_{t-1} \to h_t` from left to right), Affine and the softmax loss against
    :math:`w_{t+1}`; the losses meet in their mean :math:`L`. ``tokens`` and
    ``targets`` (T each) label the columns. Returns the Axes. Torch: none (a figure).
    Taught in chapter 4.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if lang not in _LM_TEXT:
        raise ValueError(f"lang must be 'ko' or 'en', got {lang!r}")
    if len(tokens) != len(targets):
        raise ValueError("tokens and targets must have the same length")
    text = _LM_TEXT[lang]
    T = len(tokens)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.9 * T + 1.6, 5.4))
    rows = [("embed", 1.0, "#dbe9f6"), ("rnn", 2.0, "#fde2c8"), ("affine", 3.0, "#dff0d8"),
            ("loss", 4.1, "#f2dede")]
    w, hgt = 1.35, 0.55

    def box(x, y, label, color):
        ax.add_patch(FancyBboxPatch((x - w / 2, y - hgt / 2), w, hgt,
                                    boxstyle="round,pad=0.03", fc=color, ec="black", lw=0.8))
        ax.text(x, y, label, ha="center", va="center", fontsize=9)

    def arrow(a, b, color="black"):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=10,
                                     color=color, lw=0.9))

    for t in range(T):
        x = 1.9 * t
        ax.text(x, 0.15, f"{text['in']}\n'{tokens[t]}'".replace("$w_t$", f"$w_{t + 1}$"),
                ha="center", va="center", fontsize=9)
        arrow((x, 0.45), (x, 1.0 - hgt / 2))
        for (name, y, color), nxt in zip(rows, [*rows[1:], None], strict=True):
            box(x, y, text[name], color)
            if nxt is not None:
                arrow((x, y + hgt / 2), (x, nxt[1] - hgt / 2))
        ax.text(x + w / 2 + 0.05, 4.1 - 0.55,
                f"{text['target']} '{targets[t]}'", ha="left", va="center", fontsize=8,
                color="tab:red")
        arrow((x + 0.55, 3.55), (x + 0.35, 4.1 - hgt / 2), color="tab:red")
        arrow((x, 4.1 + hgt / 2), (1.9 * (T - 1) / 2, 5.05))
        if t < T - 1:
            arrow((x + w / 2, 2.0), (x + 1.9 - w / 2, 2.0), color="tab:orange")
    ax.text(-1.25, 2.0, "$h_0$", ha="center", va="center", fontsize=10)
    arrow((-1.05, 2.0), (-w / 2, 2.0), color="tab:orange")
    ax.text(1.9 * (T - 1) / 2, 5.25, f"$L$ ({text['mean']})", ha="center", va="center",
            fontsize=10)
    ax.set_xlim(-1.6, 1.9 * (T - 1) + 1.0)
    ax.set_ylim(-0.3, 5.5)
    ax.set_axis_off()
    return ax


def draw_offsets(n: int, batch_size: int, time_size: int, lang: str = "ko", ax=None):
    r"""Draw how ``truncated_bptt_batches`` reads one sequence of ``n`` pairs.

    Row :math:`i` starts at :math:`o_i = \lfloor i n / B \rfloor` and reads
    :math:`\lfloor n / B \rfloor` steps cut into chunks of ``time_size``; chunk k of each
    row is drawn in the colour of mini-batch k. Returns the Axes. Torch: none (a figure).
    Taught in chapter 4.
    """
    import matplotlib.pyplot as plt

    B, T = batch_size, time_size
    steps = n // B
    n_chunks = steps // T
    if n_chunks < 1:
        raise ValueError(f"{n} pairs in {B} rows give fewer than time_size={T} steps per row")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.5 * B + 1.2))
    colors = plt.get_cmap("tab10")
    for i in range(B):
        o = i * n // B
        for k in range(n_chunks):
            ax.barh(i, T, left=o + k * T, color=colors(k % 10), edgecolor="white", height=0.6)
            ax.text(o + k * T + T / 2, i, f"{k + 1}", ha="center", va="center", fontsize=8)
    ax.set_xlim(0, n)
    ax.set_yticks(range(B))
    ax.set_yticklabels([f"{'행' if lang == 'ko' else 'row'} {i} (o = {i * n // B})"
                        for i in range(B)])
    ax.invert_yaxis()
    ax.set_xlabel({"ko": "시퀀스 안의 위치 (숫자: 미니배치 번호)",
                   "en": "position in the sequence (number: mini-batch)"}.get(lang, ""))
    return ax
