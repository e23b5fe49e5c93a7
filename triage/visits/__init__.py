"""Visits: technicians, their working hours and skills, free slots, bookings and calendar files.

* :mod:`~triage.visits.technicians` — who can visit: skills, regions, working hours in their timezone;
* :mod:`~triage.visits.slots` — the free slots those hours make, how soon urgency allows, and the next working
  days a customer chooses from;
* :mod:`~triage.visits.claims` — booking a slot so that of many attempts exactly one wins;
* :mod:`~triage.visits.booking` — the :class:`Scheduler`: book, reschedule (the reference stays), cancel, close;
* :mod:`~triage.visits.ics` — a visit as a calendar file (UID from the reference, SEQUENCE, REQUEST or CANCEL).

May import: :mod:`triage.records`, :mod:`triage.trees`, :mod:`triage.errors` and anything below them.
"""

from __future__ import annotations

from triage.visits.booking import STATUSES, BookingView, Scheduler, contact_address
from triage.visits.claims import count_double_bookings
from triage.visits.ics import calendar_uid, fold_line, ics_text
from triage.visits.slots import BOOKING_DAYS_ENV, LIVE, FreeDay, Slot, booking_days
from triage.visits.technicians import DEFAULT_HOURS, WEEKDAYS, TechnicianView

__all__ = [
    "BOOKING_DAYS_ENV",
    "DEFAULT_HOURS",
    "LIVE",
    "STATUSES",
    "WEEKDAYS",
    "BookingView",
    "FreeDay",
    "Scheduler",
    "Slot",
    "TechnicianView",
    "booking_days",
    "calendar_uid",
    "contact_address",
    "count_double_bookings",
    "fold_line",
    "ics_text",
]
