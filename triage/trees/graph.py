"""A tree as a directed graph (networkx): one vertex per node, one edge per link.

What the checks, the engine and the pictures ask of that graph: which nodes end a walk, how far each
node is from an end, which nodes reach (or are reached from) others, which facts a tree may read, which
tree calls which, and a depth-first outline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from triage.trees.model import (
    BUILTIN_FACTS,
    AnyNode,
    CallNode,
    CheckNode,
    CollectNode,
    OutcomeTypes,
    QuestionNode,
    RepeatNode,
    ReturnNode,
    Tree,
)

__all__ = [
    "build_graph",
    "call_graph",
    "distances_to_end",
    "facts_known",
    "facts_set",
    "outline",
    "reaching",
    "terminal_ids",
]


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
    """Nodes that end a walk: outcomes of every kind (a handover ends this walk too), and returns.

    A repeat is no end: its body leads back to it by design, and its ``next`` leads on once the rounds are over,
    so the distance from a round's steps to an end runs through the repeat and its ``next``.
    """
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
    """Facts a tree's conditions may read: declared, built in, and set here or in called procedures.

    A fact is set by a collect node (a ``multi`` one holds a list), a question or a remote check with ``fact``,
    and by a repeat (its ``item`` and ``counter``).
    """
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
            known.update(facts_set(n))
            if isinstance(n, CallNode) and library is not None and n.procedure in library:
                stack.append(library[n.procedure])
    return known


def facts_set(node: AnyNode) -> tuple[str, ...]:
    """The facts reaching ``node`` sets: what a collect, question or check stores; a repeat's item and counter."""
    if isinstance(node, CollectNode):
        return (node.fact,)
    if isinstance(node, QuestionNode | CheckNode) and node.fact:
        return (node.fact,)
    if isinstance(node, RepeatNode):
        return (node.item, node.counter) if node.over is not None else (node.counter,)
    return ()


def reaching(g: Any, targets: Iterable[str], *, forward: bool = False) -> set[str]:
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


def call_graph(library: Mapping[str, Tree]) -> nx.DiGraph:
    """Which tree calls which: an edge per call node, labelled with the calling node's id."""
    g = nx.DiGraph()
    g.add_nodes_from(library)
    for tree in library.values():
        for node in tree.by_id.values():
            if isinstance(node, CallNode) and node.procedure in library:
                g.add_edge(tree.id, node.procedure, node=node.id)
    return g


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
