"""Helpers for the browser tests: a Streamlit server, waiting for it (and for a rerun), signing in, and the
clicks a walk is made of (a button, a text box, a wait's countdown) with full-page screenshots."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from triage.i18n import t

ROOT = Path(__file__).resolve().parents[2]


def password(role: str) -> str:
    return f"pass-{role}-1"


def wait_for_app(page: Page, timeout: float = 30_000) -> None:
    """Wait as Streamlit's own e2e suite does: connected, script finished, no skeletons."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


# Counts the changes of the app's script state from now on: a MutationObserver sees every one, even a run that
# starts and ends between two polls of Playwright.
_WATCH_RUNS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    window.__triageRuns = 0;
    if (window.__triageWatch) window.__triageWatch.disconnect();
    window.__triageWatch = new MutationObserver((changes) => { window.__triageRuns += changes.length; });
    window.__triageWatch.observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""
_RAN = """() => window.__triageRuns > 0 && document.querySelector("[data-testid='stApp']")
    .getAttribute("data-test-script-state") === "notRunning" """


_QUICK_RUN_MS = 5_000


def rerun(page: Page, action: Callable[[], object], timeout: float = 30_000) -> None:
    """Do ``action`` (a click or an Enter that makes Streamlit run the page again) and wait for that run.

    :func:`wait_for_app` alone can return before the rerun has even started (the app still reads
    "notRunning"); the next locator then meets the page mid-run, where the previous run's elements are still
    drawn (stale) beside the new ones, e.g. one button twice. Here the run must have started and finished,
    and no stale element may be left.
    """
    page.evaluate(_WATCH_RUNS)
    action()
    # React may draw "running" and "notRunning" in one frame for a quick run, so no attribute change is ever
    # seen; after 5 s that run is long over (one that had not started yet would have by then).
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(_RAN, timeout=_QUICK_RUN_MS)
    wait_for_app(page, timeout)
    expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=timeout)


def sign_in(page: Page, app_url: str, role: str) -> None:
    """Sign in through the real form as the account for ``role``; the browser lands on the role's first page."""
    page.goto(f"{app_url}/signin")
    wait_for_app(page)
    submit_sign_in(page, role, password(role))
    expect(page.get_by_text(f"Signed in as {role.title()}")).to_be_visible()


def submit_sign_in(page: Page, username: str, secret: str) -> None:
    """Fill in the sign-in form on the page and send it; wait for the page the server answers with.

    The form posts to the server, which answers with the cookie and a redirect (or with the form again), so
    this is a navigation: wait for it, then for the app, if that is where it led.
    """
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(secret)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    if not urlsplit(page.url).path.endswith("/staff/sign-in"):  # the app, not the form again with a message
        wait_for_app(page)


def session_id(page: Page) -> str:
    """The walk's session id, from ``?s=`` in the page's address."""
    return parse_qs(urlsplit(page.url).query)["s"][0]


def click(page: Page, name: str, then: str | re.Pattern[str] | None = None) -> None:
    """Click a button; with ``then``, wait for the rerun it starts to finish and for that text to show.

    Without ``then`` the button makes no rerun (a download).
    """
    button = page.get_by_role("button", name=name, exact=True)
    if then is None:
        button.click()
        return
    rerun(page, button.click)
    expect(page.get_by_text(then).first).to_be_visible()
    wait_for_app(page)


def fill(page: Page, label: str, text: str) -> None:
    """Type into a text box and commit it (Enter), then wait for the rerun."""
    box = page.get_by_label(label, exact=True)
    box.fill(text)
    rerun(page, lambda: box.press("Enter"))


READY = t("wait.ready", "en")


def give_contact(
    page: Page,
    locale: str = "en",
    *,
    name: str = "Anna Muster",
    phone: str = "",
    email: str = "",
    address: tuple[str, str, str] | None = None,
) -> None:
    """Fill in the customer's contact form as they would (name, a phone number and/or an e-mail address, the
    street, postcode and town when the form asks for them), tick the consent box and send it.

    ``address`` is ``(street, postcode, town)``; the postcode must be in the postcode-to-region table.
    """
    save = t("ui.contact.save", locale)
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name=save, exact=True))
    expect(form).to_be_visible()
    typed = {"ui.contact.name": name, "ui.contact.phone": phone, "ui.contact.email": email}
    if address is not None:
        typed |= dict(
            zip(("ui.contact.address", "ui.contact.postcode", "ui.contact.city"), address, strict=True)
        )
    for key, text in typed.items():
        if text:
            form.get_by_label(t(key, locale), exact=True).fill(text)
    consent = form.get_by_role("checkbox")
    if not consent.is_checked():
        form.get_by_test_id("stCheckbox").click()
        expect(consent).to_be_checked()
    rerun(page, form.get_by_role("button", name=save, exact=True).click)
    expect(page.get_by_role("button", name=save, exact=True)).to_have_count(0)  # taken: the form is gone


def skip_wait(page: Page, check: str, locale: str = "en") -> None:
    """At a customer's wait: the countdown is running; skip it, and the re-check question ``check`` shows."""
    skip = t("ui.walk.skip_wait", locale)
    expect(page.get_by_text(t("ui.walk.waiting", locale)).first).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"\b\d+:\d\d$"))).to_be_visible()  # the countdown
    click(page, skip, then=check)
    expect(page.get_by_role("button", name=skip, exact=True)).to_have_count(0)


def screenshot(page: Page, path: Path, height: int) -> None:
    """A picture of the page from its top (Streamlit scrolls inside the app, not the document)."""
    size = page.viewport_size
    assert size is not None
    page.set_viewport_size({"width": size["width"], "height": height})
    page.evaluate(
        "() => { for (const el of document.querySelectorAll('*')) { if (el.scrollTop) el.scrollTop = 0; } }"
    )
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def go_to(page: Page, title: str) -> None:
    """Open the page ``title`` from the menu; on a phone the menu is folded away first, so unfold it."""
    unfold = page.get_by_test_id("stExpandSidebarButton")
    if unfold.is_visible():
        unfold.click()
    link = page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True)
    expect(link).to_be_in_viewport()
    link.click()
    wait_for_app(page)
    fold_menu(page)


def fold_menu(page: Page) -> None:
    """On a phone, fold the menu away if it is open: there it lies over the page and takes the clicks."""
    size = page.viewport_size
    sidebar = page.get_by_test_id("stSidebar")
    if size is None or size["width"] >= 768 or sidebar.get_attribute("data-collapsed") != "false":
        return
    sidebar.hover()  # the fold button shows on hover
    page.get_by_role("button", name="Collapse sidebar").click()
    expect(sidebar).to_have_attribute("data-collapsed", "true")


def open_console(page: Page) -> None:
    """Open the agent console from the menu (signed in as someone who may)."""
    go_to(page, "Agent console")
    expect(page.get_by_label("Search by symptom, title, tag or category")).to_be_visible()
    wait_for_app(page)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def streamlit_server(env: dict[str, str], log_dir: Path) -> Iterator[str]:
    """A `streamlit run app.py` server with ``env`` on top of ours, on a free port; yields its base URL.

    Its output goes to ``log_dir/e2e-streamlit-<port>.log``, for when a browser test fails.
    """
    port = _free_port()
    full_env = {
        **os.environ,
        "TRIAGE_ADMIN_PASSWORD": password("admin"),
        "TRIAGE_SECRET_KEY": "e2e-only-key-that-signs-the-sign-in-cookie",  # so no var/secret-key is made
        "PYTHONPATH": str(ROOT),
        **env,
    }
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    log_path = log_dir / f"e2e-streamlit-{port}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().decode() == "ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"streamlit did not start (exit {proc.poll()}); see {log_path}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
