"""Size limits on everything a person can type and everything a tree file can hold.

One table, read once from the environment (``TRIAGE_LIMIT_<NAME>``, e.g. ``TRIAGE_LIMIT_NOTE=8000``), checked
the same way on SQLite and PostgreSQL and in every front end, so a 50 MB note or a condition nested a thousand
deep is refused with a message that names the field and the limit, before it can cost anything.

>>> check_length("note", "x" * 5, limit=4)
Traceback (most recent call last):
...
triage.errors.LimitExceeded: a note is at most 4 characters (got 5); shorten it
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass

from triage.errors import LimitExceeded

__all__ = ["COLUMN_SIZES", "Limits", "check_length", "limits"]


@dataclass(frozen=True)
class Limits:
    """The limits in force. Every field can be set with ``TRIAGE_LIMIT_<FIELD>`` (an integer)."""

    # what people type
    note: int = 4_000
    """Characters in a note on a session or a case."""
    answer: int = 2_000
    """Characters in a typed answer (a text fact)."""
    name: int = 64
    """Characters in a user name or a display name."""
    identifier: int = 64
    """Characters in a customer id, session id, tree id, node id or region."""
    code: int = 64
    """Characters in a closure code or a flag kind."""
    contact: int = 200
    """Characters in a customer's contact detail (phone, e-mail) or one line of an address."""
    # what tree files hold
    tree_file_bytes: int = 32 * 1024 * 1024
    """Bytes in one tree file (the 100k-node benchmark tree is about 22 MB)."""
    yaml_alias_nodes: int = 10_000
    """Nodes that YAML aliases (``*name``) may add to a file in total, counted before anything is built."""
    condition_length: int = 2_000
    """Characters in one condition."""
    condition_depth: int = 32
    """Nesting of parentheses and ``not`` in one condition."""
    condition_terms: int = 256
    """Comparisons joined by ``and`` / ``or`` in one condition."""
    list_items: int = 256
    """Items in one ``in [...]`` list of a condition."""
    number_digits: int = 30
    """Digits in one number literal of a condition."""
    media_bytes: int = 1024 * 1024
    """Bytes in one picture shipped under ``trees/media/``."""


ENV_PREFIX = "TRIAGE_LIMIT_"

COLUMN_SIZES = {"name": 100, "identifier": 64, "code": 100}
"""Limits that are also database column sizes (``triage/records/schema.py``): a setting above one is refused, so
SQLite (which keeps any length) and PostgreSQL (which refuses a longer text) accept the same values."""


@functools.cache
def limits() -> Limits:
    """The limits in force: the defaults, overridden by ``TRIAGE_LIMIT_<NAME>`` variables (read once)."""
    values: dict[str, int] = {}
    for f in dataclasses.fields(Limits):
        raw = os.environ.get(ENV_PREFIX + f.name.upper())
        if raw is None:
            continue
        try:
            values[f.name] = int(raw)
        except ValueError:
            raise LimitExceeded(
                f"{ENV_PREFIX}{f.name.upper()} must be a whole number (got {raw!r})"
            ) from None
        if values[f.name] < 1:
            raise LimitExceeded(f"{ENV_PREFIX}{f.name.upper()} must be at least 1 (got {raw!r})")
        column = COLUMN_SIZES.get(f.name)
        if column is not None and values[f.name] > column:
            raise LimitExceeded(
                f"{ENV_PREFIX}{f.name.upper()} must be at most {column}, "
                f"the size of its database column (got {raw!r})"
            )
    return Limits(**values)


def check_length(what: str, text: str, *, limit: int) -> str:
    """``text`` itself if it has at most ``limit`` characters, else :class:`LimitExceeded` naming ``what``."""
    if len(text) > limit:
        raise LimitExceeded(f"a {what} is at most {limit:,} characters (got {len(text):,}); shorten it")
    return text
