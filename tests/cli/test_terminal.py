"""The terminal walk knows every step kind and outcome: instructions, waits (never slept in a test), remote checks
with a provider or by hand, pictures and links, cautions, multi-selects, and decisions printed in full."""

from __future__ import annotations

import io
import os
import pty
import time
from pathlib import Path

import pytest

from triage import Session
from triage.cli.main import main
from triage.cli.terminal import _countdown, walk
from triage.records.store import Store
from triage.walk.scenarios import library_from_texts
from triage.walk.systems import Systems

ROUTER = """
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
    choice_labels: {power: Power, dsl: DSL, wifi: Wi-Fi}
    next: backup
  - id: backup
    kind: instruction
    text: Note down your Wi-Fi name and password.
    caution: Back up your router settings first.
    media:
      - image: router/back.png
        alt: The back of the router, reset button circled
        caption: Reset button
      - link: https://example.com/router-manual
        label: The router manual
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
    timeout: 2
    results:
      - {label: Line OK, value: ok, next: remote}
      - {label: Line fault, value: fault, next: visit}
    on_unavailable: tier1
  - id: remote
    kind: instruction
    text: We reboot the router from our side.
    performer: system
    system: reboot_router
    next: reset
  - id: reset
    kind: action
    text: Reset the router with a pin for 10 seconds.
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

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
# lights by name and number, backup done, the router came up, the line test by hand: OK
TO_LINE = "power, 3\n1\nready\n"
TO_WHAT = TO_LINE + "1\n1\nnot_fixed\n"  # line OK, the remote reboot done, the reset did not fix it


@pytest.fixture
def trees(tmp_path: Path) -> str:
    """A trees folder with the router procedure, the TV tree it hands over to, and the router's picture."""
    (tmp_path / "router.yaml").write_text(ROUTER, encoding="utf-8")
    (tmp_path / "tv.yaml").write_text(TV, encoding="utf-8")
    (tmp_path / "media" / "router").mkdir(parents=True)
    (tmp_path / "media" / "router" / "back.png").write_bytes(PNG)
    return str(tmp_path)


def run(*argv: str, stdin: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out, inp=io.StringIO(stdin))
    return code, out.getvalue()


def test_every_step_kind_at_the_prompt(trees: str) -> None:
    """Multi-select, caution before the step, picture and link, instruction, wait (not slept), check by hand,
    a remote action without a provider, and the part shipment printed in full."""
    began = time.monotonic()
    code, out = run("run", "router", "--trees", trees, stdin=TO_WHAT + "1\n")
    assert time.monotonic() - began < 10  # a 30 s wait with scripted input is not waited for
    assert code == 0
    assert (
        "  pick any that apply: numbers or names separated by commas\n  1) Power\n  2) DSL\n  3) Wi-Fi\n"
        in out
    )
    assert (
        "  !! CAUTION: Back up your router settings first.\n"
        "[step 2, 50%] Note down your Wi-Fi name and password.\n"
        "  [picture] The back of the router, reset button circled (Reset button): media/router/back.png\n"
        "  [link] The router manual: https://example.com/router-manual\n"
        "  (do: customer) then say when it is done\n"
        "  1) Done\n"
        "  2) I could not do this\n"
    ) in out
    assert "  (wait 30 s, wait 1 of 2) then: Is the DSL light steady green?\n" in out
    assert "  ! remote check line_test gave no result: no remote system named 'line_test' is set up" in out
    assert "— pick the result by hand\n" in out
    assert "  (remote check line_test: pick the result)\n  1) Line OK\n  2) Line fault\n" in out
    assert "  ! remote reboot_router did not work: no remote system named 'reboot_router' is set up\n" in out
    assert (
        "== Decision: PART SHIPMENT ==\n"
        "We send you a new power adapter.\n"
        "  because: We send you a new power adapter.\n"
        "  ship: 1 x psu-12v\n"
        "  the old part comes back (a return label goes with the parcel)\n"
        "  instructions: Plug the new adapter in where the old one was.\n"
    ) in out
    assert "- lights: Power, Wi-Fi" in out  # the hand-off has the multi-select's choices, by their labels


@pytest.mark.parametrize(
    ("last", "printed"),
    [
        (
            "2",
            "  finding: The customer's own router does not sync.\n  customer's next step: Replace your router",
        ),
        ("3", "  RMA: RMA-"),
        ("4", "  continue with the tree: tv\n  carrying: lights\n"),
    ],
)
def test_decisions_are_printed_in_full(trees: str, last: str, printed: str) -> None:
    """Diagnosis (finding, next step), send-in repair (RMA, depot, packing) and handover (target, facts)."""
    code, out = run("run", "router", "--trees", trees, stdin=TO_WHAT + last + "\n")
    assert code == 0
    assert printed in out
    if last == "3":
        assert "  send to: repair-centre-east\n  packing: Pack it in its box with the power adapter.\n" in out


def test_resolved_with_follow_up_and_could_not(trees: str) -> None:
    """A fixed reset prints the follow-up; an instruction the person could not do goes to its branch."""
    code, out = run("run", "router", "--trees", trees, stdin=TO_LINE + "1\n1\nfixed\n")
    assert code == 0
    assert "== Decision: RESOLVED ==" in out
    assert "  follow-up in 3 days: Ask whether the line stayed up.\n" in out
    code, out = run("run", "router", "--trees", trees, stdin="power\n2\n")
    assert code == 0
    assert "== Decision: ESCALATE ==\nAn agent continues.\n" in out


def test_wait_not_yet_until_the_fallback(trees: str) -> None:
    """Each "not yet" waits again, counting the tries, until the fallback; --no-wait is accepted."""
    code, out = run("run", "router", "--trees", trees, "--no-wait", stdin="power\n1\nnot_yet\nnot_yet\n2\n")
    assert code == 0
    assert "  (wait 30 s, wait 2 of 2) then: Is the DSL light steady green?\n" in out
    assert "== Decision: HOME VISIT ==" in out


def test_a_provider_answers_the_check_and_sends_the_action() -> None:
    """With a Systems registry the check answers itself and the remote action is sent and noted."""
    lib = library_from_texts({"router.yaml": ROUTER, "tv.yaml": TV}, scenarios=False)
    systems = Systems({"line_test": lambda facts: "ok", "reboot_router": lambda facts: "queued"})
    session = Session.start(lib, "router", mode="agent")
    out = io.StringIO()
    code = walk(session, out, io.StringIO("dsl\n1\nready\n1\nfixed\n"), systems=systems, wait=False)
    text = out.getvalue()
    assert code == 0
    assert "  remote check line_test: ok (" in text
    assert "  remote action reboot_router: queued (" in text
    assert "pick the result by hand" not in text
    assert [c.answer for c in session.breadcrumb()][3] == "Line OK"
    assert any("Remote action reboot_router: sent" in n for n in session.notes)


def test_self_service_without_a_provider_goes_on_without_the_check(trees: str) -> None:
    """A customer cannot pick a line test's result: with no provider the check is unavailable."""
    code, out = run("run", "router", "--trees", trees, "--mode", "self_service", stdin="power\n1\nready\n")
    assert code == 0
    assert "  ! remote line_test did not work: no remote system named 'line_test' is set up\n" in out
    assert "== Decision: ESCALATE ==" in out


def test_a_stored_walk_uses_the_database_provider(trees: str, tmp_path: Path) -> None:
    """With --persist the demo provider reads the simulated status from the database: a line fault."""
    from triage.desk.remote import set_remote_status

    url = f"sqlite:///{tmp_path / 'walk.db'}"
    store = Store(url)
    set_remote_status(store, "*", "line_test", "fault")
    store.dispose()
    code, out = run("run", "router", "--trees", trees, "--persist", "--db", url, stdin="power\n1\nready\n")
    assert code == 0
    assert "  remote check line_test: fault (" in out
    assert "== Decision: HOME VISIT ==" in out


def test_the_countdown_stops_at_a_typed_answer() -> None:
    """On a real terminal the wait counts down; an answer typed meanwhile ends it at once."""
    master, follower = pty.openpty()
    try:
        os.write(master, b"ready\n")
        with open(follower, encoding="utf-8", closefd=False) as inp:
            out = io.StringIO()
            began = time.monotonic()
            _countdown(30, out, inp)
            assert time.monotonic() - began < 2
            assert out.getvalue() == "\r  waiting:   30 s left (type an answer to stop waiting) \n"
            assert inp.readline() == "ready\n"  # the answer is still there for the prompt
    finally:
        os.close(master)
        os.close(follower)
