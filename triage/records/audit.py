"""The audit log: who signed in, who failed and why, who was throttled, and every change to an account.

Each line is written in the same transaction as what it records, so the log never claims a change that was
rolled back, nor misses one that was kept. Why a sign-in failed (``unknown user``, ``wrong password``,
``deactivated``) is kept here only: the person at the sign-in page always reads the same message.
``triage audit`` prints the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from triage.records.schema import AuditEntry

if TYPE_CHECKING:
    from triage.records.store import Store

__all__ = ["EVENTS", "AuditRecord", "entries", "record"]

EVENTS = (
    "signed_in",
    "signed_out",
    "sign_in_failed",
    "throttled",
    "user_added",
    "roles_changed",
    "deactivated",
    "reactivated",
    "password_changed",
    "contact_forgotten",
    "contacts_purged",
)
"""What the log records."""


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit log."""

    at: datetime
    event: str
    username: str
    actor: str | None
    client: str | None
    detail: str


def record(
    db: DBSession,
    event: str,
    username: str,
    now: datetime,
    *,
    actor: str | None = None,
    client: str | None = None,
    detail: str = "",
) -> None:
    """Add a line to the log in ``db``'s transaction (a typed name or address is cut to its column's size)."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}; events are: {', '.join(EVENTS)}")
    db.add(
        AuditEntry(
            at=now,
            event=event,
            username=username[:100],
            actor=actor[:100] if actor else None,
            client=client[:64] if client else None,
            detail=detail,
        )
    )


def entries(
    store: Store, *, username: str | None = None, since: datetime | None = None, limit: int = 100
) -> list[AuditRecord]:
    """The newest ``limit`` lines, newest first, optionally only about ``username`` or only from ``since`` on."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if username is not None:
        query = query.where(AuditEntry.username == username)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    with store.tx() as db:
        return [
            AuditRecord(e.at, e.event, e.username, e.actor, e.client, e.detail)
            for e in db.scalars(query).all()
        ]
