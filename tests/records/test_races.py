"""Races on one session: a lost race is a clear SessionConflict, the store stays consistent, the loser goes on."""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from triage.cli.main import main
from triage.desk.sessions import load_session
from triage.errors import SessionConflict
from triage.records.cases import Queue
from triage.records.schema import EventRow
from triage.records.sessions import conflict_message
from triage.records.store import Store, StoredSession

WORKERS = 8
ROUNDS = 6
CONFLICT = "This session was changed elsewhere ("
STANDS = "); here is where it stands now"
EVENT_TYPES = {"answer", "tried", "back", "restart", "note", "escalate", "handover"}


def _change(stored: StoredSession, pid: int, n: int) -> tuple[str, str]:
    """One change that fits the session as this writer sees it: a note, an answer, or going back."""
    view = stored.view()
    if n % 2 == 1 and view.options and not view.finished:
        stored.answer(view.options[0].value)
        return "answer", view.options[0].value
    if n % 2 == 1 and stored.session.answers:
        stored.back()
        return "back", ""
    text = f"note {pid}-{n}"
    stored.add_note(text)
    return "note", text


def _race(url: str, session_id: str, barrier: Any, results: Any) -> None:
    """One writer: load the session, wait for the others, make ROUNDS changes, report each outcome."""
    st = Store(url, migrate=False)
    pid = os.getpid()
    try:
        stored = st.load_session(session_id)
        barrier.wait(timeout=60)
        for n in range(ROUNDS):
            try:
                kind, detail = _change(stored, pid, n)
                results.put((pid, "ok", kind, detail, ()))
            except SessionConflict as exc:
                results.put((pid, "conflict", "", str(exc), exc.changes))
            except Exception as exc:  # reported to the parent, which fails the test
                results.put((pid, "error", "", repr(exc), ()))
    finally:
        st.dispose()


@pytest.fixture(scope="module")
def spawned() -> Iterator[tuple[Any, Any]]:
    """Eight 'spawn' worker processes and a manager for their barrier and queue, shared by both backends."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(WORKERS) as pool:
        yield manager, pool


def test_eight_processes_change_one_session_and_only_clean_outcomes_come_back(
    store: Store, spawned: tuple[Any, Any]
) -> None:
    """8 processes answer, go back and add notes on one session at once: every call succeeds or is a
    SessionConflict saying what changed, the stored events are numbered without gaps, and replaying them
    gives the stored summary, the notes that succeeded and the case the decision calls for."""
    manager, pool = spawned
    stored = store.start_session("no-internet", customer_id="C-race")
    barrier, results = manager.Barrier(WORKERS), manager.Queue()
    done = pool.starmap_async(_race, [(store.url, stored.id, barrier, results)] * WORKERS, chunksize=1)
    done.get(timeout=300)
    got = [results.get(timeout=5) for _ in range(WORKERS * ROUNDS)]

    assert len({pid for pid, *_ in got}) == WORKERS
    assert [g for g in got if g[1] == "error"] == []
    conflicts = [g for g in got if g[1] == "conflict"]
    # all eight loaded the same session before the barrier: seven of the first eight writes lose
    assert len(conflicts) >= WORKERS - 1
    for _, _, _, message, changes in conflicts:
        assert changes
        assert set(changes) <= EVENT_TYPES, changes
        assert message == conflict_message(changes)
        assert message.startswith(CONFLICT)
        assert message.endswith(STANDS)

    with store.tx() as db:
        seqs = list(db.scalars(select(EventRow.seq).where(EventRow.session_id == stored.id).order_by("seq")))
    wins = [g for g in got if g[1] == "ok"]
    assert seqs == list(range(1 + len(wins)))  # the start, then one event per successful change, no gaps

    replayed = store.load_session(stored.id).session
    row = store.session_row(stored.id)
    assert [e.type for e in replayed.events[1:]].count("note") == sum(1 for g in wins if g[2] == "note")
    assert sorted(replayed.notes) == sorted(g[3] for g in wins if g[2] == "note")
    assert row.steps == sum(1 for st in replayed.path if not st.auto)
    assert row.updated_at == replayed.events[-1].at
    assert (row.last_tree, row.last_node) == (replayed.pos.tree_id, replayed.pos.node_id)  # type: ignore[union-attr]
    kind = replayed.decision.kind.value if replayed.decision else None
    assert (row.status, row.decision_kind) == ("decided" if kind else "open", kind)
    live = [c for c in Queue(store).for_session(stored.id) if c.status in ("open", "claimed")]
    assert len(live) == (1 if kind == "escalate" else 0)


def test_a_lost_race_reloads_the_session_so_the_next_call_works(store: Store) -> None:
    """Two handles on one session: the second's answer loses to the first's note, says so, and then works."""
    first = store.load_session(store.start_session("no-internet").id)
    second = store.load_session(first.id)
    first.add_note("checked the router")
    with pytest.raises(SessionConflict) as exc:
        second.answer("all")
    assert (
        str(exc.value) == "This session was changed elsewhere (a note was added); here is where it stands now"
    )
    assert exc.value.changes == ("note",)
    assert second.session.notes == ["checked the router"]  # the loser now holds what is stored
    view = second.answer("all")
    assert view.step_number == 2
    assert [e.type for e in store.load_session(first.id).session.events] == ["start", "note", "answer"]


def test_the_conflict_counts_what_the_other_writer_did(store: Store) -> None:
    """Several changes by the other writer are all named, repeated ones counted."""
    first = store.start_session("no-internet")
    second = store.load_session(first.id)
    first.answer("all")
    first.add_note("one")
    first.add_note("two")
    with pytest.raises(SessionConflict) as exc:
        second.add_note("mine")
    assert exc.value.changes == ("answer", "note", "note")
    assert str(exc.value) == (
        "This session was changed elsewhere (an answer was given, a note was added twice); "
        "here is where it stands now"
    )
    second.add_note("mine")
    assert store.load_session(first.id).session.notes == ["one", "two", "mine"]


class Elsewhere(io.StringIO):
    """The terminal's input: before some lines are read, someone else adds a note to the session (the web page)."""

    def __init__(self, text: str, store: Store, session_id: str, before: dict[int, str]) -> None:
        super().__init__(text)
        self.store, self.session_id, self.before, self.lines = store, session_id, before, 0

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        note = self.before.get(self.lines)
        if note is not None:
            self.store.load_session(self.session_id).add_note(note)
        self.lines += 1
        return super().readline(-1 if size is None else size)


def test_resume_says_what_changed_elsewhere_and_goes_on(store: Store) -> None:
    """`triage resume`: a note added from the page meanwhile is reported, not a traceback, and the walk goes on."""
    sid = store.start_session("no-internet").id
    out = io.StringIO()
    inp = Elsewhere("all\nall\nn mine\nq\n", store, sid, {0: "from the page", 2: "again from the page"})
    code = main(["resume", sid, "--db", store.url], out=out, inp=inp)
    said = "  ! This session was changed elsewhere (a note was added); here is where it stands now\n"
    text = out.getvalue()
    assert code == 1
    assert text.count(said) == 2
    assert "  note added\n" in text
    assert "Traceback" not in text
    session = store.load_session(sid).session
    assert session.notes == ["from the page", "again from the page", "mine"]
    assert [e.type for e in session.events] == ["start", "note", "answer", "note", "note"]


def test_a_click_from_a_page_that_is_behind_is_refused_not_applied_to_the_next_step(store: Store) -> None:
    """Desk level, as a page does it: each click loads the session afresh and sends the event count its page
    drew. Two pages show the burning-smell question (no/yes); the first answers no, and the second's no, meant
    for that step, is refused with what changed instead of answering the next yes/no step (any light on)."""
    sid = store.start_session("no-internet", mode="self_service").id
    load_session(store, sid).answer("all")
    load_session(store, sid).answer("active")
    drawn = load_session(store, sid)
    seen_a = seen_b = drawn.event_count
    assert (drawn.view().node_id, seen_a) == ("smell_check", 3)
    page_a = load_session(store, sid)
    page_a.check_seen(seen_a)
    page_a.answer("no")
    page_b = load_session(store, sid)
    assert page_b.view().node_id == "power_light"  # same option values as the step page B shows
    with pytest.raises(SessionConflict) as exc:
        page_b.check_seen(seen_b)
    assert (
        str(exc.value)
        == "This session was changed elsewhere (an answer was given); here is where it stands now"
    )
    assert exc.value.changes == ("answer",)
    session = load_session(store, sid).session
    assert [e.type for e in session.events] == ["start", "answer", "answer", "answer"]
    assert session.decision is None
    assert load_session(store, sid).view().node_id == "power_light"
    # page B, redrawn, sends the new count and goes on
    again = load_session(store, sid)
    again.check_seen(page_b.event_count)
    assert again.answer("yes").node_id == "line_test"


def test_a_page_that_saw_more_than_is_stored_is_refused_without_naming_changes(store: Store) -> None:
    """A count beyond what is stored (the database was replaced under the page) is a conflict too."""
    stored = load_session(store, store.start_session("no-internet").id)
    stored.check_seen(1)
    with pytest.raises(SessionConflict) as exc:
        stored.check_seen(5)
    assert str(exc.value) == "This session was changed elsewhere; here is where it stands now"
    assert exc.value.changes == ()


def test_a_write_between_the_check_and_the_click_is_still_a_conflict(store: Store) -> None:
    """The check passes, then another writer answers before the click's own write: the event number
    refuses the click, so a stale view cannot slip through between check and write."""
    sid = store.start_session("no-internet").id
    mine = load_session(store, sid)
    mine.check_seen(mine.event_count)
    load_session(store, sid).answer("all")
    with pytest.raises(SessionConflict) as exc:
        mine.answer("one")
    assert exc.value.changes == ("answer",)
    assert [e.value for e in load_session(store, sid).session.events[1:]] == ["all"]


def test_notes_added_meanwhile_do_not_refuse_a_click_on_the_same_step(store: Store) -> None:
    """A note leaves the step where it was: a page drawn before it still answers that step; a note and an
    answer meanwhile refuse it, naming both."""
    sid = store.start_session("no-internet").id
    seen = load_session(store, sid).event_count
    load_session(store, sid).add_note("customer on the phone")
    page = load_session(store, sid)
    page.check_seen(seen)
    assert page.answer("all").node_id == "account_check"
    load_session(store, sid).add_note("router in the cellar")
    load_session(store, sid).answer("active")
    with pytest.raises(SessionConflict) as exc:
        load_session(store, sid).check_seen(seen + 2)
    assert exc.value.changes == ("note", "answer")
    assert str(exc.value) == (
        "This session was changed elsewhere (a note was added, an answer was given); here is where it stands now"
    )
