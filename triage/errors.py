"""Every exception triage raises on purpose, and the diagnostics validation collects.

Hierarchy (each class also subclasses the builtin it refines, so ``except ValueError`` still works)::

    TriageError                          base of everything triage raises on purpose
    ├── TreeError (ValueError)           a tree file is broken; carries path, line, node id, hint
    ├── ConditionError (ValueError)      a condition that does not parse; carries the column
    ├── LibraryError (LookupError)       a tree id the library does not hold (or holds only broken)
    ├── SessionError (RuntimeError)      a session was asked something it cannot do
    │   ├── InvalidAnswer (ValueError)   the answer does not fit the current step
    │   ├── SessionClosed                the session has already reached its decision
    │   └── SessionConflict              another writer changed the session meanwhile; reload and go on
    ├── PlanningError (ValueError)       guidance: the decision model cannot be used as given
    │   ├── ProblemError                 the troubleshooting model is invalid (lists every issue)
    │   ├── EvidenceError                evidence the problem cannot explain
    │   ├── TooLargeError                too large for the exact oracle
    │   └── RecordError                  a session record names what the model does not have
    ├── GroupError (LookupError)         a tree has no fix group of that id
    ├── NotFound (LookupError)           no such session, case, booking, version or user
    ├── StoreError (RuntimeError)        the database could not do it; nothing was half-written
    │   ├── StoreUnavailable             locked, unreachable, or refused the write: try again
    │   └── VersionConflict              publishing against a stale base version; keeps the text
    ├── DraftConflict                    a studio draft whose file or tree changed meanwhile; keeps both
    ├── Refused (ValueError)             a business rule says no; the message says why, safe to show
    │   ├── CaseRefused                  a case cannot be claimed, noted or closed like that
    │   ├── FormError                    a form field could not be read
    │   │   └── ContactError             a contact detail or address we cannot keep; names the form field
    │   ├── DraftError                   a draft cannot be edited with the node form
    │   ├── LimitExceeded                a text, id or code longer than its configured limit
    │   ├── InvalidName                  a user name with look-alike, bidi or invisible characters
    │   ├── InvalidLocale                not a language tag we know
    │   ├── AuthError                    sign-in or account management refused
    │   │   └── SignInThrottled          too many failed sign-ins: wait, then try again
    │   └── BookingError                 a booking request is invalid
    │       ├── NoFreeSlot (LookupError) no free slot within the horizon
    │       └── SlotTaken                someone else booked the slot first
    ├── PostcodeTableError (ValueError)  the postcode-to-region table cannot be read; names the file and line
    ├── CallVolumeError (ValueError)     the call-volume shares cannot be read; names the file and line
    ├── SsoConfigError (ValueError)      single sign-on is half-configured; names the variable
    └── DemoError (RuntimeError)         demo data cannot be generated here

Validation does not raise for each problem: it collects :class:`Diagnostic` records
(errors and warnings, each with file, line, node and hint) so an author sees them all at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "AuthError",
    "BookingError",
    "CallVolumeError",
    "CaseRefused",
    "ConditionError",
    "ContactError",
    "DemoError",
    "Diagnostic",
    "DraftConflict",
    "DraftError",
    "EvidenceError",
    "FormError",
    "GroupError",
    "InvalidAnswer",
    "InvalidLocale",
    "InvalidName",
    "LibraryError",
    "LimitExceeded",
    "NoFreeSlot",
    "NotFound",
    "PlanningError",
    "PostcodeTableError",
    "ProblemError",
    "RecordError",
    "Refused",
    "SessionClosed",
    "SessionConflict",
    "SessionError",
    "Severity",
    "SignInThrottled",
    "SlotTaken",
    "SsoConfigError",
    "StoreError",
    "StoreUnavailable",
    "TooLargeError",
    "TreeError",
    "TriageError",
    "VersionConflict",
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


class SessionError(TriageError, RuntimeError):
    """A session was asked to do something it cannot do."""


class InvalidAnswer(SessionError, ValueError):
    """The answer does not fit the current step; the message says what would."""


class SessionConflict(SessionError):
    """Another writer (a second tab, an agent, the CLI) changed this session at the same moment.

    Nothing was half-written: reload the session, see what changed, and answer again. ``changes`` names the
    events the other writer added (``"note"``, ``"answer"``, ``"back"``, ...), oldest first.
    """

    def __init__(self, message: str, changes: Sequence[str] = ()) -> None:
        self.changes = tuple(changes)
        super().__init__(message)


class SessionClosed(SessionError):
    """The session has already reached its decision; go back or restart to change it."""


class ConditionError(TriageError, ValueError):
    """A condition that does not parse; ``column`` is 1-based."""

    def __init__(self, message: str, source: str, column: int) -> None:
        self.source = source
        self.column = column
        self.reason = message
        super().__init__(f"{message} at column {column} of {source!r}")


class PlanningError(TriageError, ValueError):
    """The decision model (guidance) cannot be used as given."""


class ProblemError(PlanningError):
    """The troubleshooting model is invalid. ``issues`` lists every problem found, each naming the thing."""

    def __init__(self, issues: Sequence[str]) -> None:
        self.issues = tuple(issues)
        super().__init__("invalid problem: " + "; ".join(self.issues))


class EvidenceError(PlanningError):
    """Evidence names a step, question or answer the problem does not have, or no fault can explain it."""


class TooLargeError(PlanningError):
    """The instance is too large for the exact oracle or the brute-force enumeration."""


class RecordError(PlanningError):
    """A session record names a fault, step, question or answer the model does not have."""


class GroupError(TriageError, LookupError):
    """The tree has no fix group of that id (the message lists the ones it has)."""


class NotFound(TriageError, LookupError):
    """No such session, case, booking, version or user."""


class StoreError(TriageError, RuntimeError):
    """Something the store could not do; the message says what and why."""


class StoreUnavailable(StoreError):
    """The database is locked, unreachable or refused the write. Nothing was half-written; try again."""


class VersionConflict(StoreError):
    """Saving against a stale base version. ``text`` is the author's text, kept so no edit is lost."""

    def __init__(self, tree_id: str, base: int | None, latest: int, text: str) -> None:
        self.tree_id = tree_id
        self.base = base
        self.latest = latest
        self.text = text
        super().__init__(
            f"tree {tree_id!r} was published as version {latest} while you edited version {base}; "
            "your text is kept: merge it with the latest version and publish again"
        )


class DraftConflict(TriageError):
    """Someone else changed the tree while the author edited it. Nothing is lost: ``text`` is the author's.

    ``where`` is ``"file"`` (the file changed on disk since the draft was opened) or ``"published"``
    (a newer version was published); ``theirs`` is the other side's text, ``latest`` its version.
    """

    def __init__(
        self,
        where: Literal["file", "published"],
        path: str,
        text: str,
        theirs: str,
        *,
        tree_id: str | None = None,
        latest: int | None = None,
    ) -> None:
        self.where = where
        self.path = path
        self.text = text
        self.theirs = theirs
        self.tree_id = tree_id
        self.latest = latest
        if where == "file":
            msg = f"{path} changed on disk since you opened it; your text is kept in the editor"
        else:
            msg = (
                f"tree {tree_id!r} was published as version {latest} while you edited; "
                "your text is kept in the editor"
            )
        super().__init__(msg + ": compare it with theirs, merge, and try again")

    def diff(self) -> str:
        """What the author's text changes relative to theirs, as a unified diff."""
        other = "on disk" if self.where == "file" else f"published v{self.latest}"
        lines = difflib.unified_diff(
            self.theirs.splitlines(), self.text.splitlines(), other, "your draft", lineterm=""
        )
        out = "\n".join(lines)
        return out + "\n" if out else ""


class Refused(TriageError, ValueError):
    """A business rule says no. The message says why and is safe to show to the person who asked."""


class CaseRefused(Refused):
    """A case cannot be claimed, noted or closed like that (wrong state, wrong person, empty note)."""


class FormError(Refused):
    """A form field could not be read; the message names the field, what was expected and what was found."""


class ContactError(FormError):
    """A name, phone number, e-mail address or address we cannot keep. ``field`` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        self.field = field
        super().__init__(message)


class DraftError(Refused):
    """The draft cannot be edited with the node form (bad YAML, no such node); the message says why."""


class AuthError(Refused):
    """Sign-in or account management refused; the message is safe to show (it never says which part was wrong)."""


class SignInThrottled(AuthError):
    """Too many failed sign-ins for this account or from this client. ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class LimitExceeded(Refused):
    """A note, answer, name, id or code is longer than its limit; the message names the field and the limit."""


class InvalidName(Refused):
    """A user name that could pass for another (mixed scripts, bidi or zero-width characters)."""


class InvalidLocale(Refused):
    """A locale that is not a well-formed language tag known to Babel."""


class BookingError(Refused):
    """The booking request is invalid (bad technician data, unknown skill or region, wrong state)."""


class NoFreeSlot(BookingError, LookupError):
    """No free slot matches the request within the horizon searched."""


class SlotTaken(BookingError):
    """Someone else booked the slot first. ``technician`` and ``start`` name the slot."""

    def __init__(self, technician: str, start: datetime, end: datetime) -> None:
        self.technician = technician
        self.start = start
        self.end = end
        super().__init__(
            f"the slot {_span(start, end)} with {technician!r} is already booked; pick another free slot"
        )


class PostcodeTableError(TriageError, ValueError):
    """The postcode-to-region table (``TRIAGE_POSTCODES``) cannot be read; the message names the file and line."""


class CallVolumeError(TriageError, ValueError):
    """The call-volume shares per tree (``trees/call-volumes.csv``) cannot be read; the message names the file and line."""


class SsoConfigError(TriageError, ValueError):
    """Single sign-on is half-configured or a ``TRIAGE_OIDC_*`` variable is malformed; the message names it."""


class DemoError(TriageError, RuntimeError):
    """Demo data cannot be generated here (the store already holds sessions)."""


def _span(start: datetime, end: datetime) -> str:
    return f"{start.astimezone(UTC):%a %Y-%m-%d %H:%M}-{end.astimezone(UTC):%H:%M} UTC"
