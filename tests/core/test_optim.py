"""Optimisers and gradient clipping against torch.optim and clip_grad_norm_."""

import numpy as np
import pytest
import torch

from course_rnn.optim import SGD, Adam, Momentum, clip_grad_norm

SHAPES = {"W": (3, 4), "b": (4,), "V": (2, 2, 2)}


def _grad(p):
    """A gradient that depends on the parameter, so that the paths can diverge."""
    return np.sin(3 * p) + 0.1 * p**2 - 0.2


def _grad_torch(p):
    return torch.sin(3 * p) + 0.1 * p**2 - 0.2


CASES = [
    (SGD, torch.optim.SGD, {"lr": 0.1}),
    (SGD, torch.optim.SGD, {"lr": 0.05, "weight_decay": 0.01}),
    (Momentum, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (Momentum, torch.optim.SGD, {"lr": 0.1, "momentum": 0.8, "dampening": 0.3}),
    (Momentum, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True,
                                 "weight_decay": 0.05}),
    (Adam, torch.optim.Adam, {"lr": 0.01}),
    (Adam, torch.optim.Adam, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6,
                              "weight_decay": 0.1}),
]


@pytest.mark.parametrize(("ours", "theirs", "kwargs"), CASES)
def test_optimiser_matches_torch_over_several_steps(ours, theirs, kwargs):
    rng = np.random.default_rng(0)
    params = {k: rng.standard_normal(s) for k, s in SHAPES.items()}
    tparams = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    opt, topt = ours(**kwargs), theirs(tparams.values(), **kwargs)
    for _ in range(6):
        opt.update(params, {k: _grad(p) for k, p in params.items()})
        for p in tparams.values():
            p.grad = _grad_torch(p.detach())
        topt.step()
    for k in params:
        np.testing.assert_allclose(params[k], tparams[k].detach().numpy(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("ours", [SGD, Momentum, Adam])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_update_is_in_place_and_keeps_dtype(ours, dtype):
    p = np.ones((2, 3), dtype=dtype)
    params = {"p": p}
    ours(lr=0.1).update(params, {"p": np.full((2, 3), 0.5, dtype=dtype)})
    assert params["p"] is p and p.dtype == dtype and np.all(p < 1)


def test_update_errors_name_the_entry_and_both_shapes():
    params = {"W": np.zeros((2, 3))}
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(3, 2\) but params\['W'\] "
                                         r"has shape \(2, 3\)"):
        SGD(0.1).update(params, {"W": np.zeros((3, 2))})
    with pytest.raises(KeyError, match="grads has no entry 'W'"):
        Adam().update(params, {})
    with pytest.raises(ValueError, match="lr must be >= 0"):
        SGD(-1.0)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, np.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(1)
    grads = {k: rng.standard_normal(s) for k, s in SHAPES.items()}
    tparams = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in SHAPES.values()]
    for p, g in zip(tparams, grads.values(), strict=True):
        p.grad = torch.tensor(g.copy())
    total = clip_grad_norm(grads, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type)
    np.testing.assert_allclose(total, ttotal.item(), rtol=1e-6)
    for p, g in zip(tparams, grads.values(), strict=True):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-6)


def test_clip_grad_norm_scales_to_max_norm_and_accepts_a_list():
    grads = [np.full(4, 3.0), np.full(5, 4.0, dtype=np.float32)]
    total = clip_grad_norm(grads, 1.0)
    assert total == pytest.approx(np.sqrt(4 * 9 + 5 * 16))
    assert np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)) == pytest.approx(
        1.0, rel=1e-5)
    assert grads[1].dtype == np.float32
    assert clip_grad_norm({}, 1.0) == 0.0
