r"""Small operations shared by every recurrent cell: dtypes, layouts, checks.

.. math::

    \mathrm{time\_major}(xs)[t, n] = xs[n, t]

``rnn.py``, ``lstm.py``, ``gru.py``, ``gru_variants.py`` and ``layernorm.py`` import them
from here, so that no cell module imports another one for a helper (the sigmoid is
``course_rnn.layers.sigmoid``). They are used from chapter 1 on (sequence input checks, time-major
storage) and chapter 3 (upstream gradients of every backward pass).
"""

from __future__ import annotations

import numpy as np

from course_rnn._validate import as_array, check_dim, check_shape


def float_dtype(xs: np.ndarray, *params) -> np.dtype:
    r"""The floating dtype of a layer: float32 stays float32, integer inputs take the params'.

    .. math::

        \mathrm{dtype} = \mathrm{result\_type}(xs, \theta_1, \dots, \text{float16})

    torch: a module's parameters fix its dtype (``module.double()``). Used from chapter 1.
    """
    arrays = params if xs.dtype.kind in "iub" else (xs, *params)
    return np.result_type(*arrays, np.float16)


def check_sequence_input(xs, h0, D: int, H: int, owner_x: str, owner_h: str, name_h0="h0"):
    r"""Check ``xs`` (N, T, D) and ``h0`` (N, H) or None; return them as arrays.

    .. math::

        x \in \mathbb{R}^{N \times T \times D}, \qquad h_0 \in \mathbb{R}^{N \times H}

    Shared by the RNN, LSTM, GRU and layer-normalised RNN sequence functions
    (``owner_x`` and ``owner_h`` name the weights whose shapes fix D and H in the error
    message, e.g. ``xs has shape (2, 5, 3) but W_xh expects D=4``). torch checks the
    same in ``nn.RNNBase.check_forward_args``. Not taught itself; used from chapter 1.
    """
    xs = as_array("xs", xs, 3)
    if xs.shape[1] == 0:
        raise ValueError(
            f"xs has shape {xs.shape}: T must be at least 1 (torch raises for zero-length "
            "input too)"
        )
    check_dim("xs", xs, 2, D, owner_x, "D")
    if h0 is not None:
        h0 = as_array(name_h0, h0, 2)
        check_dim(name_h0, h0, 1, H, owner_h, "H")
        check_dim(name_h0, h0, 0, xs.shape[0], "xs", "N")
    return xs, h0


def check_upstream(name: str, grad, shape: tuple, dtype, zeros: bool = True):
    r"""An upstream gradient of the given shape; None becomes zeros (or stays None).

    .. math::

        \frac{\partial L}{\partial y} \text{ has the shape of } y

    torch: the ``grad_output`` of ``Tensor.backward``. Not taught itself; used from
    chapter 3 on by every backward pass.
    """
    if grad is None:
        return np.zeros(shape, dtype=dtype) if zeros else None
    grad = as_array(name, grad, len(shape))
    check_shape(name, grad, shape, "the shape of the matching forward output")
    return grad


def time_major(xs: np.ndarray) -> np.ndarray:
    r"""(N, T, ...) -> contiguous (T, N, ...); free when ``xs`` is itself a transposed view.

    .. math::

        \mathrm{out}[t, n] = \mathrm{xs}[n, t]

    torch: ``xs.transpose(0, 1).contiguous()`` (what ``batch_first=True`` does inside).
    Chapter 1 explains why the sequence functions store their arrays time-major.
    """
    return np.ascontiguousarray(xs.swapaxes(0, 1))


def check_not_transposed(name_x: str, W_x: np.ndarray, name_h: str, W_h: np.ndarray,
                         b: np.ndarray, G: int):
    r"""Raise if ``W_x`` or ``W_h`` has torch's (out, in) layout instead of course_rnn's.

    .. math::

        W_x = \texttt{weight\_ih}^\top \in \mathbb{R}^{D \times GH}, \qquad
        W_h = \texttt{weight\_hh}^\top \in \mathbb{R}^{H \times GH}

    Only when the shapes show it, with the bias ``b`` (GH,) agreeing: ``W_h`` is (GH, H)
    (G > 1), or ``W_h`` is (H, GH) and ``W_x`` is (GH, D) with D != GH, which no correct
    set of shapes is. ``G`` is the number of gate blocks (1 RNN, 3 GRU, 4 LSTM). Used
    from chapter 1 on.
    """
    if W_x.ndim != 2 or W_h.ndim != 2 or b.ndim != 1:
        return
    rows, cols = W_h.shape
    if G > 1 and rows == G * cols and b.shape[0] == rows:
        raise ValueError(
            f"{name_h} has shape {W_h.shape}: it looks transposed (torch's weight_hh is "
            f"(GH, H)); course_rnn uses {name_h} = weight_hh.T, of shape {(cols, rows)}"
        )
    if cols == G * rows and b.shape[0] == cols and W_x.shape[0] == cols and W_x.shape[1] != cols:
        out = "GH" if G > 1 else "H"
        raise ValueError(
            f"{name_x} has shape {W_x.shape}: it looks transposed (torch's weight_ih is "
            f"({out}, D)); course_rnn uses {name_x} = weight_ih.T, of shape "
            f"{(W_x.shape[1], W_x.shape[0])}"
        )
