"""The desk's side of staying signed in: time-outs from the environment, the signed cookie, a safe address to
return to, where signing in leads, and sign-out (one browser, everywhere)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from triage.desk import staff
from triage.records.accounts import Accounts, Identity
from triage.records.schema import utcnow
from triage.records.store import Store

ANN = Identity("ann", "Ann", ("agent",))


@pytest.fixture
def desk_store(tmp_path: Path) -> Iterator[Store]:
    st = Store(f"sqlite:///{tmp_path / 'desk.db'}")
    Accounts(st).create("ann", "ann-password", ["agent"], "Ann")
    yield st
    st.dispose()


@pytest.mark.parametrize(
    ("idle", "most", "expected"),
    [("", "", (60, 12)), ("15", "8", (15, 8)), (" 90 ", "", (90, 12))],
)
def test_time_outs_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, idle: str, most: str, expected: tuple[int, int]
) -> None:
    """TRIAGE_STAFF_IDLE_MINUTES and TRIAGE_STAFF_MAX_HOURS, 60 minutes and 12 hours when unset."""
    monkeypatch.setenv("TRIAGE_STAFF_IDLE_MINUTES", idle)
    monkeypatch.setenv("TRIAGE_STAFF_MAX_HOURS", most)
    limits = staff.session_limits()
    assert (limits.idle, limits.absolute) == (timedelta(minutes=expected[0]), timedelta(hours=expected[1]))


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        (
            "TRIAGE_STAFF_IDLE_MINUTES",
            "0",
            "TRIAGE_STAFF_IDLE_MINUTES must be a whole number of minutes from 1 to 10080 (got '0')",
        ),
        (
            "TRIAGE_STAFF_IDLE_MINUTES",
            "1.5",
            "TRIAGE_STAFF_IDLE_MINUTES must be a whole number of minutes from 1 to 10080 (got '1.5')",
        ),
        (
            "TRIAGE_STAFF_MAX_HOURS",
            "a day",
            "TRIAGE_STAFF_MAX_HOURS must be a whole number of hours from 1 to 720 (got 'a day')",
        ),
    ],
)
def test_a_bad_time_out_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, message: str
) -> None:
    """A value that is not a whole number in range says which variable, what it must be, and what it got."""
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=re.escape(var)) as caught:
        staff.session_limits()
    assert str(caught.value) == message


def test_the_cookie_is_signed_and_a_changed_one_is_refused() -> None:
    """The right key reads the token back; another key, a changed token or signature, or garbage give None."""
    key, other = b"k" * 32, b"o" * 32
    value = staff.cookie_value("the-token", key)
    token, _, signature = value.rpartition(".")
    assert staff.token_from_cookie(value, key) == "the-token"
    assert staff.token_from_cookie(value, other) is None
    assert staff.token_from_cookie(f"the-tokeN.{signature}", key) is None
    assert staff.token_from_cookie(f"{token}.{signature[:-1]}A", key) is None
    assert [staff.token_from_cookie(v, key) for v in (None, "", "no-dot", "." + signature, "x" * 500)] == [
        None
    ] * 5


def test_the_secret_key_comes_from_the_environment_or_is_made_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """TRIAGE_SECRET_KEY when set (at least 32 characters); else var/secret-key, made once, owner-only."""
    monkeypatch.setattr(staff, "_KEY_FILE", tmp_path / "var" / "secret-key")
    monkeypatch.setenv("TRIAGE_SECRET_KEY", "s" * 40)
    staff.secret_key.cache_clear()
    assert staff.secret_key() == b"s" * 40
    monkeypatch.setenv("TRIAGE_SECRET_KEY", "short")
    staff.secret_key.cache_clear()
    with pytest.raises(ValueError, match="TRIAGE_SECRET_KEY must be at least 32 characters"):
        staff.secret_key()
    monkeypatch.delenv("TRIAGE_SECRET_KEY")
    staff.secret_key.cache_clear()
    made = staff.secret_key()
    staff.secret_key.cache_clear()
    assert staff.secret_key() == made  # a second start reads the same key
    assert len(made) >= 48
    assert ((tmp_path / "var" / "secret-key").stat().st_mode & 0o777) == 0o600
    staff.secret_key.cache_clear()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/queue?case=K7P-4QX", "/queue?case=K7P-4QX"),
        ("/studio", "/studio"),
        ("/", "/"),
        ("//evil.example/queue", None),
        ("/\\evil.example", None),
        ("https://evil.example/", None),
        ("javascript:alert(1)", None),
        ("queue", None),
        ("/queue\r\nSet-Cookie: x=1", None),
        ("/" + "a" * 2001, None),
        ("", None),
    ],
)
def test_only_a_path_on_this_site_is_returned_to(target: str, expected: str | None) -> None:
    """After sign-in the browser goes back only to a relative path of this site, never to another host."""
    assert staff.safe_next(target) == expected


@pytest.mark.parametrize(
    ("roles", "page"),
    [
        (("tier2",), "queue"),
        (("agent", "tier2"), "queue"),
        (("agent",), "agent"),
        (("dispatcher",), "dispatch"),
        (("author",), "studio"),
        (("admin",), "agent"),
    ],
)
def test_signing_in_leads_to_the_roles_own_page(roles: tuple[str, ...], page: str) -> None:
    """Tier 2 starts at the queue, not the agent console; every role at its own page."""
    assert staff.first_staff_page(Identity("x", "X", roles)) == page


def test_start_check_and_sign_out(desk_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A started session gives Ann; signing out ends it; the idle limit from the environment applies."""
    monkeypatch.setenv("TRIAGE_STAFF_IDLE_MINUTES", "5")
    token = staff.start_session(desk_store, ANN, "password", client="10.1.2.3")
    assert staff.identity_for_token(desk_store, token) == ANN
    assert staff.identity_for_token(desk_store, token, now=utcnow() + timedelta(minutes=6)) is None
    assert staff.open_sessions(desk_store, "ann") == 1
    staff.sign_out(desk_store, token)
    assert staff.identity_for_token(desk_store, token) is None
    assert staff.open_sessions(desk_store, "ann") == 0


def test_sign_out_everywhere_and_deactivation(desk_store: Store) -> None:
    """Sign out everywhere ends both of Ann's browsers; a deactivated account's new session ends with it."""
    first = staff.start_session(desk_store, ANN)
    second = staff.start_session(desk_store, ANN)
    assert staff.sign_out_everywhere(desk_store, "ann") == 2
    assert [staff.identity_for_token(desk_store, t) for t in (first, second)] == [None, None]
    third = staff.start_session(desk_store, ANN)
    Accounts(desk_store).create("admin", "admin-password", ["admin"])
    staff.deactivate(desk_store, "ann", actor="admin")
    assert staff.identity_for_token(desk_store, third) is None
