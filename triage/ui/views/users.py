"""Admin: staff accounts and roles."""

from __future__ import annotations

import streamlit as st

from triage.desk import staff
from triage.errors import AuthError
from triage.ui.common import page_guard, require, store, tr


@page_guard
def render() -> None:
    require("users")
    st.title(tr("ui.nav.users"))
    st.dataframe(
        [staff.user_row(u) for u in staff.users(store())],
        hide_index=True,
        width="stretch",
    )
    st.subheader(tr("ui.users.add"))
    with st.form("add_user", clear_on_submit=True):
        username = st.text_input(tr("ui.sign_in.username"), key="new_user_name")
        display = st.text_input(tr("ui.users.display_name"), key="new_user_display")
        password = st.text_input(tr("ui.sign_in.password"), type="password", key="new_user_password")
        roles = st.multiselect(tr("ui.users.roles"), staff.ROLES, key="new_user_roles")
        if st.form_submit_button(tr("ui.users.create")):
            try:
                staff.create_user(store(), username, password, roles, display)
                st.success(tr("ui.users.created", name=username))
            except AuthError as exc:
                st.error(str(exc))
