"""Staff sign-in: throttled per account and per browser address; one message for every wrong answer."""

from __future__ import annotations

import streamlit as st

from triage.desk import staff
from triage.errors import AuthError, SignInThrottled
from triage.trees.markdown import escape
from triage.ui.common import client_address, page_guard, store, tr


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
            ident = staff.sign_in(store(), username, password, client=client_address())
        except SignInThrottled as exc:  # the same for known and unknown names
            st.error(tr("ui.sign_in.throttled", seconds=f"{exc.retry_after:.0f}"))
            return
        except AuthError as exc:
            st.error(escape(str(exc)))
            return
        st.session_state["identity"] = ident
        st.session_state["after_sign_in"] = staff.first_staff_page(ident)
        st.rerun()
