"""experiments.adding: training helpers and LSTM Jacobian norms (on the adding problem)."""

import re

import numpy as np
import pytest
import torch

from course_rnn.data.tasks import adding_problem
from course_rnn.experiments.adding import lstm_jacobian_norms, train_adding, train_char_lm
from course_rnn.gradcheck import numerical_gradient, rel_error
from course_rnn.lstm import init_lstm_params, lstm_forward
from course_rnn.torch_ref.convert import rnn_params_to_torch


def _torch_jacobians(lstm, x, k):
    """(dh_T/dh_k, dh_T/dc_k) of one sequence x (1, T, D) by torch autograd."""
    H = lstm.hidden_size
    if k == 0:
        hk = ck = torch.zeros(1, 1, H, dtype=torch.float64)
    else:
        _, (hk, ck) = lstm(x[:, :k])

    def h_last(h, c):
        _, (hT, _) = lstm(x[:, k:], (h, c))
        return hT[0, 0]

    J = torch.autograd.functional.jacobian(h_last, (hk.detach(), ck.detach()))
    return J[0][:, 0, 0].numpy(), J[1][:, 0, 0].numpy()


def test_lstm_jacobian_norms_match_torch_autograd():
    rng = np.random.default_rng(0)
    D, H, T = 2, 4, 6
    p = init_lstm_params(D, H, rng)
    xs, _ = adding_problem(2, T, rng, dtype=np.float64)
    dh, dc = lstm_jacobian_norms(xs, **p)
    assert dh.shape == dc.shape == (2, T + 1)
    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    rnn_params_to_torch([p], lstm)
    for n in range(2):
        x = torch.tensor(xs[n : n + 1])
        for k in range(T):
            J_h, J_c = _torch_jacobians(lstm, x, k)
            assert dh[n, k] == pytest.approx(np.linalg.norm(J_h, 2), rel=1e-9)
            assert dc[n, k] == pytest.approx(np.linalg.norm(J_c, 2), rel=1e-9)
    assert np.all(dh[:, T] == 1)


def test_lstm_jacobian_norm_at_T_is_dhT_dcT():
    rng = np.random.default_rng(1)
    p = init_lstm_params(2, 3, rng)
    xs, _ = adding_problem(1, 4, rng, dtype=np.float64)
    _, dc = lstm_jacobian_norms(xs, **p)
    _, (_, c_T), cache = lstm_forward(xs, None, None, **p)
    o = cache.gates[-1, 3, :, 0]

    def h_of_c(c):
        return o * np.tanh(c)

    J = np.stack([numerical_gradient(lambda c, j=j: h_of_c(c)[j], c_T[0]) for j in range(3)])
    assert rel_error(np.array(np.linalg.norm(J, 2)), np.array(dc[0, 4])) < 1e-7


def test_train_adding_runs_and_logs(capsys):
    data = adding_problem(64, 8, rng=0)
    val = adding_problem(32, 8, rng=1)
    model, hist = train_adding("lstm", data, val, H=8, epochs=2, batch_size=16)
    assert len(hist["val"]) == 2 and len(hist["step"]) == 8
    assert "epoch  2" in capsys.readouterr().out
    with torch.no_grad():
        assert model(torch.from_numpy(val[0])).shape == (32, 1)
    _, again = train_adding("lstm", data, val, H=8, epochs=2, batch_size=16, log_every=0)
    assert again["val"] == hist["val"]  # seeded


def test_train_char_lm_learns_a_periodic_text():
    ids = np.tile(np.arange(5), 400)
    _, hist = train_char_lm("lstm", ids[:1600], ids[1600:], 5, D=8, H=16, epochs=3,
                            batch_size=4, time_size=10, lr=1e-2, log_every=0)
    assert hist["val_ppl"][-1] < 1.5 and len(hist["seconds"]) == 3


def test_progress_lines_in_either_language(capsys):
    data, val = adding_problem(64, 8, rng=0), adding_problem(32, 8, rng=1)
    ids = np.tile(np.arange(5), 100)
    out = {}
    for lang in ("en", "ko"):
        train_adding("rnn", data, val, H=4, epochs=1, batch_size=16, lang=lang)
        train_char_lm("rnn", ids[:400], ids[400:], 5, D=4, H=6, epochs=1, batch_size=4,
                      time_size=10, lang=lang)
        out[lang] = capsys.readouterr().out.splitlines()
    en_mse, ko_mse, en_ppl, ko_ppl = out["en"][0], out["ko"][0], out["en"][1], out["ko"][1]
    assert en_mse.startswith("rnn   epoch  1: train MSE ") and ", validation MSE " in en_mse
    assert ko_mse.startswith("rnn   에폭  1: 학습 MSE ") and ", 검증 MSE " in ko_mse
    assert ": train perplexity " in en_ppl and ", validation perplexity " in en_ppl
    assert ko_ppl.startswith("rnn   에폭  1: 학습 퍼플렉서티 ") and ", 검증 퍼플렉서티 " in ko_ppl
    number = r"\d+\.\d+"
    for en, ko in zip(out["en"], out["ko"], strict=True):  # the same numbers
        assert re.findall(number, en) == re.findall(number, ko) and len(re.findall(number, en)) == 2
    train_adding("rnn", data, val, H=4, epochs=1, batch_size=16)  # no lang: English
    assert capsys.readouterr().out.splitlines()[0] == out["en"][0]
    with pytest.raises(ValueError, match="lang must be"):
        train_adding("rnn", data, val, H=4, epochs=1, lang="fr")
