"""The author studio's review tabs: the flags agents raised on the tree's steps (resolve them once dealt
with), and the tree's published versions with a diff between any two.
"""

from __future__ import annotations

import streamlit as st

from triage.desk.flags import FlagView, resolve_flag
from triage.errors import TriageError
from triage.trees.markdown import escape
from triage.ui.common import identity, staff_action, store, tr
from triage.ui.views.studio_state import notify

__all__ = ["flags", "versions"]


# -- callbacks (they only change state; the next run draws it) ------------------------------------------


@staff_action("studio")
def _on_resolve(flag_id: int) -> None:
    ident = identity()
    if ident is None:
        return
    try:
        resolve_flag(store(), flag_id, ident.username)
    except TriageError as exc:
        notify("error", escape(str(exc)))
        return
    notify("success", tr("ui.studio.resolved", id=flag_id))


# -- drawing -----------------------------------------------------------------------------------------


def flags(open_flags: list[FlagView]) -> None:
    """The flags tab: each open flag with its step, kind, author and comment, and a Resolve button."""
    if not open_flags:
        st.info(tr("ui.studio.no_flags"))
        return
    for f in open_flags:
        with st.container(border=True):
            info, button = st.columns([5, 1])
            info.markdown(
                tr(
                    "ui.studio.flag",
                    node=f.node_id,
                    kind=escape(f.kind),
                    author=escape(f.author),
                    when=f"{f.created_at:%Y-%m-%d %H:%M}",
                )
            )
            if f.comment:
                info.markdown(escape(f.comment))  # typed by an agent: shown as typed
            button.button(
                tr("ui.studio.resolve"), key=f"studio.resolve.{f.id}", on_click=_on_resolve, args=(f.id,)
            )


def versions(rel: str, tree_id: str | None) -> None:
    """The versions tab: who published which version when, and the diff between two of them."""
    published = store().versions(tree_id) if tree_id else []
    if not published:
        st.info(tr("ui.studio.no_versions"))
        return
    st.dataframe(
        [
            {
                tr("ui.studio.col.version"): v.version,
                tr("ui.studio.col.author"): v.author,
                tr("ui.studio.col.when"): f"{v.published_at:%Y-%m-%d %H:%M}",
                tr("ui.studio.col.note"): v.note,
            }
            for v in reversed(published)
        ],
        hide_index=True,
        width="stretch",
        key=f"studio.versions.{rel}.{len(published)}",
    )
    if len(published) < 2 or tree_id is None:
        return
    numbers = [v.version for v in published]
    a, b = st.columns(2)
    old = a.selectbox(
        tr("ui.studio.old"), numbers, index=len(numbers) - 2, key=f"studio.vold.{rel}.{len(numbers)}"
    )
    new = b.selectbox(
        tr("ui.studio.new"), numbers, index=len(numbers) - 1, key=f"studio.vnew.{rel}.{len(numbers)}"
    )
    if old is not None and new is not None:
        st.code(store().diff(tree_id, int(old), int(new)), language="diff")
