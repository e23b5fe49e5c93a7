"""Support analytics: how each tree performs, where sessions stop, which actions fix things.

Every figure is computed by the database: SQLAlchemy Core queries (counts, ``row_number()``/``count()``
windows for medians, ``lag()`` for time spent per step) that run unchanged on SQLite and PostgreSQL.
Python only turns the few result rows into frozen dataclasses.

Interface for the ``triage stats`` command — these three functions are all it needs::

    summary(store, *, tree_id=None, since=None, until=None, mode=None, locale=None,
            now=None, top=10) -> Summary
    render_text(summary: Summary) -> str      # aligned tables for the terminal
    to_csv(rows: Sequence[row]) -> str        # any list of rows below, e.g. to_csv(s.trees)

``summary`` bundles the main figures (overall, per tree, most frequent problems, by mode, by locale, action
fix rates, drop-off hot spots, true faults, outcomes per day); ``Summary.tables()`` names each list of rows,
so ``--csv FILE`` can write ``to_csv(s.tables()[name])`` (the per-tree table by default).

The separate queries take the same filters: :func:`tree_stats`, :func:`node_stats`, :func:`action_stats`,
:func:`top_problems`, :func:`breakdown`, :func:`outcomes_per_day`, :func:`fault_counts`.

Definitions:

* **Filters** select sessions: ``tree_id`` (the tree the session started on), ``since`` (inclusive) and
  ``until`` (exclusive) on the start time, ``mode``, ``locale``.
* **Decided**: the session reached a decision. Resolution, escalation and visit rates, and first-contact
  resolution, are shares of decided sessions; median steps and minutes to decision are over decided ones.
* **First-contact resolution (FCR)**: resolved, and no repeat contact turned it into ``not_resolved``.
* **Abandoned**: still open and not updated for 30 minutes (before ``now``). An abandoned session is a
  drop-off at its last node.
* **Node visits**: answers at the node ("already tried" included). Time spent at a node is the time from
  the session's previous event to that answer. Node figures belong to the tree the session started on and
  its version; a node inside a called procedure is named with the procedure's tree id.
* **Action fix rate**: at an action node, answers "fixed" out of all answers (fixed, not fixed, could not,
  already tried). A node counts as an action when every answer given there is one of those results.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, String, Text, and_, case, cast, func, literal, select, true, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm import Session as DBSession
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from triage.db import EventRow, SessionRow, TreeVersion, utcnow
from triage.model import ActionResult, Audience
from triage.store import Store

__all__ = [
    "ABANDONED_AFTER",
    "ActionStats",
    "BreakdownRow",
    "DayOutcomes",
    "FaultCount",
    "Filters",
    "NodeStats",
    "ProblemCount",
    "Summary",
    "TreeStats",
    "action_stats",
    "breakdown",
    "fault_counts",
    "node_stats",
    "outcomes_per_day",
    "render_text",
    "summary",
    "to_csv",
    "top_problems",
    "tree_stats",
]

ABANDONED_AFTER = timedelta(minutes=30)
"""An open session not updated for this long counts as abandoned (a drop-off)."""

_Col = ColumnElement[Any] | InstrumentedAttribute[Any]
_STEP_EVENTS = ("answer", "tried")
# action answers are stored as JSON strings; comparing the JSON text works the same on both databases
_RESULTS = {r.value: f'"{r.value}"' for r in ActionResult}


# -- portable SQL pieces ---------------------------------------------------------------------------


class _seconds_between(FunctionElement[float]):
    """Seconds from the first timestamp to the second (SQLite keeps timestamps as text)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(_seconds_between, "sqlite")
def _seconds_sqlite(element: _seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(_seconds_between)
def _seconds_default(element: _seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


class _utc_day(FunctionElement[str]):
    """The UTC calendar day of a timestamp as 'YYYY-MM-DD'."""

    type = String()
    inherit_cache = True
    name = "utc_day"


@compiles(_utc_day, "sqlite")
def _day_sqlite(element: _utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    (col,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({col})"


@compiles(_utc_day)
def _day_default(element: _utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    (col,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _median(
    keys: Sequence[_Col],
    value: _Col,
    where: Sequence[ColumnElement[bool]],
    source: Any = None,
) -> Any:
    """A subquery of ``keys`` (as k0, k1, ...) and the median of ``value`` per group, computed in SQL."""
    labelled = [k.label(f"k{i}") for i, k in enumerate(keys)]
    part = list(keys) or None
    inner_q = select(
        *labelled,
        value.label("x"),
        func.row_number().over(partition_by=part, order_by=value).label("rn"),
        func.count().over(partition_by=part).label("n"),
    ).where(*where, value.is_not(None))
    if source is not None:
        inner_q = inner_q.select_from(source)
    inner = inner_q.subquery()
    ks = [inner.c[f"k{i}"] for i in range(len(keys))]
    return (
        select(*ks, func.avg(inner.c.x).label("median"))
        .where(inner.c.rn >= (inner.c.n + 1) // 2, inner.c.rn <= (inner.c.n + 2) // 2)
        .group_by(*ks)
        .subquery()
    )


def _on(left: Sequence[_Col], right: Sequence[_Col]) -> ColumnElement[bool]:
    return and_(true(), *(a == b for a, b in zip(left, right, strict=True)))


# -- filters ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which sessions the figures cover; ``None`` means no restriction."""

    tree_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    mode: str | None = None
    locale: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.tree_id is not None:
            out.append(SessionRow.tree_id == self.tree_id)
        if self.since is not None:
            out.append(SessionRow.started_at >= self.since)
        if self.until is not None:
            out.append(SessionRow.started_at < self.until)
        if self.mode is not None:
            out.append(SessionRow.mode == self.mode)
        if self.locale is not None:
            out.append(SessionRow.locale == self.locale)
        return out

    def describe(self) -> str:
        parts = [
            f"tree {self.tree_id}" if self.tree_id else "all trees",
            f"mode {self.mode}" if self.mode else "all modes",
            f"locale {self.locale}" if self.locale else "all locales",
        ]
        if self.since or self.until:
            a = self.since.strftime("%Y-%m-%d %H:%M") if self.since else "start"
            b = self.until.strftime("%Y-%m-%d %H:%M") if self.until else "now"
            parts.append(f"{a} to {b} UTC")
        return ", ".join(parts)


def _filters(
    tree_id: str | None,
    since: datetime | None,
    until: datetime | None,
    mode: Audience | str | None,
    locale: str | None,
) -> Filters:
    return Filters(tree_id, since, until, Audience(mode).value if mode is not None else None, locale)


def _abandoned(now: datetime) -> ColumnElement[bool]:
    return and_(SessionRow.status == "open", SessionRow.updated_at < now - ABANDONED_AFTER)


# -- result rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeStats:
    """Outcome figures of one tree (``version`` None: all versions together; ``tree_id`` '*': all trees)."""

    tree_id: str
    version: int | None
    title: str
    sessions: int
    decided: int
    abandoned: int
    resolved: int
    escalated: int
    home_visits: int
    first_contact_resolved: int
    resolution_rate: float | None
    escalation_rate: float | None
    visit_rate: float | None
    fcr_rate: float | None
    median_steps: float | None
    median_minutes: float | None


@dataclass(frozen=True)
class NodeStats:
    """One step of a tree (version): how often it was answered, abandoned at, and how long it took."""

    tree_id: str
    version: int
    node_tree: str
    node_id: str
    visits: int
    drop_offs: int
    drop_off_rate: float | None
    median_seconds: float | None


@dataclass(frozen=True)
class ActionStats:
    """One action node: how often doing it fixed the problem."""

    tree_id: str
    node_id: str
    answered: int
    fixed: int
    not_fixed: int
    could_not: int
    tried_before: int
    fix_rate: float | None


@dataclass(frozen=True)
class ProblemCount:
    """A problem (tree) by how often it came up."""

    tree_id: str
    title: str
    category: str
    sessions: int
    share: float | None


@dataclass(frozen=True)
class BreakdownRow:
    """Outcome figures for one value of a dimension (``mode`` or ``locale``)."""

    dimension: str
    value: str
    sessions: int
    decided: int
    resolved: int
    escalated: int
    home_visits: int
    resolution_rate: float | None
    fcr_rate: float | None


@dataclass(frozen=True)
class DayOutcomes:
    """Sessions started on one UTC day, by how they ended."""

    day: date
    sessions: int
    resolved: int
    escalated: int
    home_visits: int
    undecided: int


@dataclass(frozen=True)
class FaultCount:
    """A fault actually found (closure code) and how many sessions of a tree it closed."""

    tree_id: str
    true_fault: str
    sessions: int


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _num(value: Any, digits: int = 3) -> float | None:
    if value is None:
        return None
    return round(float(value) if isinstance(value, Decimal) else float(value), digits)


# -- outcome figures -------------------------------------------------------------------------------

_DECIDED = SessionRow.status == "decided"
_RESOLVED = SessionRow.decision_kind == "resolved"
_FCR = and_(_RESOLVED, func.coalesce(SessionRow.truth, "") != "not_resolved")


def _outcome_rows(
    db: DBSession, keys: Sequence[_Col], f: Filters, now: datetime
) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Counts and medians per group of ``keys`` (no keys: one row for everything)."""
    where = f.where()
    labelled = [k.label(f"k{i}") for i, k in enumerate(keys)]
    counts = (
        select(
            *labelled,
            func.count().label("sessions"),
            _count_if(_DECIDED).label("decided"),
            _count_if(_abandoned(now)).label("abandoned"),
            _count_if(_RESOLVED).label("resolved"),
            _count_if(SessionRow.decision_kind == "escalate").label("escalated"),
            _count_if(SessionRow.decision_kind == "visit").label("home_visits"),
            _count_if(_FCR).label("fcr"),
        )
        .where(*where)
        .group_by(*keys)
        .subquery()
    )
    decided = [*where, _DECIDED]
    steps = _median(keys, SessionRow.steps, decided)
    minutes = _median(keys, _seconds_between(SessionRow.started_at, SessionRow.decided_at) / 60.0, decided)
    ck = [counts.c[f"k{i}"] for i in range(len(keys))]
    q = select(
        counts, steps.c.median.label("median_steps"), minutes.c.median.label("median_minutes")
    ).select_from(
        counts.outerjoin(steps, _on(ck, [steps.c[f"k{i}"] for i in range(len(keys))])).outerjoin(
            minutes, _on(ck, [minutes.c[f"k{i}"] for i in range(len(keys))])
        )
    )
    out = []
    for row in db.execute(q).mappings():
        out.append((tuple(row[f"k{i}"] for i in range(len(keys))), dict(row)))
    return out


def _tree_row(tree_id: str, version: int | None, title: str, r: dict[str, Any]) -> TreeStats:
    decided = int(r["decided"])
    return TreeStats(
        tree_id=tree_id,
        version=version,
        title=title,
        sessions=int(r["sessions"]),
        decided=decided,
        abandoned=int(r["abandoned"]),
        resolved=int(r["resolved"]),
        escalated=int(r["escalated"]),
        home_visits=int(r["home_visits"]),
        first_contact_resolved=int(r["fcr"]),
        resolution_rate=_rate(int(r["resolved"]), decided),
        escalation_rate=_rate(int(r["escalated"]), decided),
        visit_rate=_rate(int(r["home_visits"]), decided),
        fcr_rate=_rate(int(r["fcr"]), decided),
        median_steps=_num(r["median_steps"]),
        median_minutes=_num(r["median_minutes"]),
    )


def _titles(db: DBSession) -> dict[tuple[str, int], tuple[str, str]]:
    """(tree id, version) -> (title, category); version 0 holds the latest version's."""
    rows = db.execute(
        select(TreeVersion.tree_id, TreeVersion.version, TreeVersion.title, TreeVersion.category).order_by(
            TreeVersion.tree_id, TreeVersion.version
        )
    ).all()
    out: dict[tuple[str, int], tuple[str, str]] = {}
    for tid, version, title, category in rows:
        out[(tid, version)] = out[(tid, 0)] = (title, category)
    return out


def _trees(db: DBSession, f: Filters, now: datetime, by_version: bool) -> list[TreeStats]:
    keys: list[_Col] = [SessionRow.tree_id]
    if by_version:
        keys.append(SessionRow.root_version)
    titles = _titles(db)
    rows = [
        _tree_row(
            k[0], k[1] if by_version else None, titles.get((k[0], k[1] if by_version else 0), ("", ""))[0], r
        )
        for k, r in _outcome_rows(db, keys, f, now)
    ]
    return sorted(rows, key=lambda t: (-t.sessions, t.tree_id, t.version or 0))


def _overall(db: DBSession, f: Filters, now: datetime) -> TreeStats:
    ((_, r),) = _outcome_rows(db, [], f, now)
    return _tree_row("*", None, "all trees", r)


def tree_stats(
    store: Store,
    *,
    by_version: bool = False,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
    now: datetime | None = None,
) -> list[TreeStats]:
    """Outcome figures per tree (or per tree version), most used first."""
    f = _filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _trees(db, f, now or utcnow(), by_version)


def _breakdown(db: DBSession, dimension: str, f: Filters, now: datetime) -> list[BreakdownRow]:
    col = {"mode": SessionRow.mode, "locale": SessionRow.locale}[dimension]
    out = []
    for (value,), r in _outcome_rows(db, [col], f, now):
        decided = int(r["decided"])
        out.append(
            BreakdownRow(
                dimension=dimension,
                value=value,
                sessions=int(r["sessions"]),
                decided=decided,
                resolved=int(r["resolved"]),
                escalated=int(r["escalated"]),
                home_visits=int(r["home_visits"]),
                resolution_rate=_rate(int(r["resolved"]), decided),
                fcr_rate=_rate(int(r["fcr"]), decided),
            )
        )
    return sorted(out, key=lambda b: (-b.sessions, b.value))


def breakdown(
    store: Store,
    dimension: str,
    *,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
    now: datetime | None = None,
) -> list[BreakdownRow]:
    """Outcome figures by ``dimension``: ``'mode'`` (agent, self-service) or ``'locale'``."""
    if dimension not in ("mode", "locale"):
        raise ValueError(f"dimension must be 'mode' or 'locale' (got {dimension!r})")
    f = _filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _breakdown(db, dimension, f, now or utcnow())


# -- nodes and actions -----------------------------------------------------------------------------


def _nodes(db: DBSession, f: Filters, now: datetime, version: int | None) -> list[NodeStats]:
    where = f.where()
    if version is not None:
        where.append(SessionRow.root_version == version)
    joined = EventRow.__table__.join(SessionRow.__table__, EventRow.session_id == SessionRow.id)
    ev_keys = [SessionRow.tree_id, SessionRow.root_version, EventRow.tree_id, EventRow.node_id]
    steps = EventRow.type.in_(_STEP_EVENTS)

    visits = (
        select(*ev_keys, func.count().label("visits"), literal(0).label("drop_offs"))
        .select_from(joined)
        .where(*where, steps)
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
        .where(*where, _abandoned(now), SessionRow.last_node.is_not(None))
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
            _seconds_between(
                func.lag(EventRow.at).over(partition_by=EventRow.session_id, order_by=EventRow.seq),
                EventRow.at,
            ).label("secs"),
        )
        .select_from(joined)
        .where(*where)
        .subquery()
    )
    lk = list(lagged.c)[:4]
    spent = _median(lk, lagged.c.secs, [lagged.c.type.in_(_STEP_EVENTS)])

    ck = list(combined.c)[:4]
    q = select(combined, spent.c.median).select_from(
        combined.outerjoin(spent, _on(ck, [spent.c[f"k{i}"] for i in range(4)]))
    )
    out = []
    for tid, ver, ntree, nid, v, d, med in db.execute(q).all():
        visits_n, drops_n = int(v), int(d)
        out.append(
            NodeStats(
                tid, ver, ntree, nid, visits_n, drops_n, _rate(drops_n, visits_n + drops_n), _num(med, 1)
            )
        )
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
    f = _filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _nodes(db, f, now or utcnow(), version)


def _actions(db: DBSession, f: Filters) -> list[ActionStats]:
    value = cast(EventRow.value, Text)
    is_result = value.in_(list(_RESULTS.values()))
    q = (
        select(
            EventRow.tree_id,
            EventRow.node_id,
            func.count().label("answered"),
            _count_if(value == _RESULTS["fixed"]).label("fixed"),
            _count_if(and_(value == _RESULTS["not_fixed"], EventRow.type == "answer")).label("not_fixed"),
            _count_if(value == _RESULTS["could_not"]).label("could_not"),
            _count_if(EventRow.type == "tried").label("tried"),
        )
        .select_from(EventRow.__table__.join(SessionRow.__table__, EventRow.session_id == SessionRow.id))
        .where(*f.where(), EventRow.type.in_(_STEP_EVENTS))
        .group_by(EventRow.tree_id, EventRow.node_id)
        .having(_count_if(~is_result) == 0)
    )
    out = [
        ActionStats(str(tid), str(nid), int(a), int(fx), int(nf), int(cn), int(tr), _rate(int(fx), int(a)))
        for tid, nid, a, fx, nf, cn, tr in db.execute(q).all()
    ]
    return sorted(out, key=lambda a: (-a.answered, a.tree_id, a.node_id))


def action_stats(
    store: Store,
    *,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
) -> list[ActionStats]:
    """Fix rate of every action node answered in the selected sessions, most answered first."""
    f = _filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _actions(db, f)


# -- problems, days, faults ------------------------------------------------------------------------


def _problems(db: DBSession, f: Filters) -> list[ProblemCount]:
    rows = db.execute(
        select(SessionRow.tree_id, func.count().label("n"))
        .where(*f.where())
        .group_by(SessionRow.tree_id)
        .order_by(func.count().desc(), SessionRow.tree_id)
    ).all()
    total = sum(int(n) for _, n in rows)
    titles = _titles(db)
    return [
        ProblemCount(tid, *titles.get((tid, 0), ("", "")), int(n), _rate(int(n), total)) for tid, n in rows
    ]


def top_problems(
    store: Store,
    *,
    limit: int | None = None,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
) -> list[ProblemCount]:
    """The most frequent problems: sessions per tree, with the latest title, most frequent first."""
    f = _filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        rows = _problems(db, f)
    return rows[:limit] if limit is not None else rows


def _days(db: DBSession, f: Filters) -> list[DayOutcomes]:
    day = _utc_day(SessionRow.started_at)
    rows = db.execute(
        select(
            day.label("day"),
            func.count(),
            _count_if(_RESOLVED),
            _count_if(SessionRow.decision_kind == "escalate"),
            _count_if(SessionRow.decision_kind == "visit"),
            _count_if(SessionRow.decision_kind.is_(None)),
        )
        .where(*f.where())
        .group_by(day)
        .order_by(day)
    ).all()
    return [
        DayOutcomes(date.fromisoformat(d), int(n), int(r), int(e), int(v), int(u))
        for d, n, r, e, v, u in rows
    ]


def outcomes_per_day(
    store: Store,
    *,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
) -> list[DayOutcomes]:
    """The outcome mix of the sessions started on each UTC day, oldest first (days without any are left out)."""
    f = _filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _days(db, f)


def _faults(db: DBSession, f: Filters) -> list[FaultCount]:
    rows = db.execute(
        select(SessionRow.tree_id, SessionRow.true_fault, func.count())
        .where(*f.where(), SessionRow.true_fault.is_not(None))
        .group_by(SessionRow.tree_id, SessionRow.true_fault)
        .order_by(SessionRow.tree_id, func.count().desc(), SessionRow.true_fault)
    ).all()
    return [FaultCount(tid, str(fault), int(n)) for tid, fault, n in rows]


def fault_counts(
    store: Store,
    *,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
) -> list[FaultCount]:
    """The true faults found at closure (tier 2 or a technician) per tree, most frequent first."""
    f = _filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _faults(db, f)


# -- summary ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """The main figures for a selection of sessions, as computed at ``generated_at``."""

    generated_at: datetime
    filters: Filters
    overall: TreeStats
    trees: tuple[TreeStats, ...]
    problems: tuple[ProblemCount, ...]
    modes: tuple[BreakdownRow, ...]
    locales: tuple[BreakdownRow, ...]
    actions: tuple[ActionStats, ...]
    drop_offs: tuple[NodeStats, ...]
    faults: tuple[FaultCount, ...]
    days: tuple[DayOutcomes, ...]

    def tables(self) -> dict[str, Sequence[Any]]:
        """Every list of rows by name, ready for :func:`to_csv` (``overall`` is a one-row table)."""
        return {
            "trees": self.trees,
            "overall": (self.overall,),
            "problems": self.problems,
            "modes": self.modes,
            "locales": self.locales,
            "actions": self.actions,
            "drop_offs": self.drop_offs,
            "faults": self.faults,
            "days": self.days,
        }


def summary(
    store: Store,
    *,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
    now: datetime | None = None,
    top: int = 10,
) -> Summary:
    """The main figures in one go (one database transaction).

    ``top`` limits the lists meant for reading — problems, actions, drop-off nodes — to the first ``top``
    (most frequent problems, most answered actions, nodes with most drop-offs); per-tree rows, breakdowns,
    faults and days are complete.
    """
    f = _filters(tree_id, since, until, mode, locale)
    at = now or utcnow()
    with store.tx() as db:
        nodes = [n for n in _nodes(db, f, at, None) if n.drop_offs]
        nodes.sort(key=lambda n: (-n.drop_offs, -(n.drop_off_rate or 0), n.tree_id, n.version, n.node_id))
        return Summary(
            generated_at=at,
            filters=f,
            overall=_overall(db, f, at),
            trees=tuple(_trees(db, f, at, by_version=False)),
            problems=tuple(_problems(db, f)[:top]),
            modes=tuple(_breakdown(db, "mode", f, at)),
            locales=tuple(_breakdown(db, "locale", f, at)),
            actions=tuple(_actions(db, f)[:top]),
            drop_offs=tuple(nodes[:top]),
            faults=tuple(_faults(db, f)),
            days=tuple(_days(db, f)),
        )


# -- output ----------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def to_csv(rows: Sequence[Any]) -> str:
    """Rows of one type (any list this module returns) as CSV: a header of field names, then one line a row.

    Empty cells stand for "no figure" (a rate with nothing to divide, a median of nothing). Rates are
    fractions (0.625), not percentages. An empty list gives an empty string.
    """
    if not rows:
        return ""
    first = rows[0]
    if not dataclasses.is_dataclass(first) or isinstance(first, type):
        raise TypeError(f"to_csv takes rows from triage.analytics (got a {type(first).__name__})")
    names = [fl.name for fl in dataclasses.fields(first)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for row in rows:
        if type(row) is not type(first):
            raise TypeError(
                f"to_csv takes rows of one type (got {type(first).__name__} and {type(row).__name__})"
            )
        w.writerow([_cell(getattr(row, n)) for n in names])
    return buf.getvalue()


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def _med(x: float | None) -> str:
    return "-" if x is None else f"{x:g}" if x == int(x) else f"{x:.1f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Aligned columns: the first ``left`` columns left-aligned, the rest (figures) right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  " + "  ".join(parts).rstrip()

    return [line(headers), "  " + "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _section(title: str, body: list[str], empty: str = "(none)") -> list[str]:
    return ["", title, *(body or ["  " + empty])]


def render_text(s: Summary) -> str:
    """The summary as aligned plain-text tables for the terminal."""
    o = s.overall
    out = [
        f"Support statistics: {s.filters.describe()}",
        f"computed {s.generated_at.strftime('%Y-%m-%d %H:%M')} UTC; rates are shares of decided sessions",
    ]
    out += _section(
        "Overall",
        _table(
            [
                "sessions",
                "decided",
                "abandoned",
                "resolved",
                "escalated",
                "visit",
                "FCR",
                "median steps",
                "median min",
            ],
            [
                [
                    str(o.sessions),
                    str(o.decided),
                    str(o.abandoned),
                    _pct(o.resolution_rate),
                    _pct(o.escalation_rate),
                    _pct(o.visit_rate),
                    _pct(o.fcr_rate),
                    _med(o.median_steps),
                    _med(o.median_minutes),
                ]
            ],
            left=0,
        ),
    )
    tree_rows = [
        [
            t.tree_id,
            str(t.sessions),
            str(t.decided),
            str(t.abandoned),
            _pct(t.resolution_rate),
            _pct(t.escalation_rate),
            _pct(t.visit_rate),
            _pct(t.fcr_rate),
            _med(t.median_steps),
            _med(t.median_minutes),
        ]
        for t in s.trees
    ]
    out += _section(
        "Trees",
        _table(
            [
                "tree",
                "sessions",
                "decided",
                "abandoned",
                "resolved",
                "escalated",
                "visit",
                "FCR",
                "med steps",
                "med min",
            ],
            tree_rows,
        )
        if tree_rows
        else [],
        "(no sessions)",
    )
    out += _section(
        "Most frequent problems",
        _table(
            ["problem", "tree", "category", "sessions", "share"],
            [[p.title, p.tree_id, p.category, str(p.sessions), _pct(p.share)] for p in s.problems],
            left=3,
        )
        if s.problems
        else [],
    )
    for title, rows_b in (("By mode", s.modes), ("By locale", s.locales)):
        out += _section(
            title,
            _table(
                [
                    rows_b[0].dimension if rows_b else "value",
                    "sessions",
                    "decided",
                    "resolved",
                    "escalated",
                    "visit",
                    "FCR",
                ],
                [
                    [
                        b.value,
                        str(b.sessions),
                        str(b.decided),
                        _pct(_rate(b.resolved, b.decided)),
                        _pct(_rate(b.escalated, b.decided)),
                        _pct(_rate(b.home_visits, b.decided)),
                        _pct(b.fcr_rate),
                    ]
                    for b in rows_b
                ],
            )
            if rows_b
            else [],
        )
    out += _section(
        "Actions: how often they fixed it",
        _table(
            ["tree", "action", "answered", "fixed", "not fixed", "could not", "tried before", "fix rate"],
            [
                [
                    a.tree_id,
                    a.node_id,
                    str(a.answered),
                    str(a.fixed),
                    str(a.not_fixed),
                    str(a.could_not),
                    str(a.tried_before),
                    _pct(a.fix_rate),
                ]
                for a in s.actions
            ],
            left=2,
        )
        if s.actions
        else [],
    )
    out += _section(
        f"Drop-offs: open sessions idle for {int(ABANDONED_AFTER.total_seconds() // 60)} minutes, by last step",
        _table(
            ["tree", "version", "step", "drop-offs", "visits", "drop-off rate", "median s"],
            [
                [
                    n.tree_id,
                    str(n.version),
                    n.node_id if n.node_tree == n.tree_id else f"{n.node_tree}:{n.node_id}",
                    str(n.drop_offs),
                    str(n.visits),
                    _pct(n.drop_off_rate),
                    _med(n.median_seconds),
                ]
                for n in s.drop_offs
            ],
            left=1,
        )
        if s.drop_offs
        else [],
    )
    out += _section(
        "True faults found at closure",
        _table(
            ["tree", "fault", "sessions"],
            [[fc.tree_id, fc.true_fault, str(fc.sessions)] for fc in s.faults],
            left=2,
        )
        if s.faults
        else [],
    )
    return "\n".join(out) + "\n"
