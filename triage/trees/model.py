"""The tree model: what a diagnostic tree file may contain.

One YAML file holds one :class:`Tree`. Its ``nodes`` are a discriminated union on
``kind``; outcomes are a second union on ``outcome``. Every user-facing text is a
:data:`Text`: a plain string or a map of locale to string.

The node kinds live in :mod:`triage.trees.steps` and :mod:`triage.trees.outcomes`, on the basics of
:mod:`triage.trees.basics`; this module joins them and re-exports every name, so importers name them from here.

The model checks the shape of one node at a time. Checks that need the whole graph
(links, reachability, loops, calls between trees) live in :mod:`triage.trees.checks`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from triage.trees.basics import (
    ID_PATTERN,
    LOCALE_PATTERN,
    MEDIA_TYPES,
    ActionResult,
    Audience,
    Category,
    FactType,
    InstructionResult,
    Link,
    Locale,
    Media,
    Option,
    OutcomeKind,
    Performer,
    Priority,
    Text,
    Urgency,
    WaitResult,
    _check_id,
    _Model,
    localize,
)
from triage.trees.outcomes import (
    DiagnosisOutcome,
    EscalateOutcome,
    HandoverOutcome,
    PartLine,
    RepairOutcome,
    ResolvedOutcome,
    ShipPartOutcome,
    VisitOutcome,
)
from triage.trees.steps import (
    UNAVAILABLE,
    ActionNode,
    CallNode,
    CheckNode,
    CollectNode,
    FixGroupNode,
    GroupQuestion,
    GroupStop,
    InstructionNode,
    LogicNode,
    LogicRule,
    QuestionNode,
    RepeatNode,
    ReturnNode,
    WaitNode,
)

__all__ = [
    "ActionNode",
    "ActionResult",
    "AnyNode",
    "AnyOutcome",
    "Audience",
    "BUILTIN_FACTS",
    "CallNode",
    "Category",
    "CheckNode",
    "CollectNode",
    "DiagnosisOutcome",
    "EscalateOutcome",
    "Fact",
    "FactType",
    "Fault",
    "FixGroupNode",
    "GroupQuestion",
    "GroupStop",
    "HandoverOutcome",
    "ID_PATTERN",
    "INTERACTIVE_TYPES",
    "InstructionNode",
    "InstructionResult",
    "LOCALE_PATTERN",
    "Link",
    "Locale",
    "LogicNode",
    "LogicRule",
    "MEDIA_TYPES",
    "Media",
    "NODE_KINDS",
    "Node",
    "OUTCOME_KINDS",
    "Option",
    "OutcomeKind",
    "OutcomeNode",
    "OutcomeTypes",
    "PartLine",
    "Performer",
    "Priority",
    "QuestionNode",
    "RepairOutcome",
    "RepeatNode",
    "ResolvedOutcome",
    "ReturnNode",
    "Scenario",
    "ShipPartOutcome",
    "Text",
    "Tree",
    "UNAVAILABLE",
    "Urgency",
    "VisitOutcome",
    "WaitNode",
    "WaitResult",
    "localize",
]


OutcomeNode = Annotated[
    ResolvedOutcome
    | EscalateOutcome
    | VisitOutcome
    | ShipPartOutcome
    | RepairOutcome
    | DiagnosisOutcome
    | HandoverOutcome,
    Field(discriminator="outcome"),
]

Node = Annotated[
    QuestionNode
    | ActionNode
    | InstructionNode
    | WaitNode
    | CheckNode
    | CollectNode
    | LogicNode
    | RepeatNode
    | CallNode
    | ReturnNode
    | FixGroupNode
    | OutcomeNode,
    Field(discriminator="kind"),
]

AnyNode = (
    QuestionNode
    | ActionNode
    | InstructionNode
    | WaitNode
    | CheckNode
    | CollectNode
    | LogicNode
    | RepeatNode
    | CallNode
    | ReturnNode
    | FixGroupNode
    | ResolvedOutcome
    | EscalateOutcome
    | VisitOutcome
    | ShipPartOutcome
    | RepairOutcome
    | DiagnosisOutcome
    | HandoverOutcome
)
OutcomeTypes = (
    ResolvedOutcome,
    EscalateOutcome,
    VisitOutcome,
    ShipPartOutcome,
    RepairOutcome,
    DiagnosisOutcome,
    HandoverOutcome,
)
AnyOutcome = (
    ResolvedOutcome
    | EscalateOutcome
    | VisitOutcome
    | ShipPartOutcome
    | RepairOutcome
    | DiagnosisOutcome
    | HandoverOutcome
)
INTERACTIVE_TYPES = (QuestionNode, ActionNode, InstructionNode, WaitNode, CheckNode, CollectNode)
"""The steps a person (or, for a check, the provider's systems) answers; the others pass automatically."""

NODE_KINDS = (
    "question",
    "action",
    "instruction",
    "wait",
    "check",
    "collect",
    "logic",
    "repeat",
    "call",
    "return",
    "fix_group",
    "outcome",
)
OUTCOME_KINDS = ("resolved", "escalate", "visit", "ship_part", "repair", "diagnosis", "handover")


class Fact(_Model):
    """A fact the tree may read in conditions without collecting it (given at session start)."""

    type: FactType = FactType.TEXT
    description: Text | None = None
    choices: list[str] = Field(default_factory=list)


class Fault(_Model):
    """A suspected root cause, with the author's prior probability."""

    id: str
    prior: float = Field(ge=0, le=1)
    title: Text | None = None
    resolved_by: Literal["self", "tier2", "onsite"] = Field(
        default="self",
        description="Who can resolve it: the customer with self-help, tier 2, or a technician.",
    )


class Scenario(_Model):
    """A scenario test: answers in order, and where they must end."""

    name: str
    mode: Audience = Audience.AGENT
    locale: str = "en"
    facts: dict[str, Any] = Field(default_factory=dict)
    answers: list[str | int | float | bool | list[str]] = Field(
        default_factory=list, description="In order; a multi-select takes a list or comma-separated choices."
    )
    expect: str | None = Field(default=None, description="The outcome node id the walk must end at.")
    decision: OutcomeKind | None = Field(default=None, description="The decision kind the walk must end in.")

    @model_validator(mode="after")
    def _something_expected(self) -> Scenario:
        if self.expect is None and self.decision is None:
            raise ValueError("a scenario needs `expect` (an outcome node id) or `decision`, or both")
        return self


class Tree(_Model):
    """A diagnostic tree (or a shared procedure called from other trees)."""

    id: str
    title: Text
    category: Category
    description: Text | None = None
    tags: list[str] = Field(default_factory=list)
    symptoms: list[Text] = Field(default_factory=list, description="Words a customer uses; used by search.")
    audiences: list[Audience] = Field(default_factory=lambda: [Audience.AGENT, Audience.SELF_SERVICE])
    locales: list[str] = Field(default_factory=lambda: ["en"], description="Locales every text must cover.")
    procedure: bool = Field(
        default=False, description="A shared procedure, run from other trees by `call` nodes."
    )
    service: str | None = Field(
        default=None,
        description="The service this tree is about (`internet`, `tv`, `phone`): an outage of it in the "
        "customer's region sets `outage_in_area`.",
    )
    start: str
    facts: dict[str, Fact] = Field(default_factory=dict)
    faults: list[Fault] = Field(default_factory=list)
    nodes: list[Node] = Field(min_length=1)
    scenarios: list[Scenario] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, v: str) -> str:
        return _check_id(v)

    @cached_property
    def by_id(self) -> dict[str, AnyNode]:
        """Nodes by id (the first one wins where ids repeat; the checks report the repeat)."""
        out: dict[str, AnyNode] = {}
        for node in self.nodes:
            out.setdefault(node.id, node)
        return out

    def node(self, node_id: str) -> AnyNode:
        """The node with this id; ``KeyError`` naming the tree if there is none."""
        try:
            return self.by_id[node_id]
        except KeyError:
            raise KeyError(f"tree {self.id!r} has no node {node_id!r}") from None


BUILTIN_FACTS: dict[str, str] = {
    "mode": "the session's audience: 'agent' or 'self_service'",
    "locale": "the session's locale, e.g. 'en' or 'de'",
    "repeat_contacts": "how many times this customer has contacted us about this problem recently",
    "visit_covered": "whether the customer's plan covers a home visit (true/false)",
    "customer_id": "the customer's account or reference",
    "region": "the customer's service region, for booking visits",
    "plan": "the customer's plan or product tier",
    "outage_in_area": "whether a declared outage of the tree's service covers the customer's region (true/false)",
    "outage_eta": "when that outage is expected to end (ISO date and time), if there is one",
    "customer_words": "the problem in the customer's own words, as given at the start",
}
"""Facts every tree may read without declaring them; the caller supplies them at session start."""
