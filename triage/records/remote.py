"""The demo provider's simulated line and device status (the ``remote_status`` table).

A real provider asks its network whether a customer's line syncs or their box is online; the demo provider
(:mod:`triage.desk.remote`) reads the answer from here instead. Each row gives one customer's result of one
remote system (``line_test`` -> ``fault``), with a detail text and a simulated latency; the row for customer
``*`` answers for every customer without a row of their own.

Values, customer ids and system names have limits, checked here so SQLite and PostgreSQL refuse the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from triage.errors import NotFound, Refused
from triage.limits import check_length, limits
from triage.records.schema import RemoteStatus, utcnow

if TYPE_CHECKING:
    from triage.records.store import Store

__all__ = [
    "EVERYONE",
    "MAX_DELAY",
    "RemoteStatusView",
    "delete_status",
    "find_status",
    "list_status",
    "set_status",
]

EVERYONE = "*"
"""The customer id of the rows that answer for every customer without a row of their own."""

MAX_DELAY = 120.0
"""Seconds of simulated latency at most (a check's own timeout is at most 120 s)."""

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_VALUE_SIZE = 40  # the column


@dataclass(frozen=True)
class RemoteStatusView:
    """One simulated result: what ``system`` gives for ``customer_id`` (``*``: everyone else)."""

    customer_id: str
    system: str
    value: str
    detail: str
    delay_seconds: float
    updated_at: datetime


def _view(r: RemoteStatus) -> RemoteStatusView:
    return RemoteStatusView(r.customer_id, r.system, r.value, r.detail, r.delay_seconds, r.updated_at)


def _checked(customer_id: str, system: str) -> tuple[str, str]:
    customer_id = check_length("customer id", customer_id.strip(), limit=limits().identifier)
    if not customer_id:
        raise Refused(f"a customer id is required ({EVERYONE!r} for every customer)")
    if not _NAME.fullmatch(system):
        raise Refused(
            f"a remote system name is lower-case letters, digits and '_', like line_test (got {system!r})"
        )
    return customer_id, system


def set_status(
    store: Store, customer_id: str, system: str, value: str, *, detail: str = "", delay_seconds: float = 0.0
) -> RemoteStatusView:
    """Set (or replace) what ``system`` gives for ``customer_id``."""
    customer_id, system = _checked(customer_id, system)
    value = check_length("remote status value", value.strip(), limit=_VALUE_SIZE)
    if not value:
        raise Refused(f"a value is required for {system} (e.g. ok or fault)")
    detail = check_length("remote status detail", detail.strip(), limit=limits().note)
    if not 0 <= delay_seconds <= MAX_DELAY:
        raise Refused(f"a simulated delay is between 0 and {MAX_DELAY:g} seconds (got {delay_seconds:g})")
    for attempt in (1, 2):  # two people setting the same new row at once: the second one updates it
        try:
            with store.tx() as db:
                row = db.scalar(
                    select(RemoteStatus)
                    .where(RemoteStatus.customer_id == customer_id, RemoteStatus.system == system)
                    .with_for_update()
                )
                if row is None:
                    row = RemoteStatus(customer_id=customer_id, system=system)
                    db.add(row)
                row.value, row.detail, row.delay_seconds, row.updated_at = (
                    value,
                    detail,
                    delay_seconds,
                    utcnow(),
                )
                db.flush()
                return _view(row)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def find_status(store: Store, customer_id: str | None, system: str) -> RemoteStatusView | None:
    """What ``system`` gives for this customer: their own row, else the row for everyone, else ``None``."""
    wanted = [EVERYONE] if not customer_id else [customer_id, EVERYONE]
    with store.tx() as db:
        rows = {
            r.customer_id: r
            for r in db.scalars(
                select(RemoteStatus).where(
                    RemoteStatus.system == system, RemoteStatus.customer_id.in_(wanted)
                )
            ).all()
        }
    for who in wanted:
        if who in rows:
            return _view(rows[who])
    return None


def list_status(store: Store, customer_id: str | None = None) -> list[RemoteStatusView]:
    """Every simulated result (or one customer's), by customer and system."""
    with store.tx() as db:
        q = select(RemoteStatus).order_by(RemoteStatus.customer_id, RemoteStatus.system)
        if customer_id:
            q = q.where(RemoteStatus.customer_id == customer_id)
        return [_view(r) for r in db.scalars(q).all()]


def delete_status(store: Store, customer_id: str, system: str) -> None:
    """Remove one simulated result (the customer then gets the row for everyone)."""
    customer_id, system = _checked(customer_id, system)
    with store.tx() as db:
        gone = db.execute(
            delete(RemoteStatus).where(RemoteStatus.customer_id == customer_id, RemoteStatus.system == system)
        )
        if gone.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFound(f"no remote status for {customer_id} {system}")
