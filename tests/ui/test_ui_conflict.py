"""A click that loses a race on its session says what changed and shows where the session stands (AppTest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from staff_accounts import with_account
from streamlit.testing.v1 import AppTest

from triage.records.accounts import Identity
from triage.records.flags import Flags
from triage.records.sessions import StoredSession
from triage.records.store import Store
from triage.trees.library import Library
from triage.ui.common import boot

ROOT = Path(__file__).resolve().parents[2]
CHANGED = "This session was changed elsewhere (a note was added); here is where it stands now."
GEÄNDERT = "Diese Sitzung wurde anderswo geändert (eine Notiz wurde hinzugefügt); hier sehen Sie den aktuellen Stand."


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


@pytest.fixture
def note_first(db: Store, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The next answer given through the app loses a race: an agent adds a note just before it is written."""
    notes = ["the customer called back"]
    answer = StoredSession.answer

    def racing(self: StoredSession, value: Any) -> Any:
        if notes:
            db.load_session(self.id).add_note(notes.pop())
        return answer(self, value)

    monkeypatch.setattr(StoredSession, "answer", racing)
    return notes


@pytest.mark.parametrize(("lang", "message"), [("en", CHANGED), ("de", GEÄNDERT)])
def test_a_lost_race_says_what_changed_and_the_next_click_works(
    db: Store, note_first: list[str], lang: str, message: str
) -> None:
    """The customer's answer loses to an agent's note: the page says so in the customer's language, shows
    the same step (nothing of theirs was lost), and answering again goes on."""
    sid = db.start_session("no-internet", mode="self_service").id
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params.update({"s": sid, "lang": lang})
    at.run()
    at.button(key=f"ans-{sid}-all_devices-all").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [message]
    assert at.button(key=f"ans-{sid}-all_devices-all")  # still the first step
    assert note_first == []
    at.button(key=f"ans-{sid}-all_devices-all").click().run()
    assert not at.error
    session = db.load_session(sid).session
    # the answer, then the account check the page runs by itself (its note and its result)
    assert [e.type for e in session.events] == ["start", "note", "answer", "note", "answer"]


ANSWERED = "This session was changed elsewhere (an answer was given); here is where it stands now."


def page(identity: Identity | None = None, **query: str) -> AppTest:
    """The app opened at ``query`` (self-service), or the agent console signed in as ``identity``, drawn."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params.update(query)
    if identity is None:
        return at.run()
    at.session_state["identity"] = with_account(identity)
    at.run()
    # AppTest.switch_page takes a file path, not the app's callable pages: pick the console from the registry
    console = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == "agent"]
    assert len(console) == 1
    at._page_hash = console[0]
    return at.run()


def test_a_tab_left_behind_cannot_answer_the_next_step(db: Store) -> None:
    """Two tabs on one self-service session, both at "burning smell?" (no/yes). The first answers no;
    the second's no, meant for that step, would answer the next yes/no step ("Is any light on?") and send
    the customer to the power checks. Instead it is refused with what changed, and the second tab shows the
    current step."""
    stored = db.start_session("no-internet", mode="self_service")
    stored.answer("all")
    stored.answer("active")
    sid = stored.id
    first, second = page(s=sid), page(s=sid)
    first.button(key=f"ans-{sid}-smell_check-no").click().run()
    assert not first.exception
    assert first.button(key=f"ans-{sid}-power_light-no")
    second.button(key=f"ans-{sid}-smell_check-no").click().run()
    assert not second.exception
    assert [e.value for e in second.error] == [ANSWERED]
    session = db.load_session(sid).session
    assert [e.value for e in session.events if e.type == "answer"] == ["all", "active", "no"]
    assert session.decision is None
    assert [b.key for b in second.button if b.key.startswith("ans-")] == [
        f"ans-{sid}-power_light-yes",
        f"ans-{sid}-power_light-no",
    ]
    second.button(key=f"ans-{sid}-power_light-no").click().run()  # redrawn: its clicks count again
    assert not second.error
    assert db.load_session(sid).view().node_id == "power_socket"


def test_an_agent_tab_left_behind_cannot_go_back_or_flag_the_wrong_step(db: Store) -> None:
    """Two agent tabs on one session: after the first answers, the second's "Back" to a step and its flag,
    both meant for the step it shows, are refused with what changed; nothing is reopened or flagged."""
    agent = Identity("agent", "Agent", ("agent",))
    stored = db.start_session("no-internet")
    stored.answer("all")
    stored.answer("active")
    sid = stored.id
    first, second = page(agent, s=sid), page(agent, s=sid)
    first.button(key=f"ans-{sid}-smell_check-no").click().run()
    assert not first.exception
    second.button(key=f"ans-{sid}-smell_check-yes").click().run()
    assert [e.value for e in second.error] == [ANSWERED]
    assert db.load_session(sid).view().node_id == "power_light"
    first.button(key=f"ans-{sid}-power_light-no").click().run()
    second.button(key=f"crumb-{sid}-0").click().run()  # drawn when power_light was the current step
    assert [e.value for e in second.error] == [ANSWERED]
    first.button(key=f"ans-{sid}-power_socket-done").click().run()
    second.text_input(key=f"flag-text-{sid}-power_socket").input("unclear wording")
    second.button(key=f"flag-send-{sid}-power_socket").click().run()  # meant for the step left meanwhile
    assert [e.value for e in second.error] == [ANSWERED]
    assert Flags(db).for_tree("no-internet") == []
    session = db.load_session(sid).session
    assert [e.value for e in session.events if e.type == "answer"] == ["all", "active", "no", "no", "done"]
    assert db.load_session(sid).view().node_id == "lights_back"
    assert second.text_input(key=f"flag-text-{sid}-lights_back")  # the second tab shows where it stands
