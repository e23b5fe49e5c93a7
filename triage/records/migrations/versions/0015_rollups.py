"""analytics rollups: per started day x tree version x mode x locale, kept by a compaction job

Revision ID: 0015
Revises: 0014

The tables ``rollup_*`` hold what ``triage.analytics.summary`` counts, per UTC start day (see
``triage.records.rollups``); ``rollup_state`` holds the compaction's clock and lock. ``ix_sessions_updated``
finds the sessions changed since the last compaction (every step moves ``updated_at``). What changes a session
without moving ``updated_at`` (outcome truth, a closure's true fault, deleting it) marks its start day in
``rollup_dirty`` by a trigger, so no write path has to know about rollups.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_I = sa.Integer()
_COUNTS = {
    "rollup_cells": [
        "steps",
        "sessions",
        "decided",
        "abandoned",
        "resolved",
        "escalated",
        "home_visits",
        "parts_shipped",
        "repairs",
        "diagnoses",
        "handovers",
        "fcr",
        "undecided",
    ],
    "rollup_durations": ["secs", "w"],
    "rollup_outcomes": ["sessions", "overturned"],
    "rollup_faults": ["sessions"],
    "rollup_answers": ["answered", "fixed", "not_fixed", "could_not", "tried"],
    "rollup_drops": ["drop_offs"],
}
_TEXT = {
    "rollup_outcomes": [("decision_kind", 20, True)],
    "rollup_faults": [("true_fault", 100, False)],
    "rollup_answers": [("node_tree", 100, True), ("node_id", 100, True)],
    "rollup_drops": [("last_tree", 100, True), ("last_node", 100, False)],
}

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER trg_rollup_dirty_update AFTER UPDATE OF truth, true_fault ON sessions
    BEGIN
        INSERT OR REPLACE INTO rollup_dirty (day, marked_at)
        VALUES (date(NEW.started_at), strftime('%Y-%m-%d %H:%M:%f000', 'now'));
    END""",
    """CREATE TRIGGER trg_rollup_dirty_delete AFTER DELETE ON sessions
    BEGIN
        INSERT OR REPLACE INTO rollup_dirty (day, marked_at)
        VALUES (date(OLD.started_at), strftime('%Y-%m-%d %H:%M:%f000', 'now'));
    END""",
)
_PG_FUNCTION = """CREATE FUNCTION rollup_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        d := to_char(OLD.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD');
    ELSE
        d := to_char(NEW.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD');
    END IF;
    -- a new mark each time (DO UPDATE): a compaction clears only the mark it read, never a later one
    INSERT INTO rollup_dirty (day, marked_at) VALUES (d, clock_timestamp())
    ON CONFLICT (day) DO UPDATE SET marked_at = EXCLUDED.marked_at;
    RETURN NULL;
END
$$"""
_PG_TRIGGER = """CREATE TRIGGER trg_rollup_dirty AFTER UPDATE OF truth, true_fault OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION rollup_mark_dirty()"""


def _rollup_table(name: str) -> None:
    text_cols = [sa.Column(c, sa.String(n), nullable=null) for c, n, null in _TEXT.get(name, [])]
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("tree_id", sa.String(100), nullable=False),
        sa.Column("root_version", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("locale", sa.String(20), nullable=False),
        *text_cols,
        *(sa.Column(c, sa.Integer(), nullable=False) for c in _COUNTS[name]),
    )
    op.create_index(f"ix_{name}_day", name, ["day"])


def upgrade() -> None:
    for name in _COUNTS:
        _rollup_table(name)
    op.create_table(
        "rollup_state",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(64), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute("INSERT INTO rollup_state (name) VALUES ('analytics')")
    op.create_table(
        "rollup_dirty",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sessions_updated", "sessions", ["updated_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        for sql in _SQLITE_TRIGGERS:
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_rollup_dirty ON sessions")
        op.execute("DROP FUNCTION IF EXISTS rollup_mark_dirty()")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_rollup_dirty_update")
        op.execute("DROP TRIGGER IF EXISTS trg_rollup_dirty_delete")
    op.drop_index("ix_sessions_updated", table_name="sessions")
    op.drop_table("rollup_dirty")
    op.drop_table("rollup_state")
    for name in reversed(list(_COUNTS)):
        op.drop_index(f"ix_{name}_day", table_name=name)
        op.drop_table(name)
