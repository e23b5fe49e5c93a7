"""The queue and dispatch desks word every decision kind: a withdrawn case says what its session decided instead
(a handover is not a case), and a visit decided during an outage says an override is needed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from triage.desk.dispatch import needs_booking, outage_note, pending_label, pending_row
from triage.desk.queue import CaseFilter, case_row, current_outcomes, find_cases, outcome_line
from triage.records.cases import Queue
from triage.records.store import Store, StoredSession
from triage.walk.scenarios import library_from_texts

ROUTER = """
id: router
title: Router has no internet
category: connectivity
start: what
nodes:
  - id: what
    kind: question
    text: What did you find?
    options:
      - {label: Line fault, value: line, next: visit}
      - {label: Needs tier 2, value: tier2, next: tier2}
      - {label: Adapter, value: adapter, next: ship}
      - {label: Own router, value: own, next: diag}
      - {label: Faulty router, value: send, next: send}
      - {label: TV problem, value: tv, next: tv}
  - id: visit
    kind: outcome
    outcome: visit
    text: A technician repairs the line.
    skill: line
  - id: tier2
    kind: outcome
    outcome: escalate
    text: Tier 2 takes over.
    queue: tier2-support
  - id: ship
    kind: outcome
    outcome: ship_part
    text: We send a new power adapter.
    parts: [{part: psu-12v, quantity: 2}]
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
"""

TV = """
id: tv
title: No TV picture
category: connectivity
start: done
nodes:
  - id: done
    kind: outcome
    outcome: resolved
    text: Fine.
"""


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    lib = library_from_texts({"router.yaml": ROUTER, "tv.yaml": TV}, scenarios=False)
    assert not lib.errors, lib.errors
    st = Store(store_url)
    st.sync(lib)
    yield st
    st.dispose()


def decide(store: Store, answer: str, customer: str, mode: str = "agent", **facts: object) -> StoredSession:
    s = store.start_session("router", mode=mode, customer_id=customer, facts=facts)
    s.answer(answer)
    return s


@pytest.mark.parametrize(
    ("decision", "line"),
    [
        (None, "Still open"),
        ({"kind": "resolved"}, "Resolved"),
        ({"kind": "resolved", "follow_up_days": 7}, "Resolved — check again in 7 days"),
        ({"kind": "escalate", "queue": "tier2-support"}, "Escalated to tier2-support"),
        ({"kind": "visit", "skill": "line"}, "Home visit (line)"),
        (
            {"kind": "visit", "skill": "line", "outage": True},
            "Home visit (line) · outage in area — override needed",
        ),
        (
            {
                "kind": "ship_part",
                "shipment": [{"part": "psu-12v", "quantity": 2}, {"part": "remote", "quantity": 1}],
            },
            "Part shipment: 2 x psu-12v, 1 x remote",
        ),
        (
            {"kind": "repair", "rma": "RMA-0123456789", "depot": "east"},
            "Send-in repair RMA-0123456789 to east",
        ),
        ({"kind": "diagnosis", "finding": "Own router"}, "Diagnosis only: Own router"),
        ({"kind": "handover", "handover_tree": "tv"}, "Handover to tv — not a case"),
    ],
)
def test_outcome_line_words_every_kind(decision: dict[str, object] | None, line: str) -> None:
    """Every decision kind has its line, with what matters for it (queue, skill, parts, RMA, finding, target)."""
    assert outcome_line(decision) == line


def test_outcome_line_in_german() -> None:
    """The line follows the reader's language."""
    assert outcome_line({"kind": "handover", "handover_tree": "tv"}, "de") == "Übergabe an tv — kein Fall"


def test_a_withdrawn_case_says_what_the_session_decided_instead(store: Store) -> None:
    """The agent escalated, went back and handed over to the TV tree: the case is withdrawn and its row says so;
    the handover itself opens no case, and sessions of the other kinds open none either."""
    s = decide(store, "tier2", "Q-1")
    s.back()
    s.answer("tv")
    for kind in ("adapter", "own", "send"):
        assert Queue(store).for_session(decide(store, kind, f"Q-{kind}").id) == []
    found = find_cases(store, CaseFilter(status="all"))
    assert [(c.session_id, c.status) for c in found] == [(s.id, "withdrawn")]
    outcomes = current_outcomes(store, found)
    assert outcomes == {found[0].id: "Handover to tv — not a case"}
    assert case_row(found[0], outcome=outcomes[found[0].id])["outcome"] == "Handover to tv — not a case"
    assert current_outcomes(store, find_cases(store)) == {}  # the active cases: none withdrawn


def test_a_visit_during_an_outage_needs_an_override(store: Store) -> None:
    """An agent's visit in an outage area is listed with the outage; self-service gets a diagnosis instead and
    the other kinds never wait for a booking."""
    plain = decide(store, "line", "V-1")
    outage = decide(store, "line", "V-2", outage_in_area=True, outage_eta="2026-06-01T18:00:00+00:00")
    customer = decide(store, "line", "V-3", mode="self_service", outage_in_area=True)
    for kind in ("adapter", "own", "send", "tv"):
        decide(store, kind, f"V-{kind}")
    assert customer.decision is not None
    assert customer.decision.kind.value == "diagnosis"
    pending = {p.session_id: p for p in needs_booking(store)}
    assert sorted(pending) == sorted([plain.id, outage.id])
    p = pending[outage.id]
    assert (p.outage, p.outage_eta) == (True, "2026-06-01T18:00:00+00:00")
    assert pending_row(p)["outage"] == "outage in area — override needed"
    assert pending_row(p, locale="de")["outage"] == "Störung im Gebiet — Übersteuerung nötig"
    assert pending_label(p) == "normal · V-2 · router · line · ? · outage in area — override needed"
    assert (pending_row(pending[plain.id])["outage"], outage_note(pending[plain.id])) == ("", "")
    assert pending_label(pending[plain.id]) == "normal · V-1 · router · line · ?"
