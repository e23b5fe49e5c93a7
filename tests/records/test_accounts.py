"""Accounts: password hashing, sign-in throttling and timing, names, deactivation, the audit log, role pages."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from triage.errors import AuthError, InvalidName, LimitExceeded, SignInThrottled
from triage.records import audit
from triage.records.accounts import (
    Accounts,
    ThrottlePolicy,
    allowed_pages,
    hash_password,
    verify_password,
)
from triage.records.names import display_name, user_name
from triage.records.passwords import needs_rehash
from triage.records.schema import SignInThrottle, User, utcnow
from triage.records.store import Store

LEGACY = "scrypt$16384$8$1$00112233445566778899aabbccddeeff${}"
"""A hash as the scrypt scheme before Argon2id stored it (digest filled in by the test)."""


def _legacy_scrypt(password: str) -> str:
    import hashlib

    digest = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex("00112233445566778899aabbccddeeff"), n=2**14, r=8, p=1, dklen=32
    )
    return LEGACY.format(digest.hex())


def test_hash_is_salted_argon2id_at_owasp_parameters() -> None:
    """The same password hashes differently each time, as Argon2id with m=19 MiB, t=2, p=1, and verifies."""
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b
    assert a.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password("correct horse", a)
    assert not verify_password("correct horsE", a)
    assert not verify_password("x", "md5$abc")
    assert not verify_password("x", "$argon2id$broken")
    assert not needs_rehash(a)


def test_old_scrypt_hashes_still_verify_and_need_rehash() -> None:
    """A hash of the scheme used before (scrypt N=2^14) verifies, and is marked for replacement."""
    old = _legacy_scrypt("correct horse")
    assert verify_password("correct horse", old)
    assert not verify_password("wrong horse", old)
    assert needs_rehash(old)
    assert needs_rehash("$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA")


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


def test_old_hash_is_replaced_on_the_next_sign_in(store: Store) -> None:
    """A user whose hash is the old scrypt one signs in with it; the stored hash becomes Argon2id and still works."""
    acc = Accounts(store)
    acc.create("ann", "placeholder-pw", ["agent"])
    with store.tx() as db:
        db.execute(
            update(User).where(User.username == "ann").values(password_hash=_legacy_scrypt("old-password"))
        )
    assert acc.authenticate("ann", "old-password").username == "ann"
    with store.tx() as db:
        stored = db.scalars(select(User.password_hash).where(User.username == "ann")).one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert acc.authenticate("ann", "old-password").username == "ann"
    assert audit.entries(store, username="ann")[1].detail == "password hash upgraded"


def test_first_admin_is_created_once(store: Store) -> None:
    """On an empty store a first admin is created with a generated password; later calls do nothing."""
    acc = Accounts(store)
    pw = acc.ensure_admin()
    assert pw is not None
    assert len(pw) >= 12
    assert acc.authenticate("admin", pw).roles == ("admin",)
    assert acc.ensure_admin() is None


# -- throttling --------------------------------------------------------------------------------------------------


def _fail(acc: Accounts, name: str, at: object, times: int = 1, client: str | None = None) -> None:
    for _ in range(times):
        with pytest.raises(AuthError, match="^wrong username or password$"):
            acc.authenticate(name, "not-the-password", at, client=client)  # type: ignore[arg-type]


def _throttled(acc: Accounts, name: str, password: str, at: object, client: str | None = None) -> float:
    with pytest.raises(SignInThrottled) as info:
        acc.authenticate(name, password, at, client=client)  # type: ignore[arg-type]
    assert str(info.value) == f"Too many attempts; try again in {info.value.retry_after:.0f} s"
    return info.value.retry_after


def test_account_throttling_backs_off_and_lets_the_right_password_in_after(store: Store) -> None:
    """5 failures are free; then the account waits 2 s, then 4 s, ...; after the wait the right password works."""
    acc = Accounts(store)
    acc.create("ann", "the-password", ["agent"])
    t0 = utcnow()
    _fail(acc, "ann", t0, times=5)
    assert _throttled(acc, "ann", "the-password", t0) == 2  # even the right password waits
    assert _throttled(acc, "ANN", "the-password", t0 + timedelta(seconds=1)) == 1  # the folded name counts
    t1 = t0 + timedelta(seconds=2)
    _fail(acc, "ann", t1)
    assert _throttled(acc, "ann", "the-password", t1) == 4
    t2 = t1 + timedelta(seconds=4)
    _fail(acc, "ann", t2)
    assert _throttled(acc, "ann", "the-password", t2) == 8
    t3 = t2 + timedelta(seconds=8)
    assert acc.authenticate("ann", "the-password", t3).username == "ann"
    _fail(acc, "ann", t3, times=4)  # success forgot the failures: 4 more are free again
    events = [e.event for e in audit.entries(store, username="ann", limit=8)]
    assert events[:6] == ["sign_in_failed"] * 4 + ["signed_in", "throttled"]


def test_unknown_names_are_throttled_like_real_ones(store: Store) -> None:
    """Guessing at a name that does not exist gets the same failures and the same throttle message."""
    acc = Accounts(store)
    t0 = utcnow()
    _fail(acc, "nobody", t0, times=5)
    assert _throttled(acc, "nobody", "whatever-pw", t0) == 2


def test_failures_are_forgotten_after_a_quiet_hour(store: Store) -> None:
    """Four failures an hour ago do not count towards today's five."""
    acc = Accounts(store)
    t0 = utcnow() - timedelta(hours=2)
    _fail(acc, "ann", t0, times=4)
    now = t0 + timedelta(hours=1, seconds=1)
    _fail(acc, "ann", now, times=4)
    _fail(acc, "ann", now)  # the fifth of this hour: still answered, then the wait starts
    assert _throttled(acc, "ann", "x-password", now) == 2


def test_client_throttling_covers_every_name_and_only_that_client(store: Store) -> None:
    """Spraying many names from one address blocks that address (even for a valid account), not another one."""
    acc = Accounts(store, ThrottlePolicy(account_free=100, client_free=3))
    acc.create("ann", "the-password", ["agent"])
    t0 = utcnow()
    for name in ("root", "admin", "test"):
        _fail(acc, name, t0, client="203.0.113.9")
    assert _throttled(acc, "ann", "the-password", t0, client="203.0.113.9") == 2
    assert acc.authenticate("ann", "the-password", t0, client="198.51.100.7").username == "ann"
    # a success elsewhere does not reset the guessing client
    assert _throttled(acc, "fresh-name", "x-password", t0, client="203.0.113.9") == 2
    assert audit.entries(store, limit=1)[0].client == "203.0.113.9"


def test_throttling_is_shared_by_every_instance(store_url: str) -> None:
    """Failures counted by one app instance count for another one on the same database."""
    with Store(store_url) as one, Store(store_url) as two:
        a, b = Accounts(one), Accounts(two)
        t0 = utcnow()
        for i in range(5):
            _fail(a if i % 2 else b, "ann", t0)
        assert _throttled(a, "ann", "x-password", t0) == 2
        assert _throttled(b, "ann", "x-password", t0) == 2
        with one.tx() as db:
            assert db.scalars(select(SignInThrottle.failures)).one() == 5


def test_unknown_and_known_users_take_the_same_time(store: Store) -> None:
    """A wrong password for a real user and any password for an unknown one take the same time.

    Medians of 7 each, taken in turns so that a change in the machine's load falls on both alike.
    """
    acc = Accounts(store, ThrottlePolicy(account_free=1000, client_free=1000))
    acc.create("ann", "the-password", ["agent"])

    def once(name: str) -> float:
        start = time.perf_counter()
        with pytest.raises(AuthError, match="^wrong username or password$"):
            acc.authenticate(name, "wrong-password")
        return time.perf_counter() - start

    once("warm-up")
    pairs = [(once("ann"), once("nobody-at-all")) for _ in range(7)]
    known, unknown = statistics.median(k for k, _ in pairs), statistics.median(u for _, u in pairs)
    assert 0.5 < unknown / known < 2, (known, unknown)


# -- names -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "\u0430dmin",
            "user name 'аdmin' mixes scripts: U+0430 CYRILLIC SMALL LETTER A is Cyrillic, the rest is Latin; "
            "use letters of one script",
        ),
        (
            "p\u0430yp\u0430l",
            "user name 'pаypаl' mixes scripts: U+0430 CYRILLIC SMALL LETTER A is Cyrillic, the rest is Latin; "
            "use letters of one script",
        ),
        (
            "\u0430\u0441\u0435",
            "user name 'асе' could pass for a Latin one: U+0430 CYRILLIC SMALL LETTER A looks like a Latin letter; "
            "use Latin letters or a name that does not look Latin",
        ),
        (
            "ad\u200bmin",
            "user name 'ad\\u200bmin' has U+200B ZERO WIDTH SPACE, an invisible character; remove it",
        ),
        (
            "ad\u202emin",
            "user name 'ad\\u202emin' has U+202E RIGHT-TO-LEFT OVERRIDE, an invisible character; remove it",
        ),
        (
            "a\u2066b",
            "user name 'a\\u2066b' has U+2066 LEFT-TO-RIGHT ISOLATE, an invisible character; remove it",
        ),
        (
            "an\ufe0fn",
            "user name 'an\\ufe0fn' has U+FE0F VARIATION SELECTOR-16, an invisible character; remove it",
        ),
        ("ann smith", "user name 'ann smith' has U+0020 SPACE; use letters, digits, '.', '-' or '_'"),
        ("ann@x", "user name 'ann@x' has U+0040 COMMERCIAL AT; use letters, digits, '.', '-' or '_'"),
        ("  ", "a user name is needed"),
    ],
)
def test_look_alike_and_invisible_names_are_refused(name: str, message: str) -> None:
    """Mixed scripts, Latin look-alikes, bidi and zero-width characters are refused, naming the character."""
    with pytest.raises(InvalidName) as info:
        user_name(name)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ann", "ann"),
        ("ＡＮＮ", "ann"),
        ("ana-lopez.2", "ana-lopez.2"),
        ("иван", "иван"),
        ("山田たろう", "山田たろう"),
    ],
)
def test_names_are_nfkc_folded(typed: str, stored: str) -> None:
    """Full-width and upper-case letters fold to one form; one-script names in any script are fine."""
    assert user_name(typed) == stored


def test_name_length_uses_the_configured_limit() -> None:
    """A user name longer than limits().name is refused with the limit in the message."""
    with pytest.raises(LimitExceeded, match="a user name is at most 64 characters"):
        user_name("a" * 65)


def test_display_names_lose_bidi_and_invisible_characters(store: Store) -> None:
    """A display name keeps its letters but not its bidi overrides or zero-width characters."""
    assert display_name("\u202eAnn\u200b  Lopez\u2066 ") == "Ann Lopez"
    ident = Accounts(store).create("ann", "long-enough", ["agent"], "Ann\u202e\u200d Admin")
    assert ident.display_name == "Ann Admin"


def test_look_alike_user_cannot_be_created_and_full_width_signs_in(store: Store) -> None:
    """`аdmin` (Cyrillic а) cannot be created next to admin; `ＡＮＮ` signs in as ann."""
    acc = Accounts(store)
    acc.create("admin", "long-enough", ["admin"])
    with pytest.raises(InvalidName, match="U\\+0430 CYRILLIC SMALL LETTER A"):
        acc.create("\u0430dmin", "long-enough", ["admin"])
    acc.create("ann", "long-enough", ["agent"])
    assert acc.authenticate("ＡＮＮ", "long-enough").username == "ann"


# -- deactivation, roles, audit ---------------------------------------------------------------------------------


def test_deactivated_user_cannot_sign_in_and_is_no_longer_current(store: Store) -> None:
    """Deactivate: sign-in fails with the usual message (the reason is in the audit log); reactivate: it works."""
    acc = Accounts(store)
    acc.create("ann", "long-enough", ["agent"])
    assert acc.current("ann") is not None
    acc.deactivate("ann", actor="boss")
    assert acc.current("ann") is None
    with pytest.raises(AuthError, match="^wrong username or password$"):
        acc.authenticate("ann", "long-enough")
    assert [u.active for u in acc.users()] == [False]
    acc.reactivate("ann", actor="boss")
    assert acc.authenticate("ann", "long-enough").username == "ann"
    lines = [(e.event, e.actor, e.detail) for e in reversed(audit.entries(store, username="ann"))]
    assert lines == [
        ("user_added", None, "roles: agent"),
        ("deactivated", "boss", ""),
        ("sign_in_failed", None, "deactivated"),
        ("reactivated", "boss", ""),
        ("signed_in", None, ""),
    ]


def test_roles_change_is_read_back_and_the_last_admin_stays(store: Store) -> None:
    """A role change shows in current(); the last active admin can be neither demoted nor deactivated."""
    acc = Accounts(store)
    acc.create("root", "long-enough", ["admin"])
    acc.create("ann", "long-enough", ["agent"])
    acc.set_roles("ann", ["tier2", "agent"], actor="root")
    assert acc.current("ann").roles == ("tier2", "agent")  # type: ignore[union-attr]
    for change in (lambda: acc.set_roles("root", ["agent"]), lambda: acc.deactivate("root")):
        with pytest.raises(
            AuthError, match="^'root' is the last active admin; make someone else admin first$"
        ):
            change()
    acc.set_roles("ann", ["admin"], actor="root")
    acc.deactivate("root", actor="ann")
    assert acc.current("root") is None
    assert [(e.event, e.detail) for e in audit.entries(store, username="ann", limit=2)] == [
        ("roles_changed", "tier2, agent -> admin"),
        ("roles_changed", "agent -> tier2, agent"),
    ]


def test_audit_filters_by_user_and_time(store: Store) -> None:
    """The log lists newest first, and filters by user name and by time."""
    acc = Accounts(store)
    acc.create("ann", "long-enough", ["agent"])
    acc.set_password("ann", "new-password", actor="cli")
    _fail(acc, "bob", utcnow(), client="198.51.100.7")
    assert [e.event for e in audit.entries(store)] == ["sign_in_failed", "password_changed", "user_added"]
    failed = audit.entries(store, username="bob")[0]
    assert (failed.detail, failed.client) == ("unknown user", "198.51.100.7")
    assert audit.entries(store, since=utcnow() + timedelta(minutes=1)) == []
    assert len(audit.entries(store, limit=1)) == 1


@pytest.mark.parametrize(
    ("roles", "pages"),
    [
        ((), ["self_service", "sign_in"]),
        (("agent",), ["self_service", "sign_in", "agent", "outages", "fulfilment"]),
        (("tier2",), ["self_service", "sign_in", "agent", "queue", "outages", "fulfilment", "analytics"]),
        (("dispatcher",), ["self_service", "sign_in", "dispatch", "fulfilment"]),
        (("author",), ["self_service", "sign_in", "studio", "analytics"]),
        (
            ("admin",),
            [
                "self_service",
                "sign_in",
                "agent",
                "queue",
                "dispatch",
                "outages",
                "fulfilment",
                "studio",
                "analytics",
                "users",
            ],
        ),
    ],
)
def test_pages_per_role(roles: tuple[str, ...], pages: list[str]) -> None:
    """Each role sees exactly its pages; nobody signed in sees only the public ones."""
    assert allowed_pages(roles) == pages
