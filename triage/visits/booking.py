"""Home-visit bookings: book, reschedule, cancel, close and export them — the :class:`Scheduler`.

* **Booking** takes an explicit slot, or the earliest free slot that matches skill, region and urgency
  (see :meth:`Scheduler.book`). Races are decided by the database (:mod:`triage.visits.claims`): of many
  attempts at once exactly one wins and the others get :class:`~triage.errors.SlotTaken`; an automatic
  booking then moves on to the next slot.
* **References.** A visit has one reference people read out (``K7P-4QX``) from its booking to its end:
  a reschedule writes a new row (the old one is kept, cancelled, for the record) that carries the same
  reference with the calendar ``sequence`` one higher; a cancellation raises the sequence too. Every method
  that takes a booking accepts its number or the visit's reference (:meth:`Scheduler.resolve`), and a
  reference always means the visit's current row.
* **Cancel** and **reschedule** (one transaction: the old visit is cancelled and the new one booked, or
  neither), **close** with a closure code that is stored against the session, like tier 2 closes a case,
  and **.ics** export of a visit (:mod:`triage.visits.ics`): the UID comes from the reference, so a calendar
  moves or cancels the event it already has.
* **Contact.** A booking's view carries the customer's name, phone, e-mail and address as the session's
  contact gives them (``customer_contacts``), read afresh each time, so an edit shows at once and an erased
  contact is gone from dispatch and the calendar file too.
* **Outages.** No technician during a declared outage of the visit's service in its region
  (:mod:`triage.records.outages`): the network is at fault, and a visit cannot fix it. A booking is then refused
  unless an agent gives ``outage_override``, a reason, which the booking keeps. The service is the one passed in,
  else that of the session's tree (``Tree.service``); a booking with neither is not checked. A reschedule moves a
  visit that was already accepted: it keeps the override and is not checked again.

Every method is one transaction (automatic booking: one per attempt), so a failure leaves nothing
half-written. Methods that read the clock take ``now`` so that tests are deterministic.

Errors (all in :mod:`triage.errors`): ``NotFound`` for no such technician, booking or session;
``BookingError`` when the request is invalid (the message says what would be valid), with ``NoFreeSlot``
(nothing free within the horizon) and ``SlotTaken`` (someone else booked that slot first);
``StoreUnavailable`` when the database could not be reached.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as DBSession

from triage.errors import BookingError, NoFreeSlot, NotFound, SlotTaken
from triage.limits import check_length, limits
from triage.records.outages import Outages, until_text
from triage.records.refs import normalize
from triage.records.schema import Booking, CustomerContact, SessionRow, Technician, utcnow
from triage.trees.model import OutcomeKind, Urgency
from triage.visits._checks import aware, fits, instant_text, name_list, visit_minutes, whole, word
from triage.visits.claims import (
    Request,
    attempt_once,
    booking_row,
    check_slot,
    claim,
    count_lost,
    must_be_booked,
    release,
    try_hold,
)
from triage.visits.ics import booking_calendar
from triage.visits.slots import FreeSlots, Slot, iter_free, parse_urgency
from triage.visits.technicians import Technicians, get_technician, matching

if TYPE_CHECKING:
    from triage.records.store import Store, StoredSession

__all__ = ["STATUSES", "BookingView", "Scheduler"]

STATUSES = ("booked", "cancelled", "closed")
_BATCH = 16  # candidate slots read at once by an automatic booking


@dataclass(frozen=True)
class BookingView:
    """A booking, the technician it is with and how to reach the customer.

    ``address`` is the address of the session's contact (street, postcode and city), else the one typed at
    booking; ``contact_*`` are ``None`` when the session has no contact (or it was erased).
    """

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
    outage_override: str | None = None
    """Why an agent booked this visit during a declared outage in its region, if one did."""
    reference: str = ""
    """What people read out (``K7P-4QX``); the same from booking through every reschedule."""
    sequence: int = 0
    """The calendar entry's SEQUENCE: 0 when booked, one more on each reschedule or cancellation."""
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None

    @property
    def slot(self) -> Slot:
        """The slot the booking occupies."""
        return Slot(self.technician_id, self.technician_name, self.start, self.end)


class Scheduler(Technicians, FreeSlots):
    """Technicians and home-visit bookings in a :class:`~triage.records.store.Store`.

    Registering technicians comes from :class:`~triage.visits.technicians.Technicians`, listing free slots
    from :class:`~triage.visits.slots.FreeSlots`; booking, cancelling, rescheduling, closing and calendar
    export are here.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

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
        service: str | None = None,
        outage_override: str | None = None,
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

        During a declared outage of the visit's ``service`` (default: the service of the session's tree) in
        ``region``, the booking is refused unless ``outage_override`` gives the reason, which it then keeps.
        """
        now = aware("now", now or utcnow())
        req = Request(
            skill=word("skill", skill),
            region=word("region", region),
            urgency=parse_urgency(urgency),
            parts=tuple(name_list("parts", parts, "part", empty_ok=True)),
            duration_minutes=visit_minutes(duration_minutes),
            session_id=session_id,
            customer_id=fits("customer_id", customer_id) if customer_id else None,
            address=address.strip() if address and address.strip() else None,
        )
        override = self._outage_check(req.region, service, session_id, outage_override, now)
        if slot is not None:
            with self.store.tx() as db:
                tech = check_slot(db, req, slot, now)
                row = claim(db, req, tech, slot.start, now, outage_override=override)
                return _view(row, tech, _contact(db, row.session_id))
        whole("horizon_days", horizon_days, 1, 366, "days")
        until = now + timedelta(days=horizon_days)

        def attempt(db: DBSession, tech: Technician, start: datetime) -> Booking:
            return claim(db, req, tech, start, now, outage_override=override)

        return self._auto(req, now, until, attempt, set())

    def _outage_check(
        self,
        region: str,
        service: str | None,
        session_id: str | None,
        override: str | None,
        now: datetime,
    ) -> str | None:
        """The override reason to keep if a declared outage covers the visit; refused when there is none."""
        if override is not None:
            override = override.strip() if isinstance(override, str) else ""
            if not override:
                raise BookingError("an outage override needs a reason (got an empty one)")
            check_length("reason for overriding an outage", override, limit=limits().note)
        if service is None and session_id is not None:  # the session's tree names the service
            service = self.store.load_session(session_id).session.tree().service
        if not service:
            return None
        outages = Outages(self.store).active_for(region, service, now)
        if not outages:
            return None
        if override is None:
            o = outages[0]
            raise BookingError(
                f"an outage of {o.service} in {o.region} is declared until {until_text(o.expected_end)} "
                f"(outage {o.id}); a visit cannot fix it; an agent may override with a reason"
            )
        return override

    def _auto(
        self,
        req: Request,
        now: datetime,
        until: datetime,
        attempt: Callable[[DBSession, Technician, datetime], Booking],
        exclude: set[tuple[int, datetime]],
    ) -> BookingView:
        """Try the earliest free slot; on a lost race try the next one, reading again when the list runs out."""
        lost = 0
        while True:
            with self.store.tx() as db:
                techs = matching(db, req.skill, req.region, req.duration_minutes)
                free = (
                    s
                    for s in iter_free(db, techs, now, until, now, req.urgency)
                    if (s.technician_id, s.start) not in exclude
                )
                candidates = list(itertools.islice(free, _BATCH))
            if not candidates:
                article = "an" if req.urgency is Urgency.URGENT else "a"
                raise NoFreeSlot(
                    f"no free slot for {article} {req.urgency.value} visit with skill {req.skill!r} in region "
                    f"{req.region!r} until {instant_text(until)} ({len(techs)} technician(s) checked); book further "
                    "ahead or add technicians"
                )
            booked, lost = self._try_slots(req, now, candidates, attempt, exclude, lost)
            if booked is not None:
                return booked

    def _try_slots(
        self,
        req: Request,
        now: datetime,
        candidates: list[Slot],
        attempt: Callable[[DBSession, Technician, datetime], Booking],
        exclude: set[tuple[int, datetime]],
        lost: int,
    ) -> tuple[BookingView | None, int]:
        """Try ``candidates`` in order; the booking made, or ``None`` when every one was lost to others.

        On PostgreSQL one transaction tries them all, each attempt in a savepoint: a slot held or taken by
        another booking costs a statement or two, not a transaction. SQLite serializes writers (and its
        driver's savepoints are unreliable), so there each attempt is a transaction of its own.
        """
        pending = list(candidates)
        while pending:
            try:
                with self.store.tx() as db:
                    many = db.get_bind().dialect.name == "postgresql"
                    while pending:
                        slot = pending.pop(0)
                        exclude.add((slot.technician_id, slot.start))
                        tech = check_slot(db, req, slot, now)
                        if try_hold(db, tech.id, slot.start):
                            row = attempt_once(db, tech, slot, attempt, many)
                            if row is not None:
                                return _view(row, tech, _contact(db, row.session_id)), lost
                        lost = count_lost(lost)
                        if not many:
                            break
            except SlotTaken:
                lost = count_lost(lost)
        return None, lost

    def book_for_session(
        self,
        stored_session: StoredSession | str,
        region: str | None = None,
        slot: Slot | None = None,
        customer_id: str | None = None,
        address: str | None = None,
        *,
        now: datetime | None = None,
        outage_override: str | None = None,
    ) -> BookingView:
        """Book the visit a session decided on: skill, urgency, parts and duration come from its decision.

        ``region`` defaults to the session's ``region`` fact, ``customer_id`` to its customer. A session
        whose decision is not a visit is refused. During a declared outage of the service of the session's
        tree in the region, ``outage_override`` (a reason) is needed (see :meth:`book`).
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
            service=stored.session.tree().service or "",  # "": known to have none, no second look-up
            outage_override=outage_override,
        )

    def cancel(self, booking: int | str, reason: str, *, now: datetime | None = None) -> BookingView:
        """Cancel a booked visit (by number or reference); its slot is free again at once. The reason is kept,
        and the calendar sequence goes up, so the cancellation's .ics replaces the entry."""
        now = aware("now", now or utcnow())
        booking_id = self.resolve(booking)
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            raise BookingError(f"cancelling booking {booking_id} needs a reason (got an empty one)")
        check_length("reason for cancelling", reason, limit=limits().note)
        with self.store.tx() as db:
            row = booking_row(db, booking_id, lock=True)
            must_be_booked(row, "cancelled")
            release(db, row, now, reason)
            row.sequence = (row.sequence or 0) + 1
            db.flush()
            return _view(row, get_technician(db, row.technician_id), _contact(db, row.session_id))

    def reschedule(
        self,
        booking: int | str,
        new_slot: Slot | None = None,
        *,
        horizon_days: int = 28,
        now: datetime | None = None,
    ) -> BookingView:
        """Move a booked visit to ``new_slot``, or to the earliest other free slot for the same skill,
        region and urgency (the rules of :meth:`book`), in ONE transaction: the old booking is cancelled and
        the new one booked, or neither. The new booking points back with ``rescheduled_from`` and keeps the
        visit's reference, with the calendar sequence one higher.
        """
        now = aware("now", now or utcnow())
        booking_id = self.resolve(booking)
        with self.store.tx() as db:
            old = booking_row(db, booking_id)
            must_be_booked(old, "rescheduled")
            duration = None
            if old.session_id:
                decision = db.scalar(select(SessionRow.decision).where(SessionRow.id == old.session_id))
                duration = (decision or {}).get("duration_minutes")
            req = Request(
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
            override = old.outage_override
            reference = old.reference

        def attempt(db: DBSession, tech: Technician, start: datetime) -> Booking:
            row = booking_row(db, booking_id, lock=True)
            must_be_booked(row, "rescheduled")
            if (tech.id, start) == here:
                raise BookingError(f"booking {booking_id} is already in that slot; pick another one")
            release(db, row, now, "rescheduled")
            sequence = (row.sequence or 0) + 1
            new = claim(
                db,
                req,
                tech,
                start,
                now,
                rescheduled_from=row.id,
                reference=reference,
                sequence=sequence,
                outage_override=override,
            )
            row.cancel_reason = f"rescheduled as booking {new.id}"
            return new

        if new_slot is not None:
            with self.store.tx() as db:
                tech = check_slot(db, req, new_slot, now)
                row = attempt(db, tech, new_slot.start)
                return _view(row, tech, _contact(db, row.session_id))
        whole("horizon_days", horizon_days, 1, 366, "days")
        return self._auto(req, now, now + timedelta(days=horizon_days), attempt, {here})

    def booking(self, booking: int | str) -> BookingView:
        """One booking by number, or a visit's current booking by its reference."""
        booking_id = self.resolve(booking)
        with self.store.tx() as db:
            row = booking_row(db, booking_id)
            return _view(row, get_technician(db, row.technician_id), _contact(db, row.session_id))

    def resolve(self, booking: int | str) -> int:
        """The booking number ``booking`` names: a number (``12``, ``"12"``, ``"#12"``), or a visit's reference
        (``"K7P-4QX"``, read the forgiving way of :func:`triage.records.refs.normalize`), which names the
        visit's current booking. :class:`~triage.errors.NotFound` for a reference no visit has."""
        if isinstance(booking, int) and not isinstance(booking, bool):
            return booking
        text = booking.strip().lstrip("#") if isinstance(booking, str) else ""
        ref = normalize(text) if text else None
        if ref is not None:
            with self.store.tx() as db:
                found = db.scalar(select(func.max(Booking.id)).where(Booking.reference == ref))
            if found is not None:
                return int(found)
        if text.isdigit():
            return int(text)
        if ref is not None:
            raise NotFound(f"no visit with reference {ref}")
        raise BookingError(
            f"{booking!r} is neither a visit reference (like K7P-4QX) nor a booking number (like 12)"
        )

    def bookings(
        self,
        status: str | None = None,
        technician_id: int | None = None,
        day: date | None = None,
        session_id: str | None = None,
        reference: str | None = None,
        *,
        days: tuple[date, date] | None = None,
    ) -> list[BookingView]:
        """Bookings by start time, then id. ``day`` is a calendar day in each technician's own timezone, ``days``
        a first and last day (both included) the same way; ``reference`` every row of one visit."""
        if status is not None and status not in STATUSES:
            raise BookingError(f"status must be one of {', '.join(STATUSES)} (got {status!r})")
        with self.store.tx() as db:
            q = (
                select(Booking, Technician, CustomerContact)
                .join(Technician, Technician.id == Booking.technician_id)
                .outerjoin(CustomerContact, CustomerContact.session_id == Booking.session_id)
                .order_by(Booking.start, Booking.id)
            )
            if status is not None:
                q = q.where(Booking.status == status)
            if technician_id is not None:
                q = q.where(Booking.technician_id == technician_id)
            if session_id is not None:
                q = q.where(Booking.session_id == session_id)
            if reference is not None:
                q = q.where(Booking.reference == (normalize(reference) or reference))
            first, last = days if days is not None else (day, day)
            if first is not None and last is not None:
                q = q.where(
                    Booking.start >= datetime.combine(first, time(), tzinfo=UTC) - timedelta(days=1),
                    Booking.start < datetime.combine(last, time(), tzinfo=UTC) + timedelta(days=2),
                )
            out = []
            for row, tech, contact in db.execute(q):
                local = row.start.astimezone(ZoneInfo(tech.timezone)).date()
                if first is not None and last is not None and not first <= local <= last:
                    continue
                out.append(_view(row, tech, contact))
            return out

    def close_visit(
        self,
        booking: int | str,
        technician_name: str,
        code: str,
        fix: str = "",
        *,
        fault: str | None = None,
        now: datetime | None = None,
    ) -> BookingView:
        """The booked technician closes the visit with a closure code (the fault actually found) and what
        fixed it. The closure is stored against the session, as tier 2 does for a case. Closing twice, closing
        a cancelled visit, and closing before the visit starts are refused. Code and fault are held to
        ``limits().code`` and the fix to ``limits().note`` (:class:`~triage.errors.LimitExceeded`), the same on
        SQLite and PostgreSQL, before anything is written.
        """
        now = aware("now", now or utcnow())
        booking_id = self.resolve(booking)
        code = code.strip() if isinstance(code, str) else ""
        if not code:
            raise BookingError(
                f"closing booking {booking_id} needs a closure code: name the fault actually found"
            )
        lim = limits()
        check_length("closure code", code, limit=lim.code)
        check_length("fault", fault or code, limit=lim.code)
        check_length("closure fix", fix.strip(), limit=lim.note)
        with self.store.tx() as db:
            row = booking_row(db, booking_id, lock=True)
            tech = get_technician(db, row.technician_id)
            must_be_booked(row, "closed")
            if technician_name != tech.name:
                raise BookingError(
                    f"booking {booking_id} is assigned to {tech.name!r}, not {technician_name!r}; "
                    "only the assigned technician closes it"
                )
            if now < row.start:
                raise BookingError(
                    f"booking {booking_id} starts {instant_text(row.start)}; it cannot be closed before then "
                    f"(now {instant_text(now)})"
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
                must_be_booked(row, "closed")
            db.refresh(row)
            if row.session_id:
                self.store.record_closure(db, row.session_id, code, row.closure_fix, "technician", fault)
            return _view(row, tech, _contact(db, row.session_id))

    def ics(self, booking: int | str, *, now: datetime | None = None, reach: bool = True) -> str:
        """The visit as an RFC 5545 calendar (one VEVENT), with CRLF line ends and folded lines.

        A booking number or a reference both name the visit's current state: the UID comes from the reference
        and SEQUENCE from its count of changes, so a calendar moves the event on a reschedule (METHOD:REQUEST)
        and removes it on a cancellation (METHOD:CANCEL, STATUS:CANCELLED) instead of adding a second one.
        ``reach=False`` leaves out the customer's phone and e-mail (see :func:`~triage.visits.ics.booking_calendar`).
        """
        stamp = aware("now", now or utcnow())
        booking_id = self.resolve(booking)
        with self.store.tx() as db:
            row = booking_row(db, booking_id)
            if row.reference is not None:  # an older row of a rescheduled visit: export where it is now
                latest = db.scalar(select(func.max(Booking.id)).where(Booking.reference == row.reference))
                if latest is not None and latest != row.id:
                    row = booking_row(db, int(latest))
            view = _view(row, get_technician(db, row.technician_id), _contact(db, row.session_id))
        return booking_calendar(view, stamp=stamp, reach=reach)


def _contact(db: DBSession, session_id: str | None) -> CustomerContact | None:
    return db.get(CustomerContact, session_id) if session_id else None


def contact_address(contact: CustomerContact | None) -> str | None:
    """The contact's address in one line (``Hauptstr. 5, 10115 Berlin``), or ``None`` if they gave none."""
    if contact is None:
        return None
    town = " ".join(p.strip() for p in (contact.postcode, contact.city) if p and p.strip())
    parts = [p for p in ((contact.address or "").strip(), town) if p]
    return ", ".join(parts) or None


def _view(b: Booking, t: Technician, contact: CustomerContact | None = None) -> BookingView:
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
        address=contact_address(contact) or b.address,
        status=b.status,
        created_at=b.created_at,
        cancelled_at=b.cancelled_at,
        cancel_reason=b.cancel_reason,
        rescheduled_from=b.rescheduled_from,
        closed_at=b.closed_at,
        closed_by=b.closed_by,
        closure_code=b.closure_code,
        closure_fix=b.closure_fix,
        outage_override=b.outage_override,
        reference=b.reference or f"#{b.id}",
        sequence=b.sequence or 0,
        contact_name=contact.name if contact is not None else None,
        contact_phone=contact.phone if contact is not None else None,
        contact_email=contact.email if contact is not None else None,
    )
