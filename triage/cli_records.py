"""``triage`` commands for the records: database, versions, sessions, the escalation queue.

    triage db upgrade                          create or migrate the database
    triage publish [PATH...] [--author A]      publish changed tree files as new versions
    triage versions TREE                       published versions of a tree
    triage diff TREE OLD NEW                   readable diff between two versions
    triage sessions [--status S] [--tree T] [--customer C]
    triage resume SESSION_ID                   continue a stored session in the terminal
    triage cases [--queue Q] [--status S]      the escalation queue
    triage case show|claim|note|close|take-over ...
    triage user add NAME --role ROLE [--password-stdin] | user list | user passwd NAME

Every command takes ``--db URL`` (default ``$TRIAGE_DATABASE_URL``, else ``var/triage.db``).
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from triage.cases import Queue
from triage.library import DEFAULT_TREES, load_library
from triage.store import Store

__all__ = ["register"]


def _store(args: argparse.Namespace) -> Store:
    return Store(args.db)


def _fmt_time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


def cmd_db(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    st = _store(args)  # opening migrates
    out.write(f"database {st.engine.url.render_as_string(hide_password=True)} is at the latest schema\n")
    return 0


def cmd_publish(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    lib = load_library(args.paths or [DEFAULT_TREES], support=[DEFAULT_TREES])
    st = _store(args)
    published = st.sync(lib, author=args.author, only={str(p) for p in lib.named})
    for v in published:
        out.write(f"published {v.tree_id} version {v.version} ({v.digest[:12]})\n")
    broken = {p: f for p, f in lib.broken.items() if p in lib.named}
    for path, f in broken.items():
        out.write(f"not published: {path} has {len(f.errors)} error(s); run `triage validate {path}`\n")
    valid = sum(1 for s in lib.sources.values() if s.path in lib.named)
    out.write(f"{len(published)} tree(s) published, {valid - len(published)} unchanged\n")
    return 1 if broken else 0


def cmd_versions(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    versions = _store(args).versions(args.tree)
    if not versions:
        out.write(f"tree {args.tree!r} has no published version\n")
        return 1
    for v in versions:
        note = f" — {v.note}" if v.note else ""
        out.write(f"v{v.version}  {_fmt_time(v.published_at)}  {v.author:<12} {v.digest[:12]}{note}\n")
    return 0


def cmd_diff(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    out.write(_store(args).diff(args.tree, args.old, args.new))
    return 0


def cmd_sessions(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    rows = _store(args).list_sessions(
        status=args.status, tree_id=args.tree, customer_id=args.customer, limit=args.limit
    )
    for r in rows:
        decision = f"{r.decision_kind} ({r.decision_rule})" if r.decision_kind else f"at {r.last_node}"
        out.write(
            f"{r.id}  {_fmt_time(r.started_at)}  {r.tree_id:<22} {r.mode:<12} {r.locale:<5} "
            f"{r.steps:>3} steps  {decision}\n"
        )
    out.write(f"{len(rows)} session(s)\n")
    return 0


def cmd_resume(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    from triage.cli import walk

    stored = _store(args).load_session(args.session_id)
    return walk(stored, args, out, inp)


def cmd_cases(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    cases = Queue(_store(args)).list_cases(queue=args.queue, status=args.status or None, tier=args.tier)
    for c in cases:
        who = f" [{c.claimed_by}]" if c.claimed_by else ""
        out.write(
            f"#{c.id:<5} {c.priority:<7} tier {c.tier}  {c.queue:<20} {c.status}{who}  "
            f"{_fmt_time(c.created_at)}  {c.reason}\n"
        )
    out.write(f"{len(cases)} case(s)\n")
    return 0


def cmd_case(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    q = Queue(_store(args))
    if args.action == "show":
        c = q.get(int(args.ref))
        out.write(f"case #{c.id}: {c.status}, tier {c.tier}, queue {c.queue}, priority {c.priority}\n")
        if c.closure_code:
            out.write(f"closure: {c.closure_code} — {c.closure_fix or '-'}\n")
        for at, author, text in c.notes:
            out.write(f"note {_fmt_time(at)} {author}: {text}\n")
        out.write("\n" + c.handoff_markdown)
    elif args.action == "claim":
        c = q.claim(int(args.ref), args.user)
        out.write(f"case #{c.id} claimed by {args.user}\n")
    elif args.action == "note":
        q.add_note(int(args.ref), args.user, " ".join(args.text))
        out.write(f"note added to case #{args.ref}\n")
    elif args.action == "close":
        if not args.code:
            raise SystemExit("triage case close: --code is required (the fault actually found)")
        c = q.close(int(args.ref), args.user, args.code, args.fix or "")
        out.write(f"case #{c.id} closed: {c.closure_code}\n")
    elif args.action == "take-over":
        from triage.cli import walk

        stored = q.take_over(args.ref, args.user)
        return walk(stored, args, out, inp)
    return 0


def cmd_user(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    import getpass

    from triage.auth import Accounts

    accounts = Accounts(_store(args))
    if args.action == "list":
        for u in accounts.users():
            out.write(f"{u.username:<20} {', '.join(u.roles)}\n")
        return 0
    if not args.username:
        raise SystemExit(f"triage user {args.action}: give a username")
    if args.password_stdin:
        password = inp.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.username}: ")
    if args.action == "add":
        accounts.create(args.username, password, args.role or ["agent"], args.name or "")
        out.write(f"user {args.username} created with roles {', '.join(args.role or ['agent'])}\n")
    else:
        accounts.set_password(args.username, password)
        out.write(f"password of {args.username} changed\n")
    return 0


def register(sub: Any, db_arg: Any) -> None:
    """Add the records commands to the ``triage`` parser."""
    p = sub.add_parser("db", help="create or migrate the database")
    p.add_argument("action", choices=["upgrade"])
    db_arg(p)
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("publish", help="publish changed tree files as new versions")
    p.add_argument("paths", nargs="*", help="tree files or folders (default: the shipped trees)")
    p.add_argument("--author", default="cli")
    db_arg(p)
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("versions", help="list a tree's published versions")
    p.add_argument("tree")
    db_arg(p)
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser("diff", help="diff two published versions of a tree")
    p.add_argument("tree")
    p.add_argument("old", type=int)
    p.add_argument("new", type=int)
    db_arg(p)
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("sessions", help="list stored sessions")
    p.add_argument("--status", choices=["open", "decided"])
    p.add_argument("--tree")
    p.add_argument("--customer")
    p.add_argument("--limit", type=int, default=50)
    db_arg(p)
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("resume", help="continue a stored session in the terminal")
    p.add_argument("session_id")
    db_arg(p)
    p.set_defaults(func=cmd_resume, save=None)

    p = sub.add_parser("cases", help="list the escalation queue")
    p.add_argument("--queue")
    p.add_argument("--status", default="open", help="open, claimed, closed, withdrawn, or '' for all")
    p.add_argument("--tier", type=int)
    db_arg(p)
    p.set_defaults(func=cmd_cases)

    p = sub.add_parser("case", help="work one case: show, claim, note, close, take-over")
    p.add_argument("action", choices=["show", "claim", "note", "close", "take-over"])
    p.add_argument("ref", help="case number (take-over: the session id)")
    p.add_argument("text", nargs="*", help="the note (for `note`)")
    p.add_argument("--user", default="tier2")
    p.add_argument("--code", help="closure code: the fault actually found (for `close`)")
    p.add_argument("--fix", help="what fixed it (for `close`)")
    db_arg(p)
    p.set_defaults(func=cmd_case, save=None)

    p = sub.add_parser("user", help="staff accounts: add, list, passwd")
    p.add_argument("action", choices=["add", "list", "passwd"])
    p.add_argument("username", nargs="?")
    p.add_argument("--role", action="append", help="agent, tier2, dispatcher, author or admin (repeatable)")
    p.add_argument("--name", help="display name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    db_arg(p)
    p.set_defaults(func=cmd_user)
