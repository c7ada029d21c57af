r"""Mini-batches for truncated BPTT, read at different offsets of one long sequence.

A language model learns from one long token sequence :math:`w_0, w_1, \dots, w_n`: the
input at step :math:`t` is :math:`w_t` and the target is :math:`w_{t+1}`. To train on a
batch of B rows at once while keeping the order within each row (so the hidden state can
be carried from one chunk to the next), row :math:`i` starts reading at offset

.. math::

    o_i = \left\lfloor \frac{i\, n}{B} \right\rfloor, \qquad i = 0, \dots, B - 1,

and each row reads :math:`\lfloor n / B \rfloor` steps, cut into chunks of ``time_size``
steps. Chunk :math:`k` of every row continues chunk :math:`k - 1` of the same row.

Worked example: 13 tokens ``0 1 2 ... 12``, ``batch_size=2``, ``time_size=3``. There are
:math:`n = 12` (input, target) pairs, the offsets are 0 and 6, each row has 6 steps, so
two chunks::

    chunk 0:  xs = [[0, 1, 2],      ts = [[1, 2, 3],
                    [6, 7, 8]]            [7, 8, 9]]
    chunk 1:  xs = [[3, 4, 5],      ts = [[4, 5, 6],
                    [9, 10, 11]]          [10, 11, 12]]

Row 0 reads 0..5 and row 1 reads 6..11: the state after ``[0, 1, 2]`` is the right
initial state for ``[3, 4, 5]``. Taught in chapter 4.
"""

from __future__ import annotations

import numpy as np


def truncated_bptt_batches(ids, batch_size: int, time_size: int) -> list[tuple[np.ndarray,
                                                                                  np.ndarray]]:
    r"""Cut one long id sequence into (input, target) chunks for truncated BPTT.

    .. math::

        \mathrm{xs}^{(k)}_{i,t} = w_{o_i + kT + t}, \qquad
        \mathrm{ts}^{(k)}_{i,t} = w_{o_i + kT + t + 1}, \qquad
        o_i = \lfloor i n / B \rfloor

    Parameters
    ----------
    ids : int ndarray, shape (n + 1,)
        The token ids of the whole corpus.
    batch_size : int
        B, the number of rows (offsets) read in parallel.
    time_size : int
        T, the length of a chunk (how far the backward pass reaches).

    Returns
    -------
    list of (xs, ts)
        ``xs`` and ``ts`` of shape (B, T), in reading order: chunk k of every row
        continues chunk k - 1, so a stateful layer carries its state across the list.
        The list has :math:`\lfloor \lfloor n/B \rfloor / T \rfloor` chunks; the remaining
        steps of each row are dropped. Iterating it again starts a new epoch.

    Torch has no such helper (``torchtext``'s ``BPTTIterator`` did the same).
    Taught in chapter 4.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be a 1-D array of integer ids, got {ids.dtype} {ids.shape}")
    for name, value in (("batch_size", batch_size), ("time_size", time_size)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    n = len(ids) - 1  # number of (input, target) pairs
    steps = n // batch_size if n > 0 else 0  # steps read by each row
    if steps < time_size:
        raise ValueError(f"ids has shape {ids.shape}: {batch_size} rows get {steps} steps "
                         f"each, fewer than time_size={time_size}")
    n_chunks = steps // time_size
    offsets = np.arange(batch_size) * n // batch_size  # (B,)
    pos = offsets[:, None, None] + np.arange(n_chunks * time_size).reshape(n_chunks, time_size)
    xs_all, ts_all = ids[pos], ids[pos + 1]  # (B, n_chunks, T) each
    return [(xs_all[:, k], ts_all[:, k]) for k in range(n_chunks)]


def split_for_truncated_bptt(batches, window: int) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""Cut each (xs, ys) batch along time into chunks of ``window`` steps, in reading order.

    .. math::

        (x_{1:T}, y_{1:T}) \mapsto (x_{1:K}, y_{1:K}),\ (x_{K+1:2K}, y_{K+1:2K}),\ \dots

    Chunk :math:`c + 1` of a batch continues chunk :math:`c` of the same rows, so
    ``training.train(..., bptt="truncated")`` (a stateful model) carries the state from
    one chunk to the next while each backward pass stops at its chunk's first step.

    Parameters
    ----------
    batches : list of (xs, ys)
        Arrays of shape (N, T, ...) each.
    window : int
        :math:`K`; the last chunk of a batch is shorter when :math:`K` does not divide T.

    Returns
    -------
    list of (xs, ys)

    Notes
    -----
    torch: ``xs.split(window, dim=1)``. Taught in chapter 3.
    """
    out = []
    for xs, ys in batches:
        for s in chunk_starts(np.shape(xs)[1], window):
            out.append((xs[:, s : s + window], ys[:, s : s + window]))
    return out


def chunk_starts(T: int, window: int | None) -> range:
    """Start of each chunk of ``window`` steps in ``range(T)`` (one chunk when None)."""
    if window is None:
        return range(0, T, max(T, 1))
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a positive integer or None, got {window!r}")
    return range(0, T, int(window))
