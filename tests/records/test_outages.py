"""Declared outages in the records, on SQLite and a real PostgreSQL server: declaring, matching a region and a
service at a time, ending, and the notices customers ask for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from triage.errors import InvalidLocale, LimitExceeded, NotFound, Refused
from triage.records.outages import Outages, contact_kind, same_region
from triage.records.store import Store


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated, empty store: outages need no trees."""
    st = Store(store_url)
    yield st
    st.dispose()


T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
MSG = {"en": "Fibre cut near the station.", "de": "Glasfaserschaden am Bahnhof."}


def declare(store: Store, region: str = "Berlin", service: str = "internet", **kw: object) -> int:
    kw.setdefault("start", T0)
    kw.setdefault("expected_end", T0 + timedelta(hours=6))
    return Outages(store).declare(region, service, message=MSG, who="sam", now=T0, **kw).id  # type: ignore[arg-type]


def test_declare_keeps_what_was_given(store: Store) -> None:
    """A declared outage reads back with its region, service (lower-cased), times, messages and declarer."""
    o = Outages(store).declare(
        "  Berlin ",
        "Internet",
        message={**MSG, "pl": " "},
        who="sam",
        start=T0,
        expected_end=T0 + timedelta(hours=2),
    )
    got = Outages(store).get(o.id)
    assert (got.region, got.service, got.starts_at, got.expected_end) == (
        "Berlin",
        "internet",
        T0,
        T0 + timedelta(hours=2),
    )
    assert got.message == MSG  # a blank text is left out
    assert (got.declared_by, got.ended_at, got.eta) == ("sam", None, "2025-03-03T10:00+00:00")
    assert got.message_for("de-AT") == MSG["de"]
    assert got.message_for("nl") == MSG["en"]


def test_active_for_ignores_case_and_spaces_and_time_outside(store: Store) -> None:
    """A region matches ignoring case and spaces; before its start and after its end an outage does not count."""
    oid = declare(store)
    out = Outages(store)
    assert [o.id for o in out.active_for(" berlin  ", "INTERNET", T0 + timedelta(hours=1))] == [oid]
    assert out.active_for("Berlin", "internet", T0 - timedelta(minutes=1)) == []
    assert out.active_for("Bern", "internet", T0 + timedelta(hours=1)) == []
    assert out.active_for("Berlin", "tv", T0 + timedelta(hours=1)) == []
    assert out.active_for("", "internet", T0) == []
    # past its expected end it still counts: staff end it, not the clock
    assert [o.id for o in out.active_for("Berlin", "internet", T0 + timedelta(days=2))] == [oid]
    out.end(oid, "sam", T0 + timedelta(hours=3))
    assert out.active_for("Berlin", "internet", T0 + timedelta(hours=3)) == []
    assert [o.id for o in out.active_for("Berlin", "internet", T0 + timedelta(hours=2))] == [oid]


def test_active_for_puts_the_latest_end_first(store: Store) -> None:
    """Of two overlapping outages the one that lasts longer comes first; one without an end comes before both."""
    short = declare(store, expected_end=T0 + timedelta(hours=1))
    long = declare(store, "BERLIN", expected_end=T0 + timedelta(hours=9))
    out = Outages(store)
    assert [o.id for o in out.active_for("berlin", "internet", T0)] == [long, short]
    open_ended = declare(store, expected_end=None)
    assert [o.id for o in out.active_for("berlin", "internet", T0)] == [open_ended, long, short]


def test_active_and_every_list_outages(store: Store) -> None:
    """``active`` lists what runs at a time; ``every`` lists ended ones too."""
    a = declare(store)
    b = declare(store, "Hamburg", start=T0 + timedelta(hours=1))
    out = Outages(store)
    out.end(a, "sam", T0 + timedelta(hours=2))
    assert [o.id for o in out.active(T0 + timedelta(hours=3))] == [b]
    assert [o.id for o in out.active(T0 + timedelta(minutes=30))] == [a]
    assert [o.id for o in out.every()] == [b, a]
    assert out.regions() == ["Berlin", "Hamburg"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"region": " "}, "an outage needs a region (got ' ')"),
        ({"service": ""}, "an outage needs a service (got '')"),
        (
            {"message": {"de": "Nur Deutsch"}},
            "an outage message needs an English text (other languages fall back to it)",
        ),
        (
            {"expected_end": T0},
            "the expected end Mon 2025-03-03 08:00 UTC is not after the start Mon 2025-03-03 08:00 UTC; "
            "give a later end, or none for until further notice",
        ),
        (
            {"start": datetime(2025, 3, 3, 8, 0)},
            "the start must be a date and time with a timezone (got datetime.datetime(2025, 3, 3, 8, 0))",
        ),
    ],
)
def test_declare_refuses_bad_input(store: Store, kwargs: dict[str, object], message: str) -> None:
    """A blank region or service, no English message, an end not after the start, a naive time: a clear refusal."""
    args: dict[str, object] = {"region": "Berlin", "service": "internet", "message": MSG, "start": T0}
    args.update(kwargs)
    with pytest.raises(Refused) as exc:
        Outages(store).declare(who="sam", **args)  # type: ignore[arg-type]
    assert str(exc.value) == message
    assert Outages(store).every() == []


def test_declare_holds_region_and_message_to_their_limits(store: Store) -> None:
    """A region longer than an identifier, a message longer than a note, an unknown locale: refused."""
    with pytest.raises(LimitExceeded, match="a region is at most 64 characters"):
        declare(store, "x" * 65)
    with pytest.raises(LimitExceeded, match="a service is at most 40 characters"):
        declare(store, service="s" * 41)
    with pytest.raises(LimitExceeded, match="a message is at most 4,000 characters"):
        Outages(store).declare("Berlin", "internet", message={"en": "x" * 4001}, who="sam")
    with pytest.raises(InvalidLocale):
        Outages(store).declare("Berlin", "internet", message={"en": "a", "xx-!!": "b"}, who="sam")


def test_ending_releases_the_notices_once(store: Store) -> None:
    """Ending returns the notices to send, marked with the end time; ending again is refused."""
    oid = declare(store)
    out = Outages(store)
    a = out.subscribe(oid, "s-1", "ana@example.com", "en", now=T0 + timedelta(minutes=5))
    b = out.subscribe(oid, None, "+49 30 1234567", "de", now=T0 + timedelta(minutes=6))
    assert a.sent_at is None
    sent = out.end(oid, "kim", T0 + timedelta(hours=4))
    assert [(n.contact, n.locale, n.session_id, n.sent_at) for n in sent] == [
        ("ana@example.com", "en", "s-1", T0 + timedelta(hours=4)),
        ("+49 30 1234567", "de", None, T0 + timedelta(hours=4)),
    ]
    assert [n.id for n in out.notices(oid)] == [a.id, b.id]
    ended = out.get(oid)
    assert (ended.ended_at, ended.ended_by) == (T0 + timedelta(hours=4), "kim")
    with pytest.raises(Refused, match=r"outage \d+ was already ended by kim at Mon 2025-03-03 12:00 UTC"):
        out.end(oid, "sam")
    with pytest.raises(Refused, match="has already ended; there is nothing to wait for"):
        out.subscribe(oid, None, "bo@example.com", now=T0 + timedelta(hours=5))


def test_end_refuses_unknown_and_too_early(store: Store) -> None:
    """No such outage is NotFound; an end before the start is refused."""
    with pytest.raises(NotFound, match="no outage 999"):
        Outages(store).end(999, "sam")
    oid = declare(store)
    with pytest.raises(Refused, match="it cannot end before"):
        Outages(store).end(oid, "sam", T0 - timedelta(hours=1))


def test_subscribe_checks_the_contact_and_keeps_one_per_contact(store: Store) -> None:
    """A contact that is neither an e-mail address nor a phone number is refused; asking twice keeps one."""
    oid = declare(store)
    out = Outages(store)
    with pytest.raises(Refused) as exc:
        out.subscribe(oid, None, "call me maybe")
    assert str(exc.value) == (
        "'call me maybe' is neither an e-mail address (like name@example.com) nor a phone number "
        "(like +49 30 1234567); give one of them"
    )
    with pytest.raises(LimitExceeded, match="a contact is at most 200 characters"):
        out.subscribe(oid, None, "a" * 195 + "@example.com")
    first = out.subscribe(oid, "s-1", "Ana@Example.com")
    again = out.subscribe(oid, "s-2", " ana@example.com ")
    assert again.id == first.id
    assert len(out.notices(oid)) == 1
    assert out.notice_counts() == {oid: 1}
    with pytest.raises(NotFound):
        out.subscribe(999, None, "ana@example.com")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ana@example.com", "email"),
        ("a.b+c@mail.example.de", "email"),
        ("+49 (30) 123-4567", "phone"),
        ("030 1234567", "phone"),
        ("12345", None),
        ("+49 30 1234567 890 12345", None),
        ("ana@example", None),
        ("ana @example.com", None),
        ("phone: 0301234567", None),
        ("", None),
    ],
)
def test_contact_kind(text: str, kind: str | None) -> None:
    """E-mail addresses and phone numbers (6 to 15 digits) are told apart; anything else is neither."""
    assert contact_kind(text) == kind


def test_same_region_ignores_case_and_spaces() -> None:
    """Regions compare ignoring case (full case folding) and surrounding spaces."""
    assert same_region(" STRASSE ", "straße")
    assert not same_region("Berlin", None)
