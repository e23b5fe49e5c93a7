"""The agent console: find the right tree fast, walk it on a live call, and leave with a decision and a hand-off.

The open session's id lives in ``?s=<id>``, so a refresh or a second tab never loses the call. The agent
opens a session by its reference (``K7P-4QX``), its id or the customer's link. A customer's self-service
session (escalated, or still being walked) opens read-only: the path, the facts, the customer's words and where
the customer is now. Only "Take over", confirmed, switches it to agent mode at the customer's step and closes
the customer's case as handed over.
"""

from __future__ import annotations

import traceback

import streamlit as st

from triage.desk import contact as console
from triage.desk.queue import headings_from
from triage.desk.sessions import StoredSession, earlier_sessions
from triage.desk.staff import Identity
from triage.errors import TriageError
from triage.i18n import LANGUAGES
from triage.limits import limits
from triage.trees.markdown import code, escape, safe_markdown
from triage.trees.model import Audience, FactType, OutcomeKind, localize
from triage.ui import remote_step, walk
from triage.ui.booking_panel import booking_panel
from triage.ui.common import library, page_guard, require, staff_action, store, tr, ui_locale
from triage.ui.contact_panel import contact_panel
from triage.ui.copy_button import copy_button
from triage.ui.views.outage_notice import notice_panel
from triage.ui.views.shipment_panel import shipment_panel
from triage.walk.policy import Decision
from triage.walk.session import StepView
from triage.walk.views import rule_label

__all__ = ["render"]


_ERR = "agent-error"
_PICK = "agent-pick"


# -- callbacks ------------------------------------------------------------------------------------


def _fail(message: str) -> None:
    st.session_state[_ERR] = message


def _unexpected(what: str) -> None:
    """A callback must never show a traceback: log it, say something short."""
    walk.log.error("agent console, %s: %s", what, traceback.format_exc())
    _fail(tr("ui.unexpected"))


@staff_action("agent")
def _on_open(key: str) -> None:
    try:
        sid = console.resolve_session_id(store(), str(st.session_state.get(key) or ""))
    except TriageError as exc:
        _fail(str(exc))
        return
    except Exception:  # noqa: BLE001
        _unexpected("open a session")
        return
    st.query_params["s"] = sid


@staff_action("agent")
def _on_open_id(sid: str) -> None:
    st.query_params["s"] = sid


@staff_action("agent")
def _on_pick(tree_id: str | None) -> None:
    st.session_state[_PICK] = tree_id


@staff_action("agent")
def _on_start(tree_id: str) -> None:
    ss = st.session_state
    tree = library().get(tree_id)
    if tree is None:
        _fail(tr("ui.agent.no_results"))
        return
    raw = {
        "visit_covered": ss.get("agent-covered"),
        "region": ss.get("agent-region"),
        **{name: ss.get(f"agent-fact-{tree_id}-{name}") for name in tree.facts},
    }
    try:
        stored = console.start_for_agent(
            store(),
            tree,
            raw,
            locale=str(ss.get("agent-locale") or ui_locale()),
            customer_id=str(ss.get("agent-customer") or ""),
        )
    except TriageError as exc:
        _fail(str(exc))
        return
    except Exception:  # noqa: BLE001
        _unexpected(f"start {tree_id}")
        return
    ss[_PICK] = None
    st.query_params["s"] = stored.id


@staff_action("agent")
def _on_new() -> None:
    st.query_params.pop("s", None)
    st.session_state[_PICK] = None


def _confirm_key(sid: str) -> str:
    return f"agent-confirm-{sid}"


@staff_action("agent")
def _on_ask_take_over(sid: str, asking: bool) -> None:
    st.session_state[_confirm_key(sid)] = asking


@staff_action("agent")
def _on_take_over(sid: str, agent: str, seen: int) -> None:
    st.session_state.pop(_confirm_key(sid), None)
    # the agent confirmed what they saw: a customer who clicked since makes them look (and confirm) again
    if walk.run_op(sid, lambda s: console.take_over(store(), s.id, agent, seen=seen)):
        walk.flash(sid, tr("ui.agent.taken_over"))


@staff_action("agent")
def _on_tried(sid: str, seen: int) -> None:
    walk.run_op(sid, lambda s: s.mark_tried(), seen=seen)


@staff_action("agent")
def _on_note(sid: str, key: str) -> None:
    text = str(st.session_state.get(key) or "")
    if walk.run_op(sid, lambda s: s.add_note(text)):
        st.session_state[key] = ""


@staff_action("agent")
def _on_flag(sid: str, author: str, kind_key: str, comment_key: str, seen: int) -> None:
    kind = str(st.session_state.get(kind_key) or "unclear")
    comment = str(st.session_state.get(comment_key) or "")
    done: list[int] = []

    def flag(stored: StoredSession) -> None:
        done.append(console.flag_step(store(), stored, kind, author, comment).id)

    # the flag names the step the agent saw: refused if the session has left it
    if walk.run_op(sid, flag, seen=seen):
        st.session_state[comment_key] = ""
        walk.flash(sid, tr("ui.agent.flag_sent", id=done[0]))


# -- the page -------------------------------------------------------------------------------------


@page_guard
def render() -> None:
    ident = require("agent")
    st.title(tr("ui.nav.agent"))
    err = st.session_state.pop(_ERR, None)
    if err:
        st.error(escape(err))  # a refusal may quote what was typed
    sid = st.query_params.get("s")
    if sid:
        _session(sid, ident)
    else:
        _finder()


def _finder() -> None:
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.text_input(tr("ui.agent.open_id"), key="agent-open-id", max_chars=limits().answer)  # a pasted link
        st.button(tr("ui.agent.open"), key="agent-open", on_click=_on_open, args=("agent-open-id",))
    picked = st.session_state.get(_PICK)
    if picked:
        _start_panel(picked)
        return
    cats = ["", *console.problems_by_category(library()).keys()]
    with st.container(horizontal=True, vertical_alignment="bottom"):
        query = st.text_input(tr("ui.agent.search"), key="agent-q", placeholder=tr("ui.agent.search_hint"))
        category = st.selectbox(
            tr("ui.agent.category"),
            cats,
            format_func=lambda c: tr(f"ui.walk.category.{c}") if c else tr("ui.agent.all_categories"),
            key="agent-cat",
        )
    rows = console.find_trees(
        library(), query, audience=Audience.AGENT, category=category or None, locale=ui_locale()
    )
    if not rows:
        st.info(tr("ui.agent.no_results"))
        return
    st.caption(tr("ui.agent.results", count=len(rows)))
    for row in rows:
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            st.button(
                row.title, key=f"pick-{row.id}", on_click=_on_pick, args=(row.id,), type="tertiary", wrap=True
            )
            st.caption(safe_markdown(" · ".join([tr(f"ui.walk.category.{row.category}"), *row.symptoms])))


def _start_panel(tree_id: str) -> None:
    tree = library().get(tree_id)
    if tree is None:
        st.info(tr("ui.agent.no_results"))
        st.button(tr("ui.agent.cancel"), key="agent-cancel", on_click=_on_pick, args=(None,))
        return
    st.subheader(tr("ui.agent.start_title", title=localize(tree.title, ui_locale())))
    if tree.description:
        st.caption(safe_markdown(localize(tree.description, ui_locale())))
    with st.container(border=True):
        customer = st.text_input(
            tr("ui.agent.customer_id"), key="agent-customer", max_chars=limits().identifier
        )
        langs = list(LANGUAGES)
        st.selectbox(
            tr("ui.agent.customer_locale"),
            langs,
            index=langs.index(ui_locale()),
            format_func=LANGUAGES.__getitem__,
            key="agent-locale",
        )
        _yes_no_unknown(tr("ui.agent.visit_covered"), "agent-covered")
        st.text_input(tr("ui.agent.region"), key="agent-region", max_chars=limits().identifier)
        for name, fact in tree.facts.items():
            label = f"{name} — {localize(fact.description, ui_locale())}".rstrip(" —")
            key = f"agent-fact-{tree_id}-{name}"
            if fact.type is FactType.YESNO:
                _yes_no_unknown(label, key)
            elif fact.type is FactType.CHOICE:
                st.selectbox(label, ["", *fact.choices], key=key)
            else:
                st.text_input(label, key=key, max_chars=limits().answer)
        with st.container(horizontal=True):
            st.button(
                tr("ui.agent.start"), key="agent-start", on_click=_on_start, args=(tree_id,), type="primary"
            )
            st.button(tr("ui.agent.cancel"), key="agent-cancel", on_click=_on_pick, args=(None,))
    if customer.strip():
        _earlier(customer.strip())


def _yes_no_unknown(label: str, key: str) -> None:
    st.radio(
        label,
        ["unknown", "yes", "no"],
        format_func=lambda v: tr(f"ui.agent.{v}"),
        horizontal=True,
        key=key,
    )


def _earlier(customer_id: str) -> None:
    rows = earlier_sessions(store(), customer_id, limit=10)
    if not rows:
        return
    st.caption(tr("ui.agent.earlier"))
    for r in rows:
        label = tr(
            "ui.agent.earlier_row",
            when=f"{r.started_at:%Y-%m-%d %H:%M}",
            tree=r.tree_id,
            status=r.status,
        )
        st.button(label, key=f"earlier-{r.id}", on_click=_on_open_id, args=(r.id,), type="tertiary")


# -- an open session ------------------------------------------------------------------------------


def _session(sid: str, ident: Identity) -> None:
    st.button(tr("ui.agent.new"), key="agent-new", on_click=_on_new)
    try:
        opened = console.open_for_agent(store(), sid, locale=ui_locale())
    except TriageError as exc:
        st.error(escape(str(exc)))  # it quotes the id from the address bar
        return
    stored = opened.stored
    # the provider's systems take this step: run it once on arrival (a customer's own page runs theirs)
    remote = None if opened.readonly else remote_step.run_remote_step(stored)
    view = stored.view()
    st.subheader(view.tree_title)
    mode = tr(f"ui.agent.mode.{view.mode.value}")
    st.caption(tr("ui.agent.session", ref=code(opened.reference or "-"), mode=mode, lang=escape(view.locale)))
    customer = stored.session.facts.get("customer_id")
    if customer:  # the customer id comes from whoever typed it: shown as typed
        st.caption(tr("ui.agent.customer", id=escape(str(customer))))
    if console.handed_over(stored):
        st.info(tr("ui.agent.handed_over"))
    walk.show_messages(sid)
    if opened.readonly:
        _customer_side(opened, ident)
    main, side = st.columns([3, 2], gap="large")
    with main:
        remote_step.remote_result(remote, customer=False)
        if view.finished and view.decision is not None:
            _decision(stored, view.decision, readonly=opened.readonly)
        else:
            _step(view, ident, readonly=opened.readonly, seen=stored.event_count)
    with side:
        contact_panel(stored, editor=ident.username)  # how to reach the customer, and where a visit goes
        _facts(stored)
        _path(view, stored.event_count, readonly=opened.readonly)
        _notes(view, readonly=opened.readonly)


def _customer_side(opened: console.Opened, ident: Identity) -> None:
    """A customer's session, read-only: where they are, and "Take over" with a confirmation."""
    sid = opened.stored.id
    at = f"{opened.last_click:%H:%M}" if opened.last_click else "-"
    with st.container(border=True, key=f"agent-customer-side-{sid}"):
        if opened.escalated:
            st.warning(tr("ui.agent.escalated_readonly"), icon=":material/support_agent:")
        else:
            st.warning(tr("ui.agent.customer_active", ago=opened.idle, at=at), icon=":material/visibility:")
        if opened.where:
            st.markdown(tr("ui.agent.customer_at", step=safe_markdown(opened.where)))
        words = opened.stored.session.facts.get("customer_words")
        if words:
            st.markdown(tr("ui.agent.customer_words", words=escape(str(words))))
        if not st.session_state.get(_confirm_key(sid)):
            st.button(
                tr("ui.agent.take_over"),
                key=f"take-{sid}",
                on_click=_on_ask_take_over,
                args=(sid, True),
                type="primary",
            )
            return
        _confirm(opened, ident, at)


def _confirm(opened: console.Opened, ident: Identity, at: str) -> None:
    sid = opened.stored.id
    if opened.escalated:
        case = console.active_case(store(), sid)
        st.info(tr("ui.agent.confirm_escalated", ref=code(case.label if case else "-")))
    elif opened.recent:
        st.error(tr("ui.agent.confirm_active", ago=opened.idle, at=at), icon=":material/warning:")
    else:
        st.info(tr("ui.agent.confirm_idle", ago=opened.idle, at=at))
    with st.container(horizontal=True):
        st.button(
            tr("ui.agent.confirm_yes"),
            key=f"take-yes-{sid}",
            on_click=_on_take_over,
            args=(sid, ident.username, opened.stored.event_count),
            type="primary",
        )
        st.button(
            tr("ui.agent.confirm_no"), key=f"take-no-{sid}", on_click=_on_ask_take_over, args=(sid, False)
        )


def _step(view: StepView, ident: Identity, *, readonly: bool, seen: int) -> None:
    sid, node = view.session_id, view.node_id
    walk.step_header(view)
    walk.caution(view)
    st.caption(tr("ui.agent.read_out"))
    with st.container(border=True):
        st.markdown(f"#### {safe_markdown(view.text)}")
        if view.kind == "action" and view.check:
            st.markdown(f"**{safe_markdown(view.check)}**")
    walk.media(view, customer=False)
    if view.hint:
        st.warning(f"**{tr('ui.agent.internal')}:** {safe_markdown(view.hint)}", icon=":material/lock:")
    if view.why:
        st.info(f"**{tr('ui.agent.why')}:** {safe_markdown(view.why)}", icon=":material/insights:")
    if view.kind in ("action", "instruction"):
        parts = []
        if view.performer:
            parts.append(tr("ui.agent.who", who=tr(f"ui.agent.performer.{view.performer}")))
        if view.minutes:
            parts.append(tr("ui.walk.minutes", minutes=console.fact_text(view.minutes)))
        st.caption(" · ".join(parts))
    if view.kind == "check":
        st.caption(tr("ui.agent.check_by_hand", system=remote_step.system_label(view.system or "")))
    if readonly:
        return
    walk.answer_controls(view, customer=False, seen=seen)
    with st.container(horizontal=True):
        if view.kind == "action":
            st.button(tr("ui.agent.tried"), key=f"tried-{sid}-{node}", on_click=_on_tried, args=(sid, seen))
        st.button(
            tr("ui.agent.escalate"), key=f"escalate-{sid}", on_click=walk.on_escalate, args=(sid, None, seen)
        )
        st.button(
            tr("ui.agent.restart"), key=f"restart-{sid}", on_click=walk.on_restart, args=(sid, None, seen)
        )
    _flag(view, ident, seen)


def _flag(view: StepView, ident: Identity, seen: int) -> None:
    sid, node = view.session_id, view.node_id
    kind_key, comment_key = f"flag-kind-{sid}-{node}", f"flag-text-{sid}-{node}"
    with st.expander(tr("ui.agent.flag"), icon=":material/flag:"):
        st.radio(
            tr("ui.agent.flag_kind"),
            list(console.FLAG_KINDS),
            format_func=lambda k: tr(f"ui.agent.flag.{k}"),
            horizontal=True,
            key=kind_key,
        )
        st.text_input(tr("ui.agent.flag_comment"), key=comment_key, max_chars=limits().note)
        st.button(
            tr("ui.agent.flag_send"),
            key=f"flag-send-{sid}-{node}",
            on_click=_on_flag,
            args=(sid, ident.username, kind_key, comment_key, seen),
        )


def _facts(stored: StoredSession) -> None:
    st.markdown(f"**{tr('ui.agent.facts')}**")
    facts = console.facts_in_words(stored, ui_locale())
    if not facts:
        st.caption(tr("ui.agent.no_facts"))
        return
    st.markdown("\n".join(f"- {code(name)}: {escape(words)}" for name, words in facts))


def _path(view: StepView, seen: int, *, readonly: bool) -> None:
    sid = view.session_id
    st.markdown(f"**{tr('ui.agent.path')}**")
    if not view.breadcrumb:
        st.caption(tr("ui.agent.no_path"))
        return
    if readonly:  # reopening a step would change the customer's session
        st.markdown(
            "\n".join(
                f"{c.index + 1}. {safe_markdown(c.text)} → **{escape(c.answer)}**" for c in view.breadcrumb
            )
        )
        return
    for crumb in view.breadcrumb:
        st.button(
            f"{crumb.index + 1}. {safe_markdown(crumb.text)} → {escape(crumb.answer)}",
            key=f"crumb-{sid}-{crumb.index}",
            on_click=walk.on_back,
            args=(sid, crumb.index, None, seen),
            type="tertiary",
            wrap=True,
        )


def _notes(view: StepView, *, readonly: bool) -> None:
    sid = view.session_id
    st.markdown(f"**{tr('ui.agent.notes')}**")
    if view.notes:
        st.markdown("\n".join(f"- {escape(n)}" for n in view.notes))
    if readonly:
        return
    key = f"note-{sid}"
    st.text_input(tr("ui.agent.note"), key=key, max_chars=limits().note)
    st.button(tr("ui.agent.note_add"), key=f"note-add-{sid}", on_click=_on_note, args=(sid, key))


_BOX = {
    OutcomeKind.RESOLVED: st.success,
    OutcomeKind.ESCALATE: st.warning,
    OutcomeKind.VISIT: st.info,
    OutcomeKind.SHIP_PART: st.info,
    OutcomeKind.REPAIR: st.info,
    OutcomeKind.DIAGNOSIS: st.info,
    OutcomeKind.HANDOVER: st.info,
}


def _decision(stored: StoredSession, d: Decision, *, readonly: bool = False) -> None:
    sid = stored.id
    heading = tr("ui.agent.decision", label=d.label(ui_locale()))
    _BOX.get(d.kind, st.info)(f"**{heading}** — {tr('ui.agent.rule', rule=rule_label(d.rule, ui_locale()))}")
    if d.rule == "safety":  # the urgent script, once, before anything else is said
        st.error(f"**{tr('ui.agent.safety_say')}** {safe_markdown(d.message)}", icon=":material/warning:")
    else:
        st.markdown(f"**{tr('ui.agent.tell')}:** {safe_markdown(d.message)}")
    st.markdown(f"**{tr('ui.agent.reasons')}**")
    st.markdown("\n".join(f"- {safe_markdown(r)}" for r in d.reasons))
    if d.next_action:
        st.markdown(f"**{tr('ui.agent.next_action')}:** {safe_markdown(d.next_action)}")
    if d.fault:
        st.caption(tr("ui.agent.fault", fault=d.fault))
    if readonly:  # the customer's escalation, to read: what happens next is the agent's take-over
        _escalated(stored, d)
        _handoff(stored)
        return
    if d.outage:
        notice_panel(sid, d, ui_locale(), customer=False)
    _DETAILS[d.kind](stored, d)
    with st.container(horizontal=True):
        st.button(
            tr("ui.agent.restart"),
            key=f"restart-{sid}",
            on_click=walk.on_restart,
            args=(sid, None, stored.event_count),
        )
    if d.kind is not OutcomeKind.RESOLVED:
        _handoff(stored)


def _fulfilment(stored: StoredSession, d: Decision) -> None:
    """A part shipment, a send-in repair or a follow-up: what goes where, and the address or RMA to give."""
    shipment_panel(stored.id, d, ui_locale(), customer=False)


def _escalated(stored: StoredSession, d: Decision) -> None:
    priority = d.priority.value if d.priority else "-"
    st.caption(tr("ui.agent.escalate_to", tier=d.tier, queue=d.queue, priority=priority))
    case = console.active_case(store(), stored.id)
    if case is not None:
        st.success(tr("ui.agent.case", ref=code(case.label), queue=case.queue, status=case.status))
    else:
        st.caption(tr("ui.agent.no_case"))


def _visit(stored: StoredSession, d: Decision) -> None:
    urgency = d.urgency.value if d.urgency else "-"
    st.caption(tr("ui.agent.visit_need", skill=d.skill, urgency=urgency, minutes=d.duration_minutes or "-"))
    if d.parts:
        st.caption(tr("ui.agent.parts", parts=", ".join(d.parts)))
    st.markdown(f"**{tr('ui.agent.book_title')}**")
    booking_panel(stored, d, customer=False)


def _diagnosis(stored: StoredSession, d: Decision) -> None:
    if d.finding:
        st.markdown(f"**{tr('ui.agent.finding')}:** {safe_markdown(d.finding)}")
    if d.customer_next_step:
        st.markdown(f"**{tr('ui.agent.customer_next')}:** {safe_markdown(d.customer_next_step)}")


def _handover(stored: StoredSession, d: Decision) -> None:
    if d.carry is not None:
        st.caption(tr("ui.agent.carry", facts=", ".join(d.carry) or "-"))
    walk.continue_button(stored, d, customer=False)


_DETAILS = {
    OutcomeKind.RESOLVED: _fulfilment,
    OutcomeKind.ESCALATE: _escalated,
    OutcomeKind.VISIT: _visit,
    OutcomeKind.SHIP_PART: _fulfilment,
    OutcomeKind.REPAIR: _fulfilment,
    OutcomeKind.DIAGNOSIS: _diagnosis,
    OutcomeKind.HANDOVER: _handover,
}


def _handoff(stored: StoredSession) -> None:
    files = console.handoff_files(stored, ui_locale())  # in the agent's language, whatever the customer's
    with st.container(border=True):  # read as a page, under this page's own headings
        st.markdown(headings_from(files.markdown, 4))
    copy_button(
        files.markdown,
        key=f"handoff-{stored.id}",
        label=tr("ui.agent.handoff_copy"),
        done=tr("ui.copy.done"),
        fallback=tr("ui.copy.fallback"),
    )
    with st.container(horizontal=True):
        st.download_button(
            tr("ui.agent.download_md"),
            data=files.markdown,
            file_name=files.markdown_name,
            mime="text/markdown",
            key=f"handoff-md-{stored.id}",
            on_click="ignore",
        )
        st.download_button(
            tr("ui.agent.download_json"),
            data=files.json,
            file_name=files.json_name,
            mime="application/json",
            key=f"handoff-json-{stored.id}",
            on_click="ignore",
        )
