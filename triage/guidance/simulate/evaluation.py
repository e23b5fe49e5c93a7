"""Exact metrics: every policy here is a deterministic function of the evidence, so its expected cost, steps,
self-resolution, outcome accuracy and the hindsight rates are computed exactly by walking its decision tree
under the truth (no sampling noise in per-instance figures)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from triage.errors import EvidenceError
from triage.guidance.optimal import Oracle
from triage.guidance.policies import Strategy
from triage.guidance.problem import EMPTY, Evidence, Problem
from triage.guidance.simulate._truth import Truth, where
from triage.guidance.simulate.lineup import POLICIES, make_policies
from triage.guidance.simulate.scenarios import Family, Progress, Scenario

__all__ = [
    "Evaluation",
    "InstanceResult",
    "evaluate",
    "run_instances",
]


@dataclass(frozen=True)
class Evaluation:
    """Exact expectations of one policy on one true model (probabilities are per session).

    Attributes:
        cost: Expected cost (``ECR``).
        steps: Expected actions + questions.
        actions: Expected actions tried.
        questions: Expected questions asked.
        self_resolved: P(a self-help step fixed it).
        escalated: P(escalated to tier 2).
        visited: P(a home visit, directly or after tier 2).
        correct_outcome: P(the resolver's class equals the fault's class κ(f)).
        unnecessary_escalation: P(escalated and the fault was self-fixable).
        unnecessary_visit: P(visit and the fault did not need one).
        missed_escalation: P(fault not self-fixable and a self-help step was tried after the oracle would have
            stopped); NaN without an oracle.
    """

    cost: float
    steps: float
    actions: float
    questions: float
    self_resolved: float
    escalated: float
    visited: float
    correct_outcome: float
    unnecessary_escalation: float
    unnecessary_visit: float
    missed_escalation: float


def evaluate(truth: Problem, policy: Strategy, *, oracle: Oracle | None = None) -> Evaluation:
    """Exact metrics of a deterministic policy under ``truth`` (see :class:`Evaluation`).

    Args:
        truth: The true model the policy is judged by (it may plan with another).
        policy: The policy.
        oracle: The exact optimum of ``truth``, for missed escalations.
    """
    t = Truth.of(truth)
    is_self = [k == "self" for k in t.kind]
    not_self = [not x for x in is_self]
    not_onsite = [k != "onsite" for k in t.kind]
    acc = dict.fromkeys(
        (
            "cost",
            "actions",
            "questions",
            "fixed",
            "escalated",
            "visited",
            "correct",
            "unesc",
            "unvisit",
            "missed",
        ),
        0.0,
    )

    def walk(e: Evidence, w: list[float], late: bool) -> None:
        m = math.fsum(w)
        if m <= 0.0:
            return
        step = policy(e)
        if step.kind == "escalate":
            acc["cost"] += math.fsum(x * c for x, c in zip(w, t.term_escalate, strict=True))
            acc["escalated"] += m
            acc["unesc"] += where(w, is_self)
            fail = [x * (1 - r) for x, r in zip(w, t.resolve, strict=True)]
            acc["visited"] += math.fsum(fail)
            acc["unvisit"] += where(fail, not_onsite)
            acc["correct"] += math.fsum(
                x * (r if k == "tier2" else (1 - r) if k == "onsite" else 0.0)
                for x, r, k in zip(w, t.resolve, t.kind, strict=True)
            )
            return
        if step.kind == "visit":
            acc["cost"] += math.fsum(x * c for x, c in zip(w, t.term_visit, strict=True))
            acc["visited"] += m
            acc["unvisit"] += where(w, not_onsite)
            acc["correct"] += m - where(w, not_onsite)
            return
        target = step.target or ""
        if step.kind == "action":
            if target not in t.fix or target in e.failed:
                raise EvidenceError(f"policy chose action {target!r} at {e!r}: unknown or already tried")
            if oracle is not None and not late and oracle(e).kind in ("escalate", "visit"):
                late = True
                acc["missed"] += where(w, not_self)
            q = t.fix[target]
            fixed = [x * y for x, y in zip(w, q, strict=True)]
            acc["cost"] += t.action_cost[target] * m
            acc["actions"] += m
            acc["fixed"] += math.fsum(fixed)
            acc["correct"] += where(fixed, is_self)
            walk(e.with_failed(target), [x - y for x, y in zip(w, fixed, strict=True)], late)
            return
        if target not in t.likelihood or target in e.answers:
            raise EvidenceError(f"policy chose question {target!r} at {e!r}: unknown or already answered")
        acc["cost"] += t.question_cost[target] * m
        acc["questions"] += m
        for o, lik in t.likelihood[target]:
            walk(e.with_answer(target, o), [x * y for x, y in zip(w, lik, strict=True)], late)

    walk(EMPTY, list(t.prior), False)
    total = math.fsum(t.prior)
    return Evaluation(
        cost=acc["cost"] / total,
        steps=(acc["actions"] + acc["questions"]) / total,
        actions=acc["actions"] / total,
        questions=acc["questions"] / total,
        self_resolved=acc["fixed"] / total,
        escalated=acc["escalated"] / total,
        visited=acc["visited"] / total,
        correct_outcome=acc["correct"] / total,
        unnecessary_escalation=acc["unesc"] / total,
        unnecessary_visit=acc["unvisit"] / total,
        missed_escalation=acc["missed"] / total if oracle is not None else math.nan,
    )


@dataclass(frozen=True)
class InstanceResult:
    """One policy on one scenario: exact metrics and the true optimum ``V*``."""

    family: Family
    seed: int
    policy: str
    evaluation: Evaluation
    optimum: float

    @property
    def ratio(self) -> float:
        """Expected cost over the optimum (1 is optimal)."""
        return self.evaluation.cost / self.optimum if self.optimum > 0 else 1.0


def run_instances(
    scenarios: Sequence[Scenario],
    policies: Iterable[str] = POLICIES,
    *,
    progress: Progress | None = None,
) -> list[InstanceResult]:
    """Every named policy on every scenario, evaluated exactly under the truth (rows in scenario order)."""
    names = list(policies)
    out: list[InstanceResult] = []
    for i, sc in enumerate(scenarios):
        oracle = Oracle(sc.truth)
        v = oracle.value()
        for name, pol in make_policies(sc, names, oracle=oracle).items():
            out.append(InstanceResult(sc.family, sc.seed, name, evaluate(sc.truth, pol, oracle=oracle), v))
        if progress is not None:
            progress(i + 1, len(scenarios), f"family {sc.family} seed {sc.seed}")
    return out
