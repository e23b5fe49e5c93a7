"""The support lead's review of the TV and phone trees (issue #12), fixed: a dark TV box gets a socket test
and then a shipped box, never a visit; "no signal" tests the TV side before any box swap; freezing never
stalls on a menu reading and gives safe wording for water; the home phone and mobile trees use the remote
checks and fixes tier 1 has before they escalate or post a SIM."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx
from libraries import shipped

from triage.trees.graph import build_graph
from triage.trees.model import ActionNode, CheckNode
from triage.walk.policy import Decision
from triage.walk.session import Session

LIB = shipped()


def _walk(tree_id: str, answers: Sequence[Any], mode: str = "agent") -> Session:
    """Walk a shipped tree with these answers; the session is returned where it stopped."""
    session = Session.start(LIB, tree_id, mode=mode, locale="en", facts={})
    for answer in answers:
        assert not session.finished, f"{tree_id} ended before the answer {answer!r}"
        session.submit(answer)
    return session


def _decision(tree_id: str, answers: Sequence[Any], mode: str = "agent") -> Decision:
    session = _walk(tree_id, answers, mode)
    assert session.decision is not None, f"{tree_id} did not end; stopped at {session.node.id!r}"
    return session.decision


def _without(tree_id: str, removed: list[str]) -> set[str]:
    """Nodes still reachable from the start once ``removed`` are taken out of the tree's graph."""
    tree = LIB[tree_id]
    g = build_graph(tree)
    g.remove_nodes_from(removed)
    return nx.descendants(g, tree.start) | {tree.start}


# -- restart-set-top-box --------------------------------------------------------------------------------


def test_a_dark_box_gets_a_socket_test_before_anything_else() -> None:
    """'No light' on the box leads to the socket test, not to a restart, a shipment or a visit."""
    session = _walk("tv-no-signal", ["tv", "not_fixed", "not_fixed", "shows", "off"], mode="self_service")
    assert (session.pos.tree_id, session.node.id) == ("restart-set-top-box", "socket_test")
    assert "dead_box" not in _without("restart-set-top-box", ["socket_test"])


def test_a_box_dark_on_a_working_socket_is_shipped_with_its_adapter() -> None:
    """A box that stays dark on a socket that works gets a new box and power adapter by post."""
    decision = _decision("tv-no-signal", ["tv", "not_fixed", "not_fixed", "shows", "off", "not_fixed", "no"])
    assert decision.kind.value == "ship_part"
    assert [p.part for p in decision.shipment] == ["set-top-box", "set-top-box-power-adapter"]


def test_a_hot_box_is_a_safety_stop_and_a_shipped_box() -> None:
    """A hot or wet box stops self-help at once and is replaced by post, not fixed at home."""
    decision = _decision(
        "tv-no-signal", ["tv", "not_fixed", "not_fixed", "shows", "hot"], mode="self_service"
    )
    assert (decision.kind.value, decision.rule) == ("ship_part", "safety")


# -- tv-no-signal ---------------------------------------------------------------------------------------


def test_no_signal_tests_the_tv_side_before_any_box_swap() -> None:
    """On the TV's own message, the input, the HDMI cable and the TV's own menu come before the box."""
    assert _walk("tv-no-signal", ["tv"]).node.id == "tv_input"
    assert _walk("tv-no-signal", ["tv", "not_fixed"]).node.id == "hdmi_reseat"
    assert _walk("tv-no-signal", ["tv", "not_fixed", "not_fixed"]).node.id == "tv_menu"
    g = build_graph(LIB["tv-no-signal"])
    g.remove_node("tv_menu")
    assert not nx.has_path(g, "tv_input", "restart_box")
    assert not nx.has_path(g, "tv_input", "replace_box")


def test_a_tv_without_its_own_menu_is_the_tv_not_our_box() -> None:
    """A TV that shows no menu of its own gets a diagnosis naming the TV, and no box is shipped."""
    decision = _decision("tv-no-signal", ["tv", "not_fixed", "not_fixed", "black"], mode="self_service")
    assert (decision.kind.value, decision.node_id) == ("diagnosis", "tv_fault")
    assert decision.shipment == []


def test_an_online_box_gets_a_remote_refresh_before_the_network_team() -> None:
    """All channels dark with the box online: the remote refresh is tried before network operations."""
    answers = ["box", "all", "not_fixed", "lit", "done", "ready", "ready", "not_fixed", "online"]
    node = _walk("tv-no-signal", answers).node
    assert isinstance(node, ActionNode)
    assert (node.id, node.system) == ("remote_refresh", "refresh_box")
    assert _decision("tv-no-signal", [*answers, "not_fixed"]).queue == "cable-network-operations"


# -- tv-picture-freezing --------------------------------------------------------------------------------

_BEFORE_SIGNAL = [
    "online",
    "many",
    "no",
    "fine",
    "not_fixed",
    "no",
    "lit",
    "done",
    "ready",
    "ready",
    "not_fixed",
]


def test_freezing_measures_the_signal_remotely_first() -> None:
    """After the in-home checks the signal is measured by the line test, not read from the box's menu."""
    node = _walk("tv-picture-freezing", _BEFORE_SIGNAL, mode="self_service").node
    assert isinstance(node, CheckNode)
    assert node.system == "line_test"


def test_freezing_goes_on_when_the_customer_cannot_find_the_reading() -> None:
    """With the line test down and no reading found, self-service ends in an escalation, not a stall."""
    decision = _decision("tv-picture-freezing", [*_BEFORE_SIGNAL, "unavailable", ""], mode="self_service")
    assert (decision.kind.value, decision.node_id, decision.rule) == (
        "escalate",
        "signal_unknown",
        "authored",
    )


def test_water_at_the_socket_gets_safe_wording_and_an_urgent_visit() -> None:
    """Water: never touch the socket, the fuse box only if reachable, an electrician; no "at the wall"."""
    decision = _decision("tv-picture-freezing", ["offline", "many", "yes", "wet"], mode="self_service")
    assert (decision.kind.value, decision.urgency.value if decision.urgency else None) == ("visit", "urgent")
    assert "fuse box" in decision.message
    assert "electrician" in decision.message
    assert "Do not touch the wall socket" in decision.message
    assert "off at the wall" not in decision.message


# -- landline-no-dial-tone ------------------------------------------------------------------------------


def test_phone_line_is_registered_again_remotely_at_tier_one() -> None:
    """A line the voice platform shows unregistered on an active account gets a remote port reset."""
    node = _walk("landline-no-dial-tone", ["works", "unregistered", "active"], mode="self_service").node
    assert isinstance(node, ActionNode)
    assert (node.system, node.id) == ("reset_voice_port", "voice_reset")
    decision = _decision(
        "landline-no-dial-tone", ["works", "unregistered", "active", "fixed"], mode="self_service"
    )
    assert (decision.kind.value, decision.node_id) == ("resolved", "fixed_voice_reset")


def test_phone_voice_team_only_after_the_port_reset_and_a_restart() -> None:
    """No walk reaches the voice team without the remote port reset and the router restart."""
    assert "voice_escalate" not in _without("landline-no-dial-tone", ["voice_reset"])
    assert "voice_escalate" not in _without("landline-no-dial-tone", ["restart_router"])


# -- mobile-data-sim ------------------------------------------------------------------------------------


def test_mobile_unregistered_sim_gets_a_network_refresh() -> None:
    """The remote check's "not registered" leads to the mobile network refresh, not to an escalation."""
    node = _walk(
        "mobile-data-sim", ["no_data", "no", "not_fixed", "not_registered"], mode="self_service"
    ).node
    assert isinstance(node, ActionNode)
    assert node.system == "refresh_mobile_network"


def test_a_lost_sim_becomes_an_esim_before_a_card_is_posted() -> None:
    """A phone that takes an eSIM gets one at once; the card is posted only when that does not work."""
    assert _walk("mobile-data-sim", ["lost", "", "yes"], mode="self_service").node.id == "esim_swap"
    decision = _decision("mobile-data-sim", ["lost", "", "yes", "fixed"], mode="self_service")
    assert (decision.kind.value, decision.node_id) == ("resolved", "fixed_esim_swap")
    assert "ship_sim" in _without("mobile-data-sim", ["esim_swap"])  # "no eSIM" still posts a card
