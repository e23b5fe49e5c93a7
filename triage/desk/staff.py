"""Staff: who is signed in, which pages their roles open, and the accounts an admin keeps.

* **Signing in.** :func:`sign_in` checks a user name and password (throttled per account and per browser
  address) and gives the :class:`Identity`; :func:`current` re-reads it from the store on every page run, so a
  deleted, deactivated or demoted person loses their rights at once. :func:`pages_for` lists the pages an
  identity (or nobody) may open and :func:`first_staff_page` the one to open right after signing in.
* **Staying signed in.** :func:`start_session` opens a sign-in session for a browser and gives its token,
  which the browser keeps in a signed cookie (:func:`cookie_value`, :func:`token_from_cookie`, key from
  :func:`secret_key`); :func:`identity_for_token` answers who holds it on every page run, within the
  time-outs of :func:`session_limits`; :func:`sign_out` and :func:`sign_out_everywhere` end one or all.
  :func:`safe_next` keeps a "return to" address on this site.
* **Accounts.** :func:`users`, :func:`user_row` (a line of the users table), :func:`create_user`,
  :func:`set_roles`, :func:`deactivate` (which also signs the person out everywhere) and :func:`reactivate`;
  each change is in the audit log.

Roles and the pages they open are in :mod:`triage.records.accounts`; :data:`ROLES` names them.

Errors::

    TriageError
    └── Refused (ValueError)
        ├── InvalidName         a user name with look-alike, bidi or invisible characters
        ├── LimitExceeded       a name longer than the limit
        └── AuthError           wrong username or password, an unknown role, a short password, a taken username
            └── SignInThrottled too many failed sign-ins: ``retry_after`` seconds to wait
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from triage.records.accounts import ROLES, Account, Accounts, Identity, allowed_pages
from triage.records.schema import DEFAULT_DB_PATH
from triage.records.staff_sessions import StaffSessions
from triage.records.store import Store

__all__ = [
    "COOKIE",
    "PUBLIC_PAGES",
    "ROLES",
    "Account",
    "Identity",
    "SessionLimits",
    "cookie_value",
    "create_user",
    "current",
    "deactivate",
    "first_staff_page",
    "identity_for_token",
    "open_sessions",
    "pages_for",
    "reactivate",
    "safe_next",
    "secret_key",
    "session_limits",
    "set_roles",
    "sign_in",
    "sign_out",
    "sign_out_everywhere",
    "start_session",
    "token_from_cookie",
    "user_row",
    "users",
]

PUBLIC_PAGES = ("self_service", "sign_in")
"""Pages anyone may open, signed in or not."""


def pages_for(identity: Identity | None) -> list[str]:
    """The page keys ``identity`` may open (the public ones only, for nobody signed in).

    >>> pages_for(None)
    ['self_service', 'sign_in']
    >>> pages_for(Identity("ana", "Ana", ("dispatcher",)))
    ['self_service', 'sign_in', 'dispatch', 'fulfilment']
    """
    return allowed_pages(identity.roles if identity is not None else ())


# where each role starts its day, most specific first: tier 2 works the queue, not the agent console
_LANDING = (("tier2", "queue"), ("agent", "agent"), ("dispatcher", "dispatch"), ("author", "studio"))


def first_staff_page(identity: Identity) -> str | None:
    """The staff page signing in leads to: the role's own page (tier 2: the queue), else the first it may open.

    >>> first_staff_page(Identity("ana", "Ana", ("author",)))
    'studio'
    >>> first_staff_page(Identity("tom", "Tom", ("tier2",)))
    'queue'
    >>> first_staff_page(Identity("al", "Al", ("admin",)))
    'agent'
    """
    for role, page in _LANDING:
        if role in identity.roles and identity.may_open(page):
            return page
    return next((p for p in pages_for(identity) if p not in PUBLIC_PAGES), None)


def sign_in(store: Store, username: str, password: str, client: str | None = None) -> Identity:
    """The identity for a correct user name and password, from the browser at address ``client`` (if known).

    Otherwise :class:`~triage.errors.AuthError` (the same message whatever was wrong), or
    :class:`~triage.errors.SignInThrottled` after too many failures for the account or from the client.
    """
    return Accounts(store).authenticate(username, password, client=client)


def current(store: Store, identity: Identity | None) -> Identity | None:
    """``identity`` as the store has it now (roles and name re-read); ``None`` if deleted or deactivated."""
    return Accounts(store).current(identity.username) if identity is not None else None


def users(store: Store) -> list[Account]:
    """Every staff account, active or not, by username."""
    return Accounts(store).users()


def user_row(account: Account) -> dict[str, Any]:
    """One line of the users table."""
    return {
        "user": account.username,
        "name": account.display_name,
        "roles": ", ".join(account.roles),
        "active": account.active,
        "last sign-in": f"{account.last_login_at:%Y-%m-%d %H:%M} UTC" if account.last_login_at else "",
    }


def create_user(
    store: Store,
    username: str,
    password: str,
    roles: Sequence[str],
    display_name: str = "",
    actor: str | None = None,
) -> Identity:
    """Add a staff account (names checked, roles known, passwords at least 8 characters)."""
    return Accounts(store).create(username, password, list(roles), display_name, actor=actor)


def set_roles(store: Store, username: str, roles: Sequence[str], actor: str | None = None) -> Identity:
    """Give an account these roles (the last active admin keeps ``admin``)."""
    return Accounts(store).set_roles(username, roles, actor=actor)


def deactivate(store: Store, username: str, actor: str | None = None) -> None:
    """Stop an account signing in; a session already signed in loses access on its next page run."""
    Accounts(store).deactivate(username, actor=actor)


def reactivate(store: Store, username: str, actor: str | None = None) -> None:
    """Let a deactivated account sign in again."""
    Accounts(store).reactivate(username, actor=actor)


# -- staying signed in --------------------------------------------------------------------------------------

COOKIE = "triage_staff"
"""The name of the cookie that keeps a browser signed in."""

_IDLE_VAR, _MAX_VAR = "TRIAGE_STAFF_IDLE_MINUTES", "TRIAGE_STAFF_MAX_HOURS"
_KEY_VAR = "TRIAGE_SECRET_KEY"
_KEY_FILE = DEFAULT_DB_PATH.parent / "secret-key"
_MIN_KEY = 32


@dataclass(frozen=True)
class SessionLimits:
    """How long a sign-in lasts: ``idle`` without a click, ``absolute`` from the sign-in, whichever ends first."""

    idle: timedelta
    absolute: timedelta


def _whole_number(var: str, default: int, most: int, unit: str) -> int:
    raw = os.environ.get(var, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise ValueError(f"{var} must be a whole number of {unit} from 1 to {most} (got {raw[:40]!r})")
    return int(raw)


def session_limits() -> SessionLimits:
    """The sign-in time-outs: ``TRIAGE_STAFF_IDLE_MINUTES`` (default 60) and ``TRIAGE_STAFF_MAX_HOURS`` (12).

    A value that is not a whole number in range is refused with a :class:`ValueError` naming the variable.

    >>> session_limits()
    SessionLimits(idle=datetime.timedelta(seconds=3600), absolute=datetime.timedelta(seconds=43200))
    """
    idle = _whole_number(_IDLE_VAR, 60, 7 * 24 * 60, "minutes")
    most = _whole_number(_MAX_VAR, 12, 30 * 24, "hours")
    return SessionLimits(timedelta(minutes=idle), timedelta(hours=most))


def start_session(store: Store, identity: Identity, via: str = "password", client: str | None = None) -> str:
    """Open a sign-in session for ``identity`` (signed in ``via`` a password or SSO); the browser's token.

    Sessions that can no longer be used are cleared out on the way.
    """
    sessions = StaffSessions(store)
    sessions.purge(absolute=session_limits().absolute)
    return sessions.open(identity.username, via, client=client)


def identity_for_token(store: Store, token: str, now: datetime | None = None) -> Identity | None:
    """Who is signed in with ``token`` now (roles re-read), or ``None`` if it is unknown, ended or timed out."""
    limits = session_limits()
    return StaffSessions(store).check(token, idle=limits.idle, absolute=limits.absolute, now=now)


def sign_out(store: Store, token: str) -> None:
    """End the sign-in of this browser (nothing if it has already ended)."""
    StaffSessions(store).revoke(token)


def sign_out_everywhere(store: Store, username: str, actor: str | None = None) -> int:
    """End every sign-in of ``username`` on every browser (by themselves, or by an admin ``actor``); how many."""
    return StaffSessions(store).revoke_all(username, actor=actor)


def open_sessions(store: Store, username: str) -> int:
    """How many browsers ``username`` is signed in on now."""
    limits = session_limits()
    return StaffSessions(store).open_count(username, idle=limits.idle, absolute=limits.absolute)


@functools.cache
def secret_key() -> bytes:
    """The key that signs the sign-in cookie: ``TRIAGE_SECRET_KEY``, else one made once in ``var/secret-key``.

    Instances that serve the same people must share it (the same variable, or the same ``var/``): a cookie
    signed by another key is refused, and the person is asked to sign in again.
    """
    given = os.environ.get(_KEY_VAR, "")
    if given:
        if len(given) < _MIN_KEY:
            raise ValueError(f"{_KEY_VAR} must be at least {_MIN_KEY} characters (got {len(given)})")
        return given.encode("utf-8")
    return _key_file(_KEY_FILE)


def _key_file(path: Path) -> bytes:
    """The key kept in ``path``, made (readable by the owner only) if there is none; the first writer wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip().encode("utf-8")
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    return key.encode("utf-8")


def _signature(token: str, key: bytes) -> str:
    mac = hmac.new(key, f"{COOKIE}:{token}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def cookie_value(token: str, key: bytes | None = None) -> str:
    """What the cookie holds: the token and its HMAC-SHA256 signature, ``<token>.<signature>``."""
    return f"{token}.{_signature(token, key or secret_key())}"


def token_from_cookie(value: str | None, key: bytes | None = None) -> str | None:
    """The token in a cookie value whose signature is right, else ``None`` (tampered, foreign or garbage).

    >>> k = b"k" * 32
    >>> token_from_cookie(cookie_value("abc", k), k)
    'abc'
    >>> token_from_cookie("abc.forged", k) is None
    True
    """
    if not value or len(value) > 400 or "." not in value:
        return None
    token, _, signature = value.rpartition(".")
    expected = _signature(token, key or secret_key())
    return token if token and hmac.compare_digest(signature, expected) else None


def safe_next(target: str | None) -> str | None:
    r"""``target`` if it is a path on this site to return to after signing in, else ``None``.

    Only a relative path: it starts with one ``/`` (never ``//`` or ``/\``, which browsers read as another
    host), holds no backslash, control character or scheme, and is not absurdly long.

    >>> safe_next("/queue?case=K7P-4QX")
    '/queue?case=K7P-4QX'
    >>> [safe_next(t) for t in ("//evil.example", "https://evil.example/", "/\\evil.example", "queue", None)]
    [None, None, None, None, None]
    """
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    return target
