"""Staff: who is signed in, which pages their roles open, and the accounts an admin keeps.

* **Signing in.** :func:`sign_in` checks a user name and password (throttled per account and per browser
  address) and gives the :class:`Identity`; :func:`current` re-reads it from the store on every page run, so a
  deleted, deactivated or demoted person loses their rights at once. :func:`pages_for` lists the pages an
  identity (or nobody) may open and :func:`first_staff_page` the one to open right after signing in.
* **Accounts.** :func:`users`, :func:`user_row` (a line of the users table), :func:`create_user`,
  :func:`set_roles`, :func:`deactivate` and :func:`reactivate`; each change is in the audit log.

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

from collections.abc import Sequence
from typing import Any

from triage.records.accounts import ROLES, Account, Accounts, Identity, allowed_pages
from triage.records.store import Store

__all__ = [
    "PUBLIC_PAGES",
    "ROLES",
    "Account",
    "Identity",
    "create_user",
    "current",
    "deactivate",
    "first_staff_page",
    "pages_for",
    "reactivate",
    "set_roles",
    "sign_in",
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


def first_staff_page(identity: Identity) -> str | None:
    """The first staff page ``identity`` may open (where signing in leads), if any.

    >>> first_staff_page(Identity("ana", "Ana", ("author",)))
    'studio'
    """
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
