"""Where the analytics queries read their counts: the raw sessions and events, or the rollups.

Both give the same intermediate rows (same columns, same meaning), so the queries that turn them into
figures (:mod:`triage.analytics.queries`, :mod:`triage.analytics.steps`) are written once. :func:`source_for`
picks the rollups when they can answer exactly: they exist, the period starts and ends at UTC midnight (the
rollups are per start day), and ``now`` is not before their last compaction. Sessions that went idle since
that compaction are counted as abandoned from the sessions table (``ix_sessions_updated`` finds them: a
few minutes of history, whatever its size).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any, Protocol

from sqlalchemy import Integer, and_, case, cast, func, literal, select, union_all
from sqlalchemy.orm import Session as DBSession
from sqlalchemy.sql import ColumnElement

from triage.analytics._sql import (
    IS_STEP,
    RESULTS,
    abandoned,
    count_if,
    json_text,
    seconds_between,
    utc_day,
)
from triage.analytics.rows import ABANDONED_AFTER, Filters
from triage.records import rollups
from triage.records.schema import (
    EventRow,
    RollupAnswer,
    RollupCell,
    RollupDrop,
    RollupDuration,
    RollupFault,
    RollupOutcome,
    SessionRow,
)
from triage.trees.model import OutcomeKind

__all__ = [
    "COUNTS",
    "FCR",
    "KIND_COUNTS",
    "SESSION_KEYS",
    "RawSource",
    "RollupSource",
    "Source",
    "source_for",
]

SESSION_KEYS: dict[str, Any] = {
    "tree_id": SessionRow.tree_id,
    "root_version": SessionRow.root_version,
    "mode": SessionRow.mode,
    "locale": SessionRow.locale,
}
"""The session columns figures are grouped and filtered by (the rollups keep each)."""
KIND_COUNTS: dict[str, str] = {
    OutcomeKind.RESOLVED.value: "resolved",
    OutcomeKind.ESCALATE.value: "escalated",
    OutcomeKind.VISIT.value: "home_visits",
    OutcomeKind.SHIP_PART.value: "parts_shipped",
    OutcomeKind.REPAIR.value: "repairs",
    OutcomeKind.DIAGNOSIS.value: "diagnoses",
    OutcomeKind.HANDOVER.value: "handovers",
}
"""Decision kind -> the count that holds it in the rows (every kind has one: a handover is not an escalation)."""
COUNTS = ("sessions", "decided", "abandoned", *KIND_COUNTS.values(), "fcr")
DECIDED = SessionRow.status == "decided"
FCR = and_(SessionRow.decision_kind == "resolved", func.coalesce(SessionRow.truth, "") != "not_resolved")
_NODE_COUNTS = ("answered", "fixed", "not_fixed", "could_not", "tried")


class Source(Protocol):
    """The intermediate rows every figure is computed from."""

    def cells(self, f: Filters, now: datetime) -> Any:
        """Per (session keys, steps): :data:`COUNTS` (a CTE)."""

    def durations(self, f: Filters, keys: list[str]) -> tuple[Any, bool]:
        """Per (``keys``, whole seconds to decision): ``w`` decided sessions; and whether one row per value."""

    def outcomes(self, f: Filters) -> Any:
        """Per decision kind: ``n`` decided sessions, ``bad`` overturned."""

    def faults(self, f: Filters) -> Any:
        """Per (tree id, true fault): ``n`` sessions."""

    def days(self, f: Filters) -> Any:
        """Per UTC start day: sessions, each decision kind's count, undecided."""

    def nodes(self, f: Filters) -> Any:
        """Per (node tree, node id): answered, fixed, not_fixed, could_not, tried."""

    def drops(self, f: Filters, now: datetime) -> Any:
        """Per (last tree, last node): ``drop_offs`` of abandoned sessions."""


class RawSource:
    """Counts straight from the sessions and events tables."""

    def cells(self, f: Filters, now: datetime) -> Any:
        cols = list(SESSION_KEYS.values())
        return (
            select(
                *cols,
                SessionRow.steps,
                func.count().label("sessions"),
                count_if(DECIDED).label("decided"),
                count_if(abandoned(now)).label("abandoned"),
                *(count_if(SessionRow.decision_kind == k).label(name) for k, name in KIND_COUNTS.items()),
                count_if(FCR).label("fcr"),
            )
            .where(*f.where())
            .group_by(*cols, SessionRow.steps)
            .cte("cells")
        )

    def durations(self, f: Filters, keys: list[str]) -> tuple[Any, bool]:
        # whole seconds: exact to the second, and equal durations share a histogram row
        secs = cast(func.round(seconds_between(SessionRow.started_at, SessionRow.decided_at)), Integer)
        kc = [SESSION_KEYS[k] for k in keys]
        q = (
            select(*kc, secs.label("secs"), func.count().label("w"))
            .where(*f.where(), DECIDED)
            .group_by(*kc, secs)
        )
        return q.cte("durations"), True

    def outcomes(self, f: Filters) -> Any:
        bad = count_if(func.coalesce(SessionRow.truth, "") == "not_resolved")
        return (
            select(SessionRow.decision_kind.label("kind"), func.count().label("n"), bad.label("bad"))
            .where(*f.where(), DECIDED)
            .group_by(SessionRow.decision_kind)
            .subquery()
        )

    def faults(self, f: Filters) -> Any:
        return (
            select(SessionRow.tree_id, SessionRow.true_fault, func.count().label("n"))
            .where(*f.where(), SessionRow.true_fault.is_not(None))
            .group_by(SessionRow.tree_id, SessionRow.true_fault)
            .subquery()
        )

    def days(self, f: Filters) -> Any:
        day = utc_day(SessionRow.started_at)
        return (
            select(
                day.label("day"),
                func.count().label("sessions"),
                *(count_if(SessionRow.decision_kind == k).label(n) for k, n in KIND_COUNTS.items()),
                count_if(SessionRow.decision_kind.is_(None)).label("undecided"),
            )
            .where(*f.where())
            .group_by(day)
            .subquery()
        )

    def nodes(self, f: Filters) -> Any:
        where = f.where()
        source: Any = EventRow.__table__
        if where:
            source = EventRow.__table__.join(SessionRow.__table__, EventRow.session_id == SessionRow.id)
        value = json_text(EventRow.value)
        ev = [EventRow.tree_id, EventRow.node_id, EventRow.type]
        # answers counted by (node, type, value) first: SQLite streams that straight out of ix_events_steps
        by_value = (
            select(*ev, value.label("value"), func.count().label("n"))
            .select_from(source)
            .where(*where, IS_STEP)
            .group_by(*ev, value)
            .subquery()
        )
        v, cnt = by_value.c.value, by_value.c.n

        def total(cond: ColumnElement[bool]) -> Any:
            return func.coalesce(func.sum(case((cond, cnt), else_=0)), 0)

        return (
            select(
                by_value.c.tree_id,
                by_value.c.node_id,
                func.sum(cnt).label("answered"),
                total(v == RESULTS["fixed"]).label("fixed"),
                total(and_(v == RESULTS["not_fixed"], by_value.c.type == "answer")).label("not_fixed"),
                total(v == RESULTS["could_not"]).label("could_not"),
                total(by_value.c.type == "tried").label("tried"),
            )
            .group_by(by_value.c.tree_id, by_value.c.node_id)
            .cte("per_node")
        )

    def drops(self, f: Filters, now: datetime) -> Any:
        last = [SessionRow.last_tree, SessionRow.last_node]
        return (
            select(last[0].label("tree_id"), last[1].label("node_id"), func.count().label("drop_offs"))
            .where(*f.where(), abandoned(now), SessionRow.last_node.is_not(None))
            .group_by(*last)
            .cte("drops")
        )


def _midnight(at: datetime | None) -> bool:
    return at is None or at.astimezone(UTC).time() == time(0)


class RollupSource:
    """Counts from the rollup tables, as of ``as_of``; open sessions idle since then come from the sessions."""

    def __init__(self, as_of: datetime) -> None:
        self.as_of = as_of

    def _where(self, model: Any, f: Filters) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        for name in ("tree_id", "mode", "locale"):
            if getattr(f, name) is not None:
                out.append(getattr(model, name) == getattr(f, name))
        if f.since is not None:
            out.append(model.day >= f.since.astimezone(UTC).date().isoformat())
        if f.until is not None:
            out.append(model.day < f.until.astimezone(UTC).date().isoformat())
        return out

    def _went_idle(self, f: Filters, now: datetime) -> list[ColumnElement[bool]]:
        """Open sessions that became abandoned after the compaction (it counted them as still active)."""
        return [
            *f.where(),
            SessionRow.status == "open",
            SessionRow.updated_at >= self.as_of - ABANDONED_AFTER,
            SessionRow.updated_at < self.as_of,  # changed since: the next compaction counts it
            SessionRow.updated_at < now - ABANDONED_AFTER,
        ]

    def cells(self, f: Filters, now: datetime) -> Any:
        keys = [
            RollupCell.tree_id,
            RollupCell.root_version,
            RollupCell.mode,
            RollupCell.locale,
            RollupCell.steps,
        ]
        rolled = select(*keys, *(func.sum(getattr(RollupCell, c)).label(c) for c in COUNTS)).where(
            *self._where(RollupCell, f)
        )
        zero = literal(0)
        idle = select(
            *SESSION_KEYS.values(),
            SessionRow.steps,
            *(func.count().label(c) if c == "abandoned" else zero.label(c) for c in COUNTS),
        ).where(*self._went_idle(f, now))
        both = union_all(
            rolled.group_by(*keys), idle.group_by(*SESSION_KEYS.values(), SessionRow.steps)
        ).subquery()
        bk = [both.c[k] for k in (*SESSION_KEYS, "steps")]
        return select(*bk, *(func.sum(both.c[c]).label(c) for c in COUNTS)).group_by(*bk).cte("cells")

    def durations(self, f: Filters, keys: list[str]) -> tuple[Any, bool]:
        kc = [getattr(RollupDuration, k) for k in keys]
        q = (
            select(*kc, RollupDuration.secs.label("secs"), func.sum(RollupDuration.w).label("w"))
            .where(*self._where(RollupDuration, f))
            .group_by(*kc, RollupDuration.secs)
        )
        return q.cte("durations"), True

    def outcomes(self, f: Filters) -> Any:
        m = RollupOutcome
        return (
            select(
                m.decision_kind.label("kind"),
                func.sum(m.sessions).label("n"),
                func.sum(m.overturned).label("bad"),
            )
            .where(*self._where(m, f))
            .group_by(m.decision_kind)
            .subquery()
        )

    def faults(self, f: Filters) -> Any:
        m = RollupFault
        return (
            select(m.tree_id, m.true_fault, func.sum(m.sessions).label("n"))
            .where(*self._where(m, f))
            .group_by(m.tree_id, m.true_fault)
            .subquery()
        )

    def days(self, f: Filters) -> Any:
        m = RollupCell
        return (
            select(
                m.day.label("day"),
                func.sum(m.sessions).label("sessions"),
                *(func.sum(getattr(m, n)).label(n) for n in KIND_COUNTS.values()),
                func.sum(m.undecided).label("undecided"),
            )
            .where(*self._where(m, f))
            .group_by(m.day)
            .subquery()
        )

    def nodes(self, f: Filters) -> Any:
        m = RollupAnswer
        return (
            select(
                m.node_tree.label("tree_id"),
                m.node_id.label("node_id"),
                *(func.sum(getattr(m, c)).label(c) for c in _NODE_COUNTS),
            )
            .where(*self._where(m, f))
            .group_by(m.node_tree, m.node_id)
            .cte("per_node")
        )

    def drops(self, f: Filters, now: datetime) -> Any:
        m = RollupDrop
        rolled = (
            select(
                m.last_tree.label("tree_id"), m.last_node.label("node_id"), func.sum(m.drop_offs).label("d")
            )
            .where(*self._where(m, f))
            .group_by(m.last_tree, m.last_node)
        )
        last = [SessionRow.last_tree, SessionRow.last_node]
        idle = (
            select(*last, func.count())
            .where(*self._went_idle(f, now), SessionRow.last_node.is_not(None))
            .group_by(*last)
        )
        both = union_all(rolled, idle).subquery()
        tid, nid = both.c.tree_id, both.c.node_id
        return (
            select(tid.label("tree_id"), nid.label("node_id"), func.sum(both.c.d).label("drop_offs"))
            .group_by(tid, nid)
            .cte("drops")
        )


def source_for(db: DBSession, f: Filters, now: datetime, *, raw: bool = False) -> Source:
    """The rollups when they answer these filters exactly, else the raw tables."""
    if raw or not (_midnight(f.since) and _midnight(f.until)):
        return RawSource()
    at = rollups.as_of(db)
    if at is None or now < at:
        return RawSource()
    return RollupSource(at)
