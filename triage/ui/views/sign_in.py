"""Staff sign-in."""

from __future__ import annotations

import streamlit as st

from triage.errors import AuthError
from triage.records.accounts import Accounts, allowed_pages
from triage.ui.common import page_guard, store, tr


@page_guard
def render() -> None:
    st.title(tr("ui.sign_in.title"))
    st.caption(tr("ui.sign_in.caption"))
    with st.form("sign_in_form"):
        username = st.text_input(tr("ui.sign_in.username"), key="sign_in_user")
        password = st.text_input(tr("ui.sign_in.password"), type="password", key="sign_in_password")
        submitted = st.form_submit_button(tr("ui.sign_in.submit"))
    if submitted:
        try:
            ident = Accounts(store()).authenticate(username, password)
        except AuthError as exc:
            st.error(str(exc))
            return
        st.session_state["identity"] = ident
        first = next((p for p in allowed_pages(ident.roles) if p not in ("self_service", "sign_in")), None)
        st.session_state["after_sign_in"] = first
        st.rerun()
