"""How a walk ends: the authored outcomes a tree offers, one class per kind.

``resolved`` (optionally with a follow-up in N days), ``escalate``, ``visit``, ``ship_part`` (a part the
customer swaps), ``repair`` (send-in), ``diagnosis`` (found, not fixed here) and ``handover`` (to another tree).
The policy (:mod:`triage.walk.policy`) turns the one a walk reaches into its decision.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from triage.trees.basics import Priority, Text, Urgency, _Model, _NodeBase


class _OutcomeBase(_NodeBase):
    kind: Literal["outcome"] = "outcome"
    reason: Text | None = Field(
        default=None, description="Why the session ends here, for the record and hand-off."
    )
    next_action: Text | None = Field(
        default=None, description="Recommended next action for whoever picks it up."
    )


class ResolvedOutcome(_OutcomeBase):
    outcome: Literal["resolved"] = "resolved"
    fault: str | None = Field(default=None, description="The fault this outcome confirms, if known.")
    follow_up_days: int | None = Field(
        default=None, ge=1, le=365, description="Check again with the customer after this many days."
    )
    follow_up: Text | None = Field(default=None, description="What to check at the follow-up.")


class EscalateOutcome(_OutcomeBase):
    outcome: Literal["escalate"] = "escalate"
    tier: int = Field(default=2, ge=1, le=4)
    queue: str
    priority: Priority = Priority.NORMAL


class VisitOutcome(_OutcomeBase):
    outcome: Literal["visit"] = "visit"
    skill: str
    urgency: Urgency = Urgency.NORMAL
    parts: list[str] = Field(default_factory=list)
    duration_minutes: int = Field(default=60, gt=0)


class PartLine(_Model):
    """A part to send, and how many."""

    part: str = Field(description="The part's id in the parts catalogue (e.g. `psu-65w-usbc`).")
    quantity: int = Field(default=1, ge=1, le=20)
    label: Text | None = Field(
        default=None, description='The part in words, for the customer ("65 W USB-C adapter").'
    )


class ShipPartOutcome(_OutcomeBase):
    """Send the customer a part they swap themselves (a charger, a remote, a power adapter)."""

    outcome: Literal["ship_part"] = "ship_part"
    parts: list[PartLine] = Field(min_length=1)
    return_old: bool = Field(default=False, description="The customer sends the old part back.")
    instructions: Text | None = Field(default=None, description="How to swap the part when it arrives.")
    fault: str | None = None


class RepairOutcome(_OutcomeBase):
    """Send-in repair: the customer posts the device to a repair centre with an RMA reference."""

    outcome: Literal["repair"] = "repair"
    depot: str = Field(description="The repair centre or its queue.")
    packing: Text = Field(description="How to pack and send the device.")
    fault: str | None = None


class DiagnosisOutcome(_OutcomeBase):
    """Found but not fixed here: what the walk found, and the customer's own next step."""

    outcome: Literal["diagnosis"] = "diagnosis"
    finding: Text = Field(description="What the walk found.")
    customer_next_step: Text = Field(
        description="What the customer does next (e.g. replace their own router)."
    )
    fault: str | None = None


class HandoverOutcome(_OutcomeBase):
    """Hand the contact over to another tree, carrying the facts (a handover, not an escalation)."""

    outcome: Literal["handover"] = "handover"
    tree: str = Field(description="The id of the tree to continue with (not a procedure).")
    carry: list[str] | None = Field(
        default=None, description="The facts to carry over; default every fact gathered."
    )
    fault: str | None = Field(
        default=None,
        description="The fault of this tree the hand-over confirms (the problem is the other tree's to solve).",
    )
