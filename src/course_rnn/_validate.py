"""Argument checks shared by every layer: errors that name the argument and both shapes.

A learner who passes ``x_t`` of shape (3, 5) to a cell whose ``W_xh`` has 4 rows gets
``x_t has shape (3, 5) but W_xh expects D=4`` instead of numpy's
``matmul: Input operand 1 has a mismatch in its core dimension 0``.
"""

from __future__ import annotations

import numpy as np


def as_array(name: str, value, ndim: int | tuple[int, ...]) -> np.ndarray:
    """Return ``value`` as an ndarray after checking its number of dimensions.

    Raises ``TypeError`` for non-numeric input and ``ValueError`` naming ``name``
    and the expected and actual ``ndim`` otherwise.
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    dims = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in dims:
        want = " or ".join(str(d) for d in dims)
        raise ValueError(f"{name} must have {want} dimensions, got shape {arr.shape}")
    return arr


def check_dim(name: str, arr: np.ndarray, axis: int, expected: int, owner: str, letter: str):
    """Raise if ``arr.shape[axis] != expected``.

    The message reads ``{name} has shape {arr.shape} but {owner} expects {letter}={expected}``.
    """
    if arr.shape[axis] != expected:
        raise ValueError(f"{name} has shape {arr.shape} but {owner} expects {letter}={expected}")


def check_shape(name: str, arr: np.ndarray, expected: tuple[int, ...], why: str = ""):
    """Raise ``ValueError`` if ``arr.shape != expected``, naming both shapes."""
    if tuple(arr.shape) != tuple(expected):
        extra = f" ({why})" if why else ""
        raise ValueError(f"{name} has shape {tuple(arr.shape)}, expected {tuple(expected)}{extra}")


def normalisation_inputs(x, gamma, beta, min_ndim: int, what: str):
    """The checked inputs of a normalisation layer: ``x`` as floats, ``gamma``, ``beta`` (H,).

    ``x`` must have at least ``min_ndim`` dimensions (``what`` says which) and H features on
    its last axis; ``beta`` the shape of ``gamma``. Used by layer and batch normalisation.
    """
    gamma = as_array("gamma", gamma, 1)
    beta = as_array("beta", beta, 1)
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if x.ndim < min_ndim:
        raise ValueError(f"x must have {what}, got shape {x.shape}")
    check_dim("x", x, -1, gamma.shape[0], "gamma", "H")
    check_shape("beta", beta, gamma.shape, f"gamma has shape {gamma.shape}")
    return x, gamma, beta


def check_finite_loss(loss: float, step: int, lang: str = "en") -> float:
    """Stop training with a message naming the step where the loss stopped being finite.

    ``lang`` ("en" or "ko") is the language of the message; the step is the first number
    in both.
    """
    if not np.isfinite(loss):
        if lang == "ko":
            raise FloatingPointError(
                f"{step}번째 갱신에서 손실이 {loss}이 되었습니다. 학습률을 낮추거나, "
                "기울기를 클리핑하거나(clip_grad_norm), 입력에 NaN이 있는지 확인하세요"
            )
        raise FloatingPointError(
            f"the loss became {loss} at step {step}; lower the learning rate, "
            "clip the gradients (clip_grad_norm) or check the input for NaN"
        )
    return float(loss)
