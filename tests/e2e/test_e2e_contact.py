"""In a real browser on a phone: a customer who asks for a person leaves a contact staff can read; a safety stop
says stop once, asks for the number and promises the call, with no booking form. Screenshots at phone and
desktop sizes go to the ``screenshots`` folder."""

from __future__ import annotations

from pathlib import Path

from e2e_helpers import click, fill, rerun, screenshot, session_id, wait_for_app
from playwright.sync_api import Page, expect

from triage.desk import customers
from triage.desk import fulfilment as ful
from triage.records.store import Store

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
FIRST = "Is the internet down on every device (phones on Wi-Fi, laptops, TV)?"
LIGHTS = "Look at the router. Is any light on?"
SMELL = "Before you touch anything: is the router or its power adapter very hot, or is there a burning smell?"
CONSENT = "You may contact me about this problem with these details."
STOP = "Stop now, for your safety."


def _start(page: Page, app_url: str, size: dict[str, int]) -> str:
    page.set_viewport_size(size)
    page.goto(app_url)
    wait_for_app(page)
    fill(page, "What's the problem?", "internet")
    click(page, "No internet connection", then=FIRST)
    return session_id(page)


def _type(page: Page, label: str, text: str) -> None:
    """Type into a field of the contact form (a form sends nothing until its button)."""
    page.get_by_label(label, exact=True).fill(text)


def _send(page: Page) -> None:
    rerun(page, page.get_by_role("button", name="Send my details", exact=True).click)


def _contact(app_db: str, sid: str) -> customers.ContactView | None:
    st = Store(app_db)
    try:
        return customers.contact_for(st, sid)
    finally:
        st.dispose()


def test_an_escalated_customer_leaves_a_contact_staff_can_read(
    page: Page, app_url: str, app_db: str, screenshots: Path
) -> None:
    """Get me a person: the form; a refusal keeps what was typed; the call is promised; the desk reads it."""
    sid = _start(page, app_url, PHONE)
    # no account status for an anonymous customer: the walk goes on past the account check by itself
    click(page, "Yes, every device", then=SMELL)
    click(page, "No", then=LIGHTS)
    click(page, "This did not help — get me a person", then="How can we reach you?")
    _type(page, "Your name", "Ana Lopez")
    _type(page, "Phone number", "+49 30 1234567")
    _send(page)
    expect(page.get_by_text("Please tick the box to agree that we may contact you")).to_be_visible()
    expect(page.get_by_label("Your name", exact=True)).to_have_value("Ana Lopez")
    expect(page.get_by_label("Phone number", exact=True)).to_have_value("+49 30 1234567")
    assert _contact(app_db, sid) is None
    page.get_by_text(CONSENT).click()
    _send(page)
    expect(page.get_by_text("We will call you at +49 30 1234567. Your reference:")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, screenshots / "contact-escalation-phone.png", height=1400)
    saved = _contact(app_db, sid)
    assert saved is not None
    assert (saved.name, saved.phone, saved.email, saved.updated_by) == (
        "Ana Lopez",
        "+49 30 1234567",
        None,
        None,
    )


def test_the_safety_stop_on_a_phone(page: Page, app_url: str, app_db: str, screenshots: Path) -> None:
    """Burning smell at the router: stop once, the number asked for right there, the call promised, no booking."""
    sid = _start(page, app_url, PHONE)
    click(page, "Yes, every device", then=SMELL)  # the account check goes by itself (no status)
    click(page, "Yes", then=STOP)
    stop = page.get_by_test_id("stAlertContentError").first
    expect(stop).to_contain_text(
        "Please unplug the router at the wall now, if you can reach the plug safely, and do not use it."
    )
    expect(page.get_by_text("A specialist will contact you")).to_have_count(0)
    expect(page.get_by_text("unplug the router at the wall", exact=False)).to_have_count(1)
    expect(page.get_by_role("button", name="Book", exact=True)).to_have_count(0)
    expect(
        page.get_by_text("Give us your phone number", exact=False).or_(
            page.get_by_text("Your contact and address")
        )
    ).not_to_have_count(0)
    screenshot(page, screenshots / "safety-stop-form-phone.png", height=1800)
    _type(page, "Your name", "Ana Lopez")
    _type(page, "E-mail address", "ana@example.com")
    _type(page, "Street and house number", "Hauptstr. 1")
    _type(page, "Postcode", "10115")
    _type(page, "Town", "Berlin")
    page.get_by_text("You may contact me about this problem with these details and use my address").click()
    _send(page)
    expect(
        page.get_by_text("Please give a phone number: for your safety we call you back urgently.")
    ).to_be_visible()
    expect(page.get_by_label("Street and house number", exact=True)).to_have_value("Hauptstr. 1")
    _type(page, "Phone number", "+49 30 1234567")
    _send(page)
    expect(page.get_by_text("We will call you urgently at +49 30 1234567. Your reference:")).to_be_visible()
    expect(page.get_by_text("unplug the router at the wall", exact=False)).to_have_count(1)
    expect(page.get_by_role("button", name="Book", exact=True)).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, screenshots / "safety-stop-phone.png", height=1800)
    st = Store(app_db)
    try:
        saved = customers.contact_for(st, sid)
        shipment = ful.session_fulfilment(st, sid).shipment
    finally:
        st.dispose()
    assert saved is not None
    assert (saved.phone, saved.region) == ("+49 30 1234567", "berlin")
    assert shipment is not None
    assert shipment.address == "Hauptstr. 1\n10115 Berlin"
    page.set_viewport_size(DESKTOP)
    wait_for_app(page)
    screenshot(page, screenshots / "safety-stop-desktop.png", height=1400)
