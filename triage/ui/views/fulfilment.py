"""Staff: what happens after the decision. Part shipments (confirm the address, mark shipped and delivered),
send-in repairs (device received, repaired, returned) and the follow-ups due (the fix held, or it failed).

Every list and every change comes from :mod:`triage.desk.fulfilment`; this page draws and wires clicks.
"""

from __future__ import annotations

import streamlit as st

from triage.desk import fulfilment as ful
from triage.errors import TriageError
from triage.limits import limits
from triage.trees.markdown import escape
from triage.ui.common import flash, page_guard, require, show_flash, staff_action, store, tr

__all__ = ["render"]

_PAGE = "fulfilment"
_FLASH = "fulfilment.flash"
_SHIP_COLUMNS = (
    "reference",
    "status",
    "customer",
    "parts",
    "return_old",
    "address",
    "confirmed",
    "updated",
    "by",
)
_REPAIR_COLUMNS = ("rma", "status", "customer", "depot", "updated", "by")
_FOLLOW_COLUMNS = ("id", "due", "customer", "what", "session")


# -- callbacks (run before the rerun; errors become a message, never a traceback) ----------------


def _refused(exc: TriageError) -> None:
    flash(_FLASH, "error", escape(str(exc)))  # a refusal may quote what was typed


@staff_action(_PAGE)
def _confirm(reference: str, key: str, user: str) -> None:
    try:
        ful.confirm_address(store(), reference, str(st.session_state.get(key) or ""), user)
        flash(_FLASH, "success", tr("ui.fulfilment.did_confirm", reference=reference))
    except TriageError as exc:
        _refused(exc)


@staff_action(_PAGE)
def _move_shipment(reference: str, to: str, user: str) -> None:
    try:
        ful.move_shipment(store(), reference, to, user)
        status = tr(f"ui.fulfilment.shipment_status.{to}")
        flash(_FLASH, "success", tr("ui.fulfilment.did_move", reference=reference, status=status))
    except TriageError as exc:
        _refused(exc)


@staff_action(_PAGE)
def _move_repair(rma: str, to: str, user: str) -> None:
    try:
        ful.move_repair(store(), rma, to, user)
        status = tr(f"ui.fulfilment.repair_status.{to}")
        flash(_FLASH, "success", tr("ui.fulfilment.did_move", reference=rma, status=status))
    except TriageError as exc:
        _refused(exc)


@staff_action(_PAGE)
def _close(follow_up_id: int, held: bool, key: str, user: str) -> None:
    try:
        ful.close_follow_up(store(), follow_up_id, held, user, str(st.session_state.get(key) or ""))
        said = tr("ui.fulfilment.did_held" if held else "ui.fulfilment.did_failed", id=follow_up_id)
        flash(_FLASH, "success", said)
    except TriageError as exc:
        _refused(exc)


# -- drawing --------------------------------------------------------------------------------------


def _table(rows: list[dict[str, object]], columns: tuple[str, ...], key: str) -> None:
    st.dataframe(
        rows,
        hide_index=True,
        column_order=columns,
        column_config={c: st.column_config.Column(tr(f"ui.fulfilment.col.{c}")) for c in columns},
        key=key,
    )


def _shipments(found: list[ful.ShipmentView], user: str) -> None:
    st.subheader(tr("ui.fulfilment.shipments"))
    if not found:
        st.info(tr("ui.fulfilment.no_shipments"))
        return
    rows = [ful.shipment_row(s) for s in found]
    for row in rows:
        row["status"] = tr(f"ui.fulfilment.shipment_status.{row['status']}")
    _table(rows, _SHIP_COLUMNS, "ful-ship-table")
    by_ref = {s.reference: s for s in found}
    ref = st.selectbox(tr("ui.fulfilment.pick_shipment"), list(by_ref), key="ful-ship-pick")
    if ref is not None:
        _shipment_actions(by_ref[ref], user)


def _shipment_actions(s: ful.ShipmentView, user: str) -> None:
    if s.status == "requested":
        key = f"ful-ship-address-{s.reference}"
        st.text_area(
            tr("ui.fulfilment.address"),
            value=s.address or "",
            key=key,
            max_chars=limits().contact * ful.ADDRESS_LINES,
        )
        st.button(
            tr("ui.fulfilment.confirm"),
            key=f"ful-ship-confirm-{s.reference}",
            on_click=_confirm,
            args=(s.reference, key, user),
        )
        if not s.address_confirmed:
            st.caption(tr("ui.fulfilment.confirm_first"))
    for to in ("shipped", "delivered"):
        if to in s.next_statuses:
            st.button(
                tr(f"ui.fulfilment.mark_{to}"),
                key=f"ful-ship-{to}-{s.reference}",
                on_click=_move_shipment,
                args=(s.reference, to, user),
                disabled=to == "shipped" and not s.address_confirmed,
                type="primary",
            )


def _repairs(found: list[ful.RepairView], user: str) -> None:
    st.subheader(tr("ui.fulfilment.repairs"))
    if not found:
        st.info(tr("ui.fulfilment.no_repairs"))
        return
    rows = [ful.repair_row(r) for r in found]
    for row in rows:
        row["status"] = tr(f"ui.fulfilment.repair_status.{row['status']}")
    _table(rows, _REPAIR_COLUMNS, "ful-repair-table")
    by_rma = {r.rma: r for r in found}
    rma = st.selectbox(tr("ui.fulfilment.pick_repair"), list(by_rma), key="ful-repair-pick")
    if rma is None:
        return
    for to in by_rma[rma].next_statuses:
        if to != "cancelled":  # a repair is called off by the walk (a changed decision), not from here
            st.button(
                tr(f"ui.fulfilment.mark_{to}"),
                key=f"ful-repair-{to}-{rma}",
                on_click=_move_repair,
                args=(rma, to, user),
                type="primary",
            )


def _follow_ups(due: list[ful.FollowUpView], user: str) -> None:
    st.subheader(tr("ui.fulfilment.follow_ups"))
    if not due:
        st.info(tr("ui.fulfilment.no_follow_ups"))
        return
    _table([ful.follow_up_row(f) for f in due], _FOLLOW_COLUMNS, "ful-fu-table")
    ids = [f.id for f in due]
    picked = st.selectbox(tr("ui.fulfilment.pick_follow_up"), ids, key="ful-fu-pick")
    if picked is None:
        return
    key = f"ful-fu-result-{picked}"
    st.text_area(tr("ui.fulfilment.result"), key=key, max_chars=limits().note)
    cols = st.columns(2)
    cols[0].button(
        tr("ui.fulfilment.held"), key=f"ful-fu-held-{picked}", on_click=_close, args=(picked, True, key, user)
    )
    cols[1].button(
        tr("ui.fulfilment.failed"),
        key=f"ful-fu-failed-{picked}",
        on_click=_close,
        args=(picked, False, key, user),
    )


@page_guard
def render() -> None:
    """The Fulfilment page."""
    ident = require(_PAGE)
    st.title(tr("ui.fulfilment.title"))
    st.caption(tr("ui.fulfilment.caption"))
    show_flash(_FLASH)
    work = ful.worklist(store())
    _shipments(work.shipments, ident.username)
    _repairs(work.repairs, ident.username)
    _follow_ups(work.follow_ups, ident.username)
