"""Session engine: walking, answers, back and forward, procedures, serialization, replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from triage import InvalidAnswer, Library, LibraryError, Session, SessionClosed, SessionError
from triage.trees.model import OutcomeKind

MINI = Path(__file__).parents[1] / "data" / "mini"


def ticking_clock(start: datetime | None = None, step: timedelta = timedelta(seconds=30)):  # type: ignore[no-untyped-def]
    now = [start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)]

    def clock() -> datetime:
        value = now[0]
        now[0] = value + step
        return value

    return clock


def test_start_shows_first_step_with_hint_for_agents(mini_lib: Library) -> None:
    """An agent sees the script and the agent-only hint; options come in authored order."""
    v = Session.start(mini_lib, "mini").view()
    assert (v.node_id, v.kind, v.text, v.hint) == (
        "smell",
        "question",
        "Is there a burning smell?",
        "Ask this first, always.",
    )
    assert [(o.value, o.label) for o in v.options] == [("no", "No"), ("yes", "Yes")]
    assert v.step_number == 1
    assert not v.can_back
    assert not v.finished


def test_self_service_never_sees_hints(mini_lib: Library) -> None:
    """A self-service view of a step with a hint carries no hint."""
    s = Session.start(mini_lib, "mini", mode="self_service")
    assert s.view().hint is None
    assert s.answer("no").hint is None


def test_locale_translates_tree_text_and_interface(mini_lib: Library) -> None:
    """Texts come in the session's locale; interface strings too."""
    s = Session.start(mini_lib, "mini", locale="de")
    assert s.view().text == "Riecht es verbrannt?"
    s.answer("no")
    s.answer(0)
    v = s.view()
    assert v.text == "Router an eine funktionierende Steckdose anschließen."
    assert [o.label for o in v.options] == ["Ja", "Nein", "Das konnte ich nicht tun"]
    assert v.check == "Hat das geholfen?"


def test_walk_through_logic_and_procedure_to_escalation(mini_lib: Library) -> None:
    """Logic routes on a collected number; a call runs the procedure and continues after its return."""
    s = Session.start(mini_lib, "mini")
    s.answer("no")
    v = s.answer("5")
    assert (v.tree_id, v.node_id) == ("router-restart", "unplug")
    v = s.answer("not_fixed")
    assert (v.tree_id, v.node_id) == ("mini", "reset")
    s.answer("no")
    v = s.answer("AB1234")
    assert v.finished
    d = v.decision
    assert d is not None
    assert (d.kind, d.rule, d.tier, d.queue, d.priority) == (
        OutcomeKind.ESCALATE,
        "authored",
        2,
        "network",
        "high",
    )
    assert s.facts["lights"] == 5
    assert s.facts["account"] == "AB1234"
    kinds = [(st.pos.node_id, st.auto) for st in s.path]
    assert kinds == [
        ("smell", False),
        ("lights", False),
        ("route", True),
        ("restart", True),
        ("unplug", False),
        ("back", True),
        ("reset", False),
        ("account", False),
        ("tier2", True),
    ]


def test_outcome_inside_procedure_ends_the_session(mini_lib: Library) -> None:
    """A resolved outcome inside a called procedure is the session's decision."""
    s = Session.start(mini_lib, "mini")
    s.answer("no")
    s.answer(3)
    d = s.answer("fixed").decision
    assert d is not None
    assert (d.kind, d.tree_id, d.node_id, d.fault) == (
        OutcomeKind.RESOLVED,
        "router-restart",
        "fixed",
        "router_hung",
    )


@pytest.mark.parametrize(
    ("answers", "bad", "message"),
    [
        ([], "maybe", "'maybe' is not one of the options; choose one of: 'no', 'yes'"),
        (["no"], "seven", "'seven' is not a number"),
        (["no"], "9", "9 is above the maximum of 5"),
        (["no"], "-1", "-1 is below the minimum of 0"),
        (["no"], "", "an answer is required"),
        (["no", 5, "not_fixed", "not_fixed"], "ab12", "'ab12' does not have the expected format"),
        (
            ["no", 0],
            "perhaps",
            "'perhaps' is not one of the options; choose one of: 'fixed', 'not_fixed', 'could_not'",
        ),
    ],
)
def test_invalid_answers_say_what_fits(
    mini_lib: Library, answers: list[object], bad: str, message: str
) -> None:
    """A wrong answer raises InvalidAnswer with an exact message and changes nothing."""
    s = Session.start(mini_lib, "mini")
    for a in answers:
        s.answer(a)
    before = (s.pos, len(s.events))
    with pytest.raises(InvalidAnswer) as exc:
        s.answer(bad)
    assert str(exc.value) == message
    assert (s.pos, len(s.events)) == before


def test_answers_by_label_and_number(mini_lib: Library) -> None:
    """A question takes an option's value, its label (any case) or its 1-based number."""
    for answer in ("no", "No", "NO", "1"):
        assert Session.start(mini_lib, "mini").answer(answer).node_id == "lights"


def test_back_and_same_answer_restores_later_steps(mini_lib: Library) -> None:
    """Going back and giving the same answer takes up every later answer again."""
    s = Session.start(mini_lib, "mini")
    for a in ("no", 5, "not_fixed", "no"):
        s.answer(a)
    here = s.view()
    v = s.back(0)
    assert v.node_id == "smell"
    assert v.breadcrumb == []
    v = s.answer("no")
    assert v.node_id == here.node_id == "account"
    assert v.breadcrumb == here.breadcrumb
    assert v.facts == here.facts


def test_back_with_changed_answer_keeps_answers_while_path_is_the_same(mini_lib: Library) -> None:
    """A changed answer that leads to the same step keeps the later answers; one that does not, cuts them."""
    s = Session.start(mini_lib, "mini")
    for a in ("no", 5, "not_fixed", "no"):
        s.answer(a)
    s.back(1)
    v = s.answer(4)  # still routes to the restart procedure
    assert v.node_id == "account"
    assert s.facts["lights"] == 4
    s.back(1)
    v = s.answer(0)  # now routes to the power step: later answers are dropped
    assert v.node_id == "power"
    assert [c.node_id for c in v.breadcrumb] == ["smell", "lights"]


def test_back_reopens_a_finished_session(mini_lib: Library) -> None:
    """After a decision, going back reopens the walk at the chosen step."""
    s = Session.start(mini_lib, "mini")
    s.answer("no")
    s.answer(0)
    assert s.answer("fixed").finished
    v = s.back()
    assert not v.finished
    assert v.node_id == "power"
    assert s.answer("not_fixed").decision.node_id == "dead"  # type: ignore[union-attr]


def test_back_out_of_range(mini_lib: Library) -> None:
    """Going back past the answered steps is refused with a clear message."""
    s = Session.start(mini_lib, "mini")
    with pytest.raises(SessionError, match="there is no earlier step to go back to"):
        s.back()
    s.answer("no")
    with pytest.raises(SessionError, match=r"there is no step 3 to go back to \(answered steps: 0 to 0\)"):
        s.back(3)


def test_mark_tried_moves_on_and_is_recorded(mini_lib: Library) -> None:
    """'Customer already tried this' records the action as tried and not fixed."""
    s = Session.start(mini_lib, "mini")
    s.answer("no")
    s.answer(0)
    v = s.mark_tried()
    assert v.decision is not None
    assert v.decision.node_id == "dead"
    assert v.breadcrumb[-1].tried
    assert v.breadcrumb[-1].answer == "already tried by the customer before; did not fix it"


def test_mark_tried_only_on_actions(mini_lib: Library) -> None:
    """Only an action can be marked as already tried."""
    with pytest.raises(InvalidAnswer, match="only an action can be marked as already tried"):
        Session.start(mini_lib, "mini").mark_tried()


def test_restart_keeps_notes(mini_lib: Library) -> None:
    """Restart goes back to the first step with no answers; notes stay."""
    s = Session.start(mini_lib, "mini")
    s.answer("no")
    s.add_note("customer on a mobile")
    v = s.restart()
    assert v.node_id == "smell"
    assert v.breadcrumb == []
    assert v.notes == ["customer on a mobile"]


def test_empty_note_is_refused(mini_lib: Library) -> None:
    """A blank note is an error, not a silent no-op."""
    with pytest.raises(InvalidAnswer, match="a note cannot be empty"):
        Session.start(mini_lib, "mini").add_note("   ")


def test_answering_a_finished_session_is_refused(mini_lib: Library) -> None:
    """Once decided, a session refuses answers until it goes back or restarts."""
    s = Session.start(mini_lib, "mini")
    s.answer("yes")
    with pytest.raises(SessionClosed, match=r"has already ended \(visit\); go back or restart to change it"):
        s.answer("no")


def test_unknown_tree_is_a_library_error(mini_lib: Library) -> None:
    """Starting an unknown tree names it."""
    with pytest.raises(LibraryError, match="no tree 'nope' in the library"):
        Session.start(mini_lib, "nope")


def test_every_step_is_an_event_with_a_timestamp(mini_lib: Library) -> None:
    """Start, answers, notes, back and tried each leave one event, in order, with the clock's time."""
    s = Session.start(mini_lib, "mini", clock=ticking_clock())
    s.answer("no")
    s.add_note("hello")
    s.answer(0)
    s.back()
    s.answer(0)
    s.mark_tried()
    assert [(e.seq, e.type, e.node) for e in s.events] == [
        (0, "start", None),
        (1, "answer", "mini:smell"),
        (2, "note", "mini:lights"),
        (3, "answer", "mini:lights"),
        (4, "back", None),
        (5, "answer", "mini:lights"),
        (6, "tried", "mini:power"),
    ]
    assert [e.at.second for e in s.events] == [0, 30, 0, 30, 0, 30, 0]


def test_json_round_trip_replays_to_the_same_state(mini_lib: Library) -> None:
    """A session serialized to JSON and back has the same events, view and decision."""
    s = Session.start(
        mini_lib, "mini", mode="self_service", locale="de", facts={"region": "north"}, clock=ticking_clock()
    )
    s.answer("no")
    s.answer(5)
    s.add_note("kunde ruft vom handy an")
    s.back(1)
    s.answer(5)
    data = json.loads(json.dumps(s.to_dict()))
    again = Session.from_dict(data, mini_lib)
    assert again.events == s.events
    assert again.view().model_dump() == s.view().model_dump()
    assert again.facts == s.facts
    assert again.id == s.id


def test_replay_rejects_events_for_another_step(mini_lib: Library) -> None:
    """A tampered event log fails loudly, naming the event."""
    s = Session.start(mini_lib, "mini")
    s.answer("no")
    data = s.to_dict()
    data["events"][1]["node"] = "mini:lights"
    with pytest.raises(SessionError, match=r"event 1 \(answer\) cannot be replayed"):
        Session.from_dict(data, mini_lib)


def test_unknown_format_is_refused(mini_lib: Library) -> None:
    """A session file from another format version is refused, not misread."""
    data = Session.start(mini_lib, "mini").to_dict()
    data["format"] = 99
    with pytest.raises(SessionError, match="unknown session format 99"):
        Session.from_dict(data, mini_lib)


def test_progress_grows_to_one(mini_lib: Library) -> None:
    """Progress is a fraction that reaches 1 at the decision."""
    s = Session.start(mini_lib, "mini")
    first = s.view().progress
    s.answer("no")
    s.answer(0)
    assert 0 <= first < 1
    assert s.answer("fixed").progress == 1.0


def test_handover_continues_a_customer_escalation_at_the_same_step(mini_lib: Library) -> None:
    """A self-service customer who asked for a person is picked up by an agent at the same step, answers intact."""
    s = Session.start(mini_lib, "mini", mode="self_service")
    s.answer("no")
    s.answer(5)
    s.escalate_now()
    v = s.handover("agent")
    assert not v.finished
    assert (v.mode.value, v.node_id, v.hint) == ("agent", "unplug", None)
    assert [c.node_id for c in v.breadcrumb] == ["smell", "lights"]
    again = Session.from_dict(s.to_dict(), mini_lib)
    assert again.view().model_dump() == s.view().model_dump()


def test_handover_reopens_an_agent_only_step(mini_lib: Library) -> None:
    """A step only an agent may do stopped the customer; after hand-over the agent sees it as a step."""
    s = Session.start(mini_lib, "mini", mode="self_service")
    for a in ("no", 5, "not_fixed"):
        s.answer(a)
    assert s.decision is not None
    assert s.decision.rule == "performer"
    v = s.handover("agent")
    assert (v.finished, v.node_id, v.performer) == (False, "reset", "agent")


def test_listener_failure_changes_nothing(mini_lib: Library) -> None:
    """If saving an event fails, the session does not move: nothing is half-done."""
    saved: list[str] = []

    def flaky(ev):  # type: ignore[no-untyped-def]
        if ev.type == "answer" and ev.value == 0:
            raise OSError("disk full")
        saved.append(ev.type)

    s = Session.start(mini_lib, "mini", listeners=[flaky])
    s.answer("no")
    with pytest.raises(OSError, match="disk full"):
        s.answer(0)
    assert s.view().node_id == "lights"
    assert [e.type for e in s.events] == saved == ["start", "answer"]


CRUMBS = """
id: crumbs
title: Crumbs
category: software
start: q1
nodes:
  - id: q1
    kind: question
    text: Agent words one?
    customer_text: Plain words one?
    options:
      - {label: "Yes", value: "yes", next: q2}
      - {label: "No", value: "no", next: q2}
  - id: q2
    kind: question
    text: Agent words two?
    customer_text: Plain words two?
    options:
      - {label: "Yes", value: "yes", next: done}
      - {label: "No", value: "no", next: done}
  - {id: done, kind: outcome, outcome: resolved, text: Done., reason: Done.}
"""


def test_breadcrumb_follows_back_handover_and_restart() -> None:
    """The kept crumbs are redrawn for a new audience, and rebuilt after back and restart."""
    from triage.walk.scenarios import library_from_texts

    mini_lib = library_from_texts({"crumbs.yaml": CRUMBS})
    s = Session.start(mini_lib, "crumbs", mode="self_service")
    s.answer("yes")
    v = s.answer("no")
    assert [(c.text, c.answer) for c in v.breadcrumb] == [
        ("Plain words one?", "Yes"),
        ("Plain words two?", "No"),
    ]
    s.back(1)
    v = s.handover("agent")
    assert [(c.index, c.text, c.answer) for c in v.breadcrumb] == [(0, "Agent words one?", "Yes")]
    v = s.answer("yes")
    assert [c.answer for c in v.breadcrumb] == ["Yes", "Yes"]
    assert s.restart().breadcrumb == []
    s.submit("no")  # the transition alone: the next view still has it
    assert [(c.text, c.answer) for c in s.view().breadcrumb] == [("Agent words one?", "No")]
    replayed = Session.from_dict(s.to_dict(), mini_lib)
    assert replayed.view() == s.view()
