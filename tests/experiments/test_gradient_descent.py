"""experiments.gradient_descent: the one-weight loss, its derivative, and gradient descent
on it (chapter 0)."""

import numpy as np
import pytest

from course_rnn.experiments.gradient_descent import (
    gradient_descent,
    line_loss,
    line_loss_grad,
    line_loss_quadratic,
    minibatch_descent,
    minibatch_gradients,
    next_value_pairs,
)
from course_rnn.optim import SGD


@pytest.fixture
def pairs():
    rng = np.random.default_rng(0)
    xs = np.sin(np.linspace(0, 6, 30) + rng.uniform(0, 6, size=(4, 1)))[:, :, None]
    return next_value_pairs(xs + 0.1 * rng.standard_normal(xs.shape))


def test_next_value_pairs_shift_by_one_step():
    xs = np.arange(12.0).reshape(2, 6, 1)  # (N, T, 1)
    x, y = next_value_pairs(xs)
    assert x.shape == y.shape == (10,)
    np.testing.assert_array_equal(y - x, np.ones(10))
    np.testing.assert_array_equal(next_value_pairs(xs[:, :, 0])[0], x)  # (N, T) too
    with pytest.raises(ValueError, match="one feature"):
        next_value_pairs(np.zeros((2, 6, 3)))
    with pytest.raises(ValueError, match="two time steps"):
        next_value_pairs(np.zeros((2, 1)))


def test_loss_and_derivative_match_central_differences_and_torch(pairs):
    torch = pytest.importorskip("torch")
    x, y = pairs
    ws = np.array([-1.3, 0.0, 0.4, 2.2])
    eps = 1e-6
    central = (line_loss(ws + eps, x, y) - line_loss(ws - eps, x, y)) / (2 * eps)
    np.testing.assert_allclose(line_loss_grad(ws, x, y), central, rtol=1e-7, atol=1e-9)
    for w in ws:
        wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        loss = torch.nn.functional.mse_loss(wt * torch.from_numpy(x), torch.from_numpy(y))
        loss.backward()
        assert line_loss(w, x, y) == pytest.approx(loss.item(), rel=1e-12)
        assert line_loss_grad(w, x, y) == pytest.approx(wt.grad.item(), rel=1e-10)
    assert line_loss(ws.reshape(2, 2), x, y).shape == (2, 2)  # a grid of weights


def test_quadratic_gives_the_minimum_and_the_step_size_limit(pairs):
    x, y = pairs
    q = line_loss_quadratic(x, y)
    assert line_loss_grad(q.w_star, x, y) == pytest.approx(0.0, abs=1e-12)
    assert line_loss(q.w_star, x, y) == pytest.approx(q.loss_star, rel=1e-10)
    h = 1e-3  # a parabola: the second difference is exact up to rounding
    second = (line_loss(1 + h, x, y) - 2 * line_loss(1.0, x, y) + line_loss(1 - h, x, y)) / h**2
    assert second == pytest.approx(q.curvature, rel=1e-6)
    assert q.max_lr == pytest.approx(2 / q.curvature)
    with pytest.raises(ValueError, match="every x is zero"):
        line_loss_quadratic(np.zeros(3), np.ones(3))


def test_each_step_multiplies_the_distance_by_one_minus_lr_curvature(pairs):
    x, y = pairs
    q = line_loss_quadratic(x, y)

    def grad(w):
        return line_loss_grad(w, x, y)

    for factor in (0.1, 0.5, 0.9, 1.3, 1.9, 2.1):  # eta * L''
        path = gradient_descent(grad, -1.0, factor / q.curvature, 12)
        assert path.shape == (13,) and path[0] == -1.0
        far = np.abs(path[:-1] - q.w_star) > 1e-5  # away from the rounding errors
        ratios = (path[1:] - q.w_star)[far] / (path[:-1] - q.w_star)[far]
        assert far.sum() >= 5
        np.testing.assert_allclose(ratios, 1 - factor, atol=1e-9)
    one = gradient_descent(grad, -1.0, 1 / q.curvature, 1)
    assert abs(one[1] - q.w_star) < 1e-12  # eta = 1/L'': one step
    below = gradient_descent(grad, -1.0, 0.99 * q.max_lr, 400)
    above = gradient_descent(grad, -1.0, 1.01 * q.max_lr, 400)
    assert abs(below[-1] - q.w_star) < 1e-2 * abs(below[0] - q.w_star)
    assert abs(above[-1] - q.w_star) > 1e2 * abs(above[0] - q.w_star)


def test_gradient_descent_is_the_update_of_optim_sgd(pairs):
    x, y = pairs
    path = gradient_descent(lambda w: line_loss_grad(w, x, y), 0.3, 0.7, 5)
    params = {"w": np.array([0.3])}
    opt = SGD(lr=0.7)
    for k in range(5):
        opt.update(params, {"w": np.array([line_loss_grad(params["w"][0], x, y)])})
        assert params["w"][0] == pytest.approx(path[k + 1], abs=1e-15)
    assert gradient_descent(lambda w: 1.0, 2.0, 0.5, 0).tolist() == [2.0]
    with pytest.raises(ValueError, match="lr"):
        gradient_descent(lambda w: w, 0.0, -0.1, 3)
    with pytest.raises(ValueError, match="steps"):
        gradient_descent(lambda w: w, 0.0, 0.1, 2.5)


def test_minibatch_gradients_are_right_on_average(pairs):
    x, y = pairs
    g = minibatch_gradients(0.2, x, y, 10, 4000, np.random.default_rng(3))
    assert g.shape == (4000,) and g.std() > 0
    assert abs(g.mean() - line_loss_grad(0.2, x, y)) < 4 * g.std() / np.sqrt(g.size)
    full = minibatch_gradients(0.2, x, y, x.size, 3, np.random.default_rng(3))
    np.testing.assert_allclose(full, line_loss_grad(0.2, x, y), rtol=1e-12)  # every pair
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_gradients(0.2, x, y, x.size + 1, 3, np.random.default_rng(3))


def test_minibatch_descent_hovers_near_the_minimum_and_is_seeded(pairs):
    x, y = pairs
    q = line_loss_quadratic(x, y)
    a = minibatch_descent(x, y, -0.5, 0.5, 80, 8, np.random.default_rng(1))
    b = minibatch_descent(x, y, -0.5, 0.5, 80, 8, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (81,) and abs(a[40:].mean() - q.w_star) < 0.1
    every = minibatch_descent(x, y, -0.5, 0.5, 30, x.size, np.random.default_rng(2))
    full = gradient_descent(lambda w: line_loss_grad(w, x, y), -0.5, 0.5, 30)
    np.testing.assert_allclose(every, full, atol=1e-12)  # a batch of all pairs: plain descent
