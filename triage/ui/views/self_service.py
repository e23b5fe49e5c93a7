"""Self-service: a customer fixes it alone, one step per screen, in plain words and their own language.

The session id lives in ``?s=<id>``: the customer can leave and come back by the link. Nothing staff-only is
drawn here (no hints, no internal ids, no agent notes, no reasons written for staff); a session an agent has
taken over shows only that our team has it.
"""

from __future__ import annotations

import traceback

import streamlit as st

from triage.desk import contact as console
from triage.desk import customers, outages
from triage.desk.customers import ContactView
from triage.desk.sessions import StoredSession
from triage.errors import TriageError
from triage.limits import limits
from triage.trees.markdown import escape, safe_markdown
from triage.trees.model import Audience, OutcomeKind
from triage.ui import remote_step, walk
from triage.ui.booking_panel import booking_panel
from triage.ui.common import fallback_note, language_picker, library, page_guard, store, tr, ui_locale
from triage.ui.contact_form import contact_confirmation, contact_form
from triage.ui.views.outage_notice import notice_offer, notice_panel
from triage.ui.views.shipment_panel import shipment_panel
from triage.walk.policy import Decision
from triage.walk.session import StepView

__all__ = ["render"]

_START_ERROR = "ss-start-error"
_REGION, _WORDS = "ss-region", "ss-words"
_CUSTOMER = Audience.SELF_SERVICE


def _on_start(tree_id: str) -> None:
    try:
        stored = console.start_for_customer(
            store(),
            library().get_tree(tree_id),
            region=st.session_state.get(_REGION) or None,  # "" is "I don't know"
            customer_words=str(st.session_state.get(_WORDS) or ""),
            locale=ui_locale(),
        )
    except TriageError as exc:
        st.session_state[_START_ERROR] = str(exc)
        return
    except Exception:  # noqa: BLE001 - a callback must never show a traceback
        walk.log.error("self-service start %s: %s", tree_id, traceback.format_exc())
        st.session_state[_START_ERROR] = tr("ui.walk.unexpected")
        return
    st.query_params["s"] = stored.id


def _on_leave() -> None:
    st.query_params.pop("s", None)


@page_guard
def render() -> None:
    language_picker("ss-language")  # on the page itself: a phone hides the sidebar
    st.title(tr("ui.self.title"))
    fallback_note()
    sid = st.query_params.get("s")
    if sid:
        _walk(sid)
    else:
        _start()


@st.fragment
@page_guard
def _walk(sid: str) -> None:
    """The walk, alone: a click on a step redraws only this, not the title, the menu and the sidebar.

    A click that leaves the session (start over, continue with another guide) changes ``?s=``: then the whole
    page runs again, for the page that follows is another one.
    """
    if st.query_params.get("s") != sid:
        st.rerun(scope="app")
    _session(sid)


# -- choosing the problem -------------------------------------------------------------------------


def _start() -> None:
    st.write(tr("ui.self.intro"))
    err = st.session_state.pop(_START_ERROR, None)
    if err:
        st.error(escape(err))
    _about_you()
    query = st.text_input(tr("ui.self.search"), key="ss-q", placeholder=tr("ui.self.search_hint"))
    lib, loc = library(), ui_locale()
    if query.strip():
        rows = console.find_trees(lib, query, audience=Audience.SELF_SERVICE, locale=loc)
        if rows:
            st.subheader(tr("ui.self.matches"))
            for row in rows:
                _problem_button(row)
            return
        st.info(tr("ui.self.no_match"))
    st.subheader(tr("ui.self.all"))
    for category, rows in console.problems_by_category(
        lib, audience=Audience.SELF_SERVICE, locale=loc
    ).items():
        st.markdown(f"**{tr(f'ui.walk.category.{category}')}**")
        for row in rows:
            _problem_button(row)


def _about_you() -> None:
    """Where the customer is (so the outage board can be checked) and the problem in their own words."""
    regions = ["", *outages.known_regions(store())]
    unknown = tr("ui.self.region_unknown")  # read now: the label function may be called outside this run
    st.selectbox(
        tr("ui.self.region"),
        regions,
        format_func=lambda r: r or unknown,
        help=tr("ui.self.region_help"),
        key=_REGION,
    )
    st.text_area(tr("ui.self.words"), key=_WORDS, max_chars=limits().answer, height=80)


def _problem_button(row: console.TreeRow) -> None:
    st.button(
        safe_markdown(row.title),
        key=f"ss-start-{row.id}",
        on_click=_on_start,
        args=(row.id,),
        help=safe_markdown(row.description) or None,
        width="stretch",
        wrap=True,
    )


# -- the walk -------------------------------------------------------------------------------------


def _session(sid: str) -> None:
    stored = walk.load(sid)
    if stored is None:
        st.warning(tr("ui.self.not_found"))
        st.button(tr("ui.self.start_over"), key="ss-leave", on_click=_on_leave, width="stretch")
        return
    if stored.session.mode is not Audience.SELF_SERVICE:
        # an agent has taken it over: the steps now carry staff-only content
        walk.show_messages(sid)
        st.info(tr("ui.self.taken_over"))
        _reference(sid)
        return
    remote = remote_step.run_remote_step(stored)  # the provider's systems take this step: once, on arrival
    view = stored.view()
    st.caption(safe_markdown(view.tree_title))
    walk.show_messages(sid)
    remote_step.remote_result(remote, customer=True)
    if view.finished and view.decision is not None:
        _decision(stored, view.decision)
    else:
        _step(view, stored.event_count)
    st.divider()
    st.caption(tr("ui.self.link"))
    st.code(console.resume_link(st.context.url or "", sid, lang=ui_locale()), language=None, wrap_lines=True)
    st.button(tr("ui.self.start_over"), key="ss-leave", on_click=_on_leave, type="tertiary")


def _step(view: StepView, seen: int) -> None:
    sid = view.session_id
    walk.step_header(view)
    walk.caution(view)
    st.markdown(f"### {safe_markdown(view.text)}")
    walk.media(view, customer=True)
    if view.kind in ("action", "instruction") and view.minutes:
        st.caption(tr("ui.walk.minutes", minutes=console.fact_text(view.minutes)))
    if view.kind == "action":
        st.markdown(f"**{tr('ui.self.check')}** {safe_markdown(view.check or '')}")
    walk.answer_controls(view, customer=True, seen=seen)
    st.write("")
    if view.can_back:
        st.button(
            tr("ui.self.back"),
            key=f"back-{sid}",
            on_click=walk.on_back,
            args=(sid, None, _CUSTOMER, seen),
            width="stretch",
        )
    st.button(
        tr("ui.self.person"),
        key=f"person-{sid}",
        on_click=walk.on_escalate,
        args=(sid, _CUSTOMER, seen),
        type="primary",
        width="stretch",
    )


def _decision(stored: StoredSession, decision: Decision) -> None:
    sid = stored.id
    if decision.kind is OutcomeKind.RESOLVED:
        st.success(f"**{tr('ui.self.resolved')}** {safe_markdown(decision.message)}")
        shipment_panel(sid, decision, ui_locale(), customer=True)  # a follow-up: when we check again
        st.caption(tr("ui.self.resolved_more"))
        return
    safety = decision.rule == "safety"
    if safety:
        _stop(stored, decision)
    else:
        st.info(safe_markdown(decision.message))
    asks = safety or decision.kind in _ASK_CONTACT
    if decision.outage:
        # where the contact form is drawn, its number also serves "tell me when it's fixed" (below it)
        notice_panel(sid, decision, ui_locale(), offer=not asks)
    title = _TITLES.get(decision.kind)
    if title is not None:
        st.subheader(tr(title))
    if asks:
        contact = _contact(stored, decision, safety=safety)
        if contact is None:
            _reference(sid)  # the next step (slots, the parcel) waits for the contact: the form first
            return
        notice_offer(sid, decision, ui_locale(), contact)
    _NEXT.get(decision.kind, _person)(stored, decision)
    _reference(sid)


def _stop(stored: StoredSession, decision: Decision) -> None:
    """A safety stop: stop, and what to do with the device, said once (the call is confirmed below)."""
    words = customers.safety_instruction(decision.message, stored.session.locale, ui_locale())
    st.error(f"**{tr('ui.self.safety_title')}** {safe_markdown(words)}", icon=":material/warning:")


def _contact(stored: StoredSession, decision: Decision, *, safety: bool) -> ContactView | None:
    """The contact form until the customer gave one (a phone number at a safety stop), then what happens next;
    the contact once given."""
    need_address = decision.kind in _ADDRESS
    contact = contact_form(stored, need_address=need_address, customer=True, need_phone=safety)
    if contact is None:
        return None
    # a parcel's panel shows where it goes; say it once
    contact_confirmation(
        stored, contact, safety=safety, show_address=decision.kind is not OutcomeKind.SHIP_PART
    )
    return contact


def _person(stored: StoredSession, decision: Decision) -> None:
    if decision.rule != "safety":  # at a safety stop the call is already promised, with the number
        st.write(tr("ui.self.next_person"))


def _visit(stored: StoredSession, decision: Decision) -> None:
    if booking_panel(stored, decision, customer=True) is not None:
        st.caption(tr("ui.self.visit_booked"))


def _ship_part(stored: StoredSession, decision: Decision) -> None:
    shipment_panel(stored.id, decision, ui_locale(), customer=True)


def _repair(stored: StoredSession, decision: Decision) -> None:
    shipment_panel(stored.id, decision, ui_locale(), customer=True)


def _diagnosis(stored: StoredSession, decision: Decision) -> None:
    if decision.customer_next_step and decision.customer_next_step != decision.message:
        st.subheader(tr("ui.self.next_title"))
        st.markdown(safe_markdown(decision.customer_next_step))


def _handover(stored: StoredSession, decision: Decision) -> None:
    walk.continue_button(stored, decision, customer=True)
    st.caption(tr("ui.self.handover_note"))


_ADDRESS = frozenset({OutcomeKind.VISIT, OutcomeKind.SHIP_PART, OutcomeKind.REPAIR})
"""Decisions that send someone or something to the customer's door (a repair comes back by parcel)."""
_ASK_CONTACT = _ADDRESS | {OutcomeKind.ESCALATE}
"""Decisions after which someone has to reach the customer."""
_TITLES = {
    OutcomeKind.ESCALATE: "ui.self.next_title",
    OutcomeKind.VISIT: "ui.self.visit_title",
    OutcomeKind.SHIP_PART: "ui.self.ship_title",
    OutcomeKind.REPAIR: "ui.self.repair_title",
}
_NEXT = {
    OutcomeKind.VISIT: _visit,
    OutcomeKind.SHIP_PART: _ship_part,
    OutcomeKind.REPAIR: _repair,
    OutcomeKind.DIAGNOSIS: _diagnosis,
    OutcomeKind.HANDOVER: _handover,
}


def _reference(sid: str) -> None:
    # what the customer reads out on a call (K7P-4QX); the long id stays in the link only
    st.markdown(tr("ui.self.reference", ref=console.session_reference(store(), sid)))
