"""Helpers for the browser tests: waiting for Streamlit and signing in."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def password(role: str) -> str:
    return f"pass-{role}-1"


def wait_for_app(page: Page, timeout: float = 30_000) -> None:
    """Wait as Streamlit's own e2e suite does: connected, script finished, no skeletons."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


def sign_in(page: Page, app_url: str, role: str) -> None:
    """Sign in through the real form as the account for ``role``."""
    page.goto(f"{app_url}/signin")
    wait_for_app(page)
    page.get_by_label("Username", exact=True).fill(role)
    page.get_by_label("Password", exact=True).fill(password(role))
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Signed in as {role.title()}")).to_be_visible()
