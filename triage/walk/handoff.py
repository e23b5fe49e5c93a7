"""The hand-off: everything the next person needs, so nobody has to ask again.

Built from a finished (or abandoned) session: the symptom, the facts gathered, every
step tried and what it showed, the notes, the decision with its reasons and the
recommended next action. Rendered as Markdown for people and JSON for systems.

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
from triage.trees.model import ActionNode, Audience, localize
from triage.walk.policy import Decision
from triage.walk.session import Session

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
    tree_id: str
    tree_title: str
    symptom: str
    mode: Audience
    locale: str
    started_at: datetime
    decided_at: datetime | None
    facts: dict[str, Any]
    steps: list[HandoffStep]
    notes: list[str] = Field(default_factory=list)
    decision: Decision | None
    reason: str
    next_action: str

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        d = self.decision
        lines = [f"# Hand-off: {safe_markdown(self.tree_title)}", ""]
        lines.append(f"- **Session:** {code(self.session_id)} ({_mode(self.mode)}, {escape(self.locale)})")
        lines.append(f"- **Symptom:** {safe_markdown(self.symptom)}")
        if d is not None:
            lines.append(f"- **Decision:** {_decision_line(d)}")
        lines.append(f"- **Reason:** {safe_markdown(self.reason)}")
        lines.append(f"- **Recommended next action:** {safe_markdown(self.next_action) or '-'}")
        lines.append(f"- **Started:** {self.started_at.isoformat(timespec='seconds')}")
        if self.decided_at is not None:
            mins = (self.decided_at - self.started_at).total_seconds() / 60
            lines.append(f"- **Decided:** {self.decided_at.isoformat(timespec='seconds')} ({mins:.0f} min)")
        lines += ["", "## Facts", ""]
        if self.facts:
            lines += [f"- {escape(k)}: {escape(_fact(v))}" for k, v in sorted(self.facts.items())]
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
    return str(v)


def _decision_line(d: Decision) -> str:
    if d.kind.value == "escalate":
        priority = d.priority.value if d.priority else "-"
        return f"escalate to tier {d.tier}, queue {code(str(d.queue))}, priority {priority}"
    if d.kind.value == "visit":
        parts = f", parts: {escape(', '.join(d.parts))}" if d.parts else ""
        return (
            f"home visit, skill {code(str(d.skill))}, urgency {d.urgency.value if d.urgency else '-'}{parts}"
        )
    return "resolved"


def build_handoff(session: Session, locale: str = "en") -> Handoff:
    """The hand-off for a session, with step texts in ``locale`` (staff read English by default)."""
    tree = session.tree()
    steps: list[HandoffStep] = []
    for s in session.path:
        if s.auto:
            continue
        node = session.node_at(s.pos)
        steps.append(
            HandoffStep(
                tree_id=s.pos.tree_id,
                node_id=s.pos.node_id,
                kind=node.kind,
                text=localize(node.text, locale),
                answer=session.answer_label(node, s.answer, s.tried, locale=locale),
                minutes=node.minutes if isinstance(node, ActionNode) else None,
                performer=node.performer.value if isinstance(node, ActionNode) else None,
                at=s.answered_at,
            )
        )
    symptoms = [localize(x, locale) for x in tree.symptoms[:3]]
    symptom = localize(tree.title, locale) + (f" ({'; '.join(symptoms)})" if symptoms else "")
    d = session.decision
    last = session.events[-1].at if session.events else None
    facts = {k: v for k, v in session.facts.items() if k not in ("mode", "locale")}
    return Handoff(
        session_id=session.id,
        tree_id=tree.id,
        tree_title=localize(tree.title, locale),
        symptom=symptom,
        mode=session.mode,
        locale=session.locale,
        started_at=session.events[0].at,
        decided_at=last if d is not None else None,
        facts=facts,
        steps=steps,
        notes=list(session.notes),
        decision=d,
        reason=d.reason if d else "The session has not reached a decision yet.",
        next_action=d.next_action if d else "Continue the session from the current step.",
    )
