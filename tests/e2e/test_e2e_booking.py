"""In a real browser: a customer walks to a home visit on a phone (no-display: a desktop PC with nothing to
test the monitor with), gives contact and address, picks a day other
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
# no-internet books a line visit only after two remote line tests, and an anonymous customer has no remote
# status in this app (the checks are skipped), so the walk to a visit is no-display's "nothing to test with"
FIRST = "Is the computer itself on: is its power light lit, or can you hear the fans?"
KIND = "Is it a desktop PC with a separate monitor, or a laptop's own screen?"
MONITOR = "Look at the monitor's own power light and screen. What do you see?"
INPUTS = "Does the picture appear on one of the inputs?"
PICTURE = "Does the picture appear now?"
UNPLUG = re.compile(r"^Switch the computer off\. Pull out its power cable or charger")
HOLD = re.compile(r"^With nothing plugged in, press and hold the power button")
HELD = "Did you keep the button pressed until the countdown ended?"
GONE = "Is the original problem gone now?"
SWAP = re.compile(r"^If you have another computer, laptop or games console, connect it to this monitor")
PC_VISIT = re.compile(
    r"^We cannot yet tell whether the monitor or the computer is at fault\. A technician will visit"
)
NAME, PHONE_NUMBER, STREET, POSTCODE, TOWN = "Jana Weiß", "+49 30 1234567", "Ring 1, Hof", "10115", "Berlin"


def walk_to_a_visit(page: Page, app_url: str) -> str:
    """A customer on a phone: a desktop whose monitor says "No signal"; the inputs, the video cable and a
    power-drain reset do not help and there is nothing to test with, so the tree decides a technician's visit.
    The session id."""
    page.set_viewport_size(PHONE)
    page.goto(app_url)
    wait_for_app(page)
    fill(page, "What's the problem?", "black screen")
    click(page, "Computer on but no picture", then=FIRST)
    click(page, "Yes, it is on", then=KIND)
    click(page, "Desktop with a monitor", then=MONITOR)
    click(page, "A message such as 'No signal' or 'No input' appears", then=INPUTS)
    click(page, "No", then=PICTURE)
    click(page, "No", then=UNPLUG)
    click(page, "Done", then=HOLD)
    skip_wait(page, HELD)
    click(page, READY, then=GONE)
    click(page, "No", then=SWAP)
    click(page, "I have nothing to test with", then=PC_VISIT)
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
        Scheduler(store).add_technician(tech, ["pc-hardware"], ["berlin"], hours=EVERY_DAY, timezone="UTC")
    finally:
        store.dispose()
    sid = walk_to_a_visit(page, app_url)
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
