"""The house plan of ``src/course_rnn``: who may import whom.

- core: the modules at the top of the package (``rnn``, ``lstm``, ..., ``_validate``; not
  ``__init__`` nor ``notebook``);
- ``data/``, ``figures/``, ``experiments/``, ``torch_ref/``, ``forecast/``, ``grading/``:
  the folders.

Every module is read with :mod:`ast` (never imported); every ``import`` and
``from ... import`` counts, those inside functions too. The rules:

(a) core imports only core;
(b) ``data/`` imports only ``course_rnn._validate`` (and ``data/`` itself);
(c) ``experiments/`` and ``forecast/`` import core, ``data/``, ``torch_ref/`` and their own
    folder; ``torch_ref/`` imports core and ``torch_ref/`` only;
(d) nothing imports ``figures/`` but ``notebook.py`` (and ``figures/`` itself); ``figures/``
    imports core, ``data/``, ``experiments/``, ``forecast/`` (the labels of the forecasting
    table) and ``figures/``;
(e) ``grading/`` imports nothing of the package outside ``grading/``;
(f) no circle of imports among the modules (an import of a package ``course_rnn.x`` is
    an import of ``course_rnn/x/__init__.py``);
(g) no ``_private`` name imported from another folder (a private *module* such as
    ``course_rnn._validate`` is fine: its names are public);
(h) ``import course_rnn`` loads neither torch nor matplotlib.

:func:`check_layout` takes the package's folder, so that the same rules can be tried on a
modified copy of the tree.
"""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "course_rnn"
NAME = "course_rnn"

RULES = {
    "a": "core modules import only core modules",
    "b": "data/ imports only course_rnn._validate and data/",
    "c": "experiments/ and forecast/ import core, data/, torch_ref/ and their own folder; "
    "torch_ref/ imports core and torch_ref/ only",
    "d": "only notebook.py (and figures/) import figures/; figures/ imports core, data/, "
    "experiments/, forecast/ and figures/",
    "e": "grading/ imports nothing of the package outside grading/",
    "f": "no circle of imports among the modules",
    "g": "no _private name imported from another folder",
    "h": "import course_rnn loads neither torch nor matplotlib",
}
ALLOWED = {  # rule (c) and (d): the layers a folder may import
    "experiments": {"core", "data", "torch_ref", "experiments"},
    "forecast": {"core", "data", "torch_ref", "forecast"},
    "torch_ref": {"core", "torch_ref"},
    "figures": {"core", "data", "experiments", "forecast", "figures"},
}
HEAVY = ("torch", "matplotlib")


@dataclass(frozen=True)
class Import:
    """One imported module (and, for ``from m import name``, the name) at one line."""

    importer: str  # module name of the importing file
    file: str  # its path, for messages
    line: int
    target: str  # the module imported (a submodule when ``from pkg import submodule``)
    name: str | None = None  # the imported name when it is not a module

    @property
    def what(self) -> str:
        return f"{self.target}.{self.name}" if self.name else self.target


def modules_of(root: Path) -> dict[str, Path]:
    """Module name -> file for every ``.py`` file under ``root`` (packages as their
    ``__init__``)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join((NAME, *parts))] = path
    return out


def imports_of(root: Path) -> list[Import]:
    """Every import of the package's own modules, in every module under ``root``."""
    modules = modules_of(root)
    display = root.parent.parent
    found = []
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        package = module if is_package else module.rpartition(".")[0]
        file = str(path.relative_to(display))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == NAME or alias.name.startswith(NAME + "."):
                        found.append(Import(module, file, node.lineno, alias.name))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from . import x, from ..y import z
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                if base != NAME and not base.startswith(NAME + "."):
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in modules:  # from pkg import submodule
                        found.append(Import(module, file, node.lineno, sub))
                    else:
                        name = None if alias.name == "*" else alias.name
                        found.append(Import(module, file, node.lineno, base, name))
    return found


def layer(module: str, packages: set[str]) -> str:
    """``init`` (the package's ``__init__``), ``notebook``, ``core`` or the folder's name."""
    parts = module.split(".")
    if len(parts) == 1:
        return "init"
    if len(parts) == 2 and module not in packages:
        return "notebook" if parts[1] == "notebook" else "core"
    return parts[1]


def folder(module: str, modules: dict[str, Path]) -> str:
    """The package whose folder holds the module's file."""
    if modules.get(module, Path()).name == "__init__.py":
        return module
    return module.rpartition(".")[0] or module


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module, or a self-import
    (Tarjan's algorithm)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges.get(v, ()):
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def heavy_imports(root: Path) -> list[str]:
    """The modules of :data:`HEAVY` that ``import course_rnn`` (from ``root``) loads, in a
    fresh interpreter."""
    root = root.resolve()
    code = (
        f"import sys; sys.path.insert(0, {str(root.parent)!r}); import {NAME}; "
        f"assert {NAME}.__file__.startswith({str(root)!r}), {NAME}.__file__; "
        f"import json; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root.parent
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_layout(root: Path, rules=tuple(RULES)) -> dict[str, list[str]]:
    """Rule letter -> the violations found in the package at ``root`` (one message each,
    naming the file, the line, the imported module and the rule)."""
    root = root.resolve()
    modules = modules_of(root)
    packages = {m for m, p in modules.items() if p.name == "__init__.py"}
    found: dict[str, list[str]] = {rule: [] for rule in rules}

    def report(rule, imp, why=""):
        if rule in found:
            found[rule].append(
                f"{imp.file}:{imp.line}: imports {imp.what}{why} -- rule ({rule}): {RULES[rule]}"
            )

    edges: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], Import] = {}
    for imp in imports_of(root):
        src, dst = layer(imp.importer, packages), layer(imp.target, packages)
        if imp.target != imp.importer:
            edges[imp.importer].add(imp.target)
            where.setdefault((imp.importer, imp.target), imp)
        if src == "core" and dst != "core":
            report("a", imp, f" ({dst})")
        if src == "data" and dst != "data" and imp.target != f"{NAME}._validate":
            report("b", imp, f" ({dst})")
        if src in ("experiments", "forecast", "torch_ref") and dst not in ALLOWED[src]:
            report("c", imp, f" ({dst})")
        if dst == "figures" and src not in ("figures", "notebook"):
            report("d", imp, f" (figures, imported from {src})")
        if src == "figures" and dst not in ALLOWED["figures"]:
            report("d", imp, f" ({dst})")
        if src == "grading" and dst != "grading":
            report("e", imp, f" ({dst})")
        if (
            imp.name
            and imp.name.startswith("_")
            and not (imp.name.startswith("__") and imp.name.endswith("__"))
            and folder(imp.target, modules) != folder(imp.importer, modules)
        ):
            into = folder(imp.importer, modules)
            report("g", imp, f" (a private name of {imp.target}, into {into})")
    if "f" in found:
        for component in cycles(edges):
            inside = set(component)
            steps = [where[a, b] for a in component for b in sorted(edges[a]) if b in inside]
            found["f"].append(
                f"circle among {', '.join(component)}: "
                + "; ".join(f"{s.file}:{s.line}: imports {s.target}" for s in steps)
                + f" -- rule (f): {RULES['f']}"
            )
    if "h" in found:
        for heavy in heavy_imports(root):
            found["h"].append(f"{NAME}/__init__.py: `import {NAME}` loads {heavy} -- "
                              f"rule (h): {RULES['h']}")  # fmt: skip
    return found


@functools.cache
def violations() -> dict[str, list[str]]:
    return check_layout(PACKAGE)


IDS = {
    "a": "a-core-imports-core",
    "b": "b-data-imports-validate",
    "c": "c-experiments-forecast-torch_ref",
    "d": "d-figures-for-notebook-only",
    "e": "e-grading-alone",
    "f": "f-no-circles",
    "g": "g-no-private-names-across-folders",
    "h": "h-import-loads-no-torch-matplotlib",
}


@pytest.mark.parametrize("rule", list(RULES), ids=[IDS[r] for r in RULES])
def test_layout(rule):
    broken = violations()[rule]
    assert not broken, f"rule ({rule}) broken:\n" + "\n".join(broken)


def test_the_checker_reads_every_kind_of_import(tmp_path):
    """Imports inside functions, relative imports and ``from package import module`` are
    all seen (on a tiny package written here)."""
    root = tmp_path / "src" / NAME
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "core.py").write_text("def f():\n    from course_rnn.sub import mod\n")
    (root / "sub" / "__init__.py").write_text("from . import mod\n")
    (root / "sub" / "mod.py").write_text("import os\nfrom ..core import f as _f\n")
    seen = {(i.importer, i.line, i.target, i.name) for i in imports_of(root)}
    assert seen == {
        (f"{NAME}.core", 2, f"{NAME}.sub.mod", None),
        (f"{NAME}.sub", 1, f"{NAME}.sub.mod", None),
        (f"{NAME}.sub.mod", 2, f"{NAME}.core", "f"),
    }
    assert set(modules_of(PACKAGE)) >= {f"{NAME}.rnn", f"{NAME}.grading._worker", f"{NAME}.data"}
