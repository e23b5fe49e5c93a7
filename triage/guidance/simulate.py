"""Benchmark machinery for the planner (reference §9): scenarios, simulated customers, policies, metrics.

* **Scenarios** (:func:`generate`): seeded random instances of the families of §9.1, each a *truth* (what the
  simulated world does) and a *model* (what the planner is told; the same except in family E).
* **Policies** (:data:`POLICIES`): the authored flow as written ("try everything, then escalate"), the same with
  its best cap, cheapest first, a static prior ``p/c`` plan, the re-planned planner with and without
  questions, and the exact optimum (DP) for small instances.
* **Exact metrics** (:func:`evaluate`): every policy here is a deterministic function of the evidence, so its
  expected cost, steps, self-resolution, outcome accuracy and the hindsight rates are computed exactly by
  walking its decision tree under the truth: no sampling noise in per-instance figures; confidence intervals
  are across instances.
* **Simulated customers** (:func:`draw_customers`, :func:`run_session`): a hidden fault per session and one
  uniform draw per action, question and escalation, shared by every policy (common random numbers: the same
  step fixes the same customer whichever policy tries it). Used by the learning track and to cross-check the
  exact metrics.
* **Learning track** (:func:`learning_track`): sessions from the truth, planned with a model learned from the
  previous sessions (Thompson sampling or the posterior mean), exact per-session regret against the optimum.

Results are plain rows (dataclasses); rendering tables and charts is the caller's job.
"""

from __future__ import annotations

import bisect
import math
import random
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from triage.errors import EvidenceError
from triage.guidance.learning import Beliefs, SessionRecord
from triage.guidance.planner import (
    EMPTY,
    Action,
    Costs,
    Evidence,
    Fault,
    FaultClass,
    Oracle,
    Plan,
    Problem,
    Question,
    Strategy,
    authored_policy,
    cheapest_first_policy,
    expected_cost,
    planner_policy,
    single_service,
    static_policy,
)

__all__ = [
    "FAMILIES",
    "GENERATOR_VERSION",
    "POLICIES",
    "Customer",
    "Evaluation",
    "Family",
    "InstanceResult",
    "LearningResult",
    "MonteCarloRow",
    "Progress",
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

GENERATOR_VERSION = 1
"""Bumped whenever :func:`generate` changes what a (family, seed) produces."""

Family: TypeAlias = Literal["A", "B", "C", "D", "E"]
FAMILIES: Mapping[Family, str] = {
    "A": "independent actions (one fix per fault), no questions, one always-resolving service",
    "B": "actions fixing 1-2 faults, two-level service (C_E 15, C_V 60), no questions",
    "C": "B plus 1-4 yes/no questions",
    "D": "C with expensive escalation and visits (C_E 40, C_V 200)",
    "E": "C planned with a misspecified model: prior ~ Dir(kappa*pi), fix probabilities off by 0.5 in logit",
}

Progress: TypeAlias = Callable[[int, int, str], None]
"""``progress(done, total, what)``, called as work completes."""

_CLASS_WEIGHTS: tuple[tuple[FaultClass, float], ...] = (("self", 0.55), ("tier2", 0.25), ("onsite", 0.20))
_ACTION_COSTS = (1, 2, 3, 5, 8)
_YES = (0.05, 0.2, 0.5, 0.8, 0.95)
_QUESTION_COSTS = (0.5, 1, 2)
_PRIOR_FLOOR = (
    1e-6  # a misspecified prior never rules a fault out entirely: authors do not write 0 for a listed cause
)


# -- scenarios ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """Size ranges (inclusive) of generated instances; defaults follow §9.1."""

    faults: tuple[int, int] = (4, 12)
    actions: tuple[int, int] = (4, 10)
    questions: tuple[int, int] = (1, 4)


@dataclass(frozen=True)
class Scenario:
    """One benchmark instance.

    Attributes:
        family: The scenario family (:data:`FAMILIES`).
        seed: The seed it was generated from.
        truth: The world: hidden faults are drawn from it and steps succeed with its probabilities.
        model: What the planner is told (equal to ``truth`` except in family E).
    """

    family: Family
    seed: int
    truth: Problem
    model: Problem


def _dirichlet(rng: random.Random, alphas: Sequence[float]) -> list[float]:
    while True:
        g = [rng.gammavariate(a, 1.0) for a in alphas]
        t = math.fsum(g)
        if t > 0:
            return [x / t for x in g]


def _logit_shift(q: float, shift: float) -> float:
    if q <= 0.0 or q >= 1.0:
        return q
    z = math.log(q / (1.0 - q)) + shift
    return 1.0 / (1.0 + math.exp(-z))


def _classes(rng: random.Random, m: int, need_self: int) -> list[FaultClass]:
    names = [c for c, _ in _CLASS_WEIGHTS]
    weights = [w for _, w in _CLASS_WEIGHTS]
    out: list[FaultClass] = [rng.choices(names, weights)[0] for _ in range(m)]
    others = [i for i, c in enumerate(out) if c != "self"]
    rng.shuffle(others)
    while sum(c == "self" for c in out) < need_self:
        out[others.pop()] = "self"
    return out


def _authored_order(faults: Sequence[Fault], actions: list[Action]) -> list[Action]:
    """Most likely to fix it first: how an expert writes a flow (not cost-aware)."""
    prior = {f.id: f.prior for f in faults}
    return sorted(actions, key=lambda a: -math.fsum(prior[f] * q for f, q in a.fixes.items()))


def generate(family: Family, seed: int, *, sizes: Sizes = Sizes(), kappa: float = 50.0) -> Scenario:
    """A random instance of ``family``, the same for the same arguments (and :data:`GENERATOR_VERSION`).

    Faults ``f1..fm`` with ``π ~ Dirichlet(0.7)``, classes self/tier2/onsite with probability 0.55/0.25/0.20;
    actions ``a1..an`` with costs from {1, 2, 3, 5, 8}, each fixing one self-fault (family A: a fault of its own)
    or one or two (other families) with ``q ~ U(0.5, 0.95)``, listed most-likely-first as an author would;
    questions ``q1..qk`` with ``P(yes | f)`` from {0.05, 0.2, 0.5, 0.8, 0.95} and cost 0.5, 1 or 2.
    ``r_f`` is 0.9 for self and tier-2 faults, 0 for onsite ones (family A: one service of cost 15 or 40 that
    resolves everything).

    Args:
        family: ``A``..``E``.
        seed: Any integer.
        sizes: Size ranges.
        kappa: Family E: concentration of the misspecified prior around the true one (smaller is worse).
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown scenario family {family!r} (known: {', '.join(FAMILIES)})")
    rng = random.Random(f"triage-planner-v{GENERATOR_VERSION}:{family}:{seed}")
    n = rng.randint(*sizes.actions)
    if family == "A":
        m = max(n + rng.randint(0, 2), sizes.faults[0])
        classes: list[FaultClass] = ["self"] * n
        classes += _classes(rng, m - n, 0)
    else:
        m = rng.randint(*sizes.faults)
        classes = _classes(rng, m, 2)
    prior = _dirichlet(rng, [0.7] * m)
    faults = [
        Fault(f"f{i + 1}", p, resolved_by=c) for i, (p, c) in enumerate(zip(prior, classes, strict=True))
    ]
    self_ids = [f.id for f in faults if f.resolved_by == "self"]
    actions = []
    for i in range(n):
        targets = [self_ids[i]] if family == "A" else rng.sample(self_ids, 2 if rng.random() < 0.5 else 1)
        actions.append(
            Action(f"a{i + 1}", rng.choice(_ACTION_COSTS), {f: rng.uniform(0.5, 0.95) for f in targets})
        )
    questions = []
    if family in ("C", "D", "E"):
        for j in range(rng.randint(*sizes.questions)):
            yes = {f.id: rng.choice(_YES) for f in faults}
            questions.append(
                Question(
                    f"q{j + 1}",
                    rng.choice(_QUESTION_COSTS),
                    {"yes": yes, "no": {f: 1 - p for f, p in yes.items()}},
                )
            )
    if family == "A":
        costs = single_service(rng.choice((15, 40)))
    elif family == "D":
        costs = Costs(escalation=40, visit=200)
    else:
        costs = Costs(escalation=15, visit=60)
    ordered = _authored_order(faults, actions)
    truth = Problem(faults=faults, actions=ordered, questions=questions, costs=costs)
    model = truth
    if family == "E":
        model = misspecify(truth, rng, kappa=kappa)
    return Scenario(family=family, seed=seed, truth=truth, model=model)


def misspecify(
    truth: Problem, rng: random.Random, *, kappa: float = 50.0, logit_shift: float = 0.5
) -> Problem:
    """The model an author might write for ``truth``: prior ``~ Dir(κ·π)`` (floored at 1e-6), every fix
    probability moved by ``±logit_shift`` in logit (random sign); structure, costs and questions unchanged.
    The action order (the authored flow) is kept as written for the truth."""
    drawn = [
        max(p, _PRIOR_FLOOR) for p in _dirichlet(rng, [max(kappa * f.prior, 1e-3) for f in truth.faults])
    ]
    total = math.fsum(drawn)
    faults = [
        Fault(f.id, p / total, resolved_by=f.resolved_by, tier2_resolve=f.tier2_resolve, label=f.label)
        for f, p in zip(truth.faults, drawn, strict=True)
    ]
    actions = [
        Action(
            a.id,
            a.cost,
            {f: _logit_shift(q, logit_shift * rng.choice((-1.0, 1.0))) for f, q in a.fixes.items()},
            label=a.label,
        )
        for a in truth.actions
    ]
    return Problem(faults=faults, actions=actions, questions=truth.questions, costs=truth.costs)


def suite(
    family: Family, count: int, *, seed: int = 0, sizes: Sizes = Sizes(), kappa: float = 50.0
) -> list[Scenario]:
    """``count`` scenarios of a family with seeds ``seed, seed + 1, ...``."""
    return [generate(family, seed + i, sizes=sizes, kappa=kappa) for i in range(count)]


# -- policies -------------------------------------------------------------------------------------------------


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


# -- exact evaluation -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Truth:
    """Index-based arrays of the true model for the evaluators."""

    ids: tuple[str, ...]
    prior: tuple[float, ...]
    kind: tuple[FaultClass, ...]
    resolve: tuple[float, ...]
    term_escalate: tuple[float, ...]
    term_visit: tuple[float, ...]
    action_cost: Mapping[str, float]
    fix: Mapping[str, tuple[float, ...]]
    question_cost: Mapping[str, float]
    likelihood: Mapping[str, tuple[tuple[str, tuple[float, ...]], ...]]

    @classmethod
    def of(cls, p: Problem) -> _Truth:
        ids = tuple(f.id for f in p.faults)
        c = p.costs
        resolve = tuple(p.tier2_resolve(f) for f in ids)
        visit = tuple(c.visit + (c.visit_penalty if f.resolved_by != "onsite" else 0.0) for f in p.faults)
        return cls(
            ids=ids,
            prior=tuple(f.prior for f in p.faults),
            kind=tuple(f.resolved_by for f in p.faults),
            resolve=resolve,
            term_escalate=tuple(
                c.escalation + (c.escalation_penalty if f.resolved_by == "self" else 0.0) + (1 - r) * v
                for f, r, v in zip(p.faults, resolve, visit, strict=True)
            ),
            term_visit=visit,
            action_cost={a.id: float(a.cost) for a in p.actions},
            fix={a.id: tuple(a.fixes.get(f, 0.0) for f in ids) for a in p.actions},
            question_cost={q.id: float(q.cost) for q in p.questions},
            likelihood={
                q.id: tuple((o, tuple(lik.get(f, 0.0) for f in ids)) for o, lik in q.answers.items())
                for q in p.questions
            },
        )


def _where(w: Sequence[float], keep: Sequence[bool]) -> float:
    return math.fsum(x for x, k in zip(w, keep, strict=True) if k)


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
    t = _Truth.of(truth)
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
            acc["unesc"] += _where(w, is_self)
            fail = [x * (1 - r) for x, r in zip(w, t.resolve, strict=True)]
            acc["visited"] += math.fsum(fail)
            acc["unvisit"] += _where(fail, not_onsite)
            acc["correct"] += math.fsum(
                x * (r if k == "tier2" else (1 - r) if k == "onsite" else 0.0)
                for x, r, k in zip(w, t.resolve, t.kind, strict=True)
            )
            return
        if step.kind == "visit":
            acc["cost"] += math.fsum(x * c for x, c in zip(w, t.term_visit, strict=True))
            acc["visited"] += m
            acc["unvisit"] += _where(w, not_onsite)
            acc["correct"] += m - _where(w, not_onsite)
            return
        target = step.target or ""
        if step.kind == "action":
            if target not in t.fix or target in e.failed:
                raise EvidenceError(f"policy chose action {target!r} at {e!r}: unknown or already tried")
            if oracle is not None and not late and oracle(e).kind in ("escalate", "visit"):
                late = True
                acc["missed"] += _where(w, not_self)
            q = t.fix[target]
            fixed = [x * y for x, y in zip(w, q, strict=True)]
            acc["cost"] += t.action_cost[target] * m
            acc["actions"] += m
            acc["fixed"] += math.fsum(fixed)
            acc["correct"] += _where(fixed, is_self)
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


# -- summaries ------------------------------------------------------------------------------------------------


def mean_ci(values: Sequence[float], z: float = 1.96) -> tuple[float, float]:
    """Mean and the half-width of its normal-approximation confidence interval (95% by default)."""
    if not values:
        return math.nan, math.nan
    mean = math.fsum(values) / len(values)
    if len(values) < 2:
        return mean, math.nan
    return mean, z * statistics.stdev(values) / math.sqrt(len(values))


def _quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default)."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass(frozen=True)
class SummaryRow:
    """One policy on one family, over its instances (means; ``*_ci``: 95% half-widths across instances).

    ``improvement`` is the mean paired ``1 - cost / cost(authored)`` (NaN if authored was not run).
    """

    family: str
    policy: str
    instances: int
    cost: float
    cost_ci: float
    ratio: float
    ratio_ci: float
    ratio_median: float
    ratio_p90: float
    ratio_max: float
    optimal_share: float
    improvement: float
    steps: float
    self_resolved: float
    correct_outcome: float
    unnecessary_escalation: float
    unnecessary_visit: float
    missed_escalation: float


def summarize(results: Sequence[InstanceResult], *, family: str | None = None) -> list[SummaryRow]:
    """Rows per (family, policy), in first-seen order; ``family`` relabels (pools) all results under one name."""
    groups: dict[tuple[str, str], list[InstanceResult]] = {}
    authored: dict[tuple[str, int], float] = {}
    for r in results:
        groups.setdefault((family or r.family, r.policy), []).append(r)
        if r.policy == "authored":
            authored[(r.family, r.seed)] = r.evaluation.cost
    rows = []
    for (fam, pol), rs in groups.items():
        ratios = [r.ratio for r in rs]
        cost, cost_ci = mean_ci([r.evaluation.cost for r in rs])
        ratio, ratio_ci = mean_ci(ratios)
        imps = [
            1 - r.evaluation.cost / authored[(r.family, r.seed)] for r in rs if (r.family, r.seed) in authored
        ]

        def avg(name: str, rs: list[InstanceResult] = rs) -> float:
            return math.fsum(getattr(r.evaluation, name) for r in rs) / len(rs)

        rows.append(
            SummaryRow(
                family=fam,
                policy=pol,
                instances=len(rs),
                cost=cost,
                cost_ci=cost_ci,
                ratio=ratio,
                ratio_ci=ratio_ci,
                ratio_median=_quantile(ratios, 0.5),
                ratio_p90=_quantile(ratios, 0.9),
                ratio_max=max(ratios),
                optimal_share=sum(abs(x - 1) <= 1e-9 for x in ratios) / len(ratios),
                improvement=math.fsum(imps) / len(imps) if imps else math.nan,
                steps=avg("steps"),
                self_resolved=avg("self_resolved"),
                correct_outcome=avg("correct_outcome"),
                unnecessary_escalation=avg("unnecessary_escalation"),
                unnecessary_visit=avg("unnecessary_visit"),
                missed_escalation=avg("missed_escalation"),
            )
        )
    return rows


# -- simulated customers (common random numbers) ----------------------------------------------------------------


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
    t = _truth_cache(truth)
    fi = t.ids.index(customer.fault)
    kind = t.kind[fi]
    e = EMPTY
    cost = 0.0
    failed: list[str] = []
    answers: dict[str, str] = {}
    missed = False
    for _ in range(len(t.fix) + len(t.likelihood) + 1):
        step = policy(e)
        if step.kind == "escalate":
            cost += t.term_escalate[fi] - (1 - t.resolve[fi]) * t.term_visit[fi]
            tier2 = customer.tier2_draw < t.resolve[fi]
            if not tier2:
                cost += t.term_visit[fi]
            return SessionResult(
                customer.fault,
                cost,
                tuple(failed),
                None,
                answers,
                "tier2" if tier2 else "visit",
                True,
                missed,
            )
        if step.kind == "visit":
            cost += t.term_visit[fi]
            return SessionResult(customer.fault, cost, tuple(failed), None, answers, "visit", False, missed)
        target = step.target or ""
        if step.kind == "action":
            if target not in t.fix or target in e.failed:
                raise EvidenceError(f"policy chose action {target!r} at {e!r}: unknown or already tried")
            if (
                oracle is not None
                and kind != "self"
                and not missed
                and oracle(e).kind in ("escalate", "visit")
            ):
                missed = True
            cost += t.action_cost[target]
            if customer.action_draws[target] < t.fix[target][fi]:
                return SessionResult(
                    customer.fault, cost, tuple(failed), target, answers, "fixed", False, missed
                )
            failed.append(target)
            e = e.with_failed(target)
            continue
        if target not in t.likelihood or target in e.answers:
            raise EvidenceError(f"policy chose question {target!r} at {e!r}: unknown or already answered")
        cost += t.question_cost[target]
        u, acc = customer.answer_draws[target], 0.0
        options = t.likelihood[target]
        answer = options[-1][0]
        for o, lik in options:
            acc += lik[fi]
            if u < acc:
                answer = o
                break
        answers[target] = answer
        e = e.with_answer(target, answer)
    raise EvidenceError("policy did not end the session: it ran out of steps and questions without stopping")


_TRUTHS: dict[int, tuple[Problem, _Truth]] = {}


def _truth_cache(p: Problem) -> _Truth:
    hit = _TRUTHS.get(id(p))
    if hit is None or hit[0] is not p:
        if len(_TRUTHS) > 64:
            _TRUTHS.clear()
        hit = _TRUTHS[id(p)] = (p, _Truth.of(p))
    return hit[1]


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


# -- learning track -------------------------------------------------------------------------------------------

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
