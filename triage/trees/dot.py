r"""Graphviz DOT, written one way: the writer behind the export, the funnel and the studio picture.

Every ID and attribute value goes through :func:`quote`, so any text (a node id, a label, a tooltip)
reaches Graphviz as exactly that text. Inside a double-quoted DOT string Graphviz reads ``\"`` as a
quote, and in labels and tooltips (its *escString* type) it also reads ``\\`` as a backslash, ``\n``,
``\l`` and ``\r`` as line breaks and ``\N``, ``\G``, ``\E``, ``\T``, ``\H``, ``\L`` as the node's,
graph's, edge's... names. Doubling every backslash keeps an author's ``C:\New`` a path, not ``C:`` and
the node's name; a newline is written ``\n``, so one statement stays on one line.

>>> print(digraph("t", [node("a", {"label": 'say "hi"\nthen go'}), edge("a", "b", {"label": "C:\\New"})]))
digraph "t" {
  rankdir=TB;
  node [fontname="Helvetica", fontsize=10];
  "a" [label="say \"hi\"\nthen go"];
  "a" -> "b" [label="C:\\New"];
}
<BLANKLINE>
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["Attrs", "digraph", "edge", "node", "quote"]

Attrs = Mapping[str, str | int | float]
"""Attribute values by name: a string is quoted, a number written as it is."""

_FONT: dict[str, str | int | float] = {"fontname": "Helvetica", "fontsize": 10}


def quote(text: str) -> str:
    """``text`` as a double-quoted DOT string that Graphviz reads back as exactly ``text``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _value(value: str | int | float) -> str:
    return quote(value) if isinstance(value, str) else str(value)


def _attr_list(attrs: Attrs | None) -> str:
    """`` [name="value", ...]``, or nothing when there are no attributes."""
    if not attrs:
        return ""
    return " [" + ", ".join(f"{name}={_value(value)}" for name, value in attrs.items()) + "]"


def node(node_id: str, attrs: Attrs | None = None) -> str:
    """A node statement, one line: ``  "id" [label="...", ...];``."""
    return f"  {quote(node_id)}{_attr_list(attrs)};"


def edge(tail: str, head: str, attrs: Attrs | None = None) -> str:
    """An edge statement, one line: ``  "tail" -> "head" [label="..."];``."""
    return f"  {quote(tail)} -> {quote(head)}{_attr_list(attrs)};"


def digraph(name: str, statements: Iterable[str], node_defaults: Attrs | None = None) -> str:
    """A top-to-bottom directed graph of ``statements`` (from :func:`node` and :func:`edge`).

    Nodes are set in 10-point Helvetica unless ``node_defaults`` say otherwise; they add to the font.
    """
    defaults = {**_FONT, **(node_defaults or {})}
    lines = [f"digraph {quote(name)} {{", "  rankdir=TB;", f"  node{_attr_list(defaults)};", *statements, "}"]
    return "\n".join(lines) + "\n"
