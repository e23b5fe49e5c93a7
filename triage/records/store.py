"""The store: published tree versions and persistent sessions, in SQLite or PostgreSQL.

:class:`Store` opens the database (creating and migrating it), runs transactions, and turns database
faults into clear errors. Its methods come from two halves:

* :mod:`triage.records.versions` — publishing immutable tree versions, diffs, and the pinned libraries
  sessions replay against (:class:`~triage.records.versions.TreeVersions`);
* :mod:`triage.records.sessions` — persistent, resumable sessions, outcome truth, closures, and the
  decisions announced to listeners (:class:`~triage.records.sessions.SessionRecords`).

The store never imports what builds on it. The escalation queue (:mod:`triage.records.cases`) hears about
decisions as a listener: :func:`subscribe_every_store` (the records package subscribes the queue when it is
imported, so every ``Store(...)`` creates cases) or :meth:`Store.on_decision` for one store. Home visits
(:mod:`triage.visits`) and analytics (:mod:`triage.analytics.queries`) build on the same database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Self

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session as DBSession
from sqlalchemy.orm import sessionmaker

from triage.errors import StoreError, StoreUnavailable
from triage.records.pool import engine_options
from triage.records.schema import configure_sqlite, database_url
from triage.records.sessions import DecisionListener, DecisionWritten, SessionRecords, StoredSession
from triage.records.versions import VersionInfo
from triage.trees.library import Library
from triage.walk.policy import Policy

__all__ = [
    "DecisionListener",
    "DecisionWritten",
    "Store",
    "StoredSession",
    "VersionInfo",
    "load_into",
    "subscribe_every_store",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATE_LOCK = 7_715_001  # PostgreSQL advisory lock id: one instance migrates at a time

_EVERY_STORE: list[DecisionListener] = []


def subscribe_every_store(listener: DecisionListener) -> None:
    """Tell ``listener`` about the decisions of every store opened from now on (once, however often called)."""
    if listener not in _EVERY_STORE:
        _EVERY_STORE.append(listener)


class Store(SessionRecords):
    """The database behind triage. ``Store()`` opens (and creates, and migrates) the default SQLite file.

    ``listeners`` are told about decisions (see :class:`DecisionWritten`); by default, the ones subscribed
    with :func:`subscribe_every_store`, which include the escalation queue.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        policy: Policy | None = None,
        repeat_window: timedelta = timedelta(days=7),
        migrate: bool = True,
        listeners: Iterable[DecisionListener] | None = None,
    ) -> None:
        self.url = database_url(url)
        # the pool (sized by TRIAGE_DB_* settings) and PgBouncer's needs: triage.records.pool
        self.engine: Engine = create_engine(self.url, future=True, **engine_options(self.url))
        configure_sqlite(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.policy = policy or Policy()
        self.repeat_window = repeat_window
        self.decision_listeners = list(_EVERY_STORE if listeners is None else listeners)
        self._trees = {}
        self._trees_lock = threading.Lock()
        if migrate:
            self.migrate()

    @property
    def dialect(self) -> str:
        """The database's SQLAlchemy dialect name: ``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the latest migration (safe to run from several instances at once)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATE_LOCK})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailable(f"cannot open the database at {self._safe_url()}: {_short(exc)}") from exc

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def tx(self) -> Iterator[DBSession]:
        """One transaction: committed at the end, rolled back on any error. Database faults become clear errors."""
        db = self.sessions()
        try:
            with _clear_faults():
                try:
                    yield db
                    db.commit()
                except BaseException:
                    db.rollback()
                    raise
        finally:
            db.close()

    @contextmanager
    def step_tx(self) -> Iterator[Connection]:
        """One transaction on a bare connection, for the hot path of a step: no ORM unit of work to set up,
        flush and tear down. Committed at the end, rolled back on any error, with the errors of :meth:`tx`."""
        with _clear_faults(), self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()


@contextmanager
def _clear_faults() -> Iterator[None]:
    """Database faults as clear errors: a passing fault is :class:`StoreUnavailable`, bad data :class:`StoreError`;
    an :class:`IntegrityError` passes unchanged (callers read a lost race from it)."""
    try:
        yield
    except IntegrityError:
        raise
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable(
            f"the database did not accept the change: {_short(exc)}; nothing was saved"
        ) from exc
    except DBAPIError as exc:  # bad data, not a passing fault: retrying would not help
        raise StoreError(f"the database refused the change: {_short(exc)}; nothing was saved") from exc


def _short(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return msg.strip().splitlines()[0]


def load_into(store: Store, library: Library) -> list[VersionInfo]:
    """Publish a library into the store (first start, or after files changed)."""
    return store.sync(library)
