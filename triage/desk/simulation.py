"""Simulated tier-1 figures for the author studio: one tree's, as the page shows them, without Streamlit.

The page loads the saved library once per change of the folder (:func:`load_trees`), asks for a tree's
figures (:func:`tree_figures`, a small number of customers so the page stays quick) and draws the rows
:func:`figure_rows` gives. The simulation itself is :mod:`triage.analytics.simulation`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from triage.analytics.simulation import TreeFigures, simulate_tree
from triage.i18n import t
from triage.trees.library import Library
from triage.trees.model import Tree
from triage.walk.scenarios import load_library

__all__ = ["STUDIO_CUSTOMERS", "FigureRow", "figure_rows", "load_trees", "tree_figures"]

STUDIO_CUSTOMERS = 400
"""Simulated customers per tree on the studio page: intervals of about ±5 points, in well under a second."""


def load_trees(folder: str | Path) -> Library:
    """The trees saved under ``folder`` (scenarios run: a tree whose scenarios fail is not simulated)."""
    return load_library([folder])


def tree_figures(
    library: Mapping[str, Tree], tree_id: str, *, customers: int = STUDIO_CUSTOMERS, seed: int = 0
) -> TreeFigures | None:
    """The tree's simulated figures, or ``None`` for a procedure or a tree not in the library."""
    tree = library.get(tree_id)
    if tree is None or tree.procedure:
        return None
    return simulate_tree(library, tree_id, customers=customers, seed=seed, mode="both")


@dataclass(frozen=True)
class FigureRow:
    """One line of the studio's figures: what, the value, its 95% interval (blank for counts)."""

    label: str
    value: str
    interval: str


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.1f}\u00a0%"


def _span(low: float, high: float) -> str:
    # one unit sign, no spaces around the dash: the interval stays on one line in a phone's narrow column
    return "-" if math.isnan(low) else f"{100 * low:.1f}–{100 * high:.1f}\u00a0%"


def figure_rows(figures: TreeFigures, locale: str) -> list[FigureRow]:
    """The figures in the reader's language, shares as percentages with their intervals."""
    shares = [
        ("first_line", figures.first_line),
        ("self_service", figures.self_service),
        ("tier1", figures.tier1),
        ("escalate", figures.share("escalate")),
        ("visit", figures.share("visit")),
        ("ship_part", figures.share("ship_part")),
        ("repair", figures.share("repair")),
        ("diagnosis", figures.share("diagnosis")),
    ]
    rows = [
        FigureRow(t(f"ui.figures.{name}", locale), _pct(s.value), _span(s.low, s.high)) for name, s in shares
    ]
    low, high = figures.minutes - figures.minutes_ci, figures.minutes + figures.minutes_ci
    rows.append(FigureRow(t("ui.figures.minutes", locale), f"{figures.minutes:.1f}", f"{low:.1f}–{high:.1f}"))
    rows.append(FigureRow(t("ui.figures.unchecked", locale), str(len(figures.unchecked_line_visits)), ""))
    if figures.outage is not None:
        told = figures.outage.outage_told / figures.outage.customers
        rows.append(FigureRow(t("ui.figures.outage_told", locale), _pct(told), ""))
    return rows
