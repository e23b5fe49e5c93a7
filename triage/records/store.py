"""The store: published tree versions and persistent sessions, in SQLite or PostgreSQL.

* **Tree versions.** Publishing stores an immutable version (content and SHA-256). Saving against a stale
  base is refused with :class:`VersionConflict`, which carries the author's text so nothing is lost.
* **Sessions.** Every event is written, in its own transaction, before the session moves on; a session is
  resumable by id after the process dies. A session pins the versions of its tree and of every procedure it
  may call, and always replays against those.
* **Outcome truth.** A new contact from the same customer about the same problem within the repeat window
  marks an earlier "resolved" as not resolved, and tells the policy how many contacts there were.

The escalation queue (:mod:`triage.records.cases`), home visits (:mod:`triage.visits.scheduling`) and analytics
(:mod:`triage.analytics.queries`) build on the same database.
"""

from __future__ import annotations

import contextlib
import difflib
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Table, create_engine, func, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session as DBSession
from sqlalchemy.orm import sessionmaker

from triage.errors import LibraryError, NotFound, SessionError, StoreError, StoreUnavailable, VersionConflict
from triage.records.schema import EventRow, SessionRow, TreeVersion, configure_sqlite, database_url, utcnow
from triage.trees.library import Library
from triage.trees.loader import LoadedTree, parse_tree
from triage.trees.model import Audience, CallNode, Tree, localize
from triage.walk.policy import Decision, Policy
from triage.walk.scenarios import build_library
from triage.walk.session import Event, Session, StepView

__all__ = [
    "Store",
    "StoredSession",
    "VersionInfo",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATE_LOCK = 7_715_001  # PostgreSQL advisory lock id: one instance migrates at a time


@dataclass(frozen=True)
class VersionInfo:
    """One published version of a tree."""

    id: int
    tree_id: str
    version: int
    digest: str
    title: str
    category: str
    procedure: bool
    author: str
    note: str
    published_at: datetime
    path: str | None


def _info(row: TreeVersion) -> VersionInfo:
    return VersionInfo(
        row.id,
        row.tree_id,
        row.version,
        row.digest,
        row.title,
        row.category,
        row.procedure,
        row.author,
        row.note,
        row.published_at,
        row.path,
    )


class Store:
    """The database behind triage. ``Store()`` opens (and creates, and migrates) the default SQLite file."""

    def __init__(
        self,
        url: str | None = None,
        *,
        policy: Policy | None = None,
        repeat_window: timedelta = timedelta(days=7),
        migrate: bool = True,
    ) -> None:
        self.url = database_url(url)
        kwargs: dict[str, Any] = {"future": True}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        else:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
        self.engine: Engine = create_engine(self.url, **kwargs)
        configure_sqlite(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.policy = policy or Policy()
        self.repeat_window = repeat_window
        self._trees: dict[int, Tree] = {}
        self._trees_lock = threading.Lock()
        if migrate:
            self.migrate()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- plumbing ---------------------------------------------------------------------------------

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
            yield db
            db.commit()
        except IntegrityError:
            db.rollback()
            raise
        except (OperationalError, InterfaceError) as exc:
            db.rollback()
            raise StoreUnavailable(
                f"the database did not accept the change: {_short(exc)}; nothing was saved"
            ) from exc
        except DBAPIError as exc:  # bad data, not a passing fault: retrying would not help
            db.rollback()
            raise StoreError(f"the database refused the change: {_short(exc)}; nothing was saved") from exc
        except BaseException:
            db.rollback()
            raise
        finally:
            db.close()

    def dispose(self) -> None:
        self.engine.dispose()

    # -- tree versions ----------------------------------------------------------------------------

    def publish(
        self,
        text: str,
        *,
        author: str,
        base_version: int | None = None,
        note: str = "",
        path: str | None = None,
        check_base: bool = True,
    ) -> VersionInfo:
        """Publish a tree's YAML as a new immutable version.

        ``base_version`` is the version the author started from (``None`` for a new tree). If someone
        published in between, :class:`VersionConflict` is raised and carries ``text``. The text must be a
        valid tree: :class:`~triage.errors.TreeError` lists its errors otherwise.
        """
        loaded = parse_tree(text, path or "<draft>")
        tree = loaded.raise_for_errors()
        with self.tx() as db:
            latest = db.scalar(
                select(TreeVersion)
                .where(TreeVersion.tree_id == tree.id)
                .order_by(TreeVersion.version.desc())
                .limit(1)
                .with_for_update()
            )
            latest_n = latest.version if latest else 0
            if check_base and (base_version or 0) != latest_n:
                raise VersionConflict(tree.id, base_version, latest_n, text)
            if latest is not None and latest.digest == loaded.digest:
                return _info(latest)
            row = TreeVersion(
                tree_id=tree.id,
                version=latest_n + 1,
                digest=loaded.digest,
                content=text,
                title=localize(tree.title, "en"),
                category=tree.category.value,
                procedure=tree.procedure,
                path=path,
                author=author,
                note=note,
                published_at=utcnow(),
            )
            db.add(row)
            try:
                db.flush()
            except IntegrityError as exc:  # another instance published the same number a moment ago
                raise VersionConflict(tree.id, base_version, latest_n + 1, text) from exc
            return _info(row)

    def sync(self, library: Library, author: str = "sync", only: set[str] | None = None) -> list[VersionInfo]:
        """Publish every valid tree of ``library`` (or of the files in ``only``) whose text changed."""
        out = []
        for tree_id, source in library.sources.items():
            if only is not None and source.path not in only:
                continue
            latest = self.latest_version(tree_id)
            if latest is not None and latest.digest == source.digest:
                continue
            out.append(
                self.publish(
                    source.text,
                    author=author,
                    base_version=latest.version if latest else None,
                    note="synced from file",
                    path=source.path,
                )
            )
        return out

    def versions(self, tree_id: str) -> list[VersionInfo]:
        """Every published version of a tree, oldest first."""
        with self.tx() as db:
            rows = db.scalars(
                select(TreeVersion).where(TreeVersion.tree_id == tree_id).order_by(TreeVersion.version)
            ).all()
            return [_info(r) for r in rows]

    def latest_version(self, tree_id: str) -> VersionInfo | None:
        with self.tx() as db:
            row = db.scalar(
                select(TreeVersion)
                .where(TreeVersion.tree_id == tree_id)
                .order_by(TreeVersion.version.desc())
                .limit(1)
            )
            return _info(row) if row else None

    def version_text(self, tree_id: str, version: int) -> str:
        with self.tx() as db:
            row = db.scalar(
                select(TreeVersion).where(TreeVersion.tree_id == tree_id, TreeVersion.version == version)
            )
            if row is None:
                raise NotFound(f"tree {tree_id!r} has no version {version}")
            return row.content

    def diff(self, tree_id: str, old: int, new: int) -> str:
        """A readable diff between two versions: which nodes changed, then the unified text diff."""
        a, b = self.version_text(tree_id, old), self.version_text(tree_id, new)
        ta, tb = parse_tree(a).tree, parse_tree(b).tree
        lines = [f"tree {tree_id}: version {old} -> {new}"]
        if ta is not None and tb is not None:
            na, nb = ta.by_id, tb.by_id
            added = sorted(set(nb) - set(na))
            removed = sorted(set(na) - set(nb))
            changed = sorted(k for k in set(na) & set(nb) if na[k] != nb[k])
            lines.append(f"nodes added: {', '.join(added) or '-'}")
            lines.append(f"nodes removed: {', '.join(removed) or '-'}")
            lines.append(f"nodes changed: {', '.join(changed) or '-'}")
        lines.append("")
        lines += difflib.unified_diff(
            a.splitlines(), b.splitlines(), f"{tree_id} v{old}", f"{tree_id} v{new}", lineterm=""
        )
        return "\n".join(lines) + "\n"

    def _tree_row(self, version_id: int) -> Tree:
        with self._trees_lock:
            cached = self._trees.get(version_id)
        if cached is not None:
            return cached
        with self.tx() as db:
            row = db.get(TreeVersion, version_id)
            if row is None:
                raise NotFound(f"no tree version with id {version_id}")
            content, path = row.content, row.path
        tree = parse_tree(content, path or f"<version {version_id}>").raise_for_errors()
        with self._trees_lock:
            self._trees[version_id] = tree
        return tree

    def latest_ids(self) -> dict[str, int]:
        """Tree id -> id of its latest version."""
        with self.tx() as db:
            sub = select(TreeVersion.tree_id, func.max(TreeVersion.version).label("v")).group_by(
                TreeVersion.tree_id
            )
            sub_q = sub.subquery()
            rows = db.execute(
                select(TreeVersion.tree_id, TreeVersion.id).join(
                    sub_q, (TreeVersion.tree_id == sub_q.c.tree_id) & (TreeVersion.version == sub_q.c.v)
                )
            ).all()
            return {r[0]: r[1] for r in rows}

    def library(self, pins: Mapping[str, int] | None = None) -> Library:
        """The published library: latest versions, or the pinned version ids given (a session's view)."""
        ids = dict(pins) if pins is not None else self.latest_ids()
        loaded = []
        for tree_id, version_id in sorted(ids.items()):
            tree = self._tree_row(version_id)
            lt = LoadedTree(path=f"{tree_id}@{version_id}", text="", tree=tree)
            loaded.append(lt)
        lib = build_library(loaded, scenarios=False)
        return lib

    def _pins_for(self, tree_id: str) -> dict[str, int]:
        """Latest version ids of the tree and every procedure it may call (transitively)."""
        latest = self.latest_ids()
        if tree_id not in latest:
            raise LibraryError(f"tree {tree_id!r} has not been published")
        pins: dict[str, int] = {}
        stack = [tree_id]
        while stack:
            tid = stack.pop()
            if tid in pins:
                continue
            if tid not in latest:
                raise LibraryError(f"tree {tree_id!r} calls {tid!r}, which has not been published")
            pins[tid] = latest[tid]
            tree = self._tree_row(latest[tid])
            stack += [n.procedure for n in tree.nodes if isinstance(n, CallNode)]
        return pins

    def _pinned_library(self, pins: Mapping[str, int]) -> dict[str, Tree]:
        return {tid: self._tree_row(vid) for tid, vid in pins.items()}

    # -- sessions ---------------------------------------------------------------------------------

    def start_session(
        self,
        tree_id: str,
        *,
        mode: Audience | str = Audience.AGENT,
        locale: str = "en",
        facts: Mapping[str, Any] | None = None,
        customer_id: str | None = None,
        session_id: str | None = None,
        now: datetime | None = None,
    ) -> StoredSession:
        """Start a persistent session on the latest published version of ``tree_id``."""
        pins = self._pins_for(tree_id)
        trees = self._pinned_library(pins)
        facts = dict(facts or {})
        if customer_id:
            facts.setdefault("customer_id", customer_id)
        started = now or utcnow()
        stored = StoredSession(self, pins)
        with self.tx() as db:
            repeat_of = None
            if customer_id:
                since = started - self.repeat_window
                earlier = db.execute(
                    select(SessionRow.id, SessionRow.decision_kind)
                    .where(
                        SessionRow.customer_id == customer_id,
                        SessionRow.tree_id == tree_id,
                        SessionRow.started_at >= since,
                        SessionRow.started_at <= started,
                    )
                    .order_by(SessionRow.started_at)
                ).all()
                if earlier:
                    facts.setdefault("repeat_contacts", len(earlier))
                    repeat_of = earlier[-1][0]
                    resolved = [r[0] for r in earlier if r[1] == "resolved"]
                    if resolved:
                        db.execute(
                            update(SessionRow).where(SessionRow.id.in_(resolved)).values(truth="not_resolved")
                        )
            stored.db = db
            session = Session.start(
                trees,
                tree_id,
                mode=mode,
                locale=locale,
                facts=facts,
                policy=self.policy,
                session_id=session_id,
                clock=(lambda: started) if now is not None else utcnow,
                tree_digest=None,
                listeners=[stored._write_event],
            )
            session.clock = utcnow
            stored.session = session
            row = SessionRow(
                id=session.id,
                tree_id=tree_id,
                root_version=self._version_number(db, pins[tree_id]),
                pins=pins,
                mode=session.mode.value,
                locale=locale,
                customer_id=customer_id,
                status="open",
                started_at=session.events[0].at,
                updated_at=session.events[0].at,
                repeat_of=repeat_of,
            )
            db.add(row)
            db.flush()
            stored._flush_pending(db)
            stored._summarize(db)
            stored.db = None
        return stored

    @staticmethod
    def _version_number(db: DBSession, version_id: int) -> int:
        row = db.get(TreeVersion, version_id)
        assert row is not None
        return row.version

    def load_session(self, session_id: str) -> StoredSession:
        """A session by id, replayed from its stored events against its pinned tree versions."""
        with self.tx() as db:
            row = db.get(SessionRow, session_id)
            if row is None:
                raise NotFound(f"no session {session_id!r}")
            pins = dict(row.pins)
            events = [
                Event(seq=e.seq, at=e.at, type=e.type, node=_key(e.tree_id, e.node_id), value=e.value)  # type: ignore[arg-type]
                for e in db.scalars(
                    select(EventRow).where(EventRow.session_id == session_id).order_by(EventRow.seq)
                )
            ]
        trees = self._pinned_library({k: int(v) for k, v in pins.items()})
        stored = StoredSession(self, pins)
        stored.session = Session.replay(
            trees, events, session_id=session_id, policy=self.policy, listeners=[stored._write_event]
        )
        return stored

    def session_row(self, session_id: str) -> SessionRow:
        with self.tx() as db:
            row = db.get(SessionRow, session_id)
            if row is None:
                raise NotFound(f"no session {session_id!r}")
            db.expunge(row)
            return row

    def list_sessions(
        self,
        *,
        status: str | None = None,
        tree_id: str | None = None,
        customer_id: str | None = None,
        limit: int = 100,
    ) -> list[SessionRow]:
        with self.tx() as db:
            q = select(SessionRow).order_by(SessionRow.started_at.desc()).limit(limit)
            if status:
                q = q.where(SessionRow.status == status)
            if tree_id:
                q = q.where(SessionRow.tree_id == tree_id)
            if customer_id:
                q = q.where(SessionRow.customer_id == customer_id)
            rows = list(db.scalars(q).all())
            for r in rows:
                db.expunge(r)
            return rows

    def record_closure(
        self,
        db: DBSession,
        session_id: str,
        code: str,
        fix: str | None,
        source: str,
        fault: str | None = None,
    ) -> None:
        """Store the real fault found (closure code) against the session, for later analysis."""
        if db.get(SessionRow, session_id) is None:
            raise NotFound(f"no session {session_id!r}")
        db.execute(
            update(SessionRow)
            .where(SessionRow.id == session_id)
            .values(closure_code=code, closure_fix=fix, closure_source=source, true_fault=fault or code)
        )


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _key(tree_id: str | None, node_id: str | None) -> str | None:
    return f"{tree_id}:{node_id}" if tree_id and node_id else None


def _short(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return msg.strip().splitlines()[0]


class StoredSession:
    """A :class:`~triage.walk.session.Session` whose every step is written to the store as it happens.

    Each call (answer, back, note, ...) is one transaction: the event row and the session's summary row
    commit together, or neither does and the in-memory session is rolled back to what is stored.
    """

    def __init__(self, store: Store, pins: Mapping[str, int]) -> None:
        self.store = store
        self.pins = dict(pins)
        self.session: Session = None  # type: ignore[assignment]
        self.db: DBSession | None = None
        self._pending: list[Event] = []
        self._stale = False
        self._last_kind: str | None = None  # decision kind at the last write; None: not known yet

    @property
    def id(self) -> str:
        return self.session.id

    @property
    def decision(self) -> Decision | None:
        return self.session.decision

    def view(self) -> StepView:
        return self.session.view()

    def _write_event(self, ev: Event) -> None:
        if self.db is None:
            raise SessionError("a stored session changes only through its own methods")
        self._pending.append(ev)

    def _flush_pending(self, db: DBSession) -> None:
        rows = []
        for ev in self._pending:
            tree_id, _, node_id = (ev.node or "").partition(":")
            rows.append(
                {
                    "session_id": self.session.id,
                    "seq": ev.seq,
                    "at": ev.at,
                    "type": ev.type,
                    "tree_id": tree_id or None,
                    "node_id": node_id or None,
                    "value": _jsonable(ev.value),
                }
            )
        if rows:
            # Core, not the ORM unit of work: this is the hot path of every step
            db.connection().execute(insert(_table(EventRow)), rows)
        self._pending.clear()

    def _summarize(self, db: DBSession) -> None:
        s = self.session
        d = s.decision
        pos = s.pos
        values: dict[str, Any] = {
            "updated_at": s.events[-1].at,
            "steps": sum(1 for st in s.path if not st.auto),
            "last_tree": pos.tree_id if pos else None,
            "last_node": pos.node_id if pos else None,
            "mode": s.mode.value,
            "status": "decided" if d else "open",
            "decision_kind": d.kind.value if d else None,
            "decision_rule": d.rule if d else None,
            "decision_node": d.node_id if d else None,
            "decision": d.model_dump(mode="json") if d else None,
            "decided_at": s.events[-1].at if d else None,
        }
        table = _table(SessionRow)
        db.connection().execute(update(table).where(table.c.id == s.id).values(**values))
        kind = values["decision_kind"]
        if kind == "escalate" or self._last_kind == "escalate" or self._last_kind is None:
            # only an escalation, or leaving one, can change the session's case
            from triage.records.cases import (
                sync_case,
            )  # the queue builds on sessions; imported late to keep layers apart

            sync_case(db, s)
        self._last_kind = kind or ""

    def _do(self, op: str, *args: Any) -> Any:
        """Run one session operation inside one transaction."""
        if self._stale:
            self._reload()
        before = len(self.session.events)
        try:
            with self.store.tx() as db:
                self.db = db
                result = getattr(self.session, op)(*args)
                self._flush_pending(db)
                self._summarize(db)
        except BaseException:
            self._pending.clear()
            if len(self.session.events) != before:
                # the session moved but the store did not: go back to what is stored
                self._stale = True
                with contextlib.suppress(StoreError):  # still unreachable: the next call reloads first
                    self._reload()
            raise
        finally:
            self.db = None
        return result

    def _reload(self) -> None:
        self.session = self.store.load_session(self.session.id).session
        self.session.listeners = [self._write_event]
        self._stale = False

    def answer(self, value: Any) -> StepView:
        return self._do("answer", value)  # type: ignore[no-any-return]

    def mark_tried(self) -> StepView:
        return self._do("mark_tried")  # type: ignore[no-any-return]

    def back(self, index: int | None = None) -> StepView:
        return self._do("back", index)  # type: ignore[no-any-return]

    def restart(self) -> StepView:
        return self._do("restart")  # type: ignore[no-any-return]

    def add_note(self, text: str) -> None:
        self._do("add_note", text)

    def escalate_now(self) -> Decision:
        return self._do("escalate_now")  # type: ignore[no-any-return]

    def handover(self, mode: Audience | str = Audience.AGENT) -> StepView:
        return self._do("handover", mode)  # type: ignore[no-any-return]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def load_into(store: Store, library: Library) -> list[VersionInfo]:
    """Publish a library into the store (first start, or after files changed)."""
    return store.sync(library)


__all__ += ["load_into"]
