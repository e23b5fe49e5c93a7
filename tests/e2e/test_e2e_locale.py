"""A German phone opens self-service in German, and its language picker is right there on the page."""

from __future__ import annotations

import re
from pathlib import Path

from e2e_helpers import rerun, screenshot, wait_for_app
from playwright.sync_api import Browser, expect

from triage.i18n import t

PHONE = {"width": 390, "height": 844}


def test_a_german_phone_gets_german_and_can_pick_polish(
    browser: Browser, app_url: str, screenshots: Path
) -> None:
    """The browser says de-DE (no ?lang=): the page is German with no fallback note; the picker shows on a
    phone (where the sidebar is folded away), and picking Polski switches the page and the address."""
    context = browser.new_context(locale="de-DE", viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{app_url}/")
        wait_for_app(page)
        expect(page.get_by_role("heading", name=t("ui.self.title", "de"))).to_be_visible()
        expect(page.get_by_text(re.compile("nicht verfügbar"))).to_have_count(0)
        picker = page.get_by_test_id("stSelectbox").filter(has_text=t("ui.language", "de"))
        expect(picker).to_be_visible()
        expect(page.get_by_test_id("stSidebar")).not_to_be_in_viewport()
        screenshot(page, screenshots / "locale-phone-de.png", PHONE["height"])
        picker.click()
        rerun(page, page.get_by_role("option", name="Polski").click)
        expect(page.get_by_role("heading", name=t("ui.self.title", "pl"))).to_be_visible()
        assert "lang=pl" in page.url
    finally:
        context.close()
