"""Translation status of a tree: which texts each locale has, and whether each was made from today's English.

Every translation records the source text it was made from, as a short hash, in a sidecar file beside the tree
(``trees/connectivity/no-internet.yaml`` -> ``no-internet.i18n.toml``), one line per text and locale::

    source = "en"

    [de]
    "|title" = "5c1e0f2a9b3d"
    "power_light|text" = "0b8e3c7d1a22"
    "power_light|options.label|yes" = "9f4d2e6a0c11"

A key is ``node id|field[|item]`` (the node id empty for the tree's own texts; the item is an option's value, a
fault's id, a list index), the same as a PO entry's ``msgctxt`` after the tree id. The hash is the first 12 hex
digits of SHA-256 of the source text in Unicode NFC with its white space collapsed, so re-wrapping a line does
not make its translations stale but changing a word does. :func:`stamp` records today's source for today's
translations (``triage i18n stamp``); :func:`translation_findings` turns the differences into warnings for
``triage validate``: a stale text (file, line, node, locale), a declared locale with texts missing, translations
nobody stamped. A tree with no sidecar is not tracked: only its missing texts are reported.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
import types
import typing
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from triage.errors import Diagnostic
from triage.trees.model import Text, Tree
from triage.trees.treeview import warn

__all__ = [
    "HASH_LENGTH",
    "LocaleCoverage",
    "Stamps",
    "TextState",
    "TreeText",
    "coverage",
    "read_stamps",
    "render_stamps",
    "source_hash",
    "source_locale",
    "stamp",
    "stamps_path",
    "states",
    "translation_findings",
    "tree_locales",
    "tree_texts",
    "write_stamps",
]

HASH_LENGTH = 12
"""Hex digits of SHA-256 kept per text: 48 bits, so two different texts of one tree never share a hash in practice."""

SUFFIX = ".i18n.toml"

Stamps = dict[str, dict[str, str]]
"""Locale -> text key -> hash of the source text the translation was made from."""


def source_hash(text: str) -> str:
    """The first :data:`HASH_LENGTH` hex digits of SHA-256 of ``text`` in NFC, white space collapsed."""
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def source_locale(tree: Tree) -> str:
    """The locale translations are made from: the tree's first declared locale (``en`` by default)."""
    return tree.locales[0] if tree.locales else "en"


# -- the texts of a tree ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeText:
    """One translatable text of a tree: its key, where it is written, and its value."""

    key: str
    """``node id|field[|item]``, e.g. ``power_light|options.label|yes`` or ``|title``."""
    loc: tuple[str | int, ...]
    """Where it is in the tree's data, e.g. ``("nodes", 3, "options", 0, "label")``."""
    text: Text

    @property
    def node_id(self) -> str | None:
        """The node it belongs to (``None`` for the tree's own texts: title, symptoms, faults, facts)."""
        return self.key.split("|", 1)[0] or None

    def get(self, locale: str, source: str) -> str | None:
        """The text in ``locale`` (a plain string is in the ``source`` locale only), ``None`` if blank."""
        if isinstance(self.text, str):
            value: str | None = self.text if locale == source else None
        else:
            value = self.text.get(locale)
        return value if value and value.strip() else None

    def locales(self) -> set[str]:
        """The locales it has (a plain string: none but the source, which callers add)."""
        return set() if isinstance(self.text, str) else {k for k, v in self.text.items() if v and v.strip()}


_KIND_TEXT, _KIND_LIST, _KIND_MAP, _KIND_MODELS, _KIND_NONE = "text", "list", "map", "models", "none"


def _is_text(ann: Any) -> bool:
    """Whether an annotation is :data:`Text` (``str | dict[Locale, str]``), possibly optional."""
    args = typing.get_args(ann) if typing.get_origin(ann) in (typing.Union, types.UnionType) else ()
    return str in args and any(
        typing.get_origin(a) is dict and typing.get_args(a)[1:] == (str,) for a in args
    )


def _holds_models(ann: Any) -> bool:
    """Whether a value of this annotation may hold a pydantic model somewhere inside."""
    if isinstance(ann, type):
        return issubclass(ann, BaseModel)
    return any(_holds_models(a) for a in typing.get_args(ann))


@cache
def _field_kinds(cls: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """Each field of a model class that holds texts or models, with how it holds them."""
    out = []
    for name, info in cls.model_fields.items():
        ann, origin = info.annotation, typing.get_origin(info.annotation)
        args = typing.get_args(ann)
        if _is_text(ann):
            kind = _KIND_TEXT
        elif origin is list and args and _is_text(args[0]):
            kind = _KIND_LIST
        elif origin is dict and len(args) == 2 and _is_text(args[1]):
            kind = _KIND_MAP
        else:
            kind = _KIND_MODELS if _holds_models(ann) else _KIND_NONE
        if kind != _KIND_NONE:
            out.append((name, kind))
    return tuple(out)


@dataclass
class _Walk:
    out: list[TreeText] = field(default_factory=list)

    def text(
        self, owner: str, path: tuple[str, ...], items: tuple[str, ...], loc: tuple[str | int, ...], t: Text
    ) -> None:
        if t == "" or t == {}:
            return  # a logic node's empty text: nothing to translate
        key = "|".join([owner, ".".join(path), *([".".join(items)] if items else [])])
        self.out.append(TreeText(key, loc, t))

    def model(
        self,
        obj: BaseModel,
        owner: str,
        path: tuple[str, ...],
        items: tuple[str, ...],
        loc: tuple[str | int, ...],
    ) -> None:
        for name, kind in _field_kinds(type(obj)):
            value = getattr(obj, name)
            here, sub = (*loc, name), (*path, name)
            if value is None:
                continue
            if kind == _KIND_TEXT:
                self.text(owner, sub, items, here, value)
            elif kind == _KIND_LIST:
                for i, t in enumerate(value):
                    self.text(owner, sub, (*items, str(i)), (*here, i), t)
            elif kind == _KIND_MAP:
                for k, t in value.items():
                    self.text(owner, sub, (*items, str(k)), (*here, k), t)
            else:
                self.inside(value, owner, sub, items, here)

    def inside(
        self,
        value: Any,
        owner: str,
        path: tuple[str, ...],
        items: tuple[str, ...],
        loc: tuple[str | int, ...],
    ) -> None:
        if isinstance(value, BaseModel):
            self.model(value, owner, path, items, loc)
        elif isinstance(value, list):
            for i, (name, v) in enumerate(zip(_item_names(value), value, strict=True)):
                if isinstance(v, BaseModel):
                    self.model(v, owner, path, (*items, name), (*loc, i))
        elif isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, BaseModel):
                    self.model(v, owner, path, (*items, str(k)), (*loc, k))


def _item_names(items: list[Any]) -> list[str]:
    """How each list item is named in a key: its ``id``, else its ``value`` (an option), else its index;
    indexes for the whole list if two items share a name (the checks report that)."""
    names = []
    for i, item in enumerate(items):
        name = getattr(item, "id", None) or getattr(item, "value", None)
        names.append(name if isinstance(name, str) else str(i))
    return names if len(set(names)) == len(names) else [str(i) for i in range(len(items))]


def tree_texts(tree: Tree) -> list[TreeText]:
    """Every translatable text of a tree (its own, then each node's), in the model's field order."""
    walk = _Walk()
    for name, kind in _field_kinds(Tree):
        if name in ("nodes", "scenarios"):
            continue  # nodes are walked below, each its own owner; scenarios are tests, not texts
        value = getattr(tree, name)
        if kind == _KIND_MODELS:
            walk.inside(value, "", (name,), (), (name,))
        elif kind == _KIND_LIST:
            for i, t in enumerate(value):
                walk.text("", (name,), (str(i),), (name, i), t)
        elif value is not None:
            walk.text("", (name,), (), (name,), value)
    for i, node in enumerate(tree.nodes):
        walk.model(node, node.id, (), (), ("nodes", i))
    seen: set[str] = set()
    out = []
    for t in walk.out:  # a repeated node id: the first one wins, as everywhere else (the checks report it)
        if t.key not in seen:
            seen.add(t.key)
            out.append(t)
    return out


def tree_locales(tree: Tree, texts: Iterable[TreeText] | None = None) -> list[str]:
    """The locales translated into: the declared ones after the source, then any other a text has."""
    source = source_locale(tree)
    declared = [loc for loc in tree.locales if loc != source]
    found = {loc for t in (texts if texts is not None else tree_texts(tree)) for loc in t.locales()}
    return [*dict.fromkeys(declared), *sorted(found - set(declared) - {source})]


# -- the sidecar ------------------------------------------------------------------------------------------------


def stamps_path(tree_path: str | Path) -> Path:
    """The sidecar of a tree file: ``no-internet.yaml`` -> ``no-internet.i18n.toml`` beside it."""
    p = Path(tree_path)
    return p.with_name(p.stem + SUFFIX)


def read_stamps(path: str | Path) -> Stamps | None:
    """The hashes recorded in a sidecar; ``None`` if there is none; ``ValueError`` naming it if unreadable."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{p}: cannot read the translation record: {exc}") from exc
    out: Stamps = {}
    for locale, table in data.items():
        if locale == "source":
            continue
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise ValueError(f"{p}: [{locale}] must map text keys to hashes")
        out[locale] = dict(table)
    return out


def _toml_string(s: str) -> str:
    # json.dumps escapes quotes, backslashes and control characters as TOML's basic strings read them, except
    # DEL, which TOML wants escaped too; other characters stay as they are (TOML files are UTF-8)
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def render_stamps(tree: Tree, stamps: Mapping[str, Mapping[str, str]], file_name: str) -> str:
    """The sidecar's text: locales in the tree's order, keys in the tree's order, one per line."""
    order = {t.key: i for i, t in enumerate(tree_texts(tree))}
    ranked = tree_locales(tree)
    locales = sorted(stamps, key=lambda loc: (ranked.index(loc) if loc in ranked else len(ranked), loc))
    lines = [
        f"# The {source_locale(tree)} text each translation in {file_name} was made from: the first {HASH_LENGTH} hex",
        "# digits of SHA-256 of it (NFC, white space collapsed). Written by `triage i18n stamp`; do not edit.",
        "",
        f"source = {_toml_string(source_locale(tree))}",
    ]
    for locale in locales:
        lines += ["", f"[{locale}]"]  # a locale is a bare TOML key: letters, digits, - and _
        keys = sorted(stamps[locale], key=lambda k: (order.get(k, len(order)), k))
        lines += [f"{_toml_string(k)} = {_toml_string(stamps[locale][k])}" for k in keys]
    return "\n".join(lines) + "\n"


def write_stamps(tree: Tree, tree_path: str | Path, stamps: Mapping[str, Mapping[str, str]]) -> bool:
    """Write a tree's sidecar; ``True`` if its bytes changed (an unchanged file is not touched)."""
    path = stamps_path(tree_path)
    text = render_stamps(tree, stamps, Path(tree_path).name)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def stamp(
    tree: Tree, stamps: Mapping[str, Mapping[str, str]] | None, locales: Iterable[str] | None = None
) -> Stamps:
    """The record after declaring today's translations in ``locales`` (default: all) made from today's source.

    Other locales keep what they had; a stamped locale keeps only the texts it has. Stamping twice changes
    nothing more.
    """
    source = source_locale(tree)
    texts = tree_texts(tree)
    out: Stamps = {loc: dict(keys) for loc, keys in (stamps or {}).items()}
    for loc in locales if locales is not None else tree_locales(tree, texts):
        if loc == source:
            continue
        out[loc] = {
            t.key: source_hash(src)
            for t in texts
            if (src := t.get(source, source)) is not None and t.get(loc, source) is not None
        }
    return {loc: keys for loc, keys in out.items() if keys or loc in tree.locales}


# -- status -----------------------------------------------------------------------------------------------------


class TextState(StrEnum):
    """Where one text stands in one locale."""

    TRANSLATED = "translated"
    """Translated from today's source text."""
    STALE = "stale"
    """Translated from a source text that has changed since."""
    UNSTAMPED = "unstamped"
    """Translated, but nobody recorded from which source text (a tracked tree only)."""
    MISSING = "missing"
    """Not translated: the session shows the source text."""


def states(
    tree: Tree, stamps: Mapping[str, Mapping[str, str]] | None, locales: Iterable[str] | None = None
) -> Iterator[tuple[TreeText, str, TextState]]:
    """Each text with a source, in each locale (default: :func:`tree_locales`), and where it stands.

    Without a record (``stamps`` is ``None``) every translation counts as translated: the tree is not tracked.
    """
    source = source_locale(tree)
    texts = [t for t in tree_texts(tree) if t.get(source, source) is not None]
    for loc in locales if locales is not None else tree_locales(tree, texts):
        recorded = (stamps or {}).get(loc, {})
        for t in texts:
            if t.get(loc, source) is None:
                yield t, loc, TextState.MISSING
            elif stamps is None:
                yield t, loc, TextState.TRANSLATED
            elif t.key not in recorded:
                yield t, loc, TextState.UNSTAMPED
            elif recorded[t.key] != source_hash(t.get(source, source) or ""):
                yield t, loc, TextState.STALE
            else:
                yield t, loc, TextState.TRANSLATED


@dataclass
class LocaleCoverage:
    """How far one locale of one tree is translated."""

    locale: str
    declared: bool
    counts: dict[TextState, int] = field(default_factory=lambda: dict.fromkeys(TextState, 0))

    @property
    def total(self) -> int:
        """The texts to translate (those with a source text)."""
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        """For JSON: the locale, whether it is declared, the total and each state's count."""
        return {"locale": self.locale, "declared": self.declared, "total": self.total} | {
            s.value: n for s, n in self.counts.items()
        }


def coverage(
    tree: Tree, stamps: Mapping[str, Mapping[str, str]] | None, locales: Iterable[str] | None = None
) -> list[LocaleCoverage]:
    """Per locale (default: :func:`tree_locales`), how many texts are in each :class:`TextState`."""
    wanted = list(locales) if locales is not None else tree_locales(tree)
    out = {loc: LocaleCoverage(loc, loc in tree.locales) for loc in wanted}
    for _t, loc, state in states(tree, stamps, wanted):
        out[loc].counts[state] += 1
    return list(out.values())


# -- findings for `triage validate` ------------------------------------------------------------------------------


def _stamp_hint(path: str, locale: str) -> str:
    return f"re-translate it from the current text, then run `triage i18n stamp {path} --locale {locale}`"


def translation_findings(tree: Tree, path: str) -> list[Diagnostic]:
    """Warnings about a tree's translations: a declared locale with texts missing (one per locale), and, for a
    tree with a sidecar, each stale text (located at its locale's line) and translations nobody stamped."""
    p = Path(path)
    try:
        stamps = read_stamps(stamps_path(p)) if p.suffix in (".yaml", ".yml") and p.is_file() else None
    except ValueError as exc:
        return [
            warn("translation-record", str(exc), ("locales",), "run `triage i18n stamp` to write it again")
        ]
    out: list[Diagnostic] = []
    missing: dict[str, int] = {}
    unstamped: dict[str, int] = {}
    totals: dict[str, int] = {}
    for t, loc, state in states(tree, stamps):
        shown = not t.key.startswith("|symptoms|")  # symptoms are search words, never shown
        totals[loc] = totals.get(loc, 0) + shown
        if (
            state is TextState.MISSING and loc in tree.locales and shown
        ):  # status counts symptoms, this does not
            missing[loc] = missing.get(loc, 0) + 1
        elif state is TextState.UNSTAMPED:
            unstamped[loc] = unstamped.get(loc, 0) + 1
        elif state is TextState.STALE:
            out.append(_stale(t, loc, source_locale(tree), path))
    for loc, n in missing.items():
        out.append(
            warn(
                "locale-incomplete",
                f"{loc!r} is declared but {n} of {totals[loc]} texts have no {loc} translation "
                f"(the {source_locale(tree)} text is shown instead)",
                ("locales",),
                f"translate them (`triage i18n export --locale {loc} --tree {tree.id}`), or drop {loc!r} from `locales`",
            )
        )
    for loc, n in unstamped.items():
        out.append(
            warn(
                "translation-unstamped",
                f"{n} {loc} translation(s) do not record the text they were made from",
                ("locales",),
                f"once they are checked against the current text, run `triage i18n stamp {path} --locale {loc}`",
            )
        )
    return out


def _stale(t: TreeText, locale: str, source: str, path: str) -> Diagnostic:
    where = t.key.split("|", 1)[1].replace("|", " ")
    loc = t.loc if isinstance(t.text, str) else (*t.loc, locale)
    return warn(
        "stale-translation",
        f"the {locale} translation of `{where}` is stale: the {source} text changed since it was translated",
        loc,
        _stamp_hint(path, locale),
    )
