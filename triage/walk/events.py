"""The events a session is made of, and the replay that rebuilds a session from them.

A :class:`~triage.walk.session.Session` is event-sourced: everything that happens to a walk is an
:class:`Event` with its time, and the session's state is a pure function of its events, so storing them is
storing the session. :func:`replay` makes the public call that recorded each event again, with the clock
set to the event's time, and arrives at the same step, facts and decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from triage.errors import SessionError

if TYPE_CHECKING:  # the session is built from events, and replay builds one: the type only, no import cycle
    from triage.trees.model import Tree
    from triage.walk.policy import Policy
    from triage.walk.session import Session

__all__ = ["SESSION_FORMAT", "Event", "EventListener", "EventType", "now", "replay"]

SESSION_FORMAT = 1
"""The version of ``Session.to_dict``'s layout; ``Session.from_dict`` refuses any other."""

EventType = Literal["start", "answer", "tried", "back", "restart", "note", "escalate", "handover"]
EventListener = Callable[["Event"], None]


def now() -> datetime:
    """The time an event happens, in UTC (a session's default clock)."""
    return datetime.now(UTC)


class Event(BaseModel):
    """One thing that happened in a session."""

    model_config = ConfigDict(frozen=True)

    seq: int
    at: datetime
    type: EventType
    node: str | None = Field(default=None, description="'tree_id:node_id' of the step it concerns.")
    value: Any = None


def replay(
    session_type: type[Session],
    library: Mapping[str, Tree],
    events: Sequence[Event],
    *,
    session_id: str | None = None,
    policy: Policy | None = None,
    tree_digest: str | None = None,
    listeners: Sequence[EventListener] = (),
) -> Session:
    """Rebuild a session from its events, deterministically (timestamps come from the events).

    Listeners join once the session is rebuilt: the events replayed are already stored.
    """
    if not events or events[0].type != "start":
        raise SessionError("a session's events must begin with a 'start' event")
    first = events[0].value
    cursor = {"at": events[0].at}
    s = session_type.start(
        library,
        first["tree"],
        mode=first["mode"],
        locale=first["locale"],
        facts=first.get("facts") or {},
        policy=policy,
        session_id=session_id,
        clock=lambda: cursor["at"],
        tree_digest=tree_digest,
    )
    for ev in events[1:]:
        cursor["at"] = ev.at
        try:
            _replay_one(s, ev)
        except SessionError as exc:
            raise SessionError(
                f"session {s.id}: event {ev.seq} ({ev.type}) cannot be replayed: {exc}"
            ) from exc
    s.events = list(events)
    s.clock = now
    s.listeners = list(listeners)
    return s


def _replay_one(s: Session, ev: Event) -> None:
    """Make the call that recorded ``ev`` again; an answer must be for the step the replay stands at."""
    redo = _REPLAYS.get(ev.type)
    if redo is None:
        raise SessionError(f"unknown event type {ev.type!r}")
    if ev.type in ("answer", "tried"):
        here = s.pos.key if s.pos else None
        if ev.node != here:
            raise SessionError(f"the event is for step {ev.node!r} but the replay stands at {here!r}")
    redo(s, ev.value)


# the public call that recorded each kind of event after the start, given the stored value
_REPLAYS: dict[str, Callable[[Session, Any], object]] = {
    "answer": lambda s, value: s.submit(value),
    "tried": lambda s, _: s.submit_tried(),
    "back": lambda s, index: s.back(index),
    "restart": lambda s, _: s.restart(),
    "note": lambda s, text: s.add_note(text),
    "escalate": lambda s, _: s.escalate_now(),
    "handover": lambda s, value: s.handover(value["mode"]),
}
