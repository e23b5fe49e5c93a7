"""Benchmark machinery for the planner (reference §9): scenarios, simulated customers, policies, metrics.

* **Scenarios** (:mod:`.scenarios`, :func:`generate`): seeded random instances of the families of §9.1, each a
  *truth* (what the simulated world does) and a *model* (what the planner is told; the same except in family E).
* **Policies** (:mod:`.lineup`, :data:`POLICIES`): the authored flow as written ("try everything, then
  escalate"), the same with its best cap, cheapest first, a static prior ``p/c`` plan, the re-planned planner
  with and without questions, and the exact optimum (DP) for small instances.
* **Exact metrics** (:mod:`.evaluation`, :func:`evaluate`): every policy here is a deterministic function of the
  evidence, so its expected cost, steps, self-resolution, outcome accuracy and the hindsight rates are computed
  exactly by walking its decision tree under the truth: no sampling noise in per-instance figures; confidence
  intervals (:mod:`.summary`) are across instances.
* **Simulated customers** (:mod:`.customers`, :func:`draw_customers`, :func:`run_session`): a hidden fault per
  session and one uniform draw per action, question and escalation, shared by every policy (common random
  numbers: the same step fixes the same customer whichever policy tries it). Used by the learning track and to
  cross-check the exact metrics.
* **Learning track** (:mod:`.learning_track`): sessions from the truth, planned with a model learned from the
  previous sessions (Thompson sampling or the posterior mean), exact per-session regret against the optimum.

Results are plain rows (dataclasses); rendering tables and charts is the caller's job.
"""

from __future__ import annotations

from triage.guidance.simulate.customers import (
    Customer,
    MonteCarloRow,
    SessionResult,
    draw_customers,
    monte_carlo,
    run_session,
)
from triage.guidance.simulate.evaluation import (
    Evaluation,
    InstanceResult,
    evaluate,
    run_instances,
)
from triage.guidance.simulate.learning_track import (
    Labels,
    LearningResult,
    Sampler,
    learning_track,
)
from triage.guidance.simulate.lineup import (
    POLICIES,
    cached,
    make_policies,
)
from triage.guidance.simulate.scenarios import (
    FAMILIES,
    GENERATOR_VERSION,
    Family,
    Progress,
    Scenario,
    Sizes,
    generate,
    misspecify,
    suite,
)
from triage.guidance.simulate.summary import (
    SummaryRow,
    mean_ci,
    summarize,
)

__all__ = [
    "FAMILIES",
    "GENERATOR_VERSION",
    "POLICIES",
    "Customer",
    "Evaluation",
    "Family",
    "InstanceResult",
    "Labels",
    "LearningResult",
    "MonteCarloRow",
    "Progress",
    "Sampler",
    "Scenario",
    "SessionResult",
    "Sizes",
    "SummaryRow",
    "cached",
    "draw_customers",
    "evaluate",
    "generate",
    "learning_track",
    "make_policies",
    "mean_ci",
    "misspecify",
    "monte_carlo",
    "run_instances",
    "run_session",
    "suite",
    "summarize",
]
