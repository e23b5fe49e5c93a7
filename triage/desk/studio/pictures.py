"""The studio's picture of a tree: Graphviz DOT of the whole tree, or of the neighbourhood of a node."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import networkx as nx

from triage.trees import dot
from triage.trees.export import NODE_SHAPES, OUTCOME_COLOURS, link_label, node_label
from triage.trees.graph import build_graph
from triage.trees.model import AnyNode, Tree

__all__ = ["GRAPH_LIMIT", "graph_nodes", "neighbourhood", "tree_dot"]

GRAPH_LIMIT = 60
"""Trees with more nodes than this are drawn as the neighbourhood of the selected node."""


def neighbourhood(tree: Tree, node_id: str, hops: int = 2) -> set[str]:
    """Node ids within ``hops`` links of ``node_id``, following links either way."""
    g = build_graph(tree)
    if node_id not in g:
        return set()
    return set(nx.ego_graph(g, node_id, radius=hops, undirected=True).nodes)


def graph_nodes(tree: Tree, selected: str | None = None, limit: int = GRAPH_LIMIT, hops: int = 2) -> set[str]:
    """The nodes to draw: all of a small tree, or the neighbourhood of the selected node (else the start)."""
    ids = tree.by_id
    if len(ids) <= limit:
        return set(ids)
    centre = selected if selected in ids else tree.start
    return neighbourhood(tree, centre, hops) or {centre}


def tree_dot(
    tree: Tree,
    selected: str | None = None,
    flagged: Mapping[str, int] | Iterable[str] = (),
    locale: str = "en",
    limit: int = GRAPH_LIMIT,
    hops: int = 2,
) -> str:
    """Graphviz DOT of a tree (or, above ``limit`` nodes, the ``hops`` neighbourhood of ``selected``).

    Outcomes are filled in their kind's colour, the selected node has a thick red border, flagged nodes
    carry ⚑ and their count, links to missing nodes end in a dashed red "missing" box, and nodes with
    links to nodes not drawn say how many.
    """
    flags = dict(flagged) if isinstance(flagged, Mapping) else dict.fromkeys(flagged, 1)
    shown = graph_nodes(tree, selected, limit, hops)
    drawn = [n for n in tree.nodes if n.id in shown]
    statements = [dot.node(n.id, _look(tree, n, shown, selected, flags.get(n.id), locale)) for n in drawn]
    missing = {target for n in drawn for _, target, _ in n.links() if target not in tree.by_id}
    statements += [
        dot.node(target, {"label": f"{target}\n(missing)", **_MISSING}) for target in sorted(missing)
    ]
    statements += [
        dot.edge(n.id, target, {"label": link_label(label)})
        for n in drawn
        for label, target, _ in n.links()
        if target in shown or target not in tree.by_id
    ]
    return dot.digraph(tree.id, statements)


_MISSING = {"shape": "box", "style": "dashed", "color": "#d50000", "fontcolor": "#d50000"}
"""How a link's missing target is drawn (its label comes first)."""


def _hidden_links(tree: Tree, node: AnyNode, shown: set[str]) -> int:
    """How many links join ``node`` to existing nodes that are not drawn, either way."""
    ids = tree.by_id
    going = sum(1 for _, target, _ in node.links() if target in ids and target not in shown)
    coming = sum(1 for src in ids.values() if src.id not in shown for _, t, _ in src.links() if t == node.id)
    return going + coming


def _look(
    tree: Tree, node: AnyNode, shown: set[str], selected: str | None, flags: int | None, locale: str
) -> dict[str, str]:
    """A node's DOT attributes: shape and colour by kind, the start thicker, flags, hidden links and the selection."""
    label = f"{node.id}\n{node_label(node, locale, 36)}"
    attrs: dict[str, str] = {"shape": NODE_SHAPES.get(node.kind, "box")}
    styles: list[str] = []
    if node.kind == "outcome":
        colour = OUTCOME_COLOURS[str(getattr(node, "outcome", "resolved"))]
        attrs.update(shape="ellipse", fillcolor=colour, fontcolor="white")
        styles.append("filled")
    if node.id == tree.start:
        attrs["penwidth"] = "2"
    if flags is not None:
        label = f"⚑ {flags} · {label}"
        attrs["color"] = "#b71c1c"
        styles.append("dashed")
    hidden = _hidden_links(tree, node, shown)
    if hidden:
        label += f"\n(+{hidden} links not shown)"
    if node.id == selected:
        attrs.update(color="#d50000", penwidth="4")
        styles.append("bold")
    if styles:
        attrs["style"] = ",".join(styles)
    attrs["label"] = label
    return attrs
