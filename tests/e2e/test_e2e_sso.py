"""In a real browser, against a real OpenID Connect provider started here (oidc-provider-mock): single sign-on
beside local accounts. Sign in at the provider's form, come back to the page asked for with the role the
provider's claim maps to, stay signed in across a reload and a new tab, and be out on the next click once an
admin deactivates the account; a person the provider knows but with no mapped role is told why."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import ROOT, password, screenshot, wait_for_app
from playwright.sync_api import Page, expect

from triage.records.accounts import Accounts
from triage.records.store import Store

LABEL = "Contoso"
SIGN_IN_WITH = f"Sign in with {LABEL}"
# what the provider knows of each person: the ID token carries these claims
PEOPLE = [
    {
        "sub": "c0ffee-01",
        "preferred_username": "tess",
        "name": "Tess Tier",
        "roles": ["staff", "helpdesk-tier2"],
    },
    {"sub": "c0ffee-02", "preferred_username": "dora", "name": "Dora Desk", "roles": ["helpdesk-agents"]},
    {"sub": "c0ffee-03", "preferred_username": "ned", "name": "Ned Nobody", "roles": ["staff"]},
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"the OpenID provider did not start (exit {proc.poll()}); see {log}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """oidc-provider-mock on a free local port, knowing :data:`PEOPLE`; its issuer URL."""
    port = _free_port()
    (ROOT / "var").mkdir(exist_ok=True)
    log = ROOT / "var" / f"e2e-oidc-{port}.log"
    people = [arg for person in PEOPLE for arg in ("--user-claims", json.dumps(person))]
    cmd = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port), *people]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{issuer}/.well-known/openid-configuration", proc, log)
        yield issuer
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def sso_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The app's own database: shipped trees published, one local account (an agent) beside single sign-on."""
    from libraries import shipped

    url = f"sqlite:///{tmp_path_factory.mktemp('sso') / 'app.db'}"
    with Store(url) as st:
        st.sync(shipped())
        Accounts(st).create("agent", password("agent"), ["agent"], "Agent")
    return url


@pytest.fixture(scope="module")
def sso_app(provider: str, sso_db: str) -> Iterator[str]:
    """`streamlit run app.py` with single sign-on pointed at :func:`provider`."""
    from e2e_helpers import streamlit_server

    env = {
        "TRIAGE_DATABASE_URL": sso_db,
        "TRIAGE_OIDC_ISSUER": provider,
        "TRIAGE_OIDC_CLIENT_ID": "triage-e2e",
        "TRIAGE_OIDC_CLIENT_SECRET": "e2e-client-secret",
        "TRIAGE_OIDC_REDIRECT_URI": "http://127.0.0.1:{port}/oauth2callback",  # Streamlit fills in the port
        "TRIAGE_OIDC_LABEL": LABEL,
        "TRIAGE_OIDC_ROLE_MAP": "helpdesk-tier2=tier2,helpdesk-agents=agent",
    }
    with streamlit_server(env, ROOT / "var") as base:
        yield base


def sso_sign_in(page: Page, subject: str) -> None:
    """On a sign-in form of the app: the provider's button, then the provider's form, typing the subject."""
    page.get_by_role("button", name=SIGN_IN_WITH).click()
    page.get_by_placeholder("sub").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(lambda url: "/oauth2/" not in url and "/oauth2callback" not in url)
    wait_for_app(page)


def signed_in_as(page: Page, text: str) -> None:
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {text}")).to_be_visible()


def test_sso_sign_in_returns_to_the_deep_link_and_lasts(page: Page, sso_app: str, screenshots: Path) -> None:
    """A link to the queue opens the sign-in there; after the provider, the queue as tier 2; a reload and a new
    tab keep the sign-in."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{sso_app}/queue?lang=en")
    wait_for_app(page)
    expect(page.get_by_role("button", name=SIGN_IN_WITH)).to_be_visible()
    screenshot(page, screenshots / "sso-sign-in-desktop.png", 900)
    sso_sign_in(page, "c0ffee-01")
    assert page.url.startswith(f"{sso_app}/queue")
    signed_in_as(page, "Tess Tier (tier2)")
    expect(page.get_by_test_id("stSidebarNav").get_by_text("Escalation queue", exact=True)).to_be_visible()
    screenshot(page, screenshots / "sso-queue-desktop.png", 900)

    page.reload()
    wait_for_app(page)
    signed_in_as(page, "Tess Tier (tier2)")

    tab = page.context.new_page()
    tab.goto(f"{sso_app}/queue")
    wait_for_app(tab)
    signed_in_as(tab, "Tess Tier (tier2)")
    tab.close()


def test_sso_sign_in_from_the_sign_in_page_lands_on_the_roles_page(page: Page, sso_app: str) -> None:
    """From the plain sign-in page, an agent lands on the agent console."""
    page.goto(f"{sso_app}/signin")
    wait_for_app(page)
    sso_sign_in(page, "c0ffee-02")
    assert page.url.startswith(f"{sso_app}/agent")
    signed_in_as(page, "Dora Desk (agent)")


def test_deactivated_sso_user_is_out_on_the_next_click(page: Page, sso_app: str, sso_db: str) -> None:
    """An admin deactivates the account: the next click signs the browser out (at the provider too), and signing
    in again is refused although the provider still says yes."""
    page.goto(f"{sso_app}/signin")
    wait_for_app(page)
    sso_sign_in(page, "c0ffee-02")
    signed_in_as(page, "Dora Desk (agent)")
    with Store(sso_db) as st:
        Accounts(st).deactivate("dora", actor="admin")
    try:
        page.get_by_test_id("stSidebarNav").get_by_text("Get help", exact=True).click()
        page.wait_for_url(lambda url: "/oauth2/end_session" in url)  # the provider's sign-out
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(lambda url: url.startswith(sso_app) and "oauth2callback" not in url)
        wait_for_app(page)
        expect(page.get_by_text("Signed in as")).to_have_count(0)
        expect(page.get_by_test_id("stSidebarNav").get_by_text("Agent console")).to_have_count(0)

        page.goto(f"{sso_app}/signin")
        wait_for_app(page)
        sso_sign_in(page, "c0ffee-02")
        expect(page.get_by_text("this account has been deactivated; ask an administrator")).to_be_visible()
        expect(page.get_by_text("Signed in as")).to_have_count(0)
    finally:
        with Store(sso_db) as st:
            Accounts(st).reactivate("dora", actor="admin")


def test_a_person_without_a_mapped_role_is_told_why(page: Page, sso_app: str, screenshots: Path) -> None:
    """The provider signs Ned in, but no claim value maps to a role: back on the sign-in page, with the reason
    and a way to sign out of the provider; no staff page opens."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{sso_app}/signin")
    wait_for_app(page)
    screenshot(page, screenshots / "sso-sign-in-phone.png", 844)
    sso_sign_in(page, "c0ffee-03")
    assert page.url.startswith(f"{sso_app}/signin")
    expect(page.get_by_text(f"{LABEL} knows you, but this app did not let you in")).to_be_visible()
    expect(page.get_by_text("your single sign-on account has no role here")).to_be_visible()
    expect(page.get_by_role("button", name=f"Sign out of {LABEL}")).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    screenshot(page, screenshots / "sso-refused-phone.png", 844)


def test_local_accounts_still_sign_in_beside_sso(page: Page, sso_app: str) -> None:
    """The password form stays on the sign-in page next to the provider's button."""
    page.goto(f"{sso_app}/signin")
    wait_for_app(page)
    page.get_by_label("Username", exact=True).fill("agent")
    page.get_by_label("Password", exact=True).fill(password("agent"))
    page.get_by_role("button", name="Sign in", exact=True).click()
    wait_for_app(page)
    signed_in_as(page, "Agent (agent)")
    assert page.url.startswith(f"{sso_app}/agent")
