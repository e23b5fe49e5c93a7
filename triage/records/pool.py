"""How the store connects: the SQLAlchemy engine's options, from settings a deployment gives in the environment.

PostgreSQL (every ``Store`` of one process shares nothing: each has its own pool):

* ``TRIAGE_DB_POOL_SIZE`` (default 10): connections a process keeps open. A Streamlit instance runs each
  browser's clicks in its own thread, so this bounds the clicks that touch the database at once.
* ``TRIAGE_DB_MAX_OVERFLOW`` (default 10): extra connections opened under a burst and closed when returned.
* ``TRIAGE_DB_POOL_TIMEOUT`` (default 30): seconds a click waits for a free connection before it fails with
  :class:`~triage.errors.StoreUnavailable` ("nothing was saved").
* ``TRIAGE_DB_POOL_PRE_PING`` (default on): test a pooled connection before use, so one a restarted server or
  a proxy dropped is replaced instead of failing a click.
* ``TRIAGE_DB_PGBOUNCER`` (default off): the URL points at PgBouncer in transaction mode. psycopg then never
  prepares statements on the server (``prepare_threshold=None``): the next transaction may run on another
  server connection, where the prepared statement does not exist.

Nothing else needs a session that outlives a transaction: the store holds locks only for its transaction
(``pg_advisory_xact_lock``, ``SELECT ... FOR UPDATE``), sets nothing with a session-level ``SET``, and uses no
``LISTEN``, temporary tables or server-side cursors. So a deployment of N processes needs at most
``N x (pool size + overflow)`` connections to PostgreSQL, or to PgBouncer, which folds them onto fewer.

SQLite ignores the pool settings: one file, one writer at a time, a busy timeout instead of a wait for a slot.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from triage.errors import StoreError

__all__ = [
    "ENV_MAX_OVERFLOW",
    "ENV_PGBOUNCER",
    "ENV_POOL_SIZE",
    "ENV_POOL_TIMEOUT",
    "ENV_PRE_PING",
    "PoolSettings",
    "engine_options",
    "pool_settings",
]

ENV_POOL_SIZE = "TRIAGE_DB_POOL_SIZE"
ENV_MAX_OVERFLOW = "TRIAGE_DB_MAX_OVERFLOW"
ENV_POOL_TIMEOUT = "TRIAGE_DB_POOL_TIMEOUT"
ENV_PRE_PING = "TRIAGE_DB_POOL_PRE_PING"
ENV_PGBOUNCER = "TRIAGE_DB_PGBOUNCER"

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class PoolSettings:
    """The connection pool of one process (see the module's docstring for what each means)."""

    size: int = 10
    max_overflow: int = 10
    timeout: float = 30.0
    pre_ping: bool = True
    pgbouncer: bool = False

    @property
    def most(self) -> int:
        """The most connections one process opens: the pool and its overflow."""
        return self.size + self.max_overflow


def _whole(env: Mapping[str, str], name: str, default: int, least: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise StoreError(f"{name} must be a whole number (got {raw!r})") from None
    if value < least:
        raise StoreError(f"{name} must be at least {least} (got {raw!r})")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise StoreError(f"{name} must be a number of seconds (got {raw!r})") from None
    if not value > 0:  # also refuses nan
        raise StoreError(f"{name} must be more than 0 seconds (got {raw!r})")
    return value


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise StoreError(f"{name} must be one of {', '.join(_TRUE + _FALSE)} (got {raw!r})")


def pool_settings(env: Mapping[str, str] | None = None) -> PoolSettings:
    """The pool settings from ``env`` (default: the process's environment); a bad value is a :class:`StoreError`
    naming the variable."""
    env = os.environ if env is None else env
    return PoolSettings(
        size=_whole(env, ENV_POOL_SIZE, 10, 1),
        max_overflow=_whole(env, ENV_MAX_OVERFLOW, 10, 0),
        timeout=_seconds(env, ENV_POOL_TIMEOUT, 30.0),
        pre_ping=_switch(env, ENV_PRE_PING, True),
        pgbouncer=_switch(env, ENV_PGBOUNCER, False),
    )


def engine_options(url: str, settings: PoolSettings | None = None) -> dict[str, Any]:
    """The keyword arguments of ``create_engine(url, ...)`` for the store: SQLite's connection options, or
    PostgreSQL's pool (``settings``, default :func:`pool_settings`) and, behind PgBouncer, no prepared
    statements."""
    if url.startswith("sqlite"):
        return {"connect_args": {"check_same_thread": False, "timeout": 15}}
    pool = pool_settings() if settings is None else settings
    options: dict[str, Any] = {
        "pool_size": pool.size,
        "max_overflow": pool.max_overflow,
        "pool_timeout": pool.timeout,
        "pool_pre_ping": pool.pre_ping,
    }
    if pool.pgbouncer:
        options["connect_args"] = {"prepare_threshold": None}
    return options
