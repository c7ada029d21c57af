r"""Weights both ways between course_rnn's numpy layers and ``torch.nn`` modules.

torch stores a layer as :math:`y = x W^\top + b` with ``weight`` of shape (out, in);
course_rnn uses row vectors, :math:`y = x W + b` with ``W`` (in, out). So every matrix
is transposed, and the two biases torch keeps (``bias_ih``, ``bias_hh``) are summed
where they can be (RNN, LSTM). The GRU keeps both, because :math:`b_{hn}` is multiplied
by the reset gate.

=========  ============================  =========================================
module     course_rnn                    torch
=========  ============================  =========================================
RNN        ``W_xh, W_hh, b_h``           ``weight_ih.T, weight_hh.T, bias_ih + bias_hh``
LSTM       ``W_x, W_h, b`` (i, f, g, o)  ``weight_ih.T, weight_hh.T, bias_ih + bias_hh``
GRU        ``W_x, W_h, b_x, b_h``        ``weight_ih.T, weight_hh.T, bias_ih, bias_hh``
Conv1d     ``W`` (C_out, C_in, K), ``b``  ``weight``, ``bias`` (same layout)
LayerNorm  ``gamma, beta`` (H,)          ``weight, bias``
=========  ============================  =========================================

Going back to torch, the summed bias goes into ``bias_ih`` and ``bias_hh`` is set to
zero (the sum, which is all the layer computes with, is unchanged).

Multi-layer and bidirectional modules become a list with one entry per layer: a dict, or
a pair ``(forward, backward)`` of dicts whose torch names end in ``_reverse`` -- the format
of ``course_rnn.multilayer.stacked_forward``. torch is imported only inside the functions.
Used from chapter 1 on (first in chapter 1, to check the numpy RNN against torch).
"""

from __future__ import annotations

import numpy as np

from course_rnn._validate import check_shape
from course_rnn.cells import get_cell, names


def _np(tensor) -> np.ndarray:
    """A numpy copy of a torch tensor (never sharing memory with it)."""
    return tensor.detach().cpu().numpy().copy()


def cell_name(module) -> str:
    r"""The ``course_rnn.multilayer`` cell name of a torch RNN/LSTM/GRU module or cell.

    .. math::

        \texttt{nn.RNN(nonlinearity="relu")} \mapsto \texttt{"rnn\_relu"}, \quad
        \texttt{nn.LSTM} \mapsto \texttt{"lstm"}, \dots

    ``"rnn"``, ``"rnn_relu"``, ``"lstm"`` or ``"gru"``: the first cell of
    ``course_rnn.cells`` whose ``torch_class`` and ``torch_kwargs`` the module matches.
    Taught in chapter 7.
    """
    kind = type(module).__name__
    base = kind.removesuffix("Cell")
    for name in names():
        spec = get_cell(name)
        if spec.torch_class == base and all(
            getattr(module, k, None) == v for k, v in spec.torch_kwargs.items()
        ):
            return name
    classes = dict.fromkeys(get_cell(n).torch_class for n in names() if get_cell(n).torch_class)
    raise TypeError(f"expected torch.nn.{', '.join(classes)} or their Cell, got {kind}")


def _layout(module):
    """Number of layers and the torch name suffixes of the directions of each layer."""
    if type(module).__name__.endswith("Cell"):
        return 1, [""], True
    if getattr(module, "proj_size", 0):
        raise NotImplementedError("LSTM with proj_size > 0 has no course_rnn equivalent")
    suffixes = ["", "_reverse"] if module.bidirectional else [""]
    return module.num_layers, suffixes, False


def _torch_tensors(module, layer: int, suffix: str, is_cell: bool) -> dict:
    """``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` of one layer and direction."""
    tag = "" if is_cell else f"_l{layer}{suffix}"
    out = {}
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        out[name] = getattr(module, name + tag, None)  # biases are None when bias=False
    return out


def _params_from_tensors(cell: str, t: dict) -> dict:
    W_x = _np(t["weight_ih"]).T.copy()  # (D, G*H)
    W_h = _np(t["weight_hh"]).T.copy()  # (H, G*H)
    zeros = np.zeros(W_x.shape[1], dtype=W_x.dtype)
    b_ih = zeros if t["bias_ih"] is None else _np(t["bias_ih"])
    b_hh = zeros if t["bias_hh"] is None else _np(t["bias_hh"])
    # by role (course_rnn.cells): one summed bias, or torch's two kept apart (the GRU)
    values = {"input": W_x, "recurrent": W_h, "bias_ih": b_ih, "bias_hh": b_hh}
    roles = get_cell(cell).roles
    if "bias" in roles.values():
        values["bias"] = b_ih + b_hh
    return {name: values[role] for name, role in roles.items()}


def rnn_params_from_torch(module) -> list:
    r"""course_rnn parameters of a ``torch.nn.RNN``, ``LSTM``, ``GRU`` (or their Cell).

    .. math::

        W_{xh} = W_{ih}^\top, \quad W_{hh} = W_{hh}^{\top}, \quad b_h = b_{ih} + b_{hh}

    (LSTM the same with all four gates fused; GRU keeps :math:`b_{ih}, b_{hh}` apart).

    Parameters
    ----------
    module : torch.nn.RNN, LSTM, GRU, RNNCell, LSTMCell or GRUCell
        Any ``num_layers``, ``bidirectional``, ``bias``; ``batch_first`` does not matter.

    Returns
    -------
    list
        One entry per layer: the parameter dict (``{"W_xh", "W_hh", "b_h"}``,
        ``{"W_x", "W_h", "b"}`` or ``{"W_x", "W_h", "b_x", "b_h"}``), or a pair of them
        ``(forward, backward)`` for a bidirectional module. Arrays are numpy copies
        with the module's dtype. A Cell gives a list of one dict.

    Notes
    -----
    Taught in chapter 1 (RNN), 5 (LSTM), 6 (GRU), 7 (stacks).
    """
    cell = cell_name(module)
    num_layers, suffixes, is_cell = _layout(module)
    layers = []
    for l in range(num_layers):
        dirs = [_params_from_tensors(cell, _torch_tensors(module, l, s, is_cell)) for s in suffixes]
        layers.append(dirs[0] if len(dirs) == 1 else tuple(dirs))
    return layers


def rnn_params_to_torch(params, module):
    r"""Copy course_rnn parameters into a torch RNN/LSTM/GRU module (in place); return it.

    .. math::

        W_{ih} = W_{xh}^\top, \quad W_{hh} = W_{hh}^\top, \quad
        b_{ih} = b_h, \quad b_{hh} = 0

    (the GRU's ``b_x`` and ``b_h`` go to ``bias_ih`` and ``bias_hh``).

    Parameters
    ----------
    params : list (as returned by ``rnn_params_from_torch``) or one dict
        One dict is accepted for a single-layer, one-directional module.
    module : torch.nn.RNN, LSTM, GRU or their Cell
        Its sizes must match; the values are converted to the module's dtype.

    Returns
    -------
    module

    Notes
    -----
    Taught in chapter 1 (RNN), 5 (LSTM), 6 (GRU), 7 (stacks).
    """
    import torch

    cell = cell_name(module)
    num_layers, suffixes, is_cell = _layout(module)
    if isinstance(params, dict):
        params = [params]
    if len(params) != num_layers:
        raise ValueError(f"params has {len(params)} layers but the module has {num_layers}")
    with torch.no_grad():
        for l, layer in enumerate(params):
            dirs = list(layer) if isinstance(layer, (tuple, list)) else [layer]
            if len(dirs) != len(suffixes):
                raise ValueError(
                    f"layer {l} of params has {len(dirs)} direction(s), the module {len(suffixes)}"
                )
            for p, suffix in zip(dirs, suffixes, strict=True):
                t = _torch_tensors(module, l, suffix, is_cell)
                values = _tensors_from_params(cell, p)
                for name, value in values.items():
                    target = t[name]
                    where = f"layer {l}{suffix} {name}"
                    if target is None:
                        if np.any(value != 0):
                            raise ValueError(f"{where}: the module has bias=False")
                        continue
                    check_shape(where, value, tuple(target.shape), "the module's shape")
                    target.copy_(torch.as_tensor(value, dtype=target.dtype))
    return module


def _tensors_from_params(cell: str, p: dict) -> dict:
    by_role = {role: p[name] for name, role in get_cell(cell).roles.items()}
    W_x, W_h = by_role["input"], by_role["recurrent"]
    if "bias" in by_role:  # the sum goes to bias_ih, bias_hh is zero
        b_ih, b_hh = by_role["bias"], np.zeros_like(by_role["bias"])
    else:
        b_ih, b_hh = by_role["bias_ih"], by_role["bias_hh"]
    return {
        "weight_ih": np.asarray(W_x).T,
        "weight_hh": np.asarray(W_h).T,
        "bias_ih": np.asarray(b_ih),
        "bias_hh": np.asarray(b_hh),
    }


# ----------------------------------------------------------------------------- Conv1d, LayerNorm


def _check_conv1d_module(module) -> None:
    """Refuse a Conv1d that ``course_rnn.conv`` cannot represent (other padding, groups)."""
    mode = getattr(module, "padding_mode", "zeros")
    if mode != "zeros":
        raise ValueError(f"the Conv1d has padding_mode={mode!r}; course_rnn.conv pads with "
                         "zeros only (padding_mode='zeros')")
    groups = getattr(module, "groups", 1)
    if groups != 1:
        raise ValueError(f"the Conv1d has groups={groups}; course_rnn.conv supports groups=1 "
                         "only (every output channel sees every input channel, "
                         "W of shape (C_out, C_in, K))")


def conv1d_params_from_torch(module) -> dict:
    r"""``{"W": (C_out, C_in, K), "b": (C_out,)}`` from a ``torch.nn.Conv1d`` (same layout).

    .. math::

        W = \texttt{weight}, \qquad b = \texttt{bias}

    ``b`` is zeros when the module has ``bias=False``. A module that ``course_rnn.conv``
    cannot compute (``padding_mode`` other than "zeros", ``groups`` other than 1) raises
    ``ValueError``. Taught in chapter 8 (with Conv1D).
    """
    _check_conv1d_module(module)
    W = _np(module.weight)  # (C_out, C_in, K)
    b = np.zeros(W.shape[0], dtype=W.dtype) if module.bias is None else _np(module.bias)
    return {"W": W, "b": b}


def conv1d_params_to_torch(params: dict, module):
    r"""Copy ``{"W": (C_out, C_in, K), "b": (C_out,)}`` into a ``torch.nn.Conv1d``; return it.

    .. math::

        \texttt{weight} = W, \qquad \texttt{bias} = b

    In place; shapes must match the module's, and the module must compute what
    ``course_rnn.conv`` does (``padding_mode="zeros"``, ``groups=1``), else ``ValueError``.
    Taught in chapter 8 (with Conv1D).
    """
    import torch

    _check_conv1d_module(module)
    with torch.no_grad():
        check_shape("W", np.asarray(params["W"]), tuple(module.weight.shape), "Conv1d.weight")
        module.weight.copy_(torch.as_tensor(params["W"], dtype=module.weight.dtype))
        b = np.asarray(params["b"])
        if module.bias is None:
            if np.any(b != 0):
                raise ValueError("b is not zero but the Conv1d has bias=False")
        else:
            check_shape("b", b, tuple(module.bias.shape), "Conv1d.bias")
            module.bias.copy_(torch.as_tensor(b, dtype=module.bias.dtype))
    return module


def layernorm_params_from_torch(module) -> dict:
    r"""``{"gamma": (H,), "beta": (H,)}`` from a ``torch.nn.LayerNorm`` over one axis.

    .. math::

        y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta, \qquad
        \gamma = \texttt{weight}, \quad \beta = \texttt{bias}

    Without ``elementwise_affine`` gamma is ones and beta zeros. Taught in chapter 7.
    """
    shape = tuple(module.normalized_shape)
    if len(shape) != 1:
        raise ValueError(f"only LayerNorm over the last axis is supported, got {shape}")
    (H,) = shape
    gamma = np.ones(H) if module.weight is None else _np(module.weight)
    beta = np.zeros(H, gamma.dtype) if getattr(module, "bias", None) is None else _np(module.bias)
    return {"gamma": gamma, "beta": beta}


def layernorm_params_to_torch(params: dict, module):
    r"""Copy ``{"gamma": (H,), "beta": (H,)}`` into a ``torch.nn.LayerNorm``; return it.

    .. math::

        \texttt{weight} = \gamma, \qquad \texttt{bias} = \beta

    In place; shapes must match the module's. Taught in chapter 7.
    """
    import torch

    if module.weight is None:
        raise ValueError("the LayerNorm has elementwise_affine=False: nothing to copy into")
    with torch.no_grad():
        gamma, beta = np.asarray(params["gamma"]), np.asarray(params["beta"])
        check_shape("gamma", gamma, tuple(module.weight.shape), "LayerNorm.weight")
        module.weight.copy_(torch.as_tensor(gamma, dtype=module.weight.dtype))
        if module.bias is not None:
            check_shape("beta", beta, tuple(module.bias.shape), "LayerNorm.bias")
            module.bias.copy_(torch.as_tensor(beta, dtype=module.bias.dtype))
        elif np.any(beta != 0):
            raise ValueError("beta is not zero but the LayerNorm has bias=False")
    return module


# ----------------------------------------------------------------------------- deep language model


def deep_lm_to_torch(model):
    r"""The torch twin of a ``course_rnn.deep_lm.DeepLanguageModel``, with the same weights.

    .. math::

        \texttt{embed.weight} = E, \quad \texttt{head.weight} = E \ \text{(tied: the same
        Parameter)} \ \text{or}\ W_\text{out}^\top, \quad \texttt{head.bias} = b, \quad
        \text{layer } l \text{ as } \texttt{rnn\_params\_to\_torch}

    Returns a ``course_rnn.torch_ref.models.TorchLanguageModel`` (same cell, layers,
    dropout probability, tying) in the model's dtype and mode (``train``/``eval``). For a
    cell with one summed bias (RNN, LSTM) each layer's ``bias_hh`` is zero and frozen
    (``requires_grad=False``), so the twin has exactly the numpy model's parameters and an
    optimiser trains both alike; the GRU keeps both biases, as course_rnn does.
    ``deep_lm_from_torch`` reads the weights (or their gradients) back. Dropout masks are
    drawn by each side's own generator: the two agree exactly in evaluation mode.
    Taught in chapter 5.
    """
    import torch

    from course_rnn.torch_ref.models import TorchLanguageModel

    p = model.params
    V, D = p["embed.W"].shape
    spec = get_cell(model.cell)
    _, H = spec.sizes(model.recurrent[0].params)
    dtype = torch.as_tensor(p["embed.W"][:0]).dtype
    net = TorchLanguageModel(V, D, H, model.cell, model.num_layers, model.dropouts[0].p,
                             tie_weights=model.tie_weights).to(dtype)
    rnn_params_to_torch([layer.params for layer in model.recurrent], net.rnn)
    with torch.no_grad():
        net.embed.weight.copy_(torch.as_tensor(p["embed.W"]))  # (V, D)
        if not model.tie_weights:
            net.head.weight.copy_(torch.as_tensor(p["affine.W"].T))  # (V, H)
        net.head.bias.copy_(torch.as_tensor(p["affine.b"]))
    if "bias" in spec.roles.values():  # course_rnn's one bias is bias_ih + bias_hh
        for l in range(model.num_layers):
            getattr(net.rnn, f"bias_hh_l{l}").requires_grad_(False)
    return net.train(model.training)


def deep_lm_from_torch(net, grads: bool = False) -> dict:
    r"""A ``TorchLanguageModel``'s weights (or gradients) in ``DeepLanguageModel``'s names.

    .. math::

        \texttt{"embed.W"} = \texttt{embed.weight}, \quad
        \texttt{"affine.W"} = \texttt{head.weight}^\top \ \text{(untied only)}, \quad
        \texttt{"lstm0.W\_x"} = \texttt{rnn.weight\_ih\_l0}^\top, \ \dots

    Parameters
    ----------
    net : course_rnn.torch_ref.models.TorchLanguageModel
        One direction; tied when ``head.weight is embed.weight`` (then no ``"affine.W"``).
    grads : bool
        Read each parameter's ``.grad`` instead of its value. A summed bias (RNN, LSTM)
        then has the gradient of ``bias_ih`` (that of ``bias_ih + bias_hh``).

    Returns
    -------
    dict
        name -> numpy copy, the keys of ``DeepLanguageModel.params``; for a model ``m``
        of the same sizes, ``m.load_params(deep_lm_from_torch(net))`` copies the weights
        in. Taught in chapter 5.
    """
    from course_rnn.deep_lm import recurrent_part

    def read(tensor, name):
        if not grads:
            return tensor
        if tensor.grad is None:
            raise ValueError(f"{name} has no gradient: call backward() on a loss of the "
                             "network first (or pass grads=False for the weights)")
        return tensor.grad

    cell = cell_name(net.rnn)
    summed = "bias" in get_cell(cell).roles.values()
    tied = net.head.weight is net.embed.weight
    out = {"embed.W": _np(read(net.embed.weight, "embed.weight"))}
    for l in range(net.rnn.num_layers):
        t = _torch_tensors(net.rnn, l, "", False)
        if grads and summed:
            t["bias_hh"] = None  # d(b_ih + b_hh) is the gradient of either; zero stands in
        t = {k: None if v is None else read(v, f"rnn.{k}_l{l}") for k, v in t.items()}
        for name, value in _params_from_tensors(cell, t).items():
            out[f"{recurrent_part(cell, l)}.{name}"] = value
    if not tied:
        out["affine.W"] = _np(read(net.head.weight, "head.weight")).T.copy()  # (H, V)
    out["affine.b"] = _np(read(net.head.bias, "head.bias"))
    return out
