r"""The exercise format: questions, tests and solution regions of an instructor notebook.

Used by the exercises of every chapter; the format is described in ``exercises/README.md``
(and on the instructors' page of chapter 0). In short, an instructor notebook holds

- a raw cell ``# QUESTION q1`` followed by a Python literal (a dict) per question: the
  function the learner writes, how the grader draws each argument (``"normal(N, D)"``),
  the names of what it returns, the tests (sizes, seed, points, ``"hidden": True``)
  and known wrong variants (``"mistakes"``) that turn a failure into a hint;
- code cells with the solution between ``# BEGIN SOLUTION`` and ``# END SOLUTION``
  (or a line ending in ``# SOLUTION``, or a cell tagged ``solution``): the markers of
  otter-grader;
- code cells that start with ``# HIDDEN`` (or are tagged ``hidden``): the wrong
  variants and anything else the learner must not see;
- ``check("q1")`` cells, which the learner runs for instant feedback.

Nothing in a question's dict is executed: it is read with ``ast.literal_eval``, and the
argument generators are a tiny language (``normal``, ``uniform``, ``integers``,
``zeros``, ``ones`` of sizes such as ``N``, ``D + H``) evaluated here.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

LANGS = ("ko", "en")
KINDS = ("function", "choice", "number", "text")
CONCEPTUAL = ("choice", "number", "text")  # questions answered by a variable, not a function
REF_TOL = 1e-12  # gradient questions: relative error allowed against the course's solution
MAX_TEXT = 4096  # characters of a free-text answer kept in the feedback
SOLUTION_BEGIN = re.compile(r"^(\s*)#\s*BEGIN SOLUTION(\s+NO PROMPT)?\s*$")
SOLUTION_END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
SOLUTION_LINE = re.compile(r"^(\s*)(.*?)\s*#\s*SOLUTION\s*$")
ASSIGN = re.compile(r"^([A-Za-z_][\w\.\[\]\"', ]*?)\s*=(?!=)")
QUESTION_ID = re.compile(r"^q\w*$")
ASSIGNMENT_KEYS = {"id", "lang", "cell_timeout", "call_timeout", "budget", "memory_mb",
                   "fsize_mb"}
PROMPT = {"ko": "# 여기에 코드를 쓰세요", "en": "# YOUR CODE HERE"}


class FormatError(ValueError):
    """An instructor notebook that does not follow the exercise format (chapter 0's page)."""


# ----------------------------------------------------------------------------- notebooks


def read_notebook(path) -> dict:
    """Read a notebook as plain JSON (no validation: submissions may be anything)."""
    text = Path(path).read_text(encoding="utf-8")
    nb = json.loads(text)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("not a notebook: no list of cells")
    return nb


def cell_source(cell: dict) -> str:
    """The source of a notebook cell as one string (nbformat allows a list of lines)."""
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(str(s) for s in src)
    return str(src)


def cell_tags(cell: dict) -> set:
    """The cell's tags (``metadata.tags``)."""
    meta = cell.get("metadata")
    tags = meta.get("tags", []) if isinstance(meta, dict) else []
    return {str(t) for t in tags} if isinstance(tags, list) else set()


def first_line(source: str) -> str:
    """The first non-empty line of a cell, stripped."""
    for line in source.splitlines():
        if line.strip():
            return line.strip()
    return ""


def is_setup_cell(source: str) -> bool:
    """The set-up cell (installs/imports ``course_rnn``); the grader never runs it."""
    return "course_rnn" in source


def is_hidden(cell: dict) -> bool:
    """A cell the learner must not see (``# HIDDEN`` first line or tag ``hidden``)."""
    head = first_line(cell_source(cell)).upper()
    return "hidden" in cell_tags(cell) or head.startswith("# HIDDEN")


def graded_code_cells(nb: dict) -> list[str]:
    """The code cells that the grader runs, in order: every code cell but the set-up cell.

    The set-up cell is the first code cell that mentions ``course_rnn`` (chapter 0's
    convention); in the sandbox ``np`` and a do-nothing ``check`` stand in for it.
    """
    sources = [cell_source(c) for c in nb["cells"] if c.get("cell_type") == "code"]
    for i, src in enumerate(sources):
        if is_setup_cell(src):
            return sources[:i] + sources[i + 1 :]
        if src.strip():
            break
    return sources


# ----------------------------------------------------------------------------- generators


_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.FloorDiv: lambda a, b: a // b}


def _eval_size(node, dims: dict):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in dims:
            raise FormatError(f"unknown size {node.id!r} (the test's dims are {sorted(dims)})")
        return dims[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval_size(node.operand, dims)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_eval_size(node.left, dims), _eval_size(node.right, dims))
    raise FormatError(f"not allowed in a generator: {ast.dump(node)}")


GENERATORS = ("normal", "uniform", "integers", "zeros", "ones")


def is_generator(value) -> bool:
    """Whether an argument spec is a generator string such as ``"normal(N, D)"``."""
    return isinstance(value, str) and re.match(r"^\s*[a-z]+\s*\(", value) is not None


def generate(spec, dims: dict, rng: np.random.Generator):
    """Draw one argument from its spec: a generator string, or a literal.

    ``normal(N, D, scale=0.5)``, ``uniform(D, H, low=-1, high=1)``,
    ``integers(N, T, low=0, high=V)``, ``zeros(N, H)``, ``ones(H)``; every
    generator takes ``dtype="float32"`` too. Positional arguments are the shape, in
    sizes of ``dims`` (``D + H`` is allowed). A literal (``None``, a number, a list,
    a string that is not a call) is passed as it is (lists as float arrays).
    """
    if not is_generator(spec):
        if isinstance(spec, list):
            return np.array(spec, dtype=np.float64)
        return copy.deepcopy(spec)
    try:
        tree = ast.parse(spec.strip(), mode="eval").body
    except SyntaxError as exc:
        raise FormatError(f"bad generator {spec!r}: {exc}") from None
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)):
        raise FormatError(f"bad generator {spec!r}")
    name = tree.func.id
    if name not in GENERATORS:
        raise FormatError(f"unknown generator {name!r} in {spec!r}; known: {GENERATORS}")
    shape = tuple(int(_eval_size(a, dims)) for a in tree.args)
    kw = {k.arg: _eval_size(k.value, dims) for k in tree.keywords}
    dtype = np.dtype(kw.pop("dtype", "float64"))
    if name == "normal":
        out = rng.normal(kw.pop("loc", 0.0), kw.pop("scale", 1.0), size=shape)
    elif name == "uniform":
        out = rng.uniform(kw.pop("low", -1.0), kw.pop("high", 1.0), size=shape)
    elif name == "integers":
        out = rng.integers(kw.pop("low", 0), kw.pop("high", 10), size=shape)
        dtype = np.dtype(np.int64) if dtype == np.float64 else dtype
    elif name == "zeros":
        out = np.zeros(shape)
    else:
        out = np.ones(shape)
    if kw:
        raise FormatError(f"unknown keyword(s) {sorted(kw)} in {spec!r}")
    return np.asarray(out).astype(dtype)


# ----------------------------------------------------------------------------- questions


@dataclass
class TestSpec:
    """One test of a question: sizes, seed, points, visibility, argument overrides."""

    index: int
    points: float
    dims: dict
    seed: int
    hidden: bool = False
    args: dict = field(default_factory=dict)
    name: str = ""


@dataclass
class QuestionSpec:
    """A question as written in its ``# QUESTION`` raw cell (see ``parse_question``)."""

    id: str
    kind: str
    raw: dict
    steps: list = field(default_factory=list)
    inputs: dict = field(default_factory=dict)
    compare: list = field(default_factory=list)
    tests: list = field(default_factory=list)
    mistakes: dict = field(default_factory=dict)
    gradcheck: dict | None = None
    variable: str | None = None
    choices: list | None = None
    rtol: float = 1e-7
    atol: float = 1e-9
    dtype: str = "strict"
    timeout: float | None = None
    public: bool = False
    title: dict = field(default_factory=dict)

    @property
    def function(self) -> str | None:
        """The learner's function: that of the last step."""
        return self.steps[-1]["function"] if self.steps else None

    @property
    def points(self) -> float:
        """Total points of the question."""
        return float(sum(t.points for t in self.tests))


def _literal(text: str, where: str):
    body = "\n".join(text.splitlines()[1:]).strip()
    try:
        return ast.literal_eval(body) if body else {}
    except (ValueError, SyntaxError) as exc:
        raise FormatError(f"{where}: not a Python literal ({exc})") from None


def _need(cond, msg):
    if not cond:
        raise FormatError(msg)


def parse_question(qid: str, raw: dict) -> QuestionSpec:
    """Check one question's dict and normalise it into a ``QuestionSpec``.

    Function questions: ``function`` + ``args`` (name -> generator or literal) +
    ``returns`` (names), or the general form ``inputs`` + ``steps`` (a list of
    ``{"function", "args", "returns"}``, later steps using what earlier ones returned);
    ``compare`` names what is compared (default: the last step's returns). Conceptual
    questions: ``{"kind": "choice", "variable": "q5_answer", "choices": [...]}`` or
    ``{"kind": "number", "variable": ...}``, with ``points``; a free-text question
    ``{"kind": "text", "variable": "q7_answer", "points": 2}`` is graded by hand (the
    grader records the text and gives 0 of its points until the manual-points file
    sets them). See ``exercises/README.md``.
    """
    where = f"question {qid}"
    _need(isinstance(raw, dict), f"{where}: the cell must hold a dict")
    _need(QUESTION_ID.match(qid), f"{where}: ids look like q1, q2, q3a")
    kind = raw.get("kind", "function")
    _need(kind in KINDS, f"{where}: kind must be one of {KINDS}")
    known = {"kind", "function", "args", "kwargs", "returns", "inputs", "steps", "compare",
             "tests", "mistakes", "gradcheck", "rtol", "atol", "dtype", "timeout", "variable",
             "choices", "points", "public", "title"}
    unknown = set(raw) - known
    _need(not unknown, f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
    q = QuestionSpec(id=qid, kind=kind, raw=raw)
    q.rtol = float(raw.get("rtol", q.rtol))
    q.atol = float(raw.get("atol", q.atol))
    q.dtype = raw.get("dtype", "strict")
    _need(q.dtype in ("strict", "float", "any"), f"{where}: dtype is strict, float or any")
    q.timeout = raw.get("timeout")
    q.title = raw.get("title", {})
    if kind in CONCEPTUAL:
        q.variable = raw.get("variable")
        _need(isinstance(q.variable, str) and q.variable.isidentifier(),
              f"{where}: a {kind} question names its 'variable' (a Python name)")
        if kind == "text":
            extra = set(raw) - {"kind", "variable", "points", "title"}
            _need(not extra, f"{where}: a text question takes kind, variable, points and title "
                  f"only, not {sorted(extra)} (it is graded by hand)")
        q.public = bool(raw.get("public", False))
        points = raw.get("points", 1)
        _need(isinstance(points, (int, float)) and points > 0, f"{where}: points > 0")
        if kind == "choice":
            q.choices = [str(c) for c in raw.get("choices", [])]
            _need(len(q.choices) >= 2, f"{where}: a choice question lists its 'choices'")
        q.tests = [TestSpec(0, float(points), {}, 0, hidden=not q.public)]
        return q

    if "steps" in raw:
        _need("function" not in raw, f"{where}: give either 'function' or 'steps'")
        q.inputs = dict(raw.get("inputs", {}))
        steps = raw["steps"]
    else:
        _need(isinstance(raw.get("function"), str), f"{where}: name the learner's 'function'")
        q.inputs = dict(raw.get("args", {}))
        steps = [{"function": raw["function"], "args": list(q.inputs),
                  "kwargs": raw.get("kwargs", {}), "returns": raw.get("returns", ["out"])}]
    _need(isinstance(steps, list) and steps, f"{where}: 'steps' is a non-empty list")
    known_names = set(q.inputs)
    for k, st in enumerate(steps):
        _need(isinstance(st, dict) and isinstance(st.get("function"), str),
              f"{where}: step {k} needs a 'function'")
        st.setdefault("args", [])
        st.setdefault("kwargs", {})
        st.setdefault("returns", ["out"])
        missing = [a for a in st["args"] if a not in known_names]
        _need(not missing, f"{where}: step {k} uses {missing}, which no input or step provides")
        _need(isinstance(st["returns"], list) and st["returns"], f"{where}: 'returns' is a list")
        known_names |= set(st["returns"])
    q.steps = [dict(st) for st in steps]
    q.compare = list(raw.get("compare", q.steps[-1]["returns"]))
    bad = [c for c in q.compare if c not in known_names]
    _need(not bad, f"{where}: compare names {bad}, which nothing returns")

    tests = raw.get("tests")
    _need(isinstance(tests, list) and tests, f"{where}: 'tests' is a non-empty list")
    for i, t in enumerate(tests):
        _need(isinstance(t, dict), f"{where}: test {i} is a dict")
        extra = set(t) - {"dims", "seed", "points", "hidden", "args", "name"}
        _need(not extra, f"{where}: test {i} has unknown key(s) {sorted(extra)}")
        _need(isinstance(t.get("points"), (int, float)) and t["points"] >= 0,
              f"{where}: test {i} needs 'points'")
        overrides = dict(t.get("args", {}))
        _need(set(overrides) <= set(q.inputs), f"{where}: test {i} overrides unknown args")
        q.tests.append(TestSpec(i, float(t["points"]), dict(t.get("dims", {})),
                                int(t.get("seed", i)), bool(t.get("hidden", False)),
                                overrides, str(t.get("name", ""))))
    _need(any(not t.hidden for t in q.tests), f"{where}: at least one test must be public")

    for key, m in dict(raw.get("mistakes", {})).items():
        m = {"function": m} if isinstance(m, str) else dict(m)
        _need(isinstance(m.get("function"), str), f"{where}: mistake {key!r} names a function")
        m.setdefault("replaces", q.function)
        q.mistakes[str(key)] = m

    gc = raw.get("gradcheck")
    if gc is not None:
        _need(isinstance(gc, dict), f"{where}: gradcheck is a dict")
        fwd = gc.get("forward")
        _need(isinstance(fwd, dict) and isinstance(fwd.get("function"), str),
              f"{where}: gradcheck.forward is a step {{'function', 'args', 'returns'}}")
        fwd = {"function": fwd["function"], "args": list(fwd.get("args", [])),
               "kwargs": dict(fwd.get("kwargs", {})), "returns": list(fwd.get("returns", ["out"]))}
        _need(set(fwd["args"]) <= set(q.inputs), f"{where}: gradcheck.forward uses unknown args")
        loss = dict(gc.get("loss", {}))
        _need(loss and set(loss) <= set(fwd["returns"]) and set(loss.values()) <= set(q.inputs),
              f"{where}: gradcheck.loss maps forward outputs to upstream-gradient inputs")
        wrt = dict(gc.get("wrt", {}))
        _need(wrt and set(wrt) <= set(q.compare) and set(wrt.values()) <= set(fwd["args"]),
              f"{where}: gradcheck.wrt maps compared gradients to forward inputs")
        extra = set(gc) - {"forward", "loss", "wrt", "eps", "tol", "ref_tol"}
        _need(not extra, f"{where}: gradcheck has unknown key(s) {sorted(extra)}")
        ref_tol = float(gc.get("ref_tol", REF_TOL))
        _need(0 < ref_tol < 1e-8, f"{where}: gradcheck.ref_tol must be in (0, 1e-8): a looser "
              "tolerance lets a backward computed by finite differences pass")
        q.gradcheck = {"forward": fwd, "loss": loss, "wrt": wrt,
                       "eps": float(gc.get("eps", 1e-5)), "tol": float(gc.get("tol", 1e-6)),
                       "ref_tol": ref_tol}
    return q


def grading_seed(test_seed: int, salt: int | None) -> int:
    """The seed a public test is drawn with when graded: ``test_seed`` mixed with ``salt``.

    ``salt`` is the grading run's integer (chosen at random per run unless given, and
    recorded with the gradebook so that a regrade draws the same inputs); ``None``
    keeps ``test_seed`` (``check()`` and the release's validation use the stored
    inputs, which the learner sees). The mix is ``numpy.random.SeedSequence([salt,
    test_seed])``'s first 63-bit word: stable across numpy versions and machines.
    """
    if salt is None:
        return int(test_seed)
    salt, test_seed = int(salt), int(test_seed)
    if salt < 0 or test_seed < 0:
        raise ValueError(f"salt and seed must be non-negative integers, got {salt}, {test_seed}")
    word = np.random.SeedSequence([salt, test_seed]).generate_state(1, np.uint64)[0]
    return int(word) >> 1


def drawn_seed(test: TestSpec, salt: int | None) -> int:
    """The seed of ``test`` in a grading run with ``salt``: public tests re-drawn, hidden kept."""
    return test.seed if test.hidden else grading_seed(test.seed, salt)


def make_inputs(q: QuestionSpec, test: TestSpec, salt: int | None = None) -> dict:
    """The inputs of one test: every argument drawn in order from ``default_rng(seed)``.

    With a grading ``salt``, a public test is drawn with ``grading_seed(seed, salt)``
    instead (same sizes, same argument specs): a lookup table of the public expected
    outputs then matches nothing. Hidden tests keep their seeds.
    """
    rng = np.random.default_rng(drawn_seed(test, salt))
    specs = {**q.inputs, **test.args}
    return {name: generate(specs[name], test.dims, rng) for name in q.inputs}


# ----------------------------------------------------------------------------- notebook


@dataclass
class InstructorNotebook:
    """An instructor notebook, parsed: assignment id, language, questions, cells."""

    path: Path
    nb: dict
    id: str
    lang: str
    config: dict
    questions: list

    def question(self, qid: str) -> QuestionSpec:
        """The question with id ``qid``."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)


def parse_instructor(path) -> InstructorNotebook:
    """Read and check an instructor notebook (the format of ``exercises/README.md``)."""
    path = Path(path)
    try:
        nb = read_notebook(path)
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: cannot read the notebook ({exc})") from None
    config, questions = {}, []
    for i, cell in enumerate(nb["cells"]):
        src = cell_source(cell)
        head = first_line(src)
        if cell.get("cell_type") == "raw" and head.startswith("# ASSIGNMENT"):
            config = _literal(src, f"{path.name} cell {i} (# ASSIGNMENT)")
            _need(isinstance(config, dict), f"{path.name} cell {i}: # ASSIGNMENT holds a dict")
            unknown = set(config) - ASSIGNMENT_KEYS
            _need(not unknown, f"{path.name} cell {i}: unknown setting(s) {sorted(unknown)}; "
                  f"known: {sorted(ASSIGNMENT_KEYS)}")
        elif cell.get("cell_type") == "raw" and head.startswith("# QUESTION"):
            parts = head.split()
            _need(len(parts) == 3, f"{path.name} cell {i}: write '# QUESTION q1'")
            raw = _literal(src, f"{path.name} cell {i} (# QUESTION {parts[2]})")
            questions.append(parse_question(parts[2], raw))
        elif cell.get("cell_type") == "code":
            check_markers(src, f"{path.name} cell {i}")
    ids = [q.id for q in questions]
    _need(questions, f"{path}: no '# QUESTION' raw cell")
    _need(len(ids) == len(set(ids)), f"{path}: question ids repeat: {ids}")
    lang = config.get("lang", path.parent.name if path.parent.name in LANGS else "en")
    _need(lang in LANGS, f"{path}: lang must be one of {LANGS}")
    return InstructorNotebook(path, nb, str(config.get("id", path.stem)), lang, config, questions)


def check_markers(source: str, where: str) -> None:
    """Solution markers come in pairs, not nested."""
    inside = False
    for n, line in enumerate(source.splitlines(), 1):
        if SOLUTION_BEGIN.match(line):
            _need(not inside, f"{where} line {n}: BEGIN SOLUTION inside another")
            inside = True
        elif SOLUTION_END.match(line):
            _need(inside, f"{where} line {n}: END SOLUTION without BEGIN")
            inside = False
    _need(not inside, f"{where}: BEGIN SOLUTION without END SOLUTION")


def strip_solutions(source: str, lang: str, text_variables=()) -> str:
    """The learner's version of a code cell: solutions replaced by prompts.

    A region ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` becomes, inside a block, the
    comment ``# YOUR CODE HERE`` and ``raise NotImplementedError``, and ``...`` at the
    top level (``NO PROMPT`` after BEGIN: nothing). A line ``x = 3  # SOLUTION`` becomes
    ``x = ...``. These are otter-grader's markers. A line that sets one of
    ``text_variables`` (free-text answers) becomes ``q7_answer = ""``: the learner writes
    the answer in that string.
    """
    out, inside = [], False
    for line in source.splitlines():
        m = SOLUTION_BEGIN.match(line)
        if m:
            inside = True
            indent, no_prompt = m.group(1), bool(m.group(2))
            if not no_prompt:
                if indent:
                    out += [indent + PROMPT[lang], indent + "raise NotImplementedError"]
                else:
                    out.append("...")
            continue
        if SOLUTION_END.match(line):
            inside = False
            continue
        if inside:
            continue
        m = SOLUTION_LINE.match(line)
        if m:
            indent, code = m.group(1), m.group(2)
            a = ASSIGN.match(code)
            target = a.group(1).rstrip() if a else None
            blank = '""' if target in text_variables else "..."
            out.append(f"{indent}{target} = {blank}" if a else f"{indent}...")
            continue
        out.append(line)
    return "\n".join(out)


def student_notebook(inb: InstructorNotebook) -> dict:
    """The learner's notebook: no question cells, no hidden cells, no solutions, no outputs."""
    nb = copy.deepcopy(inb.nb)
    texts = {q.variable for q in inb.questions if q.kind == "text"}
    cells = []
    for cell in nb["cells"]:
        src = cell_source(cell)
        head = first_line(src)
        if cell.get("cell_type") == "raw" and head.startswith(("# QUESTION", "# ASSIGNMENT")):
            continue
        if cell.get("cell_type") == "code":
            if is_hidden(cell):
                continue
            tags = cell_tags(cell)
            if "solution" in tags:
                src = PROMPT[inb.lang] + "\n..."
            else:
                src = strip_solutions(src, inb.lang, texts)
            cell["source"] = src
            cell["outputs"] = []
            cell["execution_count"] = None
            meta = cell.setdefault("metadata", {})
            if "tags" in meta:
                meta["tags"] = [t for t in meta["tags"] if t not in ("solution", "hidden")]
                if not meta["tags"]:
                    del meta["tags"]
        cells.append(cell)
    nb["cells"] = cells
    nb.setdefault("metadata", {})["course_rnn"] = {
        "assignment": inb.id,
        "lang": inb.lang,
        "version": "student",
        "questions": [q.id for q in inb.questions],
    }
    return nb
