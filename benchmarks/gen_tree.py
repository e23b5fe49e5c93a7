"""Deterministic generator of large, valid diagnostic trees (for benchmarks and tests).

``generate_tree(n, seed)`` returns the data of one tree file (a plain dict, ready for YAML)
with exactly ``n`` nodes:

* a long **spine** of interactive steps (questions, actions, collect + logic pairs) from the
  start node to a final ``resolved`` outcome, so a scripted walk takes hundreds of steps;
* **side branches** hanging off every spine step: questions with 2-3 options, actions with
  ``on_fixed``/``on_not_fixed`` (sometimes ``on_could_not``), collect nodes, logic nodes whose
  rules read collected facts, and outcomes of all three kinds (resolved, escalate, visit).
  Side branches end in outcomes or rejoin the spine further down.

The graph is a DAG by construction (a side node only links to newer side nodes of the same
spine step, to later spine steps, or to outcomes), and every node is created as the target
of a link from a node already reachable, so: every node is reachable from the start, and
every node can reach an outcome. Spine nodes carry the tag ``spine``.

``plan_walk(tree)`` works out the answers that walk the whole spine, as
``(node id, answer, id of the next interactive step or final outcome)`` triples.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

__all__ = ["generate_tree", "plan_walk", "spine_ids", "tree_yaml", "write_tree", "write_tree_yaml"]

FACT_TYPES = ("number", "yesno", "choice", "text")
CHOICES = ["green", "amber", "red", "off"]
N_FACTS = 48
LABEL_SETS: list[list[tuple[str, str]]] = [
    [("Yes", "yes"), ("No", "no"), ("Not sure", "not_sure")],
    [("Green", "green"), ("Amber", "amber"), ("Red", "red")],
    [("Wired", "wired"), ("Wi-Fi", "wifi"), ("Both", "both")],
    [("It works now", "works"), ("Still broken", "broken"), ("Only partly", "partly")],
    [("Every device", "all_devices"), ("One device", "one_device"), ("Some devices", "some_devices")],
]
FAULTS = ["loose_cable", "power_fault", "dns_misconfigured", "firmware_bug", "line_fault"]
VERBS = ["Check", "Restart", "Unplug", "Reseat", "Update", "Reset", "Look at", "Test", "Replace", "Move"]
THINGS = [
    "the router",
    "the power adapter",
    "the line cable",
    "the Wi-Fi settings",
    "the modem lights",
    "the network cable",
    "the TV box",
    "the phone's Wi-Fi",
    "the DNS settings",
    "the wall socket",
]
SKILLS = ["broadband-line", "field-technician", "tv-install", "wiring"]
QUEUES = ["tier2-support", "home-networking", "device-support", "billing"]

# candidate answers the walk planner tries at a collect step, by fact type
_COLLECT_CANDIDATES: dict[str, list[Any]] = {
    "number": [0, 5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 100],
    "yesno": ["yes", "no"],
    "choice": list(CHOICES),
    "text": ["ok", "other"],
}
_ACTION_CANDIDATES = ["not_fixed", "fixed", "could_not"]


def _fact(k: int) -> tuple[str, str]:
    return f"f{k:02d}", FACT_TYPES[k % len(FACT_TYPES)]


def _sentence(rng: random.Random, i: int) -> str:
    return f"Step {i}: {rng.choice(VERBS)} {rng.choice(THINGS)} and tell me what you see."


def _condition(rng: random.Random, name: str, ftype: str) -> str:
    """A condition on one fact that is true for some candidate answers and false for others."""
    if ftype == "number":
        t = rng.randrange(10, 100, 10)
        return f"{name} >= {t}" if rng.random() < 0.5 else f"{name} < {t}"
    if ftype == "yesno":
        return f"{name} == {'true' if rng.random() < 0.5 else 'false'}"
    if ftype == "choice":
        picks = rng.sample(CHOICES, rng.randint(1, 2))
        return f"{name} == '{picks[0]}'" if len(picks) == 1 else f"{name} in {picks!r}"
    return f"{name} == 'ok'" if rng.random() < 0.5 else f"{name} != 'ok'"


def _spine_logic_rules(rng: random.Random, name: str, ftype: str) -> tuple[list[str], int | None]:
    """Rules for a spine logic node: (conditions, index of the rule that continues the spine or None
    when the default continues). Some candidate answer always takes the spine route."""
    if ftype == "number":
        if rng.random() < 0.5:
            return [f"{name} >= {rng.randrange(10, 100, 10)}"], 0
        lo = rng.randrange(10, 60, 10)
        hi = rng.randrange(lo + 20, 110, 10)
        return [f"{name} < {lo}", f"{name} >= {hi}"], None
    if ftype == "yesno":
        if rng.random() < 0.5:
            return [f"{name} == true"], 0
        return [f"{name} == true"], None
    if ftype == "choice":
        a, b = rng.sample(CHOICES, 2)
        if rng.random() < 0.5:
            return [f"{name} == '{a}'", f"{name} == '{b}'"], None
        return [f"{name} in [{a!r}, {b!r}]"], 0
    return [f"{name} == 'ok'"], 0 if rng.random() < 0.5 else None


_PREFIX = {"question": "q", "action": "a", "collect": "c", "logic": "l"}
_OUTCOME_KINDS = ("resolved", "escalate", "visit")
# an open link: (owner node, key path to the link, spine index it hangs off, fact hint for a logic child)
_Slot = tuple[dict[str, Any], tuple[Any, ...], int, int | None]


def generate_tree(n_nodes: int, seed: int = 0, tree_id: str | None = None) -> dict[str, Any]:
    """Data of one valid tree with exactly ``n_nodes`` nodes (deterministic for a given seed)."""
    if n_nodes < 30:
        raise ValueError("generate_tree needs at least 30 nodes")
    b = _Builder(random.Random(f"triage-bench:{n_nodes}:{seed}"))
    tid = tree_id or (f"bench-{n_nodes}" if seed == 0 else f"bench-{n_nodes}-s{seed}")
    b.build_spine(max(8, min(n_nodes // 20, 2000)))
    end = b.outcome(b.end_id, "resolved")
    end["text"] = "The whole checklist is done and the problem is fixed."
    end["reason"] = "Walked the whole spine."
    side = b.build_sides(n_nodes - len(b.nodes) - 1)  # the end outcome is appended last
    nodes = [*b.nodes, *side, end]
    if len(nodes) != n_nodes:  # pragma: no cover - the budget arithmetic guarantees it
        raise AssertionError(f"generated {len(nodes)} nodes, wanted {n_nodes}")
    return {
        "id": tid,
        "title": f"Generated benchmark tree ({n_nodes} nodes, seed {seed})",
        "category": "connectivity",
        "description": "Synthetic tree for benchmarks: a long spine with side branches.",
        "tags": ["benchmark", "generated"],
        "symptoms": ["no internet", "slow connection"],
        "start": b.spine[0],
        "faults": [{"id": f, "prior": round(1 / len(FAULTS), 4)} for f in FAULTS],
        "nodes": nodes,
    }


class _Builder:
    """One generation run: the random generator, the nodes so far and the links still open.

    Every random draw happens in a fixed order, so a seed always gives the same tree.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counter = 0
        self.nodes: list[dict[str, Any]] = []
        self.outcomes: list[str] = []
        self.collected: list[int] = []  # fact numbers some collect node stores
        self.slots: deque[_Slot] = deque()
        self.spine: list[str] = []
        self.end_id = ""
        self.spine_fact: int | None = None  # the fact the last spine collect stored, for its logic node

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:06d}"

    # -- spine ----------------------------------------------------------------------------------

    def build_spine(self, spine_len: int) -> None:
        """The spine's interactive steps, start to end, each linked to the next."""
        kinds: list[str] = []
        while len(kinds) < spine_len:
            r = self.rng.random()
            if r < 0.25 and len(kinds) + 2 <= spine_len:
                kinds += ["collect", "logic"]
            elif r < 0.62:
                kinds.append("question")
            else:
                kinds.append("action")
        self.spine = [self.new_id(_PREFIX[k]) for k in kinds]
        self.end_id = self.new_id("o")
        build = {
            "question": self._spine_question,
            "action": self._spine_action,
            "collect": self._spine_collect,
            "logic": self._spine_logic,
        }
        for i, (sid, kind) in enumerate(zip(self.spine, kinds, strict=True)):
            node: dict[str, Any] = {
                "id": sid,
                "kind": kind,
                "text": _sentence(self.rng, i),
                "tags": ["spine"],
            }
            build[kind](node, i)
            self.nodes.append(node)

    def _spine_next(self, i: int) -> str:
        return self.spine[i + 1] if i + 1 < len(self.spine) else self.end_id

    def _spine_question(self, node: dict[str, Any], i: int) -> None:
        rng = self.rng
        labels = rng.choice(LABEL_SETS)[: rng.choice((2, 3))]
        cont = rng.randrange(len(labels))
        node["options"] = [
            {"label": lab, "value": val, "next": self._spine_next(i) if j == cont else "?"}
            for j, (lab, val) in enumerate(labels)
        ]
        for j in range(len(labels)):
            if j != cont:
                self.slots.append((node, ("options", j, "next"), i, None))

    def _spine_action(self, node: dict[str, Any], i: int) -> None:
        rng = self.rng
        node.update(minutes=rng.choice((1, 2, 3, 5, 10)), performer=rng.choice(("customer", "agent")))
        node["fixes"] = {rng.choice(FAULTS): round(rng.uniform(0.2, 0.9), 2)}
        node["on_fixed"] = "?"
        node["on_not_fixed"] = self._spine_next(i)
        self.slots.append((node, ("on_fixed",), i, None))
        if rng.random() < 0.3:
            node["on_could_not"] = "?"
            self.slots.append((node, ("on_could_not",), i, None))

    def _spine_collect(self, node: dict[str, Any], i: int) -> None:
        k = self.rng.randrange(N_FACTS)
        self.spine_fact = k
        _collect_fields(node, k, self._spine_next(i))
        self.collected.append(k)

    def _spine_logic(self, node: dict[str, Any], i: int) -> None:
        """A logic node right after its collect: one route continues the spine, the others branch off."""
        assert self.spine_fact is not None
        name, ftype = _fact(self.spine_fact)
        conds, route = _spine_logic_rules(self.rng, name, ftype)
        node["text"] = ""
        node["rules"] = [
            {"when": c, "next": self._spine_next(i) if j == route else "?"} for j, c in enumerate(conds)
        ]
        node["default"] = self._spine_next(i) if route is None else "?"
        for j in range(len(conds)):
            if j != route:
                self.slots.append((node, ("rules", j, "next"), i, None))
        if route is not None:
            self.slots.append((node, ("default",), i, None))

    # -- outcomes -------------------------------------------------------------------------------

    def outcome(self, oid: str, kind: str | None = None) -> dict[str, Any]:
        rng = self.rng
        kind = kind or rng.choices(_OUTCOME_KINDS, weights=(5, 3, 2))[0]
        o: dict[str, Any] = {"id": oid, "kind": "outcome", "outcome": kind}
        if kind == "resolved":
            o["text"] = f"{rng.choice(VERBS)} {rng.choice(THINGS)} fixed it."
            o["fault"] = rng.choice(FAULTS)
        elif kind == "escalate":
            o["text"] = "We could not fix it here; a specialist team takes over."
            o.update(
                tier=rng.choice((1, 2, 3)),
                queue=rng.choice(QUEUES),
                priority=rng.choice(("low", "normal", "high")),
            )
            o["next_action"] = f"Continue the diagnosis at {rng.choice(THINGS)}."
        else:
            o["text"] = "A technician will visit to fix it."
            o.update(
                skill=rng.choice(SKILLS),
                urgency=rng.choice(("low", "normal")),
                parts=rng.sample(["router", "power-adapter", "line-cable", "dsl-filter"], rng.randint(0, 2)),
                duration_minutes=rng.choice((30, 45, 60, 90)),
            )
        o["reason"] = f"Outcome {oid}: {o['text']}"
        self.outcomes.append(oid)
        return o

    # -- side branches --------------------------------------------------------------------------

    def build_sides(self, budget: int) -> list[dict[str, Any]]:
        """Fill every open link with a new side node (``budget`` of them) or an existing target."""
        side: list[dict[str, Any]] = []
        forced = iter(_OUTCOME_KINDS)  # the first side outcomes cover every kind
        made = 0
        while self.slots:
            slot = self.slots.popleft()
            remaining = budget - made
            kind = self._side_kind(slot[3], remaining) if remaining > 0 else None
            if kind is None:
                _fill(slot, self._existing_target(slot[2]))
                continue
            made += 1
            if kind == "outcome":
                oid = self.new_id("o")
                node = self.outcome(oid, next(forced, None))
                _fill(slot, oid)
            else:
                node = self._side_node(slot, kind)
            side.append(node)
        return side

    def _side_kind(self, hint: int | None, remaining: int) -> str | None:
        """The kind of node a link gets, or ``None``: link to something that exists already."""
        rng, open_links = self.rng, len(self.slots)
        if open_links + 1 >= remaining:
            return "outcome"
        if open_links >= 6 and rng.random() < 0.06:
            return None
        if hint is not None and rng.random() < 0.8:
            return "logic"
        p_out = 0.0 if open_links < 4 else 0.45
        if rng.random() < p_out:
            return "outcome"
        kind = rng.choices(("question", "action", "collect", "logic"), weights=(40, 35, 15, 10))[0]
        return "question" if kind == "logic" and not self.collected else kind

    def _existing_target(self, origin: int) -> str:
        if origin + 1 < len(self.spine) and self.rng.random() < 0.5:
            return self.spine[self.rng.randint(origin + 1, min(len(self.spine) - 1, origin + 25))]
        return self.rng.choice(self.outcomes)

    def _side_node(self, slot: _Slot, kind: str) -> dict[str, Any]:
        """A new interactive or logic node at ``slot``; its own links join the open ones."""
        _, _, origin, hint = slot
        nid = self.new_id(_PREFIX[kind])
        node: dict[str, Any] = {"id": nid, "kind": kind, "text": _sentence(self.rng, self.counter)}
        if self.rng.random() < 0.2:
            node["hint"] = f"Agent note for {nid}: ask the customer to read the label."
        _fill(slot, nid)
        build = {
            "question": self._side_question,
            "action": self._side_action,
            "collect": self._side_collect,
            "logic": self._side_logic,
        }
        self.slots.extend(build[kind](node, origin, hint))
        return node

    def _side_question(self, node: dict[str, Any], origin: int, hint: int | None) -> list[_Slot]:
        rng = self.rng
        labels = rng.choice(LABEL_SETS)[: rng.choice((2, 3))]
        node["options"] = [{"label": lab, "value": val, "next": "?"} for lab, val in labels]
        if rng.random() < 0.02:
            node["options"][-1]["safety"] = "burning smell or sparks"
        return [(node, ("options", j, "next"), origin, None) for j in range(len(labels))]

    def _side_action(self, node: dict[str, Any], origin: int, hint: int | None) -> list[_Slot]:
        rng = self.rng
        performer = rng.choices(("customer", "agent", "technician"), weights=(60, 25, 15))[0]
        node.update(minutes=rng.choice((1, 2, 3, 5, 10, 20)), performer=performer)
        if performer == "technician":
            node["skill"] = rng.choice(SKILLS)
        node["fixes"] = {rng.choice(FAULTS): round(rng.uniform(0.2, 0.9), 2)}
        node.update(on_fixed="?", on_not_fixed="?")
        new_slots: list[_Slot] = [
            (node, ("on_fixed",), origin, None),
            (node, ("on_not_fixed",), origin, None),
        ]
        if rng.random() < 0.3:
            node["on_could_not"] = "?"
            new_slots.append((node, ("on_could_not",), origin, None))
        return new_slots

    def _side_collect(self, node: dict[str, Any], origin: int, hint: int | None) -> list[_Slot]:
        k = self.rng.randrange(N_FACTS)
        self.collected.append(k)
        _collect_fields(node, k, "?")
        return [(node, ("next",), origin, k)]

    def _side_logic(self, node: dict[str, Any], origin: int, hint: int | None) -> list[_Slot]:
        rng = self.rng
        k = hint if hint is not None else rng.choice(self.collected)
        name, ftype = _fact(k)
        node["text"] = ""
        node["rules"] = [
            {"when": _condition(rng, name, ftype), "next": "?"} for _ in range(rng.choice((1, 2)))
        ]
        node["default"] = "?"
        new_slots: list[_Slot] = [
            (node, ("rules", j, "next"), origin, None) for j in range(len(node["rules"]))
        ]
        new_slots.append((node, ("default",), origin, None))
        return new_slots


def _collect_fields(node: dict[str, Any], k: int, next_id: str) -> None:
    """A collect node's fields for fact number ``k`` (number and choice facts get their limits)."""
    name, ftype = _fact(k)
    node.update(fact=name, type=ftype, next=next_id)
    if ftype == "number":
        node.update(min=0, max=100)
    elif ftype == "choice":
        node["choices"] = list(CHOICES)


def _fill(slot: _Slot, target: str) -> None:
    """Point the open link at ``target``."""
    owner, path, _, _ = slot
    ref: Any = owner
    for p in path[:-1]:
        ref = ref[p]
    ref[path[-1]] = target


def tree_yaml(tree: dict[str, Any]) -> str:
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(tree, Dumper=dumper, sort_keys=False, allow_unicode=True, width=200)


def write_tree_yaml(tree: dict[str, Any], path: str | Path) -> Path:
    """Write tree data as YAML to ``path``; returns the path."""
    p = Path(path)
    p.write_text(tree_yaml(tree), encoding="utf-8")
    return p


def write_tree(n_nodes: int, directory: str | Path, seed: int = 0) -> Path:
    """Generate a tree and write it as ``<directory>/<tree id>.yaml`` (file name = tree id)."""
    tree = generate_tree(n_nodes, seed)
    return write_tree_yaml(tree, Path(directory) / f"{tree['id']}.yaml")


def spine_ids(tree: dict[str, Any]) -> list[str]:
    """Ids of the spine nodes, in walking order."""
    return [n["id"] for n in tree["nodes"] if "spine" in n.get("tags", ())]


# -- walk planning ------------------------------------------------------------------------------

_INTERACTIVE = ("question", "action", "collect")


def _stored(node: dict[str, Any], answer: Any) -> Any:
    """The value the engine stores for a collect answer (mirrors ``triage.walk.values.collect_value``)."""
    t = node["type"]
    if t == "number":
        return int(answer)
    if t == "yesno":
        return answer in ("yes", True)
    return str(answer)


def _target(node: dict[str, Any], answer: Any) -> str:
    kind = node["kind"]
    if kind == "question":
        return str(next(o["next"] for o in node["options"] if o["value"] == answer))
    if kind == "action":
        if answer == "fixed":
            return str(node["on_fixed"])
        if answer == "could_not" and node.get("on_could_not"):
            return str(node["on_could_not"])
        return str(node["on_not_fixed"])
    return str(node["next"])


def settle(by_id: dict[str, dict[str, Any]], node_id: str, facts: dict[str, Any]) -> tuple[str, list[str]]:
    """Follow logic nodes from ``node_id`` (as the engine does): (landing id, logic ids passed)."""
    from triage.trees.conditions import parse

    passed: list[str] = []
    while by_id[node_id]["kind"] == "logic":
        node = by_id[node_id]
        passed.append(node_id)
        target = node["default"]
        for rule in node["rules"]:
            if parse(rule["when"]).evaluate(facts):
                target = rule["next"]
                break
        node_id = target
    return node_id, passed


def plan_walk(tree: dict[str, Any], mode: str = "agent", locale: str = "en") -> list[tuple[str, Any, str]]:
    """Answers that walk the whole spine: ``[(node id, answer, next interactive step or final outcome)]``.

    Each answer is chosen so the walk lands on the next interactive spine step; the last one lands
    on the final outcome.
    """
    by_id = {n["id"]: n for n in tree["nodes"]}
    spine = spine_ids(tree)
    order = {sid: i for i, sid in enumerate(spine)}
    interactive = [sid for sid in spine if by_id[sid]["kind"] in _INTERACTIVE]
    following = {a: b for a, b in zip(interactive, interactive[1:], strict=False)}
    end = next(
        n["id"]
        for n in reversed(tree["nodes"])
        if n["kind"] == "outcome" and "Walked the whole spine" in n["reason"]
    )
    facts: dict[str, Any] = {"mode": mode, "locale": locale}
    cur, _ = settle(by_id, tree["start"], facts)
    plan: list[tuple[str, Any, str]] = []
    while cur != end:
        node = by_id[cur]
        if cur not in order or node["kind"] not in _INTERACTIVE:
            raise AssertionError(f"walk left the spine at {cur!r}")
        want = following.get(cur, end)
        cands: Sequence[Any]
        if node["kind"] == "question":
            cands = [o["value"] for o in node["options"]]
        elif node["kind"] == "action":
            cands = _ACTION_CANDIDATES
        else:
            cands = _COLLECT_CANDIDATES[node["type"]]
        for ans in cands:
            trial = dict(facts)
            if node["kind"] == "collect":
                trial[node["fact"]] = _stored(node, ans)
            land, _ = settle(by_id, _target(node, ans), trial)
            if land == want:
                facts = trial
                plan.append((cur, ans, land))
                cur = land
                break
        else:
            raise AssertionError(f"no answer at {cur!r} continues the spine to {want!r}")
    return plan


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(".")
    print(write_tree(n, out))
