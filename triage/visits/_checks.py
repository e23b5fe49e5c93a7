"""Argument checks and time formats shared by the visit modules (nobody's concept, hence private).

Each check raises :class:`~triage.errors.BookingError` with a message that names the argument, what would
be valid, and what was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from triage.errors import BookingError

_MAX_NAME = 100  # skills, regions, codes, customer ids and technician names are String(100) columns


def instant_text(dt: datetime) -> str:
    """An instant for a message: ``Mon 2025-03-03 07:00 UTC``."""
    return dt.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def span_text(start: datetime, end: datetime) -> str:
    """A time span for a message: ``Mon 2025-03-03 07:00-09:00 UTC``."""
    return f"{start.astimezone(UTC):%a %Y-%m-%d %H:%M}-{end.astimezone(UTC):%H:%M} UTC"


def aware(name: str, value: datetime) -> datetime:
    """``value`` in UTC; naive datetimes are refused, since a wall-clock time alone is ambiguous."""
    if not isinstance(value, datetime):
        raise BookingError(f"{name} must be a datetime (got {value!r})")
    if value.tzinfo is None or value.utcoffset() is None:
        raise BookingError(
            f"{name} must be timezone-aware, e.g. datetime(..., tzinfo=UTC) (got naive {value})"
        )
    return value.astimezone(UTC)


def word(what: str, value: str) -> str:
    """A non-empty name (a skill, a region), stripped."""
    if not isinstance(value, str) or not value.strip():
        raise BookingError(f"{what} must be a non-empty name (got {value!r})")
    return fits(what, value.strip())


def fits(what: str, value: str, limit: int = _MAX_NAME) -> str:
    """``value`` if it fits its column (PostgreSQL refuses longer text; SQLite would keep it silently)."""
    if len(value) > limit:
        raise BookingError(f"{what} may be at most {limit} characters (got {len(value)}: {value[:20]!r}...)")
    return value


def name_list(what: str, values: Sequence[str], noun: str, *, empty_ok: bool = False) -> list[str]:
    """A list of non-empty names, stripped, in the order given, without repeats."""
    if isinstance(values, str) or not isinstance(values, Sequence | set | frozenset):
        raise BookingError(f"{what} must be a list of names, like ['{noun}-a', '{noun}-b'] (got {values!r})")
    out: list[str] = []
    for v in values:
        if not isinstance(v, str) or not v.strip():
            raise BookingError(f"{what} must be non-empty names (got {v!r} in {list(values)!r})")
        if v.strip() not in out:
            out.append(fits(what, v.strip()))
    if not out and not empty_ok:
        raise BookingError(f"{what} must name at least one {noun} (got {list(values)!r})")
    return out


def whole(what: str, value: int, low: int, high: int, unit: str) -> None:
    """Refuse anything but a whole number from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BookingError(f"{what} must be a whole number of {unit} from {low} to {high} (got {value!r})")


def visit_minutes(value: int | None) -> int | None:
    """A visit's length in minutes, or ``None`` for any length."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise BookingError(f"duration_minutes must be a positive whole number of minutes (got {value!r})")
    return value
