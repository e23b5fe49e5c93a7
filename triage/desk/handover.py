"""A hand-over to another tree: the walk found the problem is another one, and goes on there with what it knows.

:func:`continue_with` starts a session on the decision's target tree for the same person, mode and language,
carrying the facts (the decision's ``carry`` list, or every fact gathered), and always who the customer is,
their region and their own words; the outage board is checked for the new guide's service, as at any start. Each session gets a note naming the other, so the hand-off of either one
leads to both. Clicking "continue" twice (two tabs, a double click) opens the same new session: its id comes
from the old session and the point where it was decided.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from triage.desk.outages import with_outage_facts
from triage.desk.sessions import Store, StoredSession
from triage.errors import LibraryError, NotFound, Refused
from triage.trees.model import OutcomeKind, Tree

__all__ = ["ALWAYS_CARRIED", "carried_facts", "continuation_id", "continue_with"]

ALWAYS_CARRIED = ("customer_id", "region", "customer_words")
"""Facts a hand-over always takes along when the session has them, whatever the decision's ``carry`` says."""

# facts the new session works out for itself at its start (its audience, outage check, repeat contacts)
_OWN_FACTS = frozenset({"mode", "locale", "repeat_contacts", "outage_in_area", "outage_eta"})
_NAMESPACE = uuid.UUID("6f1d3c1e-8d5b-4c1f-9a57-0c4b2f7e9a10")


def carried_facts(facts: Mapping[str, Any], carry: list[str] | None) -> dict[str, Any]:
    """The facts a hand-over takes along: those named in ``carry`` (all gathered ones when ``None``).

    >>> carried_facts({"mode": "agent", "lights": 3, "region": "north", "model": "X1"}, ["lights"])
    {'lights': 3, 'region': 'north'}
    """
    names = [n for n in facts if n not in _OWN_FACTS] if carry is None else [*carry, *ALWAYS_CARRIED]
    return {n: facts[n] for n in dict.fromkeys(names) if n in facts and facts[n] is not None}


def continuation_id(stored: StoredSession) -> str:
    """The id of the session a hand-over continues in: the same for every click on the same decision."""
    events = stored.session.events
    decided_at = max((e.seq for e in events if e.type != "note"), default=0)
    return uuid.uuid5(_NAMESPACE, f"{stored.id}:{decided_at}").hex


def continue_with(store: Store, library: Mapping[str, Tree], stored: StoredSession) -> StoredSession:
    """Start (or, on a second click, reopen) the session a hand-over decision continues in.

    :class:`~triage.errors.Refused` if the session did not end in a hand-over or the target tree is not
    offered to its audience; :class:`~triage.errors.LibraryError` if the target tree is not published.
    """
    decision = stored.decision
    if decision is None or decision.kind is not OutcomeKind.HANDOVER or not decision.handover_tree:
        raise Refused("this session did not end in a hand-over to another guide")
    target = library.get(decision.handover_tree)
    if target is None:
        raise LibraryError(
            f"the hand-over goes to {decision.handover_tree!r}, which is not published; "
            "publish that tree or change the outcome"
        )
    session = stored.session
    if session.mode not in target.audiences:
        raise Refused(f"the guide {target.id!r} is not offered in {session.mode.value} mode")
    new_id = continuation_id(stored)
    try:
        return store.load_session(new_id)
    except NotFound:
        pass
    # the outage board is checked again for the new guide's service (it may be another one)
    facts = with_outage_facts(store, target.service, carried_facts(session.facts, decision.carry))
    customer = facts.pop("customer_id", None)
    try:
        new = store.start_session(
            target.id,
            mode=session.mode,
            locale=session.locale,
            facts=facts,
            customer_id=str(customer) if customer else None,
            session_id=new_id,
        )
    except Refused:  # started by another click a moment ago
        return store.load_session(new_id)
    new.add_note(
        f"Continued from session {stored.id} (tree {session.tree_id}), which handed over to this guide."
    )
    stored.add_note(f"Continued in session {new.id} (tree {target.id}).")
    return new
