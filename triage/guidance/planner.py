"""Decision-theoretic planner: which step to try next, which question is worth asking, and when to stop.

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

:func:`plan` gives the next step for the evidence so far (failed actions and answers):

1. Order the untried actions by efficiency ``p/c`` on the *current* posterior (each next one chosen on the
   posterior that assumes the earlier ones failed), and evaluate the exact expected cost of every cut-off
   "first k actions, then the cheaper terminal", ``k = 0..n``. The naive rule "stop when no step's p/c beats
   ``1/C``" is not optimal (§5.2); comparing whole-plan costs is (for a single always-resolving service, §5.1).
2. Ask a question only if its myopic value of information exceeds its cost (§6).
3. Otherwise do the first action of the best cut-off, or stop with the cheaper terminal.

The planner is re-run after every step. On single-fault instances whose actions each fix one fault of their
own, with one always-resolving service, this policy is optimal (Kadane & Simon; Lín 2015). For everything
else :class:`Oracle` computes the exact optimum by dynamic programming over evidence states (small instances
only), and :func:`brute_force_cost` enumerates every strategy of tiny instances to cross-check it.

Everything here is pure: plain immutable data in, plain data out; no I/O.

Errors::

    TriageError (triage.errors)
    ├── ProblemError (ValueError)     the model is invalid; ``issues`` lists every problem found
    ├── EvidenceError (ValueError)    evidence names an unknown step or answer, or is impossible
    └── TooLargeError (ValueError)    the instance is too large for the exact oracle or brute force
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import mul
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from triage.errors import EvidenceError, ProblemError, TooLargeError, did_you_mean

__all__ = [
    "DEFAULT_TIER2_RESOLVE",
    "EMPTY",
    "FAULT_CLASSES",
    "PRIOR_TOLERANCE",
    "Action",
    "ActionPlan",
    "Costs",
    "Evidence",
    "EvidenceError",
    "Fault",
    "FaultClass",
    "Oracle",
    "Plan",
    "Problem",
    "ProblemError",
    "Question",
    "StepKind",
    "Strategy",
    "Terminal",
    "TooLargeError",
    "authored_policy",
    "best_prefix",
    "brute_force_cost",
    "cheapest_first_policy",
    "counterexample",
    "expected_cost",
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

FaultClass: TypeAlias = Literal["self", "tier2", "onsite"]
StepKind: TypeAlias = Literal["action", "question", "escalate", "visit"]
Terminal: TypeAlias = Literal["escalate", "visit"]

FAULT_CLASSES: tuple[FaultClass, ...] = ("self", "tier2", "onsite")
DEFAULT_TIER2_RESOLVE: Mapping[FaultClass, float] = MappingProxyType(
    {"self": 0.9, "tier2": 0.9, "onsite": 0.0}
)
PRIOR_TOLERANCE = 1e-6
"""Fault priors must sum to 1 within this; answer likelihoods per fault likewise."""

# a plan must beat another by more than this (relative) to replace it: ties keep the simpler one
_REL_EPS = 1e-12


# -- errors -------------------------------------------------------------------------------------------------


# -- the model ----------------------------------------------------------------------------------------------


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


def _unknown(owner: str, kind: str, name: str, known: Iterable[str]) -> str:
    hint = did_you_mean(name, known)
    return f"{owner}: unknown {kind} {name!r}" + (f" ({hint})" if hint else "")


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


@dataclass(frozen=True, slots=True)
class _Compiled:
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
    >>> plan(p).explanation
    'Most likely to fix it for its effort: 54% chance, 2 min.'
    """

    faults: Sequence[Fault]
    actions: Sequence[Action]
    costs: Costs
    questions: Sequence[Question] = ()
    _compiled: _Compiled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "faults", tuple(self.faults))
        object.__setattr__(self, "actions", tuple(self.actions))
        object.__setattr__(self, "questions", tuple(self.questions))
        issues: list[str] = []
        fault_ids = [f.id for f in self.faults]
        if not fault_ids:
            issues.append("faults: at least one fault is needed")
        for kind, ids in (
            ("fault", fault_ids),
            ("action", [a.id for a in self.actions]),
            ("question", [q.id for q in self.questions]),
        ):
            issues.extend(
                f"{kind} {i!r} is listed twice" for i in sorted({i for i in ids if ids.count(i) > 1})
            )
        total = math.fsum(f.prior for f in self.faults)
        if fault_ids and abs(total - 1.0) > PRIOR_TOLERANCE:
            issues.append(f"fault priors must sum to 1 (got {total:.6g})")
        known = set(fault_ids)
        for a in self.actions:
            issues.extend(
                _unknown(f"action {a.id!r}", "fault", f, fault_ids) for f in a.fixes if f not in known
            )
        for q in self.questions:
            for o, lik in q.answers.items():
                issues.extend(
                    _unknown(f"question {q.id!r}, answer {o!r}", "fault", f, fault_ids)
                    for f in lik
                    if f not in known
                )
            for f in fault_ids:
                s = math.fsum(lik.get(f, 0.0) for lik in q.answers.values())
                if abs(s - 1.0) > PRIOR_TOLERANCE:
                    issues.append(
                        f"question {q.id!r}: answer likelihoods for fault {f!r} must sum to 1 (got {s:.6g})"
                    )
        if issues:
            raise ProblemError(issues)
        object.__setattr__(self, "_compiled", self._compile())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Problem, (self.faults, self.actions, self.costs, self.questions))

    def _compile(self) -> _Compiled:
        c = self.costs
        term_e: list[float] = []
        term_v: list[float] = []
        for f in self.faults:
            r = f.tier2_resolve if f.tier2_resolve is not None else c.tier2_resolve[f.resolved_by]
            visit = c.visit + (c.visit_penalty if f.resolved_by != "onsite" else 0.0)
            term_v.append(visit)
            term_e.append(
                c.escalation + (c.escalation_penalty if f.resolved_by == "self" else 0.0) + (1 - r) * visit
            )
        ids = tuple(f.id for f in self.faults)
        fix = tuple(tuple(float(a.fixes.get(f, 0.0)) for f in ids) for a in self.actions)
        answer_ids = tuple(tuple(q.answers) for q in self.questions)
        return _Compiled(
            fault_ids=ids,
            fault_index=MappingProxyType({f: i for i, f in enumerate(ids)}),
            prior=tuple(float(f.prior) for f in self.faults),
            term_escalate=tuple(term_e),
            term_visit=tuple(term_v),
            action_index=MappingProxyType({a.id: i for i, a in enumerate(self.actions)}),
            action_cost=tuple(float(a.cost) for a in self.actions),
            fix=fix,
            miss=tuple(tuple(1.0 - x for x in row) for row in fix),
            question_index=MappingProxyType({q.id: i for i, q in enumerate(self.questions)}),
            question_cost=tuple(float(q.cost) for q in self.questions),
            answer_ids=answer_ids,
            answer_index=tuple(MappingProxyType({o: i for i, o in enumerate(os)}) for os in answer_ids),
            likelihood=tuple(
                tuple(tuple(float(q.answers[o].get(f, 0.0)) for f in ids) for o in q.answers)
                for q in self.questions
            ),
        )

    def fault(self, fault_id: str) -> Fault:
        """The fault with this id (``KeyError`` naming it if there is none)."""
        i = self._compiled.fault_index.get(fault_id)
        if i is None:
            raise KeyError(_unknown("problem", "fault", fault_id, self._compiled.fault_ids))
        return self.faults[i]

    def action(self, action_id: str) -> Action:
        """The action with this id (``KeyError`` naming it if there is none)."""
        i = self._compiled.action_index.get(action_id)
        if i is None:
            raise KeyError(_unknown("problem", "action", action_id, self._compiled.action_index))
        return self.actions[i]

    def question(self, question_id: str) -> Question:
        """The question with this id (``KeyError`` naming it if there is none)."""
        i = self._compiled.question_index.get(question_id)
        if i is None:
            raise KeyError(_unknown("problem", "question", question_id, self._compiled.question_index))
        return self.questions[i]

    def tier2_resolve(self, fault_id: str) -> float:
        """``r_f``: the fault's own value, else the one for its class in :attr:`Costs.tier2_resolve`."""
        f = self.fault(fault_id)
        return float(
            f.tier2_resolve if f.tier2_resolve is not None else self.costs.tier2_resolve[f.resolved_by]
        )


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


def _encode(comp: _Compiled, evidence: Evidence) -> tuple[int, tuple[tuple[int, int], ...]]:
    """The failed-action bit mask and ``(question, answer)`` index pairs, checking every id."""
    mask = 0
    for a in evidence.failed:
        i = comp.action_index.get(a)
        if i is None:
            raise EvidenceError(_unknown("evidence", "action", a, comp.action_index))
        mask |= 1 << i
    answers = []
    for q, o in evidence.answers.items():
        j = comp.question_index.get(q)
        if j is None:
            raise EvidenceError(_unknown("evidence", "question", q, comp.question_index))
        k = comp.answer_index[j].get(o)
        if k is None:
            raise EvidenceError(_unknown(f"evidence: question {q!r}", "answer", o, comp.answer_ids[j]))
        answers.append((j, k))
    return mask, tuple(sorted(answers))


def _weights(comp: _Compiled, mask: int, answers: Iterable[tuple[int, int]]) -> list[float]:
    """Unnormalised posterior ``π(f)·Π(1 − q_af)·Π P(o|f)`` = ``P(f, e)``."""
    w = list(comp.prior)
    for a, miss in enumerate(comp.miss):
        if mask >> a & 1:
            w = [x * y for x, y in zip(w, miss, strict=True)]
    for j, k in answers:
        w = [x * y for x, y in zip(w, comp.likelihood[j][k], strict=True)]
    return w


def _dot(w: Sequence[float], v: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(w, v, strict=True))


def _terminal(comp: _Compiled, w: Sequence[float]) -> tuple[Terminal, float]:
    """The cheaper terminal and its unnormalised cost; escalation wins ties."""
    e, v = _dot(w, comp.term_escalate), _dot(w, comp.term_visit)
    return ("escalate", e) if e <= v else ("visit", v)


def posterior(problem: Problem, evidence: Evidence = EMPTY) -> dict[str, float]:
    """``P(f | evidence)`` for every fault, in problem order.

    Raises:
        EvidenceError: if the evidence names an unknown id, or no fault can explain it.
    """
    comp = problem._compiled
    w = _weights(comp, *_encode(comp, evidence))
    mass = math.fsum(w)
    if mass <= 0.0:
        raise EvidenceError("evidence: no fault of the model explains these failed actions and answers")
    return {f: x / mass for f, x in zip(comp.fault_ids, w, strict=True)}


def stop_cost(problem: Problem, evidence: Evidence = EMPTY) -> tuple[Terminal, float]:
    """The cheaper terminal now and its expected cost ``T(e)``.

    Raises:
        EvidenceError: as :func:`posterior`.
    """
    p = posterior(problem, evidence)
    return _terminal(problem._compiled, list(p.values()))


# -- best prefix of the efficiency order ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Prefix:
    # actions in efficiency order, each chosen on the posterior that assumes the earlier ones failed
    order: tuple[int, ...]
    chances: tuple[float, ...]  # P(order[i] fixes | earlier ones failed, e)
    costs: tuple[float, ...]  # unnormalised ECR of "first k, then the cheaper terminal", k = 0..len(order)
    terminals: tuple[Terminal, ...]
    best: int  # the cut-off with the lowest cost (the shortest among equals)

    @property
    def value(self) -> float:
        return self.costs[self.best]


def _prefix(comp: _Compiled, w: Sequence[float], mask: int, *, full: bool = False) -> _Prefix:
    """Best cut-off of the efficiency order from weights ``w`` with the actions in ``mask`` already used.

    Stops extending the order once the step costs alone exceed the best plan so far (no longer prefix can win),
    unless ``full`` is set (explanations want the whole order).
    """
    cur = list(w)
    mass = math.fsum(cur)
    kind, t = _terminal(comp, cur)
    order: list[int] = []
    chances: list[float] = []
    costs = [t]
    terminals: list[Terminal] = [kind]
    best, best_k = t, 0
    spent = 0.0
    left = [a for a in range(len(comp.action_cost)) if not mask >> a & 1]
    while left and mass > 0.0:
        pick, pick_p, pick_key = -1, 0.0, (-1.0, -1.0)
        for a in left:
            p = _dot(cur, comp.fix[a])
            if p <= 0.0:
                continue
            c = comp.action_cost[a]
            key = (p / c if c > 0 else math.inf, p)
            if key > pick_key:  # strict: ties keep the earlier-listed action
                pick, pick_p, pick_key = a, p, key
        if pick < 0:
            break
        spent += comp.action_cost[pick] * mass
        if spent >= best and not full:
            break
        order.append(pick)
        chances.append(pick_p / mass)
        left.remove(pick)
        cur = [x * y for x, y in zip(cur, comp.miss[pick], strict=True)]
        mass = math.fsum(cur)
        kind, t = _terminal(comp, cur)
        costs.append(spent + t)
        terminals.append(kind)
        if spent + t < best - _REL_EPS * abs(best):
            best, best_k = spent + t, len(order)
    return _Prefix(tuple(order), tuple(chances), tuple(costs), tuple(terminals), best_k)


@dataclass(frozen=True)
class ActionPlan:
    """The action-only plan at some evidence: the efficiency order and the cost of every cut-off.

    Attributes:
        order: Untried actions (that can fix something) in efficiency order, each chosen on the posterior that
            assumes the earlier ones failed.
        chances: ``P(order[i] fixes it | order[:i] failed, evidence)``.
        prefix_costs: Expected cost from here of "the first k actions, then the cheaper terminal", k = 0..n.
        terminals: The terminal each cut-off ends with.
        cutoff: The k with the lowest expected cost (the shortest among equals).
    """

    order: tuple[str, ...]
    chances: tuple[float, ...]
    prefix_costs: tuple[float, ...]
    terminals: tuple[Terminal, ...]
    cutoff: int

    @property
    def expected_cost(self) -> float:
        """Expected cost from here of the best cut-off."""
        return self.prefix_costs[self.cutoff]

    @property
    def steps(self) -> tuple[str, ...]:
        """The actions before the best cut-off."""
        return self.order[: self.cutoff]


def best_prefix(problem: Problem, evidence: Evidence = EMPTY) -> ActionPlan:
    """Cost of every cut-off of the efficiency order at this evidence (questions aside).

    >>> p = worked_example()
    >>> [round(c, 6) for c in best_prefix(p).prefix_costs]
    [50.0, 41.0, 27.6, 12.6]

    Raises:
        EvidenceError: as :func:`posterior`.
    """
    comp = problem._compiled
    mask, answers = _encode(comp, evidence)
    w = _weights(comp, mask, answers)
    mass = math.fsum(w)
    if mass <= 0.0:
        raise EvidenceError("evidence: no fault of the model explains these failed actions and answers")
    pre = _prefix(comp, w, mask, full=True)
    ids = [a.id for a in problem.actions]
    return ActionPlan(
        order=tuple(ids[a] for a in pre.order),
        chances=pre.chances,
        prefix_costs=tuple(c / mass for c in pre.costs),
        terminals=pre.terminals,
        cutoff=pre.best,
    )


# -- the next step ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The next step and why.

    Attributes:
        kind: ``action`` (try ``target``), ``question`` (ask ``target``), or stop: ``escalate`` / ``visit``.
        target: The action or question id; ``None`` for a stop.
        explanation: One or two sentences an agent can read out or act on.
        expected_cost: Expected cost from here if the plan is followed (under the planner's model).
        chance: For an action, ``P(it fixes it | evidence)``.
        stop_cost: Expected cost of stopping now with the cheaper terminal, ``T(e)``.
        continue_cost: Expected cost of the best plan that tries at least one more action; ``None`` if no
            untried action can fix anything.
        steps: The actions the plan would try, in order, before its terminal (if each fails).
        posterior: ``P(f | evidence)`` per fault id.
    """

    kind: StepKind
    target: str | None = None
    explanation: str = ""
    expected_cost: float = math.nan
    chance: float | None = None
    stop_cost: float = math.nan
    continue_cost: float | None = None
    steps: tuple[str, ...] = ()
    posterior: Mapping[str, float] = field(default_factory=dict)


NOT_OFFERED = 1e8
"""A terminal cost at or above this means the terminal is not offered (see :mod:`triage.trees.fix_groups`)."""


def _pct(p: float) -> str:
    """A probability as a whole percentage, halves rounded up (0.375 -> 38%, despite float noise)."""
    return f"{math.floor(p * 100 + 0.5 + 1e-9)}%"


def _num(x: float) -> str:
    """A cost as written by an author: ``2``, ``0.5``, ``12.25``."""
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


_TERMINAL_WORDS: Mapping[Terminal, tuple[str, str]] = {
    "escalate": ("Escalating now", "escalating"),
    "visit": ("Sending a technician now", "a home visit"),
}


def plan(problem: Problem, evidence: Evidence = EMPTY, *, questions: bool = True) -> Plan:
    """The next step for this evidence: an action, a question worth its cost, or the best terminal.

    Re-run it after every step: the efficiency order is recomputed on the posterior each time.

    Args:
        problem: The model.
        evidence: Failed actions and answers so far.
        questions: Consider questions (myopic value of information); ``False`` plans with actions only.

    Raises:
        EvidenceError: if the evidence names an unknown action, question or answer. Evidence no fault explains
            (possible when the model is wrong) gives an escalation, not an error.
    """
    comp = problem._compiled
    unit = problem.costs.unit
    mask, answers = _encode(comp, evidence)
    w = _weights(comp, mask, answers)
    mass = math.fsum(w)
    if mass <= 0.0:
        return Plan(
            kind="escalate",
            explanation="No fault in the model explains these answers and failed steps: escalating.",
        )
    post = {f: x / mass for f, x in zip(comp.fault_ids, w, strict=True)}
    pre = _prefix(comp, w, mask)
    value = pre.value
    stop_kind, stop = pre.terminals[0], pre.costs[0]
    if pre.best == 0:  # the pruned order may stop short of the first step: a stop explains what it would cost
        pre = _prefix(comp, w, mask, full=True)
    cont = min(pre.costs[1:]) / mass if len(pre.costs) > 1 else None
    steps = tuple(problem.actions[a].id for a in pre.order[: pre.best])
    common: dict[str, Any] = {
        "stop_cost": stop / mass,
        "continue_cost": cont,
        "steps": steps,
        "posterior": post,
    }

    if questions:
        asked = {j for j, _ in answers}
        best_q, best_eco = -1, value - _REL_EPS * abs(value)
        for j, cost in enumerate(comp.question_cost):
            if j in asked:
                continue
            eco = cost * mass
            for lik in comp.likelihood[j]:
                if eco >= best_eco:
                    break
                wo = [x * y for x, y in zip(w, lik, strict=True)]
                if math.fsum(wo) > 0.0:
                    eco += _prefix(comp, wo, mask).value
            if eco < best_eco:
                best_q, best_eco = j, eco
        if best_q >= 0:
            q = problem.questions[best_q]
            saving = (value - best_eco) / mass + q.cost
            return Plan(
                kind="question",
                target=q.id,
                explanation=(
                    f"Worth asking {q.name!r}: the answer is expected to save {saving:.1f} {unit} "
                    f"for a {_num(q.cost)} {unit} question (expected cost {best_eco / mass:.1f} {unit})."
                ),
                expected_cost=best_eco / mass,
                **common,
            )

    if pre.best > 0:
        a = problem.actions[pre.order[0]]
        return Plan(
            kind="action",
            target=a.id,
            explanation=f"Most likely to fix it for its effort: {_pct(pre.chances[0])} chance, {_num(a.cost)} {unit}.",
            expected_cost=value / mass,
            chance=pre.chances[0],
            **common,
        )

    now, _ = _TERMINAL_WORDS[stop_kind]
    text = f"{now}: expected cost {stop / mass:.1f} {unit}"
    if cont is not None:
        first = problem.actions[pre.order[0]].name
        text += f"; trying {first!r} first would cost {cont:.1f} {unit}"
    else:
        text += "; no untried step could fix it"
    other: Terminal = "visit" if stop_kind == "escalate" else "escalate"
    other_cost = _dot(w, comp.term_visit if other == "visit" else comp.term_escalate) / mass
    if other_cost < NOT_OFFERED:  # a terminal the product does not offer is not worth mentioning
        text += f"; {_TERMINAL_WORDS[other][1]} would cost {other_cost:.1f} {unit}"
    text += "."
    return Plan(kind=stop_kind, explanation=text, expected_cost=stop / mass, **common)


# -- policies and their exact evaluation ---------------------------------------------------------------------

Strategy: TypeAlias = Callable[[Evidence], Plan]
"""A deterministic policy: the next step as a function of the evidence so far."""


def planner_policy(problem: Problem, *, questions: bool = True) -> Strategy:
    """The planner as a policy (re-planned at every step), planning with ``problem``."""

    def policy(evidence: Evidence) -> Plan:
        return plan(problem, evidence, questions=questions)

    return policy


def _sequence_policy(
    problem: Problem, order: Sequence[str], cutoff: int, terminal: Terminal | None
) -> Strategy:
    """Try ``order[:cutoff]`` in turn (skipping failed ones), then stop with ``terminal`` (``None``: cheaper)."""
    todo = tuple(order[:cutoff])

    def policy(evidence: Evidence) -> Plan:
        for a in todo:
            if a not in evidence.failed:
                return Plan(kind="action", target=a)
        if terminal is not None:
            return Plan(kind=terminal)
        return Plan(kind=stop_cost(problem, evidence)[0])

    return policy


def authored_policy(problem: Problem, *, cap: int | None = None, terminal: Terminal = "escalate") -> Strategy:
    """The authored flow: the actions in the order written (at most ``cap`` of them), then ``terminal``."""
    return _sequence_policy(
        problem, [a.id for a in problem.actions], len(problem.actions) if cap is None else cap, terminal
    )


def cheapest_first_policy(problem: Problem, *, terminal: Terminal = "escalate") -> Strategy:
    """Every action, cheapest first (ties in the order written), then ``terminal``."""
    order = [a.id for a in sorted(problem.actions, key=lambda a: a.cost)]
    return _sequence_policy(problem, order, len(order), terminal)


def static_policy(problem: Problem) -> Strategy:
    """A plan fixed up front: prior ``p/c`` order (not re-planned), best cut-off, then the cheaper terminal."""
    comp = problem._compiled
    w = list(comp.prior)
    mass = math.fsum(w)
    eff = []
    for a, c in enumerate(comp.action_cost):
        p = _dot(w, comp.fix[a])
        if p > 0:
            eff.append((-(p / c if c > 0 else math.inf), -p, a))
    order = [a for *_, a in sorted(eff)]
    best, best_k, spent, cur = _terminal(comp, w)[1], 0, 0.0, w
    for k, a in enumerate(order, start=1):
        spent += comp.action_cost[a] * mass
        cur = [x * y for x, y in zip(cur, comp.miss[a], strict=True)]
        mass = math.fsum(cur)
        total = spent + _terminal(comp, cur)[1]
        if total < best - _REL_EPS * abs(best):
            best, best_k = total, k
    return _sequence_policy(problem, [problem.actions[a].id for a in order], best_k, None)


def expected_cost(problem: Problem, policy: Strategy, evidence: Evidence = EMPTY) -> float:
    """Exact expected cost of a deterministic policy from ``evidence``, under ``problem``'s probabilities.

    The policy may plan with another model (a misspecified one, a learned one); ``problem`` is the truth it is
    judged by. Every evidence state the policy reaches with positive probability is visited once.

    Raises:
        EvidenceError: if the policy repeats an action or question, or names one the problem does not have.
    """
    comp = problem._compiled
    mask, answers = _encode(comp, evidence)
    w = _weights(comp, mask, answers)
    mass = math.fsum(w)
    if mass <= 0.0:
        raise EvidenceError("evidence: no fault of the model explains these failed actions and answers")

    def walk(e: Evidence, w: list[float]) -> float:
        m = math.fsum(w)
        if m <= 0.0:
            return 0.0
        step = policy(e)
        if step.kind == "escalate":
            return _dot(w, comp.term_escalate)
        if step.kind == "visit":
            return _dot(w, comp.term_visit)
        target = step.target or ""
        if step.kind == "action":
            a = comp.action_index.get(target)
            if a is None or target in e.failed:
                raise EvidenceError(f"policy chose action {target!r} at {e!r}: unknown or already tried")
            nw = [x * y for x, y in zip(w, comp.miss[a], strict=True)]
            return comp.action_cost[a] * m + walk(e.with_failed(target), nw)
        j = comp.question_index.get(target)
        if j is None or target in e.answers:
            raise EvidenceError(f"policy chose question {target!r} at {e!r}: unknown or already answered")
        total = comp.question_cost[j] * m
        for o, lik in zip(comp.answer_ids[j], comp.likelihood[j], strict=True):
            total += walk(e.with_answer(target, o), [x * y for x, y in zip(w, lik, strict=True)])
        return total

    return walk(evidence, w) / mass


# -- the exact oracle -----------------------------------------------------------------------------------------


class Oracle:
    """The exact optimum by dynamic programming over evidence states (small instances).

    ``V(e) = min{T(e), min_a [c_a + P(a fails|e)·V(e + a failed)], min_Q [c_Q + Σ_o P(o|e)·V(e + Q=o)]}``,
    memoised on (failed-action set, answers): at most ``2^n · Π(answers_Q + 1)`` states (83k for 10 actions and
    4 yes/no questions). Values are computed lazily, so an oracle asked only about the start explores only
    what the start needs.

    Args:
        problem: The model to optimise for.
        max_states: Refuse larger state spaces (:class:`TooLargeError`).
    """

    def __init__(self, problem: Problem, *, max_states: int = 2_000_000) -> None:
        comp = problem._compiled
        n = len(comp.action_cost)
        size = 2**n
        for os in comp.answer_ids:
            size *= len(os) + 1
        if size > max_states:
            raise TooLargeError(
                f"problem has {n} actions and {len(comp.answer_ids)} questions: {size} evidence states, "
                f"more than max_states={max_states}"
            )
        self.problem = problem
        self._comp = comp
        self._n = n
        self._base: list[int] = []
        b = 1 << n
        for os in comp.answer_ids:
            self._base.append(b)
            b *= len(os) + 1
        self._memo: dict[int, float] = {}
        self._lower: dict[int, tuple[float, ...]] = {}

    @property
    def states(self) -> int:
        """Evidence states solved so far."""
        return len(self._memo)

    def _key(self, evidence: Evidence) -> tuple[int, list[float], float]:
        mask, answers = _encode(self._comp, evidence)
        key = mask + sum(self._base[j] * (k + 1) for j, k in answers)
        w = _weights(self._comp, mask, answers)
        return key, w, math.fsum(w)

    def _bounds(self, mask: int) -> tuple[float, ...]:
        """Per fault, a lower bound on the cost of ending a session with that fault from an evidence state with
        ``mask`` failed: it ends with a terminal or with an untried step that can fix it, and costs are >= 0."""
        hit = self._lower.get(mask)
        if hit is None:
            comp = self._comp
            low = [min(e, v) for e, v in zip(comp.term_escalate, comp.term_visit, strict=True)]
            for a, (c, row) in enumerate(zip(comp.action_cost, comp.fix, strict=True)):
                if not mask >> a & 1:
                    low = [min(x, c) if q > 0 else x for x, q in zip(low, row, strict=True)]
            hit = self._lower[mask] = tuple(low)
        return hit

    def _solve(self, key: int, w: list[float]) -> float:
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        comp = self._comp
        mass = sum(w)
        if mass <= 0.0:
            return 0.0
        best: float = min(sum(map(mul, w, comp.term_escalate)), sum(map(mul, w, comp.term_visit)))
        n = self._n
        mask = key & ((1 << n) - 1)
        # most efficient first, so that a good plan is found early and the bounds prune more
        options = []
        for a in range(n):
            if not mask >> a & 1:
                p = sum(map(mul, w, comp.fix[a]))
                if p > 0.0:  # a step that cannot fix anything only adds cost
                    c = comp.action_cost[a]
                    options.append((-(p / c) if c > 0 else -math.inf, a))
        options.sort()
        for _, a in options:
            cost = comp.action_cost[a] * mass
            if cost >= best:
                continue
            child_mask = mask | 1 << a
            nw = list(map(mul, w, comp.miss[a]))
            if cost + sum(map(mul, nw, self._bounds(child_mask))) >= best:
                continue
            v = cost + self._solve(key | 1 << a, nw)
            if v < best:
                best = v
        low = sum(map(mul, w, self._bounds(mask)))
        for j, base in enumerate(self._base):
            if (key // base) % (len(comp.answer_ids[j]) + 1):
                continue
            v = comp.question_cost[j] * mass
            rest = low  # the bound is linear and answer likelihoods sum to 1: it splits over the answers
            for k, lik in enumerate(comp.likelihood[j]):
                if v + rest >= best:
                    break
                nw = list(map(mul, w, lik))
                rest -= sum(map(mul, nw, self._bounds(mask)))
                v += self._solve(key + base * (k + 1), nw)
            else:  # every answer evaluated without hitting the bound
                best = min(best, v)
        self._memo[key] = best
        return best

    def value(self, evidence: Evidence = EMPTY) -> float:
        """``V(e)``: the optimal expected cost from ``evidence``."""
        key, w, mass = self._key(evidence)
        if mass <= 0.0:
            raise EvidenceError("evidence: no fault of the model explains these failed actions and answers")
        return self._solve(key, w) / mass

    def __call__(self, evidence: Evidence = EMPTY) -> Plan:
        """An optimal next step at ``evidence`` (ties: stop, then actions, then questions, in problem order)."""
        comp = self._comp
        key, w, mass = self._key(evidence)
        if mass <= 0.0:
            raise EvidenceError("evidence: no fault of the model explains these failed actions and answers")
        value = self._solve(key, w)
        tol = 1e-9 * max(1.0, abs(value))
        kind, t = _terminal(comp, w)
        if t <= value + tol:
            return Plan(kind=kind, expected_cost=value / mass, explanation="Optimal: stop here.")
        for a, act in enumerate(self.problem.actions):
            if key >> a & 1 or _dot(w, comp.fix[a]) <= 0.0:
                continue
            v = comp.action_cost[a] * mass + self._solve(
                key | 1 << a, [x * y for x, y in zip(w, comp.miss[a], strict=True)]
            )
            if v <= value + tol:
                return Plan(
                    kind="action", target=act.id, expected_cost=value / mass, explanation="Optimal step."
                )
        for j, base in enumerate(self._base):
            if (key // base) % (len(comp.answer_ids[j]) + 1):
                continue
            v = comp.question_cost[j] * mass + math.fsum(
                self._solve(key + base * (k + 1), [x * y for x, y in zip(w, lik, strict=True)])
                for k, lik in enumerate(comp.likelihood[j])
            )
            if v <= value + tol:
                q = self.problem.questions[j]
                return Plan(
                    kind="question", target=q.id, expected_cost=value / mass, explanation="Optimal question."
                )
        raise AssertionError("no option reaches the optimal value")  # pragma: no cover


def optimal_policy(problem: Problem, *, max_states: int = 2_000_000) -> Oracle:
    """The exact optimal policy (an :class:`Oracle`, callable on evidence)."""
    return Oracle(problem, max_states=max_states)


def optimal_cost(problem: Problem, evidence: Evidence = EMPTY, *, max_states: int = 2_000_000) -> float:
    """``V*``: the optimal expected cost from ``evidence`` (exact DP; small instances only)."""
    return Oracle(problem, max_states=max_states).value(evidence)


# -- brute force ------------------------------------------------------------------------------------------------

# ("escalate",) | ("visit",) | ("action", a, tree) | ("question", j, (tree per answer, ...))
_Tree: TypeAlias = tuple[Any, ...]


def _strategies(comp: _Compiled, mask: int, asked: frozenset[int]) -> Iterator[_Tree]:
    """Every strategy tree from a state: both terminals, every action then every continuation, every question
    then every combination of continuations per answer."""
    yield ("escalate",)
    yield ("visit",)
    for a in range(len(comp.action_cost)):
        if not mask >> a & 1:
            for sub in _strategies(comp, mask | 1 << a, asked):
                yield ("action", a, sub)
    for j, os in enumerate(comp.answer_ids):
        if j not in asked:
            subs = list(_strategies(comp, mask, asked | {j}))
            for combo in itertools.product(subs, repeat=len(os)):
                yield ("question", j, combo)


def _tree_cost(comp: _Compiled, tree: _Tree, w: list[float]) -> float:
    kind = tree[0]
    if kind == "escalate":
        return _dot(w, comp.term_escalate)
    if kind == "visit":
        return _dot(w, comp.term_visit)
    m = math.fsum(w)
    if kind == "action":
        a = tree[1]
        return comp.action_cost[a] * m + _tree_cost(
            comp, tree[2], [x * y for x, y in zip(w, comp.miss[a], strict=True)]
        )
    j = tree[1]
    return comp.question_cost[j] * m + math.fsum(
        _tree_cost(comp, sub, [x * y for x, y in zip(w, lik, strict=True)])
        for sub, lik in zip(tree[2], comp.likelihood[j], strict=True)
    )


def brute_force_cost(problem: Problem, *, max_strategies: int = 2_000_000) -> float:
    """The optimal expected cost by evaluating every strategy tree one by one (tiny instances only).

    Independent of :class:`Oracle` (no memo, no pruning): it exists to cross-check it.

    Raises:
        TooLargeError: if there are more than ``max_strategies`` strategies.
    """
    comp = problem._compiled
    w = list(comp.prior)
    best = math.inf
    for i, tree in enumerate(_strategies(comp, 0, frozenset())):
        if i >= max_strategies:
            raise TooLargeError(f"more than max_strategies={max_strategies} strategies; use optimal_cost()")
        best = min(best, _tree_cost(comp, tree, w))
    return best / math.fsum(w)


# -- reference fixtures (§5.2, §5.3) -----------------------------------------------------------------------------


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
