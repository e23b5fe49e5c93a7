"""The policies a benchmark compares, by name: the authored flow and other baselines, the planner, the optimum."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from triage.guidance.optimal import Oracle
from triage.guidance.planner import Plan
from triage.guidance.policies import (
    Strategy,
    authored_policy,
    cheapest_first_policy,
    expected_cost,
    planner_policy,
    static_policy,
)
from triage.guidance.problem import Evidence, Problem
from triage.guidance.simulate.scenarios import Scenario

__all__ = [
    "POLICIES",
    "cached",
    "make_policies",
]


def cached(policy: Strategy) -> Strategy:
    """The same policy, remembering its step per evidence (policies here are deterministic)."""
    memo: dict[Evidence, Plan] = {}

    def wrapper(evidence: Evidence) -> Plan:
        hit = memo.get(evidence)
        if hit is None:
            hit = memo[evidence] = policy(evidence)
        return hit

    return wrapper


def _best_capped(model: Problem) -> Strategy:
    """The authored order with the cap (0..n steps, then escalate) that is cheapest under the model."""
    options = [authored_policy(model, cap=k) for k in range(len(model.actions) + 1)]
    costs = [expected_cost(model, p) for p in options]
    return options[costs.index(min(costs))]


POLICIES: Mapping[str, str] = {
    "authored": "authored order, every step, then escalate",
    "authored_capped": "authored order, best number of steps (under the model), then escalate",
    "cheapest_first": "cheapest step first, every step, then escalate",
    "static": "prior p/c order fixed up front, best cut-off, cheaper terminal",
    "planner": "re-planned p/c with best cut-off (actions only)",
    "planner_q": "planner with myopic value-of-information questions",
    "optimal": "exact optimum on the true model (DP over evidence states)",
}


def make_policies(
    scenario: Scenario, names: Iterable[str] = POLICIES, *, oracle: Oracle | None = None
) -> dict[str, Strategy]:
    """The named policies for a scenario, each planning with ``scenario.model`` (``optimal``: with the truth)."""
    out: dict[str, Strategy] = {}
    m = scenario.model
    for name in names:
        if name == "authored":
            out[name] = authored_policy(m)
        elif name == "authored_capped":
            out[name] = _best_capped(m)
        elif name == "cheapest_first":
            out[name] = cheapest_first_policy(m)
        elif name == "static":
            out[name] = static_policy(m)
        elif name == "planner":
            out[name] = cached(planner_policy(m, questions=False))
        elif name == "planner_q":
            out[name] = cached(planner_policy(m, questions=True))
        elif name == "optimal":
            out[name] = oracle or Oracle(scenario.truth)
        else:
            raise ValueError(f"unknown policy {name!r} (known: {', '.join(POLICIES)})")
    return out
