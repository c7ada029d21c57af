"""The benchmark's bookkeeping (its timings are not tested: this machine is shared)."""

from __future__ import annotations

import numpy as np

from course_rnn.torch_ref import bench


def test_matmul_counts_follow_the_layer():
    N, T, D, H = 2, 3, 4, 5
    mm = bench.recurrent_matmuls("LSTM", N, T, D, H)
    assert mm[0] == (N * T, D, 4 * H)  # input projection of all steps at once
    assert mm.count((N, H, 4 * H)) == T and mm.count((N, 4 * H, H)) == T
    assert bench.conv_matmuls(2, 3, 10, 4, 3) == [(16, 9, 4), (4, 16, 9), (16, 4, 9)]


def test_cases_run_and_rows_format(tmp_path):
    rng = np.random.default_rng(0)
    for model in bench.GATES:
        case = bench.make_recurrent_case(model, (2, 3, 4, 5), "float64", rng)
        case.ours()
        case.torch()
        assert case.flops > 0
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
