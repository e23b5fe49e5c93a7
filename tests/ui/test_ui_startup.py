"""A start-up that fails shows a page saying what happened and what to do, never a traceback (AppTest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from triage.ui.common import boot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app pointed at a PostgreSQL server that is not there (nothing listens on port 9)."""
    monkeypatch.setenv("TRIAGE_DATABASE_URL", "postgresql+psycopg://triage:secret@127.0.0.1:9/triage")
    boot.clear()
    yield
    boot.clear()


def test_an_unreachable_database_shows_what_to_do(
    no_database: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Every visitor sees what to do and no exception; the database's address and account are only in the log."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["The service cannot start"]
    assert [e.value for e in at.error] == [
        "We cannot help you online right now. Please try again in a few minutes, or contact us by phone."
    ]
    (info,) = at.info
    assert info.value.startswith("If you run this service: the database could not be opened.")
    shown = " ".join(m.value for m in [*at.error, *at.info])
    assert "127.0.0.1" not in shown
    assert "secret" not in shown
    assert "127.0.0.1:9" in caplog.text
    assert "secret" not in caplog.text


def test_the_page_speaks_the_visitors_language(no_database: None) -> None:
    """With ?lang=de the start-up page is in German."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["lang"] = "de"
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Der Dienst kann nicht starten"]


def test_start_up_is_tried_again_on_the_next_visit(
    no_database: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed start-up is not cached: once the database is there, the next run starts and draws the app."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert [t.value for t in at.title] == ["The service cannot start"]
    monkeypatch.setenv("TRIAGE_DATABASE_URL", f"sqlite:///{tmp_path / 'ui.db'}")
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-pass-1")
    at.run()
    assert not at.exception
    assert "The service cannot start" not in [t.value for t in at.title]
    assert not at.error
