"""Errors and diagnostics.

Hierarchy::

    TriageError                      base of everything triage raises on purpose
    ├── TreeError (ValueError)       a tree file is broken; carries path, line, node id, hint
    ├── LibraryError (LookupError)   a tree id that the library does not hold
    └── SessionError                 a session was asked something it cannot do
        ├── InvalidAnswer (ValueError)   the answer does not fit the current step
        └── SessionClosed                the session has already reached its decision

Validation does not raise for each problem: it collects :class:`Diagnostic` records
(errors and warnings, each with file, line, node and hint) so an author sees them all at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Diagnostic",
    "InvalidAnswer",
    "LibraryError",
    "SessionClosed",
    "SessionError",
    "Severity",
    "TreeError",
    "TriageError",
    "did_you_mean",
]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate to ``word``, or ``None`` if nothing is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Diagnostic(BaseModel):
    """One validation message: what is wrong, where, and how to fix it."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    code: str
    message: str
    path: str = "<tree>"
    line: int | None = None
    node_id: str | None = None
    hint: str | None = None
    loc: tuple[str | int, ...] = ()
    tree_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        sev = "" if self.severity is Severity.ERROR else "warning: "
        node = f"node {self.node_id!r}: " if self.node_id else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}: {sev}{node}{self.message}{hint}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class TriageError(Exception):
    """Base of every error triage raises on purpose."""


class TreeError(TriageError, ValueError):
    """A tree file is broken. ``str()`` reads ``path:line: node 'id': message (hint)``."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.is_error] or diagnostics
        self.diagnostics = diagnostics
        first = errors[0]
        self.path = first.path
        self.line = first.line
        self.node_id = first.node_id
        self.hint = first.hint
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}")


class LibraryError(TriageError, LookupError):
    """A tree id the library does not hold, or holds only as a broken file."""


class SessionError(TriageError):
    """A session was asked to do something it cannot do."""


class InvalidAnswer(SessionError, ValueError):
    """The answer does not fit the current step; the message says what would."""


class SessionClosed(SessionError):
    """The session has already reached its decision; go back or restart to change it."""
