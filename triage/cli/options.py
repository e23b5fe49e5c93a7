"""What the ``triage`` commands share: the streams they talk to, the options several take, the time format."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

import click

from triage.trees.library import DEFAULT_TREES

__all__ = ["Streams", "db_option", "fmt_time", "locale_option", "pass_streams", "trees_option"]


@dataclass
class Streams:
    """Where a command writes and reads: the terminal, or the strings a test hands to :func:`triage.cli.main`."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    inp: TextIO = field(default_factory=lambda: sys.stdin)


# ensure=True: a command invoked without main() (click's CliRunner, shell completion) talks to the terminal
pass_streams = click.make_pass_decorator(Streams, ensure=True)

db_option = click.option(
    "--db", metavar="URL", help="database URL (default: $TRIAGE_DATABASE_URL, else var/triage.db)"
)

trees_option = click.option(
    "--trees",
    multiple=True,
    metavar="DIR",
    help=f"tree folder or file (repeatable; default: {DEFAULT_TREES})",
)

locale_option = click.option(
    "--locale", default="en", show_default=True, help="language of the texts, e.g. en or de"
)


def fmt_time(value: datetime | None) -> str:
    """A timestamp to the minute, or ``-`` when there is none."""
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"
