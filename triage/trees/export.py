"""Export a tree's graph as Mermaid, Graphviz DOT or JSON (node-link), for docs and other tools."""

from __future__ import annotations

import json

import networkx as nx

from triage.trees.checks import build_graph
from triage.trees.model import AnyNode, Tree, localize

__all__ = ["OUTCOME_COLOURS", "export_graph", "funnel_dot", "node_label"]

OUTCOME_COLOURS = {"resolved": "#2e7d32", "escalate": "#ef6c00", "visit": "#1565c0"}


def node_label(node: AnyNode, locale: str = "en", width: int = 48) -> str:
    """A short one-line label: the node's text, or what it does."""
    if node.kind == "call":
        text = f"run {getattr(node, 'procedure', '')}"
    elif node.kind == "logic":
        text = "route on facts: " + "; ".join(r.when for r in getattr(node, "rules", []))
    elif node.kind == "return":
        text = f"return {getattr(node, 'status', '')}"
    else:
        text = localize(node.text, locale)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _kind(node: AnyNode) -> str:
    return f"outcome:{node.outcome}" if node.kind == "outcome" else node.kind


def _mermaid(tree: Tree, locale: str) -> str:
    def esc(s: str) -> str:
        return s.replace('"', "#quot;")

    lines = ["flowchart TD"]
    for node in tree.nodes:
        label = esc(f"{node.id}: {node_label(node, locale)}")
        if node.kind == "question":
            lines.append(f'    {_mid(node.id)}{{"{label}"}}')
        elif node.kind == "outcome":
            lines.append(f'    {_mid(node.id)}(["{label}"])')
        elif node.kind in ("logic", "call", "return"):
            lines.append(f'    {_mid(node.id)}[["{label}"]]')
        else:
            lines.append(f'    {_mid(node.id)}["{label}"]')
    for node in tree.nodes:
        for label, target, _ in node.links():
            text = esc(label.removeprefix("option ").strip("'"))
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
    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"digraph {q(tree.id)} {{", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=10];']
    shapes = {"question": "diamond", "action": "box", "collect": "parallelogram", "logic": "hexagon"}
    for node in tree.nodes:
        attrs = {
            "label": f"{node.id}\\n{node_label(node, locale, 36)}",
            "shape": shapes.get(node.kind, "box"),
        }
        if node.kind == "outcome":
            attrs.update(
                shape="ellipse", style="filled", fillcolor=OUTCOME_COLOURS[node.outcome], fontcolor="white"
            )
        if node.id == tree.start:
            attrs["penwidth"] = "2"
        body = ", ".join(
            f"{k}={q(v) if k != 'label' else chr(34) + v.replace(chr(34), chr(39)) + chr(34)}"
            for k, v in attrs.items()
        )
        lines.append(f"  {q(node.id)} [{body}];")
    for node in tree.nodes:
        for label, target, _ in node.links():
            lines.append(
                f"  {q(node.id)} -> {q(target)} [label={q(label.removeprefix('option ').strip(chr(39)))}];"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


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
    lines = [
        f'digraph "{tree.id}" {{',
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=10, style=filled];',
    ]
    for node in tree.nodes:
        seen = visits.get(node.id, 0)
        lost = drop_offs.get(node.id, 0)
        label = f"{node.id}\\n{node_label(node, locale, 28).replace(chr(34), chr(39))}"
        if node.kind == "outcome":
            colour, font = OUTCOME_COLOURS[node.outcome], "white"
        elif seen == 0 and lost == 0:
            colour, font = "#eeeeee", "#777777"
        else:
            share = lost / (seen + lost) if seen + lost else 0.0
            level = int(255 - 170 * min(1.0, share * 2))
            colour, font = f"#ff{level:02x}{level:02x}", "black"
            label += f"\\n{seen} answered, {lost} left ({share:.0%})"
        lines.append(f'  "{node.id}" [label="{label}", fillcolor="{colour}", fontcolor="{font}"];')
    for node in tree.nodes:
        for _, target, _ in node.links():
            lines.append(f'  "{node.id}" -> "{target}";')
    lines.append("}")
    return "\n".join(lines) + "\n"
