"""In a real browser: a customer walks to a home visit on a phone, gives contact and address, picks a day other
than the first and a time, books and sees the visit's reference; a dispatcher sees name, phone and address and
moves the visit to another day; the customer's page keeps the reference and the calendar file moves the same
event (same UID, SEQUENCE:1). Screenshots go to the ``screenshots`` folder."""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path

from e2e_helpers import (
    READY,
    click,
    fill,
    go_to,
    rerun,
    screenshot,
    session_id,
    sign_in,
    skip_wait,
    wait_for_app,
)
from playwright.sync_api import Browser, Locator, Page, expect

from triage.records.store import Store
from triage.visits import Scheduler

PHONE = {"width": 390, "height": 844}
TALL = {"width": 1280, "height": 1600}
EVERY_DAY = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
FIRST = "Is the internet down on every device (phones on Wi-Fi, laptops, TV)?"
LIGHTS = "Look at the router. Is any light on?"
DSL = "What colour is the DSL / fibre (broadband) light?"
SMELL = "Is the router very hot, or is there a burning smell?"
UNPLUG = "Unplug the router's power cable (at the back of the router, not at the wall)."
DRAIN = "Leave the router (and the modem or fibre box, if you have one) unplugged for 30 seconds."
LIGHTS_OFF = "Are all the lights on the router off now?"
PLUG_IN = re.compile(r"^If you have a separate modem or fibre box, plug it in first")
SETTLED = re.compile(r"^Are the router's lights steady now")
TRY_AGAIN = "Now try the internet again on the device that had the problem."
CABLES = re.compile(r"^Check the grey/white line cable from the wall socket")
LINE_FAULT = (
    "We could not bring the line back remotely. A technician will visit to test the line and the wall socket."
)
NAME, PHONE_NUMBER, STREET, POSTCODE, TOWN = "Jana Weiß", "+49 30 1234567", "Ring 1, Hof", "10115", "Berlin"


def walk_to_a_line_visit(page: Page, app_url: str) -> str:
    """A customer on a phone: red line light, a router restart and the cables do not help; the line test gives
    no result (no status for an anonymous customer), so the tree decides a line visit. The session id."""
    page.set_viewport_size(PHONE)
    page.goto(app_url)
    wait_for_app(page)
    fill(page, "What's the problem?", "internet")
    click(page, "No internet connection", then=FIRST)
    click(page, "Yes, every device", then=LIGHTS)
    click(page, "Yes", then=SMELL)
    click(page, "No", then=DSL)
    rerun(page, page.get_by_text("Red", exact=True).click)
    click(page, "Next", then=UNPLUG)
    click(page, "Done", then=DRAIN)
    skip_wait(page, LIGHTS_OFF)
    click(page, READY, then=PLUG_IN)
    skip_wait(page, SETTLED)
    click(page, READY, then=TRY_AGAIN)
    click(page, "No", then=CABLES)
    click(page, "No", then=LINE_FAULT)
    return session_id(page)


def give_contact_and_address(page: Page) -> None:
    for label, value in (
        ("Your name", NAME),
        ("Phone number", PHONE_NUMBER),
        ("Street and house number", STREET),
        ("Postcode", POSTCODE),
        ("Town", TOWN),
    ):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_text(
        re.compile(r"^You may contact me about this problem with these details and use my address")
    ).click()
    click(page, "Send my details", then="Day of the visit")


def day_box(page: Page, label: str) -> Locator:
    """The date picker labelled ``label``."""
    return page.get_by_test_id("stDateInput").filter(has_text=label)


def shown_day(page: Page, label: str) -> date:
    return date.fromisoformat(day_box(page, label).locator("input[type=date]").input_value())


def pick_day(page: Page, label: str, day: date) -> None:
    """Open the calendar of the date picker labelled ``label`` and click ``day`` (turning to its month)."""
    day_box(page, label).get_by_test_id("stDateInputCalendarButton").click()
    cell = page.get_by_role("button", name=re.compile(rf"\b{day:%B} {day.day}, {day.year}\b"))
    if cell.count() == 0:
        page.get_by_role("button", name="Next", exact=True).click()
    rerun(page, cell.first.click)
    assert shown_day(page, label) == day


def ics_of(page: Page, button: str) -> str:
    with page.expect_download() as download:
        page.get_by_role("button", name=button, exact=True).click()
    return Path(download.value.path()).read_bytes().decode("utf-8").replace("\r\n ", "")


def test_customer_books_a_later_day_and_a_dispatcher_moves_it_keeping_the_reference(
    page: Page, browser: Browser, app_url: str, app_db: str, screenshots: Path
) -> None:
    """Book on the second free day; dispatch shows the contact and moves the visit; same reference and UID."""
    tech = f"Tech {uuid.uuid4().hex[:8]}"
    store = Store(app_db)
    try:
        Scheduler(store).add_technician(tech, ["broadband-line"], ["berlin"], hours=EVERY_DAY, timezone="UTC")
    finally:
        store.dispose()
    sid = walk_to_a_line_visit(page, app_url)
    give_contact_and_address(page)
    first = shown_day(page, "Day of the visit")
    second = date.fromordinal(first.toordinal() + 1)
    pick_day(page, "Day of the visit", second)
    expect(page.get_by_text(f"Free times on {second:%a} {second:%Y-%m-%d}")).to_be_visible()
    screenshot(page, screenshots / "booking-days-phone.png", height=PHONE["height"])
    page.get_by_test_id("stRadio").get_by_text(re.compile(rf"· {tech}$")).first.click()
    wait_for_app(page)
    click(page, "Book this time", then=re.compile(r"^Visit booked: "))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    store = Store(app_db)
    try:
        (booking,) = Scheduler(store).bookings(session_id=sid)
    finally:
        store.dispose()
    ref = booking.reference
    assert booking.start.date() == second
    assert (booking.contact_name, booking.address) == (NAME, f"{STREET}, {POSTCODE} {TOWN}")
    expect(page.get_by_text(re.compile(rf"^Visit reference: {ref} "))).to_be_visible()
    screenshot(page, screenshots / "booking-booked-phone.png", height=PHONE["height"])
    first_ics = ics_of(page, "Add to my calendar (.ics)")
    assert (f"UID:{ref}@triage\r\n" in first_ics, "SEQUENCE:0\r\n" in first_ics) == (True, True)

    context = browser.new_context(viewport=TALL)  # the day list opens below the picker: room for it
    try:
        staff = context.new_page()
        sign_in(staff, app_url, "dispatcher")
        go_to(staff, "Dispatch")
        expect(staff.get_by_text(re.compile(rf"{second:%Y-%m-%d} · \d+ visits?$"))).to_be_visible()
        staff.get_by_test_id("stSelectbox").filter(has_text="Open a booking").click()
        rerun(staff, staff.get_by_role("option", name=re.compile(re.escape(ref))).first.click)
        expect(staff.get_by_role("heading", name=f"Visit {ref}")).to_be_visible()
        details = staff.get_by_test_id("stMarkdownContainer").filter(has_text="Phone / e-mail:")
        expect(details).to_contain_text(f"Customer: {NAME}")
        expect(details).to_contain_text(f"Phone / e-mail: {PHONE_NUMBER}")
        expect(details).to_contain_text(f"Address: {STREET}, {POSTCODE} {TOWN}")
        later = date.fromordinal(second.toordinal() + 2)
        new_day = staff.get_by_test_id("stSelectbox").filter(has_text="New day")
        new_day.get_by_role("combobox").click()
        rerun(staff, staff.get_by_role("option", name=re.compile(rf"^{later:%a %Y-%m-%d} · ")).click)
        expect(new_day.get_by_role("combobox")).to_have_value(re.compile(rf"^{later:%a %Y-%m-%d} · "))
        screenshot(staff, screenshots / "dispatch-visit-desktop.png", height=1400)
        rerun(staff, staff.get_by_role("button", name="Move the visit").click)
        expect(staff.get_by_text(re.compile(rf"^Visit {ref} moved to "))).to_be_visible()
        dispatch_ics = ics_of(staff, "Download .ics")
        assert "LOCATION:Ring 1\\, Hof\\, 10115 Berlin\r\n" in dispatch_ics
        assert f"Phone: {PHONE_NUMBER}" in dispatch_ics
    finally:
        context.close()

    page.reload()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(rf"^Visit reference: {ref} "))).to_be_visible()
    moved_ics = ics_of(page, "Add to my calendar (.ics)")
    assert (f"UID:{ref}@triage\r\n" in moved_ics, "SEQUENCE:1\r\n" in moved_ics) == (True, True)
    assert "METHOD:REQUEST\r\n" in moved_ics
    assert f"DTSTART:{later:%Y%m%d}" in moved_ics
    assert PHONE_NUMBER not in moved_ics  # the customer's page offers a copy without phone and e-mail
