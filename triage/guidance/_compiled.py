"""A problem as index-based arrays for the hot loops, and evidence encoded against them.

Nobody's concept, everybody's helper: :mod:`~triage.guidance.problem` builds a :class:`Compiled` once per
problem; the planner, the policies and the oracle work on its tuples (faults, actions and questions in problem
order) and on evidence encoded as a failed-action bit mask plus ``(question, answer)`` index pairs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from triage.errors import EvidenceError, did_you_mean

if TYPE_CHECKING:
    from triage.guidance.problem import Evidence, Problem, Terminal

REL_EPS = 1e-12
"""A plan must beat another by more than this (relative) to replace it: ties keep the simpler one."""

UNEXPLAINED = "evidence: no fault of the model explains these failed actions and answers"

EncodedAnswers = tuple[tuple[int, int], ...]


def unknown(owner: str, kind: str, name: str, known: Iterable[str]) -> str:
    """``owner: unknown kind 'name'`` with a "did you mean" when a known name is close."""
    hint = did_you_mean(name, known)
    return f"{owner}: unknown {kind} {name!r}" + (f" ({hint})" if hint else "")


@dataclass(frozen=True, slots=True)
class Compiled:
    """Index-based arrays of a problem for the hot loops (faults, actions, questions in problem order)."""

    fault_ids: tuple[str, ...]
    fault_index: Mapping[str, int]
    prior: tuple[float, ...]
    term_escalate: tuple[float, ...]  # per-fault expected cost of escalating (tier 2, then maybe a visit)
    term_visit: tuple[float, ...]
    action_index: Mapping[str, int]
    action_cost: tuple[float, ...]
    fix: tuple[tuple[float, ...], ...]  # [action][fault]
    miss: tuple[tuple[float, ...], ...]  # 1 - fix
    question_index: Mapping[str, int]
    question_cost: tuple[float, ...]
    answer_ids: tuple[tuple[str, ...], ...]
    answer_index: tuple[Mapping[str, int], ...]
    likelihood: tuple[tuple[tuple[float, ...], ...], ...]  # [question][answer][fault]

    @classmethod
    def of(cls, problem: Problem) -> Compiled:
        """The arrays of a validated problem."""
        c = problem.costs
        term_e: list[float] = []
        term_v: list[float] = []
        for f in problem.faults:
            r = f.tier2_resolve if f.tier2_resolve is not None else c.tier2_resolve[f.resolved_by]
            visit = c.visit + (c.visit_penalty if f.resolved_by != "onsite" else 0.0)
            term_v.append(visit)
            term_e.append(
                c.escalation + (c.escalation_penalty if f.resolved_by == "self" else 0.0) + (1 - r) * visit
            )
        ids = tuple(f.id for f in problem.faults)
        fix = tuple(tuple(float(a.fixes.get(f, 0.0)) for f in ids) for a in problem.actions)
        answer_ids = tuple(tuple(q.answers) for q in problem.questions)
        return cls(
            fault_ids=ids,
            fault_index=MappingProxyType({f: i for i, f in enumerate(ids)}),
            prior=tuple(float(f.prior) for f in problem.faults),
            term_escalate=tuple(term_e),
            term_visit=tuple(term_v),
            action_index=MappingProxyType({a.id: i for i, a in enumerate(problem.actions)}),
            action_cost=tuple(float(a.cost) for a in problem.actions),
            fix=fix,
            miss=tuple(tuple(1.0 - x for x in row) for row in fix),
            question_index=MappingProxyType({q.id: i for i, q in enumerate(problem.questions)}),
            question_cost=tuple(float(q.cost) for q in problem.questions),
            answer_ids=answer_ids,
            answer_index=tuple(MappingProxyType({o: i for i, o in enumerate(os)}) for os in answer_ids),
            likelihood=tuple(
                tuple(tuple(float(q.answers[o].get(f, 0.0)) for f in ids) for o in q.answers)
                for q in problem.questions
            ),
        )


def encode(comp: Compiled, evidence: Evidence) -> tuple[int, EncodedAnswers]:
    """The failed-action bit mask and ``(question, answer)`` index pairs, checking every id."""
    mask = 0
    for a in evidence.failed:
        i = comp.action_index.get(a)
        if i is None:
            raise EvidenceError(unknown("evidence", "action", a, comp.action_index))
        mask |= 1 << i
    answers = []
    for q, o in evidence.answers.items():
        j = comp.question_index.get(q)
        if j is None:
            raise EvidenceError(unknown("evidence", "question", q, comp.question_index))
        k = comp.answer_index[j].get(o)
        if k is None:
            raise EvidenceError(unknown(f"evidence: question {q!r}", "answer", o, comp.answer_ids[j]))
        answers.append((j, k))
    return mask, tuple(sorted(answers))


def weights(comp: Compiled, mask: int, answers: Iterable[tuple[int, int]]) -> list[float]:
    """Unnormalised posterior ``π(f)·Π(1 − q_af)·Π P(o|f)`` = ``P(f, e)``."""
    w = list(comp.prior)
    for a, miss in enumerate(comp.miss):
        if mask >> a & 1:
            w = [x * y for x, y in zip(w, miss, strict=True)]
    for j, k in answers:
        w = [x * y for x, y in zip(w, comp.likelihood[j][k], strict=True)]
    return w


def explained(comp: Compiled, evidence: Evidence) -> tuple[int, EncodedAnswers, list[float], float]:
    """Mask, answers, weights and their mass for evidence some fault explains (else :class:`EvidenceError`)."""
    mask, answers = encode(comp, evidence)
    w = weights(comp, mask, answers)
    mass = math.fsum(w)
    if mass <= 0.0:
        raise EvidenceError(UNEXPLAINED)
    return mask, answers, w, mass


def dot(w: Sequence[float], v: Sequence[float]) -> float:
    """``Σ w·v``, exactly rounded."""
    return math.fsum(x * y for x, y in zip(w, v, strict=True))


def cheaper_terminal(comp: Compiled, w: Sequence[float]) -> tuple[Terminal, float]:
    """The cheaper terminal and its unnormalised cost; escalation wins ties."""
    e, v = dot(w, comp.term_escalate), dot(w, comp.term_visit)
    return ("escalate", e) if e <= v else ("visit", v)
