"""References people read out (K7P-4QX): every session and case gets one, search, resume and the queue accept
them however they are typed; opening a customer's session is read-only until the agent takes it over; facts
and decisions read in words. SQLite and the real PostgreSQL server (the ``store`` fixture) both."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from triage.desk import contact as console
from triage.desk import queue
from triage.errors import NotFound, SessionConflict
from triage.i18n import CATALOGS
from triage.records import sessions as session_records
from triage.records.cases import Queue
from triage.records.store import Store
from triage.walk.views import rule_label

REFERENCE = re.compile(r"[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}")


def escalated(store: Store, **facts: object) -> str:
    """A customer's self-service walk that asked for a person at the router-lights step."""
    stored = store.start_session("no-internet", mode="self_service", facts=facts)
    for answer in ("all", "active", "no"):
        stored.answer(answer)
    stored.escalate_now()
    return stored.id


def loosely(reference: str) -> str:
    """A reference as someone types what they heard: lower case, a space for the dash, O for 0 and l for 1."""
    return reference.lower().replace("-", " ").replace("0", "o").replace("1", "l")


def test_every_session_and_case_gets_its_own_reference(store: Store) -> None:
    """Sessions and cases are numbered by references of the written form; none repeats, and a reload keeps it."""
    ids = [escalated(store) for _ in range(5)]
    refs = [store.load_session(sid).reference for sid in ids]
    case_refs = [c.reference for sid in ids for c in Queue(store).for_session(sid)]
    for ref in [*refs, *case_refs]:
        assert ref is not None
        assert REFERENCE.fullmatch(ref)
    assert len(set(refs) | set(case_refs)) == 10
    assert [store.session_row(sid).reference for sid in ids] == refs
    assert console.session_reference(store, ids[0]) == refs[0]


def test_a_reference_taken_already_is_drawn_again(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The random draw is the one fake here: it first repeats a reference in use, and the start takes the next."""
    first = store.start_session("no-internet").reference
    assert first is not None
    draws = iter([first, "AB1-CD2"])
    monkeypatch.setattr(session_records, "new_reference", lambda: next(draws))
    assert store.start_session("no-internet").reference == "AB1-CD2"


def test_a_start_that_loses_the_reference_to_another_start_draws_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two starts at once can pick the same free reference; the database refuses the second write, which
    starts again with a fresh one and leaves nothing half-written."""
    first = store.start_session("no-internet").reference
    picks = iter([first, "XY7-QR9"])  # the first pick "looked free" but is taken by the time of the write
    monkeypatch.setattr(session_records, "unused_reference", lambda db, column: next(picks))
    second = store.start_session("no-internet", customer_id="C-9")
    assert second.reference == "XY7-QR9"
    assert [r.reference for r in store.list_sessions(customer_id="C-9")] == ["XY7-QR9"]


def test_a_session_is_found_by_its_reference_however_it_is_typed(store: Store) -> None:
    """Any case, spaces or no dash, O for 0 and I or L for 1; the id, its start and the link still work."""
    sid = escalated(store)
    ref = store.load_session(sid).reference
    assert ref is not None
    for typed in (
        ref,
        ref.lower(),
        ref.replace("-", ""),
        f"  {loosely(ref)} ",
        f"https://help.example/?s={sid}",
    ):
        assert console.resolve_session_id(store, typed) == sid
    assert console.resolve_session_id(store, sid[:8]) == sid
    with pytest.raises(NotFound, match=r"^no session has the reference or an id starting with 'ZZZ-ZZZ'$"):
        console.resolve_session_id(store, "ZZZ-ZZZ")


def test_six_hex_digits_are_tried_as_a_reference_then_as_the_start_of_an_id(store: Store) -> None:
    """``a3f9c2`` reads as a reference too; when no session has it, it is the start of an id."""
    sid = escalated(store)
    assert console.resolve_session_id(store, sid[:6]) == sid


def test_the_queue_finds_a_case_by_its_own_or_its_sessions_reference(store: Store) -> None:
    """Search takes either reference as heard; ``?case=`` takes a reference or a number; a stranger is None."""
    sid = escalated(store)
    escalated(store)
    (case,) = Queue(store).for_session(sid)
    session_ref = store.load_session(sid).reference
    assert case.reference is not None
    assert session_ref is not None
    for heard in (loosely(case.reference), loosely(session_ref)):
        found = queue.find_cases(store, queue.CaseFilter(search=heard))
        assert [c.id for c in found] == [case.id]
    assert queue.case_number(store, case.reference.lower()) == case.id
    assert queue.case_number(store, f"#{case.id}") == case.id
    assert queue.case_number(store, str(case.id)) == case.id
    assert queue.case_number(store, "ZZZ-ZZZ") is None
    assert queue.case_number(store, "x" * 500) is None
    assert queue.case_label(case).startswith(f"{case.reference} · normal · tier1-support")
    assert queue.case_row(case)["reference"] == case.reference
    with pytest.raises(
        NotFound, match=r"^no case 'nope' \(give its reference, like K7P-4QX, or its number\)$"
    ):
        Queue(store).case_id("nope")


def _snapshot(store: Store, sid: str) -> tuple[object, ...]:
    row = store.session_row(sid)
    stored = store.load_session(sid)
    cases = [(c.status, c.closure_code) for c in Queue(store).for_session(sid)]
    return (row.mode, row.status, row.updated_at, len(stored.session.events), tuple(cases))


def test_opening_a_customer_escalation_changes_nothing_and_take_over_does(store: Store) -> None:
    """Open: the session, its events and its case are exactly as before, and the agent is told where the
    customer is. Take over: agent mode at the same step, the case closed as handed over."""
    sid = escalated(store, customer_words="no internet since the storm")
    before = _snapshot(store, sid)
    opened = console.open_for_agent(store, sid)
    assert _snapshot(store, sid) == before
    assert (opened.escalated, opened.customer_active, opened.readonly) == (True, False, True)
    assert opened.where == "Look at the router. Is any light on?"
    assert opened.reference == store.load_session(sid).reference
    assert before[-1] == (("open", None),)

    taken = console.take_over(store, sid, "ann", seen=opened.stored.event_count)
    assert taken.session.mode.value == "agent"
    assert taken.view().node_id == "power_light"
    assert [(c.status, c.closure_code, c.claimed_by) for c in Queue(store).for_session(sid)] == [
        ("closed", "handed-over", "ann")
    ]
    assert not console.open_for_agent(store, sid).readonly


def test_a_customer_mid_walk_is_active_and_a_click_since_the_agent_looked_refuses_the_take_over(
    store: Store,
) -> None:
    """How long ago the customer clicked decides the warning; a click after the agent's look is a conflict
    that changes nothing, and the agent's next look (and confirmation) goes through."""
    stored = store.start_session("no-internet", mode="self_service")
    stored.answer("all")
    last = stored.session.events[-1].at
    opened = console.open_for_agent(store, stored.id, now=last + timedelta(minutes=3))
    assert (opened.customer_active, opened.recent, opened.idle, opened.last_click) == (
        True,
        True,
        "3 min",
        last,
    )
    later = console.open_for_agent(store, stored.id, now=last + timedelta(hours=2))
    assert (later.recent, later.idle) == (False, "2 h 0 min")

    store.load_session(stored.id).answer("active")
    with pytest.raises(SessionConflict, match=r"^This session was changed elsewhere \(an answer was given\)"):
        console.take_over(store, stored.id, "ann", seen=opened.stored.event_count)
    assert store.load_session(stored.id).session.mode.value == "self_service"
    again = console.open_for_agent(store, stored.id)
    assert again.where == (
        "Before you touch anything: is the router or its power adapter very hot, or is there a burning smell?"
    )
    assert (
        console.take_over(store, stored.id, "ann", seen=again.stored.event_count).session.mode.value
        == "agent"
    )


def test_an_agents_own_session_opens_as_it_is(store: Store) -> None:
    """An agent-mode session is the agent's: nothing to take over."""
    stored = store.start_session("no-internet", mode="agent")
    opened = console.open_for_agent(store, stored.id)
    assert (opened.readonly, opened.escalated, opened.customer_active, opened.where) == (
        False,
        False,
        False,
        "",
    )


def test_choice_facts_read_as_their_labels(store: Store) -> None:
    """A choice answer is the author's label in the reader's language (the path, the facts, the hand-off);
    without a label it reads as words, never as the lower-case value."""
    email = store.start_session("email-not-syncing", mode="agent", locale="de")
    email.answer("one")
    email.answer("phone")
    assert dict(console.facts_in_words(email, "de"))["mail_device"] == "Handy"
    assert dict(console.facts_in_words(email, "en"))["mail_device"] == "Phone"
    assert [c.answer for c in email.view().breadcrumb][-1] == "Handy"
    assert "- mail_device: Phone" in console.handoff_files(email).markdown
    walk = store.start_session("no-internet", mode="agent", facts={"line_light": "blinking"})
    assert dict(console.facts_in_words(walk, "en"))["line_light"] == "Blinking"
    assert "- line_light: Blinking" in console.handoff_files(walk).markdown


# every rule the policy and the session write into a decision
_RULE = re.compile(r"""(?:rule=|"rule": |_escalate\(\s*)"([a-z-]+)\"""")


@pytest.fixture(scope="module")
def written_rules() -> set[str]:
    walk_dir = Path(console.__file__).parents[1] / "walk"
    return {m for f in walk_dir.glob("*.py") for m in _RULE.findall(f.read_text(encoding="utf-8"))}


def test_every_rule_that_decides_has_words_in_english_and_german(written_rules: set[str]) -> None:
    """ "Decided by: authored" never shows: each rule the policy writes has a label in both catalogs."""
    assert {"authored", "safety", "performer", "budget", "planner", "customer-request"} <= written_rules
    en = (CATALOGS / "en.po").read_text(encoding="utf-8")
    de = (CATALOGS / "de.po").read_text(encoding="utf-8")
    for rule in written_rules:
        assert f'"rule.{rule}"' in en
        assert f'"rule.{rule}"' in de
        assert rule_label(rule, "en") != rule
    assert rule_label("authored") == "the guide's own outcome"
    assert rule_label("safety", "de") == "die Sicherheitsregel"
