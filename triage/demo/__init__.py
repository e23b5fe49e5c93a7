"""Demo data: weeks of plausible support history, so a fresh installation has something to show.

:func:`generate_demo_data` publishes the shipped trees and then simulates contacts day by day:

* customers start sessions on the shipped trees — common problems more often than rare ones — as agent
  calls or in self-service, in English or German, mostly in working hours;
* every session is walked by the real engine with a fake clock: options picked at random with a bias,
  actions fixing the problem about as often as the tree says they should, a few answers marked "already
  tried", notes, a step taken back now and then; some customers give up midway (drop-offs) or ask for a
  person;
* some customers come back about the same problem within the repeat window, so earlier "resolved"
  sessions turn into "not resolved" and a third contact escalates at once, as the store would do;
* tier 2 claims and closes most escalations with the fault actually found (through :class:`~triage.records.cases.Queue`);
* technicians (through :class:`~triage.visits.Scheduler`) are booked for visits; past visits are closed
  with a closure code;
* the demo provider's line and device status is seeded (:mod:`~triage.demo.remote`): one customer with a line
  fault, one whose line is fine, everyone else fine too.

Sessions are written the way :class:`~triage.records.store.StoredSession` writes them — the engine's own events,
the same summary row, the case created by :func:`~triage.records.cases.sync_case` — but in one transaction instead
of one per step, so ~1,500 sessions take seconds. Everything is drawn from one random generator: the same
seed and ``now`` give the same history.

The package: :mod:`~triage.demo.walks` (a person answering), :mod:`~triage.demo.rows` (the rows the store
would have written), :mod:`~triage.demo.history` (customers, contacts, cases and visits over the weeks),
:mod:`~triage.demo.remote` (the demo provider's simulated status).

May import everything below the desk (:mod:`triage.visits`, :mod:`triage.records`, :mod:`triage.walk`,
:mod:`triage.trees`, :mod:`triage.errors`); only start-up and the front ends import it.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from triage.demo.history import DEMO_PREFIX, History
from triage.demo.remote import seed_remote_status
from triage.demo.rows import session_rows, tree_pins
from triage.demo.walks import answer_samples, simulate_walk
from triage.errors import DemoError
from triage.records.schema import SessionRow, utcnow
from triage.records.store import Store
from triage.visits import Scheduler
from triage.walk.scenarios import load_library

__all__ = [
    "DEMO_PREFIX",
    "DemoError",
    "DemoReport",
    "answer_samples",
    "ensure_demo",
    "generate_demo_data",
    "seed_remote_status",
    "session_rows",
    "simulate_walk",
    "tree_pins",
]


@dataclass(frozen=True)
class DemoReport:
    """What :func:`generate_demo_data` wrote."""

    sessions: int
    events: int
    resolved: int
    escalated: int
    visits: int
    undecided: int
    repeat_contacts: int
    not_resolved: int
    cases: int
    cases_closed: int
    technicians: int
    bookings: int
    visits_closed: int
    first_started: datetime | None
    last_started: datetime | None


def generate_demo_data(
    store: Store,
    *,
    days: int = 42,
    sessions_per_day: int = 40,
    seed: int = 7,
    now: datetime | None = None,
) -> DemoReport:
    """Fill ``store`` with ``days`` of simulated history ending at ``now``, about ``sessions_per_day`` a day.

    Publishes the shipped trees first. The same ``seed`` and ``now`` give the same history. Demo sessions
    and customers have ids starting with ``demo-``; a store that already holds them is refused with
    :class:`DemoError`, so running twice never doubles the history.
    """
    if days < 1 or sessions_per_day < 1:
        raise ValueError(f"days and sessions_per_day must be at least 1 (got {days} and {sessions_per_day})")
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware (got {now!r})")
    now = now.astimezone(UTC)
    with store.tx() as db:
        if db.scalar(select(SessionRow.id).where(SessionRow.id.like(f"{DEMO_PREFIX}%")).limit(1)) is not None:
            raise DemoError("this store already holds demo data; use a fresh database for a new demo history")
    library = load_library()
    store.sync(library)
    seed_remote_status(store)  # the demo provider's line and device status, for the remote checks
    history = History(store, random.Random(seed), now, library)
    history.simulate(days, sessions_per_day)
    cases = history.write()
    cases_closed = history.work_cases()
    scheduler = Scheduler(store)
    technicians = history.technicians(scheduler)
    bookings, visits_closed = history.visits(scheduler)
    kinds = Counter(r["decision_kind"] for r in history.sessions)
    starts = [r["started_at"] for r in history.sessions]
    return DemoReport(
        sessions=len(history.sessions),
        events=len(history.events),
        resolved=kinds["resolved"],
        escalated=kinds["escalate"],
        visits=kinds["visit"],
        undecided=kinds[None],
        repeat_contacts=history.repeats,
        not_resolved=sum(1 for r in history.sessions if r["truth"] == "not_resolved"),
        cases=cases,
        cases_closed=cases_closed,
        technicians=technicians,
        bookings=bookings,
        visits_closed=visits_closed,
        first_started=min(starts, default=None),
        last_started=max(starts, default=None),
    )


def ensure_demo(
    store: Store,
    *,
    days: int = 42,
    sessions_per_day: int = 40,
    seed: int = 7,
    now: datetime | None = None,
) -> DemoReport | None:
    """Fill a store that has no sessions yet with demo history (first start with ``TRIAGE_DEMO=1``).

    A store with any session is left alone and ``None`` returned. The options are those of
    :func:`generate_demo_data`.
    """
    with store.tx() as db:
        if db.scalar(select(SessionRow.id).limit(1)) is not None:
            return None
    return generate_demo_data(store, days=days, sessions_per_day=sessions_per_day, seed=seed, now=now)
