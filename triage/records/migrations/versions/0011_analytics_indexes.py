"""analytics indexes: a narrow copy of the session figures, and the answer events by node

Revision ID: 0011
Revises: 0010

``triage.analytics.queries.summary`` scans every selected session and every answer. Without these it reads the
wide rows (decision and pin JSON, start events with all the facts): about 20x slower at 1,000,000 events.

* ``ix_sessions_stats`` covers every column the session figures read, grouping columns first, so SQLite
  scans and groups it without touching the table or sorting.
* ``ix_events_steps`` holds only answer and "already tried" events (partial index), by node, with the
  answer: action fix rates and visits per node read it alone. PostgreSQL cannot index a ``json`` value as a
  key, so there the value is an included (non-key) column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_STEPS = sa.text("type IN ('answer', 'tried')")  # the exact text analytics queries repeat (SQLite matches it)


def upgrade() -> None:
    op.create_index(
        "ix_sessions_stats",
        "sessions",
        [
            "tree_id",
            "root_version",
            "mode",
            "locale",
            "steps",
            "status",
            "decision_kind",
            "truth",
            "started_at",
            "updated_at",
            "decided_at",
            "true_fault",
            "last_tree",
            "last_node",
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_events_steps",
            "events",
            ["tree_id", "node_id", "type"],
            postgresql_where=_STEPS,
            postgresql_include=["value"],
        )
    else:
        op.create_index(
            "ix_events_steps", "events", ["tree_id", "node_id", "type", "value"], sqlite_where=_STEPS
        )


def downgrade() -> None:
    op.drop_index("ix_events_steps", table_name="events")
    op.drop_index("ix_sessions_stats", table_name="sessions")
