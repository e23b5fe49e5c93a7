"""Planner records: stored walks through a fix group become learner records, and learned numbers follow them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from triage.errors import GroupError
from triage.guidance.learning import Beliefs, LearnedRow, SessionRecord, learned_vs_authored
from triage.records.cases import Queue
from triage.records.history import (
    beliefs_for_group,
    find_group,
    fix_groups,
    learned_numbers,
    overrides_from,
    records_for_group,
)
from triage.records.store import Store, StoredSession
from triage.trees.fix_groups import group_problem
from triage.trees.library import DEFAULT_TREES
from triage.trees.model import Tree

TREE = "email-not-syncing"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def walk(store: Store, minute: int, *steps: str, customer: str | None = None) -> StoredSession:
    """Start a session at ``T0 + minute`` and take the steps: answers, ``tried``, or ``back``."""
    s = store.start_session(TREE, now=T0 + timedelta(minutes=minute), customer_id=customer)
    for step in steps:
        if step == "tried":
            s.mark_tried()
        elif step == "back":
            s.back()
        else:
            s.answer(step)
    return s


def close_case(store: Store, session: StoredSession, code: str) -> None:
    """Tier 2 closes the session's escalation with a closure code."""
    queue = Queue(store)
    queue.close(queue.for_session(session.id)[0].id, "tom", code=code)


def tree_of(store: Store) -> Tree:
    """The latest published email tree."""
    return store.library().get_tree(TREE)


def test_records_follow_each_walk_through_the_group(store: Store) -> None:
    """Fixes, failures, tried steps, answers, closure codes, rewinds and repeat contacts each land in the record."""
    walk(store, 0, "all", "yes", "fixed")
    walk(store, 1, "all", "yes", "not_fixed", "fixed")
    walk(store, 2, "all", "yes", "tried", "could_not", "fixed")
    coded = walk(store, 3, "all", "no", "not_fixed", "not_fixed", "not_fixed")
    close_case(store, coded, "server_issue")
    uncoded = walk(store, 4, "all", "no", "not_fixed", "not_fixed", "not_fixed")
    close_case(store, uncoded, "customer-cancelled")
    walk(store, 5, "all", "yes")  # still open: left out
    walk(store, 6, "all", "yes", "not_fixed", "back", "fixed")  # the failure was taken back
    kept = walk(store, 7, "all", "yes", "not_fixed", "fixed")
    kept.back(1)
    kept.answer("yes")  # the same answer again: the later steps are taken up again
    walk(store, 8, "all", "yes", "fixed", customer="c1")
    walk(
        store, 9, "all", "yes", "not_fixed", "fixed", customer="c1"
    )  # repeat contact: the first fix did not hold
    store.start_session("no-internet").answer("all")  # another tree: not read
    assert records_for_group(store, TREE, "fixes") == [
        SessionRecord([], "reenter_password", {"webmail": "yes"}),
        SessionRecord(["reenter_password"], "restart_app", {"webmail": "yes"}),
        SessionRecord(["reenter_password", "restart_app"], "readd_account", {"webmail": "yes"}),
        SessionRecord(
            ["free_space", "reenter_password", "restart_app"], None, {"webmail": "no"}, "server_issue"
        ),
        SessionRecord(["free_space", "reenter_password", "restart_app"], None, {"webmail": "no"}),
        SessionRecord([], "reenter_password", {"webmail": "yes"}),
        SessionRecord(["reenter_password"], "restart_app", {"webmail": "yes"}),
        SessionRecord(["reenter_password"], None, {"webmail": "yes"}),
        SessionRecord(["reenter_password"], "restart_app", {"webmail": "yes"}),
    ]


def test_a_group_that_stops_at_once_still_gives_a_record(store: Store) -> None:
    """A session whose group escalated before any step is read from its decision, with its closure code."""
    text = (DEFAULT_TREES / "software" / f"{TREE}.yaml").read_text(encoding="utf-8")
    cheap = text.replace("escalate: {node: mail_tier2, cost: 25}", "escalate: {node: mail_tier2, cost: 0.5}")
    assert store.publish(cheap, author="ann", base_version=1).version == 2
    session = walk(store, 0, "all")
    assert session.decision is not None
    assert (session.decision.kind.value, session.decision.rule) == ("escalate", "planner")
    close_case(store, session, "account_blocked")
    assert records_for_group(store, TREE, "fixes") == [SessionRecord([], None, {}, "account_blocked")]


def test_no_sessions_no_records_and_unknown_groups_are_named(store: Store) -> None:
    """An untouched group has no records; an unknown group id is refused with a hint and the known ids."""
    assert records_for_group(store, TREE, "fixes") == []
    assert [g.id for g in fix_groups(tree_of(store))] == ["fixes"]
    with pytest.raises(GroupError) as exc:
        records_for_group(store, TREE, "fixs")
    assert str(exc.value) == (
        "tree 'email-not-syncing' has no fix group 'fixs' (did you mean 'fixes'?); its fix groups: fixes"
    )


def test_learned_numbers_move_toward_what_happened(store: Store) -> None:
    """Two quick password fixes raise its prior, its fix chance and its webmail 'yes' by exact counts."""
    walk(store, 0, "all", "yes", "fixed")
    walk(store, 1, "all", "yes", "fixed")
    rows = learned_numbers(store, tree_of(store), "fixes", prior_weight=10, min_change=0.01)
    expected = [
        LearnedRow("prior", "wrong_password", None, None, 0.35, 5.5 / 12, 2.0),
        LearnedRow("prior", "mailbox_full", None, None, 0.2, 2 / 12, 0.0),
        LearnedRow("prior", "app_stuck", None, None, 0.3, 3 / 12, 0.0),
        LearnedRow("prior", "account_blocked", None, None, 0.08, 0.8 / 12, 0.0),
        LearnedRow("prior", "server_issue", None, None, 0.07, 0.7 / 12, 0.0),
        LearnedRow("fix", "wrong_password", "reenter_password", None, 0.9, 11 / 12, 2.0),
    ]
    # the same rows; the learned shares to the last bit of a float (the sum's order may round either way)
    assert [replace(r, learned=0.0) for r in rows] == [replace(r, learned=0.0) for r in expected]
    assert [r.learned for r in rows] == pytest.approx([r.learned for r in expected], rel=1e-12)


def test_learned_numbers_match_the_learner_fed_the_same_records(store: Store) -> None:
    """Over a mixed history, the group's learned rows are exactly the learner's, fed the records oldest first."""
    for minute in range(3):
        walk(store, minute, "all", "yes", "not_fixed", "fixed")
    close_case(store, walk(store, 5, "all", "no", "not_fixed", "not_fixed", "not_fixed"), "account_blocked")
    tree = tree_of(store)
    group = find_group(tree, "fixes")
    expected = Beliefs(group_problem(tree, group), prior_weight=4, fix_weight=4, answer_weight=4)
    for record in records_for_group(store, TREE, "fixes"):
        expected.update(record)
    history = beliefs_for_group(store, tree, group, prior_weight=4)
    assert (len(history.records), history.labelled, history.beliefs.sessions) == (4, 1, 4)
    assert learned_numbers(store, tree, group, prior_weight=4) == learned_vs_authored(expected)
    learned = {(r.parameter, r.fault, r.step): r for r in learned_vs_authored(expected)}
    assert learned["fix", "app_stuck", "restart_app"].learned > 0.5  # fixed it 3 times out of 3
    assert (
        learned["fix", "wrong_password", "reenter_password"].learned == 0.9
    )  # app_stuck failures: not its fault
    assert learned["prior", "account_blocked", None].learned > 0.1


def test_forgetting_everything_keeps_only_the_last_session(store: Store) -> None:
    """With a forgetting factor of 0 each session starts from the authored counts, so only the last one shows."""
    walk(store, 0, "all", "yes", "fixed")
    walk(store, 1, "all", "yes", "fixed")
    rows = learned_numbers(store, tree_of(store), "fixes", forget=0.0, min_change=0.01)
    assert [(r.parameter, r.fault, r.learned) for r in rows] == [
        ("prior", "wrong_password", 4.5 / 11),
        ("prior", "mailbox_full", 2 / 11),
        ("prior", "app_stuck", 3 / 11),  # authored 0.3 x 10, nothing observed for it in the last session
    ]


def test_overrides_plan_with_the_learned_numbers(store: Store) -> None:
    """The overrides give group_problem the learned priors and fix chances, number for number."""
    walk(store, 0, "all", "yes", "not_fixed", "fixed")
    tree = tree_of(store)
    group = find_group(tree, "fixes")
    beliefs = beliefs_for_group(store, tree, group).beliefs
    overrides = overrides_from(beliefs)
    assert sorted(overrides) == [
        "fixes:free_space",
        "fixes:readd_account",
        "fixes:reenter_password",
        "fixes:restart_app",
        "priors",
    ]
    planned = group_problem(tree, group, overrides)
    mean = beliefs.mean()
    assert [f.prior for f in planned.faults] == [f.prior for f in mean.faults]
    assert [dict(a.fixes) for a in planned.actions] == [dict(a.fixes) for a in mean.actions]
    assert planned.fault("app_stuck").prior == pytest.approx(4 / 11)  # 0.3 x 10 and the restart that fixed it
