"""``triage`` commands for home visits: the technicians and their bookings.

    triage technician list | add --name N --skill S --region R [--hours 08:00-17:00]
    triage visit slots|book|list|cancel|reschedule|close|ics ...

Both take ``--db URL`` (default ``$TRIAGE_DATABASE_URL``, else ``var/triage.db``) and close the store they open.
A visit is named by its reference (``K7P-4QX``, kept through every reschedule; any case, dashes optional) or by a
booking number; a missing or malformed one is a usage error (exit 2), like any other wrong argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

import click

from triage.cli.options import Streams, db_option, fmt_time, pass_streams
from triage.records.refs import looks_like_reference
from triage.records.store import Store

if TYPE_CHECKING:
    from triage.visits import BookingView, Scheduler

__all__ = ["COMMANDS"]

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _scheduler(store: Store) -> Scheduler:
    # imported when a visit command runs, so the other commands start without the scheduling module
    from triage.visits import Scheduler

    return Scheduler(store)


@click.command("technician")
@click.argument("action", type=click.Choice(["list", "add"]), metavar="ACTION", help="list or add")
@click.option("--name", help="the technician's name (for add)")
@click.option("--skill", multiple=True, help="a skill, e.g. fibre (for add; repeatable)")
@click.option("--region", multiple=True, help="a region served (for add; repeatable)")
@click.option("--hours", help="weekday working hours, e.g. 08:00-17:00")
@click.option("--slot-minutes", type=int, default=120, show_default=True, help="length of one visit slot")
@click.option("--timezone", default="Europe/Berlin", show_default=True, help="the zone of --hours")
@db_option
@pass_streams
def technician(
    streams: Streams,
    action: str,
    name: str | None,
    skill: tuple[str, ...],
    region: tuple[str, ...],
    hours: str | None,
    slot_minutes: int,
    timezone: str,
    db: str | None,
) -> int:
    """Field technicians: list, add."""
    out = streams.out
    if action == "add" and not (name and skill and region):
        raise SystemExit("triage technician add: give --name, --skill and --region")
    with Store(db) as st:
        sched = _scheduler(st)
        if action == "list":
            for t in sched.technicians():
                skills, regions = ", ".join(t.skills), ", ".join(t.regions)
                out.write(f"#{t.id:<4} {t.name:<24} skills: {skills:<30} regions: {regions}\n")
            return 0
        week = None
        if hours:
            start, _, end = hours.partition("-")
            week = {d: [start, end] for d in _WEEKDAYS}
        t = sched.add_technician(name or "", list(skill), list(region), week, slot_minutes, timezone)
    out.write(f"technician #{t.id} {t.name}: {', '.join(t.skills)} in {', '.join(t.regions)}\n")
    return 0


@dataclass(frozen=True)
class _Visit:
    """What ``triage visit`` was given; each action reads the options it needs."""

    action: str
    ref: str | None
    skill: str | None
    region: str | None
    urgency: str | None
    customer: str | None
    status: str
    reason: str | None
    technician: str | None
    code: str | None
    fix: str | None
    limit: int


# actions that print something of their own
def _slots(sched: Scheduler, v: _Visit, out: TextIO) -> None:
    if not (v.skill and v.region):
        raise SystemExit("triage visit slots: give --skill and --region")
    for slot in sched.free_slots(v.skill, v.region, urgency=v.urgency)[: v.limit]:
        out.write(f"{slot}\n")


def _list(sched: Scheduler, v: _Visit, out: TextIO) -> None:
    for b in sched.bookings(status=v.status or None):
        out.write(
            f"{b.reference:<8} #{b.id:<5} {b.status:<10} {fmt_time(b.start)}  {b.technician_name:<20} "
            f"{b.skill:<16} {b.urgency:<7} session {b.session_id or '-'}\n"
        )


def _ics(sched: Scheduler, v: _Visit, out: TextIO) -> None:
    out.write(sched.ics(_visit_ref(v)))


def _visit_ref(v: _Visit) -> str:
    """The visit REF: its reference or a booking number; a usage error (exit 2) when it is missing or neither."""
    ref = (v.ref or "").strip().lstrip("#")
    if not (ref.isdigit() or looks_like_reference(ref)):
        got = "none was given" if v.ref is None else f"got {v.ref!r}"
        raise click.UsageError(
            f"{v.action} needs the visit's reference REF, like `triage visit {v.action} K7P-4QX` (or its booking "
            f"number) ({got}); `triage visit list` shows them",
            click.get_current_context(),
        )
    return ref


# actions that change one booking, which is then printed
def _book(sched: Scheduler, v: _Visit) -> BookingView:
    if not v.ref:
        raise SystemExit("triage visit book: give the session id")
    return sched.book_for_session(sched.store.load_session(v.ref), v.region, customer_id=v.customer)


def _cancel(sched: Scheduler, v: _Visit) -> BookingView:
    return sched.cancel(_visit_ref(v), v.reason or "cancelled by dispatch")


def _reschedule(sched: Scheduler, v: _Visit) -> BookingView:
    return sched.reschedule(_visit_ref(v))


def _close(sched: Scheduler, v: _Visit) -> BookingView:
    if not v.code:
        raise SystemExit("triage visit close: --code is required (the fault actually found)")
    return sched.close_visit(_visit_ref(v), v.technician or "technician", v.code, v.fix or "")


_SHOWS: dict[str, Callable[[Scheduler, _Visit, TextIO], None]] = {"slots": _slots, "list": _list, "ics": _ics}
_CHANGES: dict[str, Callable[[Scheduler, _Visit], BookingView]] = {
    "book": _book,
    "cancel": _cancel,
    "reschedule": _reschedule,
    "close": _close,
}
_NUMBERED = ("cancel", "reschedule", "close", "ics")  # the actions whose REF names a visit
_ACTIONS = ["slots", "book", "list", "cancel", "reschedule", "close", "ics"]  # in the order help lists them


@click.command("visit")
@click.argument(
    "action",
    type=click.Choice(_ACTIONS),
    metavar="ACTION",
    help="slots, book, list, cancel, reschedule, close or ics",
)
@click.argument("ref", required=False, help="session id (book), or the visit's reference (K7P-4QX) or number")
@click.option("--skill", help="the skill needed (for slots)")
@click.option("--region", help="the customer's region (for slots and book)")
@click.option(
    "--urgency", type=click.Choice(["urgent", "normal", "low"]), help="only slots this urgency may take"
)
@click.option("--customer", help="the customer's id (for book)")
@click.option(
    "--status", default="booked", show_default=True, help="for list: booked, cancelled, done, or '' for all"
)
@click.option("--reason", help="why it is cancelled (for cancel)")
@click.option("--technician", help="who closes the visit (for close)")
@click.option("--code", help="closure code: the fault actually found (for close)")
@click.option("--fix", help="what fixed it (for close)")
@click.option("--limit", type=int, default=10, show_default=True, help="at most this many slots")
@db_option
@pass_streams
def visit(streams: Streams, /, action: str, db: str | None, **given: Any) -> int:
    """Visits: slots, book, list, cancel, reschedule, close, ics."""
    v = _Visit(action=action, **given)
    if action in _NUMBERED:
        _visit_ref(v)  # a usage error before the database is opened
    with Store(db) as st:
        sched = _scheduler(st)
        if action in _SHOWS:
            _SHOWS[action](sched, v, streams.out)
            return 0
        b = _CHANGES[action](sched, v)
    streams.out.write(f"visit {b.reference} (booking #{b.id}): {b.status}, {b.slot}\n")
    return 0


COMMANDS: tuple[click.Command, ...] = (technician, visit)
