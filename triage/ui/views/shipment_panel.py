"""The decision screen's fulfilment panel: what is sent, what to send in, and when we check again.

:func:`shipment_panel` is called by the agent console and the self-service page under a decision:

* ``ship_part``: the parts and quantities, how to swap them, whether the old part goes back, the shipment's
  reference and status, and a form to confirm the shipping address (until the parcel leaves);
* ``repair``: the RMA reference to write on the parcel, how to pack the device, and (for staff) the depot;
* ``resolved`` with a follow-up: the day we will check again (and, for staff, what to ask).

The desk (:mod:`triage.desk.fulfilment`) reads and changes the rows; this module only draws and wires clicks.
"""

from __future__ import annotations

import streamlit as st

from triage.desk import fulfilment as ful
from triage.errors import TriageError
from triage.i18n import t
from triage.limits import limits
from triage.trees.markdown import code, escape, safe_markdown
from triage.trees.model import OutcomeKind, PartLine, localize
from triage.ui.common import refresh_identity, store
from triage.walk.policy import Decision

__all__ = ["shipment_panel"]

_FLASH = "shipment-flash-{sid}"


def _on_confirm(sid: str, reference: str, key: str, customer: bool, locale: str) -> None:
    """Confirm the address typed under ``key``; a customer confirms their own, staff sign the change."""
    by = ful.CUSTOMER
    if not customer:
        ident = refresh_identity()  # re-read: a person deactivated since the draw changes nothing
        if ident is None or not ident.may_open("agent"):
            st.session_state[_FLASH.format(sid=sid)] = ("error", t("ui.not_allowed", locale))
            return
        by = ident.username
    try:
        ful.confirm_address(store(), reference, str(st.session_state.get(key) or ""), by)
    except TriageError as exc:
        st.session_state[_FLASH.format(sid=sid)] = ("error", escape(str(exc)))
        return
    st.session_state[_FLASH.format(sid=sid)] = ("success", t("ui.shipment.address_confirmed", locale))


def _flash(sid: str) -> None:
    kind, text = st.session_state.pop(_FLASH.format(sid=sid), (None, None))
    if kind == "success":
        st.success(text)
    elif kind == "error":
        st.error(text)


def _parts(decision: Decision, locale: str, customer: bool = False) -> None:
    st.markdown(f"**{t('ui.shipment.parts', locale)}**")
    st.markdown("\n".join(_part_line(line, locale, customer) for line in decision.shipment))
    if decision.instructions:
        st.markdown(f"**{t('ui.shipment.instructions', locale)}** {safe_markdown(decision.instructions)}")
    if decision.return_old:
        st.caption(t("ui.shipment.return_old", locale))


def _part_line(line: PartLine, locale: str, customer: bool) -> str:
    """``- 1 × 65 W USB-C adapter (`psu-65w`)``: the part in words where the tree gives them; staff see its id."""
    if line.label is None:
        return f"- {line.quantity} × {code(line.part)}"
    words = escape(localize(line.label, locale))
    return f"- {line.quantity} × {words}" if customer else f"- {line.quantity} × {words} ({code(line.part)})"


def _address_form(sid: str, shipment: ful.ShipmentView, locale: str, customer: bool) -> None:
    key = f"ship-address-{sid}-{shipment.reference}"
    st.text_area(
        t("ui.shipment.address", locale),
        value=shipment.address or "",
        key=key,
        max_chars=limits().contact * ful.ADDRESS_LINES,
        help=t("ui.shipment.address_help", locale, lines=ful.ADDRESS_LINES),
    )
    st.button(
        t("ui.shipment.confirm", locale),
        key=f"ship-confirm-{sid}-{shipment.reference}",
        on_click=_on_confirm,
        args=(sid, shipment.reference, key, customer, locale),
        type="primary",
    )


def _ship_part(sid: str, decision: Decision, locale: str, customer: bool) -> None:
    _parts(decision, locale, customer)
    shipment = ful.session_fulfilment(store(), sid).shipment
    if shipment is None:
        st.info(t("ui.shipment.preparing", locale))
        return
    status = t(f"ui.fulfilment.shipment_status.{shipment.status}", locale)
    # the number to quote about the parcel: shown as prominently as the parts, not as small print
    st.info(
        t("ui.shipment.reference", locale, reference=shipment.reference, status=status),
        icon=":material/package_2:",
    )
    if shipment.address_confirmed:
        lines = [x.strip() for x in (shipment.address or "").splitlines() if x.strip()]
        st.success(t("ui.shipment.goes_to", locale, address=escape(", ".join(lines))))
    if shipment.status == "requested" and shipment.address_confirmed:
        # confirmed already (typed once, in the contact form): changing it is there, but folded away
        with st.expander(t("ui.shipment.change_address", locale)):
            _address_form(sid, shipment, locale, customer)
    elif shipment.status == "requested":
        _address_form(sid, shipment, locale, customer)


def _repair(sid: str, decision: Decision, locale: str, customer: bool) -> None:
    repair = ful.session_fulfilment(store(), sid).repair
    rma = repair.rma if repair is not None else decision.rma
    if rma:
        st.markdown(t("ui.shipment.rma", locale, rma=code(rma)))
    if decision.packing:
        st.markdown(f"**{t('ui.shipment.packing', locale)}** {safe_markdown(decision.packing)}")
    if not customer and repair is not None:
        status = t(f"ui.fulfilment.repair_status.{repair.status}", locale)
        st.caption(t("ui.shipment.depot", locale, depot=escape(repair.depot), status=status))


def _follow_up(sid: str, decision: Decision, locale: str, customer: bool) -> None:
    follow_up = ful.session_fulfilment(store(), sid).follow_up
    if follow_up is None:
        st.info(t("ui.shipment.check_in_days", locale, count=decision.follow_up_days))
        return
    st.info(t("ui.shipment.check_on", locale, date=ful.due_date(follow_up, locale)))
    if not customer and follow_up.what:
        st.caption(t("ui.shipment.check_what", locale, what=safe_markdown(follow_up.what)))


def shipment_panel(session_id: str, decision: Decision, locale: str, customer: bool) -> None:
    """Under a decision: the shipment (parts, instructions, address form), the repair's RMA and packing, or the
    follow-up date; nothing for other decisions. ``customer`` draws for the customer (nothing staff-only)."""
    _flash(session_id)
    if decision.kind is OutcomeKind.SHIP_PART:
        _ship_part(session_id, decision, locale, customer)
    elif decision.kind is OutcomeKind.REPAIR:
        _repair(session_id, decision, locale, customer)
    elif decision.kind is OutcomeKind.RESOLVED and decision.follow_up_days:
        _follow_up(session_id, decision, locale, customer)
