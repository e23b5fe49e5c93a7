"""``triage i18n`` commands for the trees' translations (added to the group of :mod:`triage.cli.i18n`).

triage i18n status [TREE...] [--locale L] [--format text|json]
    per tree and locale: texts translated, stale (the English changed since), unstamped, missing
triage i18n stamp [TREE...] [--locale L]
    record today's translations as made from today's English (idempotent)
triage i18n export --locale L [--format po|xliff] [--tree ID] -o FILE
    the texts to translate, for a translator working outside git (stale ones marked for review)
triage i18n import FILE [--force]
    write a translator's PO or XLIFF file into the tree files and stamp it
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from triage.cli.options import Streams, pass_streams, trees_option
from triage.desk.translation_files import FORMATS, read_translations, render_po, render_xliff
from triage.desk.translations import (
    TreeFile,
    apply_translations,
    export_units,
    stamp_files,
    status_rows,
    tree_files,
)
from triage.trees.library import DEFAULT_TREES, load_library
from triage.trees.translations import TextState

__all__ = ["add_tree_commands"]

_STATES = (TextState.TRANSLATED, TextState.STALE, TextState.UNSTAMPED, TextState.MISSING)


def _files(trees: tuple[str, ...], refs: tuple[str, ...] = ()) -> list[TreeFile]:
    folders: list[str | Path] = [*trees] or [DEFAULT_TREES]
    # a tree file named on its own is read with the folders, so an id or a path both find it
    extra = [r for r in refs if Path(r).suffix in (".yaml", ".yml") and Path(r).is_file()]
    return tree_files(load_library([*folders, *extra]), refs)


@click.command("status")
@click.argument("refs", nargs=-1, metavar="[TREE]...", help="tree ids or files (default: every tree)")
@click.option("--locale", "locales", multiple=True, metavar="L", help="only this locale (repeatable)")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="a table, or JSON",
)
@trees_option
@pass_streams
def status(
    streams: Streams, refs: tuple[str, ...], locales: tuple[str, ...], fmt: str, trees: tuple[str, ...]
) -> int:
    """Coverage per tree and locale: translated, stale, unstamped, missing."""
    rows = status_rows(_files(trees, refs), locales)
    if fmt == "json":
        payload = [
            {
                "tree": f.tree.id,
                "file": str(f.path),
                "tracked": tracked,
                "locales": [c.as_dict() for c in cov],
            }
            for f, tracked, cov in rows
        ]
        streams.out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return 0
    out = streams.out
    out.write(
        f"{'tree':<32} {'locale':<7} {'texts':>5} " + " ".join(f"{s.value:>10}" for s in _STATES) + "\n"
    )
    for f, tracked, cov in rows:
        for c in cov:
            mark = "" if c.declared else "  (not declared)"
            counts = " ".join(f"{c.counts[s]:>10}" for s in _STATES)
            out.write(f"{f.tree.id:<32} {c.locale:<7} {c.total:>5} {counts}{mark}\n")
        if not tracked:
            out.write(f"{f.tree.id:<32} no translation record: run `triage i18n stamp {f.tree.id}`\n")
    return 0


@click.command("stamp")
@click.argument("refs", nargs=-1, metavar="[TREE]...", help="tree ids or files (default: every tree)")
@click.option("--locale", "locales", multiple=True, metavar="L", help="only this locale (repeatable)")
@trees_option
@pass_streams
def stamp(streams: Streams, refs: tuple[str, ...], locales: tuple[str, ...], trees: tuple[str, ...]) -> int:
    """Record today's translations as made from today's English (after re-translating, or an import)."""
    files = _files(trees, refs)
    changed = stamp_files(files, locales)
    for path in changed:
        streams.out.write(f"wrote {path}\n")
    streams.out.write(f"{len(changed)} of {len(files)} translation record(s) changed\n")
    return 0


@click.command("export")
@click.option("--locale", required=True, metavar="L", help="the language to translate into, e.g. pl")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="po or xliff (default: from the file name)")
@click.option("--tree", "refs", multiple=True, metavar="ID", help="only this tree (repeatable)")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="the file to write"
)
@trees_option
@pass_streams
def export(
    streams: Streams,
    locale: str,
    fmt: str | None,
    refs: tuple[str, ...],
    output: Path,
    trees: tuple[str, ...],
) -> int:
    """Write the tree texts to translate into LOCALE as a PO or XLIFF file."""
    fmt = fmt or ("xliff" if output.suffix in (".xlf", ".xliff") else "po")
    units = export_units(_files(trees, refs), locale)
    output.write_bytes(render_xliff(units, locale) if fmt == "xliff" else render_po(units, locale))
    todo = sum(1 for u in units if not u.target or u.stale)
    streams.out.write(f"wrote {output}: {len(units)} texts, {todo} to translate or review\n")
    return 0


@click.command("import")
@click.argument(
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a PO or XLIFF file from a translator",
)
@click.option("--force", is_flag=True, help="import entries whose English changed (kept marked stale)")
@trees_option
@pass_streams
def import_(streams: Streams, file: Path, force: bool, trees: tuple[str, ...]) -> int:
    """Write a translator's PO or XLIFF file into the tree files, and stamp what it wrote."""
    locale, entries = read_translations(file.read_bytes(), str(file))
    report = apply_translations(_files(trees), locale, entries, force=force)
    out = streams.out
    for label, n in report.written.items():
        out.write(f"{label}: {n} {locale} text(s) written\n")
    total = sum(report.written.values())
    out.write(
        f"{total} written, {report.unchanged} unchanged, {report.not_ready} not ready (empty or marked for review)\n"
    )
    for where in report.forced:
        out.write(f"imported although the English changed (marked stale): {where}\n")
    for where in report.skipped:
        out.write(f"skipped, no such text any more: {where}\n")
    return 0


def add_tree_commands(group: click.Group) -> None:
    """Add status, stamp, export and import to the ``triage i18n`` group."""
    for command in (status, stamp, export, import_):
        group.add_command(command)
