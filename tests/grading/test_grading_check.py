"""``check("q1")`` in the learner's kernel: the public tests, explained in Korean or English."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from course_rnn.grading import load_checks
from course_rnn.grading.release import release

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "grading" / "grading_fixtures" / "bptt_step.ipynb"
pytestmark = pytest.mark.slow  # all tests but one read chapter 1 released once (5-9 s)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """Chapter 1 in both editions and the gradient fixture, released once."""
    out = tmp_path_factory.mktemp("released")
    release(ROOT / "exercises", out)
    release(FIXTURE, out / "fixture")
    return out


def run(released, lang, qid, **functions):
    folder = released / "fixture" if qid.startswith("g") else released / lang
    checks = load_checks("bptt_step" if qid.startswith("g") else "01_recurrent_cell", lang,
                         folder=folder)
    qid = qid.lstrip("g")
    return checks, checks.run(qid, functions), checks.report(qid, checks.run(qid, functions))


def step(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)


def test_a_right_answer_passes(released):
    _, results, text = run(released, "en", "q1", rnn_cell_step=step)
    assert all(r.passed for r in results) and len(results) == 2  # public tests only
    assert "✓ all 2 public tests passed" in text and "2 hidden test(s)" in text


def test_an_unanswered_question(released):
    def rnn_cell_step(*args):
        raise NotImplementedError

    _, results, text = run(released, "ko", "q1", rnn_cell_step=rnn_cell_step)
    assert {r.status for r in results} == {"not_implemented"}
    assert "아직 답을 쓰지 않았습니다" in text


@pytest.mark.parametrize("lang, expected", [
    ("en", ["test 1 (N=2, D=3, H=4", "the largest error is", "expected", "got",
            "hint: your output is what the step gives with a transposed weight matrix"]),
    ("ko", ["테스트 1 (N=2, D=3, H=4", "가장 큰 오차는", "기댓값", "실제 값",
            "힌트: 가중치 행렬을 전치해서 계산한 결과와 같습니다"]),
])
def test_transposed_weights_are_explained(released, lang, expected):
    def rnn_cell_step(x_t, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)

    _, results, text = run(released, lang, "q1", rnn_cell_step=rnn_cell_step)
    assert not any(r.passed for r in results)
    for piece in expected:
        assert piece in text, text


def test_a_state_not_carried_is_explained(released):
    def time_rnn_forward_lengths(xs, lengths, h0, W_xh, W_hh, b_h):
        h0 = np.zeros((xs.shape[0], W_hh.shape[0])) if h0 is None else h0
        real = np.arange(xs.shape[1])[None, :, None] < lengths[:, None, None]  # (N, T, 1)
        hs = np.stack([step(xs[:, t], h0, W_xh, W_hh, b_h) for t in range(xs.shape[1])], 1)
        hs = hs * real
        return hs, hs[np.arange(len(xs)), lengths - 1]

    _, _, text = run(released, "en", "q3", time_rnn_forward_lengths=time_rnn_forward_lengths)
    assert "the hidden state is not carried" in text, text


def test_time_major_states_are_explained(released):
    def time_rnn_forward_lengths(xs, lengths, h0, W_xh, W_hh, b_h):
        h = np.zeros((xs.shape[0], W_hh.shape[0])) if h0 is None else h0
        hs = []
        for t in range(xs.shape[1]):
            real = (t < lengths)[:, None]
            h = np.where(real, step(xs[:, t], h, W_xh, W_hh, b_h), h)
            hs.append(np.where(real, h, 0.0))
        return np.stack(hs), h  # (T, N, H): time first

    _, _, text = run(released, "ko", "q3", time_rnn_forward_lengths=time_rnn_forward_lengths)
    assert "모양이 (3, 5, 4)이어야 하는데 (5, 3, 4)입니다" in text, text
    assert "시간 축이 먼저인 (T, N, H)" in text, text


@pytest.mark.parametrize("answer, fragment", [
    (lambda *a: None, "returned None"),
    (lambda x_t, h_prev, W_xh, W_hh, b_h: (step(x_t, h_prev, W_xh, W_hh, b_h), None),
     "got a tuple of 2 values"),
    (lambda x_t, h_prev, W_xh, W_hh, b_h: np.full((len(x_t), len(W_hh)), np.nan), "NaN"),
    (lambda *a: 1 / 0, "ZeroDivisionError"),
])
def test_other_failures_are_explained(released, answer, fragment):
    _, _, text = run(released, "en", "q1", rnn_cell_step=answer)
    assert fragment in text, text


def test_a_missing_function(released):
    _, results, text = run(released, "en", "q1")
    assert results[0].status == "missing" and "`rnn_cell_step` is not defined" in text


@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"), reason="needs SIGALRM")
def test_an_infinite_loop_is_stopped(released):
    def rnn_cell_step(*args):
        while True:
            pass

    checks = load_checks("01_recurrent_cell", "en", folder=released / "en")
    checks.questions["q1"].timeout = 0.2
    results = checks.run("q1", {"rnn_cell_step": rnn_cell_step})
    assert {r.status for r in results} == {"timeout"}


def test_conceptual_answers_are_not_revealed(released):
    checks = load_checks("01_recurrent_cell", "en", folder=released / "en")
    assert checks.cases["q5"][0].expected == {}  # the answer is not in the file
    for value, status in ((..., "unanswered"), ("e", "invalid"), ("b", "recorded"),
                          ("a", "recorded")):
        assert checks.run("q5", {"q5_answer": value})[0].status == status
    assert checks.run("q4", {"q4_answer": "many"})[0].status == "invalid"


def test_check_prints_and_finds_the_callers_functions(released, capsys):
    check = load_checks("01_recurrent_cell", "en", folder=released / "en")
    rnn_cell_step = step
    check("q1", namespace=locals())
    assert "✓" in capsys.readouterr().out
    check("q9")
    assert "there is no question 'q9'" in capsys.readouterr().out


def test_without_any_checks_the_learner_is_told_where_to_put_them(tmp_path):
    # an exercise set the installed package does not know (e.g. newer than the package)
    with pytest.raises(FileNotFoundError, match=r"99_unknown\.checks\.npz"):
        load_checks("99_unknown", "en", folder=tmp_path)
    with pytest.raises(FileNotFoundError, match="같은 폴더"):
        load_checks("99_unknown", "ko", folder=tmp_path)


# ----------------------------------------------------------------------------- gradients


def backward(dh_next, x_t, h_prev, W_xh, W_hh, b_h):
    h_next = step(x_t, h_prev, W_xh, W_hh, b_h)
    da = dh_next * (1 - h_next ** 2)
    return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def test_a_right_backward_passes_the_gradient_check(released):
    _, results, _ = run(released, "en", "gq2", tanh_step=step, tanh_step_backward=backward)
    assert all(r.passed for r in results)


def test_a_missing_tanh_derivative_is_explained(released):
    def no_derivative(dh_next, x_t, h_prev, W_xh, W_hh, b_h):
        da = dh_next
        return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)

    _, _, text = run(released, "ko", "gq2", tanh_step=step, tanh_step_backward=no_derivative)
    assert "수치 기울기와의 상대 오차" in text and "(1 - h²) 인수를 빠뜨렸을 때" in text


def test_a_wrong_forward_is_named_before_the_backward(released):
    def no_bias(x_t, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x_t @ W_xh + h_prev @ W_hh)

    _, _, text = run(released, "en", "gq2", tanh_step=no_bias, tanh_step_backward=backward)
    assert "the forward `tanh_step` does not give the expected output" in text


def test_a_backward_that_takes_its_forwards_cache(released):
    def affine_forward(x, W, b):
        return x @ W + b, (x, W)

    def affine_backward(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout, dout

    fns = {"affine_forward": affine_forward, "affine_backward": affine_backward}
    _, results, text = run(released, "en", "gq3", **fns)
    assert not results[0].passed and "db is summed over the batch" in text

    def affine_backward(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout, dout.sum(axis=0)

    fns["affine_backward"] = affine_backward
    assert all(r.passed for r in run(released, "en", "gq3", **fns)[1])
