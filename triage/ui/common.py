"""Shared plumbing for the Streamlit pages: the store, the signed-in identity, words, and error safety.

Pages stay thin: they read state, call ``triage`` and draw. Nothing here decides anything about
troubleshooting.

Who is signed in is found on every run (:func:`refresh_identity`): the signed sign-in cookie the server set
(:mod:`triage.ui.server`), else single sign-on (the app hands :func:`triage.ui.sso.current_identity` to
:func:`use_single_sign_on`, as that module builds on this one), else an identity a test put in the session
state. Each is re-checked in the store, so a revoked, timed-out, deactivated or demoted sign-in ends there.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from triage.bootstrap import Bootstrap, bootstrap
from triage.desk import staff
from triage.desk.sessions import Store
from triage.desk.staff import Identity
from triage.errors import StoreError, TriageError
from triage.i18n import LANGUAGES, language_name, t
from triage.i18n.choice import Chosen, negotiate_locale
from triage.trees.library import Library
from triage.trees.markdown import escape

__all__ = [
    "boot",
    "client_address",
    "cookie_token",
    "fallback_note",
    "flash",
    "format_locale",
    "identity",
    "identity_via",
    "language_picker",
    "library",
    "locale_choice",
    "page_guard",
    "refresh_identity",
    "require",
    "show_flash",
    "staff_action",
    "store",
    "tr",
    "ui_locale",
    "use_single_sign_on",
]

log = logging.getLogger("triage.ui")
F = TypeVar("F", bound=Callable[..., Any])


@st.cache_resource(show_spinner=False)
def boot() -> Bootstrap:
    """One start-up per server process: store, published trees, first admin, demo history (in the background).

    The server calls it as it starts (:mod:`triage.ui.server`), so the first visitor finds it done. A start-up
    that fails (the database unreachable, say) draws a page saying what happened and what to do, never a
    traceback, and stops the run; nothing is cached, so the next visit tries again.
    """
    try:
        return bootstrap(background=True)
    except Exception as exc:  # noqa: BLE001 - start-up runs before any page guard: this is its guard
        _startup_failed(exc)


def _startup_failed(exc: Exception) -> NoReturn:
    """The page a failed start-up shows; the cause and the traceback go to the server log only.

    Anyone may be looking, customers included, so the page names no database, host or account: the visitor
    is told to come back or call, whoever runs the service where to look. Outside a page run (the server
    starting, a sign-in request) the exception goes on to the caller.
    """
    log.error("start-up failed: %s", traceback.format_exc())
    if get_script_run_ctx(suppress_warning=True) is None:
        raise exc
    st.title(tr("ui.startup.title"))
    st.error(tr("ui.startup.visitor"))
    st.info(tr("ui.startup.database_fix" if isinstance(exc, StoreError) else "ui.startup.other_fix"))
    st.stop()


def store() -> Store:
    return boot().store


@st.cache_resource(show_spinner=False, max_entries=8)
def _library(key: tuple[tuple[str, int], ...]) -> Library:
    return store().library(dict(key))


def library() -> Library:
    """The published library (latest versions), rebuilt only when something was published."""
    ids = store().latest_ids()
    return _library(tuple(sorted(ids.items())))


_VIA = "identity_via"  # "cookie" or "sso": where the identity in the session state came from
_ENDED = "sign_in_ended"  # this browser's cookie names a sign-in that has ended (for the sign-in page to say)
_SINGLE_SIGN_ON: list[Callable[[], Identity | None]] = []


def use_single_sign_on(current: Callable[[], Identity | None]) -> None:
    """Ask ``current`` who is signed in through single sign-on when no sign-in cookie says (once is enough)."""
    if current not in _SINGLE_SIGN_ON:
        _SINGLE_SIGN_ON.append(current)


def cookie_token() -> str | None:
    """The token in this browser's sign-in cookie, if the cookie is there and its signature is right."""
    value = st.context.cookies.get(staff.COOKIE)
    return staff.token_from_cookie(value) if isinstance(value, str) else None


def _single_sign_on() -> Identity | None:
    return next((ident for source in _SINGLE_SIGN_ON if (ident := source()) is not None), None)


def refresh_identity() -> Identity | None:
    """Find who is signed in, re-read from the store: a revoked, timed-out, deleted, deactivated or demoted
    sign-in loses its rights now, not at the next sign-in.

    In order: the sign-in cookie (:func:`triage.desk.staff.identity_for_token`), single sign-on, an identity
    a test put in ``st.session_state["identity"]`` (never one that a cookie or SSO put there: when those end,
    so does it). The app does this once at the start of every page run, and :func:`staff_action` before
    every staff click (Streamlit runs a click's callback before the page).
    """
    token = cookie_token()
    fresh, via = (staff.identity_for_token(store(), token), "cookie") if token else (None, None)
    st.session_state[_ENDED] = bool(token) and fresh is None
    if fresh is None:
        fresh, via = _single_sign_on(), "sso"
    if fresh is None:
        held = st.session_state.get("identity")
        put_by_test = isinstance(held, Identity) and st.session_state.get(_VIA) is None
        fresh, via = (staff.current(store(), held) if put_by_test else None), None
    if fresh is None:
        st.session_state.pop("identity", None)
        st.session_state.pop(_VIA, None)
        return None
    if fresh != st.session_state.get("identity"):
        st.session_state["identity"] = fresh
    if via is None:
        st.session_state.pop(_VIA, None)
    else:
        st.session_state[_VIA] = via
    return fresh


def identity() -> Identity | None:
    """Who is signed in, as re-read at the start of this page run (or just now, in a staff click)."""
    ident = st.session_state.get("identity")
    return ident if isinstance(ident, Identity) else None


def identity_via() -> str | None:
    """How the person signed in: ``"cookie"`` (a password, through the server), ``"sso"``, or ``None``."""
    via = st.session_state.get(_VIA)
    return via if isinstance(via, str) else None


def client_address() -> str | None:
    """The browser's address as Streamlit sees it (``None`` on the server's own machine), for sign-in throttling."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else None  # AppTest's context gives a mock


_PICKED = "locale"  # the language this browser picked with a language picker, for the rest of its visit


def locale_choice() -> Chosen:
    """The language this page speaks (:func:`triage.i18n.choice.negotiate_locale`): the one picked with the
    picker, else the address's ``?lang=``, else the browser's language, else ``TRIAGE_DEFAULT_LOCALE``."""
    picked = st.session_state.get(_PICKED)
    if isinstance(picked, str) and picked in LANGUAGES:
        return Chosen(picked, None, picked)
    browser = st.context.locale
    return negotiate_locale(st.query_params.get("lang"), browser if isinstance(browser, str) else None)


def ui_locale() -> str:
    """The locale of this page's interface strings: a catalog's (``pl``)."""
    return locale_choice().locale


def format_locale() -> str:
    """The tag dates and numbers are written for: the browser's own when it is this language (``de-AT``)."""
    return locale_choice().format_locale or ui_locale()


def _picked(key: str) -> None:
    choice = st.session_state.get(key)
    if isinstance(choice, str) and choice in LANGUAGES:
        st.session_state[_PICKED] = choice
        st.query_params["lang"] = choice  # a link copied from here opens in the same language


def language_picker(key: str) -> None:
    """A language menu (every language with a catalog, each named in itself); a pick holds for the visit."""
    current = ui_locale()
    names = list(LANGUAGES)
    st.selectbox(
        f":material/language: {tr('ui.language')}",
        names,
        index=names.index(current),
        format_func=LANGUAGES.__getitem__,
        key=key,
        on_change=_picked,
        args=(key,),
    )


def fallback_note() -> None:
    """Say so when the page speaks another language than the one asked for (``?lang=fr``, a French browser)."""
    chosen = locale_choice()
    if chosen.fallback_from is None:
        return
    shown = language_name(chosen.locale, chosen.locale, capitalise=False)
    asked = language_name(chosen.fallback_from, chosen.locale, capitalise=False)
    st.caption(tr("ui.language.fallback", shown=escape(shown), asked=escape(asked)))


def tr(key: str, **params: Any) -> str:
    """An interface string in the user's language."""
    return t(key, ui_locale(), **params)


def require(page: str) -> Identity:
    """The signed-in identity if it may open ``page``; otherwise stop the page with a sign-in hint."""
    ident = identity()
    if ident is None or not ident.may_open(page):
        st.warning(tr("ui.not_allowed"))
        st.stop()
    return ident


def staff_action(page: str) -> Callable[[F], F]:
    """For a staff page's callbacks: re-read who is signed in before a click changes anything.

    Streamlit runs a callback before the page script, so the page's own :func:`require` comes too late for
    it: a person deactivated or demoted since the page was drawn would still get their click through. A
    refused callback does nothing; the page run that follows shows the page they may see.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ident = refresh_identity()
            if ident is None or not ident.may_open(page):
                log.warning("refused a click on %s by a person who may no longer open it", page)
                return None
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def flash(key: str, kind: str, text: str) -> None:
    """Leave a ``success`` or ``error`` message under ``key`` for the page's next draw (a callback runs before
    the rerun, so it cannot draw)."""
    st.session_state[key] = (kind, text)


def show_flash(key: str) -> None:
    """Draw (once) the message a callback left under ``key``."""
    kind, text = st.session_state.pop(key, (None, None))
    if kind == "success":
        st.success(text)
    elif kind == "error":
        st.error(text)


def page_guard(fn: F) -> F:
    """Never show a traceback: an error becomes a short message; the details go to the server log."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TriageError as exc:
            st.error(escape(str(exc)))  # a refusal may quote what the person typed
        except Exception as exc:  # noqa: BLE001 - the last line of defence for the person at the screen
            if type(exc).__name__ in ("StopException", "RerunException"):
                raise
            log.error("page %s failed: %s", fn.__name__, traceback.format_exc())
            st.error(tr("ui.unexpected"))
        return None

    return wrapper  # type: ignore[return-value]
