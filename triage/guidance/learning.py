"""Learning the planner's probabilities from session outcomes (reference §8).

The author's numbers are the starting point, held as pseudo-counts with a prior weight (an "equivalent sample
size"): the fault prior as a Dirichlet ``α_f = w_π · π_author(f)``, each fix probability ``q_{a,f}`` as a Beta
``(w_q · q, w_q · (1 − q))``, each question's answer likelihoods for a fault as a Dirichlet
``w_Q · P(o | f)``. A small weight (5-20) lets the logs take over quickly.

Each closed session updates the counts:

* **the fault**: a closure code names it (tier 2 or the technician, or the agent on a self-fixed case); without
  one, a fixed case infers it as ``P(f | failed steps, answers, the step that fixed it)`` under the current
  estimates, and an unresolved case without a code (abandoned, escalated and never closed) as
  ``P(f | failed steps, answers)`` (fractional counts, one EM step; biased towards whatever the model already
  believes, so prefer closure codes, the key data requirement);
* **each tried step**: a failure adds the fault weights to ``u_{a,f}``, the fixing step to ``s_{a,f}``;
* **each answer**: adds the fault weights to that answer's count.

Steps are only updated when tried, so a step the planner ranks low is never corrected: sample with
:meth:`Beliefs.sample` (Thompson sampling) to keep exploring. :meth:`Beliefs.forget` discounts old evidence
towards the authored numbers (drift: firmware, outages).

Pure in-memory state: the caller feeds records from wherever they are stored.

Errors::

    TriageError (triage.errors)
    └── RecordError (ValueError)    a session record names an unknown fault, step, question or answer
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeAlias

from triage.errors import RecordError, did_you_mean
from triage.guidance.problem import Action, Fault, Problem, Question

__all__ = [
    "Beliefs",
    "LearnedRow",
    "Parameter",
    "SessionRecord",
    "learned_vs_authored",
]

Parameter: TypeAlias = Literal["prior", "fix", "answer"]


@dataclass(frozen=True)
class SessionRecord:
    """What one closed session tells the learner.

    Attributes:
        failed: Actions tried that did not fix it (any order).
        fixed_by: The action that fixed it, if one did.
        answers: Question id -> answer given.
        fault: The closure code: the fault that was found, if someone recorded it.
    """

    failed: Sequence[str] = ()
    fixed_by: str | None = None
    answers: Mapping[str, str] = field(default_factory=dict)
    fault: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "failed", tuple(self.failed))
        object.__setattr__(self, "answers", MappingProxyType(dict(self.answers)))


@dataclass(frozen=True)
class LearnedRow:
    """One parameter, authored against learned, for a review table.

    Attributes:
        parameter: ``prior`` (``P(f)``), ``fix`` (``q_{step,f}``) or ``answer`` (``P(answer | f)``).
        fault: The fault id.
        step: The action (``fix``) or question (``answer``) id; ``None`` for a prior.
        answer: The answer, for an ``answer`` row.
        authored: The author's value.
        learned: The current estimate (posterior mean).
        observations: Evidence behind the estimate beyond the authored pseudo-counts (fractional, decayed by
            forgetting).
    """

    parameter: Parameter
    fault: str
    step: str | None
    answer: str | None
    authored: float
    learned: float
    observations: float

    @property
    def change(self) -> float:
        """``learned - authored``."""
        return self.learned - self.authored


def _unknown(what: str, name: str, known: Sequence[str]) -> RecordError:
    hint = did_you_mean(name, known)
    return RecordError(f"record: unknown {what} {name!r}" + (f" ({hint})" if hint else ""))


class Beliefs:
    """Dirichlet and Beta counts over a problem's probabilities, starting from the authored ones.

    Args:
        authored: The author's model; its structure (ids, costs) is kept, its probabilities are learned.
        prior_weight: Equivalent sample size of the authored fault prior.
        fix_weight: Pseudo-observations behind each authored fix probability.
        answer_weight: Pseudo-observations behind each fault's authored answer likelihoods.
        learn_unlabeled: Learn from unresolved sessions without a closure code (fractional counts).

    >>> from triage.guidance import worked_example
    >>> b = Beliefs(worked_example(), prior_weight=10)
    >>> _ = b.update(SessionRecord(failed=["a3"], fixed_by="a2"))
    >>> round(b.mean().fault("f2").prior, 4)
    0.3636
    """

    def __init__(
        self,
        authored: Problem,
        *,
        prior_weight: float = 10.0,
        fix_weight: float = 10.0,
        answer_weight: float = 10.0,
        learn_unlabeled: bool = True,
    ) -> None:
        for name, x in (
            ("prior_weight", prior_weight),
            ("fix_weight", fix_weight),
            ("answer_weight", answer_weight),
        ):
            if not (math.isfinite(x) and x > 0):
                raise ValueError(f"{name} must be a finite number > 0 (got {x!r})")
        self.authored = authored
        self.learn_unlabeled = learn_unlabeled
        self.sessions = 0
        self._faults = [f.id for f in authored.faults]
        self._fi = {f: i for i, f in enumerate(self._faults)}
        self._ai = {a.id: i for i, a in enumerate(authored.actions)}
        self._qi = {q.id: i for i, q in enumerate(authored.questions)}
        self._answers = [list(q.answers) for q in authored.questions]
        self._alpha0 = [prior_weight * f.prior for f in authored.faults]
        self._s0 = [[fix_weight * a.fixes.get(f, 0.0) for f in self._faults] for a in authored.actions]
        self._u0 = [
            [fix_weight * (1.0 - a.fixes.get(f, 0.0)) for f in self._faults] for a in authored.actions
        ]
        self._n0 = [
            [[answer_weight * q.answers[o].get(f, 0.0) for f in self._faults] for o in q.answers]
            for q in authored.questions
        ]
        self._alpha = list(self._alpha0)
        # evidence behind each count beyond the authored pseudo-counts (decayed by forgetting, like the counts)
        self._seen_prior = [0.0] * len(self._faults)
        self._seen_fix = [[0.0] * len(self._faults) for _ in authored.actions]
        self._seen_answer = [[0.0] * len(self._faults) for _ in authored.questions]
        self._s = [list(r) for r in self._s0]
        self._u = [list(r) for r in self._u0]
        self._n = [[list(r) for r in q] for q in self._n0]

    # -- estimates ------------------------------------------------------------------------------------------

    def _problem(
        self, prior: Sequence[float], fix: Sequence[Sequence[float]], lik: Sequence[Sequence[Sequence[float]]]
    ) -> Problem:
        a = self.authored
        return Problem(
            faults=[
                Fault(f.id, p, resolved_by=f.resolved_by, tier2_resolve=f.tier2_resolve, label=f.label)
                for f, p in zip(a.faults, prior, strict=True)
            ],
            actions=[
                Action(
                    act.id,
                    act.cost,
                    {f: q for f, q in zip(self._faults, row, strict=True) if q > 0},
                    label=act.label,
                )
                for act, row in zip(a.actions, fix, strict=True)
            ],
            questions=[
                Question(
                    q.id,
                    q.cost,
                    {
                        o: dict(zip(self._faults, row, strict=True))
                        for o, row in zip(self._answers[j], lik[j], strict=True)
                    },
                    label=q.label,
                )
                for j, q in enumerate(a.questions)
            ],
            costs=a.costs,
        )

    def _mean_params(self) -> tuple[list[float], list[list[float]], list[list[list[float]]]]:
        total = math.fsum(self._alpha)
        prior = [x / total for x in self._alpha]
        fix = [
            [s / (s + u) if s + u > 0 else 0.0 for s, u in zip(srow, urow, strict=True)]
            for srow, urow in zip(self._s, self._u, strict=True)
        ]
        lik = []
        for q in self._n:
            sums = [math.fsum(col) for col in zip(*q, strict=True)]
            lik.append(
                [[x / t if t > 0 else 1.0 / len(q) for x, t in zip(row, sums, strict=True)] for row in q]
            )
        return prior, fix, lik

    def mean(self) -> Problem:
        """The posterior-mean model (certainty equivalence): what to plan with when not exploring."""
        return self._problem(*self._mean_params())

    def sample(self, rng: random.Random) -> Problem:
        """One model drawn from the posterior (Thompson sampling): plan a session with it, then update."""
        draws = [rng.gammavariate(a, 1.0) if a > 0 else 0.0 for a in self._alpha]
        total = math.fsum(draws)
        prior = [d / total for d in draws] if total > 0 else self._mean_params()[0]
        fix = [
            [_beta(rng, s, u) for s, u in zip(srow, urow, strict=True)]
            for srow, urow in zip(self._s, self._u, strict=True)
        ]
        lik = []
        for q in self._n:
            cols = []
            for col in zip(*q, strict=True):
                g = [rng.gammavariate(x, 1.0) if x > 0 else 0.0 for x in col]
                t = math.fsum(g)
                cols.append([x / t for x in g] if t > 0 else _normalise(col))
            lik.append([list(row) for row in zip(*cols, strict=True)])
        return self._problem(prior, fix, lik)

    # -- updates --------------------------------------------------------------------------------------------

    def _check(self, record: SessionRecord) -> None:
        actions = list(self._ai)
        for a in (*record.failed, *([record.fixed_by] if record.fixed_by else [])):
            if a not in self._ai:
                raise _unknown("action", a, actions)
        if record.fixed_by is not None and record.fixed_by in record.failed:
            raise RecordError(f"record: action {record.fixed_by!r} is both failed and the one that fixed it")
        for q, o in record.answers.items():
            j = self._qi.get(q)
            if j is None:
                raise _unknown("question", q, list(self._qi))
            if o not in self._answers[j]:
                raise _unknown(f"answer to {q!r}:", o, self._answers[j])
        if record.fault is not None and record.fault not in self._fi:
            raise _unknown("fault", record.fault, self._faults)

    def fault_weights(self, record: SessionRecord) -> dict[str, float]:
        """The fault distribution a record is counted with: its closure code, else inferred (see module doc).

        Empty when the record carries nothing to learn from (unlabeled and unresolved, with
        ``learn_unlabeled`` off) or the current estimates find it impossible.

        Raises:
            RecordError: if the record names an unknown id.
        """
        self._check(record)
        if record.fault is not None:
            return {record.fault: 1.0}
        if record.fixed_by is None and not self.learn_unlabeled:
            return {}
        prior, fix, lik = self._mean_params()
        w = list(prior)
        for a in record.failed:
            w = [x * (1.0 - q) for x, q in zip(w, fix[self._ai[a]], strict=True)]
        if record.fixed_by is not None:
            w = [x * q for x, q in zip(w, fix[self._ai[record.fixed_by]], strict=True)]
        for q, o in record.answers.items():
            j = self._qi[q]
            w = [x * p for x, p in zip(w, lik[j][self._answers[j].index(o)], strict=True)]
        total = math.fsum(w)
        if total <= 0:
            return {}
        return {f: x / total for f, x in zip(self._faults, w, strict=True) if x > 0}

    def update(self, record: SessionRecord) -> dict[str, float]:
        """Count one closed session; returns the fault weights it was counted with.

        Raises:
            RecordError: if the record names an unknown id.
        """
        weights = self.fault_weights(record)
        for f, x in weights.items():
            i = self._fi[f]
            self._alpha[i] += x
            self._seen_prior[i] += x
            for a in record.failed:
                self._u[self._ai[a]][i] += x
                self._seen_fix[self._ai[a]][i] += x
            if record.fixed_by is not None:
                self._s[self._ai[record.fixed_by]][i] += x
                self._seen_fix[self._ai[record.fixed_by]][i] += x
            for q, o in record.answers.items():
                j = self._qi[q]
                self._n[j][self._answers[j].index(o)][i] += x
                self._seen_answer[j][i] += x
        if weights:
            self.sessions += 1
        return weights

    def forget(self, factor: float) -> None:
        """Discount the evidence so far: ``counts ← factor·counts + (1 − factor)·authored counts``.

        Apply it per period (e.g. ``0.99`` per week); ``1`` keeps everything, ``0`` returns to the author's numbers.
        """
        if not 0.0 <= factor <= 1.0:
            raise ValueError(f"forgetting factor must be in [0, 1] (got {factor!r})")
        keep = 1.0 - factor
        self._alpha = [factor * x + keep * x0 for x, x0 in zip(self._alpha, self._alpha0, strict=True)]
        self._s = [
            [factor * x + keep * x0 for x, x0 in zip(r, r0, strict=True)]
            for r, r0 in zip(self._s, self._s0, strict=True)
        ]
        self._u = [
            [factor * x + keep * x0 for x, x0 in zip(r, r0, strict=True)]
            for r, r0 in zip(self._u, self._u0, strict=True)
        ]
        self._n = [
            [
                [factor * x + keep * x0 for x, x0 in zip(r, r0, strict=True)]
                for r, r0 in zip(q, q0, strict=True)
            ]
            for q, q0 in zip(self._n, self._n0, strict=True)
        ]

    # -- review ---------------------------------------------------------------------------------------------

    def rows(self) -> list[LearnedRow]:
        """Every parameter, authored against learned (see :func:`learned_vs_authored`)."""
        prior, fix, lik = self._mean_params()
        a = self.authored
        out = [
            LearnedRow("prior", f.id, None, None, f.prior, prior[i], self._seen_prior[i])
            for i, f in enumerate(a.faults)
        ]
        for k, act in enumerate(a.actions):
            for i, f in enumerate(self._faults):
                seen = self._seen_fix[k][i]
                if act.fixes.get(f, 0.0) > 0 or fix[k][i] > 0:
                    out.append(LearnedRow("fix", f, act.id, None, act.fixes.get(f, 0.0), fix[k][i], seen))
        for j, q in enumerate(a.questions):
            for i, f in enumerate(self._faults):
                seen = self._seen_answer[j][i]
                for o, ans in enumerate(self._answers[j]):
                    out.append(
                        LearnedRow("answer", f, q.id, ans, q.answers[ans].get(f, 0.0), lik[j][o][i], seen)
                    )
        return out


def _beta(rng: random.Random, s: float, u: float) -> float:
    if s <= 0:
        return 0.0
    if u <= 0:
        return 1.0
    return rng.betavariate(s, u)


def _normalise(xs: Sequence[float]) -> list[float]:
    t = math.fsum(xs)
    return [x / t for x in xs] if t > 0 else [1.0 / len(xs)] * len(xs)


def learned_vs_authored(beliefs: Beliefs, *, min_change: float = 0.0) -> list[LearnedRow]:
    """Rows for a "learned vs authored" table: priors, then fix probabilities (pairs the author or the data
    say are possible), then answer likelihoods; only those whose estimate moved by at least ``min_change``.
    """
    return [r for r in beliefs.rows() if abs(r.change) >= min_change]
