"""The hand-off: everything the next person needs, so nobody has to ask again.

Built from a finished (or abandoned) session: the symptom, the customer's own words, the facts gathered,
every step tried and what it showed, what this walk found (fixes that failed, remote check results, the facts
collected), the notes, the decision with its reasons and the recommended next action. Instructions are
recorded as done, never as fixes. Rendered as Markdown for people and JSON for systems.

In the Markdown, what a customer or an agent typed (fact values, typed answers, notes, ids) is escaped
(:func:`~triage.trees.markdown.escape`): it reads as typed and can never become a link, an image or a heading
on a staff screen. Tree texts stay Markdown, without remote images (:func:`~triage.trees.markdown.safe_markdown`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from triage.trees.markdown import code, escape, safe_markdown
from triage.trees.model import (
    ActionNode,
    ActionResult,
    AnyNode,
    Audience,
    CheckNode,
    CollectNode,
    InstructionNode,
    WaitNode,
    localize,
)
from triage.walk.policy import Decision
from triage.walk.session import Session
from triage.walk.views import fact_label

__all__ = ["Handoff", "HandoffStep", "build_handoff"]


class HandoffStep(BaseModel):
    tree_id: str
    node_id: str
    kind: str
    text: str
    answer: str
    minutes: float | None = None
    performer: str | None = None
    at: datetime | None = None


class Handoff(BaseModel):
    """What tier 2, a dispatcher or a technician reads before picking up a case."""

    session_id: str
    reference: str | None = Field(
        default=None, description="The session's reference people read out (K7P-4QX); the id stays internal."
    )
    tree_id: str
    tree_title: str
    symptom: str
    mode: Audience
    locale: str
    started_at: datetime
    decided_at: datetime | None
    customer_words: str = Field(default="", description="The problem in the customer's own words.")
    facts: dict[str, Any]
    fact_words: dict[str, str] = Field(
        default_factory=dict,
        description="Facts whose value reads differently in words: a choice's label instead of its value.",
    )
    steps: list[HandoffStep]
    findings: list[str] = Field(
        default_factory=list,
        description="What this walk found: failed fixes, check results, facts collected.",
    )
    notes: list[str] = Field(default_factory=list)
    decision: Decision | None
    reason: str
    next_action: str

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        d = self.decision
        lines = [f"# Hand-off: {safe_markdown(self.tree_title)}", ""]
        if self.reference:
            lines.append(
                f"- **Reference:** {code(self.reference)} ({_mode(self.mode)}, {escape(self.locale)})"
            )
        else:
            lines.append(
                f"- **Session:** {code(self.session_id)} ({_mode(self.mode)}, {escape(self.locale)})"
            )
        lines.append(f"- **Symptom:** {safe_markdown(self.symptom)}")
        if self.customer_words:
            lines.append(f"- **In the customer's words:** {escape(self.customer_words)}")
        if d is not None:
            lines.append(f"- **Decision:** {_decision_line(d)}")
        # the reason's "this walk found" part has its own section below
        own = d.reason if d is not None else self.reason
        lines.append(f"- **Reason:** {safe_markdown(own)}")
        lines.append(f"- **Recommended next action:** {safe_markdown(self.next_action) or '-'}")
        lines.append(f"- **Started:** {self.started_at.isoformat(timespec='seconds')}")
        if self.decided_at is not None:
            mins = (self.decided_at - self.started_at).total_seconds() / 60
            lines.append(f"- **Decided:** {self.decided_at.isoformat(timespec='seconds')} ({mins:.0f} min)")
        lines += ["", "## What this walk found", ""]
        lines += (
            [f"- {escape(f)}" for f in self.findings]
            if self.findings
            else ["- nothing beyond the steps below"]
        )
        lines += ["", "## Facts", ""]
        if self.facts:
            words = self.fact_words
            lines += [
                f"- {escape(k)}: {escape(words.get(k) or _fact(v))}" for k, v in sorted(self.facts.items())
            ]
        else:
            lines.append("- none collected")
        lines += ["", "## Steps tried", ""]
        if self.steps:
            for i, s in enumerate(self.steps, 1):
                # the answer may be typed (a text fact): escaped, like every other thing a person typed
                lines.append(f"{i}. {safe_markdown(s.text)} — **{escape(s.answer)}**")
        else:
            lines.append("- none")
        lines += ["", "## Notes", ""]
        lines += [f"- {escape(n)}" for n in self.notes] if self.notes else ["- none"]
        return "\n".join(lines) + "\n"


def _mode(mode: Audience) -> str:
    return "self-service" if mode is Audience.SELF_SERVICE else "agent"


def _fact(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):  # a multi-select fact
        return ", ".join(str(x) for x in v) or "none"
    return str(v)


def _decision_line(d: Decision) -> str:
    kind = d.kind.value
    if kind == "escalate":
        priority = d.priority.value if d.priority else "-"
        return f"escalate to tier {d.tier}, queue {code(str(d.queue))}, priority {priority}"
    if kind == "visit":
        parts = f", parts: {escape(', '.join(d.parts))}" if d.parts else ""
        outage = " (outage in the area: booking needs an override)" if d.outage else ""
        urgency = d.urgency.value if d.urgency else "-"
        return f"home visit, skill {code(str(d.skill))}, urgency {urgency}{parts}{outage}"
    return _other_decision_line(d)


def _other_decision_line(d: Decision) -> str:
    kind = d.kind.value
    if kind == "ship_part":
        items = ", ".join(f"{p.quantity} x {p.part}" for p in d.shipment)
        back = "; the old part comes back" if d.return_old else ""
        return f"ship a part the customer swaps: {escape(items)}{back}"
    if kind == "repair":
        return f"send-in repair to {code(str(d.depot))}, RMA {code(str(d.rma))}"
    if kind == "diagnosis":
        return f"diagnosis only: {escape(d.finding)}"
    if kind == "handover":
        return f"handover to the tree {code(str(d.handover_tree))}"
    follow = f", follow up in {d.follow_up_days} days" if d.follow_up_days else ""
    return f"resolved{follow}"


def _finding(node: AnyNode, answer: str, value: Any, text: str) -> str | None:
    """One line of "what this walk found" for an answered step, or None if it found nothing."""
    if isinstance(node, ActionNode) and value in (ActionResult.NOT_FIXED.value, ActionResult.COULD_NOT.value):
        return f"{text.rstrip('.')}: {answer}"
    if isinstance(node, CheckNode):  # the step's own words, not the system's name ("line_test")
        return f"{text.rstrip('.')}: {answer}"
    if isinstance(node, WaitNode) and value == "not_yet":
        return None  # the last wait's answer says it; every "not yet" would repeat it
    if isinstance(node, InstructionNode) and value == "could_not":
        return f"{text.rstrip('.')}: {answer}"
    if isinstance(node, CollectNode) and value is not None:
        return f"{node.fact}: {answer}"
    return None


def build_handoff(session: Session, locale: str = "en", reference: str | None = None) -> Handoff:
    """The hand-off for a session, with step texts and choices in ``locale`` (staff read English by default);
    ``reference`` is what people read out for the session (it replaces the long id in the Markdown)."""
    tree = session.tree()
    steps: list[HandoffStep] = []
    findings: list[str] = []
    for s in session.path:
        if s.auto:
            continue
        node = session.node_at(s.pos)
        step = HandoffStep(
            tree_id=s.pos.tree_id,
            node_id=s.pos.node_id,
            kind=node.kind,
            text=localize(node.text, locale),
            answer=session.answer_label(node, s.answer, s.tried, locale=locale),
            minutes=node.minutes if isinstance(node, ActionNode | InstructionNode) else None,
            performer=node.performer.value if isinstance(node, ActionNode | InstructionNode) else None,
            at=s.answered_at,
        )
        steps.append(step)
        found = _finding(node, step.answer, s.answer, step.text)
        if found is not None and found not in findings:
            findings.append(found)
    symptoms = [localize(x, locale) for x in tree.symptoms[:3]]
    symptom = localize(tree.title, locale) + (f" ({'; '.join(symptoms)})" if symptoms else "")
    d = session.decision
    last = session.events[-1].at if session.events else None
    facts = {k: v for k, v in session.facts.items() if k not in ("mode", "locale", "customer_words")}
    # a choice reads as its label; yes/no and numbers already read as words
    words = {
        k: fact_label(session.library, k, v, locale) for k, v in facts.items() if isinstance(v, str | list)
    }
    reason = d.reason if d else "The session has not reached a decision yet."
    if findings:
        reason += " This walk found: " + "; ".join(findings) + "."
    return Handoff(
        session_id=session.id,
        reference=reference,
        tree_id=tree.id,
        tree_title=localize(tree.title, locale),
        symptom=symptom,
        mode=session.mode,
        locale=session.locale,
        started_at=session.events[0].at,
        decided_at=last if d is not None else None,
        customer_words=str(session.facts.get("customer_words") or ""),
        facts=facts,
        fact_words={k: w for k, w in words.items() if w != _fact(facts[k])},
        steps=steps,
        findings=findings,
        notes=list(session.notes),
        decision=d,
        reason=reason,
        next_action=d.next_action if d else "Continue the session from the current step.",
    )
