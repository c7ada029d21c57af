"""The gradient-check utility itself: right on known functions, never changes its inputs."""

from __future__ import annotations

import numpy as np
import pytest

from course_rnn.gradcheck import (
    check_gradients,
    numerical_gradient,
    numerical_gradient_array,
    rel_error,
)


def test_numerical_gradient_of_a_known_function():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    grad = numerical_gradient(lambda z: np.sum(np.sin(z) * z**2), x)
    exact = np.cos(x) * x**2 + 2 * x * np.sin(x)
    assert rel_error(grad, exact) < 1e-9


def test_inputs_are_never_changed_and_integers_are_promoted():
    x = np.arange(6).reshape(2, 3)  # integer input
    before = x.copy()
    seen = []

    def f(z):
        seen.append(z.dtype)
        z += 1.0  # a careless f that writes into its argument
        return float(np.sum(z**2))

    numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    assert set(seen) == {np.dtype(np.float64)}


def test_non_contiguous_input():
    x = np.random.default_rng(1).standard_normal((4, 6))[:, ::2]  # a strided view
    grad = numerical_gradient(lambda z: np.sum(z**3), x)
    assert rel_error(grad, 3 * x**2) < 1e-8


def test_numerical_gradient_array_matches_a_linear_map():
    rng = np.random.default_rng(2)
    W = rng.standard_normal((4, 3))
    x = rng.standard_normal((2, 4))
    dout = rng.standard_normal((2, 3))
    dx = numerical_gradient_array(lambda z: z @ W, x, dout)
    assert rel_error(dx, dout @ W.T) < 1e-9


def test_rel_error():
    a = np.array([1.0, 2.0, 3.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(a, -a) == pytest.approx(1.0)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match=r"shapes differ, \(3,\) and \(2,\)"):
        rel_error(a, a[:2])


def test_check_gradients_restores_parameters_and_finds_a_wrong_gradient():
    rng = np.random.default_rng(3)
    params = {"w": rng.standard_normal(5), "b": rng.standard_normal((2, 2))}
    saved = {k: v.copy() for k, v in params.items()}

    def loss():
        return float(np.sum(params["w"] ** 2) + np.sum(np.exp(params["b"])))

    good = {"w": 2 * params["w"], "b": np.exp(params["b"])}
    errors = check_gradients(loss, params, good)
    assert max(errors.values()) < 1e-8
    for k in params:
        np.testing.assert_array_equal(params[k], saved[k])
    bad = {"w": params["w"], "b": np.exp(params["b"])}  # forgot the factor 2
    assert check_gradients(loss, params, bad)["w"] > 0.1


def test_check_gradients_refuses_float32():
    params = {"w": np.ones(3, dtype=np.float32)}
    with pytest.raises(TypeError, match="float64"):
        check_gradients(lambda: 0.0, params, {"w": np.zeros(3)})
