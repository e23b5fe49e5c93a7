"""Figures per step: how often each node was answered, how long it took, where sessions were abandoned,
and how often each action fixed the problem (actions only: see :mod:`triage.analytics.kinds`).

The step events (answers and "already tried") are counted by the database; see
:mod:`triage.analytics.queries` for the definitions and the filters every query takes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session as DBSession
from sqlalchemy.sql import ColumnElement

from triage.analytics._sql import (
    IS_STEP,
    RESULTS,
    STEP_EVENTS,
    abandoned,
    json_text,
    median,
    on,
    seconds_between,
)
from triage.analytics.kinds import node_kinds
from triage.analytics.rows import ActionStats, DropOff, Filters, NodeStats, filters, num, rate
from triage.records.schema import EventRow, SessionRow, utcnow
from triage.records.store import Store
from triage.trees.model import Audience

__all__ = ["action_stats", "drop_offs", "node_stats", "per_node"]


def _nodes(db: DBSession, f: Filters, now: datetime, version: int | None) -> list[NodeStats]:
    where = f.where()
    if version is not None:
        where.append(SessionRow.root_version == version)
    joined = EventRow.__table__.join(SessionRow.__table__, EventRow.session_id == SessionRow.id)
    ev_keys = [SessionRow.tree_id, SessionRow.root_version, EventRow.tree_id, EventRow.node_id]
    visits = (
        select(*ev_keys, func.count().label("visits"), literal(0).label("drop_offs"))
        .select_from(joined)
        .where(*where, IS_STEP)
        .group_by(*ev_keys)
    )
    drops = (
        select(
            SessionRow.tree_id,
            SessionRow.root_version,
            SessionRow.last_tree,
            SessionRow.last_node,
            literal(0).label("visits"),
            func.count().label("drop_offs"),
        )
        .where(*where, abandoned(now), SessionRow.last_node.is_not(None))
        .group_by(SessionRow.tree_id, SessionRow.root_version, SessionRow.last_tree, SessionRow.last_node)
    )
    both = union_all(visits, drops).subquery()
    bk = list(both.c)[:4]
    combined = (
        select(*bk, func.sum(both.c.visits).label("visits"), func.sum(both.c.drop_offs).label("drop_offs"))
        .group_by(*bk)
        .subquery()
    )

    # time spent: from the session's previous event (any type) to the answer at the node
    lagged = (
        select(
            *ev_keys,
            EventRow.type,
            seconds_between(
                func.lag(EventRow.at).over(partition_by=EventRow.session_id, order_by=EventRow.seq),
                EventRow.at,
            ).label("secs"),
        )
        .select_from(joined)
        .where(*where)
        .subquery()
    )
    lk = list(lagged.c)[:4]
    spent = median(
        lk, lagged.c.secs, [lagged.c.type.in_(STEP_EVENTS)]
    )  # lag() sees every event; only answers count

    ck = list(combined.c)[:4]
    q = select(combined, spent.c.median).select_from(
        combined.outerjoin(spent, on(ck, [spent.c[f"k{i}"] for i in range(4)]))
    )
    kinds = node_kinds(db)
    out = []
    for tid, ver, ntree, nid, v, d, med in db.execute(q).all():
        visits_n, drops_n = int(v), int(d)
        rate_n = rate(drops_n, visits_n + drops_n)
        kind = kinds.get((str(ntree), str(nid)), "")
        out.append(NodeStats(tid, ver, ntree, nid, visits_n, drops_n, rate_n, num(med, 1), kind))
    return sorted(out, key=lambda n: (n.tree_id, n.version, -n.visits, n.node_tree, n.node_id))


def node_stats(
    store: Store,
    *,
    version: int | None = None,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
    now: datetime | None = None,
) -> list[NodeStats]:
    """Visits, drop-offs and median seconds per node, for each tree version sessions started on."""
    f = filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _nodes(db, f, now or utcnow(), version)


def _step_source(f: Filters) -> tuple[Any, list[ColumnElement[bool]]]:
    """Where step events come from: all of them, or (with filters) those of the selected sessions."""
    where = f.where()
    if not where:
        return EventRow.__table__, [IS_STEP]
    joined = EventRow.__table__.join(SessionRow.__table__, EventRow.session_id == SessionRow.id)
    return joined, [*where, IS_STEP]


def per_node(db: DBSession, f: Filters, now: datetime) -> tuple[list[ActionStats], list[DropOff]]:
    """One pass over the answers, by node: action results, and the drop-offs of abandoned sessions."""
    source, where = _step_source(f)
    value = json_text(EventRow.value)
    ev = [EventRow.tree_id, EventRow.node_id, EventRow.type]
    # answers counted by (node, type, value) first: SQLite streams that straight out of ix_events_steps
    by_value = (
        select(*ev, value.label("value"), func.count().label("n"))
        .select_from(source)
        .where(*where)
        .group_by(*ev, value)
        .subquery()
    )
    v, cnt = by_value.c.value, by_value.c.n

    def total(cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((cond, cnt), else_=0)), 0)

    per_node = (
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
    last = [SessionRow.last_tree, SessionRow.last_node]
    drops = (
        select(last[0].label("tree_id"), last[1].label("node_id"), func.count().label("drop_offs"))
        .where(*f.where(), abandoned(now), SessionRow.last_node.is_not(None))
        .group_by(*last)
        .cte("drops")
    )
    same = and_(drops.c.tree_id == per_node.c.tree_id, drops.c.node_id == per_node.c.node_id)
    zero = literal(0)
    q = union_all(
        select(per_node, func.coalesce(drops.c.drop_offs, 0)).select_from(per_node.outerjoin(drops, same)),
        # abandoned at a step nobody answered yet
        select(drops.c.tree_id, drops.c.node_id, zero, zero, zero, zero, zero, drops.c.drop_offs).where(
            ~select(per_node.c.tree_id).where(same).exists()
        ),
    )
    kinds = node_kinds(db)
    actions, drop_offs = [], []
    for tid, nid, answered, fixed, not_fixed, could_not, tried, dropped in db.execute(q).all():
        n, d = int(answered), int(dropped)
        kind = kinds.get((str(tid), str(nid)), "")
        results = (int(fixed), int(not_fixed), int(could_not), int(tried))
        attempts = results[0] + results[1] + results[2] + results[3]
        # only an action is a fix attempt: an instruction's "could_not" or a question's "fixed" is not
        if kind == "action" and attempts:
            actions.append(ActionStats(str(tid), str(nid), attempts, *results, rate(results[0], attempts)))
        if d:
            drop_offs.append(DropOff(str(tid), str(nid), d, n, rate(d, d + n), kind))
    actions.sort(key=lambda a: (-a.answered, a.tree_id, a.node_id))
    drop_offs.sort(key=lambda x: (-x.drop_offs, -(x.drop_off_rate or 0), x.tree_id, x.node_id))
    return actions, drop_offs


def action_stats(
    store: Store,
    *,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
) -> list[ActionStats]:
    """Fix rate of every action node answered in the selected sessions, most answered first.

    Only real fix attempts: action nodes answered fixed, not fixed, could not, or already tried. Instructions,
    waits, remote checks and questions have no row, whatever values their answers have.
    """
    f = filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return per_node(db, f, utcnow())[0]


def drop_offs(
    store: Store,
    *,
    limit: int | None = None,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
    now: datetime | None = None,
) -> list[DropOff]:
    """Steps where abandoned sessions stopped, most drop-offs first (per node, over all trees that reach it)."""
    f = filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        rows = per_node(db, f, now or utcnow())[1]
    return rows[:limit] if limit is not None else rows
