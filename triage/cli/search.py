"""``triage search``: the trees a customer's words point to, ranked as the app and the terminal walk rank them.

triage search QUERY [--locale L] [--audience agent|self_service] [--format text|json]
"""

from __future__ import annotations

import json

import click

from triage.cli.options import Streams, pass_streams, trees_option
from triage.trees.library import DEFAULT_TREES
from triage.trees.model import Audience
from triage.trees.search import SearchHit, search_trees
from triage.walk.scenarios import load_library

__all__ = ["COMMANDS"]


@click.command("search")
@click.argument("query", nargs=-1, required=True, help="the customer's words, as typed")
@click.option(
    "--locale", metavar="L", help="the language of the words, e.g. pl (default: detected from them)"
)
@click.option(
    "--audience",
    type=click.Choice([a.value for a in Audience]),
    help="only trees open to it; agents also see shared procedures, self-service never",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="output format",
)
@click.option(
    "--limit", type=click.IntRange(min=0), default=10, show_default=True, help="at most N trees (0: all)"
)
@trees_option
@pass_streams
def search(
    streams: Streams,
    query: tuple[str, ...],
    locale: str | None,
    audience: str | None,
    fmt: str,
    limit: int,
    trees: tuple[str, ...],
) -> int:
    """Find the trees a customer's words point to, best first."""
    lib = load_library(list(trees) or [DEFAULT_TREES])
    words = " ".join(query)
    hits = search_trees(lib, words, locale=locale, audience=audience, include_procedures=audience == "agent")
    if limit:
        hits = hits[:limit]
    if fmt == "json":
        rows = [{"id": h.tree.id, "title": h.title(locale), "score": h.score} for h in hits]
        streams.out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    _text(streams, words, hits, locale)
    return 0


def _text(streams: Streams, words: str, hits: list[SearchHit], locale: str | None) -> None:
    if not hits:
        streams.out.write(f"No tree matches {words!r}.\n")
        return
    for h in hits:
        kind = " (procedure)" if h.tree.procedure else ""
        streams.out.write(f"{h.score:>7.2f}  {h.tree.id:<28} {h.title(locale)}{kind}\n")


COMMANDS: tuple[click.Command, ...] = (search,)
