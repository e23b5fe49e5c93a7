"""The planner: which step to try next, which question is worth asking, and when to stop.

:func:`plan` gives the next step for the evidence so far (failed actions and answers) on a
:class:`~triage.guidance.problem.Problem`:

1. Order the untried actions by efficiency ``p/c`` on the *current* posterior (each next one chosen on the
   posterior that assumes the earlier ones failed), and evaluate the exact expected cost of every cut-off
   "first k actions, then the cheaper terminal", ``k = 0..n`` (:func:`best_prefix`). The naive rule "stop when
   no step's p/c beats ``1/C``" is not optimal (§5.2); comparing whole-plan costs is (for a single
   always-resolving service, §5.1).
2. Ask a question only if its myopic value of information exceeds its cost (§6).
3. Otherwise do the first action of the best cut-off, or stop with the cheaper terminal.

Every :class:`Plan` carries an explanation an agent can read out. The planner is re-run after every step. On
single-fault instances whose actions each fix one fault of their own, with one always-resolving service, this
policy is optimal (Kadane & Simon; Lín 2015); :mod:`triage.guidance.optimal` computes the exact optimum for
everything else (small instances only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from triage.guidance._compiled import REL_EPS, Compiled, cheaper_terminal, dot, encode, explained, weights
from triage.guidance.problem import EMPTY, Evidence, Problem, Question, StepKind, Terminal

__all__ = [
    "NOT_OFFERED",
    "ActionPlan",
    "Plan",
    "best_prefix",
    "plan",
]

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


def _prefix(comp: Compiled, w: Sequence[float], mask: int, *, full: bool = False) -> _Prefix:
    """Best cut-off of the efficiency order from weights ``w`` with the actions in ``mask`` already used.

    Stops extending the order once the step costs alone exceed the best plan so far (no longer prefix can win),
    unless ``full`` is set (explanations want the whole order).
    """
    cur = list(w)
    mass = math.fsum(cur)
    kind, t = cheaper_terminal(comp, cur)
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
            p = dot(cur, comp.fix[a])
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
        kind, t = cheaper_terminal(comp, cur)
        costs.append(spent + t)
        terminals.append(kind)
        if spent + t < best - REL_EPS * abs(best):
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

    >>> from triage.guidance import worked_example
    >>> p = worked_example()
    >>> [round(c, 6) for c in best_prefix(p).prefix_costs]
    [50.0, 41.0, 27.6, 12.6]

    Raises:
        EvidenceError: as :func:`posterior`.
    """
    comp = problem._compiled
    mask, _, w, mass = explained(comp, evidence)
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
    mask, answers = encode(comp, evidence)
    w = weights(comp, mask, answers)
    mass = math.fsum(w)
    if mass <= 0.0:
        return Plan(
            kind="escalate",
            explanation="No fault in the model explains these answers and failed steps: escalating.",
        )
    pre = _prefix(comp, w, mask)
    value = pre.value
    if pre.best == 0:  # the pruned order may stop short of the first step: a stop explains what it would cost
        pre = _prefix(comp, w, mask, full=True)
    here = _Here(problem, w, mass, pre)
    if questions:
        j, eco = _best_question(comp, w, mass, mask, {j for j, _ in answers}, value)
        if j >= 0:
            return _ask(here, problem.questions[j], value, eco)
    if pre.best > 0:
        return _act(here, value)
    return _stop(here)


@dataclass(frozen=True, slots=True)
class _Here:
    """The planner's view of one evidence state: its weights, their mass and the efficiency order's cut-offs."""

    problem: Problem
    w: list[float]
    mass: float
    pre: _Prefix

    @property
    def unit(self) -> str:
        return self.problem.costs.unit

    @property
    def continue_cost(self) -> float | None:
        """Expected cost of the best cut-off that tries at least one action (``None`` if none can)."""
        return min(self.pre.costs[1:]) / self.mass if len(self.pre.costs) > 1 else None

    def common(self) -> dict[str, Any]:
        """The fields every plan at this evidence shares."""
        comp = self.problem._compiled
        return {
            "stop_cost": self.pre.costs[0] / self.mass,
            "continue_cost": self.continue_cost,
            "steps": tuple(self.problem.actions[a].id for a in self.pre.order[: self.pre.best]),
            "posterior": {f: x / self.mass for f, x in zip(comp.fault_ids, self.w, strict=True)},
        }


def _best_question(
    comp: Compiled, w: list[float], mass: float, mask: int, asked: set[int], value: float
) -> tuple[int, float]:
    """The unasked question whose answers lead to the lowest expected cost, if it beats ``value`` (else -1)."""
    best_q, best_eco = -1, value - REL_EPS * abs(value)
    for j, cost in enumerate(comp.question_cost):
        if j in asked:
            continue
        eco = cost * mass
        for lik in comp.likelihood[j]:
            if eco >= best_eco:
                break  # already no better than the best so far: the other answers only add cost
            wo = [x * y for x, y in zip(w, lik, strict=True)]
            if math.fsum(wo) > 0.0:
                eco += _prefix(comp, wo, mask).value
        if eco < best_eco:
            best_q, best_eco = j, eco
    return best_q, best_eco


def _ask(here: _Here, q: Question, value: float, eco: float) -> Plan:
    """Ask ``q``: its answer is expected to save more than it costs."""
    unit, mass = here.unit, here.mass
    saving = (value - eco) / mass + q.cost
    return Plan(
        kind="question",
        target=q.id,
        explanation=(
            f"Worth asking {q.name!r}: the answer is expected to save {saving:.1f} {unit} "
            f"for a {_num(q.cost)} {unit} question (expected cost {eco / mass:.1f} {unit})."
        ),
        expected_cost=eco / mass,
        **here.common(),
    )


def _act(here: _Here, value: float) -> Plan:
    """Try the first action of the best cut-off."""
    pre = here.pre
    a = here.problem.actions[pre.order[0]]
    return Plan(
        kind="action",
        target=a.id,
        explanation=f"Most likely to fix it for its effort: {_pct(pre.chances[0])} chance, {_num(a.cost)} {here.unit}.",
        expected_cost=value / here.mass,
        chance=pre.chances[0],
        **here.common(),
    )


def _stop(here: _Here) -> Plan:
    """Stop with the cheaper terminal, saying what trying on (and the other terminal) would cost."""
    problem, pre, mass, unit = here.problem, here.pre, here.mass, here.unit
    comp = problem._compiled
    stop_kind, stop = pre.terminals[0], pre.costs[0]
    cont = here.continue_cost
    now, _ = _TERMINAL_WORDS[stop_kind]
    text = f"{now}: expected cost {stop / mass:.1f} {unit}"
    if cont is not None:
        first = problem.actions[pre.order[0]].name
        text += f"; trying {first!r} first would cost {cont:.1f} {unit}"
    else:
        text += "; no untried step could fix it"
    other: Terminal = "visit" if stop_kind == "escalate" else "escalate"
    other_cost = dot(here.w, comp.term_visit if other == "visit" else comp.term_escalate) / mass
    if other_cost < NOT_OFFERED:  # a terminal the product does not offer is not worth mentioning
        text += f"; {_TERMINAL_WORDS[other][1]} would cost {other_cost:.1f} {unit}"
    text += "."
    return Plan(kind=stop_kind, explanation=text, expected_cost=stop / mass, **here.common())
