"""After the decision: the part shipments, send-in repairs and follow-ups the Fulfilment page and the CLI work.

Sessions create them (:mod:`triage.records.fulfilment` hears every decision); here staff move them on:

* **shipments**: :func:`confirm_address` (required before shipping; at most
  :data:`~triage.records.fulfilment.ADDRESS_LINES` lines of ``limits().contact`` characters), then
  :func:`ship`, :func:`deliver`, or :func:`move_shipment` to any status the shipment may go to next;
* **repairs**: :func:`move_repair` (device received, repaired, returned);
* **follow-ups**: :func:`follow_ups_due` and :func:`close_follow_up` as held ("the fix lasted") or failed
  (the session's outcome truth becomes not resolved, as after a repeat contact).

:func:`worklist` is what the page lists; :func:`session_fulfilment` what the decision screen shows for one
session; the ``*_row`` functions turn a view into a table line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel import UnknownLocaleError
from babel.dates import format_date

from triage.records.fulfilment import (
    ADDRESS_LINES,
    FOLLOW_UP_STATUSES,
    REPAIR_STATUSES,
    SHIPMENT_STATUSES,
    FollowUpView,
    Fulfilment,
    RepairView,
    ShipmentView,
)
from triage.records.schema import utcnow
from triage.records.store import Store

__all__ = [
    "ADDRESS_LINES",
    "FOLLOW_UP_STATUSES",
    "OPEN_REPAIRS",
    "OPEN_SHIPMENTS",
    "REPAIR_STATUSES",
    "SHIPMENT_STATUSES",
    "CUSTOMER",
    "FollowUpView",
    "RepairView",
    "SessionFulfilment",
    "ShipmentView",
    "Worklist",
    "close_follow_up",
    "confirm_address",
    "deliver",
    "due_date",
    "follow_up_row",
    "follow_ups_due",
    "move_repair",
    "move_shipment",
    "open_follow_ups",
    "parts_text",
    "repair_row",
    "repairs",
    "session_fulfilment",
    "ship",
    "shipment_row",
    "shipments",
    "worklist",
]

OPEN_SHIPMENTS = ("requested", "shipped")
"""Shipments someone still has to act on."""

OPEN_REPAIRS = ("awaiting_device", "received", "repaired")
"""Repairs whose device has not gone back to the customer yet."""

CUSTOMER = "customer"
"""Who confirmed an address when the customer did it on the self-service page."""


def shipments(store: Store, status: Sequence[str] | None = OPEN_SHIPMENTS) -> list[ShipmentView]:
    """Shipments in these statuses (default: still to act on; ``None``: all), oldest first."""
    return Fulfilment(store).shipments(status=status)


def confirm_address(store: Store, reference: str, address: str, by: str) -> ShipmentView:
    """Confirm the address a shipment goes to (before it is shipped)."""
    return Fulfilment(store).confirm_address(reference, address, by)


def move_shipment(store: Store, reference: str, to: str, by: str) -> ShipmentView:
    """Move a shipment to ``to``: only forward, or cancelled; shipping needs a confirmed address."""
    return Fulfilment(store).move_shipment(reference, to, by)


def ship(store: Store, reference: str, by: str) -> ShipmentView:
    """Mark a shipment as shipped (its address must be confirmed)."""
    return move_shipment(store, reference, "shipped", by)


def deliver(store: Store, reference: str, by: str) -> ShipmentView:
    """Mark a shipped shipment as delivered."""
    return move_shipment(store, reference, "delivered", by)


def repairs(store: Store, status: Sequence[str] | None = OPEN_REPAIRS) -> list[RepairView]:
    """Repairs in these statuses (default: not yet back with the customer; ``None``: all), oldest first."""
    return Fulfilment(store).repairs(status=status)


def move_repair(store: Store, rma: str, to: str, by: str) -> RepairView:
    """Move a repair to ``to``: received, repaired, returned (or cancelled before the device came)."""
    return Fulfilment(store).move_repair(rma, to, by)


def follow_ups_due(store: Store, now: datetime | None = None) -> list[FollowUpView]:
    """Open follow-ups due by ``now`` (default: this moment), earliest first."""
    return Fulfilment(store).follow_ups(due_by=now or utcnow())


def open_follow_ups(store: Store) -> list[FollowUpView]:
    """Every open follow-up, due or not, earliest first."""
    return Fulfilment(store).follow_ups()


def close_follow_up(store: Store, follow_up_id: int, held: bool, by: str, result: str = "") -> FollowUpView:
    """Close a follow-up: the fix held, or it failed (the session then counts as not resolved)."""
    return Fulfilment(store).close_follow_up(follow_up_id, held, by, result)


@dataclass(frozen=True)
class Worklist:
    """What the Fulfilment page lists."""

    shipments: list[ShipmentView]
    repairs: list[RepairView]
    follow_ups: list[FollowUpView]


def worklist(store: Store, now: datetime | None = None) -> Worklist:
    """Shipments and repairs still to act on, and the follow-ups due by ``now``."""
    return Worklist(shipments(store), repairs(store), follow_ups_due(store, now))


@dataclass(frozen=True)
class SessionFulfilment:
    """What one session's decision set going: its live shipment, repair and follow-up (each may be ``None``)."""

    shipment: ShipmentView | None
    repair: RepairView | None
    follow_up: FollowUpView | None


def session_fulfilment(store: Store, session_id: str) -> SessionFulfilment:
    """The session's latest shipment, repair and follow-up that were not cancelled."""
    f = Fulfilment(store)
    live = [s for s in f.shipments(session_id=session_id) if s.status != "cancelled"]
    fixes = [r for r in f.repairs(session_id=session_id) if r.status != "cancelled"]
    checks = f.follow_ups(status=("open", "held", "failed"), session_id=session_id)
    return SessionFulfilment(
        live[-1] if live else None, fixes[-1] if fixes else None, checks[-1] if checks else None
    )


def due_date(follow_up: FollowUpView, locale: str) -> str:
    """The day a follow-up is due, as the reader's language writes a date (``10 March 2026``)."""
    try:
        return format_date(follow_up.due_at.date(), format="long", locale=locale)
    except (UnknownLocaleError, ValueError):  # a tag Babel cannot write dates in: ISO is still readable
        return follow_up.due_at.date().isoformat()


def parts_text(parts: Sequence[dict[str, Any]]) -> str:
    """Parts as one line: ``2 x psu-65w, 1 x cable-usbc``."""
    return ", ".join(f"{p.get('quantity', 1)} x {p.get('part', '?')}" for p in parts)


def shipment_row(s: ShipmentView) -> dict[str, Any]:
    """A shipment as a line of the page's table (codes stay codes; the page puts them into words)."""
    return {
        "reference": s.reference,
        "status": s.status,
        "customer": s.customer_id or "",
        "parts": parts_text(s.parts),
        "return_old": s.return_old,
        "address": (s.address or "").replace("\n", ", "),
        "confirmed": s.address_confirmed,
        "updated": s.updated_at,
        "by": s.updated_by or "",
        "session": s.session_id or "",
    }


def repair_row(r: RepairView) -> dict[str, Any]:
    """A repair as a line of the page's table."""
    return {
        "rma": r.rma,
        "status": r.status,
        "customer": r.customer_id or "",
        "depot": r.depot,
        "updated": r.updated_at,
        "by": r.updated_by or "",
        "session": r.session_id or "",
    }


def follow_up_row(f: FollowUpView) -> dict[str, Any]:
    """A follow-up as a line of the page's table."""
    return {
        "id": f.id,
        "due": f.due_at,
        "customer": f.customer_id or "",
        "what": f.what,
        "session": f.session_id,
    }
