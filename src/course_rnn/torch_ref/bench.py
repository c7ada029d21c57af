"""How fast is course_rnn against torch on this CPU? ``python -m course_rnn.torch_ref.bench``.

For each case (RNN, LSTM, GRU at three sizes, Conv1D at one, an LSTM language model of
characters and one of words; float32 and float64) the forward plus backward pass of
course_rnn and of torch are timed side by side in one run, interleaved (A B A B ...) after a
warm-up, and the median of the rounds is kept. Printed for each case:

- ``ratio``: course_rnn's time divided by torch's (below 1: course_rnn is faster);
- ``matmul %``: the share of the machine's matrix-multiply throughput that course_rnn
  reaches, i.e. the time of the plain ``np.matmul`` calls of the same sizes as the case's
  matrix products (measured in the same run) divided by course_rnn's time;
- ``tokens/s``: the time steps (tokens, for a language model) of the batch that one
  forward and backward pass trains per second, course_rnn / torch.

The thread count and the BLAS library are printed first; ``--threads 1 2`` runs the
whole table at each thread count. Both libraries keep their worker threads spinning after
a call (numpy's OpenBLAS, torch's OpenMP), which slowed the *other* library's next call
by up to 10x when both shared a process with 2 threads (measured here). The benchmark
therefore sets ``OPENBLAS_THREAD_TIMEOUT=4`` and ``OMP_WAIT_POLICY=PASSIVE`` before either
library loads (it restarts itself to do so), and prints them.

Taught nowhere: it measures the package that every chapter uses. The committed table is
``docs/benchmarks.md`` (``python -m course_rnn.torch_ref.bench --out docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

QUIET_THREADS = {"OPENBLAS_THREAD_TIMEOUT": "4", "OMP_WAIT_POLICY": "PASSIVE"}

if __name__ == "__main__" and any(k not in os.environ for k in QUIET_THREADS):
    # must be set before numpy and torch load their thread pools: restart with them
    for key, value in QUIET_THREADS.items():
        os.environ.setdefault(key, value)
    os.execv(sys.executable, [sys.executable, "-m", "course_rnn.torch_ref.bench", *sys.argv[1:]])

import numpy as np  # noqa: E402  (after the restart above; a no-op if already loaded)

from course_rnn.cells import get_cell  # noqa: E402

RECURRENT_SHAPES = [(32, 50, 64, 128), (64, 100, 128, 256), (32, 50, 1, 20)]
CONV_SHAPE = (32, 64, 200, 64, 5)  # N, C_in, L, C_out, K
# LSTM language models (N, T, V, D, H): characters (a vocabulary of about 80 symbols, as
# English or jamo text) and words (Deep Learning from Scratch 2's Rnnlm of section 6.4:
# batch 20, 35 steps, 10,000 words, embedding and hidden size 100)
LM_SHAPES = [(32, 64, 80, 64, 256), (20, 35, 10000, 100, 100)]
CELL_OF = {get_cell(c).torch_class: c for c in ("rnn", "lstm", "gru")}
"""The timed recurrent models: torch class -> cell of ``course_rnn.cells``."""
GATES = {model: get_cell(cell).blocks for model, cell in CELL_OF.items()}
"""Gate blocks G of each timed model."""


@dataclass
class Case:
    """One benchmark case: a name, its sizes, the two callables to time (course_rnn's and
    torch's forward + backward pass, from the same weights and inputs) and ``results``.

    ``results()`` runs both once and returns two dicts of numpy arrays with the same keys:
    ``"out"`` (the layer's output), ``"dx"`` and the parameter gradients in course_rnn's
    names and layouts (``"dW_x"``, ``"db"``, ...), for the tests to compare.
    """

    model: str
    shape: tuple[int, ...]
    dtype: str
    ours: Callable[[], object]
    torch: Callable[[], object]
    matmuls: list[tuple[int, int, int]]  # (m, k, n): an (m, k) @ (k, n) product
    results: Callable[[], tuple[dict, dict]] | None = None

    @property
    def flops(self) -> float:
        return float(sum(2 * m * k * n for m, k, n in self.matmuls))


def recurrent_matmuls(model: str, N: int, T: int, D: int, H: int) -> list[tuple[int, int, int]]:
    """The matrix products of a forward + backward pass of a recurrent layer.

    Forward: the input projection of all steps at once, then one ``h W_h`` per step.
    Backward: one ``dA W_h^T`` per step, then ``dW_h``, ``dW_x`` and ``dxs`` as single
    products over all steps.
    """
    G = GATES[model] * H
    per_step = [(N, H, G)] * T + [(N, G, H)] * T
    return [(N * T, D, G), *per_step, (H, N * T, G), (D, N * T, G), (N * T, G, D)]


def conv_matmuls(N, C_in, L, C_out, K) -> list[tuple[int, int, int]]:
    """im2col products of Conv1D (stride 1, no padding): forward, dW, dx."""
    L_out = L - K + 1
    return [
        (N * L_out, C_in * K, C_out),
        (C_out, N * L_out, C_in * K),
        (N * L_out, C_out, C_in * K),
    ]


def make_recurrent_case(model: str, shape, dtype: str, rng: np.random.Generator) -> Case:
    """The case of one recurrent layer (``"RNN"``, ``"LSTM"``, ``"GRU"``: the torch class of
    a cell of ``course_rnn.cells``) of ``shape`` (N, T, D, H): torch's module holds the numpy
    layer's weights."""
    import torch

    from course_rnn.torch_ref.convert import rnn_params_to_torch

    spec = get_cell(CELL_OF[model])
    N, T, D, H = shape
    np_dtype = np.dtype(dtype)
    t_dtype = getattr(torch, dtype)
    xs = rng.standard_normal((N, T, D)).astype(np_dtype)
    dhs = rng.standard_normal((N, T, H)).astype(np_dtype)
    h0 = np.zeros((N, H), np_dtype)
    state0 = (h0, h0) if spec.paired_state else h0
    p = spec.init(D, H, rng, np_dtype)

    def ours():
        hs, _, cache = spec.forward(xs, state0, p)
        return hs, spec.backward(dhs, cache)  # (dxs, dstate0, grads)

    module = getattr(torch.nn, spec.torch_class)(D, H, batch_first=True, **spec.torch_kwargs)
    module = rnn_params_to_torch(p, module.to(t_dtype))
    x_t = torch.from_numpy(xs).requires_grad_(True)
    dhs_t = torch.from_numpy(dhs)

    def torch_run():
        module.zero_grad(set_to_none=True)
        x_t.grad = None
        out, _ = module(x_t)
        out.backward(dhs_t)
        return out

    def results():
        hs, (dxs, _, grads) = ours()
        mine = {"out": hs, "dx": dxs, **{f"d{k}": grads[k] for k in p}}
        out = torch_run()
        theirs = {"out": out, "dx": x_t.grad}
        theirs["d" + spec.name_of("input")] = module.weight_ih_l0.grad.T
        theirs["d" + spec.name_of("recurrent")] = module.weight_hh_l0.grad.T
        # course_rnn's one bias is torch's bias_ih + bias_hh: the same gradient as either
        for role, tensor in (("bias", module.bias_ih_l0), ("bias_ih", module.bias_ih_l0),
                             ("bias_hh", module.bias_hh_l0)):
            if role in spec.roles.values():
                theirs["d" + spec.name_of(role)] = tensor.grad
        return mine, {k: v.detach().numpy() for k, v in theirs.items()}

    matmuls = recurrent_matmuls(model, *shape)
    return Case(model, shape, dtype, ours, torch_run, matmuls, results)


def make_conv_case(dtype: str, rng: np.random.Generator) -> Case:
    """The case of Conv1D at :data:`CONV_SHAPE`: torch's module holds the numpy weights."""
    import torch

    from course_rnn import conv
    from course_rnn.torch_ref.convert import conv1d_params_to_torch

    N, C_in, L, C_out, K = CONV_SHAPE
    np_dtype = np.dtype(dtype)
    x = rng.standard_normal((N, C_in, L)).astype(np_dtype)
    p = conv.init_conv1d_params(C_in, C_out, K, rng, np_dtype)
    dy = rng.standard_normal((N, C_out, L - K + 1)).astype(np_dtype)

    def ours():
        y, cache = conv.conv1d_forward(x, p["W"], p["b"])
        return y, conv.conv1d_backward(dy, cache)

    module = conv1d_params_to_torch(p, torch.nn.Conv1d(C_in, C_out, K).to(getattr(torch, dtype)))
    x_t = torch.from_numpy(x).requires_grad_(True)
    dy_t = torch.from_numpy(dy)

    def torch_run():
        module.zero_grad(set_to_none=True)
        x_t.grad = None
        y = module(x_t)
        y.backward(dy_t)
        return y

    def results():
        y, grads = ours()
        mine = {"out": y, "dx": grads.dx, "dW": grads.dW, "db": grads.db}
        y_t = torch_run()
        theirs = {"out": y_t, "dx": x_t.grad, "dW": module.weight.grad, "db": module.bias.grad}
        return mine, {k: v.detach().numpy() for k, v in theirs.items()}

    matmuls = conv_matmuls(*CONV_SHAPE)
    return Case("Conv1D", CONV_SHAPE, dtype, ours, torch_run, matmuls, results)


def lm_matmuls(N: int, T: int, V: int, D: int, H: int) -> list[tuple[int, int, int]]:
    """The LSTM's products, then the output layer's: scores, dW_out and dh."""
    return [*recurrent_matmuls("LSTM", N, T, D, H), (N * T, H, V), (H, N * T, V), (N * T, V, H)]


def make_lm_case(shape, dtype: str, rng: np.random.Generator) -> Case:
    """One training step of an LSTM language model of ``shape`` (N, T, V, D, H): embedding,
    LSTM, affine map to the vocabulary, mean softmax cross-entropy; forward and backward.
    course_rnn's ``LanguageModel`` and ``TorchLanguageModel`` hold the same weights."""
    import torch
    import torch.nn.functional as F

    from course_rnn.layers import Embedding, TimeAffine
    from course_rnn.lstm import TimeLSTM
    from course_rnn.models import LanguageModel
    from course_rnn.torch_ref.convert import rnn_params_to_torch
    from course_rnn.torch_ref.models import TorchLanguageModel

    N, T, V, D, H = shape
    np_dtype = np.dtype(dtype)
    xs = rng.integers(0, V, (N, T))
    ts = rng.integers(0, V, (N, T))
    spec = get_cell("lstm")
    p = spec.init(D, H, rng, np_dtype)
    W_embed = rng.standard_normal((V, D)).astype(np_dtype)
    W_out = rng.uniform(-H ** -0.5, H ** -0.5, (H, V)).astype(np_dtype)
    b_out = np.zeros(V, np_dtype)
    model = LanguageModel(Embedding(W_embed), TimeLSTM(**p), TimeAffine(W_out, b_out),
                          recurrent_name="lstm")

    def ours():
        loss = model.forward(xs, ts)
        model.backward()
        return loss

    net = TorchLanguageModel(V, D, H, "lstm").to(getattr(torch, dtype))
    with torch.no_grad():
        net.embed.weight.copy_(torch.from_numpy(W_embed))
        net.head.weight.copy_(torch.from_numpy(W_out.T))
        net.head.bias.copy_(torch.from_numpy(b_out))
    rnn_params_to_torch(p, net.rnn)
    xs_t, ts_t = torch.from_numpy(xs), torch.from_numpy(ts)

    def torch_run():
        net.zero_grad(set_to_none=True)
        logits, _ = net(xs_t)
        loss = F.cross_entropy(logits.reshape(-1, V), ts_t.reshape(-1))
        loss.backward()
        return loss

    def results():
        loss = ours()
        g = model.grads
        mine = {"out": np.asarray(loss, np_dtype), "dW_embed": g["embed.W"],
                "dW_out": g["affine.W"], "db_out": g["affine.b"],
                **{f"d{k}": g[f"lstm.{k}"] for k in p}}
        loss_t = torch_run()
        theirs = {"out": loss_t, "dW_embed": net.embed.weight.grad,
                  "dW_out": net.head.weight.grad.T, "db_out": net.head.bias.grad,
                  "d" + spec.name_of("input"): net.rnn.weight_ih_l0.grad.T,
                  "d" + spec.name_of("recurrent"): net.rnn.weight_hh_l0.grad.T,
                  "d" + spec.name_of("bias"): net.rnn.bias_ih_l0.grad}
        return mine, {k: v.detach().numpy() for k, v in theirs.items()}

    return Case("LSTM LM", tuple(shape), dtype, ours, torch_run, lm_matmuls(*shape), results)


def matmul_runner(matmuls, dtype: str, rng: np.random.Generator) -> Callable[[], None]:
    """A callable that performs the plain ``np.matmul`` calls of the given sizes."""
    operands = {}
    for m, k, n in set(matmuls):
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        operands[(m, k, n)] = (a, b, np.empty((m, n), dtype))

    def run():
        for size in matmuls:
            a, b, out = operands[size]
            np.matmul(a, b, out=out)

    return run


def median_times(fns: list[Callable[[], object]], rounds: int, min_time: float) -> list[float]:
    """Median seconds per call of each function, interleaved A B C A B C ...

    Each round calls every function enough times to last about ``min_time``.
    """
    for fn in fns:  # warm-up (and a first estimate of each function's time)
        fn()
    reps = []
    for fn in fns:
        start = time.perf_counter()
        fn()
        reps.append(max(1, int(min_time / max(time.perf_counter() - start, 1e-6))))
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(reps[i]):
                fn()
            samples[i].append((time.perf_counter() - start) / reps[i])
    return [statistics.median(s) for s in samples]


def machine_info() -> list[str]:
    """Lines that describe the machine: CPU, versions, numpy's BLAS, the thread settings."""
    import torch
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    blas = [
        f"{i['internal_api']} {i.get('version') or ''} ({i.get('architecture') or '?'})"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    return [
        f"CPU: {cpu}, {os.cpu_count()} logical cores",
        f"Python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}",
        f"numpy's BLAS: {', '.join(blas) or 'unknown'}",
        ", ".join(f"{k}={os.environ.get(k)}" for k in QUIET_THREADS),
    ]


def run(threads: int, rounds: int, min_time: float, seed: int = 0,
        models=("RNN", "LSTM", "GRU", "Conv1D", "LSTM LM"),
        dtypes=("float32", "float64")) -> list[dict]:
    """Time every case (or the subset of ``models`` and ``dtypes``) with ``threads`` threads."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    rng = np.random.default_rng(seed)
    rows = []
    with threadpool_limits(limits=threads, user_api="blas"):
        for dtype in dtypes:
            cases = [
                make_recurrent_case(m, s, dtype, rng)
                for m in GATES
                if m in models
                for s in RECURRENT_SHAPES
            ]
            if "Conv1D" in models:
                cases.append(make_conv_case(dtype, rng))
            if "LSTM LM" in models:
                cases += [make_lm_case(s, dtype, rng) for s in LM_SHAPES]
            for case in cases:
                mm = matmul_runner(case.matmuls, dtype, rng)
                t_ours, t_torch, t_mm = median_times([case.ours, case.torch, mm], rounds, min_time)
                rows.append(
                    {
                        "threads": threads,
                        "model": case.model,
                        "shape": case.shape,
                        "dtype": dtype,
                        "ours_ms": 1e3 * t_ours,
                        "torch_ms": 1e3 * t_torch,
                        "ratio": t_ours / t_torch,
                        "gflops": case.flops / t_ours / 1e9,
                        "matmul_share": t_mm / t_ours,
                        "tokens": None if case.model == "Conv1D" else
                        (case.shape[0] * case.shape[1] / t_ours,
                         case.shape[0] * case.shape[1] / t_torch),
                    }
                )
                print(format_row(rows[-1]), flush=True)
    return rows


HEADER = (
    "| threads | model | shape | dtype | course_rnn ms | torch ms | ratio | GFLOP/s | matmul % "
    "| tokens/s (course_rnn / torch) |\n"
    "|---:|---|---|---|---:|---:|---:|---:|---:|---:|"
)


def format_row(r: dict) -> str:
    """One row of :func:`run` as a line of the Markdown table (see ``HEADER``)."""
    shape = "(" + ", ".join(str(s) for s in r["shape"]) + ")"
    return (
        f"| {r['threads']} | {r['model']} | {shape} | {r['dtype']} | {r['ours_ms']:.2f} | "
        f"{r['torch_ms']:.2f} | {r['ratio']:.2f} | {r['gflops']:.1f} | "
        f"{100 * r['matmul_share']:.0f} | {_tokens(r.get('tokens'))} |"
    )


def _tokens(pair) -> str:
    if not pair:
        return "-"
    return " / ".join(f"{v / 1e3:.1f}k" if v < 1e6 else f"{v / 1e6:.2f}M" for v in pair)


def main(argv: list[str] | None = None) -> int:
    """``python -m course_rnn.torch_ref.bench``: print the table (and write it with ``--out``)."""
    parser = argparse.ArgumentParser(description="course_rnn against torch, forward + backward")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--min-time", type=float, default=0.02, help="seconds per timed call")
    parser.add_argument("--out", help="also write the table as Markdown to this file")
    parser.add_argument("--models", nargs="+", default=[*GATES, "Conv1D", "LSTM LM"],
                        choices=[*GATES, "Conv1D", "LSTM LM"],
                        help="a subset of the models (default: all)")
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"],
                        choices=["float32", "float64"], help="a subset of the dtypes")
    args = parser.parse_args(argv)

    info = machine_info()
    print("\n".join(info))
    print(
        "shapes: (N, T, D, H) for recurrent layers, (N, C_in, L, C_out, K) for Conv1D, "
        "(N, T, V, D, H) for language models; "
        "ratio = course_rnn time / torch time (lower is better)"
    )
    print(HEADER, flush=True)
    start = time.perf_counter()
    rows = [
        row
        for t in args.threads
        for row in run(t, args.rounds, args.min_time, models=args.models, dtypes=args.dtypes)
    ]
    elapsed = time.perf_counter() - start
    print(f"benchmark time: {elapsed:.0f} s")
    if args.out:
        write_markdown(args.out, info, rows, elapsed)
        print(f"written to {args.out}")
    return 0


def write_markdown(path: str, info: list[str], rows: list[dict], elapsed: float) -> None:
    """Write the table and the machine's description to ``path`` (``docs/benchmarks.md``)."""
    worst = {}
    for r in rows:
        worst[r["threads"]] = max(worst.get(r["threads"], 0.0), r["ratio"])
    lines = [
        "# Benchmark: course_rnn against torch on the CPU",
        "",
        "Forward + backward pass, median of interleaved rounds, produced by "
        "`python -m course_rnn.torch_ref.bench --out docs/benchmarks.md` (`make bench`). "
        "`ratio` is course_rnn's time over torch's (at most 1.0 is the goal); `matmul %` is the "
        "share of this machine's `np.matmul` throughput that course_rnn reaches on the case's "
        "matrix products.",
        "",
        *[f"- {line}" for line in info],
        f"- whole run: {elapsed:.0f} s",
        *[f"- largest ratio with {t} thread(s): {w:.2f}" for t, w in sorted(worst.items())],
        "",
        HEADER,
        *[format_row(r) for r in rows],
        "",
    ]
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
