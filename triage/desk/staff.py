"""Staff: who is signed in, which pages their roles open, and the accounts an admin keeps.

* **Signing in.** :func:`sign_in` checks a username and password and gives the :class:`Identity`;
  :func:`pages_for` lists the pages an identity (or nobody) may open and :func:`first_staff_page` the one to
  open right after signing in.
* **Accounts.** :func:`users`, :func:`user_row` (a line of the users table) and :func:`create_user`.

Roles and the pages they open are in :mod:`triage.records.accounts`; :data:`ROLES` names them.

Errors::

    TriageError
    └── Refused (ValueError)
        └── AuthError    wrong username or password, an unknown role, a short password, a taken username
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from triage.records.accounts import ROLES, Accounts, Identity, allowed_pages
from triage.records.store import Store

__all__ = [
    "PUBLIC_PAGES",
    "ROLES",
    "Identity",
    "create_user",
    "first_staff_page",
    "pages_for",
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
    ['self_service', 'sign_in', 'dispatch']
    """
    return allowed_pages(identity.roles if identity is not None else ())


def first_staff_page(identity: Identity) -> str | None:
    """The first staff page ``identity`` may open (where signing in leads), if any.

    >>> first_staff_page(Identity("ana", "Ana", ("author",)))
    'studio'
    """
    return next((p for p in pages_for(identity) if p not in PUBLIC_PAGES), None)


def sign_in(store: Store, username: str, password: str) -> Identity:
    """The identity for a correct username and password; :class:`~triage.errors.AuthError` otherwise."""
    return Accounts(store).authenticate(username, password)


def users(store: Store) -> list[Identity]:
    """Every staff account, by username."""
    return Accounts(store).users()


def user_row(identity: Identity) -> dict[str, Any]:
    """One line of the users table."""
    return {"user": identity.username, "name": identity.display_name, "roles": ", ".join(identity.roles)}


def create_user(
    store: Store, username: str, password: str, roles: Sequence[str], display_name: str = ""
) -> Identity:
    """Add a staff account (usernames unique, roles known, passwords at least 8 characters)."""
    return Accounts(store).create(username, password, list(roles), display_name)
