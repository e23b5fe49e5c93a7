"""Claiming a slot: the booking row, written so that of many attempts at once exactly one wins.

The database decides races: a partial unique index admits one live booking per technician slot, so a lost
race becomes :class:`~triage.errors.SlotTaken`. A new visit gets a fresh reference (:func:`fresh_reference`); a
reschedule's row carries its visit's reference on with the next calendar ``sequence``. On PostgreSQL an automatic booking first tries a
transaction-scoped advisory lock on the slot (:func:`try_hold`), so it skips a slot another transaction is
booking instead of waiting for it, and tries the next slot in the same transaction from a savepoint
(:func:`attempt_once`). A session has at most one booked visit at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DBSession

from triage.errors import BookingError, NotFound, SlotTaken, StoreUnavailable
from triage.records.refs import new_reference
from triage.records.schema import Booking, SessionRow, Technician
from triage.trees.model import Urgency
from triage.visits._checks import aware, instant_text, span_text
from triage.visits.slots import LIVE, URGENCY_WORDS, Slot, earliest, working_slots
from triage.visits.technicians import get_technician, region_as_kept

__all__ = ["count_double_bookings", "fresh_reference"]

_MAX_LOST = 1000  # an automatic booking gives up after losing this many slots to others
_REFERENCE_TRIES = 20  # a clash among a billion references is rare; twenty in a row means something is wrong


@dataclass(frozen=True)
class Request:
    """What a visit needs: skill, region and urgency, and what the booking row records besides."""

    skill: str
    region: str
    urgency: Urgency
    parts: tuple[str, ...]
    duration_minutes: int | None
    session_id: str | None
    customer_id: str | None
    address: str | None


def check_slot(db: DBSession, req: Request, slot: Slot, now: datetime) -> Technician:
    """The technician of an explicit slot, after checking the slot suits the request."""
    if not isinstance(slot, Slot):
        raise BookingError(f"slot must be a Slot from free_slots() (got {slot!r})")
    start = aware("slot start", slot.start)
    tech = get_technician(db, slot.technician_id)
    _check_fit(req, tech)
    _check_time(req, tech, start, now)
    return tech


def _check_fit(req: Request, tech: Technician) -> None:
    """The technician is active and has the skill, the region and slots long enough."""
    who = f"technician {tech.name!r}"
    if not tech.active:
        raise BookingError(f"{who} is not active; pick a slot of another technician")
    if req.skill not in tech.skills:
        raise BookingError(f"{who} does not have skill {req.skill!r} (skills: {', '.join(tech.skills)})")
    if region_as_kept(req.region, tech.regions) is None:
        raise BookingError(
            f"{who} does not work in region {req.region!r} (regions: {', '.join(tech.regions)})"
        )
    if req.duration_minutes is not None and tech.slot_minutes < req.duration_minutes:
        raise BookingError(
            f"a {req.duration_minutes}-minute visit does not fit the {tech.slot_minutes}-minute slots of {who}"
        )


def _check_time(req: Request, tech: Technician, start: datetime, now: datetime) -> None:
    """``start`` is one of the technician's slot starts, has not begun, and is not too soon for the urgency."""
    who = f"technician {tech.name!r}"
    tz = ZoneInfo(tech.timezone)
    local_day = start.astimezone(tz).date()
    day_start = datetime.combine(local_day, time(), tzinfo=tz).astimezone(UTC)
    that_day = [
        s
        for s, _ in working_slots(tech, day_start, day_start + timedelta(days=1, hours=1))
        if s.astimezone(tz).date() == local_day
    ]
    if start not in that_day:
        listed = ", ".join(f"{s:%H:%M}" for s in that_day)
        there = f"slots that day start at {listed} UTC" if that_day else f"{tech.name} does not work that day"
        raise BookingError(f"{instant_text(start)} is not a slot start of {who} ({there})")
    if start < now:
        raise BookingError(
            f"the slot {instant_text(start)} has already begun (now {instant_text(now)}); pick a later slot"
        )
    first = earliest(tech, req.urgency, now)
    if start < first:
        level = req.urgency.value
        raise BookingError(
            f"the slot {instant_text(start)} is too soon for a {level} visit: {level} visits start "
            f"{URGENCY_WORDS[req.urgency]} (from {first.astimezone(tz):%a %Y-%m-%d %H:%M} {tech.timezone}); "
            "earlier slots stay free for urgent ones"
        )


def try_hold(db: DBSession, technician_id: int, start: datetime) -> bool:
    """On PostgreSQL, hold a slot for this transaction without waiting; ``False`` if another transaction is
    booking it right now. An automatic booking then moves on at once instead of waiting for the other to
    commit and then failing on the unique index. (SQLite serializes writers: nothing to gain there.)
    """
    if db.get_bind().dialect.name != "postgresql":
        return True
    minute = int(start.timestamp() // 60)  # fits PostgreSQL's int4 key until the year 6053
    return bool(
        db.scalar(text("SELECT pg_try_advisory_xact_lock(:t, :m)"), {"t": technician_id, "m": minute})
    )


def claim(
    db: DBSession,
    req: Request,
    tech: Technician,
    start: datetime,
    now: datetime,
    *,
    rescheduled_from: int | None = None,
    reference: str | None = None,
    sequence: int = 0,
    outage_override: str | None = None,
) -> Booking:
    """Insert the booking; the partial unique index turns a lost race into :class:`SlotTaken`. A new visit
    (no ``reference``) gets a fresh one; a reschedule passes its visit's reference and next ``sequence``."""
    end = start + timedelta(minutes=tech.slot_minutes)
    if req.session_id is not None:
        # serializes bookings of one session on PostgreSQL (SQLite serializes all writers)
        if db.scalar(select(SessionRow.id).where(SessionRow.id == req.session_id).with_for_update()) is None:
            raise NotFound(f"no session {req.session_id!r}")
        _one_per_session(db, req.session_id, exclude=rescheduled_from)
    clash = db.scalar(
        select(Booking.id)
        .where(
            Booking.technician_id == tech.id,
            Booking.status.in_(LIVE),
            Booking.start < end,
            Booking.end > start,
        )
        .limit(1)
    )
    if clash is not None:
        raise SlotTaken(tech.name, start, end)
    row = Booking(
        session_id=req.session_id,
        technician_id=tech.id,
        start=start,
        end=end,
        skill=req.skill,
        region=region_as_kept(req.region, tech.regions) or req.region,  # as the technician's list spells it
        urgency=req.urgency.value,
        parts=list(req.parts),
        customer_id=req.customer_id,
        address=req.address,
        status="booked",
        created_at=now,
        rescheduled_from=rescheduled_from,
        reference=reference or fresh_reference(db),
        sequence=sequence,
        outage_override=outage_override,  # in the INSERT: setting it afterwards costs an UPDATE per booking
    )
    name = tech.name  # a failed flush expires every loaded object: read what the error needs first
    db.add(row)
    try:
        db.flush()
    except IntegrityError as exc:
        if not _slot_conflict(exc):
            raise
        raise SlotTaken(name, start, end) from exc
    if req.session_id is not None:
        _one_per_session(db, req.session_id, exclude=row.id)  # seen inside the write lock on SQLite
    return row


def attempt_once(
    db: DBSession,
    tech: Technician,
    slot: Slot,
    attempt: Callable[[DBSession, Technician, datetime], Booking],
    savepoint: bool,
) -> Booking | None:
    """One attempt at a slot: the booking row, or ``None`` when another booking took it first."""
    if not savepoint:
        return attempt(db, tech, slot.start)  # SlotTaken ends the attempt's transaction
    try:
        with db.begin_nested():  # a lost race rolls back to here; the transaction goes on
            return attempt(db, tech, slot.start)
    except SlotTaken:
        return None


def count_lost(lost: int) -> int:
    """One more slot lost to another booking; past ``_MAX_LOST`` in a row, give up."""
    lost += 1
    if lost >= _MAX_LOST:
        raise StoreUnavailable(
            f"gave up after losing {lost} slots in a row to other bookings; nothing was booked, try again"
        )
    return lost


def fresh_reference(db: DBSession) -> str:
    """A reference no booking has had (the calendar UID is made from it, so it is never reused)."""
    for _ in range(_REFERENCE_TRIES):
        ref = new_reference()
        if db.scalar(select(Booking.id).where(Booking.reference == ref).limit(1)) is None:
            return ref
    raise StoreUnavailable(
        f"no free visit reference after {_REFERENCE_TRIES} tries; nothing was booked, try again"
    )


def _one_per_session(db: DBSession, session_id: str, *, exclude: int | None) -> None:
    q = select(Booking).where(Booking.session_id == session_id, Booking.status == "booked")
    if exclude is not None:
        q = q.where(Booking.id != exclude)
    other = db.scalar(q.order_by(Booking.id).limit(1))
    if other is not None:
        name = db.scalar(select(Technician.name).where(Technician.id == other.technician_id))
        raise BookingError(
            f"session {session_id!r} already has visit {other.reference} (booking {other.id}, "
            f"{span_text(other.start, other.end)} with {name!r}); reschedule or cancel it instead of booking again"
        )


def _slot_conflict(exc: IntegrityError) -> bool:
    """Whether the insert broke the one-live-booking-per-slot index (PostgreSQL and SQLite word it apart)."""
    message = str(exc.orig)
    return "uq_booking_slot" in message or "bookings.technician_id, bookings.start" in message


def booking_row(db: DBSession, booking_id: int, *, lock: bool = False) -> Booking:
    """A booking row by id, read afresh; ``lock`` when it will change."""
    # locked on PostgreSQL when it will change; SQLite serializes writers and every change is conditional
    row = db.get(Booking, booking_id, with_for_update=lock, populate_existing=True)
    if row is None:
        raise NotFound(f"no booking {booking_id}")
    return row


def must_be_booked(row: Booking, verb: str) -> None:
    """Refuse to change a cancelled or closed visit; the message says what happened to it."""
    if row.status == "cancelled":
        raise BookingError(
            f"booking {row.id} was cancelled ({row.cancel_reason}); only a booked visit can be {verb}"
        )
    if row.status == "closed":
        raise BookingError(
            f"booking {row.id} was closed by {row.closed_by} with code {row.closure_code!r}; "
            f"only a booked visit can be {verb}"
        )


def release(db: DBSession, row: Booking, now: datetime, reason: str) -> None:
    """Cancel a booked row, conditionally: of two changes at once only one finds it still booked."""
    res = db.execute(
        update(Booking)
        .where(Booking.id == row.id, Booking.status == "booked")
        .values(status="cancelled", cancelled_at=now, cancel_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.refresh(row)
    if res.rowcount == 0:  # type: ignore[attr-defined]
        must_be_booked(row, "cancelled")


def count_double_bookings(db: DBSession) -> int:
    """Pairs of live bookings of one technician whose times overlap (always 0; for checks and benchmarks)."""
    a, b = Booking.__table__.alias("a"), Booking.__table__.alias("b")
    return int(
        db.scalar(
            select(func.count())
            .select_from(a)
            .join(b, (a.c.technician_id == b.c.technician_id) & (a.c.id < b.c.id))
            .where(
                a.c.status.in_(LIVE),
                b.c.status.in_(LIVE),
                a.c.start < b.c.end,
                b.c.start < a.c.end,
            )
        )
        or 0
    )
