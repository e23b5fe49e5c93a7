"""The customer_contacts rows: kept per session, found by any id a person gives, erased with every copy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from boxhelp import publish_box, walk
from sqlalchemy import select

from triage.errors import NotFound
from triage.records import audit
from triage.records.contacts import Contacts
from triage.records.outages import Outages
from triage.records.schema import Booking, Case, OutageNotice, SessionRow, Shipment, Technician
from triage.records.store import Store

FIELDS = {
    "name": "Ana Lopez",
    "phone": "+49 30 1234567",
    "email": None,
    "address": "Hauptstr. 1",
    "postcode": "10115",
    "city": "Berlin",
    "region": "berlin",
}


@pytest.fixture
def box(store_url: str) -> Iterator[Store]:
    """A fresh store (SQLite, then PostgreSQL) with the box-help tree published."""
    st = publish_box(Store(store_url))
    yield st
    st.dispose()


def _booking(store: Store, session_id: str, address: str) -> int:
    with store.tx() as db:
        tech = Technician(name=f"T-{session_id[:6]}", skills=["x"], regions=["berlin"], hours={})
        db.add(tech)
        db.flush()
        now = datetime.now(UTC)
        b = Booking(
            session_id=session_id,
            technician_id=tech.id,
            start=now,
            end=now + timedelta(hours=2),
            skill="x",
            region="berlin",
            urgency="normal",
            address=address,
            created_at=now,
        )
        db.add(b)
        db.flush()
        return b.id


def test_a_customer_saves_then_an_agent_edits(box: Store) -> None:
    """The customer's consent stays when an agent corrects the row; the agent is named, the customer id copied."""
    s = walk(box, "flicker", customer="C-7")
    contacts = Contacts(box)
    first = contacts.save(s.id, FIELDS, locale="de", editor=None)
    assert (first.customer_id, first.name, first.consent_locale, first.updated_by) == (
        "C-7",
        "Ana Lopez",
        "de",
        None,
    )
    edited = contacts.save(s.id, {**FIELDS, "phone": "+49 30 7654321"}, locale="en", editor="ana")
    assert (edited.phone, edited.consent_at, edited.consent_locale, edited.updated_by) == (
        "+49 30 7654321",
        first.consent_at,
        "de",
        "ana",
    )
    assert contacts.get(s.id) == edited
    assert contacts.get("no-such-session") is None


def test_saving_for_an_unknown_session_is_refused(box: Store) -> None:
    """A contact belongs to a stored session."""
    with pytest.raises(NotFound, match="no session 'nope'"):
        Contacts(box).save("nope", FIELDS, locale="en", editor=None)


def test_sessions_are_found_by_every_id_a_person_gives(box: Store) -> None:
    """A session id, its reference, a case's reference (any case, O for 0) and a customer id all find sessions."""
    a = walk(box, "flicker", "fault", customer="C-9")
    b = walk(box, "remote", customer="C-9")
    other = walk(box, "remote", customer="C-10")
    contacts = Contacts(box)
    with box.tx() as db:
        ref = db.get(SessionRow, a.id).reference  # type: ignore[union-attr]
        case_ref = db.scalars(select(Case.reference).where(Case.session_id == a.id)).one()
    assert ref is not None
    assert case_ref is not None
    assert contacts.sessions_for(a.id) == [a.id]
    assert contacts.sessions_for(ref.lower().replace("-", " ")) == [a.id]
    assert contacts.sessions_for(case_ref) == [a.id]
    assert contacts.sessions_for("C-9") == sorted([a.id, b.id])
    assert other.id not in contacts.sessions_for("C-9")
    assert contacts.sessions_for("C-nobody") == []


def test_forget_erases_the_row_and_every_copy_and_audits_counts_only(box: Store) -> None:
    """Contact row, booking address, shipment address and outage notice go; the audit line holds no data."""
    s = walk(box, "both", customer="C-11")
    keep = walk(box, "both", customer="C-12")
    contacts = Contacts(box)
    contacts.save(s.id, FIELDS, locale="en", editor=None)
    contacts.save(keep.id, FIELDS, locale="en", editor=None)
    _booking(box, s.id, "Hauptstr. 1, 10115 Berlin")
    kept_booking = _booking(box, keep.id, "Hafenstr. 2, 20457 Hamburg")
    with box.tx() as db:
        for row in db.scalars(select(Shipment)).all():
            row.address, row.address_confirmed = "Hauptstr. 1\n10115 Berlin", True
    outage = Outages(box).declare("berlin", "internet", message={"en": "down"}, who="ops")
    Outages(box).subscribe(outage.id, s.id, "+49 30 1234567")
    Outages(box).subscribe(outage.id, keep.id, "+49 30 1111111")

    done = contacts.forget([s.id], event="contact_forgotten", actor="dpo")

    assert (done.sessions, done.contacts, done.bookings, done.shipments, done.notices) == (1, 1, 1, 1, 1)
    assert contacts.get(s.id) is None
    assert contacts.get(keep.id) is not None
    with box.tx() as db:
        assert db.scalars(select(Booking.address).where(Booking.session_id == s.id)).one() is None
        assert db.get(Booking, kept_booking).address == "Hafenstr. 2, 20457 Hamburg"  # type: ignore[union-attr]
        gone = db.scalars(select(Shipment).where(Shipment.session_id == s.id)).one()
        assert (gone.address, gone.address_confirmed) == (None, False)
        assert db.scalars(select(Shipment.address).where(Shipment.session_id == keep.id)).one()
        assert db.scalars(select(OutageNotice.session_id)).all() == [keep.id]
    [line] = audit.entries(box)
    assert (line.event, line.username, line.actor) == ("contact_forgotten", "dpo", "dpo")
    assert line.detail == (
        "1 contact(s), 1 visit address(es), 1 shipping address(es) and 1 outage notice(s) erased for 1 session(s)"
    )
    for secret in ("Ana", "1234567", "Hauptstr", "C-11", s.id):
        assert secret not in line.detail


def test_expired_lists_contacts_given_before_a_time(box: Store) -> None:
    """Only rows created before the cut-off are due."""
    s = walk(box, "flicker")
    Contacts(box).save(s.id, FIELDS, locale="en", editor=None)
    now = datetime.now(UTC)
    assert Contacts(box).expired(now - timedelta(days=1)) == []
    assert Contacts(box).expired(now + timedelta(seconds=1)) == [s.id]
