r"""Judging one test: the learner's outputs against the expected ones, with a readable reason.

Used by the exercises of every chapter, in two places that must agree: ``check()`` in
the learner's kernel, and the batch grader, which runs this in its own process on plain
arrays received from the sandbox (so nothing a submission patches can change a verdict).

An output passes when it is an array of the expected shape and dtype, finite, and
within :math:`|a - e| \le \mathrm{atol} + \mathrm{rtol}\,|e|` of the expected array
everywhere. A gradient (chapter 3 on) passes when its relative error against the
numerical gradient of the forward,

.. math::

    \mathrm{rel}(a, b) = \frac{\max_i |a_i - b_i|}{\max(\max_i |a_i| + \max_i |b_i|, 10^{-12})},

is below the question's tolerance (CS231n's thresholds, as in ``course_rnn.gradcheck``),
and its relative error against the course's solution's gradient is below ``ref_tol``
(default ``1e-12``): a correct analytic backward in float64 scores about ``1e-15``, a
numerical gradient by central differences about ``1e-7`` to ``1e-10``, so a backward
computed by finite differences does not pass.
A failure is explained: which input, expected against actual shape or values, the
largest error and where, and a hint when the output equals that of a known wrong
variant (a transposed weight, a state not carried, a missing (1 - h²), ...).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import asdict, dataclass, field

import numpy as np

from course_rnn.grading._worker import MAX_FORWARD_CALLS
from course_rnn.grading.messages import mistake_text, say
from course_rnn.grading.spec import CONCEPTUAL, MAX_TEXT, REF_TOL

MAX_DIMS = 32
STEP_ERRORS = ("missing", "not_callable", "returns")  # StepError kinds (see _worker.run_steps)
NAME_ERROR = re.compile(r"name '(\w+)' is not defined")


class Opaque:
    """A returned value that is not an array, a tuple, a string or None (only its type)."""

    def __init__(self, type_name: str, shape=None):
        self.type_name = type_name
        self.shape = shape

    def __repr__(self):
        return f"Opaque({self.type_name})"


MISSING = Opaque("missing")


def decode_value(enc, max_bytes: int = 64 * 2**20):
    """Turn one encoded output from the sandbox into a plain value, trusting nothing.

    Arrays are rebuilt with ``np.frombuffer`` from their raw bytes after checking the
    dtype (numbers only, no objects, no records) and that the byte count matches the
    shape: the result is always a base-class ``np.ndarray`` that owns its data. Used
    by the exercises of every chapter (the batch grader and ``check()``).
    """
    if not isinstance(enc, dict):
        return Opaque("malformed")
    t = enc.get("t")
    if t == "array":
        try:
            dtype = np.dtype(str(enc["dtype"]))
            shape = tuple(int(s) for s in enc["shape"])
            if (dtype.kind not in "biufc" or dtype.hasobject or dtype.fields is not None
                    or dtype.subdtype is not None or len(shape) > MAX_DIMS
                    or any(s < 0 for s in shape)):
                return Opaque(f"array of {dtype}")
            nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            data = enc["data"]
            if not isinstance(data, str) or nbytes > max_bytes or len(data) > 2 * max_bytes:
                return Opaque("array too large", shape)
            raw = base64.b64decode(data, validate=True)
            if len(raw) != nbytes:
                return Opaque("malformed array")
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        except (KeyError, TypeError, ValueError, binascii.Error):
            return Opaque("malformed array")
    if t == "none":
        return None
    if t == "ellipsis":
        return Ellipsis
    if t == "missing":
        return MISSING
    if t == "str":
        return str(enc.get("v", ""))[:MAX_TEXT]
    if t == "tuple":
        items = enc.get("items")
        if not isinstance(items, list):
            return Opaque("malformed")
        return tuple(decode_value(i, max_bytes) for i in items[:64])
    if t == "too_large":
        return Opaque("array too large", enc.get("shape"))
    return Opaque(str(enc.get("type", "object"))[:100])


# ----------------------------------------------------------------------------- cases


@dataclass
class Case:
    """One test with everything needed to judge it (inputs and expected outputs)."""

    qid: str
    index: int
    points: float
    public: bool
    dims: dict
    seed: int
    inputs: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    mistakes: dict = field(default_factory=dict)
    ref_forward: dict | None = None
    ref_losses: dict | None = None
    name: str = ""

    @property
    def id(self) -> str:
        """``q1/0``: the question and the test's index."""
        return f"{self.qid}/{self.index}"


@dataclass
class TestResult:
    """The verdict on one test: points, status, and the reasons as text."""

    qid: str
    index: int
    public: bool
    points: float
    max_points: float
    status: str
    lines: list = field(default_factory=list)
    hints: list = field(default_factory=list)
    inputs: str = ""
    answer: str = ""  # a free-text answer, as written (graded by hand)

    @property
    def passed(self) -> bool:
        """Whether the test passed."""
        return self.status == "passed"

    def to_dict(self) -> dict:
        """JSON-able form (feedback files)."""
        return asdict(self)


def describe_inputs(case: Case) -> str:
    """``N=2, D=3, H=4; x_t (2, 3), h_prev (2, 4), h0=None``: sizes and input shapes."""
    dims = ", ".join(f"{k}={v}" for k, v in case.dims.items())
    parts = []
    for name, v in case.inputs.items():
        if isinstance(v, np.ndarray):
            parts.append(f"{name} {tuple(v.shape)}")
        else:
            parts.append(f"{name}={v!r}")
    return (dims + "; " if dims else "") + ", ".join(parts)


def _index(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _type_name(value) -> str:
    if isinstance(value, Opaque):
        return value.type_name
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} values"
    return type(value).__name__


# ----------------------------------------------------------------------------- comparing


def close(a: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> bool:
    """Same shape, finite where expected, and within atol + rtol |e| everywhere."""
    if not isinstance(a, np.ndarray) or a.shape != e.shape:
        return False
    if a.dtype.kind not in "biufc":
        return False
    with np.errstate(all="ignore"):
        diff = np.abs(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64) - e)
        ok = diff <= atol + rtol * np.abs(e)
    return bool(np.all(ok))


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute difference over the sum of the largest magnitudes (chapter 3)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    num = float(np.max(np.abs(a - b))) if a.size else 0.0
    den = max(float(np.max(np.abs(a))) + float(np.max(np.abs(b))), 1e-12) if a.size else 1.0
    return num / den


@dataclass
class Verdict:
    """Result of comparing one output: ok, a code, message lines, hints."""

    ok: bool
    code: str
    lines: list = field(default_factory=list)
    hints: list = field(default_factory=list)


def check_form(name: str, expected: np.ndarray, actual, dtype_rule: str, lang: str) -> Verdict:
    """Everything but the values: an array of numbers, the right shape and dtype."""
    if actual is MISSING:
        return Verdict(False, "missing_value", [say("not_array", lang, name=name, type="nothing")])
    if actual is None:
        return Verdict(False, "none", [say("none", lang, name=name)])
    if actual is Ellipsis:
        return Verdict(False, "ellipsis", [say("ellipsis", lang, name=name)])
    if isinstance(actual, tuple):
        return Verdict(False, "tuple", [say("tuple_for_one", lang, name=name, n=len(actual))])
    if isinstance(actual, Opaque) and actual.type_name == "array too large":
        return Verdict(False, "too_large", [say("too_large", lang, name=name, shape=actual.shape)])
    if not isinstance(actual, np.ndarray):
        return Verdict(False, "not_array",
                       [say("not_array", lang, name=name, type=_type_name(actual))])
    if actual.shape != expected.shape:
        v = Verdict(False, "shape", [say("shape", lang, name=name, expected=tuple(expected.shape),
                                         actual=tuple(actual.shape))])
        if actual.ndim == expected.ndim and actual.shape == expected.shape[::-1]:
            v.hints.append(say("hint_transposed_shape", lang))
        elif actual.size == expected.size:
            v.hints.append(say("hint_reshape", lang))
        return v
    if dtype_rule == "strict" and actual.dtype != expected.dtype:
        return Verdict(False, "dtype", [say("dtype", lang, name=name, expected=str(expected.dtype),
                                            actual=str(actual.dtype))])
    if dtype_rule == "float" and actual.dtype.kind != expected.dtype.kind:
        return Verdict(False, "dtype", [say("dtype", lang, name=name, expected=str(expected.dtype),
                                            actual=str(actual.dtype))])
    return Verdict(True, "ok")


def compare_output(name: str, expected: np.ndarray, actual, rtol: float, atol: float,
                   dtype_rule: str, lang: str) -> Verdict:
    """Compare one returned value with the expected array; explain any difference."""
    v = check_form(name, expected, actual, dtype_rule, lang)
    if not v.ok:
        if v.code == "dtype" and close(actual, expected, max(rtol, 1e-6), max(atol, 1e-7)):
            v.hints.append(say("dtype_values_ok", lang))
        return v
    a = actual.astype(np.float64) if actual.dtype.kind in "biu" else actual
    if dtype_rule != "strict" and a.dtype.kind == "f":
        rtol = max(rtol, 10 * float(np.finfo(a.dtype).resolution))
    finite_e = np.isfinite(expected)
    bad = ~np.isfinite(a) & finite_e
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "NaN" if np.isnan(a[idx]) else "inf"
        return Verdict(False, "nonfinite",
                       [say("nonfinite", lang, name=name, what=what, index=_index(idx),
                            expected=float(np.real(expected[idx])))],
                       [say("hint_nan", lang)] if what == "NaN" else [])
    with np.errstate(all="ignore"):
        diff = np.abs(a - expected)
        wrong = ~(diff <= atol + rtol * np.abs(expected))
    if not np.any(wrong):
        return Verdict(True, "ok")
    diff = np.where(np.isfinite(diff), diff, np.inf)
    idx = np.unravel_index(int(np.argmax(np.where(wrong, diff, -1))), a.shape) if a.ndim else ()
    line = say("values", lang, name=name, count=int(np.sum(wrong)), total=int(a.size),
               err=float(np.max(diff[wrong])), index=_index(idx),
               expected=float(np.real(expected[idx])), actual=float(np.real(a[idx])))
    v = Verdict(False, "values", [line])
    if close(-a, expected, rtol, atol) and np.any(expected != 0):
        v.hints.append(say("hint_sign", lang))
    elif a.ndim == 2 and a.shape[0] == a.shape[1] and close(a.T, expected, rtol, atol):
        v.hints.append(say("hint_transposed_values", lang))
    return v


def matching_mistakes(q, case: Case, outputs: dict, lang: str) -> list[str]:
    """Hints of the known wrong variants whose outputs equal the learner's."""
    hints = []
    meta = getattr(q, "mistakes", {}) or {}
    rtol, atol = max(q.rtol, 1e-6), max(q.atol, 1e-8)
    for key, variant in case.mistakes.items():
        if not variant or same_as_reference(variant, case.expected, rtol, atol):
            continue  # on this test the variant gives the right answer: no hint to give
        if all(isinstance(outputs.get(n), np.ndarray)
               and outputs[n].shape == np.shape(e)
               and close(outputs[n], np.asarray(e), rtol, atol)
               for n, e in variant.items()):
            hints.append(mistake_text(key, meta.get(key, {}), lang))
    return hints


def same_as_reference(variant: dict, expected: dict, rtol: float, atol: float) -> bool:
    """Whether a wrong variant's outputs equal the reference's on a test (all compared names).

    Such a variant is not a mistake on that test's inputs (a transposed ``W_hh`` when
    ``W_hh`` happens to be symmetric, a state not carried when every length is 1), so
    its hint must not fire there.
    """
    if not expected:
        return False
    for name, e in expected.items():
        v = variant.get(name)
        if v is None or not close(np.asarray(v), np.asarray(e), rtol, atol):
            return False
    return True


# ----------------------------------------------------------------------------- errors


def step_error_lines(error: dict, fn: str, lang: str) -> tuple[str, list]:
    """Status and lines of a step that could not run (missing, not callable, wrong returns).

    ``error`` is ``{"kind", "function", ...}``; the called value's type is in
    ``type_name`` (or, from a worker that put it there, ``type`` when that is not
    ``"StepError"``).
    """
    sub = error.get("kind")
    name = str(error.get("function") or fn)
    if sub == "missing":
        return "missing", [say("missing", lang, function=name)]
    if sub == "not_callable":
        type_name = error.get("type_name") or error.get("type")
        if not type_name or type_name == "StepError":
            type_name = "value"
        return "missing", [say("not_callable", lang, function=name, type=type_name)]
    expected = [str(e) for e in error.get("expected", [])] if isinstance(
        error.get("expected"), list) else []
    return "error", [say("returns_count", lang, function=name, n=len(expected),
                         names=", ".join(expected), got=error.get("got", "?"))]


def error_hints(kind, message: str, lang: str) -> list:
    """Hints for an error that the grader's sandbox causes but a notebook does not.

    A name defined only in the set-up cell (the grader does not run it) and the
    ``course_rnn`` package (not importable when graded): ``check()`` flags both
    before running with the same words (``checks.grading_problems``).
    """
    if "course_rnn" in message:
        return [say("hint_course_rnn", lang)]
    m = NAME_ERROR.search(message) if kind == "NameError" else None
    if m:
        return [say("hint_setup_name", lang, name=m.group(1))]
    return []


def error_result(q, case: Case, error: dict, lang: str) -> TestResult:
    """A test whose call raised, timed out, or found no function."""
    fn = q.function or getattr(q, "variable", "") or "?"
    kind = error.get("type")
    # a StepError is told by its kind: a worker that spreads the step's info after
    # "type" leaves there the called value's type name ("int", "tuple"), not "StepError"
    step = kind == "StepError" or (error.get("kind") in STEP_ERRORS and "function" in error)
    where = error.get("where") or {}
    if where.get("function") and where["function"] != "<module>" and not step:
        fn = where["function"]
    lines, hints, status = [], [], "error"
    if step:
        status, lines = step_error_lines(error, fn, lang)
    elif kind == "NotImplementedError":
        status, lines = "not_implemented", [say("not_implemented", lang, function=fn)]
    elif kind == "Timeout":
        status = "timeout"
        seconds = float(str(error.get("message", "0")).split()[0] or 0)
        key = ("timeout_cpu" if error.get("cpu") else "timeout") + \
            ("_skipped" if error.get("skipped") else "")
        lines = [say(key, lang, function=fn, seconds=seconds)]
    elif kind == "MemoryError":
        lines = [say("memory", lang, function=fn, limit=error.get("limit", "?"))]
    else:
        message = str(error.get("message", ""))
        lines = [say("exception", lang, function=fn, type=kind, message=message)]
        if where.get("line"):
            lines.append(say("exception_where", lang, line=where["line"],
                             code=where.get("code", "")))
        hints = error_hints(kind, message, lang)
    return TestResult(case.qid, case.index, case.public, 0.0, case.points, status, lines,
                      hints, inputs=describe_inputs(case))


# ----------------------------------------------------------------------------- judging


def judge(q, case: Case, message: dict, lang: str) -> TestResult:
    """Judge one test from the message that ran it (sandbox) or its in-kernel equivalent.

    ``message`` holds either ``"outputs"`` (encoded values by name) and, for gradient
    questions, ``"probe"``; or ``"error"`` (what the call raised); or ``"fatal"`` (the
    process died: a reason already in words). Returns a ``TestResult``.
    """
    if "fatal" in message:
        status = message.get("status", "died")
        key = "not_run" if status == "not_run" else "process_died"
        return TestResult(case.qid, case.index, case.public, 0.0, case.points, status,
                          [say(key, lang, reason=message["fatal"])], inputs=describe_inputs(case))
    if message.get("error"):
        return error_result(q, case, message["error"], lang)
    raw = message.get("outputs", {})
    outputs = {k: decode_value(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    if q.kind in CONCEPTUAL:
        enc = raw.get(q.variable) if isinstance(raw, dict) else None
        length = enc.get("n") if isinstance(enc, dict) else None  # a text's full length
        return judge_answer(q, case, outputs.get(q.variable, MISSING), lang,
                            length if isinstance(length, int) and length >= 0 else None)
    if q.gradcheck:
        calls = message.get("forward_calls", 0)
        if calls == -1 or calls > forward_call_limit(q, case):
            fwd = q.gradcheck["forward"]["function"]
            key = "backward_profile_removed" if calls == -1 else "backward_calls_forward"
            return TestResult(case.qid, case.index, case.public, 0.0, case.points, "failed",
                              [say(key, lang, function=fwd, calls=calls)],
                              inputs=describe_inputs(case))
        return judge_gradients(q, case, outputs, message.get("probe"), lang)
    lines, hints, ok = [], [], True
    for name in q.compare:
        v = compare_output(name, case.expected[name], outputs.get(name, MISSING), q.rtol, q.atol,
                           q.dtype, lang)
        if not v.ok:
            ok = False
            lines += v.lines
            hints += v.hints
    if ok:
        return TestResult(case.qid, case.index, case.public, case.points, case.points, "passed",
                          inputs=describe_inputs(case))
    hints = matching_mistakes(q, case, outputs, lang) or hints
    return TestResult(case.qid, case.index, case.public, 0.0, case.points, "failed", lines,
                      hints, describe_inputs(case))


def judge_answer(q, case: Case, value, lang: str, length: int | None = None) -> TestResult:
    """A multiple-choice, numeric or free-text answer (conceptual questions).

    A free text gets status ``manual`` and 0 points (the manual-points file gives them);
    it is kept, up to ``MAX_TEXT`` characters, in ``answer``; ``length`` is its length
    before it was cut for sending (default: as received).
    """
    def result(status, lines, points=0.0):
        return TestResult(case.qid, case.index, case.public, points, case.points, status, lines)

    if value is MISSING or value is None or value is Ellipsis:
        return result("unanswered", [say("unanswered", lang, variable=q.variable)])
    if q.kind == "text":
        if not isinstance(value, str):
            return result("invalid", [say("not_text", lang, variable=q.variable,
                                          type=_type_name(value))])
        if not value.strip():
            return result("unanswered", [say("unanswered_text", lang, variable=q.variable)])
        n = max(len(value), length or 0)
        r = result("manual", [say("graded_by_hand", lang, n=n, points=case.points)])
        r.answer = value[:MAX_TEXT]
        return r
    expected = case.expected.get("answer")
    if q.kind == "choice":
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = str(value.item())
        if not isinstance(value, str):
            return result("invalid", [say("invalid_choice", lang, value=_type_name(value),
                                          choices=q.choices)])
        norm = value.strip().strip("()").lower()
        if norm not in [c.lower() for c in q.choices]:
            return result("invalid", [say("invalid_choice", lang, value=value, choices=q.choices)])
        if expected is None:
            return result("recorded", [say("recorded", lang, value=value)])
        if norm == str(expected).strip().lower():
            return result("passed", [], case.points)
        return result("failed", [say("wrong_answer", lang)])
    if not isinstance(value, np.ndarray) or value.size != 1 or value.dtype.kind not in "biuf":
        return result("invalid", [say("not_number", lang, variable=q.variable,
                                      type=_type_name(value))])
    x = float(value.reshape(()))
    if expected is None:
        return result("recorded", [say("recorded", lang, value=x)])
    e = float(np.asarray(expected).reshape(()))
    if np.isfinite(x) and abs(x - e) <= q.atol + q.rtol * abs(e):
        return result("passed", [], case.points)
    return result("failed", [say("wrong_answer", lang)])


def forward_call_limit(q, case: Case) -> int:
    r"""How often a backward step may call a function its forward ran once:
    :math:`\max(\text{MAX\_FORWARD\_CALLS}, n_{\min})`, with :math:`n_{\min}` the number
    of entries of the smallest input the gradient is taken with respect to. A finite
    difference over an input of :math:`n` entries needs at least :math:`n + 1` calls (one-sided)
    or :math:`2n` (centred), so it always exceeds the limit, while an honest backward may call a
    small helper of its forward a few times without being flagged. Used by the exercises of
    every chapter (gradient-checked questions)."""
    sizes = [int(np.size(case.inputs[w])) for w in dict.fromkeys(q.gradcheck["wrt"].values())
             if w in case.inputs]
    return max(MAX_FORWARD_CALLS, min(sizes, default=0))


def probe_losses(moved: dict, upstream: dict, shapes: dict):
    """Losses ``sum(out * upstream)`` at every moved input: ``{wrt: (P, 2) array}`` or a reason."""
    losses = {}
    wrts = next(iter(moved.values())).keys()
    for w in wrts:
        count = len(moved[next(iter(moved))][w])
        total = np.zeros(count)
        for o, per in moved.items():
            for j, out in enumerate(per[w]):
                if isinstance(out, (np.generic, int, float)):
                    out = np.asarray(out)  # a forward may return a number (a loss)
                if not isinstance(out, np.ndarray) or out.shape != shapes[o]:
                    return None
                if out.dtype.kind not in "biuf":
                    return None
                total[j] += float(np.sum(out.astype(np.float64) * upstream[o]))
        losses[w] = total.reshape(-1, 2)
    return losses


def judge_gradients(q, case: Case, outputs: dict, probe, lang: str) -> TestResult:
    """A backward question: every gradient against the numerical gradient of the forward.

    The forward's outputs at the test's input must match the reference (else the
    gradient cannot be trusted and the learner is told to fix the forward); in the
    grader, its losses at every moved input must match the reference's too, so that a
    forward cannot answer the probes differently from the real input.
    """
    gc = q.gradcheck
    fwd_name = gc["forward"]["function"]

    def fail(status, lines, hints=()):
        return TestResult(case.qid, case.index, case.public, 0.0, case.points, status, list(lines),
                          list(hints), describe_inputs(case))

    lines, hints = [], []
    for name in q.compare:  # form first: shapes, dtypes, NaN
        v = check_form(name, case.expected[name], outputs.get(name, MISSING), q.dtype, lang)
        if not v.ok:
            lines += v.lines
            hints += v.hints
    if lines:
        return fail("failed", lines, matching_mistakes(q, case, outputs, lang) or hints)
    if not isinstance(probe, dict) or "base" not in probe:
        return fail("error", [say("exception", lang, function=fwd_name, type="probe",
                                  message="no forward outputs")])
    base = {o: decode_value(v) for o, v in probe["base"].items()}
    for o, e in case.ref_forward.items():
        v = compare_output(o, e, base.get(o, MISSING), max(q.rtol, 1e-7), max(q.atol, 1e-9),
                           "float", lang)
        if not v.ok:
            return fail("failed", [say("forward_wrong", lang, function=fwd_name,
                                       detail=" ".join(v.lines))])
    moved = {o: {w: [decode_value(x) for x in xs] for w, xs in per.items()}
             for o, per in probe.get("moved", {}).items()}
    upstream = {o: np.asarray(case.inputs[u], dtype=np.float64) for o, u in gc["loss"].items()}
    shapes = {o: e.shape for o, e in case.ref_forward.items()}
    losses = probe_losses(moved, upstream, shapes) if moved else None
    if losses is None:
        return fail("failed", [say("forward_wrong", lang, function=fwd_name, detail="")])
    if case.ref_losses is not None:
        for w, ref in case.ref_losses.items():
            got = losses.get(w)
            if got is None or got.shape != ref.shape:
                return fail("failed", [say("forward_wrong", lang, function=fwd_name, detail="")])
            bad = np.abs(got - ref) > 1e-9 + 1e-7 * np.abs(ref)
            if np.any(bad):
                j = np.argwhere(bad)[0]
                return fail("failed", [say("forward_probe", lang, function=fwd_name, wrt=w,
                                           eps=gc["eps"], got=float(got[tuple(j)]),
                                           expected=float(ref[tuple(j)]))])
    ref_tol = float(gc.get("ref_tol", REF_TOL))
    for gname, w in gc["wrt"].items():
        shape = np.shape(case.inputs[w])
        num = (losses[w][:, 0] - losses[w][:, 1]).reshape(shape) / (2 * gc["eps"])
        rel = rel_error(outputs[gname], num)
        if not rel <= gc["tol"]:
            lines.append(say("grad_error", lang, name=gname, rel=rel, tol=gc["tol"]))
            continue
        # close to the numerical gradient: it must also be the analytic one, which a
        # finite difference (of any step) cannot reach
        ref = rel_error(outputs[gname], case.expected[gname])
        if not ref <= ref_tol:
            lines.append(say("grad_reference", lang, name=gname, rel=ref, tol=ref_tol))
    for name in q.compare:  # outputs that are not gradients: against the reference
        if name in gc["wrt"]:
            continue
        v = compare_output(name, case.expected[name], outputs[name], q.rtol, q.atol, q.dtype, lang)
        lines += v.lines
        hints += v.hints
    if not lines:
        return TestResult(case.qid, case.index, case.public, case.points, case.points, "passed",
                          inputs=describe_inputs(case))
    return fail("failed", lines, matching_mistakes(q, case, outputs, lang) or hints)
