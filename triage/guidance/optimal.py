"""The exact optimum, for small instances: dynamic programming over evidence states, and brute force.

:class:`Oracle` computes ``V(e)``, the optimal expected cost from any evidence, and an optimal next step; the
benchmark measures the planner against it. :func:`brute_force_cost` enumerates every strategy tree of tiny
instances, independently of the oracle, to cross-check it. Both refuse instances that are too large
(:class:`~triage.errors.TooLargeError`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from operator import mul
from typing import Any, TypeAlias

from triage.errors import EvidenceError, TooLargeError
from triage.guidance._compiled import UNEXPLAINED, Compiled, cheaper_terminal, dot, encode, weights
from triage.guidance.planner import Plan
from triage.guidance.problem import EMPTY, Evidence, Problem

__all__ = [
    "Oracle",
    "brute_force_cost",
    "optimal_cost",
    "optimal_policy",
]


class Oracle:
    """The exact optimum by dynamic programming over evidence states (small instances).

    ``V(e) = min{T(e), min_a [c_a + P(a fails|e)·V(e + a failed)], min_Q [c_Q + Σ_o P(o|e)·V(e + Q=o)]}``,
    memoised on (failed-action set, answers): at most ``2^n · Π(answers_Q + 1)`` states (83k for 10 actions and
    4 yes/no questions). Values are computed lazily, so an oracle asked only about the start explores only
    what the start needs.

    Args:
        problem: The model to optimise for.
        max_states: Refuse larger state spaces (:class:`~triage.errors.TooLargeError`).
    """

    def __init__(self, problem: Problem, *, max_states: int = 2_000_000) -> None:
        comp = problem._compiled
        n = len(comp.action_cost)
        size = 2**n
        for os in comp.answer_ids:
            size *= len(os) + 1
        if size > max_states:
            raise TooLargeError(
                f"problem has {n} actions and {len(comp.answer_ids)} questions: {size} evidence states, "
                f"more than max_states={max_states}"
            )
        self.problem = problem
        self._comp = comp
        self._n = n
        self._base: list[int] = []
        b = 1 << n
        for os in comp.answer_ids:
            self._base.append(b)
            b *= len(os) + 1
        self._memo: dict[int, float] = {}
        self._lower: dict[int, tuple[float, ...]] = {}

    @property
    def states(self) -> int:
        """Evidence states solved so far."""
        return len(self._memo)

    def _key(self, evidence: Evidence) -> tuple[int, list[float], float]:
        mask, answers = encode(self._comp, evidence)
        key = mask + sum(self._base[j] * (k + 1) for j, k in answers)
        w = weights(self._comp, mask, answers)
        return key, w, math.fsum(w)

    def _bounds(self, mask: int) -> tuple[float, ...]:
        """Per fault, a lower bound on the cost of ending a session with that fault from an evidence state with
        ``mask`` failed: it ends with a terminal or with an untried step that can fix it, and costs are >= 0."""
        hit = self._lower.get(mask)
        if hit is None:
            comp = self._comp
            low = [min(e, v) for e, v in zip(comp.term_escalate, comp.term_visit, strict=True)]
            for a, (c, row) in enumerate(zip(comp.action_cost, comp.fix, strict=True)):
                if not mask >> a & 1:
                    low = [min(x, c) if q > 0 else x for x, q in zip(low, row, strict=True)]
            hit = self._lower[mask] = tuple(low)
        return hit

    def _solve(self, key: int, w: list[float]) -> float:
        """``V(e)·P(e)`` for the state ``key`` with unnormalised weights ``w``, memoised."""
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        comp = self._comp
        mass = sum(w)
        if mass <= 0.0:
            return 0.0
        best: float = min(sum(map(mul, w, comp.term_escalate)), sum(map(mul, w, comp.term_visit)))
        mask = key & ((1 << self._n) - 1)
        best = self._try_actions(key, mask, w, mass, best)
        best = self._try_questions(key, mask, w, mass, best)
        self._memo[key] = best
        return best

    def _try_actions(self, key: int, mask: int, w: list[float], mass: float, best: float) -> float:
        """The best of ``best`` and every untried action followed by the optimum, pruned by the bounds."""
        comp = self._comp
        # most efficient first, so that a good plan is found early and the bounds prune more
        options = []
        for a in range(self._n):
            if not mask >> a & 1:
                p = sum(map(mul, w, comp.fix[a]))
                if p > 0.0:  # a step that cannot fix anything only adds cost
                    c = comp.action_cost[a]
                    options.append((-(p / c) if c > 0 else -math.inf, a))
        options.sort()
        for _, a in options:
            cost = comp.action_cost[a] * mass
            if cost >= best:
                continue
            nw = list(map(mul, w, comp.miss[a]))
            if cost + sum(map(mul, nw, self._bounds(mask | 1 << a))) >= best:
                continue
            v = cost + self._solve(key | 1 << a, nw)
            if v < best:
                best = v
        return best

    def _try_questions(self, key: int, mask: int, w: list[float], mass: float, best: float) -> float:
        """The best of ``best`` and every unasked question followed by the optimum, pruned by the bounds."""
        comp = self._comp
        low = sum(map(mul, w, self._bounds(mask)))
        for j, base in enumerate(self._base):
            if (key // base) % (len(comp.answer_ids[j]) + 1):
                continue
            v = comp.question_cost[j] * mass
            rest = low  # the bound is linear and answer likelihoods sum to 1: it splits over the answers
            for k, lik in enumerate(comp.likelihood[j]):
                if v + rest >= best:
                    break
                nw = list(map(mul, w, lik))
                rest -= sum(map(mul, nw, self._bounds(mask)))
                v += self._solve(key + base * (k + 1), nw)
            else:  # every answer evaluated without hitting the bound
                best = min(best, v)
        return best

    def value(self, evidence: Evidence = EMPTY) -> float:
        """``V(e)``: the optimal expected cost from ``evidence``."""
        key, w, mass = self._key(evidence)
        if mass <= 0.0:
            raise EvidenceError(UNEXPLAINED)
        return self._solve(key, w) / mass

    def __call__(self, evidence: Evidence = EMPTY) -> Plan:
        """An optimal next step at ``evidence`` (ties: stop, then actions, then questions, in problem order)."""
        comp = self._comp
        key, w, mass = self._key(evidence)
        if mass <= 0.0:
            raise EvidenceError(UNEXPLAINED)
        value = self._solve(key, w)
        tol = 1e-9 * max(1.0, abs(value))
        kind, t = cheaper_terminal(comp, w)
        if t <= value + tol:
            return Plan(kind=kind, expected_cost=value / mass, explanation="Optimal: stop here.")
        for a, act in enumerate(self.problem.actions):
            if key >> a & 1 or dot(w, comp.fix[a]) <= 0.0:
                continue
            v = comp.action_cost[a] * mass + self._solve(
                key | 1 << a, [x * y for x, y in zip(w, comp.miss[a], strict=True)]
            )
            if v <= value + tol:
                return Plan(
                    kind="action", target=act.id, expected_cost=value / mass, explanation="Optimal step."
                )
        for j, base in enumerate(self._base):
            if (key // base) % (len(comp.answer_ids[j]) + 1):
                continue
            v = comp.question_cost[j] * mass + math.fsum(
                self._solve(key + base * (k + 1), [x * y for x, y in zip(w, lik, strict=True)])
                for k, lik in enumerate(comp.likelihood[j])
            )
            if v <= value + tol:
                q = self.problem.questions[j]
                return Plan(
                    kind="question", target=q.id, expected_cost=value / mass, explanation="Optimal question."
                )
        raise AssertionError("no option reaches the optimal value")  # pragma: no cover


def optimal_policy(problem: Problem, *, max_states: int = 2_000_000) -> Oracle:
    """The exact optimal policy (an :class:`Oracle`, callable on evidence)."""
    return Oracle(problem, max_states=max_states)


def optimal_cost(problem: Problem, evidence: Evidence = EMPTY, *, max_states: int = 2_000_000) -> float:
    """``V*``: the optimal expected cost from ``evidence`` (exact DP; small instances only)."""
    return Oracle(problem, max_states=max_states).value(evidence)


# -- brute force ------------------------------------------------------------------------------------------------

# ("escalate",) | ("visit",) | ("action", a, tree) | ("question", j, (tree per answer, ...))
_Tree: TypeAlias = tuple[Any, ...]


def _strategies(comp: Compiled, mask: int, asked: frozenset[int]) -> Iterator[_Tree]:
    """Every strategy tree from a state: both terminals, every action then every continuation, every question
    then every combination of continuations per answer."""
    yield ("escalate",)
    yield ("visit",)
    for a in range(len(comp.action_cost)):
        if not mask >> a & 1:
            for sub in _strategies(comp, mask | 1 << a, asked):
                yield ("action", a, sub)
    for j, os in enumerate(comp.answer_ids):
        if j not in asked:
            subs = list(_strategies(comp, mask, asked | {j}))
            for combo in itertools.product(subs, repeat=len(os)):
                yield ("question", j, combo)


def _tree_cost(comp: Compiled, tree: _Tree, w: list[float]) -> float:
    kind = tree[0]
    if kind == "escalate":
        return dot(w, comp.term_escalate)
    if kind == "visit":
        return dot(w, comp.term_visit)
    m = math.fsum(w)
    if kind == "action":
        a = tree[1]
        return comp.action_cost[a] * m + _tree_cost(
            comp, tree[2], [x * y for x, y in zip(w, comp.miss[a], strict=True)]
        )
    j = tree[1]
    return comp.question_cost[j] * m + math.fsum(
        _tree_cost(comp, sub, [x * y for x, y in zip(w, lik, strict=True)])
        for sub, lik in zip(tree[2], comp.likelihood[j], strict=True)
    )


def brute_force_cost(problem: Problem, *, max_strategies: int = 2_000_000) -> float:
    """The optimal expected cost by evaluating every strategy tree one by one (tiny instances only).

    Independent of :class:`Oracle` (no memo, no pruning): it exists to cross-check it.

    Raises:
        TooLargeError: if there are more than ``max_strategies`` strategies.
    """
    comp = problem._compiled
    w = list(comp.prior)
    best = math.inf
    for i, tree in enumerate(_strategies(comp, 0, frozenset())):
        if i >= max_strategies:
            raise TooLargeError(f"more than max_strategies={max_strategies} strategies; use optimal_cost()")
        best = min(best, _tree_cost(comp, tree, w))
    return best / math.fsum(w)
