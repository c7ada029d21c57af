"""experiments.kinds: the measures and baselines of chapter 2; its tasks and drawings."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_rnn.data.tasks import (
    FREQUENCIES,
    comparison_task,
    frequency_task,
    parity_task,
    reversal_task,
    sine_from_vector,
)
from course_rnn.experiments.kinds import accuracy, majority_accuracy, mean_baseline_mse
from course_rnn.figures.kinds import KINDS, draw_encoder_decoder, draw_kind, draw_overview, relabel
from course_rnn.layers import one_hot
from course_rnn.sequence_models import IGNORE


def rng(seed=0):
    return np.random.default_rng(seed)

# ----------------------------------------------------------------------------- tasks


def test_sine_from_vector():
    x, ys = sine_from_vector(50, 12, rng(13))
    assert x.shape == (50, 2) and ys.shape == (50, 12, 1)
    a, omega = x[:, 0], x[:, 1]
    assert np.all((0.5 <= a) & (a <= 1)) and np.all((0.25 <= omega) & (omega <= 0.75))
    assert np.allclose(ys[:, 3, 0], a * np.sin(4 * omega))
    same = sine_from_vector(50, 12, rng(13))
    assert np.array_equal(same[1], ys)


def test_frequency_task():
    xs, labels = frequency_task(300, 20, rng(14), noise=0.0)
    assert xs.shape == (300, 20, 1) and labels.shape == (300,)
    assert set(np.unique(labels)) == {0, 1, 2}
    # noiseless: x_{t+1} + x_{t-1} = 2 cos(omega) x_t identifies the frequency
    n = 5
    ratio = (xs[n, 2, 0] + xs[n, 0, 0]) / (2 * xs[n, 1, 0])
    assert np.isclose(np.arccos(ratio), FREQUENCIES[labels[n]])


@pytest.mark.parametrize("neighbour", ["previous", "next"])
def test_comparison_task(neighbour):
    xs, labels = comparison_task(20, 7, rng(15), neighbour)
    assert xs.shape == (20, 7, 1) and labels.shape == (20, 7)
    x = xs[..., 0]
    if neighbour == "previous":
        assert np.all(labels[:, 0] == IGNORE)
        assert np.array_equal(labels[:, 1:], (x[:, 1:] > x[:, :-1]).astype(int))
    else:
        assert np.all(labels[:, -1] == IGNORE)
        assert np.array_equal(labels[:, :-1], (x[:, :-1] > x[:, 1:]).astype(int))
    with pytest.raises(ValueError, match="neighbour"):
        comparison_task(2, 3, rng(), "both")


def test_reversal_task():
    src, tgt = reversal_task(10, 6, 5, rng(16))
    assert src.shape == tgt.shape == (10, 6)
    assert src.min() >= 0 and src.max() < 5
    assert np.array_equal(tgt, src[:, ::-1])


def test_parity_task():
    xs, labels = parity_task(30, 9, rng(17), window=4)
    bits = xs[..., 0].astype(int)
    assert set(np.unique(bits)) <= {0, 1}
    assert np.all(labels[:, :3] == IGNORE)
    for t in range(3, 9):
        assert np.array_equal(labels[:, t], bits[:, t - 3:t + 1].sum(axis=1) % 2)
    with pytest.raises(ValueError, match="window"):
        parity_task(2, 3, rng(), window=4)


# ----------------------------------------------------------------------------- measures


def test_one_hot_and_accuracy():
    assert np.array_equal(one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError):
        one_hot([3], 3)
    scores = np.array([[[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]])
    assert accuracy(scores, np.array([[1, 1, IGNORE]])) == 0.5
    assert accuracy(np.array([1, 2, 3]), np.array([1, 0, 3])) == pytest.approx(2 / 3)


def test_baselines():
    assert majority_accuracy([0, 1, 1, IGNORE], [1, 0, IGNORE, 1]) == pytest.approx(2 / 3)
    train = np.array([[[1.0], [2.0]], [[3.0], [4.0]]])  # mean sequence (2, 3)
    assert mean_baseline_mse(train, np.array([[[2.0], [3.0]]])) == 0.0
    assert mean_baseline_mse(train, np.array([[[3.0], [3.0]]])) == 0.5


# ----------------------------------------------------------------------------- drawings


@pytest.mark.parametrize("kind", KINDS)
def test_draw_kind(kind):
    d = draw_kind(kind, T=4, title="t")
    xs = [k for k in d.boxes if k[0] == "x"]
    ys = [k for k in d.boxes if k[0] == "y"]
    expect = {"one_to_one": (1, 1), "many_to_one": (4, 1)}.get(kind, (4, 4))
    assert (len(xs), len(ys)) == expect
    if kind == "bidirectional":
        assert any(k[0] == "hb" for k in d.boxes)
    if kind == "stacked":
        assert ("h", 2, 4) in d.boxes
    if kind == "one_to_many":
        texts = {t.get_text() for t in d.ax.texts}
        assert "$x$" in texts and "$x_{1}$" not in texts
    plt.close(d.fig)
    with pytest.raises(ValueError, match="kind"):
        draw_kind("many_to_two")


def test_draw_encoder_decoder_and_overview():
    d = draw_encoder_decoder(3, 2, title="t")
    assert ("h", 1, 3) in d.boxes and ("dec", "h", 1, 1) in d.boxes
    assert ("dec", "y", 2) in d.boxes and not any(k[0] == "y" for k in d.boxes)
    assert d.count("extra") == 1 and d.count("feedback") == 1
    with pytest.raises(KeyError):
        relabel(d, ("x", 9), "?")
    plt.close(d.fig)
    titles = dict.fromkeys(["one_to_one", "one_to_many", "many_to_one", "encoder_decoder",
                            "many_to_many"], "t")
    fig = draw_overview(titles)
    assert len(fig.axes) == 5
    plt.close(fig)
