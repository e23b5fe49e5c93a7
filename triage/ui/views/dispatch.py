"""Dispatcher: home visits. The bookings on a board of days (filtered by days, technician and status), each
with its reference, the customer's name, phone or e-mail and address; reschedule (the reference stays, the
.ics moves the customer's entry), cancel (the .ics that removes it), close and .ics download; the visits that
still need booking; and the technicians, with a form to add one.

The open visit lives in the URL by its reference (``?booking=K7P-4QX``; an old ``?booking=7`` still opens), the
visit being booked too (``?visit=<session id>``), so a refresh or a second tab shows the same one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from triage.desk.dispatch import (
    STATUSES,
    BookingFilter,
    BookingView,
    DayChoice,
    PendingVisit,
    Scheduler,
    Slot,
    TechnicianView,
    add_technician,
    booking_label,
    booking_row,
    booking_when,
    contact_text,
    day_board,
    day_label,
    days_for_reschedule,
    find_bookings,
    needs_booking,
    outage_note,
    pending_label,
    pending_row,
    slot_label,
    slots_for_visit,
    technician_row,
    timezones,
)
from triage.errors import TriageError
from triage.limits import limits
from triage.trees.markdown import escape, safe_markdown
from triage.ui.common import flash, page_guard, require, show_flash, staff_action, store, tr, ui_locale

__all__ = ["render"]

_FLASH = "dispatch.flash"
_BOOKING, _VISIT = "booking", "visit"
_BOOKING_COLUMNS = (
    "reference",
    "when",
    "technician",
    "status",
    "customer",
    "contact",
    "address",
    "skill",
    "urgency",
    "region",
    "parts",
)
_PENDING_COLUMNS = (
    "customer",
    "contact",
    "address",
    "problem",
    "skill",
    "urgency",
    "region",
    "parts",
    "outage",
    "waiting",
    "session",
)
_TECH_COLUMNS = ("name", "skills", "regions", "hours", "slot_minutes", "timezone", "active")


def _sched() -> Scheduler:
    return Scheduler(store())


# -- callbacks (run before the rerun; errors become a message, never a traceback) ----------------


@staff_action("dispatch")
def _open(param: str, key: str) -> None:
    picked = st.session_state.get(key)
    if picked is None:
        st.query_params.pop(param, None)
    else:
        st.query_params[param] = str(picked)


@staff_action("dispatch")
def _reschedule(reference: str, slot_key: str) -> None:
    choice = st.session_state.get(slot_key)
    slot = getattr(choice, "slot", None)
    if not isinstance(slot, Slot):
        flash(_FLASH, "error", tr("ui.walk.pick_slot"))
        return
    try:
        sched = _sched()
        new = sched.reschedule(reference, slot)
        when = booking_when(new, timezones(sched.technicians()))
        st.query_params[_BOOKING] = new.reference
        flash(_FLASH, "success", tr("ui.dispatch.did_reschedule", reference=new.reference, when=when))
    except TriageError as exc:
        flash(_FLASH, "error", escape(str(exc)))


@staff_action("dispatch")
def _cancel(reference: str, reason_key: str) -> None:
    try:
        _sched().cancel(reference, str(st.session_state.get(reason_key) or ""))
        st.query_params[_BOOKING] = reference
        flash(_FLASH, "success", tr("ui.dispatch.did_cancel", reference=reference))
    except TriageError as exc:
        flash(_FLASH, "error", escape(str(exc)))


@staff_action("dispatch")
def _close(reference: str, technician: str, code_key: str, fix_key: str) -> None:
    code = str(st.session_state.get(code_key) or "")
    fix = str(st.session_state.get(fix_key) or "")
    try:
        shown = escape(_sched().close_visit(reference, technician, code, fix).closure_code or "")
        flash(_FLASH, "success", tr("ui.dispatch.did_close", reference=reference, code=shown))
    except TriageError as exc:
        flash(_FLASH, "error", escape(str(exc)))


@staff_action("dispatch")
def _book(session_id: str, region_key: str, address_key: str, slot_key: str | None) -> None:
    slot = st.session_state.get(slot_key) if slot_key else None
    region = str(st.session_state.get(region_key) or "").strip() or None
    address = str(st.session_state.get(address_key) or "").strip() or None
    try:
        sched = _sched()
        b = sched.book_for_session(
            session_id, region, slot if isinstance(slot, Slot) else None, address=address
        )
        when, who = booking_when(b, timezones(sched.technicians())), escape(b.technician_name)
        st.query_params.pop(_VISIT, None)
        st.query_params[_BOOKING] = b.reference
        flash(_FLASH, "success", tr("ui.dispatch.did_book", reference=b.reference, when=when, technician=who))
    except TriageError as exc:
        flash(_FLASH, "error", escape(str(exc)))


@staff_action("dispatch")
def _add_technician(keys: dict[str, str]) -> None:
    form = {name: st.session_state.get(key) for name, key in keys.items()}
    try:
        tech = add_technician(store(), form)
        flash(_FLASH, "success", tr("ui.dispatch.did_add_tech", name=escape(tech.name)))
    except TriageError as exc:
        flash(_FLASH, "error", escape(str(exc)))


# -- drawing --------------------------------------------------------------------------------------


def _columns(prefix: str, names: tuple[str, ...]) -> dict[str, ColumnConfig]:
    return {c: st.column_config.Column(tr(f"{prefix}.{c}")) for c in names}


def _filters(names: dict[int, str]) -> BookingFilter:
    cols = st.columns(3)
    picked: Any = cols[0].date_input(tr("ui.dispatch.filter.days"), value=[], key="dispatch-f-days")
    days = tuple(d for d in (picked if isinstance(picked, tuple) else (picked,)) if isinstance(d, date))
    tech_id = cols[1].selectbox(
        tr("ui.dispatch.filter.technician"),
        [None, *names],
        format_func=lambda i: tr("ui.dispatch.any") if i is None else names[i],
        key="dispatch-f-tech",
    )
    status = cols[2].selectbox(
        tr("ui.dispatch.filter.status"),
        [*STATUSES, None],
        format_func=lambda s: tr("ui.dispatch.any") if s is None else tr(f"ui.dispatch.status.{s}"),
        key="dispatch-f-status",
    )
    first = days[0] if days else None
    return BookingFilter(day=first, last_day=days[-1] if days else None, technician_id=tech_id, status=status)


def _board(bookings: list[BookingView], zones: dict[int, str]) -> None:
    """The bookings, a table per day (in the technicians' timezones)."""
    for day, here in day_board(bookings, zones):
        st.markdown(f"**{tr('ui.dispatch.day', day=day_label(day, ui_locale()), count=len(here))}**")
        rows = [booking_row(b, zones) for b in here]
        for row in rows:
            row["status"] = tr(f"ui.dispatch.status.{row['status']}")
        st.dataframe(
            rows,
            hide_index=True,
            column_order=_BOOKING_COLUMNS,
            column_config=_columns("ui.dispatch.col", _BOOKING_COLUMNS),
            key=f"dispatch-bookings-{day.isoformat()}",
        )


def _bookings_tab(sched: Scheduler, techs: list[TechnicianView]) -> None:
    zones = timezones(techs)
    names = {t.id: t.name for t in techs}
    bookings = find_bookings(sched, _filters(names))
    st.caption(tr("ui.dispatch.count", count=len(bookings)))
    if bookings:
        _board(bookings, zones)
    else:
        st.info(tr("ui.dispatch.no_bookings"))
    current = st.query_params.get(_BOOKING) or None
    refs = [b.reference for b in bookings]
    labels = {b.reference: booking_label(b, zones) for b in bookings}
    st.selectbox(
        tr("ui.dispatch.open"),
        refs,
        index=refs.index(current) if current in refs else None,
        format_func=lambda r: labels.get(r, r),
        placeholder=tr("ui.dispatch.pick"),
        key="dispatch-open",
        on_change=_open,
        args=(_BOOKING, "dispatch-open"),
    )
    if current is None:
        return
    try:
        booking = sched.booking(current)
    except TriageError:
        st.warning(tr("ui.dispatch.no_booking", ref=escape(current)))
        return
    _booking(sched, booking, zones)


def _booking(sched: Scheduler, b: BookingView, zones: dict[int, str]) -> None:
    st.subheader(tr("ui.dispatch.booking_title", reference=b.reference))
    st.markdown(
        tr(
            "ui.dispatch.details",
            # names, ids, addresses and regions were typed by somebody: shown as typed
            when=booking_when(b, zones),
            technician=escape(b.technician_name),
            status=tr(f"ui.dispatch.status.{b.status}"),
            customer=escape(b.contact_name or b.customer_id or "-"),
            contact=escape(contact_text(b.contact_phone, b.contact_email)),
            address=escape(b.address or "-"),
            skill=escape(b.skill),
            urgency=escape(b.urgency),
            region=escape(b.region),
            parts=escape(", ".join(b.parts) or "-"),
            session=escape(b.session_id or "-"),
            booking=b.id,
        )
    )
    if b.status == "cancelled":
        st.info(tr("ui.dispatch.cancelled_as", reason=escape(b.cancel_reason or "-")))
    elif b.status == "closed":
        who, code, fix = escape(b.closed_by or ""), escape(b.closure_code or ""), escape(b.closure_fix or "-")
        st.info(tr("ui.dispatch.closed_as", who=who, code=code, fix=fix))
    st.download_button(
        tr("ui.dispatch.ics_cancel" if b.status == "cancelled" else "ui.dispatch.ics"),
        data=sched.ics(b.reference),
        file_name=f"visit-{b.reference}.ics",
        mime="text/calendar",
        key=f"dispatch-ics-{b.reference}-{b.sequence}",
        on_click="ignore",
    )
    if b.status != "booked":
        return
    move, cancel, close = st.columns(3)
    with move:
        _move(b)
    with cancel:
        st.markdown(f"#### {tr('ui.dispatch.cancel')}")
        reason_key = f"dispatch-reason-{b.reference}"
        with st.form(f"dispatch-cancel-{b.reference}"):
            st.text_input(tr("ui.dispatch.reason"), key=reason_key, max_chars=limits().note)
            st.form_submit_button(
                tr("ui.dispatch.cancel_visit"),
                key=f"dispatch-cancel-submit-{b.reference}",
                on_click=_cancel,
                args=(b.reference, reason_key),
            )
    with close:
        st.markdown(f"#### {tr('ui.dispatch.close')}")
        code_key, fix_key = f"dispatch-code-{b.reference}", f"dispatch-fix-{b.reference}"
        with st.form(f"dispatch-close-{b.reference}"):
            st.text_input(
                tr("ui.dispatch.code"),
                key=code_key,
                placeholder=tr("ui.dispatch.code_help"),
                max_chars=limits().code,
            )
            st.text_input(tr("ui.dispatch.fix"), key=fix_key, max_chars=limits().note)
            st.form_submit_button(
                tr("ui.dispatch.close_visit"),
                key=f"dispatch-close-submit-{b.reference}",
                on_click=_close,
                args=(b.reference, b.technician_name, code_key, fix_key),
            )


def _move(b: BookingView) -> None:
    """Reschedule: a day among the next working days with free times, then a time; the reference stays."""
    st.markdown(f"#### {tr('ui.dispatch.reschedule')}")
    try:
        days: list[DayChoice] = days_for_reschedule(store(), b, locale=ui_locale())
    except TriageError as exc:
        st.error(escape(str(exc)))
        days = []
    if not days:
        st.caption(tr("ui.dispatch.no_slots"))
        return
    by_day = {d.day: d for d in days}
    day = st.selectbox(
        tr("ui.dispatch.new_day"),
        list(by_day),
        format_func=lambda d: f"{by_day[d].label} · {tr('ui.dispatch.free', count=len(by_day[d].slots))}",
        key=f"dispatch-resched-day-{b.reference}",
    )
    slot_key = f"dispatch-resched-slot-{b.reference}"
    st.selectbox(
        tr("ui.dispatch.new_slot"),
        by_day[day].slots if day in by_day else (),
        format_func=lambda c: c.time,
        key=slot_key,
    )
    st.button(
        tr("ui.dispatch.move"),
        key=f"dispatch-move-{b.reference}",
        type="primary",
        on_click=_reschedule,
        args=(b.reference, slot_key),
    )


def _pending_tab(sched: Scheduler, pending: list[PendingVisit], zones: dict[int, str]) -> None:
    if not pending:
        st.info(tr("ui.dispatch.pending_empty"))
        return
    st.dataframe(
        [pending_row(p, locale=ui_locale()) for p in pending],
        hide_index=True,
        column_order=_PENDING_COLUMNS,
        column_config=_columns("ui.dispatch.col", _PENDING_COLUMNS),
        key="dispatch-pending",
    )
    by_id = {p.session_id: p for p in pending}
    current = st.query_params.get(_VISIT)
    ids = list(by_id)
    st.selectbox(
        tr("ui.dispatch.pending_open"),
        ids,
        index=ids.index(current) if current in ids else None,
        format_func=lambda sid: pending_label(by_id[sid], ui_locale()),
        placeholder=tr("ui.dispatch.pending_pick"),
        key="dispatch-pending-open",
        on_change=_open,
        args=(_VISIT, "dispatch-pending-open"),
    )
    visit = by_id.get(current or "")
    if visit is None:
        return
    sid = visit.session_id
    customer, problem = escape(visit.contact_name or visit.customer_id or "-"), escape(visit.tree_id)
    st.subheader(tr("ui.dispatch.pending_title", customer=customer, problem=problem))
    if visit.contact_name:
        contact = escape(contact_text(visit.contact_phone, visit.contact_email))
        st.caption(tr("ui.dispatch.pending_contact", contact=contact, address=escape(visit.address or "-")))
    st.markdown(
        tr(
            "ui.dispatch.pending_reason",
            reason=safe_markdown(visit.reason or "-"),
            skill=escape(visit.skill),
            urgency=escape(visit.urgency),
            parts=escape(", ".join(visit.parts) or "-"),
        )
    )
    if visit.outage:
        st.warning(escape(outage_note(visit, ui_locale())), icon="⚠️")
    region_key, address_key, slot_key = (
        f"dispatch-region-{sid}",
        f"dispatch-address-{sid}",
        f"dispatch-slot-{sid}",
    )
    cols = st.columns(2)
    region = cols[0].text_input(
        tr("ui.dispatch.region"), value=visit.region or "", key=region_key, max_chars=limits().identifier
    )
    if not visit.address:  # the contact's address is the visit's; without one, the dispatcher types it
        cols[1].text_input(tr("ui.dispatch.address"), key=address_key, max_chars=limits().contact)
    if not region or not region.strip():
        st.caption(tr("ui.dispatch.need_region"))
        return
    try:
        slots = slots_for_visit(sched, visit, region.strip())
    except TriageError as exc:
        st.error(escape(str(exc)))  # it may quote the region as typed
        return
    if slots:
        st.selectbox(tr("ui.dispatch.slot"), slots, format_func=lambda s: slot_label(s, zones), key=slot_key)
    else:
        st.caption(tr("ui.dispatch.no_slots"))
    cols = st.columns(2)
    cols[0].button(
        tr("ui.dispatch.book_slot"),
        key=f"dispatch-book-{sid}",
        type="primary",
        disabled=not slots,
        on_click=_book,
        args=(sid, region_key, address_key, slot_key),
    )
    cols[1].button(
        tr("ui.dispatch.book_earliest"),
        key=f"dispatch-book-earliest-{sid}",
        on_click=_book,
        args=(sid, region_key, address_key, None),
    )


def _technicians_tab(techs: list[TechnicianView]) -> None:
    if techs:
        st.dataframe(
            [technician_row(t) for t in techs],
            hide_index=True,
            column_order=_TECH_COLUMNS,
            column_config=_columns("ui.dispatch.col", _TECH_COLUMNS),
            key="dispatch-techs",
        )
    else:
        st.info(tr("ui.dispatch.no_techs"))
    st.markdown(f"#### {tr('ui.dispatch.add_tech')}")
    keys = {
        "name": "dispatch-tech-name",
        "skills": "dispatch-tech-skills",
        "regions": "dispatch-tech-regions",
        "hours": "dispatch-tech-hours",
        "slot": "dispatch-tech-slot",
        "timezone": "dispatch-tech-timezone",
    }
    with st.form("dispatch-add-tech"):
        cols = st.columns(3)
        cols[0].text_input(tr("ui.dispatch.tech_name"), key=keys["name"])
        cols[1].text_input(tr("ui.dispatch.tech_skills"), key=keys["skills"])
        cols[2].text_input(tr("ui.dispatch.tech_regions"), key=keys["regions"])
        cols = st.columns(3)
        cols[0].text_input(
            tr("ui.dispatch.tech_hours"),
            value="mon-fri 08:00-17:00",
            help=tr("ui.dispatch.tech_hours_help"),
            key=keys["hours"],
        )
        cols[1].number_input(
            tr("ui.dispatch.tech_slot"), min_value=15, max_value=720, value=120, step=15, key=keys["slot"]
        )
        cols[2].text_input(tr("ui.dispatch.tech_timezone"), value="Europe/Berlin", key=keys["timezone"])
        st.form_submit_button(
            tr("ui.dispatch.tech_add"), key="dispatch-tech-add", on_click=_add_technician, args=(keys,)
        )


@page_guard
def render() -> None:
    require("dispatch")
    st.title(tr("ui.nav.dispatch"))
    st.caption(tr("ui.dispatch.caption"))
    show_flash(_FLASH)
    sched = _sched()
    techs = sched.technicians()
    pending = needs_booking(store())
    bookings, waiting, technicians = st.tabs(
        [
            tr("ui.dispatch.tab.bookings"),
            tr("ui.dispatch.tab.pending", count=len(pending)),
            tr("ui.dispatch.tab.technicians"),
        ]
    )
    with bookings:
        _bookings_tab(sched, techs)
    with waiting:
        _pending_tab(sched, pending, timezones(techs))
    with technicians:
        _technicians_tab(techs)
