"""The support lead's review of the Wi-Fi and line trees (issue #12): a line fault gets a remote re-profile
before any technician, congested Wi-Fi is optimised remotely, coverage gets a mesh kit in the post (model
first) instead of a visit, and a new connection is checked and re-provisioned remotely before anyone comes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx
from libraries import shipped

from triage.trees.graph import build_graph
from triage.trees.model import ActionNode, ShipPartOutcome, VisitOutcome
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
    assert session.decision is not None, f"{tree_id} stopped at {session.node.id!r}"
    return session.decision


def _systems_before(tree_id: str, target: str) -> set[str]:
    """The remote actions on every path to ``target``: those whose removal makes it unreachable."""
    tree = LIB[tree_id]
    out = set()
    for node in tree.nodes:
        if isinstance(node, ActionNode) and node.system:
            g = build_graph(tree)
            g.remove_node(node.id)
            if not nx.has_path(g, tree.start, target):
                out.add(node.system)
    return out


def test_slow_wifi_line_visit_only_after_a_re_profile_and_a_second_line_test() -> None:
    """slow-wifi's only visit is a line visit that every path reaches through the re-profile and the retest."""
    tree = LIB["slow-wifi"]
    visits = [n.id for n in tree.nodes if isinstance(n, VisitOutcome)]
    assert visits == ["line_visit"]
    assert _systems_before("slow-wifi", "line_visit") == {"reset_line_profile"}
    g = build_graph(tree)
    g.remove_node("line_retest")
    assert not nx.has_path(g, tree.start, "line_visit")
    assert _decision("slow-wifi", ["fault", "fixed"]).node_id == "fixed_profile"


def test_slow_wifi_congested_channel_is_optimised_remotely_first() -> None:
    """A congested channel from the Wi-Fi check goes straight to the remote optimisation, not to a person."""
    session = _walk("slow-wifi", ["ok", "congested"], mode="self_service")
    node = session.node
    assert isinstance(node, ActionNode)
    assert node.system == "optimise_wifi"
    assert _decision("slow-wifi", ["ok", "congested", "fixed"], mode="self_service").kind.value == "resolved"


def test_slow_wifi_coverage_gets_a_mesh_kit_after_the_router_model_not_a_visit() -> None:
    """Slow far from the router after placement, band and optimisation: a mesh kit is posted, after the
    router's model is asked, and the walk never books a technician."""
    session = _walk(
        "slow-wifi",
        ["ok", "weak_signal", "far", "not_fixed", "unknown", "not_fixed", "not_fixed", 8, "not_fixed"],
    )
    assert session.node.id == "mesh_model"
    session.submit("FRITZ!Box 7590")
    decision = session.decision
    assert decision is not None
    assert decision.kind.value == "ship_part"
    assert [p.part for p in decision.shipment] == ["mesh-wifi-kit"]
    assert session.facts["router_model"] == "FRITZ!Box 7590"


def test_slow_wifi_slow_on_the_cable_goes_to_the_line_tree_not_a_visit() -> None:
    """Slower than the plan over a cable is the line tree's job (re-profile and wiring), never a visit here."""
    decision = _decision("slow-wifi", ["ok", "ok", "not_fixed", 50, 30])
    assert (decision.kind.value, decision.handover_tree) == ("handover", "line-drops-slow-speed")


def test_line_drops_re_profiles_once_before_the_second_line_test() -> None:
    """Whichever way the walk reaches the second line test, exactly one re-profile ran before it."""
    for answers in (
        ["drops", "fault", "not_fixed", "dsl", "main", "router_only"],
        [
            "drops",
            "ok",
            50,
            40,
            "light_drops",
            "done",
            "ready",
            "ready",
            "not_fixed",
            "dsl",
            "main",
            "router_only",
            "not_fixed",
        ],
    ):
        session = _walk("line-drops-slow-speed", answers, mode="self_service")
        assert session.node.id == "line_retest"
        tree = LIB["line-drops-slow-speed"]
        profiles = [
            s.pos.node_id
            for s in session.path
            if s.pos.tree_id == tree.id
            and getattr(tree.node(s.pos.node_id), "system", None) == "reset_line_profile"
        ]
        assert len(profiles) == 1, profiles


def test_line_drops_clean_line_gets_a_new_router_in_the_post() -> None:
    """A clean second line test with the original router: a router is posted, after asking its model."""
    decision = _decision(
        "line-drops-slow-speed",
        ["drops", "fault", "not_fixed", "dsl", "main", "router_only", "ok"]
        + ["done", "ready", "ready", "not_fixed", "no", ""],
    )
    assert decision.kind.value == "ship_part"
    assert [p.part for p in decision.shipment] == ["router"]


def test_new_install_activation_in_progress_is_told_not_visited() -> None:
    """After the date, "reconnecting" on the account means the activation runs: resolved with a follow-up."""
    decision = _decision("new-install-activation", ["new", "passed", "reconnecting"], mode="self_service")
    assert (decision.kind.value, decision.node_id) == ("resolved", "activation_running")


def test_new_install_visit_only_after_the_activation_is_re_sent() -> None:
    """The installation visit needs the re-sent provisioning on every path, and a second line test."""
    assert _systems_before("new-install-activation", "install_visit") == {"reprovision_service"}
    tree = LIB["new-install-activation"]
    g = build_graph(tree)
    g.remove_node("line_retest")
    assert not nx.has_path(g, tree.start, "install_visit")


def test_new_install_cant_tell_the_lights_goes_on_and_a_move_is_taken_by_the_agent() -> None:
    """ "I cannot tell" on the fibre box leads to the cabling step; a move with no order is taken in the call."""
    session = _walk("new-install-activation", ["new", "passed", "active", "fibre", "cant_tell"])
    assert session.node.id == "cabling"
    decision = _decision("new-install-activation", ["moving", "not_ordered", "done"])
    assert (decision.kind.value, decision.node_id) == ("resolved", "move_placed")


def test_device_wifi_self_service_password_reset_goes_to_a_person_on_a_reachable_router() -> None:
    """A self-service customer with no password and a router we can reach gets a person, never a reset."""
    decision = _decision(
        "device-cant-connect-wifi",
        [
            "others_fine",
            "phone",
            "not_fixed",
            "wrong_password",
            "found",
            "not_fixed",
            "still_wrong",
            "could_not",
            "online",
        ],
        mode="self_service",
    )
    assert decision.kind.value == "escalate"
    assert decision.rule == "performer"
    assert not any(isinstance(n, ShipPartOutcome) for n in LIB["device-cant-connect-wifi"].nodes)
