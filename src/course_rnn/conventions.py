r"""LSTM and GRU weights in the conventions of other code bases: one function, ``convert_params``.

Every code base a learner meets writes the same cells with the same numbers, but fuses
the gates in another order, transposes the matrices, keeps one bias or two, and one of
them (DLS2) lets the GRU's :math:`z` mean the opposite. ``convert_params(cell, params, source,
target)`` moves a parameter dict from one convention to another, exactly (it only
reorders blocks, transposes, negates, and adds biases where a convention keeps one).

All conventions but PyTorch use row vectors, :math:`a = x W_x + h W_h + b` with
:math:`W_x` (D, GH), :math:`W_h` (H, GH), G = 4 gates for the LSTM and 3 for the GRU;
PyTorch stores the transposes, ``weight_ih`` (GH, D) and ``weight_hh`` (GH, H).

LSTM (``cell="lstm"``): every convention computes

.. math::

    c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

with :math:`i, f, o = \sigma(\cdot)` and :math:`g = \tanh(\cdot)` of their block of
:math:`a`; only the order of the blocks and the names differ:

- ``course`` (``course_rnn.lstm``): ``W_x`` (D, 4H), ``W_h`` (H, 4H), ``b`` (4H,);
  blocks i, f, g, o.
- ``pytorch`` (``torch.nn.LSTM``): ``weight_ih`` (4H, D), ``weight_hh`` (4H, H),
  ``bias_ih``, ``bias_hh`` (4H,); blocks i, f, g, o.
- ``cs231n`` (assignment 3, ``rnn_layers.py``, ``lstm_step_forward``): ``Wx`` (D, 4H),
  ``Wh`` (H, 4H), ``b`` (4H,); blocks i, f, o, g.
- ``dls2`` (Deep Learning from Scratch 2, ``common/time_layers.py``, class ``LSTM``):
  ``Wx`` (D, 4H), ``Wh`` (H, 4H), ``b`` (4H,); blocks f, g, i, o.
- ``keras`` (``keras.layers.LSTMCell``): ``kernel`` (D, 4H), ``recurrent_kernel``
  (H, 4H), ``bias`` (4H,); blocks i, f, c, o (Keras's c is g).

PyTorch keeps two biases where the cell only uses their sum: towards PyTorch the whole
bias goes into ``bias_ih`` and ``bias_hh`` is zero (as ``torch_ref.convert`` does); from
PyTorch the two are added. The split cannot be recovered; the cell's function is the same.

GRU with the reset gate *after* the product (``cell="gru"``, ``course_rnn.gru``):

.. math::

    n_t = \tanh\bigl(x_t W_{xn} + b_{xn} + r_t \odot (h_{t-1} W_{hn} + b_{hn})\bigr),
    \qquad h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

- ``course`` (``course_rnn.gru``): ``W_x`` (D, 3H), ``W_h`` (H, 3H), ``b_x``, ``b_h``
  (3H,); blocks r, z, n.
- ``pytorch`` (``torch.nn.GRU``): ``weight_ih`` (3H, D), ``weight_hh`` (3H, H),
  ``bias_ih``, ``bias_hh`` (3H,); blocks r, z, n.
- ``keras`` (``keras.layers.GRUCell``, ``reset_after=True``, the TF2 default):
  ``kernel`` (D, 3H), ``recurrent_kernel`` (H, 3H), ``bias`` (2, 3H) = [input bias;
  recurrent bias]; blocks z, r, h (Keras's h is n).

GRU with the reset gate *before* the product (``cell="cho_gru"``, Cho et al. 2014,
``course_rnn.gru_variants``), whose two biases can be summed:

.. math::

    n_t = \tanh\bigl(x_t W_{xn} + b_{xn} + (r_t \odot h_{t-1}) W_{hn} + b_{hn}\bigr)

- ``course`` (``course_rnn.gru_variants.cho_gru_forward``): the keys of ``cell="gru"``.
- ``dls2`` (``common/time_layers.py``, class ``GRU``): ``Wx`` (D, 3H), ``Wh`` (H, 3H),
  ``b`` (3H,); blocks z, r, h, and z pointing the other way (below).
- ``keras`` (``keras.layers.GRUCell``, ``reset_after=False``): ``kernel`` (D, 3H),
  ``recurrent_kernel`` (H, 3H), ``bias`` (3H,); blocks z, r, h.

Which way :math:`z` points. PyTorch, Keras and this course keep the old state with
:math:`z`: :math:`h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}` (Keras writes
``h = z * h_tm1 + (1 - z) * hh``, the same thing). Deep Learning from Scratch 2 writes
``h_next = (1-z) * h_prev + z * h_hat``: its :math:`z` is one minus ours. Since
:math:`1 - \sigma(a) = \sigma(-a)`, the conversion negates the z block of ``Wx``, ``Wh``
and ``b`` -- exact, but a DLS2 :math:`z` close to 1 (update a lot) is a course :math:`z`
close to 0.

What cannot be converted raises ``ValueError``: CS231n has no GRU; DLS2's GRU is the Cho
form, so ``cell="gru"`` refuses it (no PyTorch-form GRU computes the same function in
general: the two candidates differ unless :math:`r_t = 1`, see ``course_rnn.gru_variants``)
and ``cell="cho_gru"`` converts it to the parameters of
``course_rnn.gru_variants.cho_gru_forward``; torch has no Cho-form GRU. Keras is assumed
with its TF2 / Keras 3 defaults ``activation="tanh"``, ``recurrent_activation="sigmoid"``
(old ``tf.keras`` 1.x used ``hard_sigmoid``, which no conversion can match).

Used beside chapters 5 (LSTM) and 6 (GRU), to read weights from the other code bases
those chapters cite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from course_rnn._validate import as_array, check_shape
from course_rnn.cells import get_cell
from course_rnn.gru import GRU_GATE_ORDER
from course_rnn.lstm import GATE_ORDER

CONVENTIONS = ("course", "pytorch", "cs231n", "dls2", "keras")
"""Names accepted as ``source`` and ``target`` by ``convert_params``."""

CELLS = ("lstm", "gru", "cho_gru")
"""Names accepted as ``cell``: the LSTM, PyTorch's GRU, the GRU of Cho et al. (2014)."""

_FORM = {"lstm": "an LSTM", "gru": "reset gate after the product; Keras: reset_after=True",
         "cho_gru": "reset gate before the product; Keras: reset_after=False"}


@dataclass(frozen=True)
class _Layout:
    """How one convention stores one cell. Gate letters are the course's (Keras's c is g,
    its and DLS2's h is n)."""

    names: tuple[str, ...]  # input weight, recurrent weight, then the bias name(s)
    order: tuple[str, ...]  # gate blocks along the fused axis
    transposed: bool = False  # PyTorch: (G*H, D) instead of (D, G*H)
    bias: str = "single"  # "single" (GH,), "pair" two (GH,), "stacked" (2, GH)
    z_updates: bool = False  # h = (1 - z) h_prev + z n (DLS2): z negated on the way


_TORCH_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_KERAS_NAMES = ("kernel", "recurrent_kernel", "bias")
_LSTM, _GRU = GATE_ORDER, GRU_GATE_ORDER  # ("i", "f", "g", "o"), ("r", "z", "n")

_LAYOUTS = {
    ("lstm", "course"): _Layout(("W_x", "W_h", "b"), _LSTM),
    ("lstm", "pytorch"): _Layout(_TORCH_NAMES, _LSTM, transposed=True, bias="pair"),
    ("lstm", "cs231n"): _Layout(("Wx", "Wh", "b"), ("i", "f", "o", "g")),
    ("lstm", "dls2"): _Layout(("Wx", "Wh", "b"), ("f", "g", "i", "o")),
    ("lstm", "keras"): _Layout(_KERAS_NAMES, ("i", "f", "g", "o")),
    ("gru", "course"): _Layout(("W_x", "W_h", "b_x", "b_h"), _GRU, bias="pair"),
    ("gru", "pytorch"): _Layout(_TORCH_NAMES, _GRU, transposed=True, bias="pair"),
    ("gru", "keras"): _Layout(_KERAS_NAMES, ("z", "r", "n"), bias="stacked"),
    ("cho_gru", "course"): _Layout(("W_x", "W_h", "b_x", "b_h"), _GRU, bias="pair"),
    ("cho_gru", "dls2"): _Layout(("Wx", "Wh", "b"), ("z", "r", "n"), z_updates=True),
    ("cho_gru", "keras"): _Layout(_KERAS_NAMES, ("z", "r", "n")),
}

_NO_GRU_CS231N = ("CS231n's assignment 3 (rnn_layers.py) has no GRU, only the vanilla RNN "
                  "and the LSTM")
_UNSUPPORTED = {
    ("gru", "cs231n"): _NO_GRU_CS231N,
    ("cho_gru", "cs231n"): _NO_GRU_CS231N,
    ("gru", "dls2"): (
        "DLS2's GRU (common/time_layers.py) applies the reset gate before the product, "
        "h_hat = tanh(x Wxh + (r*h_prev) Whh + bh) (the form of Cho et al.), which no "
        "PyTorch-form GRU (course_rnn.gru) reproduces in general; convert it with "
        "cell='cho_gru' to the parameters of course_rnn.gru_variants.cho_gru_forward"
    ),
    ("cho_gru", "pytorch"): (
        "torch has no GRU with the reset gate before the product: torch.nn.GRU applies it "
        "after h W_hn + b_hn (cell='gru'), and the two forms differ in general"
    ),
}


def _layout(cell: str, convention: str, role: str) -> _Layout:
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    if convention not in CONVENTIONS:
        raise ValueError(f"{role} must be one of {CONVENTIONS}, got {convention!r}")
    if (cell, convention) in _UNSUPPORTED:
        raise ValueError(f"cannot convert cell={cell!r} {role}={convention!r}: "
                         + _UNSUPPORTED[(cell, convention)])
    return _LAYOUTS[(cell, convention)]


def _reorder(a: np.ndarray, src: tuple, dst: tuple) -> np.ndarray:
    """A new array: the gate blocks of ``a``'s last axis, from order ``src`` to ``dst``."""
    blocks = np.split(a, len(src), axis=-1)  # G blocks (..., H)
    return np.concatenate([blocks[src.index(g)] for g in dst], axis=-1)  # (..., G*H)


def _negate_z(arrays: list, order: tuple) -> None:
    """Negate, in place, the z block of each array (all fresh copies): 1 - sigma(a) = sigma(-a)."""
    k = order.index("z")
    for a in arrays:
        if a is not None:
            H = a.shape[-1] // len(order)
            np.negative(a[..., k * H : (k + 1) * H], out=a[..., k * H : (k + 1) * H])


def _bias_hint(cell: str, convention: str, shape: tuple, H: int) -> str:
    """Why a bias shaped as the same convention's other GRU form is refused, or nothing
    (a Keras GRU's bias is (2, 3H) with ``reset_after=True``, (3H,) without)."""
    for other in CELLS:
        lay = _LAYOUTS.get((other, convention))
        if other == cell or lay is None or len(lay.order) != shape[-1] // max(H, 1):
            continue
        G = len(lay.order)
        if shape == ((2, G * H) if lay.bias == "stacked" else (G * H,)):
            return (f"; a bias of shape {shape} is the {convention} layout of "
                    f"cell={other!r} ({_FORM[other]}): convert it with cell={other!r}")
    return ""


def _to_course(cell: str, convention: str, lay: _Layout, params) -> tuple:
    """``(W_x (D, GH), W_h (H, GH), b_x (GH,), b_h (GH,) or None)``, new arrays in the
    course's gate order and sign of z, after checking keys and shapes."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of arrays, got {type(params).__name__}")
    what = f"a {convention!r} {cell!r} parameter dict"
    missing = [n for n in lay.names if n not in params]
    extra = sorted(str(k) for k in params if k not in lay.names)
    if missing or extra:
        raise ValueError(f"{what} has exactly the keys {list(lay.names)}; got "
                         f"{sorted(str(k) for k in params)} (missing {missing}, "
                         f"unexpected {extra})")
    G = len(lay.order)
    w_in, w_rec, *b_names = lay.names
    W_in = as_array(w_in, params[w_in], 2)
    fused = 0 if lay.transposed else 1  # the axis holding the G gate blocks
    if W_in.shape[fused] % G:
        raise ValueError(f"{w_in} has shape {W_in.shape}: its axis {fused} must be {G}H "
                         f"(blocks {', '.join(lay.order)}) in {what}")
    H = W_in.shape[fused] // G
    rec_shape = (G * H, H) if lay.transposed else (H, G * H)
    W_rec = as_array(w_rec, params[w_rec], 2)
    check_shape(w_rec, W_rec, rec_shape, f"{w_in} has shape {W_in.shape}, so H={H}")
    b_shape = (2, G * H) if lay.bias == "stacked" else (G * H,)
    biases = []
    for name in b_names:
        b = as_array(name, params[name], (1, 2))
        if b.shape != b_shape:
            raise ValueError(f"{name} has shape {b.shape}, expected {b_shape} (H={H}, "
                             f"from {w_in} {W_in.shape}){_bias_hint(cell, convention, b.shape, H)}")
        biases.append(b)
    if lay.transposed:
        W_in, W_rec = W_in.T, W_rec.T  # (D, GH), (H, GH) views
    if lay.bias == "stacked":
        biases = [biases[0][0], biases[0][1]]  # input bias, recurrent bias
    b_x = biases[0]
    b_h = biases[1] if len(biases) == 2 else None
    out = [_reorder(a, lay.order, _course_order(cell)) if a is not None else None
           for a in (W_in, W_rec, b_x, b_h)]
    if lay.z_updates:
        _negate_z(out, _course_order(cell))
    return tuple(out)


def _course_order(cell: str) -> tuple:
    return get_cell(cell).gates


def _from_course(cell: str, lay: _Layout, W_x, W_h, b_x, b_h) -> dict:
    """The parameter dict of layout ``lay`` from the course's arrays (which are not changed)."""
    order = _course_order(cell)
    if lay.z_updates:
        W_x, W_h, b_x = W_x.copy(), W_h.copy(), b_x.copy()
        b_h = None if b_h is None else b_h.copy()
        _negate_z([W_x, W_h, b_x, b_h], order)
    W_in, W_rec = _reorder(W_x, order, lay.order), _reorder(W_h, order, lay.order)
    if lay.transposed:
        W_in, W_rec = W_in.T, W_rec.T  # (GH, D), (GH, H)
    if lay.bias == "single":
        b = b_x if b_h is None else b_x + b_h  # the cell only uses the sum
        biases = [_reorder(b, order, lay.order)]
    else:
        b_h = np.zeros_like(b_x) if b_h is None else b_h  # the whole bias on the input side
        biases = [_reorder(b_x, order, lay.order), _reorder(b_h, order, lay.order)]
        if lay.bias == "stacked":
            biases = [np.stack(biases)]  # (2, GH)
    arrays = [np.ascontiguousarray(a) for a in (W_in, W_rec, *biases)]  # C order for torch
    return dict(zip(lay.names, arrays, strict=True))


def convert_params(cell: str, params, source: str, target: str) -> dict:
    r"""Convert LSTM or GRU weights from one code base's convention to another's.

    .. math::

        W^{\text{target}}_{x} = P\,(W^{\text{source}}_{x})\,S, \quad
        W^{\text{target}}_{h} = P\,(W^{\text{source}}_{h})\,S, \quad
        b^{\text{target}} = P\,(b^{\text{source}})\,S

    where :math:`P` transposes where one side is PyTorch, and the column permutation
    and signs :math:`S` put the gate blocks in the target's order (and negate the z
    block, :math:`1 - \sigma(a) = \sigma(-a)`, between DLS2 and the others). Biases are
    added where the target keeps one (:math:`b = b_{ih} + b_{hh}`) and put on the input
    side where it keeps two (:math:`b_{ih} = b`, :math:`b_{hh} = 0`). The module
    docstring lists every layout.

    Parameters
    ----------
    cell : {"lstm", "gru", "cho_gru"}
        "lstm"; "gru" for the reset gate after the product (``course_rnn.gru``,
        ``torch.nn.GRU``, Keras ``reset_after=True``); "cho_gru" for the reset gate
        before it (``course_rnn.gru_variants``, DLS2, Keras ``reset_after=False``).
    params : dict of ndarray
        The ``source`` convention's own keys, G = 4 (LSTM) or 3 (GRU):

        - "course": ``W_x`` (D, GH), ``W_h`` (H, GH), and ``b`` (4H,) for the LSTM or
          ``b_x``, ``b_h`` (3H,) for the GRUs;
        - "pytorch": ``weight_ih`` (GH, D), ``weight_hh`` (GH, H), ``bias_ih``,
          ``bias_hh`` (GH,);
        - "cs231n" (LSTM only) and "dls2": ``Wx`` (D, GH), ``Wh`` (H, GH), ``b`` (GH,);
        - "keras": ``kernel`` (D, GH), ``recurrent_kernel`` (H, GH), ``bias`` (GH,), or
          (2, 3H) for "gru" (Keras ``reset_after=True``: input bias, recurrent bias).
    source, target : {"course", "pytorch", "cs231n", "dls2", "keras"}

    Returns
    -------
    dict of ndarray
        The ``target`` convention's keys, with the shapes above; new arrays (never views
        of ``params``) of the input's dtype.

    Raises
    ------
    ValueError
        For an unknown cell or convention, a pair that has no exact conversion (CS231n
        has no GRU; DLS2's GRU only as "cho_gru"; torch has no "cho_gru"), missing or
        unexpected keys, or shapes that do not fit together.

    Notes
    -----
    ``convert_params("lstm", p, "course", "pytorch")`` gives the ``state_dict`` entries
    of ``torch.nn.LSTM`` without the ``_l0`` suffix (see also
    ``course_rnn.torch_ref.convert``, which works on torch modules). Course -> X ->
    course gives back the same arrays, except that a "cho_gru" through a one-bias
    convention comes back with ``b_x + b_h`` in ``b_x`` and zeros in ``b_h`` (the same
    function). Used beside chapters 5 (LSTM) and 6 (GRU).

    Examples
    --------
    >>> import numpy as np
    >>> p = {"W_x": np.ones((2, 8)), "W_h": np.ones((2, 8)), "b": np.arange(8.0)}
    >>> convert_params("lstm", p, "course", "cs231n")["b"]  # i, f, o, g
    array([0., 1., 2., 3., 6., 7., 4., 5.])
    """
    src, dst = _layout(cell, source, "source"), _layout(cell, target, "target")
    arrays = _to_course(cell, source, src, params)
    return _from_course(cell, dst, *arrays)
