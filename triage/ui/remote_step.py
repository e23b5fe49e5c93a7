"""Steps the provider's systems take, on the page: a remote check (line test, box status) or a remote action
(a refresh signal to the box) run once when the step is reached, and what it gave in words.

A check's result answers the step (the engine moves on); when it fails, an agent reads why and picks the
result by hand, and a customer is taken on without it. A remote action is run and noted; the person then
answers the step as usual. The desk (:func:`triage.desk.remote.run_remote`) does the work; this module keeps,
per arrival at a step, what it gave, so a redraw never runs it twice.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass

import streamlit as st

from triage.desk.remote import run_remote
from triage.desk.sessions import StoredSession
from triage.errors import SessionConflict, TriageError
from triage.trees.markdown import code, escape, safe_markdown
from triage.ui.common import store, tr
from triage.ui.walk import log
from triage.walk.systems import system_name

__all__ = ["RemoteShown", "remote_result", "run_remote_step", "system_label"]


@dataclass(frozen=True)
class RemoteShown:
    """What the provider's systems gave at a step, as the page tells it (kept for the draws of that arrival)."""

    key: str  # where the page keeps it: "try again" forgets it
    check: bool
    system: str
    ok: bool
    result: str = ""  # a check's result, as its label in the tree
    detail: str = ""  # why it failed (staff only)
    seconds: float = 0.0


def system_label(name: str) -> str:
    """A remote check or action in words ("Line test"), or its name when the catalog has none."""
    key = f"ui.walk.system.{name}"
    words = tr(key)
    return words if words != key else code(name)


def run_remote_step(stored: StoredSession) -> RemoteShown | None:
    """Once per arrival at a step the provider's systems take (a remote check, a ``performer: system`` step):
    run it through the desk and say what it gave. Later draws of the same arrival show the same, without
    running it again. A check's result moves the session on; ``stored`` is then where it stands now."""
    if system_name(stored.session) is None:  # the engine's own test: a check, or a step the systems perform
        return None
    view = stored.view()
    key = f"remote-{stored.id}-{view.node_id}-{view.step_number}-{view.shown_at}"
    shown = st.session_state.get(key)
    if isinstance(shown, RemoteShown):
        return shown
    labels = {o.value: o.label for o in view.options}
    name = view.system or ""
    try:
        result = run_remote(store(), stored)
    except SessionConflict:  # another tab or person moved it meanwhile: draw where it stands
        return None
    except TriageError as exc:
        shown = RemoteShown(key, view.kind == "check", name, ok=False, detail=str(exc))
    except Exception:  # noqa: BLE001 - a draw must never show a traceback
        log.error("remote step %s: %s", stored.id, traceback.format_exc())
        shown = RemoteShown(key, view.kind == "check", name, ok=False, detail=tr("ui.walk.unexpected"))
    else:
        if result is None:
            return None
        ok = result.ok and (view.kind != "check" or result.value in labels)
        shown = RemoteShown(
            key,
            view.kind == "check",
            result.name or name,
            ok=ok,
            result=labels.get(result.value, "") if view.kind == "check" else "",
            detail=result.detail or ("" if ok else result.value),
            seconds=result.seconds,
        )
    st.session_state[key] = shown
    return shown


def _on_retry(key: str) -> None:
    st.session_state.pop(key, None)


def remote_result(shown: RemoteShown | None, *, customer: bool) -> None:
    """What a remote check or action gave, in words for the customer or in detail for the agent."""
    if shown is None:
        return
    if customer:
        _remote_for_customer(shown)
        return
    what = system_label(shown.system)
    if shown.ok and shown.check:
        st.info(
            tr("ui.walk.remote.result", system=what, result=safe_markdown(shown.result)),
            icon=":material/lan:",
        )
    elif shown.ok:
        st.info(tr("ui.walk.remote.sent", system=what), icon=":material/lan:")
    elif shown.check:
        st.error(tr("ui.walk.remote.check_failed", system=what, detail=escape(shown.detail or "-")))
        st.button(tr("ui.walk.remote.retry"), key=f"retry-{shown.key}", on_click=_on_retry, args=(shown.key,))
    else:
        st.error(tr("ui.walk.remote.action_failed", system=what, detail=escape(shown.detail or "-")))


def _remote_for_customer(shown: RemoteShown) -> None:
    if shown.check:
        if shown.ok:
            st.info(tr("ui.walk.remote.checked", result=safe_markdown(shown.result)), icon=":material/lan:")
        else:
            st.info(tr("ui.walk.remote.not_checked"), icon=":material/lan:")
        return
    if not shown.ok:
        st.info(tr("ui.walk.remote.not_done"), icon=":material/lan:")
        return
    key = f"ui.walk.remote.done.{shown.system}"
    words = tr(key)
    st.success(words if words != key else tr("ui.walk.remote.done"), icon=":material/lan:")
