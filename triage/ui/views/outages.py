"""Outages: the board where agents and supervisors declare an outage, see whom it affects, and end it.

Declaring one (region, service, start, expected end, a message in English and German) makes every session
started there check it, tells self-service customers instead of booking a technician, and refuses a visit for
that service and region unless an agent overrides it with a reason. For each active outage the page lists the
affected open sessions and bookings and the customers waiting to hear; ending one (after a confirmation) moves
those customers to "to notify", a list to copy, since there is no SMS or mail gateway. Everything it decides is
in :mod:`triage.desk.outages`; the page only draws and calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from triage.desk import outages
from triage.desk.clock import utcnow
from triage.desk.outages import AffectedBooking, AffectedSession, BoardEntry
from triage.errors import TriageError
from triage.limits import limits
from triage.trees.markdown import escape, safe_markdown
from triage.ui.common import flash, page_guard, require, show_flash, staff_action, store, tr

__all__ = ["render"]

_PAGE = "outages"
_FLASH = "outages.flash"
_OUTAGE_COLUMNS = ("id", "region", "service", "since", "until", "sessions", "bookings", "notices")
_SESSION_COLUMNS = ("session", "customer", "tree", "mode", "state", "updated")
_BOOKING_COLUMNS = ("booking", "when", "technician", "skill", "customer", "session", "override")
_FORM = {
    "region": "out-region",
    "service": "out-service",
    "start_day": "out-start-day",
    "start_time": "out-start-time",
    "end_day": "out-end-day",
    "end_time": "out-end-time",
    "en": "out-msg-en",
    "de": "out-msg-de",
}


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value is not None else tr("ui.outages.further_notice")


# -- callbacks (run before the rerun; errors become a message, never a traceback) ----------------


@staff_action(_PAGE)
def _declare(who: str) -> None:
    form: dict[str, Any] = {name: st.session_state.get(key) for name, key in _FORM.items()}
    try:
        o = outages.declare(
            store(),
            str(form["region"] or ""),
            str(form["service"] or ""),
            who=who,
            message={"en": str(form["en"] or ""), "de": str(form["de"] or "")},
            start=outages.utc_time(form["start_day"], form["start_time"]),
            until=outages.utc_time(form["end_day"], form["end_time"]),
        )
    except TriageError as exc:
        flash(_FLASH, "error", escape(str(exc)))
        return
    for key in _FORM.values():  # a fresh form for the next one; on a refusal it keeps what was typed
        st.session_state.pop(key, None)
    flash(
        _FLASH,
        "success",
        tr("ui.outages.did_declare", id=o.id, service=escape(o.service), region=escape(o.region)),
    )


@staff_action(_PAGE)
def _end(outage_id: int, who: str) -> None:
    try:
        notices = outages.end(store(), outage_id, who)
    except TriageError as exc:
        flash(_FLASH, "error", escape(str(exc)))
        return
    flash(_FLASH, "success", tr("ui.outages.did_end", id=outage_id, count=len(notices)))


# -- drawing --------------------------------------------------------------------------------------


def _columns(names: tuple[str, ...]) -> dict[str, ColumnConfig]:
    return {c: st.column_config.Column(tr(f"ui.outages.col.{c}")) for c in names}


def _table(rows: list[dict[str, Any]], names: tuple[str, ...], key: str) -> None:
    st.dataframe(rows, hide_index=True, column_order=names, column_config=_columns(names), key=key)


def _outage_row(e: BoardEntry) -> dict[str, Any]:
    o = e.outage
    return {
        "id": o.id,
        "region": o.region,
        "service": o.service,
        "since": _when(o.starts_at),
        "until": _when(o.expected_end),
        "sessions": len(e.sessions),
        "bookings": len(e.bookings),
        "notices": len(e.notices),
    }


def _session_row(s: AffectedSession) -> dict[str, Any]:
    state = "ui.outages.state.visit" if s.waiting_for_visit else "ui.outages.state.open"
    return {
        "session": s.session_id,
        "customer": s.customer_id or "-",
        "tree": s.tree_id,
        "mode": s.mode,
        "state": tr(state),
        "updated": _when(s.updated_at),
    }


def _booking_row(b: AffectedBooking) -> dict[str, Any]:
    return {
        "booking": b.booking_id,
        "when": f"{b.start:%Y-%m-%d %H:%M}-{b.end:%H:%M} UTC",
        "technician": b.technician,
        "skill": b.skill,
        "customer": b.customer_id or "-",
        "session": b.session_id or "-",
        "override": b.outage_override or "",
    }


def _detail(e: BoardEntry, who: str) -> None:
    o = e.outage
    title = tr("ui.outages.detail", id=o.id, service=escape(o.service), region=escape(o.region))
    with st.expander(title, expanded=True):
        st.caption(tr("ui.outages.declared", who=escape(o.declared_by), when=_when(o.declared_at)))
        st.markdown(tr("ui.outages.message", message=safe_markdown(o.message_for("en"))))
        st.markdown(f"**{tr('ui.outages.sessions', count=len(e.sessions))}**")
        if e.sessions:
            _table([_session_row(s) for s in e.sessions], _SESSION_COLUMNS, f"out-sessions-{o.id}")
        else:
            st.caption(tr("ui.outages.no_sessions"))
        st.markdown(f"**{tr('ui.outages.bookings', count=len(e.bookings))}**")
        if e.bookings:
            _table([_booking_row(b) for b in e.bookings], _BOOKING_COLUMNS, f"out-bookings-{o.id}")
        else:
            st.caption(tr("ui.outages.no_bookings"))
        st.caption(tr("ui.outages.waiting", count=len(e.notices)))
        sure = st.checkbox(tr("ui.outages.confirm_end"), key=f"out-confirm-{o.id}")
        st.button(
            tr("ui.outages.end"),
            key=f"out-end-{o.id}",
            disabled=not sure,
            on_click=_end,
            args=(o.id, who),
            type="primary",
        )


def _active(who: str) -> None:
    st.subheader(tr("ui.outages.active"))
    entries = outages.board(store())
    if not entries:
        st.info(tr("ui.outages.none"))
        return
    _table([_outage_row(e) for e in entries], _OUTAGE_COLUMNS, "out-active")
    for e in entries:
        _detail(e, who)


def _to_notify() -> None:
    st.subheader(tr("ui.outages.to_notify"))
    ended = outages.to_notify(store())
    if not ended:
        st.caption(tr("ui.outages.nothing_to_notify"))
        return
    st.caption(tr("ui.outages.to_notify_help"))
    for o, notices in ended:
        st.markdown(
            tr(
                "ui.outages.ended_one",
                id=o.id,
                service=escape(o.service),
                region=escape(o.region),
                when=_when(o.ended_at),
                count=len(notices),
            )
        )
        st.code(outages.notice_lines(notices), language=None)


def _declare_form(who: str) -> None:
    st.subheader(tr("ui.outages.declare"))
    regions = outages.known_regions(store())
    services = outages.known_services(store())
    now = utcnow()
    lim = limits()
    with st.form("out-declare"):
        cols = st.columns(2)
        cols[0].text_input(
            tr("ui.outages.region"),
            key=_FORM["region"],
            max_chars=lim.identifier,
            help=tr("ui.outages.region_help", regions=", ".join(regions) or "-"),
        )
        cols[1].text_input(
            tr("ui.outages.service"),
            key=_FORM["service"],
            max_chars=40,
            placeholder="internet",
            help=tr("ui.outages.service_help", services=", ".join(services) or "-"),
        )
        when = st.columns(4)
        when[0].date_input(tr("ui.outages.start_day"), value=now.date(), key=_FORM["start_day"])
        when[1].time_input(
            tr("ui.outages.start_time"),
            value=now.time().replace(second=0, microsecond=0),
            key=_FORM["start_time"],
        )
        when[2].date_input(tr("ui.outages.end_day"), value=None, key=_FORM["end_day"])
        when[3].time_input(tr("ui.outages.end_time"), value=None, key=_FORM["end_time"])
        st.caption(tr("ui.outages.end_hint"))
        st.text_area(tr("ui.outages.message_en"), key=_FORM["en"], max_chars=lim.note)
        st.text_area(tr("ui.outages.message_de"), key=_FORM["de"], max_chars=lim.note)
        st.form_submit_button(tr("ui.outages.submit"), on_click=_declare, args=(who,), type="primary")


@page_guard
def render() -> None:
    me = require(_PAGE)
    st.title(tr("ui.nav.outages"))
    st.caption(tr("ui.outages.intro"))
    show_flash(_FLASH)
    _active(me.username)
    _to_notify()
    _declare_form(me.username)
