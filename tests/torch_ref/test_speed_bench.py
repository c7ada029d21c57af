"""The benchmark's bookkeeping (its timings are not tested: this machine is shared)."""

from __future__ import annotations

import numpy as np
import pytest

from course_rnn.torch_ref import bench


def test_matmul_counts_follow_the_layer():
    N, T, D, H = 2, 3, 4, 5
    mm = bench.recurrent_matmuls("LSTM", N, T, D, H)
    assert mm[0] == (N * T, D, 4 * H)  # input projection of all steps at once
    assert mm.count((N, H, 4 * H)) == T and mm.count((N, 4 * H, H)) == T
    assert bench.conv_matmuls(2, 3, 10, 4, 3) == [(16, 9, 4), (4, 16, 9), (16, 4, 9)]


# float64: both sides compute the same sums in a different order, so they agree to
# rounding (measured: 1e-15 of each array's largest entry; 1e-9 still catches any wrong
# term). float32 (unit roundoff 6e-8): the longest sums here (dW and db of Conv1D at
# CONV_SHAPE, N * L_out = 6272 terms; 20 steps of recurrence) were measured at most 3e-6
# of the array's largest entry, so 3e-5 leaves a tenfold margin, while a wrong gate,
# transpose or bias is off by O(1).
TOL = {"float64": (1e-9, 1e-12), "float32": (1e-5, 3e-5)}


def assert_same_results(case):
    ours, theirs = case.results()
    assert ours.keys() == theirs.keys()
    rtol, atol = TOL[case.dtype]
    for key in ours:
        a, b = ours[key], theirs[key]
        assert a.dtype == np.dtype(case.dtype) == b.dtype, (case.model, key, a.dtype, b.dtype)
        assert a.shape == b.shape, (case.model, key, a.shape, b.shape)
        scale = float(np.max(np.abs(b)))  # atol relative to the array's largest entry
        np.testing.assert_allclose(
            a, b, rtol=rtol, atol=atol * scale, err_msg=f"{case.model} {case.dtype} {key}"
        )


@pytest.mark.parametrize("model", list(bench.GATES))
@pytest.mark.parametrize(
    ("dtype", "shape"), [("float64", (2, 3, 4, 5)), ("float32", (4, 20, 8, 16))]
)
def test_recurrent_cases_agree_with_torch(model, dtype, shape):
    case = bench.make_recurrent_case(model, shape, dtype, np.random.default_rng(0))
    assert case.flops > 0
    assert_same_results(case)
    case.ours()  # the timed callables still run after results()
    case.torch()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_conv_case_agrees_with_torch(dtype):
    assert_same_results(bench.make_conv_case(dtype, np.random.default_rng(0)))


def test_a_wrong_weight_is_caught():
    case = bench.make_recurrent_case("LSTM", (2, 3, 4, 5), "float64", np.random.default_rng(0))
    ours, theirs = case.results()
    ours["dW_h"][0, 0] += 1e-6
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(ours["dW_h"], theirs["dW_h"], rtol=TOL["float64"][0])


def test_timing_and_rows_format(tmp_path):
    rng = np.random.default_rng(0)
    conv = bench.make_conv_case("float32", rng)
    mm = bench.matmul_runner(conv.matmuls, "float32", rng)
    times = bench.median_times([conv.ours, conv.torch, mm], rounds=1, min_time=0.0)
    assert all(t > 0 for t in times)
    row = {
        "threads": 1,
        "model": "Conv1D",
        "shape": bench.CONV_SHAPE,
        "dtype": "float32",
        "ours_ms": 1.0,
        "torch_ms": 2.0,
        "ratio": 0.5,
        "gflops": 3.0,
        "matmul_share": 0.9,
    }
    assert bench.format_row(row).startswith("| 1 | Conv1D | (32, 64, 200, 64, 5) | float32 |")
    out = tmp_path / "b.md"
    bench.write_markdown(str(out), ["CPU: test"], [row], 1.0)
    assert "largest ratio with 1 thread(s): 0.50" in out.read_text()


@pytest.mark.parametrize(("dtype", "shape"), [("float64", (2, 3, 7, 4, 5)),
                                              ("float32", (4, 12, 30, 8, 16))])
def test_language_model_case_agrees_with_torch(dtype, shape):
    case = bench.make_lm_case(shape, dtype, np.random.default_rng(0))
    assert case.model == "LSTM LM" and case.flops > 0
    N, T, V, _, H = shape
    assert case.matmuls[-3:] == [(N * T, H, V), (H, N * T, V), (N * T, V, H)]
    assert_same_results(case)
    case.ours()
    case.torch()


def test_rows_show_tokens_per_second():
    row = {"threads": 1, "model": "LSTM LM", "shape": (20, 35, 10000, 100, 100),
           "dtype": "float32", "ours_ms": 70.0, "torch_ms": 35.0, "ratio": 2.0, "gflops": 10.0,
           "matmul_share": 0.8, "tokens": (10_000.0, 20_000.0)}
    assert bench.format_row(row).endswith("| 80 | 10.0k / 20.0k |")
    assert bench.format_row({**row, "model": "Conv1D", "tokens": None}).endswith("| 80 | - |")
    assert bench.HEADER.count("|---") == bench.HEADER.splitlines()[0].count("|") - 1
