"""Analytics: what happened across many sessions, in SQL (queries) and as figures for a person (report).

May import: :mod:`triage.records`, :mod:`triage.trees`, :mod:`triage.errors` and anything below them.
"""
