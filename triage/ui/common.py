"""Shared plumbing for the Streamlit pages: the store, the signed-in identity, words, and error safety.

Pages stay thin: they read state, call ``triage`` and draw. Nothing here decides anything about
troubleshooting.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from triage.bootstrap import Bootstrap, bootstrap
from triage.desk.sessions import Store
from triage.desk.staff import Identity
from triage.errors import TriageError
from triage.i18n import LANGUAGES, t
from triage.trees.library import Library

__all__ = [
    "boot",
    "flash",
    "identity",
    "library",
    "page_guard",
    "require",
    "show_flash",
    "store",
    "tr",
    "ui_locale",
]

log = logging.getLogger("triage.ui")
F = TypeVar("F", bound=Callable[..., Any])


@st.cache_resource(show_spinner=False)
def boot() -> Bootstrap:
    """One start-up per server process: store, published trees, first admin."""
    return bootstrap()


def store() -> Store:
    return boot().store


@st.cache_resource(show_spinner=False, max_entries=8)
def _library(key: tuple[tuple[str, int], ...]) -> Library:
    return store().library(dict(key))


def library() -> Library:
    """The published library (latest versions), rebuilt only when something was published."""
    ids = store().latest_ids()
    return _library(tuple(sorted(ids.items())))


def identity() -> Identity | None:
    ident = st.session_state.get("identity")
    return ident if isinstance(ident, Identity) else None


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
            st.error(str(exc))
        except Exception as exc:  # noqa: BLE001 - the last line of defence for the person at the screen
            if type(exc).__name__ in ("StopException", "RerunException"):
                raise
            log.error("page %s failed: %s", fn.__name__, traceback.format_exc())
            st.error(tr("ui.unexpected"))
        return None

    return wrapper  # type: ignore[return-value]
