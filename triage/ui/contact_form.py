"""The contact form: a customer's name, a phone number or e-mail address, consent and, for a visit or a parcel,
the address. Self-service draws it on an escalation, a safety stop, a visit or a parcel; the booking panel asks
for it before showing slots; agents fill it in for a customer on the phone (no consent box: they record who).

:func:`contact_form` returns the saved contact once it is complete, else draws the form and returns ``None``.
What a person typed stays in the form after an error. The checks are the desk's
(:func:`triage.desk.customers.save_contact`); this module only draws and wires the click.

A customer's page is open to anyone holding its link, so their details are shown back in full only in the
browser tab they were typed in; elsewhere the number is masked and the form starts empty.
"""

from __future__ import annotations

import streamlit as st

from triage.desk import customers
from triage.desk.customers import ContactView
from triage.desk.sessions import StoredSession
from triage.errors import TriageError
from triage.i18n import t
from triage.limits import limits
from triage.trees.markdown import escape
from triage.ui.common import identity, refresh_identity, store, tr, ui_locale

__all__ = [
    "contact_confirmation",
    "contact_fields",
    "contact_form",
    "field_key",
    "form_body",
    "on_change_details",
    "shown_contact",
]

FIELDS = ("name", "phone", "email", "address", "postcode", "city")
_ADDRESS = ("address", "postcode", "city")
_AUTOCOMPLETE = {
    "name": "name",
    "address": "street-address",
    "postcode": "postal-code",
    "city": "address-level2",
}


_INTRO = {
    (False, False): "ui.contact.intro_person",
    (False, True): "ui.contact.intro_address",
    (True, False): "ui.contact.intro_safety",
    (True, True): "ui.contact.intro_safety_address",
}
"""What the form says it is for, by (a phone number is needed, an address is needed)."""


def field_key(sid: str, field: str, who: str) -> str:
    """The session-state key of one field of the form ``who`` (``"customer"``, ``"agent"``, ``"panel"``) draws."""
    return f"contact-{who}-{sid}-{field}"


def _who(customer: bool) -> str:
    return "customer" if customer else "agent"


def _error_key(sid: str, who: str) -> str:
    return f"contact-error-{who}-{sid}"


def _edit_key(sid: str) -> str:
    return f"contact-edit-{sid}"


def _own_key(sid: str) -> str:
    return f"contact-own-{sid}"


def _complete(contact: ContactView, need_address: bool, need_phone: bool) -> bool:
    return (not need_address or contact.has_address()) and (not need_phone or bool(contact.phone))


def contact_form(
    stored: StoredSession, *, need_address: bool, customer: bool, need_phone: bool = False
) -> ContactView | None:
    """The session's saved contact if it is complete (with an address when ``need_address``, a phone number when
    ``need_phone``); otherwise draw the form and return ``None``. ``customer`` asks consent; staff sign."""
    sid = stored.id
    contact = customers.contact_for(store(), sid)
    editing = customer and bool(st.session_state.get(_edit_key(sid)))
    if contact is not None and not editing and _complete(contact, need_address, need_phone):
        return contact
    with st.form(f"contact-form-{_who(customer)}-{sid}", border=True):
        title = "ui.contact.title_address" if need_address else "ui.contact.title"
        st.markdown(f"**{tr(title)}**")
        st.caption(tr(_INTRO[need_phone, need_address]))
        form_body(sid, contact, need_address=need_address, need_phone=need_phone, editor=_editor(customer))
    if editing:
        st.button(tr("ui.contact.cancel"), key=f"contact-cancel-{sid}", on_click=_stop_editing, args=(sid,))
    return None


def _editor(customer: bool) -> str | None:
    if customer:
        return None
    ident = identity()
    return ident.username if ident is not None else ""


def form_body(
    sid: str,
    contact: ContactView | None,
    *,
    need_address: bool,
    need_phone: bool,
    editor: str | None,
    who: str | None = None,
) -> None:
    """The fields, the consent box (customers) or note (staff), the last error and the save button, inside a
    form the caller opens. ``editor`` is the staff member who signs the change; ``None`` for the customer.
    ``who`` names the fields' keys apart when two forms share a page (the agent's panel and booking)."""
    customer = editor is None
    who = who or _who(customer)
    contact_fields(sid, contact, need_address=need_address, customer=customer, need_phone=need_phone, who=who)
    _submit(sid, need_address=need_address, need_phone=need_phone, editor=editor, who=who)


def _prefill(sid: str, contact: ContactView | None, who: str) -> None:
    """Put the saved values into fields that hold nothing yet (a field keeps what was typed since)."""
    if contact is None or (who == "customer" and not st.session_state.get(_own_key(sid))):
        return  # another tab of a customer's link: never show their details to whoever holds it
    for field in FIELDS:
        key = field_key(sid, field, who)
        if key not in st.session_state:
            st.session_state[key] = getattr(contact, field) or ""
    consent = field_key(sid, "consent", who)
    if who == "customer" and consent not in st.session_state:
        st.session_state[consent] = True  # they agreed when they gave it; changing it is agreeing again


def contact_fields(
    sid: str,
    contact: ContactView | None,
    *,
    need_address: bool,
    customer: bool,
    need_phone: bool = False,
    who: str | None = None,
) -> None:
    """The fields (inside a form the caller opens), filled with the saved contact where allowed."""
    who = who or _who(customer)
    _prefill(sid, contact, who)
    size = limits().contact
    st.text_input(tr("ui.contact.name"), key=field_key(sid, "name", who), max_chars=size, autocomplete="name")
    # the phone and e-mail types bring the right keyboard on a phone and the browser's autofill
    st.text_input(
        tr("ui.contact.phone"),
        key=field_key(sid, "phone", who),
        max_chars=size,
        type="phone",
        placeholder=tr("ui.contact.phone_hint"),
    )
    st.text_input(tr("ui.contact.email"), key=field_key(sid, "email", who), max_chars=size, type="email")
    if not need_phone:  # at a safety stop the number is what we need
        st.caption(tr("ui.contact.one_is_enough"))
    if need_address or not customer:
        st.text_input(
            tr("ui.contact.address"),
            key=field_key(sid, "address", who),
            max_chars=size,
            autocomplete=_AUTOCOMPLETE["address"],
        )
        code, town = st.columns([2, 3])
        code.text_input(
            tr("ui.contact.postcode"),
            key=field_key(sid, "postcode", who),
            max_chars=20,
            autocomplete=_AUTOCOMPLETE["postcode"],
        )
        town.text_input(
            tr("ui.contact.city"),
            key=field_key(sid, "city", who),
            max_chars=min(size, 100),
            autocomplete=_AUTOCOMPLETE["city"],
        )


def _submit(sid: str, *, need_address: bool, need_phone: bool, editor: str | None, who: str) -> None:
    customer = editor is None
    days = customers.retention_days()
    if customer:
        consent = "ui.contact.consent_address" if need_address else "ui.contact.consent"
        st.checkbox(tr(consent, days=days), key=field_key(sid, "consent", who))
    else:
        st.caption(tr("ui.contact.agent_consent", days=days))
    error = st.session_state.get(_error_key(sid, who))
    if error:
        st.error(escape(str(error)), icon=":material/error:")  # it may quote what was typed
    st.form_submit_button(
        tr("ui.contact.save" if customer else "ui.contact.agent_save"),
        on_click=_on_save,
        args=(sid, need_address, need_phone, editor, ui_locale(), who),
        type="primary",
        width="stretch" if customer else "content",
    )


def _signed_editor(editor: str) -> str | None:
    """``editor`` if they are still signed in and may work as an agent (re-read now), else ``None``."""
    ident = refresh_identity()  # someone signed out or demoted since the draw changes nothing
    if ident is None or not ident.may_open("agent") or (editor and ident.username != editor):
        return None
    return ident.username


def _on_save(
    sid: str, need_address: bool, need_phone: bool, editor: str | None, locale: str, who: str
) -> None:
    """The form's click: keep what was typed, or leave the error (the fields keep their values)."""
    customer = editor is None
    signed = None if customer else _signed_editor(editor or "")
    if not customer and signed is None:
        st.session_state[_error_key(sid, who)] = t("ui.contact.not_allowed", locale)
        return
    typed = {f: str(st.session_state.get(field_key(sid, f, who)) or "") for f in FIELDS}
    if customer and not need_address:
        # the address fields were not drawn: keep the address already given, if any
        saved = customers.contact_for(store(), sid)
        for f in _ADDRESS:
            typed[f] = (getattr(saved, f) or "") if saved is not None else ""
    try:
        customers.save_contact(
            store(),
            sid,
            consent=bool(st.session_state.get(field_key(sid, "consent", who))),
            locale=locale,
            need_address=need_address,
            need_phone=need_phone,
            editor=signed,
            **typed,
        )
    except TriageError as exc:  # a field we cannot keep, the session gone, the table broken: keep the fields
        st.session_state[_error_key(sid, who)] = str(exc)
        return
    st.session_state.pop(_error_key(sid, who), None)
    st.session_state.pop(_edit_key(sid), None)
    if customer:
        st.session_state[_own_key(sid)] = True
    else:  # the panel shows what was saved; the fields start again from it next time
        for f in FIELDS:
            st.session_state.pop(field_key(sid, f, who), None)


def on_change_details(sid: str) -> None:
    """The customer asks to change what they gave: the form again, filled in this tab."""
    st.session_state[_edit_key(sid)] = True


def _stop_editing(sid: str) -> None:
    st.session_state.pop(_edit_key(sid), None)


def shown_contact(sid: str, contact: ContactView) -> str:
    """The phone number (else the e-mail address) as this tab may show it: in full where it was typed, else
    masked (anyone holding the customer's link sees this page)."""
    if st.session_state.get(_own_key(sid)):
        return contact.phone or contact.email or ""
    return customers.masked(contact)


def contact_confirmation(
    stored: StoredSession, contact: ContactView, *, safety: bool = False, show_address: bool = True
) -> None:
    """What happens next, to the customer: we call them at the number (or write to the address) they gave, and
    (``show_address``, unless a panel below shows it) where we come or send to."""
    sid = stored.id
    own = bool(st.session_state.get(_own_key(sid)))
    reference = stored.reference or sid
    if contact.phone:
        key = "ui.self.safety_call" if safety else "ui.contact.saved_phone"
        text = tr(key, phone=escape(shown_contact(sid, contact)), reference=reference)
    else:
        text = tr("ui.contact.saved_email", email=escape(shown_contact(sid, contact)), reference=reference)
    st.success(text, icon=":material/call:" if contact.phone else ":material/mail:")
    if show_address and own and contact.has_address():
        place = ", ".join(
            x for x in (contact.address, f"{contact.postcode or ''} {contact.city or ''}".strip()) if x
        )
        st.caption(tr("ui.contact.saved_address", address=escape(place)))
    st.button(
        tr("ui.contact.change"),
        key=f"contact-change-{sid}",
        on_click=on_change_details,
        args=(sid,),
        type="tertiary",
    )
