"""Analytics: what happened across many sessions, in SQL (queries) and as figures for a person (report).

- :mod:`~triage.analytics.queries`: outcome figures per tree, problem, mode, locale and day, and the
  :func:`summary` that bundles them (definitions in its docstring);
- :mod:`~triage.analytics.steps`: figures per step: visits, time spent, drop-offs, action fix rates;
- :mod:`~triage.analytics.kinds`: each node's kind from the published trees (only actions have fix rates);
- :mod:`~triage.analytics.rows`: the frozen rows they return, and the :class:`Filters` they take;
- :mod:`~triage.analytics.report`: a summary as plain-text tables, any rows as CSV;
- :mod:`~triage.analytics.labels`: trees, steps and faults by their titles in the reader's language, short
  enough for a chart and in full for its tooltip.

Import the names from here: ``from triage import analytics; analytics.summary(store)``.

May import: :mod:`triage.records`, :mod:`triage.trees`, :mod:`triage.errors` and anything below them.
"""

from __future__ import annotations

from triage.analytics.kinds import node_kinds
from triage.analytics.labels import Label, fault_label, shorten, step_label, tree_label
from triage.analytics.queries import (
    KIND_COUNTS,
    breakdown,
    fault_counts,
    outcome_counts,
    outcomes_per_day,
    summary,
    top_problems,
    tree_stats,
)
from triage.analytics.report import csv_text, render_text, to_csv
from triage.analytics.rows import (
    ABANDONED_AFTER,
    ActionStats,
    BreakdownRow,
    DayOutcomes,
    DropOff,
    FaultCount,
    Filters,
    NodeStats,
    OutcomeCount,
    ProblemCount,
    Summary,
    TreeStats,
)
from triage.analytics.steps import action_stats, drop_offs, node_stats

__all__ = [
    "ABANDONED_AFTER",
    "KIND_COUNTS",
    "ActionStats",
    "BreakdownRow",
    "DayOutcomes",
    "DropOff",
    "FaultCount",
    "Filters",
    "Label",
    "NodeStats",
    "OutcomeCount",
    "ProblemCount",
    "Summary",
    "TreeStats",
    "action_stats",
    "breakdown",
    "csv_text",
    "drop_offs",
    "fault_counts",
    "fault_label",
    "node_kinds",
    "node_stats",
    "outcome_counts",
    "outcomes_per_day",
    "render_text",
    "shorten",
    "step_label",
    "summary",
    "to_csv",
    "top_problems",
    "tree_label",
    "tree_stats",
]
