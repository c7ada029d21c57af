r"""Deep (stacked) and bidirectional recurrent layers built from any registered cell.

A **cell** is named by a string registered in ``course_rnn.cells``: ``"rnn"`` (tanh),
``"rnn_relu"``, ``"lstm"``, ``"gru"``, ``"ln_rnn"``, ``"cho_gru"``. Its parameters are the
dict of the matching module (``{"W_xh", "W_hh", "b_h"}``, ``{"W_x", "W_h", "b"}``,
``{"W_x", "W_h", "b_x", "b_h"}``, ...; ``get_cell(cell).param_names``) and its **state**
is ``h`` (N, H), or the pair ``(h, c)`` for the LSTM, as in torch.

Bidirectional layer (output ``[h^\rightarrow_t \,\|\, h^\leftarrow_t]`` along the features,
as torch concatenates them):

.. math::

    h^\rightarrow_t = \mathrm{cell}(x_t, h^\rightarrow_{t-1}), \qquad
    h^\leftarrow_t = \mathrm{cell}'(x_t, h^\leftarrow_{t+1}), \qquad
    y_t = [h^\rightarrow_t \,\|\, h^\leftarrow_t] \in \mathbb{R}^{2H}

Stack of L layers: the outputs of layer l are the inputs of layer l + 1,

.. math::

    h^{(l)}_t = \mathrm{cell}^{(l)}\bigl(h^{(l-1)}_t, h^{(l)}_{t-1}\bigr), \qquad
    h^{(0)}_t = x_t .

A stack is described by a list with one entry per layer: a parameter dict for a
one-directional layer, or a pair ``(params_forward, params_backward)`` for a
bidirectional one (what ``course_rnn.torch_ref.convert.rnn_params_from_torch`` returns for
``torch.nn.RNN/LSTM/GRU(..., num_layers=L, bidirectional=...)``). Torch's dropout
between layers is not part of this module.

Taught in chapter 7 (deep and bidirectional RNNs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from course_rnn.cells import check_param_names, get_cell

# ----------------------------------------------------------------------------- one cell


def cell_forward(cell: str, xs, state0, params: dict):
    r"""Run one cell over a sequence with a common signature for all cells.

    .. math::

        (h_1, \dots, h_T), \; s_T = \mathrm{cell}(x_1, \dots, x_T; s_0)

    Parameters
    ----------
    cell : str
        A name registered in ``course_rnn.cells`` (``"rnn"``, ``"rnn_relu"``, ``"lstm"``,
        ``"gru"``, ...).
    xs : ndarray, shape (N, T, D)
    state0 : ndarray (N, H), or pair of them for the LSTM, or None (zeros)
    params : dict
        The parameters of the cell's module, e.g. ``{"W_xh", "W_hh", "b_h"}``.

    Returns
    -------
    hs : ndarray, shape (N, T, H)
    state_last : ndarray (N, H), or ``(h_last, c_last)`` for the LSTM
    cache : tuple ``(Cell record, cache of the cell)``

    Notes
    -----
    torch: one layer and direction of ``torch.nn.RNN/LSTM/GRU``. Taught in chapter 7.
    """
    spec = get_cell(cell)
    check_param_names(spec, params)
    hs, last, cache = spec.forward(xs, state0, params)
    return hs, last, (spec, cache)


def cell_backward(dhs, cache, dstate_last=None):
    r"""Backward of ``cell_forward``: returns ``(dxs, dstate0, grads)``.

    .. math::

        \delta x_t, \; \delta s_0, \; \delta\theta
        = \mathrm{BPTT}\bigl(\delta h_1, \dots, \delta h_T;\, \delta s_T\bigr)

    ``dhs`` (N, T, H) or None; ``dstate_last`` like the state (for the LSTM a pair,
    either part None) or None. ``dxs`` is (N, T, D), ``grads`` a dict with the keys of
    ``params``. torch: autograd through one layer. Taught in chapter 7.
    """
    spec, inner = cache
    return spec.backward(dhs, inner, dstate_last)


# ----------------------------------------------------------------------------- bidirectional


@dataclass
class BidirectionalCache:
    """Caches of the forward-in-time and backward-in-time runs."""

    forward: Any
    backward: Any
    H: int


class BidirectionalGrads(NamedTuple):
    """Gradients of a bidirectional layer; pairs are (forward, backward) direction."""

    dxs: np.ndarray  # (N, T, D)
    dstate0: tuple
    dparams: tuple  # (dict, dict)


def bidirectional_forward(cell: str, xs, params_fwd: dict, params_bwd: dict, state0=None):
    r"""A bidirectional layer: one cell reads the sequence forwards, another backwards.

    .. math::

        y_t = [h^\rightarrow_t \,\|\, h^\leftarrow_t], \qquad
        h^\leftarrow_t = \mathrm{cell}'(x_t, h^\leftarrow_{t+1})

    Parameters
    ----------
    cell : str
        A name registered in ``course_rnn.cells``.
    xs : ndarray, shape (N, T, D)
    params_fwd, params_bwd : dict
        Parameters of the two directions (each (D, ...) as for one cell).
    state0 : pair ``(state0_fwd, state0_bwd)`` or None
        Initial states; the backward direction starts at t = T.

    Returns
    -------
    hs : ndarray, shape (N, T, 2H)
        Forward-direction states in ``[..., :H]``, backward-direction ones in ``[..., H:]``.
    state_last : pair ``(state_fwd, state_bwd)``
        The backward direction's last state is the one after reading :math:`x_1`.
    cache : BidirectionalCache

    Notes
    -----
    torch: ``torch.nn.RNN/LSTM/GRU(D, H, batch_first=True, bidirectional=True)``, whose
    ``*_reverse`` parameters are ``params_bwd``. Taught in chapter 7.
    """
    s0_f, s0_b = (None, None) if state0 is None else state0
    hs_f, last_f, cache_f = cell_forward(cell, xs, s0_f, params_fwd)
    hs_b, last_b, cache_b = cell_forward(cell, np.asarray(xs)[:, ::-1], s0_b, params_bwd)
    H = hs_f.shape[2]
    hs = np.concatenate([hs_f, hs_b[:, ::-1]], axis=2)  # (N, T, 2H)
    return hs, (last_f, last_b), BidirectionalCache(cache_f, cache_b, H)


def bidirectional_backward(dhs, cache: BidirectionalCache, dstate_last=None):
    r"""Backward of ``bidirectional_forward``.

    .. math::

        \delta x_t = \delta x^\rightarrow_t + \delta x^\leftarrow_t

    Parameters
    ----------
    dhs : ndarray, shape (N, T, 2H), or None
    cache : BidirectionalCache
    dstate_last : pair ``(dstate_fwd, dstate_bwd)`` or None

    Returns
    -------
    BidirectionalGrads
        ``dxs`` (N, T, D), ``dstate0`` (pair), ``dparams`` (pair of dicts).

    Notes
    -----
    torch: autograd through a bidirectional module. Taught in chapter 7.
    """
    H = cache.H
    ds_f, ds_b = (None, None) if dstate_last is None else dstate_last
    dhs_f = dhs_b = None
    if dhs is not None:
        dhs_f, dhs_b = dhs[..., :H], dhs[:, ::-1, H:]  # (N, T, H) each, the second reversed
    dxs_f, ds0_f, g_f = cell_backward(dhs_f, cache.forward, ds_f)
    dxs_b, ds0_b, g_b = cell_backward(dhs_b, cache.backward, ds_b)
    return BidirectionalGrads(dxs_f + dxs_b[:, ::-1], (ds0_f, ds0_b), (g_f, g_b))


# ----------------------------------------------------------------------------- stacks


@dataclass
class StackedCache:
    """One cache per layer, and whether each layer is bidirectional."""

    layers: list
    bidirectional: list


class StackedGrads(NamedTuple):
    """Gradients of a stack: ``dstates0`` and ``dparams`` have one entry per layer."""

    dxs: np.ndarray  # (N, T, D)
    dstates0: list
    dparams: list


def _check_per_layer(name: str, value, what: str) -> None:
    """Raise ``TypeError`` unless ``value`` is a list or tuple (one entry per layer)."""
    if not isinstance(value, (list, tuple)):
        kind = "a dict" if isinstance(value, dict) else type(value).__name__
        raise TypeError(f"{name} must be {what}, got {kind}")


def _is_bidirectional(layer_params) -> bool:
    return isinstance(layer_params, (tuple, list))


def stacked_forward(cell: str, xs, layers_params: list, states0: list | None = None):
    r"""A deep RNN: L layers of the same cell, each reading the outputs of the one below.

    .. math::

        h^{(l)}_t = \mathrm{cell}^{(l)}\bigl(h^{(l-1)}_t, h^{(l)}_{t-1}\bigr), \qquad
        h^{(0)}_t = x_t, \qquad l = 1, \dots, L

    Parameters
    ----------
    cell : str
        A name registered in ``course_rnn.cells``.
    xs : ndarray, shape (N, T, D)
    layers_params : list of L entries
        A param dict (one direction) or a pair of dicts (bidirectional) per layer. The
        first layer's weights have D rows, the others H (or 2H below a bidirectional layer).
    states0 : list of L initial states, or None
        Each as for ``cell_forward`` (a pair of them for a bidirectional layer), or None.

    Returns
    -------
    hs : ndarray, shape (N, T, H) or (N, T, 2H)
        Outputs of the top layer.
    states_last : list of L last states
    cache : StackedCache

    Notes
    -----
    torch: ``torch.nn.RNN/LSTM/GRU(D, H, num_layers=L, batch_first=True,
    bidirectional=...)``; its ``h_n`` (L * directions, N, H) is ``to_torch_states``
    of ``states_last``. Taught in chapter 7.
    """
    get_cell(cell)
    _check_per_layer("layers_params", layers_params, "a list with one dict per layer "
                     "(or a pair of dicts for a bidirectional layer)")
    if states0 is None:
        states0 = [None] * len(layers_params)
    _check_per_layer("states0", states0, "a list with one initial state per layer, or None")
    if len(states0) != len(layers_params):
        raise ValueError(
            f"states0 has {len(states0)} entries but layers_params has {len(layers_params)}"
        )
    hs, caches, lasts, bidi = xs, [], [], []
    for params, s0 in zip(layers_params, states0, strict=True):
        if _is_bidirectional(params):
            hs, last, cache = bidirectional_forward(cell, hs, params[0], params[1], s0)
        else:
            hs, last, cache = cell_forward(cell, hs, s0, params)
        caches.append(cache)
        lasts.append(last)
        bidi.append(_is_bidirectional(params))
    return hs, lasts, StackedCache(caches, bidi)


def stacked_backward(dhs, cache: StackedCache, dstates_last: list | None = None):
    r"""Backward of ``stacked_forward``: from the top layer down.

    .. math::

        \delta h^{(l-1)}_t = \delta x^{(l)}_t

    Parameters
    ----------
    dhs : ndarray, shape of the top layer's ``hs``, or None
    cache : StackedCache
    dstates_last : list of L gradients of the last states (entries may be None), or None

    Returns
    -------
    StackedGrads
        ``dxs`` (N, T, D), ``dstates0`` (list of L), ``dparams`` (list of L dicts, or
        pairs of dicts for bidirectional layers).

    Notes
    -----
    torch: autograd through a multi-layer module. Taught in chapter 7.
    """
    if not isinstance(cache, StackedCache):
        raise TypeError(
            "cache must be the StackedCache returned by stacked_forward, "
            f"got {type(cache).__name__}"
        )
    L = len(cache.layers)
    if dstates_last is not None:
        _check_per_layer("dstates_last", dstates_last,
                         "a list with one gradient of the last state per layer, or None")
    if dstates_last is None:
        dstates_last = [None] * L
    dstates0, dparams = [None] * L, [None] * L
    d = dhs
    for l in range(L - 1, -1, -1):
        if cache.bidirectional[l]:
            d, dstates0[l], dparams[l] = bidirectional_backward(d, cache.layers[l], dstates_last[l])
        else:
            d, dstates0[l], dparams[l] = cell_backward(d, cache.layers[l], dstates_last[l])
    return StackedGrads(d, dstates0, dparams)


# ----------------------------------------------------------------------------- torch layout


def to_torch_states(states: list, cell: str):
    r"""Per-layer states -> torch's ``h_n`` (L * directions, N, H), or ``(h_n, c_n)``.

    .. math::

        h_n[l \cdot \mathrm{dirs} + d] = h^{(l, d)}_{\text{last}}

    ``states`` as returned by ``stacked_forward``. torch: the second output of
    ``nn.RNN/GRU`` (``h_n``) or ``nn.LSTM`` (``(h_n, c_n)``). Taught in chapter 7.
    """
    paired = get_cell(cell).paired_state
    flat = []
    for s in states:
        bidirectional = isinstance(s[0], tuple) if paired else isinstance(s, tuple)
        flat.extend(s if bidirectional else [s])
    if paired:
        return np.stack([h for h, _ in flat]), np.stack([c for _, c in flat])
    return np.stack(flat)


def from_torch_states(h_n, num_layers: int, bidirectional: bool, c_n=None) -> list:
    r"""torch's ``h_n`` (L * directions, N, H) (and ``c_n`` for the LSTM) -> per-layer states.

    .. math::

        h^{(l, d)}_0 = h_0[l \cdot \mathrm{dirs} + d]

    The inverse of ``to_torch_states``; the result is the ``states0`` of
    ``stacked_forward``. torch: the ``h_0`` (or ``(h_0, c_0)``) argument of
    ``nn.RNN/GRU/LSTM``. Taught in chapter 7.
    """
    dirs = 2 if bidirectional else 1
    h_n = np.asarray(h_n)
    if h_n.shape[0] != num_layers * dirs:
        raise ValueError(
            f"h_n has shape {h_n.shape} but num_layers={num_layers} with "
            f"{dirs} direction(s) expects {num_layers * dirs} states on axis 0"
        )
    flat = list(h_n) if c_n is None else list(zip(h_n, np.asarray(c_n), strict=True))
    if not bidirectional:
        return flat
    return [(flat[2 * l], flat[2 * l + 1]) for l in range(num_layers)]
