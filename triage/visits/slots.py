"""Free slots: the slots technicians' working hours make, minus the live visits, and how soon urgency allows.

Each working day is cut into slots of the technician's ``slot_minutes`` from the start of their hours (a
remainder shorter than a slot is not offered); wall-clock times are turned into UTC in the technician's
timezone, and a time the clocks skip (start of summer time) is no slot. A slot is free while no live
(booked or closed) visit overlaps it. Urgency sets the earliest slot an automatic booking may take, so near
slots stay free for urgent visits. :class:`FreeSlots` is the part of :class:`~triage.visits.booking.Scheduler`
that lists them.

The customer chooses among the next working days (:meth:`FreeSlots.free_days`): ``TRIAGE_BOOKING_DAYS`` of them
(default 10), counted from the first day the visit's urgency allows; a working day is one on which a matching
technician has hours, and a day with nothing free is simply left out.
"""

from __future__ import annotations

import bisect
import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from triage.errors import BookingError
from triage.records.schema import Booking, Technician, utcnow
from triage.trees.model import Urgency
from triage.visits._checks import aware, instant_text, span_text, visit_minutes, whole
from triage.visits.technicians import WEEKDAYS, matching, minute_of_day

if TYPE_CHECKING:
    from triage.records.store import Store

__all__ = ["BOOKING_DAYS_ENV", "DEFAULT_BOOKING_DAYS", "LIVE", "FreeDay", "FreeSlots", "Slot", "booking_days"]

LIVE = ("booked", "closed")  # statuses that occupy a technician's time
URGENCY_DAYS = {Urgency.URGENT: 0, Urgency.NORMAL: 1, Urgency.LOW: 3}  # in this order in messages
URGENCY_WORDS = {Urgency.URGENT: "now", Urgency.NORMAL: "the next day", Urgency.LOW: "3 days on"}
_MAX_WINDOW = timedelta(days=366)
_CHUNK = timedelta(days=7)  # free slots are generated a week at a time
_LONGEST_SLOT = timedelta(minutes=720)
BOOKING_DAYS_ENV = "TRIAGE_BOOKING_DAYS"
DEFAULT_BOOKING_DAYS = 10
_MAX_BOOKING_DAYS = 366


@dataclass(frozen=True)
class Slot:
    """One slot of one technician; ``start`` and ``end`` are UTC. Booking reads ``technician_id`` and ``start``."""

    technician_id: int
    technician_name: str
    start: datetime
    end: datetime

    def __str__(self) -> str:
        """The slot as a person reads it: ``Mon 2025-03-03 07:00-09:00 UTC with Ana Lima``."""
        return f"{span_text(self.start, self.end)} with {self.technician_name}"


@dataclass(frozen=True)
class FreeDay:
    """A working day with free slots: ``day`` is a date in the technicians' own timezone, slots by start."""

    day: date
    slots: tuple[Slot, ...]


def booking_days(raw: str | None = None) -> int:
    """How many working days a customer may choose from: ``TRIAGE_BOOKING_DAYS`` (default 10, at most 366).

    >>> booking_days(""), booking_days("5")
    (10, 5)
    """
    text = (os.environ.get(BOOKING_DAYS_ENV, "") if raw is None else raw).strip()
    if not text:
        return DEFAULT_BOOKING_DAYS
    if not text.isdigit() or not 1 <= int(text) <= _MAX_BOOKING_DAYS:
        raise BookingError(
            f"{BOOKING_DAYS_ENV} must be a whole number of working days from 1 to {_MAX_BOOKING_DAYS} "
            f"(got {text!r})"
        )
    return int(text)


class FreeSlots:
    """Listing free slots; part of :class:`~triage.visits.booking.Scheduler`."""

    store: Store

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
        (see :meth:`~triage.visits.booking.Scheduler.book`); with ``duration_minutes``, only technicians whose slots are that long or longer.
        """
        now = aware("now", now or utcnow())
        start = aware("start", start or now)
        end = aware("end", end or start + timedelta(days=14))
        if end <= start:
            raise BookingError(f"end {instant_text(end)} is not after start {instant_text(start)}")
        if end - start > _MAX_WINDOW:
            raise BookingError(f"a window of {(end - start).days} days is too long; ask for 366 days at most")
        level = parse_urgency(urgency) if urgency is not None else None
        with self.store.tx() as db:
            techs = matching(db, skill, region, visit_minutes(duration_minutes))
            return list(iter_free(db, techs, max(start, now), end, now, level))

    def free_days(
        self,
        skill: str,
        region: str,
        *,
        days: int | None = None,
        urgency: Urgency | str | None = None,
        duration_minutes: int | None = None,
        now: datetime | None = None,
    ) -> list[FreeDay]:
        """The free slots of the next ``days`` working days (default :func:`booking_days`), grouped by day.

        The days are counted from the first day ``urgency`` allows (today for urgent or none, tomorrow for
        normal, 3 days on for low); a working day is a date on which an active technician with ``skill`` in
        ``region`` has working hours. A working day with nothing free is left out, so the list may be shorter
        than ``days`` (or empty). A slot belongs to the date it starts on in its technician's timezone.
        """
        now = aware("now", now or utcnow())
        count = booking_days() if days is None else days
        whole("days", count, 1, _MAX_BOOKING_DAYS, "working days")
        level = parse_urgency(urgency) if urgency is not None else None
        with self.store.tx() as db:
            techs = matching(db, skill, region, visit_minutes(duration_minutes))
            dates = working_dates(techs, level, now, count)
            wanted = set(dates)
            end = max(_midnight(dates[-1] + timedelta(days=1), ZoneInfo(t.timezone)) for t in techs)
            zones = {t.id: ZoneInfo(t.timezone) for t in techs}
            by_day: dict[date, list[Slot]] = {}
            for slot in iter_free(db, techs, now, end, now, level):
                day = slot.start.astimezone(zones[slot.technician_id]).date()
                if day in wanted:
                    by_day.setdefault(day, []).append(slot)
        return [FreeDay(day, tuple(by_day[day])) for day in dates if day in by_day]


def working_dates(
    techs: Sequence[Technician], urgency: Urgency | None, now: datetime, count: int
) -> list[date]:
    """The first ``count`` dates, from the first day ``urgency`` allows, on which one of ``techs`` works."""
    first = min(earliest(t, urgency, now).astimezone(ZoneInfo(t.timezone)).date() for t in techs)
    worked = {day for t in techs for day in t.hours}
    out: list[date] = []
    day = first
    while len(out) < count:
        if WEEKDAYS[day.weekday()] in worked:
            out.append(day)
        day += timedelta(days=1)
    return out


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def parse_urgency(value: Urgency | str) -> Urgency:
    """An urgency from its name; the message lists the valid ones."""
    try:
        return Urgency(value)
    except ValueError:
        allowed = ", ".join(u.value for u in URGENCY_DAYS)
        raise BookingError(f"urgency must be one of {allowed} (got {value!r})") from None


@functools.lru_cache(maxsize=1 << 16)  # the same working days are generated again for every booking
def _local_to_utc(day: date, minute: int, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall-clock time, or ``None`` if the clocks skip it (start of summer time)."""
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    instant = naive.replace(tzinfo=tz).astimezone(UTC)
    return instant if instant.astimezone(tz).replace(tzinfo=None) == naive else None


def earliest(tech: Technician, urgency: Urgency | None, now: datetime) -> datetime:
    """The first instant an automatic booking of ``urgency`` may take with this technician."""
    days = URGENCY_DAYS[urgency] if urgency is not None else 0
    if days == 0:
        return now
    tz = ZoneInfo(tech.timezone)
    day = now.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def working_slots(tech: Technician, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The technician's slots that start in ``[start, end)``, in order, as UTC (start, end)."""
    tz = ZoneInfo(tech.timezone)
    length = tech.slot_minutes
    step = timedelta(minutes=length)
    hours = {
        day: (minute_of_day("hours", a, end=False), minute_of_day("hours", b, end=True))
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


def iter_free(
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
    lower = {t.id: max(start, now, earliest(t, urgency, now)) for t in techs}
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
            for s, e in working_slots(t, max(lo, lower[tid]), hi):
                i = bisect.bisect_left(starts, e)  # bookings that start before this slot ends
                if i and latest_end[i - 1] > s:
                    continue
                chunk.append(Slot(tid, name, s, e))
        chunk.sort(key=lambda s: (s.start, s.technician_name, s.technician_id))
        yield from chunk
        lo = hi
