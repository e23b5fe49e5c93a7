"""Database fixtures: every store test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from libraries import shipped
from pgserver import postgres_server

from triage.records.store import Store

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """One PostgreSQL server for the whole run (never skipped: a missing server is a failure)."""
    with postgres_server() as url:
        yield url


def fresh_database(server_url: str) -> str:
    """A new, empty database on the test server; its URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    eng = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty database: an SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'triage.db'}"
    return fresh_database(request.getfixturevalue("pg_server_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store with the shipped trees published."""
    st = Store(store_url)
    st.sync(shipped())
    yield st
    st.dispose()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
