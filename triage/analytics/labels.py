"""Names a person reads on the dashboard: trees, steps and faults by their titles in the reader's language.

The figures name things by id (``no-internet``, ``power_light``); a support manager knows them by what they
say. :func:`tree_label`, :func:`step_label` and :func:`fault_label` find the words in the published trees and
give them twice: :attr:`Label.short` fits a chart's axis or a table's cell, :attr:`Label.full` is for its
tooltip. What the trees no longer have (a step removed since) keeps its id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from triage.trees.export import node_label
from triage.trees.model import AnyNode, Tree, WaitNode, localize

__all__ = ["Label", "fault_label", "shorten", "step_label", "tree_label"]

TREE_WIDTH = 36
"""Characters of a tree title on a chart's axis."""
STEP_WIDTH = 60
"""Characters of a step's words in a table cell."""


@dataclass(frozen=True)
class Label:
    """A name as it fits (``short``) and in full (``full``, for a tooltip)."""

    short: str
    full: str


def shorten(text: str, width: int) -> str:
    """``text`` on one line, cut at a word to at most ``width`` characters with an ellipsis.

    >>> shorten("Is the internet down on every device (phones on Wi-Fi, laptops, TV)?", 36)
    'Is the internet down on every…'
    >>> shorten("Router lights", 36)
    'Router lights'
    """
    line = " ".join(text.split())
    if len(line) <= width:
        return line
    cut = line[: width - 1]
    if " " in cut[width // 2 :]:  # end at a word when one ends in the second half
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-(") + "…"


def tree_label(library: Mapping[str, Tree], tree_id: str, locale: str, width: int = TREE_WIDTH) -> Label:
    """A tree by its title in ``locale``; its id if it is not published any more."""
    tree = library.get(tree_id)
    full = localize(tree.title, locale) if tree is not None else tree_id
    return Label(shorten(full, width), full)


def step_label(
    library: Mapping[str, Tree], tree_id: str, node_id: str, locale: str, width: int = STEP_WIDTH
) -> Label:
    """A step by its words in ``locale`` (what it asks or says to do); its id if the tree no longer has it."""
    tree = library.get(tree_id)
    node = next((n for n in tree.nodes if n.id == node_id), None) if tree is not None else None
    full = _words(node, locale) if node is not None else node_id
    return Label(shorten(full, width), full or node_id)


def _words(node: AnyNode, locale: str) -> str:
    """What a step says to a person (a wait: its re-check question); what it does for a step that says
    nothing (a route on facts, a call)."""
    said = localize(node.check, locale) if isinstance(node, WaitNode) else localize(node.text, locale)
    return " ".join(said.split()) or node_label(node, locale, width=10_000)


def fault_label(library: Mapping[str, Tree], tree_id: str, fault: str, locale: str) -> Label:
    """A fault (a closure code) by the title its tree gives it; the code as words when it has none."""
    tree = library.get(tree_id)
    found = next((f for f in tree.faults if f.id == fault), None) if tree is not None else None
    title = localize(found.title, locale) if found is not None and found.title is not None else ""
    full = title or fault.replace("_", " ").replace("-", " ")
    return Label(shorten(full, TREE_WIDTH), full)
