"""The escalation queue: cases created by escalate decisions, worked by tier 2.

A case carries the full hand-off (symptom, facts, steps and what each showed, notes, reason, next action).
Tier 2 lists cases, claims one, adds notes and closes it with a closure code: the fault actually found and
what fixed it. The closure is stored against the session too, so analysis knows the real fault.

Life of a case: ``open`` -> ``claimed`` -> ``closed``; an open case whose session is reopened (the agent
went back and the decision changed) becomes ``withdrawn``.

Only an ``escalate`` decision makes a case. A ``handover`` to another tree is not an escalation and a
``diagnosis`` is the customer's own next step: neither makes one. A part shipment, a send-in repair and a
follow-up are :mod:`triage.records.fulfilment`'s, which hears the same announcements.

Notes, closure codes and fixes have limits (:mod:`triage.limits`), checked here so SQLite and PostgreSQL
refuse the same texts with the same :class:`~triage.errors.LimitExceeded`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case as sql_case
from sqlalchemy import select, update
from sqlalchemy.orm import Session as DBSession

from triage.errors import CaseRefused, NotFound
from triage.limits import check_length, limits
from triage.records.refs import normalize
from triage.records.schema import Case, CaseNote, SessionRow, utcnow
from triage.records.sessions import unused_reference
from triage.trees.model import OutcomeKind
from triage.walk.handoff import Handoff, build_handoff
from triage.walk.session import Session

if TYPE_CHECKING:
    from triage.records.sessions import DecisionWritten
    from triage.records.store import Store, StoredSession

__all__ = ["CaseView", "Queue", "on_decision", "sync_case"]

_PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def on_decision(news: DecisionWritten) -> None:
    """The queue's decision listener: keep the session's case in step when an escalation comes or goes."""
    # only an escalation, or leaving one, can change the session's case (first: what was stored is unknown)
    if news.first or OutcomeKind.ESCALATE in (news.kind, news.previous):
        sync_case(news.db, news.session)


def sync_case(db: DBSession, session: Session) -> None:
    """Keep the session's case in step with its decision (called in the session's own transaction)."""
    d = session.decision
    active = db.scalar(
        select(Case).where(Case.session_id == session.id, Case.status.in_(("open", "claimed"))).limit(1)
    )
    wants_case = d is not None and d.kind.value == "escalate"
    if wants_case and active is None:
        assert d is not None
        reference = db.scalar(select(SessionRow.reference).where(SessionRow.id == session.id))
        handoff = build_handoff(session, reference=reference)
        db.add(
            Case(
                reference=unused_reference(db, Case.reference),
                session_id=session.id,
                tier=d.tier or 2,
                queue=d.queue or "tier2-support",
                priority=(d.priority.value if d.priority else "normal"),
                status="open",
                reason=d.reason,
                handoff=handoff.model_dump(mode="json"),
                created_at=session.events[-1].at,
            )
        )
    elif not wants_case and active is not None and active.status == "open":
        active.status = "withdrawn"
        active.closed_at = session.events[-1].at


@dataclass(frozen=True)
class CaseView:
    """A case as stored, with its hand-off and (from :meth:`Queue.get`) its notes."""

    id: int
    session_id: str
    tier: int
    queue: str
    priority: str
    status: str
    reason: str
    created_at: datetime
    claimed_by: str | None
    closed_at: datetime | None
    closure_code: str | None
    closure_fix: str | None
    handoff: dict[str, Any]
    notes: list[tuple[datetime, str, str]]
    reference: str | None = None
    """What people read out for the case (``K7P-4QX``); :attr:`id` is its number in the database."""

    @property
    def label(self) -> str:
        """The case as people name it: its reference, or ``#12`` for a case made before references."""
        return self.reference or f"#{self.id}"

    @property
    def handoff_markdown(self) -> str:
        """The hand-off as Markdown, as the agent's console shows it."""
        return Handoff.model_validate(self.handoff).to_markdown()


def _view(c: Case, notes: list[CaseNote]) -> CaseView:
    return CaseView(
        c.id,
        c.session_id,
        c.tier,
        c.queue,
        c.priority,
        c.status,
        c.reason,
        c.created_at,
        c.claimed_by,
        c.closed_at,
        c.closure_code,
        c.closure_fix,
        dict(c.handoff),
        [(n.at, n.author, n.text) for n in notes],
        c.reference,
    )


class Queue:
    """Tier-2 operations on cases. Every method is one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def list_cases(
        self,
        *,
        queue: str | None = None,
        status: str | None = "open",
        tier: int | None = None,
        claimed_by: str | None = None,
        limit: int = 200,
    ) -> list[CaseView]:
        """Cases, most urgent and oldest first."""
        prio = sql_case(_PRIORITY_ORDER, value=Case.priority, else_=9)
        with self.store.tx() as db:
            q = select(Case).order_by(prio, Case.created_at, Case.id).limit(limit)
            if queue:
                q = q.where(Case.queue == queue)
            if status:
                q = q.where(Case.status == status)
            if tier is not None:
                q = q.where(Case.tier == tier)
            if claimed_by:
                q = q.where(Case.claimed_by == claimed_by)
            return [_view(c, []) for c in db.scalars(q).all()]

    def queues(self) -> list[str]:
        """The names of every queue that has held a case, sorted."""
        with self.store.tx() as db:
            return sorted(db.scalars(select(Case.queue).distinct()).all())

    def get(self, case_id: int) -> CaseView:
        """One case with its notes, oldest note first."""
        with self.store.tx() as db:
            c = self._case(db, case_id)
            notes = db.scalars(
                select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.at)
            ).all()
            return _view(c, list(notes))

    def for_session(self, session_id: str) -> list[CaseView]:
        """Every case a session has had, oldest first."""
        with self.store.tx() as db:
            rows = db.scalars(
                select(Case).where(Case.session_id == session_id).order_by(Case.created_at)
            ).all()
            return [_view(c, []) for c in rows]

    def case_id(self, ref: str) -> int:
        """The number of the case ``ref`` names: its reference (``K7P-4QX``, read forgivingly) or its number
        (``12`` or ``#12``). :class:`~triage.errors.NotFound` says what was looked for."""
        text = ref.strip()
        number = text.removeprefix("#")
        with self.store.tx() as db:
            if number.isdigit() and db.get(Case, int(number)) is not None:
                return int(number)
            written = normalize(text)
            found = db.scalar(select(Case.id).where(Case.reference == written)) if written else None
        if found is None:
            raise NotFound(f"no case {text!r} (give its reference, like K7P-4QX, or its number)")
        return int(found)

    def _case(self, db: DBSession, case_id: int) -> Case:
        c = db.get(Case, case_id, with_for_update=True)
        if c is None:
            raise NotFound(f"no case {case_id}")
        return c

    def claim(self, case_id: int, user: str) -> CaseView:
        """Take a case. Claiming one that someone else holds, or that is closed, is refused."""
        with self.store.tx() as db:
            # a conditional update: of two people claiming at once, exactly one wins
            res = db.execute(
                update(Case)
                .where(Case.id == case_id, Case.status == "open")
                .values(status="claimed", claimed_by=user, claimed_at=utcnow())
            )
            c = self._case(db, case_id)
            if res.rowcount == 0 and c.claimed_by != user:  # type: ignore[attr-defined]
                who = f" by {c.claimed_by}" if c.claimed_by else ""
                raise CaseRefused(f"case {case_id} is {c.status}{who}; it cannot be claimed")
            return _view(c, [])

    def release(self, case_id: int, user: str) -> CaseView:
        """Give a claimed case back to the queue; only the person holding it can."""
        with self.store.tx() as db:
            c = self._case(db, case_id)
            if c.status != "claimed" or c.claimed_by != user:
                raise CaseRefused(f"case {case_id} is not claimed by {user}")
            c.status, c.claimed_by, c.claimed_at = "open", None, None
            return _view(c, [])

    def add_note(self, case_id: int, user: str, text: str) -> None:
        """Add a note to an open or claimed case (at most ``limits().note`` characters)."""
        text = check_length("note", text.strip(), limit=limits().note)
        if not text:
            raise CaseRefused("a note cannot be empty")
        with self.store.tx() as db:
            c = self._case(db, case_id)
            if c.status in ("closed", "withdrawn"):
                raise CaseRefused(f"case {case_id} is {c.status}; notes go on open or claimed cases")
            db.add(CaseNote(case_id=case_id, at=utcnow(), author=user, text=text))

    def close(self, case_id: int, user: str, code: str, fix: str = "", fault: str | None = None) -> CaseView:
        """Close with a closure code (the fault actually found) and what fixed it. Closing twice is refused."""
        code = check_length("closure code", code.strip(), limit=limits().code)
        if not code:
            raise CaseRefused("a closure code is required: name the fault actually found")
        check_length("closure fix", fix, limit=limits().note)
        with self.store.tx() as db:
            c = self._case(db, case_id)
            if c.status in ("closed", "withdrawn"):
                raise CaseRefused(f"case {case_id} is already {c.status}; it cannot be closed again")
            c.status, c.closed_by, c.closed_at = "closed", user, utcnow()
            c.closure_code, c.closure_fix = code, fix or None
            if c.claimed_by is None:
                c.claimed_by, c.claimed_at = user, c.closed_at
            self.store.record_closure(db, c.session_id, code, fix or None, "tier2", fault)
            return _view(c, [])

    def take_over(self, session_id: str, agent: str) -> StoredSession:
        """An agent picks up a self-service customer's escalation and continues the same session.

        The session switches to agent mode at the step the customer reached, every answer intact; the
        customer's case is closed as handed over.
        """
        stored = self.store.load_session(session_id)
        before = {c.id for c in self.for_session(session_id) if c.status in ("open", "claimed")}
        stored.handover("agent")
        if stored.decision is None and before:
            with self.store.tx() as db:
                for c in db.scalars(select(Case).where(Case.id.in_(before))).all():
                    c.status, c.claimed_by, c.closed_by, c.closed_at = "closed", agent, agent, utcnow()
                    c.closure_code, c.closure_fix = "handed-over", f"continued by {agent} in the same session"
        return stored
