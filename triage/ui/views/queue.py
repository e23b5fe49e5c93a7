"""Tier 2: the escalation queue. List and filter cases, open one to read the full hand-off, claim or
release it, add notes, and close it with a closure code and what fixed it.

The open case lives in the URL (``?case=K7P-4QX``, its reference; a case number works too), so a refresh, a
second tab or a link sent to a colleague shows the same case. The search takes a case's or a session's
reference as the customer reads it out, a customer id, or the start of a session id.
"""

from __future__ import annotations

import streamlit as st

from triage.desk import contact as console
from triage.desk import queue as cases
from triage.desk.queue import CASE_STATUSES, PRIORITIES, CaseFilter, CaseView
from triage.errors import NotFound, TriageError
from triage.limits import limits
from triage.trees.markdown import escape
from triage.ui.common import flash, page_guard, require, show_flash, staff_action, store, tr, ui_locale
from triage.ui.copy_button import copy_button

__all__ = ["render"]

_PARAM = "case"
_FLASH = "queue.flash"
_TIERS = (1, 2, 3)
_COLUMNS = (
    "reference",
    "priority",
    "queue",
    "tier",
    "status",
    "customer",
    "problem",
    "waiting",
    "claimed_by",
    "reason",
    "outcome",
)


# -- callbacks (run before the rerun; errors become a message, never a traceback) ----------------


@staff_action("queue")
def _open_case(key: str) -> None:
    picked = st.session_state.get(key)
    if picked is None:
        st.query_params.pop(_PARAM, None)
    else:
        st.query_params[_PARAM] = str(picked)


@staff_action("queue")
def _claim(case_id: int, user: str) -> None:
    try:
        claimed = cases.claim(store(), case_id, user)
        flash(_FLASH, "success", tr("ui.queue.did_claim", ref=claimed.label))
    except TriageError as exc:
        flash(_FLASH, "error", escape(str(exc)))


@staff_action("queue")
def _release(case_id: int, user: str) -> None:
    try:
        released = cases.release(store(), case_id, user)
        flash(_FLASH, "success", tr("ui.queue.did_release", ref=released.label))
    except TriageError as exc:
        flash(_FLASH, "error", escape(str(exc)))


@staff_action("queue")
def _add_note(case_id: int, user: str, key: str) -> None:
    try:
        cases.add_note(store(), case_id, user, str(st.session_state.get(key) or ""))
        flash(_FLASH, "success", tr("ui.queue.did_note", ref=cases.get_case(store(), case_id).label))
    except TriageError as exc:
        flash(_FLASH, "error", escape(str(exc)))


@staff_action("queue")
def _close(case_id: int, user: str, code_key: str, fix_key: str) -> None:
    code = str(st.session_state.get(code_key) or "")
    fix = str(st.session_state.get(fix_key) or "")
    try:
        closed = cases.close_case(store(), case_id, user, code, fix)
        code = escape(closed.closure_code or "")
        flash(_FLASH, "success", tr("ui.queue.did_close", ref=closed.label, code=code))
    except TriageError as exc:
        flash(_FLASH, "error", escape(str(exc)))


# -- drawing --------------------------------------------------------------------------------------


def _filters(queues: list[str], user: str) -> CaseFilter:
    cols = st.columns([2, 2, 1.3, 2, 1.4, 2], vertical_alignment="bottom")
    name = cols[0].selectbox(
        tr("ui.queue.filter.queue"),
        [None, *queues],
        format_func=lambda q: tr("ui.queue.any") if q is None else q,
        key="queue-f-queue",
    )
    status = cols[1].selectbox(
        tr("ui.queue.filter.status"),
        CASE_STATUSES,
        format_func=lambda s: tr(f"ui.queue.status.{s}"),
        key="queue-f-status",
    )
    tier = cols[2].selectbox(
        tr("ui.queue.filter.tier"),
        [None, *_TIERS],
        format_func=lambda t: tr("ui.queue.any") if t is None else tr("ui.queue.tier", tier=t),
        key="queue-f-tier",
    )
    priority = cols[3].selectbox(
        tr("ui.queue.filter.priority"),
        [None, *PRIORITIES],
        format_func=lambda p: tr("ui.queue.any") if p is None else tr(f"ui.queue.priority.{p}"),
        key="queue-f-priority",
    )
    mine = cols[4].toggle(tr("ui.queue.filter.mine"), key="queue-f-mine")
    search = cols[5].text_input(
        tr("ui.queue.filter.search"), key="queue-f-search", max_chars=limits().identifier
    )
    return CaseFilter(
        queue=name,
        status=status,
        tier=tier,
        priority=priority,
        mine=user if mine else None,
        search=search or "",
    )


def _table(found: list[CaseView]) -> None:
    st.caption(tr("ui.queue.count", count=len(found)))
    if not found:
        st.info(tr("ui.queue.empty"))
        return
    outcomes = cases.current_outcomes(store(), found, ui_locale())
    rows = [cases.case_row(c, outcome=outcomes.get(c.id, "")) for c in found]
    for row in rows:  # codes to words in the reader's language
        row["priority"] = tr(f"ui.queue.priority.{row['priority']}")
        row["status"] = tr(f"ui.queue.status.{row['status']}")
    st.dataframe(
        rows,
        hide_index=True,
        column_order=_COLUMNS,
        column_config={c: st.column_config.Column(tr(f"ui.queue.col.{c}")) for c in _COLUMNS},
        key="queue-table",
    )


def _picker(found: list[CaseView], current: int | None) -> None:
    refs = [c.label for c in found]  # the link carries what people read out: ?case=K7P-4QX
    labels = {c.label: cases.case_label(c) for c in found}
    now = next((c.label for c in found if c.id == current), None)
    st.selectbox(
        tr("ui.queue.open"),
        refs,
        index=refs.index(now) if now in refs else None,
        format_func=lambda r: labels.get(r, r),
        placeholder=tr("ui.queue.pick"),
        key="queue-open",
        on_change=_open_case,
        args=("queue-open",),
    )


def _case(case: CaseView, user: str) -> None:
    st.subheader(tr("ui.queue.case_title", ref=case.label, queue=case.queue))
    st.caption(
        tr(
            "ui.queue.case_meta",
            priority=tr(f"ui.queue.priority.{case.priority}"),
            tier=case.tier,
            status=tr(f"ui.queue.status.{case.status}"),
            session=_session_reference(case),
        )
    )
    show_flash(_FLASH)
    active = case.status in ("open", "claimed")
    if case.status == "closed":
        # what tier 2 typed is shown as typed, never as Markdown
        st.info(
            tr(
                "ui.queue.closed_as",
                code=escape(case.closure_code or ""),
                fix=escape(case.closure_fix or "-"),
            )
        )
    elif case.status == "withdrawn":
        now = cases.current_outcomes(store(), [case], ui_locale()).get(case.id)
        st.info(tr("ui.queue.withdrawn_now", outcome=escape(now)) if now else tr("ui.queue.withdrawn"))
    elif case.claimed_by:
        st.write(tr("ui.queue.claimed_by", user=escape(case.claimed_by)))
    else:
        st.write(tr("ui.queue.unclaimed"))
    if case.status == "open":
        st.button(
            tr("ui.queue.claim"),
            key=f"queue-claim-{case.id}",
            type="primary",
            on_click=_claim,
            args=(case.id, user),
        )
    elif case.status == "claimed" and case.claimed_by == user:
        st.button(
            tr("ui.queue.release"), key=f"queue-release-{case.id}", on_click=_release, args=(case.id, user)
        )

    left, right = st.columns([3, 2])
    with left.container(border=True, key=f"queue-handoff-{case.id}"):
        st.markdown(cases.handoff_markdown(case, top_level=4))
    with left:
        copy_button(
            case.handoff_markdown,
            key=f"queue-handoff-{case.id}",
            label=tr("ui.agent.handoff_copy"),
            done=tr("ui.copy.done"),
            fallback=tr("ui.copy.fallback"),
        )
    with right:
        _notes(case, user)
        if active:
            _close_form(case, user)


def _session_reference(case: CaseView) -> str:
    """The case's session as people name it (its reference); the long id only if the session is gone."""
    try:
        return console.session_reference(store(), case.session_id)
    except TriageError:
        return escape(case.session_id)


def _notes(case: CaseView, user: str) -> None:
    st.markdown(f"#### {tr('ui.queue.notes')}")
    if case.notes:
        for at, author, text in case.notes:
            st.markdown(f"**{escape(author)}** · {at:%Y-%m-%d %H:%M} UTC  \n{escape(text)}")
    else:
        st.caption(tr("ui.queue.no_notes"))
    key = f"queue-note-text-{case.id}"
    with st.form(f"queue-note-{case.id}", clear_on_submit=True):
        st.text_area(tr("ui.queue.note"), key=key, height=80, max_chars=limits().note)
        st.form_submit_button(
            tr("ui.queue.add_note"),
            key=f"queue-note-add-{case.id}",
            on_click=_add_note,
            args=(case.id, user, key),
        )


def _close_form(case: CaseView, user: str) -> None:
    st.markdown(f"#### {tr('ui.queue.close_title')}")
    code_key, fix_key = f"queue-code-{case.id}", f"queue-fix-{case.id}"
    with st.form(f"queue-close-{case.id}"):
        st.text_input(
            tr("ui.queue.code"), key=code_key, placeholder=tr("ui.queue.code_help"), max_chars=limits().code
        )
        st.text_area(tr("ui.queue.fix"), key=fix_key, height=80, max_chars=limits().note)
        st.form_submit_button(
            tr("ui.queue.close"),
            key=f"queue-close-submit-{case.id}",
            type="primary",
            on_click=_close,
            args=(case.id, user, code_key, fix_key),
        )


@page_guard
def render() -> None:
    ident = require("queue")
    st.title(tr("ui.nav.queue"))
    st.caption(tr("ui.queue.caption"))
    flt = _filters(cases.queues(store()), ident.username)
    found = cases.find_cases(store(), flt)
    _table(found)
    raw = st.query_params.get(_PARAM) or ""
    current = cases.case_number(store(), raw)
    _picker(found, current)
    if current is None:
        if raw.strip():  # a link to a case there is not (mistyped, or from another system): say so
            st.warning(tr("ui.queue.no_case", ref=escape(raw[: limits().identifier])))
        show_flash(_FLASH)
        return
    try:
        case = cases.get_case(store(), current)
    except NotFound:
        st.warning(tr("ui.queue.no_case", ref=escape(raw)))
        return
    _case(case, ident.username)
