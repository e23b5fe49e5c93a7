"""Staff sign-in sessions: one row per signed-in browser, so a sign-in survives a refresh, a new tab or a link.

The browser keeps a random token (in a signed cookie, see :mod:`triage.desk.staff`); the table keeps only its
SHA-256, so a copy of the database signs nobody in. :meth:`StaffSessions.check` answers with the account's
*current* :class:`~triage.records.accounts.Identity` on every page run: a deactivated or deleted account gets
``None``, a demoted one its new roles, at once. A session ends when it is revoked (sign out, sign out
everywhere, the account deactivated: :meth:`~triage.records.accounts.Accounts.deactivate` revokes them all),
when it was idle too long, or when it is older than the absolute limit, whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, or_, select, update

from triage.errors import AuthError
from triage.records import audit, names
from triage.records.accounts import Identity
from triage.records.schema import StaffSession, User, utcnow

if TYPE_CHECKING:
    from triage.records.store import Store

__all__ = ["MAX_TOKEN", "TOUCH_EVERY", "VIA", "StaffSessions", "token_hash"]

VIA = ("password", "sso")
"""How a person signed in."""

TOUCH_EVERY = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often per session: a page run is a read, not a write."""

MAX_TOKEN = 200
"""Longer "tokens" are never looked up (ours are 43 characters)."""


def token_hash(token: str) -> str:
    """The SHA-256 (hex) the table keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffSessions:
    """Open, check and revoke staff sign-in sessions in a :class:`~triage.records.store.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def open(
        self,
        username: str,
        via: str,
        client: str | None = None,
        token: str | None = None,
        *,
        now: datetime | None = None,
    ) -> str:
        """Start a session for the active account ``username`` signed in ``via`` a password or SSO; the token.

        The token is a fresh ``secrets.token_urlsafe(32)`` unless one is given; only its hash is stored.
        An unknown or deactivated account is refused with :class:`~triage.errors.AuthError`.
        """
        if via not in VIA:
            raise ValueError(f"via must be one of {', '.join(VIA)} (got {via!r})")
        token = token or secrets.token_urlsafe(32)
        if len(token) > MAX_TOKEN:
            raise ValueError(f"a session token is at most {MAX_TOKEN} characters (got {len(token)})")
        now = now or utcnow()
        with self.store.tx() as db:
            user = db.scalar(select(User).where(User.username == names.fold(username)))
            if user is None or not user.active:
                raise AuthError(f"no active user {username!r} to sign in")
            db.add(
                StaffSession(
                    token_hash=token_hash(token),
                    username=user.username,
                    via=via,
                    created_at=now,
                    last_seen_at=now,
                    client=client[:64] if client else None,
                )
            )
        return token

    def check(
        self, token: str, *, idle: timedelta, absolute: timedelta, now: datetime | None = None
    ) -> Identity | None:
        """Who holds ``token`` now, or ``None``: unknown, revoked, idle longer than ``idle``, older than
        ``absolute``, or the account deactivated or gone. A session in use is marked seen (once a minute)."""
        if not token or len(token) > MAX_TOKEN:
            return None
        now = now or utcnow()
        with self.store.tx() as db:
            row = db.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
            if row is None or row.revoked_at is not None:
                return None
            if now - row.last_seen_at > idle or now - row.created_at > absolute:
                return None
            user = db.scalar(select(User).where(User.username == row.username))
            if user is None or not user.active:
                return None
            if now - row.last_seen_at >= TOUCH_EVERY:
                row.last_seen_at = now
            return Identity(user.username, user.display_name, tuple(user.roles))

    def revoke(self, token: str, *, now: datetime | None = None) -> str | None:
        """End the session of ``token`` (sign out this browser); the user it belonged to, if it was open."""
        if not token or len(token) > MAX_TOKEN:
            return None
        now = now or utcnow()
        with self.store.tx() as db:
            row = db.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
            if row is None or row.revoked_at is not None:
                return None
            row.revoked_at = now
            audit.record(db, "signed_out", row.username, now, actor=row.username, detail="this browser")
            return row.username

    def revoke_all(self, username: str, *, actor: str | None = None, now: datetime | None = None) -> int:
        """End every open session of ``username`` (sign out everywhere); how many were open."""
        now = now or utcnow()
        username = names.fold(username)
        with self.store.tx() as db:
            ended = db.execute(
                update(StaffSession)
                .where(StaffSession.username == username, StaffSession.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount  # type: ignore[attr-defined]  # a CursorResult for DML
            detail = f"everywhere: {ended} browser session(s)"
            audit.record(db, "signed_out", username, now, actor=actor or username, detail=detail)
        return int(ended or 0)

    def open_count(
        self, username: str, *, idle: timedelta, absolute: timedelta, now: datetime | None = None
    ) -> int:
        """How many sessions of ``username`` are still open (not revoked, not timed out)."""
        now = now or utcnow()
        with self.store.tx() as db:
            return int(
                db.scalar(
                    select(func.count())
                    .select_from(StaffSession)
                    .where(
                        StaffSession.username == username,
                        StaffSession.revoked_at.is_(None),
                        StaffSession.last_seen_at >= now - idle,
                        StaffSession.created_at >= now - absolute,
                    )
                )
                or 0
            )

    def purge(
        self, *, absolute: timedelta, keep: timedelta = timedelta(days=7), now: datetime | None = None
    ) -> int:
        """Delete sessions that cannot be used any more, ``keep`` after they ended; how many were deleted.

        A session has surely ended ``absolute`` after it was created, or when it was revoked; the rows stay
        ``keep`` longer for whoever looks into a sign-in.
        """
        now = now or utcnow()
        cutoff = now - keep
        with self.store.tx() as db:
            gone = db.execute(
                delete(StaffSession).where(
                    or_(StaffSession.created_at < cutoff - absolute, StaffSession.revoked_at < cutoff)
                )
            ).rowcount  # type: ignore[attr-defined]  # a CursorResult for DML
        return int(gone or 0)
