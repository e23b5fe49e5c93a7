"""The tree checks that only warn: lint an author should look at, one function per rule.

A question with one option, an action with no ``minutes``, a fault nobody lists, an outcome with no reason, a
remote system the provider does not have, a ``caution`` beside a ``safety`` sign, a text missing one of the
tree's locales. :data:`~triage.trees.checks.NODE_RULES` runs them with the rules that find errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from triage.errors import Diagnostic, did_you_mean
from triage.trees.model import (
    ActionNode,
    AnyNode,
    CheckNode,
    CollectNode,
    DiagnosisOutcome,
    InstructionNode,
    OutcomeTypes,
    QuestionNode,
    RepairOutcome,
    ResolvedOutcome,
    ShipPartOutcome,
    Text,
    WaitNode,
)
from triage.trees.treeview import TreeView, warn

__all__ = [
    "caution_and_safety",
    "missing_translation",
    "no_minutes",
    "no_reason",
    "one_option",
    "unknown_fault",
    "unknown_system",
]


def one_option(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """Warns about a question with only one option."""
    if isinstance(node, QuestionNode) and len(node.options) == 1:
        yield warn(
            "one-option", "question has only one option", t.loc(node.id), "add options, or make it an action"
        )


def no_minutes(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """Warns about an action that does not say how long it takes."""
    if isinstance(node, ActionNode) and node.minutes is None:
        yield warn("no-minutes", "action has no `minutes`", t.loc(node.id), "say how long it usually takes")


def unknown_fault(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """Warns when an action's ``fixes`` or an outcome's ``fault`` names a fault the tree's ``faults`` do not
    list (if it lists any)."""
    if not t.fault_ids:
        return
    if isinstance(node, ActionNode):
        for fault in node.fixes:
            if fault not in t.fault_ids:
                yield warn(
                    "unknown-fault",
                    f"`fixes` names fault {fault!r}, which is not under the tree's `faults`",
                    t.loc(node.id, "fixes", fault),
                    did_you_mean(fault, t.fault_ids),
                )
        return
    named = getattr(node, "fault", None) if isinstance(node, OutcomeTypes) else None
    if isinstance(named, str) and named not in t.fault_ids:
        yield warn(
            "unknown-fault",
            f"`fault` names {named!r}, which is not under the tree's `faults`",
            t.loc(node.id, "fault"),
            did_you_mean(named, t.fault_ids),
        )


def no_reason(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """Warns about an outcome that does not say why the session ends there."""
    if isinstance(node, OutcomeTypes) and node.reason is None:
        yield warn("no-reason", "outcome has no `reason`", t.loc(node.id), "say why the session ends here")


def unknown_system(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """Warns when a check or a `performer: system` step names a remote system the provider does not have."""
    name = node.system if isinstance(node, CheckNode | ActionNode | InstructionNode) else None
    if name is None or t.systems is None or name in t.systems:
        return
    known = sorted(t.systems)
    listed = f"known systems: {', '.join(known)}" if known else "no remote systems are set up"
    close = did_you_mean(name, known)
    yield warn(
        "unknown-system",
        f"`system` names {name!r}, which is not a known remote system",
        t.loc(node.id, "system"),
        f"{close} {listed}" if close else listed,
    )


def caution_and_safety(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """Warns about a node with both a ``safety`` sign (which stops self-help) and a ``caution`` (which does not)."""
    if node.safety is not None and node.caution is not None:
        yield warn(
            "caution-and-safety",
            "has both `safety` (which stops self-help) and `caution` (which does not)",
            t.loc(node.id, "caution"),
            "pick one: `safety` to stop here, `caution` to warn and go on",
        )


def missing_translation(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """Warns about a text that lacks some of the tree's locales (when it declares more than one)."""
    locales = t.tree.locales
    if len(locales) < 2:
        return
    for field_name, text in _texts(node):
        if text is None or (field_name == "text" and text == ""):
            continue
        # a plain string counts as the tree's first locale only
        missing = locales[1:] if isinstance(text, str) else [x for x in locales if x not in text]
        if missing:
            yield warn(
                "missing-translation",
                f"`{field_name}` has no {', '.join(repr(m) for m in missing)} translation",
                t.loc(node.id, *(int(p) if p.isdigit() else p for p in field_name.split("."))),
                f"the tree declares locales {locales}",
            )


def _texts(node: AnyNode) -> Iterable[tuple[str, Text | None]]:
    """Every text of a node an author may translate, as (field path, text)."""
    yield "text", node.text
    yield "customer_text", node.customer_text
    yield "hint", node.hint
    yield "caution", node.caution
    for i, item in enumerate(node.media):
        yield f"media.{i}.alt", item.alt
        yield f"media.{i}.caption", item.caption
        yield f"media.{i}.label", item.label
    if isinstance(node, QuestionNode | CheckNode):
        key = "options" if isinstance(node, QuestionNode) else "results"
        for i, opt in enumerate(node.options if isinstance(node, QuestionNode) else node.results):
            yield f"{key}.{i}.label", opt.label
    if isinstance(node, ActionNode | WaitNode):
        yield "check", node.check
    if isinstance(node, CollectNode):
        for choice, label in node.choice_labels.items():
            yield f"choice_labels.{choice}", label
    if isinstance(node, OutcomeTypes):
        yield "reason", node.reason
        yield "next_action", node.next_action
        yield from _outcome_texts(node)


def _outcome_texts(node: AnyNode) -> Iterable[tuple[str, Text | None]]:
    """The texts only some kinds of outcome have."""
    if isinstance(node, ResolvedOutcome):
        yield "follow_up", node.follow_up
    if isinstance(node, ShipPartOutcome):
        yield "instructions", node.instructions
    if isinstance(node, RepairOutcome):
        yield "packing", node.packing
    if isinstance(node, DiagnosisOutcome):
        yield "finding", node.finding
        yield "customer_next_step", node.customer_next_step
