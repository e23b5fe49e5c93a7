"""The new step kinds and decisions of issue #10 on the agent console and the self-service page (AppTest).

The app runs on ``tests/data/steps`` (its trees, and its ``media/`` folder for pictures) with a remote-systems
registry made here: :func:`systems` is what ``TRIAGE_SYSTEMS`` names, plain functions that answer a line test
by the customer id (``C-ok`` a good line, ``C-down`` a tester that fails, anyone else a fault on the line).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from staff_accounts import with_account
from streamlit.testing.v1 import AppTest

from triage.desk import customers, outages
from triage.records.accounts import Identity
from triage.records.store import Store
from triage.ui.common import boot
from triage.visits import Scheduler
from triage.walk.scenarios import load_library
from triage.walk.systems import Systems

ROOT = Path(__file__).resolve().parents[2]
STEPS = ROOT / "tests" / "data" / "steps"
AGENT = Identity("agent", "Agent", ("agent",))
TREE = "box-steps"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# -- the provider's systems, as TRIAGE_SYSTEMS names them -------------------------------------------------


DOWN = {"C-down"}  # customers whose line tester is offline


def _line_test(facts: Mapping[str, Any]) -> str:
    customer = facts.get("customer_id")
    if customer in DOWN:
        raise ConnectionError("line tester offline")
    return "ok" if customer == "C-ok" else "fault"


REFRESHED: list[str] = []


def _refresh_box(facts: Mapping[str, Any]) -> str:
    REFRESHED.append(str(facts.get("customer_id")))
    return "sent"


def systems(store: Store) -> Systems:
    """The registry the app under test uses (``TRIAGE_SYSTEMS=test_ui_steps:systems``)."""
    return Systems({"line_test": _line_test, "refresh_box": _refresh_box})


# -- the app ------------------------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A fresh app database publishing the step trees, with the test's remote systems."""
    url = f"sqlite:///{tmp_path / 'ui.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-pass-1")
    monkeypatch.setenv("TRIAGE_TREES", str(STEPS))
    monkeypatch.setenv("TRIAGE_IMAGE_HOSTS", "img.example.com")
    monkeypatch.setenv("TRIAGE_SYSTEMS", f"{__name__}:systems")
    lib = load_library([STEPS])
    assert not lib.errors, lib.errors
    st = Store(url)
    st.sync(lib)
    boot.clear()
    REFRESHED.clear()
    DOWN.clear()
    DOWN.add("C-down")
    yield st
    st.dispose()
    boot.clear()


def app(identity: Identity | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    if identity is not None:
        at.session_state["identity"] = with_account(identity)
    at.query_params.update(query)
    return at.run()


def agent_page(sid: str) -> AppTest:
    """The agent console open on session ``sid``."""
    at = app(AGENT, s=sid)
    pages = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
    at._page_hash = pages["agent"]
    return at.run()


def customer_page(sid: str) -> AppTest:
    return app(s=sid)


def drawn(at: AppTest) -> list[tuple[str, str]]:
    """Every element of the page in order, as (type, value or label), containers opened."""
    out: list[tuple[str, str]] = []

    def walk(block: Any) -> None:
        for child in getattr(block, "children", {}).values():
            value = getattr(child, "label", None) or getattr(child, "value", "")
            out.append((child.type, str(value)))
            walk(child)

    walk(at.main)
    return out


def texts(at: AppTest) -> list[str]:
    return [value for _, value in drawn(at)]


def buttons(at: AppTest) -> dict[str, str]:
    """Button key -> label."""
    return {b.key: b.label for b in at.button}


def session(db: Store, mode: str, *answers: str, customer: str = "C-1") -> str:
    stored = db.start_session(TREE, mode=mode, customer_id=customer)
    for a in answers:
        stored.answer(a)
    return stored.id


# -- instruction, caution, pictures and links ---------------------------------------------------------------


def test_customer_reads_the_caution_first_then_the_step_its_pictures_and_links(db: Store) -> None:
    """The caution is a warning above the step text; pictures carry alt text; a link is a button; an
    instruction offers Done and (when authored) "I could not do this", never "did that fix it?"."""
    sid = session(db, "self_service", "unplug")
    at = customer_page(sid)
    order = drawn(at)
    caution = order.index(("warning", "Recordings in progress will stop."))
    step = order.index(("markdown", "### Unplug the box from the wall socket."))
    assert caution < step
    assert at.warning[0].proto.icon == ":material/warning:"
    shipped, remote = (img.proto.imgs[0] for img in at.get("image"))
    assert (shipped.alt, shipped.caption) == (
        "The back of the box with the power cable on the left",
        "The power cable",
    )
    assert remote.url == "https://img.example.com/box.png"
    assert remote.alt == "The front of the box"
    link = at.get("link_button")[0].proto
    assert (link.label, link.url) == ("The box manual", "https://example.com/box-manual")
    assert [b.label for b in at.button if b.key.startswith(f"ans-{sid}-unplug-")] == [
        "Done",
        "I could not do this",
    ]
    assert not any("fix" in t for t in texts(at))

    at.button(key=f"ans-{sid}-unplug-done").click().run()
    stored = db.load_session(sid)
    assert stored.view().node_id == "wait_box"
    assert stored.view().breadcrumb[-1].answer == "done"


def test_a_picture_from_a_host_nobody_allowed_shows_its_alt_text_instead(
    db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the host in TRIAGE_IMAGE_HOSTS the address is never loaded; the customer reads what it shows."""
    sid = session(db, "self_service", "unplug")
    monkeypatch.setenv("TRIAGE_IMAGE_HOSTS", "")
    at = customer_page(sid)
    assert [img.proto.imgs[0].alt for img in at.get("image")] == [
        "The back of the box with the power cable on the left"
    ]
    assert "Picture: The front of the box" in texts(at)


def test_agent_sees_the_caution_and_the_instruction_answers(db: Store) -> None:
    """The agent reads the caution before the script, and answers an instruction with Done / could not."""
    sid = session(db, "agent", "unplug")
    at = agent_page(sid)
    order = drawn(at)
    assert order.index(("warning", "Recordings in progress will stop.")) < order.index(
        ("markdown", "#### Unplug the box from the wall socket.")
    )
    assert len(at.get("image")) == 2
    assert [b.label for b in at.button if b.key.startswith(f"ans-{sid}-unplug-")] == [
        "Done",
        "I could not do this",
    ]
    assert f"tried-{sid}-unplug" not in buttons(at)  # an instruction is not a fix: nothing to "already try"
    at.button(key=f"ans-{sid}-unplug-could_not").click().run()
    assert db.load_session(sid).view().node_id == "end"


# -- waits --------------------------------------------------------------------------------------------------


def test_customer_waits_with_a_countdown_can_skip_it_and_answers_the_recheck(db: Store) -> None:
    """A countdown first (no answer buttons yet); skipping shows the re-check, "try 1 of 2", ready / not yet;
    "not yet" waits again (try 2 of 2)."""
    sid = session(db, "self_service", "wait")
    at = customer_page(sid)
    assert "### :material/hourglass_top: 10:00" in texts(at)
    assert not [k for k in buttons(at) if k.startswith(f"ans-{sid}-wait_box-")]
    skip = next(b for b in at.button if b.key.startswith(f"wait-skip-{sid}-wait_box-"))
    assert skip.label == "It is ready — skip the wait"
    skip.click().run()
    assert "**Is the light green now?**" in texts(at)
    assert "Try 1 of 2" in texts(at)
    assert [b.label for b in at.button if b.key.startswith(f"ans-{sid}-wait_box-")] == [
        "Yes, it is ready",
        "Not yet",
    ]
    at.button(key=f"ans-{sid}-wait_box-not_yet").click().run()
    assert "### :material/hourglass_top: 10:00" in texts(at)  # a new wait, a new countdown
    stored = db.load_session(sid)
    assert (stored.view().node_id, stored.view().try_number) == ("wait_box", 2)


def test_agent_sees_the_time_passed_and_answers_the_wait_at_once(db: Store) -> None:
    """The agent gets the re-check and its answers straight away, with how long ago the step was shown."""
    sid = session(db, "agent", "wait")
    at = agent_page(sid)
    assert any(t.startswith("Shown 0:0") and t.endswith(" ago (wait 10:00)") for t in texts(at))
    at.button(key=f"ans-{sid}-wait_box-ready").click().run()
    assert db.load_session(sid).view().node_id == "end"


# -- several choices ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["self_service", "agent"])
def test_a_multi_choice_step_takes_every_ticked_choice(db: Store, mode: str) -> None:
    """One checkbox per choice, labelled in words; Next stores the ticked ones as a list."""
    sid = session(db, mode, "lights")
    at = customer_page(sid) if mode == "self_service" else agent_page(sid)
    assert [c.label for c in at.checkbox] == ["Power", "Wi-Fi", "Signal"]
    at.checkbox(key=f"field-{sid}-lights-power").check()
    at.checkbox(key=f"field-{sid}-lights-signal").check()
    at.button(key=f"submit-{sid}-lights").click().run()
    stored = db.load_session(sid)
    assert stored.session.facts["lights"] == ["power", "signal"]
    assert stored.view().breadcrumb[-1].answer == "Power, Signal"


def test_a_multi_choice_step_with_nothing_ticked_says_an_answer_is_needed(db: Store) -> None:
    sid = session(db, "self_service", "lights")
    at = customer_page(sid)
    at.button(key=f"submit-{sid}-lights").click().run()
    assert at.error[0].value == "an answer is required"
    assert db.load_session(sid).view().node_id == "lights"


# -- remote checks and actions ------------------------------------------------------------------------------


def test_a_remote_check_answers_itself_and_the_customer_reads_the_result(db: Store) -> None:
    """On arrival the line test runs; its result moves the walk on and is told in words."""
    sid = session(db, "self_service", "line", customer="C-ok")
    at = customer_page(sid)
    assert "We checked this from our side: Line is fine" in texts(at)
    stored = db.load_session(sid)
    assert (stored.view().node_id, stored.session.facts["line"]) == ("end", "ok")


def test_a_failed_remote_check_moves_the_customer_on_without_it(db: Store) -> None:
    """The tester is down: the customer is not asked for a line test result; the walk goes on_unavailable."""
    sid = session(db, "self_service", "line", customer="C-down")
    at = customer_page(sid)
    assert "We could not check this from our side, so we go on without it." in texts(at)
    assert not any("offline" in t for t in texts(at))  # the failure's detail is for staff
    stored = db.load_session(sid)
    assert stored.decision is not None
    assert stored.decision.node_id == "diagnosis"


def test_agent_sees_a_failed_check_and_picks_the_result_by_hand(db: Store) -> None:
    """The agent reads why the check failed and gets its results as buttons; a pick answers the step."""
    sid = session(db, "agent", "line", customer="C-down")
    at = agent_page(sid)
    assert (
        "Line test gave no result (ConnectionError: line tester offline). Pick the result by hand."
        in texts(at)
    )
    labels = [b.label for b in at.button if b.key.startswith(f"ans-{sid}-line-")]
    assert labels == ["Line is fine", "Fault on the line", "No result"]
    at.button(key=f"ans-{sid}-line-fault").click().run()
    stored = db.load_session(sid)
    assert stored.decision is not None
    assert stored.decision.node_id == "tier2"


def test_agent_tries_a_failed_check_again(db: Store) -> None:
    """ "Try again" runs the check once more: the tester is back, the result answers the step."""
    sid = session(db, "agent", "line", customer="C-down")
    at = agent_page(sid)
    retry = next(b for b in at.button if b.key.startswith(f"retry-remote-{sid}-line-"))
    assert retry.label == "Try again"
    DOWN.clear()
    retry.click().run()
    assert "Line test: Fault on the line" in texts(at)
    assert db.load_session(sid).session.facts["line"] == "fault"


def test_agent_sees_a_remote_check_result(db: Store) -> None:
    sid = session(db, "agent", "line", customer="C-9")
    at = agent_page(sid)
    assert "Line test: Fault on the line" in texts(at)
    assert db.load_session(sid).decision is not None


def test_a_remote_action_runs_once_and_the_customer_is_told(db: Store) -> None:
    """A ``performer: system`` step sends its signal on arrival, once however often the page is drawn."""
    sid = session(db, "self_service", "refresh", customer="C-5")
    at = customer_page(sid)
    assert "We sent a refresh signal to your box." in texts(at)
    at.run()
    assert REFRESHED == ["C-5"]
    assert [b.label for b in at.button if b.key.startswith(f"ans-{sid}-refresh-")] == ["Done"]
    assert any("refresh_box" in n for n in db.load_session(sid).session.notes)


# -- decisions ----------------------------------------------------------------------------------------------


def decided(db: Store, mode: str, end: str, **facts: Any) -> str:
    """A session that ended at the outcome ``end`` (a new customer each time: no repeat contacts)."""
    stored = db.start_session(TREE, mode=mode, customer_id=f"C-{mode}-{end}", facts=facts or None)
    stored.answer("end")
    stored.answer(end)
    return stored.id


def test_customer_resolved_with_a_follow_up_hears_when_we_check_again(db: Store) -> None:
    at = customer_page(decided(db, "self_service", "resolved"))
    assert at.success[0].value == "**Great, that fixed it!** The picture is back."
    assert at.info[0].value.startswith("We will check with you again on ")
    assert not any("Ask whether" in t for t in texts(at))  # what staff ask at the follow-up is theirs


def test_agent_resolved_with_a_follow_up_sees_what_to_ask(db: Store) -> None:
    at = agent_page(decided(db, "agent", "resolved"))
    assert at.success[0].value == "**Decision: Resolved** — Decided by: the guide's own outcome"
    assert "At the follow-up: Ask whether the picture stayed." in texts(at)


@pytest.mark.parametrize("mode", ["self_service", "agent"])
def test_a_part_shipment_lists_the_parts_and_asks_for_the_address(db: Store, mode: str) -> None:
    sid = decided(db, mode, "ship")
    if mode == "agent":
        at = agent_page(sid)
        assert "- 2 × `remote-rc5`" in texts(at)
        assert at.text_area(
            key=next(k.key for k in at.text_area if k.key.startswith(f"ship-address-{sid}-"))
        ).label == ("Shipping address")
        assert at.info[0].value == "**Decision: Part shipment** — Decided by: the guide's own outcome"
        return
    at = customer_page(sid)
    assert "Your replacement part" in texts(at)
    assert "- 2 × `remote-rc5`" not in texts(at)  # first who and where: the parcel needs an address
    assert "**Your contact and address**" in texts(at)
    customers.save_contact(
        db, sid, name="Ada", phone="+49 30 1234567", consent=True, locale="en",
        address="Ring 1", postcode="10115", city="Berlin", need_address=True,
    )  # fmt: skip
    at.run()
    assert "- 2 × `remote-rc5`" in texts(at)
    assert any("Ring 1" in t for t in texts(at))  # the address the customer gave is the parcel's


@pytest.mark.parametrize("mode", ["self_service", "agent"])
def test_a_send_in_repair_gives_the_rma_and_packing(db: Store, mode: str) -> None:
    sid = decided(db, mode, "repair")
    if mode == "self_service":  # a send-in repair needs the customer's contact and address first
        customers.save_contact(
            db, sid, name="Ada", email="ada@example.com", consent=True, locale="en",
            address="Ring 1", postcode="10115", city="Berlin", need_address=True,
        )  # fmt: skip
    at = customer_page(sid) if mode == "self_service" else agent_page(sid)
    rma = f"RMA-{sid[:10].upper()}"
    assert f"Your repair reference: `{rma}`. Write it on the parcel." in texts(at)
    assert "**How to pack:** Pack it in its original box." in texts(at)
    depot = [t for t in texts(at) if "depot-north" in t and t.startswith("Repair centre")]
    assert bool(depot) is (mode == "agent")  # the depot is for staff


def test_customer_diagnosis_says_what_to_do_next(db: Store) -> None:
    at = customer_page(decided(db, "self_service", "diagnosis"))
    assert at.info[0].value == "Your TV's input is set wrong."
    assert at.subheader[0].value == "What happens next"
    assert "Press the input button on the TV remote until the picture shows." in texts(at)
    assert not any("HDMI 2" in t for t in texts(at))  # the finding is written for staff


def test_agent_diagnosis_shows_the_finding_and_the_customers_next_step(db: Store) -> None:
    at = agent_page(decided(db, "agent", "diagnosis"))
    assert at.info[0].value == "**Decision: Diagnosis** — Decided by: the guide's own outcome"
    assert "**Finding:** TV input on HDMI 2 instead of HDMI 1." in texts(at)
    assert (
        "**Customer's next step:** Press the input button on the TV remote until the picture shows."
        in texts(at)
    )


@pytest.mark.parametrize("mode", ["self_service", "agent"])
def test_a_handover_continues_with_the_other_guide_and_carries_the_facts(db: Store, mode: str) -> None:
    """ "Continue with <guide>" opens a session on the target tree, same mode, with the carried facts; both
    sessions name each other in a note; a second click opens the same session."""
    stored = db.start_session(TREE, mode=mode, customer_id=f"C-{mode}", facts={"region": "north"})
    stored.answer("lights")
    stored.answer(["wi-fi"])
    stored.answer("handover")
    sid = stored.id
    at = customer_page(sid) if mode == "self_service" else agent_page(sid)
    assert buttons(at)[f"continue-{sid}"] == "Continue with Box Wi-Fi drops"
    at.button(key=f"continue-{sid}").click().run()
    new_id = at.query_params["s"]
    assert isinstance(new_id, str)
    assert new_id != sid
    new = db.load_session(new_id)
    assert (new.session.tree_id, new.session.mode.value) == ("box-wifi", mode)
    facts = {k: v for k, v in new.session.facts.items() if k not in ("mode", "locale")}
    # `carry` names lights; who the customer is and where always come along (box-wifi has no service: no outage)
    assert facts == {"lights": ["wi-fi"], "customer_id": f"C-{mode}", "region": "north"}
    assert new.session.notes == [
        f"Continued from session {sid} (tree box-steps), which handed over to this guide."
    ]
    assert db.load_session(sid).session.notes == [f"Continued in session {new_id} (tree box-wifi)."]
    marker = (
        "### Is the box near the router?" if mode == "self_service" else "#### Is the box near the router?"
    )
    assert marker in texts(at)
    again = customer_page(sid) if mode == "self_service" else agent_page(sid)
    again.button(key=f"continue-{sid}").click().run()
    assert again.query_params["s"] == new_id


def test_customer_in_an_outage_area_is_told_and_offered_a_notice_not_a_visit(db: Store) -> None:
    outages.declare(db, "north", "tv", who="ops", message={"en": "A cable was cut in North; we are on it."})
    at = customer_page(decided(db, "self_service", "visit", region="north", outage_in_area=True))
    assert at.info[0].value.startswith("There is a known outage in your area")
    assert "A cable was cut in North; we are on it." in texts(at)
    assert "Tell me when it's fixed" in texts(at)
    assert not any(k.startswith("book-") for k in buttons(at))


def test_agent_books_a_visit_in_an_outage_area_only_with_a_reason(db: Store) -> None:
    """The agent sees the outage, and the booking asks why; without a reason the booking is refused."""
    outages.declare(db, "berlin", "tv", who="ops", message={"en": "A cable was cut in Berlin."})
    Scheduler(db).add_technician(
        "Ana Lima", ["tv-tech"], ["berlin"], hours={d: ["08:00", "16:00"] for d in DAYS}
    )
    sid = decided(db, "agent", "visit", region="berlin", outage_in_area=True)
    at = agent_page(sid)
    assert "A cable was cut in Berlin." in texts(at)
    # the booking asks for the customer's contact and address first; the region comes from the postcode
    for field, value in (("name", "Jana Weiß"), ("phone", "+49 30 1234567"), ("address", "Ring 1")):
        at.text_input(key=f"contact-agent-{sid}-{field}").input(value)
    at.text_input(key=f"contact-agent-{sid}-postcode").input("10115")
    at.text_input(key=f"contact-agent-{sid}-city").input("Berlin")
    at = next(b for b in at.button if b.label == "Save contact" and "agent" in str(b.form_id)).click().run()
    assert (
        "A declared outage covers this area: a technician cannot fix it. Book only with a reason."
        in texts(at)
    )
    at.button(key=f"book-{sid}").click().run()
    assert at.error
    assert not Scheduler(db).bookings(session_id=sid)
    at.text_input(key=f"override-{sid}").input("customer's line is on another cabinet").run()
    at.button(key=f"book-{sid}").click().run()
    booking = Scheduler(db).bookings(session_id=sid)[0]
    assert booking.skill == "tv-tech"
