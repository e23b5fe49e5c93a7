"""The ``triage`` command line.

triage validate [PATH...] [--format text|json]   check tree files; exit 1 on errors
triage run TREE [--mode agent|self_service] [--locale L] [--fact k=v ...]
                                                  walk a tree in the terminal
triage show TREE                                  outline of a tree
triage export TREE --format mermaid|dot|json      the graph for other tools
triage schema                                     JSON Schema of the tree format
triage list                                       the trees in the library
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from triage.cli.progress import ProgressBar
from triage.errors import InvalidAnswer, SessionError, TriageError
from triage.trees.checks import outline
from triage.trees.export import export_graph, node_label
from triage.trees.library import DEFAULT_TREES, Library
from triage.trees.model import Audience, Tree, localize
from triage.walk.handoff import build_handoff
from triage.walk.scenarios import load_library
from triage.walk.session import Session, StepView

__all__ = ["main"]


def _trees_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trees",
        action="append",
        metavar="DIR",
        help=f"tree folder or file (repeatable; default: {DEFAULT_TREES})",
    )


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db", metavar="URL", help="database URL (default: $TRIAGE_DATABASE_URL, else var/triage.db)"
    )


def _library(args: argparse.Namespace) -> Library:
    return load_library(args.trees or [DEFAULT_TREES])


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


def cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    paths = args.paths or [str(DEFAULT_TREES)]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        print(f"triage validate: no such file or folder: {missing[0]}", file=sys.stderr)
        return 2
    # procedures called from the named files are looked up in the shipped library too
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    bar = ProgressBar(sys.stderr) if show else None
    lib = load_library(paths, support=[DEFAULT_TREES], progress=bar)
    if bar is not None:
        bar(len(lib.named), len(lib.named), "files checked")
    wanted = {str(Path(p).resolve()) for p in lib.named}
    diags = [d for path, f in lib.files.items() if str(Path(path).resolve()) in wanted for d in f.diagnostics]
    diags.sort(key=lambda d: (d.path, d.line or 0, d.severity.value))
    shown = diags if args.warnings else [d for d in diags if d.is_error]
    errors = sum(1 for d in diags if d.is_error)
    warnings = len(diags) - errors
    n_files = len(lib.named)
    if args.format == "json":
        payload = {
            "files": n_files,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": [d.model_dump(mode="json", exclude={"loc"}) for d in shown],
        }
        out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        for d in shown:
            out.write(f"{d}\n")
        status = "OK" if errors == 0 else "FAILED"
        out.write(f"{status}: {n_files} file(s), {errors} error(s), {warnings} warning(s)\n")
    return 1 if errors else 0


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    lib = _library(args)
    for t in lib.offered(include_procedures=True):
        kind = " (procedure)" if t.procedure else ""
        out.write(f"{t.category.value:<13} {t.id:<28} {localize(t.title, 'en')}{kind}\n")
    for path, f in lib.broken.items():
        out.write(f"{'BROKEN':<13} {path}: {len(f.errors)} error(s)\n")
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    lib = _library(args)
    tree = _pick_tree(lib, args.tree)
    out.write(f"{tree.id}: {localize(tree.title, args.locale)} [{tree.category.value}]\n")
    for depth, label, node in outline(tree):
        pad = "  " * depth
        if isinstance(node, str):
            out.write(f"{pad}{label}: {node}\n")
            continue
        kind = node.kind if node.kind != "outcome" else f"outcome:{node.outcome}"
        text = node_label(node, args.locale, 200)
        out.write(f"{pad}{label}: [{kind}] {node.id} — {text}\n")
    return 0


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    lib = _library(args)
    tree = _pick_tree(lib, args.tree)
    out.write(export_graph(tree, args.format, args.locale))
    return 0


def cmd_schema(args: argparse.Namespace, out: TextIO) -> int:
    from triage.trees.model import Tree as TreeModel

    schema = TreeModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "triage tree"
    out.write(json.dumps(schema, indent=2) + "\n")
    return 0


def _parse_facts(pairs: Sequence[str]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise TriageError(f"--fact takes key=value (got {pair!r})")
        try:
            facts[key] = json.loads(value)
        except json.JSONDecodeError:
            facts[key] = value
    return facts


_HELP = "commands: b [N] back (to step N), t already tried, n TEXT note, p get me a person, r restart, q quit, ? help"


def _render(view: StepView, out: TextIO) -> None:
    out.write("\n")
    out.write(f"[step {view.step_number}, {view.progress:.0%}] {view.text}\n")
    if view.hint:
        out.write(f"  (agent hint) {view.hint}\n")
    if view.kind == "action":
        extra = f", about {view.minutes:g} min" if view.minutes is not None else ""
        out.write(f"  (do: {view.performer}{extra}) then: {view.check}\n")
    if view.field is not None and not view.options:
        f = view.field
        rng = ""
        if f.min is not None or f.max is not None:
            rng = f" between {f.min if f.min is not None else '-'} and {f.max if f.max is not None else '-'}"
        out.write(f"  enter {f.type.value}{rng}:\n")
    for i, opt in enumerate(view.options, 1):
        out.write(f"  {i}) {opt.label}\n")


def _choose_tree(lib: Library, args: argparse.Namespace, out: TextIO, inp: TextIO) -> Tree | None:
    """Ask which tree to run: a number from the list, or words to search for."""
    trees = lib.offered(args.mode)
    while True:
        for i, t in enumerate(trees, 1):
            out.write(f"  {i:>2}) [{t.category.value}] {localize(t.title, args.locale)}\n")
        out.write("Which problem? Type a number, or words to search (q to quit): ")
        out.flush()
        line = inp.readline()
        if not line or line.strip() in ("q", "quit"):
            return None
        pick = line.strip()
        if pick.isdigit() and 1 <= int(pick) <= len(trees):
            return trees[int(pick) - 1]
        found = lib.search(pick, audience=args.mode, locale=args.locale)
        if len(found) == 1:
            return found[0]
        trees = found or lib.offered(args.mode)
        out.write("No match; all problems:\n" if not found else f"{len(found)} matches:\n")


def cmd_run(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    lib = _library(args)
    if args.tree is None:
        picked = _choose_tree(lib, args, out, inp)
        if picked is None:
            return 1
        tree = picked
    else:
        tree = _pick_tree(lib, args.tree)
    facts = _parse_facts(args.fact or [])
    if args.persist:
        from triage.records.store import Store

        store = Store(args.db)
        store.sync(lib)
        stored = store.start_session(
            tree.id, mode=args.mode, locale=args.locale, facts=facts, customer_id=args.customer
        )
        return walk(stored, args, out, inp)
    if tree.id not in lib.trees:
        lib.trees[tree.id] = tree
    session = Session.start(lib, tree.id, mode=args.mode, locale=args.locale, facts=facts)
    return walk(session, args, out, inp)


def walk(session: Any, args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    """The interactive loop, for an in-memory :class:`Session` or a stored one (same methods)."""
    engine_session: Session = getattr(session, "session", session)
    view = session.view()
    out.write(f"{view.tree_title} — {view.mode.value} session {view.session_id}\n{_HELP}\n")
    while not view.finished:
        _render(view, out)
        out.write("> ")
        out.flush()
        line = inp.readline()
        if not line:
            out.write(f"\n(input ended; session {view.session_id} left open)\n")
            _save(engine_session, args)
            return 1
        cmd = line.strip()
        try:
            if cmd in ("q", "quit"):
                out.write(f"Session {view.session_id} left open.\n")
                _save(engine_session, args)
                return 1
            if cmd in ("?", "help"):
                out.write(_HELP + "\n")
                continue
            if cmd == "b" or cmd.startswith("b "):
                arg = cmd[1:].strip()
                view = session.back(int(arg) - 1 if arg else None)
            elif cmd == "t":
                view = session.mark_tried()
            elif cmd.startswith("n "):
                session.add_note(cmd[2:])
                out.write("  note added\n")
            elif cmd == "p":
                session.escalate_now()
                view = session.view()
            elif cmd == "r":
                view = session.restart()
            else:
                if cmd.isdigit() and view.options and 1 <= int(cmd) <= len(view.options):
                    cmd = view.options[int(cmd) - 1].value
                view = session.answer(cmd)
        except (InvalidAnswer, SessionError, ValueError) as exc:
            out.write(f"  ! {exc}\n")
        except TriageError as exc:  # e.g. the database is locked: nothing was saved, try again
            out.write(f"  ! {exc}\n")
        engine_session = getattr(session, "session", session)
    d = view.decision
    assert d is not None
    out.write(f"\n== Decision: {d.label(view.locale).upper()} ==\n{d.message}\n")
    for r in d.reasons:
        out.write(f"  because: {r}\n")
    if d.kind.value != "resolved":
        out.write("\n" + build_handoff(engine_session).to_markdown())
    _save(engine_session, args)
    return 0


def _save(session: Session, args: argparse.Namespace) -> None:
    if getattr(args, "save", None):
        Path(args.save).write_text(json.dumps(session.to_dict(), indent=2, default=str), encoding="utf-8")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="triage", description="Guided troubleshooting engine for technical support."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check tree files and print errors and warnings")
    p.add_argument("paths", nargs="*", help="tree files or folders (default: the shipped trees)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--no-warnings", dest="warnings", action="store_false", help="print errors only")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on standard error (default: when it is a terminal)",
    )

    p = sub.add_parser("run", help="walk a tree interactively in the terminal")
    p.add_argument("tree", nargs="?", help="tree id or file (default: choose from a list)")
    p.add_argument("--mode", choices=[a.value for a in Audience], default="agent")
    p.add_argument("--locale", default="en")
    p.add_argument(
        "--fact", action="append", metavar="KEY=VALUE", help="a fact known at the start (repeatable)"
    )
    p.add_argument("--save", metavar="FILE", help="write the session as JSON when it ends")
    p.add_argument(
        "--persist",
        action="store_true",
        help="keep the session in the database (resume it with `triage resume`)",
    )
    p.add_argument("--customer", metavar="ID", help="the customer's id (repeat contacts are found by it)")
    _db_arg(p)
    _trees_arg(p)

    p = sub.add_parser("show", help="print an outline of a tree")
    p.add_argument("tree")
    p.add_argument("--locale", default="en")
    _trees_arg(p)

    p = sub.add_parser("export", help="export a tree's graph")
    p.add_argument("tree")
    p.add_argument("--format", choices=["mermaid", "dot", "json"], default="mermaid")
    p.add_argument("--locale", default="en")
    _trees_arg(p)

    p = sub.add_parser("list", help="list the trees in the library")
    _trees_arg(p)

    sub.add_parser("schema", help="print the JSON Schema of tree files")

    from triage.cli import planner as cli_planner
    from triage.cli import records as cli_records

    cli_records.register(sub, _db_arg)
    cli_planner.register(sub, _db_arg)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, inp: TextIO | None = None) -> int:
    out = out or sys.stdout
    inp = inp or sys.stdin
    args = build_parser().parse_args(argv)
    try:
        if args.command == "validate":
            return cmd_validate(args, out)
        if args.command == "run":
            return cmd_run(args, out, inp)
        if args.command == "show":
            return cmd_show(args, out)
        if args.command == "export":
            return cmd_export(args, out)
        if args.command == "list":
            return cmd_list(args, out)
        if args.command == "schema":
            return cmd_schema(args, out)
        if hasattr(args, "func"):
            return int(args.func(args, out, inp))
    except TriageError as exc:
        print(f"triage {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `triage sessions | head`
        return 0
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
