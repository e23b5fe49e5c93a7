"""Guidance: decision theory for troubleshooting, on abstract problems (faults, actions, questions).

Which step next, when to stop, the exact optimum for small problems, learning the numbers from outcomes, and
the simulator that compares policies. It knows nothing of tree files, sessions or databases:
:mod:`triage.trees.fix_groups` turns a tree's fix group into a problem here and :mod:`triage.records.history`
turns stored sessions into evidence.

Modules, each building on the ones above it:

* :mod:`~triage.guidance.problem`: the model (faults, actions, questions, costs, :class:`Problem`, validated
  when built), :class:`Evidence`, the posterior and the cost of stopping; the reference instances.
* :mod:`~triage.guidance.planner`: :func:`plan`, the next step with its explanation; :func:`best_prefix`.
* :mod:`~triage.guidance.policies`: the planner and its baselines as policies, and their exact expected cost.
* :mod:`~triage.guidance.optimal`: the exact optimum (:class:`Oracle`, dynamic programming) and brute force.
* :mod:`~triage.guidance.learning`: the numbers learned from closed sessions (:class:`Beliefs`).
* :mod:`~triage.guidance.simulate`: the benchmark machinery (scenarios, simulated customers, metrics).

The names most callers need are re-exported here: ``from triage.guidance import Problem, plan``.

May import: :mod:`triage.errors` only.
"""

from __future__ import annotations

from triage.guidance.learning import (
    Beliefs,
    LearnedRow,
    Parameter,
    SessionRecord,
    learned_vs_authored,
)
from triage.guidance.optimal import (
    Oracle,
    brute_force_cost,
    optimal_cost,
    optimal_policy,
)
from triage.guidance.planner import (
    NOT_OFFERED,
    ActionPlan,
    Plan,
    best_prefix,
    plan,
)
from triage.guidance.policies import (
    Strategy,
    authored_policy,
    cheapest_first_policy,
    expected_cost,
    planner_policy,
    static_policy,
)
from triage.guidance.problem import (
    DEFAULT_TIER2_RESOLVE,
    EMPTY,
    FAULT_CLASSES,
    PRIOR_TOLERANCE,
    Action,
    Costs,
    Evidence,
    Fault,
    FaultClass,
    Problem,
    Question,
    StepKind,
    Terminal,
    counterexample,
    posterior,
    single_service,
    stop_cost,
    worked_example,
)

__all__ = [
    "DEFAULT_TIER2_RESOLVE",
    "EMPTY",
    "FAULT_CLASSES",
    "NOT_OFFERED",
    "PRIOR_TOLERANCE",
    "Action",
    "ActionPlan",
    "Beliefs",
    "Costs",
    "Evidence",
    "Fault",
    "FaultClass",
    "LearnedRow",
    "Oracle",
    "Parameter",
    "Plan",
    "Problem",
    "Question",
    "SessionRecord",
    "StepKind",
    "Strategy",
    "Terminal",
    "authored_policy",
    "best_prefix",
    "brute_force_cost",
    "cheapest_first_policy",
    "counterexample",
    "expected_cost",
    "learned_vs_authored",
    "optimal_cost",
    "optimal_policy",
    "plan",
    "planner_policy",
    "posterior",
    "single_service",
    "static_policy",
    "stop_cost",
    "worked_example",
]
