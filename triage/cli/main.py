"""The ``triage`` command: a click group gathering each family's commands, and :func:`main`, its entry point.

Each command returns its exit code; the group turns a :class:`~triage.errors.TriageError` into
``triage <command>: <message>`` on standard error and exit 2, so commands raise rather than print errors.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

import click

from triage.cli import customers, fulfilment, i18n, outages, planner, records, search, trees, visits
from triage.cli.options import Streams
from triage.errors import TriageError

__all__ = ["cli", "main"]

_EPILOG = """\b
Shell completion (bash; zsh_source and fish_source likewise):
  eval "$(_TRIAGE_COMPLETE=bash_source triage)"
"""


class _Triage(click.Group):
    """The group: a command's return value is the exit code, and a refusal is one line, not a traceback."""

    def invoke(self, ctx: click.Context) -> NoReturn:
        try:
            code = super().invoke(ctx)
        except TriageError as exc:
            print(f"triage {ctx.invoked_subcommand}: {exc}", file=sys.stderr)
            code = 2
        except BrokenPipeError:  # `triage sessions | head`
            code = 0
        ctx.exit(int(code or 0))


@click.group("triage", cls=_Triage, epilog=_EPILOG)
def cli() -> None:
    """Guided troubleshooting engine for technical support."""


for _command in (
    *trees.COMMANDS,
    *records.COMMANDS,
    *visits.COMMANDS,
    *fulfilment.COMMANDS,
    *outages.COMMANDS,
    *planner.COMMANDS,
    *customers.COMMANDS,
    *search.COMMANDS,
    *i18n.COMMANDS,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, inp: TextIO | None = None) -> int:
    """Run ``triage`` with ``argv`` (default: the process's arguments); the exit code is returned, not raised.

    ``out`` and ``inp`` (default: standard output and input) are where the commands write and read, so tests
    pass strings; usage errors and ``--help`` still go to the terminal, as click prints them.
    """
    streams = Streams(out or sys.stdout, inp or sys.stdin)
    args = None if argv is None else list(argv)
    try:
        code: Any = cli.main(args, prog_name="triage", standalone_mode=False, obj=streams)
    except click.ClickException as exc:  # a usage error: click explains it, exit 2
        exc.show()
        return exc.exit_code
    except click.Abort:  # Ctrl-C, or end of input at a password prompt
        print("Aborted!", file=sys.stderr)
        return 1
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
