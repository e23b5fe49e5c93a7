"""The Streamlit entry point: routing by role with ``st.navigation``.

Self-service is open to anyone. Staff pages are registered only for a signed-in person whose roles
allow them, so a customer cannot reach one by URL either. A signed-out visitor who opens a staff page's
address (a link to ``/queue?case=K7P-4QX``, a bookmark, a refresh after the sign-in ended) gets the sign-in
form there instead, and comes back to that very address once signed in.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.util import calc_hash

from triage.desk import staff
from triage.desk.staff import PUBLIC_PAGES, pages_for
from triage.ui import sso
from triage.ui.common import (
    boot,
    identity_via,
    language_picker,
    refresh_identity,
    store,
    tr,
    ui_locale,
    use_single_sign_on,
)
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

__all__ = ["URL_PATHS", "main"]

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

URL_PATHS = {key: ("" if key == "self_service" else path) for key, (_, path, _, _) in _PAGES.items()}
"""Each page's address below the site root (self-service is the default page, at the root itself)."""

use_single_sign_on(sso.current_identity)

# On a narrow screen the menu lies over the page: fold it once a page is picked. Streamlit does so only for a
# browser that says it is a phone; a narrow window (or a tablet) would keep it open over the page it opened.
_FOLD_MENU = """<script>
(() => {
  if (window.__triageFoldMenu) return;
  window.__triageFoldMenu = true;
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element && event.target.closest("[data-testid='stSidebarNav'] a");
    if (!link || !window.matchMedia("(max-width: 767.98px)").matches) return;
    setTimeout(() => {
      const menu = document.querySelector("[data-testid='stSidebar']");
      if (!menu || menu.getAttribute("data-collapsed") !== "false") return;
      document.querySelector("[data-testid='stSidebarCollapseButton'] button")?.click();
    }, 0);
  }, true);
})();
</script>"""


def _asked_for() -> set[str]:
    """The address this run was asked to open (typed, a link, a refresh), as a page path: ``{"queue"}``."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return set()
    pages = ctx.pages_manager
    name = (pages.intended_page_name or "").strip("/")
    by_hash = {
        path for _, path, _, _ in _PAGES.values() if calc_hash(path) == pages.intended_page_script_hash
    }
    return {name} | by_hash if name else by_hash


def _sign_out_buttons(username: str) -> None:
    """Sign out of this browser, or of every browser; through the server when it holds the cookie."""
    if identity_via() == "cookie":  # the server's route ends the sign-in and clears the cookie
        st.html(sign_in.sign_out_html(ui_locale(), sign_in.base_path()))
        return
    cols = st.columns(2)
    if cols[0].button(tr("ui.sign_out"), key="sign_out"):
        sso.sign_out()
        st.session_state.pop("identity", None)
        st.rerun()
    if cols[1].button(
        tr("ui.sign_out_everywhere"), key="sign_out_everywhere", help=tr("ui.sign_out_everywhere.help")
    ):
        staff.sign_out_everywhere(store(), username)
        sso.sign_out()
        st.session_state.pop("identity", None)
        st.rerun()


def main() -> None:
    # an emoji favicon: a Material one is fetched from fonts.gstatic.com, which a closed network refuses
    st.set_page_config(page_title="triage", page_icon="🛟", layout="wide")
    started = boot()
    ident = refresh_identity()  # once per run: the sidebar and the page read what this found
    allowed = pages_for(ident)
    public: list[Any] = []
    staff_pages: list[Any] = []
    hidden: list[Any] = []
    asked = _asked_for() if ident is None else set()
    for key, (fn, path, title, icon) in _PAGES.items():
        if key in allowed:
            if key == "sign_in" and ident is not None:
                continue
            page = st.Page(fn, title=tr(title), icon=icon, url_path=path, default=key == "self_service")
            (public if key in PUBLIC_PAGES else staff_pages).append(page)
        elif path in asked:  # a staff page's address, signed out: sign in here, then come back to it
            here = sign_in.render_for(path)
            hidden.append(st.Page(here, title=tr("ui.nav.sign_in"), url_path=path, visibility="hidden"))
    sections = {tr("ui.nav.customers"): public + hidden}
    if staff_pages:
        sections[tr("ui.nav.staff")] = staff_pages
    nav = st.navigation(sections)
    with st.sidebar:
        if nav.url_path != URL_PATHS["self_service"]:  # self-service draws its own, where a phone shows it
            language_picker("locale_select")
        if ident is not None:
            st.caption(tr("ui.signed_in_as", name=ident.display_name, roles=", ".join(ident.roles)))
            _sign_out_buttons(ident.username)
        st.html(_FOLD_MENU, unsafe_allow_javascript=True)
    if ident is not None and started.demo is not None and started.demo.filling:
        st.info(tr("ui.demo.filling"), icon=":material/hourglass_top:")
    nav.run()
