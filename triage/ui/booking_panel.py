"""The booking panel for a visit decision, shared by the agent console and the self-service page.

First the customer's name, contact and address (:func:`triage.ui.contact_form.contact_form`; the region comes
from the postcode), then a day among the next working days with free times (a date picker bounded to them),
the free times of that day, and Book. Once booked: the visit's reference, when (in the technician's time
zone), the parts, the calendar file, and "Change the time" and "Cancel the visit", for the agent and for the
customer alike. A reschedule keeps the reference and the calendar file moves the entry; a cancellation offers
the file that removes it. The panel's messages are drawn in the panel, where the click was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st

from triage.desk import booking as visits
from triage.desk.booking import BookingView, DayChoice, SlotChoice
from triage.desk.sessions import StoredSession
from triage.errors import TriageError
from triage.i18n.formats import date_input_format
from triage.limits import limits as size_limits
from triage.trees.markdown import escape
from triage.trees.model import Audience, OutcomeKind
from triage.ui.common import format_locale, store, tr, ui_locale
from triage.ui.contact_form import contact_form
from triage.ui.walk import error_key, run_op
from triage.walk.policy import Decision

__all__ = ["booking_panel"]

_CUSTOMER_REASON = "cancelled by the customer"  # kept with the booking, for staff


def _audience(customer: bool) -> Audience | None:
    return Audience.SELF_SERVICE if customer else None


def _note_key(sid: str) -> str:
    return f"booking-note-{sid}"


def _error_key(sid: str) -> str:
    return f"booking-error-{sid}"


def _day_key(prefix: str, sid: str) -> str:
    return f"{prefix}-day-{sid}"


def _time_key(prefix: str, sid: str, day: date) -> str:
    return f"{prefix}-time-{sid}-{day.isoformat()}"


def _run(
    sid: str,
    op: Callable[[StoredSession], Any],
    audience: Audience | None,
    seen: int | None,
    note: str | None = None,
) -> None:
    """Run a booking change through :func:`run_op`; its message (or ``note`` on success) goes to the panel."""
    st.session_state.pop(_error_key(sid), None)
    done = run_op(sid, op, audience, seen)
    failed = st.session_state.pop(error_key(sid), None)
    if not done:
        st.session_state[_error_key(sid)] = failed or tr("ui.walk.unexpected")
    elif note is not None:
        st.session_state[_note_key(sid)] = note


def _picked(prefix: str, sid: str) -> SlotChoice | None:
    day = st.session_state.get(_day_key(prefix, sid))
    if not isinstance(day, date):
        return None
    choice = st.session_state.get(_time_key(prefix, sid, day))
    return choice if isinstance(choice, SlotChoice) else None


def _on_book(sid: str, region: str, audience: Audience | None, seen: int) -> None:
    choice = _picked("book", sid)
    if choice is None:
        st.session_state[_error_key(sid)] = tr("ui.walk.pick_slot")
        return
    override = str(st.session_state.get(_override_key(sid)) or "").strip() or None
    slot = choice.slot
    _run(
        sid,
        lambda s: visits.book_visit(store(), s.id, slot, region, outage_override=override),
        audience,
        seen,
    )


def _on_move(sid: str, reference: str, audience: Audience | None) -> None:
    choice = _picked("move", sid)
    if choice is None:
        st.session_state[_error_key(sid)] = tr("ui.walk.pick_slot")
        return
    slot = choice.slot

    def move(s: StoredSession) -> None:
        changed = visits.reschedule_visit(store(), reference, slot)
        zone = visits.technician_zone(store(), changed.booking.technician_id)
        when = visits.slot_label(changed.booking.slot, zone, ui_locale())
        st.session_state[_note_key(s.id)] = tr("ui.booking.moved", reference=reference, when=when)

    _run(sid, move, audience, None)


def _on_cancel(sid: str, reference: str, audience: Audience | None, reason_key: str) -> None:
    reason = str(st.session_state.get(reason_key) or "").strip()
    if not reason and audience is None:
        st.session_state[_error_key(sid)] = tr("ui.booking.need_reason")
        return
    reason = reason or _CUSTOMER_REASON
    note = tr("ui.booking.cancelled", reference=reference)
    _run(sid, lambda s: visits.cancel_visit(store(), reference, reason), audience, None, note)


def _override_key(sid: str) -> str:
    return f"override-{sid}"


def _messages(sid: str) -> None:
    err = st.session_state.pop(_error_key(sid), None)
    if err:
        st.error(escape(err))  # a refusal may quote what was typed
    note = st.session_state.pop(_note_key(sid), None)
    if note:
        st.success(note)


def booking_panel(stored: StoredSession, decision: Decision, *, customer: bool) -> BookingView | None:
    """For a visit decision: the booked visit (with its reference, .ics, change and cancel), else the
    customer's contact and address, a day, a time and Book. Returns the booked visit, if there is one."""
    if decision.kind is not OutcomeKind.VISIT:
        return None
    sid = stored.id
    _messages(sid)
    latest = visits.session_visit(store(), sid)
    if latest is not None and latest.status != "cancelled":
        _show_booking(latest, customer=customer)
        return latest if latest.status == "booked" else None
    if latest is not None:
        _show_cancelled(latest, customer=customer)
    contact = contact_form(stored, need_address=True, customer=customer)
    if contact is None:
        return None
    if not contact.region:
        st.warning(tr("ui.booking.no_region", postcode=escape(contact.postcode or "-")))
        return None
    try:
        days = visits.visit_days(store(), stored, contact.region, locale=ui_locale())
    except TriageError as exc:
        st.warning(escape(str(exc)))
        return None
    if not days:
        st.info(tr("ui.booking.no_days"))
        return None
    if _pick_time("book", sid, days) is None:
        return None
    if decision.outage and not customer:  # a declared outage covers the area: booking needs a reason
        st.warning(tr("ui.walk.outage_override_needed"), icon=":material/campaign:")
        st.text_input(tr("ui.walk.outage_override"), key=_override_key(sid), max_chars=size_limits().note)
    st.button(
        tr("ui.walk.book"),
        key=f"book-{sid}",
        on_click=_on_book,
        args=(sid, contact.region, _audience(customer), stored.event_count),
        type="primary",
        width="stretch" if customer else "content",
    )
    return None


def _pick_time(prefix: str, sid: str, days: list[DayChoice]) -> DayChoice | None:
    """A date picker bounded to the days with free times, then that day's times; the day picked, if it has any."""
    by_day = {d.day: d for d in days}
    first, last = days[0].day, days[-1].day
    picked = st.date_input(
        tr("ui.booking.day"),
        value=first,
        min_value=first,
        max_value=last,
        format=date_input_format(format_locale()),  # the reader's day order: 08.12.2025, 2025-12-08, ...
        key=_day_key(prefix, sid),
        help=tr("ui.booking.day_help", days=len(days)),
    )
    day = by_day.get(picked) if isinstance(picked, date) else None
    if day is None:
        near = ", ".join(d.label for d in _nearest(days, picked if isinstance(picked, date) else first))
        st.warning(tr("ui.booking.day_full", day=_label(picked), days=near))
        return None
    st.radio(
        tr("ui.booking.times", day=day.label),
        day.slots,
        index=0,
        format_func=lambda c: c.time,
        key=_time_key(prefix, sid, day.day),
    )
    return day


def _label(picked: object) -> str:
    return visits.day_label(picked, ui_locale()) if isinstance(picked, date) else "-"


def _nearest(days: list[DayChoice], picked: date) -> list[DayChoice]:
    """The free day just before and just after ``picked`` (one of them near either end)."""
    before = [d for d in days if d.day < picked][-1:]
    after = [d for d in days if d.day > picked][:1]
    return before + after


def _show_booking(booking: BookingView, *, customer: bool) -> None:
    zone = visits.technician_zone(store(), booking.technician_id)
    when = visits.slot_label(booking.slot, zone, ui_locale())
    if booking.status == "closed":
        st.info(tr("ui.booking.closed", reference=booking.reference, when=when))
        return
    st.success(tr("ui.booking.booked", when=when))
    st.markdown(tr("ui.booking.reference", reference=booking.reference))
    st.caption(tr("ui.booking.zone", zone=zone))
    if booking.address and not customer:  # the customer's own tab shows it with their contact
        st.caption(tr("ui.booking.address", address=escape(booking.address)))
    if booking.parts:
        st.caption(tr("ui.walk.parts", parts=", ".join(booking.parts)))
    cal = visits.visit_calendar(store(), booking, customer=customer)
    st.download_button(
        tr("ui.walk.ics"),
        data=cal.text,
        file_name=cal.name,
        mime="text/calendar",
        key=f"ics-{booking.reference}-{booking.sequence}",
        on_click="ignore",
    )
    _change(booking, customer=customer)


def _change(booking: BookingView, *, customer: bool) -> None:
    """Change the time and cancel, each folded away until wanted."""
    sid = booking.session_id or ""
    audience = _audience(customer)
    with st.expander(tr("ui.booking.change"), icon=":material/event_repeat:"):
        try:
            days = visits.reschedule_days(store(), booking, locale=ui_locale())
        except TriageError as exc:
            st.warning(escape(str(exc)))
            days = []
        if not days:
            st.caption(tr("ui.booking.no_days"))
        elif _pick_time("move", sid, days) is not None:
            st.button(
                tr("ui.booking.move"),
                key=f"move-{sid}",
                on_click=_on_move,
                args=(sid, booking.reference, audience),
                type="primary",
            )
    with st.expander(tr("ui.booking.cancel"), icon=":material/event_busy:"):
        reason_key = f"cancel-reason-{sid}"
        st.text_input(
            tr("ui.booking.cancel_reason_customer" if customer else "ui.booking.cancel_reason"),
            key=reason_key,
            max_chars=size_limits().note,
        )
        st.button(
            tr("ui.booking.cancel_confirm"),
            key=f"cancel-{sid}",
            on_click=_on_cancel,
            args=(sid, booking.reference, audience, reason_key),
        )


def _show_cancelled(booking: BookingView, *, customer: bool) -> None:
    """A cancelled visit: say so, and offer the file that removes it from a calendar."""
    st.info(tr("ui.booking.was_cancelled", reference=booking.reference))
    cal = visits.visit_calendar(store(), booking, customer=customer)
    st.download_button(
        tr("ui.booking.cancel_ics"),
        data=cal.text,
        file_name=cal.name,
        mime="text/calendar",
        key=f"ics-{booking.reference}-{booking.sequence}",
        on_click="ignore",
    )
