"""``check("q1")`` in the learner's notebook: the public tests, run at once, explained.

Used by the exercises of every chapter. ``course-rnn release`` writes, beside each
student notebook, a ``NAME.checks.npz``: the public tests' inputs and expected outputs
(and those of the known wrong variants), precomputed from the instructor's solution —
data only, never code, read with ``allow_pickle=False``. The released copies of the
course's own exercises also ship inside the package (``released/<lang>/``, written by
``make release``), so a student notebook works alone once ``course_rnn`` is installed.
The set-up cell of every exercise notebook runs
``check = load_checks("01_recurrent_cell", "en")``; ``check("q1")`` then calls the
learner's own function on those inputs, in the learner's kernel, and prints what passed
and, for what did not, why (see ``course_rnn.grading.judge``).

In the instructor's notebook (no ``.checks.npz``, but solutions and ``# QUESTION`` cells
beside the kernel) the same line builds the checks from the notebook itself and runs
the hidden tests too, so an author sees exactly what a learner will see.

Before running a question, ``check`` looks at what the learner's functions use
(``grading_problems``): a name that only the set-up cell defines, or anything of the
``course_rnn`` package, works in the notebook but not when graded (the grader runs
the answers without the set-up cell, where ``course_rnn`` cannot be imported). Such a
question fails in ``check`` too, with the words the grader would use.
"""

from __future__ import annotations

import ast
import dis
import io
import json
import os
import signal
import sys
import threading
import types
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np

from course_rnn.grading._worker import (
    StepError,
    describe_exception,
    encode,
    perturbed_outputs,
    run_steps,
)
from course_rnn.grading.judge import Case, TestResult, describe_inputs, judge
from course_rnn.grading.messages import say
from course_rnn.grading.spec import CONCEPTUAL, LANGS, MAX_TEXT, QuestionSpec

FORMAT = 1
PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)
RELEASED = "released"  # the package's folder of released exercises: released/<lang>/NAME.*
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so that the same checks give the same bytes
QUESTION_FIELDS = ("id", "kind", "steps", "inputs", "compare", "gradcheck", "variable",
                   "choices", "rtol", "atol", "dtype", "timeout", "public", "title")
GRADER_NAMES = {"np", "numpy", "check", "__builtins__", "__name__"}  # what the grader provides
PACKAGE = "course_rnn"


# ----------------------------------------------------------------------------- the file


def _question_fields(q: QuestionSpec) -> dict:
    d = {k: getattr(q, k) for k in QUESTION_FIELDS}
    d["inputs"] = {k: (v if isinstance(v, (str, int, float, type(None))) else None)
                   for k, v in q.inputs.items()}
    d["mistakes"] = {k: {lang: m[lang] for lang in LANGS if lang in m}
                     for k, m in q.mistakes.items()}
    return d


def build_manifest(assignment, include_hidden: bool = False):
    """The checks of an assignment as (manifest dict, {key: array}).

    Only public tests unless ``include_hidden`` (the instructor's own notebook); a
    conceptual question's answer only when the question is marked ``"public": True``.
    """
    arrays: dict = {}

    def put(value):
        if isinstance(value, np.ndarray):
            key = f"a{len(arrays)}"
            arrays[key] = np.require(value, requirements="C")  # 0-d stays 0-d
            return {"array": key}
        return {"literal": value}

    questions = []
    for q in assignment.questions:
        cases = []
        hidden = [c for c in assignment.cases[q.id] if not c.public]
        conceptual = q.kind in CONCEPTUAL
        if conceptual:
            hidden = []  # always shown to the learner, answer withheld unless public
        for c in assignment.cases[q.id]:
            if not c.public and not include_hidden and not conceptual:
                continue
            expected = c.expected
            if conceptual and not (q.public or include_hidden):
                expected = {}
            cases.append({
                "index": c.index, "points": c.points, "public": c.public, "dims": c.dims,
                "seed": c.seed, "name": c.name,
                "inputs": {k: put(v) for k, v in c.inputs.items()},
                "expected": {k: put(v) for k, v in expected.items()},
                "mistakes": {k: {n: put(v) for n, v in m.items()} for k, m in c.mistakes.items()},
                "ref_forward": None if c.ref_forward is None else
                {k: put(v) for k, v in c.ref_forward.items()},
            })
        questions.append({
            "spec": _question_fields(q), "cases": cases,
            "hidden": {"count": 0 if include_hidden else len(hidden),
                       "points": 0.0 if include_hidden else float(sum(c.points for c in hidden))},
        })
    manifest = {"format": FORMAT, "assignment": assignment.id, "lang": assignment.lang,
                "questions": questions}
    return manifest, arrays


def write_npz(path, arrays: dict) -> Path:
    """Write ``arrays`` as a compressed ``.npz`` atomically, byte for byte reproducible.

    Each zip entry gets a fixed date and mode here rather than whatever numpy's own
    writer gives it, so a release run twice gives identical files (``make release``
    leaves git clean when no exercise changed). ``np.load`` reads it as any ``.npz``.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for key, value in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.asanyarray(value), allow_pickle=False)
                info = zipfile.ZipInfo(f"{key}.npy", ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, buf.getvalue())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def save_checks(assignment, path) -> Path:
    """Write ``NAME.checks.npz`` (public tests only) atomically; returns its path."""
    manifest, arrays = build_manifest(assignment)
    blob = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
    return write_npz(path, {"__manifest__": blob, **arrays})


def read_checks_file(path) -> tuple[dict, dict]:
    """``(manifest, {key: array})`` of a ``NAME.checks.npz`` (no pickles allowed)."""
    with np.load(path, allow_pickle=False) as data:
        manifest = json.loads(bytes(data["__manifest__"]).decode("utf-8"))
        arrays = {k: data[k] for k in data.files if k != "__manifest__"}
    return manifest, arrays


# ----------------------------------------------------------------------------- checks


def _spec_from(d: dict) -> QuestionSpec:
    q = QuestionSpec(id=d["id"], kind=d["kind"], raw={})
    for k in QUESTION_FIELDS:
        setattr(q, k, d.get(k, getattr(q, k)))
    q.mistakes = d.get("mistakes", {})
    return q


class Checks:
    """The public tests of one exercise notebook; call it: ``check("q1")``."""

    def __init__(self, manifest: dict, arrays, lang: str | None = None, instructor: bool = False,
                 setup: dict | None = None):
        if manifest.get("format") != FORMAT:
            raise ValueError(f"checks of format {manifest.get('format')}, expected {FORMAT}")
        self.assignment = manifest["assignment"]
        self.lang = lang if lang in LANGS else manifest.get("lang", "en")
        self.instructor = instructor
        self.setup = dict(setup or {})  # names the set-up cell bound, and to what
        self.questions: dict = {}
        self.cases: dict = {}
        self.hidden: dict = {}

        def get(ref):
            if "array" in ref:
                return np.array(arrays[ref["array"]], subok=False)
            return ref["literal"]

        for item in manifest["questions"]:
            q = _spec_from(item["spec"])
            self.questions[q.id] = q
            self.hidden[q.id] = item["hidden"]
            self.cases[q.id] = [
                Case(q.id, c["index"], c["points"], c["public"], c["dims"], c["seed"],
                     inputs={k: get(v) for k, v in c["inputs"].items()},
                     expected={k: get(v) for k, v in c["expected"].items()},
                     mistakes={k: {n: get(v) for n, v in m.items()}
                               for k, m in c["mistakes"].items()},
                     ref_forward=None if c["ref_forward"] is None else
                     {k: get(v) for k, v in c["ref_forward"].items()},
                     name=c.get("name", ""))
                for c in item["cases"]
            ]

    @classmethod
    def from_assignment(cls, assignment, lang: str | None = None) -> Checks:
        """Every test (hidden ones too) of an assignment: the instructor's ``check``."""
        manifest, arrays = build_manifest(assignment, include_hidden=True)
        return cls(manifest, arrays, lang, instructor=True)

    def run(self, qid: str, namespace: dict, timeout: float = 10.0) -> list[TestResult]:
        """Run question ``qid``'s tests on the functions of ``namespace``; the verdicts.

        A question whose answer would fail when graded although it runs here (it uses
        the set-up cell or ``course_rnn``: ``grading_problems``) fails every test, with
        the grader's words, without being run.
        """
        q = self.questions[qid]
        problem = grading_problems(q, namespace, self.setup)
        if problem is not None:
            return [flagged_result(q, case, problem, self.lang) for case in self.cases[qid]]
        return [judge(q, case, run_in_kernel(q, case, namespace, timeout), self.lang)
                for case in self.cases[qid]]

    def report(self, qid: str, results: list[TestResult]) -> str:
        """The text that ``check`` prints for one question."""
        q = self.questions[qid]
        lang = self.lang
        title = q.function or q.variable or ""
        head = say("header", lang, qid=qid, function=title)
        public = [r for r in results if r.public] if not self.instructor else results
        passed = sum(r.passed for r in public)
        points = sum(r.points for r in public)
        total = sum(r.max_points for r in public)
        lines = []
        if q.kind in CONCEPTUAL:
            r = results[0]
            mark = "✓ " if r.passed else ("" if r.status in ("recorded", "manual") else "✗ ")
            text = " ".join(r.lines) if r.lines else say("passed", lang)
            return "\n".join([f"{head}: {mark}{text}"] + [
                "    " + say("hint", lang, text=h) for h in dict.fromkeys(r.hints)])
        key = "all" if self.instructor else ""
        if passed == len(public):
            lines.append(f"{head}: ✓ " + say(f"summary_pass{key and '_all'}", lang, n=len(public),
                                              points=points, total=total))
        else:
            lines.append(f"{head}: " + say(f"summary_fail{key and '_all'}", lang, n=len(public),
                                          passed=passed, points=points, total=total))
        for r in public:
            if r.passed:
                continue
            label = say("test_label" if r.public else "hidden_label", lang, k=r.index + 1)
            lines.append(f"  ✗ {label}" + (f" ({r.inputs})" if r.inputs else ""))
            lines += [f"    {line}" for line in r.lines]
            lines += ["    " + say("hint", lang, text=h) for h in dict.fromkeys(r.hints)]
        hidden = self.hidden.get(qid, {})
        if hidden.get("count"):
            lines.append("  " + say("hidden_note", lang, n=hidden["count"],
                                    points=hidden["points"]))
        return "\n".join(lines)

    def __call__(self, qid: str | None = None, namespace: dict | None = None) -> None:
        """Run and print the checks of ``qid`` (all questions when None)."""
        if namespace is None:
            namespace = sys._getframe(1).f_globals
        ids = list(self.questions) if qid is None else [qid]
        for one in ids:
            if one not in self.questions:
                print(say("unknown_question", self.lang, qid=one, ids=", ".join(self.questions)))
                continue
            print(self.report(one, self.run(one, namespace)))


# ----------------------------------------------------------------------------- grader's view


def setup_snapshot(namespace: dict) -> dict:
    """What the set-up cell bound: ``{name: object}`` of ``namespace`` when ``load_checks`` ran.

    Names the grader provides too (``np``, ``check``), IPython's own (``In``, ``Out``,
    ``_``...) and private names are left out.
    """
    skip = GRADER_NAMES | {"In", "Out", "get_ipython", "exit", "quit", "open"}
    return {k: v for k, v in namespace.items() if not k.startswith("_") and k not in skip}


def _from_package(value) -> str | None:
    """The ``course_rnn`` module ``value`` comes from, or None."""
    if isinstance(value, types.ModuleType):
        name = value.__name__
    else:
        name = getattr(value, "__module__", None)
        if not isinstance(name, str):
            name = getattr(type(value), "__module__", "")
    if isinstance(name, str) and (name == PACKAGE or name.startswith(PACKAGE + ".")):
        return name
    return None


def _global_names(code: types.CodeType):
    """``(names read as globals, modules imported)`` by ``code`` and the code nested in it."""
    names, imports = [], []
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(ins.argval, str):
            names.append(ins.argval)
        elif ins.opname == "IMPORT_NAME" and isinstance(ins.argval, str):
            imports.append(ins.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            more, more_imports = _global_names(const)
            names += more
            imports += more_imports
    return names, imports


def _defined_in(source: str, name: str) -> bool:
    """Whether a cell's source binds ``name`` at its top level (def, class, =, import)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                return True
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(n, ast.Name) and n.id == name
                   for t in targets for n in ast.walk(t)):
                return True
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                return True
    return False


def _imports_package(source: str) -> bool:
    """Whether a cell imports ``course_rnn`` (``import course_rnn...``, ``from course_rnn...``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
                a.name.split(".")[0] == PACKAGE for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == PACKAGE:
            return True
    return False


def grading_problems(q: QuestionSpec, namespace: dict, setup: dict | None = None):
    """Why ``q``'s answer would fail when graded though it runs here, or None.

    Returns ``("setup", function, name)`` when an answer function (or a function of the
    learner's that it calls) reads a global that is still the object the set-up cell
    bound (``setup``: ``setup_snapshot`` at ``load_checks`` time), ``("course_rnn",
    function, name)`` when it is, reads or imports anything of ``course_rnn``, or when
    the cell that defines the answer imports ``course_rnn`` (IPython's ``In`` history).
    """
    setup = setup or {}
    names = [st["function"] for st in q.steps] if q.steps else []
    if q.gradcheck:
        names.append(q.gradcheck["forward"]["function"])
    answer_names = list(dict.fromkeys(names + ([q.variable] if q.variable else [])))
    history = namespace.get("In")
    if isinstance(history, list):  # IPython: the cells as run, the last run last
        for name in answer_names:
            cells = [str(c) for c in history if isinstance(c, str) and _defined_in(c, name)]
            if cells and _imports_package(cells[-1]) and "load_checks" not in cells[-1]:
                return ("course_rnn", name, PACKAGE)
    seen: set = set()
    todo = [(n, namespace.get(n)) for n in dict.fromkeys(names)]
    while todo:
        owner, fn = todo.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        if fn is None:
            continue
        if _from_package(fn):
            return ("course_rnn", owner, getattr(fn, "__name__", owner))
        code = getattr(fn, "__code__", None)
        glob = getattr(fn, "__globals__", None)
        if not isinstance(code, types.CodeType) or not isinstance(glob, dict):
            continue
        reads, imports = _global_names(code)
        if any(m.split(".")[0] == PACKAGE for m in imports):
            return ("course_rnn", owner, PACKAGE)
        for name in dict.fromkeys(reads):
            if name in GRADER_NAMES or name not in glob:
                continue
            value = glob[name]
            if _from_package(value):
                return ("course_rnn", owner, name)
            if name in setup and setup[name] is value and glob is namespace:
                return ("setup", owner, name)
            if isinstance(value, types.FunctionType) and value.__globals__ is glob:
                todo.append((owner, value))  # a helper of the learner's: what does it use?
    return None


def flagged_result(q: QuestionSpec, case: Case, problem: tuple, lang: str) -> TestResult:
    """The failed test of an answer that ``grading_problems`` flagged: the grader's words."""
    kind, function, name = problem
    if kind == "setup":
        lines = [say("exception", lang, function=function, type="NameError",
                     message=f"name '{name}' is not defined")]
        hints = [say("hint_setup_name", lang, name=name)]
    else:
        lines = [say("exception", lang, function=function, type="ModuleNotFoundError",
                     message=f"No module named '{PACKAGE}'")]
        hints = [say("hint_course_rnn", lang)]
    return TestResult(case.qid, case.index, case.public, 0.0, case.points, "error", lines, hints,
                      describe_inputs(case))


def _is_user(filename: str) -> bool:
    return not filename.startswith(PACKAGE_DIR) and "site-packages" not in filename \
        and not filename.startswith(os.path.dirname(np.__file__))


class _KernelTimeout(Exception):
    pass


def run_in_kernel(q: QuestionSpec, case: Case, namespace: dict, timeout: float) -> dict:
    """Run one test on the learner's functions in this process; a message for ``judge``.

    The same message the sandbox sends: ``{"outputs": ...}`` or ``{"error": ...}``.
    A time limit applies on Unix when called from the main thread (``SIGALRM``).
    """
    if q.kind in CONCEPTUAL:
        value = namespace.get(q.variable, None)
        if q.kind == "text" and isinstance(value, str):
            return {"outputs": {q.variable: {"t": "str", "v": value[:MAX_TEXT],
                                             "n": len(value)}}}
        return {"outputs": {q.variable: encode(value)}}
    use_alarm = (hasattr(signal, "setitimer") and threading.current_thread() is
                 threading.main_thread())
    old = None
    if use_alarm:
        def on_alarm(signum, frame):
            raise _KernelTimeout()
        old = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, float(q.timeout or timeout))
    inputs = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in case.inputs.items()}
    try:
        counts: dict = {}
        watch = q.gradcheck["forward"]["function"] if q.gradcheck else None
        values = run_steps(namespace, q.steps, dict(inputs), watch=watch, counts=counts)
        msg = {"outputs": {n: encode(values.get(n)) for n in q.compare}}
        if q.gradcheck:
            msg["forward_calls"] = int(counts.get("calls", 0))
            probe = {"steps": [q.gradcheck["forward"]],
                     "wrt": list(dict.fromkeys(q.gradcheck["wrt"].values())),
                     "out": list(q.gradcheck["loss"]), "eps": q.gradcheck["eps"]}
            got = perturbed_outputs(namespace, probe, inputs)
            msg["probe"] = {"base": {o: encode(v) for o, v in got["base"].items()},
                            "moved": {o: {w: [encode(v) for v in vs] for w, vs in per.items()}
                                      for o, per in got["moved"].items()}}
        return msg
    except _KernelTimeout:
        return {"error": {"type": "Timeout", "message": f"{float(q.timeout or timeout):g} s"}}
    except StepError as exc:
        info = dict(exc.info)
        type_name = info.pop("type", None)  # the called value's type, not the error's
        return {"error": {**info, "type": "StepError", "kind": exc.kind, "type_name": type_name}}
    except Exception as exc:
        err = describe_exception(exc, _is_user)
        return {"error": err}
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def packaged_checks(name: str, lang: str):
    """The ``released/<lang>/NAME.checks.npz`` shipped in the package, or None."""
    try:
        path = resources.files(__package__).joinpath(RELEASED, lang, f"{name}.checks.npz")
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - a broken installation
        return None
    return path if path.is_file() else None


def load_checks(name: str, lang: str | None = None, folder=None) -> Checks:
    """The checks of exercise notebook ``name`` (e.g. ``"01_recurrent_cell"``).

    Looks, in this order, for

    1. ``NAME.checks.npz`` in ``folder`` (default: the current folder, which is the
       notebook's in Jupyter), as ``course-rnn release`` writes it beside the student
       notebook (an instructor's own exercises);
    2. an instructor notebook ``NAME.ipynb`` in ``folder``: the instructor's checks
       (every test, hidden ones included);
    3. the released copy shipped in the package, ``released/<lang>/NAME.checks.npz``
       (the course's exercises: a student notebook downloaded from the book, or opened
       in Colab, needs no second file).

    ``lang`` ("ko" or "en") chooses the language of the messages and of the packaged
    copy (both when None). Used by the exercises of every chapter.

    Called from a notebook's set-up cell, it also notes what that cell defined
    (``setup_snapshot``), so that ``check`` can flag answers that use it: the grader
    does not run the set-up cell.
    """
    checks = _find_checks(name, lang, folder)
    caller = sys._getframe(1).f_globals
    if caller.get("__name__") == "__main__":  # a notebook's kernel (or a script)
        checks.setup = setup_snapshot(caller)
    return checks


def _find_checks(name: str, lang: str | None, folder) -> Checks:
    """``load_checks`` without the set-up snapshot: the checks file, notebook or copy."""

    folder = Path(folder) if folder is not None else Path.cwd()
    stem = name[: -len(".checks.npz")] if name.endswith(".checks.npz") else Path(name).stem
    npz = folder / f"{stem}.checks.npz"
    if npz.is_file():
        return Checks(*read_checks_file(npz), lang)
    notebook = folder / f"{stem}.ipynb"
    if notebook.is_file():
        from course_rnn.grading.assignment import load_assignment
        from course_rnn.grading.spec import FormatError, parse_instructor

        try:
            parse_instructor(notebook)
        except FormatError:
            pass
        else:
            return Checks.from_assignment(load_assignment(notebook), lang)
    for one in (lang,) if lang in LANGS else LANGS:
        packaged = packaged_checks(stem, one)
        if packaged is not None:
            with resources.as_file(packaged) as path:
                return Checks(*read_checks_file(path), lang)
    where = f"{RELEASED}/{lang if lang in LANGS else '<ko|en>'}/{npz.name}"
    msg = {"en": f"no checks for {stem}: {npz.name} is not in {folder}, and the installed "
                 f"course_rnn has no {where}. Keep the name the notebook came with, update the "
                 "package (pip install -U the line of the set-up cell), or put the "
                 f"{npz.name} that came with the notebook beside it.",
           "ko": f"{stem}의 검사를 찾지 못했습니다. {folder}에 {npz.name} 파일이 없고, 설치된 "
                 f"course_rnn에도 {where}가 없습니다. 노트북 이름을 받은 그대로 두거나, 패키지를 "
                 "새로 설치하거나(준비 셀의 pip install 줄에 -U를 붙여 실행), 노트북과 함께 받은 "
                 f"{npz.name} 파일을 노트북과 같은 폴더에 두세요."}
    raise FileNotFoundError(msg.get(lang or "en", msg["en"]))
