r"""Generated tasks of chapters 2, 3 and 5: seeded functions of a ``numpy.random.Generator``.

- chapter 2 (kinds of RNN): ``sine_from_vector`` (one-to-many), ``frequency_task`` and
  ``parity_task`` (many-to-one), ``comparison_task`` (many-to-many, aligned),
  ``reversal_task`` (many-to-many, unaligned);
- chapter 3 (BPTT): ``delayed_echo_batches``, a token to repeat ``delay`` steps later;
- chapter 5 (LSTM): ``adding_problem``, the sum of two marked values (the form of
  Le, Jaitly & Hinton, 2015, after the adding task of Hochreiter & Schmidhuber, 1997),
  and ``constant_baseline_mse``, its trivial baseline.

Shapes: N examples, T time, D input, V vocabulary. Labels that a loss skips are
``IGNORE`` (torch's ``ignore_index`` default, as ``course_rnn.layers.IGNORE``).
"""

from __future__ import annotations

import numpy as np

#: Target value that the losses and accuracies skip (torch's ``ignore_index`` default).
IGNORE = -100


def adding_problem(N: int, T: int, rng, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    r"""N sequences of the adding problem and their targets.

    Two markers and values from U(0, 1), as in Le, Jaitly & Hinton (2015); the original
    long-delay adding task is Hochreiter & Schmidhuber (1997).

    .. math::

        v_t \sim U(0, 1), \quad m_a = m_b = 1 \;\; (a \in [1, T/2],\; b \in (T/2, T]),
        \quad y = v_a + v_b

    Parameters
    ----------
    N : int
        Number of sequences.
    T : int
        Length (at least 2).
    rng : numpy.random.Generator or int
        Randomness (an int is used as a seed).
    dtype : numpy dtype
        float32 for torch training, float64 for gradient checks.

    Returns
    -------
    xs : ndarray, shape (N, T, 2)
        ``xs[..., 0]`` the values, ``xs[..., 1]`` the markers.
    ys : ndarray, shape (N, 1)
        The sums of the two marked values.

    Notes
    -----
    torch: ``torch.from_numpy(xs)`` feeds ``nn.LSTM(2, H, batch_first=True)``.
    Taught in chapter 5.
    """
    if T < 2:
        raise ValueError(f"T must be at least 2, got {T}")
    rng = np.random.default_rng(rng)
    values = rng.uniform(0.0, 1.0, (N, T))  # (N, T)
    marks = np.zeros((N, T))
    first = rng.integers(0, T // 2, N)  # one marker in the first half
    second = rng.integers(T // 2, T, N)  # and one in the second
    rows = np.arange(N)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    xs = np.stack([values, marks], axis=-1).astype(dtype)  # (N, T, 2)
    ys = (values * marks).sum(axis=1, keepdims=True).astype(dtype)  # (N, 1)
    return xs, ys


def constant_baseline_mse(ys, c: float = 1.0) -> float:
    r"""Mean squared error of always predicting the constant c.

    .. math::

        \mathrm{MSE}_c = \frac1N \sum_n (y_n - c)^2
        \;\xrightarrow{\;c = 1\;}\; \mathrm{Var}(v_a + v_b) = \tfrac16

    torch: ``((ys - c) ** 2).mean()``. Taught in chapter 5.
    """
    ys = np.asarray(ys, dtype=np.float64)
    return float(np.mean((ys - c) ** 2))


def sine_from_vector(n: int, T: int, rng: np.random.Generator):
    r"""One-to-many task: from :math:`x = (a, \omega)` produce :math:`y_t = a \sin(\omega t)`.

    .. math::

        a \sim U(0.5, 1), \quad \omega \sim U(0.25, 0.75), \qquad
        y_t = a \sin(\omega t), \quad t = 1, \dots, T

    Returns ``x`` (n, 2) and ``ys`` (n, T, 1). torch: none (data). Taught in chapter 2.
    """
    a = rng.uniform(0.5, 1.0, n)
    omega = rng.uniform(0.25, 0.75, n)
    t = np.arange(1, T + 1)
    ys = a[:, None] * np.sin(omega[:, None] * t)  # (n, T)
    return np.stack([a, omega], axis=1), ys[:, :, None]


FREQUENCIES = (0.3, 0.6, 0.9)


def frequency_task(n: int, T: int, rng: np.random.Generator, noise: float = 0.2):
    r"""Many-to-one task: which of three frequencies does a noisy sine have?

    .. math::

        x_t = \sin(\omega_y t + \varphi) + \epsilon_t, \quad
        \omega_y \in \{0.3, 0.6, 0.9\}, \quad \varphi \sim U(0, 2\pi), \quad
        \epsilon_t \sim \mathcal{N}(0, \sigma^2)

    Returns ``xs`` (n, T, 1) and ``labels`` (n,) in {0, 1, 2} (the index of
    :math:`\omega_y` in ``FREQUENCIES``). torch: none (data). Taught in chapter 2.
    """
    labels = rng.integers(0, len(FREQUENCIES), n)
    omega = np.asarray(FREQUENCIES)[labels]
    phase = rng.uniform(0, 2 * np.pi, n)
    t = np.arange(1, T + 1)
    xs = np.sin(omega[:, None] * t + phase[:, None]) + noise * rng.standard_normal((n, T))
    return xs[:, :, None], labels


def comparison_task(n: int, T: int, rng: np.random.Generator, neighbour: str = "previous"):
    r"""Aligned tagging: is :math:`x_t` larger than its neighbour?

    .. math::

        x_t \sim U(0, 1), \qquad
        y_t = [x_t > x_{t-1}] \ (\text{"previous"}) \quad \text{or} \quad
        y_t = [x_t > x_{t+1}] \ (\text{"next"})

    The step without a neighbour (t = 1, or t = T) is labelled ``IGNORE``. "previous"
    needs the past only; "next" needs the future, which a left-to-right RNN has not
    read yet. Returns ``xs`` (n, T, 1) and ``labels`` (n, T). torch: none (data).
    Taught in chapter 2.
    """
    if neighbour not in ("previous", "next"):
        raise ValueError(f"neighbour must be 'previous' or 'next', got {neighbour!r}")
    xs = rng.uniform(0, 1, (n, T))
    labels = np.full((n, T), IGNORE)
    if neighbour == "previous":
        labels[:, 1:] = xs[:, 1:] > xs[:, :-1]
    else:
        labels[:, :-1] = xs[:, :-1] > xs[:, 1:]
    return xs[:, :, None], labels


def reversal_task(n: int, T: int, V: int, rng: np.random.Generator):
    r"""Unaligned task: write a sequence of symbols backwards.

    .. math::

        x_t \sim U\{0, \dots, V - 1\}, \qquad y_{t'} = x_{T + 1 - t'}, \quad t' = 1, \dots, T

    The first output depends on the last input: an aligned RNN, which must answer at
    step 1, cannot do it. Returns ``src`` and ``tgt`` (n, T) ids. torch: none (data).
    Taught in chapter 2.
    """
    src = rng.integers(0, V, (n, T))
    return src, src[:, ::-1].copy()


def parity_task(n: int, T: int, rng: np.random.Generator, window: int = 4):
    r"""Aligned tagging for depth: is the number of ones among the last ``window`` bits odd?

    .. math::

        x_t \sim U\{0, 1\}, \qquad
        y_t = x_{t-k+1} \oplus \dots \oplus x_{t-1} \oplus x_t \quad (t \ge k)

    with :math:`k` = ``window``. Steps :math:`t < k` are labelled ``IGNORE``. Each
    answer needs the bits of the last k steps *and* a nonlinear function of them.
    Returns ``xs`` (n, T, 1) float and ``labels`` (n, T). torch: none (data).
    Taught in chapter 2.
    """
    if not 1 <= window <= T:
        raise ValueError(f"window must lie in [1, T={T}], got {window}")
    bits = rng.integers(0, 2, (n, T))
    odd = bits[:, window - 1:].copy()  # (n, T - k + 1)
    for j in range(1, window):
        odd ^= bits[:, window - 1 - j:T - j]
    labels = np.full((n, T), IGNORE)
    labels[:, window - 1:] = odd
    return bits[:, :, None].astype(float), labels


def delayed_echo_batches(n_batches: int, batch_size: int, T: int, V: int, delay: int,
                         rng) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""A task with a dependency of known length: repeat the token seen ``delay`` steps ago.

    .. math::

        x_s \sim \mathcal{U}\{0, \dots, V - 1\}, \qquad
        y_s = x_{s - \delta} \ (s \ge \delta), \qquad
        y_s \sim \mathcal{U}\{0, \dots, V - 1\} \ (s < \delta)

    Each of the ``batch_size`` rows is one stream of ``n_batches * T`` tokens, read in
    consecutive batches of T steps: row :math:`i` of batch :math:`b + 1` continues row
    :math:`i` of batch :math:`b`, as in ``data.truncated_bptt_batches``. A model that
    carries its state across batches (truncated BPTT) can predict every target but the
    first :math:`\delta` of each stream; a model reset before every batch (full BPTT over
    each batch) cannot predict the first :math:`\delta` targets of any batch. A perfect
    echo, guessing uniformly where the target is out of reach, has the expected mean
    cross-entropy :math:`\delta \log V / (n T)` in the first case and
    :math:`(\delta / T) \log V` in the second (a training loss can dip slightly below, by
    memorising the random targets).

    Parameters
    ----------
    n_batches, batch_size, T, V : int
    delay : int
        :math:`\delta`, with :math:`1 \le \delta < T`.
    rng : numpy.random.Generator or int

    Returns
    -------
    list of (xs, ys)
        ``n_batches`` pairs of integer arrays of shape (batch_size, T): inputs and targets
        for ``LanguageModel.forward(xs, ys)``.

    Notes
    -----
    No torch equivalent (a generated data set). Taught in chapter 3.
    """
    if not 1 <= delay < T:
        raise ValueError(f"delay must be in [1, T), got delay={delay}, T={T}")
    rng = np.random.default_rng(rng)
    S = n_batches * T
    xs = rng.integers(V, size=(batch_size, S))  # (B, S): one stream per row
    ys = rng.integers(V, size=(batch_size, S))  # random where s < delay
    ys[:, delay:] = xs[:, :-delay]
    return [(xs[:, b * T : (b + 1) * T], ys[:, b * T : (b + 1) * T]) for b in range(n_batches)]
