"""Support analytics in SQL: how each tree performs, how often each problem comes up, how sessions end.

Every figure is computed by the database with SQLAlchemy Core queries that run unchanged on SQLite and
PostgreSQL: counts, medians from window functions, ``lag()`` for the time spent per step. Python only turns
the few result rows into frozen dataclasses.

Interface for the ``triage stats`` command — these are all it needs (all three in :mod:`triage.analytics`)::

    summary(store, *, tree_id=None, since=None, until=None, mode=None, locale=None,
            now=None, top=10) -> Summary
    render_text(summary: Summary) -> str       # aligned plain-text tables for the terminal (report)
    to_csv(rows: Sequence[row]) -> str         # any list of rows (triage.analytics.rows), e.g. to_csv(s.trees)

``mode`` is ``"agent"`` or ``"self_service"``; ``since``/``until`` are timezone-aware datetimes; ``now``
(default: the clock) decides which open sessions count as abandoned. ``summary`` bundles the main figures
— overall, per tree, most frequent problems, by mode, by locale, action fix rates, drop-off hot spots, true
faults, outcomes per day — in one transaction; ``Summary.tables()`` names each list of rows, so
``--csv FILE`` writes ``to_csv(s.tables()[name])`` (``"trees"`` by default).

The separate queries take the same filters: :func:`tree_stats` (per tree or per tree version),
:func:`top_problems`, :func:`breakdown` (by mode or locale), :func:`outcomes_per_day`, :func:`fault_counts`
here; per step, in :mod:`triage.analytics.steps`: ``node_stats`` (per node of a tree version), ``drop_offs``,
``action_stats``.

Definitions:

* **Filters** select sessions: ``tree_id`` (the tree the session started on), ``since`` (inclusive) and
  ``until`` (exclusive) on the start time, ``mode``, ``locale``.
* **Decided**: the session reached a decision. Resolution, escalation and visit rates, and first-contact
  resolution, are shares of decided sessions; median steps and minutes to decision are over decided ones.
  Every decision kind has its own count (:data:`KIND_COUNTS`): resolved, escalated, home visits, parts
  shipped, send-in repairs, diagnoses and handovers; a handover to another tree is not an escalation.
* **First-contact resolution (FCR)**: resolved (with or without a follow-up), and no repeat contact or failed
  follow-up turned it into ``not_resolved`` (outcome truth, ``sessions.truth``). :func:`outcome_counts`
  gives every decision kind with how many of its sessions outcome truth overturned.
* **Abandoned**: still open and not updated for 30 minutes before ``now``: a drop-off at its last step.
* **Node visits**: answers at the node ("already tried" included). Time spent at a node is the time from
  the session's previous event to that answer. :func:`node_stats` rows belong to the tree the session
  started on and its version; a step inside a called procedure carries the procedure's tree id as
  ``node_tree``. :func:`drop_offs` (and the summary) count per step over every tree that reaches it.
* **Action fix rate**: at an action node, answers "fixed" out of all its action answers (fixed, not fixed,
  could not, already tried). Only real fix attempts count: the node's kind comes from the published trees
  (:mod:`triage.analytics.kinds`), so instructions ("done" / "I could not"), waits, remote checks and
  questions never have a fix rate, whatever their answers' values. Step rows (:func:`node_stats`,
  :func:`drop_offs`) carry the node's kind, so waits and instructions where customers give up stand out.

Medians: per node, ``row_number()`` and ``count()`` windows over the values. For sessions, one scan counts
sessions per value (steps; seconds to decision, to the whole second) and a running-count window finds the
middle; the counts add up across groupings, so overall, per tree, per mode and per locale come from that
one scan. Migration 0011 adds the two indexes this reads (``ix_sessions_stats``, ``ix_events_steps``); on
SQLite with 1,000,000 answers, see ``benchmarks/bench_analytics.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, Integer, String, and_, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session as DBSession

from triage.analytics._sql import on
from triage.analytics.rows import (
    BreakdownRow,
    DayOutcomes,
    FaultCount,
    Filters,
    OutcomeCount,
    ProblemCount,
    Summary,
    TreeStats,
    filters,
    num,
    rate,
)
from triage.analytics.sources import COUNTS, KIND_COUNTS, SESSION_KEYS, Source, source_for
from triage.analytics.steps import per_node
from triage.records.schema import TreeVersion, utcnow
from triage.records.store import Store
from triage.trees.model import Audience, OutcomeKind

__all__ = [
    "KIND_COUNTS",
    "breakdown",
    "fault_counts",
    "outcome_counts",
    "outcomes_per_day",
    "summary",
    "top_problems",
    "tree_stats",
]


# -- outcome figures -------------------------------------------------------------------------------

_COUNTS = COUNTS


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
    *,
    raw: bool = False,
) -> dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]]:
    """Outcome counts and medians for several groupings of the sessions, in one statement.

    ``levels`` maps a name to the session columns it groups by (none: everything together); ``minutes``
    names the levels that need the median time to decision (the costly one). One scan of the sessions
    builds per-cell counts and a histogram of steps; every level sums those up.
    """
    src = source_for(db, f, now, raw=raw)
    cells = src.cells(f, now)
    durations, one_row = None, False
    if minutes:
        dkeys = sorted({k for name in minutes for k in levels[name]}, key=list(SESSION_KEYS).index)
        durations, one_row = src.durations(f, dkeys)
    parts = []
    for name, keys in levels.items():
        kc = [cells.c[k] for k in keys]
        counts = select(*kc, *(func.sum(cells.c[c]).label(c) for c in _COUNTS)).group_by(*kc).subquery()
        steps = _hist_median(cells, keys, cells.c.steps, cells.c.decided)
        joined = counts.outerjoin(steps, on([counts.c[k] for k in keys], [steps.c[k] for k in keys]))
        median_minutes: Any = cast(null(), Float)
        if durations is not None and name in minutes:
            mins = _hist_median(
                durations, keys, durations.c.secs, durations.c.w, grouped=one_row and list(keys) == dkeys
            )
            joined = joined.outerjoin(mins, on([counts.c[k] for k in keys], [mins.c[k] for k in keys]))
            median_minutes = mins.c.median / 60.0
        key_cols = [
            counts.c[k] if k in keys else cast(null(), Integer if k == "root_version" else String).label(k)
            for k in SESSION_KEYS
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
        parts_shipped=n["parts_shipped"],
        repairs=n["repairs"],
        diagnoses=n["diagnoses"],
        handovers=n["handovers"],
        first_contact_resolved=n["fcr"],
        resolution_rate=rate(n["resolved"], decided),
        escalation_rate=rate(n["escalated"], decided),
        visit_rate=rate(n["home_visits"], decided),
        fcr_rate=rate(n["fcr"], decided),
        median_steps=num(r["median_steps"]),
        median_minutes=num(r["median_minutes"]),
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
        parts_shipped=n["parts_shipped"],
        repairs=n["repairs"],
        diagnoses=n["diagnoses"],
        handovers=n["handovers"],
        resolution_rate=rate(n["resolved"], n["decided"]),
        fcr_rate=rate(n["fcr"], n["decided"]),
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
    raw: bool = False,
) -> list[TreeStats]:
    """Outcome figures per tree (or per tree version), most used first."""
    f = filters(tree_id, since, until, mode, locale)
    keys = ("tree_id", "root_version") if by_version else ("tree_id",)
    with store.tx() as db:
        rows = _levels(db, f, now or utcnow(), {"trees": keys}, minutes=("trees",), raw=raw)["trees"]
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
    raw: bool = False,
) -> list[BreakdownRow]:
    """Outcome figures by ``dimension``: ``'mode'`` (agent, self-service) or ``'locale'``."""
    if dimension not in ("mode", "locale"):
        raise ValueError(f"dimension must be 'mode' or 'locale' (got {dimension!r})")
    f = filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _breakdown_rows(
            dimension, _levels(db, f, now or utcnow(), {dimension: (dimension,)}, raw=raw)[dimension]
        )


# -- problems, days, faults ------------------------------------------------------------------------


def _problems(db: DBSession, f: Filters, raw: bool) -> list[ProblemCount]:
    cells = source_for(db, f, utcnow(), raw=raw).cells(f, utcnow())
    n = func.sum(cells.c.sessions)
    rows = db.execute(
        select(cells.c.tree_id, n.label("n")).group_by(cells.c.tree_id).order_by(n.desc(), cells.c.tree_id)
    ).all()
    return _problem_rows([(tid, int(n)) for tid, n in rows], _titles(db))


def _problem_rows(
    counts: Sequence[tuple[str, int]], titles: Mapping[tuple[str, int], tuple[str, str]]
) -> list[ProblemCount]:
    total = sum(n for _, n in counts)
    return [ProblemCount(tid, *titles.get((tid, 0), ("", "")), n, rate(n, total)) for tid, n in counts]


def top_problems(
    store: Store,
    *,
    limit: int | None = None,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
    raw: bool = False,
) -> list[ProblemCount]:
    """The most frequent problems: sessions per tree, with the latest title, most frequent first."""
    f = filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        rows = _problems(db, f, raw)
    return rows[:limit] if limit is not None else rows


def _days(db: DBSession, f: Filters, src: Source) -> list[DayOutcomes]:
    d = src.days(f)
    rows = db.execute(
        select(d.c.day, d.c.sessions, *(d.c[n] for n in KIND_COUNTS.values()), d.c.undecided).order_by(
            d.c.day
        )
    ).all()
    return [DayOutcomes(date.fromisoformat(day), *(int(x) for x in counts)) for day, *counts in rows]


def outcomes_per_day(
    store: Store,
    *,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
    raw: bool = False,
) -> list[DayOutcomes]:
    """The outcome mix of the sessions started on each UTC day, oldest first (days without any are left out)."""
    f = filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _days(db, f, source_for(db, f, utcnow(), raw=raw))


def _outcomes(db: DBSession, f: Filters, src: Source) -> list[OutcomeCount]:
    o = src.outcomes(f)
    found = {str(k): (int(n), int(bad)) for k, n, bad in db.execute(select(o.c.kind, o.c.n, o.c.bad)).all()}
    decided = sum(n for n, _ in found.values())
    out = []
    for kind in OutcomeKind:
        n, bad = found.get(kind.value, (0, 0))
        out.append(OutcomeCount(kind.value, n, rate(n, decided), bad))
    return out


def outcome_counts(
    store: Store,
    *,
    tree_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: Audience | str | None = None,
    locale: str | None = None,
    raw: bool = False,
) -> list[OutcomeCount]:
    """Decided sessions by decision kind (every kind, in the model's order), with the overturned "resolved"."""
    f = filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _outcomes(db, f, source_for(db, f, utcnow(), raw=raw))


def _faults(db: DBSession, f: Filters, src: Source) -> list[FaultCount]:
    q = src.faults(f)
    rows = db.execute(
        select(q.c.tree_id, q.c.true_fault, q.c.n).order_by(q.c.tree_id, q.c.n.desc(), q.c.true_fault)
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
    raw: bool = False,
) -> list[FaultCount]:
    """The true faults found at closure (tier 2 or a technician) per tree, most frequent first."""
    f = filters(tree_id, since, until, mode, locale)
    with store.tx() as db:
        return _faults(db, f, source_for(db, f, utcnow(), raw=raw))


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
    raw: bool = False,
) -> Summary:
    """The main figures in one go (one database transaction).

    ``top`` limits the lists meant for reading — problems, actions, drop-off nodes — to the first ``top``
    (most frequent problems, most answered actions, nodes with most drop-offs); per-tree rows, breakdowns,
    faults and days are complete. The counts come from the rollups when they can answer exactly
    (:func:`triage.analytics.sources.source_for`; run :func:`triage.analytics.compaction.compact` first to
    bring them up to date), else from the sessions and events; ``raw=True`` always reads the raw tables.
    """
    f = filters(tree_id, since, until, mode, locale)
    at = now or utcnow()
    levels = {"all": (), "trees": ("tree_id",), "modes": ("mode",), "locales": ("locale",)}
    with store.tx() as db:
        src = source_for(db, f, at, raw=raw)
        figures = _levels(db, f, at, levels, minutes=("all", "trees"), raw=raw)
        trees = _tree_rows(db, figures["trees"], by_version=False)
        actions, drops = per_node(db, f, at, src)
        return Summary(
            generated_at=at,
            filters=f,
            overall=_tree_row("*", None, "all trees", figures["all"][0][1]),
            trees=tuple(trees),
            problems=tuple(_problem_rows([(t.tree_id, t.sessions) for t in trees], _titles(db))[:top]),
            modes=tuple(_breakdown_rows("mode", figures["modes"])),
            locales=tuple(_breakdown_rows("locale", figures["locales"])),
            outcomes=tuple(_outcomes(db, f, src)),
            actions=tuple(actions[:top]),
            drop_offs=tuple(drops[:top]),
            faults=tuple(_faults(db, f, src)),
            days=tuple(_days(db, f, src)),
        )
