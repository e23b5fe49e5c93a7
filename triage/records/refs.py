"""References people can read out on a call: six Crockford base-32 characters, written ``K7P-4QX``.

The long ids (a session's 32 hex characters, a case's or a booking's number) stay internal; customers, agents and
the CLI see and type these. Crockford's alphabet has no I, L, O or U, so nothing looks like something else, and
:func:`normalize` reads what a person typed the forgiving way: any case, spaces or dashes anywhere, ``O`` as
``0`` and ``I`` or ``L`` as ``1``.

>>> len(new_reference()), new_reference()[3]
(7, '-')
>>> normalize("k7p 4qx")
'K7P-4QX'
>>> normalize("K7P-4QO")
'K7P-4Q0'
>>> normalize("il0-ooo")
'110-000'
>>> normalize("K7P-4Q") is None
True
>>> normalize("K7P-4QU") is None
True
"""

from __future__ import annotations

import re
import secrets

__all__ = ["ALPHABET", "LENGTH", "looks_like_reference", "new_reference", "normalize"]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: digits and letters without I, L, O and U."""

LENGTH = 6
"""Characters in a reference (30 bits: a billion references; a clash on creation is retried)."""

_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_reference() -> str:
    """A fresh random reference, ``XXX-XXX``."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{code[:3]}-{code[3:]}"


def normalize(text: str) -> str | None:
    """``text`` as a reference in its written form, or ``None`` if it cannot be one."""
    code = _SEPARATORS.sub("", text.strip().upper()).translate(_READ_AS)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return f"{code[:3]}-{code[3:]}"


def looks_like_reference(text: str) -> bool:
    """Whether ``text`` reads as a reference (so a search should look it up as one).

    >>> looks_like_reference(" k7p-4qx "), looks_like_reference("a3f9c2")
    (True, True)
    >>> looks_like_reference("router")
    False
    """
    return normalize(text) is not None
