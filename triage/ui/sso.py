"""Single sign-on (OpenID Connect through ``st.login``) beside local accounts.

A sign-in goes: :func:`sign_in_button` sends the browser to :data:`START_PATH`, a route from :func:`routes`
that keeps the page to open afterwards (and the sign-in page, to say why if the app refuses the person) in
short-lived HttpOnly cookies, then starts Streamlit's ``/auth/login`` -> the provider -> ``/oauth2callback``
(Streamlit keeps the ID token's claims in its signed ``_streamlit_user`` cookie and opens the app's root) ->
:func:`current_identity`. The first run that sees that cookie adds or updates the account
(:func:`triage.desk.sso.identity_for`), opens a staff session keyed by a hash of the cookie, and opens the
kept page (else the person's first staff page). Every later run re-checks that staff session, so the idle and
absolute time-outs and server-side revocation apply as to a password sign-in: once it has ended,
``st.logout()`` (which signs out at the provider too, where it can).

Settings come from the ``TRIAGE_OIDC_*`` variables (:mod:`triage.desk.sso`); :func:`auth_secrets` gives
them to ``st.App(secrets=...)``. Without them every function here does nothing.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import streamlit as st
from streamlit import config as st_config
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from triage.desk import sso as desk_sso
from triage.desk import staff
from triage.desk.sessions import Store
from triage.desk.sso import SsoConfig
from triage.desk.staff import Identity
from triage.errors import Refused
from triage.trees.markdown import escape
from triage.ui.common import client_address, store, tr

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

__all__ = [
    "BACK_COOKIE",
    "NEXT_COOKIE",
    "START_PATH",
    "auth_secrets",
    "configured",
    "current_identity",
    "routes",
    "sign_in_button",
    "sign_out",
]

log = logging.getLogger("triage.ui")

START_PATH = "/sso/start"
"""Where the sign-in button leads: remembers the page to come back to, then hands over to ``st.login``."""

NEXT_COOKIE = "triage_sso_next"
"""The page to open after the provider sends the person back (HttpOnly, ten minutes)."""

BACK_COOKIE = "triage_sso_back"
"""The sign-in page to show again, saying why, when the app refuses the person the provider signed in."""

KEEP_FOR = 600

_FORM_WIDTH = 416  # px: the password form's 26rem
_USER_COOKIE = "_streamlit_user"  # Streamlit's identity cookie; a long one is split into _1, _2, ... chunks


@functools.cache
def _config() -> SsoConfig | None:
    return SsoConfig.from_env()


def auth_secrets() -> dict[str, Any] | None:
    """The ``[auth]`` secrets for ``st.App(secrets=...)`` from the environment, or ``None`` without SSO.

    A half-configured setup raises :class:`~triage.errors.SsoConfigError` naming the variable, so the app
    does not start with a sign-in that cannot work.
    """
    cfg = _config()
    if cfg is None:
        return None
    if cfg.cookie_secret_derived:
        log.warning(
            "single sign-on: TRIAGE_OIDC_COOKIE_SECRET is not set; the sign-in cookie is signed with a key "
            "derived from the client secret (changing that secret signs everyone out)"
        )
    log.info("single sign-on through %s (%s)", cfg.label, cfg.metadata_url)
    return desk_sso.streamlit_auth_secrets(cfg)


def configured() -> bool:
    """Whether a single sign-on provider is configured."""
    return _config() is not None


def routes() -> list[BaseRoute]:
    """The routes single sign-on adds to ``st.App(routes=...)``: :data:`START_PATH` (none without SSO)."""
    if _config() is None:
        return []
    from starlette.routing import Route

    return [Route(_base() + START_PATH, _start, methods=["GET"])]


async def _start(request: Request) -> Response:
    from starlette.responses import RedirectResponse
    from streamlit.user_info import generate_login_redirect_url

    response = RedirectResponse(generate_login_redirect_url(desk_sso.PROVIDER), status_code=302)
    for name, param in ((NEXT_COOKIE, "next"), (BACK_COOKIE, "back")):
        kept = staff.safe_next(request.query_params.get(param))
        if kept is None:
            response.delete_cookie(name, path="/")
        else:
            response.set_cookie(name, kept, max_age=KEEP_FOR, path="/", httponly=True, samesite="lax")
    return response


# -- in a page run --------------------------------------------------------------------------------------------


def _logged_in() -> bool:
    return bool(st.user.get("is_logged_in"))  # absent without auth secrets (AppTest, a bare script)


def _cookie_token() -> str | None:
    """A hash of Streamlit's identity cookie (all its chunks): one per sign-in, never stored as it is."""
    cookies = st.context.cookies
    first = cookies.get(_USER_COOKIE)
    if not first:
        return None
    parts = [first]
    n = 1
    while (chunk := cookies.get(f"{_USER_COOKIE}_{n}")) is not None:
        parts.append(chunk)
        n += 1
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _base() -> str:
    """The server's base path as a prefix: ``""`` or ``"/triage"``."""
    base = str(st_config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _navigate(url: str) -> None:
    """Send the browser to ``url``, a path on this site (what ``st.login`` does with its own address)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return
    msg = ForwardMsg()
    msg.auth_redirect.url = url
    ctx.enqueue(msg)


def current_identity() -> Identity | None:
    """The staff identity of the person signed in through SSO in this browser, if any (re-checked every run)."""
    cfg = _config()
    if cfg is None or not _logged_in():
        return None
    token = _cookie_token()
    if token is None:
        return None
    db = store()
    ident = desk_sso.session_identity(db, token)
    if ident is not None:
        return ident
    if desk_sso.session_ended(db, token):  # timed out, signed out elsewhere, deactivated
        st.logout()
        return None
    if token in _refusals:  # refused once: say so on the sign-in page, not again in the audit log every click
        return None
    return _first_run(db, cfg, token)


# a refused sign-in (no role, deactivated) by token, so each page run need not ask again; a few hundred at most
_refusals: dict[str, str] = {}
_MAX_REFUSALS = 500


def _first_run(db: Store, cfg: SsoConfig, token: str) -> Identity | None:
    """The first page run with this provider sign-in; it lands on the app's root, so open the page wanted."""
    try:
        ident = desk_sso.start(db, cfg, dict(st.user), token, client=client_address())
    except Refused as exc:
        if len(_refusals) >= _MAX_REFUSALS:
            _refusals.pop(next(iter(_refusals)))
        _refusals[token] = str(exc)
        _leave_root(staff.safe_next(st.context.cookies.get(BACK_COOKIE)))
        return None
    wanted = staff.safe_next(st.context.cookies.get(NEXT_COOKIE))
    if wanted is None or urlsplit(wanted).path.rstrip("/") == _base():  # no page asked for: the person's own
        page = staff.first_staff_page(ident)
        wanted = f"{_base()}/{page}" if page else None  # a staff page's address is its key (ui.app.URL_PATHS)
    _leave_root(wanted)
    return ident


def _leave_root(url: str | None) -> None:
    """Open ``url`` if this run is at the app's root (where the provider sends people back), else stay."""
    here = urlsplit(st.context.url or "").path.rstrip("/")
    if url is not None and here == _base() and urlsplit(url).path.rstrip("/") != here:
        _navigate(url)


def sign_in_button(next_path: str) -> None:
    """Draw "Sign in with <provider>" (nothing without SSO); after sign-in the person returns to ``next_path``."""
    cfg = _config()
    if cfg is None:
        return
    token = _cookie_token() if _logged_in() else None
    refused = _refusals.get(token) if token is not None else None
    with st.container(width=_FORM_WIDTH):  # as wide as the password form above it
        if refused is not None:
            st.error(escape(tr("ui.sso.refused", provider=cfg.label, reason=refused)))
            if st.button(tr("ui.sso.sign_out_provider", provider=cfg.label), key="sso_sign_out"):
                st.logout()
            return
        st.caption(tr("ui.sso.or"))
        if st.button(
            tr("ui.sso.sign_in", provider=cfg.label),
            key="sso_sign_in",
            type="primary",
            icon=":material/key:",
            width="stretch",
        ):
            here = urlsplit(st.context.url or "").path or "/"
            back = here + ("?" + urlencode(st.query_params.to_dict()) if st.query_params else "")
            _navigate(_base() + START_PATH + "?" + urlencode({"next": next_path, "back": back}))


def sign_out() -> None:
    """End the SSO sign-in of this browser (nothing without SSO)."""
    if _config() is None or not _logged_in():
        return
    token = _cookie_token()
    if token is not None:
        desk_sso.end(store(), token)
    st.logout()
