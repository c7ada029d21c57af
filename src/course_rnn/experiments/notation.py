r"""The Elman RNN step in the other notations of the source documents.

``course_rnn.rnn.rnn_step_forward`` computes the step with row vectors, the
convention of the whole course:

.. math::

    h_t = \tanh(h_{t-1} W_h + x_t W_x + b)
    \qquad (W_x = \texttt{W\_xh} \in \mathbb{R}^{D \times H},\;
            W_h = \texttt{W\_hh} \in \mathbb{R}^{H \times H}).

Lecture slides and many papers write it with column vectors,

.. math::

    h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t + b_h)
    \qquad (W_{xh} \in \mathbb{R}^{H \times D},\; W_{hh} \in \mathbb{R}^{H \times H}),

or with the two matrices stacked into one that acts on the joined vector
:math:`[x_t; h_{t-1}]`. The functions below compute these forms literally, so that
chapter 1 can show that all of them give the same numbers as ``rnn_step_forward``
when the matrices are transposes of each other:
:math:`W_x = W_{xh}^\top`, :math:`W_h = W_{hh}^\top`.

Size letters: N batch, D input, H hidden. Taught in chapter 1.
"""

from __future__ import annotations

import numpy as np

from course_rnn._validate import as_array, check_dim, check_shape


def rnn_step_columns(x_t, h_prev, W_xh, W_hh, b_h=None):
    r"""One Elman step with column vectors (the lecture-slide form).

    .. math::

        h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t + b_h)

    With ``b_h=None`` there is no bias: :math:`h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t)`.

    Parameters
    ----------
    x_t : ndarray, shape (D, N)
        Inputs as columns: column n is example n.
    h_prev : ndarray, shape (H, N)
        :math:`h_{t-1}` as columns.
    W_xh : ndarray, shape (H, D)
        Input-to-hidden weights of the column form (the transpose of the row form's).
    W_hh : ndarray, shape (H, H)
        Hidden-to-hidden weights of the column form.
    b_h : ndarray, shape (H,), optional

    Returns
    -------
    h_t : ndarray, shape (H, N)

    Notes
    -----
    Equal to ``rnn_step_forward(x_t.T, h_prev.T, W_xh.T, W_hh.T, b_h)[0].T``.
    torch's ``nn.RNNCell`` stores its weights in this orientation
    (``weight_ih`` is (H, D)) but computes with rows (``x @ weight_ih.T``).
    Taught in chapter 1.
    """
    W_xh = as_array("W_xh", W_xh, 2)
    W_hh = as_array("W_hh", W_hh, 2)
    H, D = W_xh.shape
    check_shape("W_hh", W_hh, (H, H), f"W_xh has shape {W_xh.shape}, so H={H}")
    x_t = as_array("x_t", x_t, 2)
    h_prev = as_array("h_prev", h_prev, 2)
    check_dim("x_t", x_t, 0, D, "W_xh", "D")
    check_dim("h_prev", h_prev, 0, H, "W_hh", "H")
    check_dim("h_prev", h_prev, 1, x_t.shape[1], "x_t", "N")
    a = W_hh @ h_prev + W_xh @ x_t  # (H, N)
    if b_h is not None:
        b_h = as_array("b_h", b_h, 1)
        check_dim("b_h", b_h, 0, H, "W_xh", "H")
        a = a + b_h[:, None]  # the bias is added to every column
    return np.tanh(a)  # (H, N)


def stack_weights(W_xh, W_hh):
    r"""The two weight matrices of the row form stacked into one.

    .. math::

        W = \begin{bmatrix} W_{xh} \\ W_{hh} \end{bmatrix}
        \in \mathbb{R}^{(D + H) \times H},
        \qquad [x_t,\ h_{t-1}]\, W = x_t W_{xh} + h_{t-1} W_{hh}

    Its transpose, :math:`[W_{xh}^\top\ W_{hh}^\top] \in \mathbb{R}^{H \times (D + H)}`,
    is the column form's stacked matrix (the two blocks side by side).

    Parameters
    ----------
    W_xh : ndarray, shape (D, H)
    W_hh : ndarray, shape (H, H)

    Returns
    -------
    W : ndarray, shape (D + H, H)

    Notes
    -----
    torch computes the two products separately (``weight_ih`` and ``weight_hh``);
    cuDNN and the LSTM of chapter 5 often fuse them this way. Taught in chapter 1.
    """
    W_xh = as_array("W_xh", W_xh, 2)
    W_hh = as_array("W_hh", W_hh, 2)
    H = W_xh.shape[1]
    check_shape("W_hh", W_hh, (H, H), f"W_xh has shape {W_xh.shape}, so H={H}")
    return np.vstack([W_xh, W_hh])  # (D + H, H)


def rnn_step_stacked(x_t, h_prev, W, b_h):
    r"""One Elman step with the stacked weight acting on the joined vector (rows).

    .. math::

        h_t = \tanh\bigl([x_t,\ h_{t-1}]\, W + b_h\bigr),
        \qquad W = \begin{bmatrix} W_{xh} \\ W_{hh} \end{bmatrix}

    Parameters
    ----------
    x_t : ndarray, shape (N, D)
    h_prev : ndarray, shape (N, H)
    W : ndarray, shape (D + H, H)
        From ``stack_weights``.
    b_h : ndarray, shape (H,)

    Returns
    -------
    h_t : ndarray, shape (N, H)

    Notes
    -----
    Equal to ``rnn_step_forward`` with ``W_xh = W[:D]``, ``W_hh = W[D:]``.
    Taught in chapter 1.
    """
    x_t = as_array("x_t", x_t, 2)
    h_prev = as_array("h_prev", h_prev, 2)
    W = as_array("W", W, 2)
    b_h = as_array("b_h", b_h, 1)
    N, D = x_t.shape
    H = W.shape[1]
    check_shape("W", W, (D + H, H), f"x_t has D={D} and W has H={H} columns, so D+H rows")
    check_shape("h_prev", h_prev, (N, H), "N rows as x_t, H columns as W")
    check_dim("b_h", b_h, 0, H, "W", "H")
    joined = np.concatenate([x_t, h_prev], axis=1)  # (N, D + H)
    return np.tanh(joined @ W + b_h)  # (N, H)


def rnn_step_stacked_columns(x_t, h_prev, W, b_h):
    r"""One Elman step with the stacked weight, column vectors (the lecture-slide form).

    .. math::

        h_t = \tanh\left([W_{xh}\ W_{hh}] \begin{bmatrix} x_t \\ h_{t-1} \end{bmatrix}
        + b_h\right)

    Parameters
    ----------
    x_t : ndarray, shape (D, N)
    h_prev : ndarray, shape (H, N)
    W : ndarray, shape (H, D + H)
        The two column-form blocks side by side: ``stack_weights(W_x, W_h).T`` for the
        row-form matrices ``W_x`` (D, H) and ``W_h`` (H, H).
    b_h : ndarray, shape (H,)

    Returns
    -------
    h_t : ndarray, shape (H, N)

    Notes
    -----
    The transpose of ``rnn_step_stacked``. Taught in chapter 1.
    """
    x_t = as_array("x_t", x_t, 2)
    h_prev = as_array("h_prev", h_prev, 2)
    W = as_array("W", W, 2)
    b_h = as_array("b_h", b_h, 1)
    D, N = x_t.shape
    H = W.shape[0]
    check_shape("W", W, (H, D + H), f"x_t has D={D} and W has H={H} rows, so D+H columns")
    check_shape("h_prev", h_prev, (H, N), "H rows as W, N columns as x_t")
    check_dim("b_h", b_h, 0, H, "W", "H")
    joined = np.concatenate([x_t, h_prev], axis=0)  # (D + H, N)
    return np.tanh(W @ joined + b_h[:, None])  # (H, N)
