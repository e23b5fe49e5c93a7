"""Benchmark scenarios (reference §9.1): seeded random instances of five families, each a truth and a model.

A :class:`Scenario` holds the *truth* (what the simulated world does) and the *model* (what the planner is
told; the same except in family E, where :func:`misspecify` distorts it as an author might).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from triage.guidance.problem import Action, Costs, Fault, FaultClass, Problem, Question, single_service

__all__ = [
    "FAMILIES",
    "GENERATOR_VERSION",
    "Family",
    "Progress",
    "Scenario",
    "Sizes",
    "generate",
    "misspecify",
    "suite",
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
