"""Simulated customers with common random numbers, walked one session at a time, and the Monte-Carlo check.

A hidden fault per session and one uniform draw per action, question and escalation, shared by every policy
(the same step fixes the same customer whichever policy tries it). Used by the learning track and to
cross-check the exact metrics.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from triage.errors import EvidenceError
from triage.guidance.optimal import Oracle
from triage.guidance.planner import Plan
from triage.guidance.policies import Strategy
from triage.guidance.problem import EMPTY, Problem
from triage.guidance.simulate._truth import Truth, truth_of
from triage.guidance.simulate.summary import mean_ci

__all__ = [
    "Customer",
    "MonteCarloRow",
    "SessionResult",
    "draw_customers",
    "monte_carlo",
    "run_session",
]


@dataclass(frozen=True)
class Customer:
    """One simulated session's hidden state: the fault and a uniform draw per action, question and escalation.

    Action ``a`` fixes it iff ``action_draws[a] < q_true[a, fault]``; a question's answer is the one whose
    cumulative likelihood first exceeds its draw; tier 2 resolves iff ``tier2_draw < r_fault``. Every policy
    run on the same customer sees the same draws.
    """

    fault: str
    action_draws: Mapping[str, float]
    answer_draws: Mapping[str, float]
    tier2_draw: float


def draw_customers(truth: Problem, count: int, seed: int) -> list[Customer]:
    """``count`` customers with faults drawn from ``truth``'s prior (seeded)."""
    rng = random.Random(f"triage-customers:{seed}")
    ids = [f.id for f in truth.faults]
    cum = list(_cumulative([f.prior for f in truth.faults]))
    out = []
    for _ in range(count):
        fault = ids[min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(ids) - 1)]
        out.append(
            Customer(
                fault=fault,
                action_draws={a.id: rng.random() for a in truth.actions},
                answer_draws={q.id: rng.random() for q in truth.questions},
                tier2_draw=rng.random(),
            )
        )
    return out


def _cumulative(xs: Iterable[float]) -> Iterable[float]:
    total = 0.0
    for x in xs:
        total += x
        yield total


@dataclass(frozen=True)
class SessionResult:
    """One simulated session.

    Attributes:
        fault: The hidden fault.
        cost: What the session cost.
        failed: Actions tried that failed, in order.
        fixed_by: The action that fixed it, if any.
        answers: Question id -> answer, in the order asked.
        outcome: ``fixed`` (self-help), ``tier2`` (escalated and resolved there) or ``visit``.
        escalated: Whether it was escalated.
        missed_escalation: The fault was not self-fixable and a step was tried after the oracle would have stopped.
    """

    fault: str
    cost: float
    failed: tuple[str, ...]
    fixed_by: str | None
    answers: Mapping[str, str]
    outcome: Literal["fixed", "tier2", "visit"]
    escalated: bool
    missed_escalation: bool = False

    @property
    def steps(self) -> int:
        """Actions + questions."""
        return len(self.failed) + (self.fixed_by is not None) + len(self.answers)


def run_session(
    truth: Problem, policy: Strategy, customer: Customer, *, oracle: Oracle | None = None
) -> SessionResult:
    """Walk one customer through a policy under the true model."""
    walk = _Walk(truth_of(truth), customer, oracle)
    for _ in range(len(walk.t.fix) + len(walk.t.likelihood) + 1):
        result = walk.take(policy(walk.evidence))
        if result is not None:
            return result
    raise EvidenceError("policy did not end the session: it ran out of steps and questions without stopping")


class _Walk:
    """One simulated session in progress: the evidence, what it has cost and what happened so far."""

    def __init__(self, t: Truth, customer: Customer, oracle: Oracle | None) -> None:
        self.t = t
        self.customer = customer
        self.oracle = oracle
        self.fi = t.ids.index(customer.fault)
        self.evidence = EMPTY
        self.cost = 0.0
        self.failed: list[str] = []
        self.answers: dict[str, str] = {}
        self.missed = False

    def take(self, step: Plan) -> SessionResult | None:
        """Take the policy's step: the session's result if it ended, else ``None``."""
        if step.kind == "escalate":
            return self._escalate()
        if step.kind == "visit":
            self.cost += self.t.term_visit[self.fi]
            return self._result("visit", escalated=False)
        if step.kind == "action":
            return self._act(step.target or "")
        self._ask(step.target or "")
        return None

    def _result(
        self, outcome: Literal["fixed", "tier2", "visit"], *, escalated: bool, fixed_by: str | None = None
    ) -> SessionResult:
        c = self.customer
        return SessionResult(
            c.fault, self.cost, tuple(self.failed), fixed_by, self.answers, outcome, escalated, self.missed
        )

    def _escalate(self) -> SessionResult:
        t, fi = self.t, self.fi
        self.cost += t.term_escalate[fi] - (1 - t.resolve[fi]) * t.term_visit[fi]
        tier2 = self.customer.tier2_draw < t.resolve[fi]
        if not tier2:
            self.cost += t.term_visit[fi]
        return self._result("tier2" if tier2 else "visit", escalated=True)

    def _act(self, target: str) -> SessionResult | None:
        t, e = self.t, self.evidence
        if target not in t.fix or target in e.failed:
            raise EvidenceError(f"policy chose action {target!r} at {e!r}: unknown or already tried")
        if self._stops_here():
            self.missed = True
        self.cost += t.action_cost[target]
        if self.customer.action_draws[target] < t.fix[target][self.fi]:
            return self._result("fixed", escalated=False, fixed_by=target)
        self.failed.append(target)
        self.evidence = e.with_failed(target)
        return None

    def _stops_here(self) -> bool:
        """A step on a fault self-help cannot fix, where the optimum would have stopped (counted once)."""
        return (
            self.oracle is not None
            and self.t.kind[self.fi] != "self"
            and not self.missed
            and self.oracle(self.evidence).kind in ("escalate", "visit")
        )

    def _ask(self, target: str) -> None:
        t, e = self.t, self.evidence
        if target not in t.likelihood or target in e.answers:
            raise EvidenceError(f"policy chose question {target!r} at {e!r}: unknown or already answered")
        self.cost += t.question_cost[target]
        u, acc = self.customer.answer_draws[target], 0.0
        options = t.likelihood[target]
        answer = options[-1][0]
        for o, lik in options:
            acc += lik[self.fi]
            if u < acc:
                answer = o
                break
        self.answers[target] = answer
        self.evidence = e.with_answer(target, answer)


@dataclass(frozen=True)
class MonteCarloRow:
    """Monte-Carlo figures of one policy over simulated customers (95% half-widths)."""

    policy: str
    sessions: int
    cost: float
    cost_ci: float
    steps: float
    self_resolved: float
    correct_outcome: float
    unnecessary_escalation: float
    unnecessary_visit: float
    missed_escalation: float


def monte_carlo(
    truth: Problem,
    policies: Mapping[str, Strategy],
    customers: Sequence[Customer],
    *,
    oracle: Oracle | None = None,
) -> list[MonteCarloRow]:
    """Every policy on the same customers (common random numbers); one row per policy."""
    kinds = {f.id: f.resolved_by for f in truth.faults}
    rows = []
    for name, pol in policies.items():
        rs = [run_session(truth, pol, c, oracle=oracle) for c in customers]
        n = len(rs)
        cost, ci = mean_ci([r.cost for r in rs])
        rows.append(
            MonteCarloRow(
                policy=name,
                sessions=n,
                cost=cost,
                cost_ci=ci,
                steps=sum(r.steps for r in rs) / n,
                self_resolved=sum(r.outcome == "fixed" for r in rs) / n,
                correct_outcome=sum(
                    {"fixed": "self", "tier2": "tier2", "visit": "onsite"}[r.outcome] == kinds[r.fault]
                    for r in rs
                )
                / n,
                unnecessary_escalation=sum(r.escalated and kinds[r.fault] == "self" for r in rs) / n,
                unnecessary_visit=sum(r.outcome == "visit" and kinds[r.fault] != "onsite" for r in rs) / n,
                missed_escalation=sum(r.missed_escalation for r in rs) / n
                if oracle is not None
                else math.nan,
            )
        )
    return rows
