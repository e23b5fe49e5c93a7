"""Migrations: the schema the models describe is exactly what the migrations build, and upgrades keep data."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from triage.records.schema import MIGRATION_ONLY_INDEXES, Base
from triage.records.store import MIGRATIONS, Store


def _cfg() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def test_models_match_migrations(store_url: str) -> None:
    """After `upgrade head` the database has exactly the models' tables, columns and indexes (no drift)."""
    st = Store(store_url)
    with st.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    drift = [d for d in diff if not (d[0] == "remove_index" and d[1].name in MIGRATION_ONLY_INDEXES)]
    assert drift == []
    st.dispose()


def test_upgrade_from_the_first_schema_keeps_data(store_url: str) -> None:
    """A database created by the first migration, with a session in it, upgrades to head with the session intact."""
    engine = sa.create_engine(store_url)
    cfg = _cfg()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(
            sa.text(
                "INSERT INTO sessions (id, tree_id, root_version, pins, mode, locale, status, started_at, updated_at,"
                " steps) VALUES ('old-1', 'no-internet', 1, '{}', 'agent', 'en', 'open', :t, :t, 0)"
            ),
            {"t": "2026-01-01 10:00:00"},
        )
    engine.dispose()
    with Store(store_url) as st:  # migrates to head
        assert st.session_row("old-1").tree_id == "no-internet"
        with st.engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
    assert len(heads) == 1
