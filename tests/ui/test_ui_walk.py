"""The agent console and self-service pages, driven through Streamlit's AppTest on a fresh database each."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from staff_accounts import with_account
from streamlit.testing.v1 import AppTest

from triage.desk.remote import set_remote_status
from triage.records.accounts import Identity
from triage.records.cases import Queue
from triage.records.flags import Flags
from triage.records.store import Store
from triage.trees.library import Library
from triage.trees.model import localize
from triage.ui.common import boot
from triage.visits import Scheduler

ROOT = Path(__file__).resolve().parents[2]
AGENT = Identity("agent", "Agent", ("agent",))
AUTHOR = Identity("author", "Author", ("author",))
NO_INTERNET_FIRST = "Is the internet down on every device (phones on Wi-Fi, laptops, TV)?"
ROUTER_LIGHTS = "Look at the router. Is any light on?"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped_lib: Library) -> Iterator[Store]:
    """A fresh app database with the shipped_lib trees published, used by the app under test."""
    url = f"sqlite:///{tmp_path / 'ui.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-pass-1")
    st = Store(url)
    st.sync(shipped_lib)
    boot.clear()
    yield st
    st.dispose()
    boot.clear()


def app(identity: Identity | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    if identity is not None:
        at.session_state["identity"] = with_account(identity)
    at.query_params.update(query)
    return at.run()


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Open a registered page by its URL path.

    ``AppTest.switch_page`` takes a file path and cannot name the app's callable pages, so the page is picked
    from the navigation registry the last run left.
    """
    pages = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
    if url_path not in pages:
        raise ValueError(f"page {url_path!r} is not registered; known: {sorted(map(str, pages))}")
    at._page_hash = pages[url_path]
    return at.run()


def texts(at: AppTest) -> list[str]:
    """Every text the page drew, buttons included."""
    kinds = (
        "markdown",
        "caption",
        "title",
        "subheader",
        "header",
        "info",
        "warning",
        "error",
        "success",
        "code",
    )
    out = [str(el.value) for kind in kinds for el in at.get(kind)]
    out += [b.label for b in at.button] + [b.label for b in at.get("download_button")]
    out += [w.label for kind in ("radio", "text_input", "number_input", "selectbox") for w in at.get(kind)]
    return out


def sid_of(at: AppTest) -> str:
    sid = at.query_params["s"]
    assert isinstance(sid, str)
    return sid


def hints(lib: Library, *tree_ids: str) -> list[str]:
    return [localize(n.hint, "en") for tid in tree_ids for n in lib[tid].nodes if n.hint]


def test_agent_searches_starts_answers_goes_back_and_sees_the_decision(db: Store) -> None:
    """Search -> start with known facts -> answer -> reopen step 1 from the breadcrumb -> decision with case."""
    at = open_page(app(AGENT), "agent")
    at.text_input(key="agent-q").input("internet").run()
    found = [b.label for b in at.button if b.key.startswith("pick-")]
    assert found[0] == "No internet connection"  # the title that is most nearly the words typed comes first
    assert "Slow or dropping Wi-Fi" in found
    assert "Printer not printing" not in found
    at.button(key="pick-no-internet").click().run()
    at.text_input(key="agent-customer").input("C-77").run()
    at.radio(key="agent-covered").set_value("yes")
    at.text_input(key="agent-region").input("north")
    at.button(key="agent-start").click().run()
    sid = sid_of(at)
    assert f"#### {NO_INTERNET_FIRST}" in texts(at)
    assert at.warning[0].value == (
        "**Internal — for you only, do not read out:** If only one device is affected the line is fine; "
        "switch to the single-device tree."
    )
    assert (
        "- `customer_id`: C-77\n- `outage_in_area`: No\n- `region`: north\n- `visit_covered`: Yes"
        in texts(at)
    )

    at.button(key=f"ans-{sid}-all_devices-all").click().run()
    assert "#### First we look at the status of your account. It takes a few seconds." in texts(at)
    assert at.button(key=f"crumb-{sid}-0").label == f"1. {NO_INTERNET_FIRST} → Yes, every device"

    at.button(key=f"crumb-{sid}-0").click().run()
    assert f"#### {NO_INTERNET_FIRST}" in texts(at)
    at.button(key=f"ans-{sid}-all_devices-one").click().run()

    # one device is the single-device tree's problem: a handover, not a case in a queue
    assert Queue(db).for_session(sid) == []
    assert "**Decision: Handover** — Decided by: the guide's own outcome" in texts(at)
    assert "- Only one device is affected; the others have internet." in texts(at)
    assert "Continue with One device cannot connect to the Wi-Fi" in texts(at)
    assert [d.key for d in at.get("download_button")] == [f"handoff-md-{sid}", f"handoff-json-{sid}"]
    copies = [h.proto.body for h in at.get("html") if "Copy hand-off" in h.proto.body]
    assert len(copies) == 1
    assert "# Hand-off: No internet connection\n" in html.unescape(copies[0])


def test_agent_collect_step_shows_the_invalid_answer_and_takes_a_choice(db: Store) -> None:
    """A choice step without a choice shows the engine's message; a choice moves on and becomes a fact."""
    stored = db.start_session("no-internet", mode="agent")
    for answer in ("all", "active", "no", "yes", "unavailable"):
        stored.answer(answer)
    sid = stored.id
    at = open_page(app(AGENT, s=sid), "agent")
    # the choices read as words, never as the raw lower-case values stored
    assert at.radio(key=f"field-{sid}-internet_light").options == [
        "It is on and steady (green or white)",
        "It flashes",
        "It is red, or off",
        "I can't find it",
    ]
    at.button(key=f"submit-{sid}-internet_light").click().run()
    assert at.error[0].value == "an answer is required"
    at.radio(key=f"field-{sid}-internet_light").set_value("red_or_off")
    at.button(key=f"submit-{sid}-internet_light").click().run()
    assert not at.error
    assert db.load_session(sid).session.facts["line_light"] == "red_or_off"
    assert db.load_session(sid).view().node_id == "unplug"


def test_agent_text_and_number_steps_explain_and_check_their_format(db: Store) -> None:
    """A text step shows an example of its pattern and refuses a mismatch; a number step stores a number."""
    stored = db.start_session("update-fails", mode="agent")
    for answer in ("windows", "windows-11", "app", "weeks"):  # an app update: no KB number step in between
        stored.answer(answer)
    sid = stored.id
    at = open_page(app(AGENT, s=sid), "agent")
    assert "For example: 0x01234567" in texts(at)
    at.text_input(key=f"field-{sid}-error_code").input("oops")
    at.button(key=f"submit-{sid}-error_code").click().run()
    assert at.error[0].value == "'oops' does not have the expected format"
    at.text_input(key=f"field-{sid}-error_code").input("0x800F081F")
    at.button(key=f"submit-{sid}-error_code").click().run()
    field = at.number_input(key=f"field-{sid}-free_space")
    assert (field.min, field.max, field.value) == (0, 100000, None)
    assert "A number from 0 to 100000" in texts(at)
    field.set_value(80)
    at.button(key=f"submit-{sid}-free_space").click().run()
    facts = db.load_session(sid).session.facts
    assert (facts["error_code"], facts["free_gb"]) == ("0x800F081F", 80)


def test_agent_marks_tried_adds_a_note_and_flags_a_step(db: Store) -> None:
    """ "Customer already tried this" follows not-fixed; a note is kept; a flag reaches the authors."""
    stored = db.start_session("no-internet", mode="agent")
    for answer in ("all", "active", "no", "no", "done", "yes", "ready"):
        stored.answer(answer)  # -> power_try, an action
    sid = stored.id
    at = open_page(app(AGENT, s=sid), "agent")
    at.text_input(key=f"note-{sid}").input("customer on a mobile phone")
    at.button(key=f"note-add-{sid}").click().run()
    assert "- customer on a mobile phone" in texts(at)

    at.radio(key=f"flag-kind-{sid}-power_try").set_value("unclear")
    at.text_input(key=f"flag-text-{sid}-power_try").input("which adapter?")
    at.button(key=f"flag-send-{sid}-power_try").click().run()
    flag = Flags(db).for_tree("no-internet")[0]
    assert (flag.node_id, flag.kind, flag.comment, flag.author, flag.session_id, flag.tree_version) == (
        "power_try",
        "unclear",
        "which adapter?",
        "agent",
        sid,
        1,
    )
    assert at.success[0].value == f"Flag {flag.id} sent: the authors see it beside this step."

    at.button(key=f"tried-{sid}-power_try").click().run()
    assert db.load_session(sid).session.facts["power_restored"] == "yes"
    tried = at.button(key=f"crumb-{sid}-7").label
    assert tried.startswith("8. Now try the internet again on a phone or computer.")
    assert tried.endswith(" → already tried by the customer before; did not fix it")


def test_self_service_never_renders_a_hint_or_an_internal_id(db: Store, shipped_lib: Library) -> None:
    """A customer's walk through steps that carry agent hints shows none of them, nor any node id."""
    at = app()
    at.button(key="ss-start-no-internet").click().run()
    sid = sid_of(at)
    secret = hints(shipped_lib, "no-internet", "power-cycle-router")
    ids = [n.id for tid in ("no-internet", "power-cycle-router") for n in shipped_lib[tid].nodes]
    seen = []
    for node, value in (("all_devices", "all"), ("smell_check", "no"), ("power_light", "yes")):
        seen.append(texts(at))
        at.button(key=f"ans-{sid}-{node}-{value}").click().run()  # the page runs the remote checks between
    at.radio(key=f"field-{sid}-internet_light").set_value("red_or_off")
    seen.append(texts(at))
    at.button(key=f"submit-{sid}-internet_light").click().run()
    seen.append(texts(at))  # the power-cycle procedure's first step (an instruction), which has a hint too
    unplug = "### Unplug the router's power cable (at the back of the router, not at the wall)."
    assert any(t.startswith(unplug) for t in seen[-1])
    assert at.get("progress")[0].proto.text == "Step 7"
    at.button(key=f"ans-{sid}-unplug-done").click().run()
    for wait in ("drain", "plug_in"):  # the hinted 30-second wait, then the wait for the lights
        seen.append(texts(at))  # the countdown
        next(b for b in at.button if b.key.startswith(f"wait-skip-{sid}-{wait}-")).click().run()
        seen.append(texts(at))  # the re-check question
        at.button(key=f"ans-{sid}-{wait}-ready").click().run()
    assert (
        "### Leave the router (and the modem or fibre box, if you have one) unplugged for 30 seconds."
        in seen[5]
    )
    seen.append(texts(at))  # the fix attempt, hinted as well
    assert "### Now try the internet again on the device that had the problem." in seen[-1]
    for page in seen:
        for text in page:
            assert not any(h in text for h in secret), text
            assert not any(f"`{i}`" in text or text == i for i in ids), text


def test_get_me_a_person_creates_a_case_and_gives_a_reference(db: Store) -> None:
    """ "This did not help — get me a person" queues a tier-1 case and shows the reference to read out (never the
    long session id)."""
    at = app()
    at.button(key="ss-start-no-internet").click().run()
    sid = sid_of(at)
    at.button(key=f"ans-{sid}-all_devices-all").click().run()
    at.button(key=f"person-{sid}").click().run()
    cases = Queue(db).for_session(sid)
    assert [(c.queue, c.tier, c.status) for c in cases] == [("tier1-support", 1, "open")]
    assert at.info[0].value == "A member of our team will take over from here, with everything you told us."
    ref = db.load_session(sid).reference
    assert f"Your reference: **{ref}** — please have it ready if you call us." in texts(at)
    assert not [t for t in texts(at) if sid in t and not t.startswith("?s=")]  # the long id only in the link
    assert "What happens next" in texts(at)


def test_a_customer_page_left_behind_cannot_answer_for_the_agent(db: Store) -> None:
    """Once an agent took the session over, the customer's old buttons change nothing and say why."""
    at = app()
    at.button(key="ss-start-no-internet").click().run()
    sid = sid_of(at)
    at.button(key=f"ans-{sid}-all_devices-all").click().run()
    db.load_session(sid).escalate_now()
    Queue(db).take_over(sid, "agent")
    at.button(key=f"ans-{sid}-smell_check-no").click().run()
    assert db.load_session(sid).view().node_id == "smell_check"
    assert at.info[0].value == "A member of our team is now handling this problem with you."
    assert at.error[0].value == "This session has moved on meanwhile; here is where it stands now."
    assert [b.key for b in at.button if b.key.startswith("ans-")] == []


def test_self_service_resumes_by_link(db: Store) -> None:
    """Opening ``?s=<id>`` shows the customer's next step, with the resume link to copy; the link keeps the
    page's language."""
    stored = db.start_session("no-internet", mode="self_service")
    for answer in ("all", "active", "no"):
        stored.answer(answer)
    at = app(s=stored.id)
    assert f"### {ROUTER_LIGHTS}" in texts(at)
    assert at.get("progress")[0].proto.text == "Step 4"
    assert at.get("code")[0].value == f"?s={stored.id}&lang=en"
    german = app(s=stored.id, lang="de")
    assert german.get("code")[0].value == f"?s={stored.id}&lang=de"


def test_self_service_starts_in_the_chosen_language(db: Store) -> None:
    """A customer who picked German gets a German session and German buttons."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["locale"] = "de"
    at.run()
    at.text_input(key="ss-q").input("Internet").run()
    at.button(key="ss-start-no-internet").click().run()
    sid = sid_of(at)
    assert db.load_session(sid).session.locale == "de"
    assert "### Ist das Internet auf allen Geräten weg (Handys im WLAN, Laptops, TV)?" in texts(at)
    assert at.button(key=f"person-{sid}").label == (
        "Das hat nicht geholfen — ich möchte mit einem Menschen sprechen"
    )


def test_agent_reads_an_escalation_and_takes_it_over_only_when_confirmed(db: Store) -> None:
    """An agent opens the customer's escalation by its reference: read-only (path, facts, the customer's words,
    where they are), the case still open; "Take over" asks first, "Not now" changes nothing, and "Yes, take
    over" continues at the customer's step in agent mode and closes the case as handed over."""
    stored = db.start_session(
        "no-internet", mode="self_service", facts={"customer_words": "Internet gone since the storm"}
    )
    for answer in ("all", "active", "no"):
        stored.answer(answer)
    stored.escalate_now()
    ref = stored.reference
    assert ref is not None
    at = open_page(app(AGENT), "agent")
    at.text_input(key="agent-open-id").input(ref.lower().replace("-", ""))
    at.button(key="agent-open").click().run()
    sid = sid_of(at)
    assert sid == stored.id
    shown = texts(at)
    assert f"Reference `{ref}` · self-service · en" in shown
    assert f"Where the customer is: {ROUTER_LIGHTS}" in shown
    assert "In the customer's words: Internet gone since the storm" in shown
    path = [t for t in shown if t.startswith(f"1. {NO_INTERNET_FIRST} → **Yes, every device**\n")]
    assert len(path) == 1  # the path, as text: nothing to click
    assert not [b for b in at.button if b.key.startswith(("crumb-", "ans-", "note-add-", "restart-"))]
    assert [c.status for c in Queue(db).for_session(sid)] == ["open"]
    events = len(db.load_session(sid).session.events)

    at.button(key=f"take-{sid}").click().run()
    case = Queue(db).for_session(sid)[0]
    assert at.info[0].value.startswith("Take over this customer's request?")
    assert f"`{case.reference}`" in at.info[0].value
    at.button(key=f"take-no-{sid}").click().run()
    assert [c.status for c in Queue(db).for_session(sid)] == ["open"]
    assert len(db.load_session(sid).session.events) == events

    at.button(key=f"take-{sid}").click().run()
    at.button(key=f"take-yes-{sid}").click().run()
    assert f"#### {ROUTER_LIGHTS}" in texts(at)
    assert at.button(key=f"crumb-{sid}-0").label == f"1. {NO_INTERNET_FIRST} → Yes, every device"
    assert at.success[0].value == (
        "You took over from the customer; their case, if they had one, is closed as handed over."
    )
    assert [(c.status, c.closure_code) for c in Queue(db).for_session(sid)] == [("closed", "handed-over")]
    again = app(s=sid)  # the customer's link now says our team has it, and shows no step
    assert again.info[0].value == "A member of our team is now handling this problem with you."
    assert f"### {ROUTER_LIGHTS}" not in texts(again)


def test_a_customer_still_walking_needs_an_explicit_confirmation(db: Store) -> None:
    """A customer mid-walk: the agent is told they are still active and when they last clicked; a click by the
    customer after the agent looked refuses the take-over, which then shows where the customer is now."""
    stored = db.start_session("no-internet", mode="self_service")
    stored.answer("all")
    at = open_page(app(AGENT, s=stored.id), "agent")
    sid = stored.id
    assert at.warning[0].value.startswith(
        "The customer is still walking this guide themselves; you are only reading along. They last clicked "
    )
    at.button(key=f"take-{sid}").click().run()
    (confirm,) = [e.value for e in at.error if e.value.startswith("The customer is still active")]
    assert "they last clicked 0 min ago" in confirm
    db.load_session(sid).answer("no")  # the customer clicks on while the agent reads
    at.button(key=f"take-yes-{sid}").click().run()
    assert db.load_session(sid).session.mode.value == "self_service"
    assert (
        at.error[0].value
        == "This session was changed elsewhere (an answer was given); here is where it stands now."
    )
    assert f"Where the customer is: {ROUTER_LIGHTS}" in texts(at)
    at.button(key=f"take-{sid}").click().run()
    at.button(key=f"take-yes-{sid}").click().run()
    assert db.load_session(sid).session.mode.value == "agent"


def test_the_agent_gets_the_safety_script_once_and_the_rule_in_words(db: Store) -> None:
    """A burning smell: one urgent script to read out, the rule that decided in words, no booking form (the
    decision is a part shipment, not a visit)."""
    stored = db.start_session("no-internet", mode="agent")
    for answer in ("all", "active", "yes"):
        stored.answer(answer)
    at = open_page(app(AGENT, s=stored.id), "agent")
    shown = texts(at)
    (script,) = [
        e.value for e in at.error if e.value.startswith("**Safety stop — read this to the customer now:**")
    ]
    # the general warning says stop; the tree's own words say how, for this hazard (a router: at the wall)
    assert "unplug the router at the wall" in script
    assert sum(1 for t in shown if "unplug the router at the wall" in t and not t.startswith("#")) == 1
    assert not [t for t in shown if t.startswith("**Tell the customer:**")]
    assert any(t.endswith("— Decided by: the safety rule") for t in shown)
    assert not [t for t in shown if "authored" in t or "Decided by: safety" in t]
    assert not at.get("date_input")  # no booking form


def line_visit_page(db: Store) -> tuple[AppTest, str]:
    """A customer's page at a line visit (the demo line test finds a fault), a technician in Berlin every day."""
    Scheduler(db).add_technician(
        "Ana Lima",
        ["broadband-line"],
        ["berlin"],
        hours={d: ["08:00", "16:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    set_remote_status(db, "*", "line_test", "fault")  # the demo provider's line test finds a fault
    stored = db.start_session("no-internet", mode="self_service")  # no outage declared
    walk = ("all", "active", "no", "yes", "fault", "done", "ready", "ready", "not_fixed", "dsl", "not_fixed")
    for answer in (*walk, "not_fixed"):
        stored.answer(answer)
    assert stored.view().node_id == "line_retest"
    return app(s=stored.id), stored.id  # the page runs the line test, which decides a line visit


def give_contact(at: AppTest, sid: str) -> AppTest:
    for field, value in (("name", "Jana Weiß"), ("phone", "+49 30 1234567"), ("address", "Ring 1, Hof")):
        at.text_input(key=f"contact-customer-{sid}-{field}").input(value)
    at.text_input(key=f"contact-customer-{sid}-postcode").input("10115")
    at.text_input(key=f"contact-customer-{sid}-city").input("Berlin")
    at.checkbox(key=f"contact-customer-{sid}-consent").check()
    return next(b for b in at.button if b.label == "Send my details").click().run()


def test_customer_books_a_visit_on_a_day_of_their_choice_and_moves_it(db: Store) -> None:
    """Contact and address first; then a day among the next working days, a time, Book: the reference and the
    .ics. Changing the time keeps the reference; cancelling offers the file that removes the entry."""
    at, sid = line_visit_page(db)
    assert db.load_session(sid).session.facts["line_result"] == "fault"
    assert not [d for d in at.get("date_input") if d.key == f"book-day-{sid}"]  # no days before the address
    at = give_contact(at, sid)
    day = at.date_input(key=f"book-day-{sid}")
    first = day.value
    assert isinstance(first, date)
    second = first + timedelta(days=1)
    day.set_value(second).run()
    times = at.radio(key=f"book-time-{sid}-{second.isoformat()}")
    assert times.label == f"Free times on {second:%a} {second:%Y-%m-%d}"
    times.set_value(times.options[1]).run()
    picked: Any = at.radio(key=f"book-time-{sid}-{second.isoformat()}").value
    assert picked.time == times.options[1]
    at.button(key=f"book-{sid}").click().run()
    (booking,) = Scheduler(db).bookings(session_id=sid)
    assert (booking.start, booking.technician_name, booking.sequence) == (picked.slot.start, "Ana Lima", 0)
    assert (booking.contact_name, booking.address) == ("Jana Weiß", "Ring 1, Hof, 10115 Berlin")
    assert f"Visit booked: {picked.label}" in [x.value for x in at.success]
    assert (
        f"Visit reference: **{booking.reference}** (please have it ready if you call us about the visit)"
        in (texts(at))
    )
    assert "Times are in the technician's time zone: Europe/Berlin." in texts(at)
    ics = at.get("download_button")[0]
    assert ics.label == "Add to my calendar (.ics)"

    move_day = at.date_input(key=f"move-day-{sid}")
    move_day.set_value(second + timedelta(days=1)).run()
    target: Any = at.radio(key=f"move-time-{sid}-{(second + timedelta(days=1)).isoformat()}").value
    at.button(key=f"move-{sid}").click().run()
    moved = Scheduler(db).booking(booking.reference)
    assert (moved.reference, moved.sequence, moved.start) == (booking.reference, 1, target.slot.start)
    assert any(x.value.startswith(f"Visit {booking.reference} moved to {target.label}.") for x in at.success)

    at.button(key=f"cancel-{sid}").click().run()  # a customer need not give a reason
    gone = Scheduler(db).booking(booking.reference)
    assert (gone.status, gone.sequence, gone.cancel_reason) == ("cancelled", 2, "cancelled by the customer")
    assert f"Visit {booking.reference} is cancelled." in [x.value for x in at.success]
    assert [b.label for b in at.get("download_button")] == ["Remove from my calendar (.ics)"]
    assert at.date_input(key=f"book-day-{sid}").value == first  # and a new time can be booked


def test_a_day_without_free_times_says_so(db: Store) -> None:
    """A day inside the range with nothing free is named, with the nearest days that have times."""
    at, sid = line_visit_page(db)
    at = give_contact(at, sid)
    first = at.date_input(key=f"book-day-{sid}").value
    assert isinstance(first, date)
    day_two = first + timedelta(days=1)
    sched = Scheduler(db)
    for slot in sched.free_days("broadband-line", "berlin", days=3, urgency="normal"):
        if slot.day == day_two:
            for s in slot.slots:
                sched.book("broadband-line", "berlin", slot=s)
    at.date_input(key=f"book-day-{sid}").set_value(day_two).run()
    (warning,) = at.warning
    assert warning.value.startswith(f"There is no free time on {day_two:%a} {day_two:%Y-%m-%d}.")
    assert not [b for b in at.button if b.key == f"book-{sid}"]


def test_staff_without_the_agent_role_cannot_open_the_console(db: Store) -> None:
    """An author's navigation has no agent console, and a customer's neither."""
    with pytest.raises(ValueError, match="page 'agent' is not registered"):
        open_page(app(AUTHOR), "agent")
    with pytest.raises(ValueError, match="page 'agent' is not registered"):
        open_page(app(), "agent")
