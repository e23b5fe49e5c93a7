"""The troubleshooting model: faults, actions, questions, costs, and what is known in a session.

The model (reference: ``troubleshooting-theory.md`` §1) is the single-fault, naive-Bayes structure of the
HP/Aalborg SACSO troubleshooters:

* **Faults** are mutually exclusive, each with a prior probability and a class saying who can resolve it
  (``self``: the customer with self-help; ``tier2``: a tier-2 engineer; ``onsite``: a technician at home).
* **Actions** (self-help steps) have a cost and, per fault, the probability that they fix it. Each is followed
  by a free "is it working now?" test.
* **Questions** have a cost and, per fault, the likelihood of each answer.
* **Terminals**: *escalate* costs ``C_E`` and tier 2 resolves fault ``f`` with probability ``r_f``, else a visit
  follows; a *visit* costs ``C_V`` and resolves everything. At evidence ``e`` stopping costs
  ``T(e) = min{C_V, C_E + P(tier 2 fails | e)·C_V}`` (plus optional penalties, see :class:`Costs`).

A :class:`Problem` is validated when built (:class:`~triage.errors.ProblemError` lists every problem found);
:class:`Evidence` (failed actions and answers) gives the :func:`posterior` and the :func:`stop_cost`. The
reference instances of §5.2 and §5.3 are here too. Everything is pure: immutable data in, plain data out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from triage.errors import ProblemError
from triage.guidance._compiled import Compiled, cheaper_terminal, explained, unknown

__all__ = [
    "DEFAULT_TIER2_RESOLVE",
    "EMPTY",
    "FAULT_CLASSES",
    "PRIOR_TOLERANCE",
    "Action",
    "Costs",
    "Evidence",
    "Fault",
    "FaultClass",
    "Problem",
    "Question",
    "StepKind",
    "Terminal",
    "counterexample",
    "posterior",
    "single_service",
    "stop_cost",
    "worked_example",
]

FaultClass: TypeAlias = Literal["self", "tier2", "onsite"]
StepKind: TypeAlias = Literal["action", "question", "escalate", "visit"]
Terminal: TypeAlias = Literal["escalate", "visit"]

FAULT_CLASSES: tuple[FaultClass, ...] = ("self", "tier2", "onsite")
DEFAULT_TIER2_RESOLVE: Mapping[FaultClass, float] = MappingProxyType(
    {"self": 0.9, "tier2": 0.9, "onsite": 0.0}
)
PRIOR_TOLERANCE = 1e-6
"""Fault priors must sum to 1 within this; answer likelihoods per fault likewise."""


def _number_issue(
    owner: str, what: str, x: object, *, low: float = 0.0, high: float | None = None
) -> str | None:
    """A message if ``x`` is not a finite number in ``[low, high]``, else ``None``."""
    ok = isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
    if ok and x >= low and (high is None or x <= high):  # type: ignore[operator]
        return None
    if high is None:
        return f"{owner}: {what} must be a finite number >= {low:g} (got {x!r})"
    return f"{owner}: {what} must be in [{low:g}, {high:g}] (got {x!r})"


def _raise(issues: list[str | None]) -> None:
    found = [i for i in issues if i]
    if found:
        raise ProblemError(found)


@dataclass(frozen=True)
class Fault:
    """One possible cause of the symptom.

    Attributes:
        id: Unique id within the problem.
        prior: ``P(F = this fault | symptom, context)``; the priors of a problem sum to 1.
        resolved_by: The fault's class ``κ(f)``: who can resolve it (``self``, ``tier2`` or ``onsite``).
        tier2_resolve: Probability ``r_f`` that tier 2 resolves it after an escalation; ``None`` takes the
            value for its class from :attr:`Costs.tier2_resolve`.
        label: Text for explanations; the id if empty.
    """

    id: str
    prior: float
    resolved_by: FaultClass = "self"
    tier2_resolve: float | None = None
    label: str = ""

    def __post_init__(self) -> None:
        owner = f"fault {self.id!r}"
        _raise(
            [
                None if self.id else "fault: id must not be empty",
                _number_issue(owner, "prior", self.prior, high=1.0),
                None
                if self.resolved_by in FAULT_CLASSES
                else f"{owner}: resolved_by must be one of 'self', 'tier2', 'onsite' (got {self.resolved_by!r})",
                None
                if self.tier2_resolve is None
                else _number_issue(owner, "tier2_resolve", self.tier2_resolve, high=1.0),
            ]
        )

    @property
    def name(self) -> str:
        """The label, or the id when there is none."""
        return self.label or self.id


@dataclass(frozen=True)
class Action:
    """A self-help step (a "repair"), followed by a free "is it working now?" test.

    Attributes:
        id: Unique id within the problem.
        cost: Customer + agent time (or money) the step takes; the unit is :attr:`Costs.unit`.
        fixes: ``q[f] = P(the step fixes it | F = f)`` per fault id; faults left out are never fixed by it.
        label: Text for explanations; the id if empty.
    """

    id: str
    cost: float
    fixes: Mapping[str, float]
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fixes", MappingProxyType(dict(self.fixes)))
        owner = f"action {self.id!r}"
        _raise(
            [
                None if self.id else "action: id must not be empty",
                _number_issue(owner, "cost", self.cost),
                *(
                    _number_issue(owner, f"fix probability for {f!r}", q, high=1.0)
                    for f, q in self.fixes.items()
                ),
            ]
        )

    @property
    def name(self) -> str:
        """The label, or the id when there is none."""
        return self.label or self.id

    def __reduce__(self) -> tuple[Any, ...]:
        return (Action, (self.id, self.cost, dict(self.fixes), self.label))


@dataclass(frozen=True)
class Question:
    """A question (an observation) with its cost and answer likelihoods.

    Attributes:
        id: Unique id within the problem.
        cost: What asking costs.
        answers: ``answers[o][f] = P(answer o | F = f)``; a fault left out of an answer has likelihood 0 for it.
            For every fault the likelihoods over the answers sum to 1.
        label: Text for explanations; the id if empty.
    """

    id: str
    cost: float
    answers: Mapping[str, Mapping[str, float]]
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "answers",
            MappingProxyType({o: MappingProxyType(dict(lik)) for o, lik in self.answers.items()}),
        )
        owner = f"question {self.id!r}"
        issues: list[str | None] = [
            None if self.id else "question: id must not be empty",
            _number_issue(owner, "cost", self.cost),
        ]
        if len(self.answers) < 2:
            issues.append(f"{owner}: needs at least two answers (got {len(self.answers)})")
        for o, lik in self.answers.items():
            issues.extend(
                _number_issue(owner, f"likelihood of {o!r} for {f!r}", p, high=1.0) for f, p in lik.items()
            )
        _raise(issues)

    @property
    def name(self) -> str:
        """The label, or the id when there is none."""
        return self.label or self.id

    def __reduce__(self) -> tuple[Any, ...]:
        return (Question, (self.id, self.cost, {o: dict(lik) for o, lik in self.answers.items()}, self.label))


@dataclass(frozen=True)
class Costs:
    """Terminal costs and the tier-2 model: product configuration, shared by the problems of a product.

    Attributes:
        escalation: ``C_E``, the cost of an escalation to tier 2.
        visit: ``C_V``, the cost of a home visit (it resolves everything).
        tier2_resolve: ``r`` per fault class, the chance that tier 2 resolves a fault of that class; classes
            left out take :data:`DEFAULT_TIER2_RESOLVE` (0.9, 0.9, 0). A fault's own ``tier2_resolve`` wins.
        escalation_penalty: ``λ_E``, added to an escalation's cost when the fault was self-fixable: an ex-ante
            constraint on unnecessary escalations (§9.4); 0 plans for expected cost alone.
        visit_penalty: ``λ_V``, added to a visit's cost when the fault did not need one (class not ``onsite``).
        unit: Unit of every cost, for explanations (``"min"``, ``"$"``).
    """

    escalation: float
    visit: float
    tier2_resolve: Mapping[FaultClass, float] = field(default_factory=lambda: DEFAULT_TIER2_RESOLVE)
    escalation_penalty: float = 0.0
    visit_penalty: float = 0.0
    unit: str = "min"

    def __post_init__(self) -> None:
        given = dict(self.tier2_resolve)
        issues: list[str | None] = [
            _number_issue("costs", "escalation", self.escalation),
            _number_issue("costs", "visit", self.visit),
            _number_issue("costs", "escalation_penalty", self.escalation_penalty),
            _number_issue("costs", "visit_penalty", self.visit_penalty),
        ]
        for k, r in given.items():
            if k not in FAULT_CLASSES:
                issues.append(
                    f"costs: tier2_resolve names unknown fault class {k!r} (known: self, tier2, onsite)"
                )
            else:
                issues.append(_number_issue("costs", f"tier2_resolve[{k!r}]", r, high=1.0))
        _raise(issues)
        object.__setattr__(self, "tier2_resolve", MappingProxyType({**DEFAULT_TIER2_RESOLVE, **given}))

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            Costs,
            (
                self.escalation,
                self.visit,
                dict(self.tier2_resolve),
                self.escalation_penalty,
                self.visit_penalty,
                self.unit,
            ),
        )


@dataclass(frozen=True)
class Problem:
    """One symptom's troubleshooting model, validated when built.

    Raises:
        ProblemError: listing every problem: duplicate or unknown ids (with a "did you mean"), priors that do
            not sum to 1, answer likelihoods of a fault that do not sum to 1.

    >>> p = Problem(
    ...     faults=[Fault("cable", 0.6), Fault("outage", 0.4, resolved_by="tier2")],
    ...     actions=[Action("replug", 2, {"cable": 0.9})],
    ...     costs=Costs(escalation=15, visit=60),
    ... )
    >>> from triage.guidance import plan
    >>> plan(p).explanation
    'Most likely to fix it for its effort: 54% chance, 2 min.'
    """

    faults: Sequence[Fault]
    actions: Sequence[Action]
    costs: Costs
    questions: Sequence[Question] = ()
    _compiled: Compiled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "faults", tuple(self.faults))
        object.__setattr__(self, "actions", tuple(self.actions))
        object.__setattr__(self, "questions", tuple(self.questions))
        issues = [*_duplicate_issues(self), *_prior_issues(self), *_reference_issues(self)]
        if issues:
            raise ProblemError(issues)
        object.__setattr__(self, "_compiled", Compiled.of(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Problem, (self.faults, self.actions, self.costs, self.questions))

    def fault(self, fault_id: str) -> Fault:
        """The fault with this id (``KeyError`` naming it if there is none)."""
        i = self._compiled.fault_index.get(fault_id)
        if i is None:
            raise KeyError(unknown("problem", "fault", fault_id, self._compiled.fault_ids))
        return self.faults[i]

    def action(self, action_id: str) -> Action:
        """The action with this id (``KeyError`` naming it if there is none)."""
        i = self._compiled.action_index.get(action_id)
        if i is None:
            raise KeyError(unknown("problem", "action", action_id, self._compiled.action_index))
        return self.actions[i]

    def question(self, question_id: str) -> Question:
        """The question with this id (``KeyError`` naming it if there is none)."""
        i = self._compiled.question_index.get(question_id)
        if i is None:
            raise KeyError(unknown("problem", "question", question_id, self._compiled.question_index))
        return self.questions[i]

    def tier2_resolve(self, fault_id: str) -> float:
        """``r_f``: the fault's own value, else the one for its class in :attr:`Costs.tier2_resolve`."""
        f = self.fault(fault_id)
        return float(
            f.tier2_resolve if f.tier2_resolve is not None else self.costs.tier2_resolve[f.resolved_by]
        )


def _duplicate_issues(p: Problem) -> Iterator[str]:
    """No faults at all, or an id listed twice."""
    fault_ids = [f.id for f in p.faults]
    if not fault_ids:
        yield "faults: at least one fault is needed"
    for kind, ids in (
        ("fault", fault_ids),
        ("action", [a.id for a in p.actions]),
        ("question", [q.id for q in p.questions]),
    ):
        yield from (f"{kind} {i!r} is listed twice" for i in sorted({i for i in ids if ids.count(i) > 1}))


def _prior_issues(p: Problem) -> Iterator[str]:
    """Priors that do not sum to 1."""
    total = math.fsum(f.prior for f in p.faults)
    if p.faults and abs(total - 1.0) > PRIOR_TOLERANCE:
        yield f"fault priors must sum to 1 (got {total:.6g})"


def _reference_issues(p: Problem) -> Iterator[str]:
    """Actions and answers naming unknown faults; a fault's answer likelihoods not summing to 1."""
    fault_ids = [f.id for f in p.faults]
    known = set(fault_ids)
    for a in p.actions:
        yield from (unknown(f"action {a.id!r}", "fault", f, fault_ids) for f in a.fixes if f not in known)
    for q in p.questions:
        for o, lik in q.answers.items():
            yield from (
                unknown(f"question {q.id!r}, answer {o!r}", "fault", f, fault_ids)
                for f in lik
                if f not in known
            )
        for f in fault_ids:
            s = math.fsum(lik.get(f, 0.0) for lik in q.answers.values())
            if abs(s - 1.0) > PRIOR_TOLERANCE:
                yield f"question {q.id!r}: answer likelihoods for fault {f!r} must sum to 1 (got {s:.6g})"


# -- evidence -----------------------------------------------------------------------------------------------


class Evidence:
    """What is known in a session: the actions that failed and the answers given. Immutable and hashable.

    >>> e = Evidence(failed=["replug"]).with_answer("lights", "off")
    >>> sorted(e.failed), dict(e.answers)
    (['replug'], {'lights': 'off'})
    """

    __slots__ = ("_key", "answers", "failed")

    failed: frozenset[str]
    answers: Mapping[str, str]
    _key: tuple[frozenset[str], frozenset[tuple[str, str]]]

    def __init__(self, failed: Iterable[str] = (), answers: Mapping[str, str] | None = None) -> None:
        object.__setattr__(self, "failed", frozenset(failed))
        object.__setattr__(self, "answers", MappingProxyType(dict(answers or {})))
        object.__setattr__(self, "_key", (self.failed, frozenset(self.answers.items())))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Evidence is immutable; use with_failed() or with_answer()")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Evidence) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Evidence, (tuple(sorted(self.failed)), dict(self.answers)))

    def __repr__(self) -> str:
        return f"Evidence(failed={sorted(self.failed)!r}, answers={dict(sorted(self.answers.items()))!r})"

    def with_failed(self, action_id: str) -> Evidence:
        """This evidence plus "``action_id`` was tried and did not fix it"."""
        return Evidence(self.failed | {action_id}, self.answers)

    def with_answer(self, question_id: str, answer: str) -> Evidence:
        """This evidence plus the answer to a question."""
        return Evidence(self.failed, {**self.answers, question_id: answer})


EMPTY = Evidence()
"""No evidence yet: the start of a session."""


def posterior(problem: Problem, evidence: Evidence = EMPTY) -> dict[str, float]:
    """``P(f | evidence)`` for every fault, in problem order.

    Raises:
        EvidenceError: if the evidence names an unknown id, or no fault can explain it.
    """
    comp = problem._compiled
    *_, w, mass = explained(comp, evidence)
    return {f: x / mass for f, x in zip(comp.fault_ids, w, strict=True)}


def stop_cost(problem: Problem, evidence: Evidence = EMPTY) -> tuple[Terminal, float]:
    """The cheaper terminal now and its expected cost ``T(e)``.

    Raises:
        EvidenceError: as :func:`posterior`.
    """
    p = posterior(problem, evidence)
    return cheaper_terminal(problem._compiled, list(p.values()))


# -- reference instances (§5.2, §5.3) -----------------------------------------------------------------------------


def single_service(service_cost: float, unit: str = "min") -> Costs:
    """One always-resolving service of cost ``C_s`` (the textbook model): tier 2 resolves every class."""
    return Costs(
        escalation=service_cost,
        visit=service_cost,
        tier2_resolve={"self": 1.0, "tier2": 1.0, "onsite": 1.0},
        unit=unit,
    )


def worked_example() -> Problem:
    """§5.3: priors 0.4/0.3/0.2 (+0.1 no action fixes), costs 10/2/1, service 50; best plan a3, a2, a1: 12.6."""
    return Problem(
        faults=[
            Fault("f1", 0.4),
            Fault("f2", 0.3),
            Fault("f3", 0.2),
            Fault("other", 0.1, resolved_by="tier2"),
        ],
        actions=[Action("a1", 10, {"f1": 1.0}), Action("a2", 2, {"f2": 1.0}), Action("a3", 1, {"f3": 1.0})],
        costs=single_service(50),
    )


def counterexample() -> Problem:
    """§5.2: service 100, two actions of cost 50.5 fixing half the mass each: doing both (75.75) beats stopping."""
    return Problem(
        faults=[Fault("f1", 0.5), Fault("f2", 0.5)],
        actions=[Action("a1", 50.5, {"f1": 1.0}), Action("a2", 50.5, {"f2": 1.0})],
        costs=single_service(100),
    )
