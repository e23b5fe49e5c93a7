"""Export a tree's graph as Mermaid, Graphviz DOT or JSON (node-link), for docs and other tools.

DOT is written by :mod:`triage.trees.dot`, as the studio's picture is.
"""

from __future__ import annotations

import json

import networkx as nx

from triage.trees import dot
from triage.trees.graph import build_graph
from triage.trees.model import (
    AnyNode,
    CallNode,
    CheckNode,
    HandoverOutcome,
    LogicNode,
    RepeatNode,
    ReturnNode,
    Tree,
    WaitNode,
    localize,
)

__all__ = ["NODE_SHAPES", "OUTCOME_COLOURS", "export_graph", "funnel_dot", "link_label", "node_label"]

OUTCOME_COLOURS = {
    "resolved": "#2e7d32",
    "escalate": "#ef6c00",
    "visit": "#1565c0",
    "ship_part": "#6a1b9a",
    "repair": "#4e342e",
    "diagnosis": "#00838f",
    "handover": "#546e7a",
}
"""The fill colour of each kind of outcome."""
NODE_SHAPES = {
    "question": "diamond",
    "action": "box",
    "instruction": "note",
    "wait": "octagon",
    "check": "component",
    "collect": "parallelogram",
    "logic": "hexagon",
    "repeat": "doublecircle",
}
"""The DOT shape of each kind of node (outcomes are ellipses, anything else a box)."""


def node_label(node: AnyNode, locale: str = "en", width: int = 48) -> str:
    """A short one-line label: the node's text, or what it does."""
    text = " ".join(_what(node, locale).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _what(node: AnyNode, locale: str) -> str:
    """What a node says or does, in one line before shortening."""
    if isinstance(node, CallNode):
        return f"run {node.procedure}"
    if isinstance(node, LogicNode):
        return "route on facts: " + "; ".join(r.when for r in node.rules)
    if isinstance(node, ReturnNode):
        return f"return {node.status}"
    if isinstance(node, RepeatNode):
        rounds = [f"each {node.item} of {node.over}"] if node.over else []
        rounds += [f"at most {node.max}"] if node.max is not None else []
        return localize(node.text, locale) or "repeat " + ", ".join(rounds)
    if isinstance(node, CheckNode):
        return f"{node.system}: {localize(node.text, locale)}"
    if isinstance(node, WaitNode):
        return f"wait {node.seconds} s: {localize(node.check, locale)}"
    if isinstance(node, HandoverOutcome):
        return f"{localize(node.text, locale)} (to {node.tree})"
    return localize(node.text, locale)


def link_label(label: str) -> str:
    """The text drawn on a link: the answer for an option (``option 'Yes'`` -> ``Yes``), else the link's name."""
    return label.removeprefix("option ").strip("'")


def _kind(node: AnyNode) -> str:
    return f"outcome:{node.outcome}" if node.kind == "outcome" else node.kind


_MERMAID_SHAPES = {
    "question": ("{", "}"),
    "outcome": ("([", "])"),
    "logic": ("[[", "]]"),
    "call": ("[[", "]]"),
    "return": ("[[", "]]"),
    "repeat": ("[[", "]]"),
    "wait": ("[/", "/]"),
    "check": ("[/", "/]"),
}
"""A Mermaid node's brackets per kind (anything else a plain box)."""


def _mermaid(tree: Tree, locale: str) -> str:
    def esc(s: str) -> str:
        return s.replace('"', "#quot;")

    lines = ["flowchart TD"]
    for node in tree.nodes:
        label = esc(f"{node.id}: {node_label(node, locale)}")
        opening, closing = _MERMAID_SHAPES.get(node.kind, ("[", "]"))
        lines.append(f'    {_mid(node.id)}{opening}"{label}"{closing}')
    for node in tree.nodes:
        for label, target, _ in node.links():
            text = esc(link_label(label))
            lines.append(f'    {_mid(node.id)} -->|"{text}"| {_mid(target)}')
    for kind, colour in OUTCOME_COLOURS.items():
        ids = [_mid(n.id) for n in tree.nodes if n.kind == "outcome" and getattr(n, "outcome", None) == kind]
        if ids:
            lines.append(f"    classDef {kind} fill:{colour},color:#fff")
            lines.append(f"    class {','.join(ids)} {kind}")
    return "\n".join(lines) + "\n"


def _mid(node_id: str) -> str:
    return "n_" + node_id.replace("-", "_")


def _dot(tree: Tree, locale: str) -> str:
    statements = []
    for n in tree.nodes:
        attrs: dict[str, str] = {
            "label": f"{n.id}\n{node_label(n, locale, 36)}",
            "shape": NODE_SHAPES.get(n.kind, "box"),
        }
        if n.kind == "outcome":
            attrs.update(
                shape="ellipse", style="filled", fillcolor=OUTCOME_COLOURS[n.outcome], fontcolor="white"
            )
        if n.id == tree.start:
            attrs["penwidth"] = "2"
        statements.append(dot.node(n.id, attrs))
    statements += [
        dot.edge(n.id, target, {"label": link_label(label)})
        for n in tree.nodes
        for label, target, _ in n.links()
    ]
    return dot.digraph(tree.id, statements)


def _json(tree: Tree, locale: str) -> str:
    g = build_graph(tree)
    for node in tree.nodes:
        if node.id in g:
            g.nodes[node.id].update(
                kind=_kind(node), label=node_label(node, locale, 200), start=node.id == tree.start
            )
    data = nx.node_link_data(g, edges="links")
    data["graph"] = {"id": tree.id, "title": localize(tree.title, locale), "category": tree.category.value}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def export_graph(tree: Tree, fmt: str, locale: str = "en") -> str:
    """The tree as text in ``fmt``: ``mermaid``, ``dot`` or ``json``."""
    if fmt == "mermaid":
        return _mermaid(tree, locale)
    if fmt == "dot":
        return _dot(tree, locale)
    if fmt == "json":
        return _json(tree, locale)
    raise ValueError(f"unknown export format {fmt!r}; use mermaid, dot or json")


def funnel_dot(tree: Tree, visits: dict[str, int], drop_offs: dict[str, int], locale: str = "en") -> str:
    """The tree as DOT with each node's visits and drop-offs: the funnel drawn on the graph.

    Nodes are shaded by their drop-off share (white = none, deep red = most people stop here); outcomes keep
    their kind's colour; nodes nobody reached are grey.
    """
    statements = []
    for n in tree.nodes:
        seen = visits.get(n.id, 0)
        lost = drop_offs.get(n.id, 0)
        label = f"{n.id}\n{node_label(n, locale, 28)}"
        if n.kind == "outcome":
            colour, font = OUTCOME_COLOURS[n.outcome], "white"
        elif seen == 0 and lost == 0:
            colour, font = "#eeeeee", "#777777"
        else:
            share = lost / (seen + lost) if seen + lost else 0.0
            level = int(255 - 170 * min(1.0, share * 2))
            colour, font = f"#ff{level:02x}{level:02x}", "black"
            label += f"\n{seen} answered, {lost} left ({share:.0%})"
        statements.append(dot.node(n.id, {"label": label, "fillcolor": colour, "fontcolor": font}))
    statements += [dot.edge(n.id, target) for n in tree.nodes for _, target, _ in n.links()]
    return dot.digraph(tree.id, statements, {"style": "filled"})
