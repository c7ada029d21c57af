"""Drawings of the folded cell and the unrolled network: what is drawn, and clear errors."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from course_rnn.figures.diagrams import Diagram, draw_folded, draw_unrolled
from course_rnn.figures.style import use_korean_font


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def kinds(d: Diagram) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in d.arrows:
        out[a.kind] = out.get(a.kind, 0) + 1
    return out


def test_folded_cell_has_three_boxes_and_a_loop():
    d = draw_folded()
    assert isinstance(d.fig, Figure) and d.ax.figure is d.fig
    assert set(d.boxes) == {("x", 1), ("h", 1, 1), ("y", 1)}
    assert kinds(d) == {"input": 1, "loop": 1, "output": 1}
    loop = next(a for a in d.arrows if a.kind == "loop")
    assert loop.src == loop.dst == ("h", 1, 1) and loop.label == r"$W_{hh}$"


def test_folded_cell_draws_on_a_given_axes_with_the_callers_labels(tmp_path):
    use_korean_font()
    fig, ax = plt.subplots()
    d = draw_folded(ax, weights={"recurrent": "순환 가중치"}, title="접힌 셀")
    assert d.ax is ax and d.fig is fig
    assert ax.get_title() == "접힌 셀"
    texts = [t.get_text() for t in ax.texts]
    assert "순환 가중치" in texts and "$x_{t}$" in texts
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing glyph, no layout warning
        fig.savefig(tmp_path / "folded.png")


def test_unrolled_many_to_many_counts_boxes_and_arrows():
    T = 4
    d = draw_unrolled(T)
    # x_1..x_4, h_0..h_4, y_1..y_4
    assert len(d.boxes) == T + (T + 1) + T
    assert kinds(d) == {"input": T, "recurrent": T, "output": T}
    # the same weight label on every step: the weights are shared
    assert {a.label for a in d.arrows if a.kind == "recurrent"} == {r"$W_{hh}$"}
    assert {a.label for a in d.arrows if a.kind == "input"} == {r"$W_{xh}$"}


def test_unrolled_without_h0_starts_at_step_one():
    d = draw_unrolled(3, h0=False)
    assert ("h", 1, 0) not in d.boxes
    assert kinds(d)["recurrent"] == 2


def test_one_to_many_and_many_to_one():
    d = draw_unrolled(5, inputs={1}, feedback=True)
    assert [k for k in d.boxes if k[0] == "x"] == [("x", 1)]
    assert kinds(d) == {"input": 1, "recurrent": 5, "output": 5, "feedback": 4}
    d = draw_unrolled(5, outputs=[5])
    assert [k for k in d.boxes if k[0] == "y"] == [("y", 5)]
    assert kinds(d) == {"input": 5, "recurrent": 5, "output": 1}


def test_stacked_layers_with_one_label_per_layer():
    d = draw_unrolled(3, layers=2, weights={"recurrent": ["$A$", "$B$"]},
                      layer_names=["layer 1", "layer 2"])
    assert kinds(d) == {"input": 6, "recurrent": 6, "output": 3}
    labels = {a.src[1]: a.label for a in d.arrows if a.kind == "recurrent"}
    assert labels == {1: "$A$", 2: "$B$"}
    # layer 2 reads layer 1 at the same step
    assert any(a.src == ("h", 1, 2) and a.dst == ("h", 2, 2) for a in d.arrows)
    assert "layer 2" in [t.get_text() for t in d.ax.texts]


def test_bidirectional_layer_reads_both_directions():
    T = 3
    d = draw_unrolled(T, bidirectional=True, outputs={T})
    assert ("hb", 1, T + 1) in d.boxes and ("pair", 1, T) in d.boxes
    assert kinds(d) == {"input": T, "input_b": T, "recurrent": T, "recurrent_b": T,
                        "output": 1}
    back = [a for a in d.arrows if a.kind == "recurrent_b"]
    assert all(a.src[2] == a.dst[2] + 1 for a in back)  # from step t + 1 to step t
    out = next(a for a in d.arrows if a.kind == "output")
    assert out.src == ("pair", 1, T)


def test_deep_bidirectional_reads_the_pair_below():
    d = draw_unrolled(2, layers=2, bidirectional=True)
    assert kinds(d) == {"input": 4, "input_b": 4, "recurrent": 4, "recurrent_b": 4,
                        "output": 2}
    assert any(a.src == ("pair", 1, 1) and a.dst == ("hb", 2, 1) for a in d.arrows)


def test_two_diagrams_on_one_axes_can_be_connected():
    _, ax = plt.subplots()
    enc = draw_unrolled(3, ax, outputs=[])
    dec = draw_unrolled(2, ax, inputs=[], h0=False, origin=(5 * 1.7, 0.0), symbols={"h": "s"})
    arrow = enc.connect(("h", 1, 3), ("h", 1, 1), label="$c$", to=dec)
    assert arrow.kind == "extra" and enc.count("extra") == 1 and dec.count("extra") == 0
    assert "$c$" in [t.get_text() for t in ax.texts]
    _, x_max = ax.get_xlim()
    assert x_max > dec.center(("h", 1, 2))[0]  # the limits fit both diagrams
    _, other_ax = plt.subplots(1, 2)[1]
    elsewhere = draw_unrolled(2, other_ax)
    with pytest.raises(ValueError, match="same axes"):
        enc.connect(("h", 1, 3), ("h", 1, 1), to=elsewhere)


def test_custom_step_labels_and_h0_label():
    d = draw_unrolled(4, step_labels=["1", "2", "T-1", "T"], h0_label="$h_0 = 0$")
    texts = [t.get_text() for t in d.ax.texts]
    assert "$x_{T-1}$" in texts and "$h_0 = 0$" in texts


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"T": 0}, "T must be an integer >= 1"),
        ({"T": 2.0}, "T must be an integer >= 1"),
        ({"T": 3, "layers": 0}, "layers must be an integer >= 1"),
        ({"T": 3, "inputs": [0]}, "between 1 and T=3"),
        ({"T": 3, "outputs": [4]}, "between 1 and T=3"),
        ({"T": 3, "weights": {"recurent": "W"}}, "unknown weights keys"),
        ({"T": 3, "symbols": {"z": "z"}}, "unknown symbols keys"),
        ({"T": 3, "layers": 2, "weights": {"input": ["a"]}}, "one per layer"),
        ({"T": 3, "step_labels": ["1", "2"]}, "expected T=3"),
        ({"T": 3, "layers": 2, "layer_names": ["a"]}, "expected 2"),
        ({"T": 3, "feedback": True, "bidirectional": True}, "forward-only"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_unrolled(**kwargs)


def test_steps_given_as_a_string_are_rejected():
    with pytest.raises(TypeError, match="collection of time steps"):
        draw_unrolled(3, inputs="123")


def test_folded_rejects_unknown_keys_and_center_names_a_missing_box():
    with pytest.raises(ValueError, match="unknown weights keys"):
        draw_folded(weights={"hidden": "W"})
    d = draw_folded()
    with pytest.raises(KeyError, match="no box"):
        d.center(("h", 2, 1))
