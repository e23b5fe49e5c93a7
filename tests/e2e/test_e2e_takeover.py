"""In a real browser: a customer asks for a person; an agent in another browser opens the session by the
reference the customer reads out, reads it (the case stays open), copies the hand-off with one button, and
only a confirmed "Take over" closes the case as handed over."""

from __future__ import annotations

import re
from pathlib import Path

from e2e_helpers import click, fill, fold_menu, open_console, screenshot, sign_in, wait_for_app
from playwright.sync_api import Browser, Page, expect

from triage.records.cases import Queue
from triage.records.store import Store

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
FIRST = "Is the internet down on every device (phones on Wi-Fi, laptops, TV)?"
SMELL = "Before you touch anything: is the router or its power adapter very hot, or is there a burning smell?"
LIGHTS = "Look at the router. Is any light on?"
OPEN_LABEL = "Open a session by its reference (like K7P-4QX), or paste the customer's link"
REFERENCE = re.compile(r"Your reference: ([0-9A-Z]{3}-[0-9A-Z]{3})")


def cases_of(app_db: str, sid: str) -> list[tuple[str, str | None]]:
    store = Store(app_db)
    try:
        return [(c.status, c.closure_code) for c in Queue(store).for_session(sid)]
    finally:
        store.dispose()


def customer_escalates(page: Page, app_url: str) -> tuple[str, str]:
    """On a phone: find "no internet", answer the first steps, ask for a person; the session id and the reference."""
    page.set_viewport_size(PHONE)
    page.goto(app_url)
    wait_for_app(page)
    fill(page, "What's the problem?", "internet")
    click(page, "No internet connection", then=FIRST)
    # no account status for an anonymous customer: the walk goes on past the account check by itself
    click(page, "Yes, every device", then=SMELL)
    click(page, "No", then=LIGHTS)
    click(page, "This did not help — get me a person", then="What happens next")
    found = REFERENCE.search(page.get_by_text(REFERENCE).first.inner_text())
    assert found is not None
    sid = page.url.split("s=")[1].split("&")[0]
    # the long id is in the resume link only, never in words to read out
    assert all("?s=" in text for text in page.get_by_text(sid).all_inner_texts())
    return sid, found.group(1)


def test_opening_a_customer_escalation_is_read_only_until_the_agent_confirms(
    page: Page, browser: Browser, app_url: str, app_db: str, screenshots: Path
) -> None:
    """The agent types the reference as heard; the session opens read-only with the case still open; the
    hand-off copies to the clipboard; "Take over", then "Yes, take over", continues at the customer's step and
    closes the case as handed over."""
    sid, reference = customer_escalates(page, app_url)
    assert cases_of(app_db, sid) == [("open", None)]

    context = browser.new_context(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    try:
        agent = context.new_page()
        sign_in(agent, app_url, "agent")
        open_console(agent)
        fill(agent, OPEN_LABEL, reference.lower().replace("-", " "))
        click(agent, "Open session", then=f"Where the customer is: {LIGHTS}")
        expect(agent.get_by_role("listitem").filter(has_text=f"{FIRST} → Yes, every device")).to_be_visible()
        expect(agent.get_by_text("The customer asked for a person.", exact=False)).to_be_visible()
        expect(agent.get_by_role("button", name="Yes", exact=True)).to_have_count(0)  # no answers to give
        assert cases_of(app_db, sid) == [("open", None)]
        screenshot(agent, screenshots / "takeover-readonly.png", height=1400)

        agent.get_by_role("button", name="Copy hand-off", exact=True).click()
        expect(agent.get_by_text("Copied: paste it into the ticket.")).to_be_visible()
        pasted = agent.evaluate("navigator.clipboard.readText()")
        assert pasted.startswith("# Hand-off: No internet connection\n")
        assert f"- **Reference:** `{reference}` (self-service, en)" in pasted

        # the agent's phone, in a second tab of the same sign-in: the confirmation fits a 390 px screen
        phone = context.new_page()
        phone.set_viewport_size(PHONE)
        phone.goto(agent.url)
        wait_for_app(phone)
        fold_menu(phone)
        click(phone, "Take over", then="Take over this customer's request?")
        assert cases_of(app_db, sid) == [("open", None)]
        screenshot(phone, screenshots / "takeover-confirm-phone.png", height=1100)
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        click(phone, "Yes, take over", then="You took over from the customer")
        expect(phone.get_by_role("button", name=f"1. {FIRST} → Yes, every device")).to_be_visible()
        expect(phone.get_by_role("heading", name=LIGHTS)).to_be_visible()
        assert cases_of(app_db, sid) == [("closed", "handed-over")]
    finally:
        context.close()

    page.reload()
    wait_for_app(page)
    expect(page.get_by_text("A member of our team is now handling this problem with you.")).to_be_visible()
