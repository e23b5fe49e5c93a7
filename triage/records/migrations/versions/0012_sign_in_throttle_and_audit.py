"""sign-in throttling shared by every instance, and the audit log of sign-ins and account changes

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triage.records.schema

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=64), nullable=False, comment="SHA-256 of kind and name or address"),
        sa.Column("kind", sa.String(length=10), nullable=False, comment="'account' or 'client'"),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", triage.records.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", triage.records.schema.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_sign_in_throttle_last_failure_at", "sign_in_throttle", ["last_failure_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", triage.records.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column(
            "username",
            sa.String(length=100),
            nullable=False,
            comment="the account, or the name typed at sign-in",
        ),
        sa.Column("actor", sa.String(length=100), nullable=True, comment="who changed the account"),
        sa.Column("client", sa.String(length=64), nullable=True, comment="the browser's address, when known"),
        sa.Column(
            "detail", sa.Text(), nullable=False, comment="internal: why a sign-in failed, what changed"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_user_at", "audit_log", ["username", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_user_at", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_sign_in_throttle_last_failure_at", table_name="sign_in_throttle")
    op.drop_table("sign_in_throttle")
