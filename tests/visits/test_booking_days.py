"""A visit over the next working days, on SQLite and a real PostgreSQL server: free slots by day (weekends and
full days left out), a reference kept through every reschedule, the calendar SEQUENCE and UID, the CANCEL, and
the customer's contact and address in the calendar file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from libraries import NO_INTERNET_LINE_FAULT

from triage.errors import BookingError, NotFound
from triage.records.refs import normalize
from triage.records.schema import CustomerContact
from triage.records.store import Store
from triage.visits import BOOKING_DAYS_ENV, Scheduler, Slot, booking_days, claims

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # Monday 07:00 in Berlin
MON = date(2025, 3, 3)
LINE_FAULT = list(NO_INTERNET_LINE_FAULT)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def sched(store_url: str) -> Iterator[Scheduler]:
    """A scheduler on an empty store with Ana (Mon-Fri 08-17 Berlin, two-hour slots: 4 a day)."""
    st = Store(store_url)
    s = Scheduler(st)
    s.add_technician("Ana Lima", ["broadband-line"], ["north"])
    yield s
    st.dispose()


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def picked(text: str, *names: str) -> list[str]:
    return [line for line in unfold(text) if line.startswith(names)]


# -- the days to choose from ----------------------------------------------------------------------


def test_free_days_skip_the_weekend_and_full_days(sched: Scheduler) -> None:
    """Five working days from Monday run to the next Monday; a day whose slots are all booked is left out,
    but still counts as one of the five."""
    days = sched.free_days("broadband-line", "north", days=5, urgency="urgent", now=NOW)
    assert [d.day for d in days] == [MON + timedelta(days=n) for n in (0, 1, 2, 3, 4)]
    days = sched.free_days("broadband-line", "north", days=6, urgency="urgent", now=NOW)
    assert [d.day for d in days][-1] == date(2025, 3, 10)  # Saturday and Sunday are no working days
    assert [s.start for s in days[1].slots] == [utc(4, 7), utc(4, 9), utc(4, 11), utc(4, 13)]
    for slot in days[1].slots:  # Tuesday is fully booked
        sched.book("broadband-line", "north", urgency="urgent", slot=slot, now=NOW)
    after = sched.free_days("broadband-line", "north", days=3, urgency="urgent", now=NOW)
    assert [d.day for d in after] == [MON, date(2025, 3, 5)]


def test_urgency_sets_the_first_day_and_a_weekend_worker_adds_days(sched: Scheduler) -> None:
    """A normal visit starts the next day, a low one three days on; a technician who works Saturdays makes
    Saturday a working day (for the region and skill they serve)."""
    normal = sched.free_days("broadband-line", "north", days=2, urgency="normal", now=NOW)
    assert [d.day for d in normal] == [date(2025, 3, 4), date(2025, 3, 5)]
    low = sched.free_days("broadband-line", "north", days=2, urgency="low", now=NOW)
    assert [d.day for d in low] == [date(2025, 3, 6), date(2025, 3, 7)]
    sched.add_technician("Sam Weekend", ["broadband-line"], ["north"], hours={"sat": ["09:00", "13:00"]})
    low = sched.free_days("broadband-line", "north", days=3, urgency="low", now=NOW)
    assert [d.day for d in low] == [date(2025, 3, 6), date(2025, 3, 7), date(2025, 3, 8)]
    assert {s.technician_name for s in low[2].slots} == {"Sam Weekend"}


def test_today_keeps_only_the_slots_that_have_not_begun(sched: Scheduler) -> None:
    """At 11:30 Berlin time today offers the 12:00 and 14:00 slots only."""
    days = sched.free_days("broadband-line", "north", days=1, urgency="urgent", now=utc(3, 10, 30))
    assert [s.start for s in days[0].slots] == [utc(3, 11), utc(3, 13)]


def test_the_number_of_days_is_configured_and_checked(
    sched: Scheduler, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TRIAGE_BOOKING_DAYS sets the default (10 without it); a value that is no number of days is refused."""
    monkeypatch.delenv(BOOKING_DAYS_ENV, raising=False)
    assert booking_days() == 10
    assert len(sched.free_days("broadband-line", "north", urgency="urgent", now=NOW)) == 10
    monkeypatch.setenv(BOOKING_DAYS_ENV, "3")
    assert [d.day.day for d in sched.free_days("broadband-line", "north", urgency="urgent", now=NOW)] == [
        3,
        4,
        5,
    ]
    monkeypatch.setenv(BOOKING_DAYS_ENV, "ten")
    with pytest.raises(BookingError) as info:
        sched.free_days("broadband-line", "north", now=NOW)
    assert (
        str(info.value)
        == "TRIAGE_BOOKING_DAYS must be a whole number of working days from 1 to 366 (got 'ten')"
    )
    with pytest.raises(BookingError) as info:
        sched.free_days("broadband-line", "north", days=0, now=NOW)
    assert str(info.value) == "days must be a whole number of working days from 1 to 366 (got 0)"


# -- a reference kept, a calendar entry moved -----------------------------------------------------


def test_two_reschedules_keep_the_reference_and_the_uid(sched: Scheduler) -> None:
    """Booked, moved twice, then cancelled: one reference throughout, SEQUENCE 0, 1, 2, 3; a REQUEST while it
    stands and a CANCEL at the end; the reference (any case, spaces) names the visit where it is now."""
    b = sched.book("broadband-line", "north", urgency="urgent", now=NOW)
    assert (b.sequence, normalize(b.reference)) == (0, b.reference)
    first = sched.ics(b.reference, now=NOW)
    assert picked(first, "METHOD", "UID", "SEQUENCE", "STATUS") == [
        "METHOD:REQUEST",
        f"UID:{b.reference}@triage",
        "SEQUENCE:0",
        "STATUS:CONFIRMED",
    ]
    one = sched.reschedule(b.reference, now=NOW)
    two = sched.reschedule(one.reference.lower().replace("-", " "), now=NOW)
    assert [(x.reference, x.sequence) for x in (one, two)] == [(b.reference, 1), (b.reference, 2)]
    assert [x.start for x in (b, one, two)] == [
        utc(3, 7),
        utc(3, 9),
        utc(3, 7),
    ]  # the first slot is free again
    assert sched.booking(b.reference).id == two.id
    rows = sorted(sched.bookings(reference=b.reference), key=lambda x: x.id)
    assert [(x.id, x.status) for x in rows] == [
        (b.id, "cancelled"),
        (one.id, "cancelled"),
        (two.id, "booked"),
    ]
    assert picked(sched.ics(b.id, now=NOW), "UID", "DTSTART", "SEQUENCE") == [
        f"UID:{b.reference}@triage",
        "DTSTART:20250303T070000Z",
        "SEQUENCE:2",
    ]
    gone = sched.cancel(b.reference, "customer is away", now=NOW)
    assert (gone.id, gone.status, gone.sequence) == (two.id, "cancelled", 3)
    assert picked(sched.ics(b.reference, now=NOW), "METHOD", "UID", "SEQUENCE", "STATUS") == [
        "METHOD:CANCEL",
        f"UID:{b.reference}@triage",
        "SEQUENCE:3",
        "STATUS:CANCELLED",
    ]
    with pytest.raises(BookingError, match="only a booked visit can be rescheduled"):
        sched.reschedule(b.reference, now=NOW)


def test_a_reference_names_a_visit_or_says_why_not(sched: Scheduler) -> None:
    """Numbers and references both work; an unknown reference is NotFound, anything else a BookingError."""
    b = sched.book("broadband-line", "north", urgency="urgent", now=NOW)
    assert sched.resolve(str(b.id)) == sched.resolve(f"#{b.id}") == sched.resolve(b.reference) == b.id
    with pytest.raises(NotFound) as nf:
        sched.booking("ZZZ-ZZZ")
    assert str(nf.value) == "no visit with reference ZZZ-ZZZ"
    with pytest.raises(BookingError) as info:
        sched.cancel("router", "why")
    assert (
        str(info.value)
        == "'router' is neither a visit reference (like K7P-4QX) nor a booking number (like 12)"
    )


def test_a_clashing_new_reference_is_drawn_again(sched: Scheduler, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new visit never reuses a reference a booking has had (its calendar UID would collide)."""
    b = sched.book("broadband-line", "north", urgency="urgent", now=NOW)
    drawn = iter([b.reference, b.reference, "AAA-BBB"])
    monkeypatch.setattr(claims, "new_reference", lambda: next(drawn))
    c = sched.book("broadband-line", "north", urgency="urgent", now=NOW)
    assert c.reference == "AAA-BBB"


# -- the customer's contact and address -----------------------------------------------------------


def test_the_calendar_names_the_customer_and_escapes_the_address(store: Store) -> None:
    """Name, phone, e-mail and address come from the session's contact, read afresh: commas, semicolons,
    backslashes and newlines are escaped, long lines folded; without a contact the typed address is used."""
    sched = Scheduler(store)
    sched.add_technician("Ana Lima", ["broadband-line"], ["north"])
    s = store.start_session("no-internet", customer_id="C-42", facts={"region": "north"})
    for answer in LINE_FAULT:
        s.answer(answer)
    b = sched.book_for_session(s, address="typed at booking", now=NOW)
    assert (b.address, b.contact_name) == ("typed at booking", None)
    with store.tx() as db:
        db.add(
            CustomerContact(
                session_id=s.id,
                customer_id="C-42",
                name="Weiß, Jana; Dr.",
                phone="+49 30 1234567",
                email="jana@example.org",
                consent_at=NOW,
                consent_locale="de",
                address="Hauptstraße 5; Hinterhaus\nKlingel \\ Lima",
                postcode="10115",
                city="Berlin",
                region="north",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    view = sched.booking(b.reference)
    assert (view.contact_name, view.contact_phone, view.contact_email, view.address) == (
        "Weiß, Jana; Dr.",
        "+49 30 1234567",
        "jana@example.org",
        "Hauptstraße 5; Hinterhaus\nKlingel \\ Lima, 10115 Berlin",
    )
    assert [x.contact_name for x in sched.bookings(session_id=s.id)] == ["Weiß, Jana; Dr."]
    text = sched.ics(b.reference, now=NOW)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = unfold(text)
    assert "LOCATION:Hauptstraße 5\\; Hinterhaus\\nKlingel \\\\ Lima\\, 10115 Berlin" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert description == (
        f"DESCRIPTION:Visit: {b.reference}\\nSkill: broadband-line (normal)\\nParts: dsl-filter\\, line-cable\\n"
        "Customer: Weiß\\, Jana\\; Dr.\\nCustomer id: C-42\\nPhone: +49 30 1234567\\nE-mail: jana@example.org\\n"
        "Address: Hauptstraße 5\\; Hinterhaus\\nKlingel \\\\ Lima\\, 10115 Berlin\\nTechnician: Ana Lima"
    )
    assert 'ATTENDEE;CN="Weiß, Jana; Dr.";ROLE=REQ-PARTICIPANT:mailto:jana@example.org' in lines
    moved = sched.reschedule(b.reference, Slot(b.technician_id, "Ana Lima", utc(5, 7), utc(5, 9)), now=NOW)
    assert (moved.reference, moved.contact_phone) == (b.reference, "+49 30 1234567")
