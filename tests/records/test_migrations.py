"""Migrations: the schema the models describe is exactly what the migrations build, and upgrades keep data."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from triage.records.fulfilment import Fulfilment
from triage.records.schema import MIGRATION_ONLY_INDEXES, Base, FollowUp, utcnow
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


def test_upgrade_from_0012_to_0013_keeps_data_and_adds_fulfilment(store_url: str) -> None:
    """A database at 0012 with a decided session and its booking upgrades to 0013 with both intact, the booking's
    outage override empty and the new tables empty; then shipments' and follow-ups' rows can point at the old session."""
    engine = sa.create_engine(store_url)
    cfg = _cfg()
    t = "2026-01-01 10:00:00"
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0012")
        conn.execute(
            sa.text(
                "INSERT INTO sessions (id, tree_id, root_version, pins, mode, locale, status, started_at, updated_at,"
                " steps, decision_kind) VALUES ('s-12', 'no-internet', 1, '{}', 'agent', 'en', 'decided', :t, :t,"
                " 3, 'visit')"
            ),
            {"t": t},
        )
        conn.execute(
            sa.text(
                "INSERT INTO technicians (name, skills, regions, hours, slot_minutes, timezone, active)"
                " VALUES ('Tess', '[\"broadband\"]', '[\"north\"]', '{}', 120, 'Europe/Berlin', :yes)"
            ),
            {"yes": True},
        )
        tech = conn.execute(sa.text("SELECT id FROM technicians")).scalar_one()
        conn.execute(
            sa.text(
                'INSERT INTO bookings (technician_id, session_id, skill, urgency, region, start, "end", status,'
                " created_at, parts) VALUES (:tech, 's-12', 'broadband', 'normal', 'north', :t, :t, 'booked', :t,"
                " '[]')"
            ),
            {"tech": tech, "t": t},
        )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0013")
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == ("0013",)
        session = conn.execute(sa.text("SELECT tree_id, status, decision_kind FROM sessions")).one()
        assert tuple(session) == ("no-internet", "decided", "visit")
        booking = conn.execute(sa.text("SELECT session_id, status, outage_override FROM bookings")).one()
        assert tuple(booking) == ("s-12", "booked", None)
        for table in ("outages", "outage_notices", "shipments", "repairs", "follow_ups", "remote_status"):
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    engine.dispose()
    with Store(store_url) as st:
        with st.tx() as db:
            db.add(
                FollowUp(
                    session_id="s-12", due_at=utcnow(), what="still fine?", status="open", created_at=utcnow()
                )
            )
        assert [f.session_id for f in Fulfilment(st).follow_ups()] == ["s-12"]
        assert st.session_row("s-12").decision_kind == "visit"
