"""Booking the visit a session decided on, as the booking panel of the agent console and self-service needs it.

* **Choosing.** :func:`visit_days` offers the free slots of the next working days (``TRIAGE_BOOKING_DAYS``,
  default 10; see :func:`triage.visits.booking_days`) that the session's visit may take in a region, a
  :class:`DayChoice` per day with a :class:`SlotChoice` per free time; a day with nothing free is left out.
  :func:`reschedule_days` does the same for moving a booked visit. :func:`day_label`, :func:`slot_label` and
  :func:`technician_zone` word them in the technician's timezone; :func:`visit_regions` lists where a skill is
  served.
* **Booking.** :func:`book_visit` books a chosen slot; the region comes from the customer's contact (the
  postcode table), the address is read from the contact by the visit itself. :func:`session_booking` is the
  session's booked visit, :func:`session_visit` its latest one whatever became of it.
* **Changing.** :func:`reschedule_visit` moves the visit (the reference stays) and :func:`cancel_visit`
  cancels it; both return the :class:`Changed` visit with the calendar file to send, which updates the
  customer's calendar entry (same UID, SEQUENCE one higher; a cancellation is a ``METHOD:CANCEL``).
  :func:`visit_calendar` is that file at any time.

What a person types here (a region, an address, a reason) is held to its limit (:mod:`triage.limits`).
Errors: :class:`~triage.errors.BookingError` (with ``NoFreeSlot`` and ``SlotTaken``), ``NotFound``,
``LimitExceeded``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from triage.errors import BookingError
from triage.i18n import t
from triage.limits import check_length, limits
from triage.records.schema import utcnow
from triage.records.sessions import StoredSession
from triage.records.store import Store
from triage.trees.model import OutcomeKind, Urgency
from triage.visits import BookingView, FreeDay, Scheduler, Slot

__all__ = [
    "BookingView",
    "CalendarFile",
    "Changed",
    "DayChoice",
    "SlotChoice",
    "book_visit",
    "cancel_visit",
    "day_label",
    "reschedule_days",
    "reschedule_visit",
    "session_booking",
    "session_visit",
    "slot_label",
    "technician_zone",
    "visit_calendar",
    "visit_days",
    "visit_regions",
]


@dataclass(frozen=True)
class SlotChoice:
    """A free visit slot and how it reads (in the technician's timezone): ``label`` whole, ``time`` within its day."""

    slot: Slot
    label: str
    time: str


@dataclass(frozen=True)
class DayChoice:
    """A working day with free times, in the technicians' timezone."""

    day: date
    label: str
    slots: tuple[SlotChoice, ...]


@dataclass(frozen=True)
class CalendarFile:
    """A visit's calendar entry as a file to download or send."""

    name: str
    text: str


@dataclass(frozen=True)
class Changed:
    """A visit after a reschedule or a cancellation, and the calendar file that tells the customer's calendar."""

    booking: BookingView
    calendar: CalendarFile


def _visit(stored: StoredSession) -> tuple[str, Urgency, int | None]:
    d = stored.decision
    if d is None or d.kind is not OutcomeKind.VISIT or not d.skill:
        kind = d.kind.value if d is not None else "no decision yet"
        raise BookingError(f"session {stored.id!r} did not decide on a home visit ({kind}); nothing to book")
    return d.skill, d.urgency or Urgency.NORMAL, d.duration_minutes


def _zones(sched: Scheduler) -> dict[int, str]:
    return {tech.id: tech.timezone for tech in sched.technicians()}


def _choices(sched: Scheduler, free: list[FreeDay], locale: str) -> list[DayChoice]:
    zones = _zones(sched)
    out = []
    for day in free:
        slots = tuple(
            SlotChoice(
                s,
                slot_label(s, zones.get(s.technician_id, "UTC"), locale),
                _time_label(s, zones.get(s.technician_id, "UTC"), locale),
            )
            for s in day.slots
        )
        out.append(DayChoice(day.day, day_label(day.day, locale), slots))
    return out


def visit_days(
    store: Store,
    stored: StoredSession,
    region: str,
    *,
    days: int | None = None,
    locale: str = "en",
    now: datetime | None = None,
) -> list[DayChoice]:
    """The free times of the next ``days`` working days (default ``TRIAGE_BOOKING_DAYS``) that the session's
    visit may book in ``region``, by day: the decision's skill, urgency and duration decide which technicians
    and how soon. A day with nothing free is left out; the list is empty when nothing is free at all."""
    skill, urgency, duration = _visit(stored)
    region = check_length("region", region.strip(), limit=limits().identifier)
    sched = Scheduler(store)
    free = sched.free_days(
        skill, region, days=days, urgency=urgency, duration_minutes=duration, now=now or utcnow()
    )
    return _choices(sched, free, locale)


def reschedule_days(
    store: Store,
    booking: BookingView,
    *,
    days: int | None = None,
    locale: str = "en",
    now: datetime | None = None,
) -> list[DayChoice]:
    """The free times a booked visit may move to over the next working days: its skill, region and urgency
    (and its session's visit length)."""
    duration = None
    if booking.session_id:
        d = store.load_session(booking.session_id).decision
        duration = d.duration_minutes if d is not None else None
    sched = Scheduler(store)
    free = sched.free_days(
        booking.skill,
        booking.region,
        days=days,
        urgency=booking.urgency,
        duration_minutes=duration,
        now=now or utcnow(),
    )
    return _choices(sched, free, locale)


def visit_regions(store: Store, skill: str) -> list[str]:
    """The regions where an active technician has ``skill``, sorted."""
    techs = Scheduler(store).technicians()
    return sorted({r for tech in techs if tech.active and skill in tech.skills for r in tech.regions})


def technician_zone(store: Store, technician_id: int) -> str:
    """A technician's timezone (UTC if unknown)."""
    return _zones(Scheduler(store)).get(technician_id, "UTC")


def day_label(day: date, locale: str = "en") -> str:
    """A day as a picker shows it.

    >>> day_label(date(2025, 3, 4)), day_label(date(2025, 3, 4), "de")
    ('Tue 2025-03-04', 'Di 2025-03-04')
    """
    return f"{t('console.weekday', locale).split()[day.weekday()]} {day:%Y-%m-%d}"


def slot_label(slot: Slot, timezone: str, locale: str = "en") -> str:
    """A slot in words, in ``timezone``.

    >>> from datetime import UTC
    >>> s = Slot(1, "Ana Lima", datetime(2025, 3, 3, 7, 0, tzinfo=UTC), datetime(2025, 3, 3, 9, 0, tzinfo=UTC))
    >>> slot_label(s, "Europe/Berlin")
    'Mon 2025-03-03, 08:00–10:00 (CET) · Ana Lima'
    """
    zone = ZoneInfo(timezone)
    start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    days = t("console.weekday", locale).split()
    return t(
        "console.slot",
        locale,
        day=days[start.weekday()],
        date=f"{start:%Y-%m-%d}",
        start=f"{start:%H:%M}",
        end=f"{end:%H:%M}",
        zone=start.tzname() or timezone,
        name=slot.technician_name,
    )


def _time_label(slot: Slot, timezone: str, locale: str) -> str:
    """A slot within its day: ``08:00–10:00 (CET) · Ana Lima``."""
    zone = ZoneInfo(timezone)
    start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    return t(
        "console.slot_time",
        locale,
        start=f"{start:%H:%M}",
        end=f"{end:%H:%M}",
        zone=start.tzname() or timezone,
        name=slot.technician_name,
    )


def book_visit(
    store: Store,
    session_id: str,
    slot: Slot,
    region: str,
    *,
    address: str | None = None,
    now: datetime | None = None,
    outage_override: str | None = None,
) -> BookingView:
    """Book the session's visit in ``slot`` (skill, urgency, parts and duration from its decision); the visit
    gets a new reference. ``address`` only when the session has no contact with one (the visit reads the
    contact's). During a declared outage of the tree's service in ``region`` an agent must give
    ``outage_override``, a reason."""
    check_length("region", region.strip(), limit=limits().identifier)
    check_length("visit address", address or "", limit=limits().contact)
    return Scheduler(store).book_for_session(
        session_id,
        region=region.strip(),
        slot=slot,
        address=address,
        now=now,
        outage_override=outage_override,
    )


def session_booking(store: Store, session_id: str) -> BookingView | None:
    """The session's booked visit, if it has one."""
    booked = Scheduler(store).bookings(status="booked", session_id=session_id)
    return booked[-1] if booked else None


def session_visit(store: Store, session_id: str) -> BookingView | None:
    """The session's latest visit whatever its status (booked, closed or cancelled), if it ever had one."""
    rows = Scheduler(store).bookings(session_id=session_id)
    return max(rows, key=lambda b: b.id) if rows else None


def visit_calendar(
    store: Store, booking: BookingView | str, *, now: datetime | None = None, customer: bool = False
) -> CalendarFile:
    """The visit's calendar file as it stands now (a booking, a moved booking, or a cancellation). The
    ``customer``'s copy leaves out their phone and e-mail: anyone holding their page's link could download it."""
    ref = booking if isinstance(booking, str) else booking.reference
    return CalendarFile(f"visit-{ref}.ics", Scheduler(store).ics(ref, now=now, reach=not customer))


def reschedule_visit(
    store: Store, booking: BookingView | str, slot: Slot, *, now: datetime | None = None
) -> Changed:
    """Move the visit (a booking or its reference) to ``slot``: the reference stays, and the calendar file
    moves the customer's entry (same UID, SEQUENCE one higher)."""
    ref = booking if isinstance(booking, str) else booking.reference
    moved = Scheduler(store).reschedule(ref, slot, now=now)
    return Changed(moved, visit_calendar(store, moved, now=now))


def cancel_visit(
    store: Store, booking: BookingView | str, reason: str, *, now: datetime | None = None
) -> Changed:
    """Cancel the visit with a reason (at most ``limits().note`` characters); the calendar file is the
    ``METHOD:CANCEL`` that removes the customer's entry."""
    ref = booking if isinstance(booking, str) else booking.reference
    gone = Scheduler(store).cancel(ref, reason, now=now)
    return Changed(gone, visit_calendar(store, gone, now=now))
