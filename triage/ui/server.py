"""The web server around the Streamlit pages: start-up before the first visitor, and the staff sign-in routes.

``app.py`` builds ``st.App(script, routes=routes(), lifespan=lifespan, secrets=secrets())``; ``streamlit run
app.py`` finds it and serves it (with every ``--flag`` it is given).

* :func:`lifespan` checks the sign-in settings (a bad value stops the server with a message naming it),
  then starts up (:func:`triage.ui.common.boot`: store, trees, the first admin, whose generated password is
  in the log and ``var/admin-password.txt`` before anyone asks; demo history in the background) and loads
  the pages, so the first visitor does not wait for any of it; the analytics rollups are brought up to date
  in a background thread (:func:`triage.desk.analytics.compact_in_background`).
* ``POST /staff/sign-in`` (:data:`~triage.ui.views.sign_in.SIGN_IN_PATH`) takes the form of the sign-in
  page, from this site only (its ``Origin`` must be this host), checks the password (throttled), and
  answers with the signed sign-in cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) and a 303 to the page
  the person came for (a path on this site only) or to their first staff page. A refused sign-in gets the
  form again with one message and the user name kept. ``GET`` shows the form alone.
* ``POST /staff/sign-out`` ends this browser's sign-in, or (``everywhere=1``) every one of the person's, and
  clears the cookie.

Streamlit's own ``/auth/login``, ``/auth/logout`` and ``/oauth2callback`` (single sign-on, see
:mod:`triage.ui.sso`, whose routes are added here too) are left alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from triage.bootstrap import Bootstrap
from triage.desk import staff
from triage.desk.analytics import compact_in_background, stop_background
from triage.desk.staff import Identity
from triage.errors import AuthError, Refused, SignInThrottled, StoreError
from triage.i18n import LANGUAGES, t
from triage.ui import sso
from triage.ui.common import boot, library
from triage.ui.views.sign_in import SIGN_IN_PATH, SIGN_OUT_PATH, base_path, page_html

__all__ = ["lifespan", "routes", "secrets"]

log = logging.getLogger("triage.ui")

_MAX_FORM = 16_384  # bytes: a user name, a password and an address fit many times over


def routes() -> list[BaseRoute]:
    """The routes ``st.App`` serves beside Streamlit's: staff sign-in and sign-out, and single sign-on's."""
    base = base_path()
    return [
        Route(base + SIGN_IN_PATH, _sign_in, methods=["GET", "POST"]),
        Route(base + SIGN_OUT_PATH, _sign_out, methods=["POST"]),
        *sso.routes(),
    ]


def secrets() -> dict[str, Any] | None:
    """The secrets ``st.App`` is given: single sign-on's ``[auth]`` section, if it is configured."""
    return sso.auth_secrets()


@asynccontextmanager
async def lifespan(app: object) -> AsyncIterator[None]:
    """Start up before the server answers: settings checked, store ready, pages loaded."""
    try:
        staff.session_limits()
        staff.secret_key()
    except ValueError as exc:
        log.error("cannot start: %s", exc)
        raise
    started = await asyncio.to_thread(_start_up)
    if started is not None:  # a first build over a large history takes minutes: nobody waits for it
        compact_in_background(started.store)
    yield
    await asyncio.to_thread(stop_background)
    if started is not None and started.demo is not None:
        started.demo.stop()


def _start_up() -> Bootstrap | None:
    import triage.ui.app  # noqa: F401 - the pages' modules, imported now rather than in the first visit

    try:
        started = boot()
        library()  # the published trees, built once for every visitor
    except Exception:  # noqa: BLE001 - already logged; each page says so and tries again (triage.ui.common.boot)
        log.error("start-up failed; the pages say so and try again on every visit")
        return None
    return started


# -- sign-in ----------------------------------------------------------------------------------------------------


def _locale(value: object) -> str:
    return value if isinstance(value, str) and value in LANGUAGES else "en"


def _same_site(request: Request) -> bool:
    """Whether a form post comes from a page of this host (``Origin``, else ``Referer``): no cross-site posts."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    host = request.headers.get("host", "")
    return bool(host) and source != "null" and urlsplit(source).netloc.lower() == host.lower()


async def _form(request: Request) -> dict[str, str] | None:
    """The posted form's text fields, or ``None`` if it is too large to be a sign-in."""
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > _MAX_FORM:
        return None
    form = await request.form(max_files=0, max_fields=10)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _with_lang(path: str, locale: str) -> str:
    """``path`` in the person's language: ``?lang=`` added unless English or already there."""
    if locale == "en" or "lang=" in urlsplit(path).query:
        return path
    return f"{path}{'&' if '?' in path else '?'}{urlencode({'lang': locale})}"


def _landing(ident: Identity) -> str:
    from triage.ui.app import URL_PATHS

    page = staff.first_staff_page(ident)
    return f"{base_path()}/{URL_PATHS[page] if page else ''}"


def _again(locale: str, next_path: str, username: str, message: str, status: int) -> HTMLResponse:
    body = page_html(locale, next_path, username=username, message=message, base=base_path())
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


async def _sign_in(request: Request) -> Response:
    if request.method == "GET":
        wanted = staff.safe_next(request.query_params.get("next")) or ""
        return _again(_locale(request.query_params.get("lang")), wanted, "", "", 200)
    if not _same_site(request):
        log.warning("refused a sign-in posted from another site (%s)", request.headers.get("origin"))
        return _again(
            _locale(request.query_params.get("lang")), "", "", t("ui.sign_in.cross_site", "en"), 403
        )
    form = await _form(request)
    if form is None:
        return _again("en", "", "", t("ui.sign_in.too_large", "en"), 413)
    locale = _locale(form.get("locale"))
    wanted = staff.safe_next(form.get("next")) or ""
    username = form.get("username", "")[:200]
    client = request.client.host if request.client else None
    try:
        ident, token = await run_in_threadpool(_check, username, form.get("password", ""), client)
    except SignInThrottled as exc:  # the same for known and unknown names
        message = t("ui.sign_in.throttled", locale, seconds=f"{exc.retry_after:.0f}")
        return _again(locale, wanted, username, message, 429)
    except AuthError:
        return _again(locale, wanted, username, t("ui.sign_in.wrong", locale), 401)
    except Refused as exc:
        return _again(locale, wanted, username, str(exc), 400)
    except Exception:  # noqa: BLE001 - never a traceback for the person at the screen; the log has it
        log.exception("sign-in failed")
        return _again(locale, wanted, username, t("ui.unexpected", locale), 503)
    response = RedirectResponse(_with_lang(wanted or _landing(ident), locale), status_code=303)
    response.set_cookie(
        staff.COOKIE,
        staff.cookie_value(token),
        max_age=int(staff.session_limits().absolute.total_seconds()),
        path=base_path() or "/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return response


def _check(username: str, password: str, client: str | None) -> tuple[Identity, str]:
    """Check the password (throttled) and open the browser's sign-in session: the identity and its token."""
    try:
        store = boot().store
    except Exception as exc:  # noqa: BLE001 - start-up failed: the same answer as a database that went away
        raise StoreError("the service could not start") from exc
    ident = staff.sign_in(store, username, password, client=client)
    return ident, staff.start_session(store, ident, "password", client=client)


async def _sign_out(request: Request) -> Response:
    if not _same_site(request):  # another site may not sign anyone out either
        return RedirectResponse(f"{base_path()}/", status_code=303)
    form = await _form(request) or {}
    response = RedirectResponse(
        _with_lang(f"{base_path()}/signin", _locale(form.get("locale"))), status_code=303
    )
    token = staff.token_from_cookie(request.cookies.get(staff.COOKIE))
    if token is not None:
        await run_in_threadpool(_end, token, form.get("everywhere") == "1")
    response.delete_cookie(staff.COOKIE, path=base_path() or "/", httponly=True, samesite="lax")
    return response


def _end(token: str, everywhere: bool) -> None:
    store = boot().store
    ident = staff.identity_for_token(store, token)
    if everywhere and ident is not None:
        staff.sign_out_everywhere(store, ident.username)
    else:
        staff.sign_out(store, token)
