"""Shared plumbing for the Streamlit pages: the store, the signed-in identity, words, and error safety.

Pages stay thin: they read state, call ``triage`` and draw. Nothing here decides anything about
troubleshooting.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import streamlit as st

from triage.bootstrap import Bootstrap, bootstrap
from triage.desk import staff
from triage.desk.sessions import Store
from triage.desk.staff import Identity
from triage.errors import StoreError, TriageError
from triage.i18n import LANGUAGES, t
from triage.trees.library import Library
from triage.trees.markdown import escape

__all__ = [
    "boot",
    "client_address",
    "flash",
    "identity",
    "library",
    "page_guard",
    "refresh_identity",
    "require",
    "show_flash",
    "staff_action",
    "store",
    "tr",
    "ui_locale",
]

log = logging.getLogger("triage.ui")
F = TypeVar("F", bound=Callable[..., Any])


@st.cache_resource(show_spinner=False)
def boot() -> Bootstrap:
    """One start-up per server process: store, published trees, first admin.

    A start-up that fails (the database unreachable, say) draws a page saying what happened and what to do,
    never a traceback, and stops the run; nothing is cached, so the next visit tries again.
    """
    try:
        return bootstrap()
    except Exception as exc:  # noqa: BLE001 - start-up runs before any page guard: this is its guard
        _startup_failed(exc)


def _startup_failed(exc: Exception) -> NoReturn:
    """The page a failed start-up shows; the cause and the traceback go to the server log only.

    Anyone may be looking, customers included, so the page names no database, host or account: the visitor
    is told to come back or call, whoever runs the service where to look.
    """
    log.error("start-up failed: %s", traceback.format_exc())
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


def refresh_identity() -> Identity | None:
    """Re-read who is signed in from the store: a deleted, deactivated or demoted person loses their rights now,
    not at their next sign-in. The app does this once at the start of every page run, and
    :func:`staff_action` before every staff click (Streamlit runs a click's callback before the page)."""
    ident = st.session_state.get("identity")
    fresh = staff.current(store(), ident) if isinstance(ident, Identity) else None
    if fresh is None:
        st.session_state.pop("identity", None)
    elif fresh != ident:
        st.session_state["identity"] = fresh
    return fresh


def identity() -> Identity | None:
    """Who is signed in, as re-read at the start of this page run (or just now, in a staff click)."""
    ident = st.session_state.get("identity")
    return ident if isinstance(ident, Identity) else None


def client_address() -> str | None:
    """The browser's address as Streamlit sees it (``None`` on the server's own machine), for sign-in throttling."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else None  # AppTest's context gives a mock


def ui_locale() -> str:
    loc = st.session_state.get("locale") or st.query_params.get("lang") or "en"
    return loc if loc in LANGUAGES else "en"


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
