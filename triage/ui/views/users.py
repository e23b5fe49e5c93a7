"""Admin: staff accounts, their roles, deactivating or reactivating them, and signing them out everywhere (each
change is audited)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from triage.desk import staff
from triage.errors import Refused
from triage.trees.markdown import escape
from triage.ui.common import flash, page_guard, require, show_flash, store, tr

_MSG = "users_msg"


def _do(change: Callable[[], object], done: str) -> None:
    """Run an account change; on success say so after the rerun that redraws the table, else say why not."""
    try:
        change()
    except Refused as exc:
        st.error(escape(str(exc)))
        return
    flash(_MSG, "success", done)
    st.rerun()


def _add(actor: str) -> None:
    st.subheader(tr("ui.users.add"))
    with st.form("add_user", clear_on_submit=True):
        username = st.text_input(tr("ui.sign_in.username"), key="new_user_name")
        display = st.text_input(tr("ui.users.display_name"), key="new_user_display")
        password = st.text_input(tr("ui.sign_in.password"), type="password", key="new_user_password")
        roles = st.multiselect(tr("ui.users.roles"), staff.ROLES, key="new_user_roles")
        if st.form_submit_button(tr("ui.users.create")):
            _do(
                lambda: staff.create_user(store(), username, password, roles, display, actor),
                tr("ui.users.created", name=username),
            )


def _change(actor: str, accounts: list[staff.Account]) -> None:
    st.subheader(tr("ui.users.change"))
    name = st.selectbox(tr("ui.sign_in.username"), [a.username for a in accounts], key="edit_user")
    account = next(a for a in accounts if a.username == name)
    with st.form(f"edit_{name}"):
        roles = st.multiselect(
            tr("ui.users.roles"), staff.ROLES, default=list(account.roles), key=f"edit_roles_{name}"
        )
        if st.form_submit_button(tr("ui.users.save_roles")):
            _do(lambda: staff.set_roles(store(), name, roles, actor), tr("ui.users.roles_saved", name=name))
    if account.active:
        if st.button(tr("ui.users.deactivate"), key=f"deactivate_{name}"):
            _do(lambda: staff.deactivate(store(), name, actor), tr("ui.users.deactivated", name=name))
    elif st.button(tr("ui.users.reactivate"), key=f"reactivate_{name}"):
        _do(lambda: staff.reactivate(store(), name, actor), tr("ui.users.reactivated", name=name))
    _sessions(actor, name)


def _sessions(actor: str, name: str) -> None:
    """Where the account is signed in now, and ending every one of those sign-ins (a lost phone, a leak)."""
    count = staff.open_sessions(store(), name)
    st.caption(tr("ui.users.open_sessions", count=count))
    if count and st.button(tr("ui.users.sign_out_everywhere"), key=f"sign_out_everywhere_{name}"):
        ended = staff.sign_out_everywhere(store(), name, actor=actor)
        flash(_MSG, "success", tr("ui.users.signed_out", name=name, count=ended))
        st.rerun()


@page_guard
def render() -> None:
    me = require("users")
    st.title(tr("ui.nav.users"))
    show_flash(_MSG)
    accounts = staff.users(store())
    st.dataframe([staff.user_row(a) for a in accounts], hide_index=True, width="stretch")
    _change(me.username, accounts)
    _add(me.username)
