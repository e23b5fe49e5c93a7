"""No technician during a declared outage, on SQLite and a real PostgreSQL server: booking a visit of the
outage's service in its region is refused unless an agent overrides it with a reason, which the booking keeps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from outage_trees import LINE_VISIT, publish_line_down
from sqlalchemy import select

from triage.errors import BookingError, LimitExceeded
from triage.records.outages import Outages
from triage.records.schema import Booking
from triage.records.store import Store
from triage.visits import Scheduler

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin
REFUSAL = (
    "an outage of internet in Berlin is declared until Mon 2025-03-03 18:00 UTC (outage {id}); a visit cannot fix "
    "it; an agent may override with a reason"
)


@pytest.fixture
def sched(store_url: str) -> Iterator[Scheduler]:
    """A scheduler with the internet tree published and one line technician in Berlin."""
    store = Store(store_url)
    publish_line_down(store)
    s = Scheduler(store)
    s.add_technician("Ana Lima", ["broadband-line"], ["Berlin", "Potsdam"])
    yield s
    store.dispose()


def outage(store: Store, region: str = "Berlin", start: datetime = NOW - timedelta(hours=1)) -> int:
    end = datetime(2025, 3, 3, 18, 0, tzinfo=UTC)
    return (
        Outages(store)
        .declare(
            region,
            "internet",
            message={"en": "Cable cut."},
            who="sam",
            start=start,
            expected_end=end,
            now=NOW,
        )
        .id
    )


def visit_session(store: Store, region: str = "Berlin") -> str:
    s = store.start_session("line-down", facts={"region": region}, customer_id="C-1")
    for a in LINE_VISIT:
        s.answer(a)
    assert s.decision is not None
    assert s.decision.skill == "broadband-line"
    return s.id


def stored_override(store: Store, booking_id: int) -> str | None:
    with store.tx() as db:
        return db.scalar(select(Booking.outage_override).where(Booking.id == booking_id))


def test_a_visit_in_an_outage_is_refused_without_an_override(sched: Scheduler) -> None:
    """The session's tree gives the service; the region matches ignoring case: refused, nothing booked."""
    oid = outage(sched.store)
    sid = visit_session(sched.store, " berlin ")
    with pytest.raises(BookingError) as exc:
        sched.book_for_session(sid, now=NOW)
    assert str(exc.value) == REFUSAL.format(id=oid)
    assert sched.bookings() == []
    with pytest.raises(BookingError, match="an outage of internet in Berlin"):
        sched.book("broadband-line", "Berlin", session_id=sid, now=NOW)  # service read from the session
    with pytest.raises(BookingError, match="an outage of internet in Berlin"):
        sched.book("broadband-line", "Berlin", service="internet", now=NOW)
    assert sched.bookings() == []


def test_an_override_with_a_reason_books_and_is_kept(sched: Scheduler) -> None:
    """With a reason the visit is booked; the booking and its view keep the reason, a reschedule too."""
    outage(sched.store)
    sid = visit_session(sched.store)
    b = sched.book_for_session(sid, now=NOW, outage_override="  Customer's own socket is burnt  ")
    assert b.outage_override == "Customer's own socket is burnt"
    assert stored_override(sched.store, b.id) == "Customer's own socket is burnt"
    moved = sched.reschedule(b.id, now=NOW)
    assert moved.id != b.id
    assert moved.outage_override == "Customer's own socket is burnt"
    assert sched.booking(moved.id).outage_override == "Customer's own socket is burnt"


def test_an_empty_or_overlong_override_is_refused(sched: Scheduler) -> None:
    """An override needs a reason; a reason longer than a note is refused; nothing is booked."""
    outage(sched.store)
    sid = visit_session(sched.store)
    with pytest.raises(BookingError, match=r"an outage override needs a reason \(got an empty one\)"):
        sched.book_for_session(sid, now=NOW, outage_override="   ")
    with pytest.raises(LimitExceeded, match="a reason for overriding an outage is at most 4,000 characters"):
        sched.book_for_session(sid, now=NOW, outage_override="x" * 4001)
    assert sched.bookings() == []


def test_other_regions_services_and_times_are_not_held_up(sched: Scheduler) -> None:
    """Another region, another service, an outage not yet started or already ended: the visit is booked, and no
    override is stored where nothing was overridden."""
    outage(sched.store, "Potsdam", start=NOW + timedelta(hours=2))  # not started yet at NOW
    ended = outage(sched.store)
    Outages(sched.store).end(ended, "sam", NOW - timedelta(minutes=5))
    b = sched.book_for_session(visit_session(sched.store, "Potsdam"), now=NOW, outage_override="just in case")
    assert (b.region, b.outage_override) == ("Potsdam", None)
    outage(sched.store)  # Berlin, running
    tv = sched.book("broadband-line", "Berlin", service="tv", now=NOW)
    assert tv.status == "booked"
    free = sched.book("broadband-line", "Berlin", now=NOW)  # neither a service nor a session: not checked
    assert free.status == "booked"
