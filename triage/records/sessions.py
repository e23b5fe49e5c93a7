"""Persistent sessions: every step written as it happens, resumable by id, and decisions announced.

* **Sessions.** Every event is written, in its own transaction, before the session moves on; a session is
  resumable by id after the process dies. A session pins the versions of its tree and of every procedure it
  may call, and always replays against those.
* **Write path.** A step is the hot path: it writes on a bare connection (:meth:`SessionRecords.step_tx`), with
  statements built once, its event row and only the summary columns that changed, and reads nothing back. On
  PostgreSQL the event rides along as a CTE of the summary update (one statement); listeners get an ORM session
  joined to the step's transaction only when there is a decision to tell them about.
* **Outcome truth.** A new contact from the same customer about the same problem within the repeat window
  marks an earlier "resolved" as not resolved, and tells the policy how many contacts there were.
* **Decisions.** When a session with a decision (or one that just lost its decision) is written, the store
  tells its decision listeners (:class:`DecisionWritten`), inside that same transaction. This is how the
  escalation queue (:mod:`triage.records.cases`) keeps cases in step without the store knowing about cases.
* **Races.** Two writers on one session (two tabs, an agent and the CLI) both write the next event number;
  the database keeps the first and refuses the second, whose :class:`StoredSession` reloads what is stored and
  raises :class:`~triage.errors.SessionConflict` naming what the other writer did. The next call works.
  A page that loads the session afresh for each click sends the :attr:`StoredSession.event_count` it drew;
  :meth:`StoredSession.check_seen` refuses a click meant for a step the session has left the same way (the
  event number then keeps a write between that check and the click's own from slipping through).
* **Limits.** What people type enters here and is checked here (:mod:`triage.limits`): notes, typed answers,
  customer ids, session ids, start facts and closure codes, and the locale (a language tag Babel knows). The
  engine replays stored events without checking them again, so lowering a limit never locks a session out.

:class:`SessionRecords` is one half of :class:`~triage.records.store.Store`; it builds on the tree versions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DBSession

from triage.errors import NotFound, Refused, SessionConflict, SessionError, StoreError
from triage.limits import check_length, limits
from triage.records.refs import new_reference
from triage.records.schema import EventRow, SessionRow, TreeVersion, utcnow
from triage.records.versions import TreeVersions
from triage.trees.model import Audience, OutcomeKind
from triage.walk.policy import Decision, Policy
from triage.walk.session import Event, Session, StepView
from triage.walk.systems import SystemResult, Systems, run_step
from triage.walk.values import check_locale

__all__ = ["DecisionListener", "DecisionWritten", "SessionRecords", "StoredSession", "unused_reference"]

_REFERENCE_TRIES = 5
"""Fresh references drawn before giving up: a clash is one in a billion, two in a row never happen."""


@dataclass(frozen=True)
class DecisionWritten:
    """What a decision listener hears: a stored session that has a decision, or just lost one, was written.

    ``db`` is the session's own transaction, so what a listener writes commits with the step or not at all.
    ``previous`` is the decision kind at this stored session's previous write; ``first`` is true on the
    first write after the session was started or loaded, when what was stored before is not known.
    """

    db: DBSession
    session: Session
    previous: OutcomeKind | None
    first: bool

    @property
    def kind(self) -> OutcomeKind | None:
        """The kind of the session's decision now, ``None`` while it is open."""
        d = self.session.decision
        return d.kind if d else None


DecisionListener = Callable[[DecisionWritten], None]
"""A callable the store tells about decisions (see :meth:`SessionRecords.on_decision`)."""


class SessionRecords(TreeVersions):
    """Starting, loading and listing persistent sessions; mixed into :class:`~triage.records.store.Store`."""

    # set by Store.__init__
    policy: Policy
    repeat_window: timedelta
    decision_listeners: list[DecisionListener]

    def step_tx(self) -> AbstractContextManager[Connection]:
        """One transaction on a bare connection; :class:`~triage.records.store.Store` provides it."""
        raise NotImplementedError

    def on_decision(self, listener: DecisionListener) -> None:
        """Tell ``listener`` about every decision this store writes (once, however often subscribed)."""
        if listener not in self.decision_listeners:
            self.decision_listeners.append(listener)

    def _announce(self, news: DecisionWritten) -> None:
        for listener in self.decision_listeners:
            listener(news)

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
        """Start a persistent session on the latest published version of ``tree_id``, with a fresh reference.

        :class:`~triage.errors.LimitExceeded` for a customer id, session id or start fact over its limit,
        :class:`~triage.errors.InvalidLocale` for a locale that is not a language tag Babel knows.
        """
        facts = _checked_start(locale, facts or {}, customer_id, session_id)
        for attempt in range(_REFERENCE_TRIES):
            try:
                return self._start_once(tree_id, mode, locale, facts, customer_id, session_id, now)
            except IntegrityError as exc:
                if session_id is not None and self._session_exists(session_id):
                    raise _id_taken(session_id) from exc  # taken before, or by a start at the same moment
                if attempt == _REFERENCE_TRIES - 1:
                    raise
                # another start took the same reference between our look and our write: draw again
        raise AssertionError("unreachable")  # pragma: no cover

    def _session_exists(self, session_id: str) -> bool:
        with self.tx() as db:
            return db.get(SessionRow, session_id) is not None

    def _start_once(
        self,
        tree_id: str,
        mode: Audience | str,
        locale: str,
        facts: dict[str, Any],
        customer_id: str | None,
        session_id: str | None,
        now: datetime | None,
    ) -> StoredSession:
        """One attempt at :meth:`start_session`, in one transaction."""
        pins = self._pins_for(tree_id)
        trees = self._pinned_library(pins)
        started = now or utcnow()
        stored = StoredSession(self, pins)
        with self.tx() as db:
            if session_id is not None and db.get(SessionRow, session_id) is not None:
                raise _id_taken(session_id)
            repeat_of = self._mark_repeats(db, tree_id, customer_id, started, facts) if customer_id else None
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
            stored.reference = unused_reference(db, SessionRow.reference)
            db.add(
                SessionRow(
                    id=session.id,
                    reference=stored.reference,
                    tree_id=tree_id,
                    root_version=db.scalar(
                        select(TreeVersion.version).where(TreeVersion.id == pins[tree_id])
                    ),
                    pins=pins,
                    mode=session.mode.value,
                    locale=locale,
                    customer_id=customer_id,
                    status="open",
                    started_at=session.events[0].at,
                    updated_at=session.events[0].at,
                    repeat_of=repeat_of,
                )
            )
            db.flush()
            stored._write(db.connection(), db)
            stored.db = None
        return stored

    def _mark_repeats(
        self, db: DBSession, tree_id: str, customer_id: str, started: datetime, facts: dict[str, Any]
    ) -> str | None:
        """Outcome truth: earlier "resolved" contacts about this problem were not; the id of the last one."""
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
        if not earlier:
            return None
        facts.setdefault("repeat_contacts", len(earlier))
        resolved = [r[0] for r in earlier if r[1] == "resolved"]
        if resolved:
            db.execute(update(SessionRow).where(SessionRow.id.in_(resolved)).values(truth="not_resolved"))
        return earlier[-1][0]

    def load_session(self, session_id: str) -> StoredSession:
        """A session by id, replayed from its stored events against its pinned tree versions."""
        check_length("session id", session_id, limit=limits().identifier)
        with self.tx() as db:
            row = db.get(SessionRow, session_id)
            if row is None:
                raise NotFound(f"no session {session_id!r}")
            pins, reference = dict(row.pins), row.reference
            events = [
                Event(seq=e.seq, at=e.at, type=e.type, node=_key(e.tree_id, e.node_id), value=e.value)  # type: ignore[arg-type]
                for e in db.scalars(
                    select(EventRow).where(EventRow.session_id == session_id).order_by(EventRow.seq)
                )
            ]
        trees = self._pinned_library({k: int(v) for k, v in pins.items()})
        stored = StoredSession(self, pins)
        stored.reference = reference
        stored.session = Session.replay(
            trees, events, session_id=session_id, policy=self.policy, listeners=[stored._write_event]
        )
        return stored

    def session_row(self, session_id: str) -> SessionRow:
        """The stored summary row of a session (detached: read it after the transaction)."""
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
        """Session summary rows, newest first, optionally by status, tree and customer."""
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
        check_length("closure code", code, limit=limits().code)
        check_length("fault", fault or code, limit=limits().code)
        check_length("closure fix", fix or "", limit=limits().note)
        if db.get(SessionRow, session_id) is None:
            raise NotFound(f"no session {session_id!r}")
        db.execute(
            update(SessionRow)
            .where(SessionRow.id == session_id)
            .values(closure_code=code, closure_fix=fix, closure_source=source, true_fault=fault or code)
        )


def unused_reference(db: DBSession, column: Any) -> str:
    """A fresh reference (:func:`~triage.records.refs.new_reference`) that no row has in ``column`` yet.

    A start at the same moment may still take it before this transaction commits: the unique index refuses
    the second, and the caller draws again.
    """
    for _ in range(_REFERENCE_TRIES):
        ref = new_reference()
        if db.scalar(select(column).where(column == ref).limit(1)) is None:
            return ref
    raise StoreError(f"no free reference after {_REFERENCE_TRIES} tries; the reference space is exhausted")


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


# Built once: a statement object made afresh for every step costs more than the database's work for it
_INSERT_EVENT = insert(_table(EventRow))
_SESSIONS = _table(SessionRow)
_UPDATE_SUMMARY = update(_SESSIONS).where(_SESSIONS.c.id == bindparam("session_key"))
_EVENTS = _table(EventRow)
# PostgreSQL: a step's one event and its summary update in one statement (one round trip, one snapshot)
_STEP_PG = _UPDATE_SUMMARY.add_cte(
    insert(_EVENTS)
    .values({c.name: bindparam(f"e_{c.name}", type_=c.type) for c in _EVENTS.columns})
    .cte("new_event")
)


def _key(tree_id: str | None, node_id: str | None) -> str | None:
    return f"{tree_id}:{node_id}" if tree_id and node_id else None


def _id_taken(session_id: str) -> Refused:
    return Refused(f"there is already a session {session_id!r}; give another id, or none")


def _checked_start(
    locale: str, facts: Mapping[str, Any], customer_id: str | None, session_id: str | None
) -> dict[str, Any]:
    """The start facts (with the customer id), once locale, ids and facts are checked against their limits."""
    check_locale(locale)
    lim = limits()
    if session_id is not None:
        check_length("session id", session_id, limit=lim.identifier)
    for name, value in facts.items():
        check_length("fact name", str(name), limit=lim.identifier)
        if isinstance(value, str):
            check_length(f"value of fact {str(name)!r}", value, limit=lim.answer)
    out = dict(facts)
    if customer_id:
        out.setdefault("customer_id", check_length("customer id", customer_id, limit=lim.identifier))
    return out


# what another writer's events did, in words, for the conflict message
_DID = {
    "answer": "an answer was given",
    "tried": "a step was marked as already tried",
    "back": "an earlier step was reopened",
    "restart": "the walk was restarted",
    "note": "a note was added",
    "escalate": "a person was asked for",
    "handover": "it was handed over",
}


def conflict_message(changes: Sequence[str]) -> str:
    """The words of a :class:`~triage.errors.SessionConflict`: what the other writer's events did.

    >>> conflict_message(["note"])
    'This session was changed elsewhere (a note was added); here is where it stands now'
    >>> conflict_message(["answer", "answer", "note"])
    'This session was changed elsewhere (an answer was given twice, a note was added); here is where it stands now'
    >>> conflict_message([])
    'This session was changed elsewhere; here is where it stands now'
    """
    if not changes:  # nothing to name (a page that saw more than is stored: the database was replaced)
        return "This session was changed elsewhere; here is where it stands now"
    counts: dict[str, int] = {}
    for kind in changes:
        counts[kind] = counts.get(kind, 0) + 1
    times = {1: "", 2: " twice"}
    said = [_DID.get(k, k) + times.get(n, f" {n} times") for k, n in counts.items()]
    return f"This session was changed elsewhere ({', '.join(said)}); here is where it stands now"


class StoredSession:
    """A :class:`~triage.walk.session.Session` whose every step is written to the store as it happens.

    Each call (answer, back, note, ...) is one transaction: the event row and the session's summary row
    commit together, or neither does and the in-memory session is rolled back to what is stored.
    """

    def __init__(self, store: SessionRecords, pins: Mapping[str, int]) -> None:
        self.store = store
        self.pins = dict(pins)
        self.session: Session = None  # type: ignore[assignment]
        self.reference: str | None = None
        """What people read out for this session (``K7P-4QX``); the long :attr:`id` stays internal."""
        self.db: DBSession | Connection | None = None
        self._writing = False  # inside _do: events wait in _pending for its transaction
        self._pending: list[Event] = []
        self._summary: dict[str, Any] | None = None  # the summary columns as last written, None when unknown
        self._stale = False
        self._written = False  # whether this object has written the session (its last kind is known)
        self._last_kind: OutcomeKind | None = None  # decision kind at the last write

    @property
    def id(self) -> str:
        """The session id."""
        return self.session.id

    @property
    def decision(self) -> Decision | None:
        """The session's decision, ``None`` while it is open."""
        return self.session.decision

    def view(self) -> StepView:
        """What to show now."""
        return self.session.view()

    @property
    def event_count(self) -> int:
        """How many events the session has: a page keeps it with the step it drew and sends it with a click."""
        return len(self.session.events)

    def check_seen(self, seen: int) -> None:
        """Refuse a change meant for the session as it stood at ``seen`` events, if it has moved since.

        A page that is behind (another tab, the agent or the customer answered after it was drawn) would
        otherwise apply a click meant for the old step to the new one when their options share a value
        (``yes`` / ``no``): :class:`~triage.errors.SessionConflict` names what changed, and this object
        already holds the session as it stands. Notes added meanwhile leave the step where it was, so notes
        alone do not refuse the click.
        """
        if 0 <= seen <= self.event_count:
            theirs = [e.type for e in self.session.events[seen:]]
            if all(kind == "note" for kind in theirs):
                return
        else:  # more than is stored (the database was replaced under the page): nothing to name
            theirs = []
        raise SessionConflict(conflict_message(theirs), theirs)

    def _write_event(self, ev: Event) -> None:
        if self.db is None and not self._writing:
            raise SessionError("a stored session changes only through its own methods")
        self._pending.append(ev)

    def _write(self, conn: Connection, db: DBSession | None = None) -> None:
        """Write what the last operation did: its events and the summary columns it changed; then tell the
        listeners about a decision. Listeners get ``db``, or an ORM session joined to ``conn``'s transaction,
        made only when one is told (most steps tell nobody)."""
        rows = [self._event_row(ev) for ev in self._pending]
        self._pending.clear()
        values = self._summary_values()
        last = self._summary
        changed = values if last is None else {k: v for k, v in values.items() if last.get(k) != v}
        changed["updated_at"] = values["updated_at"]  # never an empty SET, even for two steps in one instant
        params = {"session_key": self.session.id, **changed}
        if len(rows) == 1 and conn.dialect.name == "postgresql":
            # one statement, one round trip: the event rides along as a CTE of the summary update
            conn.execute(_STEP_PG, {**{f"e_{k}": v for k, v in rows[0].items()}, **params})
        else:
            if rows:
                conn.execute(_INSERT_EVENT, rows)
            conn.execute(_UPDATE_SUMMARY, params)
        self._summary = values
        self._tell(conn, db)

    def _event_row(self, ev: Event) -> dict[str, Any]:
        tree_id, _, node_id = (ev.node or "").partition(":")
        return {
            "session_id": self.session.id,
            "seq": ev.seq,
            "at": ev.at,
            "type": ev.type,
            "tree_id": tree_id or None,
            "node_id": node_id or None,
            "value": _jsonable(ev.value),
        }

    def _summary_values(self) -> dict[str, Any]:
        """The session's summary columns as they are now."""
        s = self.session
        d = s.decision
        pos = s.pos
        return {
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

    def _tell(self, conn: Connection, db: DBSession | None) -> None:
        """Tell the store's listeners about a decision that came, stayed or went, in this transaction."""
        d = self.session.decision
        kind = d.kind if d else None
        if not self._written or kind is not None or self._last_kind is not None:
            # an open session that was open at the last write has no decision to tell: most steps end here
            news_db = db if db is not None else DBSession(bind=conn, join_transaction_mode="rollback_only")
            self.store._announce(
                DecisionWritten(news_db, self.session, self._last_kind, first=not self._written)
            )
            if db is None:
                news_db.flush()  # what listeners added goes into the step's transaction, committed with it
                news_db.close()
        self._written, self._last_kind = True, kind

    def _do(self, op: str | Callable[[], Any], *args: Any) -> Any:
        """Run one session operation (a method name, or a call that reads ``self.session``) in one transaction."""
        if self._stale:
            self._reload()
        before = len(self.session.events)
        try:
            # the operation first, with no connection held (a remote check may take its whole timeout); its
            # events wait in `_pending` and go in the one short transaction after it
            self._writing = True
            result = op() if callable(op) else getattr(self.session, op)(*args)
            with self.store.step_tx() as conn:
                self.db = conn
                self._write(conn)
        except IntegrityError as exc:  # event number `before` is taken: another writer got there first
            self._pending.clear()
            self._summary = None
            raise self._lost_race(before, exc) from exc
        except BaseException:
            self._pending.clear()
            self._summary = None  # the summary row is what was stored before this call
            if len(self.session.events) != before:
                # the session moved but the store did not: go back to what is stored
                self._stale = True
                with contextlib.suppress(StoreError):  # still unreachable: the next call reloads first
                    self._reload()
            raise
        finally:
            self.db = None
            self._writing = False
        return result

    def _lost_race(self, before: int, exc: IntegrityError) -> StoreError | SessionConflict:
        """After a refused write: the session as stored now, and a conflict naming what the other writer did."""
        self._stale = True  # if reloading fails too, the next call reloads first
        self._reload()
        theirs = [e.type for e in self.session.events[before:]]
        if not theirs:  # nobody else wrote: some other rule of the database refused the change
            reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc).__name__
            return StoreError(f"the database refused the change: {reason}; nothing was saved")
        return SessionConflict(conflict_message(theirs), theirs)

    def _reload(self) -> None:
        self.session = self.store.load_session(self.session.id).session
        self.session.listeners = [self._write_event]
        self._stale = False
        self._summary = None
        # the session is exactly what is stored: its decision is the one the next write changes from
        self._written, self._last_kind = True, (self.session.decision.kind if self.session.decision else None)

    def answer(self, value: Any) -> StepView:
        """Answer the current step and move on; written before it returns. A typed answer has a limit."""
        if isinstance(value, str):
            check_length("typed answer", value, limit=limits().answer)
        return self._do("answer", value)  # type: ignore[no-any-return]

    def mark_tried(self) -> StepView:
        """The customer already tried the current action: record it as tried and move on."""
        return self._do("mark_tried")  # type: ignore[no-any-return]

    def back(self, index: int | None = None) -> StepView:
        """Reopen answered step ``index`` (default: the last one)."""
        return self._do("back", index)  # type: ignore[no-any-return]

    def restart(self) -> StepView:
        """Start the walk again from the first step; notes are kept."""
        return self._do("restart")  # type: ignore[no-any-return]

    def add_note(self, text: str) -> None:
        """Add a free-text note (at most ``limits().note`` characters); it goes into the hand-off."""
        check_length("note", text, limit=limits().note)
        self._do("add_note", text)

    def escalate_now(self) -> Decision:
        """Escalate at once: the customer or agent asks for a person."""
        return self._do("escalate_now")  # type: ignore[no-any-return]

    def handover(self, mode: Audience | str = Audience.AGENT) -> StepView:
        """Hand the session to another audience (a customer's escalation picked up by an agent)."""
        return self._do("handover", mode)  # type: ignore[no-any-return]

    def run_system(self, systems: Systems) -> SystemResult | None:
        """Run the current step's remote check or action (:func:`~triage.walk.systems.run_step`), if it has one.

        What it gives (the check's answer, a note on the action or on a failure) is written in one transaction
        like any answer; ``None`` when the step asks for no remote system. The remote call itself holds no
        database connection: the transaction's first statement comes after it.
        """
        return self._do(lambda: run_step(self.session, systems))  # type: ignore[no-any-return]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
