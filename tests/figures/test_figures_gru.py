"""course_rnn.figures.gru: the GRU cell drawing."""

from course_rnn.figures.gru import draw_gru_cell


def test_draw_gru_cell():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for lang in ("ko", "en"):
        ax = draw_gru_cell(lang=lang)
        assert len(ax.patches) >= 10
        plt.close(ax.figure)
