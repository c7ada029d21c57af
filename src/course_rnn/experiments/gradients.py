r"""How gradients travel back through time in a vanilla RNN: Jacobians, their norms, truncation.

Backpropagation through time multiplies one Jacobian per step. For the Elman RNN in the
course's row-vector form, :math:`a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h`,
:math:`h_t = f(a_t)`, the Jacobian of one step and of :math:`T - k` steps are

.. math::

    \frac{\partial h_t}{\partial h_{t-1}} = \mathrm{diag}\bigl(f'(a_t)\bigr)\, W_{hh}^\top,
    \qquad
    \frac{\partial h_T}{\partial h_k} = \prod_{i=k+1}^{T}
    \frac{\partial h_i}{\partial h_{i-1}},

(Jacobian :math:`J_{ij} = \partial h_T[i] / \partial h_k[j]`, the convention of
``torch.autograd.functional.jacobian``). In the scalar case this is :math:`w^{T-k}` times
the slopes :math:`f'(a_i)`, which is why gradients vanish (:math:`|w| < 1`, or a saturated
tanh) or explode (:math:`|w| > 1`).

This module computes those Jacobians exactly, by backpropagating the identity matrix
through the stored states (``state_jacobians``), their norms against the distance
:math:`T - k` (``jacobian_norms``, ``gradient_flow`` -- the function the chapter's
explorer wraps), recurrent matrices with a prescribed spectral radius, what truncated
BPTT cuts (``truncated_input_gradients``) and what it saves (``stored_activation_bytes``),
and the accuracy on the small delayed-echo task (``course_rnn.data.tasks``) on which full
and truncated BPTT are compared.

Shapes: N batch, T time, D input, H hidden, V vocabulary. Taught in chapter 3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_rnn._ops import check_sequence_input
from course_rnn._validate import as_array
from course_rnn.data.batches import chunk_starts
from course_rnn.rnn import RNNCache, TimeRNN, check_rnn_params, rnn_forward

ACTIVATIONS = ("tanh", "relu", "linear")


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


# ----------------------------------------------------------------------------- W_hh


def spectral_radius(W) -> float:
    r"""The largest absolute eigenvalue of a square matrix.

    .. math::

        \rho(W) = \max_i |\lambda_i(W)|, \qquad
        \rho(W) = \lim_{n \to \infty} \|W^n\|^{1/n} \ (\text{Gelfand})

    Parameters
    ----------
    W : ndarray, shape (H, H)

    Returns
    -------
    float

    Notes
    -----
    torch: ``torch.linalg.eigvals(W).abs().max()``. Taught in chapter 3: :math:`W_{hh}^n`
    grows or shrinks like :math:`\rho^n`, so :math:`\rho(W_{hh})` decides whether the
    gradient of a linear RNN explodes or vanishes.
    """
    W = as_array("W", W, 2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square, got shape {W.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def recurrent_weights(H: int, radius: float, rng, kind: str = "orthogonal") -> np.ndarray:
    r"""A random recurrent matrix :math:`W_{hh}` with spectral radius ``radius``.

    .. math::

        \text{orthogonal:}\ W = \rho\, Q \ (Q^\top Q = I), \qquad
        \text{gaussian:}\ W = \rho\, \frac{G}{\rho(G)},\ G_{ij} \sim \mathcal{N}(0, 1/H)

    With ``"orthogonal"`` every eigenvalue *and* every singular value has modulus
    :math:`\rho`, so :math:`\|W^n\|_2 = \rho^n` exactly: the matrix version of the scalar
    :math:`w^n`. With ``"gaussian"`` only the eigenvalues are scaled; :math:`\|W^n\|`
    approaches :math:`\rho^n` only for large :math:`n`.

    Parameters
    ----------
    H : int
        Hidden size.
    radius : float
        :math:`\rho \ge 0`.
    rng : numpy.random.Generator or int
    kind : {"orthogonal", "gaussian"}

    Returns
    -------
    ndarray, shape (H, H), float64

    Notes
    -----
    torch: ``torch.nn.init.orthogonal_(w, gain=radius)`` for ``"orthogonal"``.
    Taught in chapter 3.
    """
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    rng = np.random.default_rng(rng)
    G = rng.standard_normal((H, H))
    if kind == "orthogonal":
        Q, R = np.linalg.qr(G)
        return radius * Q * np.sign(np.diag(R))  # sign fix: Q uniform over orthogonal matrices
    if kind == "gaussian":
        G /= np.sqrt(H)
        return radius * G / spectral_radius(G)
    raise ValueError(f"kind must be 'orthogonal' or 'gaussian', got {kind!r}")


# ----------------------------------------------------------------------------- Jacobians


def _states_and_slopes(xs, h0, W_xh, W_hh, b_h, activation):
    """Stored states ``hs_tm`` (T+1, N, H) and slopes ``f'(a_t)`` (T, N, H) of a forward pass."""
    _check_activation(activation)
    W_xh, W_hh, b_h = check_rnn_params(W_xh, W_hh, b_h)
    D, H = W_xh.shape
    xs, h0 = check_sequence_input(xs, h0, D, H, "W_xh", "W_hh")
    N, T, _ = xs.shape
    if activation == "linear":  # source document 000: h_t = W_hx x_t + W_hh h_{t-1}
        hs_tm = np.empty((T + 1, N, H))
        hs_tm[0] = 0 if h0 is None else h0
        for t in range(1, T + 1):
            hs_tm[t] = xs[:, t - 1] @ W_xh + hs_tm[t - 1] @ W_hh + b_h  # (N, H)
        return hs_tm, np.ones((T, N, H))
    *_, cache = rnn_forward(xs, h0, W_xh, W_hh, b_h, activation)
    hs = cache.hs_tm[1:]  # (T, N, H)
    slopes = 1 - hs * hs if activation == "tanh" else (hs > 0).astype(hs.dtype)
    return cache.hs_tm, slopes


def state_jacobians(xs, W_xh, W_hh, b_h, h0=None, activation: str = "tanh") -> np.ndarray:
    r"""Every Jacobian :math:`\partial h_T / \partial h_k`, :math:`k = 0, \dots, T`, exactly.

    .. math::

        J_T = I, \qquad
        J_{k-1} = J_k\, \mathrm{diag}\bigl(f'(a_k)\bigr)\, W_{hh}^\top
        \quad\Longrightarrow\quad
        J_k = \frac{\partial h_T}{\partial h_k}
            = \prod_{i=k+1}^{T} \mathrm{diag}\bigl(f'(a_i)\bigr) W_{hh}^\top

    The recursion is backpropagation itself: row :math:`i` of :math:`J_k` is the gradient
    that ``rnn_step_backward`` sends from :math:`h_T` back to :math:`h_k` when the
    upstream gradient is the unit vector :math:`e_i` (``dh_prev = (dh * f') @ W_hh.T``).
    The slopes :math:`f'(a_t)` come from the states stored by the forward pass.

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
    W_xh : ndarray, shape (D, H)
    W_hh : ndarray, shape (H, H)
    b_h : ndarray, shape (H,)
    h0 : ndarray, shape (N, H), or None
    activation : {"tanh", "relu", "linear"}
        ``"linear"`` is the model of source document 000, :math:`h_t = W_{hx} x_t +
        W_{hh} h_{t-1}` (no nonlinearity: :math:`f' = 1`).

    Returns
    -------
    ndarray, shape (N, T + 1, H, H)
        ``J[n, k, i, j]`` :math:`= \partial h_T[i] / \partial h_k[j]` for sequence n
        (``J[:, T]`` is the identity).

    Notes
    -----
    torch: ``torch.autograd.functional.jacobian(lambda h: rnn(xs[:, k:], h)[1], h_k)``
    for each k (the tests compare with it). Taught in chapter 3.
    """
    hs_tm, slopes = _states_and_slopes(xs, h0, W_xh, W_hh, b_h, activation)
    T, N, H = slopes.shape
    W_hh_T = np.asarray(W_hh).T  # (H, H)
    J = np.empty((N, T + 1, H, H), dtype=hs_tm.dtype)
    J[:, T] = np.eye(H)
    for k in range(T, 0, -1):
        J[:, k - 1] = (J[:, k] * slopes[k - 1][:, None, :]) @ W_hh_T  # (N, H, H)
    return J


def jacobian_norms(xs, W_xh, W_hh, b_h, h0=None, activation: str = "tanh") -> np.ndarray:
    r"""Spectral norms :math:`\|\partial h_T / \partial h_k\|_2` for :math:`k = 0, \dots, T`.

    .. math::

        g_k = \Bigl\| \frac{\partial h_T}{\partial h_k} \Bigr\|_2
            = \sigma_{\max}\Bigl(\prod_{i=k+1}^{T} \mathrm{diag}(f'(a_i)) W_{hh}^\top\Bigr)
            \le \prod_{i=k+1}^{T} \|f'(a_i)\|_\infty \, \|W_{hh}\|_2

    The largest factor by which a gradient arriving at :math:`h_T` can be scaled on its
    way back to :math:`h_k`.

    Parameters
    ----------
    As ``state_jacobians``.

    Returns
    -------
    ndarray, shape (N, T + 1)
        ``norms[n, k]``; the distance back in time is ``T - k`` (``norms[:, T] == 1``).

    Notes
    -----
    torch: ``torch.linalg.matrix_norm(J, ord=2)``. Taught in chapter 3.
    """
    J = state_jacobians(xs, W_xh, W_hh, b_h, h0, activation)
    return np.linalg.norm(J, ord=2, axis=(-2, -1))


def growth_rate(norms) -> float:
    r"""The per-step factor :math:`r` of a curve :math:`g(d) \approx c\, r^{d}`, fitted in logs.

    .. math::

        \log g(d) \approx \log c + d \log r \quad (\text{least squares over } d
        \text{ with } 0 < g(d) < \infty)

    Parameters
    ----------
    norms : ndarray, shape (T + 1,)
        ``norms[d]`` is the norm at distance :math:`d = T - k` (``GradientFlow.norms``).

    Returns
    -------
    float
        :math:`r < 1`: vanishing, :math:`r > 1`: exploding; ``nan`` with fewer than two
        usable points. For the linear RNN with an orthogonal :math:`W_{hh}` of radius
        :math:`\rho`, :math:`r = \rho`. No torch equivalent. Taught in chapter 3.
    """
    g = np.asarray(norms, dtype=np.float64)
    d = np.arange(g.size)
    keep = np.isfinite(g) & (g > 0)
    if keep.sum() < 2:
        return float("nan")
    slope = np.polyfit(d[keep], np.log(g[keep]), 1)[0]
    return float(np.exp(slope))


@dataclass
class GradientFlow:
    r"""How far a gradient reaches back: the result of ``gradient_flow``.

    ``distance[d] = d = T - k``; ``norms[d]`` is the mean over the batch of
    :math:`\|\partial h_T / \partial h_{T-d}\|_2`; ``truncated`` is the same curve with
    truncated BPTT of window ``window`` (zero beyond it); ``reference`` is
    :math:`\rho^d`, the linear, orthogonal case; ``rate`` the fitted per-step factor;
    ``mean_slope`` the mean of :math:`f'(a_t)` over all steps and units (1 for linear,
    close to 0 for a saturated tanh). Taught in chapter 3.
    """

    radius: float
    T: int
    activation: str
    window: int | None
    input_scale: float
    distance: np.ndarray  # (T + 1,)
    norms: np.ndarray  # (T + 1,)
    truncated: np.ndarray  # (T + 1,)
    reference: np.ndarray  # (T + 1,)
    rate: float
    mean_slope: float


def gradient_flow(radius: float, T: int = 50, activation: str = "tanh",
                  window: int | None = None, *, input_scale: float = 1.0, H: int = 32,
                  D: int = 4, N: int = 8, seed: int = 0) -> GradientFlow:
    r"""Norms of :math:`\partial h_T / \partial h_k` against :math:`T - k` for a random RNN.

    The function behind the chapter's explorer. It draws an orthogonal
    :math:`W_{hh}` of spectral radius ``radius`` (``recurrent_weights``),
    :math:`W_{xh} \sim \mathcal{N}(0, s^2 / D)` with :math:`s` = ``input_scale``,
    :math:`b_h = 0`, N input sequences :math:`x_t \sim \mathcal{N}(0, I)`, and returns

    .. math::

        g(d) = \frac{1}{N} \sum_{n=1}^{N}
        \Bigl\| \frac{\partial h^{(n)}_T}{\partial h^{(n)}_{T-d}} \Bigr\|_2,
        \qquad
        g_\text{trunc}(d) = g(d)\, [d \le K]

    where :math:`K` is the truncation window (the backward pass of the last chunk of
    length :math:`K` stops at its first state :math:`h_{T-K}`).

    Parameters
    ----------
    radius : float
        Spectral radius :math:`\rho` of :math:`W_{hh}`.
    T : int
        Sequence length.
    activation : {"tanh", "relu", "linear"}
    window : int or None
        Truncation window :math:`K` (None or 0: full BPTT).
    input_scale : float
        :math:`s`: large inputs saturate tanh.
    H, D, N : int
        Hidden size, input size, number of sequences averaged.
    seed : int
        The same seed gives the same matrices for every ``radius``.

    Returns
    -------
    GradientFlow

    Notes
    -----
    torch: ``torch.autograd.functional.jacobian`` through ``nn.RNN`` (tanh/relu).
    Taught in chapter 3 (the explorer of vanishing and exploding gradients).
    """
    if int(T) != T or T < 1:
        raise ValueError(f"T must be a positive integer, got {T!r}")
    window = None if not window else int(window)
    if window is not None and window < 0:
        raise ValueError(f"window must be >= 0 or None, got {window}")
    rng = np.random.default_rng(seed)
    W_hh = recurrent_weights(H, radius, rng)  # (H, H)
    W_xh = rng.standard_normal((D, H)) * (input_scale / np.sqrt(D))  # (D, H)
    b_h = np.zeros(H)
    xs = rng.standard_normal((N, T, D))  # (N, T, D)
    per_seq = jacobian_norms(xs, W_xh, W_hh, b_h, activation=activation)  # (N, T + 1)
    norms = per_seq.mean(axis=0)[::-1].copy()  # (T + 1,) indexed by distance T - k
    distance = np.arange(T + 1)
    truncated = norms.copy()
    if window is not None:
        truncated[distance > window] = 0.0
    _, slopes = _states_and_slopes(xs, None, W_xh, W_hh, b_h, activation)
    return GradientFlow(
        radius=float(radius), T=int(T), activation=activation, window=window,
        input_scale=float(input_scale), distance=distance, norms=norms, truncated=truncated,
        reference=float(radius) ** distance.astype(np.float64), rate=growth_rate(norms),
        mean_slope=float(slopes.mean()),
    )


# ----------------------------------------------------------------------------- truncation


def truncated_input_gradients(xs, W_xh, W_hh, b_h, window: int | None = None,
                              dh_last=None) -> np.ndarray:
    r"""Gradient of :math:`L = \langle h_T, g \rangle` with respect to every input.

    Full or truncated BPTT:

    .. math::

        \text{full: } \frac{\partial L}{\partial x_t}
            = g^\top \frac{\partial h_T}{\partial h_t} \frac{\partial h_t}{\partial x_t};
        \qquad
        \text{truncated: } \frac{\partial L}{\partial x_t} = 0
        \ \text{ unless } x_t \text{ is in the chunk of } h_T

    Truncated BPTT as it is run: a stateful ``TimeRNN`` reads the sequence in chunks of
    ``window`` steps, carrying the state forward; after each chunk it backpropagates the
    loss terms that live in that chunk, and never sends ``dh0`` to the chunk before.
    :math:`L` lives in the last chunk, so every earlier chunk receives a zero upstream
    gradient and its input gradients are exactly zero.

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
    W_xh, W_hh, b_h : ndarrays, shapes (D, H), (H, H), (H,)
    window : int or None
        Chunk length :math:`K`; None: full BPTT.
    dh_last : ndarray, shape (N, H), or None
        :math:`g = \partial L / \partial h_T` (None: ones).

    Returns
    -------
    dxs : ndarray, shape (N, T, D)

    Notes
    -----
    torch: the same loop with ``h = h.detach()`` between chunks. Taught in chapter 3.
    """
    W_xh, W_hh, b_h = check_rnn_params(W_xh, W_hh, b_h)
    xs, _ = check_sequence_input(xs, None, *W_xh.shape, "W_xh", "W_hh")
    N, T, _ = xs.shape
    H = W_hh.shape[0]
    g = np.ones((N, H)) if dh_last is None else as_array("dh_last", dh_last, 2)
    layer = TimeRNN(W_xh, W_hh, b_h, stateful=True)
    starts = list(chunk_starts(T, window))
    dxs = []
    for i, s in enumerate(starts):
        chunk = xs[:, s : s + (T if window is None else window)]  # (N, K, D)
        hs = layer.forward(chunk)  # (N, K, H); the state is carried to the next chunk
        dhs = np.zeros_like(hs)
        if i == len(starts) - 1:
            dhs[:, -1] = g  # the loss L = <h_T, g> lives in the last chunk
        dxs.append(layer.backward(dhs))  # layer.dh is dropped: the backward cut
    return np.concatenate(dxs, axis=1)  # (N, T, D)


def cache_nbytes(cache: RNNCache) -> int:
    r"""Bytes of the activations a forward pass stores for its backward pass.

    .. math::

        \text{bytes} = b\,\bigl(T N D + (T + 1) N H\bigr)

    for ``RNNCache`` (inputs :math:`x_{1:T}` and states :math:`h_{0:T}`, :math:`b` bytes
    per number). The weights are not counted: they are shared by all steps and exist
    whether or not a backward pass follows.

    Parameters
    ----------
    cache : RNNCache
        From ``rnn_forward``.

    Returns
    -------
    int

    Notes
    -----
    torch: the tensors autograd saves for backward (``torch.autograd.graph.saved_tensors_hooks``).
    Taught in chapter 3.
    """
    return int(cache.xs_tm.nbytes + cache.hs_tm.nbytes)


def stored_activation_bytes(xs, W_xh, W_hh, b_h, window: int | None = None) -> int:
    r"""The largest cache held at once when BPTT runs over ``xs``, full or truncated.

    .. math::

        \text{full: } b\,(T N D + (T + 1) N H), \qquad
        \text{truncated: } b\,(K N D + (K + 1) N H)

    Measured, not computed from the formula: the forward pass runs (in chunks of
    ``window`` steps with the state carried, as truncated BPTT does) and the bytes of
    each chunk's ``RNNCache`` are counted with ``cache_nbytes``; a chunk's cache is freed
    after its backward pass, so the peak is the largest chunk.

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
    W_xh, W_hh, b_h : ndarrays, shapes (D, H), (H, H), (H,)
    window : int or None
        Chunk length :math:`K`; None: full BPTT.

    Returns
    -------
    int
        Bytes.

    Notes
    -----
    torch: ``torch.cuda.max_memory_allocated`` on a GPU measures the same thing with
    everything else added. Taught in chapter 3.
    """
    xs = as_array("xs", xs, 3)
    T = xs.shape[1]
    h, peak = None, 0
    for s in chunk_starts(T, window):
        chunk = xs[:, s : s + (T if window is None else window)]
        _, h, cache = rnn_forward(chunk, h, W_xh, W_hh, b_h)  # state carried forward
        peak = max(peak, cache_nbytes(cache))
    return peak


# ----------------------------------------------------------------------------- the task


def echo_accuracy(model, xs, delay: int) -> float:
    r"""Share of steps :math:`t \ge \delta` whose most likely token is :math:`x_{t-\delta}`.

    .. math::

        \mathrm{acc} = \frac{1}{N (T - \delta)} \sum_{n} \sum_{t \ge \delta}
        \bigl[\arg\max_v s_{n,t,v} = x_{n, t-\delta}\bigr]

    Whole sequences from a zero state (the model's state is reset before and after).

    Parameters
    ----------
    model : LanguageModel
        Anything with ``predict(xs) -> scores (N, T, V)``, ``reset_state()`` and
        ``stateful``.
    xs : int ndarray, shape (N, T)
    delay : int

    Returns
    -------
    float
        1 for a perfect echo, about :math:`1 / V` for guessing.

    Notes
    -----
    torch: ``(scores.argmax(-1)[:, d:] == xs[:, :-d]).float().mean()``. Taught in chapter 3.
    """
    xs = np.asarray(xs)
    stateful = model.stateful
    model.reset_state()
    model.stateful = False
    try:
        pred = model.predict(xs).argmax(axis=-1)  # (N, T)
    finally:
        model.stateful = stateful
        model.reset_state()
    return float(np.mean(pred[:, delay:] == xs[:, :-delay]))
