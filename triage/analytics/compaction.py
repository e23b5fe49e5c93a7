"""The compaction job: brings the rollup tables up to date from the sessions and events changed since its
last run (see :mod:`triage.records.rollups` for the lock, the watermark and which days it recomputes).

Every count is the same SQL expression the raw queries use (:mod:`triage.analytics.queries`,
:mod:`triage.analytics.steps`), grouped by the session's UTC start day as well: added up over days, the
rollups give exactly the raw figures. The app runs it at start-up in a background thread, and a dashboard
read runs it when only a few days changed (``max_days``); ``triage rollup`` (or ``triage stats --compact``)
runs it from the command line. It is safe to run twice and from several instances at once.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, cast, func, insert, select
from sqlalchemy.orm import Session as DBSession
from sqlalchemy.sql import ColumnElement

from triage.analytics._sql import IS_STEP, RESULTS, abandoned, count_if, json_text, seconds_between, utc_day
from triage.analytics.sources import FCR, KIND_COUNTS, SESSION_KEYS
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
    utcnow,
)
from triage.records.store import Store

__all__ = ["BATCH_DAYS", "Compaction", "compact"]


BATCH_DAYS = 7
"""Days recomputed per transaction when there are more: a first build over a year of history is many short
transactions (SQLite's writers wait for none of them long), the lock renewed between them."""


@dataclass(frozen=True)
class Compaction:
    """What one run did: the days recomputed, the step events they hold, how long it took; ``skipped``: another
    run held the lock (it brings the rollups up to date); ``deferred``: more days changed than the caller
    allowed (``max_days``), nothing done; ``stopped``: asked to stop between transactions (days done stay)."""

    as_of: datetime | None
    days: int
    events: int
    seconds: float
    skipped: bool = False
    deferred: bool = False
    stopped: bool = False
    previous: datetime | None = None
    """The clock before this run: with ``days == 0`` the rollups' rows are the same as they were then."""


def _owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def compact(
    store: Store,
    *,
    now: datetime | None = None,
    max_days: int | None = None,
    stop: threading.Event | None = None,
) -> Compaction:
    """Recompute the rollups of every start day with sessions changed since the last run (all days the first
    time); ``now``: the clock that decides which open sessions count as abandoned (default: the clock).

    ``max_days``: do nothing (``deferred``) if more days changed, so a page read never waits for a big build.
    A few days are one transaction (readers see the old rows or the new); more go :data:`BATCH_DAYS` at a
    time, and ``stop`` set between two of them ends the run with the clock unchanged.
    """
    t0 = time.perf_counter()
    at = now or utcnow()
    owner = _owner()
    with store.tx() as db:
        if not rollups.take_lock(db, owner, at):
            return Compaction(rollups.as_of(db), 0, 0, time.perf_counter() - t0, skipped=True)
    finished: datetime | None = None
    last: datetime | None = None
    events = 0
    days: list[str] = []
    try:
        with store.tx() as db:
            last = rollups.as_of(db)
            changed, marked = rollups.changed_days(db, last)
        days = sorted(changed)
        if max_days is not None and len(days) > max_days:
            return Compaction(last, len(days), 0, time.perf_counter() - t0, deferred=True)
        for i in range(0, len(days), BATCH_DAYS):
            if i and stop is not None and stop.is_set():
                return Compaction(last, i, events, time.perf_counter() - t0, stopped=True)
            events += _batch(store, owner, days[i : i + BATCH_DAYS], marked, at, time.perf_counter() - t0)
        finished = at
    finally:
        with store.tx() as db:
            rollups.release(db, owner, finished)
    return Compaction(finished, len(days), events, time.perf_counter() - t0, previous=last)


def _batch(
    store: Store, owner: str, days: list[str], marked: dict[str, datetime], at: datetime, spent: float
) -> int:
    """Recompute ``days`` in one transaction (renewing the lock first); the step events counted."""
    with store.tx() as db:
        # on the caller's clock, moved on by the time spent: a long build keeps its lock
        rollups.take_lock(db, owner, at + timedelta(seconds=spent))
        rollups.clear_days(db, days, {d: m for d, m in marked.items() if d in set(days)})
        return sum(_fill(db, start, end, at) for start, end in rollups.day_range(days))


def _keys(day: Any) -> list[Any]:
    return [day.label("day"), *(c.label(k) for k, c in SESSION_KEYS.items())]


def _fill(db: DBSession, start: datetime, end: datetime, now: datetime) -> int:
    """Insert the rollup rows of the sessions started in [start, end); the step events counted."""
    day = utc_day(SessionRow.started_at)
    keys = list(SESSION_KEYS.values())
    in_range = [SessionRow.started_at >= start, SessionRow.started_at < end]
    decided = SessionRow.status == "decided"
    cells = (
        select(
            *_keys(day),
            SessionRow.steps,
            func.count(),
            count_if(decided),
            count_if(abandoned(now)),
            *(count_if(SessionRow.decision_kind == k) for k in KIND_COUNTS),
            count_if(FCR),
            count_if(SessionRow.decision_kind.is_(None)),
        )
        .where(*in_range)
        .group_by(day, *keys, SessionRow.steps)
    )
    cell_cols = ["day", *SESSION_KEYS, "steps", "sessions", "decided", "abandoned", *KIND_COUNTS.values()]
    _insert(db, RollupCell, [*cell_cols, "fcr", "undecided"], cells)

    secs = cast(func.round(seconds_between(SessionRow.started_at, SessionRow.decided_at)), Integer)
    durations = select(*_keys(day), secs, func.count()).where(*in_range, decided).group_by(day, *keys, secs)
    _insert(db, RollupDuration, ["day", *SESSION_KEYS, "secs", "w"], durations)

    overturned = count_if(func.coalesce(SessionRow.truth, "") == "not_resolved")
    outcomes = (
        select(*_keys(day), SessionRow.decision_kind, func.count(), overturned)
        .where(*in_range, decided)
        .group_by(day, *keys, SessionRow.decision_kind)
    )
    _insert(db, RollupOutcome, ["day", *SESSION_KEYS, "decision_kind", "sessions", "overturned"], outcomes)

    faults = (
        select(*_keys(day), SessionRow.true_fault, func.count())
        .where(*in_range, SessionRow.true_fault.is_not(None))
        .group_by(day, *keys, SessionRow.true_fault)
    )
    _insert(db, RollupFault, ["day", *SESSION_KEYS, "true_fault", "sessions"], faults)

    last = [SessionRow.last_tree, SessionRow.last_node]
    drops = (
        select(*_keys(day), *last, func.count())
        .where(*in_range, abandoned(now), SessionRow.last_node.is_not(None))
        .group_by(day, *keys, *last)
    )
    _insert(db, RollupDrop, ["day", *SESSION_KEYS, "last_tree", "last_node", "drop_offs"], drops)
    return _fill_answers(db, start, end)


def _fill_answers(db: DBSession, start: datetime, end: datetime) -> int:
    day = utc_day(SessionRow.started_at)
    value = json_text(EventRow.value)

    def n_if(cond: ColumnElement[bool]) -> Any:
        return count_if(cond)

    joined = EventRow.__table__.join(SessionRow.__table__, EventRow.session_id == SessionRow.id)
    node = [EventRow.tree_id, EventRow.node_id]
    answers = (
        select(
            *_keys(day),
            *node,
            func.count(),
            n_if(value == RESULTS["fixed"]),
            n_if(and_(value == RESULTS["not_fixed"], EventRow.type == "answer")),
            n_if(value == RESULTS["could_not"]),
            n_if(EventRow.type == "tried"),
        )
        .select_from(joined)
        .where(SessionRow.started_at >= start, SessionRow.started_at < end, IS_STEP)
        .group_by(day, *SESSION_KEYS.values(), *node)
    )
    cols = [
        "day",
        *SESSION_KEYS,
        "node_tree",
        "node_id",
        "answered",
        "fixed",
        "not_fixed",
        "could_not",
        "tried",
    ]
    _insert(db, RollupAnswer, cols, answers)
    total = db.scalar(
        select(func.coalesce(func.sum(RollupAnswer.answered), 0)).where(
            RollupAnswer.day >= start.date().isoformat(), RollupAnswer.day < end.date().isoformat()
        )
    )
    return int(total or 0)


def _insert(db: DBSession, model: Any, columns: list[str], query: Any) -> None:
    db.execute(insert(model).from_select(columns, query))
