"""Decision policy: authored outcomes and the global rules, each with a readable reason."""

from __future__ import annotations

from pathlib import Path

from triage import Library, PolicyConfig, Session
from triage.trees.model import Audience, OutcomeKind, Performer, Priority, Urgency
from triage.walk.policy import Policy

MINI = Path(__file__).parents[1] / "data" / "mini"


def test_safety_answer_stops_self_help_and_keeps_the_authored_visit(mini_lib: Library) -> None:
    """A safety answer ends the session at once; the authored visit behind it becomes urgent."""
    s = Session.start(mini_lib, "mini", mode="self_service")
    d = s.answer("yes").decision
    assert d is not None
    assert (d.kind, d.rule, d.urgency, d.node_id) == (OutcomeKind.VISIT, "safety", Urgency.URGENT, "unsafe")
    assert d.reasons == ["Safety: burning smell. Self-help stops here.", "Burning smell."]
    assert d.message.startswith("For your safety, please stop now")


def test_safety_on_a_node_escalates_urgently(mini_lib: Library) -> None:
    """Arriving at a node flagged unsafe stops with an urgent escalation to the safety queue."""
    node = mini_lib["mini"].node("power").model_copy(update={"safety": "exposed wiring"})
    d = Policy().at_step("mini", node, {}, Audience.AGENT, "en", 2)
    assert d is not None
    assert (d.kind, d.rule, d.queue, d.priority) == (
        OutcomeKind.ESCALATE,
        "safety",
        "safety",
        Priority.URGENT,
    )
    assert d.reasons == ["Safety: exposed wiring. Self-help stops here."]


def test_agent_only_step_escalates_in_self_service(mini_lib: Library) -> None:
    """A step only an agent may perform becomes an escalation to tier 1 for a customer alone."""
    s = Session.start(mini_lib, "mini", mode="self_service")
    s.answer("no")
    s.answer(5)
    d = s.answer("not_fixed").decision
    assert d is not None
    assert (d.kind, d.rule, d.tier, d.queue, d.node_id) == (
        OutcomeKind.ESCALATE,
        "performer",
        1,
        "tier1-support",
        "reset",
    )
    assert d.reasons == ["Step 'reset' may only be done by an agent, and this session is self-service."]


def test_same_step_is_an_instruction_for_agents(mini_lib: Library) -> None:
    """The agent-only step is simply shown to an agent."""
    s = Session.start(mini_lib, "mini", mode="agent")
    s.answer("no")
    s.answer(5)
    v = s.answer("not_fixed")
    assert not v.finished
    assert v.node_id == "reset"
    assert v.performer == "agent"


def test_technician_step_becomes_a_visit(mini_lib: Library) -> None:
    """A technician-only action turns into a home visit with its skill."""
    node = (
        mini_lib["mini"]
        .node("power")
        .model_copy(update={"performer": Performer.TECHNICIAN, "skill": "electrician"})
    )
    d = Policy().at_step("mini", node, {}, Audience.AGENT, "en", 1)
    assert d is not None
    assert (d.kind, d.rule, d.skill) == (OutcomeKind.VISIT, "performer", "electrician")
    assert d.reasons == ["Step 'power' may only be done by a technician, and this session is agent-led."]


def test_step_budget_escalates(mini_lib: Library) -> None:
    """Reaching the step budget for the mode escalates with the budget in the reason."""
    policy = Policy(PolicyConfig(step_budget={Audience.AGENT: 2, Audience.SELF_SERVICE: 2}))
    s = Session.start(mini_lib, "mini", policy=policy)
    s.answer("no")
    d = s.answer(0).decision
    assert d is not None
    assert (d.kind, d.rule, d.tier) == (OutcomeKind.ESCALATE, "budget", 2)
    assert d.reasons == [
        "The session reached the step budget of 2 steps for agent-led sessions without a fix."
    ]


def test_repeat_contact_escalates_at_start(mini_lib: Library) -> None:
    """A customer on their second contact about the problem goes straight to tier 2."""
    s = Session.start(mini_lib, "mini", facts={"repeat_contacts": 2})
    d = s.decision
    assert d is not None
    assert (d.kind, d.rule, d.priority) == (
        OutcomeKind.ESCALATE,
        "repeat-contact",
        Priority.HIGH,
    )
    assert d.reasons == ["The customer has contacted us 2 times about this problem recently."]
    assert Session.start(mini_lib, "mini", facts={"repeat_contacts": 1}).decision is None


def test_uncovered_visit_becomes_escalation(mini_lib: Library) -> None:
    """A visit the plan does not cover goes to the team that can offer a paid one."""
    s = Session.start(mini_lib, "mini", facts={"visit_covered": False})
    s.answer("no")
    s.answer(0)
    d = s.answer("not_fixed").decision
    assert d is not None
    assert (d.kind, d.rule, d.queue, d.skill) == (
        OutcomeKind.ESCALATE,
        "entitlement",
        "field-service-sales",
        "broadband",
    )
    assert (
        d.reasons[-1] == "A home visit is needed (broadband), but the customer's plan does not cover visits."
    )


def test_covered_visit_is_kept(mini_lib: Library) -> None:
    """With visits covered, the authored visit stands with its parts and duration."""
    s = Session.start(mini_lib, "mini", facts={"visit_covered": True})
    s.answer("no")
    s.answer(0)
    d = s.answer("not_fixed").decision
    assert d is not None
    assert (d.kind, d.skill, d.parts, d.duration_minutes, d.rule) == (
        OutcomeKind.VISIT,
        "broadband",
        ["router"],
        45,
        "authored",
    )


def test_get_me_a_person(mini_lib: Library) -> None:
    """'This did not help, get me a person' escalates a self-service session to tier 1 at the current step."""
    s = Session.start(mini_lib, "mini", mode="self_service")
    s.answer("no")
    d = s.escalate_now()
    assert (d.kind, d.rule, d.tier, d.node_id) == (OutcomeKind.ESCALATE, "customer-request", 1, "lights")
    assert s.view().finished


def test_self_service_outcome_uses_customer_text(mini_lib: Library) -> None:
    """At an outcome a customer reads the plain-words text; an agent reads the script."""
    node = (
        mini_lib["mini"].node("fixed_power").model_copy(update={"customer_text": "Plugging it in fixed it."})
    )
    assert (
        Policy().outcome("mini", node, {}, "en", Audience.SELF_SERVICE).message == "Plugging it in fixed it."
    )
    assert Policy().outcome("mini", node, {}, "en", Audience.AGENT).message == "It had no power."
