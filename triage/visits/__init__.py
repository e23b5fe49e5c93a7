"""Visits: technicians, their working hours and skills, free slots, bookings and calendar files.

May import: :mod:`triage.records`, :mod:`triage.trees`, :mod:`triage.errors` and anything below them.
"""
