"""course_rnn.experiments.compare: parameter formulas and the side-by-side trainings."""

import numpy as np
import pytest
import torch

from course_rnn.data.tasks import adding_problem
from course_rnn.experiments.compare import compare_cells, count_parameters, parameter_formula
from course_rnn.gru import init_gru_params
from course_rnn.lstm import init_lstm_params
from course_rnn.rnn import init_rnn_params


@pytest.mark.parametrize("cell,module", [("rnn", torch.nn.RNN), ("lstm", torch.nn.LSTM),
                                         ("gru", torch.nn.GRU)])
def test_formula_equals_torch_count(cell, module):
    for D, H in ((1, 1), (3, 7), (10, 32)):
        assert count_parameters(module(D, H)) == parameter_formula(cell, D, H)


def test_formula_equals_course_rnn_count():
    rng = np.random.default_rng(0)
    D, H = 5, 6

    def size(p):
        return sum(v.size for v in p.values())

    assert size(init_rnn_params(D, H, rng)) == parameter_formula("rnn", D, H, biases=1)
    assert size(init_lstm_params(D, H, rng)) == parameter_formula("lstm", D, H, biases=1)
    assert size(init_gru_params(D, H, rng)) == parameter_formula("gru", D, H, biases=2)
    with pytest.raises(ValueError):
        parameter_formula("transformer", 1, 1)


def test_compare_adding_is_seeded():
    train, val = adding_problem(64, 6, rng=1), adding_problem(32, 6, rng=2)
    kw = dict(H=4, epochs=2, batch_size=16, log_every=0)
    a = compare_cells("adding", train, val, cells=("rnn", "gru"), **kw)
    b = compare_cells("adding", train, val, cells=("rnn", "gru"), **kw)
    for cell in ("rnn", "gru"):
        assert a[cell].metric == b[cell].metric and len(a[cell].metric) == 2
        assert a[cell].seconds_per_epoch > 0 and a[cell].final == a[cell].metric[-1]
    assert a["gru"].recurrent_parameters == parameter_formula("gru", 2, 4)
    assert a["gru"].parameters == parameter_formula("gru", 2, 4) + 4 + 1
    with pytest.raises(ValueError):
        compare_cells("translation", train, val)


def test_compare_char_lm():
    ids = np.random.default_rng(3).integers(0, 5, 600)
    res = compare_cells("char_lm", ids[:500], ids[500:], cells=("lstm",), V=5, D=4, H=6,
                        epochs=1, batch_size=4, time_size=8, log_every=0)
    r = res["lstm"]
    assert r.recurrent_parameters == parameter_formula("lstm", 4, 6)
    assert r.parameters == r.recurrent_parameters + 5 * 4 + 6 * 5 + 5
    assert np.isfinite(r.final) and r.seconds_per_epoch > 0


def test_compare_cells_passes_the_language_on(capsys):
    train, val = adding_problem(64, 6, rng=1), adding_problem(32, 6, rng=2)
    compare_cells("adding", train, val, cells=("rnn",), H=4, epochs=1, batch_size=16, lang="ko")
    assert capsys.readouterr().out.startswith("rnn   에폭  1: 학습 MSE ")
