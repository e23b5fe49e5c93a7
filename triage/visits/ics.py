"""Calendar files: a booking as an RFC 5545 ``.ics`` event for the customer's or the technician's calendar.

A rescheduled visit keeps the UID of the first booking and raises SEQUENCE, so a calendar moves the event
instead of adding a second one; a cancelled booking exports with STATUS:CANCELLED. Lines end in CRLF and
are folded at 75 octets, never inside a UTF-8 character.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from triage.visits.booking import BookingView

__all__ = ["booking_calendar", "fold_line", "ics_text"]


def booking_calendar(
    view: BookingView, *, first_id: int, first_created: datetime, sequence: int, stamp: datetime
) -> str:
    """The calendar text of one booking; ``first_id`` and ``first_created`` are those of the visit's first
    booking (before any reschedule), ``sequence`` the number of reschedules since.
    """
    description = "\n".join(
        [
            f"Skill: {view.skill}",
            f"Urgency: {view.urgency}",
            f"Parts: {', '.join(view.parts) or '-'}",
            f"Session: {view.session_id or '-'}",
            f"Customer: {view.customer_id or '-'}",
            f"Technician: {view.technician_name}",
            f"Booking: {view.id}",
        ]
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//triage//home visits//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:triage-booking-{first_id}-{_ics_time(first_created)}@triage",
        f"DTSTAMP:{_ics_time(stamp)}",
        f"DTSTART:{_ics_time(view.start)}",
        f"DTEND:{_ics_time(view.end)}",
        f"SEQUENCE:{sequence}",
        f"STATUS:{'CANCELLED' if view.status == 'cancelled' else 'CONFIRMED'}",
        f"SUMMARY:{ics_text(f'Home visit: {view.skill} ({view.urgency})')}",
        f"DESCRIPTION:{ics_text(description)}",
    ]
    if view.address:
        lines.append(f"LOCATION:{ics_text(view.address)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold_line(line) + "\r\n" for line in lines)


def ics_text(value: str) -> str:
    r"""Escape a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines.

    >>> ics_text('a,b;c\\d\ne')
    'a\\,b\\;c\\\\d\\ne'
    """
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    # other control characters are not allowed in TEXT
    return "".join(ch if ch == "\t" or ord(ch) >= 32 and ord(ch) != 127 else " " for ch in value)


def fold_line(line: str) -> str:
    """Fold a content line (RFC 5545 3.1) so no line exceeds 75 octets, never splitting a UTF-8 character."""
    if len(line.encode()) <= 75:
        return line
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, 75
    for ch in line:
        n = len(ch.encode())
        if size + n > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74  # a continuation line starts with one space
        current.append(ch)
        size += n
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _ics_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
