r"""The base of the Time layers (``TimeRNN``, ``TimeLSTM``, ``TimeGRU``, ``TimeLNRNN``).

A Time layer runs one cell over a whole sequence, in the style of *Deep Learning from
Scratch 2*: ``params`` and ``grads`` are dicts of arrays, ``forward(xs (N, T, D)) -> hs
(N, T, H)`` and ``backward(dhs (N, T, H)) -> dxs (N, T, D)``. With ``stateful=True`` the
last state of one call is the initial state of the next (truncated BPTT):

.. math::

    s_0^{(k+1)} = s_T^{(k)}, \qquad
    \frac{\partial L^{(k+1)}}{\partial s_T^{(k)}} \text{ is not passed back}

The state is ``h``, or ``h`` and ``c`` for the LSTM (``STATE``); after ``backward`` the
gradients with respect to the call's initial state are kept as ``dh`` (and ``dc``) for
inspection. A subclass gives ``_run(xs, *state0)`` and ``_grad(dhs, cache)``, which call
its module's ``*_forward`` and ``*_backward``. torch: ``nn.RNN/LSTM/GRU(batch_first=True)``
with the state carried as ``h.detach()``. Taught in chapter 1 (forward) and chapter 3
(backward, truncation).
"""

from __future__ import annotations

import numpy as np


class TimeLayer:
    r"""Parameters, gradients, carried state and the forward/backward plumbing of a Time layer.

    .. math::

        hs = \mathrm{cell}(xs; s_0), \qquad s_0 = s_T^{\text{previous call}}
        \text{ if stateful, else } 0

    ``params`` (dict of arrays) become ``self.params``; ``self.grads`` holds arrays of the
    same shapes. ``STATE`` names the state's parts, ``("h",)`` or ``("h", "c")``.
    torch: a ``batch_first`` recurrent module. Taught in chapter 1 and chapter 3.
    """

    STATE: tuple = ("h",)

    def __init__(self, params: dict, stateful: bool = False):
        self.params = params
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.stateful = stateful
        for part in self.STATE:
            setattr(self, part, None)  # (N, H): last state of the previous call
            setattr(self, "d" + part, None)  # (N, H): gradient w.r.t. this call's initial state
        self._cache = None

    def _run(self, xs, *state0):
        """``(hs, state_last, cache)`` of the layer's ``*_forward`` (state parts may be None)."""
        raise NotImplementedError

    def _grad(self, dhs, cache):
        """The gradient NamedTuple of the layer's ``*_backward`` (``dxs``, ``dh0``, ...)."""
        raise NotImplementedError

    def forward(self, xs):
        """``xs`` (N, T, D) -> ``hs`` (N, T, H); updates the carried state."""
        state0 = [getattr(self, part) if self.stateful else None for part in self.STATE]
        hs, last, self._cache = self._run(xs, *state0)
        parts = last if len(self.STATE) > 1 else (last,)
        for part, value in zip(self.STATE, parts, strict=True):
            setattr(self, part, value)
        return hs

    def backward(self, dhs):
        """``dhs`` (N, T, H) -> ``dxs`` (N, T, D); stores parameter gradients in ``grads``."""
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        g = self._grad(dhs, self._cache)
        for name in self.grads:
            self.grads[name][...] = getattr(g, "d" + name)
        for part in self.STATE:
            setattr(self, "d" + part, getattr(g, "d" + part + "0"))
        return g.dxs

    def set_state(self, h):
        """Set the initial state of the next call (used only when ``stateful``)."""
        self.h = h

    def reset_state(self):
        """Forget the carried state: the next call starts from zeros."""
        for part in self.STATE:
            setattr(self, part, None)
