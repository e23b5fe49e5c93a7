"""Five new trees of issue #12 (a suspended account, the TV remote, streaming apps, e-mail sending and phishing,
Bluetooth and the work VPN) send the right help: billing to the billing team and never a technician, a remote
shipped only when the box itself works, the TV platform team only on a remote "down", security urgently when a
password was given, and the employer's IT as a diagnosis. The library-wide rules are in test_shipped_trees.py;
these are the rules of these trees' own support practice."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import pytest
from libraries import shipped

from triage.trees.graph import build_graph
from triage.trees.model import (
    ActionNode,
    CheckNode,
    CollectNode,
    EscalateOutcome,
    InstructionNode,
    QuestionNode,
    ShipPartOutcome,
    Tree,
    VisitOutcome,
    WaitNode,
    localize,
)
from triage.trees.outcomes import DiagnosisOutcome, HandoverOutcome
from triage.walk.policy import Decision
from triage.walk.session import Session

LIB = shipped()
BILLING = "service-suspended-billing"
REMOTE = "tv-remote-not-working"
STREAMING = "streaming-smart-tv-apps"
MAIL = "email-cant-send-phishing"
BT_VPN = "bluetooth-phone-vpn"
NEW = [BILLING, REMOTE, STREAMING, MAIL, BT_VPN]


def _walk(tree_id: str, answers: Sequence[Any], *, mode: str = "agent", **facts: Any) -> Decision:
    """Walk a tree with these answers (checks answered by value, as in scenarios) and return its decision."""
    s = Session.start(LIB, tree_id, mode=mode, facts=facts)
    for answer in answers:
        assert not s.finished, f"walk ended before the answer {answer!r}"
        s.submit(answer)
    assert s.decision is not None, "walk did not end"
    return s.decision


def _unreachable_without(tree: Tree, target: str, removed: Iterable[str]) -> bool:
    """Whether ``target`` can no longer be reached from the start once ``removed`` nodes are taken out."""
    g = build_graph(tree)
    g.remove_nodes_from(list(removed))
    return target not in nx.descendants(g, tree.start)


def _en(text: Any) -> str:
    """The English of a tree text (a string or a map of locale to string)."""
    return localize(text, "en")


def _outcomes(tree: Tree, kind: type) -> list[Any]:
    return [n for n in tree.nodes if isinstance(n, kind)]


# -- all five ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tree_id", NEW)
def test_each_new_tree_is_loaded_large_enough_with_faults_and_words(tree_id: str) -> None:
    """Each tree loads, has at least 15 nodes, faults whose priors sum to 1, fix chances on every action,
    and symptoms in the customers' own words in English and German."""
    tree = LIB[tree_id]
    assert len(tree.nodes) >= 15
    assert math.isclose(sum(f.prior for f in tree.faults), 1.0)
    declared = {f.id for f in tree.faults}
    for node in tree.nodes:
        if isinstance(node, ActionNode):
            assert node.fixes, node.id
            assert set(node.fixes) <= declared, node.id
    assert len(tree.symptoms) >= 4
    for symptom in tree.symptoms:
        assert isinstance(symptom, dict)
        assert set(symptom) == {"en", "de"}


@pytest.mark.parametrize("tree_id", NEW)
def test_no_new_tree_sends_a_technician(tree_id: str) -> None:
    """None of these problems needs a technician at home: no visit outcome anywhere in the five trees."""
    assert _outcomes(LIB[tree_id], VisitOutcome) == []


@pytest.mark.parametrize("tree_id", [BILLING, REMOTE, STREAMING])
def test_service_trees_check_the_outage_before_anything_else(tree_id: str) -> None:
    """With an outage declared in the area the walk ends at once in a diagnosis that tells the customer."""
    decision = _walk(tree_id, [], region="north", outage_in_area=True)
    assert decision.kind.value == "diagnosis"
    assert decision.node_id == "known_outage"


# -- service suspended for an unpaid bill ---------------------------------------------------------------------


def test_every_billing_escalation_goes_to_the_billing_team_at_tier_one() -> None:
    """Every escalation of the billing tree is to the `billing` queue at tier 1, and says when the service
    comes back after a payment."""
    escalations = _outcomes(LIB[BILLING], EscalateOutcome)
    assert len(escalations) == 3
    for node in escalations:
        assert (node.queue, node.tier) == ("billing", 1), node.id
        assert "No technician" in _en(node.next_action), node.id
    suspended = LIB[BILLING].node("billing_suspended")
    assert "within 15 minutes" in _en(suspended.text)


def test_a_suspended_account_goes_to_billing_not_to_a_visit() -> None:
    """Suspended, and the customer cannot pay online: an escalation to billing, tier 1."""
    decision = _walk(BILLING, ["suspended", "pay_now", "could_not"], mode="self_service")
    assert decision.kind.value == "escalate"
    assert (decision.queue, decision.tier) == ("billing", 1)


def test_an_active_account_is_handed_to_no_internet() -> None:
    """Not suspended: the problem is technical, and the no-internet tree carries on."""
    decision = _walk(BILLING, ["active"])
    assert decision.kind.value == "handover"
    assert decision.handover_tree == "no-internet"


def test_without_the_account_check_the_walk_asks_about_a_reminder() -> None:
    """When the account-status check gives no result, the next step asks about a payment reminder."""
    tree = LIB[BILLING]
    check = tree.node("account_check")
    assert isinstance(check, CheckNode)
    assert check.system == "account_status"
    reminder = tree.node(check.on_unavailable)
    assert isinstance(reminder, QuestionNode)
    assert "payment reminder" in _en(reminder.text)


def test_an_online_payment_is_waited_for_before_billing_looks_for_it() -> None:
    """ "I already paid" online: the walk waits and refreshes before billing; only after the last "not yet"
    does billing look for the payment, with high priority."""
    tree = LIB[BILLING]
    method = tree.node("payment_method")
    assert isinstance(method, QuestionNode)
    assert [o.next for o in method.options if o.value == "online"] == ["reconnect_wait"]
    wait = tree.node("reconnect_wait")
    assert isinstance(wait, WaitNode)
    assert (wait.fallback, wait.seconds * wait.tries) == ("payment_reference", 900)
    waited = _walk(BILLING, ["suspended", "paid", "online", "not_yet", "not_yet", "not_yet", ""])
    assert waited.node_id == "billing_missing"
    assert waited.priority is not None
    assert waited.priority.value == "high"
    booked = _walk(BILLING, ["suspended", "paid", "online", "ready", "fixed"])
    assert (booked.kind.value, booked.node_id) == ("resolved", "reconnected")


def test_a_recent_transfer_without_proof_is_a_diagnosis_and_with_proof_goes_to_billing() -> None:
    """A transfer within 3 working days is not yet booked: without proof the customer is told it comes back by
    itself; with proof billing can switch the service back on early. An older one is a missing payment."""
    assert _walk(BILLING, ["suspended", "paid", "transfer", 3, "no"]).node_id == "transfer_pending"
    assert _walk(BILLING, ["suspended", "paid", "transfer", 3, "yes", "R-1"]).node_id == "billing_proof"
    assert _walk(BILLING, ["suspended", "paid", "transfer", 4, "R-1"]).node_id == "billing_missing"


# -- TV remote -------------------------------------------------------------------------------------------------


def test_a_remote_is_shipped_only_after_batteries_and_the_box_own_buttons() -> None:
    """Every path to the shipped remote passes the batteries; it is the remote the customer swaps; and every
    scenario that ships it first learnt the remote's kind (the model to send) and that the box answers its own
    buttons (or has none and was restarted)."""
    tree = LIB[REMOTE]
    ship = tree.node("ship_remote")
    assert isinstance(ship, ShipPartOutcome)
    assert [p.part for p in ship.parts] == ["remote-control"]
    assert isinstance(tree.node("batteries"), InstructionNode)
    assert _unreachable_without(tree, "ship_remote", ["batteries"])
    shipping = [sc for sc in tree.scenarios if sc.expect == "ship_remote"]
    assert len(shipping) >= 3
    for sc in shipping:
        s = Session.start(LIB, REMOTE, mode=sc.mode, facts=sc.facts)
        for answer in sc.answers:
            s.submit(answer)
        assert s.facts["box_buttons"] in ("yes", "no_buttons"), sc.name
        assert s.facts["remote_link"] in ("bluetooth", "infrared", "unknown"), sc.name  # which model to send


def test_an_offline_box_is_restarted_and_never_gets_a_remote() -> None:
    """The box reported offline: its restart, then the TV-box checks; the remote is not blamed."""
    decision = _walk(
        REMOTE, ["box_remote", "done", "not_fixed", "offline", "lit", "done", "ready", "ready", "not_fixed"]
    )
    assert decision.handover_tree == "tv-no-signal"


def test_a_bluetooth_remote_is_paired_again_before_a_new_one_is_sent() -> None:
    """A remote with a microphone button is paired (holding two keys) before any shipment."""
    tree = LIB[REMOTE]
    pair = tree.node("pair_remote")
    assert isinstance(pair, ActionNode)
    assert "OK key and the Back key" in _en(pair.text)
    fixed = _walk(REMOTE, ["box_remote", "done", "not_fixed", "online", "flashes", "bluetooth", "fixed"])
    assert fixed.node_id == "fixed_pairing"


def test_a_box_that_ignores_its_own_buttons_is_the_box_not_the_remote() -> None:
    """No response to the box's own buttons: restart the box (the shared procedure), then the TV-box checks;
    no remote is shipped."""
    decision = _walk(
        REMOTE,
        ["box_remote", "done", "not_fixed", "online", "no_light", "not_seen", "infrared", "no"]
        + ["lit", "done", "ready", "ready", "not_fixed"],
    )
    assert decision.kind.value == "handover"
    assert decision.handover_tree == "tv-no-signal"


def test_the_tv_makers_remote_is_not_ours_to_replace() -> None:
    """The TV's own remote that fails with new batteries ends in a diagnosis, never a shipment of our part."""
    decision = _walk(REMOTE, ["tv_remote", "done", "not_fixed"], mode="self_service")
    assert decision.kind.value == "diagnosis"
    assert decision.shipment == []


# -- streaming and smart-TV apps -------------------------------------------------------------------------------


def test_the_tv_platform_team_is_reached_only_by_a_remote_down() -> None:
    """The only escalation is to the TV platform team, and only through the platform check's result `down`."""
    tree = LIB[STREAMING]
    escalations = _outcomes(tree, EscalateOutcome)
    assert [(n.id, n.queue) for n in escalations] == [("platform_escalate", "video-platform")]
    check = tree.node("platform_check")
    assert isinstance(check, CheckNode)
    assert [r.next for r in check.results if r.value == "down"] == ["platform_escalate"]
    assert {r.next for r in check.results if r.value != "down"} | {check.on_unavailable} == {"route_signin"}
    g = build_graph(tree)
    g.remove_edge("platform_check", "platform_escalate")
    assert "platform_escalate" not in nx.descendants(g, tree.start)


def test_clearing_data_and_reinstalling_warn_and_ask_for_the_password_first() -> None:
    """Both sign the app out: each carries a caution, and every path to them passes the password question."""
    tree = LIB[STREAMING]
    for node_id in ("clear_data", "reinstall"):
        node = tree.node(node_id)
        assert node.caution is not None
        assert "sign" in _en(node.caution)
        assert _unreachable_without(tree, node_id, ["know_password"])


def test_a_broken_home_connection_is_handed_to_the_network_trees() -> None:
    """Other apps buffer too: slow-wifi; nothing at home connects: no-internet."""
    assert _walk(STREAMING, ["other", "buffering", "slow"]).handover_tree == "slow-wifi"
    assert _walk(STREAMING, ["other", "wont_start", "offline", "no"]).handover_tree == "no-internet"


def test_another_persons_account_is_the_owners_to_sort_out() -> None:
    """A sign-in with someone else's account ends in a diagnosis for its owner."""
    decision = _walk(STREAMING, ["other", "signin", "someone_else"])
    assert decision.kind.value == "diagnosis"
    assert "owner" in decision.customer_next_step


# -- e-mail: cannot send, phishing ---------------------------------------------------------------------------


def test_a_given_password_goes_urgently_to_security_after_changing_it() -> None:
    """Password typed on a phishing page (our mailbox): change it, check forwarding, end all sessions, and
    with misuse in the sign-in log the security team, urgent. Even when the customer cannot change it,
    security gets it."""
    tree = LIB[MAIL]
    change = tree.node("change_password")
    assert isinstance(change, InstructionNode)
    assert change.caution is not None
    for answers in (
        ["clicked", "ours", "mail_password", "done", "yes", "done", "done", "misuse"],
        ["clicked", "ours", "mail_password", "could_not"],
        ["clicked", "other", "account_password", "done"],
    ):
        decision = _walk(MAIL, answers)
        assert decision.kind.value == "escalate", answers
        assert (decision.queue, decision.priority) == ("account-security", "urgent"), answers


def test_another_providers_mailbox_gets_a_diagnosis() -> None:
    """We cannot see another provider's mailbox: sending problems and a phished password there end in a
    diagnosis naming that provider as the next step, never our mail or security team."""
    cant_send = _walk(MAIL, ["cant_send", "other"], mode="self_service")
    assert (cant_send.kind.value, cant_send.node_id) == ("diagnosis", "third_party_mail")
    phished = _walk(MAIL, ["clicked", "other", "mail_password", "done", "no"])
    assert (phished.kind.value, phished.node_id) == ("diagnosis", "third_party_security")
    assert "provider" in phished.customer_next_step


def test_the_bounce_text_is_read_and_can_be_skipped() -> None:
    """The returned message's text routes the walk (unknown recipient, recipient's mailbox full); a customer
    who cannot find it goes on to the webmail test."""
    tree = LIB[MAIL]
    bounce = tree.node("bounce_text")
    assert isinstance(bounce, CollectNode)
    assert not bounce.required
    full = _walk(MAIL, ["cant_send", "ours", "bounce", "452 4.2.2 / 552 5.2.2 mailbox full"])
    assert full.node_id == "recipient_full"
    s = Session.start(LIB, MAIL)
    for answer in ["cant_send", "ours", "bounce", ""]:
        s.submit(answer)
    assert not s.finished
    assert s.node.id == "webmail_send"


def test_a_sending_limit_the_customer_did_not_cause_is_treated_as_misuse() -> None:
    """Webmail cannot send, space is free, the customer sent little, strangers in 'Sent': security."""
    decision = _walk(
        MAIL, ["cant_send", "ours", "outbox", "no", 20, "no", "yes", "done", "no", "done", "misuse"]
    )
    assert decision.queue == "account-security"


# -- Bluetooth and the work VPN -------------------------------------------------------------------------------


def test_the_employers_it_is_a_diagnosis_not_our_escalation() -> None:
    """A VPN that fails on a phone hotspot too is the employer's: a diagnosis naming their IT help desk."""
    tree = LIB[BT_VPN]
    employer = tree.node("employer_it")
    assert isinstance(employer, DiagnosisOutcome)
    assert "IT help desk" in _en(employer.customer_next_step)
    decision = _walk(BT_VPN, ["vpn", "yes", "not_fixed", "fails"], mode="self_service")
    assert decision.kind.value == "diagnosis"
    assert decision.node_id == "employer_it"


def test_no_vpn_escalation_before_the_hotspot_test_or_the_vpn_message() -> None:
    """Our home-networking team sees a VPN case only after the other-network test (or, without a hotspot, the
    VPN's own message) and a router restart."""
    tree = LIB[BT_VPN]
    assert _unreachable_without(tree, "line_team", ["hotspot_test"])
    assert _unreachable_without(tree, "line_team", ["restart_router"])
    handovers = {n.id: n.tree for n in _outcomes(tree, HandoverOutcome)}
    assert handovers == {"no_internet": "no-internet", "slow_wifi": "slow-wifi"}


def test_the_network_reset_warns_about_saved_wifi() -> None:
    """Resetting the phone's network settings deletes saved Wi-Fi: a caution says so before the step."""
    node = LIB[BT_VPN].node("reset_network")
    assert node.caution is not None
    assert "Wi-Fi" in _en(node.caution)


def test_a_paired_list_that_cannot_be_found_goes_on_to_the_other_phone_test() -> None:
    """The paired-device count has a "cannot find it" exit: left empty, the walk asks about another phone."""
    s = Session.start(LIB, BT_VPN)
    for answer in ["bluetooth", "not_fixed", "yes", "not_fixed", "not_fixed", "not_fixed", "not_fixed", ""]:
        s.submit(answer)
    assert not s.finished
    assert s.node.id == "other_phone"
    assert s.facts["paired_count"] is None
