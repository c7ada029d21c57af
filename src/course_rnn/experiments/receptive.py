r"""Lengths and receptive fields of Conv1D / pooling stacks, measured two ways, and drawn.

A layer with kernel :math:`K_l`, stride :math:`s_l` and dilation :math:`d_l` (pooling:
:math:`d_l = 1`) widens what one output step sees by :math:`(K_l - 1) d_l` steps *of its
own input*, and one step of its input is :math:`\prod_{j<l} s_j` steps of the network's
input. So the **receptive field** of a stack of L layers is

.. math::

    r = 1 + \sum_{l=1}^{L} (K_l - 1)\, d_l \prod_{j=1}^{l-1} s_j ,

and the length of each layer's output is

.. math::

    L_\text{out} = \left\lfloor \frac{L_\text{in} + p_\text{left} + p_\text{right}
                   - d(K-1) - 1}{s} \right\rfloor + 1 .

The **empirical** receptive field is read from the backward pass: the gradient of one
output step with respect to the input is nonzero exactly at the input steps that output
depends on (``input_gradient``, ``empirical_receptive_field``). ``causal_tree`` lists,
layer by layer, the steps that feed one output of a stack of dilated causal
convolutions (WaveNet, van den Oord et al. 2016), and
``course_rnn.figures.receptive.draw_dilated_stack`` draws it.
Taught in chapter 8.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_rnn.conv import conv_padding


def _ints(name: str, values, n: int, default: int) -> list[int]:
    if values is None:
        return [default] * n
    values = [int(v) for v in values]
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} entries but kernel_sizes has {n}")
    if any(v < 1 for v in values):
        raise ValueError(f"{name} must be integers >= 1, got {values}")
    return values


def output_length(L: int, K: int, stride: int = 1, padding=0, dilation: int = 1) -> int:
    r"""Length of a Conv1D (or pooling) output.

    .. math::

        L_\text{out} = \left\lfloor \frac{L + p_\text{left} + p_\text{right} - d(K-1) - 1}{s}
        \right\rfloor + 1

    ``padding`` as in ``course_rnn.conv.conv_padding`` (an int, a pair, "valid", "same",
    "causal"). Raises ``ValueError`` if the padded input is shorter than the kernel's
    span :math:`d(K-1)+1`. Taught in chapter 8.
    """
    left, right = conv_padding(padding, K, dilation, stride)
    span = dilation * (K - 1) + 1
    if L + left + right < span:
        raise ValueError(f"L={L} plus padding ({left}, {right}) is shorter than the kernel's "
                         f"span d*(K-1)+1={span}")
    return (L + left + right - span) // stride + 1


def receptive_fields(kernel_sizes: Sequence[int], strides: Sequence[int] | None = None,
                     dilations: Sequence[int] | None = None) -> np.ndarray:
    r"""Receptive field after each layer of a stack, in steps of the input.

    .. math::

        r_l = r_{l-1} + (K_l - 1)\, d_l \prod_{j<l} s_j, \qquad r_0 = 1

    Returns an int array of length L (layers), the last entry being the whole stack's.
    A pooling layer is a layer with ``K`` = its window, ``s`` = its stride, ``d = 1``.
    Taught in chapter 8.
    """
    Ks = [int(k) for k in kernel_sizes]
    if not Ks or any(k < 1 for k in Ks):
        raise ValueError(f"kernel_sizes must be a non-empty list of integers >= 1, got {Ks}")
    ss, ds = _ints("strides", strides, len(Ks), 1), _ints("dilations", dilations, len(Ks), 1)
    r, jump, out = 1, 1, []
    for K, s, d in zip(Ks, ss, ds, strict=True):
        r += (K - 1) * d * jump  # K - 1 more steps of this layer's input, each `jump` wide
        jump *= s  # one step of the next layer's input, in input steps
        out.append(r)
    return np.array(out)


def receptive_field(kernel_sizes: Sequence[int], strides: Sequence[int] | None = None,
                    dilations: Sequence[int] | None = None) -> int:
    r"""Receptive field of a stack: :math:`1 + \sum_l (K_l - 1)\, d_l \prod_{j<l} s_j`.

    See ``receptive_fields`` (this is its last entry). Taught in chapter 8.
    """
    return int(receptive_fields(kernel_sizes, strides, dilations)[-1])


def input_gradient(layers, x, position: int) -> np.ndarray:
    r"""Gradient of output step ``position`` (summed over channels) with respect to ``x``.

    .. math::

        g_{n,c,i} = \frac{\partial}{\partial x_{n,c,i}} \sum_o y_{n,o,\text{position}}

    ``layers`` is a list of course_rnn layers with ``forward``/``backward`` on
    (N, C, L) arrays (``Conv1D``, ``MaxPool1D``, ...), applied in order; ``x`` (N, C_in, L).
    Returns ``g`` (N, C_in, L). A negative ``position`` counts from the end. Taught in
    chapter 8.
    """
    h = np.asarray(x)
    for layer in layers:
        h = layer.forward(h)  # (N, C_l, L_l)
    if not -h.shape[2] <= position < h.shape[2]:
        raise ValueError(f"position={position} is outside the output's {h.shape[2]} steps")
    dy = np.zeros_like(h)
    dy[:, :, position] = 1.0  # one output step, every channel
    for layer in reversed(layers):
        dy = layer.backward(dy)
    return dy


def empirical_receptive_field(layers, x, position: int) -> np.ndarray:
    r"""Input steps that output step ``position`` depends on: where the gradient is nonzero.

    .. math::

        \{\, i : g_{n,c,i} \ne 0 \text{ for some } n, c \,\}, \qquad g = \texttt{input\_gradient}

    ``layers`` and ``x`` (N, C_in, L) as in ``input_gradient``. Returns the sorted step
    indices. With random weights a Conv1D stack's gradient is nonzero at every step its
    output reads. Max pooling sends the gradient to each window's maximum only, so for a
    stack with pooling take a batch of several random inputs: the union over the batch
    approaches the full field. Taught in chapter 8.
    """
    g = input_gradient(layers, x, position)
    return np.flatnonzero(np.any(g != 0, axis=(0, 1)))


def causal_tree(t: int, kernel_size: int, dilations: Sequence[int]) -> list[np.ndarray]:
    r"""The steps that feed output step ``t`` of a stack of dilated causal convolutions.

    .. math::

        S_L = \{t\}, \qquad
        S_{l-1} = \{\, u - k d_l : u \in S_l,\ 0 \le k < K,\ u - k d_l \ge 0 \,\}

    Returns ``[S_0, S_1, ..., S_L]`` (sorted int arrays; ``S_0`` are input steps). Steps
    before 0 are the causal padding's zeros and are left out; for
    ``t >= receptive_field - 1``, ``S_0`` is the ``receptive_field`` steps ending at ``t``.
    Taught in chapter 8.
    """
    if t < 0:
        raise ValueError(f"t must be >= 0, got {t}")
    sets = [np.array([t])]
    for d in reversed([int(d) for d in dilations]):
        below = (sets[0][:, None] - d * np.arange(kernel_size)[None, :]).ravel()
        sets.insert(0, np.unique(below[below >= 0]))
    return sets


