"""Visits: technicians, their working hours and skills, free slots, bookings and calendar files.

* :mod:`~triage.visits.technicians` — who can visit: skills, regions, working hours in their timezone;
* :mod:`~triage.visits.slots` — the free slots those hours make, and how soon urgency allows;
* :mod:`~triage.visits.claims` — booking a slot so that of many attempts exactly one wins;
* :mod:`~triage.visits.booking` — the :class:`Scheduler`: book, reschedule, cancel, close;
* :mod:`~triage.visits.ics` — a booking as a calendar file.

May import: :mod:`triage.records`, :mod:`triage.trees`, :mod:`triage.errors` and anything below them.
"""

from __future__ import annotations

from triage.visits.booking import STATUSES, BookingView, Scheduler
from triage.visits.claims import count_double_bookings
from triage.visits.ics import fold_line, ics_text
from triage.visits.slots import LIVE, Slot
from triage.visits.technicians import DEFAULT_HOURS, WEEKDAYS, TechnicianView

__all__ = [
    "DEFAULT_HOURS",
    "LIVE",
    "STATUSES",
    "WEEKDAYS",
    "BookingView",
    "Scheduler",
    "Slot",
    "TechnicianView",
    "count_double_bookings",
    "fold_line",
    "ics_text",
]
