"""In a real browser: a customer cannot reach staff pages; staff sign in and see only their pages."""

from __future__ import annotations

from e2e_helpers import password, sign_in, submit_sign_in, wait_for_app
from playwright.sync_api import Page, expect


def test_customer_cannot_open_a_staff_page_by_url(page: Page, app_url: str) -> None:
    """Typing a staff page's URL without signing in shows the staff sign-in there (no "page not found"), with
    no staff menu."""
    for path in ("agent", "queue", "dispatch", "outages", "fulfilment", "studio", "analytics", "users"):
        page.goto(f"{app_url}/{path}")
        wait_for_app(page)
        nav = page.get_by_test_id("stSidebarNav")
        for staff in ("Agent console", "Outages", "Fulfilment"):
            expect(nav.get_by_text(staff)).to_have_count(0)
        expect(nav.get_by_text("Get help")).to_be_visible()
        expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
        # no Streamlit "Deploy" button or developer menu (client.toolbarMode = "minimal")
        expect(page.get_by_test_id("stAppDeployButton")).to_have_count(0)
        expect(page.get_by_role("button", name="Deploy")).to_have_count(0)


def test_agent_sees_only_agent_pages(page: Page, app_url: str) -> None:
    """An agent's menu holds the console, the outage board and fulfilment, but not the studio, dispatch or users."""
    sign_in(page, app_url, "agent")
    nav = page.get_by_test_id("stSidebarNav")
    for shown in ("Agent console", "Outages", "Fulfilment"):
        expect(nav.get_by_text(shown, exact=True)).to_be_visible()
    for hidden in ("Author studio", "Dispatch", "Users"):
        expect(nav.get_by_text(hidden)).to_have_count(0)


def test_wrong_password_is_refused(page: Page, app_url: str) -> None:
    """A wrong password gets the form again with one clear message, the name kept, no cookie, no staff page;
    the right password then signs in from there."""
    page.goto(f"{app_url}/signin")
    wait_for_app(page)
    submit_sign_in(page, "agent", "nope-nope")
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    expect(page.get_by_label("Username", exact=True)).to_have_value("agent")
    expect(page.get_by_text("Traceback")).to_have_count(0)
    assert [c["name"] for c in page.context.cookies() if c["name"] == "triage_staff"] == []
    submit_sign_in(page, "agent", password("agent"))
    expect(page.get_by_text("Signed in as Agent")).to_be_visible()
