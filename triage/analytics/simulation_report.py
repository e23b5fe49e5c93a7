"""The library simulation as a person reads it: a table per tree and the library total, the targets, or CSV."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from triage.analytics.simulation import KINDS, LibraryFigures, Share, TreeFigures

__all__ = ["render_library", "library_csv"]

_HEADER = [
    "tree",
    "volume %",
    "self-service %",
    "tier 1 %",
    "first line % (95% CI)",
    "escalated %",
    "visits %",
    "parts %",
    "repair %",
    "diagnosis %",
    "minutes",
    "unchecked line visits",
    "outage: told %",
]


def _pct(s: Share) -> str:
    return "-" if math.isnan(s.value) else f"{100 * s.value:.1f}"


def _ci(s: Share) -> str:
    if math.isnan(s.value):
        return "-"
    return f"{100 * s.value:.1f} ({100 * s.low:.1f}-{100 * s.high:.1f})"


def _row(
    name: str, volume: float | None, f: TreeFigures | LibraryFigures, minutes: tuple[float, float]
) -> list[str]:
    outage = "-"
    if isinstance(f, TreeFigures) and f.outage is not None:
        outage = f"{100 * f.outage.outage_told / f.outage.customers:.1f}"
    unchecked = len(f.unchecked_line_visits) if isinstance(f, TreeFigures) else f.unchecked_line_visits
    return [
        name,
        "-" if volume is None else f"{100 * volume:.1f}",
        _pct(f.self_service),
        _pct(f.tier1),
        _ci(f.first_line),
        _ci(f.share("escalate")),
        _ci(f.share("visit")),
        _pct(f.share("ship_part")),
        _pct(f.share("repair")),
        _pct(f.share("diagnosis")),
        f"{minutes[0]:.1f} ± {minutes[1]:.1f}",
        str(unchecked),
        outage,
    ]


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]


def render_library(figures: LibraryFigures) -> list[str]:
    """The lines ``triage simulate --library`` prints: a row per tree, the library total, the targets."""
    first = figures.trees[0] if figures.trees else None
    head = (
        f"{len(figures.trees)} customer-facing trees, {first.customers if first else 0} simulated customers each, "
        f"mode {first.mode if first else '-'}; shares with 95% intervals; the total weights each tree by its "
        "call-volume share"
    )
    rows = [_HEADER]
    rows += [
        _row(f.tree_id, figures.weights.get(f.tree_id), f, (f.minutes, f.minutes_ci)) for f in figures.trees
    ]
    rows.append(_row("LIBRARY (volume-weighted)", 1.0, figures, figures.minutes))
    lines = [head, "", *_table(rows), ""]
    lines += _notes(figures)
    lines.append("targets:")
    for t in figures.targets():
        shown = f"{100 * t.value:.1f}%" if t.name != "line_checks" else f"{int(t.value)}"
        lines.append(f"  [{'met' if t.met else 'MISSED'}] {t.goal}: {shown}")
    met = all(t.met for t in figures.targets())
    lines.append(
        "all targets met" if met else "targets missed: see the trees with the lowest first-line share above"
    )
    return lines


def _notes(figures: LibraryFigures) -> list[str]:
    out = []
    uniform = [f.tree_id for f in figures.trees if f.priors == "uniform"]
    if uniform:
        out.append("no fault priors, faults drawn uniformly from those the steps name: " + ", ".join(uniform))
    if figures.unweighted:
        out.append("no call-volume share, not in the total: " + ", ".join(figures.unweighted))
    for f in figures.trees:
        for what, items in (("unchecked line visit", f.unchecked_line_visits), ("stuck walk", f.stuck)):
            if items:
                out.append(f"{f.tree_id}: {len(items)} {what}(s), e.g. {items[0]}")
    return [*out, ""] if out else []


def library_csv(figures: LibraryFigures) -> str:
    """One row per tree and one for the library: every share with its interval, minutes, checks."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    shares = ["self_service", "tier1", "first_line", *KINDS]
    w.writerow(
        ["tree", "volume", "customers", "priors"]
        + [f"{s}{suffix}" for s in shares for suffix in ("", "_low", "_high")]
        + ["minutes", "minutes_ci", "unchecked_line_visits", "stuck", "outage_told"]
    )
    for f in figures.trees:
        told = f"{f.outage.outage_told / f.outage.customers:.4f}" if f.outage is not None else ""
        w.writerow(
            [f.tree_id, f"{figures.weights.get(f.tree_id, 0.0):.4f}", f.customers, f.priors]
            + _share_cells(f, shares)
            + [f"{f.minutes:.2f}", f"{f.minutes_ci:.2f}", len(f.unchecked_line_visits), len(f.stuck), told]
        )
    minutes, ci = figures.minutes
    w.writerow(
        ["LIBRARY", "1.0000", sum(f.customers for f in figures.trees), ""]
        + _share_cells(figures, shares)
        + [
            f"{minutes:.2f}",
            f"{ci:.2f}",
            figures.unchecked_line_visits,
            sum(len(f.stuck) for f in figures.trees),
            "",
        ]
    )
    return buf.getvalue()


def _share_cells(f: TreeFigures | LibraryFigures, names: Sequence[str]) -> list[str]:
    out = []
    for name in names:
        s = getattr(f, name) if name in ("self_service", "tier1", "first_line") else f.share(name)
        out += [f"{s.value:.4f}", f"{s.low:.4f}", f"{s.high:.4f}"]
    return out
