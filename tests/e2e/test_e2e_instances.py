"""In a real browser: three app instances (three `streamlit run app.py` processes) on one PostgreSQL database,
as behind a load balancer. A customer starts on the first, continues by the resume link on the second, asks
for a person on the third; an agent signed in on the second opens the session by its reference and sees the
decision. Nothing but the database is shared: no instance holds the walk in memory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from dbfixtures import fresh_database
from e2e_helpers import (
    ROOT,
    click,
    fill,
    open_console,
    password,
    session_id,
    sign_in,
    streamlit_server,
    wait_for_app,
)
from libraries import shipped
from playwright.sync_api import Browser, Page, expect

from triage.records.accounts import Accounts
from triage.records.store import Store
from triage.trees.model import OutcomeKind

FIRST = "Is the internet down on every device (phones on Wi-Fi, laptops, TV)?"
SMELL = "Before you touch anything: is the router or its power adapter very hot, or is there a burning smell?"
LIGHTS = "Look at the router. Is any light on?"
PERSON = "This did not help — get me a person"
OPEN_LABEL = "Open a session by its reference (like K7P-4QX), or paste the customer's link"
REFERENCE = re.compile(r"Your reference: ([0-9A-Z]{3}-[0-9A-Z]{3})")


@pytest.fixture(scope="module")
def shared_db(pg_server_url: str) -> str:
    """One PostgreSQL database for the three instances: the shipped trees and an agent's account."""
    url = fresh_database(pg_server_url)
    store = Store(url)
    try:
        store.sync(shipped())
        Accounts(store).create("agent", password("agent"), ["agent"], "Agent")
    finally:
        store.dispose()
    return url


@pytest.fixture(scope="module")
def instances(shared_db: str) -> Iterator[list[str]]:
    """Three app instances on the shared database, each its own process on its own port; their base URLs."""
    (ROOT / "var").mkdir(exist_ok=True)
    with ExitStack() as stack:
        yield [
            stack.enter_context(streamlit_server({"TRIAGE_DATABASE_URL": shared_db}, ROOT / "var"))
            for _ in range(3)
        ]


def _resume(page: Page, base: str, sid: str, then: str) -> None:
    """Open the customer's resume link on another instance; the step ``then`` shows where they left off."""
    page.goto(f"{base}/?s={sid}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=then)).to_be_visible()


def test_a_session_continues_across_three_instances_and_an_agent_sees_its_decision(
    page: Page, browser: Browser, instances: list[str], shared_db: str
) -> None:
    """Started on instance 1, a step answered on 2, a person asked for on 3: each instance draws the step the
    last one left, and the agent on instance 2 reads the customer's request and where they are."""
    first, second, third = instances
    assert len({first, second, third}) == 3

    page.goto(first)
    wait_for_app(page)
    fill(page, "What's the problem?", "internet")
    click(page, "No internet connection", then=FIRST)
    sid = session_id(page)
    click(page, "Yes, every device", then=SMELL)

    _resume(page, second, sid, SMELL)
    click(page, "No", then=LIGHTS)

    _resume(page, third, sid, LIGHTS)
    click(page, PERSON, then="What happens next")
    found = REFERENCE.search(page.get_by_text(REFERENCE).first.inner_text())
    assert found is not None

    store = Store(shared_db, migrate=False)
    try:
        decision = store.load_session(sid).view().decision
    finally:
        store.dispose()
    assert decision is not None
    assert decision.kind is OutcomeKind.ESCALATE

    context = browser.new_context()
    try:
        agent = context.new_page()
        sign_in(agent, second, "agent")
        open_console(agent)
        fill(agent, OPEN_LABEL, found.group(1))
        click(agent, "Open session", then=f"Where the customer is: {LIGHTS}")
        expect(agent.get_by_text("The customer asked for a person.", exact=False)).to_be_visible()
    finally:
        context.close()
