"""Support analytics: how each tree performs, where sessions stop, which actions fix things.

Every figure is computed by the database with SQLAlchemy Core queries that run unchanged on SQLite and
PostgreSQL: counts, medians from window functions, ``lag()`` for the time spent per step. Python only turns
the few result rows into frozen dataclasses.

Interface for the ``triage stats`` command — these are all it needs::

    summary(store, *, tree_id=None, since=None, until=None, mode=None, locale=None,
            now=None, top=10) -> Summary
    render_text(summary: Summary) -> str       # aligned plain-text tables for the terminal
    to_csv(rows: Sequence[row]) -> str         # any list of rows below, e.g. to_csv(s.trees)

``mode`` is ``"agent"`` or ``"self_service"``; ``since``/``until`` are timezone-aware datetimes; ``now``
(default: the clock) decides which open sessions count as abandoned. ``summary`` bundles the main figures
— overall, per tree, most frequent problems, by mode, by locale, action fix rates, drop-off hot spots, true
faults, outcomes per day — in one transaction; ``Summary.tables()`` names each list of rows, so
``--csv FILE`` writes ``to_csv(s.tables()[name])`` (``"trees"`` by default).

The separate queries take the same filters: :func:`tree_stats` (per tree or per tree version),
:func:`node_stats` (per node of a tree version), :func:`drop_offs`, :func:`action_stats`,
:func:`top_problems`, :func:`breakdown` (by mode or locale), :func:`outcomes_per_day`, :func:`fault_counts`.

Definitions:

* **Filters** select sessions: ``tree_id`` (the tree the session started on), ``since`` (inclusive) and
  ``until`` (exclusive) on the start time, ``mode``, ``locale``.
* **Decided**: the session reached a decision. Resolution, escalation and visit rates, and first-contact
  resolution, are shares of decided sessions; median steps and minutes to decision are over decided ones.
* **First-contact resolution (FCR)**: resolved, and no repeat contact turned it into ``not_resolved``.
* **Abandoned**: still open and not updated for 30 minutes before ``now``: a drop-off at its last step.
* **Node visits**: answers at the node ("already tried" included). Time spent at a node is the time from
  the session's previous event to that answer. :func:`node_stats` rows belong to the tree the session
  started on and its version; a step inside a called procedure carries the procedure's tree id as
  ``node_tree``. :func:`drop_offs` (and the summary) count per step over every tree that reaches it.
* **Action fix rate**: at an action node, answers "fixed" out of all answers (fixed, not fixed, could not,
  already tried). A node counts as an action when every answer given there is one of those results.

Medians: per node, ``row_number()`` and ``count()`` windows over the values. For sessions, one scan counts
sessions per value (steps; seconds to decision, to the whole second) and a running-count window finds the
middle; the counts add up across groupings, so overall, per tree, per mode and per locale come from that
one scan. Migration 0011 adds the two indexes this reads (``ix_sessions_stats``, ``ix_events_steps``); on
SQLite with 1,000,000 answers, see ``benchmarks/bench_analytics.py``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm import Session as DBSession
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from triage.records.schema import EventRow, SessionRow, TreeVersion, utcnow
from triage.records.store import Store
from triage.trees.model import ActionResult, Audience

__all__ = [
    "ABANDONED_AFTER",
    "ActionStats",
    "BreakdownRow",
    "DayOutcomes",
    "DropOff",
    "FaultCount",
    "Filters",
    "NodeStats",
    "ProblemCount",
    "Summary",
    "TreeStats",
    "action_stats",
    "breakdown",
    "drop_offs",
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
# written out as literals, in the index's order, so SQLite can use the partial index ix_events_steps
_IS_STEP = EventRow.type.in_([literal_column(f"'{t}'") for t in _STEP_EVENTS])
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


class _json_text(FunctionElement[str]):
    """A JSON column's text: comparable and groupable (PostgreSQL's ``json`` has no equality)."""

    type = String()
    inherit_cache = True
    name = "json_text"


@compiles(_json_text, "sqlite")
def _json_text_sqlite(element: _json_text, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps JSON as text already; the bare column lets the index deliver it in order
    (col,) = (compiler.process(c, **kw) for c in element.clauses)
    return col


@compiles(_json_text)
def _json_text_default(element: _json_text, compiler: SQLCompiler, **kw: Any) -> str:
    (col,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST({col} AS TEXT)"


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _median(
    keys: Sequence[_Col],
    value: _Col,
    where: Sequence[ColumnElement[bool]],
) -> Any:
    """A subquery of ``keys`` (as k0, k1, ...) and the median of ``value`` per group: the middle row(s) by
    ``row_number()`` among ``count()`` rows."""
    labelled = [k.label(f"k{i}") for i, k in enumerate(keys)]
    part = list(keys) or None
    inner = (
        select(
            *labelled,
            value.label("x"),
            func.row_number().over(partition_by=part, order_by=value).label("rn"),
            func.count().over(partition_by=part).label("n"),
        )
        .where(*where, value.is_not(None))
        .subquery()
    )
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
            a = self.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if self.since else "start"
            b = self.until.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if self.until else "now"
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
class DropOff:
    """A step where open sessions were abandoned; ``tree_id`` is the node's own tree (a procedure's id for
    its steps), so figures cover every tree that reaches the step."""

    tree_id: str
    node_id: str
    drop_offs: int
    visits: int
    drop_off_rate: float | None


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
_KEYS: dict[str, Any] = {
    "tree_id": SessionRow.tree_id,
    "root_version": SessionRow.root_version,
    "mode": SessionRow.mode,
    "locale": SessionRow.locale,
}
_COUNTS = ("sessions", "decided", "abandoned", "resolved", "escalated", "home_visits", "fcr")


def _hist_median(src: Any, keys: Sequence[str], value: Any, weight: Any, *, grouped: bool = False) -> Any:
    """Median of ``value`` per group of ``keys``, from rows that say how many times each value occurred.

    Exact: a running count (``sum() over``) finds the row(s) holding the middle position(s). Counts add up
    across groups, so one scan of the sessions serves every grouping. ``grouped``: ``src`` already has one
    row per (keys, value).
    """
    kc = [src.c[k] for k in keys]
    if grouped:
        agg = select(*kc, value.label("v"), weight.label("w")).where(weight > 0).subquery()
    else:
        agg = (
            select(*kc, value.label("v"), func.sum(weight).label("w"))
            .group_by(*kc, value)
            .having(func.sum(weight) > 0)
            .subquery()
        )
    part = [agg.c[k] for k in keys] or None
    run = select(
        *[agg.c[k] for k in keys],
        agg.c.v,
        agg.c.w,
        func.sum(agg.c.w).over(partition_by=part, order_by=agg.c.v).label("upto"),
        # the same window with the whole partition as frame: SQLite sorts once for both
        func.sum(agg.c.w).over(partition_by=part, order_by=agg.c.v, rows=(None, None)).label("n"),
    ).subquery()
    n = cast(run.c.n, Integer)
    before = run.c.upto - run.c.w
    at_lo = and_(before < (n + 1) // 2, (n + 1) // 2 <= run.c.upto)
    at_hi = and_(before < (n + 2) // 2, (n + 2) // 2 <= run.c.upto)
    rk = [run.c[k] for k in keys]
    return (
        select(
            *rk,
            ((func.max(case((at_lo, run.c.v))) + func.max(case((at_hi, run.c.v)))) / 2.0).label("median"),
        )
        .where(or_(at_lo, at_hi))
        .group_by(*rk)
        .subquery()
    )


def _levels(
    db: DBSession,
    f: Filters,
    now: datetime,
    levels: Mapping[str, tuple[str, ...]],
    minutes: Sequence[str] = (),
) -> dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]]:
    """Outcome counts and medians for several groupings of the sessions, in one statement.

    ``levels`` maps a name to the session columns it groups by (none: everything together); ``minutes``
    names the levels that need the median time to decision (the costly one). One scan of the sessions
    builds per-cell counts and a histogram of steps; every level sums those up.
    """
    where = f.where()
    cols = list(_KEYS.values())
    cells = (
        select(
            *cols,
            SessionRow.steps,
            func.count().label("sessions"),
            _count_if(_DECIDED).label("decided"),
            _count_if(_abandoned(now)).label("abandoned"),
            _count_if(_RESOLVED).label("resolved"),
            _count_if(SessionRow.decision_kind == "escalate").label("escalated"),
            _count_if(SessionRow.decision_kind == "visit").label("home_visits"),
            _count_if(_FCR).label("fcr"),
        )
        .where(*where)
        .group_by(*cols, SessionRow.steps)
        .cte("cells")
    )
    durations = None
    if minutes:
        # whole seconds: exact to the second, and equal durations share a histogram row
        dkeys = sorted({k for name in minutes for k in levels[name]}, key=list(_KEYS).index)
        secs = cast(func.round(_seconds_between(SessionRow.started_at, SessionRow.decided_at)), Integer)
        durations = (
            select(*[_KEYS[k] for k in dkeys], secs.label("secs"), func.count().label("w"))
            .where(*where, _DECIDED)
            .group_by(*[_KEYS[k] for k in dkeys], secs)
            .cte("durations")
        )
    parts = []
    for name, keys in levels.items():
        kc = [cells.c[k] for k in keys]
        counts = select(*kc, *(func.sum(cells.c[c]).label(c) for c in _COUNTS)).group_by(*kc).subquery()
        steps = _hist_median(cells, keys, cells.c.steps, cells.c.decided)
        joined = counts.outerjoin(steps, _on([counts.c[k] for k in keys], [steps.c[k] for k in keys]))
        median_minutes: Any = cast(null(), Float)
        if durations is not None and name in minutes:
            mins = _hist_median(durations, keys, durations.c.secs, durations.c.w, grouped=list(keys) == dkeys)
            joined = joined.outerjoin(mins, _on([counts.c[k] for k in keys], [mins.c[k] for k in keys]))
            median_minutes = mins.c.median / 60.0
        key_cols = [
            counts.c[k] if k in keys else cast(null(), Integer if k == "root_version" else String).label(k)
            for k in _KEYS
        ]
        parts.append(
            select(
                literal(name, String).label("level"),
                *key_cols,
                *(counts.c[c] for c in _COUNTS),
                steps.c.median.label("median_steps"),
                median_minutes.label("median_minutes"),
            ).select_from(joined)
        )
    out: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {name: [] for name in levels}
    for row in db.execute(union_all(*parts)).mappings():
        name = row["level"]
        out[name].append((tuple(row[k] for k in levels[name]), dict(row)))
    return out


def _tree_row(tree_id: str, version: int | None, title: str, r: Mapping[str, Any]) -> TreeStats:
    n = {c: int(r[c] or 0) for c in _COUNTS}
    decided = n["decided"]
    return TreeStats(
        tree_id=tree_id,
        version=version,
        title=title,
        sessions=n["sessions"],
        decided=decided,
        abandoned=n["abandoned"],
        resolved=n["resolved"],
        escalated=n["escalated"],
        home_visits=n["home_visits"],
        first_contact_resolved=n["fcr"],
        resolution_rate=_rate(n["resolved"], decided),
        escalation_rate=_rate(n["escalated"], decided),
        visit_rate=_rate(n["home_visits"], decided),
        fcr_rate=_rate(n["fcr"], decided),
        median_steps=_num(r["median_steps"]),
        median_minutes=_num(r["median_minutes"]),
    )


def _breakdown_row(dimension: str, value: str, r: Mapping[str, Any]) -> BreakdownRow:
    n = {c: int(r[c] or 0) for c in _COUNTS}
    return BreakdownRow(
        dimension=dimension,
        value=value,
        sessions=n["sessions"],
        decided=n["decided"],
        resolved=n["resolved"],
        escalated=n["escalated"],
        home_visits=n["home_visits"],
        resolution_rate=_rate(n["resolved"], n["decided"]),
        fcr_rate=_rate(n["fcr"], n["decided"]),
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


def _tree_rows(
    db: DBSession, rows: list[tuple[tuple[Any, ...], dict[str, Any]]], by_version: bool
) -> list[TreeStats]:
    titles = _titles(db)
    out = []
    for key, r in rows:
        version = int(key[1]) if by_version else None
        out.append(_tree_row(key[0], version, titles.get((key[0], version or 0), ("", ""))[0], r))
    return sorted(out, key=lambda t: (-t.sessions, t.tree_id, t.version or 0))


def _breakdown_rows(dimension: str, rows: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> list[BreakdownRow]:
    return sorted((_breakdown_row(dimension, k[0], r) for k, r in rows), key=lambda b: (-b.sessions, b.value))


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
    keys = ("tree_id", "root_version") if by_version else ("tree_id",)
    with store.tx() as db:
        rows = _levels(db, f, now or utcnow(), {"trees": keys}, minutes=("trees",))["trees"]
        return _tree_rows(db, rows, by_version)


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
        return _breakdown_rows(
            dimension, _levels(db, f, now or utcnow(), {dimension: (dimension,)})[dimension]
        )


# -- nodes and actions -----------------------------------------------------------------------------


def _nodes(db: DBSession, f: Filters, now: datetime, version: int | None) -> list[NodeStats]:
    where = f.where()
    if version is not None:
        where.append(SessionRow.root_version == version)
    joined = EventRow.__table__.join(SessionRow.__table__, EventRow.session_id == SessionRow.id)
    ev_keys = [SessionRow.tree_id, SessionRow.root_version, EventRow.tree_id, EventRow.node_id]
    visits = (
        select(*ev_keys, func.count().label("visits"), literal(0).label("drop_offs"))
        .select_from(joined)
        .where(*where, _IS_STEP)
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
    spent = _median(
        lk, lagged.c.secs, [lagged.c.type.in_(_STEP_EVENTS)]
    )  # lag() sees every event; only answers count

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


def _step_source(f: Filters) -> tuple[Any, list[ColumnElement[bool]]]:
    """Where step events come from: all of them, or (with filters) those of the selected sessions."""
    where = f.where()
    if not where:
        return EventRow.__table__, [_IS_STEP]
    joined = EventRow.__table__.join(SessionRow.__table__, EventRow.session_id == SessionRow.id)
    return joined, [*where, _IS_STEP]


def _per_node(db: DBSession, f: Filters, now: datetime) -> tuple[list[ActionStats], list[DropOff]]:
    """One pass over the answers, by node: action results, and the drop-offs of abandoned sessions."""
    source, where = _step_source(f)
    value = _json_text(EventRow.value)
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
            total(v == _RESULTS["fixed"]).label("fixed"),
            total(and_(v == _RESULTS["not_fixed"], by_value.c.type == "answer")).label("not_fixed"),
            total(v == _RESULTS["could_not"]).label("could_not"),
            total(by_value.c.type == "tried").label("tried"),
            total(~v.in_(list(_RESULTS.values()))).label("other"),
        )
        .group_by(by_value.c.tree_id, by_value.c.node_id)
        .cte("per_node")
    )
    last = [SessionRow.last_tree, SessionRow.last_node]
    drops = (
        select(last[0].label("tree_id"), last[1].label("node_id"), func.count().label("drop_offs"))
        .where(*f.where(), _abandoned(now), SessionRow.last_node.is_not(None))
        .group_by(*last)
        .cte("drops")
    )
    same = and_(drops.c.tree_id == per_node.c.tree_id, drops.c.node_id == per_node.c.node_id)
    zero = literal(0)
    q = union_all(
        select(per_node, func.coalesce(drops.c.drop_offs, 0)).select_from(per_node.outerjoin(drops, same)),
        # abandoned at a step nobody answered yet
        select(drops.c.tree_id, drops.c.node_id, zero, zero, zero, zero, zero, zero, drops.c.drop_offs).where(
            ~select(per_node.c.tree_id).where(same).exists()
        ),
    )
    actions, drop_offs = [], []
    for tid, nid, answered, fixed, not_fixed, could_not, tried, other, dropped in db.execute(q).all():
        n, d = int(answered), int(dropped)
        if n and not int(other):  # every answer was an action result: an action node
            actions.append(
                ActionStats(
                    str(tid),
                    str(nid),
                    n,
                    int(fixed),
                    int(not_fixed),
                    int(could_not),
                    int(tried),
                    _rate(int(fixed), n),
                )
            )
        if d:
            drop_offs.append(DropOff(str(tid), str(nid), d, n, _rate(d, d + n)))
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
    """Fix rate of every action node answered in the selected sessions, most answered first."""
    f = _filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _per_node(db, f, utcnow())[0]


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
    f = _filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        rows = _per_node(db, f, now or utcnow())[1]
    return rows[:limit] if limit is not None else rows


# -- problems, days, faults ------------------------------------------------------------------------


def _problems(db: DBSession, f: Filters) -> list[ProblemCount]:
    rows = db.execute(
        select(SessionRow.tree_id, func.count().label("n"))
        .where(*f.where())
        .group_by(SessionRow.tree_id)
        .order_by(func.count().desc(), SessionRow.tree_id)
    ).all()
    return _problem_rows([(tid, int(n)) for tid, n in rows], _titles(db))


def _problem_rows(
    counts: Sequence[tuple[str, int]], titles: Mapping[tuple[str, int], tuple[str, str]]
) -> list[ProblemCount]:
    total = sum(n for _, n in counts)
    return [ProblemCount(tid, *titles.get((tid, 0), ("", "")), n, _rate(n, total)) for tid, n in counts]


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
    drop_offs: tuple[DropOff, ...]
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
    levels = {"all": (), "trees": ("tree_id",), "modes": ("mode",), "locales": ("locale",)}
    with store.tx() as db:
        figures = _levels(db, f, at, levels, minutes=("all", "trees"))
        trees = _tree_rows(db, figures["trees"], by_version=False)
        actions, drops = _per_node(db, f, at)
        return Summary(
            generated_at=at,
            filters=f,
            overall=_tree_row("*", None, "all trees", figures["all"][0][1]),
            trees=tuple(trees),
            problems=tuple(_problem_rows([(t.tree_id, t.sessions) for t in trees], _titles(db))[:top]),
            modes=tuple(_breakdown_rows("mode", figures["modes"])),
            locales=tuple(_breakdown_rows("locale", figures["locales"])),
            actions=tuple(actions[:top]),
            drop_offs=tuple(drops[:top]),
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
        raise TypeError(f"to_csv takes rows from triage.analytics.queries (got a {type(first).__name__})")
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


_FAULTS_SHOWN = 3


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
            ["tree", "step", "drop-offs", "answered", "drop-off rate"],
            [
                [d.tree_id, d.node_id, str(d.drop_offs), str(d.visits), _pct(d.drop_off_rate)]
                for d in s.drop_offs
            ],
            left=2,
        )
        if s.drop_offs
        else [],
    )
    shown: dict[str, int] = {}
    fault_rows = []
    for fc in s.faults:  # the faults come most frequent first within each tree: show the top few
        shown[fc.tree_id] = shown.get(fc.tree_id, 0) + 1
        if shown[fc.tree_id] <= _FAULTS_SHOWN:
            fault_rows.append([fc.tree_id, fc.true_fault, str(fc.sessions)])
    hidden = sum(max(0, n - _FAULTS_SHOWN) for n in shown.values())
    out += _section(
        f"True faults found at closure (top {_FAULTS_SHOWN} per tree)",
        _table(["tree", "fault", "sessions"], fault_rows, left=2) if fault_rows else [],
    )
    if hidden:
        out.append(f"  ... and {hidden} less frequent (tree, fault) pairs; see the CSV")
    return "\n".join(out) + "\n"
