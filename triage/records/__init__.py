"""Records: everything that is stored.

The schema and its Alembic migrations, tree versions, persisted sessions, escalation cases,
staff accounts, flags on steps, and the history the planner learns from. SQLite by default,
PostgreSQL by URL.

May import: :mod:`triage.walk`, :mod:`triage.trees`, :mod:`triage.guidance`, :mod:`triage.i18n`,
:mod:`triage.errors`. Never visits, analytics, the desk or a front end: cases learn about decisions
through the store's listeners (see :meth:`triage.records.store.Store.on_decision`).
"""

from triage.records import cases
from triage.records.store import subscribe_every_store

# Start-up wiring of the family: the escalation queue hears every store's decisions. Importing any records
# module runs this first, so a Store opened anywhere (start-up, CLI, demo, tests) keeps creating cases,
# while the store itself never imports the cases that build on it.
subscribe_every_store(cases.on_decision)
