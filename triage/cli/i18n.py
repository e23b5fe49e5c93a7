"""``triage i18n``: the interface catalogs (and, beside them, the trees' translations) from a terminal.

    triage i18n extract [--root DIR] [-o FILE] [--check]
        read the code for the interface keys it uses, write them to triage/i18n/messages.pot (each with where
        it is used and its English text), and list keys used but missing from English and keys no code uses

The group is :data:`i18n`; a module adding commands to it does ``@i18n.command(...)`` and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import click

from triage.cli.i18n_trees import add_tree_commands
from triage.cli.options import Streams, pass_streams
from triage.i18n import CATALOGS, catalog, locales
from triage.i18n.extract import extract, render_pot

__all__ = ["COMMANDS", "i18n"]

_PACKAGE = Path(__file__).resolve().parents[1]
_POT = CATALOGS.parent / "messages.pot"


@click.group("i18n")
def i18n() -> None:
    """Translations of the interface and of the trees."""


@i18n.command("extract")
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=_PACKAGE,
    show_default="the triage package",
    help="the code to read",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=_POT,
    show_default="triage/i18n/messages.pot",
    help="where the template goes",
)
@click.option("--check", is_flag=True, help="exit 1 when a key is used but missing from English, or unused")
@pass_streams
def extract_command(streams: Streams, root: Path, output: Path, check: bool) -> int:
    """Write the template of every interface key the code uses; list missing and unused keys."""
    found = extract(root)
    english = catalog("en")
    used = found.used(english)
    old = output.read_bytes() if output.exists() else b""
    pot = render_pot(found, english)
    if pot != old:
        output.write_bytes(pot)
    missing, unused = found.missing(english), found.unused(english)
    out = streams.out
    print(
        f"{len(used)} keys used; wrote {output}"
        if pot != old
        else f"{len(used)} keys used; {output} unchanged",
        file=out,
    )
    for loc in locales():
        strings = catalog(loc)
        print(f"  {loc}: {sum(1 for key in english if strings.get(key))}/{len(english)} translated", file=out)
    print(f"used but missing from English ({len(missing)}):", file=out)
    for key in missing:
        where = ", ".join(f"{path}:{line}" for path, line in found.direct[key][:3])
        print(f"  {key}  ({where})", file=out)
    print(f"in the catalogs but used by no code ({len(unused)}):", file=out)
    for key in unused:
        print(f"  {key}", file=out)
    return 1 if check and (missing or unused) else 0


add_tree_commands(i18n)  # status, stamp, export, import: the trees' translations

COMMANDS = (i18n,)
