"""The time the pages show: now in UTC, how long something has waited, and the start of a look-back period.

The queue and the dispatcher both say how long a case or a visit has waited; the analytics page asks for the
last *n* days. Nothing here reads the store.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from triage.records.schema import utcnow

__all__ = ["days_ago", "utcnow", "waiting"]


def waiting(since: datetime, now: datetime | None = None) -> str:
    """How long something has waited, coarsely: ``'45 min'``, ``'3 h 10 min'``, ``'2 d 4 h'``.

    >>> from datetime import UTC
    >>> waiting(datetime(2025, 3, 1, 8, 0, tzinfo=UTC), datetime(2025, 3, 3, 12, 30, tzinfo=UTC))
    '2 d 4 h'
    """
    minutes = max(0, int(((now or utcnow()) - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def days_ago(days: int, now: datetime | None = None) -> datetime | None:
    """The start of the last ``days`` days, or ``None`` for 0 (all time).

    >>> from datetime import UTC
    >>> days_ago(7, datetime(2025, 3, 8, 12, 0, tzinfo=UTC))
    datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
    >>> days_ago(0) is None
    True
    """
    return (now or utcnow()) - timedelta(days=days) if days else None
