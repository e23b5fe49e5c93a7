"""The tier-2 queue: the escalation cases a page lists, opens and works on, and the wording of their rows.

* **Finding.** :func:`find_cases` filters the queue (queue, status, tier, priority, "mine", a case's or a
  session's reference such as ``K7P-4QX``, a customer id or the start of a session id), most urgent and oldest
  first; :func:`queues` names the queues there are; :func:`case_number` reads a ``?case=`` link (a number or a
  reference).
* **Reading.** :func:`get_case` opens one case with its notes; :func:`case_row` and :func:`case_label` word
  a case for a table and a picker; :func:`handoff_markdown` fits its hand-off under a page's headings.
* **Decisions.** Only an escalation is a case. When a session's decision changes after its case was opened
  (the agent went back), the case is withdrawn and :func:`current_outcomes` says what the session decided
  instead, worded by :func:`outcome_line` for every kind: a handover to another tree, a part shipment, a
  send-in repair, a diagnosis, a home visit (during an outage: an override is needed), resolved with a
  follow-up.
* **Working.** :func:`claim`, :func:`release`, :func:`add_note` and :func:`close_case`, each one
  transaction; a refusal is a :class:`~triage.errors.CaseRefused` whose message says why.

Errors::

    TriageError
    ├── NotFound (LookupError)    no such case
    └── Refused (ValueError)
        ├── CaseRefused           the case is not in a state that allows it (someone else holds it, it is closed)
        ├── FormError             a filter could not be read; the message says what would be valid
        └── LimitExceeded         a note, closure code, fix or search longer than its limit (triage.limits)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, or_, select

from triage.desk.clock import waiting
from triage.errors import FormError, NotFound
from triage.i18n import t
from triage.limits import check_length, limits
from triage.records.cases import CaseView, Queue
from triage.records.refs import normalize
from triage.records.schema import Case, SessionRow
from triage.records.store import Store

__all__ = [
    "CASE_STATUSES",
    "PRIORITIES",
    "CaseFilter",
    "CaseView",
    "add_note",
    "case_label",
    "case_number",
    "case_row",
    "claim",
    "close_case",
    "current_outcomes",
    "find_cases",
    "get_case",
    "handoff_markdown",
    "headings_from",
    "outcome_line",
    "queues",
    "release",
]

PRIORITIES = ("urgent", "high", "normal", "low")
CASE_STATUSES = ("active", "open", "claimed", "closed", "withdrawn", "all")
"""Status filters: ``active`` is open or claimed (work still to do); ``all`` is no filter."""

_PRIORITY_ORDER = {p: i for i, p in enumerate(PRIORITIES)}


# -- finding --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilter:
    """What the tier-2 list shows. ``mine`` is a username: only cases claimed by that person."""

    queue: str | None = None
    status: str = "active"
    tier: int | None = None
    priority: str | None = None
    mine: str | None = None
    search: str = ""


def find_cases(store: Store, flt: CaseFilter | None = None, limit: int = 200) -> list[CaseView]:
    """Cases matching ``flt``, most urgent first, then oldest first (notes are not loaded).

    ``search`` matches a case's or its session's reference (read forgivingly: ``k7p 4qx``), the customer id
    exactly or the start of the session id, ignoring case.
    """
    flt = flt or CaseFilter()
    if flt.status not in CASE_STATUSES:
        raise FormError(f"case status must be one of {', '.join(CASE_STATUSES)} (got {flt.status!r})")
    if flt.priority is not None and flt.priority not in PRIORITIES:
        raise FormError(f"priority must be one of {', '.join(PRIORITIES)} (got {flt.priority!r})")
    prio = sql_case(_PRIORITY_ORDER, value=Case.priority, else_=9)
    q = (
        select(Case)
        .join(SessionRow, SessionRow.id == Case.session_id)
        .order_by(prio, Case.created_at, Case.id)
        .limit(limit)
    )
    if flt.status == "active":
        q = q.where(Case.status.in_(("open", "claimed")))
    elif flt.status != "all":
        q = q.where(Case.status == flt.status)
    if flt.queue:
        q = q.where(Case.queue == flt.queue)
    if flt.tier is not None:
        q = q.where(Case.tier == flt.tier)
    if flt.priority:
        q = q.where(Case.priority == flt.priority)
    if flt.mine:
        q = q.where(Case.claimed_by == flt.mine)
    text = check_length("search", flt.search.strip(), limit=limits().identifier)
    if text:
        q = q.where(_matches(text))
    with store.tx() as db:
        return [_case_view(c) for c in db.scalars(q).all()]


def _matches(text: str) -> Any:
    """What a search for ``text`` finds: a reference, a customer id, or the start of a session id."""
    lowered = text.lower()
    found = [
        func.lower(SessionRow.customer_id) == lowered,
        func.lower(SessionRow.id).startswith(lowered, autoescape=True),
    ]
    written = normalize(text)
    if written is not None:
        found += [Case.reference == written, SessionRow.reference == written]
    return or_(*found)


def case_number(store: Store, raw: str) -> int | None:
    """The case a ``?case=`` link names, by number (``12``) or by reference (``K7P-4QX``); ``None`` when the
    link names no case there is."""
    text = raw.strip()
    if not text or len(text) > limits().identifier:
        return None
    try:
        return Queue(store).case_id(text)
    except NotFound:
        return None


def _case_view(c: Case) -> CaseView:
    return CaseView(
        id=c.id,
        session_id=c.session_id,
        tier=c.tier,
        queue=c.queue,
        priority=c.priority,
        status=c.status,
        reason=c.reason,
        created_at=c.created_at,
        claimed_by=c.claimed_by,
        closed_at=c.closed_at,
        closure_code=c.closure_code,
        closure_fix=c.closure_fix,
        handoff=dict(c.handoff),
        notes=[],
        reference=c.reference,
    )


# -- reading --------------------------------------------------------------------------------------


def _customer(case: CaseView) -> str:
    facts = case.handoff.get("facts") or {}
    return str(facts.get("customer_id") or "-")


def case_row(case: CaseView, now: datetime | None = None, outcome: str = "") -> dict[str, Any]:
    """One line of the queue table; ``outcome`` is what a withdrawn case's session decided instead."""
    return {
        "reference": case.label,
        "case": case.id,
        "priority": case.priority,
        "queue": case.queue,
        "tier": case.tier,
        "status": case.status,
        "customer": _customer(case),
        "problem": str(case.handoff.get("tree_title") or ""),
        "waiting": waiting(case.created_at, now),
        "claimed_by": case.claimed_by or "",
        "reason": case.reason,
        "outcome": outcome,
    }


def _parts(decision: Mapping[str, Any]) -> str:
    lines = decision.get("shipment") or []
    return ", ".join(f"{line.get('quantity', 1)} x {line.get('part', '?')}" for line in lines) or "-"


# decision kind -> (catalog key, its fields from the stored decision); resolved and visit have more to say
_LINES: dict[str, tuple[str, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    "escalate": ("desk.outcome.escalate", lambda d: {"queue": d.get("queue") or "-"}),
    "ship_part": ("desk.outcome.ship_part", lambda d: {"parts": _parts(d)}),
    "repair": ("desk.outcome.repair", lambda d: {"rma": d.get("rma") or "-", "depot": d.get("depot") or "-"}),
    "diagnosis": ("desk.outcome.diagnosis", lambda d: {"finding": d.get("finding") or "-"}),
    "handover": ("desk.outcome.handover", lambda d: {"tree": d.get("handover_tree") or "-"}),
}


def outcome_line(decision: Mapping[str, Any] | None, locale: str = "en") -> str:
    """A stored decision (``Decision.model_dump``) in one line, for every kind; ``None`` is a session still open.

    >>> outcome_line({"kind": "handover", "handover_tree": "tv-no-signal"})
    'Handover to tv-no-signal — not a case'
    >>> outcome_line({"kind": "visit", "skill": "line", "outage": True})
    'Home visit (line) · outage in area — override needed'
    """
    if not decision:
        return t("desk.outcome.open", locale)
    kind = str(decision.get("kind") or "")
    if kind == "resolved":
        days = decision.get("follow_up_days")
        return t("desk.outcome.follow_up", locale, count=days) if days else t("desk.outcome.resolved", locale)
    if kind == "visit":
        line = t("desk.outcome.visit", locale, skill=decision.get("skill") or "-")
        return line + (" · " + t("desk.outcome.outage", locale) if decision.get("outage") else "")
    key, fields = _LINES.get(kind, ("", lambda d: {}))
    return t(key, locale, **fields(decision)) if key else kind


def current_outcomes(store: Store, found: Sequence[CaseView], locale: str = "en") -> dict[int, str]:
    """For each withdrawn case among ``found``, what its session decided instead (:func:`outcome_line`)."""
    withdrawn = [c for c in found if c.status == "withdrawn"]
    if not withdrawn:
        return {}
    with store.tx() as db:
        rows = db.execute(
            select(SessionRow.id, SessionRow.decision).where(
                SessionRow.id.in_({c.session_id for c in withdrawn})
            )
        ).all()
    lines = {sid: outcome_line(decision, locale) for sid, decision in rows}
    return {c.id: lines[c.session_id] for c in withdrawn if c.session_id in lines}


def handoff_markdown(case: CaseView, top_level: int = 3) -> str:
    """The case's hand-off as Markdown, its headings moved down so the title is at ``top_level`` and it sits
    under a page's own headings (``# Hand-off`` -> ``### Hand-off``, ``## Facts`` -> ``#### Facts``)."""
    return headings_from(case.handoff_markdown, top_level)


def headings_from(markdown: str, top_level: int) -> str:
    """A hand-off's Markdown with its headings moved down so its title is at ``top_level`` (1 to 6)."""
    if not 1 <= top_level <= 6:
        raise FormError(f"top_level must be a heading level from 1 to 6 (got {top_level!r})")
    shift = top_level - 1
    out = []
    for line in markdown.splitlines():
        m = re.match(r"(#{1,6}) ", line)
        if m is not None:
            level = min(6, len(m.group(1)) + shift)
            line = "#" * level + line[len(m.group(1)) :]
        out.append(line)
    return "\n".join(out) + "\n"


def case_label(case: CaseView) -> str:
    """A case in a picker: reference, priority, queue, customer and problem."""
    title = case.handoff.get("tree_title") or case.handoff.get("tree_id") or ""
    return f"{case.label} · {case.priority} · {case.queue} · {_customer(case)} · {title}"


# -- working --------------------------------------------------------------------------------------


def queues(store: Store) -> list[str]:
    """The names of the queues that have cases, sorted."""
    return Queue(store).queues()


def get_case(store: Store, case_id: int) -> CaseView:
    """One case with its notes, oldest first; :class:`~triage.errors.NotFound` if there is none."""
    return Queue(store).get(case_id)


def claim(store: Store, case_id: int, user: str) -> CaseView:
    """``user`` takes the case; a case someone else holds, or a closed one, is refused."""
    return Queue(store).claim(case_id, user)


def release(store: Store, case_id: int, user: str) -> CaseView:
    """``user`` gives back a case they claimed: it is open again."""
    return Queue(store).release(case_id, user)


def add_note(store: Store, case_id: int, user: str, text: str) -> None:
    """A note on an open or claimed case; an empty note, or one over ``limits().note`` characters, is refused."""
    Queue(store).add_note(case_id, user, text)


def close_case(store: Store, case_id: int, user: str, code: str, fix: str = "") -> CaseView:
    """Close the case with a closure code (the fault actually found) and what fixed it."""
    return Queue(store).close(case_id, user, code, fix.strip())
