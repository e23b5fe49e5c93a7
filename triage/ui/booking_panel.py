"""The booking panel for a visit decision: the customer's address, the free slots on the next working days, Book;
then the booking with its reference and calendar file. Shared by the agent console and the self-service page."""

from __future__ import annotations

import streamlit as st

from triage.desk import contact as console
from triage.desk.contact import BookingView
from triage.desk.sessions import StoredSession
from triage.errors import TriageError
from triage.limits import limits as size_limits
from triage.trees.markdown import escape
from triage.trees.model import Audience, OutcomeKind
from triage.ui.common import store, tr, ui_locale
from triage.ui.walk import error_key, run_op
from triage.walk.policy import Decision

__all__ = ["booking_panel"]


def _audience(customer: bool) -> Audience | None:
    return Audience.SELF_SERVICE if customer else None


def _on_book(sid: str, region_key: str, slot_key: str, audience: Audience | None, seen: int) -> None:
    choice = st.session_state.get(slot_key)
    region = str(st.session_state.get(region_key) or "")
    if not isinstance(choice, console.SlotChoice):
        st.session_state[error_key(sid)] = tr("ui.walk.pick_slot")
        return
    override = str(st.session_state.get(_override_key(sid)) or "").strip() or None
    run_op(
        sid,
        lambda s: console.book_visit(store(), s.id, choice.slot, region, outage_override=override),
        audience,
        seen,
    )


def _override_key(sid: str) -> str:
    return f"override-{sid}"


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
    if decision.outage and not customer:  # a declared outage covers the area: booking needs a reason
        st.warning(tr("ui.walk.outage_override_needed"), icon=":material/campaign:")
        st.text_input(tr("ui.walk.outage_override"), key=_override_key(sid), max_chars=size_limits().note)
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
