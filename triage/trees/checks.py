"""Graph checks on trees, with networkx.

A tree is a directed graph: one vertex per node, one edge per link. These checks find what
a schema cannot see: links to missing nodes, nodes nobody reaches, nodes from which no
outcome can be reached, loops with no way out, conditions reading unknown facts, calls to
missing procedures and call cycles between trees, plus lint an author should look at.

Every finding is a :class:`~triage.errors.Diagnostic` located by its place in the tree's
data (``("nodes", 4, "options", 1, "next")``); the loader turns that into a line number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from triage.errors import ConditionError, Diagnostic, Severity, did_you_mean
from triage.trees.conditions import parse as parse_condition
from triage.trees.fix_groups import group_problem_issues
from triage.trees.model import (
    BUILTIN_FACTS,
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

__all__ = [
    "build_graph",
    "call_graph",
    "check_calls",
    "check_tree",
    "distances_to_end",
    "facts_known",
    "outline",
    "terminal_ids",
]


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


def build_graph(tree: Tree) -> nx.DiGraph:
    """The tree as a DiGraph; edges carry the link ``label``. Links to missing nodes are left out."""
    g = nx.DiGraph()
    ids = tree.by_id
    g.add_nodes_from(ids)
    g.add_edges_from(
        (node.id, target, {"label": label})
        for node in ids.values()
        for label, target, _ in node.links()
        if target in ids
    )
    return g


def terminal_ids(tree: Tree) -> set[str]:
    """Nodes that end a walk: outcomes, and returns in a procedure."""
    return {n.id for n in tree.by_id.values() if isinstance(n, (*OutcomeTypes, ReturnNode))}


_DIST_CACHE: dict[int, tuple[Tree, dict[str, int]]] = {}


def distances_to_end(tree: Tree, graph: nx.DiGraph | None = None) -> dict[str, int]:
    """For every node that can end, the fewest steps to an outcome or return (0 at one).

    Trees are immutable, so the result is cached per tree object (the cache keeps the tree alive, and
    holds at most 512 trees).
    """
    hit = _DIST_CACHE.get(id(tree))
    if hit is not None and hit[0] is tree:
        return hit[1]
    dist = _distances(tree, graph)
    if len(_DIST_CACHE) >= 512:
        _DIST_CACHE.pop(next(iter(_DIST_CACHE)))
    _DIST_CACHE[id(tree)] = (tree, dist)
    return dist


def _distances(tree: Tree, graph: nx.DiGraph | None) -> dict[str, int]:
    g = graph if graph is not None else build_graph(tree)
    rev = g.reverse(copy=False)
    ends = terminal_ids(tree)
    if not ends:
        return {}
    dist: dict[str, int] = nx.multi_source_dijkstra_path_length(rev, ends, weight=lambda u, v, d: 1)
    return dist


def facts_known(tree: Tree, library: Mapping[str, Tree] | None = None) -> set[str]:
    """Facts a tree's conditions may read: declared, collected here or in called procedures, and built in."""
    known = set(BUILTIN_FACTS)
    seen: set[str] = set()
    stack = [tree]
    while stack:
        t = stack.pop()
        if t.id in seen:
            continue
        seen.add(t.id)
        known.update(t.facts)
        for n in t.by_id.values():
            if isinstance(n, CollectNode | QuestionNode) and n.fact:
                known.add(n.fact)
            if isinstance(n, CallNode) and library is not None and n.procedure in library:
                stack.append(library[n.procedure])
    return known


def _texts(node: AnyNode) -> Iterable[tuple[str, Text | None]]:
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


def _reaching(g: Any, targets: Iterable[str], *, forward: bool = False) -> set[str]:
    """Every node with a path to one of ``targets`` (``forward``: reached from one), targets included.

    One search from all of them at once: one ``nx.ancestors`` per outcome would walk the graph once per
    outcome, quadratic on a large tree.
    """
    links = g.succ if forward else g.pred  # the adjacency dicts themselves: no per-node iterator objects
    seen = {t for t in targets if t in g}
    frontier = list(seen)
    while frontier:
        for p in links[frontier.pop()]:
            if p not in seen:
                seen.add(p)
                frontier.append(p)
    return seen


def check_tree(tree: Tree, library: Mapping[str, Tree] | None = None) -> list[Diagnostic]:
    """Every graph error and lint warning for one tree.

    ``library`` (tree id to tree) is used to resolve procedure calls; without it, calls are not checked.
    """
    out: list[Diagnostic] = []
    index: dict[str, int] = {}
    for i, node in enumerate(tree.nodes):
        if node.id in index:
            first = index[node.id]
            out.append(
                _err(
                    "duplicate-id",
                    f"duplicate id {node.id!r}; node #{first + 1} already uses it",
                    ("nodes", i, "id"),
                    "node ids must be unique within a tree",
                )
            )
        else:
            index[node.id] = i
    ids = tree.by_id

    def loc(node_id: str, *rest: str | int) -> tuple[str | int, ...]:
        return ("nodes", index[node_id], *rest)

    if tree.start not in ids:
        out.append(
            _err(
                "missing-start",
                f"start node {tree.start!r} does not exist",
                ("start",),
                did_you_mean(tree.start, ids) or "set `start` to the id of the first step",
            )
        )

    for node in ids.values():
        for label, target, where in node.links():
            if target not in ids:
                hint = did_you_mean(target, ids) or "link to an existing node id"
                out.append(
                    _err(
                        "dangling-link",
                        f"{label} goes to {target!r}, which does not exist",
                        loc(node.id, *where),
                        hint,
                    )
                )

    g = build_graph(tree)
    ends = terminal_ids(tree)

    # reachability from the start
    if tree.start in ids:
        reached = _reaching(g, [tree.start], forward=True)
        for node_id in ids:
            if node_id not in reached:
                out.append(
                    _err(
                        "unreachable",
                        f"is unreachable from the start node {tree.start!r}",
                        loc(node_id),
                        "link to it from another node, or remove it",
                    )
                )

    # every node must be able to end
    can_end = _reaching(g, ends)
    stuck = set(ids) - can_end
    if stuck:
        sub = g.subgraph(stuck)
        for comp in nx.strongly_connected_components(sub):
            members = [n for n in tree.nodes if n.id in comp]
            is_loop = len(comp) > 1 or g.has_edge(members[0].id, members[0].id)
            if is_loop:
                cycle = [n.id for n in members]
                try:
                    cyc = nx.find_cycle(sub.subgraph(comp), members[0].id)
                    cycle = [u for u, _ in cyc]
                except nx.NetworkXNoCycle:  # pragma: no cover - comp is a cycle by construction
                    pass
                path = " -> ".join([*cycle, cycle[0]])
                out.append(
                    _err(
                        "loop-no-exit",
                        f"loop with no way out: {path}",
                        loc(members[0].id),
                        "give one of these nodes a link that leads to an outcome",
                    )
                )
            else:
                out.append(
                    _err(
                        "no-outcome",
                        "no outcome can be reached from this node",
                        loc(members[0].id),
                        "every path must end in an outcome" + (" or a return" if tree.procedure else ""),
                    )
                )

    if not any(isinstance(n, OutcomeTypes) for n in ids.values()) and not tree.procedure:
        out.append(
            _err(
                "no-outcomes", "the tree has no outcome node", ("nodes",), "add at least one `kind: outcome`"
            )
        )

    known = facts_known(tree, library)
    fault_ids = {f.id for f in tree.faults}
    for node in ids.values():
        if isinstance(node, ReturnNode) and not tree.procedure:
            out.append(
                _err(
                    "return-outside-procedure",
                    "a `return` node is only allowed in a procedure",
                    loc(node.id, "kind"),
                    "set `procedure: true` on the tree, or use an outcome",
                )
            )
        if isinstance(node, LogicNode):
            for i, rule in enumerate(node.rules):
                try:
                    cond = parse_condition(rule.when)
                except ConditionError as exc:
                    out.append(
                        _err("bad-condition", f"rule {i + 1}: {exc}", loc(node.id, "rules", i, "when"))
                    )
                    continue
                for fact in sorted(cond.facts - known):
                    hint = did_you_mean(fact, known) or "collect it first, or declare it under `facts:`"
                    out.append(
                        _err(
                            "unknown-fact",
                            f"rule {i + 1} reads fact {fact!r}, which no node collects and the tree does not declare",
                            loc(node.id, "rules", i, "when"),
                            hint,
                        )
                    )
        if isinstance(node, FixGroupNode):
            out.extend(_check_group(tree, node, loc))
        if isinstance(node, QuestionNode) and len(node.options) == 1:
            out.append(
                _warn(
                    "one-option",
                    "question has only one option",
                    loc(node.id),
                    "add options, or make it an action",
                )
            )
        if isinstance(node, ActionNode):
            if node.minutes is None:
                out.append(
                    _warn(
                        "no-minutes", "action has no `minutes`", loc(node.id), "say how long it usually takes"
                    )
                )
            for fault in node.fixes:
                if fault_ids and fault not in fault_ids:
                    out.append(
                        _warn(
                            "unknown-fault",
                            f"`fixes` names fault {fault!r}, which is not under the tree's `faults`",
                            loc(node.id, "fixes", fault),
                            did_you_mean(fault, fault_ids),
                        )
                    )
        if isinstance(node, OutcomeTypes) and node.reason is None:
            out.append(
                _warn("no-reason", "outcome has no `reason`", loc(node.id), "say why the session ends here")
            )
        if len(tree.locales) > 1:
            for field_name, text in _texts(node):
                if text is None or (field_name == "text" and text == ""):
                    continue
                # a plain string counts as the tree's first locale only
                missing = (
                    tree.locales[1:] if isinstance(text, str) else [x for x in tree.locales if x not in text]
                )
                if missing:
                    out.append(
                        _warn(
                            "missing-translation",
                            f"`{field_name}` has no {', '.join(repr(m) for m in missing)} translation",
                            loc(node.id, *field_name.split(".")[:1]),
                            f"the tree declares locales {tree.locales}",
                        )
                    )
    if fault_ids:
        total = sum(f.prior for f in tree.faults)
        if abs(total - 1.0) > 0.01:
            out.append(
                _warn(
                    "priors-sum",
                    f"fault priors add up to {total:.2f}, not 1",
                    ("faults",),
                    "make them sum to 1",
                )
            )

    if tree.procedure and not any(isinstance(n, ReturnNode) for n in ids.values()):
        out.append(
            _warn("no-return", "procedure has no `return` node, so callers never continue", ("nodes",))
        )

    # scenario coverage: every outcome should be reached by some scenario
    expected = {s.expect for s in tree.scenarios if s.expect}
    if tree.scenarios:
        for node in ids.values():
            if isinstance(node, OutcomeTypes) and node.id not in expected:
                out.append(
                    _warn(
                        "untested-outcome",
                        "no scenario test reaches this outcome",
                        loc(node.id),
                        "add a scenario with `expect: " + node.id + "`",
                    )
                )
    for i, sc in enumerate(tree.scenarios):
        if sc.expect and sc.expect not in ids and library is None:
            out.append(
                _err(
                    "scenario-target",
                    f"scenario {sc.name!r} expects {sc.expect!r}, which is not a node of this tree",
                    ("scenarios", i, "expect"),
                    did_you_mean(sc.expect, ids),
                )
            )

    if library is not None:
        out.extend(check_calls(tree, library))
    return out


def _check_group(tree: Tree, group: FixGroupNode, loc: Any) -> list[Diagnostic]:
    """A fix group's members must be actions and questions of this tree, its stops the right outcomes."""
    out: list[Diagnostic] = []
    ids = tree.by_id
    for i, action_id in enumerate(group.actions):
        member = ids.get(action_id)
        if member is not None and not isinstance(member, ActionNode):
            out.append(
                _err(
                    "group-member",
                    f"`actions` names {action_id!r}, which is a {member.kind}, not an action",
                    loc(group.id, "actions", i),
                )
            )
    for i, gq in enumerate(group.questions):
        member = ids.get(gq.node)
        if member is None:
            continue
        if not isinstance(member, QuestionNode):
            out.append(
                _err(
                    "group-member",
                    f"`questions` names {gq.node!r}, which is a {member.kind}, not a question",
                    loc(group.id, "questions", i, "node"),
                )
            )
            continue
        values = {o.value for o in member.options}
        for answer in gq.likelihoods:
            if answer not in values:
                out.append(
                    _err(
                        "group-answer",
                        f"likelihoods for {gq.node!r} name answer {answer!r}, which is not one of its options",
                        loc(group.id, "questions", i, "likelihoods", answer),
                        did_you_mean(answer, values) or f"options: {', '.join(sorted(values))}",
                    )
                )
    for name, stop, kind in (("escalate", group.escalate, "escalate"), ("visit", group.visit, "visit")):
        if stop is None:
            continue
        target = ids.get(stop.node)
        if target is not None and getattr(target, "outcome", None) != kind:
            out.append(
                _err(
                    "group-stop",
                    f"`{name}` goes to {stop.node!r}, which is not {'an escalate' if kind == 'escalate' else 'a visit'} outcome",
                    loc(group.id, name, "node"),
                )
            )
    if not out:
        for issue in group_problem_issues(tree, group):
            out.append(
                _err(
                    "group-model", issue, loc(group.id), "check the tree's `faults` and the actions' `fixes`"
                )
            )
    return out


def call_graph(library: Mapping[str, Tree]) -> nx.DiGraph:
    """Which tree calls which: an edge per call node, labelled with the calling node's id."""
    g = nx.DiGraph()
    g.add_nodes_from(library)
    for tree in library.values():
        for node in tree.by_id.values():
            if isinstance(node, CallNode) and node.procedure in library:
                g.add_edge(tree.id, node.procedure, node=node.id)
    return g


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


def outline(tree: Tree, locale: str = "en") -> list[tuple[int, str, Any]]:
    """A depth-first outline: ``(depth, link label, node)``; a node seen before is listed once more, marked."""
    ids = tree.by_id
    lines: list[tuple[int, str, Any]] = []
    seen: set[str] = set()

    def visit(node_id: str, depth: int, label: str) -> None:
        node = ids.get(node_id)
        if node is None:
            lines.append((depth, label, f"<missing {node_id}>"))
            return
        if node_id in seen:
            lines.append((depth, label, f"-> {node_id} (see above)"))
            return
        seen.add(node_id)
        lines.append((depth, label, node))
        for lab, target, _ in node.links():
            visit(target, depth + 1, lab)

    visit(tree.start, 0, "start")
    return lines
