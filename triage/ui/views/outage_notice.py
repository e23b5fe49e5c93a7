"""The customer's outage panel: what the outage board says about their area, and "Tell me when it's fixed".

:func:`notice_panel` is drawn by the decision screens for a decision made during an outage (``outage=True``).
It finds the outage through the desk (:func:`triage.desk.outages.outage_for_session`), shows its message in the
customer's language and offers a form for an e-mail address or a phone number; the desk keeps it, and staff tell
the customer when the outage ends.

When the customer has already given a number or an address in the contact form (an escalation or a safety stop
during an outage), :func:`notice_offer` offers one click that uses it: nobody types their number twice.
"""

from __future__ import annotations

import streamlit as st

from triage.desk import customers, outages
from triage.errors import NotFound, Refused
from triage.limits import limits
from triage.trees.markdown import escape, safe_markdown
from triage.ui.common import store, tr
from triage.ui.contact_form import shown_contact
from triage.walk.policy import Decision

__all__ = ["notice_offer", "notice_panel"]


def _key(session_id: str) -> str:
    return f"outage-notice-{session_id}"


def _subscribe(session_id: str, outage_id: int, contact: str, locale: str, shown: str | None = None) -> None:
    """Keep ``contact`` for the outage; the result (or why not, in the customer's language) for the next run.
    ``shown`` is how the thanks quote it (masked where the page is not the customer's own tab)."""
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
    st.session_state[_key(session_id)] = ("success", shown or notice.contact)


def _on_subscribe(session_id: str, outage_id: int, locale: str) -> None:
    contact = str(st.session_state.get(f"{_key(session_id)}-contact") or "")
    _subscribe(session_id, outage_id, contact, locale)


def _on_subscribe_given(session_id: str, outage_id: int, locale: str, shown: str) -> None:
    """The one click: the phone number (else the e-mail address) saved in the contact form, read now."""
    saved = customers.contact_for(store(), session_id)
    given = (saved.phone or saved.email or "") if saved is not None else ""
    _subscribe(session_id, outage_id, given, locale, shown)


def _outage(session_id: str, decision: Decision) -> outages.OutageView | None:
    """The outage behind ``decision``, or ``None`` (and a note that it is over) when there is none now."""
    if not decision.outage:
        return None
    outage = outages.outage_for_session(store(), session_id)
    if outage is None:  # ended meanwhile, or the region was not known
        st.info(tr("ui.notice.over"))
    return outage


def _result(session_id: str) -> bool:
    """The thanks once the customer asked (``True``: nothing more to draw), or the last error, said once."""
    kind, value = st.session_state.get(_key(session_id), (None, None))
    if kind == "success":
        st.success(tr("ui.notice.done", contact=escape(str(value))))
        return True
    if kind == "error":
        st.session_state.pop(_key(session_id), None)  # said once; the form is there to try again
        st.error(tr(str(value)))
    return False


def notice_panel(
    session_id: str, decision: Decision, locale: str, *, customer: bool = True, offer: bool = True
) -> None:
    """For a decision made during an outage: the outage's message and a "Tell me when it's fixed" form.

    An agent sees the same form worded for the customer on the line ("Notify the customer when it's fixed").
    ``offer=False`` draws the message only: the page asks for a contact below and then calls
    :func:`notice_offer`, so the customer types their number once.
    """
    who = "" if customer else ".agent"
    outage = _outage(session_id, decision)
    if outage is None:
        return
    message = outage.message_for(locale)
    if message:
        st.info(safe_markdown(message), icon=":material/campaign:")
    if not offer:
        return
    st.subheader(tr(f"ui.notice.title{who}"))
    if _result(session_id):
        return
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


def notice_offer(session_id: str, decision: Decision, locale: str, contact: customers.ContactView) -> None:
    """After the customer gave ``contact`` during an outage: "Tell me when it's fixed" at that number or
    address, one click (nothing typed again)."""
    if not decision.outage or not (contact.phone or contact.email):
        return
    outage = outages.outage_for_session(store(), session_id)
    if outage is None:  # the message panel above already said it is over
        return
    st.subheader(tr("ui.notice.title"))
    if _result(session_id):
        return
    shown = shown_contact(session_id, contact)
    st.caption(tr("ui.notice.use_given", contact=escape(shown)))
    st.button(
        tr("ui.notice.submit"),
        key=f"{_key(session_id)}-given",
        on_click=_on_subscribe_given,
        args=(session_id, outage.id, locale, shown),
        type="primary",
        width="stretch",
    )
