"""The DOT writer: any text comes back as the same label when an independent parser (pydot) reads the DOT."""

from __future__ import annotations

import pydot
import pytest
from hypothesis import example, given, settings
from strategies import dot_texts

from triage.desk.studio import tree_dot
from triage.trees import dot
from triage.trees.export import export_graph, funnel_dot, node_label
from triage.trees.model import Tree

# pydot 4.0.1 builds its grammar with pyparsing's camelCase names, which pyparsing 3.3 deprecates
pytestmark = pytest.mark.filterwarnings("ignore::pyparsing.PyparsingDeprecationWarning")

# after a backslash, Graphviz reads these as line breaks or as names of things (\N the node's, \G the graph's...)
_GRAPHVIZ_ESCAPES = set("nlrNGETHL")


def graphviz_text(quoted: str) -> str:
    """The text Graphviz shows for a double-quoted DOT string used as a label (its escString rules).

    ``\\"`` is a quote, ``\\\\`` a backslash and ``\\n`` a line break; any other escape (``\\N``, ``\\l``, ...) is
    something user text must never produce, so it fails the test.
    """
    assert len(quoted) >= 2, f"not a quoted string: {quoted!r}"
    assert quoted[0] == quoted[-1] == '"', f"not a quoted string: {quoted!r}"
    body, out, i = quoted[1:-1], [], 0
    while i < len(body):
        if body[i] != "\\":
            out.append(body[i])
            i += 1
            continue
        code = body[i + 1]
        if code == "n":
            out.append("\n")
        elif code in '"\\':
            out.append(code)
        else:
            assert code not in _GRAPHVIZ_ESCAPES, f"user text produced the Graphviz escape \\{code}"
            raise AssertionError(f"unexpected escape \\{code} in {quoted!r}")
        i += 2
    return "".join(out)


def parse(source: str) -> pydot.Dot:
    """The one graph in ``source``, as pydot (pyparsing) reads it."""
    graphs = pydot.graph_from_dot_data(source)
    assert graphs is not None, source
    assert len(graphs) == 1, source
    return graphs[0]


def nodes(graph: pydot.Dot) -> dict[str, pydot.Node]:
    """The graph's node statements by the text of their ids (the ``node [...]`` defaults left out)."""
    return {graphviz_text(n.get_name()): n for n in graph.get_nodes() if n.get_name() != "node"}


def edges(graph: pydot.Dot) -> list[tuple[str, str, str | None]]:
    """Each edge as (tail, head, label), read back as text."""
    out = []
    for e in graph.get_edges():
        label = e.get("label")
        out.append(
            (
                graphviz_text(e.get_source()),
                graphviz_text(e.get_destination()),
                None if label is None else graphviz_text(label),
            )
        )
    return out


@given(dot_texts())
@example('say "hi"')
@example("C:\\New\\Gadget\\")
@example("\\N \\G \\E \\T \\H \\L \\l \\r \\n")
@example("two\nlines\r\nand \\\nmore")
@example('\\"')
@example("")
def test_any_text_comes_back_as_the_same_label(text: str) -> None:
    """A graph name, node id, label, tooltip and edge label of any text all read back as that text."""
    source = dot.digraph(
        text, [dot.node(text, {"label": text, "tooltip": text}), dot.edge(text, text, {"label": text})]
    )
    graph = parse(source)
    assert graphviz_text(graph.get_name()) == text
    (node,) = nodes(graph).values()
    assert graphviz_text(node.get_name()) == text
    assert graphviz_text(node.get("label")) == text
    assert graphviz_text(node.get("tooltip")) == text
    assert edges(graph) == [(text, text, text)]


def test_one_statement_per_line() -> None:
    """Newlines in text are written as ``\\n``, so every statement stays on its line."""
    source = dot.digraph("g", [dot.node("a\nb", {"label": "x\ny"})])
    assert source.splitlines()[3] == '  "a\\nb" [label="x\\ny"];'


def test_numbers_are_written_bare() -> None:
    """Attribute values that are numbers are written as they are, strings quoted."""
    assert dot.node("a", {"penwidth": 2, "color": "red"}) == '  "a" [penwidth=2, color="red"];'
    assert dot.edge("a", "b") == '  "a" -> "b";'


def _tree(text: str, target: str = "done") -> Tree:
    """A question and an outcome, both saying ``text``; the question's second answer leads to ``target``."""
    options = [
        {"label": "Yes", "value": "yes", "next": "done"},
        {"label": "No", "value": "no", "next": target},
    ]
    return Tree.model_validate(
        {
            "id": "awkward",
            "title": "Awkward",
            "category": "software",
            "start": "q",
            "nodes": [
                {"id": "q", "kind": "question", "text": text, "options": options},
                {"id": "done", "kind": "outcome", "outcome": "resolved", "text": text, "reason": "ok"},
            ],
        }
    )


# the round trip itself is the property above; these check that each writer sends its text through it
@pytest.mark.parametrize("writer", ["export", "funnel", "studio"])
@settings(max_examples=25)
@given(text=dot_texts())
@example(text='C:\\New "quoted"\nnext line')
def test_every_writer_keeps_node_text(writer: str, text: str) -> None:
    """Export, funnel and studio pictures label each node with its id and text, whatever the text holds."""
    tree = _tree(text)
    width = {"export": 36, "funnel": 28, "studio": 36}[writer]
    if writer == "export":
        source = export_graph(tree, "dot")
    elif writer == "funnel":
        source = funnel_dot(tree, {}, {})
    else:
        source = tree_dot(tree)
    graph = parse(source)
    assert graphviz_text(graph.get_name()) == "awkward"
    drawn = nodes(graph)
    assert set(drawn) == {"q", "done"}
    for node in tree.nodes:
        assert graphviz_text(drawn[node.id].get("label")) == f"{node.id}\n{node_label(node, 'en', width)}"
    assert [(tail, head) for tail, head, _ in edges(graph)] == [("q", "done"), ("q", "done")]


@settings(max_examples=25)
@given(target=dot_texts())
@example(target='nowhere "at\\N"\nall')
def test_studio_names_a_missing_target_as_written(target: str) -> None:
    """A link to a node that does not exist ends in a "missing" box named exactly as the link wrote it."""
    if target in ("q", "done"):
        return
    graph = parse(tree_dot(_tree("Ready?", target)))
    drawn = nodes(graph)
    assert graphviz_text(drawn[target].get("label")) == f"{target}\n(missing)"
    assert ("q", target) in [(tail, head) for tail, head, _ in edges(graph)]
