"""The decision policy: how a walk becomes one decision — resolved, escalate, or home visit.

Authored outcomes are the normal route. On top of them the policy applies global rules,
each with a reason a person can read:

* a safety sign (on a node or an answer) stops self-help at once;
* a step the current audience may not perform becomes an escalation or a visit;
* a step budget per mode;
* repeat contacts (the ``repeat_contacts`` fact) escalate at once;
* entitlements: a visit the customer's plan does not cover (``visit_covered`` false)
  becomes an escalation to the team that can offer a paid visit;
* outages: no technician during a declared outage of the service in the customer's area
  (``outage_in_area``): self-service tells the customer and offers a notification instead; an
  agent's visit stands, marked, and booking it needs an override with a reason.

The policy reads plain data (the node, the facts, the mode); it knows nothing about
sessions or storage, so it is easy to test and to replace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from triage.i18n import t
from triage.trees.model import (
    ActionNode,
    AnyNode,
    Audience,
    DiagnosisOutcome,
    EscalateOutcome,
    HandoverOutcome,
    InstructionNode,
    OutcomeKind,
    PartLine,
    Performer,
    Priority,
    RepairOutcome,
    ResolvedOutcome,
    ShipPartOutcome,
    Urgency,
    VisitOutcome,
    localize,
)

__all__ = ["Decision", "Policy", "PolicyConfig"]


class PolicyConfig(BaseModel):
    """Settings of the global rules. Every field has a sensible default."""

    model_config = ConfigDict(frozen=True)

    step_budget: dict[Audience, int] = Field(
        default_factory=lambda: {Audience.AGENT: 60, Audience.SELF_SERVICE: 30},
        description="Answered steps allowed per mode before the session escalates.",
    )
    repeat_contact_threshold: int = Field(
        default=2, ge=1, description="`repeat_contacts` at or above this escalates at the start."
    )
    tier1_queue: str = "tier1-support"
    tier2_queue: str = "tier2-support"
    safety_queue: str = "safety"
    uncovered_visit_queue: str = "field-service-sales"
    default_visit_skill: str = "field-technician"


class Decision(BaseModel):
    """The one explicit, explained end of a session."""

    model_config = ConfigDict(frozen=True)

    kind: OutcomeKind
    rule: str = Field(
        description="'authored' or the global rule that decided: safety, performer, budget, ..."
    )
    reasons: list[str]
    message: str = Field(default="", description="What to tell the person in the session, in their language.")
    tree_id: str | None = None
    node_id: str | None = None
    next_action: str = ""
    fault: str | None = None
    # escalate
    tier: int | None = None
    queue: str | None = None
    priority: Priority | None = None
    # visit
    skill: str | None = None
    urgency: Urgency | None = None
    parts: list[str] = Field(default_factory=list)
    duration_minutes: int | None = None
    outage: bool = Field(default=False, description="A declared outage covers the customer's area.")
    outage_eta: str | None = None
    # ship_part
    shipment: list[PartLine] = Field(default_factory=list)
    return_old: bool = False
    instructions: str = ""
    # repair (send-in)
    depot: str | None = None
    packing: str = ""
    rma: str | None = None
    # diagnosis
    finding: str = ""
    customer_next_step: str = ""
    # resolved, checked again later
    follow_up_days: int | None = None
    follow_up: str = ""
    # handover to another tree
    handover_tree: str | None = None
    carry: list[str] | None = None

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)

    def label(self, locale: str = "en") -> str:
        return t(f"decision.{self.kind.value}", locale)


class Policy:
    """The default policy. Subclass and override a rule to change it."""

    def __init__(self, config: PolicyConfig | None = None) -> None:
        self.config = config or PolicyConfig()

    # -- rules applied while walking -------------------------------------------------------------

    def at_start(self, facts: Mapping[str, Any], mode: Audience, locale: str) -> Decision | None:
        """Repeat contacts: escalate at once rather than repeat the same script."""
        count = _as_int(facts.get("repeat_contacts"))
        if count is not None and count >= self.config.repeat_contact_threshold:
            return self._escalate(
                "repeat-contact",
                [t("policy.repeat", "en", count=count)],
                locale,
                tier=2,
                queue=self.config.tier2_queue,
                priority=Priority.HIGH,
                next_action=t("next.repeat"),
            )
        return None

    def at_step(
        self, tree_id: str, node: AnyNode, facts: Mapping[str, Any], mode: Audience, locale: str, steps: int
    ) -> Decision | None:
        """Checks on arriving at an interactive step: safety sign, who may perform it, step budget."""
        if node.safety:
            return self.safety_stop(tree_id, node.id, node.safety, None, locale)
        budget = self.config.step_budget.get(mode)
        if budget is not None and steps >= budget:
            return self._escalate(
                "budget",
                [t("policy.budget", "en", mode=_mode_words(mode), budget=budget)],
                locale,
                tier=1 if mode is Audience.SELF_SERVICE else 2,
                queue=self.config.tier1_queue if mode is Audience.SELF_SERVICE else self.config.tier2_queue,
                priority=Priority.NORMAL,
                next_action=t("next.budget"),
                tree_id=tree_id,
                node_id=node.id,
            )
        if isinstance(node, ActionNode | InstructionNode) and not self.may_perform(node.performer, mode):
            who = "a technician" if node.performer == Performer.TECHNICIAN else "an agent"
            reason = t("policy.performer", "en", node=node.id, who=who, mode=_mode_words(mode))
            if node.performer == Performer.TECHNICIAN:
                skill = node.skill or self.config.default_visit_skill
                visit = Decision(
                    kind=OutcomeKind.VISIT,
                    rule="performer",
                    reasons=[reason],
                    message=t("message.visit", locale),
                    tree_id=tree_id,
                    node_id=node.id,
                    next_action=t("next.performer.technician", skill=skill),
                    skill=skill,
                    urgency=Urgency.NORMAL,
                    duration_minutes=max(30, int(node.minutes or 60)),
                )
                return self.during_outage(self.entitled(visit, facts, locale), facts, mode, locale)
            return self._escalate(
                "performer",
                [reason],
                locale,
                tier=1,
                queue=self.config.tier1_queue,
                priority=Priority.NORMAL,
                next_action=t("next.performer.agent", node=node.id),
                tree_id=tree_id,
                node_id=node.id,
                message_key="message.person",
            )
        return None

    def may_perform(self, performer: Performer, mode: Audience) -> bool:
        """Agents may do customer and agent steps; customers only their own; nobody here a technician's.

        The provider's systems run theirs for anyone (an agent can do it by hand when they fail).
        """
        if performer == Performer.TECHNICIAN:
            return False
        if performer == Performer.SYSTEM:
            return True
        if mode == Audience.SELF_SERVICE:
            return performer == Performer.CUSTOMER
        return True

    def safety_stop(
        self, tree_id: str, node_id: str, reason: str, authored: Decision | None, locale: str
    ) -> Decision:
        """A safety sign: self-help stops now. An authored outcome behind the sign is kept, made urgent."""
        why = t("policy.safety", "en", reason=reason)
        if authored is not None and authored.kind is not OutcomeKind.RESOLVED:
            update: dict[str, Any] = {"rule": "safety", "reasons": [why, *authored.reasons]}
            if authored.kind is OutcomeKind.ESCALATE:
                update["priority"] = Priority.URGENT
            else:
                update["urgency"] = Urgency.URGENT
            update["message"] = t("policy.safety.message", locale) + " " + authored.message
            return authored.model_copy(update=update)
        return self._escalate(
            "safety",
            [why],
            locale,
            tier=2,
            queue=self.config.safety_queue,
            priority=Priority.URGENT,
            next_action=t("next.safety"),
            tree_id=tree_id,
            node_id=node_id,
            message_key="policy.safety.message",
        )

    # -- outcomes ----------------------------------------------------------------------------------

    def outcome(
        self,
        tree_id: str,
        node: AnyNode,
        facts: Mapping[str, Any],
        locale: str,
        mode: Audience = Audience.AGENT,
    ) -> Decision:
        """The decision for an authored outcome node, with entitlements applied.

        The message is the node's text — its plain-words ``customer_text`` in a self-service session.
        """
        plain = (
            node.customer_text if mode == Audience.SELF_SERVICE and node.customer_text is not None else None
        )
        text = localize(plain if plain is not None else node.text, locale)
        reason = localize(getattr(node, "reason", None), "en") or localize(node.text, "en")
        next_action = localize(getattr(node, "next_action", None), "en")
        base: dict[str, Any] = {
            "rule": "authored",
            "reasons": [reason],
            "tree_id": tree_id,
            "node_id": node.id,
        }
        build = _BUILDERS.get(type(node))
        if build is None:
            raise TypeError(f"node {node.id!r} is not an outcome")
        decision = build(node, text, next_action, base, locale)
        if decision.kind is OutcomeKind.VISIT:
            return self.during_outage(self.entitled(decision, facts, locale), facts, mode, locale)
        if decision.kind is not OutcomeKind.RESOLVED and _as_bool(facts.get("outage_in_area")):
            # not fixed while an outage covers the area: the pages offer to tell the customer when it ends
            eta = _outage_eta(facts)
            return decision.model_copy(update={"outage": True, "outage_eta": eta})
        return decision

    def during_outage(
        self, visit: Decision, facts: Mapping[str, Any], mode: Audience, locale: str
    ) -> Decision:
        """No technician during an outage in the customer's area: the repair is the network's, not the home's.

        Self-service hears about the outage and is offered a notification; an agent's visit stands, marked,
        and booking it needs an override with a reason.
        """
        if visit.kind is not OutcomeKind.VISIT or not _as_bool(facts.get("outage_in_area")):
            return visit
        eta = _outage_eta(facts)
        reason = t("policy.outage", "en", eta=eta or "-")
        if mode is Audience.AGENT:
            return visit.model_copy(
                update={"outage": True, "outage_eta": eta, "reasons": [*visit.reasons, reason]}
            )
        return Decision(
            kind=OutcomeKind.DIAGNOSIS,
            rule="outage",
            reasons=[*visit.reasons, reason],
            message=t("message.outage", locale, eta=eta or t("outage.no_eta", locale)),
            tree_id=visit.tree_id,
            node_id=visit.node_id,
            next_action=t("next.outage"),
            outage=True,
            outage_eta=eta,
            finding=t("policy.outage", "en", eta=eta or "-"),
            customer_next_step=t("message.outage", locale, eta=eta or t("outage.no_eta", locale)),
        )

    def entitled(self, visit: Decision, facts: Mapping[str, Any], locale: str) -> Decision:
        """A visit the plan does not cover becomes an escalation to the team that can sell one."""
        covered = facts.get("visit_covered")
        if covered is None or _as_bool(covered):
            return visit
        return Decision(
            kind=OutcomeKind.ESCALATE,
            rule="entitlement",
            reasons=[*visit.reasons, t("policy.uncovered", "en", skill=visit.skill)],
            message=t("message.escalate", locale),
            tree_id=visit.tree_id,
            node_id=visit.node_id,
            next_action=t("next.uncovered"),
            tier=1,
            queue=self.config.uncovered_visit_queue,
            priority=Priority.NORMAL,
            skill=visit.skill,
            urgency=visit.urgency,
            parts=visit.parts,
            duration_minutes=visit.duration_minutes,
        )

    def person_requested(self, tree_id: str, node_id: str | None, mode: Audience, locale: str) -> Decision:
        """'This did not help, get me a person' (or an agent escalating by hand)."""
        if mode is Audience.SELF_SERVICE:
            return self._escalate(
                "customer-request",
                [t("policy.customer_request")],
                locale,
                tier=1,
                queue=self.config.tier1_queue,
                priority=Priority.NORMAL,
                next_action=t("next.customer_request"),
                tree_id=tree_id,
                node_id=node_id,
                message_key="message.person",
            )
        return self._escalate(
            "agent-request",
            [t("policy.agent_request")],
            locale,
            tier=2,
            queue=self.config.tier2_queue,
            priority=Priority.NORMAL,
            next_action=t("next.budget"),
            tree_id=tree_id,
            node_id=node_id,
        )

    def _escalate(
        self,
        rule: str,
        reasons: list[str],
        locale: str,
        *,
        tier: int,
        queue: str,
        priority: Priority,
        next_action: str,
        tree_id: str | None = None,
        node_id: str | None = None,
        message_key: str = "message.escalate",
    ) -> Decision:
        return Decision(
            kind=OutcomeKind.ESCALATE,
            rule=rule,
            reasons=reasons,
            message=t(message_key, locale),
            tree_id=tree_id,
            node_id=node_id,
            next_action=next_action,
            tier=tier,
            queue=queue,
            priority=priority,
        )


_Builder = Callable[[Any, str, str, dict[str, Any], str], Decision]


def _resolved(node: ResolvedOutcome, text: str, nxt: str, base: dict[str, Any], locale: str) -> Decision:
    return Decision(
        kind=OutcomeKind.RESOLVED,
        message=text or t("message.resolved", locale),
        next_action=nxt,
        fault=node.fault,
        follow_up_days=node.follow_up_days,
        follow_up=localize(node.follow_up, "en"),
        **base,
    )


def _escalated(node: EscalateOutcome, text: str, nxt: str, base: dict[str, Any], locale: str) -> Decision:
    return Decision(
        kind=OutcomeKind.ESCALATE,
        message=text or t("message.escalate", locale),
        next_action=nxt or f"Tier {node.tier} ({node.queue}) continues the diagnosis.",
        tier=node.tier,
        queue=node.queue,
        priority=node.priority,
        **base,
    )


def _visit(node: VisitOutcome, text: str, nxt: str, base: dict[str, Any], locale: str) -> Decision:
    return Decision(
        kind=OutcomeKind.VISIT,
        message=text or t("message.visit", locale),
        next_action=nxt or f"Book a technician with skill {node.skill!r}.",
        skill=node.skill,
        urgency=node.urgency,
        parts=list(node.parts),
        duration_minutes=node.duration_minutes,
        **base,
    )


def _ship(node: ShipPartOutcome, text: str, nxt: str, base: dict[str, Any], locale: str) -> Decision:
    names = ", ".join(f"{p.quantity} x {p.part}" for p in node.parts)
    return Decision(
        kind=OutcomeKind.SHIP_PART,
        message=text or t("message.ship_part", locale),
        next_action=nxt or f"Ship {names} to the customer's confirmed address.",
        shipment=list(node.parts),
        parts=[p.part for p in node.parts],
        return_old=node.return_old,
        instructions=localize(node.instructions, locale),
        fault=node.fault,
        **base,
    )


def _repair(node: RepairOutcome, text: str, nxt: str, base: dict[str, Any], locale: str) -> Decision:
    return Decision(
        kind=OutcomeKind.REPAIR,
        message=text or t("message.repair", locale),
        next_action=nxt or f"Receive the device at {node.depot} against the RMA reference.",
        depot=node.depot,
        packing=localize(node.packing, locale),
        fault=node.fault,
        **base,
    )


def _diagnosis(node: DiagnosisOutcome, text: str, nxt: str, base: dict[str, Any], locale: str) -> Decision:
    return Decision(
        kind=OutcomeKind.DIAGNOSIS,
        message=text or t("message.diagnosis", locale),
        next_action=nxt or localize(node.customer_next_step, "en"),
        finding=localize(node.finding, "en"),
        customer_next_step=localize(node.customer_next_step, locale),
        fault=node.fault,
        **base,
    )


def _handover(node: HandoverOutcome, text: str, nxt: str, base: dict[str, Any], locale: str) -> Decision:
    return Decision(
        kind=OutcomeKind.HANDOVER,
        message=text or t("message.handover", locale),
        next_action=nxt or f"Continue with the tree {node.tree!r}; the facts gathered go with it.",
        handover_tree=node.tree,
        carry=None if node.carry is None else list(node.carry),
        **base,
    )


_BUILDERS: dict[type, _Builder] = {
    ResolvedOutcome: _resolved,
    EscalateOutcome: _escalated,
    VisitOutcome: _visit,
    ShipPartOutcome: _ship,
    RepairOutcome: _repair,
    DiagnosisOutcome: _diagnosis,
    HandoverOutcome: _handover,
}


def _outage_eta(facts: Mapping[str, Any]) -> str | None:
    """When the outage in the customer's area should end, if the board says."""
    return str(facts.get("outage_eta") or "") or None


def _mode_words(mode: Audience) -> str:
    return "self-service" if mode == Audience.SELF_SERVICE else "agent-led"


def _as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "1", "y")
    return bool(value)
