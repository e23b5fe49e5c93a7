"""The database schema (SQLAlchemy 2, declarative) and connection set-up.

SQLite by default (a file, created on first use), PostgreSQL when ``TRIAGE_DATABASE_URL``
points at one. The schema is created and upgraded by Alembic migrations in
``triage/records/migrations`` — never by ``create_all`` — so an upgrade never loses data.

Tables::

    tree_versions   immutable published versions of each tree (content + SHA-256)
    sessions        one row per session: pins, mode, locale, customer, decision summary, outcome truth
    events          every step of every session, written as it happens
    cases           the escalation queue: tier, queue, priority, hand-off, claim, closure
    case_notes      notes on a case
    technicians     field technicians: skills, regions, working hours
    bookings        home-visit bookings; one booked row per technician slot (unique index)
    users           staff accounts: Argon2id password hashes, roles, active or deactivated
    sign_in_throttle  failed sign-ins per account and per client, shared by every app instance
    audit_log       sign-ins, failures, throttles and account changes
    flags           agents' reports on steps
    outages         declared outages: region, service, start, expected end, message per locale
    outage_notices  customers who asked to hear when an outage ends
    shipments       parts sent to customers to swap themselves, with status
    repairs         send-in repairs: RMA reference, repair centre, status
    follow_ups      "check again in N days" tasks from resolved sessions
    remote_status   the demo provider's simulated line and device status, per customer
    staff_sessions  signed-in browsers of staff (cookie token hashes), with idle and absolute time-outs
    customer_contacts  the name, phone or e-mail, consent and address a customer gave for one session; kept only
                    as long as configured, never in analytics or exports
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AuditEntry",
    "Base",
    "Booking",
    "Case",
    "CaseNote",
    "CustomerContact",
    "DEFAULT_DB_PATH",
    "EventRow",
    "FollowUp",
    "Outage",
    "OutageNotice",
    "RemoteStatus",
    "Repair",
    "Shipment",
    "SessionRow",
    "SignInThrottle",
    "StaffSession",
    "Technician",
    "TreeVersion",
    "database_url",
    "utcnow",
]

DEFAULT_DB_PATH = Path(__file__).resolve().parents[2] / "var" / "triage.db"


MIGRATION_ONLY_INDEXES = frozenset({"ix_sessions_stats", "ix_events_steps"})
"""Indexes that differ per database (partial, covering) and so live only in migration 0011, not in the models."""


def database_url(url: str | None = None) -> str:
    """The database to use: the argument, else ``TRIAGE_DATABASE_URL``, else the SQLite file in ``var/``."""
    if url:
        return url
    env = os.environ.get("TRIAGE_DATABASE_URL")
    if env:
        return env
    DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB_PATH}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class TreeVersion(Base):
    __tablename__ = "tree_versions"
    __table_args__ = (UniqueConstraint("tree_id", "version", name="uq_tree_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(40))
    procedure: Mapped[bool] = mapped_column(Boolean, default=False)
    path: Mapped[str | None] = mapped_column(String(500))
    author: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column()


class SessionRow(Base):
    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_customer_tree", "customer_id", "tree_id", "started_at"),
        Index("ix_sessions_tree_version", "tree_id", "root_version"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reference: Mapped[str | None] = mapped_column(
        String(12),
        unique=True,
        index=True,
        comment="what the customer reads out: K7P-4QX (triage.records.refs)",
    )
    tree_id: Mapped[str] = mapped_column(String(100))
    root_version: Mapped[int] = mapped_column(Integer)
    pins: Mapped[dict[str, Any]] = mapped_column(comment="tree id -> tree_versions.id used by this session")
    mode: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")
    started_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    steps: Mapped[int] = mapped_column(Integer, default=0)
    last_tree: Mapped[str | None] = mapped_column(String(100))
    last_node: Mapped[str | None] = mapped_column(String(100))
    decision_kind: Mapped[str | None] = mapped_column(String(20))
    decision_rule: Mapped[str | None] = mapped_column(String(40))
    decision_node: Mapped[str | None] = mapped_column(String(100))
    decision: Mapped[dict[str, Any] | None] = mapped_column()
    truth: Mapped[str | None] = mapped_column(String(20), comment="'not_resolved' once a repeat contact came")
    repeat_of: Mapped[str | None] = mapped_column(String(64))
    true_fault: Mapped[str | None] = mapped_column(String(100))
    closure_code: Mapped[str | None] = mapped_column(String(100))
    closure_fix: Mapped[str | None] = mapped_column(Text)
    closure_source: Mapped[str | None] = mapped_column(String(20))


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_node", "tree_id", "node_id"),)

    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column()
    type: Mapped[str] = mapped_column(String(20))
    tree_id: Mapped[str | None] = mapped_column(String(100))
    node_id: Mapped[str | None] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_queue_status", "queue", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str | None] = mapped_column(
        String(12), unique=True, index=True, comment="read out on a call: K7P-4QX"
    )
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    tier: Mapped[int] = mapped_column(Integer)
    queue: Mapped[str] = mapped_column(String(100))
    priority: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open")
    reason: Mapped[str] = mapped_column(Text)
    handoff: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column()
    closure_code: Mapped[str | None] = mapped_column(String(100))
    closure_fix: Mapped[str | None] = mapped_column(Text)


class CaseNote(Base):
    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column()
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)


class Technician(Base):
    __tablename__ = "technicians"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    skills: Mapped[list[Any]] = mapped_column()
    regions: Mapped[list[Any]] = mapped_column()
    hours: Mapped[dict[str, Any]] = mapped_column(
        comment="weekday (mon..sun) -> [start 'HH:MM', end 'HH:MM']"
    )
    slot_minutes: Mapped[int] = mapped_column(Integer, default=120)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        # exactly one live booking per technician slot: the database decides who wins a race
        Index(
            "uq_booking_slot",
            "technician_id",
            "start",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), index=True)
    start: Mapped[datetime] = mapped_column()
    end: Mapped[datetime] = mapped_column()
    skill: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100))
    urgency: Mapped[str] = mapped_column(String(20))
    parts: Mapped[list[Any]] = mapped_column(default=list)
    customer_id: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="booked")
    created_at: Mapped[datetime] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    rescheduled_from: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(100))
    closure_code: Mapped[str | None] = mapped_column(String(100))
    closure_fix: Mapped[str | None] = mapped_column(Text)
    outage_override: Mapped[str | None] = mapped_column(
        Text, comment="why an agent booked a visit during a declared outage in the region"
    )
    reference: Mapped[str | None] = mapped_column(
        String(12), index=True, comment="the visit's reference, kept by every reschedule: K7P-4QX"
    )
    sequence: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", comment="the calendar entry's SEQUENCE: +1 on each change"
    )


def configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, a busy timeout instead of instant 'database is locked', foreign keys on."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


class User(Base):
    """A staff account. Passwords are stored only as hashes (Argon2id; older ones scrypt until the next sign-in)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    roles: Mapped[list[Any]] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()
    auth: Mapped[str] = mapped_column(
        String(10),
        default="local",
        server_default="local",
        comment="'local' (password) or 'sso' (OpenID Connect)",
    )
    sso_subject: Mapped[str | None] = mapped_column(
        String(300), unique=True, index=True, comment="issuer and subject of a single sign-on account"
    )


class SignInThrottle(Base):
    """Recent failed sign-ins for one account or one client (see :mod:`triage.records.throttle`)."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="SHA-256 of kind and name or address"
    )
    kind: Mapped[str] = mapped_column(String(10), comment="'account' or 'client'")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None] = mapped_column()


class AuditEntry(Base):
    """One line of the audit log: a sign-in, a failure, a throttle, or a change to an account."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_user_at", "username", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    event: Mapped[str] = mapped_column(String(30))
    username: Mapped[str] = mapped_column(String(100), comment="the account, or the name typed at sign-in")
    actor: Mapped[str | None] = mapped_column(String(100), comment="who changed the account")
    client: Mapped[str | None] = mapped_column(String(64), comment="the browser's address, when known")
    detail: Mapped[str] = mapped_column(
        Text, default="", comment="internal: why a sign-in failed, what changed"
    )


class Flag(Base):
    """An agent's report that a step is wrong or unclear; shown to authors beside the node."""

    __tablename__ = "flags"
    __table_args__ = (Index("ix_flags_tree_status", "tree_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_id: Mapped[str] = mapped_column(String(100))
    tree_version: Mapped[int | None] = mapped_column(Integer)
    node_id: Mapped[str] = mapped_column(String(100))
    session_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), comment="'wrong' or 'unclear'")
    comment: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="open")
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column()


class Outage(Base):
    """A declared outage of a service in a region: no technician is booked for it while it lasts."""

    __tablename__ = "outages"
    __table_args__ = (Index("ix_outages_region_service", "region", "service"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region: Mapped[str] = mapped_column(
        String(100), comment="as customers' `region` facts, compared ignoring case"
    )
    service: Mapped[str] = mapped_column(String(40), comment="a tree's `service`: internet, tv, phone")
    starts_at: Mapped[datetime] = mapped_column()
    expected_end: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
    message: Mapped[dict[str, Any]] = mapped_column(comment="locale -> what customers are told")
    declared_by: Mapped[str] = mapped_column(String(100))
    declared_at: Mapped[datetime] = mapped_column()
    ended_by: Mapped[str | None] = mapped_column(String(100))


class OutageNotice(Base):
    """A customer who asked to be told when an outage ends."""

    __tablename__ = "outage_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outage_id: Mapped[int] = mapped_column(ForeignKey("outages.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str | None] = mapped_column(String(64))
    contact: Mapped[str] = mapped_column(String(200), comment="phone number or e-mail address")
    locale: Mapped[str] = mapped_column(String(20), default="en")
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()


class Shipment(Base):
    """A part sent to a customer to swap themselves; its status follows it to the door and back."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(100))
    parts: Mapped[list[Any]] = mapped_column(comment="[{part, quantity}]")
    address: Mapped[str | None] = mapped_column(Text)
    address_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    return_old: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="requested", index=True)
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    updated_by: Mapped[str | None] = mapped_column(String(100))


class Repair(Base):
    """A send-in repair: the device travels to a repair centre against an RMA reference."""

    __tablename__ = "repairs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rma: Mapped[str] = mapped_column(String(30), unique=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(100))
    depot: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="awaiting_device", index=True)
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    updated_by: Mapped[str | None] = mapped_column(String(100))


class FollowUp(Base):
    """Check again with the customer N days after a fix ("resolved - check again in 3 days")."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column()
    what: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open", comment="open, held (fix lasted), failed")
    created_at: Mapped[datetime] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()
    done_by: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[str | None] = mapped_column(Text)


class RemoteStatus(Base):
    """The demo provider's simulated status of one customer's line or device (a real provider asks the network)."""

    __tablename__ = "remote_status"
    __table_args__ = (UniqueConstraint("customer_id", "system", name="uq_remote_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(100), comment="'*' for every customer without a row")
    system: Mapped[str] = mapped_column(String(40), comment="line_test, box_status, refresh_box")
    value: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    delay_seconds: Mapped[float] = mapped_column(Float, default=0.0, comment="simulated latency")
    updated_at: Mapped[datetime] = mapped_column()


class StaffSession(Base):
    """One signed-in browser of a staff member: the cookie holds a random token, this row only its SHA-256."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of the cookie's token")
    username: Mapped[str] = mapped_column(String(100), index=True)
    via: Mapped[str] = mapped_column(String(10), comment="'password' or 'sso'")
    created_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    client: Mapped[str | None] = mapped_column(String(64), comment="the browser's address at sign-in")


class CustomerContact(Base):
    """How to reach the customer of one session, with their consent; erased on request or after the retention."""

    __tablename__ = "customer_contacts"

    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    consent_at: Mapped[datetime] = mapped_column(comment="when the customer agreed to be contacted")
    consent_locale: Mapped[str] = mapped_column(
        String(20), comment="the language the consent text was shown in"
    )
    address: Mapped[str | None] = mapped_column(Text, comment="street and number, for a visit or a parcel")
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100), comment="from the postcode table, never typed")
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column()
    updated_by: Mapped[str | None] = mapped_column(
        String(100), comment="the agent who last edited it, if any"
    )


# -- analytics rollups (migration 0015): per started day x tree version x mode x locale; see triage.records.rollups


class _RollupKeys:
    """The columns every rollup row is keyed by: the session's UTC start day and what the filters select on."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[str] = mapped_column(String(10), index=True)
    tree_id: Mapped[str] = mapped_column(String(100))
    root_version: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(20))


class RollupCell(_RollupKeys, Base):
    """Session counts per day, tree version, mode, locale and number of steps (the steps median's histogram)."""

    __tablename__ = "rollup_cells"

    steps: Mapped[int] = mapped_column(Integer)
    sessions: Mapped[int] = mapped_column(Integer)
    decided: Mapped[int] = mapped_column(Integer)
    abandoned: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    escalated: Mapped[int] = mapped_column(Integer)
    home_visits: Mapped[int] = mapped_column(Integer)
    parts_shipped: Mapped[int] = mapped_column(Integer)
    repairs: Mapped[int] = mapped_column(Integer)
    diagnoses: Mapped[int] = mapped_column(Integer)
    handovers: Mapped[int] = mapped_column(Integer)
    fcr: Mapped[int] = mapped_column(Integer)
    undecided: Mapped[int] = mapped_column(Integer)


class RollupDuration(_RollupKeys, Base):
    """Decided sessions per whole second from start to decision: the histogram of the minutes median."""

    __tablename__ = "rollup_durations"

    secs: Mapped[int] = mapped_column(Integer)
    w: Mapped[int] = mapped_column(Integer)


class RollupOutcome(_RollupKeys, Base):
    """Decided sessions per decision kind, and how many of them outcome truth overturned."""

    __tablename__ = "rollup_outcomes"

    decision_kind: Mapped[str | None] = mapped_column(String(20))
    sessions: Mapped[int] = mapped_column(Integer)
    overturned: Mapped[int] = mapped_column(Integer)


class RollupFault(_RollupKeys, Base):
    """Sessions per true fault found at closure."""

    __tablename__ = "rollup_faults"

    true_fault: Mapped[str] = mapped_column(String(100))
    sessions: Mapped[int] = mapped_column(Integer)


class RollupAnswer(_RollupKeys, Base):
    """Step events per node of the selected sessions, by what they answered (the action fix rates)."""

    __tablename__ = "rollup_answers"

    node_tree: Mapped[str | None] = mapped_column(String(100))
    node_id: Mapped[str | None] = mapped_column(String(100))
    answered: Mapped[int] = mapped_column(Integer)
    fixed: Mapped[int] = mapped_column(Integer)
    not_fixed: Mapped[int] = mapped_column(Integer)
    could_not: Mapped[int] = mapped_column(Integer)
    tried: Mapped[int] = mapped_column(Integer)


class RollupDrop(_RollupKeys, Base):
    """Sessions abandoned (as of rollup_state.as_of) per last step."""

    __tablename__ = "rollup_drops"

    last_tree: Mapped[str | None] = mapped_column(String(100))
    last_node: Mapped[str] = mapped_column(String(100))
    drop_offs: Mapped[int] = mapped_column(Integer)


class RollupState(Base):
    """The compaction's watermark and its lock: one row per rollup family (``analytics``)."""

    __tablename__ = "rollup_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    as_of: Mapped[datetime | None] = mapped_column()
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column()


class RollupDirty(Base):
    """Start days whose sessions changed without touching updated_at (outcome truth, closure, deletion).

    Filled by database triggers (migration 0015), so no write path has to remember it.
    """

    __tablename__ = "rollup_dirty"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column()


# the compaction finds the sessions changed since its last run by this (migration 0015)
Index("ix_sessions_updated", SessionRow.updated_at)
