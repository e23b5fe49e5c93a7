"""In a real browser: tier 2 claims, reads and closes an escalated case; a dispatcher moves a booked visit."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import sign_in, wait_for_app
from playwright.sync_api import Page, expect

from triage.records.cases import Queue
from triage.records.store import Store
from triage.visits import Scheduler

WIFI_ONLY = [
    *["all", "active", "no", "yes", "ok", "online", "not_fixed", "done", "ready", "ready", "not_fixed"],
    *["wired_ok", "ok", "not_fixed", "not_fixed"],
]  # tier 2
EVERY_DAY = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def go_to(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def choose(page: Page, label: str, option: str | re.Pattern[str]) -> None:
    """Pick an option of the selectbox labelled ``label``."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option).first.click()
    wait_for_app(page)


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """The page may use the clipboard, as a browser asked once would allow it."""
    return {**browser_context_args, "permissions": ["clipboard-read", "clipboard-write"]}


def test_tier2_claims_reads_and_closes_a_case(
    page: Page, app_url: str, app_db: str, screenshots: Path
) -> None:
    """Tier 2 finds the case by the reference the customer reads out (typed as heard), reads the hand-off,
    copies it with one button (the clipboard holds the Markdown), claims it and closes it with a code."""
    customer = unique("E2E-Q")
    store = Store(app_db)
    try:
        s = store.start_session("no-internet", customer_id=customer)
        for a in WIFI_ONLY:
            s.answer(a)
        (case,) = Queue(store).for_session(s.id)
    finally:
        store.dispose()

    page.set_viewport_size({"width": 1500, "height": 1700})
    sign_in(page, app_url, "tier2")
    go_to(page, "Escalation queue")
    assert case.reference is not None
    search = page.get_by_label("Reference, customer or session id", exact=True)
    search.fill(case.reference.lower().replace("-", " "))
    search.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("1 case", exact=True)).to_be_visible()
    choose(page, "Open a case", re.compile(re.escape(customer)))
    assert page.url.endswith(f"case={case.reference}")

    expect(page.get_by_role("heading", name=f"Case {case.reference} · home-networking")).to_be_visible()
    handoff = page.get_by_test_id("stVerticalBlock").filter(
        has=page.get_by_role("heading", name="Hand-off: No internet connection")
    )
    expect(handoff.last).to_contain_text(f"customer_id: {customer}")
    expect(handoff.last).to_contain_text("Steps tried")
    copy = page.get_by_role("button", name="Copy hand-off", exact=True)
    expect(copy).to_have_count(1)
    copy.click()
    expect(page.get_by_text("Copied: paste it into the ticket.")).to_be_visible()
    pasted = page.evaluate("navigator.clipboard.readText()")
    assert pasted.startswith("# Hand-off: No internet connection\n")
    assert f"- customer_id: {customer}" in pasted
    page.get_by_role("button", name="Claim", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text(f"You claimed case {case.reference}.")).to_be_visible()
    expect(page.get_by_text("Claimed by tier2.", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Claim", exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="Hand-off: No internet connection")).to_be_visible()
    expect(page.get_by_role("button", name="Close case")).to_be_visible()
    page.screenshot(path=str(screenshots / "queue.png"), full_page=True)

    page.get_by_label("Closure code (the fault actually found)").fill("wifi-channel-congestion")
    page.get_by_label("What fixed it").fill("moved to channel 1")
    page.get_by_role("button", name="Close case").click()
    wait_for_app(page)
    expect(
        page.get_by_text(f"Case {case.reference} closed with code wifi-channel-congestion.", exact=True)
    ).to_be_visible()
    expect(
        page.get_by_text("Closed with code wifi-channel-congestion. What fixed it: moved to channel 1")
    ).to_be_visible()


def test_dispatcher_reschedules_a_booking(page: Page, app_url: str, app_db: str) -> None:
    """The dispatcher filters by technician, opens the booking and moves it to another free slot."""
    token = uuid.uuid4().hex[:8]
    name, skill, region, customer = f"Tech {token}", f"skill-{token}", f"region-{token}", f"E2E-D-{token}"
    store = Store(app_db)
    try:
        sched = Scheduler(store)
        tech = sched.add_technician(name, [skill], [region], hours=EVERY_DAY, timezone="UTC")
        booked = sched.book(skill, region, urgency="urgent", customer_id=customer, address="Ring 1")
    finally:
        store.dispose()

    sign_in(page, app_url, "dispatcher")
    go_to(page, "Dispatch")
    choose(page, "Technician", name)
    expect(page.get_by_text("1 booking", exact=True)).to_be_visible()
    choose(page, "Open a booking", re.compile(re.escape(customer)))
    expect(page.get_by_role("heading", name=f"Visit {booked.reference}")).to_be_visible()
    expect(page.get_by_role("button", name="Download .ics")).to_be_visible()
    page.get_by_role("button", name="Move the visit").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(rf"^Visit {booked.reference} moved to "))).to_be_visible()

    store = Store(app_db)
    try:
        sched = Scheduler(store)
        live = sched.bookings(technician_id=tech.id, status="booked")
        assert [(b.rescheduled_from, b.customer_id, b.reference, b.sequence) for b in live] == [
            (booked.id, customer, booked.reference, 1)
        ]
        assert live[0].start != booked.start
        assert sched.booking(booked.id).status == "cancelled"
    finally:
        store.dispose()
