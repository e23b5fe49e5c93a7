"""The tree model: what a diagnostic tree file may contain.

One YAML file holds one :class:`Tree`. Its ``nodes`` are a discriminated union on
``kind``; outcomes are a second union on ``outcome``. Every user-facing text is a
:data:`Text`: a plain string or a map of locale to string.

The model checks the shape of one node at a time. Checks that need the whole graph
(links, reachability, loops, calls between trees) live in :mod:`triage.trees.checks`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

__all__ = [
    "ID_PATTERN",
    "ActionNode",
    "ActionResult",
    "AnyNode",
    "BUILTIN_FACTS",
    "Audience",
    "CallNode",
    "Category",
    "CollectNode",
    "EscalateOutcome",
    "Fact",
    "FactType",
    "Fault",
    "FixGroupNode",
    "GroupQuestion",
    "GroupStop",
    "Link",
    "LogicNode",
    "LogicRule",
    "Node",
    "Option",
    "OutcomeKind",
    "OutcomeNode",
    "Performer",
    "Priority",
    "QuestionNode",
    "ResolvedOutcome",
    "ReturnNode",
    "Scenario",
    "Text",
    "Tree",
    "Urgency",
    "VisitOutcome",
    "localize",
]

ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"
_ID_RE = re.compile(ID_PATTERN)

Link = tuple[str, str, tuple[str | int, ...]]
"""An outgoing link: a label for messages, the target node id, and its location inside the node."""

LOCALE_PATTERN = r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$"
Locale = Annotated[str, StringConstraints(pattern=LOCALE_PATTERN)]

Text = str | dict[Locale, str]
"""A user-facing text: a plain string, or a map of locale (``en``, ``de``, ``pt-BR``) to string."""


def localize(text: Text | None, locale: str, fallback: str = "en") -> str:
    """Return ``text`` in ``locale``, falling back to its language, then ``fallback``, then any."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if locale in text:
        return text[locale]
    lang = locale.split("-")[0].split("_")[0]
    if lang in text:
        return text[lang]
    if fallback in text:
        return text[fallback]
    return next(iter(text.values()), "")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Category(StrEnum):
    """Which family of problems a tree belongs to."""

    HARDWARE = "hardware"
    SOFTWARE = "software"
    CONNECTIVITY = "connectivity"


class Audience(StrEnum):
    """Who runs a session: a tier-1 agent on a call, or the customer alone."""

    AGENT = "agent"
    SELF_SERVICE = "self_service"


class Performer(StrEnum):
    """Who may carry out an action."""

    CUSTOMER = "customer"
    AGENT = "agent"
    TECHNICIAN = "technician"


class OutcomeKind(StrEnum):
    """The three ways a session can end."""

    RESOLVED = "resolved"
    ESCALATE = "escalate"
    VISIT = "visit"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    URGENT = "urgent"


class FactType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"
    YESNO = "yesno"


class ActionResult(StrEnum):
    """The check that follows every action: did it help?"""

    FIXED = "fixed"
    NOT_FIXED = "not_fixed"
    COULD_NOT = "could_not"


def _check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(
            f"id {value!r} must be lower-case letters, digits, '_' or '-', starting with a letter or digit"
        )
    return value


def _slug(text: Text) -> str:
    raw = localize(text, "en")
    slug = re.sub(r"[^a-z0-9]+", "_", raw.lower()).strip("_")
    return slug or "option"


class Option(_Model):
    """One answer to a question."""

    label: Text
    value: str = ""
    next: str
    safety: str | None = Field(
        default=None,
        description="Set to a reason when choosing this answer is a safety sign that stops self-help.",
    )
    help: Text | None = None

    @model_validator(mode="after")
    def _default_value(self) -> Option:
        if not self.value:
            object.__setattr__(self, "value", _slug(self.label))
        return self


class _NodeBase(_Model):
    id: str
    text: Text = Field(description="The step as read out by an agent, or shown to a customer.")
    customer_text: Text | None = Field(
        default=None, description="Plain-words version shown in self-service instead of `text`."
    )
    hint: Text | None = Field(default=None, description="Agent-only note. Never shown in self-service.")
    safety: str | None = Field(
        default=None,
        description="Set to a reason when reaching this node is a safety sign that stops self-help.",
    )
    tags: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, v: str) -> str:
        return _check_id(v)

    def links(self) -> list[Link]:
        """Every outgoing link as ``(label, target id, where it is written inside the node)``."""
        return []


class QuestionNode(_NodeBase):
    """Asks something and branches on the answer."""

    kind: Literal["question"] = "question"
    options: list[Option] = Field(min_length=1)
    fact: str | None = Field(default=None, description="Store the chosen option's value as this fact.")

    @model_validator(mode="after")
    def _unique_values(self) -> QuestionNode:
        seen: set[str] = set()
        for opt in self.options:
            if opt.value in seen:
                raise ValueError(f"two options have the value {opt.value!r}; give each a distinct `value`")
            seen.add(opt.value)
        return self

    def links(self) -> list[Link]:
        return [
            (f"option {localize(o.label, 'en')!r}", o.next, ("options", i, "next"))
            for i, o in enumerate(self.options)
        ]


class ActionNode(_NodeBase):
    """An instruction to carry out, followed by the check: did it help?"""

    kind: Literal["action"] = "action"
    minutes: float | None = Field(default=None, ge=0, description="Expected minutes the action takes.")
    performer: Performer = Performer.CUSTOMER
    skill: str | None = Field(
        default=None, description="Skill a technician needs, when only a technician may do it."
    )
    check: Text | None = Field(
        default=None, description="The follow-up question; default 'Did that fix it?'."
    )
    fixes: dict[str, float] = Field(
        default_factory=dict, description="Suspected fault id -> probability this action fixes it."
    )
    on_fixed: str
    on_not_fixed: str
    on_could_not: str | None = Field(
        default=None, description="Where to go if it cannot be done; default on_not_fixed."
    )

    @field_validator("fixes")
    @classmethod
    def _probabilities(cls, v: dict[str, float]) -> dict[str, float]:
        for fault, p in v.items():
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"fix probability for fault {fault!r} must be between 0 and 1 (got {p})")
        return v

    def links(self) -> list[Link]:
        out: list[Link] = [
            ("on_fixed", self.on_fixed, ("on_fixed",)),
            ("on_not_fixed", self.on_not_fixed, ("on_not_fixed",)),
        ]
        if self.on_could_not:
            out.append(("on_could_not", self.on_could_not, ("on_could_not",)))
        return out

    def target(self, result: ActionResult) -> str:
        if result is ActionResult.FIXED:
            return self.on_fixed
        if result is ActionResult.COULD_NOT and self.on_could_not:
            return self.on_could_not
        return self.on_not_fixed


class CollectNode(_NodeBase):
    """Asks for a typed fact and stores it in the session."""

    kind: Literal["collect"] = "collect"
    fact: str
    type: FactType
    pattern: str | None = Field(
        default=None, description="Regular expression a text answer must match fully."
    )
    min: float | None = None
    max: float | None = None
    choices: list[str] = Field(default_factory=list)
    choice_labels: dict[str, Text] = Field(
        default_factory=dict,
        description="Choice -> label shown to people (translatable); default the choice itself.",
    )
    required: bool = True
    next: str

    @field_validator("fact")
    @classmethod
    def _fact_name(cls, v: str) -> str:
        if not re.match(r"^[a-z_][a-z0-9_]*$", v):
            raise ValueError(
                f"fact name {v!r} must be lower-case letters, digits and '_', not starting with a digit"
            )
        return v

    @model_validator(mode="after")
    def _type_fields(self) -> CollectNode:
        if self.type is FactType.CHOICE and not self.choices:
            raise ValueError("a `choice` fact needs a non-empty `choices` list")
        unknown = [c for c in self.choice_labels if c not in self.choices]
        if unknown:
            raise ValueError(f"`choice_labels` names {unknown[0]!r}, which is not one of the `choices`")
        if self.type is not FactType.CHOICE and self.choices:
            raise ValueError(f"`choices` only applies to type `choice`, not `{self.type.value}`")
        if self.pattern is not None:
            if self.type is not FactType.TEXT:
                raise ValueError("`pattern` only applies to type `text`")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"`pattern` is not a valid regular expression: {exc}") from None
        if (self.min is not None or self.max is not None) and self.type is not FactType.NUMBER:
            raise ValueError("`min` and `max` only apply to type `number`")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min}) is greater than `max` ({self.max})")
        return self

    def links(self) -> list[Link]:
        return [("next", self.next, ("next",))]


class LogicRule(_Model):
    when: str = Field(description="A condition on facts, e.g. `lights >= 3 and dsl_light == 'green'`.")
    next: str


class LogicNode(_NodeBase):
    """Routes automatically on facts; the first rule whose condition holds wins."""

    kind: Literal["logic"] = "logic"
    text: Text = ""
    rules: list[LogicRule] = Field(min_length=1)
    default: str

    def links(self) -> list[Link]:
        out: list[Link] = [(f"rule {i + 1}", r.next, ("rules", i, "next")) for i, r in enumerate(self.rules)]
        out.append(("default", self.default, ("default",)))
        return out


class CallNode(_NodeBase):
    """Runs another tree (a shared procedure) and continues here when it returns."""

    kind: Literal["call"] = "call"
    text: Text = ""
    procedure: str = Field(description="Id of the tree to run.")
    next: str = Field(description="Where to continue when the procedure returns.")
    on_return: dict[str, str] = Field(
        default_factory=dict, description="Return status -> node, overriding `next` for that status."
    )

    def links(self) -> list[Link]:
        out: list[Link] = [("next", self.next, ("next",))]
        out += [(f"on_return {k!r}", v, ("on_return", k)) for k, v in self.on_return.items()]
        return out


class ReturnNode(_NodeBase):
    """Ends a procedure and hands control back to the calling tree."""

    kind: Literal["return"] = "return"
    text: Text = ""
    status: str = "done"


class GroupQuestion(_Model):
    """A question a fix group may ask when it is worth its cost: how likely each answer is under each fault."""

    node: str = Field(description="Id of a question node of this tree.")
    cost: float = Field(default=1.0, ge=0, description="What asking costs, in minutes.")
    likelihoods: dict[str, dict[str, float]] = Field(
        description="Option value -> fault id -> P(this answer | fault); per fault they sum to 1."
    )


class GroupStop(_Model):
    """Where a fix group ends when self-help stops being worth it, and what that costs."""

    node: str = Field(description="Id of an escalate or visit outcome node.")
    cost: float = Field(
        gt=0, description="Cost of this outcome in minutes-equivalent (agent + customer time)."
    )
    penalty: float = Field(
        default=0.0,
        ge=0,
        description=(
            "Extra cost when this stop turns out unnecessary: an escalation of a fault the customer could have "
            "fixed, a visit for a fault that needed no technician. Makes the planner keep trying longer."
        ),
    )


class FixGroupNode(_NodeBase):
    """A group of candidate fixes for one symptom; the planner picks the order and when to stop.

    Each action's ``fixes`` (per-fault fix chances) and ``minutes`` feed the planner, with the tree's
    ``faults`` priors. After every failed action it re-plans; when going on costs more than stopping, it
    goes to ``escalate`` or ``visit`` (whichever is cheaper in expectation).
    """

    kind: Literal["fix_group"] = "fix_group"
    text: Text = ""
    actions: list[str] = Field(min_length=1, description="Ids of the candidate action nodes.")
    questions: list[GroupQuestion] = Field(default_factory=list)
    escalate: GroupStop | None = None
    visit: GroupStop | None = None
    tier2_resolve: dict[str, float] = Field(
        default_factory=dict, description="Fault id -> chance tier 2 resolves it after an escalation."
    )

    @model_validator(mode="after")
    def _a_way_out(self) -> FixGroupNode:
        if self.escalate is None and self.visit is None:
            raise ValueError(
                "a fix group needs `escalate`, `visit` or both: where to go when self-help stops"
            )
        return self

    def links(self) -> list[Link]:
        out: list[Link] = [(f"try {a!r}", a, ("actions", i)) for i, a in enumerate(self.actions)]
        out += [(f"ask {q.node!r}", q.node, ("questions", i, "node")) for i, q in enumerate(self.questions)]
        if self.escalate is not None:
            out.append(("escalate", self.escalate.node, ("escalate", "node")))
        if self.visit is not None:
            out.append(("visit", self.visit.node, ("visit", "node")))
        return out


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


OutcomeNode = Annotated[ResolvedOutcome | EscalateOutcome | VisitOutcome, Field(discriminator="outcome")]

Node = Annotated[
    QuestionNode | ActionNode | CollectNode | LogicNode | CallNode | ReturnNode | FixGroupNode | OutcomeNode,
    Field(discriminator="kind"),
]

AnyNode = (
    QuestionNode
    | ActionNode
    | CollectNode
    | LogicNode
    | CallNode
    | ReturnNode
    | FixGroupNode
    | ResolvedOutcome
    | EscalateOutcome
    | VisitOutcome
)
OutcomeTypes = (ResolvedOutcome, EscalateOutcome, VisitOutcome)

NODE_KINDS = ("question", "action", "collect", "logic", "call", "return", "fix_group", "outcome")
OUTCOME_KINDS = ("resolved", "escalate", "visit")


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
    answers: list[str | int | float | bool] = Field(default_factory=list)
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
}
"""Facts every tree may read without declaring them; the caller supplies them at session start."""
