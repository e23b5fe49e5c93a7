"""The five connectivity trees of issue #12 (one device and the Wi-Fi password, drops and speed, new
installations and moves, the home phone, mobile data and SIMs) send each problem to the right help:
the outage first for every service (phone and mobile too), a person or a part instead of a technician
wherever one will do, a technician only behind the provider's checks, and the safe step before the
risky one (a connected device before a router reset, an eSIM download instead of a posted SIM)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import networkx as nx
import pytest
from libraries import shipped

from triage.trees.graph import build_graph
from triage.trees.model import (
    ActionNode,
    CheckNode,
    CollectNode,
    LogicNode,
    OutcomeTypes,
    ResolvedOutcome,
    ShipPartOutcome,
    Tree,
    VisitOutcome,
)
from triage.trees.outcomes import DiagnosisOutcome
from triage.trees.treeview import KNOWN_SYSTEMS
from triage.walk.policy import Decision
from triage.walk.session import Session

LIB = shipped()
NEW = {
    "device-cant-connect-wifi": "internet",
    "line-drops-slow-speed": "internet",
    "new-install-activation": "internet",
    "landline-no-dial-tone": "phone",
    "mobile-data-sim": "mobile",
}
"""The new trees and the service whose outage each checks first."""
TREES = [LIB[tree_id] for tree_id in NEW]


def _walk(tree_id: str, answers: Sequence[Any], mode: str = "agent", **facts: Any) -> Session:
    """Walk a tree with the given answers, as a scenario would; the session is returned where it stopped."""
    session = Session.start(LIB, tree_id, mode=mode, locale="en", facts=facts)
    for answer in answers:
        assert not session.finished, f"{tree_id} ended before the answer {answer!r}"
        session.submit(answer)
    return session


def _decision(tree_id: str, answers: Sequence[Any], mode: str = "agent", **facts: Any) -> Decision:
    session = _walk(tree_id, answers, mode, **facts)
    assert session.decision is not None, f"{tree_id} did not end; stopped at {session.node.id!r}"
    return session.decision


def _visited(session: Session, tree_id: str) -> list[str]:
    """The nodes of ``tree_id`` (not of the procedures it calls) the walk went through, in order."""
    return [step.pos.node_id for step in session.path if step.pos.tree_id == tree_id]


def _unreachable_without(tree: Tree, removed: Sequence[str], targets: Sequence[str]) -> list[str]:
    """The targets that can still be reached from the start once the ``removed`` nodes are taken out."""
    g = build_graph(tree)
    g.remove_nodes_from(removed)
    reach = nx.descendants(g, tree.start) | {tree.start}
    return [t for t in targets if t in reach]


# -- every new tree ------------------------------------------------------------------------------------


@pytest.mark.parametrize("tree", TREES, ids=lambda t: t.id)
def test_each_new_tree_names_its_service_and_checks_its_outage_first(tree: Tree) -> None:
    """Phone and mobile trees too start with the outage board and tell the customer (a diagnosis)."""
    assert tree.service == NEW[tree.id]
    start = tree.node(tree.start)
    assert isinstance(start, LogicNode)
    assert start.rules[0].when.replace(" ", "") == "outage_in_area==true"
    assert isinstance(tree.node(start.rules[0].next), DiagnosisOutcome)
    decision = _decision(tree.id, [], mode="self_service", region="north", outage_in_area=True)
    assert decision.kind.value == "diagnosis"
    assert decision.node_id == "known_outage"


@pytest.mark.parametrize("tree", TREES, ids=lambda t: t.id)
def test_each_new_tree_has_the_size_faults_and_words_of_a_real_tree(tree: Tree) -> None:
    """At least 15 nodes; priors summing to 1; every fix chance and every fixed fault declared; customers'
    words in English and German."""
    assert len(tree.nodes) >= 15
    declared = {f.id for f in tree.faults}
    assert math.isclose(sum(f.prior for f in tree.faults), 1.0)
    actions = [n for n in tree.nodes if isinstance(n, ActionNode)]
    assert actions
    assert all(n.fixes and set(n.fixes) <= declared for n in actions), tree.id
    named = {n.fault for n in tree.nodes if isinstance(n, ResolvedOutcome | ShipPartOutcome) and n.fault}
    assert named <= declared
    assert len(tree.symptoms) >= 4
    assert all(isinstance(s, dict) and set(s) == {"en", "de"} for s in tree.symptoms)


@pytest.mark.parametrize("tree", TREES, ids=lambda t: t.id)
def test_each_new_tree_uses_only_checks_the_provider_has(tree: Tree) -> None:
    """A remote check names a system the provider answers, so the walk never meets an unknown one."""
    checks = {n.system for n in tree.nodes if isinstance(n, CheckNode)}
    assert checks <= KNOWN_SYSTEMS


@pytest.mark.parametrize("tree", TREES, ids=lambda t: t.id)
def test_each_new_tree_leans_to_tier_one(tree: Tree) -> None:
    """More resolved outcomes than escalations and visits together, and at most one visit."""
    kinds = [n.outcome for n in tree.nodes if isinstance(n, OutcomeTypes)]
    assert kinds.count("resolved") > kinds.count("escalate") + kinds.count("visit")
    assert kinds.count("visit") <= 1


@pytest.mark.parametrize("tree", TREES, ids=lambda t: t.id)
def test_a_part_is_chosen_only_after_the_model_is_asked(tree: Tree) -> None:
    """Every posted part (except microfilters, which fit every phone socket) comes after a collect step:
    without the collect steps, no shipment can be reached."""
    ships = [n.id for n in tree.nodes if isinstance(n, ShipPartOutcome) and n.id != "ship_filters"]
    collects = [n.id for n in tree.nodes if isinstance(n, CollectNode) and n.fact.endswith("_model")]
    assert _unreachable_without(tree, collects, ships) == []


# -- one device cannot join the Wi-Fi ---------------------------------------------------------------


def test_wifi_never_asks_for_the_password_itself() -> None:
    """No step makes the customer type or read out the Wi-Fi password to us."""
    tree = LIB["device-cant-connect-wifi"]
    facts = [n.fact for n in tree.nodes if isinstance(n, CollectNode)]
    assert not any("password" in f or "key" in f for f in facts)


def test_wifi_speed_goes_to_slow_wifi_and_no_internet_to_no_internet() -> None:
    """A device that connects but is slow is the slow-wifi tree; nothing working is the no-internet tree."""
    slow = _decision("device-cant-connect-wifi", ["slow"], mode="self_service")
    assert (slow.kind.value, slow.handover_tree) == ("handover", "slow-wifi")
    down = _decision("device-cant-connect-wifi", ["none_work"], mode="self_service")
    assert (down.kind.value, down.handover_tree) == ("handover", "no-internet")


def test_wifi_without_label_or_connected_device_gets_a_person_not_a_reset() -> None:
    """A customer who cannot read the label is never told to reset the router to it: a person sets a new
    password instead."""
    session = _walk(
        "device-cant-connect-wifi",
        ["others_fine", "phone", "not_fixed", "unknown", "cant_find", "could_not", "offline"],
        mode="self_service",
    )
    assert "factory_reset" not in _visited(session, "device-cant-connect-wifi")
    assert session.decision is not None
    assert (session.decision.kind.value, session.decision.queue) == ("escalate", "tier1-support")


def test_wifi_reset_comes_after_the_connected_device_and_carries_a_caution() -> None:
    """With a readable label whose password was changed, the router reset is offered only after reading
    the password from a connected device failed, and it warns what the reset deletes."""
    tree = LIB["device-cant-connect-wifi"]
    assert _unreachable_without(tree, ["find_on_device"], ["factory_reset"]) == []
    session = _walk(
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
            "offline",
        ],
        mode="self_service",
    )
    assert session.node.id == "factory_reset"
    caution = session.view().caution
    assert caution is not None
    assert "label" in caution
    assert "delete" in caution


def test_wifi_agent_sets_a_new_password_on_a_reachable_router() -> None:
    """An agent with the router online sets a new password rather than having the customer reset it."""
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
        ]
        + ["online", "fixed"],
    )
    assert decision.node_id == "fixed_new_password"


# -- drops and speed -----------------------------------------------------------------------------------


def test_line_visit_needs_two_line_tests_and_the_wiring_checks() -> None:
    """The line technician is reachable only through the second line test and through the wiring question:
    taking out either makes the visit unreachable."""
    tree = LIB["line-drops-slow-speed"]
    visits = [n.id for n in tree.nodes if isinstance(n, VisitOutcome)]
    assert visits == ["line_visit"]
    assert _unreachable_without(tree, ["line_retest"], visits) == []
    assert _unreachable_without(tree, ["connection_type"], visits) == []
    session = _walk(
        "line-drops-slow-speed", ["drops", "fault", "not_fixed", "dsl", "main", "router_only", "fault"]
    )
    assert [n for n in _visited(session, "line-drops-slow-speed") if n in ("line_check", "line_retest")] == [
        "line_check",
        "line_retest",
    ]
    assert session.decision is not None
    assert session.decision.kind.value == "visit"


def test_line_clean_on_the_second_test_goes_to_the_line_team_not_a_visit() -> None:
    """A line that tests clean after the home checks but still drops is the broadband-line team's."""
    decision = _decision(
        "line-drops-slow-speed",
        ["drops", "fault", "not_fixed", "cable_or_fibre", "not_fixed", "ok"]
        + ["done", "ready", "ready", "not_fixed", "replaced"],
    )
    assert (decision.kind.value, decision.queue, decision.tier) == ("escalate", "broadband-line", 2)


def test_line_fast_over_the_cable_is_the_wifi() -> None:
    """A cable test at the plan's minimum or above, slow only on Wi-Fi, goes to the slow-wifi tree."""
    decision = _decision(
        "line-drops-slow-speed", ["slow", "ok", 50, 95, "wifi", "not_fixed"], mode="self_service"
    )
    assert (decision.kind.value, decision.handover_tree) == ("handover", "slow-wifi")


def test_line_agent_sync_below_the_plan_skips_to_the_wiring() -> None:
    """An agent who reads a sync speed below the plan's minimum goes to the wiring, not to Wi-Fi checks."""
    session = _walk("line-drops-slow-speed", ["slow", "ok", 50, 30, "none", 90])
    assert session.node.id == "connection_type"


def test_line_missing_filter_is_posted_not_visited() -> None:
    """Better with the socket devices unplugged = microfilters in the post."""
    decision = _decision(
        "line-drops-slow-speed", ["drops", "ok", 50, "", "many", "dsl", "main", "unfiltered", "fixed"]
    )
    assert decision.kind.value == "ship_part"
    assert [p.part for p in decision.shipment] == ["dsl-microfilter"]


# -- new installation, activation, moving house ---------------------------------------------------------


def test_moving_house_goes_to_the_orders_team_never_a_visit() -> None:
    """A move with no order yet is an order for the orders team. A move reaches the installation visit
    only through the activation date of a confirmed move order, like any new line."""
    decision = _decision(
        "new-install-activation", ["moving", "not_ordered", "could_not"], mode="self_service"
    )
    assert (decision.kind.value, decision.queue) == ("escalate", "orders")
    g = build_graph(LIB["new-install-activation"])
    assert nx.has_path(g, "move_ordered", "install_visit")
    g.remove_node("activation_date")
    assert not nx.has_path(g, "move_ordered", "install_visit")


def test_before_the_activation_date_the_customer_is_told_and_nothing_is_tested() -> None:
    """Before the date: a diagnosis that says when service starts, with no check or step on the way."""
    session = _walk("new-install-activation", ["new", "later"], mode="self_service")
    assert _visited(session, "new-install-activation") == [
        "outage_check",
        "situation",
        "activation_date",
        "not_yet_active",
    ]
    assert session.decision is not None
    assert "activation date" in session.decision.customer_next_step


def test_installation_visit_only_behind_the_line_test() -> None:
    """The installation visit is reachable only through the line test."""
    tree = LIB["new-install-activation"]
    assert _unreachable_without(tree, ["line_check"], ["install_visit"]) == []
    decision = _decision(
        "new-install-activation",
        [
            "new",
            "passed",
            "active",
            "fibre",
            "power,alarm_red",
            "not_fixed",
            "no_sync",
            "not_fixed",
            "no_sync",
        ],
    )
    assert decision.kind.value == "visit"


def test_cannot_tell_the_lights_goes_on_to_the_cabling() -> None:
    """Ticking no light ("I can't tell") on the fibre box and the router leads on, never stalls."""
    session = _walk("new-install-activation", ["lights", "unavailable", "fibre", ""])
    assert session.node.id == "cabling"
    session = _walk("new-install-activation", ["new", "passed", "active", "dsl_or_cable", ""])
    assert session.node.id == "cabling"


def test_router_online_after_install_is_the_wifi_tree() -> None:
    """A router our network sees, with the device still offline, continues in device-cant-connect-wifi."""
    decision = _decision(
        "new-install-activation",
        ["new", "passed", "active", "dsl_or_cable", "power,internet_steady", "online"],
    )
    assert (decision.kind.value, decision.handover_tree) == ("handover", "device-cant-connect-wifi")


# -- home phone with no dial tone ---------------------------------------------------------------------


def test_phone_warns_about_emergency_calls_on_the_first_step() -> None:
    """The first step a customer sees says to dial 112 on a mobile phone, in English and in German."""
    for locale in ("en", "de"):
        session = Session.start(LIB, "landline-no-dial-tone", mode="self_service", locale=locale, facts={})
        caution = session.view().caution
        assert caution is not None
        assert "112" in caution


def test_phone_without_internet_is_the_no_internet_tree_and_has_no_visit() -> None:
    """The VoIP line rides on the internet: no internet hands over; no outcome sends a technician."""
    decision = _decision("landline-no-dial-tone", ["down"], mode="self_service")
    assert (decision.kind.value, decision.handover_tree) == ("handover", "no-internet")
    tree = LIB["landline-no-dial-tone"]
    assert not any(isinstance(n, VisitOutcome) for n in tree.nodes)


def test_phone_in_the_wall_socket_is_moved_to_the_router_first() -> None:
    """A phone in the wall socket is moved to the router's phone port before anything else is tried."""
    session = _walk("landline-no-dial-tone", ["works", "registered", "corded", "wall"], mode="self_service")
    assert session.node.id == "move_to_router"


def test_phone_is_posted_when_another_phone_has_a_dial_tone() -> None:
    """Another phone with a dial tone proves the line: a new phone is posted, not the voice team."""
    decision = _decision(
        "landline-no-dial-tone",
        ["works", "registered", "corded", "router", "not_fixed", "other_works", "KX-TGC220"],
    )
    assert decision.kind.value == "ship_part"
    assert [p.part for p in decision.shipment] == ["cordless-phone-set"]


def test_phone_dead_base_gets_a_power_adapter() -> None:
    """A base station dark on a working socket gets a new power adapter, not a new phone."""
    decision = _decision(
        "landline-no-dial-tone",
        ["works", "registered", "cordless", "router", "not_fixed", "off", "not_fixed", ""],
    )
    assert [p.part for p in decision.shipment] == ["phone-base-power-adapter"]


def test_phone_barred_number_goes_to_billing() -> None:
    """A line that is not registered on a suspended account goes to the billing tree, not to the voice team."""
    decision = _decision("landline-no-dial-tone", ["works", "unregistered", "suspended"])
    assert (decision.kind.value, decision.handover_tree) == ("handover", "service-suspended-billing")


def test_phone_voice_team_only_after_a_router_restart() -> None:
    """The voice team gets the call only after the router restart that registers the line again."""
    tree = LIB["landline-no-dial-tone"]
    assert _unreachable_without(tree, ["restart_router"], ["voice_escalate"]) == []


# -- mobile data and SIM ------------------------------------------------------------------------------


def test_mobile_esim_is_downloaded_again_never_posted() -> None:
    """From the eSIM question no walk reaches a posted SIM; the download is offered first."""
    tree = LIB["mobile-data-sim"]
    g = build_graph(tree)
    assert not nx.has_path(g, "esim_state", "ship_sim")
    session = _walk(
        "mobile-data-sim", ["no_sim", "not_fixed", "not_fixed", "esim", "missing"], mode="self_service"
    )
    assert session.node.id == "esim_redownload"


def test_mobile_sim_is_posted_only_when_damaged_lost_or_dead_in_two_phones() -> None:
    """A posted SIM needs one of: the customer says it is lost, it is visibly damaged, or a second phone
    does not find it either."""
    tree = LIB["mobile-data-sim"]
    g = build_graph(tree)
    g.remove_edges_from(
        [("symptom", "phone_model"), ("sim_condition", "phone_model"), ("other_phone_sim", "sim_check")]
    )
    assert not nx.has_path(g, tree.start, "ship_sim")
    damaged = _decision(
        "mobile-data-sim", ["no_sim", "not_fixed", "not_fixed", "physical", "not_fixed", "damaged", "", "no"]
    )
    assert damaged.node_id == "ship_sim"


def test_mobile_sim_reseat_says_switch_off_first() -> None:
    """Taking the SIM out comes with a caution to switch the phone off first."""
    session = _walk("mobile-data-sim", ["no_sim", "not_fixed", "not_fixed", "physical"], mode="self_service")
    assert session.node.id == "sim_reseat"
    caution = session.view().caution
    assert caution is not None
    assert "off" in caution


def test_mobile_network_team_only_on_a_network_fault_the_agent_sees() -> None:
    """The mobile network team gets the contact only when the agent's lookup shows a cell fault; a
    self-service walk to the end goes to mobile support instead."""
    agent = _decision(
        "mobile-data-sim",
        [
            "no_data",
            "no",
            "not_fixed",
            "unavailable",
            "normal",
            "not_fixed",
            "not_fixed",
            "not_fixed",
            "cell_fault",
        ],
    )
    assert (agent.kind.value, agent.queue) == ("escalate", "mobile-network")
    customer = _decision(
        "mobile-data-sim",
        [
            "no_data",
            "no",
            "not_fixed",
            "unavailable",
            "left",
            "not_fixed",
            "not_fixed",
            "not_fixed",
            "not_fixed",
        ],
        mode="self_service",
    )
    assert customer.queue == "mobile-support"
    assert set(build_graph(LIB["mobile-data-sim"]).predecessors("network_escalate")) == {"network_lookup"}


def test_mobile_blocked_line_goes_to_billing() -> None:
    """A block for an unpaid bill or a spending cap, seen by the remote check, the agent or in the app, goes
    to the billing tree."""
    for mode, answers in (
        ("agent", ["no_data", "no", "not_fixed", "barred"]),
        ("agent", ["no_data", "no", "not_fixed", "unavailable", "barred"]),
        ("self_service", ["no_data", "no", "not_fixed", "unavailable", "barred"]),
    ):
        decision = _decision("mobile-data-sim", answers, mode=mode)
        assert (decision.kind.value, decision.handover_tree) == ("handover", "service-suspended-billing")


def test_mobile_allowance_used_up_is_answered_at_tier_one() -> None:
    """Used-up data is an add-on or a wait until the new month, never an escalation."""
    topped = _decision("mobile-data-sim", ["slow", "data_cap_reached", "fixed"])
    assert (topped.kind.value, topped.node_id) == ("resolved", "fixed_addon")
    waits = _decision("mobile-data-sim", ["slow", "unavailable", "used_up", "could_not"], mode="self_service")
    assert (waits.kind.value, waits.node_id) == ("diagnosis", "allowance_wait")
