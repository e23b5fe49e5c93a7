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
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import streamlit as st

from triage.desk import contact as console
from triage.desk.contact import BookingView
from triage.desk.sessions import StoredSession, load_session
from triage.errors import NotFound, SessionConflict, TriageError
from triage.limits import limits as size_limits  # `limits` names the range help below
from triage.trees.markdown import escape, safe_markdown
from triage.trees.model import Audience, FactType, OutcomeKind
from triage.ui.common import refresh_identity, store, tr, ui_locale
from triage.walk.policy import Decision
from triage.walk.session import StepView

__all__ = [
    "answer_controls",
    "conflict_text",
    "log",
    "booking_panel",
    "error_key",
    "flash",
    "load",
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
    """Progress bar and "Step n"."""
    st.progress(view.progress, text=tr("ui.walk.step", n=view.step_number))


def answer_controls(view: StepView, *, customer: bool, seen: int) -> None:
    """One-click answers, or the right input for a collect step, with a Next button; ``seen`` is the
    session's event count when ``view`` was made (a click on a step the session has left is refused)."""
    sid, node = view.session_id, view.node_id
    field = view.field
    if field is None or field.type is FactType.YESNO:
        _buttons(view, customer=customer, seen=seen)
        return
    key = f"field-{sid}-{node}"
    if field.type is FactType.CHOICE:
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


# -- visits ---------------------------------------------------------------------------------------


def _on_book(sid: str, region_key: str, slot_key: str, audience: Audience | None, seen: int) -> None:
    choice = st.session_state.get(slot_key)
    region = str(st.session_state.get(region_key) or "")
    if not isinstance(choice, console.SlotChoice):
        st.session_state[error_key(sid)] = tr("ui.walk.pick_slot")
        return
    run_op(sid, lambda s: console.book_visit(store(), s.id, choice.slot, region), audience, seen)


def booking_panel(stored: StoredSession, decision: Decision, *, customer: bool) -> BookingView | None:
    """For a visit decision: the booking if there is one (with its .ics), else region, free slots and Book."""
    if decision.kind is not OutcomeKind.VISIT:
        return None
    sid = stored.id
    booking = console.session_booking(store(), sid)
    if booking is not None:
        _show_booking(booking)
        return booking
    regions = console.visit_regions(store(), decision.skill or "")
    region_key, slot_key = f"region-{sid}", f"slot-{sid}"
    default = str(stored.session.facts.get("region") or "")
    region = st.text_input(
        tr("ui.walk.region"), value=default, key=region_key, max_chars=size_limits().identifier
    )
    if regions:
        st.caption(tr("ui.walk.regions", regions=escape(", ".join(regions))))
    if not region.strip():
        st.caption(tr("ui.walk.region_first"))
        return None
    try:
        choices = console.visit_slots(store(), stored, region.strip(), locale=ui_locale())
    except TriageError as exc:
        st.warning(escape(str(exc)))  # it may quote the region as typed
        return None
    if not choices:
        st.info(tr("ui.walk.no_slots"))
        return None
    st.radio(tr("ui.walk.slots"), choices, index=0, format_func=lambda c: c.label, key=slot_key)
    st.button(
        tr("ui.walk.book"),
        key=f"book-{sid}",
        on_click=_on_book,
        args=(sid, region_key, slot_key, _audience(customer), stored.event_count),
        type="primary",
        width="stretch" if customer else "content",
    )
    return None


def _show_booking(booking: BookingView) -> None:
    zone = console.technician_zone(store(), booking.technician_id)
    when = console.slot_label(booking.slot, zone, ui_locale())
    st.success(tr("ui.walk.booked", when=when))
    st.caption(tr("ui.walk.booking_ref", id=booking.id))
    if booking.parts:
        st.caption(tr("ui.walk.parts", parts=", ".join(booking.parts)))
    name, ics = console.visit_calendar(store(), booking)
    st.download_button(
        tr("ui.walk.ics"),
        data=ics,
        file_name=name,
        mime="text/calendar",
        key=f"ics-{booking.session_id}-{booking.id}",
        on_click="ignore",
    )
