"""The author studio's simulated figures for the tree being edited: how many contacts it closes at tier 1.

Drawn by :func:`tree_figures`; the simulation runs once per saved version of the tree (keyed by its content
hash) with a few hundred customers, so the page stays quick. The logic is :mod:`triage.desk.simulation`.
"""

from __future__ import annotations

import streamlit as st

from triage.analytics.simulation import TreeFigures
from triage.bootstrap import trees_dir
from triage.desk import simulation
from triage.desk.studio import folder_stamp
from triage.trees.library import Library
from triage.ui.common import tr, ui_locale

__all__ = ["tree_figures"]


@st.cache_resource(show_spinner=False, max_entries=2)
def _library(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> Library:
    del stamp  # part of the cache key only: any saved change loads the folder again
    return simulation.load_trees(folder)


@st.cache_data(show_spinner=False, max_entries=64)
def _figures(tree_id: str, digest: str, _library: Library) -> TreeFigures | None:
    """Keyed by the tree and its content hash (a leading underscore keeps the library out of the key)."""
    del digest
    return simulation.tree_figures(_library, tree_id)


def tree_figures(tree_id: str | None) -> None:
    """The simulated tier-1 figures of the saved tree ``tree_id``, with their 95% intervals."""
    st.subheader(tr("ui.figures.title"))
    folder = trees_dir()
    library = _library(str(folder), folder_stamp(folder))
    if not tree_id or tree_id not in library or library[tree_id].procedure:
        st.caption(tr("ui.figures.none"))
        return
    figures = _figures(tree_id, library.digest(tree_id), library)
    if figures is None:
        st.caption(tr("ui.figures.none"))
        return
    st.caption(tr("ui.figures.caption", customers=figures.customers))
    rows = simulation.figure_rows(figures, ui_locale())
    # a static table: every row shows without a scroll box, and long labels wrap on a phone
    st.table(
        [
            {
                tr("ui.figures.col.figure"): r.label,
                tr("ui.figures.col.value"): r.value,
                tr("ui.figures.col.interval"): r.interval,
            }
            for r in rows
        ],
        hide_index=True,
    )
    if figures.unchecked_line_visits:
        st.warning(tr("ui.figures.unchecked_warning", example=figures.unchecked_line_visits[0]))
    if figures.priors == "uniform":
        st.info(tr("ui.figures.uniform"))
