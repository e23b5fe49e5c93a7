"""The Streamlit entry point: routing by role with ``st.navigation``.

Self-service is open to anyone. Staff pages are registered only for a signed-in person whose roles
allow them, so a customer cannot reach one by URL either: an unregistered path falls back to
self-service.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from triage.desk.staff import PUBLIC_PAGES, pages_for
from triage.i18n import LANGUAGES
from triage.ui.common import boot, identity, refresh_identity, tr, ui_locale
from triage.ui.views import (
    agent,
    analytics,
    dispatch,
    fulfilment,
    outages,
    queue,
    self_service,
    sign_in,
    studio,
    users,
)

__all__ = ["main"]

_PAGES = {
    "self_service": (self_service.render, "help", "ui.nav.self_service", ":material/support:"),
    "sign_in": (sign_in.render, "signin", "ui.nav.sign_in", ":material/login:"),
    "agent": (agent.render, "agent", "ui.nav.agent", ":material/support_agent:"),
    "queue": (queue.render, "queue", "ui.nav.queue", ":material/inbox:"),
    "dispatch": (dispatch.render, "dispatch", "ui.nav.dispatch", ":material/local_shipping:"),
    "outages": (outages.render, "outages", "ui.nav.outages", ":material/campaign:"),
    "fulfilment": (fulfilment.render, "fulfilment", "ui.nav.fulfilment", ":material/inventory_2:"),
    "studio": (studio.render, "studio", "ui.nav.studio", ":material/edit_note:"),
    "analytics": (analytics.render, "analytics", "ui.nav.analytics", ":material/monitoring:"),
    "users": (users.render, "users", "ui.nav.users", ":material/group:"),
}


def _sidebar() -> None:
    with st.sidebar:
        current = ui_locale()
        names = list(LANGUAGES)
        choice = st.selectbox(
            tr("ui.language"),
            names,
            index=names.index(current),
            format_func=lambda code: LANGUAGES[code],
            key="locale_select",
        )
        if choice != current:
            st.session_state["locale"] = choice
            st.query_params["lang"] = choice
            st.rerun()
        ident = identity()
        if ident is not None:
            st.caption(tr("ui.signed_in_as", name=ident.display_name, roles=", ".join(ident.roles)))
            if st.button(tr("ui.sign_out"), key="sign_out"):
                st.session_state.pop("identity", None)
                st.rerun()


def main() -> None:
    # an emoji favicon: a Material one is fetched from fonts.gstatic.com, which a closed network refuses
    st.set_page_config(page_title="triage", page_icon="🛟", layout="wide")
    boot()
    ident = refresh_identity()  # once per run: the sidebar and the page read what this found
    allowed = pages_for(ident)
    public: list[Any] = []
    staff: list[Any] = []
    by_key: dict[str, Any] = {}
    for key, (fn, path, title, icon) in _PAGES.items():
        if key not in allowed or (key == "sign_in" and ident is not None):
            continue
        page = st.Page(fn, title=tr(title), icon=icon, url_path=path, default=key == "self_service")
        by_key[key] = page
        (public if key in PUBLIC_PAGES else staff).append(page)
    sections = {tr("ui.nav.customers"): public}
    if staff:
        sections[tr("ui.nav.staff")] = staff
    nav = st.navigation(sections)
    target = st.session_state.pop("after_sign_in", None)
    if target in by_key:  # just signed in: open the person's first staff page
        st.switch_page(by_key[target])
    _sidebar()
    nav.run()
