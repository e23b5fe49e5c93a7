"""Remote checks and actions the provider's systems run: a line test, the box's status, a refresh signal.

Trees name them (a ``check`` node's ``system``, an action's or instruction's ``performer: system`` with
``system``); a :class:`Systems` registry maps each name to a function of the session's facts. The desk
registers real providers (or the demo one, which reads simulated status from the database) and calls
:func:`run_step` when a session stands at such a step.

Every call has a timeout, and a failure is an answer too, never a crash:

* a **check** answers the step with its result; when it fails or times out, an agent picks the result by
  hand (the manual fallback: the step stays open, with the failure to read) and self-service goes on to the
  node's ``on_unavailable``;
* a **remote action** (a refresh signal) is noted in the session, so the hand-off says it was sent; the
  person then answers the step as usual (did it fix it / done). When it fails, an agent does it by hand and a
  customer is told it could not be done remotely.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from triage.errors import TriageError
from triage.trees.model import UNAVAILABLE, ActionNode, Audience, CheckNode, InstructionNode, Performer

if TYPE_CHECKING:
    from triage.walk.session import Session

__all__ = ["SystemCall", "SystemResult", "Systems", "run_step", "system_name"]

SystemCall = Callable[[Mapping[str, Any]], str]
"""A remote check or action: the session's facts in, the result value (a check) or what was done out."""

_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="triage-system")


class SystemResult(BaseModel):
    """What one remote call gave: its value, or why there is none."""

    name: str
    ok: bool
    value: str = ""
    detail: str = ""
    seconds: float = 0.0


class Systems:
    """The registry of remote checks and actions, by name."""

    def __init__(self, calls: Mapping[str, SystemCall] | None = None) -> None:
        self._calls: dict[str, SystemCall] = dict(calls or {})

    def register(self, name: str, call: SystemCall) -> None:
        """Add (or replace) the remote check or action ``name``."""
        self._calls[name] = call

    @property
    def names(self) -> frozenset[str]:
        """The registered names."""
        return frozenset(self._calls)

    def run(self, name: str, facts: Mapping[str, Any], timeout: float) -> SystemResult:
        """Call ``name`` with the facts, waiting at most ``timeout`` seconds; never raises."""
        call = self._calls.get(name)
        if call is None:
            return SystemResult(name=name, ok=False, detail=f"no remote system named {name!r} is set up")
        started = time.monotonic()
        future = _POOL.submit(call, dict(facts))
        try:
            value = future.result(timeout=timeout)
        except FutureTimeout:
            future.cancel()
            return SystemResult(
                name=name,
                ok=False,
                detail=f"no answer within {timeout:g} s",
                seconds=time.monotonic() - started,
            )
        except Exception as exc:  # noqa: BLE001 - a provider's failure of any kind is a failed check, never a crash
            detail = str(exc) if isinstance(exc, TriageError) else f"{type(exc).__name__}: {exc}"
            return SystemResult(name=name, ok=False, detail=detail, seconds=time.monotonic() - started)
        return SystemResult(name=name, ok=True, value=str(value), seconds=time.monotonic() - started)


def system_name(session: Session) -> str | None:
    """The remote check or action the session's current step asks the provider's systems for, if any."""
    if session.finished:
        return None
    node = session.node
    if isinstance(node, CheckNode):
        return node.system
    if isinstance(node, ActionNode | InstructionNode) and node.performer is Performer.SYSTEM:
        return node.system
    return None


def run_step(session: Session, systems: Systems) -> SystemResult | None:
    """Run the current step's remote check or action, if it has one, and record what it gave.

    A check's result answers the step; a remote action is noted (the person answers it after). On a failure
    an agent's step stays open for a manual answer; a self-service check goes on to ``on_unavailable``.
    """
    name = system_name(session)
    if name is None or _already_sent(session, name):
        return None
    node = session.node
    timeout = node.timeout if isinstance(node, CheckNode) else 30.0
    result = systems.run(name, session.facts, timeout)
    if isinstance(node, CheckNode):
        if result.ok and any(o.value == result.value for o in node.results):
            session.submit(result.value)
        elif session.mode is Audience.SELF_SERVICE:
            session.add_note(f"Remote check {name}: {result.detail or repr(result.value)}; no result.")
            session.submit(UNAVAILABLE)
        return result
    if result.ok:
        said = f": {result.value}" if result.value and result.value != "sent" else ""
        session.add_note(f"Remote action {name}: sent{said}.")
    else:
        session.add_note(f"Remote action {name}: failed ({result.detail}).")
    return result


def _already_sent(session: Session, name: str) -> bool:
    """A remote action already sent at this arrival at the step (a reload, a second tab): never send it twice."""
    if not isinstance(session.node, ActionNode | InstructionNode) or session.pos is None:
        return False
    key = session.pos.key
    for ev in reversed(session.events):
        if ev.type != "note":
            return False  # an answer, back or restart since: this is a new arrival
        if ev.node == key and str(ev.value).startswith(f"Remote action {name}: sent"):
            return True
    return False
