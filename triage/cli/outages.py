"""``triage outage``: the outage board from a terminal.

    triage outage declare --region R --service S [--start WHEN] [--until WHEN] --message TEXT
                          [--message-in LOCALE TEXT ...] [--by NAME]
    triage outage end ID [--by NAME]             end it; prints the customers to notify
    triage outage list [--all]                   active outages (or every one) with affected counts
    triage outage notices ID                     the customers who asked to hear about it

Times read ``2025-03-03 18:00`` (UTC) or ``2025-03-03T18:00+01:00``. Every command takes ``--db URL`` and closes
the store it opens. A usage error (a missing option, an unreadable time, an id that is no number) is one line on
standard error and exit 2; a refusal (an outage already ended, a bad contact, no such outage) is one line and
exit 1.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn, TextIO

import click

from triage.cli.options import Streams, db_option, fmt_time, pass_streams
from triage.desk import outages
from triage.errors import FormError, NotFound, Refused
from triage.records.store import Store

__all__ = ["COMMANDS"]


class _OutageGroup(click.Group):
    """Usage errors are one line and exit 2; refusals one line and exit 1 (never a traceback)."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta["triage.outage.command"] = name  # for the one-line message: `triage outage end: ...`
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.UsageError, FormError) as exc:
            text = exc.format_message() if isinstance(exc, click.UsageError) else str(exc)
            _fail(ctx, text, 2)
        except (Refused, NotFound) as exc:
            _fail(ctx, str(exc), 1)


def _fail(ctx: click.Context, text: str, code: int) -> NoReturn:
    name = f"triage {ctx.info_name} {ctx.meta.get('triage.outage.command') or ''}".strip()
    print(f"{name}: {' '.join(text.split())}", file=sys.stderr)
    raise click.exceptions.Exit(code)


@click.group("outage", cls=_OutageGroup)
def outage() -> None:
    """Declared outages: declare, end, list, notices."""


@outage.command("declare")
@click.option("--region", required=True, help="the region, as customers name it (compared ignoring case)")
@click.option("--service", required=True, help="the service the trees name, e.g. internet, tv, phone")
@click.option("--start", "start", metavar="WHEN", help="when it began (default: now)")
@click.option("--until", "until", metavar="WHEN", help="expected end (default: until further notice)")
@click.option("--message", required=True, help="what customers are told, in English")
@click.option(
    "--message-in",
    "others",
    nargs=2,
    multiple=True,
    metavar="LOCALE TEXT",
    help="the message in another language, e.g. --message-in de 'Kabel durchtrennt'",
)
@click.option("--by", default="cli", show_default=True, help="who declares it")
@db_option
@pass_streams
def declare(
    streams: Streams,
    region: str,
    service: str,
    start: str | None,
    until: str | None,
    message: str,
    others: tuple[tuple[str, str], ...],
    by: str,
    db: str | None,
) -> int:
    """Declare an outage of a service in a region."""
    begins = outages.parse_time("--start", start)
    ends = outages.parse_time("--until", until)
    texts = {"en": message, **dict(others)}
    with Store(db) as st:
        o = outages.declare(st, region, service, who=by, message=texts, start=begins, until=ends)
    streams.out.write(
        f"outage #{o.id}: {o.service} in {o.region} from {fmt_time(o.starts_at)} UTC until {_until(o)}\n"
    )
    return 0


def _until(o: outages.OutageView) -> str:
    return f"{fmt_time(o.expected_end)} UTC" if o.expected_end else "further notice"


def _notices(out: TextIO, notices: list[outages.NoticeView]) -> None:
    out.write(outages.notice_lines(notices))


@outage.command("end")
@click.argument("outage_id", type=int, metavar="ID")
@click.option("--by", default="cli", show_default=True, help="who ends it")
@db_option
@pass_streams
def end(streams: Streams, outage_id: int, by: str, db: str | None) -> int:
    """End an outage; prints the customers to notify (contact, locale, session), one a line."""
    with Store(db) as st:
        notices = outages.end(st, outage_id, by)
    streams.out.write(f"outage #{outage_id} ended; {len(notices)} customer(s) to notify\n")
    _notices(streams.out, notices)
    return 0


@outage.command("list")
@click.option("--all", "every", is_flag=True, help="ended outages too")
@db_option
@pass_streams
def list_outages(streams: Streams, every: bool, db: str | None) -> int:
    """Active outages (or every one), with the sessions, bookings and notices each affects."""
    with Store(db) as st:
        entries = {e.outage.id: e for e in outages.board(st)}
        shown = outages.every(st) if every else [e.outage for e in entries.values()]
        counts = {o.id: len(outages.notices(st, o.id)) for o in shown}
        for o in shown:
            e = entries.get(o.id)
            state = "active" if e is not None else ("ended" if o.ended_at else "not started")
            affected = f"sessions {len(e.sessions):<4} bookings {len(e.bookings):<4}" if e else " " * 27
            streams.out.write(
                f"#{o.id:<4} {o.region:<16} {o.service:<10} {fmt_time(o.starts_at)} -> {_until(o):<20} "
                f"{state:<11} {affected} notices {counts[o.id]}\n"
            )
    return 0


@outage.command("notices")
@click.argument("outage_id", type=int, metavar="ID")
@db_option
@pass_streams
def notices(streams: Streams, outage_id: int, db: str | None) -> int:
    """The customers who asked to hear when an outage ends (contact, locale, session), one a line."""
    with Store(db) as st:
        found = outages.notices(st, outage_id)
    _notices(streams.out, found)
    return 0


COMMANDS: tuple[click.Command, ...] = (outage,)
