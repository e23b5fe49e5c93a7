"""Calendar files: a visit as an RFC 5545 ``.ics`` event for the customer's or the technician's calendar.

The UID is made from the visit's reference (``K7P-4QX@triage``), which a reschedule keeps, and SEQUENCE counts
the changes: a booking or a reschedule is sent as ``METHOD:REQUEST`` (the calendar adds the event, or moves the
one it has), a cancellation as ``METHOD:CANCEL`` with ``STATUS:CANCELLED`` (the calendar removes it). The
event names the customer, how to reach them and the address (``LOCATION``), for the technician's calendar.
Text is escaped (RFC 5545 3.3.11), lines end in CRLF and are folded at 75 octets, never inside a UTF-8
character. The organizer's address is ``TRIAGE_CALENDAR_ORGANIZER`` (default ``visits@triage.invalid``).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from triage.visits.booking import BookingView

__all__ = ["ORGANIZER_ENV", "booking_calendar", "calendar_uid", "fold_line", "ics_text"]

ORGANIZER_ENV = "TRIAGE_CALENDAR_ORGANIZER"
_ORGANIZER = "visits@triage.invalid"


def calendar_uid(reference: str) -> str:
    """The calendar UID of a visit: stable through every reschedule.

    >>> calendar_uid("K7P-4QX")
    'K7P-4QX@triage'
    """
    return f"{reference}@triage"


def booking_calendar(view: BookingView, *, stamp: datetime, reach: bool = True) -> str:
    """The calendar text of a visit as it stands now: a REQUEST while booked or closed, a CANCEL once cancelled.

    ``reach=False`` leaves out the customer's phone and e-mail (the copy a customer's page offers, which anyone
    holding the page's link could download); the technician's copy has them.
    """
    cancelled = view.status == "cancelled"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//triage//home visits//EN",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancelled else 'REQUEST'}",
        "BEGIN:VEVENT",
        f"UID:{calendar_uid(view.reference)}",
        f"DTSTAMP:{_ics_time(stamp)}",
        f"DTSTART:{_ics_time(view.start)}",
        f"DTEND:{_ics_time(view.end)}",
        f"SEQUENCE:{view.sequence}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"SUMMARY:{ics_text(f'Home visit {view.reference}: {view.skill} ({view.urgency})')}",
        f"DESCRIPTION:{ics_text(_description(view, reach))}",
    ]
    if view.address:
        lines.append(f"LOCATION:{ics_text(view.address)}")
    organizer = os.environ.get(ORGANIZER_ENV, "").strip() or _ORGANIZER
    lines.append(f"ORGANIZER;CN=Home visits:mailto:{_address(organizer)}")
    if reach and view.contact_email:
        name = _param(view.contact_name or view.contact_email)
        lines.append(f"ATTENDEE;CN={name};ROLE=REQ-PARTICIPANT:mailto:{_address(view.contact_email)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold_line(line) + "\r\n" for line in lines)


def _description(view: BookingView, reach: bool) -> str:
    """What the technician needs to know, one item a line; what nobody gave is left out."""
    lines = [
        f"Visit: {view.reference}",
        f"Skill: {view.skill} ({view.urgency})",
        f"Parts: {', '.join(view.parts) or '-'}",
        f"Customer: {view.contact_name or view.customer_id or '-'}",
    ]
    if view.contact_name and view.customer_id:
        lines.append(f"Customer id: {view.customer_id}")
    if reach:
        lines += [
            f"{label}: {value}"
            for label, value in (("Phone", view.contact_phone), ("E-mail", view.contact_email))
            if value
        ]
    lines += [f"Address: {view.address or '-'}", f"Technician: {view.technician_name}"]
    if view.status == "cancelled" and view.cancel_reason:
        lines.append(f"Cancelled: {view.cancel_reason}")
    return "\n".join(lines)


def _address(value: str) -> str:
    """An e-mail address inside a ``mailto:`` URI: no spaces or control characters that could end the line."""
    return "".join(ch for ch in value if ord(ch) > 32 and ord(ch) != 127)


def _param(value: str) -> str:
    """A parameter value (RFC 5545 3.2): quoted, without the quotes and control characters it may not hold."""
    clean = "".join(ch for ch in value if ch != '"' and (ord(ch) >= 32 and ord(ch) != 127))
    return f'"{clean}"'


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
