"""Every public function of course_rnn documents itself as the book needs it.

Layer functions (``*_forward``, ``*_backward``) must give their equation, the shapes of
their arguments, their torch equivalent and the chapter that teaches them; every other
public function and class at least a docstring that names its chapter (or, for the
course's tooling, says what it is for).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import course_rnn

ALL_MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(course_rnn.__path__, "course_rnn.")
    if m.name.rpartition(".")[2] != "__main__"  # `python -m` entry points run on import
)
# the course's tooling: a docstring that says what the module is for, no chapter needed
TOOLING = {
    "course_rnn.torch_ref.bench",
    "course_rnn.notebook",
    "course_rnn.figures.style",
    "course_rnn._validate",
    *(m for m in ALL_MODULES if m.startswith("course_rnn.grading.")),
}


def public_objects(module_name):
    module = importlib.import_module(module_name)
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


CASES = [(m, n, o) for m in ALL_MODULES for n, o in public_objects(m)]


def test_every_folder_is_walked():
    folders = {m.split(".")[1] for m in ALL_MODULES if m.count(".") >= 2}
    assert {"data", "figures", "experiments", "torch_ref", "forecast", "grading"} <= folders


@pytest.mark.parametrize("module_name", ALL_MODULES)
def test_module_docstring_names_its_chapter(module_name):
    doc = (importlib.import_module(module_name).__doc__ or "").strip()
    if module_name in TOOLING:
        # tooling: one sentence at least that says what the module is for
        assert len(doc) > 40 and "." in doc, f"{module_name}: no docstring saying what it is for"
    else:
        assert re.search(r"chapter", doc, re.I), f"{module_name}: module docstring names no chapter"


@pytest.mark.parametrize(
    ("module_name", "name", "obj"), CASES, ids=[f"{m}.{n}" for m, n, _ in CASES]
)
def test_public_objects_are_documented(module_name, name, obj):
    doc = inspect.getdoc(obj) or ""
    if inspect.isclass(obj) and issubclass(obj, tuple):
        return  # NamedTuples of gradients / caches: their named fields document them
    assert len(doc) > 20, f"{module_name}.{name} has no docstring"
    if re.search(r"_(forward|backward)$", name):
        assert ":math:" in doc or ".. math::" in doc, f"{name}: no equation"
        assert re.search(r"\(N\b|\(T\b|shape", doc), f"{name}: no shapes"
        assert "torch" in doc.lower(), f"{name}: no torch equivalent"
        assert re.search(r"chapter \d", doc, re.I), f"{name}: no chapter"
