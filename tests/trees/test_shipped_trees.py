"""The shipped tree library: every tree validates cleanly and its scenarios reach every outcome it has."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import pytest
from libraries import shipped

from triage import Library, run_scenarios
from triage.trees.graph import build_graph, call_graph
from triage.trees.model import CallNode, Category, OutcomeTypes, ReturnNode, Tree

LIB = shipped()
TREES = [t for t in LIB.trees.values() if not t.procedure]
PROCEDURES = [t for t in LIB.trees.values() if t.procedure]


def test_no_errors_and_no_warnings() -> None:
    """Every shipped file loads with no error and no lint warning."""
    assert [str(d) for d in LIB.diagnostics] == []
    assert LIB.broken == {}


def test_library_size() -> None:
    """At least 12 trees, at least 4 per category, each with at least 15 nodes."""
    assert len(TREES) >= 12
    per_category = Counter(t.category for t in TREES)
    assert all(per_category[c] >= 4 for c in Category), per_category
    small = [(t.id, len(t.nodes)) for t in TREES if len(t.nodes) < 15]
    assert small == []


def test_every_node_kind_and_outcome_kind_appears() -> None:
    """Across the library every node kind and every outcome kind is used."""
    kinds = {n.kind for t in LIB.trees.values() for n in t.nodes}
    outcomes = {n.outcome for t in LIB.trees.values() for n in t.nodes if isinstance(n, OutcomeTypes)}
    assert kinds == {"question", "action", "collect", "logic", "call", "return", "fix_group", "outcome"}
    assert outcomes == {"resolved", "escalate", "visit"}


def _reachable_outcome_kinds(tree: Tree, lib: Library) -> set[str]:
    """Outcome kinds reachable from the start, following calls into procedures."""
    kinds: set[str] = set()
    seen: set[str] = set()
    stack = [tree]
    while stack:
        t = stack.pop()
        if t.id in seen:
            continue
        seen.add(t.id)
        reach = nx.descendants(build_graph(t), t.start) | {t.start}
        for node_id in reach:
            node = t.node(node_id)
            if isinstance(node, OutcomeTypes):
                kinds.add(node.outcome)
            if isinstance(node, CallNode):
                stack.append(lib[node.procedure])
    return kinds


@pytest.mark.parametrize("category", list(Category))
def test_each_category_reaches_every_outcome_kind(category: Category) -> None:
    """Each category has paths to resolved, escalate and visit."""
    kinds: set[str] = set()
    for t in TREES:
        if t.category is category:
            kinds |= _reachable_outcome_kinds(t, LIB)
    assert kinds == {"resolved", "escalate", "visit"}


def test_shared_procedures_are_called_from_several_trees() -> None:
    """At least two procedures, each called from two or more trees, and each able to return."""
    g = call_graph(LIB)
    shared = [p.id for p in PROCEDURES if g.in_degree(p.id) >= 2]
    assert len(shared) >= 2, shared
    for p in PROCEDURES:
        assert any(isinstance(n, ReturnNode) for n in p.nodes), p.id


@pytest.mark.parametrize("tree", TREES, ids=lambda t: t.id)
def test_scenarios_pass_and_reach_every_outcome(tree: Tree) -> None:
    """The tree's scenario tests pass, and between them end at every outcome node of the tree."""
    results = run_scenarios(tree, LIB)
    assert [r.message for r in results if not r.passed] == []
    outcomes = {n.id for n in tree.nodes if isinstance(n, OutcomeTypes)}
    assert outcomes - {r.reached for r in results} == set()
    assert any(s.mode.value == "self_service" for s in tree.scenarios)


@pytest.mark.parametrize("tree", TREES, ids=lambda t: t.id)
def test_every_tree_is_translated(tree: Tree) -> None:
    """Shipped trees serve customers in English and German."""
    assert tree.locales == ["en", "de"]
