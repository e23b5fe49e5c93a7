"""``triage`` commands for tree files: validate, run, show, export, list, schema.

triage validate [PATH...] [--format text|json]   check tree files; exit 1 on errors
triage run [TREE] [--mode agent|self_service] [--locale L] [--fact k=v ...]
                                                  walk a tree in the terminal
triage show TREE                                  outline of a tree
triage export TREE --format mermaid|dot|json      the graph for other tools
triage schema                                     JSON Schema of the tree format
triage list                                       the trees in the library
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import click

from triage.cli.options import Streams, db_option, locale_option, pass_streams, trees_option
from triage.cli.progress import ProgressBar
from triage.cli.terminal import choose_tree, walk
from triage.errors import Diagnostic, Refused
from triage.trees.export import export_graph, node_label
from triage.trees.graph import outline
from triage.trees.library import DEFAULT_TREES, Library
from triage.trees.model import Audience, Tree, localize
from triage.walk.scenarios import load_library
from triage.walk.session import Session

__all__ = ["COMMANDS"]


def _library(trees: Sequence[str]) -> Library:
    return load_library(list(trees) or [DEFAULT_TREES])


def _pick_tree(lib: Library, ref: str) -> Tree:
    """A tree named by id or by path; a path outside the library is loaded with the library beside it."""
    p = Path(ref)
    if ref not in lib.trees and p.suffix in (".yaml", ".yml") and p.exists():
        for path in lib.files:
            if Path(path).resolve() == p.resolve():
                return lib.resolve(path)
        extra = load_library([*lib.files.keys(), p])
        return extra.resolve(str(p))
    return lib.get_tree(ref)


# -- validate ---------------------------------------------------------------------------------------------------


@click.command("validate")
@click.argument("paths", nargs=-1, help="tree files or folders (default: the shipped trees)")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="a human-readable report, or JSON for tools",
)
@click.option(
    "--no-warnings", "warnings", is_flag=True, flag_value=False, default=True, help="print errors only"
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="a progress bar on standard error (default: when it is a terminal)",
)
@pass_streams
def validate(
    streams: Streams, paths: tuple[str, ...], fmt: str, warnings: bool, progress: bool | None
) -> int:
    """Check tree files; exit 1 on errors, 2 on a bad path.

    Prints each error and warning as `file:line: node 'id': message (hint)`, then a summary line.
    """
    paths = paths or (str(DEFAULT_TREES),)
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        print(f"triage validate: no such file or folder: {missing[0]}", file=sys.stderr)
        return 2
    show = progress if progress is not None else sys.stderr.isatty()
    bar = ProgressBar(sys.stderr) if show else None
    # procedures called from the named files are looked up in the shipped library too
    lib = load_library(paths, support=[DEFAULT_TREES], progress=bar)
    if bar is not None:
        bar(len(lib.named), len(lib.named), "files checked")
    wanted = {str(Path(p).resolve()) for p in lib.named}
    diags = [d for path, f in lib.files.items() if str(Path(path).resolve()) in wanted for d in f.diagnostics]
    diags.sort(key=lambda d: (d.path, d.line or 0, d.severity.value))
    shown = diags if warnings else [d for d in diags if d.is_error]
    errors = sum(1 for d in diags if d.is_error)
    _report(streams.out, fmt, len(lib.named), errors, len(diags) - errors, shown)
    return 1 if errors else 0


def _report(out: TextIO, fmt: str, n_files: int, errors: int, warnings: int, shown: list[Diagnostic]) -> None:
    if fmt == "json":
        payload = {
            "files": n_files,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": [d.model_dump(mode="json", exclude={"loc"}) for d in shown],
        }
        out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    for d in shown:
        out.write(f"{d}\n")
    status = "OK" if errors == 0 else "FAILED"
    out.write(f"{status}: {n_files} file(s), {errors} error(s), {warnings} warning(s)\n")


# -- run --------------------------------------------------------------------------------------------------------


def _parse_facts(pairs: Sequence[str]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise Refused(f"--fact takes key=value (got {pair!r})")
        try:
            facts[key] = json.loads(value)
        except json.JSONDecodeError:
            facts[key] = value
    return facts


@click.command("run")
@click.argument("tree", required=False, help="tree id or file (default: choose from a list)")
@click.option(
    "--mode",
    type=click.Choice([a.value for a in Audience]),
    default="agent",
    show_default=True,
    help="agent (shows the agent-only hints) or self_service (the customer's own words)",
)
@locale_option
@click.option("--fact", multiple=True, metavar="KEY=VALUE", help="a fact known at the start (repeatable)")
@click.option("--save", metavar="FILE", help="write the session as JSON when it ends")
@click.option(
    "--persist", is_flag=True, help="keep the session in the database (resume it with `triage resume`)"
)
@click.option("--customer", metavar="ID", help="the customer's id (repeat contacts are found by it)")
@click.option("--no-wait", is_flag=True, help="at a wait step, ask the re-check question at once")
@db_option
@trees_option
@pass_streams
def run(
    streams: Streams,
    tree: str | None,
    mode: str,
    locale: str,
    fact: tuple[str, ...],
    save: str | None,
    persist: bool,
    customer: str | None,
    no_wait: bool,
    db: str | None,
    trees: tuple[str, ...],
) -> int:
    """Walk a tree interactively in the terminal.

    Remote checks run through the database's provider (the demo one unless TRIAGE_SYSTEMS names another)
    with --persist or --db; without one, an agent picks a check's result by hand.
    """
    lib = _library(trees)
    picked = (
        _pick_tree(lib, tree)
        if tree is not None
        else choose_tree(lib, mode, locale, streams.out, streams.inp)
    )
    if picked is None:
        return 1
    facts = _parse_facts(fact)
    if picked.id not in lib.trees:
        lib.trees[picked.id] = picked
    if persist or db:
        from triage.desk.remote import provider_systems
        from triage.records.store import Store

        with Store(db) as store:
            systems = provider_systems(store)
            if not persist:
                session = Session.start(lib, picked.id, mode=mode, locale=locale, facts=facts)
                return walk(session, streams.out, streams.inp, save, systems=systems, wait=not no_wait)
            store.sync(lib)
            stored = store.start_session(
                picked.id, mode=mode, locale=locale, facts=facts, customer_id=customer
            )
            return walk(stored, streams.out, streams.inp, save, systems=systems, wait=not no_wait)
    session = Session.start(lib, picked.id, mode=mode, locale=locale, facts=facts)
    return walk(session, streams.out, streams.inp, save, wait=not no_wait)


# -- show, export, list, schema ---------------------------------------------------------------------------------


@click.command("show")
@click.argument("tree", help="tree id or file")
@locale_option
@trees_option
@pass_streams
def show(streams: Streams, tree: str, locale: str, trees: tuple[str, ...]) -> int:
    """Print an outline of a tree, depth first."""
    picked = _pick_tree(_library(trees), tree)
    out = streams.out
    out.write(f"{picked.id}: {localize(picked.title, locale)} [{picked.category.value}]\n")
    for depth, label, node in outline(picked):
        pad = "  " * depth
        if isinstance(node, str):
            out.write(f"{pad}{label}: {node}\n")
            continue
        kind = node.kind if node.kind != "outcome" else f"outcome:{node.outcome}"
        text = node_label(node, locale, 200)
        out.write(f"{pad}{label}: [{kind}] {node.id} — {text}\n")
    return 0


@click.command("export")
@click.argument("tree", help="tree id or file")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot", "json"]),
    default="mermaid",
    show_default=True,
    help="Mermaid or Graphviz DOT for docs, networkx node-link JSON for tools",
)
@locale_option
@trees_option
@pass_streams
def export(streams: Streams, tree: str, fmt: str, locale: str, trees: tuple[str, ...]) -> int:
    """Export a tree's graph for docs or other tools."""
    streams.out.write(export_graph(_pick_tree(_library(trees), tree), fmt, locale))
    return 0


@click.command("list")
@trees_option
@pass_streams
def list_trees(streams: Streams, trees: tuple[str, ...]) -> int:
    """List the trees in the library, and any broken files."""
    lib = _library(trees)
    for t in lib.offered(include_procedures=True):
        kind = " (procedure)" if t.procedure else ""
        streams.out.write(f"{t.category.value:<13} {t.id:<28} {localize(t.title, 'en')}{kind}\n")
    for path, f in lib.broken.items():
        streams.out.write(f"{'BROKEN':<13} {path}: {len(f.errors)} error(s)\n")
    return 0


@click.command("schema")
@pass_streams
def schema(streams: Streams) -> int:
    """Print the JSON Schema of tree files.

    For editor autocompletion: `triage schema > tree.schema.json`.
    """
    published = Tree.model_json_schema()
    published["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    published["title"] = "triage tree"
    streams.out.write(json.dumps(published, indent=2) + "\n")
    return 0


COMMANDS: tuple[click.Command, ...] = (validate, run, show, export, list_trees, schema)
