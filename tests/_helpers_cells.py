"""Shared by the tests of the recurrent cells: numerical gradients and torch references."""

from __future__ import annotations

import copy

import numpy as np

from course_rnn.cells import get_cell
from course_rnn.gradcheck import numerical_gradient, rel_error
from course_rnn.torch_ref.convert import cell_name, rnn_params_from_torch, rnn_params_to_torch

STEP_TOL = 1e-7  # CS231n's thresholds: one step ...
SEQ_TOL = 1e-6  # ... and a whole sequence
RTOL, ATOL = 1e-6, 1e-9  # equality with torch in float64


def numeric_grads(fn, inputs: dict, douts: list) -> dict:
    """Numerical gradient of ``sum_k sum(fn(**inputs)[k] * douts[k])`` for every input.

    ``fn`` returns a tuple of arrays; a ``None`` entry of ``douts`` skips that output.
    """

    def loss(kw):
        outs = fn(**kw)
        return sum(float(np.sum(o * d)) for o, d in zip(outs, douts, strict=True) if d is not None)

    grads = {}
    for name, x in inputs.items():

        def f(z, name=name):
            return loss({**inputs, name: z})

        grads[name] = numerical_gradient(f, x)
    return grads


def assert_grads_close(analytic, inputs: dict, numeric: dict, tol: float):
    """Compare ``analytic.d<name>`` with ``numeric[name]`` for every input; report all."""
    errors = {name: rel_error(getattr(analytic, "d" + name), numeric[name]) for name in inputs}
    bad = {k: v for k, v in errors.items() if not v <= tol}
    assert not bad, f"relative errors above {tol}: {bad} (all: {errors})"


def torch_grads(module) -> list:
    """Parameter gradients of a torch RNN/LSTM/GRU, in course_rnn's layout.

    Reuses ``rnn_params_from_torch`` on a copy whose parameters hold the gradients. A
    cell with one bias (role ``"bias"``: RNN, LSTM) sums torch's two, whose gradients are
    equal: the copy keeps only ``bias_ih``'s gradient (``bias_hh``'s is zeroed) so that
    the sum is the gradient of b.
    """
    g = copy.deepcopy(module)
    keep_both = "bias" not in get_cell(cell_name(module)).roles.values()
    import torch

    with torch.no_grad():
        for name, p in g.named_parameters():
            grad = module.get_parameter(name).grad
            if name.startswith("bias_hh") and not keep_both:
                p.zero_()
            else:
                p.copy_(grad)
    return rnn_params_from_torch(g)


def torch_module(kind: str, layers_params, D: int, H: int, num_layers=1, bidirectional=False):
    """A float64 torch.nn.RNN/LSTM/GRU (``kind`` a cell name) holding the given params."""
    import torch

    spec = get_cell(kind)
    cls = getattr(torch.nn, spec.torch_class)
    m = cls(D, H, num_layers=num_layers, batch_first=True, bidirectional=bidirectional,
            **spec.torch_kwargs)
    return rnn_params_to_torch(layers_params, m.double())


def tensor(x, grad=False):
    import torch

    return torch.tensor(np.asarray(x), dtype=torch.float64, requires_grad=grad)


def assert_close(actual, desired, what=""):
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=ATOL, err_msg=what)


def assert_params_close(ours: dict, theirs: dict, what=""):
    assert ours.keys() == theirs.keys()
    for k in ours:
        assert_close(ours[k], theirs[k], f"{what} {k}")
