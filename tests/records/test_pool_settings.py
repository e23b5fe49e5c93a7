"""The store's connection pool: sized by the TRIAGE_DB_* settings, and safe behind PgBouncer in transaction mode.

The PgBouncer tests run a real ``pgbouncer`` (Debian's package, installed by .ci/system-deps) in front of the
test PostgreSQL server with ONE server connection, so every transaction of every client runs on it in turn: a
prepared statement one client leaves on it is there when the next client prepares its own, which is what
breaks a psycopg client that prepares statements (the control test shows it does), and what
``TRIAGE_DB_PGBOUNCER=1`` prevents.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from dbfixtures import fresh_database
from libraries import shipped
from sqlalchemy.exc import DBAPIError

from triage.errors import StoreError
from triage.records.pool import PoolSettings, engine_options, pool_settings
from triage.records.store import Store
from triage.trees.model import Audience

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
# a self-service walk of the no-internet tree that ends "fixed" (the tree's scenario "power adapter was loose")
WALK = ["all", "active", "no", "no", "done", "yes", "ready", "fixed"]


# -- the settings ---------------------------------------------------------------------------------


def test_defaults_keep_ten_connections_and_ten_more_under_a_burst() -> None:
    """No settings: a pool of 10, 10 overflow, 30 s wait, pre-ping on, no PgBouncer."""
    assert pool_settings({}) == PoolSettings(10, 10, 30.0, True, False)
    assert pool_settings({}).most == 20


def test_settings_are_read_from_the_environment_mapping() -> None:
    """Every TRIAGE_DB_* setting is read, with spaces and case forgiven in the switches."""
    env = {
        "TRIAGE_DB_POOL_SIZE": " 4 ",
        "TRIAGE_DB_MAX_OVERFLOW": "0",
        "TRIAGE_DB_POOL_TIMEOUT": "2.5",
        "TRIAGE_DB_POOL_PRE_PING": "Off",
        "TRIAGE_DB_PGBOUNCER": "YES",
    }
    assert pool_settings(env) == PoolSettings(
        size=4, max_overflow=0, timeout=2.5, pre_ping=False, pgbouncer=True
    )


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("TRIAGE_DB_POOL_SIZE", "ten", "TRIAGE_DB_POOL_SIZE must be a whole number (got 'ten')"),
        ("TRIAGE_DB_POOL_SIZE", "0", "TRIAGE_DB_POOL_SIZE must be at least 1 (got '0')"),
        ("TRIAGE_DB_MAX_OVERFLOW", "-1", "TRIAGE_DB_MAX_OVERFLOW must be at least 0 (got '-1')"),
        ("TRIAGE_DB_POOL_TIMEOUT", "0", "TRIAGE_DB_POOL_TIMEOUT must be more than 0 seconds (got '0')"),
        ("TRIAGE_DB_POOL_TIMEOUT", "soon", "TRIAGE_DB_POOL_TIMEOUT must be a number of seconds (got 'soon')"),
        (
            "TRIAGE_DB_PGBOUNCER",
            "maybe",
            "TRIAGE_DB_PGBOUNCER must be one of 1, true, yes, on, 0, false, no, off (got 'maybe')",
        ),
    ],
)
def test_a_bad_setting_names_the_variable_and_what_it_got(name: str, raw: str, message: str) -> None:
    """A bad value stops the store with a message naming the setting, what it must be and what it was."""
    with pytest.raises(StoreError) as caught:
        pool_settings({name: raw})
    assert str(caught.value) == message


def test_engine_options_for_sqlite_have_no_pool_settings() -> None:
    """SQLite keeps its thread and busy-timeout options; the pool settings are PostgreSQL's."""
    assert engine_options("sqlite:///x.db", PoolSettings(size=3)) == {
        "connect_args": {"check_same_thread": False, "timeout": 15}
    }


def test_engine_options_behind_pgbouncer_turn_prepared_statements_off() -> None:
    """Behind PgBouncer psycopg gets ``prepare_threshold=None``; straight to PostgreSQL it keeps its default."""
    url = "postgresql+psycopg://u@h/db"
    direct = engine_options(url, PoolSettings(size=3, max_overflow=1, timeout=5.0))
    assert direct == {"pool_size": 3, "max_overflow": 1, "pool_timeout": 5.0, "pool_pre_ping": True}
    bounced = engine_options(url, PoolSettings(pgbouncer=True))
    assert bounced["connect_args"] == {"prepare_threshold": None}


def test_the_store_sizes_its_pool_from_the_settings(
    pg_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store opened with TRIAGE_DB_POOL_SIZE=3 and TRIAGE_DB_MAX_OVERFLOW=1 opens at most 4 connections:
    a fifth checkout waits TRIAGE_DB_POOL_TIMEOUT and then fails."""
    monkeypatch.setenv("TRIAGE_DB_POOL_SIZE", "3")
    monkeypatch.setenv("TRIAGE_DB_MAX_OVERFLOW", "1")
    monkeypatch.setenv("TRIAGE_DB_POOL_TIMEOUT", "0.2")
    store = Store(fresh_database(pg_server_url))
    try:
        held = [store.engine.connect() for _ in range(4)]
        with pytest.raises(sa.exc.TimeoutError):
            store.engine.connect()
        for conn in held:
            conn.close()
        assert store.engine.pool.checkedout() == 0
    finally:
        store.dispose()


# -- behind a real PgBouncer in transaction mode ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    # PgBouncer refuses to run as root, as PostgreSQL does
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="module")
def bouncer(pg_server_url: str) -> Iterator[int]:
    """PgBouncer in transaction mode with one server connection per database, in front of the test server;
    yields its port."""
    if not Path(PGBOUNCER).exists():
        pytest.fail("pgbouncer is not installed: run `bash .ci/system-deps`")
    server = sa.engine.make_url(pg_server_url)
    port = _free_port()
    base = Path(tempfile.mkdtemp(prefix="triage-pgbouncer-"))
    (base / "userlist.txt").write_text(f'"{server.username}" ""\n')
    (base / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={server.host} port={server.port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir = {base}\n"
        f"auth_type = trust\nauth_file = {base / 'userlist.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 1\nmax_client_conn = 100\n"
        f"logfile = {base / 'pgbouncer.log'}\n"
    )
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        for f in base.iterdir():
            shutil.chown(f, "postgres")
    proc = subprocess.Popen(
        _as_postgres([PGBOUNCER, str(base / "pgbouncer.ini")]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log = base / "pgbouncer.log"
                    said = log.read_text() if log.exists() else ""
                    raise RuntimeError(f"pgbouncer did not start: {said}") from None
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def _through(bouncer: int, direct_url: str) -> str:
    """The URL of the database ``direct_url`` names, through PgBouncer on port ``bouncer``."""
    return (
        sa.engine.make_url(direct_url)
        .set(host="127.0.0.1", port=bouncer)
        .render_as_string(hide_password=False)
    )


def _two_clients_repeat_one_query(engine: sa.Engine) -> None:
    """Two pooled connections take turns running the same query, each in its own transaction, more often
    than psycopg's default threshold for preparing it (5)."""
    first, second = engine.connect(), engine.connect()
    try:
        for i in range(8):
            for conn in (first, second):
                with conn.begin():
                    assert conn.execute(sa.text("SELECT CAST(:n AS integer) + 1"), {"n": i}).scalar() == i + 1
    finally:
        first.close()
        second.close()


def test_prepared_statements_break_behind_pgbouncer_without_the_setting(
    bouncer: int, pg_server_url: str
) -> None:
    """The control: with psycopg's default, the second client prepares a statement the first one left on the
    shared server connection, and PostgreSQL refuses it."""
    url = _through(bouncer, fresh_database(pg_server_url))
    engine = sa.create_engine(url, **engine_options(url, PoolSettings(pgbouncer=False)))
    try:
        with pytest.raises(DBAPIError, match="prepared statement .* already exists"):
            _two_clients_repeat_one_query(engine)
    finally:
        engine.dispose()


def test_with_the_setting_the_same_queries_run_behind_pgbouncer(bouncer: int, pg_server_url: str) -> None:
    """With ``TRIAGE_DB_PGBOUNCER``'s options nothing is prepared on the server, and the same turns succeed."""
    url = _through(bouncer, fresh_database(pg_server_url))
    engine = sa.create_engine(url, **engine_options(url, PoolSettings(pgbouncer=True)))
    try:
        _two_clients_repeat_one_query(engine)
    finally:
        engine.dispose()


def test_a_store_behind_pgbouncer_migrates_and_persists_interleaved_walks(
    bouncer: int, pg_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through PgBouncer (TRIAGE_DB_PGBOUNCER=1): the store migrates a new database, publishes the trees, and
    three self-service walks answered in turn over a pool of three connections (one server connection behind)
    all reach their outcome; a store straight on PostgreSQL reads back every step."""
    direct = fresh_database(pg_server_url)
    monkeypatch.setenv("TRIAGE_DB_PGBOUNCER", "1")
    monkeypatch.setenv("TRIAGE_DB_POOL_SIZE", "3")
    store = Store(_through(bouncer, direct))
    try:
        store.sync(shipped())
        walks = [store.start_session("no-internet", mode=Audience.SELF_SERVICE) for _ in range(3)]
        for answer in WALK:
            for walk in walks:  # each step its own transaction, in turn, on whichever server connection
                store.load_session(walk.id).answer(answer)
    finally:
        store.dispose()
    monkeypatch.delenv("TRIAGE_DB_PGBOUNCER")
    check = Store(direct, migrate=False)
    try:
        for walk in walks:
            view = check.load_session(walk.id).view()
            assert view.finished
            assert view.node_id == "fixed_power"
            assert check.load_session(walk.id).event_count == walks[0].event_count + len(WALK)
    finally:
        check.dispose()
