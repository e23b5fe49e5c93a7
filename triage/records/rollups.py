"""The rollup tables' bookkeeping: the compaction's lock, its clock, the days to recompute, clearing them.

Rollups (``rollup_*`` in :mod:`triage.records.schema`) hold per UTC start day, tree version, mode and locale
what :mod:`triage.analytics` counts over sessions and their step events. They are kept by a compaction job
(:func:`triage.analytics.compaction.compact`), never in a step's transaction, so writing a step costs what it
did. A compaction:

1. takes the lock row (``rollup_state``), or leaves the work to the instance that holds it: several app
   instances can start one at the same moment, and a crashed one's lock lapses after :data:`LOCK_FOR`;
2. finds the start days to recompute: those of sessions whose ``updated_at`` moved since the last run (every
   step moves it; from :data:`MARGIN` before the last run, for transactions that committed late and for
   sessions that became abandoned since), and those the triggers marked in ``rollup_dirty`` (outcome truth,
   closures, deleted sessions): a mark is cleared by the run that read it, unless a newer one replaced it;
3. recomputes those days whole, in one transaction (readers see the old rows or the new, never half): so
   running it twice, or over a day already done, gives the same rows.

This module does steps 1 and 2's bookkeeping and the clearing; the counting lives in
:mod:`triage.analytics.compaction`, next to the queries whose figures it must reproduce exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session as DBSession

from triage.records.schema import (
    RollupAnswer,
    RollupCell,
    RollupDirty,
    RollupDrop,
    RollupDuration,
    RollupFault,
    RollupOutcome,
    RollupState,
    SessionRow,
)

__all__ = [
    "LOCK_FOR",
    "MARGIN",
    "NAME",
    "ROLLUPS",
    "as_of",
    "changed_days",
    "clear_days",
    "day_range",
    "release",
    "take_lock",
]

NAME = "analytics"
"""The ``rollup_state`` row of the analytics rollups."""
LOCK_FOR = timedelta(minutes=10)
"""A compaction's lock lapses after this long, so a crashed instance does not stop the others for good."""
MARGIN = timedelta(minutes=35)
"""How far before the last run changed sessions are looked for: longer than a session takes to count as
abandoned (30 minutes) and than any step's transaction lasts."""
ROLLUPS: tuple[Any, ...] = (RollupCell, RollupDuration, RollupOutcome, RollupFault, RollupAnswer, RollupDrop)
"""Every rollup table's model, each keyed by ``day`` and the session's tree, version, mode and locale."""


def take_lock(db: DBSession, owner: str, now: datetime) -> bool:
    """Take the compaction lock for ``owner`` (in its own short transaction); False if another holds it."""
    res = db.execute(
        update(RollupState)
        .where(
            RollupState.name == NAME,
            or_(
                RollupState.locked_until.is_(None),
                RollupState.locked_until < now,
                RollupState.locked_by == owner,
            ),
        )
        .values(locked_by=owner, locked_until=now + LOCK_FOR)
    )
    return bool(getattr(res, "rowcount", 0))


def release(db: DBSession, owner: str, finished_at: datetime | None) -> None:
    """Give the lock back; ``finished_at``: the clock the rollups are now up to date with (None: unchanged)."""
    values: dict[str, Any] = {"locked_by": None, "locked_until": None}
    if finished_at is not None:
        values["as_of"] = finished_at
    db.execute(
        update(RollupState).where(RollupState.name == NAME, RollupState.locked_by == owner).values(**values)
    )


def as_of(db: DBSession) -> datetime | None:
    """When the rollups were last brought up to date; None if never (the raw tables are the only source)."""
    return db.scalar(select(RollupState.as_of).where(RollupState.name == NAME))


def _day(at: datetime) -> str:
    return at.astimezone(UTC).date().isoformat()


def changed_days(db: DBSession, last: datetime | None) -> tuple[set[str], dict[str, datetime]]:
    """Start days to recompute since the run at ``last`` (None: every day with a session), and the marks the
    triggers left (day -> when), which :func:`clear_days` removes unless a newer mark replaced them."""
    if last is None:
        first, final = (
            db.execute(select(SessionRow.started_at).order_by(SessionRow.started_at).limit(1)).scalar(),
            (
                db.execute(
                    select(SessionRow.started_at).order_by(SessionRow.started_at.desc()).limit(1)
                ).scalar()
            ),
        )
        if first is None or final is None:
            return set(), {}
        d0, d1 = first.astimezone(UTC).date(), final.astimezone(UTC).date()
        every = {(d0 + timedelta(days=i)).isoformat() for i in range((d1 - d0).days + 1)}
        return every, _marks(db)
    # no DISTINCT: with it SQLite walks the whole started_at index instead of the few rows ix_sessions_updated
    # finds (0.9 s over 218,000 sessions when nothing changed); the set below removes the repeats
    starts = db.scalars(select(SessionRow.started_at).where(SessionRow.updated_at >= last - MARGIN)).all()
    marked = _marks(db)
    return {_day(s) for s in starts} | set(marked), marked


def _marks(db: DBSession) -> dict[str, datetime]:
    return {day: at for day, at in db.execute(select(RollupDirty.day, RollupDirty.marked_at)).all()}


def clear_days(db: DBSession, days: Sequence[str], marked: Mapping[str, datetime]) -> None:
    """Delete the rollup rows of ``days`` (about to be recomputed) and the trigger marks read (``marked``).

    A mark made since (by a transaction this one cannot see yet) carries a later time and stays, so the next
    run recomputes its day; on PostgreSQL the delete waits for that transaction and re-checks the time.
    """
    for model in ROLLUPS:
        for chunk in _chunks(days):
            db.execute(delete(model).where(model.day.in_(chunk)))
    for day, at in marked.items():
        db.execute(delete(RollupDirty).where(RollupDirty.day == day, RollupDirty.marked_at <= at))


def day_range(days: Sequence[str]) -> list[tuple[datetime, datetime]]:
    """Consecutive days as [start, end) ranges of UTC timestamps, so each range is one index range scan."""
    out: list[tuple[datetime, datetime]] = []
    for d in sorted(date.fromisoformat(x) for x in days):
        start = datetime(d.year, d.month, d.day, tzinfo=UTC)
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], start + timedelta(days=1))
        else:
            out.append((start, start + timedelta(days=1)))
    return out


def _chunks(items: Sequence[str], size: int = 500) -> list[list[str]]:
    xs = sorted(items)
    return [xs[i : i + size] for i in range(0, len(xs), size)]
