"""The dispatcher's desk: home visits that wait for a booking, the bookings, and the technicians, worded for
the page's tables and pickers in each technician's own timezone.

* **Visits waiting.** :func:`needs_booking` lists the sessions whose decision is a home visit but that have no
  live booking yet (never booked, or the booking was cancelled); :func:`slots_for_visit` and
  :func:`slots_for_reschedule` offer the free slots a booking may take. A visit decided while a declared
  outage covered the customer's area says so ("outage in area — override needed"): booking it needs an
  agent's override reason. Only visits are booked here: part shipments, send-in repairs, diagnoses and
  handovers never appear in this list. The customer's contact and address (``customer_contacts``) come along,
  and the region of their postcode is the visit's region.
* **Bookings.** :func:`find_bookings` filters them (a visit shows once, where it is now, however often it was
  moved); :func:`day_board` groups them by day; :func:`booking_row`, :func:`booking_label`,
  :func:`booking_when` and :func:`slot_label` word bookings and slots in the technician's timezone, with the
  visit's reference and the customer's name, phone or e-mail and address. :func:`days_for_reschedule` offers
  the free times of the next working days (:mod:`triage.desk.booking`); a reschedule keeps the reference.
* **Technicians.** :func:`add_technician` reads the add-a-technician form: :func:`parse_names` and
  :func:`parse_hours` (``"mon-fri 08:00-17:00; sat 09:00-13:00"``); :func:`hours_text` writes hours back the
  same way.

The booking work itself (book, reschedule, cancel, close, .ics) is the :class:`Scheduler`'s, re-exported here
with its views so a page needs this one module.

Errors::

    TriageError
    ├── NotFound (LookupError)    no such booking or technician
    └── Refused (ValueError)
        ├── BookingError          the slot is taken, the booking is not live, ...
        └── FormError             a form field could not be read; the message says what would be valid
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

from triage.desk.booking import DayChoice, day_label, reschedule_days
from triage.desk.clock import utcnow, waiting
from triage.errors import FormError, did_you_mean
from triage.i18n import t
from triage.records.schema import Booking, CustomerContact, EventRow, SessionRow
from triage.records.store import Store
from triage.visits import STATUSES, WEEKDAYS, BookingView, Scheduler, Slot, TechnicianView, contact_address

__all__ = [
    "STATUSES",
    "BookingFilter",
    "BookingView",
    "DayChoice",
    "PendingVisit",
    "Scheduler",
    "Slot",
    "TechnicianView",
    "add_technician",
    "booking_label",
    "booking_row",
    "booking_when",
    "contact_text",
    "day_board",
    "day_label",
    "days_for_reschedule",
    "find_bookings",
    "hours_text",
    "local_span",
    "needs_booking",
    "outage_note",
    "parse_hours",
    "parse_names",
    "pending_label",
    "pending_row",
    "slot_label",
    "slots_for_visit",
    "technician_row",
    "timezones",
]

_URGENCY_ORDER = {"urgent": 0, "normal": 1, "low": 2}
_LIVE = ("booked", "closed")  # a session with a booking in one of these needs no other
_TIME = r"(\d{1,2}:\d{2})"
_HOURS_PART = re.compile(rf"([a-z]{{3}})(?:\s*-\s*([a-z]{{3}}))?\s+{_TIME}\s*-\s*{_TIME}")


# -- visits waiting for a booking -----------------------------------------------------------------


@dataclass(frozen=True)
class PendingVisit:
    """A session whose decision is a home visit, with no booked or closed visit yet."""

    session_id: str
    tree_id: str
    customer_id: str | None
    region: str | None
    skill: str
    urgency: str
    parts: tuple[str, ...]
    duration_minutes: int | None
    reason: str
    decided_at: datetime
    outage: bool = False
    outage_eta: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    address: str | None = None
    """The contact's address in one line (street, postcode and city), if the customer gave one."""


def needs_booking(store: Store, limit: int = 200) -> list[PendingVisit]:
    """Sessions that decided on a visit and have no live booking, most urgent first, then oldest first.

    A session whose only booking was cancelled needs booking again; a rescheduled one does not (its new
    booking is live). ``region`` is that of the contact's postcode, else the one the session started with.
    """
    live = exists().where(Booking.session_id == SessionRow.id, Booking.status.in_(_LIVE))
    q = (
        select(SessionRow)
        .where(SessionRow.decision_kind == "visit", ~live)
        .order_by(SessionRow.decided_at, SessionRow.id)
    )
    with store.tx() as db:
        rows = list(db.scalars(q).all())
        starts: dict[str, dict[str, Any]] = {}
        contacts: dict[str, CustomerContact] = {}
        if rows:
            ids = [r.id for r in rows]
            contacts = {
                c.session_id: c
                for c in db.scalars(select(CustomerContact).where(CustomerContact.session_id.in_(ids)))
            }
            for sid, value in db.execute(
                select(EventRow.session_id, EventRow.value).where(
                    EventRow.session_id.in_([r.id for r in rows]), EventRow.type == "start"
                )
            ):
                starts[sid] = dict((value or {}).get("facts") or {})
        out: list[PendingVisit] = []
        for r in rows:
            d = r.decision or {}
            facts = starts.get(r.id, {})
            contact = contacts.get(r.id)
            region = (contact.region if contact is not None else None) or facts.get("region")
            out.append(
                PendingVisit(
                    session_id=r.id,
                    tree_id=r.tree_id,
                    customer_id=r.customer_id
                    or (str(facts["customer_id"]) if facts.get("customer_id") else None),
                    region=str(region) if region else None,
                    skill=str(d.get("skill") or ""),
                    urgency=str(d.get("urgency") or "normal"),
                    parts=tuple(d.get("parts") or ()),
                    duration_minutes=d.get("duration_minutes"),
                    reason=" ".join(d.get("reasons") or ()),
                    decided_at=r.decided_at or r.updated_at,
                    outage=bool(d.get("outage")),
                    outage_eta=str(d["outage_eta"]) if d.get("outage_eta") else None,
                    contact_name=contact.name if contact is not None else None,
                    contact_phone=contact.phone if contact is not None else None,
                    contact_email=contact.email if contact is not None else None,
                    address=contact_address(contact),
                )
            )
    out.sort(key=lambda p: (_URGENCY_ORDER.get(p.urgency, 9), p.decided_at, p.session_id))
    return out[:limit]


def pending_row(p: PendingVisit, now: datetime | None = None, locale: str = "en") -> dict[str, Any]:
    """One line of the "needs booking" table (the outage note in ``locale``)."""
    return {
        "session": p.session_id,
        "customer": p.contact_name or p.customer_id or "-",
        "contact": contact_text(p.contact_phone, p.contact_email),
        "address": p.address or "-",
        "problem": p.tree_id,
        "skill": p.skill,
        "urgency": p.urgency,
        "region": p.region or "-",
        "parts": ", ".join(p.parts) or "-",
        "waiting": waiting(p.decided_at, now),
        "outage": outage_note(p, locale),
    }


def outage_note(p: PendingVisit, locale: str = "en") -> str:
    """``'outage in area — override needed'`` for a visit decided during an outage there, else ``''``."""
    return t("desk.outcome.outage", locale) if p.outage else ""


def pending_label(p: PendingVisit, locale: str = "en") -> str:
    """A waiting visit in a picker: urgency, customer, problem, skill and region (and an outage, if any)."""
    label = f"{p.urgency} · {p.contact_name or p.customer_id or '-'} · {p.tree_id} · {p.skill} · {p.region or '?'}"
    return f"{label} · {outage_note(p, locale)}" if p.outage else label


def slots_for_visit(
    sched: Scheduler,
    visit: PendingVisit,
    region: str,
    *,
    days: int = 14,
    now: datetime | None = None,
) -> list[Slot]:
    """Free slots the visit may be booked in (its skill, urgency and duration) in ``region``."""
    now = now or utcnow()
    return sched.free_slots(
        visit.skill,
        region,
        now,
        now + timedelta(days=days),
        urgency=visit.urgency,
        duration_minutes=visit.duration_minutes,
        now=now,
    )


def days_for_reschedule(
    store: Store,
    booking: BookingView,
    *,
    days: int | None = None,
    locale: str = "en",
    now: datetime | None = None,
) -> list[DayChoice]:
    """Free times a booked visit may move to over the next working days (``TRIAGE_BOOKING_DAYS``), by day:
    same skill, region, urgency and duration as it was booked. The visit keeps its reference."""
    return reschedule_days(store, booking, days=days, locale=locale, now=now)


# -- bookings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingFilter:
    """What the dispatcher's list shows: a calendar day (in each technician's timezone), one technician, a status."""

    day: date | None = None
    technician_id: int | None = None
    status: str | None = "booked"
    last_day: date | None = None
    """With ``day``, the last day of a range (both included): the board shows several days."""


def find_bookings(sched: Scheduler, flt: BookingFilter | None = None) -> list[BookingView]:
    """Bookings matching ``flt``, by start time; a visit that was moved shows once, where it is now (the rows
    it was moved from are kept for the record, not listed)."""
    flt = flt or BookingFilter()
    days = (flt.day, flt.last_day or flt.day) if flt.day is not None else None
    rows = sched.bookings(status=flt.status, technician_id=flt.technician_id, days=days)
    if flt.status == "booked" or not rows:  # a row that was moved from is cancelled, never booked
        return rows
    with sched.store.tx() as db:
        moved = set(
            db.scalars(
                select(Booking.rescheduled_from).where(Booking.rescheduled_from.in_([b.id for b in rows]))
            )
        )
    return [b for b in rows if b.id not in moved]


def day_board(
    bookings: Iterable[BookingView], timezones: Mapping[int, str]
) -> list[tuple[date, list[BookingView]]]:
    """Bookings by the day they are on (in each technician's timezone), days in order."""
    out: dict[date, list[BookingView]] = {}
    for b in bookings:
        day = b.start.astimezone(ZoneInfo(timezones.get(b.technician_id, "UTC"))).date()
        out.setdefault(day, []).append(b)
    return sorted(out.items())


def contact_text(phone: str | None, email: str | None) -> str:
    """A customer's phone and e-mail in one cell.

    >>> contact_text("+49 30 1234567", "ana@example.org"), contact_text(None, None)
    ('+49 30 1234567 · ana@example.org', '-')
    """
    return " · ".join(v for v in (phone, email) if v) or "-"


def local_span(start: datetime, end: datetime, timezone: str) -> str:
    """A visit's time in the technician's timezone: ``'2025-03-04 08:00–10:00 (Europe/Berlin)'``."""
    tz = ZoneInfo(timezone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    until = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%Y-%m-%d %H:%M}"
    return f"{a:%Y-%m-%d %H:%M}–{until} ({timezone})"


def slot_label(slot: Slot, timezones: Mapping[int, str]) -> str:
    """A free slot in a picker, in its technician's timezone."""
    tz = timezones.get(slot.technician_id, "UTC")
    return f"{local_span(slot.start, slot.end, tz)} · {slot.technician_name}"


def booking_row(b: BookingView, timezones: Mapping[int, str]) -> dict[str, Any]:
    """One line of the bookings table."""
    return {
        "reference": b.reference,
        "when": booking_when(b, timezones),
        "technician": b.technician_name,
        "status": b.status,
        "customer": b.contact_name or b.customer_id or "-",
        "contact": contact_text(b.contact_phone, b.contact_email),
        "skill": b.skill,
        "urgency": b.urgency,
        "region": b.region,
        "address": b.address or "",
        "parts": ", ".join(b.parts) or "-",
    }


def booking_label(b: BookingView, timezones: Mapping[int, str]) -> str:
    """A booking in a picker: reference, time, technician, customer and status."""
    when = booking_when(b, timezones)
    who = b.contact_name or b.customer_id or "-"
    return f"{b.reference} · {when} · {b.technician_name} · {who} · {b.status}"


def timezones(technicians: Iterable[TechnicianView]) -> dict[int, str]:
    """Each technician's timezone, by technician id."""
    return {t.id: t.timezone for t in technicians}


def booking_when(b: BookingView, timezones: Mapping[int, str]) -> str:
    """When a booked visit is, in its technician's timezone."""
    return local_span(b.start, b.end, timezones.get(b.technician_id, "UTC"))


# -- technicians ----------------------------------------------------------------------------------


def technician_row(t: TechnicianView) -> dict[str, Any]:
    """One line of the technicians table."""
    return {
        "name": t.name,
        "skills": ", ".join(t.skills),
        "regions": ", ".join(t.regions),
        "hours": hours_text(t.hours),
        "slot_minutes": t.slot_minutes,
        "timezone": t.timezone,
        "active": t.active,
    }


def parse_names(field: str, text: str) -> list[str]:
    """Names typed as a list, separated by commas or spaces: ``'tv, broadband-line'`` -> ``['tv', 'broadband-line']``."""
    names = [n for n in re.split(r"[,;\s]+", text.strip()) if n]
    if not names:
        raise FormError(f"{field}: give at least one name, separated by commas (got {text!r})")
    return list(dict.fromkeys(names))


def parse_hours(text: str) -> dict[str, list[str]]:
    """Working hours typed as ``'mon-fri 08:00-17:00; sat 09:00-13:00'`` (a day range or one day, then a time
    range; parts separated by ``;`` or ``,``). A later part overrides an earlier one for the same day.

    >>> parse_hours("mon-wed 08:00-12:00; wed 13:00-17:00")
    {'mon': ['08:00', '12:00'], 'tue': ['08:00', '12:00'], 'wed': ['13:00', '17:00']}
    """
    out: dict[str, list[str]] = {}
    parts = [p.strip() for p in re.split(r"[;,\n]+", text.lower()) if p.strip()]
    if not parts:
        raise FormError("hours: give at least one working day, like 'mon-fri 08:00-17:00'")
    for part in parts:
        m = _HOURS_PART.fullmatch(part)
        if m is None:
            raise FormError(
                f"hours: {part!r} is not a day or day range and a time range (expected e.g. 'mon-fri 08:00-17:00')"
            )
        first, last, start, end = m.groups()
        for day in (first, last or first):
            if day not in WEEKDAYS:
                hint = did_you_mean(day, WEEKDAYS)
                raise FormError(
                    f"hours: unknown weekday {day!r} in {part!r} (expected one of {', '.join(WEEKDAYS)}"
                    + (f"; {hint})" if hint else ")")
                )
        i, j = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if j < i:
            raise FormError(
                f"hours: the day range {first}-{last} runs backwards (write it as {last}-{first}?)"
            )
        for day in WEEKDAYS[i : j + 1]:
            out[day] = [start.zfill(5), end.zfill(5)]
    return {day: out[day] for day in WEEKDAYS if day in out}


def hours_text(hours: Mapping[str, Sequence[str]]) -> str:
    """Working hours written back the way :func:`parse_hours` reads them, with runs of equal days joined.

    >>> hours_text({"mon": ("08:00", "17:00"), "tue": ("08:00", "17:00"), "sat": ("09:00", "13:00")})
    'mon-tue 08:00-17:00; sat 09:00-13:00'
    """
    parts: list[str] = []
    run: list[str] = []
    span: tuple[str, ...] | None = None

    def flush() -> None:
        if run and span is not None:
            days = run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}"
            parts.append(f"{days} {span[0]}-{span[1]}")

    for i, day in enumerate(WEEKDAYS):
        here = tuple(hours[day]) if day in hours else None
        if here is not None and here == span and run and WEEKDAYS.index(run[-1]) == i - 1:
            run.append(day)
            continue
        flush()
        run, span = ([day], here) if here is not None else ([], None)
    flush()
    return "; ".join(parts)


def add_technician(store: Store, form: Mapping[str, Any]) -> TechnicianView:
    """Add the technician the add-a-technician form describes: ``name``, ``skills`` and ``regions`` (names
    separated by commas), ``hours`` (as :func:`parse_hours` reads them), ``slot`` (minutes) and ``timezone``."""

    def text(key: str) -> str:
        return str(form.get(key) or "")

    return Scheduler(store).add_technician(
        text("name"),
        parse_names("skills", text("skills")),
        parse_names("regions", text("regions")),
        hours=parse_hours(text("hours")),
        slot_minutes=int(form.get("slot") or 0),
        timezone=text("timezone").strip(),
    )
