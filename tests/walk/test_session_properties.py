"""Properties of the engine over random valid trees.

Walks end in a decision; safety signs stop them; going back is exact; sessions round-trip through
JSON and replay the same; a handover keeps the walk; customers never see a hint. (Broken trees being
refused with the right code, property 6, is in ``test_check_properties.py``.)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.strategies import (
    ROOMY,
    answer_for,
    hint_marker,
    policies,
    session_facts,
    session_ops,
    session_settings,
    step_answers,
    tree_dicts,
    trees,
    walks,
)
from triage.errors import InvalidAnswer
from triage.trees.checks import check_tree
from triage.trees.model import (
    ActionNode,
    Audience,
    OutcomeTypes,
    QuestionNode,
    Tree,
    VisitOutcome,
)
from triage.walk.policy import Policy, PolicyConfig
from triage.walk.scenarios import library_from_texts
from triage.walk.session import Session, Step

INTERACTIVE = ("question", "action", "collect")
Given = tuple[str, Any]
Settings = dict[str, Any]


class Ticker:
    """A clock that moves on one second each time it is read, so every event has its own time."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def start(tree: Tree, settings: Settings, policy: Policy = ROOMY) -> Session:
    return Session.start(
        {tree.id: tree}, tree.id, **settings, policy=policy, session_id="s-1", clock=Ticker()
    )


def steps_in(tree: Tree) -> int:
    return sum(1 for n in tree.nodes if n.kind in INTERACTIVE)


def play(s: Session, choices: list[int], limit: int) -> list[Given]:
    """Walk by ``choices`` until the session ends or ``limit`` answers; every fifth pick at an action is 'tried'."""
    given: list[Given] = []
    while not s.finished and len(given) < limit:
        view = s.view()
        choice = choices[len(given) % len(choices)]
        if view.kind == "action" and choice % 5 == 4:
            s.mark_tried()
            given.append(("tried", None))
        else:
            value = answer_for(view, choice)
            s.answer(value)
            given.append(("answer", value))
    return given


def redo(s: Session, g: Given) -> None:
    if g[0] == "tried":
        s.mark_tried()
    else:
        s.answer(g[1])


def state(s: Session) -> dict[str, Any]:
    """Everything a person or the store can see of a session."""
    return {
        "pos": s.pos,
        "facts": dict(s.facts),
        "decision": s.decision,
        # when the step was reached is the time of the answer before it, which answering again moves on
        "view": s.view().model_dump(exclude={"shown_at"}),
    }


# -- the strategy ----------------------------------------------------------------------------------


@given(tree_dicts())
def test_generated_trees_are_valid(data: dict[str, Any]) -> None:
    """Every generated tree passes the graph checks and is accepted into a library from its YAML text."""
    tree = Tree.model_validate(data)
    assert [d for d in check_tree(tree) if d.is_error] == []
    lib = library_from_texts({"generated.yaml": yaml.safe_dump(data, sort_keys=False)})
    assert lib.errors == []
    assert list(lib) == ["generated"]


# -- 1. every walk ends --------------------------------------------------------------------------


@given(tree=trees(), settings=session_settings(), data=st.data())
def test_every_walk_ends_in_a_decision(tree: Tree, settings: Settings, data: st.DataObject) -> None:
    """Any valid answers lead to a decision within as many answers as the tree has interactive steps."""
    s = start(tree, settings)
    limit = steps_in(tree)
    for _ in range(limit):
        if s.finished:
            break
        view = s.view()
        assert view.kind in INTERACTIVE
        s.answer(data.draw(step_answers(view), label=f"answer at {view.node_id}"))
    assert s.finished
    view = s.view()
    assert len(view.breadcrumb) <= limit
    assert s.decision is not None
    assert view.finished is True
    assert view.decision == s.decision
    node = tree.node(view.node_id)
    if s.decision.rule == "safety":
        # a sign on the step it stands at, on the outcome it reached, or on the answer just given
        last = view.breadcrumb[-1].node_id if view.breadcrumb else None
        assert s.decision.node_id in (view.node_id, last)
        return
    assert s.decision.node_id == view.node_id
    if s.decision.rule == "authored":
        assert isinstance(node, OutcomeTypes)
    elif s.decision.rule == "performer":
        assert isinstance(node, ActionNode)
        assert node.performer != "customer"
    else:
        # a visit the plan does not cover: an authored one, or one a technician's step calls for
        assert s.decision.rule == "entitlement"
        assert settings["facts"]["visit_covered"] is False
        assert isinstance(node, VisitOutcome) or (
            isinstance(node, ActionNode) and node.performer == "technician"
        )


@given(tree=trees(), settings=session_settings(), budget=st.integers(1, 4), choices=walks())
def test_the_step_budget_stops_a_walk_exactly_at_the_budget(
    tree: Tree, settings: Settings, budget: int, choices: list[int]
) -> None:
    """With a step budget, a walk ends within the budget, and the budget is the reason exactly when it is spent."""
    s = start(tree, settings, Policy(PolicyConfig(step_budget={settings["mode"]: budget})))
    play(s, choices, limit=steps_in(tree))
    assert s.decision is not None
    view = s.view()
    answered = len(view.breadcrumb)
    assert answered <= budget
    at_fresh_step = view.kind in INTERACTIVE and tree.node(view.node_id).safety is None
    if s.decision.rule != "safety":
        assert (s.decision.rule == "budget") is (answered == budget and at_fresh_step)


def _sign(tree: Tree, step: Step) -> bool:
    """Whether a visited step carries a safety sign: on its node, or on the answer given there."""
    node = tree.node(step.pos.node_id)
    if node.safety:
        return True
    if isinstance(node, QuestionNode) and not step.auto:
        return any(o.safety for o in node.options if o.value == step.answer)
    return False


@given(tree=trees(), settings=session_settings(), choices=walks())
def test_a_safety_sign_stops_the_walk_where_it_is_met(
    tree: Tree, settings: Settings, choices: list[int]
) -> None:
    """Reaching any node with a safety sign, or giving an answer with one, ends the walk there with the safety rule."""
    s = start(tree, settings)
    play(s, choices, steps_in(tree))
    assert s.decision is not None
    signs = [k for k, step in enumerate(s.path) if _sign(tree, step)]
    met = bool(signs) or tree.node(s.view().node_id).safety is not None
    assert (s.decision.rule == "safety") is met, [(step.pos.node_id, step.answer) for step in s.path]
    if signs:
        # nothing after the sign but the outcome an answer with a sign leads to
        after = s.path[signs[0] + 1 :]
        assert [step.kind for step in after] in ([], ["outcome"])


# -- 2. back, then the same answer -----------------------------------------------------------------


@given(tree=trees(), settings=session_settings(), policy=policies(), choices=walks(), data=st.data())
def test_back_then_the_same_answer_returns_to_the_same_state(
    tree: Tree, settings: Settings, policy: Policy, choices: list[int], data: st.DataObject
) -> None:
    """Going back (once or several times) and giving the step's earlier answer again restores the state exactly."""
    s = start(tree, settings, policy)
    limit = data.draw(st.integers(1, steps_in(tree) or 1), label="answers before going back")
    given_ = play(s, choices, limit)
    assume(given_)
    before = state(s)
    idx = len(given_)
    for _ in range(data.draw(st.integers(1, 3), label="times back")):
        if idx == 0:
            break
        idx = data.draw(st.integers(0, idx - 1), label="back to")
        s.back(idx)
        assert len(s.view().breadcrumb) == idx
    redo(s, given_[idx])
    after = state(s)
    assert after["pos"] == before["pos"]
    assert after["facts"] == before["facts"]
    assert after["view"]["breadcrumb"] == before["view"]["breadcrumb"]
    assert after["decision"] == before["decision"]
    assert after == before


@given(tree=trees(), settings=session_settings(), policy=policies(), choices=walks(), data=st.data())
def test_back_shows_the_step_as_a_fresh_walk_does(
    tree: Tree, settings: Settings, policy: Policy, choices: list[int], data: st.DataObject
) -> None:
    """After going back to step i, the session looks exactly like a fresh walk given only the first i answers."""
    s = start(tree, settings, policy)
    given_ = play(s, choices, steps_in(tree))
    assume(given_)
    idx = data.draw(st.integers(0, len(given_) - 1), label="back to")
    s.back(idx)
    fresh = start(tree, settings, policy)
    for g in given_[:idx]:
        redo(fresh, g)
    assert state(s) == state(fresh)


# -- 3. back, then a different answer --------------------------------------------------------------


def _other_answer(view: Any, old: Any, data: st.DataObject) -> Any:
    """An answer at this step whose stored value differs from ``old`` (or None when the step has no other)."""
    if view.options:
        shown = {True: "yes", False: "no"}.get(old, old) if view.kind == "collect" else old
        others = [o.value for o in view.options if o.value != shown]
        return data.draw(st.sampled_from(others), label="different answer") if others else None
    return data.draw(step_answers(view), label="different answer")


@given(tree=trees(), settings=session_settings(), policy=policies(), choices=walks(), data=st.data())
def test_back_then_a_different_answer_keeps_later_answers_only_on_the_same_path(
    tree: Tree, settings: Settings, policy: Policy, choices: list[int], data: st.DataObject
) -> None:
    """A different answer that leads to the same next step keeps the later answers; one leading elsewhere cuts them."""
    s = start(tree, settings, policy)
    given_ = play(s, choices, steps_in(tree))
    assume(given_)
    old = s.view()
    idx = data.draw(st.integers(0, len(given_) - 1), label="back to")
    old_stored = s.answers[idx].value
    old_next = old.breadcrumb[idx + 1].node_id if idx + 1 < len(old.breadcrumb) else old.node_id
    s.back(idx)
    new = _other_answer(s.view(), old_stored, data)
    assume(new is not None)

    # the reference: a fresh walk with the new answer, taking up each later answer while it stands where it was given
    ref = start(tree, settings, policy)
    for g in given_[:idx]:
        redo(ref, g)
    ref.answer(new)
    assume(ref.answers[idx].value != old_stored)
    new_next = ref.view().node_id
    stopped = ref.finished
    for k in range(idx + 1, len(given_)):
        if ref.finished or ref.view().node_id != old.breadcrumb[k].node_id:
            break
        redo(ref, given_[k])

    s.answer(new)
    now = s.view()
    assert now.model_dump(exclude={"shown_at"}) == ref.view().model_dump(exclude={"shown_at"})
    if stopped or new_next != old_next:
        assert len(now.breadcrumb) == idx + 1
        assert now.node_id == new_next
    elif idx + 1 < len(old.breadcrumb):
        assert now.breadcrumb[idx + 1] == old.breadcrumb[idx + 1]
        node = tree.node(old.breadcrumb[idx].node_id)
        if isinstance(node, ActionNode) or (isinstance(node, QuestionNode) and node.fact is None):
            # the answer changed no fact, so the rest of the walk is taken up unchanged
            assert now.breadcrumb[idx + 1 :] == old.breadcrumb[idx + 1 :]
            assert now.node_id == old.node_id
            assert now.decision == old.decision


# -- 4. and 5. serialization and replay --------------------------------------------------------------


def perform(s: Session, ops: list[tuple[str, Any]]) -> None:
    """Carry out each operation that fits the moment, skipping the rest."""
    for kind, arg in ops:
        answered = len(s.view().breadcrumb)
        if kind == "answer" and not s.finished:
            s.answer(answer_for(s.view(), arg))
        elif kind == "tried" and not s.finished and s.view().kind == "action":
            s.mark_tried()
        elif kind == "back" and answered:
            s.back(arg % answered)
        elif kind == "back-last" and answered:
            s.back()
        elif kind == "restart":
            s.restart()
        elif kind == "note":
            add_note(s, arg)
        elif kind == "escalate" and not s.finished:
            s.escalate_now()
        elif kind == "handover":
            s.handover(arg)


def add_note(s: Session, text: str) -> None:
    """Add a note; a blank one is refused with the exact message."""
    if text.strip():
        s.add_note(text)
    else:
        with pytest.raises(InvalidAnswer, match="^a note cannot be empty$"):
            s.add_note(text)


@given(tree=trees(), settings=session_settings(), policy=policies(), ops=session_ops())
def test_a_session_round_trips_through_json(
    tree: Tree, settings: Settings, policy: Policy, ops: list[tuple[str, Any]]
) -> None:
    """A session written to JSON and read back shows the same step, events and decision, whatever was done in it."""
    s = start(tree, settings, policy)
    perform(s, ops)
    text = json.dumps(s.to_dict())
    back = Session.from_dict(json.loads(text), {tree.id: tree}, policy=policy)
    assert back.view().model_dump() == s.view().model_dump()
    assert back.events == s.events
    assert back.decision == s.decision
    assert json.dumps(back.to_dict()) == text


@given(tree=trees(), settings=session_settings(), policy=policies(), ops=session_ops())
def test_replay_is_deterministic(
    tree: Tree, settings: Settings, policy: Policy, ops: list[tuple[str, Any]]
) -> None:
    """Replaying the same events twice gives equal sessions, both equal to the one that made the events."""
    s = start(tree, settings, policy)
    perform(s, ops)
    library = {tree.id: tree}
    one = Session.replay(library, list(s.events), session_id=s.id, policy=policy)
    two = Session.replay(library, list(s.events), session_id=s.id, policy=policy)
    for replayed in (one, two):
        assert replayed.events == s.events
        assert replayed.view().model_dump() == s.view().model_dump()
        assert replayed.pos == s.pos
        assert replayed.facts == s.facts
        assert replayed.decision == s.decision
        assert replayed.notes == s.notes
        assert replayed.path == s.path
        assert replayed.answers == s.answers
        assert replayed.forward == s.forward


# -- handing a session over to another audience ------------------------------------------------------


def _crumbs(view: Any) -> list[tuple[str, str, bool]]:
    """The breadcrumb without its texts, which follow the audience: which step, what answer, tried or not."""
    return [(c.node_id, c.answer, c.tried) for c in view.breadcrumb]


@given(tree=trees(safety=0), settings=session_settings(), to=st.sampled_from(list(Audience)), data=st.data())
def test_a_handover_keeps_the_walk_and_reopens_only_audience_decisions(
    tree: Tree, settings: Settings, to: Audience, data: st.DataObject
) -> None:
    """A handover keeps every answer and fact, and re-decides only stops that depend on the audience.

    Safety stops, which must survive a handover, have a test of their own below.
    """
    s = start(tree, settings)
    play(s, data.draw(walks(), label="walk"), data.draw(st.integers(0, steps_in(tree)), label="answers"))
    if not s.finished and data.draw(st.booleans(), label="ask for a person"):
        s.escalate_now()
    old, decision, facts = s.view(), s.decision, dict(s.facts)
    now = s.handover(to)
    assert _crumbs(now) == _crumbs(old)
    assert now.node_id == old.node_id
    assert s.facts == {**facts, "mode": to.value}
    node = tree.node(now.node_id)
    if node.kind in INTERACTIVE:
        assert s.decision == ROOMY.at_step(tree.id, node, s.facts, to, s.locale, len(now.breadcrumb))
    else:
        assert s.decision == decision


@given(tree=trees(safety=3), settings=session_settings(), to=st.sampled_from(list(Audience)), choices=walks())
def test_a_safety_stop_survives_a_handover(
    tree: Tree, settings: Settings, to: Audience, choices: list[int]
) -> None:
    """A walk stopped by a safety sign stays stopped, with the same decision, whoever it is handed to."""
    s = start(tree, settings)
    for k in range(steps_in(tree)):
        if s.finished:
            break
        view = s.view()
        node = tree.node(view.node_id)
        # head for danger: where an answer carries a safety sign, give it
        risky = [o.value for o in node.options if o.safety] if isinstance(node, QuestionNode) else []
        s.answer(risky[0] if risky else answer_for(view, choices[k % len(choices)]))
    assume(s.decision is not None and s.decision.rule == "safety")
    before = s.decision
    now = s.handover(to)
    assert now.finished, (
        f"the handover to {to.value} reopened a safety stop ({before.reasons[0]}) at {now.node_id!r}"
    )
    assert s.decision == before


@given(tree=trees(audience_gate=True), settings=session_settings(), data=st.data())
def test_back_after_a_handover_returns_to_the_step_answered_before(
    tree: Tree, settings: Settings, data: st.DataObject
) -> None:
    """Going back after a handover reopens the answered step, with the answers before it and a fresh decision."""
    to = Audience.AGENT if settings["mode"] is Audience.SELF_SERVICE else Audience.SELF_SERVICE
    s = start(tree, settings)
    given_ = play(s, data.draw(walks(), label="walk"), steps_in(tree))
    assume(given_)
    old = s.view()
    s.handover(to)
    idx = data.draw(st.integers(0, len(given_) - 1), label="back to")
    try:
        now = s.back(idx)
    except InvalidAnswer as exc:
        pytest.fail(f"back({idx}) after a handover to {to.value} raised InvalidAnswer: {exc}")
    assert _crumbs(now) == _crumbs(old)[:idx]
    assert now.node_id == old.breadcrumb[idx].node_id
    node = tree.node(now.node_id)
    assert s.decision == ROOMY.at_step(tree.id, node, s.facts, to, s.locale, idx)


@given(tree=trees(audience_rules=False), settings=session_settings(), ops=session_ops(handover=True))
def test_a_session_with_handovers_round_trips_and_replays(
    tree: Tree, settings: Settings, ops: list[tuple[str, Any]]
) -> None:
    """Handover events survive JSON and replay like the others (in trees that do not route on the audience)."""
    s = start(tree, settings)
    perform(s, ops)
    text = json.dumps(s.to_dict())
    back = Session.from_dict(json.loads(text), {tree.id: tree}, policy=ROOMY)
    assert back.view().model_dump() == s.view().model_dump()
    assert back.events == s.events
    assert back.decision == s.decision
    assert back.path == s.path
    assert json.dumps(back.to_dict()) == text


# -- 7. hints stay with agents ------------------------------------------------------------------------


@given(tree=trees(), locale=st.sampled_from(["en", "de"]), facts=session_facts(), data=st.data())
def test_self_service_views_never_contain_a_hint(
    tree: Tree, locale: str, facts: dict[str, Any], data: st.DataObject
) -> None:
    """No self-service view, from the first step to the decision, carries a hint or any hint's text."""
    assert tree.node(tree.start).hint == hint_marker(tree.start) or tree.node(tree.start).hint == {
        "en": hint_marker(tree.start),
        "de": hint_marker(tree.start),
    }
    s = start(tree, {"mode": Audience.SELF_SERVICE, "locale": locale, "facts": facts})
    for _ in range(steps_in(tree) + 1):
        view = s.view()
        assert view.hint is None
        assert "AGENT-ONLY HINT" not in view.model_dump_json()
        if s.finished:
            break
        s.answer(data.draw(step_answers(view), label=f"answer at {view.node_id}"))
    assert s.finished


@given(tree=trees(), locale=st.sampled_from(["en", "de"]), facts=session_facts(), choices=walks())
def test_agent_views_carry_the_hint_of_the_step(
    tree: Tree, locale: str, facts: dict[str, Any], choices: list[int]
) -> None:
    """An agent sees the hint of the current step, when it has one (the control for the self-service test)."""
    s = start(tree, {"mode": Audience.AGENT, "locale": locale, "facts": facts})
    for k in range(steps_in(tree) + 1):
        view = s.view()
        expected = hint_marker(view.node_id) if tree.node(view.node_id).hint is not None else None
        assert view.hint == expected
        if s.finished:
            break
        s.answer(answer_for(view, choices[k % len(choices)]))
