"""The author studio's preview and scenario tabs: walk the draft as an agent or a customer would, before it is
saved, and see which of its scenario tests pass.

A preview walk is an in-memory :class:`~triage.walk.session.Session` kept per file; it warns once the draft
changed under it. Nothing here is stored.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from triage.desk import studio
from triage.errors import TriageError
from triage.trees.markdown import escape, safe_markdown
from triage.ui.common import staff_action, tr
from triage.ui.views.studio_state import PREVIEW, draft_of, notify, state
from triage.walk.session import StepView

__all__ = ["preview", "scenarios"]


# -- callbacks (they only change state; the next run draws it) ------------------------------------------


@staff_action("studio")
def _on_preview_start(rel: str, check: studio.DraftCheck, mode_key: str, locale_key: str) -> None:
    try:
        session = studio.start_preview(
            check,
            str(st.session_state.get(mode_key) or "agent"),
            str(st.session_state.get(locale_key) or "en"),
        )
    except TriageError as exc:
        notify("error", escape(str(exc)))
        return
    state(PREVIEW)[rel] = (studio.digest(draft_of(rel).text), session)


@staff_action("studio")
def _on_preview(rel: str, action: str, value: Any = None) -> None:
    entry = state(PREVIEW).get(rel)
    if entry is None:
        return
    session = entry[1]
    try:
        if action == "answer":
            session.answer(value)
        elif action == "input":
            session.answer(st.session_state.get(str(value), ""))
        elif action == "tried":
            session.mark_tried()
        elif action == "back":
            session.back()
        elif action == "restart":
            session.restart()
    except TriageError as exc:
        notify("error", escape(str(exc)))


# -- drawing -----------------------------------------------------------------------------------------


def preview(rel: str, check: studio.DraftCheck) -> None:
    """The preview tab: mode, language and Start, then the walk."""
    st.caption(tr("ui.studio.preview_help"))
    if not check.previewable or check.tree is None:
        st.info(tr("ui.studio.no_preview"))
        return
    mode_key, locale_key = f"studio.pmode.{rel}", f"studio.plocale.{rel}"
    a, b, c = st.columns([2, 1, 1])
    a.radio(
        tr("ui.studio.mode"),
        ["agent", "self_service"],
        format_func=lambda m: tr(f"ui.studio.mode.{m}"),
        horizontal=True,
        key=mode_key,
    )
    locales = list(check.tree.locales)
    b.selectbox(tr("ui.studio.locale"), locales, key=locale_key)
    c.button(
        tr("ui.studio.start"),
        key=f"studio.pstart.{rel}",
        on_click=_on_preview_start,
        args=(rel, check, mode_key, locale_key),
    )
    entry = state(PREVIEW).get(rel)
    if entry is None:
        return
    started_on, session = entry
    if started_on != studio.digest(draft_of(rel).text):
        st.warning(tr("ui.studio.stale"))
    view = session.view()
    st.markdown(f"#### {safe_markdown(view.tree_title)}")
    st.caption(tr("ui.studio.step", number=view.step_number, node=view.node_id))
    st.progress(view.progress)
    if view.finished and view.decision is not None:
        _decision(view)
    else:
        _step(rel, view)
    x, y = st.columns(2)
    x.button(
        tr("ui.studio.back"),
        key=f"studio.pv.{rel}.back",
        disabled=not view.can_back,
        on_click=_on_preview,
        args=(rel, "back"),
    )
    y.button(
        tr("ui.studio.restart"), key=f"studio.pv.{rel}.restart", on_click=_on_preview, args=(rel, "restart")
    )


def _decision(view: StepView) -> None:
    d = view.decision
    assert d is not None
    st.success(tr("ui.studio.decision", kind=tr(f"decision.{d.kind.value}"), node=d.node_id or ""))
    st.markdown(safe_markdown(view.text))
    for reason in d.reasons:
        st.caption(safe_markdown(reason))


def _step(rel: str, view: StepView) -> None:
    # the draft may be a pasted file: no remote images, even in the preview
    if view.caution:
        st.warning(safe_markdown(view.caution), icon=":material/warning:")
    st.markdown(f"**{safe_markdown(view.text)}**")
    if view.hint:
        st.info(safe_markdown(view.hint))
    if view.check:
        st.markdown(safe_markdown(view.check))
    prefix = f"studio.pv.{rel}.{view.step_number}.{view.node_id}"
    if view.field is not None and not view.options:
        in_key = f"{prefix}.input"
        st.text_input(view.field.fact, key=in_key)
        st.button(
            tr("ui.studio.answer"),
            key=f"{prefix}.submit",
            on_click=_on_preview,
            args=(rel, "input", in_key),
        )
    else:
        cols = st.columns(max(len(view.options), 1))
        for col, opt in zip(cols, view.options, strict=False):
            col.button(
                safe_markdown(opt.label),
                key=f"{prefix}.opt.{opt.value}",
                on_click=_on_preview,
                args=(rel, "answer", opt.value),
            )
    if view.kind == "action":
        st.button(tr("ui.studio.tried"), key=f"{prefix}.tried", on_click=_on_preview, args=(rel, "tried"))


def scenarios(rel: str, check: studio.DraftCheck) -> None:
    """The scenarios tab: each of the tree's scenario tests, passed or failed, and where it ended."""
    st.caption(tr("ui.studio.scenarios_help"))
    if not check.scenarios:
        st.info(tr("ui.studio.no_scenarios"))
        return
    st.dataframe(
        [
            {
                tr("ui.studio.col.scenario"): r.name,
                tr("ui.studio.col.result"): ("✓ " + tr("ui.studio.pass"))
                if r.passed
                else ("✗ " + tr("ui.studio.fail")),
                tr("ui.studio.col.reached"): r.reached or "",
                tr("ui.studio.col.message"): r.message,
            }
            for r in check.scenarios
        ],
        hide_index=True,
        width="stretch",
        key=f"studio.scenarios.{rel}",
    )
