"""A simulated customer's answers: consistent with a hidden fault where the tree says how, else a default.

The tree model says how a fault shows in four places: an action's ``fixes`` (the chance it fixes each fault),
an outcome's ``fault`` (the fault it confirms), a fix group's question ``likelihoods`` (how likely each answer
is under each fault) and a fault's ``resolved_by`` (self, tier 2, or a technician). A customer with fault
``f`` answers each kind of step like this:

* **action**: "fixed" with the step's fix chance for ``f`` (0 where ``fixes`` does not name it); once fixed,
  the problem is gone, so every later action is "fixed" too. Never "could not".
* **instruction**: "done". **wait**: "ready", unless only its fallback leads anywhere consistent with ``f``
  (a router that never settles), then "not yet" until the fallback.
* **question chosen by a fix group**: drawn from the group's ``likelihoods`` for ``f``.
* **question, remote check, collect**: each possible answer is scored by what the walk can still reach after
  it (through logic, calls and the procedures' returns): 2 when it reaches an action that may fix ``f`` or an
  outcome naming ``f``; 1 when ``f`` needs a technician and a visit can be reached, or needs tier 2 and an
  escalation can be reached; else 0. The customer picks uniformly among the answers of the best score whose
  way there is at most :data:`SLACK` steps longer than the shortest (the branch the author meant for ``f``,
  not a long detour that happens to arrive); at score 0, among all answers. An option
  carrying a safety sign is never picked while another is offered (a simulated burning smell would only stop
  walks the tree otherwise finishes). A remote check never answers "unavailable", and where no result leads
  anywhere the fault is fixed, confirmed or helped, it reports the healthy reading
  (:data:`~triage.trees.treeview.HEALTHY_RESULTS`: a hung router does not fail a line test).
* **collect**: the possible answers are its choices (each one, and each pair for a multi-select), yes and no,
  for a number its bounds and the values just either side of what the next logic rules compare it with (as
  such or relative to a number already known), for text a sample that fits its pattern, and nothing where
  the step is optional; each is followed through the logic after the step to see where it leads.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import networkx as nx

from triage.errors import InvalidAnswer
from triage.trees.model import (
    ActionNode,
    AnyNode,
    CallNode,
    CheckNode,
    CollectNode,
    EscalateOutcome,
    FactType,
    FixGroupNode,
    InstructionNode,
    LogicNode,
    Performer,
    QuestionNode,
    ReturnNode,
    Tree,
    VisitOutcome,
    WaitNode,
)
from triage.trees.treeview import HEALTHY_RESULTS
from triage.walk.flow import route
from triage.walk.path import Frame, Pos
from triage.walk.values import collect_value

__all__ = ["SLACK", "CustomerModel", "Hidden"]

_VISIT, _ESCALATE, _RETURN = "@visit", "@escalate", "@return:"  # markers beside the fault ids
_TEXT_SAMPLES = (
    "ABC-12345",
    "Model X100 2020",
    "12345678",
    "192.168.1.23",
    "KB5034441",
    "name@example.com",
    "example",
)
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_MAX_LOGIC_HOPS = 50
SLACK = 2
"""Answers whose way to the fault's fix is at most this many steps longer than the shortest are equally likely."""


@dataclass
class Hidden:
    """One simulated customer's hidden state: the fault, whether it is fixed yet, and their random draws."""

    fault: str
    kind: str
    rng: random.Random
    fixed: bool = False


@dataclass(frozen=True)
class _Candidate:
    answer: Any
    target: str  # "tree:node" the answer leads to
    safety: bool = False


@dataclass
class CustomerModel:
    """What can be reached from every step of one tree (and the procedures it calls), and how to answer.

    Built once per tree; :meth:`answer` gives the customer's answer at the session's current step.
    """

    library: Mapping[str, Tree]
    tree_id: str
    marks: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        graph, own = _graph(self.library, self.tree_id)
        for key in graph.nodes:
            nearest: dict[str, int] = {}
            for reached, hops in nx.single_source_shortest_path_length(graph, key).items():
                for mark in own.get(reached, ()):
                    nearest[mark] = min(hops, nearest.get(mark, hops))
            self.marks[key] = nearest

    # -- answering ---------------------------------------------------------------------------------

    def answer(
        self, node: AnyNode, pos: Pos, facts: Mapping[str, Any], visits: Mapping[str, int], who: Hidden
    ) -> Any:
        """The answer a customer with ``who``'s fault gives at ``node`` (where the session stands: ``pos``)."""
        if isinstance(node, ActionNode):
            who.fixed = who.fixed or who.rng.random() < node.fixes.get(who.fault, 0.0)
            return "fixed" if who.fixed else "not_fixed"
        if isinstance(node, InstructionNode):
            return "done"
        if isinstance(node, WaitNode):
            ready = self._score(_key(pos, node.next), pos.calls, who)
            late = self._score(_key(pos, node.fallback), pos.calls, who)
            return "not_yet" if _better(late, ready) else "ready"
        if isinstance(node, QuestionNode) and pos.group is not None:
            drawn = self._from_likelihoods(node, pos, who)
            if drawn is not None:
                return drawn
        healthy = HEALTHY_RESULTS.get(node.system) if isinstance(node, CheckNode) else None
        return self._choose(self._candidates(node, pos, facts, visits), pos.calls, who, healthy)

    def _from_likelihoods(self, node: QuestionNode, pos: Pos, who: Hidden) -> str | None:
        group = self.library[pos.tree_id].node(pos.group or "")
        if not isinstance(group, FixGroupNode):
            return None
        for q in group.questions:
            if q.node == node.id:
                u, acc = who.rng.random(), 0.0
                for value, per_fault in q.likelihoods.items():
                    acc += per_fault.get(who.fault, 0.0)
                    if u < acc:
                        return value
        return None

    def _candidates(
        self, node: AnyNode, pos: Pos, facts: Mapping[str, Any], visits: Mapping[str, int]
    ) -> list[_Candidate]:
        if isinstance(node, QuestionNode):
            return [_Candidate(o.value, _key(pos, o.next), o.safety is not None) for o in node.options]
        if isinstance(node, CheckNode):
            return [_Candidate(o.value, _key(pos, o.next), o.safety is not None) for o in node.results]
        if isinstance(node, CollectNode):
            return self._collect_candidates(node, pos, facts, visits)
        raise InvalidAnswer(f"step {node.id!r} is a {node.kind} step; a simulated customer cannot answer it")

    def _collect_candidates(
        self, node: CollectNode, pos: Pos, facts: Mapping[str, Any], visits: Mapping[str, int]
    ) -> list[_Candidate]:
        tree = self.library[pos.tree_id]
        out = []
        for raw in _raw_answers(node, tree, facts):
            try:
                stored = collect_value(node, raw, "en")
            except InvalidAnswer:
                continue
            target = _follow(tree, node.next, {**facts, node.fact: stored}, visits)
            out.append(_Candidate(raw, f"{pos.tree_id}:{target}"))
        if not out:
            raise InvalidAnswer(f"step {node.id!r}: no simulated answer fits this {node.type.value} step")
        return out

    def _choose(
        self,
        candidates: Sequence[_Candidate],
        calls: tuple[Frame, ...],
        who: Hidden,
        healthy: str | None = None,
    ) -> Any:
        pool = [c for c in candidates if not c.safety] or list(candidates)
        scores = {c.target: self._score(c.target, calls, who) for c in pool}
        level = max(sc[0] for sc in scores.values())
        if level == 0 and healthy is not None and any(c.answer == healthy for c in pool):
            return healthy  # the fault leaves what the check measures alone
        near = min(sc[1] for sc in scores.values() if sc[0] == level)
        best = {t for t, sc in scores.items() if sc[0] == level and (level == 0 or sc[1] <= near + SLACK)}
        # a target first, then one of the answers that lead there: ten numbers that all route the same way
        # weigh as much as one option
        targets = sorted(best)
        target = targets[who.rng.randrange(len(targets))]
        answers = [c.answer for c in pool if c.target == target]
        return answers[who.rng.randrange(len(answers))]

    def _score(self, key: str, calls: tuple[Frame, ...], who: Hidden) -> tuple[int, int]:
        """(level, steps to it): 2 for the fault's fix or outcome, 1 for the help its kind needs, else 0."""
        near = self._reach(key, calls)
        if who.fault in near:
            return 2, near[who.fault]
        help_ = _VISIT if who.kind == "onsite" else _ESCALATE if who.kind == "tier2" else None
        if help_ is not None and help_ in near:
            return 1, near[help_]
        return 0, 0

    def _reach(self, key: str, calls: tuple[Frame, ...]) -> dict[str, int]:
        """Steps from ``key`` to the nearest of each mark; in a procedure, a return goes on where its caller says."""
        near = dict(self.marks.get(key, {}))
        for frame in reversed(calls):
            returns = {m: d for m, d in near.items() if m.startswith(_RETURN)}
            if not returns:
                break
            near = {m: d for m, d in near.items() if not m.startswith(_RETURN)}
            caller = self.library[frame.tree_id].node(frame.call_node)
            assert isinstance(caller, CallNode)
            for mark, hops in returns.items():
                target = caller.on_return.get(mark[len(_RETURN) :], caller.next)
                for m, d in self.marks.get(f"{frame.tree_id}:{target}", {}).items():
                    near[m] = min(hops + 1 + d, near.get(m, hops + 1 + d))
        return near


def _better(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Score ``a`` clearly beats ``b``: a higher level, or the same level reached well sooner."""
    return a[0] > b[0] or (a[0] == b[0] > 0 and a[1] + SLACK < b[1])


def _key(pos: Pos, node_id: str) -> str:
    return f"{pos.tree_id}:{node_id}"


def _graph(library: Mapping[str, Tree], tree_id: str) -> tuple[Any, dict[str, set[str]]]:
    """The steps of the tree and the procedures it calls, as one graph, and what each step names itself."""
    graph = nx.DiGraph()
    own: dict[str, set[str]] = {}
    todo, seen = [tree_id], set()
    while todo:
        tid = todo.pop()
        if tid in seen or tid not in library:
            continue
        seen.add(tid)
        for node in library[tid].nodes:
            key = f"{tid}:{node.id}"
            graph.add_node(key)
            own[key] = _own_marks(node)
            for _label, target, _where in node.links():
                graph.add_edge(key, f"{tid}:{target}")
            if isinstance(node, CallNode) and node.procedure in library:
                graph.add_edge(key, f"{node.procedure}:{library[node.procedure].start}")
                todo.append(node.procedure)
    return graph, own


def _own_marks(node: AnyNode) -> set[str]:
    """The faults a step may fix or confirms, and whether it is a visit, an escalation or a return."""
    if isinstance(node, ActionNode):
        marks = {f for f, p in node.fixes.items() if p > 0}
        return marks | ({_VISIT} if node.performer is Performer.TECHNICIAN else set())
    if isinstance(node, VisitOutcome):
        return {_VISIT}
    if isinstance(node, EscalateOutcome):
        return {_ESCALATE}
    if isinstance(node, ReturnNode):
        return {_RETURN + node.status}
    fault = getattr(node, "fault", None)
    return {fault} if isinstance(fault, str) and getattr(node, "kind", "") == "outcome" else set()


def _follow(tree: Tree, node_id: str, facts: Mapping[str, Any], visits: Mapping[str, int]) -> str:
    """Where the walk stands after the logic nodes that follow ``node_id``, for these facts."""
    for _ in range(_MAX_LOGIC_HOPS):
        node = tree.by_id.get(node_id)
        if not isinstance(node, LogicNode):
            return node_id
        node_id = route(node, facts, visits)
    return node_id


def _raw_answers(node: CollectNode, tree: Tree, facts: Mapping[str, Any]) -> list[Any]:
    """Answers a customer could type at a collect step (see the module docstring)."""
    out: list[Any] = [] if node.required else [""]
    if node.type is FactType.CHOICE:
        return out + list(node.choices)
    if node.type is FactType.MULTI:
        return out + [[c] for c in node.choices] + [list(p) for p in combinations(node.choices, 2)]
    if node.type is FactType.YESNO:
        return out + ["yes", "no"]
    if node.type is FactType.NUMBER:
        return out + _numbers(node, _conditions(tree, node.next), facts)
    return out + [s for s in _TEXT_SAMPLES if node.pattern is None or re.fullmatch(node.pattern, s)]


def _conditions(tree: Tree, start: str) -> list[str]:
    """The conditions of the logic nodes reachable from ``start`` through logic alone."""
    out: list[str] = []
    todo, seen = [start], set[str]()
    while todo and len(seen) < _MAX_LOGIC_HOPS:
        node = tree.by_id.get(todo.pop())
        if not isinstance(node, LogicNode) or node.id in seen:
            continue
        seen.add(node.id)
        out += [r.when for r in node.rules]
        todo += [r.next for r in node.rules] + [node.default]
    return out


def _numbers(node: CollectNode, conditions: Iterable[str], facts: Mapping[str, Any]) -> list[float]:
    """A number step's bounds, and the values just either side of each number a condition on it compares."""
    lo = node.min if node.min is not None else 0.0
    hi = node.max if node.max is not None else max(lo, 0.0) + 1000.0
    values = {lo, hi}
    known = [
        v
        for k, v in facts.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and k != node.fact
    ]
    for cond in conditions:
        if not re.search(rf"\b{re.escape(node.fact)}\b", cond):
            continue
        for text in _NUMBER.findall(cond):
            x = float(text)
            values |= {x - 1, x + 1, x * 0.9, x * 1.1}
            for k in known:  # "wired_mbps < plan_min_mbps * 0.5": either side of the product and the quotient
                values |= {k * x * 0.9, k * x * 1.1}
                if x:
                    values |= {k / x * 0.9, k / x * 1.1}
    return sorted(round(v, 1) for v in values if lo <= round(v, 1) <= hi)
