"""The outage board: what the Outages page and ``triage outage`` call, testable without either.

* **Declaring and ending.** :func:`declare`, :func:`end` (it returns the customers to tell), :func:`active`,
  :func:`every` and :func:`get`, over :class:`~triage.records.outages.Outages`.
* **At the start of a session.** :func:`outage_facts` gives the built-in facts ``outage_in_area`` and
  ``outage_eta`` for a region and a service; :func:`with_outage_facts` adds them to start facts without
  overriding what the caller gave. :func:`known_regions` offers the regions a customer may pick.
* **Who is affected.** :func:`affected_sessions` and :func:`affected_bookings`; :func:`board` gathers them,
  with the notices waiting, for every active outage; :func:`to_notify` lists the customers of ended outages.
* **Notices.** :func:`outage_for_session` finds the outage a customer's session is in, :func:`subscribe` keeps
  their e-mail address or phone number, :func:`notice_lines` words notices as a list to copy.

Who counts as affected (the rules the page and the CLI show):

* a **session** whose start facts name the outage's region (ignoring case and surrounding spaces) and whose tree
  has the outage's service (as its latest published version says), while it is still open, or decided on a home
  visit that has no live booking yet;
* a **booking** that is booked (not cancelled or closed), in the outage's region, for the outage's service, and
  whose visit ends after the outage starts and starts before its expected end (any time after the start, for an
  outage without an expected end). Its service is that of its session's tree; a booking without a session counts
  when its skill is one that the trees of that service send technicians with.

Errors: :class:`~triage.errors.Refused` (bad input, e.g. a contact that is neither an e-mail address nor a phone
number), :class:`~triage.errors.FormError` (a time that cannot be read), :class:`~triage.errors.NotFound`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import exists, select

from triage.errors import FormError
from triage.records.outages import NoticeView, Outages, OutageView, contact_kind, same_region, until_text
from triage.records.schema import Booking, EventRow, SessionRow, Technician
from triage.records.store import Store
from triage.trees.library import Library
from triage.trees.model import VisitOutcome
from triage.visits import Scheduler

__all__ = [
    "AffectedBooking",
    "AffectedSession",
    "BoardEntry",
    "NoticeView",
    "OutageView",
    "active",
    "affected_bookings",
    "affected_sessions",
    "board",
    "contact_kind",
    "declare",
    "end",
    "every",
    "get",
    "known_regions",
    "known_services",
    "notice_lines",
    "notices",
    "outage_facts",
    "outage_for_session",
    "parse_time",
    "subscribe",
    "to_notify",
    "until_text",
    "utc_time",
    "with_outage_facts",
]

_SESSIONS_READ = 2000  # candidate sessions read per outage, the most recently active first
_LIVE = ("booked", "closed")  # a visit decision with a booking in one of these needs no booking
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?(Z|[+-]\d{2}:?\d{2}| UTC)?")


# -- declaring and ending -------------------------------------------------------------------------


def declare(
    store: Store,
    region: str,
    service: str,
    *,
    who: str,
    message: Mapping[str, str],
    start: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> OutageView:
    """Declare an outage of ``service`` in ``region`` from ``start`` (default now) until ``until`` (``None``:
    until further notice), with the customers' ``message`` per locale (English required)."""
    return Outages(store).declare(
        region, service, message=message, who=who, start=start, expected_end=until, now=now
    )


def end(store: Store, outage_id: int, who: str, *, now: datetime | None = None) -> list[NoticeView]:
    """End an outage now; the notices of the customers who asked to hear, to send."""
    return Outages(store).end(outage_id, who, now)


def active(store: Store, now: datetime | None = None) -> list[OutageView]:
    """The outages active now (started, not ended), the latest start first."""
    return Outages(store).active(now)


def every(store: Store, limit: int = 200) -> list[OutageView]:
    """Every outage, active or ended, the latest start first."""
    return Outages(store).every(limit)


def get(store: Store, outage_id: int) -> OutageView:
    """One outage by id."""
    return Outages(store).get(outage_id)


def parse_time(what: str, text: str | None) -> datetime | None:
    """A time typed as ``2025-03-03 18:00`` (UTC unless a zone follows: ``Z``, ``+01:00``), or a day alone
    (midnight UTC); ``None`` for blank.

    >>> parse_time("--until", "2025-03-03 18:00")
    datetime.datetime(2025, 3, 3, 18, 0, tzinfo=datetime.timezone.utc)
    >>> parse_time("--until", "2025-03-03T19:00+01:00")
    datetime.datetime(2025, 3, 3, 18, 0, tzinfo=datetime.timezone.utc)
    """
    raw = (text or "").strip()
    if not raw:
        return None
    m = _TIME.fullmatch(raw)
    try:
        if m is None:
            raise ValueError(raw)
        day, clock, zone = m.group(1), m.group(2) or "00:00", (m.group(3) or "+00:00").strip()
        zone = "+00:00" if zone in ("Z", "UTC") else zone
        value = datetime.fromisoformat(f"{day}T{clock.zfill(5)}{zone}")
    except ValueError:
        raise FormError(
            f"{what}: {raw!r} is not a time; give it like 2025-03-03 18:00 (UTC) or 2025-03-03T18:00+01:00"
        ) from None
    return value.astimezone(UTC)


def utc_time(day: date | None, clock: time | None) -> datetime | None:
    """A day and a time of day picked on a form, in UTC (midnight without a time); ``None`` without a day.

    >>> utc_time(date(2025, 3, 3), time(18, 0))
    datetime.datetime(2025, 3, 3, 18, 0, tzinfo=datetime.timezone.utc)
    >>> utc_time(None, time(18, 0)) is None
    True
    """
    if day is None:
        return None
    return datetime.combine(day, clock or time(), tzinfo=UTC)


# -- at the start of a session --------------------------------------------------------------------


def outage_facts(
    store: Store, region: str | None, service: str | None, *, now: datetime | None = None
) -> dict[str, Any]:
    """The built-in facts for a region and a service: ``{"outage_in_area": bool, "outage_eta": iso or None}``.

    ``outage_eta`` is the latest expected end of the matching outages, ``None`` when one runs until further
    notice (or none matches). Without a region or a service nothing can match: ``outage_in_area`` is false.
    """
    found = Outages(store).active_for(region or "", service or "", now)
    if not found:
        return {"outage_in_area": False, "outage_eta": None}
    return {"outage_in_area": True, "outage_eta": found[0].eta}


def with_outage_facts(
    store: Store, service: str | None, facts: Mapping[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """``facts`` with ``outage_in_area`` and ``outage_eta`` for their ``region`` and ``service`` added, unless
    the caller gave them (a caller who says whether there is an outage is not second-guessed, eta included).
    Without a region or a service they stay unset: unknown, not "no outage"."""
    out = dict(facts)
    region = out.get("region")
    if "outage_in_area" in out or not service or not isinstance(region, str) or not region.strip():
        return out
    facts_now = outage_facts(store, region, service, now=now)
    out["outage_in_area"] = facts_now["outage_in_area"]  # checked: false means "no outage", not unknown
    if facts_now["outage_eta"] is not None:
        out.setdefault("outage_eta", facts_now["outage_eta"])
    return out


def known_regions(store: Store) -> list[str]:
    """The regions a customer may pick: where technicians work and where outages were declared, each once
    (ignoring case), sorted."""
    names = [r for tech in Scheduler(store).technicians() for r in tech.regions]
    seen: dict[str, str] = {}
    for name in [*names, *Outages(store).regions()]:
        seen.setdefault(name.strip().casefold(), name.strip())
    return sorted(seen.values(), key=str.casefold)


def known_services(store: Store) -> list[str]:
    """The services the published trees name, sorted."""
    lib = store.library()
    return sorted({s for s in (lib[tid].service for tid in lib) if s})


# -- who is affected ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AffectedSession:
    """A session in an outage's region and service that is still open, or waits for a visit to be booked."""

    session_id: str
    tree_id: str
    customer_id: str | None
    mode: str
    waiting_for_visit: bool
    started_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AffectedBooking:
    """A booked visit in an outage's region and service while it lasts."""

    booking_id: int
    start: datetime
    end: datetime
    technician: str
    skill: str
    region: str
    customer_id: str | None
    session_id: str | None
    outage_override: str | None


def _services(lib: Library) -> dict[str, str | None]:
    return {tid: lib[tid].service for tid in lib}


def _skills(lib: Library, service: str) -> set[str]:
    """The skills the trees of ``service`` send technicians with."""
    return {
        node.skill
        for tid in lib
        if lib[tid].service == service
        for node in lib[tid].nodes
        if isinstance(node, VisitOutcome)
    }


def _start_regions(store: Store, ids: list[str]) -> dict[str, Any]:
    """Session id -> the ``region`` fact it started with."""
    if not ids:
        return {}
    with store.tx() as db:
        rows = db.execute(
            select(EventRow.session_id, EventRow.value).where(
                EventRow.session_id.in_(ids), EventRow.type == "start"
            )
        ).all()
    return {sid: ((value or {}).get("facts") or {}).get("region") for sid, value in rows}


def affected_sessions(
    store: Store, outage: OutageView, *, library: Library | None = None
) -> list[AffectedSession]:
    """The sessions the outage affects (see the module's rules), the most recently active first."""
    services = _services(library or store.library())
    trees = [tid for tid, svc in services.items() if svc == outage.service]
    if not trees:
        return []
    booked = exists().where(Booking.session_id == SessionRow.id, Booking.status.in_(_LIVE))
    waiting = (SessionRow.status == "decided") & (SessionRow.decision_kind == "visit") & ~booked
    q = (
        select(SessionRow)
        .where(SessionRow.tree_id.in_(trees), (SessionRow.status == "open") | waiting)
        .order_by(SessionRow.updated_at.desc(), SessionRow.id)
        .limit(_SESSIONS_READ)
    )
    with store.tx() as db:
        rows = [
            AffectedSession(
                r.id, r.tree_id, r.customer_id, r.mode, r.status != "open", r.started_at, r.updated_at
            )
            for r in db.scalars(q)
        ]
    regions = _start_regions(store, [r.session_id for r in rows])
    return [r for r in rows if same_region(_text(regions.get(r.session_id)), outage.region)]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def affected_bookings(
    store: Store, outage: OutageView, *, library: Library | None = None
) -> list[AffectedBooking]:
    """The booked visits the outage affects (see the module's rules), by start time."""
    lib = library or store.library()
    services, skills = _services(lib), _skills(lib, outage.service)
    q = (
        select(Booking, Technician.name, SessionRow.tree_id)
        .join(Technician, Technician.id == Booking.technician_id)
        .outerjoin(SessionRow, SessionRow.id == Booking.session_id)
        .where(Booking.status == "booked", Booking.end > outage.starts_at)
        .order_by(Booking.start, Booking.id)
    )
    if outage.expected_end is not None:
        q = q.where(Booking.start < outage.expected_end)
    out: list[AffectedBooking] = []
    with store.tx() as db:
        for b, tech, tree_id in db.execute(q):
            if not same_region(b.region, outage.region):
                continue
            ours = services.get(tree_id) == outage.service if tree_id else b.skill in skills
            if ours:
                out.append(
                    AffectedBooking(
                        b.id,
                        b.start,
                        b.end,
                        tech,
                        b.skill,
                        b.region,
                        b.customer_id,
                        b.session_id,
                        b.outage_override,
                    )
                )
    return out


@dataclass(frozen=True)
class BoardEntry:
    """One active outage on the board, with whom it affects and who waits to hear when it ends."""

    outage: OutageView
    sessions: list[AffectedSession]
    bookings: list[AffectedBooking]
    notices: list[NoticeView]


def board(store: Store, *, now: datetime | None = None) -> list[BoardEntry]:
    """Every active outage with its affected sessions and bookings and its notices, the latest start first."""
    lib = store.library()
    outages = Outages(store)
    return [
        BoardEntry(
            o,
            affected_sessions(store, o, library=lib),
            affected_bookings(store, o, library=lib),
            outages.notices(o.id),
        )
        for o in outages.active(now)
    ]


def to_notify(store: Store, *, limit: int = 20) -> list[tuple[OutageView, list[NoticeView]]]:
    """Ended outages that customers asked to hear about, the latest first, each with those customers."""
    outages = Outages(store)
    counts = outages.notice_counts()
    ended = [o for o in outages.every() if o.ended_at is not None and counts.get(o.id)]
    ended.sort(key=lambda o: (o.ended_at or o.starts_at, o.id), reverse=True)
    return [(o, outages.notices(o.id)) for o in ended[:limit]]


# -- notices --------------------------------------------------------------------------------------


def outage_for_session(store: Store, session_id: str, *, now: datetime | None = None) -> OutageView | None:
    """The active outage a session is in: its start ``region`` fact and its tree's service; ``None`` if none."""
    stored = store.load_session(session_id)
    region = stored.session.facts.get("region")
    service = stored.session.tree().service
    if not isinstance(region, str) or not service:
        return None
    found = Outages(store).active_for(region, service, now)
    return found[0] if found else None


def subscribe(
    store: Store, outage_id: int, session_id: str | None, contact: str, locale: str = "en"
) -> NoticeView:
    """Tell ``contact`` (an e-mail address or a phone number) when the outage ends."""
    return Outages(store).subscribe(outage_id, session_id, contact, locale)


def notices(store: Store, outage_id: int) -> list[NoticeView]:
    """The customers who asked to hear when outage ``outage_id`` ends, in the order they asked."""
    return Outages(store).notices(outage_id)


def notice_lines(notices: Iterable[NoticeView]) -> str:
    """Notices as lines to copy: ``contact<TAB>locale<TAB>session``, one customer a line."""
    return "".join(f"{n.contact}\t{n.locale}\t{n.session_id or '-'}\n" for n in notices)
