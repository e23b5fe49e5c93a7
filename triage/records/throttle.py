"""Sign-in throttling: failed attempts counted per account and per client, with a back-off, in the database.

The counts live in the ``sign_in_throttle`` table, so every app instance (and the CLI) sees the same ones, on
SQLite and on PostgreSQL alike; each failure is one atomic upsert, so two instances failing at once both count.

After ``account_free`` failures for a user name (known or not: an unknown name is throttled like a real one,
so throttling does not tell which names exist), or ``client_free`` from one browser address, each further
failure blocks that key for ``first_delay`` seconds, doubling up to ``max_delay``. Failures are forgotten
``forget_after`` the last one; a successful sign-in forgets the account's (not the client's: one valid
account must not reset a client that is guessing others).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as DBSession

from triage.records.schema import SignInThrottle

__all__ = ["Key", "ThrottlePolicy", "account_key", "client_key", "forget", "record_failure", "retry_after"]


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free, and how the wait grows after them."""

    account_free: int = 5
    """Failed sign-ins for one user name before each further one makes it wait."""
    client_free: int = 20
    """Failed sign-ins from one browser address (any user names) before each further one makes it wait."""
    first_delay: float = 2.0
    """Seconds of the first wait; each further failure doubles it."""
    max_delay: float = 900.0
    """The longest wait, in seconds."""
    forget_after: timedelta = timedelta(hours=1)
    """Failures are forgotten this long after the last one."""

    def delay(self, failures: int, free: int) -> float | None:
        """Seconds to wait after ``failures`` failures when ``free`` are allowed, or ``None`` for no wait."""
        if failures < free:
            return None
        return min(self.first_delay * 2.0 ** min(failures - free, 64), self.max_delay)


@dataclass(frozen=True)
class Key:
    """What is counted: an account (by folded user name) or a client (by address)."""

    kind: str
    value: str

    @property
    def digest(self) -> str:
        """The row key: a hash, so the table holds no names or addresses and every key has the same length."""
        return hashlib.sha256(f"{self.kind}\0{self.value}".encode()).hexdigest()


def account_key(username: str) -> Key:
    """The key of a user name (already folded)."""
    return Key("account", username)


def client_key(address: str | None) -> Key | None:
    """The key of a browser address, or ``None`` when there is none (the CLI, or the server's own machine)."""
    return Key("client", address) if address else None


def retry_after(db: DBSession, keys: Sequence[Key], now: datetime) -> float | None:
    """Seconds until every key may try again, or ``None`` if none of them is blocked now."""
    until = db.scalars(
        select(SignInThrottle.blocked_until).where(
            SignInThrottle.key.in_([k.digest for k in keys]), SignInThrottle.blocked_until > now
        )
    ).all()
    waits = [(u - now).total_seconds() for u in until if u is not None]
    return float(math.ceil(max(waits))) if waits else None


def record_failure(db: DBSession, keys: Sequence[Key], policy: ThrottlePolicy, now: datetime) -> None:
    """Count one failed sign-in against each key, and block the keys that are past their free failures."""
    cutoff = now - policy.forget_after
    for key in keys:
        failures = _count(db, key, now, cutoff)
        free = policy.account_free if key.kind == "account" else policy.client_free
        wait = policy.delay(failures, free)
        if wait is not None:
            db.execute(
                update(SignInThrottle)
                .where(SignInThrottle.key == key.digest)
                .values(blocked_until=now + timedelta(seconds=wait))
            )
    # keep the table small: drop keys nobody has failed with for a while and that block nothing
    db.execute(
        delete(SignInThrottle).where(
            SignInThrottle.last_failure_at < cutoff,
            or_(SignInThrottle.blocked_until.is_(None), SignInThrottle.blocked_until < now),
        )
    )


def forget(db: DBSession, key: Key) -> None:
    """Forget a key's failures (after a successful sign-in)."""
    db.execute(delete(SignInThrottle).where(SignInThrottle.key == key.digest))


def _count(db: DBSession, key: Key, now: datetime, cutoff: datetime) -> int:
    """Add one failure to ``key`` in one atomic statement (restarting from 1 if the last was long ago)."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(SignInThrottle).values(key=key.digest, kind=key.kind, failures=1, last_failure_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SignInThrottle.key],
        set_={
            "failures": case((SignInThrottle.last_failure_at < cutoff, 1), else_=SignInThrottle.failures + 1),
            "last_failure_at": now,
        },
    )
    return int(db.execute(stmt.returning(SignInThrottle.failures)).scalar_one())
