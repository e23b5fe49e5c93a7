"""Demo data on SQLite and PostgreSQL: deterministic for a seed, and it fills every part of the app."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from libraries import shipped
from sqlalchemy import select

from triage.analytics.queries import summary
from triage.demo import DemoReport, ensure_demo, generate_demo_data
from triage.demo.history import History
from triage.desk.contact import session_reference
from triage.errors import DemoError
from triage.records.refs import normalize
from triage.records.schema import Booking, Case, EventRow, SessionRow, Technician
from triage.records.store import Store
from triage.trees.model import OutcomeKind
from triage.walk.scenarios import library_from_texts

NOW = datetime(2026, 6, 17, 15, 30, tzinfo=UTC)  # a Wednesday afternoon


def small(store: Store, seed: int = 11) -> DemoReport:
    """Two weeks of about 25 sessions a day: quick, and enough to show everything (visits are rare now that the
    trees ship parts and fix remotely first: two weeks give some that the technicians have closed)."""
    return generate_demo_data(store, days=14, sessions_per_day=25, seed=seed, now=NOW)


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
    # the three classic outcomes at least; the shipped trees decide which of the newer kinds appear
    assert {"resolved", "escalate", "visit", None} <= set(kinds) <= {*(k.value for k in OutcomeKind), None}
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
    assert all(NOW - timedelta(days=14) <= r[6] < NOW for r in data["sessions"])
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


def test_demo_sessions_carry_their_reference_from_the_start(store: Store) -> None:
    """Every demo session is written with its own readable reference; opening one later writes nothing."""
    small(store)
    with store.tx() as db:
        refs = {r.id: r.reference for r in db.execute(select(SessionRow.id, SessionRow.reference))}
    assert refs
    assert all(r is not None and normalize(r) == r for r in refs.values())
    assert len(set(refs.values())) == len(refs)
    some_id, its_ref = next(iter(refs.items()))
    assert session_reference(store, some_id) == its_ref


def test_demo_runs_once_per_store(store: Store) -> None:
    """A second run on the same store is refused; ensure_demo only fills a store without sessions."""
    assert ensure_demo(store, days=2, sessions_per_day=5, now=NOW) is not None
    with pytest.raises(DemoError, match="this store already holds demo data; use a fresh database"):
        small(store)
    assert ensure_demo(store, now=NOW) is None


PROCEDURE = """
id: router
title: Router has no internet
category: connectivity
service: internet
start: lights
nodes:
  - id: lights
    kind: collect
    text: Which lights are on?
    fact: lights
    type: multi
    choices: [power, dsl, wifi]
    next: unplug
  - id: unplug
    kind: instruction
    text: Unplug the router for 30 seconds.
    next: settle
    on_could_not: tier1
  - id: settle
    kind: wait
    text: Wait for the router to start.
    seconds: 60
    check: Is the DSL light steady green?
    tries: 2
    next: line
    fallback: line
  - id: line
    kind: check
    text: Run a line test.
    system: line_test
    results:
      - {label: Line OK, value: ok, next: reset}
      - {label: Line fault, value: fault, next: visit}
    on_unavailable: tier1
  - id: reset
    kind: action
    text: Reset the router with a pin.
    fixes: {router: 0.5}
    on_fixed: fixed
    on_not_fixed: what
  - id: what
    kind: question
    text: What did you find?
    options:
      - {label: The adapter is broken, value: adapter, next: ship}
      - {label: It is the customer's own router, value: own, next: diag}
      - {label: The router is faulty, value: send, next: send}
      - {label: The TV is the problem, value: tv, next: tv}
  - id: fixed
    kind: outcome
    outcome: resolved
    text: Working again.
    follow_up_days: 3
  - id: visit
    kind: outcome
    outcome: visit
    text: A technician repairs the line.
    skill: line
  - id: tier1
    kind: outcome
    outcome: escalate
    text: An agent continues.
    queue: tier1-support
  - id: ship
    kind: outcome
    outcome: ship_part
    text: We send a new power adapter.
    parts: [{part: psu-12v, quantity: 1}]
  - id: diag
    kind: outcome
    outcome: diagnosis
    text: The customer's own router is faulty.
    finding: The own router does not sync.
    customer_next_step: Replace it.
  - id: send
    kind: outcome
    outcome: repair
    text: Send the router in.
    depot: repair-centre-east
    packing: In its box.
  - id: tv
    kind: outcome
    outcome: handover
    text: This is a TV problem.
    tree: tv
    carry: [lights]
"""

TV = """
id: tv
title: No TV picture
category: connectivity
start: box
nodes:
  - id: box
    kind: question
    text: Is the box on?
    options:
      - {label: "Yes", value: "yes", next: done}
      - {label: "No", value: "no", next: done}
  - id: done
    kind: outcome
    outcome: resolved
    text: Fine.
"""


def test_demo_history_walks_every_step_kind_into_every_outcome(store: Store) -> None:
    """On trees with instructions, waits, remote checks and multi-selects the simulated people answer every step,
    every decision kind comes up, a handover goes on in the other tree with the carried facts, and the analytics
    count fix rates at the action only."""
    lib = library_from_texts({"router.yaml": PROCEDURE, "tv.yaml": TV}, scenarios=False)
    assert not lib.errors, lib.errors
    store.sync(lib)
    history = History(store, random.Random(5), NOW, lib)
    history.simulate(10, 30)
    history.write()
    kinds = Counter(r["decision_kind"] for r in history.sessions)
    assert set(kinds) == {*(k.value for k in OutcomeKind), None}
    # nobody is stuck at a step the simulation cannot answer: open sessions stopped by choice, not by a wall
    stuck = Counter(r["last_node"] for r in history.sessions if r["decision_kind"] is None)
    assert sum(stuck.values()) < len(history.sessions) * 0.2
    starts = {e["session_id"]: e["value"]["facts"] for e in history.events if e["type"] == "start"}
    handed = [r for r in history.sessions if r["decision_kind"] == "handover"]
    carried = [r for r in history.sessions if r["tree_id"] == "tv" and "lights" in starts[r["id"]]]
    assert len(carried) == len(handed) > 0
    # the same customers go on in the TV tree a minute or two after the handover
    assert sorted(r["customer_id"] for r in handed) == sorted(c["customer_id"] for c in carried)
    last_handover = {r["customer_id"]: r["decided_at"] for r in handed}
    assert all(
        timedelta(0) < c["started_at"] - last_handover[c["customer_id"]] < timedelta(minutes=3)
        for c in carried
    )
    s = summary(store, now=NOW)
    assert [a.node_id for a in s.actions] == ["reset"]
    assert all(o.sessions > 0 for o in s.outcomes)
    assert {d.kind for d in s.drop_offs} <= {"collect", "instruction", "wait", "check", "action", "question"}
