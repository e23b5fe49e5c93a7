"""The true model as index-based arrays, for the evaluators and the simulated sessions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from triage.guidance.problem import FaultClass, Problem


@dataclass(frozen=True, slots=True)
class Truth:
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
    def of(cls, p: Problem) -> Truth:
        """The arrays of ``p``."""
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


def where(w: Sequence[float], keep: Sequence[bool]) -> float:
    """The weight of the faults marked ``keep``."""
    return math.fsum(x for x, k in zip(w, keep, strict=True) if k)


# keyed by id() and checked by identity: problems are immutable but not necessarily hashable cheaply
_TRUTHS: dict[int, tuple[Problem, Truth]] = {}


def truth_of(p: Problem) -> Truth:
    """:meth:`Truth.of`, remembered for the last problems seen (the same truth serves many customers)."""
    hit = _TRUTHS.get(id(p))
    if hit is None or hit[0] is not p:
        if len(_TRUTHS) > 64:
            _TRUTHS.clear()
        hit = _TRUTHS[id(p)] = (p, Truth.of(p))
    return hit[1]
