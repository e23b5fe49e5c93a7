"""Scenario tests answer every step kind: instructions, waits (answered, never waited for), remote checks by their
result, multi-selects by a list or comma text; they may expect any outcome kind, and a refused answer says which
answer and which step."""

from __future__ import annotations

import pytest

from triage.trees.library import ScenarioResult
from triage.walk.scenarios import library_from_texts, run_scenarios

TREE = """
id: router
title: Router has no internet
category: connectivity
start: lights
nodes:
  - id: lights
    kind: collect
    text: Which lights are on?
    fact: lights
    type: multi
    choices: [power, dsl, wifi]
    required: false
    next: unplug
  - id: unplug
    kind: instruction
    text: Unplug the router.
    next: settle
    on_could_not: tier1
  - id: settle
    kind: wait
    text: Wait for the router to start.
    seconds: 30
    check: Is the DSL light steady green?
    tries: 2
    next: line
    fallback: line
  - id: line
    kind: check
    text: Run a line test.
    system: line_test
    results:
      - {label: Line OK, value: ok, next: remote}
      - {label: Line fault, value: fault, next: visit}
    on_unavailable: tier1
  - id: remote
    kind: action
    text: We reboot the router from our side.
    performer: system
    system: reboot_router
    on_fixed: fixed
    on_not_fixed: what
  - id: what
    kind: logic
    rules:
      - {when: "lights contains 'wifi'", next: ship}
      - {when: "lights contains 'dsl'", next: send}
      - {when: "count(lights) == 0", next: tv}
    default: diag
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
    finding: It does not sync.
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
scenarios:
{scenarios}
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

PASSING = """
  - name: a list, a wait answered twice, the check's result, a part shipment
    answers: [[power, wifi], done, not_yet, ready, ok, not_fixed]
    decision: ship_part
    expect: ship
  - name: comma text, a send-in repair
    answers: ["power, dsl", done, ready, ok, not_fixed]
    decision: repair
  - name: a diagnosis
    answers: [power, done, ready, ok, not_fixed]
    decision: diagnosis
  - name: nothing lit, a handover
    answers: [[], done, ready, ok, not_fixed]
    decision: handover
  - name: the check unavailable
    answers: [power, done, ready, unavailable]
    decision: escalate
  - name: could not unplug
    answers: [power, could_not]
    expect: tier1
  - name: the line test finds a fault
    answers: [power, done, ready, fault]
    decision: visit
  - name: the remote reboot fixes it
    answers: [power, done, ready, ok, fixed]
    decision: resolved
"""


def results(scenarios: str) -> list[ScenarioResult]:
    lib = library_from_texts(
        {"router.yaml": TREE.replace("{scenarios}", scenarios), "tv.yaml": TV}, scenarios=False
    )
    assert not lib.errors, lib.errors
    return run_scenarios(lib["router"], lib)


def test_scenarios_answer_every_kind_and_expect_every_outcome() -> None:
    """Lists and comma text for a multi-select, waits answered like steps, check results and "unavailable", and
    the new decision kinds expected: every scenario passes."""
    got = results(PASSING)
    assert [(r.passed, r.message, r.reached) for r in got] == [
        (True, "ok", "ship"),
        (True, "ok", "send"),
        (True, "ok", "diag"),
        (True, "ok", "tv"),
        (True, "ok", "tier1"),
        (True, "ok", "tier1"),
        (True, "ok", "visit"),
        (True, "ok", "fixed"),
    ]


def test_a_wrong_kind_expected_is_reported() -> None:
    """A scenario expecting an escalation that ends in a handover fails, naming both kinds."""
    got = results(
        "  - name: handover is not escalate\n    answers: [[], done, ready, ok, not_fixed]\n    decision: escalate\n"
    )
    assert got[0].message == "expected decision 'escalate' but got 'handover'"
    assert not got[0].passed


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ("[power, done, ready, broken]", "answer 4 ('broken') at step 'line' (check): "),
        ("[power, fixed]", "answer 2 ('fixed') at step 'unplug' (instruction): "),
        ("[power, done, soon]", "answer 3 ('soon') at step 'settle' (wait): "),
        ("[[power, hdmi]]", "answer 1 (['power', 'hdmi']) at step 'lights' (collect): "),
    ],
)
def test_a_refused_answer_names_its_number_and_step(answers: str, message: str) -> None:
    """An answer a step does not take fails the scenario with its position, the step and its kind."""
    got = results(f"  - name: bad\n    answers: {answers}\n    decision: resolved\n")
    assert not got[0].passed
    assert got[0].message.startswith(message), got[0].message
