"""Analytics of real vendor procedures, on SQLite and PostgreSQL: only actions have fix rates; every decision kind
is counted as itself (a handover is not an escalation); outcome truth covers resolved-with-follow-up; step rows
say which steps are instructions, waits and remote checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from triage.analytics import (
    KIND_COUNTS,
    ActionStats,
    BreakdownRow,
    DayOutcomes,
    DropOff,
    OutcomeCount,
    action_stats,
    breakdown,
    drop_offs,
    node_stats,
    outcome_counts,
    outcomes_per_day,
    render_text,
    summary,
    tree_stats,
)
from triage.records.store import Store, StoredSession
from triage.trees.model import OutcomeKind
from triage.walk.scenarios import library_from_texts

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=3)
TRIED = object()

ROUTER = """
id: router
title: Router has no internet
category: connectivity
start: unplug
nodes:
  - id: unplug
    kind: instruction
    text: Unplug the router.
    next: settle
    on_could_not: tier1
  - id: settle
    kind: wait
    text: Wait for the router to start.
    seconds: 30
    check: Is the power light on?
    tries: 2
    next: line
    fallback: line
  - id: line
    kind: check
    text: Run a line test.
    system: line_test
    results:
      - {label: Line OK, value: ok, next: confirm}
      - {label: Line fault, value: fault, next: visit}
    on_unavailable: tier1
  - id: confirm
    kind: question
    text: Is the router plugged in again?
    options:
      - {label: "Yes", value: fixed, next: reset}
      - {label: "No", value: not_fixed, next: reset}
  - id: reset
    kind: action
    text: Reset the router with a pin.
    on_fixed: fixed
    on_not_fixed: what
    on_could_not: tier1
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
    follow_up: Ask whether the line stayed up.
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
    tier: 1
  - id: ship
    kind: outcome
    outcome: ship_part
    text: We send a new power adapter.
    parts: [{part: psu-12v, quantity: 1}]
  - id: diag
    kind: outcome
    outcome: diagnosis
    text: The customer's own router is faulty.
    finding: The customer's own router does not sync.
    customer_next_step: Replace the router.
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

START = ["done", "ready", "ok"]  # unplugged, the router came up, the line test passed
REPAIRED = [*START, "fixed", "fixed"]  # the reset fixes it: resolved, follow-up in 3 days


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A store with the router procedure and the TV tree it hands over to."""
    lib = library_from_texts({"router.yaml": ROUTER, "tv.yaml": TV}, scenarios=False)
    assert not lib.errors, lib.errors
    st = Store(store_url)
    st.sync(lib)
    yield st
    st.dispose()


def walk(store: Store, answers: list[object], *, hour: float, customer: str | None = None) -> StoredSession:
    """An agent's stored session on the router tree, started ``hour`` hours after T0, answers 10 s apart."""
    at = T0 + timedelta(hours=hour)
    s = store.start_session("router", mode="agent", customer_id=customer, now=at)
    ticks = iter(at + timedelta(seconds=10 * i) for i in range(1, 100))
    s.session.clock = lambda: next(ticks)
    for a in answers:
        if a is TRIED:
            s.mark_tried()
        else:
            s.answer(a)
    return s


@dataclass
class History:
    overturned: StoredSession
    held: StoredSession
    abandoned_at_wait: StoredSession


@pytest.fixture
def history(store: Store) -> History:
    """Ten sessions: one of every decision kind, a second escalation, a resolved-with-follow-up that a repeat
    contact overturns and one that holds, and one left open at the wait."""
    overturned = walk(store, REPAIRED, hour=0, customer="c1")
    walk(store, ["could_not"], hour=1)  # could not unplug it: escalate
    walk(store, ["done", "ready", "fault"], hour=2)  # line fault: visit
    walk(store, [*START, "fixed", "could_not"], hour=3)  # could not reset: escalate
    walk(store, [*START, "not_fixed", "not_fixed", "own"], hour=4)  # diagnosis
    walk(store, [*START, "not_fixed", "not_fixed", "send"], hour=5)  # send-in repair
    walk(store, [*START, "not_fixed", TRIED, "tv"], hour=6)  # already reset: handover to the TV tree
    abandoned = walk(store, ["done"], hour=7)  # stops at the wait
    held = walk(store, REPAIRED, hour=8, customer="c2")
    # c1 calls again the next day: the adapter was broken after all (the first "resolved" did not hold)
    walk(
        store, ["done", "not_yet", "ready", "ok", "not_fixed", "not_fixed", "adapter"], hour=24, customer="c1"
    )
    return History(overturned, held, abandoned)


def test_fix_rates_count_only_actions(store: Store, history: History) -> None:
    """The reset action is the only fix attempt: the instruction's "could not", the question whose options are
    called fixed / not_fixed, the wait and the check have no fix rate."""
    assert action_stats(store) == [ActionStats("router", "reset", 7, 2, 3, 1, 1, 2 / 7)]


def test_a_node_that_became_an_instruction_stops_counting(store: Store, history: History) -> None:
    """When a later version turns the action into an instruction, its old answers were confirmations: no row."""
    text = ROUTER.replace(
        "    kind: action\n    text: Reset the router with a pin.\n    on_fixed: fixed\n    on_not_fixed: what\n",
        "    kind: instruction\n    text: Reset the router with a pin.\n    next: what\n",
    )
    store.publish(text, author="ann", base_version=1)
    assert action_stats(store) == []


def test_every_decision_kind_is_counted_as_itself(store: Store, history: History) -> None:
    """Nine decided sessions: each kind in its own count, the handover not among the escalations."""
    overall = summary(store, now=NOW).overall
    counts = (
        overall.decided,
        overall.resolved,
        overall.escalated,
        overall.home_visits,
        overall.parts_shipped,
        overall.repairs,
        overall.diagnoses,
        overall.handovers,
    )
    assert counts == (9, 2, 2, 1, 1, 1, 1, 1)
    assert (overall.escalation_rate, overall.abandoned) == (2 / 9, 1)
    assert outcome_counts(store) == [
        OutcomeCount("resolved", 2, 2 / 9, 1),
        OutcomeCount("escalate", 2, 2 / 9, 0),
        OutcomeCount("visit", 1, 1 / 9, 0),
        OutcomeCount("ship_part", 1, 1 / 9, 0),
        OutcomeCount("repair", 1, 1 / 9, 0),
        OutcomeCount("diagnosis", 1, 1 / 9, 0),
        OutcomeCount("handover", 1, 1 / 9, 0),
    ]
    assert sorted(KIND_COUNTS) == sorted(k.value for k in OutcomeKind)


def test_outcome_truth_covers_resolved_with_follow_up(store: Store, history: History) -> None:
    """A resolved-with-follow-up is resolved; the one a repeat contact overturned is not a first-contact
    resolution, the one that held is."""
    assert store.session_row(history.overturned.id).decision == {
        **store.session_row(history.overturned.id).decision,
        "follow_up_days": 3,
    }
    assert store.session_row(history.overturned.id).truth == "not_resolved"
    assert store.session_row(history.held.id).truth is None
    row = tree_stats(store, now=NOW)[0]
    assert (row.resolved, row.first_contact_resolved, row.fcr_rate) == (2, 1, 1 / 9)


def test_breakdown_and_days_have_every_kind(store: Store, history: History) -> None:
    """By mode and per day, the new kinds have their own columns."""
    assert breakdown(store, "mode", now=NOW) == [
        BreakdownRow("mode", "agent", 10, 9, 2, 2, 1, 1, 1, 1, 1, 2 / 9, 1 / 9)
    ]
    assert outcomes_per_day(store) == [
        DayOutcomes(T0.date(), 9, 2, 2, 1, 0, 1, 1, 1, 1),
        DayOutcomes(T0.date() + timedelta(days=1), 1, 0, 0, 0, 1, 0, 0, 0, 0),
    ]


def test_step_rows_say_the_kind(store: Store, history: History) -> None:
    """Per node and per drop-off, the step's kind: the open session stopped at a wait."""
    rows = node_stats(store, tree_id="router", now=NOW)
    assert [(n.node_id, n.kind, n.visits, n.drop_offs) for n in rows] == [
        ("unplug", "instruction", 10, 0),
        ("settle", "wait", 9, 1),
        ("line", "check", 8, 0),
        ("confirm", "question", 7, 0),
        ("reset", "action", 7, 0),
        ("what", "question", 4, 0),
    ]
    assert drop_offs(store, now=NOW) == [DropOff("router", "settle", 1, 9, 0.1, "wait")]


def test_report_lists_outcomes_and_kinds(store: Store, history: History) -> None:
    """The terminal report has an outcomes table with every kind and labels the drop-off step's kind."""
    text = render_text(summary(store, now=NOW))
    assert (
        "  decision   sessions  share  not resolved\n"
        "  ---------  --------  -----  ------------\n"
        "  resolved          2  22.2%             1\n"
        "  escalate          2  22.2%             0\n"
        "  visit             1  11.1%             0\n"
        "  ship_part         1  11.1%             0\n"
        "  repair            1  11.1%             0\n"
        "  diagnosis         1  11.1%             0\n"
        "  handover          1  11.1%             0\n"
    ) in text
    assert "  router  settle  wait          1         9          10.0%\n" in text
