"""``triage`` commands for what happens after a decision, and for the demo provider's remote status.

    triage shipments list [--all] | confirm REF --address TEXT | ship REF | deliver REF  [--by NAME]
    triage follow-ups due [--all] | close ID held|failed [--result TEXT] [--by NAME]
    triage remote list [--customer ID] | set CUSTOMER SYSTEM VALUE [--detail T] [--delay S] | unset CUSTOMER SYSTEM

Each takes ``--db URL`` (default ``$TRIAGE_DATABASE_URL``, else ``var/triage.db``) and closes the store it opens.
A refusal (an unconfirmed address, a status that cannot come next) is one line on standard error, exit 2.
"""

from __future__ import annotations

from typing import TextIO

import click

from triage.cli.options import Streams, db_option, fmt_time, pass_streams
from triage.desk import fulfilment as ful
from triage.desk import remote
from triage.records.store import Store

__all__ = ["COMMANDS"]

_BY = click.option("--by", default="cli", show_default=True, help="who does it, kept with the change")


def _needs(value: str | None, what: str, example: str) -> str:
    if not value:
        raise click.UsageError(f"give {what}, like `{example}`", click.get_current_context())
    return value


def _write_shipment(out: TextIO, s: ful.ShipmentView) -> None:
    address = (s.address or "-").replace("\n", ", ")
    confirmed = "confirmed" if s.address_confirmed else "not confirmed"
    out.write(
        f"{s.reference}  {s.status:<9} {fmt_time(s.updated_at)}  customer {s.customer_id or '-'}  "
        f"{ful.parts_text(s.parts)}  address: {address} ({confirmed})\n"
    )


@click.command("shipments")
@click.argument(
    "action",
    type=click.Choice(["list", "confirm", "ship", "deliver"]),
    metavar="ACTION",
    help="list, confirm, ship or deliver",
)
@click.argument("ref", required=False, help="the shipment reference, e.g. SHP-4K7Q-92XD")
@click.option("--address", help="the shipping address (for confirm; lines separated by newlines or ';')")
@click.option("--all", "show_all", is_flag=True, help="for list: every shipment, not only the ones to act on")
@_BY
@db_option
@pass_streams
def shipments(
    streams: Streams,
    action: str,
    ref: str | None,
    address: str | None,
    show_all: bool,
    by: str,
    db: str | None,
) -> int:
    """Part shipments: list, confirm the address, ship, deliver."""
    if action != "list":
        ref = _needs(ref, "the shipment reference REF", f"triage shipments {action} SHP-4K7Q-92XD")
    if action == "confirm":
        address = _needs(
            address, "--address", "triage shipments confirm REF --address 'Hauptstr. 1; 10115 Berlin'"
        )
    with Store(db) as st:
        if action == "list":
            for s in ful.shipments(st, None if show_all else ful.OPEN_SHIPMENTS):
                _write_shipment(streams.out, s)
            return 0
        assert ref is not None
        if action == "confirm":
            assert address is not None
            done = ful.confirm_address(st, ref, address.replace(";", "\n"), by)
        else:
            done = ful.move_shipment(st, ref, "shipped" if action == "ship" else "delivered", by)
    _write_shipment(streams.out, done)
    return 0


@click.command("follow-ups")
@click.argument("action", type=click.Choice(["due", "close"]), metavar="ACTION", help="due or close")
@click.argument("ref", required=False, help="the follow-up number (for close)")
@click.argument(
    "result", required=False, type=click.Choice(["held", "failed"]), help="held or failed (for close)"
)
@click.option("--result", "note", default="", help="what the customer said (for close)")
@click.option("--all", "show_all", is_flag=True, help="for due: every open follow-up, due or not")
@_BY
@db_option
@pass_streams
def follow_ups(
    streams: Streams,
    action: str,
    ref: str | None,
    result: str | None,
    note: str,
    show_all: bool,
    by: str,
    db: str | None,
) -> int:
    """Follow-ups: list the ones due, close one as held or failed."""
    out = streams.out
    if action == "close":
        if ref is None or not ref.isdigit():
            _needs(None, "the follow-up number and held or failed", "triage follow-ups close 12 held")
        _needs(result, "held or failed", f"triage follow-ups close {ref} held")
    with Store(db) as st:
        if action == "due":
            due = ful.open_follow_ups(st) if show_all else ful.follow_ups_due(st)
            for f in due:
                out.write(
                    f"#{f.id:<5} due {fmt_time(f.due_at)}  customer {f.customer_id or '-'}  session {f.session_id}"
                    f"  {f.what}\n"
                )
            return 0
        done = ful.close_follow_up(st, int(ref or 0), result == "held", by, note)
    out.write(f"follow-up #{done.id}: {done.status}\n")
    return 0


@click.command("remote")
@click.argument(
    "action", type=click.Choice(["list", "set", "unset"]), metavar="ACTION", help="list, set or unset"
)
@click.argument("customer", required=False, help=f"the customer id, or {remote.EVERYONE!r} for everyone else")
@click.argument("system", required=False, help=f"one of {', '.join(remote.DEMO_CHECKS)}")
@click.argument("value", required=False, help="the result it gives, e.g. ok or fault for line_test")
@click.option("--detail", default="", help="a detail text (for set)")
@click.option(
    "--delay", type=float, default=0.0, show_default=True, help="simulated seconds before it answers"
)
@db_option
@pass_streams
def remote_status(
    streams: Streams,
    action: str,
    customer: str | None,
    system: str | None,
    value: str | None,
    detail: str,
    delay: float,
    db: str | None,
) -> int:
    """Simulated line and device status (demo provider): list, set."""
    out = streams.out
    if action != "list":
        customer = _needs(customer, "CUSTOMER and SYSTEM", f"triage remote {action} C-100 line_test fault")
        system = _needs(system, "SYSTEM", f"triage remote {action} {customer} line_test fault")
    if action == "set":
        value = _needs(value, "VALUE", f"triage remote set {customer} {system} fault")
    with Store(db) as st:
        if action == "list":
            for r in remote.remote_status(st, customer):
                delay_said = f"  after {r.delay_seconds:g} s" if r.delay_seconds else ""
                detail_said = f"  ({r.detail})" if r.detail else ""
                out.write(f"{r.customer_id:<20} {r.system:<14} {r.value}{delay_said}{detail_said}\n")
            return 0
        assert customer is not None
        assert system is not None
        if action == "unset":
            remote.remove_remote_status(st, customer, system)
            out.write(f"{customer} {system}: removed\n")
            return 0
        r = remote.set_remote_status(st, customer, system, value or "", detail=detail, delay_seconds=delay)
    out.write(f"{r.customer_id} {r.system}: {r.value}\n")
    return 0


COMMANDS: tuple[click.Command, ...] = (shipments, follow_ups, remote_status)
