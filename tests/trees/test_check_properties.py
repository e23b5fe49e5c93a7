"""Properties of the tree checks over random valid trees, each broken on purpose.

A dangling link, outcomes replaced by dead ends or removed, a duplicated id, an unreachable node, a rule
reading an unknown fact: each is reported with its code on the node it concerns, and a library refuses
the tree with the same messages. (Property 6 of the engine's properties, ``test_properties.py``.)
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import node_targets, tree_dicts
from triage.errors import Diagnostic
from triage.trees.checks import check_tree
from triage.trees.model import BUILTIN_FACTS, Tree
from triage.walk.scenarios import library_from_texts

# -- 6. mutated trees are rejected ------------------------------------------------------------------


def _en(text: Any) -> str:
    return text["en"] if isinstance(text, dict) else text


def _slots(node: dict[str, Any]) -> list[tuple[str, tuple[str | int, ...]]]:
    """Each link of a node dict: the label a message uses for it, and where it is written."""
    if node["kind"] == "question":
        return [
            (f"option {_en(o['label'])!r}", ("options", k, "next")) for k, o in enumerate(node["options"])
        ]
    if node["kind"] == "logic":
        return [(f"rule {k + 1}", ("rules", k, "next")) for k in range(len(node["rules"]))] + [
            ("default", ("default",))
        ]
    keys = ("next", "on_fixed", "on_not_fixed", "on_could_not")
    return [(key, (key,)) for key in keys if key in node]


def _set(node: dict[str, Any], where: tuple[str | int, ...], value: str) -> None:
    cur: Any = node
    for part in where[:-1]:
        cur = cur[part]
    cur[where[-1]] = value


def _reachable(nodes: list[dict[str, Any]], start_id: str) -> set[str]:
    by_id = {n["id"]: n for n in nodes}
    seen, todo = set(), [start_id]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in by_id:
            continue
        seen.add(node_id)
        todo.extend(node_targets(by_id[node_id]))
    return seen


def _outcome_ids(nodes: list[dict[str, Any]]) -> set[str]:
    return {n["id"] for n in nodes if n["kind"] == "outcome"}


def errors_found(data: dict[str, Any]) -> list[Diagnostic]:
    """The errors for a tree dict, from the graph checks; also checks a library refuses the tree, naming nodes."""
    tree = Tree.model_validate(data)
    errors = [d for d in check_tree(tree) if d.is_error]
    lib = library_from_texts({"generated.yaml": yaml.safe_dump(data, sort_keys=False)})
    assert "generated" not in lib
    in_library = lib.files["generated.yaml"].errors
    assert [(d.code, d.message) for d in in_library] == [(d.code, d.message) for d in errors]
    for d in in_library:
        assert d.line is not None
        if len(d.loc) > 1 and d.loc[0] == "nodes":
            assert d.node_id == data["nodes"][d.loc[1]]["id"]
    return errors


def named(errors: list[Diagnostic], data: dict[str, Any]) -> set[tuple[str, str | None]]:
    """Each error as (code, id of the node it is about)."""
    return {(d.code, data["nodes"][d.loc[1]]["id"] if len(d.loc) > 1 else None) for d in errors}


@given(data=tree_dicts(), pick=st.data())
def test_a_dangling_link_is_reported_on_its_node(data: dict[str, Any], pick: st.DataObject) -> None:
    """A link to a missing node gives 'dangling-link' on that node, plus only what losing the link implies."""
    nodes = data["nodes"]
    i = pick.draw(st.sampled_from([k for k, n in enumerate(nodes) if n["kind"] != "outcome"]), label="node")
    label, where = pick.draw(st.sampled_from(_slots(nodes[i])), label="link")
    _set(nodes[i], where, "nowhere")
    errors = errors_found(data)

    dangling = [d for d in errors if d.code == "dangling-link"]
    assert [(d.message, d.loc) for d in dangling] == [
        (f"{label} goes to 'nowhere', which does not exist", ("nodes", i, *where))
    ]
    reached = _reachable(nodes, data["start"])
    ends = _outcome_ids(nodes)
    expected = {("dangling-link", nodes[i]["id"])}
    expected |= {("unreachable", n["id"]) for n in nodes if n["id"] not in reached}
    expected |= {("no-outcome", n["id"]) for n in nodes if not _reachable(nodes, n["id"]) & ends}
    assert named(errors, data) == expected


@given(data=tree_dicts(), pick=st.data())
def test_outcomes_replaced_by_dead_ends_are_reported(data: dict[str, Any], pick: st.DataObject) -> None:
    """Turning every outcome below a node into a dead end gives 'loop-no-exit' there and 'no-outcome' above."""
    nodes = data["nodes"]
    x = pick.draw(st.sampled_from([n["id"] for n in nodes if n["kind"] != "outcome"]), label="node")
    gone = _reachable(nodes, x) & _outcome_ids(nodes)
    for k, n in enumerate(nodes):
        if n["id"] in gone:
            options = [{"label": "Again", "next": n["id"]}]
            nodes[k] = {"id": n["id"], "kind": "question", "text": "Dead end", "options": options}
    errors = errors_found(data)

    ends = _outcome_ids(nodes)
    loops = {d.message for d in errors if d.code == "loop-no-exit"}
    assert loops == {f"loop with no way out: {o} -> {o}" for o in gone}
    assert ("no-outcome", x) in named(errors, data)
    expected = {("loop-no-exit", o) for o in gone}
    expected |= {
        ("no-outcome", n["id"])
        for n in nodes
        if n["id"] not in gone and not _reachable(nodes, n["id"]) & ends
    }
    if not ends:
        expected.add(("no-outcomes", None))
    assert named(errors, data) == expected
    assert {d.message for d in errors if d.code == "no-outcome"} == {
        "no outcome can be reached from this node"
    }


@given(data=tree_dicts(), pick=st.data())
def test_outcomes_removed_with_their_links_sent_back_are_reported(
    data: dict[str, Any], pick: st.DataObject
) -> None:
    """Removing every outcome below a node and sending their links back to it gives a 'loop-no-exit' through it."""
    nodes = data["nodes"]
    x = pick.draw(st.sampled_from([n["id"] for n in nodes if n["kind"] != "outcome"]), label="node")
    gone = _reachable(nodes, x) & _outcome_ids(nodes)
    nodes[:] = [n for n in nodes if n["id"] not in gone]
    for n in nodes:
        for _, where in _slots(n) if n["kind"] != "outcome" else []:
            cur: Any = n
            for part in where:
                cur = cur[part]
            if cur in gone:
                _set(n, where, x)
    errors = errors_found(data)

    found = named(errors, data)
    loops = [
        d.message
        for d in errors
        if d.code == "loop-no-exit" and d.loc[1] == [n["id"] for n in nodes].index(x)
    ]
    assert len(loops) == 1
    assert loops[0].startswith(f"loop with no way out: {x} -> ")
    assert loops[0].endswith(f" -> {x}")
    assert {code for code, _ in found} <= {"loop-no-exit", "no-outcome", "no-outcomes"}
    assert (("no-outcomes", None) in found) is (not _outcome_ids(nodes))


@given(data=tree_dicts(), pick=st.data())
def test_a_duplicated_id_is_reported(data: dict[str, Any], pick: st.DataObject) -> None:
    """A second node with an id already used gives exactly one 'duplicate-id', on the later of the two."""
    nodes = data["nodes"]
    j = pick.draw(st.integers(0, len(nodes) - 1), label="copied node")
    twin = {**copy.deepcopy(nodes[j]), "text": "A second node with the same id"}
    at = pick.draw(st.integers(0, len(nodes)), label="inserted at")
    nodes.insert(at, twin)
    first, second = (at, j + 1) if at <= j else (j, at)
    errors = errors_found(data)
    assert [(d.code, d.message, d.loc) for d in errors] == [
        (
            "duplicate-id",
            f"duplicate id {twin['id']!r}; node #{first + 1} already uses it",
            ("nodes", second, "id"),
        )
    ]


@given(data=tree_dicts(), pick=st.data())
def test_an_unreachable_node_is_reported(data: dict[str, Any], pick: st.DataObject) -> None:
    """An extra node nothing links to gives exactly one 'unreachable', naming it."""
    nodes = data["nodes"]
    extra: dict[str, Any] = {"id": "orphan", "text": "Nobody comes here"}
    if pick.draw(st.booleans(), label="an outcome"):
        extra.update(kind="outcome", outcome="resolved")
    else:
        target = pick.draw(st.sampled_from([n["id"] for n in nodes]), label="links to")
        extra.update(
            kind="question", options=[{"label": "Yes", "next": target}, {"label": "No", "next": target}]
        )
    nodes.insert(pick.draw(st.integers(1, len(nodes)), label="at"), extra)
    errors = errors_found(data)
    assert [(d.code, d.message, d.loc) for d in errors] == [
        (
            "unreachable",
            f"is unreachable from the start node {data['start']!r}",
            ("nodes", nodes.index(extra)),
        )
    ]


@given(data=tree_dicts(), pick=st.data())
def test_a_rule_reading_an_unknown_fact_is_reported(data: dict[str, Any], pick: st.DataObject) -> None:
    """A logic rule reading a fact nobody collects or declares gives exactly one 'unknown-fact' on its node."""
    nodes = data["nodes"]
    known = set(BUILTIN_FACTS) | {n["fact"] for n in nodes if "fact" in n}
    keywords = {"and", "or", "not", "in", "true", "false", "null"}
    fact = pick.draw(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(lambda f: f not in known | keywords),
        label="fact",
    )
    op = pick.draw(st.sampled_from(["==", "!=", "<", ">="]), label="op")
    logic = [k for k, n in enumerate(nodes) if n["kind"] == "logic"]
    if logic and pick.draw(st.booleans(), label="add to an existing rule list"):
        i = pick.draw(st.sampled_from(logic), label="logic node")
        nodes[i]["rules"].append({"when": f"{fact} {op} 1", "next": nodes[i]["default"]})
        rule = len(nodes[i]["rules"])
    else:
        gate = {"id": "gate", "kind": "logic", "rules": [{"when": f"{fact} {op} 1", "next": data["start"]}]}
        gate["default"] = data["start"]
        nodes.insert(0, gate)
        data["start"] = "gate"
        i, rule = 0, 1
    errors = errors_found(data)
    assert [(d.code, d.message, d.loc) for d in errors] == [
        (
            "unknown-fact",
            f"rule {rule} reads fact {fact!r}, which no node collects and the tree does not declare",
            ("nodes", i, "rules", rule - 1, "when"),
        )
    ]
