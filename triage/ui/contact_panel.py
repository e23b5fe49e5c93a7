"""The agent's view of a customer's contact: name, phone or e-mail, address and region, who changed it last;
and a form to correct it or note what the customer says on the call (no consent box: the agent is recorded).

The agent console calls :func:`contact_panel` beside the session; the form is the one self-service uses
(:mod:`triage.ui.contact_form`), so the same checks and messages apply.
"""

from __future__ import annotations

import streamlit as st

from triage.desk import customers
from triage.desk.customers import ContactView
from triage.desk.sessions import StoredSession
from triage.trees.markdown import escape
from triage.ui.common import store, tr
from triage.ui.contact_form import form_body

__all__ = ["contact_panel"]


def contact_panel(stored: StoredSession, *, editor: str) -> ContactView | None:
    """Show the session's contact to staff, with a form to edit it (signed by ``editor``); the contact, if any.

    The click re-reads who is signed in: a person signed out or demoted since the draw saves nothing.
    """
    sid = stored.id
    contact = customers.contact_for(store(), sid)
    st.markdown(f"**{tr('ui.contact.panel_title')}**")
    if contact is None:
        st.caption(tr("ui.contact.none"))
    else:
        _show(contact)
    with (
        st.expander(tr("ui.contact.edit"), expanded=contact is None),
        st.form(f"contact-panel-{sid}", border=False),
    ):
        form_body(sid, contact, need_address=False, need_phone=False, editor=editor, who="panel")
    return contact


def _show(contact: ContactView) -> None:
    lines = [f"**{escape(contact.name)}**"]
    if contact.phone:
        lines.append(f":material/call: {escape(contact.phone)}")
    if contact.email:
        lines.append(f":material/mail: {escape(contact.email)}")
    place = ", ".join(
        x for x in (contact.address, " ".join(y for y in (contact.postcode, contact.city) if y)) if x
    )
    if place:
        lines.append(f":material/home: {escape(place)}")
    st.markdown("  \n".join(lines))
    if contact.postcode:
        region = (
            tr("ui.contact.region", region=contact.region) if contact.region else tr("ui.contact.no_region")
        )
        st.caption(escape(region))
    given = contact.consent_at.strftime("%Y-%m-%d %H:%M UTC")
    who = tr("ui.contact.updated_by", who=escape(contact.updated_by)) if contact.updated_by else ""
    st.caption(f"{tr('ui.contact.given', when=given)} {who}".strip())
