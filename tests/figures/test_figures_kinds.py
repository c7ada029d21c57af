"""course_rnn.figures.kinds: the drawings of the kinds of RNN (chapter 2)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from course_rnn.figures.kinds import KINDS, draw_encoder_decoder, draw_kind, draw_overview, relabel


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
