"""Step widgets shared by the agent console and the self-service page.

A walk lives in the store; the page holds only its id (in ``st.query_params["s"]``, so a refresh or a second
tab never loses it). Every change goes through an ``on_click`` callback with ``args=``: the callback loads the
session, makes one change, and leaves any error message in ``st.session_state`` for the next draw. Widget keys
are namespaced by session and step, e.g. ``ans-<session>-<node>-<value>``. A click on the step carries ``seen``,
the session's event count when the page was drawn: if someone else changed the session since, the click is
refused with what changed and the next draw shows where the session stands (a ``yes`` meant for one step never
answers the next).

``customer=True`` draws for the customer: plain words, big buttons, nothing staff-only (no hints, no ids, no
notes, no reasons written for staff).

Around the step: its caution first (a warning that does not stop), its pictures (files shipped under
``trees/media/``, or https images from ``TRIAGE_IMAGE_HOSTS``, with their alt text) and links. A wait shows a
customer a countdown they may skip before its re-check, and an agent the time passed; several choices are
checkboxes. Steps the provider's systems take are run by :mod:`triage.ui.remote_step`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from triage.desk import contact as console
from triage.desk.handover import continue_with
from triage.desk.media import media_file
from triage.desk.sessions import StoredSession, load_session
from triage.errors import NotFound, SessionConflict, TriageError
from triage.limits import limits as size_limits  # `limits` names the range help below
from triage.trees.markdown import escape, image_hosts, safe_markdown
from triage.trees.model import UNAVAILABLE, Audience, FactType, OutcomeKind, localize
from triage.ui.common import library, refresh_identity, store, tr, ui_locale
from triage.walk.policy import Decision
from triage.walk.session import StepView
from triage.walk.views import MediaView

__all__ = [
    "answer_controls",
    "caution",
    "conflict_text",
    "continue_button",
    "error_key",
    "flash",
    "load",
    "log",
    "media",
    "on_answer",
    "on_back",
    "on_escalate",
    "on_restart",
    "run_op",
    "show_messages",
    "step_header",
]

log = logging.getLogger("triage.ui")


# what another writer did to a session meanwhile (SessionConflict.changes), in words


def conflict_text(exc: SessionConflict) -> str:
    """What another writer did to the session meanwhile, in the user's language (each kind of change once)."""
    known = ("answer", "tried", "back", "restart", "note", "escalate", "handover")
    said = [tr(f"ui.walk.changed.{c}") for c in dict.fromkeys(exc.changes) if c in known]
    return tr("ui.walk.changed", what=", ".join(said)) if said else tr("ui.walk.moved_on")


# -- state and messages ---------------------------------------------------------------------------


def error_key(sid: str) -> str:
    return f"walk-error-{sid}"


def _flash_key(sid: str) -> str:
    return f"walk-flash-{sid}"


def flash(sid: str, message: str) -> None:
    """A one-time confirmation, shown on the next draw of the session."""
    st.session_state[_flash_key(sid)] = message


def show_messages(sid: str) -> None:
    """Draw (once) the last error and confirmation left by a callback."""
    err = st.session_state.pop(error_key(sid), None)
    if err:
        st.error(escape(err))  # a refusal may quote what was typed
    note = st.session_state.pop(_flash_key(sid), None)
    if note:
        st.success(note)


def load(sid: str) -> StoredSession | None:
    """The stored session, or ``None`` if there is no such session."""
    try:
        return load_session(store(), sid)
    except NotFound:
        return None


def _may_work_as_agent() -> bool:
    """Whether the person at this page may still act as an agent (re-read now, not when the page was drawn)."""
    ident = refresh_identity()
    return ident is not None and ident.may_open("agent")


def run_op(
    sid: str, op: Callable[[StoredSession], Any], audience: Audience | None = None, seen: int | None = None
) -> bool:
    """In a callback: load the session, make one change; a refused change leaves its message. True if done.

    With ``audience``, nothing happens unless the session is still in that mode: a customer's page that is
    behind (an agent took the session over meanwhile) cannot answer for the agent. With ``seen`` (the event
    count the page drew), nothing happens if the session changed since: the click was meant for another step.
    """
    st.session_state.pop(error_key(sid), None)
    try:
        stored = load_session(store(), sid)
        if audience is not None and stored.session.mode is not audience:
            st.session_state[error_key(sid)] = tr("ui.walk.moved_on")
            return False
        if stored.session.mode is Audience.AGENT and not _may_work_as_agent():
            st.session_state[error_key(sid)] = tr("ui.not_allowed")  # deactivated or demoted since the draw
            return False
        if seen is not None:
            stored.check_seen(seen)
        op(stored)
    except SessionConflict as exc:  # another tab, an agent or the CLI got there first: the next draw reloads
        st.session_state[error_key(sid)] = conflict_text(exc)
        return False
    except TriageError as exc:
        st.session_state[error_key(sid)] = str(exc)
        return False
    except Exception:  # noqa: BLE001 - a callback must never show a traceback
        log.error("walk %s: %s", sid, traceback.format_exc())
        st.session_state[error_key(sid)] = tr("ui.walk.unexpected")
        return False
    return True


def on_answer(sid: str, value: Any, audience: Audience | None = None, seen: int | None = None) -> None:
    """Answer the step the page showed (``seen``: its event count) with ``value``."""
    run_op(sid, lambda s: s.answer(value), audience, seen)


def _on_field(sid: str, key: str, audience: Audience | None = None, seen: int | None = None) -> None:
    value = st.session_state.get(key)
    if isinstance(value, _MultiPick):
        value = value.values()
    run_op(sid, lambda s: s.answer(value), audience, seen)


def on_back(
    sid: str, index: int | None = None, audience: Audience | None = None, seen: int | None = None
) -> None:
    """Reopen answered step ``index`` (default: the last one) of the path the page showed."""
    run_op(sid, lambda s: s.back(index), audience, seen)


def on_restart(sid: str, audience: Audience | None = None, seen: int | None = None) -> None:
    """Start the walk again."""
    run_op(sid, lambda s: s.restart(), audience, seen)


def on_escalate(sid: str, audience: Audience | None = None, seen: int | None = None) -> None:
    """Ask for a person now."""
    run_op(sid, lambda s: s.escalate_now(), audience, seen)


def _audience(customer: bool) -> Audience | None:
    return Audience.SELF_SERVICE if customer else None


# -- the step -------------------------------------------------------------------------------------


def step_header(view: StepView) -> None:
    """Progress bar and "Step n" (and, inside a repeat, "Round 2 of 3", so two rounds never look the same)."""
    st.progress(view.progress, text=tr("ui.walk.step", n=view.step_number))
    if view.round is not None and view.rounds:
        st.caption(tr("ui.walk.round", n=view.round, total=view.rounds))


def answer_controls(view: StepView, *, customer: bool, seen: int) -> None:
    """One-click answers, or the right input for a collect step, with a Next button; ``seen`` is the
    session's event count when ``view`` was made (a click on a step the session has left is refused)."""
    sid, node = view.session_id, view.node_id
    field = view.field
    if view.kind == "wait":
        _wait(view, customer=customer, seen=seen)
        return
    if view.kind == "check" and customer:
        _check_stuck(view, seen)
        return
    if field is None or field.type is FactType.YESNO:
        _buttons(view, customer=customer, seen=seen)
        return
    key = f"field-{sid}-{node}"
    if field.type is FactType.MULTI:
        _multi(view, key)
    elif field.type is FactType.CHOICE:
        labels = {o.value: safe_markdown(o.label) for o in view.options}
        values = list(labels)
        if len(values) <= 6:
            st.radio(tr("ui.walk.choose"), values, index=None, format_func=labels.__getitem__, key=key)
        else:
            st.selectbox(tr("ui.walk.choose"), values, index=None, format_func=labels.__getitem__, key=key)
    elif field.type is FactType.NUMBER:
        st.number_input(
            tr("ui.walk.your_answer"),
            min_value=field.min,
            max_value=field.max,
            value=None,
            step=1.0,
            format="%g",
            key=key,
        )
        limits = _range_help(field.min, field.max)
        if limits:
            st.caption(limits)
    else:
        example = console.pattern_example(field.pattern) if field.pattern else None
        st.text_input(
            tr("ui.walk.your_answer"),
            key=key,
            max_chars=size_limits().answer,
            placeholder=example or "",
            help=None if customer or not field.pattern else tr("ui.walk.format", pattern=field.pattern),
        )
        if example:
            st.caption(tr("ui.walk.example", example=example))
    st.button(
        tr("ui.walk.next"),
        key=f"submit-{sid}-{node}",
        on_click=_on_field,
        args=(sid, key, _audience(customer), seen),
        type="primary",
        width="stretch" if customer else "content",
    )


def _multi(view: StepView, key: str) -> None:
    """Several choices: one checkbox each (easy to tap on a phone); the Next button gathers the ticked ones."""
    st.caption(tr("ui.walk.choose_many"))
    for opt in view.options:
        st.checkbox(safe_markdown(opt.label), key=f"{key}-{opt.value}")
    st.session_state[key] = _MultiPick(tuple((f"{key}-{o.value}", o.value) for o in view.options))


@dataclass(frozen=True)
class _MultiPick:
    """Where a multi-choice step's checkboxes keep their state (read by the Next button's callback)."""

    boxes: tuple[tuple[str, str], ...]  # (checkbox key, choice value)

    def values(self) -> list[str]:
        return [value for key, value in self.boxes if st.session_state.get(key)]


def _range_help(low: float | None, high: float | None) -> str | None:
    lo, hi = console.fact_text(low), console.fact_text(high)
    if low is not None and high is not None:
        return tr("ui.walk.between", min=lo, max=hi)
    if low is not None:
        return tr("ui.walk.at_least", min=lo)
    if high is not None:
        return tr("ui.walk.at_most", max=hi)
    return None


def _buttons(view: StepView, *, customer: bool, seen: int) -> None:
    sid, node = view.session_id, view.node_id

    def draw() -> None:
        for opt in view.options:
            st.button(
                safe_markdown(opt.label),
                key=f"ans-{sid}-{node}-{opt.value}",
                on_click=on_answer,
                args=(sid, opt.value, _audience(customer), seen),
                width="stretch" if customer else "content",
                wrap=True,
            )

    if customer:
        draw()
    else:
        with st.container(horizontal=True):
            draw()


# -- what comes with a step: a caution, pictures and links ----------------------------------------


def caution(view: StepView) -> None:
    """The step's caution, prominent and before its text ("back up your files first"); it does not stop."""
    if view.caution:
        st.warning(safe_markdown(view.caution), icon=":material/warning:")


def media(view: StepView, *, customer: bool) -> None:
    """The step's pictures (shipped files, or https images from an allowed host) and links."""
    for item in view.media:
        if item.kind == "link":
            st.link_button(
                safe_markdown(item.label),
                item.src,
                icon=":material/open_in_new:",
                width="stretch" if customer else "content",
            )
        else:
            _picture(item)


def _picture(item: MediaView) -> None:
    source = _image_source(item)
    if source is None:  # not shipped, or from a host nobody allowed: say in words what it would show
        if item.alt:
            st.caption(tr("ui.walk.picture_missing", alt=safe_markdown(item.alt)))
        return
    st.image(
        str(source) if isinstance(source, Path) else source,
        caption=safe_markdown(item.caption) or None,
        alt=item.alt or None,
        width="content",
    )


def _image_source(item: MediaView) -> Path | str | None:
    """A shipped file inside ``trees/media/``, or an https address on an allowed host; else ``None``."""
    if item.local:
        return media_file(item.src)
    host = (urlsplit(item.src).hostname or "").lower().rstrip(".")
    return item.src if item.src.startswith("https://") and host in image_hosts() else None


# -- waits ----------------------------------------------------------------------------------------


def _elapsed(view: StepView) -> float:
    """Seconds since the step was shown."""
    if view.shown_at is None:
        return 0.0
    shown = view.shown_at if view.shown_at.tzinfo else view.shown_at.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - shown).total_seconds())


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return (
        f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
        if whole >= 3600
        else f"{whole // 60}:{whole % 60:02d}"
    )


def _wait(view: StepView, *, customer: bool, seen: int) -> None:
    """A wait: the customer sees a countdown they may skip, then the re-check; an agent sees the time that
    has passed and the re-check at once (the customer on the line says when it is ready)."""
    total = view.seconds or 0
    skip_key = f"wait-skip-{view.session_id}-{view.node_id}-{view.shown_at}"
    if customer and _elapsed(view) < total and not st.session_state.get(skip_key):
        _countdown(view, skip_key)
        return
    if not customer:
        _stopwatch(view)
    if view.check:
        st.markdown(f"**{safe_markdown(view.check)}**")
    if view.tries and view.tries > 1:
        st.caption(tr("ui.walk.try", n=view.try_number or 1, of=view.tries))
    _buttons(view, customer=customer, seen=seen)


def _on_skip(key: str) -> None:
    st.session_state[key] = True


@st.fragment(run_every=1)
def _countdown(view: StepView, skip_key: str) -> None:
    """Redrawn every second, in the page only; when the time is up (or skipped) the whole page moves on."""
    total = view.seconds or 0
    left = total - _elapsed(view)
    if left <= 0 or st.session_state.get(skip_key):
        st.rerun()
    st.markdown(f"### :material/hourglass_top: {_clock(left + 0.999)}")
    st.progress(min(1.0, max(0.0, 1 - left / total)) if total else 1.0, text=tr("ui.walk.waiting"))
    st.button(
        tr("ui.walk.skip_wait"),
        key=f"{skip_key}-button",
        on_click=_on_skip,
        args=(skip_key,),
        width="stretch",
    )


@st.fragment(run_every=1)
def _stopwatch(view: StepView) -> None:
    """For an agent: how long ago the step was shown, against the wait the step asks for."""
    st.caption(
        tr("ui.walk.elapsed", elapsed=_clock(_elapsed(view)), wait=_clock(view.seconds or 0)),
    )


def _check_stuck(view: StepView, seen: int) -> None:
    """A customer at a remote check that could not run: no result to pick by hand, just go on without it."""
    st.info(tr("ui.walk.remote.not_checked"), icon=":material/lan:")
    st.button(
        tr("ui.walk.continue"),
        key=f"ans-{view.session_id}-{view.node_id}-{UNAVAILABLE}",
        on_click=on_answer,
        args=(view.session_id, UNAVAILABLE, Audience.SELF_SERVICE, seen),
        type="primary",
        width="stretch",
    )


# -- a hand-over to another guide -----------------------------------------------------------------


def _on_continue(sid: str, audience: Audience | None) -> None:
    started: list[str] = []
    if run_op(sid, lambda s: started.append(continue_with(store(), library(), s).id), audience):
        st.query_params["s"] = started[0]


def continue_button(stored: StoredSession, decision: Decision, *, customer: bool) -> None:
    """For a hand-over: "Continue with <guide>", which starts (once) the session on that guide with the facts."""
    if decision.kind is not OutcomeKind.HANDOVER or not decision.handover_tree:
        return
    target = library().get(decision.handover_tree)
    title = localize(target.title, ui_locale()) if target is not None else decision.handover_tree
    st.button(
        tr("ui.walk.continue_with", title=safe_markdown(title)),
        key=f"continue-{stored.id}",
        on_click=_on_continue,
        args=(stored.id, _audience(customer)),
        type="primary",
        icon=":material/arrow_forward:",
        width="stretch" if customer else "content",
        wrap=True,
    )
