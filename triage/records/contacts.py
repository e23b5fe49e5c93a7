"""Customers' contact details and address, one row per session, kept only as long as configured.

A customer gives a name, a phone number or an e-mail address, their consent and, for a visit or a parcel, an
address; an agent may correct them later (``updated_by``). The row lives in ``customer_contacts`` and nowhere
else that analytics or exports read. :meth:`Contacts.purge` erases rows older than the retention
(``TRIAGE_CONTACT_RETENTION_DAYS``, default 90) and :meth:`Contacts.forget` erases one customer's rows together
with the copies of their address and contact on bookings, shipments and outage notices.

Validation (what a name or a phone number must look like, which region a postcode is in) is the desk's:
:mod:`triage.desk.customers`. This module stores what it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as DBSession

from triage.errors import NotFound
from triage.records.audit import record
from triage.records.refs import normalize
from triage.records.schema import (
    Booking,
    Case,
    CustomerContact,
    OutageNotice,
    SessionRow,
    Shipment,
    utcnow,
)

if TYPE_CHECKING:
    from triage.records.store import Store

__all__ = ["ContactRow", "Contacts", "Forgotten"]

_FIELDS = ("name", "phone", "email", "address", "postcode", "city", "region")


@dataclass(frozen=True)
class ContactRow:
    """A stored contact, as read."""

    session_id: str
    customer_id: str | None
    name: str
    phone: str | None
    email: str | None
    consent_at: datetime
    consent_locale: str
    address: str | None
    postcode: str | None
    city: str | None
    region: str | None
    created_at: datetime
    updated_at: datetime
    updated_by: str | None


@dataclass(frozen=True)
class Forgotten:
    """What :meth:`Contacts.forget` erased: counts only, never the data itself."""

    sessions: int
    contacts: int
    bookings: int
    shipments: int
    notices: int

    def summary(self) -> str:
        """The counts in words, for the audit log and the CLI."""
        return (
            f"{self.contacts} contact(s), {self.bookings} visit address(es), {self.shipments} shipping "
            f"address(es) and {self.notices} outage notice(s) erased for {self.sessions} session(s)"
        )


def _erase(db: DBSession, statement: Any) -> int:
    """Run a bulk delete or update; how many rows it touched."""
    result = db.execute(statement, execution_options={"synchronize_session": False})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a CursorResult for DML


def _row(c: CustomerContact) -> ContactRow:
    return ContactRow(
        session_id=c.session_id,
        customer_id=c.customer_id,
        name=c.name,
        phone=c.phone,
        email=c.email,
        consent_at=c.consent_at,
        consent_locale=c.consent_locale,
        address=c.address,
        postcode=c.postcode,
        city=c.city,
        region=c.region,
        created_at=c.created_at,
        updated_at=c.updated_at,
        updated_by=c.updated_by,
    )


class Contacts:
    """Read, write, purge and forget customers' contact rows."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, session_id: str) -> ContactRow | None:
        """The contact given in session ``session_id``, or ``None``."""
        with self.store.tx() as db:
            c = db.get(CustomerContact, session_id)
            return _row(c) if c is not None else None

    def save(
        self, session_id: str, fields: Mapping[str, str | None], *, locale: str, editor: str | None
    ) -> ContactRow:
        """Keep ``fields`` (name, phone, email, address, postcode, city, region) as the contact of a session.

        A customer saving (``editor`` None) gives their consent now, in ``locale``. An agent's edit keeps the
        consent already given and records who edited; a contact an agent creates was given on a call, so its
        consent is the edit's time. :class:`~triage.errors.NotFound` if the session is unknown.
        """
        now = utcnow()
        with self.store.tx() as db:
            session = db.get(SessionRow, session_id)
            if session is None:
                raise NotFound(f"no session {session_id!r}")
            c = db.get(CustomerContact, session_id)
            if c is None:
                c = CustomerContact(
                    session_id=session_id, created_at=now, consent_at=now, consent_locale=locale
                )
                db.add(c)
            elif editor is None:  # the customer agreed again, to what the form says now
                c.consent_at, c.consent_locale = now, locale
            c.customer_id = session.customer_id
            for name in _FIELDS:
                setattr(c, name, fields.get(name))
            c.updated_at, c.updated_by = now, editor
            db.flush()
            return _row(c)

    def sessions_for(self, ident: str) -> list[str]:
        """The sessions ``ident`` names: a session id, a session's or a case's reference, or a customer id.

        A customer id names every session started under it and every contact given under it. Each reading is
        tried, so a customer id that happens to read as a reference (``a3f9c2``) still finds its sessions.
        """
        ref = normalize(ident)
        with self.store.tx() as db:
            found = set(db.scalars(select(SessionRow.id).where(SessionRow.id == ident)).all())
            found |= set(db.scalars(select(SessionRow.id).where(SessionRow.customer_id == ident)).all())
            found |= set(
                db.scalars(
                    select(CustomerContact.session_id).where(CustomerContact.customer_id == ident)
                ).all()
            )
            if ref is not None:
                found |= set(db.scalars(select(SessionRow.id).where(SessionRow.reference == ref)).all())
                found |= set(db.scalars(select(Case.session_id).where(Case.reference == ref)).all())
        return sorted(found)

    def expired(self, before: datetime) -> list[str]:
        """The sessions whose contact was given before ``before``."""
        with self.store.tx() as db:
            return list(
                db.scalars(
                    select(CustomerContact.session_id).where(CustomerContact.created_at < before)
                ).all()
            )

    def forget(self, session_ids: Sequence[str], *, event: str, actor: str) -> Forgotten:
        """Erase the contacts of ``session_ids`` and their copies on bookings, shipments and outage notices.

        One audit line (``event``) records the counts, in the same transaction; never the data or the ids.
        """
        ids = sorted(set(session_ids))
        with self.store.tx() as db:
            done = Forgotten(
                sessions=len(ids),
                contacts=_erase(db, delete(CustomerContact).where(CustomerContact.session_id.in_(ids))),
                bookings=_erase(
                    db,
                    update(Booking)
                    .where(Booking.session_id.in_(ids), Booking.address.is_not(None))
                    .values(address=None),
                ),
                shipments=_erase(
                    db,
                    update(Shipment)
                    .where(Shipment.session_id.in_(ids), Shipment.address.is_not(None))
                    .values(address=None, address_confirmed=False),
                ),
                # a notice is nothing but the contact to tell: erasing the contact is deleting the notice
                notices=_erase(db, delete(OutageNotice).where(OutageNotice.session_id.in_(ids))),
            )
            record(db, event, actor, utcnow(), actor=actor, detail=done.summary())
        return done
