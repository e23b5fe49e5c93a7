"""``triage customer`` commands: customers' contact data, kept only as long as configured.

    triage customer forget ID [--by NAME]   erase one customer's contact and address (ID: customer id, a session's
                                            or a case's reference like K7P-4QX, or a session id)
    triage customer purge [--by NAME]       erase every contact older than TRIAGE_CONTACT_RETENTION_DAYS (90)

Both erase the copies on bookings, shipments and outage notices too, print what they erased (counts only) and
write one line to the audit log (``triage audit``), never the data itself. Each takes ``--db URL``.
"""

from __future__ import annotations

import click

from triage.cli.options import Streams, db_option, pass_streams
from triage.desk import customers
from triage.records.store import Store

__all__ = ["COMMANDS"]

_BY = click.option("--by", default="cli", show_default=True, help="who does it, named in the audit log")


@click.group("customer")
def customer() -> None:
    """Erase customers' contact details (GDPR)."""


@customer.command("forget")
@click.argument("ident", metavar="ID", help="a customer id, a reference like K7P-4QX, or a session id")
@_BY
@db_option
@pass_streams
def forget(streams: Streams, ident: str, by: str, db: str | None) -> int:
    """Erase a customer's contact and address, and their copies on bookings, shipments and notices."""
    with Store(db) as st:
        done = customers.forget(st, ident, actor=by)
    streams.out.write(f"forgotten: {done.summary()}\n")
    return 0


@customer.command("purge")
@_BY
@db_option
@pass_streams
def purge(streams: Streams, by: str, db: str | None) -> int:
    """Erase every contact given more than TRIAGE_CONTACT_RETENTION_DAYS ago (default 90), with its copies."""
    days = customers.retention_days()
    with Store(db) as st:
        done = customers.purge_expired(st, actor=by)
    streams.out.write(f"kept for {days} days; purged: {done.summary()}\n")
    return 0


COMMANDS: tuple[click.Command, ...] = (customer,)
