"""staff sign-in sessions, single sign-on accounts, customers' contact and address, references people can read out
(sessions, cases, visits) and the calendar sequence of a visit

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

import triage.records.schema

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TS = triage.records.schema.UTCDateTime
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # as triage.records.refs, frozen here with this migration


def _reference(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(6))
        ref = f"{code[:3]}-{code[3:]}"
        if ref not in taken:
            taken.add(ref)
            return ref


def _backfill(table: str, key: str) -> None:
    """Give every existing row of ``table`` a reference (bookings: one per chain of reschedules)."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT {key} FROM {table}")).fetchall()  # noqa: S608 - fixed names
    taken: set[str] = set()
    for (row_key,) in rows:
        conn.execute(
            sa.text(f"UPDATE {table} SET reference = :ref WHERE {key} = :key"),  # noqa: S608
            {"ref": _reference(taken), "key": row_key},
        )


def _backfill_bookings() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, rescheduled_from FROM bookings ORDER BY id")).fetchall()
    taken: set[str] = set()
    ref_of: dict[int, str] = {}
    for booking_id, previous in rows:
        ref = ref_of.get(previous) if previous is not None else None
        ref_of[booking_id] = ref or _reference(taken)
        conn.execute(
            sa.text("UPDATE bookings SET reference = :ref WHERE id = :id"),
            {"ref": ref_of[booking_id], "id": booking_id},
        )


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "token_hash", sa.String(length=64), nullable=False, comment="SHA-256 of the cookie's token"
        ),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False, comment="'password' or 'sso'"),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.Column("last_seen_at", _TS(timezone=True), nullable=False),
        sa.Column("revoked_at", _TS(timezone=True), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True, comment="the browser's address at sign-in"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_staff_sessions_username", "staff_sessions", ["username"])
    op.create_table(
        "customer_contacts",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column(
            "consent_at",
            _TS(timezone=True),
            nullable=False,
            comment="when the customer agreed to be contacted",
        ),
        sa.Column(
            "consent_locale",
            sa.String(length=20),
            nullable=False,
            comment="the language the consent text was shown in",
        ),
        sa.Column("address", sa.Text(), nullable=True, comment="street and number, for a visit or a parcel"),
        sa.Column("postcode", sa.String(length=20), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column(
            "region", sa.String(length=100), nullable=True, comment="from the postcode table, never typed"
        ),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.Column("updated_at", _TS(timezone=True), nullable=False),
        sa.Column(
            "updated_by", sa.String(length=100), nullable=True, comment="the agent who last edited it, if any"
        ),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_index("ix_customer_contacts_customer_id", "customer_contacts", ["customer_id"])
    op.create_index("ix_customer_contacts_created_at", "customer_contacts", ["created_at"])
    # plain ADD COLUMN and unique indexes, no batch copy: on SQLite a copy of `sessions` or `cases` would trip the
    # foreign keys of the rows that point at them
    op.add_column(
        "users",
        sa.Column(
            "auth",
            sa.String(length=10),
            nullable=False,
            server_default="local",
            comment="'local' (password) or 'sso' (OpenID Connect)",
        ),
    )
    op.add_column(
        "users",
        sa.Column(
            "sso_subject",
            sa.String(length=300),
            nullable=True,
            comment="issuer and subject of a single sign-on account",
        ),
    )
    op.create_index("ix_users_sso_subject", "users", ["sso_subject"], unique=True)
    op.add_column(
        "sessions",
        sa.Column(
            "reference",
            sa.String(length=12),
            nullable=True,
            comment="what the customer reads out: K7P-4QX (triage.records.refs)",
        ),
    )
    op.add_column(
        "cases",
        sa.Column("reference", sa.String(length=12), nullable=True, comment="read out on a call: K7P-4QX"),
    )
    op.add_column(
        "bookings",
        sa.Column(
            "reference",
            sa.String(length=12),
            nullable=True,
            comment="the visit's reference, kept by every reschedule: K7P-4QX",
        ),
    )
    op.add_column(
        "bookings",
        sa.Column(
            "sequence",
            sa.Integer(),
            nullable=False,
            server_default="0",
            comment="the calendar entry's SEQUENCE: +1 on each change",
        ),
    )
    _backfill("sessions", "id")
    _backfill("cases", "id")
    _backfill_bookings()
    op.create_index("ix_sessions_reference", "sessions", ["reference"], unique=True)
    op.create_index("ix_cases_reference", "cases", ["reference"], unique=True)
    op.create_index("ix_bookings_reference", "bookings", ["reference"])


def downgrade() -> None:
    op.drop_index("ix_bookings_reference", table_name="bookings")
    op.drop_index("ix_cases_reference", table_name="cases")
    op.drop_index("ix_sessions_reference", table_name="sessions")
    op.drop_index("ix_users_sso_subject", table_name="users")
    op.drop_column("bookings", "sequence")
    op.drop_column("bookings", "reference")
    op.drop_column("cases", "reference")
    op.drop_column("sessions", "reference")
    op.drop_column("users", "sso_subject")
    op.drop_column("users", "auth")
    op.drop_index("ix_customer_contacts_created_at", table_name="customer_contacts")
    op.drop_index("ix_customer_contacts_customer_id", table_name="customer_contacts")
    op.drop_table("customer_contacts")
    op.drop_index("ix_staff_sessions_username", table_name="staff_sessions")
    op.drop_table("staff_sessions")
