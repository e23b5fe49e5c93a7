"""The interactive walk at the terminal prompt, shared by ``triage run``, ``resume`` and ``case take-over``.

A stored session (``run --persist``, ``resume``, ``case take-over``) is walked through :class:`GoesOn`: when the
web page or another terminal changed it meanwhile, the prompt says what changed and shows the step the session
stands at now, never the step it had left (a ``yes`` meant for one step must not answer the next).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

from triage.errors import SessionConflict, TriageError
from triage.records.sessions import StoredSession
from triage.trees.library import Library
from triage.trees.model import Tree, localize
from triage.walk.handoff import build_handoff
from triage.walk.policy import Decision
from triage.walk.session import Session, StepView

__all__ = ["HELP", "GoesOn", "Walkable", "choose_tree", "walk"]

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


def walk(session: Walkable, out: TextIO, inp: TextIO, save: str | None = None) -> int:
    """Prompt step by step until the decision (exit 0) or until the user leaves (exit 1, the session stays open).

    A :class:`StoredSession` is walked through :class:`GoesOn`, so a change made elsewhere meanwhile is told.
    """
    if isinstance(session, StoredSession):
        session = GoesOn(session, out)
    view = session.view()
    out.write(f"{view.tree_title} — {view.mode.value} session {view.session_id}\n{HELP}\n")
    while not view.finished:
        _render(view, out)
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


def _render(view: StepView, out: TextIO) -> None:
    out.write("\n")
    out.write(f"[step {view.step_number}, {view.progress:.0%}] {view.text}\n")
    if view.hint:
        out.write(f"  (agent hint) {view.hint}\n")
    if view.kind == "action":
        extra = f", about {view.minutes:g} min" if view.minutes is not None else ""
        out.write(f"  (do: {view.performer}{extra}) then: {view.check}\n")
    if view.field is not None and not view.options:
        f = view.field
        rng = ""
        if f.min is not None or f.max is not None:
            rng = f" between {f.min if f.min is not None else '-'} and {f.max if f.max is not None else '-'}"
        out.write(f"  enter {f.type.value}{rng}:\n")
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


def _option_value(view: StepView, cmd: str) -> str:
    """An option's number stands for its value; anything else is the answer as typed."""
    if cmd.isdigit() and view.options and 1 <= int(cmd) <= len(view.options):
        return view.options[int(cmd) - 1].value
    return cmd


def _conclude(view: StepView, session: Session, out: TextIO) -> None:
    d = view.decision
    assert d is not None
    out.write(f"\n== Decision: {d.label(view.locale).upper()} ==\n{d.message}\n")
    for r in d.reasons:
        out.write(f"  because: {r}\n")
    if d.kind.value != "resolved":
        out.write("\n" + build_handoff(session).to_markdown())


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
