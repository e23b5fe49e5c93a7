"""outages and their notices, part shipments, send-in repairs, follow-ups, the demo provider's remote status,
and the reason an agent booked a visit during an outage

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triage.records.schema

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_TS = triage.records.schema.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "region",
            sa.String(length=100),
            nullable=False,
            comment="as customers' `region` facts, compared ignoring case",
        ),
        sa.Column(
            "service", sa.String(length=40), nullable=False, comment="a tree's `service`: internet, tv, phone"
        ),
        sa.Column("starts_at", _TS(timezone=True), nullable=False),
        sa.Column("expected_end", _TS(timezone=True), nullable=True),
        sa.Column("ended_at", _TS(timezone=True), nullable=True),
        sa.Column("message", sa.JSON(), nullable=False, comment="locale -> what customers are told"),
        sa.Column("declared_by", sa.String(length=100), nullable=False),
        sa.Column("declared_at", _TS(timezone=True), nullable=False),
        sa.Column("ended_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outages_region_service", "outages", ["region", "service"])
    op.create_index("ix_outages_ended_at", "outages", ["ended_at"])
    op.create_table(
        "outage_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("outage_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=False, comment="phone number or e-mail address"),
        sa.Column("locale", sa.String(length=20), nullable=False),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.Column("sent_at", _TS(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["outage_id"], ["outages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outage_notices_outage_id", "outage_notices", ["outage_id"])
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=30), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("customer_id", sa.String(length=100), nullable=True),
        sa.Column("parts", sa.JSON(), nullable=False, comment="[{part, quantity}]"),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("address_confirmed", sa.Boolean(), nullable=False),
        sa.Column("return_old", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.Column("updated_at", _TS(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    op.create_index("ix_shipments_session_id", "shipments", ["session_id"])
    op.create_index("ix_shipments_status", "shipments", ["status"])
    op.create_table(
        "repairs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rma", sa.String(length=30), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("customer_id", sa.String(length=100), nullable=True),
        sa.Column("depot", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.Column("updated_at", _TS(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rma"),
    )
    op.create_index("ix_repairs_session_id", "repairs", ["session_id"])
    op.create_index("ix_repairs_status", "repairs", ["status"])
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=100), nullable=True),
        sa.Column("due_at", _TS(timezone=True), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False, comment="open, held (fix lasted), failed"),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.Column("done_at", _TS(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_follow_ups_session_id", "follow_ups", ["session_id"])
    op.create_index("ix_follow_ups_status_due", "follow_ups", ["status", "due_at"])
    op.create_table(
        "remote_status",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "customer_id",
            sa.String(length=100),
            nullable=False,
            comment="'*' for every customer without a row",
        ),
        sa.Column(
            "system", sa.String(length=40), nullable=False, comment="line_test, box_status, refresh_box"
        ),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("delay_seconds", sa.Float(), nullable=False, comment="simulated latency"),
        sa.Column("updated_at", _TS(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "system", name="uq_remote_status"),
    )
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(
            sa.Column(
                "outage_override",
                sa.Text(),
                nullable=True,
                comment="why an agent booked a visit during a declared outage in the region",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("outage_override")
    op.drop_table("remote_status")
    op.drop_index("ix_follow_ups_status_due", table_name="follow_ups")
    op.drop_index("ix_follow_ups_session_id", table_name="follow_ups")
    op.drop_table("follow_ups")
    op.drop_index("ix_repairs_status", table_name="repairs")
    op.drop_index("ix_repairs_session_id", table_name="repairs")
    op.drop_table("repairs")
    op.drop_index("ix_shipments_status", table_name="shipments")
    op.drop_index("ix_shipments_session_id", table_name="shipments")
    op.drop_table("shipments")
    op.drop_index("ix_outage_notices_outage_id", table_name="outage_notices")
    op.drop_table("outage_notices")
    op.drop_index("ix_outages_ended_at", table_name="outages")
    op.drop_index("ix_outages_region_service", table_name="outages")
    op.drop_table("outages")
