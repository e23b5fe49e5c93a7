"""In a real browser: a staff sign-in lasts (refresh, new tab, a link opened signed out), ends everywhere on
request, and ends on the next click when an admin deactivates or demotes the person; the phone menu folds
away once a page is picked; the server starts up before anyone opens a page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import screenshot, sign_in, streamlit_server, submit_sign_in, wait_for_app
from playwright.sync_api import Browser, BrowserContext, Page, expect

from triage.records.accounts import Accounts
from triage.records.cases import Queue
from triage.records.store import Store

WIFI_ONLY = [
    *["all", "active", "no", "yes", "ok", "online", "not_fixed", "done", "ready", "ready", "not_fixed"],
    *["wired_ok", "ok", "not_fixed", "not_fixed"],
]  # to tier 2
ENDED = "Your sign-in has ended"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def person(app_db: str) -> Iterator[tuple[str, str]]:
    """A fresh tier-2 account of its own (user name, password), so deactivating it disturbs no other test."""
    name, secret = f"e2e-{uuid.uuid4().hex[:8]}", "pass-e2e-person-1"
    with Store(app_db) as store:
        Accounts(store).create(name, secret, ["tier2"], "Pat Person")
    yield name, secret
    with Store(app_db) as store:
        Accounts(store).reactivate(name)


def signed_in(page: Page, app_url: str, user: tuple[str, str], path: str = "/signin") -> None:
    page.goto(f"{app_url}{path}")
    wait_for_app(page)
    submit_sign_in(page, *user)
    expect(page.get_by_text("Signed in as Pat Person")).to_be_visible()


def staff_menu(page: Page) -> None:
    expect(page.get_by_test_id("stSidebarNav").get_by_text("Escalation queue", exact=True)).to_be_visible()


def signed_out(page: Page) -> None:
    """The page shows the sign-in form; the menu holds no staff page."""
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav").get_by_text("Escalation queue")).to_have_count(0)
    expect(page.get_by_text("Signed in as")).to_have_count(0)


def test_refresh_and_a_new_tab_keep_the_sign_in(page: Page, app_url: str, screenshots: Path) -> None:
    """Tier 2 lands on the queue; a refresh and a second tab stay signed in; the cookie is HttpOnly and
    SameSite=Lax, out of reach of the page's scripts."""
    sign_in(page, app_url, "tier2")
    assert re.fullmatch(rf"{re.escape(app_url)}/queue/?", page.url)
    expect(page.get_by_role("heading", name="Escalation queue")).to_be_visible()
    page.reload()
    wait_for_app(page)
    expect(page.get_by_text("Signed in as Tier2")).to_be_visible()
    second = page.context.new_page()
    second.goto(f"{app_url}/outages")
    wait_for_app(second)
    expect(second.get_by_text("Signed in as Tier2")).to_be_visible()
    expect(second.get_by_role("heading", name="Outages", exact=True)).to_be_visible()
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "triage_staff"]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Lax", "/")
    assert "triage_staff" not in page.evaluate("document.cookie")
    screenshot(second, screenshots / "staff-signed-in-sidebar.png", 900)


def test_a_link_opened_signed_out_signs_in_and_returns_there(
    browser: Browser, app_url: str, app_db: str, screenshots: Path
) -> None:
    """/queue?case=N in a fresh browser: the sign-in form there (no "page not found"), then that case."""
    customer = f"E2E-LINK-{uuid.uuid4().hex[:6]}"
    with Store(app_db) as store:
        s = store.start_session("no-internet", customer_id=customer)
        for answer in WIFI_ONLY:
            s.answer(answer)
        (case,) = Queue(store).for_session(s.id)
    for size, name in ((PHONE, "phone"), ({"width": 1280, "height": 900}, "desktop")):
        context = browser.new_context(viewport=size)
        page = context.new_page()
        page.goto(f"{app_url}/queue?case={case.id}")
        wait_for_app(page)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        expect(page.get_by_text("Sign in to open this page; you come straight back to it.")).to_be_visible()
        screenshot(page, screenshots / f"staff-sign-in-deep-link-{name}.png", size["height"])
        submit_sign_in(page, "tier2", "pass-tier2-1")
        assert page.url == f"{app_url}/queue?case={case.id}"
        expect(page.get_by_text("Signed in as Tier2")).to_be_visible()
        # that very case is open: its heading names it (the queue's table below lists others too)
        expect(page.get_by_role("heading", name=f"Case {case.label}")).to_be_visible()
        context.close()


def test_deactivation_ends_the_sign_in_on_the_next_click(
    page: Page, app_url: str, app_db: str, person: tuple[str, str]
) -> None:
    """An admin deactivates the account while its page is open: the next click finds the person signed out."""
    signed_in(page, app_url, person)
    staff_menu(page)
    with Store(app_db) as store:
        Accounts(store).deactivate(person[0], actor="admin")
    page.get_by_test_id("stSidebarNav").get_by_text("Outages", exact=True).click()
    wait_for_app(page)
    signed_out(page)
    expect(page.get_by_text(ENDED)).to_be_visible()


def test_a_demoted_person_loses_the_page_on_the_next_click(
    page: Page, app_url: str, app_db: str, person: tuple[str, str]
) -> None:
    """Tier 2 made a dispatcher: the next click has no queue in the menu, dispatch instead."""
    signed_in(page, app_url, person)
    with Store(app_db) as store:
        Accounts(store).set_roles(person[0], ["dispatcher"], actor="admin")
    page.get_by_test_id("stSidebarNav").get_by_text("Fulfilment", exact=True).click()
    wait_for_app(page)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Dispatch", exact=True)).to_be_visible()
    expect(nav.get_by_text("Escalation queue")).to_have_count(0)
    expect(page.get_by_text("Pat Person (dispatcher)")).to_be_visible()
    with Store(app_db) as store:
        Accounts(store).set_roles(person[0], ["tier2"])


def test_sign_out_here_and_everywhere(browser: Browser, app_url: str, person: tuple[str, str]) -> None:
    """Three browsers signed in as one person: "Sign out" ends only the first; "Sign out everywhere" in the
    second ends the third at its next click. Each button clears its own browser's cookie."""
    contexts: list[BrowserContext] = [
        browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(3)
    ]
    first, second, third = (c.new_page() for c in contexts)
    for page in (first, second, third):
        signed_in(page, app_url, person)
    first.get_by_role("button", name="Sign out", exact=True).click()
    first.wait_for_url(f"{app_url}/signin")
    wait_for_app(first)
    signed_out(first)
    assert [c for c in contexts[0].cookies() if c["name"] == "triage_staff"] == []
    third.reload()
    wait_for_app(third)
    staff_menu(third)  # still signed in
    second.get_by_role("button", name="Sign out everywhere", exact=True).click()
    second.wait_for_url(f"{app_url}/signin")
    wait_for_app(second)
    signed_out(second)
    third.get_by_test_id("stSidebarNav").get_by_text("Outages", exact=True).click()
    wait_for_app(third)
    signed_out(third)
    expect(third.get_by_text(ENDED)).to_be_visible()
    for c in contexts:
        c.close()


def test_the_phone_menu_folds_away_once_a_page_is_picked(
    browser: Browser, app_url: str, screenshots: Path
) -> None:
    """At 390x844 (a narrow window that does not say it is a phone) picking a page closes the menu over it."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, app_url, "tier2")
    sidebar = page.get_by_test_id("stSidebar")
    if sidebar.get_attribute("data-collapsed") != "false":
        page.get_by_test_id("stExpandSidebarButton").click()
    expect(sidebar).to_have_attribute("data-collapsed", "false")
    page.get_by_test_id("stSidebarNav").get_by_text("Outages", exact=True).click()
    wait_for_app(page)
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    expect(page.get_by_role("heading", name="Outages", exact=True)).to_be_in_viewport()
    screenshot(page, screenshots / "staff-phone-menu-folded.png", PHONE["height"])
    context.close()


def test_start_up_is_done_before_the_first_page(app_db: str, tmp_path: Path) -> None:
    """A fresh database: once the server answers, and before any page was opened, the trees are published and
    the first admin exists (start-up ran as the server started, not at the first visit)."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with streamlit_server({"TRIAGE_DATABASE_URL": url, "TRIAGE_DEMO": "0"}, tmp_path), Store(url) as store:
        assert [a.username for a in Accounts(store).users()] == ["admin"]
        assert "no-internet" in store.latest_ids()
