"""The trees' translations from a terminal or the studio: status, stamp, export and import.

:mod:`triage.trees.translations` knows a tree's texts and their state; this module works on files. Import
writes each translation into its tree file through the studio's round-trip editor
(:mod:`triage.desk.studio.roundtrip`), so comments, key order and quoting stay as the author wrote them, then
records the English it was made from in the tree's sidecar. It refuses, naming the file and entry, a
translation whose English no longer matches the tree's (unless forced: then it is recorded as made from the old
English, so it shows as stale).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from triage.desk.studio.roundtrip import load, rewrite
from triage.desk.translation_files import Incoming, Unit
from triage.errors import Refused
from triage.trees.library import Library
from triage.trees.loader import parse_tree
from triage.trees.model import Tree
from triage.trees.translations import (
    LocaleCoverage,
    TextState,
    coverage,
    read_stamps,
    source_hash,
    source_locale,
    stamp,
    stamps_path,
    states,
    tree_texts,
    write_stamps,
)

__all__ = [
    "ImportReport",
    "TreeFile",
    "apply_translations",
    "draft_coverage",
    "export_units",
    "stamp_files",
    "status_rows",
    "tree_files",
]


@dataclass(frozen=True)
class TreeFile:
    """A tree file whose tree parsed: where it is, its text and its tree."""

    path: Path
    text: str
    tree: Tree

    @property
    def label(self) -> str:
        """How a translator's file names it: ``connectivity/no-internet.yaml``."""
        return f"{self.path.parent.name}/{self.path.name}"


def tree_files(lib: Library, refs: Sequence[str] = ()) -> list[TreeFile]:
    """The files of ``lib`` whose tree parsed, or those ``refs`` name (by tree id or path); :class:`Refused`
    naming a ref that is neither."""
    every = [TreeFile(Path(p), f.text, f.tree) for p, f in lib.files.items() if f.tree is not None]
    if not refs:
        return every
    out = []
    for ref in refs:
        found = [
            f
            for f in every
            if f.tree.id == ref or (Path(ref).exists() and f.path.resolve() == Path(ref).resolve())
        ]
        if not found:
            raise Refused(f"no tree {ref!r} among the tree files (give a tree id or a tree file)")
        out += [f for f in found if f not in out]
    return out


# -- status and stamp -------------------------------------------------------------------------------------------


def _stamps(f: TreeFile) -> dict[str, dict[str, str]] | None:
    try:
        return read_stamps(stamps_path(f.path))
    except ValueError as exc:
        raise Refused(f"{exc}; run `triage i18n stamp {f.path}` to write it again") from exc


def status_rows(
    files: Iterable[TreeFile], locales: Sequence[str] = ()
) -> list[tuple[TreeFile, bool, list[LocaleCoverage]]]:
    """Per file: whether it has a sidecar, and each locale's coverage (``locales``, else the tree's own)."""
    out = []
    for f in files:
        stamps = _stamps(f)
        out.append((f, stamps is not None, coverage(f.tree, stamps, list(locales) or None)))
    return out


def stamp_files(files: Iterable[TreeFile], locales: Sequence[str] = ()) -> list[Path]:
    """Record today's translations (of ``locales``, default all) as made from today's English; the sidecars
    whose bytes changed. Running it twice changes nothing the second time."""
    changed = []
    for f in files:
        try:
            old = read_stamps(stamps_path(f.path))
        except ValueError:
            old = None  # unreadable: written again from the tree
        new = stamp(f.tree, old, list(locales) or None)
        if write_stamps(f.tree, f.path, new):
            changed.append(stamps_path(f.path))
    return changed


# -- export -----------------------------------------------------------------------------------------------------


def export_units(files: Iterable[TreeFile], locale: str) -> list[Unit]:
    """Every text of ``files`` with an English source, to translate into ``locale``: its translation so far
    (empty if none) and whether that is stale."""
    out = []
    for f in files:
        source = source_locale(f.tree)
        if locale == source:
            raise Refused(
                f"{locale!r} is the language {f.tree.id!r} is written in; export a translation locale"
            )
        for t, _loc, state in states(f.tree, _stamps(f), [locale]):
            out.append(
                Unit(
                    context=f"{f.tree.id}|{t.key}",
                    source=t.get(source, source) or "",
                    target=t.get(locale, source) or "",
                    stale=state is TextState.STALE,
                    file=f.label,
                    source_locale=source,
                )
            )
    return out


# -- import -----------------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did: texts written per tree file, entries left alone and why."""

    locale: str
    written: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    not_ready: int = 0
    forced: list[str] = field(default_factory=list)
    """Entries imported although their English no longer matched (recorded as stale)."""
    skipped: list[str] = field(default_factory=list)
    """Entries for texts the trees no longer have (skipped with ``force``)."""


@dataclass
class _Planned:
    file: TreeFile
    entries: list[tuple[Any, Incoming, str]] = field(default_factory=list)  # (text, entry, source hash)


def _plan(
    files: Sequence[TreeFile], entries: Iterable[Incoming], locale: str, force: bool, report: ImportReport
) -> dict[Path, _Planned]:
    by_tree = {f.tree.id: (f, {t.key: t for t in tree_texts(f.tree)}) for f in files}
    plans: dict[Path, _Planned] = {}
    for e in entries:
        if not e.ready:
            report.not_ready += 1
            continue
        tree_id, _, key = e.context.partition("|")
        f, texts = by_tree.get(tree_id, (None, {}))
        text = texts.get(key)
        if f is None or text is None:
            what = f"no tree {tree_id!r}" if f is None else f"tree {tree_id!r} has no text {key!r}"
            if not force:
                raise Refused(f"{e.where}: {what}; export the file again (or import with --force to skip it)")
            report.skipped.append(e.where)
            continue
        source = source_locale(f.tree)
        if locale == source:
            raise Refused(
                f"{e.where}: {locale!r} is the language {tree_id!r} is written in, not a translation"
            )
        current = text.get(source, source) or ""
        made_from = source_hash(e.source)
        if made_from != source_hash(current):
            if not force:
                raise Refused(
                    f"{e.where}: the English of {e.context!r} has changed since the file was exported "
                    f"(file: {e.source[:60]!r}, tree: {current[:60]!r}); export again and re-translate it, "
                    "or import with --force to keep it marked stale"
                )
            report.forced.append(e.where)
        plans.setdefault(f.path, _Planned(f)).entries.append((text, e, made_from))
    return plans


def _node_at(doc: Any, loc: Sequence[str | int]) -> Any:
    for part in loc:
        doc = doc[part]
    return doc


def _put(doc: Any, loc: Sequence[str | int], source: str, locale: str, value: str) -> bool:
    """Write one translation into the round-trip document; ``False`` if it already said that."""
    parent = _node_at(doc, loc[:-1])
    current = parent[loc[-1]]
    if isinstance(current, dict):
        if current.get(locale) == value:
            return False
        styled = isinstance(current.get(source), DoubleQuotedScalarString)
        current[locale] = DoubleQuotedScalarString(value) if styled else value
        return True
    # a plain string is the source text alone: it becomes {source: ..., locale: ...}, written inline
    both = CommentedMap([(source, current), (locale, DoubleQuotedScalarString(value))])
    both.fa.set_flow_style()
    parent[loc[-1]] = both
    return True


def apply_translations(
    files: Sequence[TreeFile], locale: str, entries: Iterable[Incoming], *, force: bool = False
) -> ImportReport:
    """Write a translator's entries into the tree files and stamp them; :class:`Refused` (file, entry, hint)
    before anything is written if an entry's English no longer matches the tree's, unless ``force``."""
    report = ImportReport(locale)
    plans = _plan(files, entries, locale, force, report)
    for path, plan in plans.items():
        f = plan.file
        source = source_locale(f.tree)
        doc = load(f.text)
        written = 0
        for text, e, _h in plan.entries:
            if _put(doc, text.loc, source, locale, e.target):
                written += 1
            else:
                report.unchanged += 1
        new_text = rewrite(f.text, doc) if written else f.text
        check = parse_tree(new_text, str(path))
        if check.tree is None:  # not expected: the round trip keeps the data; never write a file that breaks
            raise Refused(f"{path}: the translations would make the file unreadable; nothing was written")
        if new_text != f.text:
            path.write_text(new_text, encoding="utf-8")
        stamps = _stamps(f) or {}
        recorded = dict(stamps.get(locale, {}))
        recorded.update({text.key: made_from for text, _e, made_from in plan.entries})
        write_stamps(check.tree, path, {**stamps, locale: recorded})
        report.written[f.label] = written
    return report


def draft_coverage(tree: Tree | None, path: str | Path) -> list[LocaleCoverage]:
    """Per locale, how far a studio draft's tree is translated, against the record beside its file (an
    unreadable record counts as none: :command:`triage validate` says why)."""
    if tree is None:
        return []
    try:
        stamps = read_stamps(stamps_path(path))
    except ValueError:
        stamps = None
    return coverage(tree, stamps)
