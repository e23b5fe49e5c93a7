"""The support lead's findings on no-internet (issue #12) stay fixed: the account and a remote line test come
before any restart or visit, a line visit needs two failed line tests, a green line never ends in a line
visit, heat or smell is asked before the customer touches the router, the cables are checked for the
customer's kind of connection, "wired works" gets the tier-1 Wi-Fi steps, and a dead router is posted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx
from libraries import shipped

from triage.trees.graph import build_graph
from triage.trees.model import VisitOutcome, localize
from triage.walk.policy import Decision
from triage.walk.session import Session

LIB = shipped()
TREE = LIB["no-internet"]
# every device, account active, no smell, lights on
LIGHTS_ON = ["all", "active", "no", "yes"]
# the line test finds a fault; the restart procedure (unplug, drain, plug in) and its fix attempt fail
LINE_DOWN = [*LIGHTS_ON, "fault", "done", "ready", "ready", "not_fixed"]
# the line is in sync; the remote restart and the customer's power-cycle do not help
LINE_UP = [*LIGHTS_ON, "ok", "online", "not_fixed", "done", "ready", "ready", "not_fixed"]


def _session(answers: Sequence[Any], *, mode: str = "agent") -> Session:
    """The shipped tree walked with these answers (checks answered by value, as in scenarios)."""
    s = Session.start(LIB, TREE.id, mode=mode)
    for answer in answers:
        assert not s.finished, f"walk ended before the answer {answer!r}"
        s.submit(answer)
    return s


def _decide(answers: Sequence[Any], *, mode: str = "agent") -> Decision:
    s = _session(answers, mode=mode)
    assert s.decision is not None, "walk did not end"
    return s.decision


def _steps(s: Session) -> list[str]:
    return [c.node_id for c in s.breadcrumb()]


def test_a_suspended_account_goes_to_billing_before_any_restart() -> None:
    """The account check is the first thing after "every device": suspended hands over to billing."""
    decision = _decide(["all", "suspended"], mode="self_service")
    assert (decision.kind.value, decision.handover_tree) == ("handover", "service-suspended-billing")


def test_a_line_visit_needs_two_failed_line_tests_and_a_line_reset() -> None:
    """Restart, the cables and a remote re-profile come between the first line test and the visit, and the
    visit's reason names what was tried, never "no line signal"."""
    s = _session([*LINE_DOWN, "dsl", "not_fixed", "not_fixed", "fault"])
    assert s.decision is not None
    assert (s.decision.kind.value, s.decision.skill) == ("visit", "broadband-line")
    steps = _steps(s)
    assert steps.index("line_test") < steps.index("check_cables_dsl") < steps.index("reset_profile")
    assert steps.index("reset_profile") < steps.index("line_retest")
    assert (s.facts["line_result"], s.facts["retest_result"]) == ("fault", "fault")
    reason = " ".join(s.decision.reasons)
    assert "line reset" in reason
    assert "No line signal" not in reason


def test_a_line_in_sync_never_ends_in_a_line_visit() -> None:
    """Once the line test says OK (or the internet light is steady), no visit can be reached: the router is
    posted instead."""
    g = build_graph(TREE)
    visits = {n.id for n in TREE.nodes if isinstance(n, VisitOutcome)}
    assert visits == {"line_fault"}
    assert visits & nx.descendants(g, "line_up") == set()
    decision = _decide([*LINE_UP, "wired_fails", "nothing", "not_fixed"])
    assert (decision.kind.value, decision.node_id) == ("ship_part", "router_swap")


def test_heat_and_smell_are_asked_before_the_customer_touches_the_router() -> None:
    """The smell question comes before the lights and the power socket; a burning smell posts a router."""
    s = _session(["all", "active"])
    assert s.node.id == "smell_check"
    decision = _decide(["all", "active", "yes"], mode="self_service")
    assert (decision.kind.value, decision.rule) == ("ship_part", "safety")
    assert "router" in [line.part for line in decision.shipment]


def test_no_lights_checks_the_socket_then_posts_a_router_and_adapter() -> None:
    """Dark lights with a working socket: a new router and power adapter by post, no technician."""
    s = _session(["all", "active", "no", "no"])
    assert (s.node.id, s.node.kind) == ("power_socket", "instruction")
    decision = _decide(["all", "active", "no", "no", "done", "no"], mode="self_service")
    assert decision.kind.value == "ship_part"
    assert {line.part for line in decision.shipment} == {"router", "router-power-adapter"}


def test_the_cables_are_checked_for_the_customers_kind_of_connection() -> None:
    """DSL, cable modem and fibre box each get their own cable step; the fibre one warns about the light."""
    s = _session(LINE_DOWN)
    assert s.node.id == "connection_type"
    targets = {o.value: o.next for o in s.node.options}  # type: ignore[union-attr]
    assert targets == {
        "dsl": "check_cables_dsl",
        "cable": "check_cables_coax",
        "fibre": "check_cables_fibre",
        "unknown": "check_cables",
    }
    fibre = _session([*LINE_DOWN, "fibre"]).view()
    assert fibre.caution is not None
    assert "fibre cable" in fibre.caution
    assert "DSL" not in localize(TREE.node("check_cables_coax").text, "en")


def test_wired_works_gets_the_tier1_wifi_steps_before_tier2() -> None:
    """A remote Wi-Fi check, the Wi-Fi button, a remote optimisation and a rejoin come before home-networking."""
    s = _session([*LINE_UP, "wired_ok", "off", "not_fixed", "not_fixed", "not_fixed"])
    assert s.decision is not None
    assert (s.decision.kind.value, s.decision.queue) == ("escalate", "home-networking")
    assert _steps(s)[-4:] == ["wifi_check", "wifi_button", "wifi_optimise", "wifi_rejoin"]
    assert _decide([*LINE_UP, "wired_ok", "off", "fixed"]).node_id == "fixed_wifi_on"


def test_a_customer_who_cannot_find_the_internet_light_still_gets_help() -> None:
    """Without a line test, "I can't find it" at the light leads on to the restart, not to a dead end."""
    s = _session([*LIGHTS_ON, "unavailable", "not_found"])
    assert s.node.id == "unplug"


def test_every_fault_is_fixed_or_decided_somewhere() -> None:
    """Each fault of the priors is named by an action's fixes or an outcome, so the walk can end on it."""
    named = {f for n in TREE.nodes for f in getattr(n, "fixes", {})} | {
        getattr(n, "fault", None) for n in TREE.nodes
    }
    named |= {f for n in LIB["power-cycle-router"].nodes for f in getattr(n, "fixes", {})}
    handed_over = {"unpaid_bill"}  # the billing tree's fault
    missing = {f.id for f in TREE.faults} - named - handed_over
    assert missing == {"wifi_router_fault", "line_fault"}  # tier 2 and a technician: no fix at tier 1
    assert abs(sum(f.prior for f in TREE.faults) - 1) < 1e-9
