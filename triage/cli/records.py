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
    triage technician list | add --name N --skill S --region R [--hours 08:00-17:00]
    triage visit slots|book|list|cancel|reschedule|close|ics ...
    triage stats [--tree T] [--days N] [--csv FILE [--table NAME]]
    triage demo-data [--days N] [--per-day N] [--seed S]

Every command takes ``--db URL`` (default ``$TRIAGE_DATABASE_URL``, else ``var/triage.db``).
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from triage.records.cases import Queue
from triage.records.store import Store
from triage.trees.library import DEFAULT_TREES
from triage.walk.scenarios import load_library

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
    from triage.cli.main import walk

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
        from triage.cli.main import walk

        stored = q.take_over(args.ref, args.user)
        return walk(stored, args, out, inp)
    return 0


def cmd_user(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    import getpass

    from triage.records.accounts import Accounts

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


def cmd_technician(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    from triage.visits.scheduling import Scheduler

    sched = Scheduler(_store(args))
    if args.action == "add":
        if not (args.name and args.skill and args.region):
            raise SystemExit("triage technician add: give --name, --skill and --region")
        hours = None
        if args.hours:
            start, _, end = args.hours.partition("-")
            hours = {d: [start, end] for d in ("mon", "tue", "wed", "thu", "fri")}
        t = sched.add_technician(args.name, args.skill, args.region, hours, args.slot_minutes, args.timezone)
        out.write(f"technician #{t.id} {t.name}: {', '.join(t.skills)} in {', '.join(t.regions)}\n")
        return 0
    for t in sched.technicians():
        out.write(
            f"#{t.id:<4} {t.name:<24} skills: {', '.join(t.skills):<30} regions: {', '.join(t.regions)}\n"
        )
    return 0


def cmd_visit(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    from triage.visits.scheduling import Scheduler

    store = _store(args)
    sched = Scheduler(store)
    if args.action == "slots":
        if not (args.skill and args.region):
            raise SystemExit("triage visit slots: give --skill and --region")
        for slot in sched.free_slots(args.skill, args.region, urgency=args.urgency)[: args.limit]:
            out.write(f"{slot}\n")
        return 0
    if args.action == "book":
        if not args.ref:
            raise SystemExit("triage visit book: give the session id")
        b = sched.book_for_session(store.load_session(args.ref), args.region, customer_id=args.customer)
    elif args.action == "list":
        for b in sched.bookings(status=args.status or None):
            out.write(
                f"#{b.id:<5} {b.status:<10} {_fmt_time(b.start)}  {b.technician_name:<20} {b.skill:<16} "
                f"{b.urgency:<7} session {b.session_id or '-'}\n"
            )
        return 0
    elif args.action == "cancel":
        b = sched.cancel(int(args.ref), args.reason or "cancelled by dispatch")
    elif args.action == "reschedule":
        b = sched.reschedule(int(args.ref))
    elif args.action == "close":
        if not args.code:
            raise SystemExit("triage visit close: --code is required (the fault actually found)")
        b = sched.close_visit(int(args.ref), args.technician or "technician", args.code, args.fix or "")
    elif args.action == "ics":
        out.write(sched.ics(int(args.ref)))
        return 0
    out.write(f"booking #{b.id}: {b.status}, {b.slot}\n")
    return 0


def cmd_stats(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    from datetime import timedelta

    from triage.analytics import queries as analytics
    from triage.records.schema import utcnow

    since = utcnow() - timedelta(days=args.days) if args.days else None
    s = analytics.summary(_store(args), tree_id=args.tree, since=since, mode=args.mode, locale=args.locale)
    out.write(analytics.render_text(s))
    if args.csv:
        from pathlib import Path

        tables = s.tables()
        if args.table not in tables:
            raise SystemExit(f"triage stats: --table is one of {', '.join(tables)}")
        Path(args.csv).write_text(analytics.to_csv(tables[args.table]), encoding="utf-8")
        out.write(f"wrote the {args.table} table to {args.csv}\n")
    return 0


def cmd_demo(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    from triage.demo import generate_demo_data

    report = generate_demo_data(_store(args), days=args.days, sessions_per_day=args.per_day, seed=args.seed)
    out.write(
        f"demo data: {report.sessions} sessions ({report.resolved} resolved, {report.escalated} escalated, "
        f"{report.visits} visits, {report.undecided} open), {report.events} events, {report.cases} cases, "
        f"{report.bookings} bookings, {report.technicians} technicians\n"
    )
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

    p = sub.add_parser("technician", help="field technicians: list, add")
    p.add_argument("action", choices=["list", "add"])
    p.add_argument("--name")
    p.add_argument("--skill", action="append")
    p.add_argument("--region", action="append")
    p.add_argument("--hours", help="weekday working hours, e.g. 08:00-17:00")
    p.add_argument("--slot-minutes", type=int, default=120)
    p.add_argument("--timezone", default="Europe/Berlin")
    db_arg(p)
    p.set_defaults(func=cmd_technician)

    p = sub.add_parser("visit", help="home visits: slots, book, list, cancel, reschedule, close, ics")
    p.add_argument("action", choices=["slots", "book", "list", "cancel", "reschedule", "close", "ics"])
    p.add_argument("ref", nargs="?", help="session id (book) or booking number")
    p.add_argument("--skill")
    p.add_argument("--region")
    p.add_argument("--urgency", choices=["urgent", "normal", "low"])
    p.add_argument("--customer")
    p.add_argument("--status", default="booked", help="for list: booked, cancelled, done, or '' for all")
    p.add_argument("--reason")
    p.add_argument("--technician")
    p.add_argument("--code")
    p.add_argument("--fix")
    p.add_argument("--limit", type=int, default=10)
    db_arg(p)
    p.set_defaults(func=cmd_visit)

    p = sub.add_parser("stats", help="analytics: outcomes, first-contact resolution, drop-off, fix rates")
    p.add_argument("--tree")
    p.add_argument("--days", type=int, help="only sessions started in the last N days")
    p.add_argument("--mode", choices=["agent", "self_service"])
    p.add_argument("--locale")
    p.add_argument("--csv", metavar="FILE", help="also write a table as CSV")
    p.add_argument("--table", default="trees", help="which table --csv writes (default: trees)")
    db_arg(p)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("demo-data", help="fill the database with simulated history")
    p.add_argument("--days", type=int, default=42)
    p.add_argument("--per-day", type=int, default=40)
    p.add_argument("--seed", type=int, default=7)
    db_arg(p)
    p.set_defaults(func=cmd_demo)
