"""The Outages page in Streamlit's AppTest: an agent declares an outage, sees it with the session it affects,
and ends it after a confirmation, leaving the customers to notify; a customer who picks the outage's region at
the start of self-service is told about it instead of booking a visit, and asks to hear when it is fixed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from outage_trees import LINE_DOWN, LINE_VISIT
from staff_accounts import with_account
from streamlit.testing.v1 import AppTest

from triage.desk import outages
from triage.desk.staff import Identity
from triage.records.store import Store
from triage.ui.common import boot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app's own SQLite database and a tree folder holding only the ``internet`` tree."""
    trees = tmp_path / "trees"
    trees.mkdir()
    (trees / "line-down.yaml").write_text(LINE_DOWN, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_TREES", str(trees))
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-password-1")
    boot.clear()
    st = Store(url)
    yield st
    boot.clear()
    st.dispose()


def signed_in(username: str, role: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = with_account(Identity(username, username.title(), (role,)))
    return at.run()


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Open a page the router registered for this user (see tests/ui/test_ui_queues.py)."""
    pages = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
    if url_path not in pages:
        raise ValueError(f"page {url_path!r} is not registered; registered: {sorted(p for p in pages if p)}")
    at._page_hash = pages[url_path]
    return at.run()


def messages(at: AppTest) -> list[str]:
    return [m.value for m in at.success] + [m.value for m in at.error]


def test_an_agent_declares_lists_and_ends_an_outage(app_store: Store) -> None:
    """Declare (a refusal keeps the form), see the outage with its affected session, end it only after
    confirming, and find the customer to notify as a list to copy."""
    at = open_page(signed_in("amy", "agent"), "outages")
    assert at.title[0].value == "Outages"
    assert [i.value for i in at.info] == ["No outage is active."]
    sid = app_store.start_session("line-down", facts={"region": "berlin"}).id

    at.text_input(key="out-region").input("Berlin")
    at.text_input(key="out-service").input("internet")
    at.date_input(key="out-start-day").set_value(date(2025, 3, 3))
    at.time_input(key="out-start-time").set_value(time(7, 0))
    end_day = date.today() + timedelta(days=2)
    at.date_input(key="out-end-day").set_value(end_day)
    at.time_input(key="out-end-time").set_value(time(18, 0))
    at.text_area(key="out-msg-de").input("Ein Kabel ist durchtrennt.")
    _submit(at)
    assert messages(at) == ["an outage message needs an English text (other languages fall back to it)"]
    assert at.text_input(key="out-region").value == "Berlin"  # a refusal keeps what was typed
    at.text_area(key="out-msg-en").input("A cable was cut.")
    _submit(at)
    assert messages(at) == ["Outage 1 declared: internet in Berlin."]
    assert at.text_input(key="out-region").value == ""  # a fresh form for the next one

    table = at.dataframe[0].value
    assert list(table["region"]) == ["Berlin"]
    assert list(table["until"]) == [f"{end_day:%Y-%m-%d} 18:00 UTC"]
    assert (list(table["sessions"]), list(table["bookings"])) == ([1], [0])
    assert list(at.dataframe[1].value["session"]) == [sid]
    o = outages.get(app_store, 1)
    assert (o.message, o.declared_by, o.starts_at) == (
        {"en": "A cable was cut.", "de": "Ein Kabel ist durchtrennt."},
        "amy",
        datetime(2025, 3, 3, 7, 0, tzinfo=UTC),
    )
    outages.subscribe(app_store, 1, sid, "ana@example.com", "de")

    end = at.button(key="out-end-1")
    assert end.disabled  # not before the confirmation
    at.checkbox(key="out-confirm-1").check().run()
    at.button(key="out-end-1").click().run()
    assert messages(at) == ["Outage 1 ended; 1 customer to notify."]
    assert outages.active(app_store) == []
    assert [i.value for i in at.info] == ["No outage is active."]
    assert [c.value for c in at.code] == [f"ana@example.com\tde\t{sid}"]  # st.code drops the last newline


def _submit(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Declare outage").click().run()


def test_the_page_is_for_agents_and_supervisors_only(app_store: Store) -> None:
    """A dispatcher or an author has no Outages page; tier 2 has."""
    for role in ("dispatcher", "author"):
        with pytest.raises(ValueError, match="page 'outages' is not registered"):
            open_page(signed_in(f"x{role}", role), "outages")
    assert open_page(signed_in("tia", "tier2"), "outages").title[0].value == "Outages"


def test_self_service_in_an_outage_region_is_told_and_can_ask_to_hear(app_store: Store) -> None:
    """The start form offers the known regions; picking the outage's region and walking to a visit tells the
    customer about the outage, in their words' session, and the notice form keeps their phone number."""
    o = outages.declare(
        app_store,
        "Berlin",
        "internet",
        who="sam",
        message={"en": "A cable was cut near the station."},
        start=datetime.now(UTC) - timedelta(hours=1),
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    region = at.selectbox(key="ss-region")
    assert region.options == ["I don't know", "Berlin"]
    region.select("Berlin")
    at.text_area(key="ss-words").input("Nothing works since this morning")
    at.button(key="ss-start-line-down").click().run()
    sid = at.query_params["s"]
    facts = app_store.load_session(sid).session.facts
    assert (facts["region"], facts["outage_in_area"], facts["customer_words"]) == (
        "Berlin",
        True,
        "Nothing works since this morning",
    )
    for answer in LINE_VISIT:
        at.button(key=f"ans-{sid}-lights-{answer}").click().run()
    decision = app_store.load_session(sid).decision
    assert decision is not None
    assert (decision.kind.value, decision.rule) == ("diagnosis", "outage")
    assert "A cable was cut near the station." in [i.value for i in at.info]
    at.text_input(key=f"outage-notice-{sid}-contact").input("not a number")
    next(b for b in at.button if b.label == "Notify me").click().run()
    assert [e.value for e in at.error] == [
        "Please give an e-mail address (like name@example.com) or a phone number (like +49 30 1234567)."
    ]
    at.text_input(key=f"outage-notice-{sid}-contact").input("+49 30 1234567")
    next(b for b in at.button if b.label == "Notify me").click().run()
    # escaped for Markdown, which the browser shows as "+49 30 1234567"
    assert [s.value for s in at.success] == [
        "Thank you. We will tell you at \\+49 30 1234567 when it is fixed."
    ]
    assert [(n.contact, n.session_id) for n in outages.notices(app_store, o.id)] == [("+49 30 1234567", sid)]
