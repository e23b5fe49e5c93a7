"""Figures per step: how often each node was answered, how long it took, where sessions were abandoned,
and how often each action fixed the problem (actions only: see :mod:`triage.analytics.kinds`).

The step events (answers and "already tried") are counted by the database; see
:mod:`triage.analytics.queries` for the definitions and the filters every query takes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, literal, select, union_all
from sqlalchemy.orm import Session as DBSession

from triage.analytics._sql import IS_STEP, STEP_EVENTS, abandoned, median, on, seconds_between
from triage.analytics.kinds import node_kinds
from triage.analytics.rows import ActionStats, DropOff, Filters, NodeStats, filters, num, rate
from triage.analytics.sources import RawSource, Source, source_for
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


def per_node(
    db: DBSession, f: Filters, now: datetime, src: Source | None = None
) -> tuple[list[ActionStats], list[DropOff]]:
    """One pass over the answers, by node: action results, and the drop-offs of abandoned sessions."""
    src = src or RawSource()
    per_node = src.nodes(f)
    drops = src.drops(f, now)
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
    raw: bool = False,
) -> list[ActionStats]:
    """Fix rate of every action node answered in the selected sessions, most answered first.

    Only real fix attempts: action nodes answered fixed, not fixed, could not, or already tried. Instructions,
    waits, remote checks and questions have no row, whatever values their answers have.
    """
    f = filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return per_node(db, f, utcnow(), source_for(db, f, utcnow(), raw=raw))[0]


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
    raw: bool = False,
) -> list[DropOff]:
    """Steps where abandoned sessions stopped, most drop-offs first (per node, over all trees that reach it)."""
    f = filters(tree_id, since, until, mode, locale)
    at = now or utcnow()
    with store.tx() as db:
        rows = per_node(db, f, at, source_for(db, f, at, raw=raw))[1]
    return rows[:limit] if limit is not None else rows
