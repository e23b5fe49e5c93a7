"""A click that loses a race on its session says what changed and shows where the session stands (AppTest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

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
    assert [e.type for e in session.events] == ["start", "note", "answer"]
