"""The steps of a tree: what is asked, done, waited for, checked remotely, or passed automatically.

Interactive steps (a person, or for a ``check`` the provider's systems, answers them): ``question``,
``action`` (a fix, followed by "did that fix it?"), ``instruction`` (done, never a fix), ``wait``, ``check``
and ``collect``. Automatic ones: ``logic``, ``repeat``, ``call``, ``return`` and ``fix_group``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from triage.trees.basics import (
    ActionResult,
    FactType,
    InstructionResult,
    Link,
    Option,
    Performer,
    Text,
    _Model,
    _NodeBase,
    localize,
)


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


class _Performed(_NodeBase):
    """A step somebody carries out: how long it takes, and who (the provider's systems name theirs)."""

    minutes: float | None = Field(default=None, ge=0, description="Expected minutes the step takes.")
    performer: Performer = Performer.CUSTOMER
    skill: str | None = Field(
        default=None, description="Skill a technician needs, when only a technician may do it."
    )
    system: str | None = Field(
        default=None,
        description="With `performer: system`: the named remote action the provider runs (e.g. `refresh_box`).",
    )

    @model_validator(mode="after")
    def _system_named(self) -> _Performed:
        if self.performer is Performer.SYSTEM and not self.system:
            raise ValueError("`performer: system` needs `system`: the name of the remote action to run")
        if self.system and self.performer is not Performer.SYSTEM:
            raise ValueError("`system` is only for `performer: system`")
        return self


class ActionNode(_Performed):
    """A fix to try, followed by the check: did it help? (Use ``instruction`` for a step that fixes nothing.)"""

    kind: Literal["action"] = "action"
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


class InstructionNode(_Performed):
    """A step to carry out that fixes nothing by itself ("unplug the router"): recorded as done, never as a fix."""

    kind: Literal["instruction"] = "instruction"
    next: str
    on_could_not: str | None = Field(
        default=None,
        description='Where to go on "I could not do this"; without it that answer is not offered.',
    )

    def links(self) -> list[Link]:
        out: list[Link] = [("next", self.next, ("next",))]
        if self.on_could_not:
            out.append(("on_could_not", self.on_could_not, ("on_could_not",)))
        return out

    def target(self, result: InstructionResult) -> str:
        if result is InstructionResult.COULD_NOT and self.on_could_not:
            return self.on_could_not
        return self.next


class WaitNode(_NodeBase):
    """Wait, then check again: "wait up to 20 minutes for the box, checking every 3 minutes"."""

    kind: Literal["wait"] = "wait"
    seconds: int = Field(ge=1, le=86_400, description="How long to wait before checking.")
    check: Text = Field(description='The re-check question after the wait ("Is the light green now?").')
    tries: int = Field(default=1, ge=1, le=50, description="How many waits before giving up.")
    next: str = Field(description="Where to go once it is ready.")
    fallback: str = Field(description="Where to go when it is still not ready after the last try.")

    def links(self) -> list[Link]:
        return [("next", self.next, ("next",)), ("fallback", self.fallback, ("fallback",))]


class CheckNode(_NodeBase):
    """A remote check the provider's systems run (a line test, the box's status); it routes on the result.

    The engine stops here like at a question whose options are the results; the desk runs the named check
    and answers with its result. When the check fails or times out, an agent picks the result by hand (the
    manual fallback); in self-service the walk goes to ``on_unavailable``.
    """

    kind: Literal["check"] = "check"
    system: str = Field(description="The registered remote check to run (e.g. `line_test`).")
    timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds to wait for the result.")
    results: list[Option] = Field(
        min_length=1, description="Each result the check can give, and where it goes."
    )
    fact: str | None = Field(default=None, description="Store the result's value as this fact.")
    on_unavailable: str = Field(description="Where to go when the check cannot give a result.")

    @model_validator(mode="after")
    def _unique_values(self) -> CheckNode:
        values = [o.value for o in self.results]
        if len(set(values)) != len(values) or UNAVAILABLE in values:
            raise ValueError(
                f"each result needs a distinct `value`, and {UNAVAILABLE!r} is kept for a check that fails"
            )
        return self

    def links(self) -> list[Link]:
        out: list[Link] = [
            (f"result {o.value!r}", o.next, ("results", i, "next")) for i, o in enumerate(self.results)
        ]
        out.append(("on_unavailable", self.on_unavailable, ("on_unavailable",)))
        return out

    def target(self, value: str) -> str:
        for o in self.results:
            if o.value == value:
                return o.next
        return self.on_unavailable


UNAVAILABLE = "unavailable"
"""The result a check node records when its remote check could not answer."""


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
        if self.type in _WITH_CHOICES and not self.choices:
            raise ValueError(f"a `{self.type.value}` fact needs a non-empty `choices` list")
        unknown = [c for c in self.choice_labels if c not in self.choices]
        if unknown:
            raise ValueError(f"`choice_labels` names {unknown[0]!r}, which is not one of the `choices`")
        if self.type not in _WITH_CHOICES and self.choices:
            raise ValueError(f"`choices` only applies to types `choice` and `multi`, not `{self.type.value}`")
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


_WITH_CHOICES = (FactType.CHOICE, FactType.MULTI)


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


class RepeatNode(_NodeBase):
    """Runs its ``body`` once per item of a list fact, or up to ``max`` times, then goes to ``next``.

    Each round sets the fact ``item`` (the current item, with ``over``) and ``round`` (1, 2, ...); the body's
    last step leads back to this node. ``until`` ends the rounds early (a module found faulty, a fix that
    worked). "Test each memory module", "for each device in the home".
    """

    kind: Literal["repeat"] = "repeat"
    text: Text = ""
    over: str | None = Field(
        default=None, description="A list fact (multi-select) to go through item by item."
    )
    max: int | None = Field(default=None, ge=1, le=100, description="The most rounds (a counter's maximum).")
    item: str = Field(default="item", description="The fact that holds the current item.")
    counter: str = Field(default="round", description="The fact that holds the round number, from 1.")
    until: str | None = Field(default=None, description="A condition that ends the rounds early.")
    body: str = Field(description="The first step of each round; the round's last step leads back here.")
    next: str = Field(description="Where to go when the rounds are over.")

    @field_validator("item", "counter", "over")
    @classmethod
    def _fact_names(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^[a-z_][a-z0-9_]*$", v):
            raise ValueError(f"fact name {v!r} must be lower-case letters, digits and '_'")
        return v

    @model_validator(mode="after")
    def _bounded(self) -> RepeatNode:
        if self.over is None and self.max is None:
            raise ValueError("a `repeat` needs `over` (a list fact) or `max` (how many rounds), or both")
        return self

    def links(self) -> list[Link]:
        return [("body", self.body, ("body",)), ("next", self.next, ("next",))]


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
