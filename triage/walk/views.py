"""What a person sees of a session: the current step (:class:`StepView`) and the breadcrumb of answers.

The views are plain pydantic models, so the web app, the CLI and the store draw the same thing. The
functions here put one node into words for an audience and a language; :class:`~triage.walk.session.Session`
decides which node and which answers to show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from triage.i18n import t
from triage.trees.model import (
    UNAVAILABLE,
    ActionNode,
    ActionResult,
    AnyNode,
    Audience,
    CheckNode,
    CollectNode,
    FactType,
    InstructionNode,
    InstructionResult,
    Media,
    QuestionNode,
    Tree,
    WaitNode,
    WaitResult,
    localize,
)
from triage.walk.path import Step
from triage.walk.policy import Decision

__all__ = [
    "Crumb",
    "FieldSpec",
    "MediaView",
    "OptionView",
    "StepView",
    "answer_label",
    "choice_label",
    "crumb",
    "fact_label",
    "media_views",
    "node_text",
    "plain_words",
    "rule_label",
    "step_view",
]


class OptionView(BaseModel):
    """One answer a person can pick: the value the session takes and its label."""

    value: str
    label: str


class MediaView(BaseModel):
    """A picture or link in the session's language; ``src`` is a file under ``trees/media/`` or an https URL."""

    kind: str = Field(description="'image' or 'link'.")
    src: str
    alt: str = ""
    caption: str = ""
    label: str = ""

    @property
    def local(self) -> bool:
        """A file shipped with the trees rather than an address."""
        return not self.src.startswith("https://")


class FieldSpec(BaseModel):
    """The input a collect step asks for: its type, the fact it sets and its limits."""

    type: FactType
    fact: str
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    choices: list[str] = Field(default_factory=list)
    required: bool = True


class Crumb(BaseModel):
    """One answered step in the breadcrumb; ``index`` is what :meth:`Session.back` takes."""

    model_config = ConfigDict(frozen=True)  # a session hands the same crumbs to every later view

    index: int
    node_id: str
    tree_id: str
    text: str
    answer: str
    tried: bool = False


class StepView(BaseModel):
    """The current step as its audience should see it. Self-service views never carry ``hint``."""

    session_id: str
    tree_id: str
    tree_title: str
    node_id: str
    kind: str
    mode: Audience
    locale: str
    text: str
    hint: str | None = None
    why: str | None = Field(default=None, description="Agent view: why the planner chose this step.")
    options: list[OptionView] = Field(default_factory=list)
    field: FieldSpec | None = None
    performer: str | None = None
    minutes: float | None = None
    check: str | None = None
    caution: str | None = Field(
        default=None, description="A warning shown before the step; it does not stop."
    )
    media: list[MediaView] = Field(default_factory=list)
    seconds: int | None = Field(default=None, description="A wait: how long to wait before checking.")
    tries: int | None = Field(default=None, description="A wait: how many waits in all.")
    try_number: int | None = Field(default=None, description="A wait: which wait this is, from 1.")
    system: str | None = Field(default=None, description="The provider's remote check or action to run here.")
    timeout: float | None = None
    shown_at: datetime | None = Field(
        default=None, description="When the step was reached (for elapsed time)."
    )
    round: int | None = Field(default=None, description="Inside a repeat: which round this is, from 1.")
    rounds: int | None = Field(default=None, description="Inside a repeat: how many rounds in all.")
    step_number: int
    progress: float = Field(ge=0, le=1)
    can_back: bool
    breadcrumb: list[Crumb] = Field(default_factory=list)
    facts: dict[str, Any] = Field(default_factory=dict)
    finished: bool = False
    decision: Decision | None = None
    notes: list[str] = Field(default_factory=list)


def node_text(node: AnyNode, mode: Audience, locale: str) -> str:
    """A step's text for an audience: customers read the ``customer_text`` when the author wrote one."""
    if mode is Audience.SELF_SERVICE and node.customer_text is not None:
        return localize(node.customer_text, locale)
    return localize(node.text, locale)


def answer_label(node: AnyNode, value: Any, tried: bool, locale: str) -> str:
    """A stored answer in words."""
    if tried:
        return t("result.tried", locale)
    if value is None:
        return t("result.skipped", locale)
    options = (
        node.options
        if isinstance(node, QuestionNode)
        else node.results
        if isinstance(node, CheckNode)
        else []
    )
    for o in options:
        if o.value == value:
            return localize(o.label, locale)
    if isinstance(node, ActionNode | InstructionNode | WaitNode | CheckNode):
        return t(f"result.{value}", locale)
    if isinstance(node, CollectNode):
        return _collected_label(node, value, locale)
    return str(value)


def _collected_label(node: CollectNode, value: Any, locale: str) -> str:
    if node.type is FactType.MULTI and isinstance(value, list):
        return ", ".join(choice_label(node, v, locale) for v in value) or t("result.skipped", locale)
    if node.type is FactType.YESNO:
        return t("yesno.yes" if value else "yesno.no", locale)
    if node.type is FactType.CHOICE and isinstance(value, str):
        return choice_label(node, value, locale)
    return str(value)


def plain_words(value: str) -> str:
    """A machine value read as words, for a choice its author gave no label: ``windows-11`` -> ``Windows 11``.

    >>> plain_words("macos-14-or-newer"), plain_words("off"), plain_words("")
    ('Macos 14 or newer', 'Off', '')
    """
    words = " ".join(value.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:]


def choice_label(node: CollectNode, value: str, locale: str) -> str:
    """One choice of a collect step in words: the author's label in ``locale``, else the value as words."""
    label = node.choice_labels.get(value)
    return localize(label, locale) if label is not None else plain_words(value)


def rule_label(rule: str, locale: str = "en") -> str:
    """What decided, in words a person reads (the decision's ``rule``: ``authored``, ``safety``, ...).

    >>> rule_label("authored"), rule_label("repeat-contact", "de")
    ("the guide's own outcome", 'wiederholte Kontakte')
    >>> rule_label("house-rule")
    'house rule'
    """
    key = f"rule.{rule}"
    text = t(key, locale)
    return plain_words(rule).lower() if text == key else text


def fact_label(library: Mapping[str, Tree], name: str, value: Any, locale: str = "en") -> str:
    """A fact's value in words: a choice or a multi-select as the labels of the step that collects it (in any
    tree of ``library``), yes/no in ``locale``, a whole number without ``.0``, anything else as it is.

    >>> fact_label({}, "plan", True, "de"), fact_label({}, "n", 12.0), fact_label({}, "x", None)
    ('Ja', '12', '-')
    """
    if isinstance(value, bool):
        return t("yesno.yes" if value else "yesno.no", locale)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return "-"
    step = _collector(library, name)
    if step is not None and step.type in (FactType.CHOICE, FactType.MULTI):
        return _collected_label(step, value, locale)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _collector(library: Mapping[str, Tree], fact: str) -> CollectNode | None:
    """The first collect step in ``library`` that sets ``fact``, if any."""
    for tree in library.values():
        for node in tree.nodes:
            if isinstance(node, CollectNode) and node.fact == fact:
                return node
    return None


def step_view(
    *,
    session_id: str,
    tree_id: str,
    tree_title: str,
    node: AnyNode,
    mode: Audience,
    locale: str,
    answered: int,
    remaining: int,
    why: str | None,
    breadcrumb: list[Crumb],
    facts: Mapping[str, Any],
    decision: Decision | None,
    notes: Sequence[str],
    shown_at: datetime | None = None,
    try_number: int = 1,
    round_of: tuple[int, int] | None = None,
) -> StepView:
    """The step at ``node`` for an audience; ``remaining`` steps at least to an outcome make the progress."""
    progress = 1.0 if decision else answered / (answered + max(remaining, 1))
    agent = mode is Audience.AGENT
    v = StepView(
        session_id=session_id,
        tree_id=tree_id,
        tree_title=tree_title,
        node_id=node.id,
        kind=node.kind,
        mode=mode,
        locale=locale,
        text=node_text(node, mode, locale),
        hint=localize(node.hint, locale) if agent and node.hint else None,
        why=why if agent and decision is None else None,
        step_number=answered + 1,
        progress=progress,
        can_back=answered > 0,
        breadcrumb=breadcrumb,
        facts={k: v for k, v in facts.items() if k not in ("mode", "locale")},
        finished=decision is not None,
        decision=decision,
        notes=list(notes),
        caution=localize(node.caution, locale) if node.caution is not None else None,
        media=media_views(node.media, locale),
        shown_at=shown_at,
    )
    if decision is None:
        _fill_inputs(v, node, locale)
        if isinstance(node, WaitNode):
            v.try_number = try_number
        if round_of is not None:
            v.round, v.rounds = round_of
    return v


def media_views(media: Sequence[Media], locale: str) -> list[MediaView]:
    """A step's pictures and links in ``locale``."""
    out: list[MediaView] = []
    for m in media:
        kind, src = ("image", m.image) if m.image is not None else ("link", m.link or "")
        out.append(
            MediaView(
                kind=kind,
                src=src or "",
                alt=localize(m.alt, locale),
                caption=localize(m.caption, locale),
                label=localize(m.label, locale) or (src or ""),
            )
        )
    return out


def crumb(index: int, tree_id: str, node: AnyNode, step: Step, mode: Audience, locale: str) -> Crumb:
    """The breadcrumb entry of an answered step: what was asked and the answer, in words."""
    return Crumb(
        index=index,
        node_id=node.id,
        tree_id=tree_id,
        text=node_text(node, mode, locale),
        answer=answer_label(node, step.answer, step.tried, locale),
        tried=step.tried,
    )


def _fill_inputs(view: StepView, node: AnyNode, locale: str) -> None:
    """Give an open step's view what a person answers with: options, the action's details, the field."""
    if isinstance(node, QuestionNode):
        view.options = [OptionView(value=o.value, label=localize(o.label, locale)) for o in node.options]
    elif isinstance(node, ActionNode):
        view.performer = node.performer.value
        view.minutes = node.minutes
        view.check = localize(node.check, locale) if node.check else t("action.check", locale)
        view.system = node.system
        view.options = [OptionView(value=r.value, label=t(f"action.{r.value}", locale)) for r in ActionResult]
    elif isinstance(node, CollectNode):
        _fill_collect(view, node, locale)
    else:
        _fill_other(view, node, locale)


def _fill_other(view: StepView, node: AnyNode, locale: str) -> None:
    """Instructions (done / could not), waits (ready / not yet) and remote checks (their results)."""
    if isinstance(node, InstructionNode):
        view.performer = node.performer.value
        view.minutes = node.minutes
        view.system = node.system
        results = [InstructionResult.DONE] + ([InstructionResult.COULD_NOT] if node.on_could_not else [])
        view.options = [OptionView(value=r.value, label=t(f"instruction.{r.value}", locale)) for r in results]
    elif isinstance(node, WaitNode):
        view.seconds, view.tries = node.seconds, node.tries
        view.check = localize(node.check, locale)
        view.options = [OptionView(value=r.value, label=t(f"wait.{r.value}", locale)) for r in WaitResult]
    elif isinstance(node, CheckNode):
        view.system, view.timeout = node.system, node.timeout
        view.options = [OptionView(value=o.value, label=localize(o.label, locale)) for o in node.results]
        view.options.append(OptionView(value=UNAVAILABLE, label=t("check.unavailable", locale)))


def _fill_collect(view: StepView, node: CollectNode, locale: str) -> None:
    view.field = FieldSpec(
        type=node.type,
        fact=node.fact,
        pattern=node.pattern,
        min=node.min,
        max=node.max,
        choices=list(node.choices),
        required=node.required,
    )
    if node.type is FactType.YESNO:
        view.options = [
            OptionView(value="yes", label=t("yesno.yes", locale)),
            OptionView(value="no", label=t("yesno.no", locale)),
        ]
    elif node.type in (FactType.CHOICE, FactType.MULTI):
        view.options = [OptionView(value=c, label=choice_label(node, c, locale)) for c in node.choices]
