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


def test_an_unreachable_database_shows_what_to_do(no_database: None) -> None:
    """Every visitor, customers included, sees the cause (password hidden) and the fix, and no exception."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["The service cannot start"]
    (error,) = at.error
    assert error.value.startswith(
        "Cannot open the database at postgresql+psycopg://triage:***@127.0.0.1:9/triage: connection failed"
    )
    assert "secret" not in error.value
    assert [i.value for i in at.info] == [
        "Check that the database server is running and that TRIAGE_DATABASE_URL points at it (or leave it "
        "unset for the local SQLite file), then reload this page."
    ]


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
