"""experiments.receptive: receptive fields, the formula against the gradient, output lengths."""

import numpy as np
import pytest
import torch

from course_rnn.conv import Conv1D, MaxPool1D, conv1d_forward, init_conv1d_params
from course_rnn.experiments.receptive import (
    causal_tree,
    empirical_receptive_field,
    input_gradient,
    output_length,
    receptive_field,
    receptive_fields,
)


def _stack(rng, specs, C=3):
    """Conv1D layers from (K, stride, padding, dilation); ("pool", K, stride) for MaxPool1D."""
    layers = []
    for spec in specs:
        if spec[0] == "pool":
            layers.append(MaxPool1D(spec[1], spec[2]))
            continue
        K, s, p, d = spec
        w = init_conv1d_params(C, C, K, rng)
        layers.append(Conv1D(w["W"], w["b"], stride=s, padding=p, dilation=d))
    return layers


def test_formula_on_known_stacks():
    assert receptive_field([3, 3, 3]) == 7
    assert receptive_field([2] * 8, dilations=[1, 2, 4, 8] * 2) == 31
    assert receptive_field([4, 3], strides=[2, 1]) == 1 + 3 + 2 * 2
    np.testing.assert_array_equal(receptive_fields([2] * 4, dilations=[1, 2, 4, 8]), [2, 4, 8, 16])
    # a pooling layer is a layer: K = window, s = stride, d = 1
    assert receptive_field([4, 2, 3], strides=[2, 2, 1]) == 1 + 3 + 1 * 2 + 2 * 4


@pytest.mark.parametrize("specs", [
    [(3, 1, 0, 1)] * 3,
    [(4, 2, 0, 1), (3, 1, 0, 1)],
    [(2, 1, "causal", d) for d in (1, 2, 4, 8) * 2],
    [(3, 2, 1, 1), (3, 1, 1, 1), (2, 1, 0, 3)],
    [(5, 1, "same", 2), (3, 3, 0, 1)],
])
def test_formula_equals_the_gradient(specs):
    rng = np.random.default_rng(0)
    layers = _stack(rng, specs)
    x = rng.standard_normal((1, 3, 64))
    pos = empirical_receptive_field(layers, x, position=-2)
    r = receptive_field([s[0] for s in specs], [s[1] for s in specs], [s[3] for s in specs])
    assert pos[-1] - pos[0] + 1 == r  # the span of the nonzero gradient
    assert len(pos) == r  # and no holes: these stacks read every step of their span


def test_pooling_needs_a_batch_to_show_its_whole_field():
    rng = np.random.default_rng(1)
    layers = _stack(rng, [(4, 2, 0, 1), ("pool", 2, 2), (3, 1, 0, 1)], C=1)
    r = receptive_field([4, 2, 3], [2, 2, 1])
    one = empirical_receptive_field(layers, rng.standard_normal((1, 1, 60)), position=3)
    many = empirical_receptive_field(layers, rng.standard_normal((32, 1, 60)), position=3)
    assert len(one) < r and len(many) == r and many[-1] - many[0] + 1 == r


def test_dilations_that_skip_leave_holes():
    rng = np.random.default_rng(2)
    layers = _stack(rng, [(2, 1, 0, 1), (2, 1, 0, 4)])
    pos = empirical_receptive_field(layers, rng.standard_normal((1, 3, 20)), position=0)
    np.testing.assert_array_equal(pos, [0, 1, 4, 5])  # span 6 = formula, but only 4 steps
    assert receptive_field([2, 2], dilations=[1, 4]) == 6


def test_input_gradient_matches_torch_autograd():
    rng = np.random.default_rng(3)
    specs = [(3, 2, 1, 1), (2, 1, "causal", 2)]
    layers = _stack(rng, specs)
    x = rng.standard_normal((2, 3, 16))
    g = input_gradient(layers, x, position=4)
    xt = torch.tensor(x, requires_grad=True)
    h = xt
    for layer, (K, s, p, d) in zip(layers, specs, strict=True):
        pad = (d * (K - 1), 0) if p == "causal" else (p, p)
        h = torch.nn.functional.conv1d(torch.nn.functional.pad(h, pad),
                                       torch.tensor(layer.params["W"]),
                                       torch.tensor(layer.params["b"]), stride=s, dilation=d)
    h[:, :, 4].sum().backward()
    np.testing.assert_allclose(g, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="position=9"):
        input_gradient(layers, x, position=9)


@pytest.mark.parametrize("case", [(50, 4, 2, 0, 1), (50, 2, 1, "causal", 8), (50, 5, 1, "same", 3),
                                  (17, 3, 3, (2, 1), 2), (7, 7, 1, 0, 1)])
def test_output_length_matches_conv1d(case):
    L, K, s, p, d = case
    y, _ = conv1d_forward(np.ones((1, 1, L)), np.ones((1, 1, K)), None, s, p, d)
    assert output_length(L, K, s, p, d) == y.shape[2]


def test_output_length_of_the_chapter():
    assert output_length(50, 4, stride=2) == 24
    assert output_length(50, 2, stride=2) == 25  # MaxPool1D(2)
    with pytest.raises(ValueError, match="span"):
        output_length(3, 3, dilation=2)


def test_argument_errors():
    with pytest.raises(ValueError, match="strides has 1 entries but kernel_sizes has 2"):
        receptive_fields([3, 3], strides=[2])
    with pytest.raises(ValueError, match="dilations must be integers >= 1"):
        receptive_fields([3], dilations=[0])
    with pytest.raises(ValueError, match="non-empty"):
        receptive_fields([])


def test_causal_tree():
    tree = causal_tree(31, 2, [1, 2, 4, 8] * 2)
    np.testing.assert_array_equal(tree[0], np.arange(1, 32))  # 31 input steps
    np.testing.assert_array_equal(tree[-1], [31])
    assert [len(s) for s in causal_tree(15, 2, [1, 2, 4, 8])] == [16, 8, 4, 2, 1]
    np.testing.assert_array_equal(causal_tree(2, 2, [1, 2, 4])[0], [0, 1, 2])  # padding left out
    with pytest.raises(ValueError):
        causal_tree(-1, 2, [1])
