"""The queue and dispatch pages in Streamlit's AppTest: tier 2 works a case from list to closure, a dispatcher
books, moves and cancels a visit and adds a technician, and an agent cannot open either page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from libraries import shipped
from staff_accounts import with_account
from streamlit.testing.v1 import AppTest

from triage.records.accounts import Accounts, Identity
from triage.records.cases import Queue
from triage.records.store import Store
from triage.ui.common import boot
from triage.visits import Scheduler

ROOT = Path(__file__).resolve().parents[2]
# account active, no smell, lights on, line OK, router online, the remote restart does not fix it; the restart
# procedure: unplugged (done), the lights went off and came back (ready, ready), then the fix question; wired
# works, Wi-Fi on, remote optimisation and a rejoin with the label's password fail
WIFI_ONLY = [
    *["all", "active", "no", "yes", "ok", "online", "not_fixed", "done", "ready", "ready", "not_fixed"],
    *["wired_ok", "ok", "not_fixed", "not_fixed"],
]  # tier 2, home-networking
# ... the line test finds a fault; restart, cable check and line reset do not fix it; the retest finds a fault:
# visit, broadband-line, normal
LINE_FAULT = [
    *["all", "active", "no", "yes", "fault", "done", "ready", "ready", "not_fixed", "dsl", "not_fixed"],
    *["not_fixed", "fault"],
]
EVERY_DAY = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def app_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app's own SQLite database with the shipped trees published; a fresh start-up for each test."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-password-1")
    st = Store(url)
    st.sync(shipped())
    boot.clear()
    yield st
    boot.clear()
    st.dispose()


def signed_in(username: str, role: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = with_account(Identity(username, username.title(), (role,)))
    return at.run()


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Open a page the router registered for this user.

    The router's pages are callables, which have no file, so ``AppTest.switch_page`` (file paths only)
    cannot name them; this picks the registered page by its URL path instead, and refuses one that is not
    registered, as ``switch_page`` does.
    """
    pages = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
    if url_path not in pages:
        raise ValueError(f"page {url_path!r} is not registered; registered: {sorted(p for p in pages if p)}")
    at._page_hash = pages[url_path]
    return at.run()


def walk(store: Store, answers: list[str], customer: str, **facts: object) -> str:
    s = store.start_session("no-internet", customer_id=customer, facts=facts)
    for a in answers:
        s.answer(a)
    return s.id


def messages(at: AppTest) -> list[str]:
    return [m.value for m in at.success] + [m.value for m in at.error]


def test_tier2_lists_claims_notes_and_closes_a_case(app_store: Store) -> None:
    """Tier 2 finds the case, reads the hand-off, claims it, adds a note and closes it with a code."""
    walk(app_store, WIFI_ONLY, "AT-100")
    other = walk(app_store, WIFI_ONLY, "AT-101")
    queue = Queue(app_store)
    ids = {c.session_id: c.id for c in queue.list_cases()}
    refs = {c.id: c.reference for c in queue.list_cases()}
    case_id = min(ids.values())
    ref = refs[case_id]
    assert ref is not None
    at = open_page(signed_in("tom", "tier2"), "queue")
    assert at.title[0].value == "Escalation queue"
    table = at.dataframe[0].value
    assert list(table["case"]) == sorted(ids.values())
    assert list(table["reference"]) == [refs[i] for i in sorted(ids.values())]
    assert list(table["customer"]) == ["AT-100", "AT-101"]

    at.text_input(key="queue-f-search").input("AT-100").run()
    assert list(at.dataframe[0].value["case"]) == [case_id]
    at.selectbox(key="queue-open").select(ref).run()
    assert at.query_params["case"] == ref
    assert at.subheader[0].value == f"Case {ref} · home-networking"
    handoff = at.get_by_key(f"queue-handoff-{case_id}").markdown[0].value
    assert handoff.startswith("#### Hand-off: No internet connection\n")
    assert "##### Steps tried" in handoff
    assert "- customer_id: AT-100" in handoff

    at.button(key=f"queue-claim-{case_id}").click().run()
    assert messages(at) == [f"You claimed case {ref}."]
    assert (queue.get(case_id).status, queue.get(case_id).claimed_by) == ("claimed", "tom")
    at.text_area(key=f"queue-note-text-{case_id}").input("Channel 13 congested; moved to 1.")
    at.button(key=f"queue-note-add-{case_id}").click().run()
    assert messages(at) == [f"Note added to case {ref}."]
    assert [n[1:] for n in queue.get(case_id).notes] == [("tom", "Channel 13 congested; moved to 1.")]

    at.button(key=f"queue-close-submit-{case_id}").click().run()
    assert messages(at) == ["a closure code is required: name the fault actually found"]
    at.text_input(key=f"queue-code-{case_id}").input("wifi-channel-congestion")
    at.text_area(key=f"queue-fix-{case_id}").input("moved to channel 1")
    at.button(key=f"queue-close-submit-{case_id}").click().run()
    assert messages(at) == [f"Case {ref} closed with code wifi-channel-congestion."]
    closed = queue.get(case_id)
    assert (closed.status, closed.closure_code, closed.closure_fix) == (
        "closed",
        "wifi-channel-congestion",
        "moved to channel 1",
    )
    assert app_store.session_row(closed.session_id).closure_source == "tier2"

    # "mine" shows what tom holds; a case someone else claimed meanwhile says so plainly
    at.text_input(key="queue-f-search").input("").run()
    at.selectbox(key="queue-f-status").select("all").run()
    at.toggle(key="queue-f-mine").set_value(True).run()
    assert list(at.dataframe[0].value["case"]) == [case_id]
    at.toggle(key="queue-f-mine").set_value(False).run()
    at.selectbox(key="queue-open").select(refs[ids[other]]).run()
    queue.claim(ids[other], "zoe")
    at.button(key=f"queue-claim-{ids[other]}").click().run()
    assert messages(at) == [f"case {ids[other]} is claimed by zoe; it cannot be claimed"]


def test_a_reference_read_out_finds_and_links_the_case(app_store: Store) -> None:
    """The case's or the session's reference, typed as heard (lower case, no dash, O for 0), finds the case; a
    ``?case=`` link with the reference opens it, with one Copy button for its hand-off; an unknown one says so."""
    sid = walk(app_store, WIFI_ONLY, "AT-110")
    walk(app_store, WIFI_ONLY, "AT-111")
    (case,) = Queue(app_store).for_session(sid)
    assert case.reference is not None
    session_ref = app_store.load_session(sid).reference
    assert session_ref is not None
    at = open_page(signed_in("tom", "tier2"), "queue")
    heard = case.reference.lower().replace("-", " ").replace("0", "o")
    at.text_input(key="queue-f-search").input(heard).run()
    assert list(at.dataframe[0].value["case"]) == [case.id]
    at.text_input(key="queue-f-search").input(session_ref.replace("-", "")).run()
    assert list(at.dataframe[0].value["case"]) == [case.id]

    linked = signed_in("tom", "tier2")
    linked.query_params["case"] = case.reference.lower()
    linked = open_page(linked, "queue")
    assert linked.subheader[0].value == f"Case {case.reference} · home-networking"
    (meta,) = [c.value for c in linked.caption if c.value.startswith("Priority")]
    assert meta.endswith(f"session {session_ref}")  # the session by its reference, not its long id
    assert sid not in " ".join(c.value for c in linked.caption)
    (copy,) = [h for h in linked.get("html") if "Copy hand-off" in h.proto.body]
    assert "navigator.clipboard.writeText" in copy.proto.body
    assert "Hand-off: No internet connection" in copy.proto.body

    missing = signed_in("tom", "tier2")
    missing.query_params["case"] = "ZZZ-ZZZ"
    missing = open_page(missing, "queue")
    assert [w.value for w in missing.warning] == ["There is no case ZZZ-ZZZ."]


def test_dispatcher_books_reschedules_and_cancels_a_visit(app_store: Store) -> None:
    """A visit waiting for a booking is booked, moved to another day (the reference stays) and cancelled with a
    reason (the cancellation's .ics is offered)."""
    sched = Scheduler(app_store)
    sched.add_technician("Ana Lima", ["broadband-line"], ["north"], hours=EVERY_DAY, timezone="UTC")
    sid = walk(app_store, LINE_FAULT, "AT-200", region="north")
    at = open_page(signed_in("dora", "dispatcher"), "dispatch")
    assert [t.label for t in at.tabs] == ["Bookings", "Needs booking (1)", "Technicians"]
    assert list(at.dataframe[0].value["customer"]) == ["AT-200"]  # no bookings yet: the first table waits

    at.selectbox(key="dispatch-pending-open").select(sid).run()
    assert at.text_input(key=f"dispatch-region-{sid}").value == "north"
    first = at.selectbox(key=f"dispatch-slot-{sid}").options[0]
    at.text_input(key=f"dispatch-address-{sid}").input("Ring 1, Hof")
    at.button(key=f"dispatch-book-{sid}").click().run()
    booked = sched.bookings(session_id=sid)
    assert len(booked) == 1
    b = booked[0]
    assert (b.technician_name, b.address, b.customer_id) == ("Ana Lima", "Ring 1, Hof", "AT-200")
    assert first.startswith(f"{b.start:%Y-%m-%d %H:%M}–")
    assert messages(at) == [f"Booked visit {b.reference}: {first.split(' · ')[0]} with Ana Lima."]
    assert at.query_params["booking"] == b.reference
    assert at.tabs[1].label == "Needs booking (0)"
    assert at.download_button(key=f"dispatch-ics-{b.reference}-0").label == "Download .ics"
    board = at.dataframe[0].value
    assert (list(board["reference"]), list(board["address"])) == ([b.reference], ["Ring 1, Hof"])

    days = at.selectbox(key=f"dispatch-resched-day-{b.reference}")
    days.select_index(2).run()
    target = at.selectbox(key=f"dispatch-resched-slot-{b.reference}").options[1]
    at.selectbox(key=f"dispatch-resched-slot-{b.reference}").select_index(1).run()
    at.button(key=f"dispatch-move-{b.reference}").click().run()
    moved = sched.bookings(session_id=sid, status="booked")[0]
    assert (moved.reference, moved.sequence, moved.rescheduled_from) == (b.reference, 1, b.id)
    assert sched.booking(b.id).status == "cancelled"
    assert moved.start.date() == b.start.date() + timedelta(days=2)
    assert messages(at) == [
        f"Visit {b.reference} moved to {moved.start:%Y-%m-%d} {target.split(' ')[0]} (UTC). "
        "Send the customer the updated calendar file (.ics)."
    ]
    assert at.query_params["booking"] == b.reference

    at.button(key=f"dispatch-close-submit-{b.reference}").click().run()
    assert messages(at) == [f"closing booking {moved.id} needs a closure code: name the fault actually found"]
    at.text_input(key=f"dispatch-reason-{b.reference}").input("customer is abroad")
    at.button(key=f"dispatch-cancel-submit-{b.reference}").click().run()
    assert messages(at) == [
        f"Visit {b.reference} cancelled. Send the customer the cancellation (.ics) so it leaves their calendar."
    ]
    gone = sched.booking(b.reference)
    assert (gone.status, gone.cancel_reason, gone.sequence) == ("cancelled", "customer is abroad", 2)
    assert at.download_button(key=f"dispatch-ics-{b.reference}-2").label == "Download the cancellation (.ics)"
    assert at.tabs[1].label == "Needs booking (1)"


def test_dispatcher_adds_a_technician(app_store: Store) -> None:
    """The form adds a technician with skills, regions and hours; a bad hours entry explains itself."""
    at = open_page(signed_in("dora", "dispatcher"), "dispatch")
    at.text_input(key="dispatch-tech-name").input("Ben Okafor")
    at.text_input(key="dispatch-tech-skills").input("broadband-line, tv")
    at.text_input(key="dispatch-tech-regions").input("north south")
    at.text_input(key="dispatch-tech-hours").input("mon-fri 09:00-17:00; sat 09:00-13:00")
    at.button(key="dispatch-tech-add").click().run()
    assert messages(at) == ["Technician Ben Okafor added."]
    (tech,) = Scheduler(app_store).technicians()
    assert (tech.skills, tech.regions, tech.hours["sat"], "sun" in tech.hours) == (
        ("broadband-line", "tv"),
        ("north", "south"),
        ("09:00", "13:00"),
        False,
    )
    at.text_input(key="dispatch-tech-name").input("Cleo Park")
    at.text_input(key="dispatch-tech-hours").input("weekdays")
    at.button(key="dispatch-tech-add").click().run()
    assert messages(at) == [
        "hours: 'weekdays' is not a day or day range and a time range (expected e.g. 'mon-fri 08:00-17:00')"
    ]


def test_an_agent_cannot_open_the_queue_or_dispatch(app_store: Store) -> None:
    """Neither page is registered for an agent, so neither can be opened; tier 2 gets the queue but not dispatch."""
    agent = signed_in("ann", "agent")
    for page in ("queue", "dispatch"):
        with pytest.raises(ValueError, match=f"page '{page}' is not registered"):
            open_page(agent, page)
    tier2 = signed_in("tom", "tier2")
    assert open_page(tier2, "queue").title[0].value == "Escalation queue"
    with pytest.raises(ValueError, match="page 'dispatch' is not registered"):
        open_page(tier2, "dispatch")


def test_a_click_from_a_person_deactivated_since_the_page_was_drawn_changes_nothing(app_store: Store) -> None:
    """Streamlit runs a click's callback before the page: the callback itself re-reads who is signed in, so tier 2
    deactivated while the case was on screen cannot claim it."""
    walk(app_store, WIFI_ONLY, "AT-200")
    queue = Queue(app_store)
    case_id, ref = queue.list_cases()[0].id, queue.list_cases()[0].reference
    at = open_page(signed_in("tom", "tier2"), "queue")
    at.selectbox(key="queue-open").select(ref).run()
    Accounts(app_store).deactivate("tom", actor="admin")
    at.button(key=f"queue-claim-{case_id}").click().run()
    assert (queue.get(case_id).status, queue.get(case_id).claimed_by) == ("open", None)
    assert "Escalation queue" not in [t.value for t in at.title]


def test_an_agent_demoted_since_the_page_was_drawn_cannot_answer_for_the_customer(app_store: Store) -> None:
    """An agent-mode walk refuses the click of a person who is no longer an agent: nothing is answered."""
    at = open_page(signed_in("amy", "agent"), "agent")
    stored = app_store.start_session("no-internet", mode="agent")
    at.query_params["s"] = stored.id
    at.run()
    Accounts(app_store).set_roles("amy", ("dispatcher",), actor="admin")
    at.button(key=f"ans-{stored.id}-all_devices-all").click().run()
    assert app_store.load_session(stored.id).view().node_id == "all_devices"


DECISIONS = """
id: router-decisions
title: Router decisions
category: connectivity
start: what
nodes:
  - id: what
    kind: question
    text: What did you find?
    options:
      - {label: Line fault, value: line, next: visit}
      - {label: Needs tier 2, value: tier2, next: tier2}
      - {label: TV problem, value: tv, next: tv}
  - id: visit
    kind: outcome
    outcome: visit
    text: A technician repairs the line.
    skill: broadband-line
  - id: tier2
    kind: outcome
    outcome: escalate
    text: Tier 2 takes over.
    queue: tier2-support
  - id: tv
    kind: outcome
    outcome: handover
    text: This is a TV problem.
    tree: tv-no-signal
"""


def decided(store: Store, answer: str, customer: str, **facts: object) -> str:
    s = store.start_session("router-decisions", customer_id=customer, facts=facts)
    s.answer(answer)
    return s.id


def test_a_withdrawn_case_shows_the_handover_that_replaced_it(app_store: Store) -> None:
    """The agent escalated, then went back and handed over: the queue lists the withdrawn case with what the
    session decided instead, and the case itself says the handover is not a case."""
    app_store.publish(DECISIONS, author="ann")
    s = app_store.start_session("router-decisions", customer_id="AT-300")
    s.answer("tier2")
    s.back()
    s.answer("tv")
    withdrawn = Queue(app_store).list_cases(status="withdrawn")[0]
    at = open_page(signed_in("tom", "tier2"), "queue")
    at.selectbox(key="queue-f-status").select("all").run()
    table = at.dataframe[0].value
    assert list(table["case"]) == [withdrawn.id]
    assert list(table["outcome"]) == ["Handover to tv-no-signal — not a case"]
    at.selectbox(key="queue-open").select(withdrawn.label).run()
    assert "Withdrawn: the session now ends differently: Handover to tv-no-signal — not a case." in [
        i.value for i in at.info
    ]


def test_dispatch_marks_a_visit_decided_during_an_outage(app_store: Store) -> None:
    """A visit decided while an outage covered the area says an override is needed, in the list and the visit."""
    app_store.publish(DECISIONS, author="ann")
    plain = decided(app_store, "line", "AT-400", region="north")
    outage = decided(app_store, "line", "AT-401", region="north", outage_in_area=True)
    at = open_page(signed_in("dora", "dispatcher"), "dispatch")
    pending = at.dataframe[0].value
    assert dict(zip(pending["session"], pending["outage"], strict=True)) == {
        plain: "",
        outage: "outage in area — override needed",
    }
    at.selectbox(key="dispatch-pending-open").select(outage).run()
    assert [w.value for w in at.warning] == ["outage in area — override needed"]
