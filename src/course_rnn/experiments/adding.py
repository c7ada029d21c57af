r"""The adding problem (Le, Jaitly & Hinton, 2015) and the LSTM's gradient paths.

Taught in chapter 5. Each input sequence has two channels: a value :math:`v_t \sim U(0, 1)`
and a marker :math:`m_t \in \{0, 1\}` that is 1 at exactly two steps, one in each half of
the sequence. The target is the sum of the two marked values (this form is from Le, Jaitly &
Hinton, 2015; the original long-delay adding task is Hochreiter & Schmidhuber, 1997),

.. math::

    x_t = (v_t, m_t) \in \mathbb{R}^2, \qquad y = \sum_{t=1}^{T} m_t v_t .

A model that ignores the inputs does best by predicting the mean :math:`\mathbb{E}[y] = 1`,
and its mean squared error is :math:`\mathrm{Var}(y) = 2 \cdot \tfrac{1}{12} = \tfrac16
\approx 0.167`: the trivial baseline. To beat it, a model must carry the first marked value
over up to T steps.

- the data, ``adding_problem``, and ``constant_baseline_mse``, the MSE of predicting a
  constant, are in ``course_rnn.data.tasks``;
- ``train_adding``: train a torch RNN or LSTM regressor on it, with a few progress lines;
- ``lstm_jacobian_norms``: :math:`\|\partial h_T / \partial h_k\|_2` and
  :math:`\|\partial h_T / \partial c_k\|_2` of a numpy LSTM, the LSTM side of chapter 3's
  ``course_rnn.experiments.gradients.jacobian_norms``;
- ``train_char_lm``: a torch character language model (any cell) trained with truncated
  BPTT, to compare the LSTM with chapter 4's RNN model.
"""

from __future__ import annotations

import numpy as np

from course_rnn.lstm import lstm_backward, lstm_forward


def train_adding(cell: str, train_data, val_data, *, H: int = 32, epochs: int = 6,
                 batch_size: int = 32, lr: float = 1e-2, max_grad_norm: float = 1.0,
                 seed: int = 0, log_every: int = 1, lang: str = "en"):
    r"""Train a torch ``TorchSequenceRegressor`` (last state -> one number) on the adding problem.

    .. math::

        \hat y = h_T W + b, \qquad L = \frac1N \sum_n (\hat y_n - y_n)^2

    Adam with learning rate ``lr``, gradient clipping at ``max_grad_norm``, mini-batches
    of ``batch_size`` in a seeded random order. Prints ``epoch, validation MSE`` every
    ``log_every`` epochs (0: silent), rounded.

    Parameters
    ----------
    cell : str
        A cell name of ``course_rnn.cells`` with a torch module (``"rnn"``, ``"lstm"``, ...).
    train_data, val_data : tuple of ndarrays (N, T, 2) and (N, 1)
        From ``adding_problem`` (float32).
    H : int
        Hidden size.
    lang : {"en", "ko"}
        Language of the printed lines (the numbers are the same).

    Returns
    -------
    model : TorchSequenceRegressor
        In eval mode.
    history : dict
        ``"train"``: mean training MSE of each epoch; ``"val"``: validation MSE after
        each epoch; ``"step"``: the training MSE of every update.

    Notes
    -----
    torch: ``nn.LSTM(2, H, batch_first=True)`` and ``nn.Linear(H, 1)``. Taught in chapter 5.
    """
    import torch

    from course_rnn.torch_ref.models import TorchSequenceRegressor

    words = _words(lang, "MSE", "MSE")
    torch.manual_seed(seed)
    xs, ys = (torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for a in train_data)
    xv, yv = (torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for a in val_data)
    model = TorchSequenceRegressor(D=xs.shape[2], H=H, out=1, cell=cell)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history = {"train": [], "val": [], "step": []}
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(xs.shape[0], generator=gen)
        losses = []
        for start in range(0, xs.shape[0], batch_size):
            idx = order[start : start + batch_size]
            loss = torch.mean((model(xs[idx]) - ys[idx]) ** 2)  # (B, 1) -> scalar
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            opt.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            val = torch.mean((model(xv) - yv) ** 2).item()
        history["step"].extend(losses)
        history["train"].append(float(np.mean(losses)))
        history["val"].append(float(val))
        if log_every and (epoch % log_every == 0 or epoch == epochs):
            print(f"{cell:5s} {words[0]} {epoch:2d}: {words[1]} {history['train'][-1]:.3f}, "
                  f"{words[2]} {val:.3f}")
    return model, history


def _words(lang: str, metric_en: str, metric_ko: str) -> tuple[str, str, str]:
    """The words of a progress line: epoch, training metric, validation metric."""
    if lang == "en":
        return "epoch", f"train {metric_en}", f"validation {metric_en}"
    if lang == "ko":
        return "에폭", f"학습 {metric_ko}", f"검증 {metric_ko}"
    raise ValueError(f"lang must be 'en' or 'ko', got {lang!r}")


def lstm_jacobian_norms(xs, W_x, W_h, b) -> tuple[np.ndarray, np.ndarray]:
    r"""Spectral norms of :math:`\partial h_T / \partial h_k`, :math:`\partial h_T / \partial c_k`.

    .. math::

        a_k = \Bigl\| \frac{\partial h_T}{\partial h_k} \Bigr\|_2, \qquad
        b_k = \Bigl\| \frac{\partial h_T}{\partial c_k} \Bigr\|_2, \qquad k = 0, \dots, T

    (zero initial states). The Jacobians come from ``lstm_backward`` itself: row j of
    :math:`\partial h_T / \partial (h_k, c_k)` is the gradient of :math:`h_{T,j}`, so the
    suffix :math:`x_{k+1..T}` is run from the stored :math:`(h_k, c_k)` for H copies of the
    sequence with :math:`\delta h_T = I`. Along the cell path alone,
    :math:`\partial c_T / \partial c_k = \mathrm{diag}(\prod_{t=k+1}^{T} f_t)`.

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
    W_x : ndarray, shape (D, 4H)
    W_h : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)

    Returns
    -------
    dh_norms, dc_norms : ndarrays, shape (N, T + 1)
        Indexed by k; the distance back in time is ``T - k`` (``dh_norms[:, T] == 1``).

    Notes
    -----
    torch: ``torch.autograd.functional.jacobian`` of ``h_T`` with respect to ``(h_k, c_k)``
    through ``nn.LSTM``. Taught in chapter 5 (beside chapter 3's ``jacobian_norms``).
    """
    xs = np.asarray(xs, dtype=np.float64)
    W_x, W_h, b = (np.asarray(a, dtype=np.float64) for a in (W_x, W_h, b))
    N, T, _ = xs.shape
    H = W_h.shape[0]
    hs, _, cache = lstm_forward(xs, None, None, W_x, W_h, b)
    h_states = np.concatenate([np.zeros((N, 1, H)), hs], axis=1)  # (N, T + 1, H): h_0..h_T
    c_states = cache.cs.transpose(2, 0, 1)  # (N, T + 1, H): c_0..c_T
    dh_norms = np.ones((N, T + 1))
    dc_norms = np.empty((N, T + 1))
    eye = np.eye(H)
    for n in range(N):
        dc_norms[n, T] = np.linalg.norm(_dhT_dcT(cache, n), 2)
        for k in range(T):
            suffix = np.repeat(xs[n : n + 1, k:], H, axis=0)  # (H, T - k, D)
            h0 = np.repeat(h_states[n : n + 1, k], H, axis=0)  # (H, H)
            c0 = np.repeat(c_states[n : n + 1, k], H, axis=0)
            _, _, sub = lstm_forward(suffix, h0, c0, W_x, W_h, b)
            g = lstm_backward(None, sub, dh_last=eye)  # row j: gradient of h_{T, j}
            dh_norms[n, k] = np.linalg.norm(g.dh0, 2)
            dc_norms[n, k] = np.linalg.norm(g.dc0, 2)
    return dh_norms, dc_norms


def _dhT_dcT(cache, n: int) -> np.ndarray:
    """(H, H): diag(o_T (1 - tanh^2 c_T)) of sequence n, the Jacobian of h_T by c_T."""
    o = cache.gates[-1, 3, :, n]  # (H,)
    return np.diag(o * (1 - cache.tanh_cs[-1, :, n] ** 2))


def train_char_lm(cell: str, train_ids, val_ids, V: int, *, D: int = 32, H: int = 128,
                  epochs: int = 5, batch_size: int = 32, time_size: int = 32,
                  lr: float = 3e-3, max_grad_norm: float = 1.0, seed: int = 0,
                  log_every: int = 1, lang: str = "en"):
    r"""Train a torch character language model with truncated BPTT; report perplexities.

    .. math::

        L = -\frac{1}{NT} \sum_{n,t} \log p(w_{t+1} \mid w_{\le t}), \qquad
        \mathrm{PPL} = e^{L}

    The training ids are read as ``batch_size`` rows at evenly spaced offsets
    (``course_rnn.data.batches.truncated_bptt_batches``), in chunks of ``time_size`` steps, with
    the state carried from chunk to chunk and detached (chapter 4); validation reads
    ``val_ids`` the same way with the state carried and no update. Adam, clipping at
    ``max_grad_norm``. Prints one rounded line every ``log_every`` epochs.

    Parameters
    ----------
    cell : str
        A cell name of ``course_rnn.cells`` with a torch module (``"rnn"``, ``"lstm"``, ...).
    train_ids, val_ids : int ndarray, shape (n,)
    V : int
        Vocabulary size.
    D, H : int
        Embedding and hidden sizes.
    lang : {"en", "ko"}
        Language of the printed lines (the numbers are the same).

    Returns
    -------
    model : TorchLanguageModel
    history : dict
        ``"train_ppl"`` and ``"val_ppl"`` after every epoch, ``"seconds"`` per epoch.

    Notes
    -----
    torch: ``TorchLanguageModel(V, D, H, cell)`` with ``detach_state`` between chunks.
    Taught in chapter 5 (the LSTM against chapter 4's RNN model).
    """
    import time

    import torch
    import torch.nn.functional as F

    from course_rnn.data.batches import truncated_bptt_batches
    from course_rnn.torch_ref.models import TorchLanguageModel, detach_state

    words = _words(lang, "perplexity", "퍼플렉서티")
    torch.manual_seed(seed)
    model = TorchLanguageModel(V, D, H, cell=cell)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    train_b = [(torch.from_numpy(x), torch.from_numpy(t))
               for x, t in truncated_bptt_batches(train_ids, batch_size, time_size)]
    val_rows = max(1, min(batch_size, (len(val_ids) - 1) // time_size))
    val_b = [(torch.from_numpy(x), torch.from_numpy(t))
             for x, t in truncated_bptt_batches(val_ids, val_rows, time_size)]
    history = {"train_ppl": [], "val_ppl": [], "seconds": []}
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        state, total = None, 0.0
        for xs, ts in train_b:
            logits, state = model(xs, state)  # (B, T, V)
            state = detach_state(state)
            loss = F.cross_entropy(logits.reshape(-1, V), ts.reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            opt.step()
            total += loss.item()
        history["seconds"].append(time.perf_counter() - start)
        model.eval()
        with torch.no_grad():
            state, val_total = None, 0.0
            for xs, ts in val_b:
                logits, state = model(xs, state)
                val_total += F.cross_entropy(logits.reshape(-1, V), ts.reshape(-1)).item()
        history["train_ppl"].append(float(np.exp(total / len(train_b))))
        history["val_ppl"].append(float(np.exp(val_total / len(val_b))))
        if log_every and (epoch % log_every == 0 or epoch == epochs):
            print(f"{cell:5s} {words[0]} {epoch:2d}: {words[1]} {history['train_ppl'][-1]:.2f}, "
                  f"{words[2]} {history['val_ppl'][-1]:.2f}")
    return model, history
