"""Booking a decided visit from the console and self-service (triage.desk.booking), on a real SQLite store: the
days to choose from, booking, moving and cancelling with the calendar file to send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from libraries import NO_INTERNET_LINE_FAULT

from triage.desk import booking as visits
from triage.desk.customers import save_contact
from triage.errors import BookingError
from triage.records.sessions import StoredSession
from triage.records.store import Store
from triage.trees.library import Library
from triage.visits import Scheduler, Slot

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin
# no-internet to its broadband-line visit (normal urgency): two line tests find a fault around a restart,
# the cables and a remote re-profile
LINE_FAULT = list(NO_INTERNET_LINE_FAULT)


@pytest.fixture
def db(tmp_path: Path, shipped_lib: Library) -> Iterator[Store]:
    st = Store(f"sqlite:///{tmp_path / 'booking.db'}")
    st.sync(shipped_lib)
    yield st
    st.dispose()


def line_visit(db: Store) -> StoredSession:
    stored = db.start_session("no-internet", mode="self_service")
    for answer in LINE_FAULT:
        stored.answer(answer)
    return stored


def test_visit_days_follow_the_decision_and_book(db: Store) -> None:
    """Days start the next working day for a normal visit, skip the weekend, read in Berlin time, and book."""
    Scheduler(db).add_technician("Ana Lima", ["broadband-line"], ["north"])
    stored = line_visit(db)
    days = visits.visit_days(db, stored, " north", days=5, now=NOW)
    assert [d.label for d in days] == [
        "Tue 2025-03-04",
        "Wed 2025-03-05",
        "Thu 2025-03-06",
        "Fri 2025-03-07",
        "Mon 2025-03-10",
    ]
    assert [c.time for c in days[0].slots] == [
        "08:00–10:00 (CET) · Ana Lima",
        "10:00–12:00 (CET) · Ana Lima",
        "12:00–14:00 (CET) · Ana Lima",
        "14:00–16:00 (CET) · Ana Lima",
    ]
    assert days[1].slots[0].label == "Wed 2025-03-05, 08:00–10:00 (CET) · Ana Lima"
    assert visits.visit_regions(db, "broadband-line") == ["north"]
    booking = visits.book_visit(db, stored.id, days[1].slots[2].slot, " north", now=NOW)
    assert (booking.start, booking.parts, booking.urgency, booking.sequence) == (
        days[1].slots[2].slot.start,
        ("dsl-filter", "line-cable"),
        "normal",
        0,
    )
    assert len(booking.reference) == 7
    assert visits.session_booking(db, stored.id) == booking
    assert visits.technician_zone(db, booking.technician_id) == "Europe/Berlin"
    cal = visits.visit_calendar(db, booking, now=NOW)
    assert cal.name == f"visit-{booking.reference}.ics"
    assert "DTSTART:20250305T110000Z\r\n" in cal.text
    assert f"UID:{booking.reference}@triage\r\n" in cal.text
    again = visits.visit_days(db, stored, "north", days=5, now=NOW)
    assert [c.slot.start.hour for c in again[1].slots] == [7, 9, 13]  # the booked slot is no longer free


def test_moving_and_cancelling_return_the_calendar_file_to_send(db: Store) -> None:
    """A move keeps the reference and raises SEQUENCE; a cancellation sends METHOD:CANCEL; the session's latest
    visit is the cancelled one, and a new booking gets a new reference."""
    Scheduler(db).add_technician("Ana Lima", ["broadband-line"], ["north"])
    stored = line_visit(db)
    first = visits.visit_days(db, stored, "north", days=3, now=NOW)[0].slots[0].slot
    booking = visits.book_visit(db, stored.id, first, "north", now=NOW)
    later = visits.reschedule_days(db, booking, days=3, now=NOW)[2].slots[1].slot
    moved = visits.reschedule_visit(db, booking, later, now=NOW)
    assert (moved.booking.reference, moved.booking.sequence, moved.booking.start) == (
        booking.reference,
        1,
        later.start,
    )
    assert "METHOD:REQUEST\r\n" in moved.calendar.text
    assert "SEQUENCE:1\r\n" in moved.calendar.text
    assert moved.calendar.name == f"visit-{booking.reference}.ics"
    gone = visits.cancel_visit(db, booking.reference, "customer is away", now=NOW)
    assert (gone.booking.status, gone.booking.sequence, gone.booking.cancel_reason) == (
        "cancelled",
        2,
        "customer is away",
    )
    assert "METHOD:CANCEL\r\n" in gone.calendar.text
    assert "STATUS:CANCELLED\r\n" in gone.calendar.text
    assert f"UID:{booking.reference}@triage\r\n" in gone.calendar.text
    assert visits.session_booking(db, stored.id) is None
    latest = visits.session_visit(db, stored.id)
    assert latest is not None
    assert (latest.reference, latest.status) == (booking.reference, "cancelled")
    anew = visits.book_visit(db, stored.id, first, "north", now=NOW)
    assert anew.reference != booking.reference


def test_the_customer_copy_leaves_out_phone_and_email(db: Store) -> None:
    """The technician's .ics names the customer, the phone, the e-mail and the address; the customer's page
    offers a copy without phone and e-mail."""
    Scheduler(db).add_technician("Ana Lima", ["broadband-line"], ["berlin"])
    stored = line_visit(db)
    save_contact(
        db,
        stored.id,
        name="Jana Weiß",
        phone="+49 30 1234567",
        email="jana@example.org",
        consent=True,
        locale="en",
        address="Ring 1, Hof",
        postcode="10115",
        city="Berlin",
        need_address=True,
    )
    slot = visits.visit_days(db, stored, "berlin", days=1, now=NOW)[0].slots[0].slot
    booking = visits.book_visit(db, stored.id, slot, "berlin", now=NOW)
    assert (booking.contact_name, booking.contact_phone, booking.address) == (
        "Jana Weiß",
        "+49 30 1234567",
        "Ring 1, Hof, 10115 Berlin",
    )
    staff = visits.visit_calendar(db, booking, now=NOW).text.replace("\r\n ", "")
    mine = visits.visit_calendar(db, booking, now=NOW, customer=True).text.replace("\r\n ", "")
    assert "Phone: +49 30 1234567" in staff
    assert 'ATTENDEE;CN="Jana Weiß";ROLE=REQ-PARTICIPANT:mailto:jana@example.org\r\n' in staff
    assert "+49 30 1234567" not in mine
    assert "jana@example.org" not in mine
    assert "LOCATION:Ring 1\\, Hof\\, 10115 Berlin\r\n" in mine
    assert "Customer: Jana Weiß" in mine


def test_visit_days_refuse_a_session_that_is_not_a_visit(db: Store) -> None:
    """Only a visit decision has times to book."""
    stored = db.start_session("no-internet", mode="agent")
    stored.answer("one")
    with pytest.raises(BookingError, match=r"did not decide on a home visit \(handover\); nothing to book$"):
        visits.visit_days(db, stored, "north", now=NOW)


def test_slot_and_day_labels_are_in_the_technician_timezone_and_language() -> None:
    """A slot reads as the technician's wall-clock time, with the weekday in the reader's language."""
    slot = Slot(3, "Ben", datetime(2025, 7, 1, 6, 0, tzinfo=UTC), datetime(2025, 7, 1, 8, 0, tzinfo=UTC))
    assert visits.slot_label(slot, "Europe/Berlin", "de") == "Di 2025-07-01, 08:00–10:00 (CEST) · Ben"
    assert visits.day_label(date(2025, 7, 6), "de") == "So 2025-07-06"
