"""The write path of a step and of a booking: few statements, summary columns that stay true, nothing lost.

A plain step writes its event and the summary columns it changed and reads nothing back (two statements on
SQLite, one on PostgreSQL, where the event rides along as a CTE); whatever sequence of answers, back, notes,
escalations and lost races a session goes through, its stored summary equals one computed afresh from its
events; and writer processes booking the same slots at once on PostgreSQL never book one slot twice.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select

from triage.errors import SessionConflict
from triage.records.cases import Queue
from triage.records.schema import Booking, EventRow
from triage.records.store import Store
from triage.visits import Scheduler, count_double_bookings

WALK_TREE = """\
id: write-path
title: {en: Write path}
category: connectivity
start: q1
nodes:
  - id: q1
    kind: question
    text: {en: First?}
    options:
      - {label: {en: "Yes"}, value: "yes", next: q2}
      - {label: {en: "No"}, value: "no", next: q2}
  - id: q2
    kind: question
    text: {en: Second?}
    options:
      - {label: {en: "Yes"}, value: "yes", next: q3}
      - {label: {en: "No"}, value: "no", next: person}
  - id: q3
    kind: question
    text: {en: Third?}
    options:
      - {label: {en: "Yes"}, value: "yes", next: done}
      - {label: {en: "No"}, value: "no", next: person}
  - id: done
    kind: outcome
    outcome: resolved
    text: {en: Fixed.}
  - id: person
    kind: outcome
    outcome: escalate
    tier: 2
    queue: tier2-support
    reason: {en: It needs a person.}
    text: {en: A colleague takes over.}
"""

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # a Monday morning: every slot ahead is free
SUMMARY = ("steps", "last_tree", "last_node", "mode", "status", "decision_kind", "decision_rule", "decision")


@pytest.fixture
def walk_store(store_url: str) -> Iterator[Store]:
    """A migrated store with only the write-path tree published."""
    st = Store(store_url)
    st.publish(WALK_TREE, author="tests")
    yield st
    st.dispose()


def _statements(store: Store) -> list[str]:
    """A list that fills with the first word and table of every statement the store's engine runs."""
    seen: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()[:3]))

    return seen


def _stored_summary(store: Store, session_id: str) -> dict[str, Any]:
    row = store.session_row(session_id)
    return {k: getattr(row, k) for k in SUMMARY}


def _fresh_summary(store: Store, session_id: str) -> dict[str, Any]:
    """The summary a full rewrite would store: computed from the session replayed from its events."""
    values = store.load_session(session_id)._summary_values()
    return {k: values[k] for k in SUMMARY}


def test_a_plain_step_writes_its_event_and_summary_and_reads_nothing(walk_store: Store) -> None:
    """An answer that decides nothing is one INSERT and one UPDATE on SQLite, one WITH ... UPDATE on PostgreSQL."""
    stored = walk_store.start_session("write-path", customer_id="c-plain")
    seen = _statements(walk_store)
    stored.answer("yes")
    if walk_store.dialect == "postgresql":
        assert seen == ["WITH new_event AS"]
    else:
        assert seen == ["INSERT INTO events", "UPDATE sessions SET"]
    assert walk_store.session_row(stored.id).last_node == "q2"


def test_the_summary_stays_what_a_rewrite_would_store(walk_store: Store) -> None:
    """After answers, a note, going back, an escalation and a restart, the summary row matches its events."""
    stored = walk_store.start_session("write-path", customer_id="c-summary")
    for change in (
        lambda: stored.answer("yes"),
        lambda: stored.add_note("customer on a mobile phone"),
        lambda: stored.answer("no"),  # escalates: decision columns written
        lambda: stored.back(),  # decision gone again
        lambda: stored.answer("yes"),
        lambda: stored.answer("yes"),  # resolved
        lambda: stored.restart(),
    ):
        change()
        assert _stored_summary(walk_store, stored.id) == _fresh_summary(walk_store, stored.id)
    # the escalation's case was made and withdrawn inside those steps' own transactions
    assert [c.status for c in Queue(walk_store).for_session(stored.id)] == ["withdrawn"]


def test_a_lost_race_leaves_a_true_summary_for_both_tabs(walk_store: Store) -> None:
    """Two tabs: the second tab's refused answer and its retry leave the summary true (no stale column diff)."""
    first = walk_store.start_session("write-path", customer_id="c-tabs")
    second = walk_store.load_session(first.id)
    first.answer("yes")
    first.answer("no")  # escalated in the first tab
    with pytest.raises(SessionConflict):
        second.answer("no")
    second.back()  # the second tab now holds what is stored: reopen the escalation
    assert _stored_summary(walk_store, first.id) == _fresh_summary(walk_store, first.id)
    assert walk_store.session_row(first.id).decision_kind is None
    with pytest.raises(SessionConflict):
        first.back()  # the first tab is behind now
    first.answer("yes")
    assert walk_store.session_row(first.id).last_node == "q3"
    assert _stored_summary(walk_store, first.id) == _fresh_summary(walk_store, first.id)
    with walk_store.tx() as db:
        seqs = db.scalars(select(EventRow.seq).where(EventRow.session_id == first.id)).all()
    assert sorted(seqs) == list(range(len(seqs)))  # no step lost, none twice


def _book(url: str, count: int, barrier: Any, out: Any) -> None:
    """One booking process: its own store; ``count`` urgent automatic bookings racing the others."""
    try:
        store = Store(url, migrate=False)
        sched = Scheduler(store)
        barrier.wait(timeout=60)
        for _ in range(count):
            sched.book("broadband-line", "north", urgency="urgent", horizon_days=30, now=NOW)
        store.dispose()
        out.put(None)
    except BaseException as exc:  # noqa: BLE001 - the parent fails the test with it
        out.put(repr(exc))


def test_writer_processes_booking_at_once_never_book_a_slot_twice(pg_server_url: str) -> None:
    """Six processes booking the same earliest slots of two technicians on PostgreSQL: every booking has its
    own slot, and the earliest slots are the ones taken (nobody skips ahead while a slot is free)."""
    from dbfixtures import fresh_database

    url = fresh_database(pg_server_url)
    store = Store(url)
    sched = Scheduler(store)
    for name in ("Tech A", "Tech B"):
        sched.add_technician(name, ["broadband-line"], ["north"], slot_minutes=60)
    ctx = multiprocessing.get_context("spawn")
    writers, each = 6, 8
    barrier, out = ctx.Barrier(writers), ctx.Queue()
    procs = [ctx.Process(target=_book, args=(url, each, barrier, out)) for _ in range(writers)]
    for p in procs:
        p.start()
    errors = [out.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert errors == [None] * writers
    with store.tx() as db:
        booked = db.execute(
            select(Booking.technician_id, Booking.start).where(Booking.status == "booked")
        ).all()
        assert count_double_bookings(db) == 0
        taken = db.scalar(select(func.count()).select_from(Booking)) or 0
    assert taken == len(booked) == writers * each
    assert len(set(booked)) == writers * each
    first_free = sched.free_slots("broadband-line", "north", urgency="urgent", now=NOW)[0]
    assert first_free.start > max(start for _, start in booked)
    store.dispose()
