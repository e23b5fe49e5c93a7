"""Policies: deterministic rules for the next step, and the exact expected cost of following one.

A :data:`Strategy` maps the evidence so far to a :class:`~triage.guidance.planner.Plan`. Besides the planner
itself (:func:`planner_policy`), the baselines it is measured against: the authored flow
(:func:`authored_policy`), cheapest first, and a static prior ``p/c`` plan. :func:`expected_cost` judges any
of them exactly under a (possibly different, "true") problem by walking its decision tree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeAlias

from triage.errors import EvidenceError
from triage.guidance._compiled import REL_EPS, cheaper_terminal, dot, explained
from triage.guidance.planner import Plan, plan
from triage.guidance.problem import EMPTY, Evidence, Problem, Terminal, stop_cost

__all__ = [
    "Strategy",
    "authored_policy",
    "cheapest_first_policy",
    "expected_cost",
    "planner_policy",
    "static_policy",
]


Strategy: TypeAlias = Callable[[Evidence], Plan]
"""A deterministic policy: the next step as a function of the evidence so far."""


def planner_policy(problem: Problem, *, questions: bool = True) -> Strategy:
    """The planner as a policy (re-planned at every step), planning with ``problem``."""

    def policy(evidence: Evidence) -> Plan:
        return plan(problem, evidence, questions=questions)

    return policy


def _sequence_policy(
    problem: Problem, order: Sequence[str], cutoff: int, terminal: Terminal | None
) -> Strategy:
    """Try ``order[:cutoff]`` in turn (skipping failed ones), then stop with ``terminal`` (``None``: cheaper)."""
    todo = tuple(order[:cutoff])

    def policy(evidence: Evidence) -> Plan:
        for a in todo:
            if a not in evidence.failed:
                return Plan(kind="action", target=a)
        if terminal is not None:
            return Plan(kind=terminal)
        return Plan(kind=stop_cost(problem, evidence)[0])

    return policy


def authored_policy(problem: Problem, *, cap: int | None = None, terminal: Terminal = "escalate") -> Strategy:
    """The authored flow: the actions in the order written (at most ``cap`` of them), then ``terminal``."""
    return _sequence_policy(
        problem, [a.id for a in problem.actions], len(problem.actions) if cap is None else cap, terminal
    )


def cheapest_first_policy(problem: Problem, *, terminal: Terminal = "escalate") -> Strategy:
    """Every action, cheapest first (ties in the order written), then ``terminal``."""
    order = [a.id for a in sorted(problem.actions, key=lambda a: a.cost)]
    return _sequence_policy(problem, order, len(order), terminal)


def static_policy(problem: Problem) -> Strategy:
    """A plan fixed up front: prior ``p/c`` order (not re-planned), best cut-off, then the cheaper terminal."""
    comp = problem._compiled
    w = list(comp.prior)
    mass = math.fsum(w)
    eff = []
    for a, c in enumerate(comp.action_cost):
        p = dot(w, comp.fix[a])
        if p > 0:
            eff.append((-(p / c if c > 0 else math.inf), -p, a))
    order = [a for *_, a in sorted(eff)]
    best, best_k, spent, cur = cheaper_terminal(comp, w)[1], 0, 0.0, w
    for k, a in enumerate(order, start=1):
        spent += comp.action_cost[a] * mass
        cur = [x * y for x, y in zip(cur, comp.miss[a], strict=True)]
        mass = math.fsum(cur)
        total = spent + cheaper_terminal(comp, cur)[1]
        if total < best - REL_EPS * abs(best):
            best, best_k = total, k
    return _sequence_policy(problem, [problem.actions[a].id for a in order], best_k, None)


def expected_cost(problem: Problem, policy: Strategy, evidence: Evidence = EMPTY) -> float:
    """Exact expected cost of a deterministic policy from ``evidence``, under ``problem``'s probabilities.

    The policy may plan with another model (a misspecified one, a learned one); ``problem`` is the truth it is
    judged by. Every evidence state the policy reaches with positive probability is visited once.

    Raises:
        EvidenceError: if the policy repeats an action or question, or names one the problem does not have.
    """
    comp = problem._compiled
    *_, w, mass = explained(comp, evidence)

    def walk(e: Evidence, w: list[float]) -> float:
        m = math.fsum(w)
        if m <= 0.0:
            return 0.0
        step = policy(e)
        if step.kind == "escalate":
            return dot(w, comp.term_escalate)
        if step.kind == "visit":
            return dot(w, comp.term_visit)
        target = step.target or ""
        if step.kind == "action":
            a = comp.action_index.get(target)
            if a is None or target in e.failed:
                raise EvidenceError(f"policy chose action {target!r} at {e!r}: unknown or already tried")
            nw = [x * y for x, y in zip(w, comp.miss[a], strict=True)]
            return comp.action_cost[a] * m + walk(e.with_failed(target), nw)
        j = comp.question_index.get(target)
        if j is None or target in e.answers:
            raise EvidenceError(f"policy chose question {target!r} at {e!r}: unknown or already answered")
        total = comp.question_cost[j] * m
        for o, lik in zip(comp.answer_ids[j], comp.likelihood[j], strict=True):
            total += walk(e.with_answer(target, o), [x * y for x, y in zip(w, lik, strict=True)])
        return total

    return walk(evidence, w) / mass
