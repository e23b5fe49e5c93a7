"""The checks on a tree: what a schema cannot see, one function per rule.

Errors: links to missing nodes, nodes nobody reaches (those a wrong link cuts off, as one finding naming
the link), nodes from which no outcome can be reached, loops with no way out, conditions reading unknown
facts or counting visits to unknown nodes, repeats over unknown facts, fix groups naming the wrong nodes,
pictures that are missing or not what they say, calls to missing procedures, call cycles between trees and
hand-overs to trees that are not there. Warnings: lint an author should look at (no minutes, no reason,
missing translations, untested outcomes, a repeat's body that never comes back, unknown remote systems,
...). A repeat's rounds and a wait's "not yet" loop by design: only a loop with no way out is an error.

:func:`check_tree` runs :data:`RULES` in order; :func:`node_rules`, one of them, runs
:data:`NODE_RULES` on each node in turn. Each rule is named after what it finds and yields
:class:`~triage.errors.Diagnostic` objects located by their place in the tree's data
(``("nodes", 4, "options", 1, "next")``); the loader turns that into a line number.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

import networkx as nx

from triage.errors import ConditionError, Diagnostic, did_you_mean
from triage.trees.conditions import parse as parse_condition
from triage.trees.fix_groups import group_problem_issues
from triage.trees.graph import call_graph, reaching, terminal_ids
from triage.trees.lint import (
    caution_and_safety,
    missing_translation,
    no_minutes,
    no_reason,
    one_option,
    unknown_fault,
    unknown_system,
)
from triage.trees.model import (
    ActionNode,
    AnyNode,
    CallNode,
    FixGroupNode,
    HandoverOutcome,
    LogicNode,
    OutcomeTypes,
    QuestionNode,
    RepeatNode,
    ReturnNode,
    Tree,
)
from triage.trees.treeview import KNOWN_SYSTEMS, NodeRule, Rule, TreeView, err, warn

__all__ = [
    "KNOWN_SYSTEMS",
    "NODE_RULES",
    "RULES",
    "NodeRule",
    "Rule",
    "TreeView",
    "check_calls",
    "check_tree",
]


def check_tree(
    tree: Tree,
    library: Mapping[str, Tree] | None = None,
    *,
    media_folder: Path | None = None,
    systems: Collection[str] | None = KNOWN_SYSTEMS,
) -> list[Diagnostic]:
    """Every graph error and lint warning for one tree: the findings of :data:`RULES`, in order.

    ``library`` (tree id to tree) is used to resolve procedure calls and hand-overs; without it, they are not
    checked. ``media_folder`` is the tree's ``media/`` folder (see :func:`~triage.trees.media.find_media_folder`);
    without it, pictures are checked as written but their files are not looked at. ``systems`` names the remote
    checks and actions the provider has (default :data:`KNOWN_SYSTEMS`; ``None`` checks no names).
    """
    view = TreeView(tree, library, media_folder, systems)
    return [d for rule in RULES for d in rule(view)]


# -- rules on the whole tree ---------------------------------------------------------------------


def duplicate_id(t: TreeView) -> Iterator[Diagnostic]:
    """Node ids are unique within a tree; each repeat names the node that used the id first."""
    for i, node in enumerate(t.tree.nodes):
        first = t.index[node.id]
        if first != i:
            yield err(
                "duplicate-id",
                f"duplicate id {node.id!r}; node #{first + 1} already uses it",
                ("nodes", i, "id"),
                "node ids must be unique within a tree",
            )


def missing_start(t: TreeView) -> Iterator[Diagnostic]:
    """The ``start`` node exists."""
    start = t.tree.start
    if start not in t.ids:
        yield err(
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
                yield err(
                    "dangling-link",
                    f"{label} goes to {target!r}, which does not exist",
                    t.loc(node.id, *where),
                    did_you_mean(target, t.ids) or "link to an existing node id",
                )


def unreachable(t: TreeView) -> Iterator[Diagnostic]:
    """Every node can be reached from the start (checked only when the start exists).

    Nodes cut off by a wrong link (one that goes to a missing id close to theirs) are one finding that names
    the link, on the first of them; any other unreachable node is a finding of its own.
    """
    start = t.tree.start
    if start not in t.ids:
        return
    reached = reaching(t.graph, [start], forward=True)
    cut_off = [n for n in t.ids if n not in reached]
    explained: set[str] = set()
    for cause, head in _wrong_links(t, reached, set(cut_off)):
        if head in explained:
            continue
        behind = reaching(t.graph, [head], forward=True) - reached - explained
        explained |= behind
        yield _cascade(t, cause, [head, *(n for n in cut_off if n in behind and n != head)])
    for node_id in cut_off:
        if node_id not in explained:
            yield err(
                "unreachable",
                f"is unreachable from the start node {start!r}",
                t.loc(node_id),
                "link to it from another node, or remove it",
            )


_LISTED = 10
"""Nodes a cascade of unreachable nodes names before it says how many more."""


def _wrong_links(t: TreeView, reached: set[str], cut_off: set[str]) -> Iterator[tuple[str, str]]:
    """Each link from a reached node to a missing id that is close to an unreachable node's id: its words, and
    that node (the one the link was meant for)."""
    if not cut_off:
        return
    for node in t.ids.values():
        if node.id not in reached:
            continue
        for label, target, _ in node.links():
            if target in t.ids:
                continue
            close = difflib.get_close_matches(target, cut_off, n=1, cutoff=0.6)
            if close:
                yield f"{label} of node {node.id!r} goes to {target!r}, which does not exist", close[0]


def _cascade(t: TreeView, cause: str, nodes: list[str]) -> Diagnostic:
    """One finding for the nodes a wrong link cuts off, on the first of them (the one it was meant for)."""
    if len(nodes) == 1:
        message = f"is unreachable because {cause}"
    else:
        shown = ", ".join(nodes[:_LISTED]) + (
            f" and {len(nodes) - _LISTED} more" if len(nodes) > _LISTED else ""
        )
        message = f"{len(nodes)} nodes are unreachable because {cause}: {shown}"
    return err("unreachable-cascade", message, t.loc(nodes[0]), "first fix that link")


def no_exit(t: TreeView) -> Iterator[Diagnostic]:
    """Every node can reach an outcome (or a return): a loop with no way out is named, else the stuck node."""
    g = t.graph
    stuck = set(t.ids) - reaching(g, terminal_ids(t.tree))
    sub = g.subgraph(stuck)
    for comp in nx.strongly_connected_components(sub):
        first = next(n.id for n in t.tree.nodes if n.id in comp)
        if len(comp) > 1 or g.has_edge(first, first):
            yield err(
                "loop-no-exit",
                f"loop with no way out: {_cycle_path(sub.subgraph(comp), first, t.tree)}",
                t.loc(first),
                "give one of these nodes a link that leads to an outcome",
            )
        else:
            yield err(
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
        yield err(
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
        yield err(
            "return-outside-procedure",
            "a `return` node is only allowed in a procedure",
            t.loc(node.id, "kind"),
            "set `procedure: true` on the tree, or use an outcome",
        )


def rule_conditions(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """A logic node's rules and a repeat's ``until`` parse (``bad-condition``), read only known facts
    (``unknown-fact``) and count visits to nodes of this tree (``unknown-node``)."""
    for label, source, where in _conditions(node):
        loc = t.loc(node.id, *where)
        try:
            cond = parse_condition(source)
        except ConditionError as exc:
            yield err(
                "bad-condition",
                f"{label}: {exc.reason} at column {exc.column} of {_excerpt(exc.source)}",
                loc,
            )
            continue
        for fact in sorted(cond.facts - t.known):
            yield err(
                "unknown-fact",
                f"{label} reads fact {fact!r}, which no node collects and the tree does not declare",
                loc,
                did_you_mean(fact, t.known) or "collect it first, or declare it under `facts:`",
            )
        for node_id in sorted(cond.nodes - t.ids.keys()):
            yield err(
                "unknown-node",
                f"{label} counts visits to {node_id!r}, which is not a node of this tree",
                loc,
                did_you_mean(node_id, t.ids) or "name the id of a node of this tree in visits('...')",
            )


def _conditions(node: AnyNode) -> Iterator[tuple[str, str, tuple[str | int, ...]]]:
    """Every condition of a node: how a message names it, its source, and where it is written."""
    if isinstance(node, LogicNode):
        for i, rule in enumerate(node.rules):
            yield f"rule {i + 1}", rule.when, ("rules", i, "when")
    if isinstance(node, RepeatNode) and node.until is not None:
        yield "`until`", node.until, ("until",)


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
            err("group-model", issue, t.loc(group.id), hint) for issue in group_problem_issues(t.tree, group)
        ]
    return out


def _group_actions(t: TreeView, group: FixGroupNode) -> Iterator[Diagnostic]:
    """The group's ``actions`` are action nodes (a missing one is a dangling link, reported as such)."""
    for i, action_id in enumerate(group.actions):
        member = t.ids.get(action_id)
        if member is not None and not isinstance(member, ActionNode):
            yield err(
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
            yield err(
                "group-member",
                f"`questions` names {gq.node!r}, which is a {member.kind}, not a question",
                t.loc(group.id, "questions", i, "node"),
            )
            continue
        values = {o.value for o in member.options}
        for answer in gq.likelihoods:
            if answer not in values:
                yield err(
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
            yield err(
                "group-stop",
                f"`{kind}` goes to {stop.node!r}, which is not {article} {kind} outcome",
                t.loc(group.id, kind, "node"),
            )


def repeat_rounds(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """A repeat goes over a known fact (``unknown-fact``); warns when its body never leads back to it."""
    if not isinstance(node, RepeatNode):
        return
    if node.over is not None and node.over not in t.known:
        yield err(
            "unknown-fact",
            f"`over` reads fact {node.over!r}, which no node collects and the tree does not declare",
            t.loc(node.id, "over"),
            did_you_mean(node.over, t.known)
            or "collect it first (a `multi` collect), or declare it under `facts:`",
        )
    if node.body in t.ids and not nx.has_path(t.graph, node.body, node.id):
        yield warn(
            "repeat-no-return",
            f"the body of repeat {node.id!r} never returns to it",
            t.loc(node.id, "body"),
            f"link the last step of a round back to {node.id!r}; as it is, it runs one round at most",
        )


def handover_target(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """With a library: a hand-over goes to another tree of the library that is not a procedure."""
    if not isinstance(node, HandoverOutcome) or t.library is None:
        return
    where = t.loc(node.id, "tree")
    target = t.library.get(node.tree)
    if node.tree == t.tree.id:
        yield err(
            "handover-self",
            "hands over to its own tree",
            where,
            "name another tree, or link to a step of this one",
        )
    elif target is None:
        trees = [tid for tid, tree in t.library.items() if not tree.procedure]
        hint = did_you_mean(node.tree, trees) or "name the id of a tree in the library"
        yield err("missing-tree", f"hands over to {node.tree!r}, which is not in the library", where, hint)
    elif target.procedure:
        yield err(
            "handover-procedure",
            f"hands over to {node.tree!r}, which is a procedure",
            where,
            "hand over to a tree that is not a procedure; run a procedure with `kind: call`",
        )


def media_images(t: TreeView, node: AnyNode) -> Iterator[Diagnostic]:
    """A picture is a file inside the tree's ``media/`` folder of a type triage shows (and its bytes say so),
    within ``limits().media_bytes``, or an ``https`` address on an allowed host."""
    for i, item in enumerate(node.media):
        problem = t.image_problem(item.image) if item.image is not None else None
        if problem is not None:
            yield err("bad-image", problem[0], t.loc(node.id, "media", i, "image"), problem[1])


NODE_RULES: tuple[NodeRule, ...] = (
    return_outside_procedure,
    rule_conditions,
    repeat_rounds,
    handover_target,
    unknown_system,
    media_images,
    fix_group,
    one_option,
    no_minutes,
    unknown_fault,
    no_reason,
    caution_and_safety,
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
        yield warn(
            "priors-sum", f"fault priors add up to {total:.2f}, not 1", ("faults",), "make them sum to 1"
        )


def no_return(t: TreeView) -> Iterator[Diagnostic]:
    """Warns about a procedure with no ``return`` node: its callers would never continue."""
    if t.tree.procedure and not any(isinstance(n, ReturnNode) for n in t.ids.values()):
        yield warn("no-return", "procedure has no `return` node, so callers never continue", ("nodes",))


def untested_outcome(t: TreeView) -> Iterator[Diagnostic]:
    """Warns, when a tree has scenarios, about each outcome no scenario expects."""
    if not t.tree.scenarios:
        return
    expected = {s.expect for s in t.tree.scenarios if s.expect}
    for node in t.ids.values():
        if isinstance(node, OutcomeTypes) and node.id not in expected:
            yield warn(
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
            yield err(
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
                err(
                    "missing-procedure", f"calls {node.procedure!r}, which is not in the library", where, hint
                )
            )
            continue
        if g is not None and (node.procedure == tree.id or nx.has_path(g, node.procedure, tree.id)):
            path = nx.shortest_path(g, node.procedure, tree.id) if node.procedure != tree.id else [tree.id]
            chain = " -> ".join([tree.id, *path]) if node.procedure != tree.id else f"{tree.id} -> {tree.id}"
            out.append(
                err(
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
                    warn(
                        "unknown-status",
                        f"`on_return` handles status {status!r}, which {node.procedure!r} never returns",
                        ("nodes", index[node.id], "on_return", status),
                        did_you_mean(status, statuses),
                    )
                )
    return out
