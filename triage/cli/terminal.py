"""The interactive walk at the terminal prompt, shared by ``triage run``, ``resume`` and ``case take-over``.

A stored session (``run --persist``, ``resume``, ``case take-over``) is walked through :class:`GoesOn`: when the
web page or another terminal changed it meanwhile, the prompt says what changed and shows the step the session
stands at now, never the step it had left (a ``yes`` meant for one step must not answer the next).

Every kind of step has its prompt: an instruction is answered "done" (or "I could not"); a wait prints how
long to wait and the re-check question, counting down on a real terminal unless ``wait`` is off (a typed
answer ends the countdown; piped input never waits); a remote check runs through the provider's
:class:`~triage.walk.systems.Systems` (:func:`~triage.walk.systems.run_step`) and, when there is no provider
or it fails, an agent picks the result by hand; pictures and links print their alt text and file or address;
a caution prints before the step; a multi-select takes numbers or names separated by commas. The decision
prints in full: parts to ship, the RMA and packing, the finding and the customer's next step, the follow-up,
the tree a handover continues with.
"""

from __future__ import annotations

import json
import select
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

from triage.errors import SessionConflict, TriageError
from triage.records.sessions import StoredSession
from triage.trees.library import Library
from triage.trees.media import MEDIA_FOLDER
from triage.trees.model import FactType, Tree, localize
from triage.walk.handoff import build_handoff
from triage.walk.policy import Decision
from triage.walk.session import Session, StepView
from triage.walk.systems import SystemResult, Systems, run_step
from triage.walk.views import MediaView

__all__ = ["HELP", "GoesOn", "Walkable", "choose_tree", "decision_details", "walk"]

HELP = "commands: b [N] back (to step N), t already tried, n TEXT note, p get me a person, r restart, q quit, ? help"


class Walkable(Protocol):
    """What the prompt drives: an in-memory :class:`Session` or a stored one (the same methods)."""

    def view(self) -> StepView: ...
    def answer(self, value: Any) -> StepView: ...
    def mark_tried(self) -> StepView: ...
    def back(self, index: int | None = None) -> StepView: ...
    def restart(self) -> StepView: ...
    def add_note(self, text: str) -> None: ...
    def escalate_now(self) -> Decision: ...


def choose_tree(lib: Library, mode: str, locale: str, out: TextIO, inp: TextIO) -> Tree | None:
    """Ask which tree to run: a number from the list, or words to search for."""
    trees = lib.offered(mode)
    while True:
        for i, t in enumerate(trees, 1):
            out.write(f"  {i:>2}) [{t.category.value}] {localize(t.title, locale)}\n")
        out.write("Which problem? Type a number, or words to search (q to quit): ")
        out.flush()
        line = inp.readline()
        if not line or line.strip() in ("q", "quit"):
            return None
        pick = line.strip()
        if pick.isdigit() and 1 <= int(pick) <= len(trees):
            return trees[int(pick) - 1]
        found = lib.search(pick, audience=mode, locale=locale)
        if len(found) == 1:
            return found[0]
        trees = found or lib.offered(mode)
        out.write("No match; all problems:\n" if not found else f"{len(found)} matches:\n")


_T = TypeVar("_T")


class GoesOn:
    """A stored session at the prompt that goes on after a lost race.

    When another writer (the web page, another terminal) changed the session meanwhile, it says what changed
    and shows the step the session stands at now (the stored session has reloaded itself); a note, or asking
    for a person, fits any step, so that is done again on the session as it stands.
    """

    def __init__(self, stored: StoredSession, out: TextIO) -> None:
        self.stored = stored
        self.out = out

    @property
    def session(self) -> Session:
        """The engine session (the terminal prints the decision and hand-off from it)."""
        return self.stored.session

    def _say(self, exc: SessionConflict) -> None:
        self.out.write(f"  ! {exc}\n")

    def _step(self, change: Callable[[], StepView]) -> StepView:
        try:
            return change()
        except SessionConflict as exc:
            self._say(exc)
            return self.stored.view()

    def _again(self, change: Callable[[], _T]) -> _T:
        try:
            return change()
        except SessionConflict as exc:
            self._say(exc)
            return change()

    def view(self) -> StepView:
        """What to show now."""
        return self.stored.view()

    def answer(self, value: Any) -> StepView:
        """Answer the current step; after a lost race, the step the session stands at now."""
        return self._step(lambda: self.stored.answer(value))

    def mark_tried(self) -> StepView:
        """Mark the current action as already tried; after a lost race, the step it stands at now."""
        return self._step(self.stored.mark_tried)

    def back(self, index: int | None = None) -> StepView:
        """Reopen an answered step; after a lost race, the step the session stands at now."""
        return self._step(lambda: self.stored.back(index))

    def restart(self) -> StepView:
        """Start the walk again; after a lost race, the step the session stands at now."""
        return self._step(self.stored.restart)

    def add_note(self, text: str) -> None:
        """Add a note (again, after a lost race: a note fits any step)."""
        self._again(lambda: self.stored.add_note(text))

    def escalate_now(self) -> Decision:
        """Ask for a person (again, after a lost race: that fits any open step)."""
        return self._again(self.stored.escalate_now)

    def run_system(self, systems: Systems) -> SystemResult | None:
        """Run the step's remote check or action; after a lost race, nothing (the step has changed)."""
        try:
            return self.stored.run_system(systems)
        except SessionConflict as exc:
            self._say(exc)
            return None


def walk(
    session: Walkable,
    out: TextIO,
    inp: TextIO,
    save: str | None = None,
    *,
    systems: Systems | None = None,
    wait: bool = True,
) -> int:
    """Prompt step by step until the decision (exit 0) or until the user leaves (exit 1, the session stays open).

    A :class:`StoredSession` is walked through :class:`GoesOn`, so a change made elsewhere meanwhile is told.
    ``systems`` runs remote checks and actions (none: an agent picks a check's result by hand, self-service
    goes on without it); ``wait`` counts a wait step down on a real terminal before its re-check question.
    """
    if isinstance(session, StoredSession):
        session = GoesOn(session, out)
    view = session.view()
    out.write(f"{view.tree_title} — {view.mode.value} session {view.session_id}\n{HELP}\n")
    ran: tuple[str, str, int] | None = None
    while not view.finished:
        here = (view.tree_id, view.node_id, view.step_number)
        if view.system and here != ran:  # once per arrival at the step, not again after a refused answer
            ran = here
            view = _remote(session, view, systems or Systems(), out)
            if view.finished:
                break
            if (view.tree_id, view.node_id, view.step_number) != here:
                continue
        _render(view, out)
        if view.kind == "wait" and wait and view.seconds:
            _countdown(view.seconds, out, inp)
        out.write("> ")
        out.flush()
        line = inp.readline()
        if not line:
            out.write(f"\n(input ended; session {view.session_id} left open)\n")
            _save(session, save)
            return 1
        cmd = line.strip()
        if cmd in ("q", "quit"):
            out.write(f"Session {view.session_id} left open.\n")
            _save(session, save)
            return 1
        if cmd in ("?", "help"):
            out.write(HELP + "\n")
            continue
        view = _obey(session, view, cmd, out)
    _conclude(view, _engine(session), out)
    _save(session, save)
    return 0


def _remote(session: Walkable, view: StepView, systems: Systems, out: TextIO) -> StepView:
    """Run the step's remote check or action and say what it gave; the view after it."""
    if isinstance(session, Session):
        result = run_step(session, systems)
    elif isinstance(session, GoesOn | StoredSession):
        result = session.run_system(systems)
    else:
        raise TypeError(f"cannot run a remote step on {type(session).__name__}")
    after = session.view()
    if result is None:
        return after
    took = f" ({result.seconds:.1f} s)"
    if result.ok:
        out.write(
            f"\n  remote {'check' if view.kind == 'check' else 'action'} {result.name}: {result.value}{took}\n"
        )
    elif view.kind == "check" and not after.finished and after.node_id == view.node_id:
        out.write(
            f"\n  ! remote check {result.name} gave no result: {result.detail} — pick the result by hand\n"
        )
    else:
        out.write(f"\n  ! remote {result.name} did not work: {result.detail}\n")
    return after


def _countdown(seconds: int, out: TextIO, inp: TextIO) -> None:
    """Count a wait down on a real terminal, a second at a time; a line typed meanwhile ends it (it is then read
    as the answer). Piped or scripted input never waits: its answers are already there."""
    try:
        interactive = inp.isatty()
        fd = inp.fileno() if interactive else -1
    except (AttributeError, OSError, ValueError):
        return
    if not interactive:
        return
    try:
        for left in range(seconds, 0, -1):
            out.write(f"\r  waiting: {left:>4} s left (type an answer to stop waiting) ")
            out.flush()
            if select.select([fd], [], [], 1.0)[0]:
                break
    except (OSError, ValueError):  # a console select() cannot watch: do not wait
        pass
    out.write("\n")


def _media_line(m: MediaView) -> str:
    if m.kind == "image":
        caption = f" ({m.caption})" if m.caption else ""
        return f"  [picture] {m.alt}{caption}: {f'{MEDIA_FOLDER}/{m.src}' if m.local else m.src}"
    return f"  [link] {m.label}: {m.src}"


def _kind_line(view: StepView) -> str | None:
    """What a step asks of the person beyond its text, by kind."""
    extra = f", about {view.minutes:g} min" if view.minutes is not None else ""
    if view.kind == "action":
        return f"  (do: {view.performer}{extra}) then: {view.check}"
    if view.kind == "instruction":
        return f"  (do: {view.performer}{extra}) then say when it is done"
    if view.kind == "wait":
        tries = f", wait {view.try_number} of {view.tries}" if view.tries and view.tries > 1 else ""
        return f"  (wait {view.seconds} s{tries}) then: {view.check}"
    if view.kind == "check":
        return f"  (remote check {view.system}: pick the result)"
    return None


def _field_line(view: StepView) -> str | None:
    f = view.field
    if f is None:
        return None
    if f.type is FactType.MULTI:
        return "  pick any that apply: numbers or names separated by commas" + (
            "" if f.required else " (empty for none)"
        )
    if view.options:
        return None
    rng = ""
    if f.min is not None or f.max is not None:
        rng = f" between {f.min if f.min is not None else '-'} and {f.max if f.max is not None else '-'}"
    return f"  enter {f.type.value}{rng}:"


def _render(view: StepView, out: TextIO) -> None:
    out.write("\n")
    if view.caution:
        out.write(f"  !! CAUTION: {view.caution}\n")
    out.write(f"[step {view.step_number}, {view.progress:.0%}] {view.text}\n")
    if view.hint:
        out.write(f"  (agent hint) {view.hint}\n")
    for m in view.media:
        out.write(_media_line(m) + "\n")
    for line in (_kind_line(view), _field_line(view)):
        if line is not None:
            out.write(line + "\n")
    for i, opt in enumerate(view.options, 1):
        out.write(f"  {i}) {opt.label}\n")


def _obey(session: Walkable, view: StepView, cmd: str, out: TextIO) -> StepView:
    """One typed line; a refused one is explained and the step stays where it was."""
    try:
        return _command(session, view, cmd, out)
    except (
        SessionConflict
    ) as exc:  # changed elsewhere twice in a row: show where it stands now, not the old step
        out.write(f"  ! {exc}\n")
        return session.view()
    # ValueError: `b x` is not a step number; TriageError: a refused answer, or e.g. a locked database
    # (nothing was saved, the user can try again)
    except (TriageError, ValueError) as exc:
        out.write(f"  ! {exc}\n")
        return view


def _command(session: Walkable, view: StepView, cmd: str, out: TextIO) -> StepView:
    if cmd == "b" or cmd.startswith("b "):
        arg = cmd[1:].strip()
        return session.back(int(arg) - 1 if arg else None)
    if cmd == "t":
        return session.mark_tried()
    if cmd.startswith("n "):
        session.add_note(cmd[2:])
        out.write("  note added\n")
        return view
    if cmd == "p":
        session.escalate_now()
        return session.view()
    if cmd == "r":
        return session.restart()
    return session.answer(_option_value(view, cmd))


def _option_value(view: StepView, cmd: str) -> str | list[str]:
    """An option's number stands for its value; anything else is the answer as typed. A multi-select takes
    several, separated by commas (numbers or names)."""
    if view.field is not None and view.field.type is FactType.MULTI:
        return [_one_option(view, part.strip()) for part in cmd.split(",") if part.strip()]
    return _one_option(view, cmd)


def _one_option(view: StepView, cmd: str) -> str:
    if cmd.isdigit() and view.options and 1 <= int(cmd) <= len(view.options):
        return view.options[int(cmd) - 1].value
    return cmd


def _conclude(view: StepView, session: Session, out: TextIO) -> None:
    d = view.decision
    assert d is not None
    out.write(f"\n== Decision: {d.label(view.locale).upper()} ==\n{d.message}\n")
    for r in d.reasons:
        out.write(f"  because: {r}\n")
    for line in decision_details(d):
        out.write(f"  {line}\n")
    if d.kind.value != "resolved":
        out.write("\n" + build_handoff(session).to_markdown())


def _visit_lines(d: Decision) -> list[str]:
    lines = [f"parts for the technician: {', '.join(d.parts)}"] if d.parts else []
    if d.outage:
        eta = f" (expected back: {d.outage_eta})" if d.outage_eta else ""
        lines.append(f"outage in the area{eta}: booking the visit needs an override reason")
    return lines


def _ship_lines(d: Decision) -> list[str]:
    lines = [f"ship: {p.quantity} x {p.part}" for p in d.shipment]
    if d.return_old:
        lines.append("the old part comes back (a return label goes with the parcel)")
    return lines + ([f"instructions: {d.instructions}"] if d.instructions else [])


def _repair_lines(d: Decision) -> list[str]:
    lines = [f"RMA: {d.rma or '-'}", f"send to: {d.depot or '-'}"]
    return lines + ([f"packing: {d.packing}"] if d.packing else [])


def _diagnosis_lines(d: Decision) -> list[str]:
    lines = [f"finding: {d.finding}"] if d.finding else []
    return lines + ([f"customer's next step: {d.customer_next_step}"] if d.customer_next_step else [])


def _resolved_lines(d: Decision) -> list[str]:
    if not d.follow_up_days:
        return []
    what = f": {d.follow_up}" if d.follow_up else ""
    return [f"follow-up in {d.follow_up_days} days{what}"]


def _handover_lines(d: Decision) -> list[str]:
    carried = "all facts" if d.carry is None else ", ".join(d.carry) or "no facts"
    return [f"continue with the tree: {d.handover_tree or '-'}", f"carrying: {carried}"]


_DETAILS: dict[str, Callable[[Decision], list[str]]] = {
    "visit": _visit_lines,
    "ship_part": _ship_lines,
    "repair": _repair_lines,
    "diagnosis": _diagnosis_lines,
    "resolved": _resolved_lines,
    "handover": _handover_lines,
}


def decision_details(d: Decision) -> list[str]:
    """What a decision says beyond its message: parts, RMA and packing, finding, follow-up, handover target."""
    details = _DETAILS.get(d.kind.value)
    return details(d) if details is not None else []


def _engine(session: Walkable) -> Session:
    """The engine session: a stored session wraps one (and swaps it on back and restart), so ask each time."""
    if isinstance(session, Session):
        return session
    if isinstance(session, GoesOn | StoredSession):
        return session.session
    raise TypeError(f"no engine session in {type(session).__name__}")


def _save(session: Walkable, save: str | None) -> None:
    if save:
        data = _engine(session).to_dict()
        Path(save).write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
