"""The rows the analytics queries return: one frozen dataclass per kind of figure, and the filters.

Every query in :mod:`triage.analytics.queries` and :mod:`triage.analytics.steps` returns lists of these;
:mod:`triage.analytics.report` turns them into text and CSV. Rates are fractions of decided sessions (or
of answers), ``None`` when there is nothing to divide; medians are ``None`` when there is nothing to take
the median of.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.sql import ColumnElement

from triage.records.schema import SessionRow
from triage.trees.model import Audience

__all__ = [
    "ABANDONED_AFTER",
    "ActionStats",
    "BreakdownRow",
    "DayOutcomes",
    "DropOff",
    "FaultCount",
    "Filters",
    "NodeStats",
    "OutcomeCount",
    "ProblemCount",
    "Summary",
    "TreeStats",
    "filters",
    "num",
    "rate",
]

ABANDONED_AFTER = timedelta(minutes=30)
"""An open session not updated for this long counts as abandoned (a drop-off)."""


@dataclass(frozen=True)
class Filters:
    """Which sessions the figures cover; ``None`` means no restriction."""

    tree_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    mode: str | None = None
    locale: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """The conditions on the sessions table that select these sessions."""
        out: list[ColumnElement[bool]] = []
        if self.tree_id is not None:
            out.append(SessionRow.tree_id == self.tree_id)
        if self.since is not None:
            out.append(SessionRow.started_at >= self.since)
        if self.until is not None:
            out.append(SessionRow.started_at < self.until)
        if self.mode is not None:
            out.append(SessionRow.mode == self.mode)
        if self.locale is not None:
            out.append(SessionRow.locale == self.locale)
        return out

    def describe(self) -> str:
        """The selection in words, for the heading of a report."""
        parts = [
            f"tree {self.tree_id}" if self.tree_id else "all trees",
            f"mode {self.mode}" if self.mode else "all modes",
            f"locale {self.locale}" if self.locale else "all locales",
        ]
        if self.since or self.until:
            a = self.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if self.since else "start"
            b = self.until.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if self.until else "now"
            parts.append(f"{a} to {b} UTC")
        return ", ".join(parts)


def filters(
    tree_id: str | None,
    since: datetime | None,
    until: datetime | None,
    mode: Audience | str | None,
    locale: str | None,
) -> Filters:
    """The filters a query's keyword arguments ask for (the mode as its value)."""
    return Filters(tree_id, since, until, Audience(mode).value if mode is not None else None, locale)


@dataclass(frozen=True)
class TreeStats:
    """Outcome figures of one tree (``version`` None: all versions together; ``tree_id`` '*': all trees)."""

    tree_id: str
    version: int | None
    title: str
    sessions: int
    decided: int
    abandoned: int
    resolved: int
    escalated: int
    home_visits: int
    parts_shipped: int
    repairs: int
    diagnoses: int
    handovers: int
    first_contact_resolved: int
    resolution_rate: float | None
    escalation_rate: float | None
    visit_rate: float | None
    fcr_rate: float | None
    median_steps: float | None
    median_minutes: float | None


@dataclass(frozen=True)
class NodeStats:
    """One step of a tree (version): how often it was answered, abandoned at, and how long it took.

    ``kind`` is the step's kind (``instruction``, ``wait``, ``check``, ...; see :mod:`triage.analytics.kinds`),
    so a long median or many drop-offs at a wait read as "customers wait here".
    """

    tree_id: str
    version: int
    node_tree: str
    node_id: str
    visits: int
    drop_offs: int
    drop_off_rate: float | None
    median_seconds: float | None
    kind: str = ""


@dataclass(frozen=True)
class DropOff:
    """A step where open sessions were abandoned; ``tree_id`` is the node's own tree (a procedure's id for
    its steps), so figures cover every tree that reaches the step; ``kind`` is the step's kind."""

    tree_id: str
    node_id: str
    drop_offs: int
    visits: int
    drop_off_rate: float | None
    kind: str = ""


@dataclass(frozen=True)
class ActionStats:
    """One action node: how often doing it fixed the problem (instructions, waits and checks have no row)."""

    tree_id: str
    node_id: str
    answered: int
    fixed: int
    not_fixed: int
    could_not: int
    tried_before: int
    fix_rate: float | None


@dataclass(frozen=True)
class ProblemCount:
    """A problem (tree) by how often it came up."""

    tree_id: str
    title: str
    category: str
    sessions: int
    share: float | None


@dataclass(frozen=True)
class BreakdownRow:
    """Outcome figures for one value of a dimension (``mode`` or ``locale``)."""

    dimension: str
    value: str
    sessions: int
    decided: int
    resolved: int
    escalated: int
    home_visits: int
    parts_shipped: int
    repairs: int
    diagnoses: int
    handovers: int
    resolution_rate: float | None
    fcr_rate: float | None


@dataclass(frozen=True)
class DayOutcomes:
    """Sessions started on one UTC day, by how they ended."""

    day: date
    sessions: int
    resolved: int
    escalated: int
    home_visits: int
    parts_shipped: int
    repairs: int
    diagnoses: int
    handovers: int
    undecided: int


@dataclass(frozen=True)
class OutcomeCount:
    """How many decided sessions ended in one kind of decision, and how many of those did not hold.

    ``not_resolved``: outcome truth overturned the decision (a repeat contact, or a failed follow-up, came);
    only a ``resolved`` decision can be overturned, so it is 0 for the other kinds.
    """

    kind: str
    sessions: int
    share: float | None
    not_resolved: int


@dataclass(frozen=True)
class FaultCount:
    """A fault actually found (closure code) and how many sessions of a tree it closed."""

    tree_id: str
    true_fault: str
    sessions: int


def rate(part: int, whole: int) -> float | None:
    """``part`` as a share of ``whole``; ``None`` when there is nothing to divide."""
    return part / whole if whole else None


def num(value: Any, digits: int = 3) -> float | None:
    """A figure from the database (float or Decimal) as a rounded float; ``None`` stays ``None``."""
    if value is None:
        return None
    return round(float(value) if isinstance(value, Decimal) else float(value), digits)


@dataclass(frozen=True)
class Summary:
    """The main figures for a selection of sessions, as computed at ``generated_at``."""

    generated_at: datetime
    filters: Filters
    overall: TreeStats
    trees: tuple[TreeStats, ...]
    problems: tuple[ProblemCount, ...]
    modes: tuple[BreakdownRow, ...]
    locales: tuple[BreakdownRow, ...]
    outcomes: tuple[OutcomeCount, ...]
    actions: tuple[ActionStats, ...]
    drop_offs: tuple[DropOff, ...]
    faults: tuple[FaultCount, ...]
    days: tuple[DayOutcomes, ...]

    def tables(self) -> dict[str, Sequence[Any]]:
        """Every list of rows by name, ready for :func:`to_csv` (``overall`` is a one-row table)."""
        return {
            "trees": self.trees,
            "overall": (self.overall,),
            "problems": self.problems,
            "modes": self.modes,
            "locales": self.locales,
            "outcomes": self.outcomes,
            "actions": self.actions,
            "drop_offs": self.drop_offs,
            "faults": self.faults,
            "days": self.days,
        }
