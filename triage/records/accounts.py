"""Staff accounts: local users with hashed passwords and roles, and which pages each role may open.

Passwords are hashed with scrypt from the standard library (salted, memory-hard); nothing else needs
installing. Roles:

=============  ==============================================================
``agent``      the agent console (guided walks on live calls)
``tier2``      the escalation queue
``dispatcher`` home visits: bookings, reschedules, technician closures
``author``     the author studio (edit, preview, publish trees)
``admin``      everything, plus the analytics dashboard and user management
=============  ==============================================================

Analytics is open to ``admin`` and ``tier2`` (support managers). Self-service needs no account.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from triage.errors import AuthError
from triage.records.schema import User, utcnow

if TYPE_CHECKING:
    from triage.records.store import Store

__all__ = [
    "ROLES",
    "PAGES",
    "Accounts",
    "AuthError",
    "Identity",
    "allowed_pages",
    "hash_password",
    "verify_password",
]

ROLES = ("agent", "tier2", "dispatcher", "author", "admin")

# page key -> roles that may open it ("public" pages need no sign-in)
PAGES: dict[str, tuple[str, ...]] = {
    "self_service": ("public",),
    "sign_in": ("public",),
    "agent": ("agent", "tier2", "admin"),
    "queue": ("tier2", "admin"),
    "dispatch": ("dispatcher", "admin"),
    "studio": ("author", "admin"),
    "analytics": ("tier2", "admin", "author"),
    "users": ("admin",),
}

_N, _R, _P = 2**14, 8, 1


@dataclass(frozen=True)
class Identity:
    """Who is signed in."""

    username: str
    display_name: str
    roles: tuple[str, ...]

    def may_open(self, page: str) -> bool:
        """Whether this person's roles let them open ``page``."""
        return page in allowed_pages(self.roles)


def allowed_pages(roles: tuple[str, ...] | list[str] | None) -> list[str]:
    """Page keys a person with these roles may open (public pages always)."""
    have = set(roles or ())
    return [p for p, who in PAGES.items() if "public" in who or have & set(who)]


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``, with its parameters, for the users table."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash from :func:`hash_password` (compared in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(
        password.encode("utf-8"),
        salt=bytes.fromhex(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(digest) // 2,
    )
    return hmac.compare_digest(got.hex(), digest)


class Accounts:
    """User management on top of a :class:`~triage.records.store.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def count(self) -> int:
        """How many users there are, active or not."""
        with self.store.tx() as db:
            return int(db.scalar(select(func.count()).select_from(User)) or 0)

    def create(self, username: str, password: str, roles: list[str], display_name: str = "") -> Identity:
        """Add a user. Usernames are unique; roles must be known; passwords at least 8 characters."""
        username = username.strip().lower()
        if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise AuthError(f"username {username!r} must be letters, digits, '.', '-' or '_'")
        if len(password) < 8:
            raise AuthError("a password needs at least 8 characters")
        bad = [r for r in roles if r not in ROLES]
        if bad or not roles:
            raise AuthError(
                f"unknown role {bad[0]!r}; roles are: {', '.join(ROLES)}" if bad else "give at least one role"
            )
        with self.store.tx() as db:
            if db.scalar(select(User).where(User.username == username)) is not None:
                raise AuthError(f"user {username!r} already exists")
            db.add(
                User(
                    username=username,
                    display_name=display_name or username,
                    password_hash=hash_password(password),
                    roles=list(roles),
                    active=True,
                    created_at=utcnow(),
                )
            )
        return Identity(username, display_name or username, tuple(roles))

    def authenticate(self, username: str, password: str, now: datetime | None = None) -> Identity:
        """The identity for a correct username and password; :class:`AuthError` otherwise (same message either way)."""
        username = username.strip().lower()
        with self.store.tx() as db:
            user = db.scalar(select(User).where(User.username == username))
            if user is None or not user.active or not verify_password(password, user.password_hash):
                raise AuthError("wrong username or password")
            user.last_login_at = now or utcnow()
            return Identity(user.username, user.display_name, tuple(user.roles))

    def set_password(self, username: str, password: str) -> None:
        """Give a user a new password (at least 8 characters)."""
        if len(password) < 8:
            raise AuthError("a password needs at least 8 characters")
        with self.store.tx() as db:
            user = db.scalar(select(User).where(User.username == username.strip().lower()))
            if user is None:
                raise AuthError(f"no user {username!r}")
            user.password_hash = hash_password(password)

    def users(self) -> list[Identity]:
        """Every user, by username."""
        with self.store.tx() as db:
            return [
                Identity(u.username, u.display_name, tuple(u.roles))
                for u in db.scalars(select(User).order_by(User.username)).all()
            ]

    def ensure_admin(self, password: str | None = None) -> str | None:
        """On first start (no users at all) create ``admin``; return the password if one was generated."""
        if self.count() > 0:
            return None
        generated = password is None
        pw = password or secrets.token_urlsafe(12)
        try:
            self.create("admin", pw, ["admin"], "Administrator")
        except AuthError:
            if self.count() > 0:  # another instance created it at the same moment
                return None
            raise
        return pw if generated else None
