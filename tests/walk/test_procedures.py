"""Real vendor procedures in the engine: instructions, waits, remote checks, repeats, multi-select facts, the new
outcomes and the outage rule, and the hand-off that tells the truth about them (golden file)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from triage import Session, build_handoff
from triage.errors import InvalidAnswer
from triage.trees.library import Library, library_from_texts
from triage.trees.model import OutcomeKind
from triage.walk.systems import Systems, run_step

GOLDEN = Path(__file__).parents[1] / "data" / "golden"

ROUTER = """
id: router
title: Router has no internet
category: connectivity
service: internet
start: words
nodes:
  - id: words
    kind: collect
    text: Which lights are on?
    fact: lights
    type: multi
    choices: [power, dsl, wifi]
    choice_labels: {power: Power, dsl: DSL, wifi: Wi-Fi}
    required: false
    next: backup
  - id: backup
    kind: instruction
    text: Note down your Wi-Fi name and password.
    caution: Back up your router settings first.
    media:
      - link: https://example.com/router-manual
        label: The router manual
    next: unplug
    on_could_not: tier1
  - id: unplug
    kind: instruction
    text: Unplug the router.
    next: settle
  - id: settle
    kind: wait
    text: Wait for the router to start.
    seconds: 30
    check: Is the DSL light steady green?
    tries: 3
    next: line
    fallback: line
  - id: line
    kind: check
    text: Run a line test.
    system: line_test
    timeout: 0.5
    fact: line
    results:
      - {label: Line OK, value: ok, next: reset}
      - {label: Line fault, value: fault, next: visit}
    on_unavailable: tier1
  - id: reset
    kind: action
    text: Reset the router with a pin for 10 seconds.
    on_fixed: fixed
    on_not_fixed: charger
  - id: charger
    kind: question
    text: Is the power adapter damaged?
    options:
      - {label: "Yes", value: "yes", next: ship}
      - {label: "No", value: "no", next: remote}
  - id: remote
    kind: instruction
    text: We reboot the router from our side.
    performer: system
    system: reboot_router
    next: own
  - id: own
    kind: question
    text: Is it your own router?
    options:
      - {label: "Yes", value: "yes", next: diag}
      - {label: "No", value: "no", next: send}
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
    text: We send you a new power adapter.
    parts: [{part: psu-12v, quantity: 1}]
    return_old: true
    instructions: Plug the new adapter in where the old one was.
  - id: diag
    kind: outcome
    outcome: diagnosis
    text: Your own router is faulty.
    finding: The customer's own router does not sync.
    customer_next_step: Replace your router or ask its maker.
  - id: send
    kind: outcome
    outcome: repair
    text: Send the router in.
    depot: repair-centre-east
    packing: Pack it in its box with the power adapter.
"""

MEMORY = """
id: memory
title: Laptop will not start
category: hardware
start: modules
nodes:
  - id: modules
    kind: collect
    text: Which memory slots are filled?
    fact: slots
    type: multi
    choices: [a, b, c]
    next: each
  - id: each
    kind: repeat
    text: Test each memory module
    over: slots
    item: slot
    until: faulty == 'yes'
    body: test
    next: after
  - id: test
    kind: question
    text: Start with only this module fitted. Does it beep?
    fact: faulty
    options:
      - {label: "Yes", value: "yes", next: each}
      - {label: "No", value: "no", next: each}
  - id: after
    kind: logic
    rules:
      - {when: "faulty == 'yes'", next: bad}
      - {when: "visits('test') >= 3", next: other}
    default: other
  - id: bad
    kind: outcome
    outcome: ship_part
    text: We send you a new module.
    parts: [{part: ram-8g, quantity: 1}]
  - id: other
    kind: outcome
    outcome: handover
    text: This is a power problem.
    tree: router
"""

SYSTEMS = {"line_test": lambda facts: "ok", "reboot_router": lambda facts: "queued"}


def clock() -> Any:
    now = [datetime(2026, 12, 7, 9, 0, tzinfo=UTC)]

    def tick() -> datetime:
        value = now[0]
        now[0] = value + timedelta(seconds=30)
        return value

    return tick


@pytest.fixture(scope="module")
def lib() -> Library:
    library = library_from_texts({"router.yaml": ROUTER, "memory.yaml": MEMORY})
    assert not library.errors, library.errors
    return library


def start(lib: Library, tree: str = "router", mode: str = "agent", **facts: Any) -> Session:
    return Session.start(lib, tree, mode=mode, facts=facts, session_id="proc-0123456789", clock=clock())


# -- instructions ----------------------------------------------------------------------------------


def test_an_instruction_is_done_never_a_fix(lib: Library) -> None:
    s = start(lib)
    s.answer("power,dsl")
    view = s.view()
    assert view.kind == "instruction"
    assert [o.value for o in view.options] == ["done", "could_not"]
    assert view.caution == "Back up your router settings first."
    assert view.media[0].kind == "link"
    assert view.media[0].label == "The router manual"
    s.answer("done")
    assert s.view().node_id == "unplug"
    assert [o.value for o in s.view().options] == ["done"]  # no "could not" where the step offers no way
    with pytest.raises(InvalidAnswer):
        s.answer("could_not")
    with pytest.raises(InvalidAnswer):
        s.answer("fixed")
    assert [c.answer for c in s.breadcrumb()] == ["Power, DSL", "done"]


def test_could_not_do_an_instruction_goes_where_the_author_said(lib: Library) -> None:
    s = start(lib)
    s.answer("")
    s.answer("could_not")
    assert s.decision is not None
    assert s.decision.queue == "tier1-support"


# -- waits -------------------------------------------------------------------------------------------


def test_a_wait_counts_its_tries_then_falls_back(lib: Library) -> None:
    s = start(lib)
    for answer in ("", "done", "done"):
        s.answer(answer)
    v = s.view()
    assert (v.kind, v.seconds, v.tries, v.try_number) == ("wait", 30, 3, 1)
    assert v.check == "Is the DSL light steady green?"
    assert v.shown_at is not None
    s.answer("not_yet")
    assert (s.view().node_id, s.view().try_number) == ("settle", 2)
    s.answer("not yet")
    assert s.view().try_number == 3
    s.answer("no")  # the third "not yet": the fallback
    assert s.view().node_id == "line"
    # going back to the last try and answering "ready" counts the same tries again
    s.back(5)
    assert s.view().try_number == 3
    s.answer("ready")
    assert s.view().node_id == "line"


# -- remote checks ---------------------------------------------------------------------------------


def walk_to_check(lib: Library, mode: str = "agent") -> Session:
    s = start(lib, mode=mode)
    for answer in ("", "done", "done", "ready"):
        s.answer(answer)
    assert s.view().kind == "check"
    return s


def test_a_remote_check_answers_the_step_with_its_result(lib: Library) -> None:
    s = walk_to_check(lib)
    result = run_step(s, Systems(SYSTEMS))
    assert result is not None
    assert result.ok
    assert result.value == "ok"
    assert s.facts["line"] == "ok"
    assert s.view().node_id == "reset"


def slow(facts: Mapping[str, Any]) -> str:
    time.sleep(2)
    return "ok"


def broken(facts: Mapping[str, Any]) -> str:
    raise ConnectionError("line test server refused the connection")


@pytest.mark.parametrize(
    ("call", "detail"),
    [(slow, "no answer within 0.5 s"), (broken, "ConnectionError: line test server refused the connection")],
)
def test_a_failed_check_leaves_the_agent_a_manual_pick(lib: Library, call: Any, detail: str) -> None:
    s = walk_to_check(lib)
    result = run_step(s, Systems({"line_test": call}))
    assert result is not None
    assert not result.ok
    assert result.detail == detail
    view = s.view()
    assert view.kind == "check"  # still open: the agent picks by hand
    assert [o.value for o in view.options] == ["ok", "fault", "unavailable"]
    s.answer("fault")
    assert s.decision is not None
    assert s.decision.kind is OutcomeKind.VISIT


def test_a_failed_check_moves_self_service_on(lib: Library) -> None:
    s = walk_to_check(lib, mode="self_service")
    result = run_step(s, Systems({}))
    assert result is not None
    assert result.detail == "no remote system named 'line_test' is set up"
    assert s.decision is not None
    assert s.decision.queue == "tier1-support"
    assert any("Remote check line_test" in n for n in s.notes)


def test_a_remote_action_is_noted_then_the_person_answers(lib: Library) -> None:
    s = walk_to_check(lib)
    run_step(s, Systems(SYSTEMS))
    s.answer("not_fixed")
    s.answer("no")
    assert s.view().system == "reboot_router"
    run_step(s, Systems(SYSTEMS))
    assert s.notes[-1] == "Remote action reboot_router: sent: queued."
    assert s.view().node_id == "remote"  # the step is still the person's to confirm
    s.answer("done")
    assert s.view().node_id == "own"


# -- outcomes ----------------------------------------------------------------------------------------


def to_outcome(lib: Library, *answers: str, mode: str = "agent", **facts: Any) -> Session:
    s = start(lib, mode=mode, **facts)
    for answer in ("", "done", "done", "ready", "ok", *answers):
        s.answer(answer)
    assert s.decision is not None
    return s


def test_resolved_with_a_follow_up(lib: Library) -> None:
    d = to_outcome(lib, "fixed").decision
    assert d is not None
    assert (d.kind, d.follow_up_days, d.follow_up) == (
        OutcomeKind.RESOLVED,
        3,
        "Ask whether the line stayed up.",
    )


def test_ship_part(lib: Library) -> None:
    d = to_outcome(lib, "not_fixed", "yes").decision
    assert d is not None
    assert d.kind is OutcomeKind.SHIP_PART
    assert [(p.part, p.quantity) for p in d.shipment] == [("psu-12v", 1)]
    assert d.return_old
    assert d.instructions == "Plug the new adapter in where the old one was."
    assert d.next_action == "Ship 1 x psu-12v to the customer's confirmed address."


def test_diagnosis_and_repair(lib: Library) -> None:
    d = to_outcome(lib, "not_fixed", "no", "done", "yes").decision
    assert d is not None
    assert d.kind is OutcomeKind.DIAGNOSIS
    assert d.finding == "The customer's own router does not sync."
    assert d.customer_next_step == "Replace your router or ask its maker."
    r = to_outcome(lib, "not_fixed", "no", "done", "no").decision
    assert r is not None
    assert (r.kind, r.depot, r.rma) == (
        OutcomeKind.REPAIR,
        "repair-centre-east",
        "RMA-PROC-01234",
    )


def test_a_visit_during_an_outage(lib: Library) -> None:
    facts = {"outage_in_area": True, "outage_eta": "2026-12-07T18:00:00+00:00"}
    s = start(lib, mode="self_service", **facts)
    for answer in ("", "done", "done", "ready"):
        s.answer(answer)
    s.answer("fault")
    d = s.decision
    assert d is not None
    assert (d.kind, d.rule, d.outage) == (OutcomeKind.DIAGNOSIS, "outage", True)
    assert "2026-12-07T18:00:00+00:00" in d.message
    agent = start(lib, **facts)
    for answer in ("", "done", "done", "ready", "fault"):
        agent.answer(answer)
    a = agent.decision
    assert a is not None
    assert (a.kind, a.outage) == (OutcomeKind.VISIT, True)
    assert "outage" in a.reason


# -- repeats, visits() and handovers ----------------------------------------------------------------


def test_repeat_goes_through_each_item_until_found(lib: Library) -> None:
    s = start(lib, tree="memory")
    s.answer(["c", "a"])
    assert s.facts["slots"] == ["a", "c"]  # in the order of the choices
    assert (s.facts["slot"], s.facts["round"]) == ("a", 1)
    s.answer("no")
    assert (s.facts["slot"], s.facts["round"]) == ("c", 2)
    s.answer("yes")
    assert s.decision is not None
    assert s.decision.kind is OutcomeKind.SHIP_PART


def test_repeat_ends_after_the_last_item_and_visits_counts(lib: Library) -> None:
    s = start(lib, tree="memory")
    s.answer("a,b,c")
    for _ in range(3):
        s.answer("no")
    assert s.visit_counts("memory")["test"] == 3
    d = s.decision
    assert d is not None
    assert (d.kind, d.handover_tree) == (OutcomeKind.HANDOVER, "router")


def test_replay_arrives_at_the_same_rounds(lib: Library) -> None:
    s = start(lib, tree="memory")
    s.answer("a,b")
    s.answer("no")
    again = Session.from_dict(s.to_dict(), lib)
    assert (again.facts["slot"], again.rounds, again.view().node_id) == ("b", {"memory:each": 2}, "test")


# -- the hand-off ------------------------------------------------------------------------------------


def test_handoff_tells_the_truth_golden(lib: Library) -> None:
    s = start(lib, customer_id="C-7", customer_words="Internet drops every evening since Monday.")
    s.answer("power")
    s.answer("done")
    s.answer("done")
    s.answer("not_yet")
    s.answer("ready")
    run_step(s, Systems(SYSTEMS))
    s.answer("not_fixed")
    s.answer("yes")
    h = build_handoff(s)
    assert h.customer_words == "Internet drops every evening since Monday."
    assert [st.answer for st in h.steps][:3] == ["Power", "done", "done"]
    assert "fixed it" not in [st.answer for st in h.steps]
    assert h.findings == [
        "lights: Power",
        "Run a line test: Line OK",
        "Reset the router with a pin for 10 seconds: did not fix it",
    ]
    text = h.to_markdown()
    path = GOLDEN / "handoff-procedure.md"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_a_remote_action_is_sent_once_per_arrival(lib: Library) -> None:
    """A reload or a second tab at the same step never sends the signal twice; a new arrival sends it again."""
    sent: list[str] = []

    def reboot(facts: Mapping[str, Any]) -> str:
        sent.append("reboot")
        return "queued"

    systems = Systems({"line_test": lambda facts: "ok", "reboot_router": reboot})
    s = walk_to_check(lib)
    run_step(s, systems)
    s.answer("not_fixed")
    s.answer("no")
    assert run_step(s, systems) is not None
    assert run_step(s, systems) is None  # the page drawn again
    again = Session.from_dict(s.to_dict(), lib)
    assert run_step(again, systems) is None  # another tab, replayed from the store
    assert sent == ["reboot"]
    s.back(6)
    s.answer("no")
    run_step(s, systems)
    assert sent == ["reboot", "reboot"]


def test_a_decision_left_unfixed_in_an_outage_is_marked_so_the_customer_can_hear_when_it_ends(
    lib: Library,
) -> None:
    """A tree's own outage diagnosis (not a visit) is marked too; a resolved walk in the same area is not."""
    facts = {"outage_in_area": True, "outage_eta": "2026-12-07T18:00:00+00:00"}
    s = start(lib, mode="self_service", **facts)
    s.answer("")
    s.answer("could_not")
    d = s.decision
    assert d is not None
    assert (d.kind, d.outage, d.outage_eta) == (OutcomeKind.ESCALATE, True, "2026-12-07T18:00:00+00:00")
    fixed = to_outcome(lib, "fixed", mode="self_service", **facts).decision
    assert fixed is not None
    assert (fixed.kind, fixed.outage) == (OutcomeKind.RESOLVED, False)


def test_each_round_of_a_repeat_says_which_it_is(lib: Library) -> None:
    """Two rounds of the same step never look the same: the view says "round 2 of 3"."""
    s = start(lib, tree="memory")
    assert (s.view().round, s.view().rounds) == (None, None)
    s.answer("a,b,c")
    assert (s.view().round, s.view().rounds) == (1, 3)
    s.answer("no")
    assert (s.view().round, s.view().rounds) == (2, 3)
    s.answer("no")
    s.answer("yes")
    assert s.view().round is None  # the rounds are over
