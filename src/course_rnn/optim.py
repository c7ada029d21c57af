r"""Optimisers (SGD, momentum, Adam) and gradient clipping by global norm.

Every optimiser updates a dict of parameter arrays *in place* from a dict of gradients
with the same keys (the ``params`` and ``grads`` of a layer or a model), with the
formulas of ``torch.optim``, so a model trained here and in torch with the same weights
follows the same path. Taught in chapter 7 (optimisers) and chapter 3 (clipping).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np


class Optimizer:
    r"""Base class: ``update(params, grads)`` changes every ``params[name]`` in place.

    .. math::

        g \leftarrow g + \lambda \theta \quad (\text{weight decay } \lambda), \qquad
        \theta \leftarrow \mathrm{step}(\theta, g, \text{state})

    ``params`` and ``grads``: dicts with the same keys and shapes. The state (momentum
    buffers, Adam's moments) is kept per key. Torch: ``torch.optim.Optimizer``.
    Taught in chapter 7.
    """

    def __init__(self, lr: float, weight_decay: float = 0.0):
        if lr < 0:
            raise ValueError(f"learning rate lr must be >= 0, got {lr}")
        self.lr, self.weight_decay = lr, weight_decay
        self.state: dict[str, dict] = {}

    def update(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        for name, p in params.items():
            if name not in grads:
                raise KeyError(f"grads has no entry {name!r} (params has {sorted(params)})")
            g = np.asarray(grads[name])
            if g.shape != p.shape:
                raise ValueError(f"grads[{name!r}] has shape {g.shape} but params[{name!r}] "
                                 f"has shape {p.shape}")
            if self.weight_decay:
                g = g + self.weight_decay * p  # L2 penalty, as torch's weight_decay
            self._step(p, g, self.state.setdefault(name, {}))

    def _step(self, p: np.ndarray, g: np.ndarray, state: dict) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    r"""Plain gradient descent, :math:`\theta \leftarrow \theta - \eta\, g`.

    ``SGD(lr, weight_decay=0)``; ``update(params, grads)``. Torch: ``torch.optim.SGD(lr=lr)``.
    Taught in chapter 3 (the source documents' update rule) and chapter 7.
    """

    def _step(self, p, g, state):
        p -= self.lr * g


class Momentum(Optimizer):
    r"""Gradient descent with momentum, in torch's form.

    .. math::

        b \leftarrow \mu\, b + (1 - \tau)\, g \quad (b = g \text{ at the first step}), \qquad
        \theta \leftarrow \theta - \eta\, b \quad
        (\text{Nesterov: } \theta \leftarrow \theta - \eta\,(g + \mu b))

    With a constant :math:`\eta` and :math:`\tau = 0` this is the textbook
    :math:`v \leftarrow \mu v - \eta g,\ \theta \leftarrow \theta + v`.
    ``Momentum(lr, momentum=0.9, dampening=0, nesterov=False, weight_decay=0)``.
    Torch: ``torch.optim.SGD(lr=lr, momentum=momentum, ...)``. Taught in chapter 7.
    """

    def __init__(self, lr: float, momentum: float = 0.9, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        self.momentum, self.dampening, self.nesterov = momentum, dampening, nesterov

    def _step(self, p, g, state):
        buf = state.get("buf")
        if buf is None:
            buf = state["buf"] = np.array(g, dtype=p.dtype)
        else:
            buf *= self.momentum
            buf += (1.0 - self.dampening) * g
        p -= self.lr * (g + self.momentum * buf if self.nesterov else buf)


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), in torch's form.

    .. math::

        m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \\
        \theta \leftarrow \theta - \frac{\eta}{1 - \beta_1^t}\,
        \frac{m}{\sqrt{v} / \sqrt{1 - \beta_2^t} + \epsilon}

    ``Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)``; ``t`` counts the
    updates of each parameter. Torch: ``torch.optim.Adam`` (``amsgrad=False``).
    Taught in chapter 7.
    """

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        self.betas, self.eps = betas, eps

    def _step(self, p, g, state):
        b1, b2 = self.betas
        if not state:
            state.update(t=0, m=np.zeros_like(p), v=np.zeros_like(p))
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * (g * g)
        denom = np.sqrt(v) / np.sqrt(1.0 - b2**t) + self.eps
        p -= (self.lr / (1.0 - b1**t)) * (m / denom)


def global_norm(grads: Mapping[str, np.ndarray] | Iterable[np.ndarray],
                norm_type: float = 2.0) -> float:
    r"""The norm of all gradients taken as one vector,
    :math:`\|g\| = (\sum_a \|g_a\|_p^p)^{1/p}` (``norm_type`` p >= 1 or ``inf``).
    Torch: ``torch.nn.utils.get_total_norm``. Taught in chapter 3.
    """
    arrays = list(grads.values()) if isinstance(grads, Mapping) else list(grads)
    if not arrays:
        return 0.0
    if norm_type == np.inf:
        return max(float(np.max(np.abs(a), initial=0.0)) for a in arrays)
    norms = [np.linalg.norm(np.ravel(a), ord=norm_type) for a in arrays]
    return float(np.linalg.norm(np.asarray(norms, dtype=np.float64), ord=norm_type))


def clip_grad_norm(grads: Mapping[str, np.ndarray] | Iterable[np.ndarray], max_norm: float,
                   norm_type: float = 2.0) -> float:
    r"""Scale all gradients together so that their global norm is at most ``max_norm``.

    .. math::

        \|g\| = \Bigl(\sum_{\text{arrays } a} \|g_a\|^2\Bigr)^{1/2}, \qquad
        g \leftarrow g \cdot \min\Bigl(1, \frac{\text{max\_norm}}{\|g\| + 10^{-6}}\Bigr)

    One factor for every array keeps the direction of the whole gradient (clipping each
    array alone would not). ``norm_type`` may be any p >= 1 or ``inf``.

    Parameters
    ----------
    grads : dict of name -> ndarray, or an iterable of ndarrays
        Changed in place.
    max_norm : float

    Returns
    -------
    float
        The global norm *before* clipping (useful to plot; a non-finite norm turns every
        gradient into nan, as in torch).

    Torch: ``torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type)``.
    Taught in chapter 3.
    """
    arrays = list(grads.values()) if isinstance(grads, Mapping) else list(grads)
    total = global_norm(arrays, norm_type)
    coef = max_norm / (total + 1e-6)
    if not coef >= 1.0:  # also true when total is nan
        for a in arrays:
            a *= a.dtype.type(coef)
    return total
