"""What happens after a decision: part shipments, send-in repairs and follow-ups, kept in step with sessions.

The store announces every decision it writes (:class:`~triage.records.sessions.DecisionWritten`);
:func:`on_decision` keeps the session's fulfilment rows in step, in the session's own transaction:

* ``ship_part`` -> a :class:`~triage.records.schema.Shipment` with a readable reference (``SHP-4K7Q-92XD``),
  status ``requested``, its address still to confirm;
* ``repair`` -> a :class:`~triage.records.schema.Repair` under the decision's RMA reference, ``awaiting_device``;
* ``resolved`` with ``follow_up_days`` -> a :class:`~triage.records.schema.FollowUp` due that many days after
  the decision.

Replaying or announcing again never adds a second row for the same decision. A decision that goes away (the
walk went back, or ended elsewhere) cancels what it had created and is not yet under way, with the reason:
nothing booked is silently lost, and nothing already shipped is called off.

Life of each (:class:`Fulfilment` moves them, only forward, recording who and when)::

    shipment  requested -> shipped -> delivered -> returned      (requested or shipped -> cancelled)
    repair    awaiting_device -> received -> repaired -> returned (awaiting_device -> cancelled)
    follow-up open -> held ("the fix lasted") | failed | cancelled

A follow-up that failed marks the session's outcome truth ``not_resolved``, as a repeat contact does.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DBSession

from triage.errors import NotFound, Refused
from triage.limits import check_length, limits
from triage.records.schema import FollowUp, Repair, SessionRow, Shipment, utcnow
from triage.trees.model import OutcomeKind
from triage.walk.session import Session

if TYPE_CHECKING:
    from triage.records.sessions import DecisionWritten
    from triage.records.store import Store

__all__ = [
    "ADDRESS_LINES",
    "FOLLOW_UP_STATUSES",
    "REPAIR_STATUSES",
    "SHIPMENT_STATUSES",
    "WALK",
    "FollowUpView",
    "Fulfilment",
    "RepairView",
    "ShipmentView",
    "new_reference",
    "on_decision",
    "sync_fulfilment",
]

SHIPMENT_STATUSES = ("requested", "shipped", "delivered", "returned", "cancelled")
REPAIR_STATUSES = ("awaiting_device", "received", "repaired", "returned", "cancelled")
FOLLOW_UP_STATUSES = ("open", "held", "failed", "cancelled")

# where each status may go next: forward one step, or called off while nothing irreversible happened
_SHIPMENT_NEXT = {
    "requested": ("shipped", "cancelled"),
    "shipped": ("delivered", "returned", "cancelled"),  # returned: the parcel came back undelivered
    "delivered": ("returned",),  # returned: the old part came back
}
_REPAIR_NEXT = {
    "awaiting_device": ("received", "cancelled"),
    "received": ("repaired",),
    "repaired": ("returned",),
}

WALK = "triage"
"""Who changed a row when the walk did (a decision created it, or a changed decision cancelled it)."""

ADDRESS_LINES = 8
"""Lines in a shipping address; each is at most ``limits().contact`` characters."""

# no 0/O, 1/I: a reference is read out on the phone
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference(prefix: str = "SHP") -> str:
    """A readable random reference such as ``SHP-4K7Q-92XD``."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


# -- keeping rows in step with decisions ------------------------------------------------------------------

_KINDS = (OutcomeKind.SHIP_PART, OutcomeKind.REPAIR, OutcomeKind.RESOLVED)


def on_decision(news: DecisionWritten) -> None:
    """The fulfilment listener: keep the session's shipments, repairs and follow-ups in step with its decision."""
    # only these kinds, or leaving one, change anything (first: what was stored before is unknown)
    if news.first or news.kind in _KINDS or news.previous in _KINDS:
        sync_fulfilment(news.db, news.session)


def sync_fulfilment(db: DBSession, session: Session) -> None:
    """Create what the session's decision asks for and cancel what an earlier decision asked for (idempotent)."""
    d = session.decision
    kind = d.kind if d is not None else None
    now = session.events[-1].at
    reason = f"{WALK}: the decision changed to {kind.value if kind else 'an open walk'}"
    _sync_shipment(db, session, now, reason)
    _sync_repair(db, session, now, reason)
    _sync_follow_up(db, session, now, reason)


def _parts(session: Session) -> list[dict[str, Any]]:
    d = session.decision
    if d is None or d.kind is not OutcomeKind.SHIP_PART:
        return []
    return [{"part": p.part, "quantity": p.quantity} for p in d.shipment]


def _customer(session: Session) -> str | None:
    value = session.facts.get("customer_id")
    return str(value) if value else None


def _sync_shipment(db: DBSession, session: Session, now: datetime, reason: str) -> None:
    d = session.decision
    wanted = _parts(session)
    return_old = bool(d.return_old) if d is not None else False
    rows = db.scalars(
        select(Shipment).where(Shipment.session_id == session.id, Shipment.status != "cancelled")
    ).all()
    same = [r for r in rows if wanted and list(r.parts) == wanted and r.return_old == return_old]
    for r in rows:
        if r not in same and r.status == "requested":  # not sent yet: call it off
            r.status, r.updated_at, r.updated_by = "cancelled", now, reason[:100]
    if wanted and not same:
        address = session.facts.get("address")
        db.add(
            Shipment(
                reference=new_reference(),
                session_id=session.id,
                customer_id=_customer(session),
                parts=wanted,
                address=address if isinstance(address, str) and address.strip() else None,
                address_confirmed=False,
                return_old=return_old,
                status="requested",
                created_at=now,
                updated_at=now,
                updated_by=WALK,
            )
        )


def _sync_repair(db: DBSession, session: Session, now: datetime, reason: str) -> None:
    d = session.decision
    rows = db.scalars(select(Repair).where(Repair.session_id == session.id).order_by(Repair.id)).all()
    if d is None or d.kind is not OutcomeKind.REPAIR or not d.rma:
        for r in rows:
            if r.status == "awaiting_device":  # the device was never sent: call it off
                r.status, r.updated_at, r.updated_by = "cancelled", now, reason[:100]
        return
    live = [r for r in rows if r.status != "cancelled"]
    if live:
        return
    if rows:  # the walk came back to the repair: the same RMA reference is open again
        again = rows[-1]
        again.status, again.depot, again.updated_at, again.updated_by = (
            "awaiting_device",
            d.depot or "",
            now,
            WALK,
        )
        return
    rma = d.rma
    if db.scalar(select(Repair.id).where(Repair.rma == rma)) is not None:
        rma = new_reference(d.rma)  # another session's reference begins the same: keep both apart
    db.add(
        Repair(
            rma=rma[:30],
            session_id=session.id,
            customer_id=_customer(session),
            depot=d.depot or "",
            status="awaiting_device",
            created_at=now,
            updated_at=now,
            updated_by=WALK,
        )
    )


def _decided_at(session: Session) -> datetime:
    """When the walk reached its decision (the outcome step), not when it was last written."""
    return session.path[-1].arrived_at if session.path else session.events[-1].at


def _sync_follow_up(db: DBSession, session: Session, now: datetime, reason: str) -> None:
    d = session.decision
    due: datetime | None = None
    if d is not None and d.kind is OutcomeKind.RESOLVED and d.follow_up_days:
        due = _decided_at(session) + timedelta(days=d.follow_up_days)
    what = d.follow_up if d is not None else ""
    rows = db.scalars(
        select(FollowUp).where(FollowUp.session_id == session.id, FollowUp.status == "open")
    ).all()
    same = [r for r in rows if due is not None and r.due_at == due and r.what == what]
    for r in rows:
        if r not in same:
            r.status, r.done_at, r.done_by, r.result = "cancelled", now, WALK, reason
    if due is not None and not same:
        db.add(
            FollowUp(
                session_id=session.id,
                customer_id=_customer(session),
                due_at=due,
                what=what,
                status="open",
                created_at=now,
            )
        )


# -- what staff see and do ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShipmentView:
    """A shipment as stored."""

    id: int
    reference: str
    session_id: str | None
    customer_id: str | None
    parts: list[dict[str, Any]]
    address: str | None
    address_confirmed: bool
    return_old: bool
    status: str
    created_at: datetime
    updated_at: datetime
    updated_by: str | None

    @property
    def next_statuses(self) -> tuple[str, ...]:
        """Where this shipment may go next."""
        return _SHIPMENT_NEXT.get(self.status, ())


@dataclass(frozen=True)
class RepairView:
    """A send-in repair as stored."""

    id: int
    rma: str
    session_id: str | None
    customer_id: str | None
    depot: str
    status: str
    created_at: datetime
    updated_at: datetime
    updated_by: str | None

    @property
    def next_statuses(self) -> tuple[str, ...]:
        """Where this repair may go next."""
        return _REPAIR_NEXT.get(self.status, ())


@dataclass(frozen=True)
class FollowUpView:
    """A follow-up task as stored."""

    id: int
    session_id: str
    customer_id: str | None
    due_at: datetime
    what: str
    status: str
    created_at: datetime
    done_at: datetime | None
    done_by: str | None
    result: str | None


def _shipment(r: Shipment) -> ShipmentView:
    return ShipmentView(
        r.id,
        r.reference,
        r.session_id,
        r.customer_id,
        [dict(p) for p in r.parts],
        r.address,
        r.address_confirmed,
        r.return_old,
        r.status,
        r.created_at,
        r.updated_at,
        r.updated_by,
    )


def _repair(r: Repair) -> RepairView:
    return RepairView(
        r.id, r.rma, r.session_id, r.customer_id, r.depot, r.status, r.created_at, r.updated_at, r.updated_by
    )


def _follow_up(r: FollowUp) -> FollowUpView:
    return FollowUpView(
        r.id,
        r.session_id,
        r.customer_id,
        r.due_at,
        r.what,
        r.status,
        r.created_at,
        r.done_at,
        r.done_by,
        r.result,
    )


def _who(by: str) -> str:
    by = check_length("name", by.strip(), limit=limits().name)
    if not by:
        raise Refused("say who makes the change")
    return by


def _check_address(address: str) -> str:
    lines = [line.strip() for line in address.strip().splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise Refused("an address is required: street, postcode and town")
    if len(lines) > ADDRESS_LINES:
        raise Refused(f"an address has at most {ADDRESS_LINES} lines (got {len(lines)})")
    for line in lines:
        check_length("line of an address", line, limit=limits().contact)
    return "\n".join(lines)


def _refuse_move(what: str, ref: str, status: str, to: str, allowed: Sequence[str]) -> Refused:
    if status == to:
        return Refused(f"{what} {ref} is already {status}")
    if not allowed:
        return Refused(f"{what} {ref} is {status}; it does not change any more")
    return Refused(f"{what} {ref} is {status}; it can go to {' or '.join(allowed)}, not {to}")


class Fulfilment:
    """Staff operations on shipments, repairs and follow-ups. Every method is one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # shipments
    def shipments(
        self, *, status: Sequence[str] | None = None, session_id: str | None = None, limit: int = 200
    ) -> list[ShipmentView]:
        """Shipments, oldest first, optionally by status and session."""
        with self.store.tx() as db:
            q = select(Shipment).order_by(Shipment.created_at, Shipment.id).limit(limit)
            if status:
                q = q.where(Shipment.status.in_(tuple(status)))
            if session_id:
                q = q.where(Shipment.session_id == session_id)
            return [_shipment(r) for r in db.scalars(q).all()]

    def shipment(self, reference: str) -> ShipmentView:
        """One shipment by its reference."""
        with self.store.tx() as db:
            return _shipment(self._shipment(db, reference))

    def _shipment(self, db: DBSession, reference: str) -> Shipment:
        check_length("shipment reference", reference, limit=limits().identifier)
        row = db.scalar(
            select(Shipment).where(Shipment.reference == reference.strip().upper()).with_for_update()
        )
        if row is None:
            raise NotFound(f"no shipment {reference!r}")
        return row

    def confirm_address(self, reference: str, address: str, by: str) -> ShipmentView:
        """Confirm where the shipment goes; only before it is shipped."""
        address, by = _check_address(address), _who(by)
        with self.store.tx() as db:
            row = self._shipment(db, reference)
            if row.status != "requested":
                raise Refused(f"shipment {row.reference} is {row.status}; its address can no longer change")
            row.address, row.address_confirmed = address, True
            row.updated_at, row.updated_by = utcnow(), by
            return _shipment(row)

    def move_shipment(self, reference: str, to: str, by: str) -> ShipmentView:
        """Move a shipment on (shipping needs a confirmed address)."""
        by = _who(by)
        with self.store.tx() as db:
            row = self._shipment(db, reference)
            allowed = _SHIPMENT_NEXT.get(row.status, ())
            if to not in allowed:
                raise _refuse_move("shipment", row.reference, row.status, to, allowed)
            if to == "shipped" and not row.address_confirmed:
                raise Refused(
                    f"shipment {row.reference} has no confirmed address; confirm it before shipping"
                )
            row.status, row.updated_at, row.updated_by = to, utcnow(), by
            return _shipment(row)

    # repairs
    def repairs(
        self, *, status: Sequence[str] | None = None, session_id: str | None = None
    ) -> list[RepairView]:
        """Repairs, oldest first, optionally by status and session."""
        with self.store.tx() as db:
            q = select(Repair).order_by(Repair.created_at, Repair.id)
            if status:
                q = q.where(Repair.status.in_(tuple(status)))
            if session_id:
                q = q.where(Repair.session_id == session_id)
            return [_repair(r) for r in db.scalars(q).all()]

    def move_repair(self, rma: str, to: str, by: str) -> RepairView:
        """Move a repair on: the device received, repaired, returned (or the repair called off before it came)."""
        by = _who(by)
        check_length("RMA reference", rma, limit=limits().identifier)
        with self.store.tx() as db:
            row = db.scalar(select(Repair).where(Repair.rma == rma.strip().upper()).with_for_update())
            if row is None:
                raise NotFound(f"no repair {rma!r}")
            allowed = _REPAIR_NEXT.get(row.status, ())
            if to not in allowed:
                raise _refuse_move("repair", row.rma, row.status, to, allowed)
            row.status, row.updated_at, row.updated_by = to, utcnow(), by
            return _repair(row)

    # follow-ups
    def follow_ups(
        self,
        *,
        status: Sequence[str] | None = ("open",),
        due_by: datetime | None = None,
        session_id: str | None = None,
    ) -> list[FollowUpView]:
        """Follow-ups, earliest due first; ``due_by``: only those due by then."""
        with self.store.tx() as db:
            q = select(FollowUp).order_by(FollowUp.due_at, FollowUp.id)
            if status:
                q = q.where(FollowUp.status.in_(tuple(status)))
            if due_by is not None:
                q = q.where(FollowUp.due_at <= due_by)
            if session_id:
                q = q.where(FollowUp.session_id == session_id)
            return [_follow_up(r) for r in db.scalars(q).all()]

    def close_follow_up(self, follow_up_id: int, held: bool, by: str, result: str = "") -> FollowUpView:
        """Close a follow-up: the fix ``held``, or it did not (the session's outcome truth becomes not resolved)."""
        by = _who(by)
        result = check_length("follow-up result", result.strip(), limit=limits().note)
        with self.store.tx() as db:
            row = db.get(FollowUp, follow_up_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no follow-up {follow_up_id}")
            if row.status != "open":
                raise Refused(f"follow-up {follow_up_id} is already {row.status}; it cannot be closed again")
            row.status, row.done_at, row.done_by = ("held" if held else "failed"), utcnow(), by
            row.result = result or None
            if not held:  # the fix did not last: the session was not resolved after all
                db.execute(
                    update(SessionRow).where(SessionRow.id == row.session_id).values(truth="not_resolved")
                )
            return _follow_up(row)
