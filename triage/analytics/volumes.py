"""Call-volume shares per tree: how many of the contacts each problem brings, shipped as data.

``trees/call-volumes.csv`` has a header ``tree,share`` and one line per customer-facing tree: its id and its
share of contacts (a fraction; the shares sum to 1). Blank lines and lines starting with ``#`` are skipped.
The tree loader reads only ``.yaml`` files, so the table sits beside the trees without being taken for one.
The library simulation weights each tree's figures by its share.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Collection
from pathlib import Path

from triage.errors import CallVolumeError, did_you_mean
from triage.trees.library import DEFAULT_TREES

__all__ = ["CALL_VOLUMES", "SUM_TOLERANCE", "parse_call_volumes", "read_call_volumes"]

CALL_VOLUMES = DEFAULT_TREES / "call-volumes.csv"
"""The shipped table of call-volume shares."""

SUM_TOLERANCE = 1e-6
"""How far the shares may sum from 1 (rounding in a hand-written table)."""


def read_call_volumes(path: str | Path, known: Collection[str]) -> dict[str, float]:
    """The shares in the file at ``path``, checked against the ``known`` customer-facing tree ids.

    :class:`~triage.errors.CallVolumeError` names the file and line of anything wrong.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CallVolumeError(f"{p}: cannot read the call-volume table ({exc})") from None
    return parse_call_volumes(text, known, source=str(p))


def parse_call_volumes(
    text: str, known: Collection[str], *, source: str = "call-volumes.csv"
) -> dict[str, float]:
    """The shares in ``text`` (the file's content); ``source`` names it in messages.

    >>> parse_call_volumes("tree,share\\nno-internet,0.75\\nslow-wifi,0.25\\n", {"no-internet", "slow-wifi"})
    {'no-internet': 0.75, 'slow-wifi': 0.25}
    """
    shares: dict[str, float] = {}
    header_seen = False
    for number, cells in _rows(text):
        where = f"{source}:{number}"
        if not header_seen:
            if [c.strip().lower() for c in cells] != ["tree", "share"]:
                raise CallVolumeError(
                    f"{where}: the first line must be the header 'tree,share' (got {','.join(cells)!r})"
                )
            header_seen = True
            continue
        tree, share = _row(where, cells, known)
        if tree in shares:
            raise CallVolumeError(f"{where}: tree {tree!r} is listed twice; give each tree one line")
        shares[tree] = share
    if not shares:
        raise CallVolumeError(
            f"{source}: no shares; add lines like 'no-internet,0.15' below the header 'tree,share'"
        )
    total = math.fsum(shares.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise CallVolumeError(
            f"{source}: the shares sum to {total:.6g}, not 1; adjust them so they add up to 1"
        )
    return shares


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every line that is not blank or a comment."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        out.append((number, next(csv.reader(io.StringIO(line)))))
    return out


def _row(where: str, cells: list[str], known: Collection[str]) -> tuple[str, float]:
    if len(cells) != 2:
        raise CallVolumeError(f"{where}: expected two cells, tree and share (got {','.join(cells)!r})")
    tree, raw = cells[0].strip(), cells[1].strip()
    if not tree:
        raise CallVolumeError(f"{where}: the tree id is missing (got {','.join(cells)!r})")
    if tree not in known:
        hint = did_you_mean(tree, known)
        raise CallVolumeError(
            f"{where}: no customer-facing tree {tree!r} in the library" + (f" ({hint})" if hint else "")
        )
    try:
        share = float(raw)
    except ValueError:
        raise CallVolumeError(
            f"{where}: the share of {tree!r} must be a number between 0 and 1 (got {raw!r})"
        ) from None
    if not (math.isfinite(share) and 0.0 <= share <= 1.0):
        raise CallVolumeError(f"{where}: the share of {tree!r} must be between 0 and 1 (got {raw!r})")
    return tree, share
