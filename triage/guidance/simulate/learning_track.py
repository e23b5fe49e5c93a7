"""The learning track: sessions from the truth, planned with a model learned from the previous sessions.

Thompson sampling or the posterior mean (or the authored model, never learning), with the exact per-session
regret against the optimum.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from triage.guidance.learning import Beliefs, SessionRecord
from triage.guidance.optimal import Oracle
from triage.guidance.policies import expected_cost, planner_policy
from triage.guidance.simulate.customers import draw_customers, run_session
from triage.guidance.simulate.lineup import cached
from triage.guidance.simulate.scenarios import Progress, Scenario

__all__ = [
    "Labels",
    "LearningResult",
    "Sampler",
    "learning_track",
]

Sampler: TypeAlias = Literal["thompson", "mean", "authored"]
Labels: TypeAlias = Literal["full", "escalations", "none"]


@dataclass(frozen=True)
class LearningResult:
    """Per-session exact regret of a learner on one scenario.

    Attributes:
        family: The scenario family.
        seed: The scenario seed.
        sampler: ``thompson`` (plan each session with a posterior draw), ``mean`` (posterior mean: certainty
            equivalence) or ``authored`` (never learns).
        optimum: ``V*`` of the truth.
        regret: Per session ``t``, ``ECR_true(policy_t) - V*``, exact.
        beliefs: The learner's final state.
    """

    family: str
    seed: int
    sampler: str
    optimum: float
    regret: tuple[float, ...]
    beliefs: Beliefs = field(repr=False)

    def window(self, start: int, stop: int | None = None) -> float:
        """Mean regret over sessions ``start..stop`` (0-based, ``stop`` exclusive)."""
        xs = self.regret[start:stop]
        return math.fsum(xs) / len(xs) if xs else math.nan

    @property
    def cumulative(self) -> float:
        """Total regret over all sessions."""
        return math.fsum(self.regret)


def learning_track(
    scenario: Scenario,
    *,
    sessions: int = 1100,
    sampler: Sampler = "thompson",
    labels: Labels = "full",
    seed: int = 0,
    questions: bool = True,
    prior_weight: float = 10.0,
    fix_weight: float = 10.0,
    progress: Progress | None = None,
) -> LearningResult:
    """Simulate ``sessions`` customers from the truth, learning from the start's model after each session.

    Each session is planned by the planner on the learner's current model (see ``sampler``) and walked with a
    simulated customer; its record then updates the learner. Closure codes (``labels``): ``full`` names the
    fault on every session, ``escalations`` only on escalated ones, ``none`` never.
    """
    truth, model = scenario.truth, scenario.model
    beliefs = Beliefs(model, prior_weight=prior_weight, fix_weight=fix_weight, answer_weight=fix_weight)
    oracle = Oracle(truth)
    v = oracle.value()
    rng = random.Random(f"triage-learning:{scenario.family}:{scenario.seed}:{seed}:{sampler}")
    regret = []
    for t, customer in enumerate(draw_customers(truth, sessions, seed)):
        current = (
            model
            if sampler == "authored"
            else beliefs.sample(rng)
            if sampler == "thompson"
            else beliefs.mean()
        )
        pol = cached(planner_policy(current, questions=questions))
        regret.append(expected_cost(truth, pol) - v)
        r = run_session(truth, pol, customer)
        coded = labels == "full" or (labels == "escalations" and r.outcome != "fixed")
        if sampler != "authored":
            beliefs.update(SessionRecord(r.failed, r.fixed_by, r.answers, customer.fault if coded else None))
        if progress is not None:
            progress(t + 1, sessions, f"session {t + 1}")
    return LearningResult(scenario.family, scenario.seed, sampler, v, tuple(regret), beliefs)
