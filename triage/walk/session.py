"""The session engine: one guided walk of a tree for one contact.

A :class:`Session` is event-sourced. Everything that happens — start, answer, "already
tried", back, restart, note, escalate by hand — is an :class:`Event` with a timestamp,
and the session's state is a pure function of its events: ``Session.from_dict`` replays
them and arrives at the same step, facts and decision.

Walking rules:

* interactive steps are ``question``, ``action``, ``instruction``, ``wait``, ``check`` (answered by the
  provider's systems, or by an agent when they fail) and ``collect``; ``logic``, ``repeat``, ``call``,
  ``fix_group`` and ``return`` are passed through automatically (and recorded, for the transcript);
* a ``repeat`` counts its rounds, and ``visits('node')`` in a condition counts arrivals, both from the
  walk's own path, so going back or replaying arrives at the same counts;
* every arrival at an interactive step asks the policy first (safety, who may perform
  it, step budget); an outcome asks the policy for the final decision;
* going back to an earlier step keeps the later answers aside; answering, the walk takes
  them up again for as long as it passes the same steps (the "jumplist").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from triage.errors import InvalidAnswer, LibraryError, SessionClosed, SessionError
from triage.guidance.planner import plan
from triage.guidance.problem import EMPTY as EMPTY_EVIDENCE
from triage.guidance.problem import Evidence
from triage.trees.fix_groups import problem_for
from triage.trees.graph import distances_to_end
from triage.trees.model import (
    INTERACTIVE_TYPES,
    ActionNode,
    ActionResult,
    AnyNode,
    Audience,
    CallNode,
    CheckNode,
    CollectNode,
    FixGroupNode,
    LogicNode,
    OutcomeKind,
    OutcomeTypes,
    QuestionNode,
    RepeatNode,
    ReturnNode,
    Tree,
    WaitNode,
    WaitResult,
    localize,
)
from triage.walk.events import SESSION_FORMAT, Event, EventListener, EventType, now, replay
from triage.walk.flow import next_round, round_of, route, tries
from triage.walk.path import Answered, Frame, Pos, Step
from triage.walk.policy import Decision, Policy
from triage.walk.values import interpret
from triage.walk.views import Crumb, FieldSpec, OptionView, StepView, answer_label, crumb, step_view

# the views and the event are re-exported: importers name them from here, next to the session
__all__ = [
    "Crumb",
    "Event",
    "FieldSpec",
    "OptionView",
    "Session",
    "Step",
    "StepView",
]

_INTERACTIVE = INTERACTIVE_TYPES
_MAX_AUTO = 10_000  # automatic hops in a row before we call it a loop
# decisions taken only because of who was at the keyboard: a hand-over to another audience reopens them
_REOPENABLE = frozenset({"customer-request", "agent-request", "performer", "budget", "entitlement"})


class Session:
    """A guided troubleshooting session. Create with :meth:`start` or :meth:`from_dict`."""

    def __init__(
        self,
        library: Mapping[str, Tree],
        tree_id: str,
        *,
        mode: Audience | str = Audience.AGENT,
        locale: str = "en",
        facts: Mapping[str, Any] | None = None,
        policy: Policy | None = None,
        session_id: str | None = None,
        clock: Callable[[], datetime] = now,
        tree_digest: str | None = None,
        listeners: Sequence[EventListener] = (),
    ) -> None:
        if tree_id not in library:
            raise LibraryError(f"no tree {tree_id!r} in the library")
        self.library = library
        self.tree_id = tree_id
        self.mode = Audience(mode)
        self.locale = locale
        self.initial_facts: dict[str, Any] = dict(facts or {})
        self.walk_mode = self.mode  # the audience the current walk started with
        self.mode_changes: list[tuple[int, Audience]] = []  # (answers given before, new audience)
        self.policy = policy or Policy()
        self.id = session_id or uuid.uuid4().hex
        self.clock = clock
        self.tree_digest = tree_digest
        self.events: list[Event] = []
        self.listeners: list[EventListener] = list(listeners)
        self._distances: dict[str, dict[str, int]] = {}
        self._reset_state()

    # -- construction ----------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        library: Mapping[str, Tree],
        tree_id: str,
        *,
        mode: Audience | str = Audience.AGENT,
        locale: str = "en",
        facts: Mapping[str, Any] | None = None,
        policy: Policy | None = None,
        session_id: str | None = None,
        clock: Callable[[], datetime] = now,
        tree_digest: str | None = None,
        listeners: Sequence[EventListener] = (),
    ) -> Session:
        """Start a session at the tree's first step. ``listeners`` see every event before it applies."""
        s = cls(
            library,
            tree_id,
            mode=mode,
            locale=locale,
            facts=facts,
            policy=policy,
            session_id=session_id,
            clock=clock,
            tree_digest=tree_digest,
            listeners=listeners,
        )
        ev = s._record(
            "start", None, {"tree": tree_id, "mode": s.mode.value, "locale": locale, "facts": s.initial_facts}
        )
        s._begin(ev.at)
        return s

    def _reset_state(self) -> None:
        self.path: list[Step] = []
        self.answers: list[Answered] = []
        self.forward: list[Answered] = []
        self.facts: dict[str, Any] = {**self.initial_facts, "mode": self.mode.value, "locale": self.locale}
        self.pos: Pos | None = None
        self.decision: Decision | None = None
        self.group_evidence: dict[str, Evidence] = {}  # fix group key -> failed actions and answers so far
        self.why: str | None = None  # why the planner chose the current step
        self.stop_reason: str | None = None  # why a fix group stopped, until the outcome is reached
        self.notes: list[str] = []
        self.visits: dict[str, int] = {}  # "tree:node" -> times the current walk reached it
        self.rounds: dict[str, int] = {}  # "tree:node" of a repeat -> rounds begun
        # the breadcrumb so far, for (mode, locale): answered steps only ever append until the next reset
        self._answered_steps: list[Step] = []  # the path's steps that took an answer, in order
        self._crumbs: list[Crumb] = []
        self._crumbs_for: tuple[Audience, str] | None = None

    def _record(self, type_: EventType, node: str | None, value: Any, at: datetime | None = None) -> Event:
        # validated construction is the fast path too: pydantic-core builds it in about a third of the
        # time model_construct's Python loop takes
        ev = Event(seq=len(self.events), at=at or self.clock(), type=type_, node=node, value=value)
        # listeners (the store) see the event before the session changes: if saving fails, nothing changes
        for listener in self.listeners:
            listener(ev)
        self.events.append(ev)
        return ev

    # -- tree access -----------------------------------------------------------------------------

    def tree(self, tree_id: str | None = None) -> Tree:
        tid = tree_id or self.tree_id
        try:
            return self.library[tid]
        except KeyError:
            raise LibraryError(f"no tree {tid!r} in the library") from None

    def node_at(self, pos: Pos) -> AnyNode:
        return self.tree(pos.tree_id).node(pos.node_id)

    @property
    def node(self) -> AnyNode:
        if self.pos is None:
            raise SessionError("the session has not started")
        return self.node_at(self.pos)

    @property
    def finished(self) -> bool:
        return self.decision is not None

    # -- walking ---------------------------------------------------------------------------------

    def _begin(self, at: datetime) -> None:
        self.walk_started_at = at
        early = self.policy.at_start(self.facts, self.mode, self.locale)
        root = self.tree()
        self.pos = Pos(root.id, root.start)
        if early is not None:
            self.decision = early.model_copy(update={"tree_id": root.id, "node_id": root.start})
            return
        self._settle(at)

    def _settle(self, at: datetime) -> None:
        """Pass through automatic nodes until an interactive step or an outcome; ask the policy."""
        hops = 0
        while True:
            assert self.pos is not None
            node = self.node_at(self.pos)
            if isinstance(node, _INTERACTIVE):
                stop = self.policy.at_step(
                    self.pos.tree_id, node, self.facts, self.mode, self.locale, len(self.answers)
                )
                if stop is not None:
                    self.decision = stop
                return
            if node.safety:
                self._safety_stop(node, node.safety, at)
                return
            hops += 1
            if hops > _MAX_AUTO:
                raise SessionError(
                    f"node {node.id!r}: automatic steps loop without reaching a step or outcome"
                )
            if isinstance(node, OutcomeTypes):
                self._reach_outcome(node, at)
                return
            self._pass(node, at)

    def _safety_stop(self, node: AnyNode, safety: str, at: datetime) -> None:
        """A safety sign on a logic, call, return or outcome node stops the walk where it is met."""
        assert self.pos is not None
        authored = None
        if isinstance(node, OutcomeTypes):
            self._add_step(Step(self.pos, "outcome", at, auto=True))
            authored = self.policy.outcome(self.pos.tree_id, node, self.facts, self.locale, self.mode)
        self.decision = self.policy.safety_stop(self.pos.tree_id, node.id, safety, authored, self.locale)

    def _add_step(self, step: Step) -> None:
        self.path.append(step)
        key = step.pos.key
        self.visits[key] = self.visits.get(key, 0) + 1

    def visit_counts(self, tree_id: str) -> dict[str, int]:
        """Node id -> how many times the current walk reached it, in one tree (what ``visits()`` reads)."""
        prefix = f"{tree_id}:"
        return {k[len(prefix) :]: n for k, n in self.visits.items() if k.startswith(prefix)}

    def _reach_outcome(self, node: AnyNode, at: datetime) -> None:
        """The walk ends at an outcome: the policy turns it into the decision."""
        assert self.pos is not None
        self._add_step(Step(self.pos, "outcome", at, auto=True))
        self.decision = self.policy.outcome(self.pos.tree_id, node, self.facts, self.locale, self.mode)
        if self.stop_reason:  # a fix group stopped here: say what going on would have cost
            self.decision = self.decision.model_copy(
                update={"reasons": [*self.decision.reasons, self.stop_reason], "rule": "planner"}
            )
            self.stop_reason = None
        if self.decision.kind is OutcomeKind.REPAIR:  # the send-in reference, the same on every replay
            self.decision = self.decision.model_copy(update={"rma": f"RMA-{self.id[:10].upper()}"})

    def _pass(self, node: AnyNode, at: datetime) -> None:
        """One automatic hop: a logic node's first true rule, into a procedure, a fix group's plan, a return."""
        here = self.pos
        assert here is not None
        self._add_step(Step(here, node.kind, at, auto=True))
        if isinstance(node, LogicNode):
            self.pos = Pos(here.tree_id, route(node, self.facts, self.visit_counts(here.tree_id)), here.calls)
        elif isinstance(node, RepeatNode):
            self.pos = Pos(here.tree_id, self._next_round(here, node), here.calls)
        elif isinstance(node, CallNode):
            callee = self.tree(node.procedure)
            self.pos = Pos(callee.id, callee.start, (*here.calls, Frame(here.tree_id, node.id)))
        elif isinstance(node, FixGroupNode):
            self._plan_group(node)
        elif isinstance(node, ReturnNode):
            self.pos = self._return_from(here, node)
        else:  # pragma: no cover - the model has no other kinds
            raise SessionError(f"node {node.id!r}: cannot pass through a {node.kind!r} node")

    def _next_round(self, here: Pos, node: RepeatNode) -> str:
        """A repeat: begin the next round (setting the item and round facts) or, when done, go on."""
        return next_round(self.rounds, here.key, node, self.facts, self.visit_counts(here.tree_id))

    def _return_from(self, here: Pos, node: ReturnNode) -> Pos:
        """Where a procedure's ``return`` goes: the calling node's route for its status."""
        if not here.calls:
            raise SessionError(f"node {node.id!r}: `return` outside a procedure call")
        frame = here.calls[-1]
        caller = self.tree(frame.tree_id).node(frame.call_node)
        assert isinstance(caller, CallNode)
        target = caller.on_return.get(node.status, caller.next)
        return Pos(frame.tree_id, target, here.calls[:-1])

    def _require_open(self) -> AnyNode:
        if self.decision is not None:
            raise SessionClosed(
                f"session {self.id} has already ended ({self.decision.kind.value}); go back or restart to change it"
            )
        return self.node

    def answer(self, value: Any) -> StepView:
        """Answer the current step and move on. :class:`InvalidAnswer` says what would fit."""
        self.submit(value)
        return self.view()

    def submit(self, value: Any) -> None:
        """:meth:`answer` without drawing the next step: the engine's transition alone.

        For work that needs no view after every step: replaying stored events, simulations, bulk loads.
        """
        node = self._require_open()
        assert self.pos is not None
        stored, target, safety = interpret(node, value, self.locale)
        ev = self._record("answer", self.pos.key, stored)
        self._apply(node, stored, target, safety, ev.at, tried=False)
        self._take_forward(ev.at)

    def mark_tried(self) -> StepView:
        """The customer already tried the current action: record it as tried, not fixed, and move on."""
        self.submit_tried()
        return self.view()

    def submit_tried(self) -> None:
        """:meth:`mark_tried` without drawing the next step (as :meth:`submit` is to :meth:`answer`)."""
        node = self._require_open()
        assert self.pos is not None
        if not isinstance(node, ActionNode):
            raise InvalidAnswer(
                f"step {node.id!r} is a {node.kind}; only an action can be marked as already tried"
            )
        ev = self._record("tried", self.pos.key, ActionResult.NOT_FIXED.value)
        self._apply(node, ActionResult.NOT_FIXED.value, node.on_not_fixed, None, ev.at, tried=True)
        self._take_forward(ev.at)

    def _apply(
        self, node: AnyNode, stored: Any, target: str, safety: str | None, at: datetime, *, tried: bool
    ) -> None:
        assert self.pos is not None
        arrived = self.answers[-1].at if self.answers else self.walk_started_at
        step = Step(self.pos, node.kind, arrived, stored, at, tried)
        self._add_step(step)
        self._answered_steps.append(step)
        self.answers.append(Answered(self.pos.key, stored, tried, at))
        fact = node.fact if isinstance(node, CollectNode | QuestionNode | CheckNode) else None
        if fact:
            self.facts[fact] = stored
        here = self.pos
        if here.group is not None:
            target = self._group_result(here, node, stored, target)
        if isinstance(node, WaitNode) and stored == WaitResult.NOT_YET.value:
            target = node.fallback if self._tries(here.key) >= node.tries else node.id
        self.why = None
        self.pos = Pos(here.tree_id, target, here.calls)
        if safety is not None:
            authored = None
            target_node = self.node_at(self.pos)
            if isinstance(target_node, OutcomeTypes):
                authored = self.policy.outcome(
                    self.pos.tree_id, target_node, self.facts, self.locale, self.mode
                )
                self._add_step(Step(self.pos, "outcome", at, auto=True))
            else:
                self.pos = here  # the walk stops at the step where the sign was met
            self.decision = self.policy.safety_stop(here.tree_id, node.id, safety, authored, self.locale)
            return
        self._settle(at)

    def _tries(self, key: str) -> int:
        """How many "not yet" answers in a row a wait has taken, the one just given included."""
        return tries(self._answered_steps, key)

    def _plan_group(self, group: FixGroupNode) -> None:
        """At a fix group: the planner picks the next action or question, or where to stop, and says why."""
        assert self.pos is not None
        tree = self.tree(self.pos.tree_id)
        evidence = self.group_evidence.get(self.pos.key, EMPTY_EVIDENCE)
        step = plan(problem_for(tree, group), evidence)
        if step.kind in ("action", "question") and step.target is not None:
            self.why = step.explanation
            self.pos = Pos(self.pos.tree_id, step.target, self.pos.calls, group=group.id)
            return
        stop = group.escalate if step.kind == "escalate" else group.visit
        stop = stop or group.escalate or group.visit
        assert stop is not None
        self.stop_reason = step.explanation
        self.pos = Pos(self.pos.tree_id, stop.node, self.pos.calls)

    def _group_result(self, here: Pos, node: AnyNode, stored: Any, target: str) -> str:
        """A step a fix group chose: a failure or an answer goes back to the group, as evidence."""
        assert here.group is not None
        key = f"{here.tree_id}:{here.group}"
        evidence = self.group_evidence.get(key, EMPTY_EVIDENCE)
        if isinstance(node, ActionNode):
            if stored == ActionResult.FIXED.value:
                return target
            self.group_evidence[key] = evidence.with_failed(node.id)
        elif isinstance(node, QuestionNode):
            self.group_evidence[key] = evidence.with_answer(node.id, str(stored))
        return here.group

    def _take_forward(self, at: datetime) -> None:
        """After an answer at a revisited step, take up the kept later answers while the path is the same."""
        if not self.forward:
            return
        self.forward.pop(0)  # the step just answered again
        while self.forward and self.decision is None and self.pos is not None:
            nxt = self.forward[0]
            if nxt.pos_key != self.pos.key:
                break
            try:
                self._redo(Answered(nxt.pos_key, nxt.value, nxt.tried, at))
            except InvalidAnswer:
                break
            self.forward.pop(0)
        self.forward = []

    def back(self, index: int | None = None) -> StepView:
        """Reopen answered step ``index`` (from the breadcrumb; default: the last one)."""
        n = len(self.answers)
        if n == 0:
            raise SessionError("there is no earlier step to go back to")
        idx = n - 1 if index is None else index
        if not 0 <= idx < n:
            raise SessionError(f"there is no step {idx} to go back to (answered steps: 0 to {n - 1})")
        self._record("back", None, idx)
        self._rewind(idx)
        return self.view()

    def _rewind(self, idx: int) -> None:
        """Rebuild the walk from its start with the first ``idx`` answers; keep the rest aside."""
        kept, earlier = self.answers[idx:], self.answers[:idx]
        notes, started, later, current = self.notes, self.walk_started_at, self.forward, self.mode
        changes = [c for c in self.mode_changes if c[0] <= idx]
        # replay the earlier answers under the audience that gave each of them
        self.mode = self.walk_mode
        self._reset_state()
        self.notes = notes
        self._begin(started)
        for i, a in enumerate(earlier):
            for at_answer, mode in changes:
                if at_answer == i:
                    self.mode = mode
                    self.facts["mode"] = mode.value
            self._redo(a)
        for at_answer, mode in changes:
            if at_answer == len(earlier):
                self.mode = mode
                self.facts["mode"] = mode.value
        self.mode_changes = changes
        if self.mode != current:  # whoever is at the keyboard now carries on from here
            self.mode_changes.append((idx, current))
            self._switch_mode(current, self.answers[-1].at if self.answers else started)
        self.forward = kept + later

    def _redo(self, a: Answered) -> None:
        node = self.node
        if a.tried and isinstance(node, ActionNode):
            self._apply(node, a.value, node.on_not_fixed, None, a.at, tried=True)
        else:
            stored, target, safety = interpret(node, a.value, self.locale)
            self._apply(node, stored, target, safety, a.at, tried=False)

    def restart(self) -> StepView:
        """Start the walk again from the first step; notes are kept."""
        ev = self._record("restart", None, None)
        notes = self.notes
        self._reset_state()
        self.notes = notes
        self.walk_mode, self.mode_changes = self.mode, []
        self._begin(ev.at)
        return self.view()

    def add_note(self, text: str) -> None:
        """Add a free-text note; it goes into the hand-off."""
        text = text.strip()
        if not text:
            raise InvalidAnswer("a note cannot be empty")
        self._record("note", self.pos.key if self.pos else None, text)
        self.notes.append(text)

    def escalate_now(self) -> Decision:
        """'This did not help, get me a person' (self-service) or an agent's manual escalation."""
        node = self._require_open()
        assert self.pos is not None
        self._record("escalate", self.pos.key, None)
        self.decision = self.policy.person_requested(self.pos.tree_id, node.id, self.mode, self.locale)
        return self.decision

    def handover(self, mode: Audience | str = Audience.AGENT) -> StepView:
        """Hand the session to another audience (a customer's escalation picked up by an agent).

        The walk continues from the step the customer reached, with every answer intact; a decision taken
        there only because of who was at the keyboard (a person was asked for, a step only an agent may do)
        is reopened.
        """
        new_mode = Audience(mode)
        ev = self._record("handover", self.pos.key if self.pos else None, {"mode": new_mode.value})
        self.mode_changes.append((len(self.answers), new_mode))
        self._switch_mode(new_mode, ev.at)
        return self.view()

    def _switch_mode(self, new_mode: Audience, at: datetime) -> None:
        self.mode = new_mode
        self.facts["mode"] = new_mode.value
        node = self.node
        if isinstance(node, _INTERACTIVE) and (self.decision is None or self.decision.rule in _REOPENABLE):
            self.decision = None
            self._settle(at)

    # -- what the audience sees ------------------------------------------------------------------

    def _distance(self, pos: Pos) -> int:
        dist = self._distances.get(pos.tree_id)
        if dist is None:
            dist = distances_to_end(self.tree(pos.tree_id))
            self._distances[pos.tree_id] = dist
        return dist.get(pos.node_id, 0) + len(pos.calls)

    def breadcrumb(self) -> list[Crumb]:
        """Every answered step, oldest first, in this session's audience and locale.

        Answered steps only ever append to the path until a back or restart resets it, so the crumbs are
        kept and only the new ones are made: a view costs the same at step 400 as at step 4.
        """
        key = (self.mode, self.locale)
        if self._crumbs_for != key:
            self._crumbs, self._crumbs_for = [], key
        crumbs = self._crumbs
        for s in self._answered_steps[len(crumbs) :]:
            crumbs.append(crumb(len(crumbs), s.pos.tree_id, self.node_at(s.pos), s, self.mode, self.locale))
        return list(crumbs)

    def answer_label(self, node: AnyNode, value: Any, tried: bool = False, locale: str | None = None) -> str:
        """A stored answer in words."""
        return answer_label(node, value, tried, locale or self.locale)

    def view(self) -> StepView:
        """The current step for this session's audience."""
        assert self.pos is not None
        return step_view(
            session_id=self.id,
            tree_id=self.pos.tree_id,
            tree_title=localize(
                self.tree().title, self.locale
            ),  # the session's tree, even inside a procedure
            node=self.node,
            mode=self.mode,
            locale=self.locale,
            answered=len(self.answers),
            remaining=0 if self.decision else self._distance(self.pos),
            why=self.why,
            breadcrumb=self.breadcrumb(),
            facts=self.facts,
            decision=self.decision,
            notes=self.notes,
            shown_at=self.answers[-1].at if self.answers else self.walk_started_at,
            try_number=self._tries(self.pos.key) + 1,
            round_of=round_of(self.rounds, self.pos.tree_id, self.tree(self.pos.tree_id).node, self.facts),
        )

    # -- serialization ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data; :meth:`from_dict` rebuilds the same session from it."""
        return {
            "format": SESSION_FORMAT,
            "id": self.id,
            "tree_id": self.tree_id,
            "tree_digest": self.tree_digest,
            "mode": self.mode.value,
            "locale": self.locale,
            "facts": self.initial_facts,
            "events": [e.model_dump(mode="json") for e in self.events],
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], library: Mapping[str, Tree], policy: Policy | None = None
    ) -> Session:
        """Replay a serialized session against the library."""
        if data.get("format") != SESSION_FORMAT:
            raise SessionError(f"unknown session format {data.get('format')!r} (expected {SESSION_FORMAT})")
        events = [Event.model_validate(e) for e in data["events"]]
        return cls.replay(
            library,
            events,
            session_id=data["id"],
            policy=policy,
            tree_digest=data.get("tree_digest"),
        )

    @classmethod
    def replay(
        cls,
        library: Mapping[str, Tree],
        events: list[Event],
        *,
        session_id: str | None = None,
        policy: Policy | None = None,
        tree_digest: str | None = None,
        listeners: Sequence[EventListener] = (),
    ) -> Session:
        """Rebuild a session from its events, deterministically (timestamps come from the events)."""
        return replay(
            cls,
            library,
            events,
            session_id=session_id,
            policy=policy,
            tree_digest=tree_digest,
            listeners=listeners,
        )
