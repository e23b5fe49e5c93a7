"""The analytics figures for a person: aligned plain-text tables for the terminal, and CSV.

:func:`render_text` draws a :class:`~triage.analytics.rows.Summary` (what ``triage stats`` prints);
:func:`to_csv` writes any list of rows the queries return (what ``--csv`` and the dashboard's downloads save),
every text cell neutralised against formula injection (:func:`csv_text`).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from triage.analytics.rows import ABANDONED_AFTER, Summary, rate

__all__ = ["csv_text", "render_text", "to_csv"]

# OWASP, CSV Injection: "ensure that no cells begin with any of the following characters"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A text cell a spreadsheet shows as text and never runs as a formula (OWASP's CSV Injection guidance).

    Following https://owasp.org/www-community/attacks/CSV_Injection: a cell that begins with ``=``, ``+``,
    ``-``, ``@``, tab (0x09) or carriage return (0x0D) gets a leading single quote, which spreadsheets read as
    "this is text". The rest of that guidance, that a separator (``,`` or ``;``) or a quote in the text must
    not start a new cell, is kept by :func:`to_csv` wrapping every field in double quotes and doubling the
    double quotes inside (``csv.QUOTE_ALL``), so ``a;=1+2`` stays one cell even where ``;`` separates cells.

    >>> csv_text("=1+2")
    "'=1+2"
    >>> csv_text("router-reset")
    'router-reset'
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, float):
        # a figure we computed, not text anybody typed: -0.5 stays a number
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return csv_text(str(value))


def to_csv(rows: Sequence[Any]) -> str:
    """Rows of one type (any list this module returns) as CSV: a header of field names, then one line a row.

    Empty cells stand for "no figure" (a rate with nothing to divide, a median of nothing). Rates are
    fractions (0.625), not percentages. An empty list gives an empty string. Every field is quoted and every
    text cell passes through :func:`csv_text`, so a closure code or a title cannot become a formula.
    """
    if not rows:
        return ""
    first = rows[0]
    if not dataclasses.is_dataclass(first) or isinstance(first, type):
        raise TypeError(f"to_csv takes rows from triage.analytics.queries (got a {type(first).__name__})")
    names = [fl.name for fl in dataclasses.fields(first)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    w.writerow(names)
    for row in rows:
        if type(row) is not type(first):
            raise TypeError(
                f"to_csv takes rows of one type (got {type(first).__name__} and {type(row).__name__})"
            )
        w.writerow([_cell(getattr(row, n)) for n in names])
    return buf.getvalue()


_FAULTS_SHOWN = 3


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def _med(x: float | None) -> str:
    return "-" if x is None else f"{x:g}" if x == int(x) else f"{x:.1f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Aligned columns: the first ``left`` columns left-aligned, the rest (figures) right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  " + "  ".join(parts).rstrip()

    return [line(headers), "  " + "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _section(title: str, body: list[str], empty: str = "(none)") -> list[str]:
    return ["", title, *(body or ["  " + empty])]


def render_text(s: Summary) -> str:
    """The summary as aligned plain-text tables for the terminal."""
    o = s.overall
    out = [
        f"Support statistics: {s.filters.describe()}",
        f"computed {s.generated_at.strftime('%Y-%m-%d %H:%M')} UTC; rates are shares of decided sessions",
    ]
    out += _section(
        "Overall",
        _table(
            [
                "sessions",
                "decided",
                "abandoned",
                "resolved",
                "escalated",
                "visit",
                "FCR",
                "median steps",
                "median min",
            ],
            [
                [
                    str(o.sessions),
                    str(o.decided),
                    str(o.abandoned),
                    _pct(o.resolution_rate),
                    _pct(o.escalation_rate),
                    _pct(o.visit_rate),
                    _pct(o.fcr_rate),
                    _med(o.median_steps),
                    _med(o.median_minutes),
                ]
            ],
            left=0,
        ),
    )
    out += _section(
        "Outcomes: decided sessions by decision (not resolved: overturned by a repeat contact or follow-up)",
        _table(
            ["decision", "sessions", "share", "not resolved"],
            [[oc.kind, str(oc.sessions), _pct(oc.share), str(oc.not_resolved)] for oc in s.outcomes],
        )
        if any(oc.sessions for oc in s.outcomes)
        else [],
    )
    tree_rows = [
        [
            t.tree_id,
            str(t.sessions),
            str(t.decided),
            str(t.abandoned),
            _pct(t.resolution_rate),
            _pct(t.escalation_rate),
            _pct(t.visit_rate),
            _pct(t.fcr_rate),
            _med(t.median_steps),
            _med(t.median_minutes),
        ]
        for t in s.trees
    ]
    out += _section(
        "Trees",
        _table(
            [
                "tree",
                "sessions",
                "decided",
                "abandoned",
                "resolved",
                "escalated",
                "visit",
                "FCR",
                "med steps",
                "med min",
            ],
            tree_rows,
        )
        if tree_rows
        else [],
        "(no sessions)",
    )
    out += _section(
        "Most frequent problems",
        _table(
            ["problem", "tree", "category", "sessions", "share"],
            [[p.title, p.tree_id, p.category, str(p.sessions), _pct(p.share)] for p in s.problems],
            left=3,
        )
        if s.problems
        else [],
    )
    for title, rows_b in (("By mode", s.modes), ("By locale", s.locales)):
        out += _section(
            title,
            _table(
                [
                    rows_b[0].dimension if rows_b else "value",
                    "sessions",
                    "decided",
                    "resolved",
                    "escalated",
                    "visit",
                    "FCR",
                ],
                [
                    [
                        b.value,
                        str(b.sessions),
                        str(b.decided),
                        _pct(rate(b.resolved, b.decided)),
                        _pct(rate(b.escalated, b.decided)),
                        _pct(rate(b.home_visits, b.decided)),
                        _pct(b.fcr_rate),
                    ]
                    for b in rows_b
                ],
            )
            if rows_b
            else [],
        )
    out += _section(
        "Actions: how often they fixed it",
        _table(
            ["tree", "action", "answered", "fixed", "not fixed", "could not", "tried before", "fix rate"],
            [
                [
                    a.tree_id,
                    a.node_id,
                    str(a.answered),
                    str(a.fixed),
                    str(a.not_fixed),
                    str(a.could_not),
                    str(a.tried_before),
                    _pct(a.fix_rate),
                ]
                for a in s.actions
            ],
            left=2,
        )
        if s.actions
        else [],
    )
    out += _section(
        f"Drop-offs: open sessions idle for {int(ABANDONED_AFTER.total_seconds() // 60)} minutes, by last step",
        _table(
            ["tree", "step", "kind", "drop-offs", "answered", "drop-off rate"],
            [
                [d.tree_id, d.node_id, d.kind or "-", str(d.drop_offs), str(d.visits), _pct(d.drop_off_rate)]
                for d in s.drop_offs
            ],
            left=3,
        )
        if s.drop_offs
        else [],
    )
    shown: dict[str, int] = {}
    fault_rows = []
    for fc in s.faults:  # the faults come most frequent first within each tree: show the top few
        shown[fc.tree_id] = shown.get(fc.tree_id, 0) + 1
        if shown[fc.tree_id] <= _FAULTS_SHOWN:
            fault_rows.append([fc.tree_id, fc.true_fault, str(fc.sessions)])
    hidden = sum(max(0, n - _FAULTS_SHOWN) for n in shown.values())
    out += _section(
        f"True faults found at closure (top {_FAULTS_SHOWN} per tree)",
        _table(["tree", "fault", "sessions"], fault_rows, left=2) if fault_rows else [],
    )
    if hidden:
        out.append(f"  ... and {hidden} less frequent (tree, fault) pairs; see the CSV")
    return "\n".join(out) + "\n"
