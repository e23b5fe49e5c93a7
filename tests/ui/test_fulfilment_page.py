"""The Fulfilment page and the decision screen's shipment panel in Streamlit's AppTest: staff confirm an address,
ship and deliver, receive a repair, close a follow-up as failed; the customer confirms their own address; the
page speaks German; a customer cannot open it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from boxhelp import publish_box, walk
from staff_accounts import with_account
from streamlit.testing.v1 import AppTest

from triage.records.accounts import Identity
from triage.records.fulfilment import Fulfilment
from triage.records.schema import FollowUp, utcnow
from triage.records.store import Store
from triage.ui.common import boot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app's own SQLite database with the box-help tree published; a fresh start-up for each test."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-password-1")
    st = publish_box(Store(url))
    boot.clear()
    yield st
    boot.clear()
    st.dispose()


def open_fulfilment(username: str, role: str) -> AppTest:
    """The app signed in as ``username`` with ``role``, on the Fulfilment page."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = with_account(Identity(username, username.title(), (role,)))
    at.run()
    pages = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
    assert "fulfilment" in pages, sorted(p for p in pages if p)
    at._page_hash = pages["fulfilment"]
    return at.run()


def messages(at: AppTest) -> list[str]:
    return [m.value for m in at.success] + [m.value for m in at.error]


def test_a_dispatcher_confirms_an_address_then_ships_and_delivers(app_store: Store) -> None:
    """Shipping waits for the address; confirming it enables Mark shipped; then delivered drops it off the list."""
    walk(app_store, "both", customer="C-ui")
    [sh] = Fulfilment(app_store).shipments()
    ref = sh.reference
    at = open_fulfilment("dora", "dispatcher")
    assert at.title[0].value == "Fulfilment"
    table = at.dataframe[0].value
    assert list(table["reference"]) == [ref]
    assert list(table["status"]) == ["requested"]
    assert list(table["parts"]) == ["1 x remote-rc7, 2 x psu-12v"]
    assert at.button(key=f"ful-ship-shipped-{ref}").disabled
    assert "Confirm the address before shipping." in [c.value for c in at.caption]

    at.button(key=f"ful-ship-confirm-{ref}").click().run()
    assert messages(at) == ["an address is required: street, postcode and town"]
    at.text_area(key=f"ful-ship-address-{ref}").input("Hafenstr. 2\n20457 Hamburg")
    at.button(key=f"ful-ship-confirm-{ref}").click().run()
    assert messages(at) == [f"Address of {ref} confirmed."]
    assert not at.button(key=f"ful-ship-shipped-{ref}").disabled
    at.button(key=f"ful-ship-shipped-{ref}").click().run()
    assert messages(at) == [f"{ref} is now shipped."]
    shipped = Fulfilment(app_store).shipment(ref)
    assert (shipped.status, shipped.updated_by, shipped.address) == (
        "shipped",
        "dora",
        "Hafenstr. 2\n20457 Hamburg",
    )
    at.button(key=f"ful-ship-delivered-{ref}").click().run()
    assert messages(at) == [f"{ref} is now delivered."]
    assert "No shipments to act on." in [i.value for i in at.info]


def test_repairs_and_follow_ups_are_worked_from_the_page(app_store: Store) -> None:
    """A repair is marked received; a due follow-up closed as failed marks its session not resolved."""
    repair = walk(app_store, "dead")
    fixed = walk(app_store, "slow", "fixed")
    assert repair.decision is not None
    rma = repair.decision.rma
    with app_store.tx() as db:  # the follow-up came due
        for row in db.query(FollowUp).all():
            row.due_at = utcnow() - timedelta(minutes=5)
    at = open_fulfilment("ana", "agent")
    assert list(at.dataframe[0].value["rma"]) == [rma]  # no shipments: the repairs' table comes first
    at.button(key=f"ful-repair-received-{rma}").click().run()
    assert messages(at) == [f"{rma} is now received."]
    assert Fulfilment(app_store).repairs()[0].status == "received"

    [fu] = Fulfilment(app_store).follow_ups()
    assert list(at.dataframe[1].value["id"]) == [fu.id]
    at.text_area(key=f"ful-fu-result-{fu.id}").input("flickers again")
    at.button(key=f"ful-fu-failed-{fu.id}").click().run()
    assert messages(at) == [
        f"Follow-up #{fu.id} closed: the fix failed, so the session counts as not resolved."
    ]
    assert app_store.session_row(fixed.id).truth == "not_resolved"
    assert "No follow-ups due." in [i.value for i in at.info]


def test_the_page_speaks_german(app_store: Store) -> None:
    """Title, headings and statuses come from the German catalog."""
    walk(app_store, "remote")
    at = open_fulfilment("dora", "dispatcher")
    at.selectbox(key="locale_select").select("de").run()
    assert at.title[0].value == "Abwicklung"
    assert [h.value for h in at.subheader] == ["Sendungen", "Reparaturen", "Fällige Nachfragen"]
    assert list(at.dataframe[0].value["status"]) == ["angefordert"]


def test_nobody_signed_in_cannot_reach_the_page(app_store: Store) -> None:
    """A customer (nobody signed in) has no Fulfilment page to open."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert "fulfilment" not in {info.get("url_pathname") for info in at._registered_pages.values()}


def _panel(sid: str, customer: bool) -> None:
    from triage.ui.common import store
    from triage.ui.views.shipment_panel import shipment_panel  # the script runs on its own

    shipment_panel(sid, store().load_session(sid).decision, "en", customer=customer)  # type: ignore[arg-type]


def test_the_customer_confirms_their_address_in_the_shipment_panel(app_store: Store) -> None:
    """ship_part: the panel lists parts and instructions, and the customer's confirmation is stored as theirs."""
    s = walk(app_store, "both")
    at = AppTest.from_function(_panel, args=(s.id, True), default_timeout=30).run()
    text = "\n".join(m.value for m in at.markdown)
    assert "- 1 × `remote-rc7`\n- 2 × `psu-12v`" in text
    assert "Swap both and send the old adapter back." in text
    assert "Please send the old part back in the same parcel." in [c.value for c in at.caption]
    ref = Fulfilment(app_store).shipments()[0].reference
    at.text_area(key=f"ship-address-{s.id}-{ref}").input("Am Markt 3\n04109 Leipzig")
    at.button(key=f"ship-confirm-{s.id}-{ref}").click().run()
    assert messages(at)[0] == "Address confirmed. We will send the parcel there."
    done = Fulfilment(app_store).shipment(ref)
    assert (done.address_confirmed, done.updated_by) == (True, "customer")


def test_the_panel_shows_the_rma_and_the_follow_up_day(app_store: Store) -> None:
    """repair: the RMA reference and how to pack; resolved with a follow-up: the day we check again."""
    s = walk(app_store, "dead")
    assert s.decision is not None
    at = AppTest.from_function(_panel, args=(s.id, True), default_timeout=30).run()
    text = "\n".join(m.value for m in at.markdown)
    assert f"Your repair reference: `{s.decision.rma}`. Write it on the parcel." in text
    assert "Pack the box in its original carton." in text
    fixed = walk(app_store, "slow", "fixed")
    due = Fulfilment(app_store).follow_ups()[0].due_at.date()
    at = AppTest.from_function(_panel, args=(fixed.id, True), default_timeout=30).run()
    assert [i.value for i in at.info] == [f"We will check with you again on {due:%B} {due.day}, {due.year}."]
