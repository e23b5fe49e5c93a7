"""Staff sign-in: a plain HTML form that posts to the server's sign-in route, so the server can set the cookie.

The form is drawn inside the Streamlit page (the staff sign-in page, and any staff page a signed-out person
opens by its address, which then comes back to that page); the route (:mod:`triage.ui.server`) checks the
password (throttled per account and per browser address; one message for every wrong answer) and answers
with the cookie and a redirect, or with the same form on a page of its own, the message above it and the
user name kept. :func:`page_html` is that page: self-contained (no fonts or styles from elsewhere), readable
on a phone.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape as html_escape
from urllib.parse import urlencode, urlsplit

import streamlit as st
from streamlit import config as st_config

from triage.desk import staff
from triage.i18n import t
from triage.ui import sso
from triage.ui.common import page_guard, tr, ui_locale

__all__ = [
    "SIGN_IN_PATH",
    "SIGN_OUT_PATH",
    "base_path",
    "form_html",
    "page_html",
    "render",
    "render_for",
    "sign_out_html",
]

SIGN_IN_PATH = "/staff/sign-in"
"""The server route the form posts to (beside Streamlit's own /auth/login, never on it)."""

SIGN_OUT_PATH = "/staff/sign-out"
"""The server route that ends a sign-in and clears the cookie."""

# Scoped to the form; colours that read on Streamlit's light and dark themes alike.
_STYLE = """<style>
.triage-signin{max-width:26rem;display:flex;flex-direction:column;gap:.9rem;margin:.25rem 0 1rem}
.triage-signin label{display:block;font-size:.875rem;margin-bottom:.3rem}
.triage-signin input{box-sizing:border-box;width:100%;min-height:2.6rem;padding:.5rem .75rem;font:inherit;
 color:inherit;background:rgba(151,166,195,.15);border:1px solid rgba(151,166,195,.35);border-radius:.5rem}
.triage-signin input:focus{outline:none;border-color:#ff4b4b}
.triage-signin button,.triage-out button{min-height:2.6rem;padding:.4rem 1rem;font:inherit;color:inherit;
 background:transparent;border:1px solid rgba(151,166,195,.6);border-radius:.5rem;cursor:pointer}
.triage-signin button{align-self:flex-start}
.triage-signin button:hover,.triage-out button:hover{border-color:#ff4b4b;color:#ff4b4b}
.triage-out{display:flex;flex-wrap:wrap;gap:.5rem}.triage-out form{margin:0}
.triage-msg{padding:.75rem 1rem;border-radius:.5rem;background:rgba(255,43,43,.09);color:#b3261e}
</style>"""


def base_path() -> str:
    """The server's base path (``server.baseUrlPath``) as a prefix: ``""`` or ``"/triage"``."""
    base = str(st_config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def form_html(locale: str, next_path: str, *, username: str = "", message: str = "", base: str = "") -> str:
    """The sign-in form (with its style); ``message`` (already plain text) above it, ``username`` filled in."""

    def e(text: str) -> str:
        return html_escape(text, quote=True)

    shown = f'<p class="triage-msg" role="alert">{e(message)}</p>' if message else ""
    # field names that are no properties of a form element: the sanitizer in st.html drops a "lang" or "action"
    return (
        f"{_STYLE}{shown}"
        f'<form class="triage-signin" method="post" action="{e(base + SIGN_IN_PATH)}">'
        f'<input type="hidden" name="next" value="{e(next_path)}">'
        f'<input type="hidden" name="locale" value="{e(locale)}">'
        f'<div><label for="triage-user">{e(t("ui.sign_in.username", locale))}</label>'
        f'<input id="triage-user" name="username" value="{e(username)}" autocomplete="username" '
        f'autocapitalize="none" spellcheck="false" maxlength="200" required></div>'
        f'<div><label for="triage-password">{e(t("ui.sign_in.password", locale))}</label>'
        f'<input id="triage-password" name="password" type="password" autocomplete="current-password" '
        f'maxlength="1024" required></div>'
        f'<button type="submit">{e(t("ui.sign_in.submit", locale))}</button>'
        "</form>"
    )


def page_html(locale: str, next_path: str, *, username: str = "", message: str = "", base: str = "") -> str:
    """The sign-in form as a page of its own (the server's answer to a refused sign-in)."""
    title = html_escape(t("ui.sign_in.title", locale))
    caption = t("ui.sign_in.for_page" if next_path else "ui.sign_in.caption", locale)
    home = html_escape((base or "") + "/" + (f"?{urlencode({'lang': locale})}" if locale != "en" else ""))
    return (
        f'<!doctype html><html lang="{html_escape(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} · triage</title><style>"
        "body{margin:0;padding:2.5rem 1rem;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
        "line-height:1.5;color:#31333f;background:#fff}main{max-width:26rem;margin:0 auto}"
        "h1{font-size:1.75rem;margin:0 0 .25rem}.caption{color:#6b6f7b;font-size:.9rem;margin:0 0 1.25rem}"
        "a{color:inherit}@media (prefers-color-scheme:dark){body{color:#fafafa;background:#0e1117}"
        ".caption{color:#a3a8b8}.triage-msg{color:#ff8c8c}}"
        f'</style></head><body><main><h1>{title}</h1><p class="caption">{html_escape(caption)}</p>'
        f"{form_html(locale, next_path, username=username, message=message, base=base)}"
        f'<p><a href="{home}">{html_escape(t("ui.sign_in.back", locale))}</a></p></main></body></html>'
    )


def sign_out_html(locale: str, base: str = "") -> str:
    """The sidebar's "Sign out" and "Sign out everywhere" buttons: forms the server's sign-out route answers."""
    action = html_escape(base + SIGN_OUT_PATH, quote=True)
    loc = html_escape(locale, quote=True)

    def button(label: str, everywhere: bool, hint: str = "") -> str:
        extra = '<input type="hidden" name="everywhere" value="1">' if everywhere else ""
        title = f' title="{html_escape(hint, quote=True)}"' if hint else ""
        return (
            f'<form method="post" action="{action}"><input type="hidden" name="locale" value="{loc}">{extra}'
            f'<button type="submit"{title}>{html_escape(label)}</button></form>'
        )

    return (
        f'{_STYLE}<div class="triage-out">{button(t("ui.sign_out", locale), False)}'
        f"{button(t('ui.sign_out_everywhere', locale), True, t('ui.sign_out_everywhere.help', locale))}</div>"
    )


def _here(url_path: str) -> str:
    """This page's address on the site, query included: where to come back to after signing in."""
    url = st.context.url
    path = urlsplit(url).path if isinstance(url, str) and url else f"{base_path()}/{url_path}"
    query = urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])
    return f"{path}?{query}" if query else path


def _draw(next_path: str) -> None:
    st.title(tr("ui.sign_in.title"))
    if st.session_state.get("sign_in_ended"):
        st.info(tr("ui.sign_in.ended"))
    st.caption(tr("ui.sign_in.for_page" if next_path else "ui.sign_in.caption"))
    st.html(form_html(ui_locale(), next_path, base=base_path()))
    sso.sign_in_button(next_path or "/")


@page_guard
def render() -> None:
    """The staff sign-in page; ``?next=/queue?case=…`` is where it leads afterwards (this site only)."""
    _draw(staff.safe_next(st.query_params.get("next")) or "")


def render_for(url_path: str) -> Callable[[], None]:
    """The page a signed-out person sees at a staff page's address: sign in, then come back to it."""

    @page_guard
    def render_here() -> None:
        _draw(_here(url_path))

    render_here.__name__ = f"sign_in_for_{url_path}"
    return render_here
