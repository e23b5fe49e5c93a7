"""The contact form in self-service, the safety stop's one message, and the agents' contact panel (AppTest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from staff_accounts import with_account
from streamlit.testing.v1 import AppTest

from triage.desk import customers
from triage.desk import fulfilment as ful
from triage.records.accounts import Identity
from triage.records.store import Store
from triage.trees.library import Library
from triage.trees.markdown import escape
from triage.ui.common import boot

ROOT = Path(__file__).resolve().parents[2]
AGENT = Identity("agent", "Agent", ("agent",))


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped_lib: Library) -> Iterator[Store]:
    """A fresh app database with the shipped trees published, used by the app under test."""
    url = f"sqlite:///{tmp_path / 'ui.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-pass-1")
    st = Store(url)
    st.sync(shipped_lib)
    boot.clear()
    yield st
    st.dispose()
    boot.clear()


def customer_page(sid: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["s"] = sid
    return at.run()


def texts(at: AppTest) -> list[str]:
    kinds = ("markdown", "caption", "subheader", "info", "warning", "error", "success", "code")
    return [str(el.value) for kind in kinds for el in at.get(kind)] + [b.label for b in at.button]


def fill(at: AppTest, sid: str, who: str = "customer", **values: str) -> None:
    for field, value in values.items():
        at.text_input(key=f"contact-{who}-{sid}-{field}").input(value)


def submit(at: AppTest) -> AppTest:
    [button] = [b for b in at.get("button") if b.proto.is_form_submitter]
    button.click()  # type: ignore[attr-defined]
    return at.run()


def test_an_escalated_customer_leaves_a_contact_and_nothing_typed_is_lost(db: Store) -> None:
    """Without consent the form says so and keeps every field; with it, the call is promised with the reference."""
    stored = db.start_session("no-internet", mode="self_service")
    stored.answer("all")
    stored.escalate_now()
    sid = stored.id
    at = customer_page(sid)
    assert "**How can we reach you?**" in texts(at)
    assert not at.text_input(key=f"contact-customer-{sid}-name").value
    assert [k for k in ("address", "postcode") if f"contact-customer-{sid}-{k}" in at.session_state] == []
    fill(at, sid, name="Ana Lopez", phone="+49 30 1234567")
    at = submit(at)
    assert at.error[0].value == (
        "Please tick the box to agree that we may contact you; without it we cannot keep your details."
    )
    assert at.text_input(key=f"contact-customer-{sid}-name").value == "Ana Lopez"
    assert at.text_input(key=f"contact-customer-{sid}-phone").value == "+49 30 1234567"
    assert customers.contact_for(db, sid) is None
    at.checkbox(key=f"contact-customer-{sid}-consent").check()
    at = submit(at)
    saved = customers.contact_for(db, sid)
    assert saved is not None
    assert (saved.name, saved.phone, saved.updated_by) == ("Ana Lopez", "+49 30 1234567", None)
    reference = db.load_session(sid).reference
    assert (
        at.success[0].value == f"We will call you at {escape('+49 30 1234567')}. Your reference: {reference}."
    )
    assert (
        "A member of our team will contact you and continue from where you stopped. You will not have to repeat anything."
        in texts(at)
    )
    again = customer_page(sid)  # someone else holding the link sees the number masked, and no form
    assert (
        again.success[0].value
        == f"We will call you at {escape('+49 ••••••567')}. Your reference: {reference}."
    )
    assert "Ana Lopez" not in " ".join(texts(again))


def test_the_customer_changes_their_details_in_the_same_tab(db: Store) -> None:
    """ "Change my details" brings the form back filled in; saving an e-mail instead is confirmed as such."""
    stored = db.start_session("no-internet", mode="self_service")
    stored.escalate_now()
    sid = stored.id
    at = customer_page(sid)
    fill(at, sid, name="Ana Lopez", phone="+49 30 1234567")
    at.checkbox(key=f"contact-customer-{sid}-consent").check()
    at = submit(at)
    at.button(key=f"contact-change-{sid}").click().run()
    assert at.text_input(key=f"contact-customer-{sid}-name").value == "Ana Lopez"
    fill(at, sid, phone="", email="ana@example.com")
    assert at.checkbox(key=f"contact-customer-{sid}-consent").value  # agreed already, in this tab
    at = submit(at)
    assert at.success[0].value.startswith(f"We will write to {escape('ana@example.com')}.")


def _safety_session(db: Store) -> str:
    """A self-service walk of no-internet to its safety stop (burning smell at the router: a new router is sent)."""
    stored = db.start_session("no-internet", mode="self_service")
    for answer in ("all", "active", "yes"):
        stored.answer(answer)
    decision = stored.decision
    assert decision is not None
    assert decision.rule == "safety"
    return stored.id


def test_the_safety_stop_says_stop_once_asks_for_a_phone_and_offers_no_booking(db: Store) -> None:
    """One stop message, no 'specialist will contact you', a phone number required, then the call promised."""
    sid = _safety_session(db)
    at = customer_page(sid)
    [stop] = at.error
    assert stop.value.startswith("**Stop now, for your safety.** Please unplug the router at the wall now")
    page = " ".join(texts(at))
    assert page.count("unplug the router at the wall") == 1
    assert "specialist" not in page
    # the policy's general warning is said once, in other words
    assert "switch the device off at the wall" not in page
    assert f"book-{sid}" not in [b.key for b in at.button]
    assert [t.key for t in at.text_input if t.key.startswith("region-")] == []
    fill(
        at,
        sid,
        name="Ana Lopez",
        email="ana@example.com",
        address="Hauptstr. 1",
        postcode="10115",
        city="Berlin",
    )
    at.checkbox(key=f"contact-customer-{sid}-consent").check()
    at = submit(at)
    assert at.error[-1].value == "Please give a phone number: for your safety we call you back urgently."
    fill(at, sid, phone="+49 30 1234567")
    at = submit(at)
    reference = db.load_session(sid).reference
    assert (
        at.success[0].value
        == f"We will call you urgently at {escape('+49 30 1234567')}. Your reference: {reference}."
    )
    shipment = ful.session_fulfilment(db, sid).shipment
    assert shipment is not None
    assert shipment.address == "Hauptstr. 1\n10115 Berlin"
    assert " ".join(texts(at)).count("unplug the router at the wall") == 1


def test_a_visit_asks_the_address_first_and_refuses_a_postcode_we_do_not_serve(db: Store) -> None:
    """Before the slots: name, phone and an address whose postcode the table knows."""
    stored = db.start_session("laptop-not-charging", mode="self_service")
    stored.answer("swollen")  # a swollen battery must not go in the post: a technician comes, urgently
    decision = stored.decision
    assert decision is not None
    assert (decision.kind.value, decision.rule) == ("visit", "safety")
    sid = stored.id
    at = customer_page(sid)
    assert "**Your contact and address**" in texts(at)
    assert f"book-{sid}" not in [b.key for b in at.button]
    fill(at, sid, name="Ana Lopez", phone="+49 30 1234567", address="Hauptstr. 1", postcode="99999")
    at.checkbox(key=f"contact-customer-{sid}-consent").check()
    at = submit(at)
    assert at.error[-1].value.startswith("We do not visit or deliver to postcode 99999 yet")
    assert at.text_input(key=f"contact-customer-{sid}-address").value == "Hauptstr. 1"
    fill(at, sid, postcode="80331")
    at = submit(at)
    saved = customers.contact_for(db, sid)
    assert saved is not None
    assert saved.region == "munich"
    assert at.success[0].value.startswith(f"We will call you urgently at {escape('+49 30 1234567')}.")


def _panel_page() -> None:
    import streamlit as st

    from triage.ui.common import store
    from triage.ui.contact_panel import contact_panel

    stored = store().load_session(str(st.query_params["s"]))
    contact_panel(stored, editor="agent")


def test_an_agent_sees_and_edits_the_contact_and_is_recorded(db: Store) -> None:
    """The panel shows what the customer gave; an agent's edit needs no consent and names them."""
    stored = db.start_session("no-internet", mode="self_service")
    customers.save_contact(db, stored.id, name="Ana Lopez", phone="+49 30 1234567", consent=True, locale="en")
    sid = stored.id
    at = AppTest.from_function(_panel_page, default_timeout=30)
    at.session_state["identity"] = with_account(AGENT)
    at.query_params["s"] = sid
    at.run()
    assert f"**Ana Lopez**  \n:material/call: {escape('+49 30 1234567')}" in texts(at)
    assert [c for c in at.get("checkbox")] == []  # no consent box for staff
    fill(at, sid, who="panel", address="Leopoldstr. 5", postcode="80802", city="München")
    at = submit(at)
    saved = customers.contact_for(db, sid)
    assert saved is not None
    assert (saved.address, saved.region, saved.updated_by) == ("Leopoldstr. 5", "munich", "agent")
    assert "Region (from the postcode): munich" in texts(at)
    assert any(t.endswith("Last changed by agent.") for t in texts(at))
    fill(at, sid, who="panel", phone="12")
    at = submit(at)
    assert at.error[0].value.startswith("“12” is not a phone number we can call.")
    assert at.text_input(key=f"contact-panel-{sid}-phone").value == "12"


def test_a_signed_out_agent_saves_nothing(db: Store) -> None:
    """The click re-reads who is signed in: nobody, nothing saved, and the form says why."""
    stored = db.start_session("no-internet", mode="self_service")
    sid = stored.id
    at = AppTest.from_function(_panel_page, default_timeout=30)
    at.query_params["s"] = sid
    at.run()
    fill(at, sid, who="panel", name="Ana Lopez", phone="+49 30 1234567")
    at = submit(at)
    assert at.error[0].value == "You may no longer edit contacts; sign in again."
    assert customers.contact_for(db, sid) is None


def test_the_agent_console_holds_the_panel_and_the_booking_form_together(db: Store) -> None:
    """At an agent's visit decision the booking's contact form and the side panel both draw, without a key clash."""
    stored = db.start_session("laptop-not-charging", mode="agent")
    stored.answer("swollen")
    sid = stored.id
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = with_account(AGENT)
    at.run()
    pages = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
    at._page_hash = pages["agent"]
    at.query_params["s"] = sid
    at.run()
    assert not at.exception
    keys = {t.key for t in at.text_input}
    assert {f"contact-agent-{sid}-name", f"contact-panel-{sid}-name"} <= keys
    fill(at, sid, who="panel", name="Ana Lopez", phone="+49 30 1234567")
    [panel_save] = [
        b
        for b in at.get("button")
        if b.proto.is_form_submitter and b.label == "Save contact" and "panel" in b.proto.form_id
    ]
    panel_save.click()  # type: ignore[attr-defined]
    at.run()
    saved = customers.contact_for(db, sid)
    assert saved is not None
    assert (saved.name, saved.updated_by) == ("Ana Lopez", "agent")
