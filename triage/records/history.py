"""What the stored sessions say about a fix group's numbers: records for the learner, learned against authored.

:func:`records_for_group` reads the events of the sessions that walked a tree's fix group (one query on the
group's nodes, one on the sessions) and turns each session into a :class:`~triage.guidance.learning.SessionRecord`:

* **failed**: the group's actions answered ``not_fixed`` or ``could_not``, or marked as already tried;
* **fixed_by**: the group's action answered ``fixed``; when a repeat contact later marked the session as not
  resolved (``truth = 'not_resolved'``), the fix did not hold and that action counts as failed instead;
* **answers**: the answers to the group's questions (answers the group does not know are left out);
* **fault**: the session's ``true_fault``, else its ``closure_code`` (tier 2, the technician), when it names one
  of the tree's faults.

Sessions still open are left out (they may be in progress) unless a closure code names a fault. A session that
went back or restarted is replayed through the engine so that only the answers still standing count; every
other session is read straight from its events.

:func:`beliefs_for_group` feeds the records, oldest first, to :class:`~triage.guidance.learning.Beliefs` starting from
the authored numbers (:func:`triage.trees.fix_groups.group_problem`); :func:`learned_numbers` gives the review rows and
:func:`overrides_from` the learned numbers in the shape :func:`~triage.trees.fix_groups.group_problem` accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select

from triage.errors import GroupError, did_you_mean
from triage.guidance.learning import Beliefs, LearnedRow, SessionRecord, learned_vs_authored
from triage.records.schema import EventRow, SessionRow
from triage.records.store import Store
from triage.trees.fix_groups import group_problem
from triage.trees.model import ActionNode, FixGroupNode, Tree

__all__ = [
    "GroupError",
    "GroupHistory",
    "beliefs_for_group",
    "find_group",
    "fix_groups",
    "learned_numbers",
    "overrides_from",
    "records_for_group",
]

_STEP_EVENTS = ("answer", "tried")
_REWIND_EVENTS = ("back", "restart")


def fix_groups(tree: Tree) -> list[FixGroupNode]:
    """The tree's fix groups, in file order."""
    return [n for n in tree.nodes if isinstance(n, FixGroupNode)]


def find_group(tree: Tree, group_id: str) -> FixGroupNode:
    """The fix group ``group_id`` of ``tree``; :class:`GroupError` names the known ones otherwise."""
    groups = fix_groups(tree)
    for g in groups:
        if g.id == group_id:
            return g
    known = [g.id for g in groups]
    hint = did_you_mean(group_id, known)
    listed = ", ".join(known) if known else "none"
    raise GroupError(
        f"tree {tree.id!r} has no fix group {group_id!r}"
        + (f" ({hint})" if hint else "")
        + f"; its fix groups: {listed}"
    )


@dataclass
class _Walk:
    """One session's steps at the group, as they stand."""

    failed: list[str]
    fixed_by: str | None
    answers: dict[str, str]

    @classmethod
    def empty(cls) -> _Walk:
        return cls([], None, {})

    def step(
        self, node_id: str, value: Any, *, tried: bool, actions: set[str], answers: Mapping[str, set[str]]
    ) -> None:
        if node_id in actions:
            if value == "fixed" and not tried:
                self.fixed_by = node_id
                if node_id in self.failed:
                    self.failed.remove(node_id)
            elif node_id not in self.failed and node_id != self.fixed_by:
                self.failed.append(node_id)
        elif node_id in answers:
            answer = str(value)  # as the engine keys it (triage.walk.session.Session._group_result)
            if answer in answers[node_id]:
                self.answers[node_id] = answer


def records_for_group(
    store: Store, tree_id: str, group_id: str, *, tree: Tree | None = None
) -> list[SessionRecord]:
    """One :class:`~triage.guidance.learning.SessionRecord` per session that walked the fix group, oldest first.

    Args:
        store: The store holding the sessions.
        tree_id: The tree the group belongs to (sessions rooted elsewhere that called it count too).
        group_id: The fix group's node id.
        tree: The tree to read the group's members and faults from; default: its latest published version.

    Raises:
        GroupError: if the tree has no such fix group.
        LibraryError: if the tree is not published (and ``tree`` was not given).
    """
    return [r for _, r in _records(store, tree_id, group_id, tree)]


def _records(
    store: Store, tree_id: str, group_id: str, tree: Tree | None
) -> list[tuple[datetime, SessionRecord]]:
    tree = tree if tree is not None else store.library().get_tree(tree_id)
    group = find_group(tree, group_id)
    actions = {a for a in group.actions if isinstance(tree.by_id.get(a), ActionNode)}
    answers = {q.node: set(q.likelihoods) for q in group.questions}
    members = sorted(actions | set(answers))
    stops = [s.node for s in (group.escalate, group.visit) if s is not None]
    faults = {f.id for f in tree.faults}

    at_group = (
        select(EventRow.session_id)
        .where(
            EventRow.session_id == SessionRow.id,
            EventRow.tree_id == tree_id,
            EventRow.node_id.in_(members),
            EventRow.type.in_(_STEP_EVENTS),
        )
        .correlate(SessionRow)
    )
    stopped_at_once = (
        (SessionRow.last_tree == tree_id)
        & (SessionRow.decision_rule == "planner")
        & SessionRow.decision_node.in_(stops)
    )
    rewound = exists(
        select(EventRow.session_id).where(
            EventRow.session_id == SessionRow.id, EventRow.type.in_(_REWIND_EVENTS)
        )
    ).correlate(SessionRow)
    with store.tx() as db:
        sessions = db.execute(
            select(
                SessionRow.id,
                SessionRow.started_at,
                SessionRow.status,
                SessionRow.truth,
                SessionRow.true_fault,
                SessionRow.closure_code,
                rewound.label("rewound"),
            )
            .where(or_(exists(at_group), stopped_at_once))
            .order_by(SessionRow.started_at, SessionRow.id)
        ).all()
        steps: dict[str, list[tuple[str, Any, bool]]] = {}
        for sid, node_id, type_, value in db.execute(
            select(EventRow.session_id, EventRow.node_id, EventRow.type, EventRow.value)
            .where(
                EventRow.tree_id == tree_id,
                EventRow.node_id.in_(members),
                EventRow.type.in_(_STEP_EVENTS),
            )
            .order_by(EventRow.session_id, EventRow.seq)
        ):
            steps.setdefault(sid, []).append((node_id, value, type_ == "tried"))

    out: list[tuple[datetime, SessionRecord]] = []
    for sid, started, status, truth, true_fault, closure_code, was_rewound in sessions:
        fault = next((f for f in (true_fault, closure_code) if f in faults), None)
        if status == "open" and fault is None:
            continue
        walk = _Walk.empty()
        if was_rewound:
            # back and restart keep later answers aside or drop them: only the replayed walk says what stands
            session = store.load_session(sid).session
            for st in session.path:
                if not st.auto and st.pos.tree_id == tree_id and st.pos.node_id in members:
                    walk.step(st.pos.node_id, st.answer, tried=st.tried, actions=actions, answers=answers)
        else:
            for node_id, value, tried in steps.get(sid, []):
                walk.step(node_id, value, tried=tried, actions=actions, answers=answers)
        if truth == "not_resolved" and walk.fixed_by is not None:
            walk.failed.append(walk.fixed_by)  # the customer came back: the fix did not hold
            walk.fixed_by = None
        out.append((started, SessionRecord(walk.failed, walk.fixed_by, walk.answers, fault)))
    return out


@dataclass(frozen=True)
class GroupHistory:
    """A fix group's learned state.

    Attributes:
        tree: The tree.
        group: The fix group.
        beliefs: The counts after every record.
        records: The records they were learned from, oldest first.
    """

    tree: Tree
    group: FixGroupNode
    beliefs: Beliefs
    records: tuple[SessionRecord, ...]

    @property
    def labelled(self) -> int:
        """Records whose fault a closure code names."""
        return sum(r.fault is not None for r in self.records)


def beliefs_for_group(
    store: Store,
    tree: Tree,
    group: FixGroupNode | str,
    *,
    prior_weight: float = 10.0,
    forget: float | None = None,
) -> GroupHistory:
    """Learn a fix group's numbers from its stored sessions, starting from the authored ones.

    Args:
        store: The store holding the sessions.
        tree: The tree (its group structure and authored numbers are the starting point).
        group: The fix group or its id.
        prior_weight: Pseudo-observations behind each authored number (fault prior, each fix chance, each
            fault's answer likelihoods): small lets the records take over quickly.
        forget: Discount factor in ``[0, 1]`` applied before each session (oldest first), so a session ``k``
            sessions back counts ``forget**k``; ``None`` keeps everything.
    """
    g = group if isinstance(group, FixGroupNode) else find_group(tree, group)
    beliefs = Beliefs(
        group_problem(tree, g), prior_weight=prior_weight, fix_weight=prior_weight, answer_weight=prior_weight
    )
    records = tuple(r for _, r in _records(store, tree.id, g.id, tree))
    for record in records:
        if forget is not None:
            beliefs.forget(forget)
        beliefs.update(record)
    return GroupHistory(tree, g, beliefs, records)


def learned_numbers(
    store: Store,
    tree: Tree,
    group: FixGroupNode | str,
    *,
    prior_weight: float = 10.0,
    forget: float | None = None,
    min_change: float = 0.0,
) -> list[LearnedRow]:
    """Learned against authored for every number of a fix group (see :func:`beliefs_for_group`), keeping the
    rows that moved by at least ``min_change``."""
    history = beliefs_for_group(store, tree, group, prior_weight=prior_weight, forget=forget)
    return learned_vs_authored(history.beliefs, min_change=min_change)


def overrides_from(beliefs: Beliefs) -> dict[str, dict[str, float]]:
    """The learned (posterior-mean) priors and fix chances as :func:`~triage.trees.fix_groups.group_problem` overrides.

    >>> from triage.guidance import worked_example
    >>> sorted(overrides_from(Beliefs(worked_example())))
    ['fixes:a1', 'fixes:a2', 'fixes:a3', 'priors']
    """
    mean = beliefs.mean()
    out: dict[str, dict[str, float]] = {"priors": {f.id: f.prior for f in mean.faults}}
    for a in mean.actions:
        out[f"fixes:{a.id}"] = dict(a.fixes)
    return out
