"""Demo data on SQLite and PostgreSQL: deterministic for a seed, and it fills every part of the app."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from libraries import shipped
from sqlalchemy import select

from triage.analytics.queries import summary
from triage.demo import DemoReport, ensure_demo, generate_demo_data
from triage.errors import DemoError
from triage.records.schema import Booking, Case, EventRow, SessionRow, Technician
from triage.records.store import Store

NOW = datetime(2026, 6, 17, 15, 30, tzinfo=UTC)  # a Wednesday afternoon


def small(store: Store, seed: int = 11) -> DemoReport:
    """Ten days of about 25 sessions a day: quick, and enough to show everything."""
    return generate_demo_data(store, days=10, sessions_per_day=25, seed=seed, now=NOW)


def fingerprint(store: Store) -> dict[str, Any]:
    """Everything the demo wrote, in a form that compares equal across runs and databases."""
    with store.tx() as db:
        sessions = db.execute(
            select(
                SessionRow.id,
                SessionRow.tree_id,
                SessionRow.mode,
                SessionRow.locale,
                SessionRow.customer_id,
                SessionRow.status,
                SessionRow.started_at,
                SessionRow.decided_at,
                SessionRow.steps,
                SessionRow.decision_kind,
                SessionRow.truth,
                SessionRow.repeat_of,
                SessionRow.true_fault,
                SessionRow.closure_source,
            ).order_by(SessionRow.id)
        ).all()
        events = db.execute(
            select(
                EventRow.session_id,
                EventRow.seq,
                EventRow.at,
                EventRow.type,
                EventRow.node_id,
                EventRow.value,
            ).order_by(EventRow.session_id, EventRow.seq)
        ).all()
        cases = db.execute(
            select(
                Case.id,
                Case.session_id,
                Case.queue,
                Case.status,
                Case.claimed_by,
                Case.closed_at,
                Case.closure_code,
            ).order_by(Case.id)
        ).all()
        bookings = db.execute(
            select(
                Booking.id, Booking.session_id, Booking.technician_id, Booking.start, Booking.status
            ).order_by(Booking.id)
        ).all()
        technicians = db.execute(select(Technician.name, Technician.skills).order_by(Technician.name)).all()
    return {
        "sessions": [tuple(r) for r in sessions],
        "events": [tuple(r) for r in events],
        "cases": [tuple(r) for r in cases],
        "bookings": [tuple(r) for r in bookings],
        "technicians": [tuple(r) for r in technicians],
    }


def test_same_seed_same_history(store: Store, tmp_path: Path) -> None:
    """Two runs with the same seed and clock, on this database and on a fresh SQLite file, write the same rows."""
    first = small(store)
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    second = small(other)
    assert first == second
    assert fingerprint(store) == fingerprint(other)
    different = Store(f"sqlite:///{tmp_path / 'different.db'}")
    assert small(different, seed=12) != first
    other.dispose()
    different.dispose()


def test_demo_fills_every_part_of_the_app(store: Store) -> None:
    """All three outcomes, drop-offs, repeat contacts, closed cases with codes and technicians' closed visits."""
    report = small(store)
    data = fingerprint(store)
    kinds = Counter(r[9] for r in data["sessions"])
    assert set(kinds) == {"resolved", "escalate", "visit", None}
    assert report.sessions == len(data["sessions"]) == sum(kinds.values())
    assert (report.resolved, report.escalated, report.visits, report.undecided) == (
        kinds["resolved"],
        kinds["escalate"],
        kinds["visit"],
        kinds[None],
    )
    assert report.events == len(data["events"])
    assert {r[3] for r in data["events"]} >= {"start", "answer", "tried", "back", "note"}
    # every session starts inside the window, in both modes and both languages
    assert all(NOW - timedelta(days=10) <= r[6] < NOW for r in data["sessions"])
    assert {r[2] for r in data["sessions"]} == {"agent", "self_service"}
    assert {r[3] for r in data["sessions"]} == {"en", "de"}
    # repeat contacts point back, and overturn earlier resolutions
    assert report.repeat_contacts == sum(1 for r in data["sessions"] if r[11] is not None) > 0
    assert report.not_resolved == sum(1 for r in data["sessions"] if r[10] == "not_resolved") > 0
    # tier 2 closed cases with the fault found, stored against the session
    closed = [c for c in data["cases"] if c[3] == "closed"]
    assert report.cases == len(data["cases"]) == kinds["escalate"]
    assert report.cases_closed == len(closed) > 0
    assert all(c[6] and c[5] < NOW for c in closed)
    by_id = {r[0]: r for r in data["sessions"]}
    assert all(by_id[c[1]][12] == c[6] and by_id[c[1]][13] == "tier2" for c in closed)
    # technicians booked and closed visits
    assert report.technicians == len(data["technicians"]) == 5
    assert report.bookings == len(data["bookings"]) > 0
    visits_closed = [b for b in data["bookings"] if b[4] == "closed"]
    assert report.visits_closed == len(visits_closed) > 0
    assert all(by_id[b[1]][13] == "technician" for b in visits_closed)
    # and the analytics have something to show
    s = summary(store, now=NOW)
    assert s.overall.sessions == report.sessions
    offered = len(shipped().offered())  # every tree a person can start, procedures aside
    assert (len(s.trees), bool(s.actions), bool(s.drop_offs), bool(s.faults)) == (offered, True, True, True)


def test_demo_runs_once_per_store(store: Store) -> None:
    """A second run on the same store is refused; ensure_demo only fills a store without sessions."""
    assert ensure_demo(store, days=2, sessions_per_day=5, now=NOW) is not None
    with pytest.raises(DemoError, match="this store already holds demo data; use a fresh database"):
        small(store)
    assert ensure_demo(store, now=NOW) is None
