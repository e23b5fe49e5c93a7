"""Which interface keys the code uses: found by reading the source, written to ``messages.pot``.

:func:`extract` parses every ``.py`` file under a folder (``triage/``) and collects

* **direct** uses: the first argument of a call to ``t`` or ``tr`` when it is a string (``tr("ui.self.title")``,
  either branch of ``t("yesno.yes" if v else "yesno.no")``), with file and line;
* **indirect** uses: any other string in the code that is a key of the catalog (``_TITLES = {...:
  "ui.self.next_title"}``, passed to ``tr`` later);
* **families**: an f-string key's constant start (``tr(f"ui.walk.category.{c}")`` uses every
  ``ui.walk.category.*`` key), and a string naming a folder of keys (``"ui.dispatch.col"``).

A key that counts (``key.one``, ``key.few``, ...) is used when its plain key is. :meth:`Extraction.missing`
lists keys called by name that English lacks (they would show as the bare key); :meth:`Extraction.unused`
lists catalog keys nothing uses (dead strings translators still pay for).
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from triage.i18n.po import CATEGORIES

__all__ = ["Extraction", "extract", "render_pot"]

_FUNCTIONS = frozenset({"t", "tr"})
_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_-]+)+")
_FAMILY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_-]*)+")


@dataclass
class Extraction:
    """What :func:`extract` found: keys by name (with where), other key-like strings, and key families."""

    direct: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    strings: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    families: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def used(self, catalog: Mapping[str, str]) -> dict[str, list[tuple[str, int]]]:
        """Every key of ``catalog`` the code uses, and every key called by name, with where it is used."""
        found: dict[str, list[tuple[str, int]]] = {k: list(v) for k, v in self.direct.items()}
        for key in catalog:
            base = _base(key)
            where = [
                *self.direct.get(base, []),
                *self.strings.get(key, []),
                *self.strings.get(base, []),
                *(w for prefix, at in self.families.items() if key.startswith(prefix) for w in at),
                # a string naming a key's folder ("ui.dispatch.col"), joined to a name later
                *(w for name, at in self.strings.items() if key.startswith(f"{name}.") for w in at),
            ]
            if where or base in self.direct:
                found.setdefault(key, []).extend(w for w in where if w not in found.get(key, []))
        return found

    def missing(self, english: Mapping[str, str]) -> list[str]:
        """Keys the code calls by name that English does not have."""
        return sorted(key for key in self.direct if key not in english)

    def unused(self, catalog: Mapping[str, str]) -> list[str]:
        """Keys of ``catalog`` that nothing in the code uses."""
        used = self.used(catalog)
        return sorted(key for key in catalog if key not in used)


def _base(key: str) -> str:
    head, _, last = key.rpartition(".")
    return head if head and last in CATEGORIES else key


def _constants(node: ast.expr) -> Iterator[str]:
    """The strings an argument can be: a literal, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _constants(node.body)
        yield from _constants(node.orelse)


def _called(node: ast.Call) -> bool:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name in _FUNCTIONS and bool(node.args)


def _family(node: ast.JoinedStr) -> str | None:
    first = node.values[0] if node.values else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and _FAMILY.fullmatch(first.value):
        return first.value
    return None


def _key_of(node: ast.AST) -> str | None:
    """The string ``node`` is when it looks like a key (``ui.self.next_title``), else ``None``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _KEY.fullmatch(node.value):
        return node.value
    return None


def _scan(tree: ast.AST, where: str, found: Extraction) -> None:
    in_calls: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node):
            for key in _constants(node.args[0]):
                found.direct.setdefault(key, []).append((where, node.lineno))
            in_calls.add(id(node.args[0]))
        elif isinstance(node, ast.JoinedStr) and (prefix := _family(node)):
            found.families.setdefault(prefix, []).append((where, node.lineno))
        elif isinstance(node, ast.Constant) and (named := _key_of(node)) and id(node) not in in_calls:
            found.strings.setdefault(named, []).append((where, node.lineno))


def extract(root: Path, relative_to: Path | None = None) -> Extraction:
    """Read every Python file under ``root`` for the interface keys it uses (paths shown relative to
    ``relative_to``, default ``root``'s parent)."""
    base = relative_to or root.parent
    found = Extraction()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        _scan(tree, path.relative_to(base).as_posix(), found)
    # a key called by name is not also an "other string" (a docstring's example, say)
    for key in found.direct:
        found.strings.pop(key, None)
    return found


def render_pot(found: Extraction, english: Mapping[str, str], *, when: datetime | None = None) -> bytes:
    """The template translators start from: each key the code uses, where it is used, and its English text."""
    pot = Catalog(
        project="triage",
        version="1",
        msgid_bugs_address="triage support content <support-content@example.invalid>",
        creation_date=when or datetime(2025, 1, 1, tzinfo=UTC),
        fuzzy=False,
        header_comment=(
            "# Interface strings of triage: every key the code uses (triage i18n extract).\n"
            "# The msgid is the key; the English text is the comment. Counts: key.one, key.few, ... ."
        ),
    )
    for key, where in sorted(found.used(english).items()):
        text = english.get(key, "")
        comments = [f"English: {line}" for line in text.splitlines()] or [
            "(missing from the English catalog)"
        ]
        pot.add(key, "", locations=sorted(set(where)), auto_comments=comments)
    out = io.BytesIO()
    write_po(out, pot, width=0, sort_output=True, include_lineno=False)  # lines move; files rarely do
    return out.getvalue()
