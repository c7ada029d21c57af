r"""The registry of recurrent cell types: one record per cell name, used by every dispatcher.

A cell is named by a string (``"rnn"``, ``"rnn_relu"``, ``"lstm"``, ``"gru"``,
``"ln_rnn"``, ``"cho_gru"``): that string is the user-facing API of
``course_rnn.multilayer.stacked_forward``, ``course_rnn.forecast.models.Recurrent``,
``course_rnn.torch_ref.models.make_rnn`` and the rest. ``get_cell(name)`` returns its
``Cell`` record, which says everything the dispatchers need:

- ``forward(xs, state0, params) -> (hs, state_last, cache)`` and
  ``backward(dhs, cache, dstate_last) -> (dxs, dstate0, grads)``: one signature for every
  cell, over a whole sequence; ``step_forward``/``step_backward`` likewise for one step;
- the **state**: ``h`` (N, H), or the pair ``(h, c)`` when ``paired_state`` (the LSTM);
- ``init(D, H, rng, dtype)``: torch-style parameters (the module's ``init_*_params``);
- ``roles``: each parameter's name and role, in order (below), hence ``param_names``;
- ``gates``: the H-wide blocks along the last axis of the weights, e.g.
  ``("i", "f", "g", "o")``, hence ``blocks`` (G = 1, 3 or 4);
- ``torch_class`` and ``torch_kwargs``: the ``torch.nn`` module computing the same
  (``"RNN"`` with ``nonlinearity="relu"`` for ``"rnn_relu"``), or None.

Every cell with one recurrent state computes

.. math::

    (h_1, \dots, h_T), \; s_T = \mathrm{cell}(x_1, \dots, x_T; s_0), \qquad
    A_t = x_t W_x + h_{t-1} W_h + b \in \mathbb{R}^{N \times G H}

with the roles ``"input"`` (:math:`W_x`, shape (D, GH)), ``"recurrent"``
(:math:`W_h`, (H, GH)), ``"bias"`` ((GH,), torch's ``bias_ih + bias_hh``),
``"bias_ih"``/``"bias_hh"`` (kept apart, as the GRU's), ``"scale"``/``"shift"``
(:math:`\gamma, \beta` of a layer normalisation, (GH,)).

**Registering a new cell type** touches only the cell's own module (its ``*_forward``,
``*_backward`` and ``init_*_params``) and this registry: add a ``Cell`` record below (or
call ``register`` at run time). Stacks, bidirectional layers, the forecasting layers and
the torch conversions then accept its name with no other edit.

Taught in chapter 7 (deep and bidirectional RNNs: one code path for every cell).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from course_rnn.gru import (
    GRU_GATE_ORDER,
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
    init_gru_params,
)
from course_rnn.gru_variants import (
    cho_gru_backward,
    cho_gru_forward,
    cho_gru_step_backward,
    cho_gru_step_forward,
)
from course_rnn.layernorm import (
    init_ln_rnn_params,
    ln_rnn_backward,
    ln_rnn_forward,
    ln_rnn_step_backward,
    ln_rnn_step_forward,
)
from course_rnn.lstm import (
    GATE_ORDER,
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from course_rnn.rnn import (
    init_rnn_params,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)

ROLES = ("input", "recurrent", "bias", "bias_ih", "bias_hh", "scale", "shift")
"""The roles a parameter may have (see the module docstring)."""


@dataclass(frozen=True)
class Cell:
    r"""One recurrent cell type: its functions, parameters, gate layout and torch module.

    .. math::

        (h_{1:T}, s_T), \text{cache} = \texttt{forward}(x_{1:T}, s_0, \theta), \qquad
        (\delta x_{1:T}, \delta s_0, \delta\theta) = \texttt{backward}(\delta h_{1:T},
        \text{cache}, \delta s_T)

    Shapes: ``xs`` (N, T, D), ``hs`` (N, T, H), a state (N, H) or a pair of them; each
    parameter's shape follows from its role (``shapes(D, H)``). torch: ``torch_class``
    (a name in ``torch.nn``) with ``torch_kwargs``, or None. Taught in chapter 7.
    """

    name: str
    forward: Callable
    backward: Callable
    init: Callable
    roles: dict
    gates: tuple
    paired_state: bool = False
    torch_class: str | None = None
    torch_kwargs: dict = field(default_factory=dict)
    step_forward: Callable | None = None
    step_backward: Callable | None = None

    @property
    def param_names(self) -> tuple:
        """The parameters' names, in the order of the cell's functions."""
        return tuple(self.roles)

    @property
    def blocks(self) -> int:
        """G, the number of H-wide gate blocks along the weights' last axis."""
        return len(self.gates)

    def name_of(self, role: str) -> str:
        """The name of the (first) parameter with this role, e.g. ``"W_xh"`` for input."""
        return next(name for name, r in self.roles.items() if r == role)

    def shapes(self, D: int, H: int) -> dict:
        """``{name: shape}`` of the parameters for input size D and hidden size H."""
        GH = self.blocks * H
        rows = {"input": (D,), "recurrent": (H,)}
        return {name: (*rows.get(role, ()), GH) for name, role in self.roles.items()}

    def sizes(self, params: dict) -> tuple[int, int]:
        """``(D, H)`` read from a parameter dict of this cell."""
        D = np.shape(params[self.name_of("input")])[0]
        H = np.shape(params[self.name_of("recurrent")])[0]
        return D, H


def _grads(g, names) -> dict:
    return {name: getattr(g, "d" + name) for name in names}


def _single_state(seq_forward, seq_backward, step_forward, step_backward, names,
                  step_fields=("dx_t", "dh_prev"), **kw):
    """The common-signature functions of a cell whose state is h alone.

    ``step_fields`` name the input and state gradients in what ``step_backward`` returns.
    """

    def forward(xs, state0, params):
        return seq_forward(xs, state0, **params, **kw)

    def backward(dhs, cache, dstate_last=None):
        g = seq_backward(dhs, cache, dstate_last)
        return g.dxs, g.dh0, _grads(g, names)

    def step_fwd(x_t, state, params):
        return step_forward(x_t, state, **params, **kw)

    def step_bwd(dstate, cache):
        g = step_backward(dstate, cache)
        return getattr(g, step_fields[0]), getattr(g, step_fields[1]), _grads(g, names)

    return {"forward": forward, "backward": backward,
            "step_forward": step_fwd, "step_backward": step_bwd}


def _lstm_functions(names) -> dict:
    def forward(xs, state0, params):
        h0, c0 = (None, None) if state0 is None else state0
        return lstm_forward(xs, h0, c0, **params)

    def backward(dhs, cache, dstate_last=None):
        dh_last, dc_last = (None, None) if dstate_last is None else dstate_last
        g = lstm_backward(dhs, cache, dh_last, dc_last)
        return g.dxs, (g.dh0, g.dc0), _grads(g, names)

    def step_fwd(x_t, state, params):
        h, c, cache = lstm_step_forward(x_t, *state, **params)
        return (h, c), cache

    def step_bwd(dstate, cache):
        g = lstm_step_backward(*dstate, cache)
        return g.dx_t, (g.dh_prev, g.dc_prev), _grads(g, names)

    return {"forward": forward, "backward": backward,
            "step_forward": step_fwd, "step_backward": step_bwd}


_RNN_ROLES = {"W_xh": "input", "W_hh": "recurrent", "b_h": "bias"}
_LSTM_ROLES = {"W_x": "input", "W_h": "recurrent", "b": "bias"}
_GRU_ROLES = {"W_x": "input", "W_h": "recurrent", "b_x": "bias_ih", "b_h": "bias_hh"}
_LN_RNN_ROLES = {**_RNN_ROLES, "gamma": "scale", "beta": "shift"}


def _rnn_cell(name: str, nonlinearity: str) -> Cell:
    fns = _single_state(rnn_forward, rnn_backward, rnn_step_forward, rnn_step_backward,
                        tuple(_RNN_ROLES), nonlinearity=nonlinearity)
    return Cell(name, init=init_rnn_params, roles=_RNN_ROLES, gates=("h",), torch_class="RNN",
                torch_kwargs={"nonlinearity": nonlinearity}, **fns)


_REGISTRY: dict[str, Cell] = {}


def register(cell: Cell) -> Cell:
    r"""Add a cell type to the registry (its name must be new); return it.

    .. math::

        \texttt{get\_cell}(\texttt{cell.name}) = \texttt{cell}

    Every parameter role must be one of ``ROLES``. torch: nothing to register (a
    ``torch.nn`` module is a class). Taught in chapter 7.
    """
    if cell.name in _REGISTRY:
        raise ValueError(f"cell {cell.name!r} is already registered")
    bad = [role for role in cell.roles.values() if role not in ROLES]
    if bad:
        raise ValueError(f"cell {cell.name!r}: unknown parameter roles {bad}, expected {ROLES}")
    _REGISTRY[cell.name] = cell
    return cell


def unregister(name: str) -> None:
    """Remove a cell type registered with ``register`` (for tests). Taught in chapter 7."""
    get_cell(name)
    del _REGISTRY[name]


def names() -> tuple:
    """The registered cell names, in order of registration. Taught in chapter 7."""
    return tuple(_REGISTRY)


def get_cell(name) -> Cell:
    r"""The ``Cell`` record registered under ``name``.

    .. math::

        \texttt{"lstm"} \mapsto \text{Cell}(\texttt{lstm\_forward}, \dots,
        \text{gates} = (i, f, g, o))

    Raises ``ValueError`` naming the unknown name and the registered ones. torch: the
    names map to ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` (``Cell.torch_class``).
    Taught in chapter 7.
    """
    if isinstance(name, str) and name in _REGISTRY:
        return _REGISTRY[name]
    raise ValueError(f"cell must be one of {names()}, got {name!r}")


def check_param_names(cell: Cell, params) -> None:
    r"""Raise a clear error if ``params`` is not a dict with the keys of ``cell``.

    .. math::

        \mathrm{keys}(\theta) = \texttt{cell.param\_names}

    When the keys are those of another registered cell (an LSTM's ``W_x, W_h, b`` given
    to a GRU), the message names that cell and both gate layouts. torch: a module's
    ``state_dict`` keys. Taught in chapter 7.
    """
    if not isinstance(params, dict):
        raise TypeError(
            f"the parameters of cell {cell.name!r} must be a dict with keys "
            f"{cell.param_names}, got {type(params).__name__}"
        )
    if set(params) == set(cell.param_names):
        return
    msg = f"cell {cell.name!r} needs the parameters {cell.param_names}, got {tuple(params)}"
    like = [c for c in _REGISTRY.values() if set(c.param_names) == set(params)]
    if like:
        other = like[0]
        msg += (
            f": they look like the parameters of {other.name!r} ({other.blocks}H columns, "
            f"gates {', '.join(other.gates)}) where {cell.name!r} needs {cell.blocks}H "
            f"({', '.join(cell.gates)})"
        )
    raise ValueError(msg)


for _cell in (
    _rnn_cell("rnn", "tanh"),
    _rnn_cell("rnn_relu", "relu"),
    Cell("lstm", init=init_lstm_params, roles=_LSTM_ROLES, gates=GATE_ORDER,
         paired_state=True, torch_class="LSTM", **_lstm_functions(tuple(_LSTM_ROLES))),
    Cell("gru", init=init_gru_params, roles=_GRU_ROLES, gates=GRU_GATE_ORDER,
         torch_class="GRU", **_single_state(gru_forward, gru_backward, gru_step_forward,
                                            gru_step_backward, tuple(_GRU_ROLES))),
    Cell("ln_rnn", init=init_ln_rnn_params, roles=_LN_RNN_ROLES, gates=("h",),
         **_single_state(ln_rnn_forward, ln_rnn_backward, ln_rnn_step_forward,
                         ln_rnn_step_backward, tuple(_LN_RNN_ROLES), ("dxs", "dh0"))),
    Cell("cho_gru", init=init_gru_params, roles=_GRU_ROLES, gates=GRU_GATE_ORDER,
         **_single_state(cho_gru_forward, cho_gru_backward, cho_gru_step_forward,
                         cho_gru_step_backward, tuple(_GRU_ROLES))),
):
    register(_cell)
del _cell
