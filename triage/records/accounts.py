"""Staff accounts: local users with hashed passwords and roles, and which pages each role may open.

Roles:

=============  ==============================================================
``agent``      the agent console (guided walks on live calls)
``tier2``      the escalation queue
``dispatcher`` home visits: bookings, reschedules, technician closures
``author``     the author studio (edit, preview, publish trees)
``admin``      everything, plus the analytics dashboard and user management
=============  ==============================================================

Analytics is open to ``admin`` and ``tier2`` (support managers). The outage board is open to agents and to
supervisors (``tier2``, ``admin``): they declare and end outages. Self-service needs no account.

Signing in (:meth:`Accounts.authenticate`) is throttled per account and per client
(:mod:`~triage.records.throttle`), costs the same for unknown users as for known ones
(:func:`~triage.records.passwords.dummy_hash`), replaces an old hash on success
(:mod:`~triage.records.passwords`), and leaves a line in the audit log (:mod:`~triage.records.audit`), as
does every change to an account. User names are checked by :mod:`~triage.records.names`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as DBSession

from triage.errors import AuthError, SignInThrottled
from triage.records import audit, names, passwords, throttle
from triage.records.passwords import hash_password, verify_password
from triage.records.schema import StaffSession, User, utcnow
from triage.records.throttle import ThrottlePolicy

if TYPE_CHECKING:
    from triage.records.store import Store

__all__ = [
    "PAGES",
    "ROLES",
    "Account",
    "Accounts",
    "AuthError",
    "Identity",
    "ThrottlePolicy",
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
    "outages": ("agent", "tier2", "admin"),
    "fulfilment": ("agent", "tier2", "dispatcher", "admin"),
    "studio": ("author", "admin"),
    "analytics": ("tier2", "admin", "author"),
    "users": ("admin",),
}

MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # long enough for any passphrase; a megabyte "password" would only cost hashing time
WRONG = "wrong username or password"


@dataclass(frozen=True)
class Identity:
    """Who is signed in."""

    username: str
    display_name: str
    roles: tuple[str, ...]

    def may_open(self, page: str) -> bool:
        """Whether this person's roles let them open ``page``."""
        return page in allowed_pages(self.roles)


@dataclass(frozen=True)
class Account:
    """A staff account as the users list shows it."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    active: bool
    last_login_at: datetime | None


def allowed_pages(roles: tuple[str, ...] | list[str] | None) -> list[str]:
    """Page keys a person with these roles may open (public pages always)."""
    have = set(roles or ())
    return [p for p, who in PAGES.items() if "public" in who or have & set(who)]


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AuthError(f"a password is at most {MAX_PASSWORD:,} characters")


def _check_roles(roles: Sequence[str]) -> list[str]:
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise AuthError(f"unknown role {bad[0]!r}; roles are: {', '.join(ROLES)}")
    if not roles:
        raise AuthError("give at least one role")
    return list(dict.fromkeys(roles))


def _end_staff_sessions(db: DBSession, username: str, now: datetime) -> int:
    """Revoke every open sign-in session of ``username`` (see :mod:`~triage.records.staff_sessions`)."""
    result = db.execute(
        update(StaffSession)
        .where(StaffSession.username == username, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a CursorResult for DML


def _ended(count: int) -> str:
    return f"signed out of {count} browser session(s)" if count else ""


class Accounts:
    """User management and sign-in on top of a :class:`~triage.records.store.Store`."""

    def __init__(self, store: Store, policy: ThrottlePolicy | None = None) -> None:
        self.store = store
        self.policy = policy or ThrottlePolicy()

    def count(self) -> int:
        """How many users there are, active or not."""
        with self.store.tx() as db:
            return int(db.scalar(select(func.count()).select_from(User)) or 0)

    def create(
        self,
        username: str,
        password: str,
        roles: Sequence[str],
        display_name: str = "",
        *,
        actor: str | None = None,
    ) -> Identity:
        """Add a user: a valid, unused name (see :mod:`~triage.records.names`), known roles, a password of 8+."""
        username = names.user_name(username)
        shown = names.display_name(display_name) or username
        _check_password(password)
        roles = _check_roles(roles)
        now = utcnow()
        with self.store.tx() as db:
            if db.scalar(select(User).where(User.username == username)) is not None:
                raise AuthError(f"user {username!r} already exists")
            db.add(
                User(
                    username=username,
                    display_name=shown,
                    password_hash=hash_password(password),
                    roles=roles,
                    active=True,
                    created_at=now,
                )
            )
            audit.record(db, "user_added", username, now, actor=actor, detail="roles: " + ", ".join(roles))
        return Identity(username, shown, tuple(roles))

    # -- signing in ---------------------------------------------------------------------------------------------

    def authenticate(
        self, username: str, password: str, now: datetime | None = None, *, client: str | None = None
    ) -> Identity:
        """The identity for a correct user name and password.

        Otherwise :class:`~triage.errors.AuthError` with the same message whatever was wrong (the reason goes
        to the audit log), or :class:`~triage.errors.SignInThrottled` while the account or ``client`` (the
        browser's address) must wait. An unknown user costs as much time as a known one.
        """
        now = now or utcnow()
        name = names.fold(username)[:200]
        keys = [throttle.account_key(name)]
        if (ck := throttle.client_key(client)) is not None:
            keys.append(ck)
        self._refuse_if_throttled(name, keys, now, client)
        user, ok = self._verify(name, password)
        reason = self._why_not(user, ok)
        with self.store.tx() as db:
            if reason is not None:
                throttle.record_failure(db, keys, self.policy, now)
                audit.record(db, "sign_in_failed", name, now, client=client, detail=reason)
            else:
                ident = self._signed_in(db, name, password, keys[0], now, client)
        if reason is not None:
            raise AuthError(WRONG)
        return ident

    def _refuse_if_throttled(
        self, name: str, keys: list[throttle.Key], now: datetime, client: str | None
    ) -> None:
        with self.store.tx() as db:
            wait = throttle.retry_after(db, keys, now)
            if wait is not None:
                audit.record(db, "throttled", name, now, client=client, detail=f"retry after {wait:.0f} s")
        if wait is not None:
            raise SignInThrottled(f"Too many attempts; try again in {wait:.0f} s", wait)

    def _verify(self, name: str, password: str) -> tuple[User | None, bool]:
        """The user (if any) and whether the password is theirs, always at the cost of one full hash check."""
        with self.store.tx() as db:
            user = db.scalar(select(User).where(User.username == name))
        dummy = passwords.dummy_hash()  # made before either path, so the first unknown user costs no extra
        if len(password) > MAX_PASSWORD:
            return user, False
        ok = verify_password(password, user.password_hash if user is not None else dummy)
        return user, ok and user is not None

    @staticmethod
    def _why_not(user: User | None, ok: bool) -> str | None:
        if user is None:
            return "unknown user"
        if not ok:
            return "wrong password"
        return None if user.active else "deactivated"

    def _signed_in(
        self, db: DBSession, name: str, password: str, key: throttle.Key, now: datetime, client: str | None
    ) -> Identity:
        user = db.scalars(select(User).where(User.username == name)).one()
        user.last_login_at = now
        detail = ""
        if passwords.needs_rehash(user.password_hash):  # an older scheme or weaker parameters: upgrade it now
            user.password_hash = hash_password(password)
            detail = "password hash upgraded"
        throttle.forget(db, key)
        audit.record(db, "signed_in", name, now, client=client, detail=detail)
        return Identity(user.username, user.display_name, tuple(user.roles))

    def current(self, username: str) -> Identity | None:
        """The identity of ``username`` as the store has it now; ``None`` if deleted or deactivated."""
        with self.store.tx() as db:
            user = db.scalar(select(User).where(User.username == username))
            if user is None or not user.active:
                return None
            return Identity(user.username, user.display_name, tuple(user.roles))

    # -- changing accounts --------------------------------------------------------------------------------------

    def set_password(self, username: str, password: str, *, actor: str | None = None) -> None:
        """Give a user a new password (at least 8 characters); every browser signed in with the old one is
        signed out (a reset after a leak must not leave the leaker signed in)."""
        _check_password(password)
        now = utcnow()
        with self.store.tx() as db:
            user = self._user(db, username)
            if user.auth == "sso":
                # its password lives at the identity provider; a local one would be a second way in
                raise AuthError(
                    f"{user.username} signs in with single sign-on; change the password at the identity provider"
                )
            user.password_hash = hash_password(password)
            ended = _end_staff_sessions(db, user.username, now)
            audit.record(db, "password_changed", user.username, now, actor=actor, detail=_ended(ended))

    def set_roles(self, username: str, roles: Sequence[str], *, actor: str | None = None) -> Identity:
        """Give a user these roles (the last active admin keeps ``admin``)."""
        roles = _check_roles(roles)
        now = utcnow()
        with self.store.tx() as db:
            user = self._user(db, username)
            old = list(user.roles)
            if "admin" in old and "admin" not in roles and user.active:
                self._keep_an_admin(db, user)
            user.roles = roles
            if old != roles:
                detail = f"{', '.join(old)} -> {', '.join(roles)}"
                audit.record(db, "roles_changed", user.username, now, actor=actor, detail=detail)
            return Identity(user.username, user.display_name, tuple(roles))

    def deactivate(self, username: str, *, actor: str | None = None) -> None:
        """Stop a user signing in and end their sign-in sessions: one signed in loses access on their next
        click (the last admin stays)."""
        self._set_active(username, False, actor)

    def reactivate(self, username: str, *, actor: str | None = None) -> None:
        """Let a deactivated user sign in again."""
        self._set_active(username, True, actor)

    def _set_active(self, username: str, active: bool, actor: str | None) -> None:
        now = utcnow()
        with self.store.tx() as db:
            user = self._user(db, username)
            if user.active == active:
                return
            if not active and "admin" in user.roles:
                self._keep_an_admin(db, user)
            user.active = active
            if active:
                audit.record(db, "reactivated", user.username, now, actor=actor)
                return
            # the browsers they are signed in on are out on their next click, not at their time-out
            ended = _end_staff_sessions(db, user.username, now)
            audit.record(db, "deactivated", user.username, now, actor=actor, detail=_ended(ended))

    @staticmethod
    def _user(db: DBSession, username: str) -> User:
        user = db.scalar(select(User).where(User.username == names.fold(username)))
        if user is None:
            raise AuthError(f"no user {username!r}")
        return user

    @staticmethod
    def _keep_an_admin(db: DBSession, user: User) -> None:
        others = db.scalars(select(User).where(User.active.is_(True), User.id != user.id)).all()
        if not any("admin" in u.roles for u in others):
            raise AuthError(f"{user.username!r} is the last active admin; make someone else admin first")

    # -- listing ------------------------------------------------------------------------------------------------

    def users(self) -> list[Account]:
        """Every user, active or not, by username."""
        with self.store.tx() as db:
            return [
                Account(u.username, u.display_name, tuple(u.roles), u.active, u.last_login_at)
                for u in db.scalars(select(User).order_by(User.username)).all()
            ]

    def ensure_admin(self, password: str | None = None) -> str | None:
        """On first start (no users at all) create ``admin``; return the password if one was generated."""
        if self.count() > 0:
            return None
        generated = password is None
        pw = password or secrets.token_urlsafe(12)
        try:
            self.create("admin", pw, ["admin"], "Administrator", actor="startup")
        except AuthError:
            if self.count() > 0:  # another instance created it at the same moment
                return None
            raise
        return pw if generated else None

    # -- single sign-on -----------------------------------------------------------------------------------------

    SSO_NO_PASSWORD = "!sso"
    """The password hash of a single sign-on account: no hash at all, so no password ever matches it."""

    def sso_sign_in(
        self,
        subject: str,
        username: str,
        display_name: str,
        roles: Sequence[str],
        now: datetime | None = None,
        *,
        client: str | None = None,
    ) -> Identity:
        """The identity of the person the identity provider vouched for as ``subject`` (``"issuer|sub"``).

        The first sign-in adds the account (``auth='sso'``, no password); each one gives it the roles the
        provider grants now (unknown ones ignored). Refused with :class:`~triage.errors.AuthError`, and written
        to the audit log, when no role is granted, when an admin deactivated the account (whatever the provider
        says), or when ``username`` belongs to another account (a local account is never taken over).
        """
        now = now or utcnow()
        name = self._sso_user_name(username)
        shown = names.display_name(display_name) or name
        wanted = [r for r in dict.fromkeys(roles) if r in ROLES]
        with self.store.tx() as db:
            user = db.scalar(select(User).where(User.sso_subject == subject))
            reason = self._sso_refusal(db, user, name, wanted)
            if reason is not None:
                who = user.username if user is not None else name
                detail = f"single sign-on: {reason}"
                audit.record(db, "sign_in_failed", who, now, client=client, detail=detail)
            else:
                ident = self._sso_signed_in(db, user, subject, name, shown, wanted, now, client)
        if reason is not None:
            raise AuthError(self._SSO_REFUSALS[reason].format(name=name))
        return ident

    _SSO_REFUSALS = {
        "no role": "your single sign-on account has no role here; ask your administrator for one",
        "deactivated": "this account has been deactivated; ask an administrator",
        "name taken": "the user name {name!r} belongs to another account; ask an administrator",
    }

    @staticmethod
    def _sso_user_name(value: str) -> str:
        # an e-mail address is a fine name here: the provider vouches for it; the other checks still apply
        names.user_name(value.replace("@", "."))
        return names.fold(value)

    @staticmethod
    def _sso_refusal(db: DBSession, user: User | None, name: str, roles: list[str]) -> str | None:
        if user is not None:
            return None if user.active and roles else ("no role" if user.active else "deactivated")
        if db.scalar(select(User).where(User.username == name)) is not None:
            return "name taken"
        return None if roles else "no role"

    def _sso_signed_in(
        self,
        db: DBSession,
        user: User | None,
        subject: str,
        name: str,
        shown: str,
        roles: list[str],
        now: datetime,
        client: str | None,
    ) -> Identity:
        actor = "single sign-on"
        if user is None:
            user = User(
                username=name,
                display_name=shown,
                password_hash=self.SSO_NO_PASSWORD,
                roles=roles,
                active=True,
                created_at=now,
                auth="sso",
                sso_subject=subject,
            )
            db.add(user)
            audit.record(db, "user_added", name, now, actor=actor, detail="roles: " + ", ".join(roles))
        elif list(user.roles) != roles:
            detail = f"{', '.join(user.roles)} -> {', '.join(roles)}"
            audit.record(db, "roles_changed", user.username, now, actor=actor, detail=detail)
            user.roles = roles
        user.display_name = shown
        user.last_login_at = now
        audit.record(db, "signed_in", user.username, now, client=client, detail=actor)
        return Identity(user.username, user.display_name, tuple(roles))
