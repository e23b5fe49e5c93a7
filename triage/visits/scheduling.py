"""Home visits: technicians, the slots their working hours make, and bookings that never collide.

* **Technicians** have skills, regions, and working hours per weekday in their own timezone; each working
  day is cut into slots of ``slot_minutes``. Every time is stored and returned timezone-aware in UTC.
* **Free slots** are generated from the working hours, minus the live (booked or closed) visits.
* **Booking** takes an explicit slot, or the earliest free slot that matches skill, region and urgency
  (see :meth:`Scheduler.book`). The database decides races: a partial unique index admits one live booking
  per technician slot, so of many attempts at once exactly one wins and the others get :class:`SlotTaken`;
  an automatic booking then moves on to the next slot (on PostgreSQL it first tries a transaction-scoped
  advisory lock on the slot, so it skips a slot another transaction is booking instead of waiting for it).
* **Cancel** and **reschedule** (one transaction: the old visit is cancelled and the new one booked, or
  neither), **close** with a closure code that is stored against the session, like tier 2 closes a case,
  and **.ics** export of a booking for the customer's or the technician's calendar.

Every method is one transaction (automatic booking: one per attempt), so a failure leaves nothing
half-written. Methods that read the clock take ``now`` so that tests are deterministic.

Errors (all in :mod:`triage.errors`): ``NotFound`` for no such technician, booking or session;
``BookingError`` when the request is invalid (the message says what would be valid), with ``NoFreeSlot``
(nothing free within the horizon) and ``SlotTaken`` (someone else booked that slot first);
``StoreUnavailable`` when the database could not be reached.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DBSession

from triage.errors import BookingError, NoFreeSlot, NotFound, SlotTaken, StoreUnavailable, did_you_mean
from triage.records.schema import Booking, SessionRow, Technician, utcnow
from triage.records.store import Store, StoredSession
from triage.trees.model import OutcomeKind, Urgency

__all__ = [
    "WEEKDAYS",
    "BookingError",
    "BookingView",
    "NoFreeSlot",
    "Scheduler",
    "Slot",
    "SlotTaken",
    "TechnicianView",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS: Mapping[str, tuple[str, str]] = {day: ("08:00", "17:00") for day in WEEKDAYS[:5]}
STATUSES = ("booked", "cancelled", "closed")
LIVE = ("booked", "closed")  # statuses that occupy a technician's time
_URGENCY_DAYS = {Urgency.URGENT: 0, Urgency.NORMAL: 1, Urgency.LOW: 3}
_URGENCY_WORDS = {Urgency.URGENT: "now", Urgency.NORMAL: "the next day", Urgency.LOW: "3 days on"}
_MAX_WINDOW = timedelta(days=366)
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_MAX_LOST = 1000  # an automatic booking gives up after losing this many slots to others
_BATCH = 16  # candidate slots read at once by an automatic booking
_CHUNK = timedelta(days=7)  # free slots are generated a week at a time
_LONGEST_SLOT = timedelta(minutes=720)
_MAX_NAME = 100  # skills, regions, codes, customer ids and technician names are String(100) columns


@dataclass(frozen=True)
class TechnicianView:
    """A technician as stored: working hours are wall-clock times in ``timezone``."""

    id: int
    name: str
    skills: tuple[str, ...]
    regions: tuple[str, ...]
    hours: dict[str, tuple[str, str]]
    slot_minutes: int
    timezone: str
    active: bool


@dataclass(frozen=True)
class Slot:
    """One slot of one technician; ``start`` and ``end`` are UTC. Booking reads ``technician_id`` and ``start``."""

    technician_id: int
    technician_name: str
    start: datetime
    end: datetime

    def __str__(self) -> str:
        return f"{_span(self.start, self.end)} with {self.technician_name}"


@dataclass(frozen=True)
class BookingView:
    """A booking and the technician it is with."""

    id: int
    technician_id: int
    technician_name: str
    start: datetime
    end: datetime
    skill: str
    region: str
    urgency: str
    parts: tuple[str, ...]
    session_id: str | None
    customer_id: str | None
    address: str | None
    status: str
    created_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None
    rescheduled_from: int | None
    closed_at: datetime | None
    closed_by: str | None
    closure_code: str | None
    closure_fix: str | None

    @property
    def slot(self) -> Slot:
        return Slot(self.technician_id, self.technician_name, self.start, self.end)


@dataclass(frozen=True)
class _Request:
    skill: str
    region: str
    urgency: Urgency
    parts: tuple[str, ...]
    duration_minutes: int | None
    session_id: str | None
    customer_id: str | None
    address: str | None


class Scheduler:
    """Technicians and home-visit bookings in a :class:`~triage.records.store.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- technicians ------------------------------------------------------------------------------

    def add_technician(
        self,
        name: str,
        skills: Sequence[str],
        regions: Sequence[str],
        hours: Mapping[str, Sequence[str] | None] | None = None,
        slot_minutes: int = 120,
        timezone: str = "Europe/Berlin",
    ) -> TechnicianView:
        """Register a technician. ``hours`` maps weekdays (``mon`` .. ``sun``) to ``["HH:MM", "HH:MM"]``
        wall-clock times in ``timezone``; the default is Monday to Friday, 08:00 to 17:00. A day left out is
        a day off. Each working day is cut into slots of ``slot_minutes`` from its start; a remainder shorter
        than a slot is not offered.
        """
        name = name.strip() if isinstance(name, str) else name
        if not isinstance(name, str) or not name:
            raise BookingError(f"a technician needs a name (got {name!r})")
        _fits("a technician's name", name)  # it is written as closed_by, a 100-character column
        what = f"technician {name!r}"
        skill_list = _names(f"{what}: skills", skills, "skill")
        region_list = _names(f"{what}: regions", regions, "region")
        _whole(f"{what}: slot_minutes", slot_minutes, 15, 720, "minutes")
        _zone(what, timezone)
        clean_hours = _check_hours(what, DEFAULT_HOURS if hours is None else hours, slot_minutes)
        row = Technician(
            name=name,
            skills=skill_list,
            regions=region_list,
            hours={day: list(span) for day, span in clean_hours.items()},
            slot_minutes=slot_minutes,
            timezone=timezone,
            active=True,
        )
        taken = f"a technician named {name!r} already exists; choose another name"
        try:
            with self.store.tx() as db:
                if db.scalar(select(Technician.id).where(Technician.name == name)) is not None:
                    raise BookingError(taken)
                db.add(row)
                db.flush()
                return _tech_view(row)
        except IntegrityError as exc:  # registered by someone else a moment ago
            raise BookingError(taken) from exc

    def technicians(self) -> list[TechnicianView]:
        """Every technician, by name."""
        with self.store.tx() as db:
            return [_tech_view(t) for t in db.scalars(select(Technician).order_by(Technician.name))]

    # -- slots ------------------------------------------------------------------------------------

    def free_slots(
        self,
        skill: str,
        region: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        urgency: Urgency | str | None = None,
        duration_minutes: int | None = None,
        now: datetime | None = None,
    ) -> list[Slot]:
        """Free slots of the active technicians with ``skill`` in ``region`` that start in ``[start, end)``,
        sorted by start, then technician name.

        ``start`` defaults to now and ``end`` to 14 days after ``start``; slots that have begun are never
        offered. With ``urgency``, only the slots an automatic booking of that urgency may take are listed
        (see :meth:`book`); with ``duration_minutes``, only technicians whose slots are that long or longer.
        """
        now = _aware("now", now or utcnow())
        start = _aware("start", start or now)
        end = _aware("end", end or start + timedelta(days=14))
        if end <= start:
            raise BookingError(f"end {_when(end)} is not after start {_when(start)}")
        if end - start > _MAX_WINDOW:
            raise BookingError(f"a window of {(end - start).days} days is too long; ask for 366 days at most")
        level = _urgency(urgency) if urgency is not None else None
        with self.store.tx() as db:
            techs = _matching(db, skill, region, _duration(duration_minutes))
            return list(_free(db, techs, max(start, now), end, now, level))

    # -- booking ----------------------------------------------------------------------------------

    def book(
        self,
        skill: str,
        region: str,
        *,
        urgency: Urgency | str = Urgency.NORMAL,
        slot: Slot | None = None,
        session_id: str | None = None,
        customer_id: str | None = None,
        address: str | None = None,
        parts: Sequence[str] = (),
        duration_minutes: int | None = None,
        horizon_days: int = 28,
        now: datetime | None = None,
    ) -> BookingView:
        """Book a home visit, in an explicit ``slot`` or automatically.

        Automatic booking takes the earliest free slot of a technician with ``skill`` in ``region`` (ties go
        to the technician whose name sorts first) within ``horizon_days``. Urgency sets how soon, so that
        near slots stay free for urgent visits:

        * ``urgent`` may take the first slot from now;
        * ``normal`` starts from the next working day: the first slot on a later calendar day than today,
          in the technician's timezone;
        * ``low`` starts 3 days on: the first slot on or after today + 3 days (Monday -> Thursday), in the
          technician's timezone.

        An explicit slot must respect the same rule, belong to a technician with the skill and region, be
        one of that technician's slots and not have begun. If someone else got it, :class:`SlotTaken` is
        raised; an automatic booking that loses a race moves on to the next slot instead. A booking for a
        session is refused while that session has another booked visit (cancel or reschedule that one).
        """
        now = _aware("now", now or utcnow())
        req = _Request(
            skill=_word("skill", skill),
            region=_word("region", region),
            urgency=_urgency(urgency),
            parts=tuple(_names("parts", parts, "part", empty_ok=True)),
            duration_minutes=_duration(duration_minutes),
            session_id=session_id,
            customer_id=_fits("customer_id", customer_id) if customer_id else None,
            address=address.strip() if address and address.strip() else None,
        )
        if slot is not None:
            with self.store.tx() as db:
                tech = _check_slot(db, req, slot, now)
                return _view(_claim(db, req, tech, slot.start, now), tech)
        _whole("horizon_days", horizon_days, 1, 366, "days")
        until = now + timedelta(days=horizon_days)

        def attempt(db: DBSession, tech: Technician, start: datetime) -> Booking:
            return _claim(db, req, tech, start, now)

        return self._auto(req, now, until, attempt, set())

    def _auto(
        self,
        req: _Request,
        now: datetime,
        until: datetime,
        attempt: Callable[[DBSession, Technician, datetime], Booking],
        exclude: set[tuple[int, datetime]],
    ) -> BookingView:
        """Try the earliest free slot; on a lost race try the next one, reading again when the list runs out."""
        lost = 0
        while True:
            with self.store.tx() as db:
                techs = _matching(db, req.skill, req.region, req.duration_minutes)
                free = (
                    s
                    for s in _free(db, techs, now, until, now, req.urgency)
                    if (s.technician_id, s.start) not in exclude
                )
                candidates = list(itertools.islice(free, _BATCH))
            if not candidates:
                article = "an" if req.urgency is Urgency.URGENT else "a"
                raise NoFreeSlot(
                    f"no free slot for {article} {req.urgency.value} visit with skill {req.skill!r} in region "
                    f"{req.region!r} until {_when(until)} ({len(techs)} technician(s) checked); book further "
                    "ahead or add technicians"
                )
            for slot in candidates:
                exclude.add((slot.technician_id, slot.start))
                try:
                    with self.store.tx() as db:
                        tech = _check_slot(db, req, slot, now)
                        if not _try_hold(db, tech.id, slot.start):
                            raise SlotTaken(tech.name, slot.start, slot.end)
                        return _view(attempt(db, tech, slot.start), tech)
                except SlotTaken:
                    lost += 1
                    if lost >= _MAX_LOST:
                        raise StoreUnavailable(
                            f"gave up after losing {lost} slots in a row to other bookings; nothing was booked, "
                            "try again"
                        ) from None

    def book_for_session(
        self,
        stored_session: StoredSession | str,
        region: str | None = None,
        slot: Slot | None = None,
        customer_id: str | None = None,
        address: str | None = None,
        *,
        now: datetime | None = None,
    ) -> BookingView:
        """Book the visit a session decided on: skill, urgency, parts and duration come from its decision.

        ``region`` defaults to the session's ``region`` fact, ``customer_id`` to its customer. A session
        whose decision is not a visit is refused.
        """
        stored = (
            self.store.load_session(stored_session) if isinstance(stored_session, str) else stored_session
        )
        sid = stored.id
        d = stored.decision
        if d is None:
            raise BookingError(
                f"session {sid!r} has no decision yet; finish the diagnosis before booking a visit"
            )
        if d.kind is not OutcomeKind.VISIT or not d.skill:
            raise BookingError(
                f"session {sid!r} ended in {d.kind.value!r}, not a visit; only a visit decision can be booked"
            )
        facts = stored.session.facts
        region = region or (str(facts["region"]) if facts.get("region") else None)
        if not region:
            raise BookingError(f"session {sid!r} has no 'region' fact; give the region of the visit")
        customer = customer_id or (str(facts["customer_id"]) if facts.get("customer_id") else None)
        return self.book(
            d.skill,
            region,
            urgency=d.urgency or Urgency.NORMAL,
            slot=slot,
            session_id=sid,
            customer_id=customer,
            address=address,
            parts=d.parts,
            duration_minutes=d.duration_minutes,
            now=now,
        )

    def cancel(self, booking_id: int, reason: str, *, now: datetime | None = None) -> BookingView:
        """Cancel a booked visit; its slot is free again at once. The reason is kept."""
        now = _aware("now", now or utcnow())
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            raise BookingError(f"cancelling booking {booking_id} needs a reason (got an empty one)")
        with self.store.tx() as db:
            row = _booking(db, booking_id, lock=True)
            _must_be_booked(row, "cancelled")
            _release(db, row, now, reason)
            return _view(row, _tech(db, row.technician_id))

    def reschedule(
        self,
        booking_id: int,
        new_slot: Slot | None = None,
        *,
        horizon_days: int = 28,
        now: datetime | None = None,
    ) -> BookingView:
        """Move a booked visit to ``new_slot``, or to the earliest other free slot for the same skill,
        region and urgency (the rules of :meth:`book`), in ONE transaction: the old booking is cancelled and
        the new one booked, or neither. The new booking points back with ``rescheduled_from``.
        """
        now = _aware("now", now or utcnow())
        with self.store.tx() as db:
            old = _booking(db, booking_id)
            _must_be_booked(old, "rescheduled")
            duration = None
            if old.session_id:
                decision = db.scalar(select(SessionRow.decision).where(SessionRow.id == old.session_id))
                duration = (decision or {}).get("duration_minutes")
            req = _Request(
                skill=old.skill,
                region=old.region,
                urgency=Urgency(old.urgency),
                parts=tuple(old.parts),
                duration_minutes=duration,
                session_id=old.session_id,
                customer_id=old.customer_id,
                address=old.address,
            )
            here = (old.technician_id, old.start)

        def attempt(db: DBSession, tech: Technician, start: datetime) -> Booking:
            row = _booking(db, booking_id, lock=True)
            _must_be_booked(row, "rescheduled")
            if (tech.id, start) == here:
                raise BookingError(f"booking {booking_id} is already in that slot; pick another one")
            _release(db, row, now, "rescheduled")
            new = _claim(db, req, tech, start, now, rescheduled_from=row.id)
            row.cancel_reason = f"rescheduled as booking {new.id}"
            return new

        if new_slot is not None:
            with self.store.tx() as db:
                tech = _check_slot(db, req, new_slot, now)
                return _view(attempt(db, tech, new_slot.start), tech)
        _whole("horizon_days", horizon_days, 1, 366, "days")
        return self._auto(req, now, now + timedelta(days=horizon_days), attempt, {here})

    # -- reading ----------------------------------------------------------------------------------

    def booking(self, booking_id: int) -> BookingView:
        """One booking by id."""
        with self.store.tx() as db:
            row = _booking(db, booking_id)
            return _view(row, _tech(db, row.technician_id))

    def bookings(
        self,
        status: str | None = None,
        technician_id: int | None = None,
        day: date | None = None,
        session_id: str | None = None,
    ) -> list[BookingView]:
        """Bookings by start time, then id. ``day`` is a calendar day in each technician's own timezone."""
        if status is not None and status not in STATUSES:
            raise BookingError(f"status must be one of {', '.join(STATUSES)} (got {status!r})")
        with self.store.tx() as db:
            q = (
                select(Booking, Technician)
                .join(Technician, Technician.id == Booking.technician_id)
                .order_by(Booking.start, Booking.id)
            )
            if status is not None:
                q = q.where(Booking.status == status)
            if technician_id is not None:
                q = q.where(Booking.technician_id == technician_id)
            if session_id is not None:
                q = q.where(Booking.session_id == session_id)
            if day is not None:
                midnight = datetime.combine(day, time(), tzinfo=UTC)
                q = q.where(
                    Booking.start >= midnight - timedelta(days=1),
                    Booking.start < midnight + timedelta(days=2),
                )
            out = []
            for row, tech in db.execute(q):
                if day is not None and row.start.astimezone(ZoneInfo(tech.timezone)).date() != day:
                    continue
                out.append(_view(row, tech))
            return out

    # -- closing ----------------------------------------------------------------------------------

    def close_visit(
        self,
        booking_id: int,
        technician_name: str,
        code: str,
        fix: str = "",
        *,
        fault: str | None = None,
        now: datetime | None = None,
    ) -> BookingView:
        """The booked technician closes the visit with a closure code (the fault actually found) and what
        fixed it. The closure is stored against the session, as tier 2 does for a case. Closing twice, closing
        a cancelled visit, and closing before the visit starts are refused.
        """
        now = _aware("now", now or utcnow())
        code = code.strip() if isinstance(code, str) else ""
        if not code:
            raise BookingError(
                f"closing booking {booking_id} needs a closure code: name the fault actually found"
            )
        _fits("a closure code", code)
        with self.store.tx() as db:
            row = _booking(db, booking_id, lock=True)
            tech = _tech(db, row.technician_id)
            _must_be_booked(row, "closed")
            if technician_name != tech.name:
                raise BookingError(
                    f"booking {booking_id} is assigned to {tech.name!r}, not {technician_name!r}; "
                    "only the assigned technician closes it"
                )
            if now < row.start:
                raise BookingError(
                    f"booking {booking_id} starts {_when(row.start)}; it cannot be closed before then "
                    f"(now {_when(now)})"
                )
            res = db.execute(
                update(Booking)
                .where(Booking.id == booking_id, Booking.status == "booked")
                .values(
                    status="closed",
                    closed_at=now,
                    closed_by=tech.name,
                    closure_code=code,
                    closure_fix=fix.strip() or None,
                )
            )
            if res.rowcount == 0:  # type: ignore[attr-defined]  # changed by someone else a moment ago
                db.refresh(row)
                _must_be_booked(row, "closed")
            db.refresh(row)
            if row.session_id:
                self.store.record_closure(db, row.session_id, code, row.closure_fix, "technician", fault)
            return _view(row, tech)

    # -- calendar ---------------------------------------------------------------------------------

    def ics(self, booking_id: int, *, now: datetime | None = None) -> str:
        """The booking as an RFC 5545 calendar (one VEVENT), with CRLF line ends and folded lines.

        A rescheduled visit keeps the UID of the first booking and raises SEQUENCE, so a calendar moves the
        event instead of adding a second one; a cancelled booking exports with STATUS:CANCELLED.
        """
        stamp = _aware("now", now or utcnow())
        with self.store.tx() as db:
            row = _booking(db, booking_id)
            tech = _tech(db, row.technician_id)
            first, sequence = row, 0
            while first.rescheduled_from is not None and sequence < 1000:
                earlier = db.get(Booking, first.rescheduled_from)
                if earlier is None:
                    break
                first, sequence = earlier, sequence + 1
            first_id, first_created = first.id, first.created_at
            view = _view(row, tech)
        description = "\n".join(
            [
                f"Skill: {view.skill}",
                f"Urgency: {view.urgency}",
                f"Parts: {', '.join(view.parts) or '-'}",
                f"Session: {view.session_id or '-'}",
                f"Customer: {view.customer_id or '-'}",
                f"Technician: {view.technician_name}",
                f"Booking: {view.id}",
            ]
        )
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//triage//home visits//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "BEGIN:VEVENT",
            f"UID:triage-booking-{first_id}-{_ics_time(first_created)}@triage",
            f"DTSTAMP:{_ics_time(stamp)}",
            f"DTSTART:{_ics_time(view.start)}",
            f"DTEND:{_ics_time(view.end)}",
            f"SEQUENCE:{sequence}",
            f"STATUS:{'CANCELLED' if view.status == 'cancelled' else 'CONFIRMED'}",
            f"SUMMARY:{ics_text(f'Home visit: {view.skill} ({view.urgency})')}",
            f"DESCRIPTION:{ics_text(description)}",
        ]
        if view.address:
            lines.append(f"LOCATION:{ics_text(view.address)}")
        lines += ["END:VEVENT", "END:VCALENDAR"]
        return "".join(fold_line(line) + "\r\n" for line in lines)


# -- calendar text --------------------------------------------------------------------------------


def ics_text(value: str) -> str:
    r"""Escape a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines.

    >>> ics_text('a,b;c\\d\ne')
    'a\\,b\\;c\\\\d\\ne'
    """
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    # other control characters are not allowed in TEXT
    return "".join(ch if ch == "\t" or ord(ch) >= 32 and ord(ch) != 127 else " " for ch in value)


def fold_line(line: str) -> str:
    """Fold a content line (RFC 5545 3.1) so no line exceeds 75 octets, never splitting a UTF-8 character."""
    if len(line.encode()) <= 75:
        return line
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, 75
    for ch in line:
        n = len(ch.encode())
        if size + n > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74  # a continuation line starts with one space
        current.append(ch)
        size += n
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _ics_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# -- helpers --------------------------------------------------------------------------------------


def _when(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def _span(start: datetime, end: datetime) -> str:
    return f"{start.astimezone(UTC):%a %Y-%m-%d %H:%M}-{end.astimezone(UTC):%H:%M} UTC"


def _aware(name: str, value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise BookingError(f"{name} must be a datetime (got {value!r})")
    if value.tzinfo is None or value.utcoffset() is None:
        raise BookingError(
            f"{name} must be timezone-aware, e.g. datetime(..., tzinfo=UTC) (got naive {value})"
        )
    return value.astimezone(UTC)


def _word(what: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BookingError(f"{what} must be a non-empty name (got {value!r})")
    return _fits(what, value.strip())


def _fits(what: str, value: str, limit: int = _MAX_NAME) -> str:
    """``value`` if it fits its column (PostgreSQL refuses longer text; SQLite would keep it silently)."""
    if len(value) > limit:
        raise BookingError(f"{what} may be at most {limit} characters (got {len(value)}: {value[:20]!r}...)")
    return value


def _names(what: str, values: Sequence[str], noun: str, *, empty_ok: bool = False) -> list[str]:
    """A list of non-empty names, stripped, in the order given, without repeats."""
    if isinstance(values, str) or not isinstance(values, Sequence | set | frozenset):
        raise BookingError(f"{what} must be a list of names, like ['{noun}-a', '{noun}-b'] (got {values!r})")
    out: list[str] = []
    for v in values:
        if not isinstance(v, str) or not v.strip():
            raise BookingError(f"{what} must be non-empty names (got {v!r} in {list(values)!r})")
        if v.strip() not in out:
            out.append(_fits(what, v.strip()))
    if not out and not empty_ok:
        raise BookingError(f"{what} must name at least one {noun} (got {list(values)!r})")
    return out


def _urgency(value: Urgency | str) -> Urgency:
    try:
        return Urgency(value)
    except ValueError:
        allowed = ", ".join(u.value for u in _URGENCY_DAYS)
        raise BookingError(f"urgency must be one of {allowed} (got {value!r})") from None


def _whole(what: str, value: int, low: int, high: int, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BookingError(f"{what} must be a whole number of {unit} from {low} to {high} (got {value!r})")


def _duration(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise BookingError(f"duration_minutes must be a positive whole number of minutes (got {value!r})")
    return value


def _zone(what: str, name: str) -> ZoneInfo:
    try:
        if not isinstance(name, str) or not name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(str(name), sorted(available_timezones()))
        raise BookingError(
            f"{what}: unknown timezone {name!r} ({hint or 'expected an IANA name like Europe/Berlin'})"
        ) from None


def _minutes(what: str, value: object, *, end: bool) -> int:
    m = _TIME.fullmatch(value) if isinstance(value, str) else None
    if m is not None:
        h, mi = int(m.group(1)), int(m.group(2))
        if (h < 24 and mi < 60) or (end and h == 24 and mi == 0):
            return h * 60 + mi
    top = "24:00" if end else "23:59"
    raise BookingError(f"{what}: {value!r} is not a time of day (expected 'HH:MM' from 00:00 to {top})")


def _check_hours(
    what: str, hours: Mapping[str, Sequence[str] | None], slot_minutes: int
) -> dict[str, tuple[str, str]]:
    if not isinstance(hours, Mapping):
        raise BookingError(
            f"{what}: hours must map weekdays to [start, end], like {{'mon': ['08:00', '17:00']}}"
        )
    out: dict[str, tuple[str, str]] = {}
    for day, span in hours.items():
        if day not in WEEKDAYS:
            hint = did_you_mean(str(day), WEEKDAYS)
            raise BookingError(
                f"{what}: hours: unknown weekday {day!r} (expected one of {', '.join(WEEKDAYS)}"
                + (f"; {hint})" if hint else ")")
            )
        if span is None:
            continue
        if isinstance(span, str) or not isinstance(span, Sequence) or len(span) != 2:
            raise BookingError(
                f"{what}: hours for {day!r} must be [start, end] like ['08:00', '17:00'] (got {span!r})"
            )
        a = _minutes(f"{what}: hours for {day!r}", span[0], end=False)
        b = _minutes(f"{what}: hours for {day!r}", span[1], end=True)
        start, stop = f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"
        if b <= a:
            raise BookingError(f"{what}: hours for {day!r}: end {stop} is not after start {start}")
        if b - a < slot_minutes:
            raise BookingError(
                f"{what}: hours for {day!r} ({start}-{stop}) are shorter than one {slot_minutes}-minute slot"
            )
        out[day] = (start, stop)
    if not out:
        raise BookingError(f"{what}: no working hours given (expected e.g. {{'mon': ['08:00', '17:00']}})")
    return {day: out[day] for day in WEEKDAYS if day in out}


def _tech_view(t: Technician) -> TechnicianView:
    return TechnicianView(
        id=t.id,
        name=t.name,
        skills=tuple(t.skills),
        regions=tuple(t.regions),
        hours={day: (span[0], span[1]) for day, span in t.hours.items()},
        slot_minutes=t.slot_minutes,
        timezone=t.timezone,
        active=t.active,
    )


def _view(b: Booking, t: Technician) -> BookingView:
    return BookingView(
        id=b.id,
        technician_id=b.technician_id,
        technician_name=t.name,
        start=b.start,
        end=b.end,
        skill=b.skill,
        region=b.region,
        urgency=b.urgency,
        parts=tuple(b.parts or ()),
        session_id=b.session_id,
        customer_id=b.customer_id,
        address=b.address,
        status=b.status,
        created_at=b.created_at,
        cancelled_at=b.cancelled_at,
        cancel_reason=b.cancel_reason,
        rescheduled_from=b.rescheduled_from,
        closed_at=b.closed_at,
        closed_by=b.closed_by,
        closure_code=b.closure_code,
        closure_fix=b.closure_fix,
    )


def _tech(db: DBSession, technician_id: int) -> Technician:
    t = db.get(Technician, technician_id)
    if t is None:
        raise NotFound(f"no technician with id {technician_id}")
    return t


def _booking(db: DBSession, booking_id: int, *, lock: bool = False) -> Booking:
    # locked on PostgreSQL when it will change; SQLite serializes writers and every change is conditional
    row = db.get(Booking, booking_id, with_for_update=lock, populate_existing=True)
    if row is None:
        raise NotFound(f"no booking {booking_id}")
    return row


def _must_be_booked(row: Booking, verb: str) -> None:
    if row.status == "cancelled":
        raise BookingError(
            f"booking {row.id} was cancelled ({row.cancel_reason}); only a booked visit can be {verb}"
        )
    if row.status == "closed":
        raise BookingError(
            f"booking {row.id} was closed by {row.closed_by} with code {row.closure_code!r}; "
            f"only a booked visit can be {verb}"
        )


def _release(db: DBSession, row: Booking, now: datetime, reason: str) -> None:
    """Cancel a booked row, conditionally: of two changes at once only one finds it still booked."""
    res = db.execute(
        update(Booking)
        .where(Booking.id == row.id, Booking.status == "booked")
        .values(status="cancelled", cancelled_at=now, cancel_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.refresh(row)
    if res.rowcount == 0:  # type: ignore[attr-defined]
        _must_be_booked(row, "cancelled")


def _matching(db: DBSession, skill: str, region: str, duration: int | None) -> list[Technician]:
    """Active technicians with ``skill`` in ``region`` whose slots fit ``duration``; a clear error if none."""
    skill, region = _word("skill", skill), _word("region", region)
    techs = list(db.scalars(select(Technician).where(Technician.active.is_(True)).order_by(Technician.name)))
    if not techs:
        raise BookingError("no technicians are registered yet; add one with Scheduler.add_technician()")
    here = [t for t in techs if region in t.regions]
    if not here:
        regions = sorted({r for t in techs for r in t.regions})
        raise BookingError(f"no technician works in region {region!r} (regions: {', '.join(regions)})")
    able = [t for t in here if skill in t.skills]
    if not able:
        skills = sorted({s for t in here for s in t.skills})
        raise BookingError(
            f"no technician with skill {skill!r} works in region {region!r} (skills there: {', '.join(skills)})"
        )
    if duration is None:
        return able
    fit = [t for t in able if t.slot_minutes >= duration]
    if not fit:
        longest = max(t.slot_minutes for t in able)
        raise BookingError(
            f"a {duration}-minute visit does not fit the slots of any technician with skill {skill!r} in region "
            f"{region!r} (longest slot: {longest} minutes)"
        )
    return fit


@functools.lru_cache(maxsize=1 << 16)  # the same working days are generated again for every booking
def _local_to_utc(day: date, minute: int, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall-clock time, or ``None`` if the clocks skip it (start of summer time)."""
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    instant = naive.replace(tzinfo=tz).astimezone(UTC)
    return instant if instant.astimezone(tz).replace(tzinfo=None) == naive else None


def _earliest(tech: Technician, urgency: Urgency | None, now: datetime) -> datetime:
    """The first instant an automatic booking of ``urgency`` may take with this technician."""
    days = _URGENCY_DAYS[urgency] if urgency is not None else 0
    if days == 0:
        return now
    tz = ZoneInfo(tech.timezone)
    day = now.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _slots(tech: Technician, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The technician's slots that start in ``[start, end)``, in order, as UTC (start, end)."""
    tz = ZoneInfo(tech.timezone)
    length = tech.slot_minutes
    step = timedelta(minutes=length)
    hours = {
        day: (_minutes("hours", a, end=False), _minutes("hours", b, end=True))
        for day, (a, b) in tech.hours.items()
    }
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        span = hours.get(WEEKDAYS[day.weekday()])
        if span:
            minute, close = span
            while minute + length <= close:
                s = _local_to_utc(day, minute, tz)
                if s is not None and start <= s < end:
                    yield s, s + step
                minute += length
        day += timedelta(days=1)


def _free(
    db: DBSession,
    techs: Sequence[Technician],
    start: datetime,
    end: datetime,
    now: datetime,
    urgency: Urgency | None,
) -> Iterator[Slot]:
    """Free slots of ``techs`` in ``[start, end)``, not before ``now`` nor the urgency's earliest start, by
    start then technician name. Read a week at a time, so taking the first few is cheap; consume it inside
    the transaction that ``db`` belongs to.
    """
    if not techs:
        return
    ids = [t.id for t in techs]
    lower = {t.id: max(start, now, _earliest(t, urgency, now)) for t in techs}
    lo = max(start, now)
    while lo < end:
        hi = min(lo + _CHUNK, end)
        busy: dict[int, list[tuple[datetime, datetime]]] = {tid: [] for tid in ids}
        rows = db.execute(
            select(Booking.technician_id, Booking.start, Booking.end).where(
                Booking.technician_id.in_(ids),
                Booking.status.in_(LIVE),
                Booking.end > lo,
                Booking.start < hi + _LONGEST_SLOT,
            )
        )
        for tid, b_start, b_end in rows:
            busy[tid].append((b_start, b_end))
        chunk: list[Slot] = []
        for t in techs:
            taken = sorted(busy[t.id])
            starts = [b[0] for b in taken]
            latest_end: list[datetime] = []  # latest end among the bookings up to each index
            for _, b_end in taken:
                latest_end.append(max(b_end, latest_end[-1]) if latest_end else b_end)
            name, tid = t.name, t.id
            for s, e in _slots(t, max(lo, lower[tid]), hi):
                i = bisect.bisect_left(starts, e)  # bookings that start before this slot ends
                if i and latest_end[i - 1] > s:
                    continue
                chunk.append(Slot(tid, name, s, e))
        chunk.sort(key=lambda s: (s.start, s.technician_name, s.technician_id))
        yield from chunk
        lo = hi


def _check_slot(db: DBSession, req: _Request, slot: Slot, now: datetime) -> Technician:
    """The technician of an explicit slot, after checking the slot suits the request."""
    if not isinstance(slot, Slot):
        raise BookingError(f"slot must be a Slot from free_slots() (got {slot!r})")
    start = _aware("slot start", slot.start)
    tech = _tech(db, slot.technician_id)
    who = f"technician {tech.name!r}"
    if not tech.active:
        raise BookingError(f"{who} is not active; pick a slot of another technician")
    if req.skill not in tech.skills:
        raise BookingError(f"{who} does not have skill {req.skill!r} (skills: {', '.join(tech.skills)})")
    if req.region not in tech.regions:
        raise BookingError(
            f"{who} does not work in region {req.region!r} (regions: {', '.join(tech.regions)})"
        )
    if req.duration_minutes is not None and tech.slot_minutes < req.duration_minutes:
        raise BookingError(
            f"a {req.duration_minutes}-minute visit does not fit the {tech.slot_minutes}-minute slots of {who}"
        )
    tz = ZoneInfo(tech.timezone)
    local_day = start.astimezone(tz).date()
    day_start = datetime.combine(local_day, time(), tzinfo=tz).astimezone(UTC)
    that_day = [
        s
        for s, _ in _slots(tech, day_start, day_start + timedelta(days=1, hours=1))
        if s.astimezone(tz).date() == local_day
    ]
    if start not in that_day:
        listed = ", ".join(f"{s:%H:%M}" for s in that_day)
        there = f"slots that day start at {listed} UTC" if that_day else f"{tech.name} does not work that day"
        raise BookingError(f"{_when(start)} is not a slot start of {who} ({there})")
    if start < now:
        raise BookingError(f"the slot {_when(start)} has already begun (now {_when(now)}); pick a later slot")
    earliest = _earliest(tech, req.urgency, now)
    if start < earliest:
        level = req.urgency.value
        raise BookingError(
            f"the slot {_when(start)} is too soon for a {level} visit: {level} visits start "
            f"{_URGENCY_WORDS[req.urgency]} (from {earliest.astimezone(tz):%a %Y-%m-%d %H:%M} {tech.timezone}); "
            "earlier slots stay free for urgent ones"
        )
    return tech


def _try_hold(db: DBSession, technician_id: int, start: datetime) -> bool:
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


def _claim(
    db: DBSession,
    req: _Request,
    tech: Technician,
    start: datetime,
    now: datetime,
    *,
    rescheduled_from: int | None = None,
) -> Booking:
    """Insert the booking; the partial unique index turns a lost race into :class:`SlotTaken`."""
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
        region=req.region,
        urgency=req.urgency.value,
        parts=list(req.parts),
        customer_id=req.customer_id,
        address=req.address,
        status="booked",
        created_at=now,
        rescheduled_from=rescheduled_from,
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


def _one_per_session(db: DBSession, session_id: str, *, exclude: int | None) -> None:
    q = select(Booking).where(Booking.session_id == session_id, Booking.status == "booked")
    if exclude is not None:
        q = q.where(Booking.id != exclude)
    other = db.scalar(q.order_by(Booking.id).limit(1))
    if other is not None:
        name = db.scalar(select(Technician.name).where(Technician.id == other.technician_id))
        raise BookingError(
            f"session {session_id!r} already has booking {other.id} ({_span(other.start, other.end)} with "
            f"{name!r}); reschedule or cancel it instead of booking again"
        )


def _slot_conflict(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "uq_booking_slot" in text or "bookings.technician_id, bookings.start" in text


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


__all__ += ["count_double_bookings", "fold_line", "ics_text"]
