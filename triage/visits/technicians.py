"""Technicians: skills, regions, and working hours per weekday in their own timezone.

Working hours are wall-clock times (``"HH:MM"``) in the technician's IANA timezone; each working day is
cut into slots of ``slot_minutes`` (see :mod:`triage.visits.slots`). :class:`Technicians` is the part of
:class:`~triage.visits.booking.Scheduler` that registers and lists them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DBSession

from triage.errors import BookingError, NotFound, did_you_mean
from triage.records.schema import Technician
from triage.visits._checks import fits, name_list, whole, word

if TYPE_CHECKING:
    from triage.records.store import Store

__all__ = ["DEFAULT_HOURS", "WEEKDAYS", "TechnicianView", "Technicians"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS: Mapping[str, tuple[str, str]] = {day: ("08:00", "17:00") for day in WEEKDAYS[:5]}
_TIME = re.compile(r"(\d{1,2}):(\d{2})")


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


class Technicians:
    """Registering and listing technicians; part of :class:`~triage.visits.booking.Scheduler`."""

    store: Store

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
        fits("a technician's name", name)  # it is written as closed_by, a 100-character column
        what = f"technician {name!r}"
        skill_list = name_list(f"{what}: skills", skills, "skill")
        region_list = name_list(f"{what}: regions", regions, "region")
        whole(f"{what}: slot_minutes", slot_minutes, 15, 720, "minutes")
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


def get_technician(db: DBSession, technician_id: int) -> Technician:
    """A technician row by id; :class:`~triage.errors.NotFound` if there is none."""
    t = db.get(Technician, technician_id)
    if t is None:
        raise NotFound(f"no technician with id {technician_id}")
    return t


def region_as_kept(region: str, regions: Sequence[str]) -> str | None:
    """``region`` as a technician's list spells it ("Berlin" for "berlin "), ignoring case; None if not there.

    >>> region_as_kept("berlin ", ["Berlin", "Potsdam"]), region_as_kept("Bern", ["Berlin"])
    ('Berlin', None)
    """
    key = region.strip().casefold()
    return next((r for r in regions if r.strip().casefold() == key), None)


def matching(db: DBSession, skill: str, region: str, duration: int | None) -> list[Technician]:
    """Active technicians with ``skill`` in ``region`` whose slots fit ``duration``; a clear error if none."""
    skill, region = word("skill", skill), word("region", region)
    techs = list(db.scalars(select(Technician).where(Technician.active.is_(True)).order_by(Technician.name)))
    if not techs:
        raise BookingError("no technicians are registered yet; add one with Scheduler.add_technician()")
    here = [
        t for t in techs if region_as_kept(region, t.regions) is not None
    ]  # people type "Berlin" or "berlin"
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


def minute_of_day(what: str, value: object, *, end: bool) -> int:
    """``"HH:MM"`` as minutes after midnight; an ``end`` may be ``"24:00"``."""
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
        a = minute_of_day(f"{what}: hours for {day!r}", span[0], end=False)
        b = minute_of_day(f"{what}: hours for {day!r}", span[1], end=True)
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
