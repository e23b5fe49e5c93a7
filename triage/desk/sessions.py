"""Sessions as the pages hold them: the :class:`Store` handle every desk function takes, a
:class:`StoredSession` (a walk that saves every step), and starting, loading and listing sessions.

A page keeps only a session's id (in its URL); each draw and each click loads the session again with
:func:`load_session`, so a refresh, a second tab or a restart of the app never loses a walk. A click also
carries the :attr:`StoredSession.event_count` of the draw it came from, and
:meth:`StoredSession.check_seen` refuses it with :class:`~triage.errors.SessionConflict` if the session moved
on meanwhile: a "yes" meant for one step must not answer the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from triage.records.sessions import StoredSession
from triage.records.store import Store
from triage.trees.model import Audience

__all__ = ["EarlierSession", "Store", "StoredSession", "earlier_sessions", "load_session", "start_session"]


def start_session(
    store: Store,
    tree_id: str,
    *,
    mode: Audience | str = Audience.AGENT,
    locale: str = "en",
    facts: Mapping[str, Any] | None = None,
    customer_id: str | None = None,
) -> StoredSession:
    """Start a session on the latest published version of ``tree_id``, saved from its first step."""
    return store.start_session(tree_id, mode=mode, locale=locale, facts=facts, customer_id=customer_id)


def load_session(store: Store, session_id: str) -> StoredSession:
    """The stored session ``session_id``, as it stands now; :class:`~triage.errors.NotFound` if there is none."""
    return store.load_session(session_id)


@dataclass(frozen=True)
class EarlierSession:
    """A session a customer had before, as a list shows it; ``status`` is its decision, if it reached one."""

    id: str
    tree_id: str
    started_at: datetime
    status: str


def earlier_sessions(store: Store, customer_id: str, limit: int = 10) -> list[EarlierSession]:
    """The customer's latest sessions, newest first."""
    return [
        EarlierSession(r.id, r.tree_id, r.started_at, r.decision_kind or r.status)
        for r in store.list_sessions(customer_id=customer_id, limit=limit)
    ]
