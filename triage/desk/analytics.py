"""The Analytics page's service: the rollups kept up to date without a person waiting for it, and the period
rule (whole UTC days) the page and ``triage stats --days`` share.

* :func:`compact_in_background` runs a compaction in a thread of this process (the server starts one as it
  starts up): a first build over a large history takes minutes, and nobody waits for it.
* :func:`refresh` is what a page read does: a compaction itself when at most :data:`INLINE_DAYS` start days
  changed since the last (the usual case: today), else the rollups as they are, with a compaction started in
  the background; :class:`Freshness` says which, so the page can say "figures as of 14:05, updating".
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from triage.analytics.compaction import compact
from triage.errors import StoreError
from triage.records import rollups
from triage.records.schema import utcnow
from triage.records.store import Store

__all__ = [
    "FRESH_FOR",
    "INLINE_DAYS",
    "Freshness",
    "compact_in_background",
    "period_start",
    "refresh",
    "stop_background",
]

log = logging.getLogger("triage.analytics")

INLINE_DAYS = 3
"""A page read recomputes at most this many changed start days itself; more is left to the background."""
_WAIT = 2.0
"""Seconds a page read waits for this process's background compaction when there are no rollups yet: a
small history is built by then, and a large one is not worth a longer wait."""

_lock = threading.Lock()
_threads: dict[str, threading.Thread] = {}
_stop = threading.Event()


FRESH_FOR = timedelta(seconds=60)
"""The page's ``max_age``: rollups compacted less than this long ago are read as they are (figures at most a
minute old), so a rerun or a second viewer costs one read of the clock, not a compaction."""
_figures: dict[str, tuple[datetime, datetime]] = {}
"""Per database, this process's last (as_of, key): a run that changed nothing keeps the key."""


@dataclass(frozen=True)
class Freshness:
    """When the rollups were last brought up to date (None: never; the raw tables answer), and whether a
    compaction is under way elsewhere, so the figures are as of ``as_of`` and newer ones are coming.

    ``key`` identifies the rollups' rows: it moves only when a compaction changed them (a run that found
    nothing new keeps the key of the one before), so figures cached by it stay exact and are read once.
    """

    as_of: datetime | None
    updating: bool = False
    key: datetime | None = None


def _run(store: Store) -> None:
    try:
        done = compact(store, stop=_stop)
    except StoreError as exc:  # a read replica, or the database went away: the page reads what there is
        log.warning("analytics: background compaction failed: %s", exc)
    except Exception:  # noqa: BLE001 - a thread's exception would vanish; the rollups just stay as they are
        log.exception("analytics: background compaction failed")
    else:
        if not (done.skipped or done.stopped):
            log.info(
                "analytics: rollups compacted: %s day(s), %s step events, %.1f s",
                done.days,
                done.events,
                done.seconds,
            )


def compact_in_background(store: Store) -> threading.Thread:
    """Start a compaction of ``store`` in a daemon thread, unless this process runs one already; the thread."""
    with _lock:
        running = _threads.get(store.url)
        if running is not None and running.is_alive():
            return running
        _stop.clear()
        thread = threading.Thread(target=_run, args=(store,), name="triage-compaction", daemon=True)
        _threads[store.url] = thread
        thread.start()
        return thread


def stop_background(timeout: float = 10.0) -> None:
    """Ask this process's background compactions to stop after their current transaction, and wait for them
    (the server is stopping: the lock is given back rather than left to lapse)."""
    _stop.set()
    with _lock:
        threads = list(_threads.values())
    for thread in threads:
        thread.join(timeout)


def _busy(store: Store) -> threading.Thread | None:
    with _lock:
        thread = _threads.get(store.url)
    return thread if thread is not None and thread.is_alive() else None


def _keyed(url: str, as_of: datetime | None, unchanged_since: datetime | None = None) -> datetime | None:
    """The cache key of the rollups as of ``as_of``; ``unchanged_since``: a run that found nothing new, so
    the rows are those of that earlier clock (and of its key, if this process saw it)."""
    if as_of is None:
        return None
    with _lock:
        seen = _figures.get(url)
        if seen is not None and seen[0] in (as_of, unchanged_since):
            key = seen[1]
        else:
            key = unchanged_since or as_of
        _figures[url] = (as_of, key)
    return key


def refresh(store: Store, *, inline_days: int = INLINE_DAYS, max_age: timedelta = timedelta(0)) -> Freshness:
    """Bring the rollups up to date if that is quick (at most ``inline_days`` changed days), else leave it to
    a background compaction; the rollups' clock, their cache key, and whether newer figures are coming.

    ``max_age``: rollups compacted less than this long ago are taken as they are (one read, no compaction).
    On a read replica (writes refused) the rollups the primary keeps are read as they are.
    """
    if max_age > timedelta(0):
        at = _as_of(store)
        if at is not None and utcnow() - at < max_age:
            return Freshness(at, updating=_busy(store) is not None, key=_keyed(store.url, at))
    try:
        done = compact(store, max_days=inline_days)
    except StoreError:
        at = _as_of(store)
        return Freshness(at, key=_keyed(store.url, at))
    if not (done.deferred or done.skipped):
        same = done.previous if done.days == 0 else None
        return Freshness(done.as_of, key=_keyed(store.url, done.as_of, same))
    thread = compact_in_background(store) if done.deferred else _busy(store)
    if done.as_of is None and thread is not None:
        thread.join(_WAIT)  # nothing to show yet: a small history is built in a moment
        at = _as_of(store)
        return Freshness(at, updating=thread.is_alive(), key=_keyed(store.url, at))
    return Freshness(done.as_of, updating=True, key=_keyed(store.url, done.as_of))


def _as_of(store: Store) -> datetime | None:
    with store.tx() as db:
        return rollups.as_of(db)


def period_start(days: int, now: datetime | None = None) -> datetime | None:
    """The UTC midnight ``days`` days ago (today counts as one), or None for 0 (all time): whole days, which
    the rollups answer.

    >>> period_start(7, datetime(2025, 3, 8, 12, 0, tzinfo=UTC))
    datetime.datetime(2025, 3, 2, 0, 0, tzinfo=datetime.timezone.utc)
    """
    if not days:
        return None
    today = (now or utcnow()).astimezone(UTC).date() - timedelta(days=days - 1)
    return datetime(today.year, today.month, today.day, tzinfo=UTC)
