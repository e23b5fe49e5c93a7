"""Staff accounts for AppTest: the app re-reads the signed-in identity from its database on every run, so a test
that signs someone in must first give them an account there."""

from __future__ import annotations

import os

from triage.records.accounts import Accounts, Identity
from triage.records.store import Store

__all__ = ["with_account"]


def with_account(identity: Identity, url: str | None = None) -> Identity:
    """``identity``, after making sure the app's database (``url``, else ``TRIAGE_DATABASE_URL``) has it as an
    active account with exactly these roles."""
    with Store(url or os.environ["TRIAGE_DATABASE_URL"]) as store:
        accounts = Accounts(store)
        if accounts.current(identity.username) is None:
            accounts.create(identity.username, "test-password-1", list(identity.roles), identity.display_name)
        else:
            accounts.set_roles(identity.username, identity.roles)
    return identity
