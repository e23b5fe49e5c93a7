"""``triage`` commands for the records: database, versions, sessions, the escalation queue, accounts, stats.

    triage db upgrade                          create or migrate the database
    triage publish [PATH...] [--author A]      publish changed tree files as new versions
    triage versions TREE                       published versions of a tree
    triage diff TREE OLD NEW                   readable diff between two versions
    triage sessions [--status S] [--tree T] [--customer C]
    triage resume REF                          continue a stored session in the terminal
    triage cases [--queue Q] [--status S]      the escalation queue
    triage case show|claim|note|close|take-over REF ...

A session or a case is named by its reference as people read it out (``K7P-4QX``; any case, dashes and spaces
optional, O read as 0 and I or L as 1); a session also by its id, a unique start of it or the customer's
link, and a case by its number.
    triage user add NAME --role ROLE [--password-stdin] | list | passwd NAME | roles NAME --role ROLE
    triage user deactivate NAME | reactivate NAME
    triage audit [--user NAME] [--since WHEN] [--limit N]
    triage stats [--tree T] [--days N] [--csv FILE [--table NAME]]
    triage demo-data [--days N] [--per-day N] [--seed S]

Every command takes ``--db URL`` (default ``$TRIAGE_DATABASE_URL``, else ``var/triage.db``) and closes the
store it opens (``with Store(db) as st``) before it returns, whatever happens.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TextIO

import click

from triage.cli.options import Streams, db_option, fmt_time, pass_streams
from triage.cli.terminal import walk
from triage.desk.contact import resolve_session_id
from triage.errors import NotFound
from triage.records.accounts import Accounts
from triage.records.cases import Queue
from triage.records.store import Store
from triage.trees.library import DEFAULT_TREES
from triage.walk.scenarios import load_library

__all__ = ["COMMANDS"]


# -- trees in the database --------------------------------------------------------------------------------------


@click.command("db")
@click.argument(
    "action", type=click.Choice(["upgrade"]), help="upgrade: create or migrate to the latest schema"
)
@db_option
@pass_streams
def db_command(streams: Streams, action: str, db: str | None) -> int:
    """Create or migrate the database."""
    with Store(db) as st:  # opening migrates
        url = st.engine.url.render_as_string(hide_password=True)
    streams.out.write(f"database {url} is at the latest schema\n")
    return 0


@click.command("publish")
@click.argument("paths", nargs=-1, help="tree files or folders (default: the shipped trees)")
@click.option("--author", default="cli", show_default=True, help="who publishes, kept with each version")
@db_option
@pass_streams
def publish(streams: Streams, paths: tuple[str, ...], author: str, db: str | None) -> int:
    """Publish changed tree files as new versions."""
    out = streams.out
    lib = load_library(list(paths) or [DEFAULT_TREES], support=[DEFAULT_TREES])
    with Store(db) as st:
        published = st.sync(lib, author=author, only={str(p) for p in lib.named})
    for v in published:
        out.write(f"published {v.tree_id} version {v.version} ({v.digest[:12]})\n")
    broken = {p: f for p, f in lib.broken.items() if p in lib.named}
    for path, f in broken.items():
        out.write(f"not published: {path} has {len(f.errors)} error(s); run `triage validate {path}`\n")
    valid = sum(1 for s in lib.sources.values() if s.path in lib.named)
    out.write(f"{len(published)} tree(s) published, {valid - len(published)} unchanged\n")
    return 1 if broken else 0


@click.command("versions")
@click.argument("tree", help="tree id")
@db_option
@pass_streams
def versions(streams: Streams, tree: str, db: str | None) -> int:
    """List a tree's published versions."""
    with Store(db) as st:
        found = st.versions(tree)
    if not found:
        streams.out.write(f"tree {tree!r} has no published version\n")
        return 1
    for v in found:
        note = f" — {v.note}" if v.note else ""
        streams.out.write(f"v{v.version}  {fmt_time(v.published_at)}  {v.author:<12} {v.digest[:12]}{note}\n")
    return 0


@click.command("diff")
@click.argument("tree", help="tree id")
@click.argument("old", type=int, help="the older version number")
@click.argument("new", type=int, help="the newer version number")
@db_option
@pass_streams
def diff(streams: Streams, tree: str, old: int, new: int, db: str | None) -> int:
    """Diff two published versions of a tree."""
    with Store(db) as st:
        streams.out.write(st.diff(tree, old, new))
    return 0


# -- sessions ---------------------------------------------------------------------------------------------------


@click.command("sessions")
@click.option("--status", type=click.Choice(["open", "decided"]), help="only open or only decided sessions")
@click.option("--tree", help="only sessions of this tree id")
@click.option("--customer", help="only this customer's sessions")
@click.option("--limit", type=int, default=50, show_default=True, help="at most this many, newest first")
@db_option
@pass_streams
def sessions(
    streams: Streams, status: str | None, tree: str | None, customer: str | None, limit: int, db: str | None
) -> int:
    """List stored sessions."""
    with Store(db) as st:
        rows = st.list_sessions(status=status, tree_id=tree, customer_id=customer, limit=limit)
    for r in rows:
        decision = f"{r.decision_kind} ({r.decision_rule})" if r.decision_kind else f"at {r.last_node}"
        streams.out.write(
            f"{r.reference or '-':<8} {r.id}  {fmt_time(r.started_at)}  {r.tree_id:<22} {r.mode:<12} {r.locale:<5} "
            f"{r.steps:>3} steps  {decision}\n"
        )
    streams.out.write(f"{len(rows)} session(s)\n")
    return 0


@click.command("resume")
@click.argument(
    "ref", help="the session's reference (K7P-4QX), id, start of its id or link (`triage sessions`)"
)
@db_option
@pass_streams
def resume(streams: Streams, ref: str, db: str | None) -> int:
    """Continue a stored session in the terminal."""
    with Store(db) as st:
        return walk(st.load_session(resolve_session_id(st, ref)), streams.out, streams.inp)


# -- the escalation queue ---------------------------------------------------------------------------------------


@click.command("cases")
@click.option("--queue", help="only this queue")
@click.option(
    "--status", default="open", show_default=True, help="open, claimed, closed, withdrawn, or '' for all"
)
@click.option("--tier", type=int, help="only cases at this support tier")
@db_option
@pass_streams
def cases(streams: Streams, queue: str | None, status: str, tier: int | None, db: str | None) -> int:
    """List the escalation queue."""
    with Store(db) as st:
        found = Queue(st).list_cases(queue=queue, status=status or None, tier=tier)
    for c in found:
        who = f" [{c.claimed_by}]" if c.claimed_by else ""
        streams.out.write(
            f"{c.label:<8} #{c.id:<5} {c.priority:<7} tier {c.tier}  {c.queue:<20} {c.status}{who}  "
            f"{fmt_time(c.created_at)}  {c.reason}\n"
        )
    streams.out.write(f"{len(found)} case(s)\n")
    return 0


@click.command("case")
@click.argument(
    "action",
    type=click.Choice(["show", "claim", "note", "close", "take-over"]),
    metavar="ACTION",
    help="show, claim, note, close or take-over",
)
@click.argument(
    "ref", help="the case's reference (K7P-4QX) or number (take-over: the session's reference or id)"
)
@click.argument("text", nargs=-1, help="the note (for `note`)")
@click.option("--user", default="tier2", show_default=True, help="who does it")
@click.option("--code", help="closure code: the fault actually found (for `close`)")
@click.option("--fix", help="what fixed it (for `close`)")
@db_option
@pass_streams
def case(
    streams: Streams,
    action: str,
    ref: str,
    text: tuple[str, ...],
    user: str,
    code: str | None,
    fix: str | None,
    db: str | None,
) -> int:
    """Work one case: show, claim, note, close, take-over."""
    if action == "close" and not code:
        raise SystemExit("triage case close: --code is required (the fault actually found)")
    with Store(db) as st:
        q, out = Queue(st), streams.out
        if action == "take-over":
            return walk(q.take_over(resolve_session_id(st, ref), user), out, streams.inp)
        number = _case_number(q, action, ref)
        if action == "show":
            _show_case(q, number, out)
        elif action == "claim":
            out.write(f"case {q.claim(number, user).label} claimed by {user}\n")
        elif action == "note":
            q.add_note(number, user, " ".join(text))
            out.write(f"note added to case {q.get(number).label}\n")
        else:  # close
            c = q.close(number, user, code or "", fix or "")
            out.write(f"case {c.label} closed: {c.closure_code}\n")
    return 0


def _case_number(q: Queue, action: str, ref: str) -> int:
    """The number of the case REF names (its reference or number); a usage error (exit 2) if none does."""
    try:
        return q.case_id(ref)
    except NotFound as exc:
        raise click.UsageError(
            f"{action} needs a case's reference or number, like `triage case {action} K7P-4QX`: {exc}",
            click.get_current_context(),
        ) from None


def _show_case(q: Queue, case_id: int, out: TextIO) -> None:
    c = q.get(case_id)
    out.write(
        f"case {c.label} (#{c.id}): {c.status}, tier {c.tier}, queue {c.queue}, priority {c.priority}\n"
    )
    if c.closure_code:
        out.write(f"closure: {c.closure_code} — {c.closure_fix or '-'}\n")
    for at, author, text in c.notes:
        out.write(f"note {fmt_time(at)} {author}: {text}\n")
    out.write("\n" + c.handoff_markdown)


# -- staff accounts ---------------------------------------------------------------------------------------------


@click.command("user")
@click.argument(
    "action",
    type=click.Choice(["add", "list", "passwd", "roles", "deactivate", "reactivate"]),
    metavar="ACTION",
    help="add, list, passwd, roles, deactivate or reactivate",
)
@click.argument("username", required=False, help="the account (for every action but list)")
@click.option(
    "--role", multiple=True, help="agent, tier2, dispatcher, author or admin (repeatable; add, roles)"
)
@click.option("--name", help="display name")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@db_option
@pass_streams
def user(
    streams: Streams,
    action: str,
    username: str | None,
    role: tuple[str, ...],
    name: str | None,
    password_stdin: bool,
    db: str | None,
) -> int:
    """Staff accounts: add, list, passwd, roles, deactivate."""
    if action != "list" and not username:
        raise SystemExit(f"triage user {action}: give a username")
    if action == "roles" and not role:
        raise SystemExit("triage user roles: give the new roles with --role (repeatable)")
    with Store(db) as st:
        accounts = Accounts(st)
        if action == "list":
            for u in accounts.users():
                active = "" if u.active else "  (deactivated)"
                streams.out.write(f"{u.username:<20} {', '.join(u.roles)}{active}\n")
        else:
            _change_user(streams, accounts, action, username or "", role, name, password_stdin)
    return 0


def _change_user(
    streams: Streams,
    accounts: Accounts,
    action: str,
    username: str,
    role: tuple[str, ...],
    name: str | None,
    password_stdin: bool,
) -> None:
    out = streams.out
    if action in ("add", "passwd"):
        _add_or_passwd(streams, accounts, action, username, role, name, password_stdin)
    elif action == "roles":
        ident = accounts.set_roles(username, role, actor=_CLI)
        out.write(f"user {ident.username} now has roles {', '.join(ident.roles)}\n")
    elif action == "deactivate":
        accounts.deactivate(username, actor=_CLI)
        out.write(f"user {username} deactivated: cannot sign in; open pages lose access on their next run\n")
    else:
        accounts.reactivate(username, actor=_CLI)
        out.write(f"user {username} reactivated\n")


_CLI = "cli"
"""The actor the audit log names for changes made with the command line."""


def _add_or_passwd(
    streams: Streams,
    accounts: Accounts,
    action: str,
    username: str,
    role: tuple[str, ...],
    name: str | None,
    password_stdin: bool,
) -> None:
    import getpass

    if password_stdin:
        password = streams.inp.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {username}: ")
    if action == "add":
        roles = list(role) or ["agent"]
        ident = accounts.create(username, password, roles, name or "", actor=_CLI)
        streams.out.write(f"user {ident.username} created with roles {', '.join(roles)}\n")
    else:
        accounts.set_password(username, password, actor=_CLI)
        streams.out.write(f"password of {username} changed\n")


@click.command("audit")
@click.option("--user", "username", metavar="NAME", help="only lines about this account (or typed name)")
@click.option(
    "--since", metavar="WHEN", help="only from then on: 2026-05-01, 2026-05-01T14:00, or 30m, 24h, 7d ago"
)
@click.option(
    "--limit", type=int, default=50, show_default=True, help="at most this many lines, newest first"
)
@db_option
@pass_streams
def audit_command(
    streams: Streams, username: str | None, since: str | None, limit: int, db: str | None
) -> int:
    """The audit log: sign-ins, failures, throttles, account changes."""
    from triage.records import audit, names

    after = _since(since) if since else None
    with Store(db) as st:
        found = audit.entries(
            st, username=names.fold(username) if username else None, since=after, limit=limit
        )
    for e in found:
        who = f" by {_safe(e.actor)}" if e.actor else ""
        client = f" from {_safe(e.client)}" if e.client else ""
        detail = f": {_safe(e.detail)}" if e.detail else ""
        streams.out.write(f"{fmt_time(e.at)}  {e.event:<16} {_safe(e.username)}{who}{client}{detail}\n")
    streams.out.write(f"{len(found)} line(s)\n")
    return 0


def _since(text: str) -> datetime:
    """``7d``, ``24h`` or ``30m`` ago, or an ISO date or time (UTC unless it says otherwise)."""
    from triage.records.schema import utcnow

    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text[-1:] in units and text[:-1].isdigit():
        return utcnow() - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"triage audit: --since {text!r} is not a date, a time, or 30m / 24h / 7d") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _safe(text: str) -> str:
    """``text`` with control and invisible characters escaped: typed user names must not drive the terminal."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


# -- analytics and demo history ---------------------------------------------------------------------------------


@click.command("stats")
@click.option("--tree", help="only this tree id")
@click.option(
    "--days", type=int, help="only sessions started in the last N days (today is one; from UTC midnight)"
)
@click.option("--mode", type=click.Choice(["agent", "self_service"]), help="only sessions in this mode")
@click.option("--locale", help="only sessions in this language")
@click.option("--csv", metavar="FILE", help="also write a table as CSV")
@click.option("--table", default="trees", show_default=True, help="which table --csv writes")
@click.option("--compact", "compact_first", is_flag=True, help="bring the rollups up to date first")
@click.option("--raw", is_flag=True, help="count from the sessions and events, not the rollups")
@db_option
@pass_streams
def stats(
    streams: Streams,
    tree: str | None,
    days: int | None,
    mode: str | None,
    locale: str | None,
    csv: str | None,
    table: str,
    compact_first: bool,
    raw: bool,
    db: str | None,
) -> int:
    """Outcomes, first-contact resolution, drop-off and fix rates."""
    from pathlib import Path

    from triage import analytics
    from triage.desk.analytics import period_start

    since = period_start(days or 0)  # whole UTC days, as the Analytics page: the rollups answer them
    with Store(db) as st:
        if compact_first:
            from triage.analytics.compaction import compact

            compact(st)
        s = analytics.summary(st, tree_id=tree, since=since, mode=mode, locale=locale, raw=raw)
    streams.out.write(analytics.render_text(s))
    if csv:
        tables = s.tables()
        if table not in tables:
            raise SystemExit(f"triage stats: --table is one of {', '.join(tables)}")
        Path(csv).write_text(analytics.to_csv(tables[table]), encoding="utf-8")
        streams.out.write(f"wrote the {table} table to {csv}\n")
    return 0


@click.command("rollup")
@db_option
@pass_streams
def rollup(streams: Streams, db: str | None) -> int:
    """Bring the analytics rollups up to date (only what changed)."""
    from triage.analytics.compaction import compact

    with Store(db) as st:
        done = compact(st)
    if done.skipped:
        streams.out.write("rollups: another instance is compacting; it brings them up to date\n")
    else:
        streams.out.write(
            f"rollups: {done.days} day(s) recomputed, {done.events:,} step events, in {done.seconds:.2f} s\n"
        )
    return 0


@click.command("demo-data")
@click.option("--days", type=int, default=42, show_default=True, help="days of history, ending today")
@click.option("--per-day", type=int, default=40, show_default=True, help="about this many sessions a day")
@click.option("--seed", type=int, default=7, show_default=True, help="random seed")
@db_option
@pass_streams
def demo_data(streams: Streams, days: int, per_day: int, seed: int, db: str | None) -> int:
    """Fill the database with simulated history."""
    from triage.demo import generate_demo_data

    with Store(db) as st:
        report = generate_demo_data(st, days=days, sessions_per_day=per_day, seed=seed)
    streams.out.write(
        f"demo data: {report.sessions} sessions ({report.resolved} resolved, {report.escalated} escalated, "
        f"{report.visits} visits, {report.undecided} open), {report.events} events, {report.cases} cases, "
        f"{report.bookings} bookings, {report.technicians} technicians\n"
    )
    return 0


COMMANDS: tuple[click.Command, ...] = (
    db_command,
    publish,
    versions,
    diff,
    sessions,
    resume,
    cases,
    case,
    user,
    audit_command,
    stats,
    rollup,
    demo_data,
)
