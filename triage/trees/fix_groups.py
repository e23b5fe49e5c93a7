"""The bridge between trees and the planner: a fix group becomes a :class:`triage.guidance.problem.Problem`.

A ``fix_group`` node names candidate action nodes (their ``minutes`` are the costs, their ``fixes`` the
per-fault fix chances), optional questions with answer likelihoods, and where to stop (escalate and/or visit
outcome nodes, each with a cost). Fault priors and classes come from the tree's ``faults``.
"""

from __future__ import annotations

from collections.abc import Mapping

from triage.errors import ProblemError
from triage.guidance import Action, Costs, Fault, FaultClass, Problem, Question
from triage.trees.model import ActionNode, FixGroupNode, QuestionNode, Tree, localize

__all__ = ["DEFAULT_ACTION_MINUTES", "group_problem", "group_problem_issues", "problem_for"]

DEFAULT_ACTION_MINUTES = 5.0
_UNREACHABLE = 1e9  # a terminal the group does not offer: above planner.NOT_OFFERED, so never picked or named

_CACHE: dict[tuple[int, str], tuple[Tree, Problem]] = {}


def group_problem(
    tree: Tree, group: FixGroupNode, overrides: Mapping[str, Mapping[str, float]] | None = None
) -> Problem:
    """The planner's model of one fix group. ``overrides`` (from learning) replace authored numbers.

    ``overrides`` may hold ``{"priors": {fault: p}, "fixes:<action id>": {fault: q}}``.
    Raises :class:`~triage.errors.ProblemError` listing every problem (unknown faults, priors not summing to 1).
    """
    ov = overrides or {}
    priors = dict(ov.get("priors", {}))
    faults = [
        Fault(
            f.id,
            priors.get(f.id, f.prior),
            resolved_by=f.resolved_by,
            tier2_resolve=group.tier2_resolve.get(f.id),
            label=localize(f.title, "en") if f.title else "",
        )
        for f in tree.faults
    ]
    actions = []
    for action_id in group.actions:
        node = tree.by_id.get(action_id)
        if not isinstance(node, ActionNode):
            raise ProblemError([f"fix group {group.id!r}: {action_id!r} is not an action node of this tree"])
        fixes = dict(ov.get(f"fixes:{action_id}", node.fixes))
        minutes = node.minutes if node.minutes is not None else DEFAULT_ACTION_MINUTES
        actions.append(Action(action_id, max(minutes, 0.01), fixes, label=_short(localize(node.text, "en"))))
    questions = []
    for gq in group.questions:
        qnode = tree.by_id.get(gq.node)
        if not isinstance(qnode, QuestionNode):
            raise ProblemError([f"fix group {group.id!r}: {gq.node!r} is not a question node of this tree"])
        questions.append(Question(gq.node, gq.cost, gq.likelihoods, label=_short(localize(qnode.text, "en"))))
    esc = group.escalate.cost if group.escalate is not None else _UNREACHABLE
    visit = group.visit.cost if group.visit is not None else _UNREACHABLE
    tier2: dict[FaultClass, float] = {"self": 0.9, "tier2": 0.9, "onsite": 0.0}
    if group.visit is None:  # no visit to fall back on: the escalation is the end of the road
        tier2 = {"self": 1.0, "tier2": 1.0, "onsite": 1.0}
        faults = [
            Fault(f.id, f.prior, resolved_by=f.resolved_by, tier2_resolve=1.0, label=f.label) for f in faults
        ]
    costs = Costs(
        escalation=esc,
        visit=visit,
        tier2_resolve=tier2,
        escalation_penalty=group.escalate.penalty if group.escalate is not None else 0.0,
        visit_penalty=group.visit.penalty if group.visit is not None else 0.0,
    )
    return Problem(faults, actions, costs, questions)


def problem_for(tree: Tree, group: FixGroupNode) -> Problem:
    """:func:`group_problem`, cached per tree object (trees are immutable)."""
    key = (id(tree), group.id)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is tree:
        return hit[1]
    problem = group_problem(tree, group)
    if len(_CACHE) > 512:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (tree, problem)
    return problem


def group_problem_issues(tree: Tree, group: FixGroupNode) -> list[str]:
    """Why a fix group cannot be planned (empty when it can): for validation messages."""
    if not tree.faults:
        return ["the tree declares no `faults` (with priors) for the fix group to reason about"]
    try:
        group_problem(tree, group)
    except ProblemError as exc:
        return list(exc.issues)
    return []


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
