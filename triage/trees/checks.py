"""The checks on a tree: what a schema cannot see, one function per rule.

Errors: links to missing nodes, nodes nobody reaches, nodes from which no outcome can be reached,
loops with no way out, conditions reading unknown facts, fix groups naming the wrong nodes, calls to
missing procedures and call cycles between trees. Warnings: lint an author should look at (no
minutes, no reason, missing translations, untested outcomes, ...).

:func:`check_tree` runs :data:`RULES` in order; :func:`node_rules`, one of them, runs
:data:`NODE_RULES` on each node in turn. Each rule is named after what it finds and yields
:class:`~triage.errors.Diagnostic` objects located by their place in the tree's data
(``("nodes", 4, "options", 1, "next")``); the loader turns that into a line number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property

import networkx as nx

from triage.errors import ConditionError, Diagnostic, Severity, did_you_mean
from triage.trees.conditions import parse as parse_condition
from triage.trees.fix_groups import group_problem_issues
from triage.trees.graph import build_graph, call_graph, facts_known, reaching, terminal_ids
from triage.trees.model import (
    ActionNode,
    AnyNode,
    CallNode,
    CollectNode,
    FixGroupNode,
    LogicNode,
    OutcomeTypes,
    QuestionNode,
    ReturnNode,
    Text,
    Tree,
)

__all__ = ["NODE_RULES", "RULES", "NodeRule", "Rule", "TreeView", "check_calls", "check_tree"]


def _diag(
    sev: Severity,
    code: str,
    msg: str,
    loc: tuple[str | int, ...],
    hint: str | None = None,
    node: str | None = None,
) -> Diagnostic:
    return Diagnostic(severity=sev, code=code, message=msg, loc=loc, hint=hint, node_id=node)


def _err(code: str, msg: str, loc: tuple[str | int, ...], hint: str | None = None) -> Diagnostic:
    return _diag(Severity.ERROR, code, msg, loc, hint)


def _warn(code: str, msg: str, loc: tuple[str | int, ...], hint: str | None = None) -> Diagnostic:
    return _diag(Severity.WARNING, code, msg, loc, hint)


class TreeView:
    """What the rules share about one tree: its nodes by id, where each is written, its graph, its facts."""

    def __init__(self, tree: Tree, library: Mapping[str, Tree] | None) -> None:
        self.tree = tree
        self.library = library
        self.ids = tree.by_id
        # the first place each id is written (a repeat is reported, and located, by `duplicate_id`)
        self.index: dict[str, int] = {}
        for i, node in enumerate(tree.nodes):
            self.index.setdefault(node.id, i)
        self.fault_ids = {f.id for f in tree.faults}

    def loc(self, node_id: str, *rest: str | int) -> tuple[str | int, ...]:
        """Where a node (or something inside it) is written in the tree's data."""
        return ("nodes", self.index[node_id], *rest)

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The tree as a graph (links to missing nodes left out)."""
        return build_graph(self.tree)

    @cached_property
    def known(self) -> set[str]:
        """The facts its conditions may read (see :func:`~triage.trees.graph.facts_known`)."""
        return facts_known(self.tree, self.library)


Rule = Callable[[TreeView], Iterator[Diagnostic]]
"""A check on a whole tree."""


NodeRule = Callable[[TreeView, AnyNode], Iterator[Diagnostic]]
"""A check on one node of a tree."""


def check_tree(tree: Tree, library: Mapping[str, Tree] | None = None) -> list[Diagnostic]:
    """Every graph error and lint warning for one tree: the findings of :data:`RULES`, in order.

    ``library`` (tree id to tree) is used to resolve procedure calls; without it, calls are not checked.
    """
    view = TreeView(tree, library)
    return [d for rule in RULES for d in rule(view)]


# -- rules on the whole tree ---------------------------------------------------------------------


def duplicate_id(t: TreeView) -> Iterator[Diagnostic]:
    """Node ids are unique within a tree; each repeat names the node that used the id first."""
    for i, node in enumerate(t.tree.nodes):
        first = t.index[node.id]
        if first != i:
            yield _err(
                "duplicate-id",
                f"duplicate id {node.id!r}; node #{first + 1} already uses it",
                ("nodes", i, "id"),
                "node ids must be unique within a tree",
            )


def missing_start(t: TreeView) -> Iterator[Diagnostic]:
    """The ``start`` node exists."""
    start = t.tree.start
    if start not in t.ids:
        yield _err(
            "missing-start",
            f"start node {start!r} does not exist",
            ("start",),
            did_you_mean(start, t.ids) or "set `start` to the id of the first step",
        )


def dangling_link(t: TreeView) -> Iterator[Diagnostic]:
    """Every link goes to a node that exists."""
    for node in t.ids.values():
        for label, target, where in node.links():
            if target not in t.ids:
                yield _err(
                    "dangling-link",
                    f"{label} goes to {target!r}, which does not exist",
                    t.loc(node.id, *where),
                    did_you_mean(target, t.ids) or "link to an existing node id",
                )


def unreachable(t: TreeView) -> Iterator[Diagnostic]:
    """Every node can be reached from the start (checked only when the start exists)."""
    start = t.tree.start
    if start not in t.ids:
        return
    reached = reaching(t.graph, [start], forward=True)
    for node_id in t.ids:
        if node_id not in reached:
            yield _err(
                "unreachable",
                f"is unreachable from the start node {start!r}",
                t.loc(node_id),
                "link to it from another node, or remove it",
            )


def no_exit(t: TreeView) -> Iterator[Diagnostic]:
    """Every node can reach an outcome (or a return): a loop with no way out is named, else the stuck node."""
    g = t.graph
    stuck = set(t.ids) - reaching(g, terminal_ids(t.tree))
    sub = g.subgraph(stuck)
    for comp in nx.strongly_connected_components(sub):
        first = next(n.id for n in t.tree.nodes if n.id in comp)
        if len(comp) > 1 or g.has_edge(first, first):
            yield _err(
                "loop-no-exit",
                f"loop with no way out: {_cycle_path(sub.subgraph(comp), first, t.tree)}",
                t.loc(first),
                "give one of these nodes a link that leads to an outcome",
            )
        else:
            yield _err(
                "no-outcome",
                "no outcome can be reached from this node",
                t.loc(first),
                "every path must end in an outcome" + (" or a return" if t.tree.procedure else ""),
            )


def _cycle_path(loop: nx.DiGraph, first: str, tree: Tree) -> str:
    """The loop as ``a -> b -> a``, starting at ``first``."""
    try:
        cycle = [u for u, _ in nx.find_cycle(loop, first)]
    except nx.NetworkXNoCycle:  # pragma: no cover - the component is a cycle by construction
        cycle = [n.id for n in tree.nodes if n.id in loop]
    return " -> ".join([*cycle, cycle[0]])


def no_outcomes(t: TreeView) -> Iterator[Diagnostic]:
    """A tree (not a procedure) has at least one outcome node."""
    if not t.tree.procedure and not any(isinstance(n, OutcomeTypes) for n in t.ids.values()):
        yield _err(
            "no-outcomes", "the tree has no outcome node", ("nodes",), "add at least one `kind: outcome`"
        )


def node_rules(t: TreeView) -> Iterator[Diagnostic]:
    """Runs every rule of :data:`NODE_RULES` on each node in turn, so a node's findings stay together."""
    for node in t.ids.values():
        for rule in NODE_RULES:
            yield from rule(t, node)


# -- rules on each node --------------------------------------------------------------------------


def return_outside_procedure(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """A ``return`` node only appears in a procedure."""
    if isinstance(node, ReturnNode) and not t.tree.procedure:
        yield _err(
            "return-outside-procedure",
            "a `return` node is only allowed in a procedure",
            t.loc(node.id, "kind"),
            "set `procedure: true` on the tree, or use an outcome",
        )


def rule_conditions(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """A logic node's conditions parse (``bad-condition``) and read only known facts (``unknown-fact``)."""
    if not isinstance(node, LogicNode):
        return
    for i, rule in enumerate(node.rules):
        where = t.loc(node.id, "rules", i, "when")
        try:
            cond = parse_condition(rule.when)
        except ConditionError as exc:
            yield _err(
                "bad-condition",
                f"rule {i + 1}: {exc.reason} at column {exc.column} of {_excerpt(exc.source)}",
                where,
            )
            continue
        for fact in sorted(cond.facts - t.known):
            yield _err(
                "unknown-fact",
                f"rule {i + 1} reads fact {fact!r}, which no node collects and the tree does not declare",
                where,
                did_you_mean(fact, t.known) or "collect it first, or declare it under `facts:`",
            )


def _excerpt(source: str, keep: int = 40) -> str:
    """``source`` quoted, or its start and its length if longer than ``keep``: one line, however long it is."""
    if len(source) <= keep:
        return repr(source)
    return f"{source[:keep]!r}... ({len(source):,} characters)"


def fix_group(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """A fix group names actions and questions of this tree, stops at the right outcomes, and plans."""
    if isinstance(node, FixGroupNode):
        yield from _check_group(t, node)


def _check_group(t: TreeView, group: FixGroupNode) -> list[Diagnostic]:
    """A fix group's members must be actions and questions of this tree, its stops the right outcomes.

    Only a group that names the right nodes is built as a planning problem (``group-model``).
    """
    out = [
        *_group_actions(t, group),
        *_group_questions(t, group),
        *_group_stops(t, group),
    ]
    if not out:
        hint = "check the tree's `faults` and the actions' `fixes`"
        out = [
            _err("group-model", issue, t.loc(group.id), hint) for issue in group_problem_issues(t.tree, group)
        ]
    return out


def _group_actions(t: TreeView, group: FixGroupNode) -> Iterator[Diagnostic]:
    """The group's ``actions`` are action nodes (a missing one is a dangling link, reported as such)."""
    for i, action_id in enumerate(group.actions):
        member = t.ids.get(action_id)
        if member is not None and not isinstance(member, ActionNode):
            yield _err(
                "group-member",
                f"`actions` names {action_id!r}, which is a {member.kind}, not an action",
                t.loc(group.id, "actions", i),
            )


def _group_questions(t: TreeView, group: FixGroupNode) -> Iterator[Diagnostic]:
    """The group's ``questions`` are question nodes, and their likelihoods name only their answers."""
    for i, gq in enumerate(group.questions):
        member = t.ids.get(gq.node)
        if member is None:
            continue
        if not isinstance(member, QuestionNode):
            yield _err(
                "group-member",
                f"`questions` names {gq.node!r}, which is a {member.kind}, not a question",
                t.loc(group.id, "questions", i, "node"),
            )
            continue
        values = {o.value for o in member.options}
        for answer in gq.likelihoods:
            if answer not in values:
                yield _err(
                    "group-answer",
                    f"likelihoods for {gq.node!r} name answer {answer!r}, which is not one of its options",
                    t.loc(group.id, "questions", i, "likelihoods", answer),
                    did_you_mean(answer, values) or f"options: {', '.join(sorted(values))}",
                )


def _group_stops(t: TreeView, group: FixGroupNode) -> Iterator[Diagnostic]:
    """The group's ``escalate`` and ``visit`` stops go to outcomes of that kind."""
    for kind, stop, article in (("escalate", group.escalate, "an"), ("visit", group.visit, "a")):
        if stop is None:
            continue
        target = t.ids.get(stop.node)
        if target is not None and getattr(target, "outcome", None) != kind:
            yield _err(
                "group-stop",
                f"`{kind}` goes to {stop.node!r}, which is not {article} {kind} outcome",
                t.loc(group.id, kind, "node"),
            )


def one_option(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """Warns about a question with only one option."""
    if isinstance(node, QuestionNode) and len(node.options) == 1:
        yield _warn(
            "one-option", "question has only one option", t.loc(node.id), "add options, or make it an action"
        )


def no_minutes(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """Warns about an action that does not say how long it takes."""
    if isinstance(node, ActionNode) and node.minutes is None:
        yield _warn("no-minutes", "action has no `minutes`", t.loc(node.id), "say how long it usually takes")


def unknown_fault(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """Warns when an action's ``fixes`` names a fault the tree's ``faults`` do not list (if it lists any)."""
    if not isinstance(node, ActionNode) or not t.fault_ids:
        return
    for fault in node.fixes:
        if fault not in t.fault_ids:
            yield _warn(
                "unknown-fault",
                f"`fixes` names fault {fault!r}, which is not under the tree's `faults`",
                t.loc(node.id, "fixes", fault),
                did_you_mean(fault, t.fault_ids),
            )


def no_reason(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """Warns about an outcome that does not say why the session ends there."""
    if isinstance(node, OutcomeTypes) and node.reason is None:
        yield _warn("no-reason", "outcome has no `reason`", t.loc(node.id), "say why the session ends here")


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
            yield _warn(
                "missing-translation",
                f"`{field_name}` has no {', '.join(repr(m) for m in missing)} translation",
                t.loc(node.id, *field_name.split(".")[:1]),
                f"the tree declares locales {locales}",
            )


def _texts(node: AnyNode) -> Iterable[tuple[str, Text | None]]:
    """Every text of a node an author may translate, as (field path, text)."""
    yield "text", node.text
    yield "customer_text", node.customer_text
    yield "hint", node.hint
    if isinstance(node, QuestionNode):
        for i, opt in enumerate(node.options):
            yield f"options.{i}.label", opt.label
    if isinstance(node, ActionNode):
        yield "check", node.check
    if isinstance(node, CollectNode):
        for choice, label in node.choice_labels.items():
            yield f"choice_labels.{choice}", label
    if isinstance(node, OutcomeTypes):
        yield "reason", node.reason
        yield "next_action", node.next_action


NODE_RULES: tuple[NodeRule, ...] = (
    return_outside_procedure,
    rule_conditions,
    fix_group,
    one_option,
    no_minutes,
    unknown_fault,
    no_reason,
    missing_translation,
)
"""The checks run on each node, in this order."""


# -- rules on the whole tree, after its nodes -------------------------------------------------------


def priors_sum(t: TreeView) -> Iterator[Diagnostic]:
    """Warns when the fault priors do not add up to 1 (within 0.01)."""
    if not t.fault_ids:
        return
    total = sum(f.prior for f in t.tree.faults)
    if abs(total - 1.0) > 0.01:
        yield _warn(
            "priors-sum", f"fault priors add up to {total:.2f}, not 1", ("faults",), "make them sum to 1"
        )


def no_return(t: TreeView) -> Iterator[Diagnostic]:
    """Warns about a procedure with no ``return`` node: its callers would never continue."""
    if t.tree.procedure and not any(isinstance(n, ReturnNode) for n in t.ids.values()):
        yield _warn("no-return", "procedure has no `return` node, so callers never continue", ("nodes",))


def untested_outcome(t: TreeView) -> Iterator[Diagnostic]:
    """Warns, when a tree has scenarios, about each outcome no scenario expects."""
    if not t.tree.scenarios:
        return
    expected = {s.expect for s in t.tree.scenarios if s.expect}
    for node in t.ids.values():
        if isinstance(node, OutcomeTypes) and node.id not in expected:
            yield _warn(
                "untested-outcome",
                "no scenario test reaches this outcome",
                t.loc(node.id),
                "add a scenario with `expect: " + node.id + "`",
            )


def scenario_target(t: TreeView) -> Iterator[Diagnostic]:
    """A scenario expects a node of this tree (checked alone; in a library the scenario run says it)."""
    if t.library is not None:
        return
    for i, sc in enumerate(t.tree.scenarios):
        if sc.expect and sc.expect not in t.ids:
            yield _err(
                "scenario-target",
                f"scenario {sc.name!r} expects {sc.expect!r}, which is not a node of this tree",
                ("scenarios", i, "expect"),
                did_you_mean(sc.expect, t.ids),
            )


def procedure_calls(t: TreeView) -> Iterator[Diagnostic]:
    """With a library: calls go to existing procedures, without cycles (see :func:`check_calls`)."""
    if t.library is not None:
        yield from check_calls(t.tree, t.library)


RULES: tuple[Rule, ...] = (
    duplicate_id,
    missing_start,
    dangling_link,
    unreachable,
    no_exit,
    no_outcomes,
    node_rules,
    priors_sum,
    no_return,
    untested_outcome,
    scenario_target,
    procedure_calls,
)
"""Every check on a tree, in the order their findings are listed."""


# -- calls between trees --------------------------------------------------------------------------


def check_calls(tree: Tree, library: Mapping[str, Tree]) -> list[Diagnostic]:
    """Calls to missing trees, calls that would recurse, and return statuses nobody sends."""
    out: list[Diagnostic] = []
    index = {n.id: i for i, n in enumerate(tree.nodes)}
    g = call_graph(library) if tree.id in library else None
    for node in tree.by_id.values():
        if not isinstance(node, CallNode):
            continue
        where = ("nodes", index[node.id], "procedure")
        target = library.get(node.procedure)
        if target is None:
            hint = did_you_mean(node.procedure, library) or "name the id of a tree in the library"
            out.append(
                _err(
                    "missing-procedure", f"calls {node.procedure!r}, which is not in the library", where, hint
                )
            )
            continue
        if g is not None and (node.procedure == tree.id or nx.has_path(g, node.procedure, tree.id)):
            path = nx.shortest_path(g, node.procedure, tree.id) if node.procedure != tree.id else [tree.id]
            chain = " -> ".join([tree.id, *path]) if node.procedure != tree.id else f"{tree.id} -> {tree.id}"
            out.append(
                _err(
                    "call-cycle",
                    f"calls form a cycle: {chain}",
                    where,
                    "a procedure must not call back its caller",
                )
            )
        statuses = {n.status for n in target.by_id.values() if isinstance(n, ReturnNode)}
        for status in node.on_return:
            if status not in statuses:
                out.append(
                    _warn(
                        "unknown-status",
                        f"`on_return` handles status {status!r}, which {node.procedure!r} never returns",
                        ("nodes", index[node.id], "on_return", status),
                        did_you_mean(status, statuses),
                    )
                )
    return out
