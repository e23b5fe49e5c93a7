"""The three walkers :mod:`bench_engine` times, one step at a time, on the same planned walk.

* :func:`engine_walk`: triage's :class:`~triage.walk.session.Session` (``answer``, or ``submit`` alone);
* :func:`transitions_walk`: the same state machine in the ``transitions`` library;
* :func:`dict_walk`: the floor, a dict lookup of the next id per step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gen_tree import _stored, _target

from triage.trees.conditions import parse as parse_condition
from triage.trees.model import Audience
from triage.walk.policy import Policy, PolicyConfig
from triage.walk.session import Session

__all__ = ["dict_walk", "engine_walk", "transitions_walk", "walk_routes"]


def engine_walk(
    lib: Any, tree_id: str, plan: list[tuple[str, Any, str]], min_steps: int, *, view: bool = True
) -> dict[str, Any]:
    """Time ``Session.answer`` (the transition and the next StepView) or, with ``view=False``,
    ``Session.submit`` (the transition alone: answer check, event, logic hops, policy)."""
    policy = Policy(PolicyConfig(step_budget={Audience.AGENT: 10**9, Audience.SELF_SERVICE: 10**9}))
    # a new session: start, then the first answer (which builds the per-session distance table)
    t0 = time.perf_counter()
    s = Session.start(lib, tree_id, policy=policy)
    t1 = time.perf_counter()
    s.answer(plan[0][1])
    t2 = time.perf_counter()
    first = {"start": t1 - t0, "first_answer": t2 - t1}
    # check the walk once (also a warm-up)
    s.restart()
    for node_id, ans, land in plan:
        if s.node.id != node_id:
            raise AssertionError(f"engine stands at {s.node.id!r}, plan expects {node_id!r}")
        v = s.answer(ans)
        if v.node_id != land:
            raise AssertionError(f"engine went to {v.node_id!r}, plan expects {land!r}")
    if not s.finished:
        raise AssertionError("the planned walk did not finish the session")
    times: list[int] = []
    positions: list[int] = []
    walks = 0
    answer = s.answer if view else s.submit
    clock = time.perf_counter_ns
    while len(times) < min_steps:
        s.restart()
        for i, (_, ans, _) in enumerate(plan):
            a = clock()
            answer(ans)
            b = clock()
            times.append(b - a)
            positions.append(i)
        walks += 1
    return {"times": times, "positions": positions, "walks": walks, **first}


def walk_routes(
    tree: dict[str, Any], plan: list[tuple[str, Any, str]]
) -> tuple[list[tuple[Any, Any]], dict[str, str]]:
    """Per step: (trigger key, fact value to store or None), and the route each logic node takes on this walk."""
    by_id = {n["id"]: n for n in tree["nodes"]}
    facts: dict[str, Any] = {"mode": "agent", "locale": "en"}
    keys: list[tuple[Any, Any]] = []
    auto: dict[str, str] = {}
    for node_id, ans, _ in plan:
        node = by_id[node_id]
        if node["kind"] == "collect":
            stored = _stored(node, ans)
            facts[node["fact"]] = stored
            keys.append(("submit", stored))
        else:
            keys.append((ans, None))
        cur = _target(node, ans)
        while by_id[cur]["kind"] == "logic":
            ln = by_id[cur]
            target = ln["default"]
            for rule in ln["rules"]:
                if parse_condition(rule["when"]).evaluate(facts):
                    target = rule["next"]
                    break
            auto[cur] = target
            cur = target
    return keys, auto


def dict_walk(tree: dict[str, Any], plan: list[tuple[str, Any, str]], min_steps: int) -> dict[str, Any]:
    """The floor: each step is a dict lookup of the next id (logic routes precomputed for this walk)."""
    nxt = _next_ids(tree)
    keys, auto = walk_routes(tree, plan)
    facts: dict[str, Any] = {}
    state = {"cur": tree["start"]}
    collect_fact = {n["id"]: n["fact"] for n in tree["nodes"] if n["kind"] == "collect"}

    def step(key: Any, value: Any) -> str:
        cur = state["cur"]
        if value is not None:
            facts[collect_fact[cur]] = value
        cur = nxt[cur][key]
        while cur in auto:
            cur = auto[cur]
        state["cur"] = cur
        return cur

    for (key, value), (_, _, land) in zip(keys, plan, strict=True):
        if step(key, value) != land:
            raise AssertionError("dict walk left the plan")
    times: list[int] = []
    clock = time.perf_counter_ns
    while len(times) < min_steps:
        state["cur"] = tree["start"]
        facts.clear()
        for key, value in keys:
            a = clock()
            step(key, value)
            b = clock()
            times.append(b - a)
    return {"times": times}


def _next_ids(tree: dict[str, Any]) -> dict[str, dict[Any, str]]:
    """Per interactive node: trigger key -> the next node id."""
    nxt: dict[str, dict[Any, str]] = {}
    for n in tree["nodes"]:
        if n["kind"] == "question":
            nxt[n["id"]] = {o["value"]: o["next"] for o in n["options"]}
        elif n["kind"] == "action":
            nxt[n["id"]] = {
                "fixed": n["on_fixed"],
                "not_fixed": n["on_not_fixed"],
                "could_not": n.get("on_could_not") or n["on_not_fixed"],
            }
        elif n["kind"] == "collect":
            nxt[n["id"]] = {"submit": n["next"]}
    return nxt


class _Model:
    """What the ``transitions`` machine drives: the facts its callbacks set and its guards read."""

    def __init__(self) -> None:
        self.facts: dict[str, Any] = {"mode": "agent", "locale": "en"}


def transitions_walk(
    tree: dict[str, Any], plan: list[tuple[str, Any, str]], min_steps: int
) -> dict[str, Any]:
    """The same state machine in `transitions`: one state per node, one transition per link.

    Triggers are the answers (option value; fixed / not_fixed / could_not; ``submit`` with the
    value for a collect, which a ``before`` callback stores as a fact). A logic node has an
    ``auto`` trigger per rule, guarded by the rule's condition (triage's own parser, compiled
    once), then an unguarded ``auto`` to its default: the first that holds wins, as in triage.
    """
    from transitions import Machine

    model = _Model()
    states = [n["id"] for n in tree["nodes"]]
    trans = [t for n in tree["nodes"] for t in _transitions(n, model)]
    auto_states = {n["id"] for n in tree["nodes"] if n["kind"] == "logic"}
    t0 = time.perf_counter()
    machine = Machine(
        model=model, states=states, transitions=trans, initial=tree["start"], auto_transitions=False
    )
    build = time.perf_counter() - t0
    keys, _ = walk_routes(tree, plan)
    trigger = model.trigger  # type: ignore[attr-defined]

    def step(key: Any, value: Any) -> None:
        if value is None:
            trigger(key)
        else:
            trigger(key, value)
        while model.state in auto_states:  # type: ignore[attr-defined]
            trigger("auto")

    for (key, value), (_, _, land) in zip(keys, plan, strict=True):
        step(key, value)
        if model.state != land:  # type: ignore[attr-defined]
            raise AssertionError(f"transitions went to {model.state!r}, plan expects {land!r}")  # type: ignore[attr-defined]
    times: list[int] = []
    clock = time.perf_counter_ns
    while len(times) < min_steps:
        machine.set_state(tree["start"], model=model)
        model.facts = {"mode": "agent", "locale": "en"}
        for key, value in keys:
            a = clock()
            step(key, value)
            b = clock()
            times.append(b - a)
    return {"times": times, "build": build, "states": len(states), "transitions": len(trans)}


def _transitions(n: dict[str, Any], model: _Model) -> list[dict[str, Any]]:
    """The transitions leaving one node, in the order triage tries them."""
    nid, kind = n["id"], n["kind"]
    if kind == "question":
        return [
            _with_fact({"trigger": o["value"], "source": nid, "dest": o["next"]}, n, model)
            for o in n["options"]
        ]
    if kind == "action":
        return [
            {"trigger": "fixed", "source": nid, "dest": n["on_fixed"]},
            {"trigger": "not_fixed", "source": nid, "dest": n["on_not_fixed"]},
            {"trigger": "could_not", "source": nid, "dest": n.get("on_could_not") or n["on_not_fixed"]},
        ]
    if kind == "collect":
        return [{"trigger": "submit", "source": nid, "dest": n["next"], "before": _setter(model, n["fact"])}]
    if kind == "logic":
        rules = [
            {
                "trigger": "auto",
                "source": nid,
                "dest": rule["next"],
                "conditions": [_guard(model, rule["when"])],
            }
            for rule in n["rules"]
        ]
        return [*rules, {"trigger": "auto", "source": nid, "dest": n["default"]}]
    return []


def _with_fact(tr: dict[str, Any], n: dict[str, Any], model: _Model) -> dict[str, Any]:
    """A question that sets a fact stores the answer before it moves on."""
    if n.get("fact"):
        tr["before"] = _setter(model, n["fact"])
    return tr


def _setter(model: _Model, fact: str) -> Callable[..., None]:
    def store(value: Any) -> None:
        model.facts[fact] = value

    return store


def _guard(model: _Model, when: str) -> Callable[..., bool]:
    cond = parse_condition(when)
    return lambda *args: cond.evaluate(model.facts)
