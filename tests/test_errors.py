"""The one exception map: every error triage raises on purpose lives in ``triage.errors``."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import triage
from triage import errors

PACKAGE = Path(triage.__file__).parent
CLASSES = [
    obj
    for obj in vars(errors).values()
    if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == errors.__name__
]


def test_every_error_subclasses_triage_error() -> None:
    """Each class in the map is a TriageError, so one ``except TriageError`` catches them all."""
    assert len(CLASSES) >= 25
    assert all(issubclass(c, errors.TriageError) for c in CLASSES)


def test_the_docstring_draws_every_class() -> None:
    """The hierarchy in the module docstring names every class, with its parent above it."""
    doc = errors.__doc__ or ""
    missing = [c.__name__ for c in CLASSES if f"── {c.__name__}" not in doc and c is not errors.TriageError]
    assert missing == []
    for c in CLASSES:
        if c is errors.TriageError:
            continue
        parent = next(b for b in c.__mro__[1:] if b in CLASSES)
        assert doc.index(parent.__name__) < doc.index(f"── {c.__name__}"), c.__name__


def test_builtins_refined_are_subclassed() -> None:
    """An error that refines a builtin can still be caught as that builtin."""
    assert issubclass(errors.TreeError, ValueError)
    assert issubclass(errors.NotFound, LookupError)
    assert issubclass(errors.NoFreeSlot, LookupError)
    assert issubclass(errors.Refused, ValueError)
    assert issubclass(errors.StoreError, RuntimeError)
    assert issubclass(errors.SessionError, RuntimeError)


def test_no_exception_class_is_defined_outside_the_map() -> None:
    """No module but ``triage/errors.py`` defines an exception class (private control flow aside)."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if any(
                    b.endswith(("Error", "Exception")) or b in {c.__name__ for c in CLASSES} for b in bases
                ):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert found == []


def test_names_are_unique() -> None:
    """No two exception classes share a name anywhere in triage."""
    names = [c.__name__ for c in CLASSES]
    assert len(names) == len(set(names))


def test_all_lists_every_class() -> None:
    """``from triage.errors import *`` gives every class of the map."""
    assert {c.__name__ for c in CLASSES} <= set(errors.__all__)
