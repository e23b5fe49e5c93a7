"""Accounts, password hashing and which role opens which page."""

from __future__ import annotations

import pytest

from triage.errors import AuthError
from triage.records.accounts import Accounts, allowed_pages, hash_password, verify_password
from triage.records.store import Store


def test_hash_is_salted_and_verifies() -> None:
    """The same password hashes differently each time and verifies; a wrong one does not."""
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b
    assert a.startswith("scrypt$16384$8$1$")
    assert verify_password("correct horse", a)
    assert not verify_password("correct horsE", a)
    assert not verify_password("x", "md5$abc")


def test_accounts(store: Store) -> None:
    """Create, authenticate, refuse bad input with the same message for unknown user and wrong password."""
    acc = Accounts(store)
    acc.create("Ann", "long-enough", ["agent"], "Ann A.")
    assert acc.authenticate("ann", "long-enough").display_name == "Ann A."
    for user, pw in (("ann", "wrong-password"), ("nobody", "long-enough")):
        with pytest.raises(AuthError, match="^wrong username or password$"):
            acc.authenticate(user, pw)
    with pytest.raises(AuthError, match="user 'ann' already exists"):
        acc.create("ann", "long-enough", ["agent"])
    with pytest.raises(AuthError, match="a password needs at least 8 characters"):
        acc.create("bob", "short", ["agent"])
    acc.set_password("ann", "another-one")
    assert acc.authenticate("ann", "another-one").username == "ann"


def test_first_admin_is_created_once(store: Store) -> None:
    """On an empty store a first admin is created with a generated password; later calls do nothing."""
    acc = Accounts(store)
    pw = acc.ensure_admin()
    assert pw is not None
    assert len(pw) >= 12
    assert acc.authenticate("admin", pw).roles == ("admin",)
    assert acc.ensure_admin() is None


@pytest.mark.parametrize(
    ("roles", "pages"),
    [
        ((), ["self_service", "sign_in"]),
        (("agent",), ["self_service", "sign_in", "agent"]),
        (("tier2",), ["self_service", "sign_in", "agent", "queue", "analytics"]),
        (("dispatcher",), ["self_service", "sign_in", "dispatch"]),
        (("author",), ["self_service", "sign_in", "studio", "analytics"]),
        (
            ("admin",),
            ["self_service", "sign_in", "agent", "queue", "dispatch", "studio", "analytics", "users"],
        ),
    ],
)
def test_pages_per_role(roles: tuple[str, ...], pages: list[str]) -> None:
    """Each role sees exactly its pages; nobody signed in sees only the public ones."""
    assert allowed_pages(roles) == pages
