"""AppTest: a customer who escalates during a declared outage gives their number once; the contact form's number
also serves "tell me when it's fixed" (one click, nothing typed again)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from triage.desk import customers, outages
from triage.records.store import Store
from triage.trees.library import Library
from triage.trees.markdown import escape
from triage.ui.common import boot

ROOT = Path(__file__).resolve().parents[2]
SPECIALIST = """\
id: wifi-specialist
title: {en: Wi-Fi only, de: Nur WLAN}
category: connectivity
service: internet
locales: [en, de]
start: cable
nodes:
  - id: cable
    kind: question
    text: {en: Does it work over a cable?, de: Geht es per Kabel?}
    options:
      - {label: {en: "Yes", de: "Ja"}, value: "yes", next: specialist}
      - {label: {en: "No", de: "Nein"}, value: "no", next: specialist}
  - id: specialist
    kind: outcome
    outcome: escalate
    tier: 2
    queue: home-networking
    priority: normal
    text: {en: A home-networking specialist will help you., de: Ein Heimnetz-Spezialist hilft Ihnen.}
"""


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped_lib: Library) -> Iterator[Store]:
    """A fresh app database with the shipped trees published, used by the app under test."""
    url = f"sqlite:///{tmp_path / 'ui.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-pass-1")
    st = Store(url)
    st.sync(shipped_lib)
    boot.clear()
    yield st
    st.dispose()
    boot.clear()


def _escalated_in_outage(db: Store) -> tuple[str, int]:
    outage = outages.declare(db, "north", "internet", who="ops", message={"en": "A cable was cut in North."})
    db.publish(SPECIALIST, author="tests", check_base=False)
    stored = db.start_session(
        "wifi-specialist", mode="self_service", facts={"region": "north", "outage_in_area": True}
    )
    stored.answer("no")  # to the specialist: an escalation decided while the outage covers the area
    return stored.id, outage.id


def _labels(at: AppTest) -> list[str]:
    return [str(box.label) for box in at.text_input]


def _values(at: AppTest) -> list[str]:
    kinds = ("markdown", "caption", "subheader", "info", "success", "error")
    return [str(el.value) for kind in kinds for el in at.get(kind)]


def test_the_number_given_once_also_hears_when_the_outage_ends(db: Store) -> None:
    sid, outage_id = _escalated_in_outage(db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["s"] = sid
    at.run()
    assert "A cable was cut in North." in _values(at)  # the outage is said at once
    # one place to type a number: the contact form, not a second box for the notice
    assert "Your e-mail address or phone number" not in _labels(at)
    assert _labels(at).count("Phone number") == 1
    assert "Notify me" not in [b.label for b in at.button]
    for field, value in (("name", "Ana Lopez"), ("phone", "+49 30 1234567")):
        at.text_input(key=f"contact-customer-{sid}-{field}").input(value)
    at.checkbox(key=f"contact-customer-{sid}-consent").check()
    [send] = [b for b in at.button if b.proto.is_form_submitter]
    send.click()  # type: ignore[attr-defined]
    at.run()
    assert customers.contact_for(db, sid) is not None
    phone = escape("+49 30 1234567")
    assert f"We will tell you at {phone}, the contact you gave above." in _values(at)
    assert outages.notices(db, outage_id) == []  # asked, not assumed
    [notify] = [b for b in at.button if b.label == "Notify me"]
    notify.click()
    at.run()
    assert f"Thank you. We will tell you at {phone} when it is fixed." in _values(at)
    assert [(n.contact, n.session_id) for n in outages.notices(db, outage_id)] == [("+49 30 1234567", sid)]


def test_someone_else_holding_the_link_sees_the_number_masked(db: Store) -> None:
    sid, outage_id = _escalated_in_outage(db)
    customers.save_contact(db, sid, name="Ana", phone="+49 30 1234567", consent=True, locale="en")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["s"] = sid
    at.run()
    shown = escape("+49 ••••••567")
    assert f"We will tell you at {shown}, the contact you gave above." in _values(at)
    assert "1234567" not in " ".join(_values(at))
    [notify] = [b for b in at.button if b.label == "Notify me"]
    notify.click()
    at.run()
    assert f"Thank you. We will tell you at {shown} when it is fixed." in _values(at)
    assert [n.contact for n in outages.notices(db, outage_id)] == ["+49 30 1234567"]
