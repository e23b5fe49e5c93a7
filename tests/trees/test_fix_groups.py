"""Fix groups in trees: the planner chooses steps at run time, explains them, and stops at the best point."""

from __future__ import annotations

import textwrap

from triage import Library, Session
from triage.trees.fix_groups import group_problem
from triage.trees.library import DEFAULT_TREES
from triage.walk.scenarios import library_from_texts

EMAIL = "email-not-syncing"


def test_question_first_when_worth_its_cost(shipped_lib: Library) -> None:
    """The webmail question is asked first: its expected saving beats its minute."""
    s = Session.start(shipped_lib, EMAIL)
    v = s.answer("all")
    assert v.node_id == "webmail"
    assert v.why == (
        "Worth asking 'Can you sign in at the webmail page in a browser and see th…': the answer is expected "
        "to save 2.2 min for a 1 min question (expected cost 12.2 min)."
    )


def test_order_by_chance_over_cost_and_replan(shipped_lib: Library) -> None:
    """After 'webmail works' the cheapest likely fix comes first; each failure re-plans on the new posterior."""
    s = Session.start(shipped_lib, EMAIL)
    s.answer("all")
    v = s.answer("yes")
    assert (v.node_id, v.why) == (
        "reenter_password",
        "Most likely to fix it for its effort: 46% chance, 2 min.",
    )
    v = s.answer("not_fixed")
    assert (v.node_id, v.why) == ("restart_app", "Most likely to fix it for its effort: 41% chance, 1 min.")
    v = s.answer("not_fixed")
    assert (v.node_id, v.why) == ("readd_account", "Most likely to fix it for its effort: 72% chance, 8 min.")


def test_webmail_without_new_mail_points_at_a_full_mailbox(shipped_lib: Library) -> None:
    """A full mailbox refuses new mail, so webmail shows none either: freeing space comes first then."""
    s = Session.start(shipped_lib, EMAIL)
    s.answer("all")
    v = s.answer("no")
    assert (v.node_id, v.why) == ("free_space", "Most likely to fix it for its effort: 49% chance, 6 min.")


def test_stop_says_what_going_on_would_cost(shipped_lib: Library) -> None:
    """When webmail fails too and the likely fixes failed, escalating is cheaper than going on; the decision says so."""
    s = Session.start(shipped_lib, EMAIL)
    for a in ("all", "no", "not_fixed", "not_fixed"):
        s.answer(a)
    d = s.answer("not_fixed").decision
    assert d is not None
    assert (d.kind.value, d.rule, d.node_id) == ("escalate", "planner", "mail_tier2")
    assert d.reasons[-1].startswith("Escalating now: expected cost 25.0 min; trying ")
    assert "home visit" not in d.reasons[-1]


def test_self_service_never_sees_the_planner_reasoning(shipped_lib: Library) -> None:
    """The explanation is for agents: a customer's view carries none."""
    s = Session.start(shipped_lib, EMAIL, mode="self_service")
    assert s.answer("all").why is None


def test_back_and_replay_keep_the_plan(shipped_lib: Library) -> None:
    """Going back over a planned step and replaying from JSON land on the same planned step."""
    s = Session.start(shipped_lib, EMAIL)
    for a in ("all", "yes", "not_fixed"):
        s.answer(a)
    s.back(1)
    v = s.answer("yes")
    assert v.node_id == "restart_app"
    again = Session.from_dict(s.to_dict(), shipped_lib)
    assert again.view().model_dump() == v.model_dump()


def test_group_problem_uses_tree_numbers(shipped_lib: Library) -> None:
    """The planner's model is the tree's faults, the actions' minutes and fixes, and the stop costs."""
    tree = shipped_lib[EMAIL]
    group = tree.node("fixes")
    p = group_problem(tree, group)  # type: ignore[arg-type]
    assert [(f.id, f.prior, f.resolved_by) for f in p.faults][:2] == [
        ("wrong_password", 0.35, "self"),
        ("mailbox_full", 0.2, "self"),
    ]
    assert [(a.id, a.cost) for a in p.actions] == [
        ("reenter_password", 2),
        ("free_space", 6),
        ("restart_app", 1),
        ("readd_account", 8),
    ]
    assert p.costs.escalation == 25


BAD_GROUP = textwrap.dedent(
    """
    id: bad-group
    title: Bad group
    category: software
    start: g
    faults: [{id: a, prior: 0.7}, {id: b, prior: 0.2}]
    nodes:
      - id: g
        kind: fix_group
        actions: [fix_a, ask]
        questions:
          - {node: ask, likelihoods: {maybe: {a: 1}}}
        escalate: {node: done, cost: 10}
      - id: fix_a
        kind: action
        text: Fix a.
        minutes: 1
        fixes: {a: 0.9}
        on_fixed: done
        on_not_fixed: g
      - id: ask
        kind: question
        text: Ask?
        options: [{label: "Yes", value: "yes", next: g}, {label: "No", value: "no", next: g}]
      - {id: done, kind: outcome, outcome: resolved, text: Done., reason: ok}
    """
)


def test_broken_group_is_reported() -> None:
    """A question used as an action, an unknown answer and a stop that is not an escalation are errors."""
    shipped_lib = library_from_texts({"bad-group.yaml": BAD_GROUP})
    msgs = [str(d) for d in shipped_lib.files["bad-group.yaml"].diagnostics if d.is_error]
    assert msgs == [
        "bad-group.yaml:10: node 'g': `actions` names 'ask', which is a question, not an action",
        "bad-group.yaml:12: node 'g': likelihoods for 'ask' name answer 'maybe', which is not one of its options "
        "(options: no, yes)",
        "bad-group.yaml:13: node 'g': `escalate` goes to 'done', which is not an escalate outcome",
    ]
    assert "bad-group" not in shipped_lib


def test_an_unnecessary_escalation_penalty_keeps_self_help_going(shipped_lib: Library) -> None:
    """With webmail failing and three fixes failed, escalation wins at cost 25; a penalty for needless escalations
    tries another fix first."""
    text = (DEFAULT_TREES / "software" / f"{EMAIL}.yaml").read_text(encoding="utf-8")
    stop = "escalate: {node: mail_tier2, cost: 25}"
    assert stop in text
    # the whole library, so that the trees it hands over to are there; only the e-mail tree is changed
    texts = {
        str(f.relative_to(DEFAULT_TREES)): f.read_text(encoding="utf-8")
        for f in DEFAULT_TREES.rglob("*.yaml")
    }
    texts[f"software/{EMAIL}.yaml"] = text.replace(
        stop, "escalate: {node: mail_tier2, cost: 25, penalty: 200}"
    )
    penalised = library_from_texts(
        texts,
        scenarios=False,  # its scenario "webmail fails: escalate" no longer holds, which is the point
    )
    tree = penalised[EMAIL]
    assert group_problem(tree, tree.node("fixes")).costs.escalation_penalty == 200  # type: ignore[arg-type]
    plain, strict = Session.start(shipped_lib, EMAIL), Session.start(penalised, EMAIL)
    for s in (plain, strict):
        for a in ("all", "no", "not_fixed", "not_fixed"):
            s.answer(a)
    assert plain.answer("not_fixed").decision is not None
    v = strict.answer("not_fixed")
    assert v.decision is None
    assert v.kind == "action"
