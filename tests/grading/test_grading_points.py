"""Points only for the work asked: re-drawn public tests, gradients against the solution.

- A grading run draws every public test again (``spec.grading_seed`` of the test's seed
  and the run's salt): a lookup table of the expected outputs in ``NAME.checks.npz``
  earns nothing, while ``check()`` and the release keep the stored inputs.
- A gradient-checked backward must match the course's solution to a relative error of
  ``1e-12``: a backward computed by central differences of the learner's own forward
  passes the numerical check (``tol``) and fails this one, on every gradient question of
  chapters 3-10.
- A known mistake's hint never fires on a test where that variant equals the reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from course_rnn.grading.assignment import Assignment, load_assignment, new_salt
from course_rnn.grading.bench import make_submission, solution_sources
from course_rnn.grading.checks import read_checks_file
from course_rnn.grading.grade import grade_submission, read_submission
from course_rnn.grading.judge import Case, judge, matching_mistakes, rel_error
from course_rnn.grading.sandbox import Limits, Sandbox
from course_rnn.grading.spec import (
    REF_TOL,
    FormatError,
    grading_seed,
    parse_instructor,
    parse_question,
    student_notebook,
)

ROOT = Path(__file__).resolve().parents[2]
CH1 = ROOT / "exercises" / "en" / "01_recurrent_cell.ipynb"
PACKAGED = ROOT / "src" / "course_rnn" / "grading" / "released"
GRADIENT_SETS = ["03_bptt", "04_rnn_language_model", "05_lstm", "06_gru", "07_training_deep_rnns",
                 "08_conv1d", "09_encoder_decoder", "10_attention"]
SALT = 20240917  # a fixed grading salt, so that the scores below are exact


def grade(assignment: Assignment, nb: dict, tmp: Path, name: str, **limits) -> dict:
    """Grade one submitted notebook in the sandbox, as ``course-rnn grade`` does."""
    folder = tmp / "subs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    lim = Limits.for_assignment(assignment.notebook.config, limits)
    with Sandbox(lim, jobs=1) as sandbox:
        return grade_submission(assignment, sandbox, read_submission(path, folder), "en")


def question(fb: dict, qid: str) -> dict:
    return next(q for q in fb["questions"] if q["id"] == qid)


# ----------------------------------------------------------------------------- the seeds


def test_grading_seed_is_stable_and_mixes_the_salt():
    assert grading_seed(11, None) == 11
    assert grading_seed(11, 5) == grading_seed(11, 5)  # a regrade with the recorded salt
    seeds = {grading_seed(11, s) for s in range(50)} | {grading_seed(t, 5) for t in range(50)}
    assert len(seeds) == 99 and 11 not in seeds  # (11, 5) is in both
    assert all(0 <= s < 2**63 for s in seeds)
    with pytest.raises(ValueError, match="non-negative"):
        grading_seed(11, -1)
    assert 0 <= new_salt() < 2**31 and len({new_salt() for _ in range(20)}) > 1


def test_a_salt_redraws_public_tests_only():
    stored, salted = load_assignment(CH1), load_assignment(CH1, salt=SALT)
    assert stored.salt is None and salted.salt == SALT
    for q in stored.questions:
        if q.kind != "function":
            continue
        for a, b in zip(stored.cases[q.id], salted.cases[q.id], strict=True):
            assert a.dims == b.dims and list(a.inputs) == list(b.inputs)
            for name in a.inputs:
                x, y = a.inputs[name], b.inputs[name]
                assert type(x) is type(y)
                if isinstance(x, np.ndarray):
                    assert x.shape == y.shape and x.dtype == y.dtype
                    assert np.array_equal(x, y) == (not a.public), (q.id, a.index, name)
            if a.public:
                assert b.seed == grading_seed(a.seed, SALT)
                # the expected outputs are the solution's on the new inputs
                assert not any(np.array_equal(a.expected[n], b.expected[n]) for n in a.expected)
            else:
                assert a.seed == b.seed


def lookup_table_source(checks_path: Path) -> str:
    """q1 answered by a table of the public tests' expected outputs (what a learner could copy)."""
    manifest, arrays = read_checks_file(checks_path)
    item = next(i for i in manifest["questions"] if i["spec"]["id"] == "q1")
    table = []
    for case in item["cases"]:
        x = arrays[case["inputs"]["x_t"]["array"]].tolist()
        out = arrays[case["expected"]["h_next"]["array"]].tolist()
        table.append((x, out))
    return (f"TABLE = {table!r}\n"
            "def rnn_cell_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
            "    for x, out in TABLE:\n"
            "        if np.shape(x) == x_t.shape and np.allclose(x, x_t):\n"
            "            return np.array(out)\n"
            "    return np.zeros((x_t.shape[0], W_hh.shape[0]))\n")


def test_a_lookup_table_of_the_public_outputs_earns_nothing(tmp_path):
    student = student_notebook(parse_instructor(CH1))
    cheat = lookup_table_source(PACKAGED / "en" / "01_recurrent_cell.checks.npz")
    nb = make_submission(student, {**solution_sources(CH1), "rnn_cell_step": cheat})
    # with the stored inputs (as check() sees them) the table answers both public tests...
    fb = grade(load_assignment(CH1), nb, tmp_path / "stored", "cheat")
    tests = question(fb, "q1")["tests"]
    assert [t["status"] for t in tests] == ["passed", "passed", "failed", "failed"]
    # ... but a grading run draws them again: 0 of q1's 4 points; q3's solution calls
    # rnn_cell_step, so it loses its 5 too; the other questions keep theirs
    fb = grade(load_assignment(CH1, salt=SALT), nb, tmp_path / "graded", "cheat")
    q1 = question(fb, "q1")
    assert q1["points"] == 0 and q1["max_points"] == 4
    assert [q["points"] for q in fb["questions"]] == [0, 3, 0, 1, 1] and fb["score"] == 5
    for t in q1["tests"]:
        assert t["status"] == "failed"
        assert "h_next:" in t["lines"][0] and "entries differ" in t["lines"][0], t["lines"]
    # the honest answer keeps every point on the re-drawn tests
    honest = make_submission(student, solution_sources(CH1))
    fb = grade(load_assignment(CH1, salt=SALT), honest, tmp_path / "honest", "honest")
    assert fb["score"] == fb["max_score"] == 14


# ----------------------------------------------------------------------------- gradients


FD_CELL = '''
# A backward computed by finite differences of this notebook's own forward (not allowed).
_FD_LAST = {}


def _fd_forward(name):
    real = globals()[name]

    def forward(*args, **kwargs):
        _FD_LAST[name] = (args, kwargs)
        return real(*args, **kwargs)
    return forward


def _fd_backward(spec):
    real_backward = globals()[spec["backward"]]
    real_forward = globals()[spec["forward"]]

    def pick(result, returns, name):
        return result if len(returns) == 1 else result[returns.index(name)]

    def backward(*bargs, **bkwargs):
        result = real_backward(*bargs, **bkwargs)
        out = [result] if len(spec["breturns"]) == 1 else list(result)
        args, kwargs = _FD_LAST[spec["forward"]]
        upstream = {u: bargs[spec["bargs"].index(u)] for u in spec["loss"].values()}

        def loss(position, x):
            moved = list(args)
            moved[position] = x
            res = real_forward(*moved, **kwargs)
            return sum(float(np.sum(pick(res, spec["freturns"], o) * upstream[u]))
                       for o, u in spec["loss"].items())

        def central(position, x, h):
            g = np.zeros(x.shape)
            for idx in np.ndindex(x.shape):
                e = np.zeros(x.shape)
                e[idx] = h
                g[idx] = (loss(position, x + e) - loss(position, x - e)) / (2 * h)
            return g

        for gname, w in spec["wrt"].items():
            position = spec["fargs"].index(w)
            x = np.asarray(args[position], dtype=np.float64)
            h = spec["h"]
            if spec["richardson"]:
                g = (4 * central(position, x, h / 2) - central(position, x, h)) / 3
            else:
                g = central(position, x, h)
            out[spec["breturns"].index(gname)] = g
        return out[0] if len(out) == 1 else tuple(out)
    return backward


for _spec in _FD_SPECS:
    globals()[_spec["backward"]] = _fd_backward(_spec)
    globals()[_spec["forward"]] = _fd_forward(_spec["forward"])
'''


def fd_specs(path: Path, h: float, richardson: bool = False) -> list[dict]:
    """What ``FD_CELL`` needs of every gradient question of a notebook."""
    specs = []
    for q in parse_instructor(path).questions:
        if not q.gradcheck:
            continue
        fwd, bwd = q.steps  # forward, then a backward taking its cache
        gc = q.gradcheck
        assert fwd["function"] == gc["forward"]["function"]
        assert set(gc["loss"].values()) <= set(bwd["args"]) and not fwd["kwargs"]
        specs.append({"backward": bwd["function"], "bargs": bwd["args"],
                      "breturns": bwd["returns"], "forward": fwd["function"],
                      "fargs": fwd["args"], "freturns": fwd["returns"], "loss": gc["loss"],
                      "wrt": gc["wrt"], "h": h, "richardson": richardson})
    return specs


def fd_submission(path: Path, h: float = 1e-5, richardson: bool = False) -> dict:
    student = student_notebook(parse_instructor(path))
    cell = f"_FD_SPECS = {fd_specs(path, h, richardson)!r}\n" + FD_CELL
    return make_submission(student, solution_sources(path), after=[cell])


@pytest.mark.slow
@pytest.mark.parametrize("name", GRADIENT_SETS)
def test_a_finite_difference_backward_earns_nothing(name, tmp_path):
    path = ROOT / "exercises" / "en" / f"{name}.ipynb"
    assignment = load_assignment(path, salt=SALT)
    limits = {"call_timeout": 60.0, "cell_timeout": 30.0, "budget": 600.0}
    honest = grade(assignment, make_submission(student_notebook(assignment.notebook),
                                               solution_sources(path)), tmp_path, "honest",
                   **limits)
    assert honest["score"] == honest["max_score"], honest["questions"]
    fb = grade(assignment, fd_submission(path), tmp_path, "fd", **limits)
    gradient = {q.id: q.points for q in assignment.questions if q.gradcheck}
    assert gradient
    for q in fb["questions"]:
        if q["id"] not in gradient:
            assert q["points"] == q["max_points"], q  # the rest of the notebook is untouched
            continue
        assert q["points"] == 0, q
        for t in q["tests"]:
            # the grader counts the forward's calls during the backward step: a finite-difference
            # backward needs two per input entry (even where the forward is linear, so that
            # differences are exact and no tolerance could tell)
            said = " ".join(t["lines"])
            assert t["status"] == "failed" and "the backward pass called" in said, t
            assert "(finite differences)" in said
    assert fb["score"] == honest["score"] - sum(gradient.values())


def test_the_solution_passes_with_margin_and_a_numerical_gradient_does_not():
    """In the grader's process, on chapter 3's q1: rel. errors against the reference."""
    path = ROOT / "exercises" / "en" / "03_bptt.ipynb"
    a = load_assignment(path, salt=SALT)
    q = a.question("q1")
    ns = a.namespace
    for case in a.cases["q1"]:
        # a correct backward, computed in another order (inputs moved by about one ulp)
        rng = np.random.default_rng(0)
        moved = {k: v * (1 + 2e-16 * rng.standard_normal(v.shape))
                 if isinstance(v, np.ndarray) else v for k, v in case.inputs.items()}
        fwd = ns["leaky_step_forward"](*[moved[n] for n in q.steps[0]["args"]])
        grads = ns["leaky_step_backward"](moved["dh_next"], fwd[1])
        for g, value in zip(q.steps[1]["returns"], grads, strict=True):
            assert rel_error(value, case.expected[g]) < REF_TOL / 100


def test_gradcheck_ref_tol_is_validated():
    raw = {"inputs": {"x": "normal(N)", "dy": "normal(N)"},
           "steps": [{"function": "f", "args": ["x"], "returns": ["y", "cache"]},
                     {"function": "b", "args": ["dy", "cache"], "returns": ["dx"]}],
           "tests": [{"dims": {"N": 3}, "points": 1}],
           "gradcheck": {"forward": {"function": "f", "args": ["x"], "returns": ["y", "cache"]},
                         "loss": {"y": "dy"}, "wrt": {"dx": "x"}}}
    assert parse_question("q1", raw).gradcheck["ref_tol"] == REF_TOL == 1e-12
    raw["gradcheck"]["ref_tol"] = 1e-6
    with pytest.raises(FormatError, match="ref_tol must be in"):
        parse_question("q1", raw)
    raw["gradcheck"]["ref_tol"] = 1e-13
    raw["gradcheck"]["extra"] = 1
    with pytest.raises(FormatError, match="unknown key"):
        parse_question("q1", raw)


# ----------------------------------------------------------------------------- hints


def test_a_hint_never_fires_where_the_variant_equals_the_reference():
    a = load_assignment(CH1)
    q = a.question("q1")
    base = a.cases["q1"][0]
    inputs = {k: v.copy() for k, v in base.inputs.items()}
    inputs["W_hh"] = inputs["W_hh"] + inputs["W_hh"].T  # symmetric: the transpose changes nothing
    ns = a.namespace
    args = [inputs[n] for n in q.steps[0]["args"]]
    ref = ns["rnn_cell_step"](*args)
    variant = ns[q.mistakes["transposed_weights"]["function"]](*args)
    assert np.allclose(ref, variant, rtol=1e-12, atol=0)
    case = Case("q1", 0, 1.0, True, base.dims, base.seed, inputs=inputs,
                expected={"h_next": ref}, mistakes={"transposed_weights": {"h_next": variant}})
    near = ref * (1 + 5e-7)  # fails at rtol 1e-7, within the hints' 1e-6 of the variant
    from course_rnn.grading._worker import encode

    r = judge(q, case, {"outputs": {"h_next": encode(near)}}, "en")
    assert r.status == "failed" and r.hints == []
    assert matching_mistakes(q, case, {"h_next": near}, "en") == []
    # where the variant differs from the reference, its hint shows as before
    case2 = a.cases["q1"][0]
    wrong = case2.mistakes["transposed_weights"]["h_next"]
    r = judge(q, case2, {"outputs": {"h_next": encode(wrong)}}, "en")
    assert any("transposed weight matrix" in h for h in r.hints), r.hints


@pytest.mark.slow
@pytest.mark.parametrize(("h", "richardson"), [(1e-4, False), (1e-3, True)])
def test_finite_differences_on_a_linear_forward_earn_nothing_either(h, richardson, tmp_path):
    """Chapter 8's convolution and pooling are linear in their input: differences of any step
    are exact up to rounding, so only counting the forward's calls can tell them apart."""
    path = ROOT / "exercises" / "en" / "08_conv1d.ipynb"
    assignment = load_assignment(path, salt=SALT)
    limits = {"call_timeout": 60.0, "cell_timeout": 30.0, "budget": 600.0}
    fb = grade(assignment, fd_submission(path, h=h, richardson=richardson), tmp_path, "fd",
               **limits)
    for q in fb["questions"]:
        if assignment.question(q["id"]).gradcheck:
            assert q["points"] == 0, q
            assert all("the backward pass called" in " ".join(t["lines"]) for t in q["tests"])
        else:
            assert q["points"] == q["max_points"], q


def test_check_counts_the_forward_calls_too():
    """The learner's check() runs the same steps in the kernel and says the same."""
    from course_rnn.grading.checks import Checks

    path = ROOT / "exercises" / "en" / "03_bptt.ipynb"
    assignment = load_assignment(path)
    q = next(q for q in assignment.questions if q.gradcheck)
    ns = {"np": np}
    for source in solution_sources(path).values():  # the right forward and backward
        exec(source, ns)
    checks = Checks.from_assignment(assignment, "en")
    honest = checks.run(q.id, ns)
    assert honest and all(r.points == r.max_points for r in honest)
    forward = q.gradcheck["forward"]["function"]
    ns["_FD_SPECS"] = [s for s in fd_specs(path, 1e-5) if s["forward"] == forward]
    exec(FD_CELL, ns)  # the backward replaced by finite differences of that forward
    results = checks.run(q.id, ns)
    assert results and all(r.points == 0 for r in results)
    assert all("the backward pass called" in " ".join(r.lines) for r in results)
