"""Staff sign-in sessions on SQLite and PostgreSQL: a token opens the account's current identity until it is
revoked, idle too long, older than the absolute limit, or the account is deactivated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from triage.errors import AuthError
from triage.records import audit
from triage.records.accounts import Accounts, Identity
from triage.records.schema import StaffSession, utcnow
from triage.records.staff_sessions import StaffSessions, token_hash
from triage.records.store import Store

IDLE = timedelta(minutes=60)
ABSOLUTE = timedelta(hours=12)
ANN = Identity("ann", "Ann", ("agent",))


@pytest.fixture
def accounts_store(store_url: str) -> Iterator[Store]:
    """An empty migrated store (no trees needed) with two agents, ann and bob, and an admin."""
    st = Store(store_url)
    accounts = Accounts(st)
    accounts.create("admin", "admin-password", ["admin"], "Admin")
    accounts.create("ann", "ann-password", ["agent"], "Ann")
    accounts.create("bob", "bob-password", ["agent"], "Bob")
    yield st
    st.dispose()


def check(sessions: StaffSessions, token: str, after: timedelta = timedelta(0)) -> Identity | None:
    return sessions.check(token, idle=IDLE, absolute=ABSOLUTE, now=utcnow() + after)


def test_open_keeps_only_the_hash_and_check_gives_the_identity(accounts_store: Store) -> None:
    """The token is 43 URL-safe characters; the table holds its SHA-256, never the token; check finds Ann."""
    sessions = StaffSessions(accounts_store)
    token = sessions.open("ANN", "password", client="10.0.0.7")
    assert len(token) == 43
    with accounts_store.tx() as db:
        row = db.scalars(select(StaffSession)).one()
        assert (row.token_hash, row.username, row.via, row.client) == (
            token_hash(token),
            "ann",
            "password",
            "10.0.0.7",
        )
        assert token not in (row.token_hash, row.username)
    assert check(sessions, token) == ANN


def test_a_given_token_is_used_and_unknown_tokens_open_nothing(accounts_store: Store) -> None:
    """SSO may bring its own token; a made-up, empty or huge token opens nothing."""
    sessions = StaffSessions(accounts_store)
    assert sessions.open("ann", "sso", token="from-the-sso-cookie") == "from-the-sso-cookie"
    assert check(sessions, "from-the-sso-cookie") == ANN
    assert [check(sessions, t) for t in ("from-the-sso-cookie!", "", "x" * 5000)] == [None, None, None]


def test_open_refuses_an_unknown_or_deactivated_account_and_an_unknown_way_in(accounts_store: Store) -> None:
    """Only an active account gets a session, signed in by password or SSO."""
    sessions = StaffSessions(accounts_store)
    with pytest.raises(AuthError, match="no active user 'carl' to sign in"):
        sessions.open("carl", "password")
    Accounts(accounts_store).deactivate("bob")
    with pytest.raises(AuthError, match="no active user 'bob'"):
        sessions.open("bob", "password")
    with pytest.raises(ValueError, match="via must be one of password, sso"):
        sessions.open("ann", "magic")


def test_idle_time_out(accounts_store: Store) -> None:
    """Used within the idle time the session lasts (each use restarts the clock); idle longer, it has ended."""
    sessions = StaffSessions(accounts_store)
    token = sessions.open("ann", "password")
    assert check(sessions, token, timedelta(minutes=50)) == ANN  # seen at +50 min
    assert check(sessions, token, timedelta(minutes=100)) == ANN  # 50 min after that
    assert check(sessions, token, timedelta(minutes=161)) is None  # 61 min idle


def test_last_seen_is_written_at_most_once_a_minute(accounts_store: Store) -> None:
    """Two checks within a minute write nothing; one a minute later moves last_seen_at."""
    sessions = StaffSessions(accounts_store)
    start = utcnow()
    token = sessions.open("ann", "password", now=start)

    def last_seen() -> object:
        with accounts_store.tx() as db:
            return db.scalars(select(StaffSession.last_seen_at)).one()

    sessions.check(token, idle=IDLE, absolute=ABSOLUTE, now=start + timedelta(seconds=30))
    assert last_seen() == start
    sessions.check(token, idle=IDLE, absolute=ABSOLUTE, now=start + timedelta(seconds=90))
    assert last_seen() == start + timedelta(seconds=90)


def test_absolute_time_out_even_when_in_use(accounts_store: Store) -> None:
    """A session in constant use still ends at the absolute limit."""
    sessions = StaffSessions(accounts_store)
    start = utcnow()
    token = sessions.open("ann", "password", now=start)
    for minutes in range(30, 12 * 60, 30):
        assert (
            sessions.check(token, idle=IDLE, absolute=ABSOLUTE, now=start + timedelta(minutes=minutes)) == ANN
        )
    assert (
        sessions.check(token, idle=IDLE, absolute=ABSOLUTE, now=start + timedelta(hours=12, minutes=1))
        is None
    )


def test_revoke_ends_one_browser_only(accounts_store: Store) -> None:
    """Signing out on one browser leaves the other signed in, and is in the audit log."""
    sessions = StaffSessions(accounts_store)
    first, second = sessions.open("ann", "password"), sessions.open("ann", "password")
    assert sessions.revoke(first) == "ann"
    assert sessions.revoke(first) is None  # already ended
    assert (check(sessions, first), check(sessions, second)) == (None, ANN)
    (line,) = audit.entries(accounts_store, username="ann", limit=1)
    assert (line.event, line.detail) == ("signed_out", "this browser")


def test_revoke_all_ends_every_browser_of_that_person_only(accounts_store: Store) -> None:
    """Sign out everywhere ends Ann's two sessions (and counts them), not Bob's."""
    sessions = StaffSessions(accounts_store)
    anns = [sessions.open("ann", "password"), sessions.open("ann", "sso", token="sso-token")]
    bobs = sessions.open("bob", "password")
    assert sessions.open_count("ann", idle=IDLE, absolute=ABSOLUTE) == 2
    assert sessions.revoke_all("Ann", actor="admin") == 2
    assert [check(sessions, t) for t in anns] == [None, None]
    assert check(sessions, bobs) == Identity("bob", "Bob", ("agent",))
    assert sessions.open_count("ann", idle=IDLE, absolute=ABSOLUTE) == 0
    (line,) = audit.entries(accounts_store, username="ann", limit=1)
    assert (line.event, line.actor, line.detail) == (
        "signed_out",
        "admin",
        "everywhere: 2 browser session(s)",
    )


def test_deactivating_the_account_revokes_its_sessions(accounts_store: Store) -> None:
    """An admin deactivates Ann: her session is revoked (not only refused), and stays so when she is back."""
    sessions = StaffSessions(accounts_store)
    token = sessions.open("ann", "password")
    Accounts(accounts_store).deactivate("ann", actor="admin")
    assert check(sessions, token) is None
    with accounts_store.tx() as db:
        assert db.scalars(select(StaffSession.revoked_at)).one() is not None
    assert (
        audit.entries(accounts_store, username="ann", limit=1)[0].detail
        == "signed out of 1 browser session(s)"
    )
    Accounts(accounts_store).reactivate("ann")
    assert check(sessions, token) is None  # reactivation needs a new sign-in


def test_a_demoted_person_keeps_the_session_with_the_new_roles(accounts_store: Store) -> None:
    """Roles are re-read on every check: a demotion shows at the next click."""
    sessions = StaffSessions(accounts_store)
    token = sessions.open("ann", "password")
    Accounts(accounts_store).set_roles("ann", ["dispatcher"])
    assert check(sessions, token) == Identity("ann", "Ann", ("dispatcher",))


def test_a_new_password_signs_out_every_browser(accounts_store: Store) -> None:
    """After a password change no browser stays signed in with the old one."""
    sessions = StaffSessions(accounts_store)
    token = sessions.open("ann", "password")
    Accounts(accounts_store).set_password("ann", "a-new-password")
    assert check(sessions, token) is None


def test_purge_deletes_only_sessions_long_ended(accounts_store: Store) -> None:
    """Rows stay a week after they ended (revoked, or past the absolute limit), then go."""
    sessions = StaffSessions(accounts_store)
    now = utcnow()
    old = sessions.open("ann", "password", now=now - timedelta(days=8))
    recent = sessions.open("ann", "password", now=now - timedelta(days=2))
    revoked = sessions.open("bob", "password", now=now - timedelta(days=10))
    sessions.revoke(revoked, now=now - timedelta(days=9))
    live = sessions.open("bob", "password", now=now)

    def kept() -> set[str]:
        with accounts_store.tx() as db:
            return set(db.scalars(select(StaffSession.token_hash)).all())

    # with a 30-day limit only the session revoked 9 days ago has ended more than a week ago
    assert sessions.purge(absolute=timedelta(days=30), now=now) == 1
    assert kept() == {token_hash(t) for t in (old, recent, live)}
    # with 12 hours the one opened 8 days ago ended 7.5 days ago; the one of 2 days ago is kept
    assert sessions.purge(absolute=ABSOLUTE, now=now) == 1
    assert kept() == {token_hash(recent), token_hash(live)}
