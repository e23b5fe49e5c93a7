"""The customer's outage panel: what the outage board says about their area, and "Tell me when it's fixed".

:func:`notice_panel` is drawn by the decision screens for a decision made during an outage (``outage=True``).
It finds the outage through the desk (:func:`triage.desk.outages.outage_for_session`), shows its message in the
customer's language and offers a form for an e-mail address or a phone number; the desk keeps it, and staff tell
the customer when the outage ends.
"""

from __future__ import annotations

import streamlit as st

from triage.desk import outages
from triage.errors import NotFound, Refused
from triage.limits import limits
from triage.trees.markdown import escape, safe_markdown
from triage.ui.common import store, tr
from triage.walk.policy import Decision

__all__ = ["notice_panel"]


def _key(session_id: str) -> str:
    return f"outage-notice-{session_id}"


def _on_subscribe(session_id: str, outage_id: int, locale: str) -> None:
    contact = str(st.session_state.get(f"{_key(session_id)}-contact") or "")
    try:
        notice = outages.subscribe(store(), outage_id, session_id, contact, locale)
    except Refused:
        # the desk's refusal is for staff, in English: the customer reads why in their own language
        bad = outages.contact_kind(contact) is None
        st.session_state[_key(session_id)] = ("error", "ui.notice.bad_contact" if bad else "ui.notice.ended")
        return
    except NotFound:
        st.session_state[_key(session_id)] = ("error", "ui.notice.ended")
        return
    st.session_state[_key(session_id)] = ("success", notice.contact)


def notice_panel(session_id: str, decision: Decision, locale: str, *, customer: bool = True) -> None:
    """For a decision made during an outage: the outage's message and a "Tell me when it's fixed" form.

    An agent sees the same form worded for the customer on the line ("Notify the customer when it's fixed").
    """
    who = "" if customer else ".agent"
    if not decision.outage:
        return
    outage = outages.outage_for_session(store(), session_id)
    if outage is None:  # ended meanwhile, or the region was not known
        st.info(tr("ui.notice.over"))
        return
    message = outage.message_for(locale)
    if message:
        st.info(safe_markdown(message), icon=":material/campaign:")
    st.subheader(tr(f"ui.notice.title{who}"))
    kind, value = st.session_state.get(_key(session_id), (None, None))
    if kind == "success":
        st.success(tr("ui.notice.done", contact=escape(str(value))))
        return
    if kind == "error":
        st.session_state.pop(_key(session_id), None)  # said once; the form is there to try again
        st.error(tr(str(value)))
    with st.form(f"{_key(session_id)}-form", clear_on_submit=False, border=False):
        st.text_input(
            tr(f"ui.notice.contact{who}"),
            key=f"{_key(session_id)}-contact",
            max_chars=limits().contact,
            placeholder=tr("ui.notice.placeholder"),
        )
        st.form_submit_button(
            tr("ui.notice.submit"),
            on_click=_on_subscribe,
            args=(session_id, outage.id, locale),
            type="primary",
            width="stretch",
        )
