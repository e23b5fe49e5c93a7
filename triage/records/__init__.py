"""Records: everything that is stored. SQLite by default, PostgreSQL by URL.

- ``schema`` and ``migrations/``: the tables, created and upgraded only by Alembic;
- ``store``: the :class:`~triage.records.store.Store` (connections, transactions, migrations, listeners);
- ``versions``: published tree versions, diffs, pinned libraries; ``sessions``: stored walks and closures;
- ``cases``: the escalation queue; ``fulfilment``: part shipments, send-in repairs and follow-ups after a
  decision; ``remote``: the demo provider's simulated line and device status;
- ``accounts``: staff and roles; ``flags``: agents' flags on steps;
- ``names``: user names without look-alikes or invisible characters; ``passwords``: Argon2id hashing and
  rehash; ``throttle``: failed sign-ins counted in the database; ``audit``: the audit log;
- ``history``: stored sessions as the evidence :mod:`triage.guidance` learns from.

May import: :mod:`triage.walk`, :mod:`triage.trees`, :mod:`triage.guidance`, :mod:`triage.i18n`,
:mod:`triage.errors`. Never visits, analytics, the desk or a front end: cases and fulfilment learn about
decisions through the store's listeners (see
:meth:`triage.records.store.Store.on_decision`), never by the store importing them.
"""

from triage.records import cases, fulfilment
from triage.records.store import subscribe_every_store

# Start-up wiring of the family: the escalation queue and fulfilment hear every store's decisions. Importing
# any records module runs this first, so a Store opened anywhere (start-up, CLI, demo, tests) keeps creating
# cases, shipments, repairs and follow-ups, while the store itself never imports what builds on it.
subscribe_every_store(cases.on_decision)
subscribe_every_store(fulfilment.on_decision)
