"""Planner: the reference's worked example and counterexample, explanations, validation, and optimality
against brute force and the exact DP oracle."""

from __future__ import annotations

import copy
import math
import pickle

import pytest
from hypothesis import given, settings
from strategies import one_fix_per_fault, tiny_general

from triage.errors import EvidenceError, ProblemError, TooLargeError, TriageError
from triage.guidance import (
    EMPTY,
    Action,
    Costs,
    Evidence,
    Fault,
    Oracle,
    Problem,
    Question,
    authored_policy,
    best_prefix,
    brute_force_cost,
    cheapest_first_policy,
    counterexample,
    expected_cost,
    optimal_cost,
    plan,
    planner_policy,
    posterior,
    static_policy,
    stop_cost,
    worked_example,
)

# -- fixtures ------------------------------------------------------------------------------------------------


def router_line() -> Problem:
    """Escalating beats trying the only step: the line fault is common and tier 2 resolves it."""
    return Problem(
        faults=[Fault("router", 0.2), Fault("line", 0.8, resolved_by="tier2")],
        actions=[Action("reset_router", 10, {"router": 0.5}, label="reset router")],
        costs=Costs(escalation=15, visit=60),
    )


def lights() -> Problem:
    """A cheap question that tells a self-fixable cable fault from an outage that needs a technician."""
    return Problem(
        faults=[Fault("cable", 0.5), Fault("outage", 0.5, resolved_by="onsite")],
        actions=[Action("replug", 5, {"cable": 1.0})],
        questions=[
            Question("lights", 1, {"off": {"outage": 1.0}, "on": {"cable": 1.0}}, label="Are the lights off?")
        ],
        costs=Costs(escalation=40, visit=100),
    )


# -- §5.3 worked example ---------------------------------------------------------------------------------------


def test_worked_example_prefix_costs_match_the_reference() -> None:
    """§5.3: the p/c order is a3, a2, a1 and the cut-off costs are 50, 41, 27.6 and 12.6 (do all three)."""
    ap = best_prefix(worked_example())
    assert ap.order == ("a3", "a2", "a1")
    assert ap.prefix_costs == pytest.approx((50.0, 41.0, 27.6, 12.6), abs=1e-12)
    assert ap.cutoff == 3
    assert ap.expected_cost == pytest.approx(12.6, abs=1e-12)
    assert ap.steps == ("a3", "a2", "a1")
    assert ap.chances == pytest.approx((0.2, 0.375, 0.8), abs=1e-12)


def test_worked_example_plan_optimum_and_authored_order() -> None:
    """§5.3: the planner starts with a3 at 12.6, which is optimal; the authored order a1, a2, a3 costs 16.5."""
    p = worked_example()
    step = plan(p)
    assert (step.kind, step.target, step.chance) == ("action", "a3", pytest.approx(0.2, abs=1e-12))
    assert step.explanation == "Most likely to fix it for its effort: 20% chance, 1 min."
    assert step.expected_cost == pytest.approx(12.6, abs=1e-12)
    assert step.stop_cost == pytest.approx(50.0, abs=1e-12)
    assert optimal_cost(p) == pytest.approx(12.6, abs=1e-12)
    assert brute_force_cost(p) == pytest.approx(12.6, abs=1e-12)
    assert expected_cost(p, planner_policy(p)) == pytest.approx(12.6, abs=1e-12)
    assert expected_cost(p, authored_policy(p)) == pytest.approx(16.5, abs=1e-12)


def test_replanning_uses_the_posterior_after_a_failed_step() -> None:
    """After a3 fails, a2 fixes it with probability 0.3 / 0.8 and the plan moves on to it."""
    p = worked_example()
    e = Evidence(failed=["a3"])
    assert posterior(p, e) == pytest.approx({"f1": 0.5, "f2": 0.375, "f3": 0.0, "other": 0.125}, abs=1e-12)
    step = plan(p, e)
    assert (step.kind, step.target) == ("action", "a2")
    assert step.explanation == "Most likely to fix it for its effort: 38% chance, 2 min."
    assert step.steps == ("a2", "a1")


# -- §5.2 counterexample -----------------------------------------------------------------------------------------


def test_counterexample_naive_rule_stops_but_the_plan_continues() -> None:
    """§5.2: each step's p/c is below 1/C_s, yet doing both (75.75) beats calling service now (100)."""
    p = counterexample()
    assert all(0.5 / a.cost < 1 / p.costs.escalation for a in p.actions)
    ap = best_prefix(p)
    assert ap.prefix_costs == pytest.approx((100.0, 100.5, 75.75), abs=1e-12)
    step = plan(p)
    assert (step.kind, step.target) == ("action", "a1")
    assert step.expected_cost == pytest.approx(75.75, abs=1e-12)
    assert step.continue_cost == pytest.approx(75.75, abs=1e-12)
    assert optimal_cost(p) == pytest.approx(75.75, abs=1e-12)
    assert brute_force_cost(p) == pytest.approx(75.75, abs=1e-12)


# -- explanations --------------------------------------------------------------------------------------------


def test_stop_explains_what_continuing_would_cost() -> None:
    """Escalating (21.0) beats the router reset first (28.9); the explanation gives both and the visit."""
    step = plan(router_line())
    assert (step.kind, step.target, step.steps) == ("escalate", None, ())
    assert step.explanation == (
        "Escalating now: expected cost 21.0 min; trying 'reset router' first would cost 28.9 min; "
        "a home visit would cost 60.0 min."
    )
    assert (step.stop_cost, step.continue_cost) == (pytest.approx(21.0), pytest.approx(28.9))
    assert stop_cost(router_line()) == ("escalate", pytest.approx(21.0))


def test_stop_names_a_step_even_when_its_cost_alone_exceeds_stopping() -> None:
    """A step dearer than escalating still gets its cost of trying in the explanation (25 + 0.5 * 21)."""
    p = Problem([Fault("f", 1.0)], [Action("swap", 25, {"f": 0.5})], Costs(escalation=15, visit=60))
    step = plan(p)
    assert step.explanation == (
        "Escalating now: expected cost 21.0 min; trying 'swap' first would cost 35.5 min; "
        "a home visit would cost 60.0 min."
    )
    assert step.continue_cost == pytest.approx(35.5)


def test_visit_when_nothing_else_helps_says_so() -> None:
    """With the only step failed and the outage certain, a visit (100) beats escalating (140)."""
    p = lights()
    step = plan(p, Evidence(failed=["replug"]))
    assert step.kind == "visit"
    assert step.explanation == (
        "Sending a technician now: expected cost 100.0 min; no untried step could fix it; "
        "escalating would cost 140.0 min."
    )


def test_question_is_asked_when_its_value_exceeds_its_cost() -> None:
    """The lights question saves 2.5 for a cost of 1, so it comes before the replug step."""
    p = lights()
    step = plan(p)
    assert (step.kind, step.target) == ("question", "lights")
    assert step.explanation == (
        "Worth asking 'Are the lights off?': the answer is expected to save 2.5 min for a 1 min question "
        "(expected cost 53.5 min)."
    )
    assert step.expected_cost == pytest.approx(53.5)
    assert plan(p, questions=False).target == "replug"
    assert optimal_cost(p) == pytest.approx(53.5)


def test_question_answer_routes_to_the_right_terminal_or_step() -> None:
    """Lights off means the outage: visit; lights on means the cable: replug."""
    p = lights()
    assert plan(p, Evidence(answers={"lights": "off"})).kind == "visit"
    assert plan(p, Evidence(answers={"lights": "on"})).target == "replug"


def test_question_not_worth_its_cost_is_skipped() -> None:
    """The same question at cost 3 (more than its value 2.5) is not asked."""
    p = lights()
    q = p.questions[0]
    dear = Problem(p.faults, p.actions, p.costs, [Question(q.id, 3, q.answers, label=q.label)])
    assert plan(dear).target == "replug"


def test_evidence_no_fault_explains_gives_an_escalation() -> None:
    """Evidence the model calls impossible ends in an escalation, while posterior() refuses it."""
    p = lights()
    e = Evidence(failed=["replug"], answers={"lights": "on"})
    step = plan(p, e)
    assert (step.kind, step.explanation) == (
        "escalate",
        "No fault in the model explains these answers and failed steps: escalating.",
    )
    with pytest.raises(EvidenceError) as err:
        posterior(p, e)
    assert str(err.value) == "evidence: no fault of the model explains these failed actions and answers"


def test_explanations_use_the_cost_unit() -> None:
    """A problem priced in dollars says so."""
    p = Problem(
        faults=[Fault("f", 1.0)],
        actions=[Action("a", 2.5, {"f": 0.5})],
        costs=Costs(escalation=20, visit=150, unit="$"),
    )
    assert plan(p).explanation == "Most likely to fix it for its effort: 50% chance, 2.5 $."


# -- evidence ----------------------------------------------------------------------------------------------------


def test_evidence_is_a_value() -> None:
    """Evidence built in different orders is equal, hashes equal, and cannot be changed."""
    a = Evidence(failed=["x", "y"]).with_answer("q", "yes")
    b = Evidence(answers={"q": "yes"}).with_failed("y").with_failed("x")
    assert a == b
    assert hash(a) == hash(b)
    assert repr(a) == "Evidence(failed=['x', 'y'], answers={'q': 'yes'})"
    with pytest.raises(AttributeError):
        a.failed = frozenset()  # type: ignore[misc]


def test_problem_and_evidence_pickle() -> None:
    """Problems and evidence survive pickling (worker processes, caches) and deep copies unchanged."""
    p = lights()
    e = Evidence(failed=["replug"], answers={"lights": "on"})
    assert pickle.loads(pickle.dumps(p)) == p
    assert copy.deepcopy(p) == p
    assert pickle.loads(pickle.dumps(e)) == e
    assert plan(pickle.loads(pickle.dumps(p))) == plan(p)


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        (Evidence(failed=["repluq"]), "evidence: unknown action 'repluq' (did you mean 'replug'?)"),
        (Evidence(answers={"light": "on"}), "evidence: unknown question 'light' (did you mean 'lights'?)"),
        (
            Evidence(answers={"lights": "of"}),
            "evidence: question 'lights': unknown answer 'of' (did you mean 'off'?)",
        ),
    ],
)
def test_unknown_evidence_is_named(evidence: Evidence, message: str) -> None:
    """Unknown steps, questions and answers in the evidence are named, with the closest known one."""
    with pytest.raises(EvidenceError) as err:
        plan(lights(), evidence)
    assert str(err.value) == message


# -- validation --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Fault("dns", 1.5), "invalid problem: fault 'dns': prior must be in [0, 1] (got 1.5)"),
        (
            lambda: Fault("dns", 0.5, resolved_by="tier3"),  # type: ignore[arg-type]
            "invalid problem: fault 'dns': resolved_by must be one of 'self', 'tier2', 'onsite' (got 'tier3')",
        ),
        (
            lambda: Fault("dns", 0.5, tier2_resolve=-0.1),
            "invalid problem: fault 'dns': tier2_resolve must be in [0, 1] (got -0.1)",
        ),
        (
            lambda: Action("reboot", -1, {}),
            "invalid problem: action 'reboot': cost must be a finite number >= 0 (got -1)",
        ),
        (
            lambda: Action("reboot", 2, {"dns": 1.2}),
            "invalid problem: action 'reboot': fix probability for 'dns' must be in [0, 1] (got 1.2)",
        ),
        (
            lambda: Action("reboot", math.nan, {}),
            "invalid problem: action 'reboot': cost must be a finite number >= 0 (got nan)",
        ),
        (
            lambda: Question("lights", 1, {"on": {"dns": 1.0}}),
            "invalid problem: question 'lights': needs at least two answers (got 1)",
        ),
        (
            lambda: Costs(escalation=-5, visit=60, tier2_resolve={"tier3": 0.5}),  # type: ignore[dict-item]
            "invalid problem: costs: escalation must be a finite number >= 0 (got -5); "
            "costs: tier2_resolve names unknown fault class 'tier3' (known: self, tier2, onsite)",
        ),
    ],
)
def test_invalid_parts_are_refused_with_the_thing_named(build: object, message: str) -> None:
    """Each part checks its own numbers and names itself, the field, the expectation and the value."""
    with pytest.raises(ProblemError) as err:
        build()  # type: ignore[operator]
    assert str(err.value) == message


def test_problem_lists_every_cross_reference_issue() -> None:
    """Priors off, unknown faults (with a did-you-mean), duplicates and bad likelihood sums are all listed."""
    with pytest.raises(ProblemError) as err:
        Problem(
            faults=[Fault("router", 0.5), Fault("line", 0.4)],
            actions=[Action("reset", 1, {"rooter": 0.5}), Action("reset", 2, {})],
            questions=[Question("lights", 1, {"on": {"router": 1.0, "line": 0.5}, "off": {"line": 0.4}})],
            costs=Costs(escalation=15, visit=60),
        )
    assert err.value.issues == (
        "action 'reset' is listed twice",
        "fault priors must sum to 1 (got 0.9)",
        "action 'reset': unknown fault 'rooter' (did you mean 'router'?)",
        "question 'lights': answer likelihoods for fault 'line' must sum to 1 (got 0.9)",
    )
    assert str(err.value).startswith("invalid problem: action 'reset' is listed twice; fault priors must sum")
    assert isinstance(err.value, ValueError)
    assert isinstance(err.value, TriageError)


def test_problem_lookups_name_the_missing_id() -> None:
    """Looking up an unknown id raises KeyError naming it, with the closest id."""
    p = router_line()
    assert p.fault("line").resolved_by == "tier2"
    assert p.tier2_resolve("line") == 0.9
    assert p.action("reset_router").name == "reset router"
    with pytest.raises(KeyError) as err:
        p.action("reset_ruoter")
    assert err.value.args[0] == "problem: unknown action 'reset_ruoter' (did you mean 'reset_router'?)"


def test_fault_tier2_resolve_overrides_its_class() -> None:
    """A fault's own r_f wins over the class default, and changes the escalation cost."""
    p = Problem(
        faults=[Fault("line", 1.0, resolved_by="tier2", tier2_resolve=0.5)],
        actions=[],
        costs=Costs(escalation=15, visit=60),
    )
    assert p.tier2_resolve("line") == 0.5
    assert stop_cost(p) == ("escalate", pytest.approx(45.0))


def test_penalties_shift_the_terminal() -> None:
    """A visit penalty for faults that did not need one makes escalation win where a visit was cheaper."""
    faults = [Fault("outage", 0.6, resolved_by="onsite"), Fault("line", 0.4, resolved_by="tier2")]
    plain = Problem(faults, [], Costs(escalation=50, visit=60))
    assert stop_cost(plain) == ("visit", pytest.approx(60.0))
    strict = Problem(faults, [], Costs(escalation=50, visit=60, visit_penalty=100))
    # escalate: 50 + 0.6 * 60 + 0.4 * 0.1 * (60 + 100) = 92.4; visit: 60 + 0.4 * 100 = 100
    assert stop_cost(strict) == ("escalate", pytest.approx(92.4))


# -- policies and the oracle --------------------------------------------------------------------------------------


def test_baseline_policies_follow_their_order() -> None:
    """Authored follows the listed order (or a cap), cheapest-first sorts by cost, static by prior p/c."""
    p = worked_example()
    assert [authored_policy(p)(Evidence(failed=f)).target for f in ([], ["a1"], ["a1", "a2"])] == [
        "a1",
        "a2",
        "a3",
    ]
    assert authored_policy(p, cap=1)(Evidence(failed=["a1"])).kind == "escalate"
    assert authored_policy(p)(Evidence(failed=["a1", "a2", "a3"])).kind == "escalate"
    assert cheapest_first_policy(p)(EMPTY).target == "a3"
    assert expected_cost(p, static_policy(p)) == pytest.approx(12.6)
    assert expected_cost(p, cheapest_first_policy(p)) == pytest.approx(12.6)


def test_oracle_decisions_reach_its_value() -> None:
    """Following the oracle's own steps costs exactly its value, here with a question and two terminals."""
    p = lights()
    oracle = Oracle(p)
    assert oracle(EMPTY).target == "lights"
    assert oracle(Evidence(answers={"lights": "off"})).kind == "visit"
    assert expected_cost(p, oracle) == pytest.approx(oracle.value())
    assert oracle.states == 4  # start, replug failed, lights off, lights on (the rest has probability 0)


def test_oracle_refuses_a_state_space_too_large() -> None:
    """More evidence states than allowed is refused with the count."""
    p = Problem([Fault("f", 1.0)], [Action(f"a{i}", 1, {"f": 0.1}) for i in range(12)], Costs(15, 60))
    with pytest.raises(TooLargeError) as err:
        Oracle(p, max_states=1000)
    assert (
        str(err.value)
        == "problem has 12 actions and 0 questions: 4096 evidence states, more than max_states=1000"
    )


def test_brute_force_refuses_too_many_strategies() -> None:
    """Brute force stops with a clear error beyond its strategy budget."""
    with pytest.raises(TooLargeError) as err:
        brute_force_cost(worked_example(), max_strategies=10)
    assert str(err.value) == "more than max_strategies=10 strategies; use optimal_cost()"


def test_policy_repeating_a_step_is_an_error() -> None:
    """A policy that tries the same action twice is reported, not looped on."""
    p = worked_example()
    with pytest.raises(EvidenceError) as err:
        expected_cost(p, lambda e: plan(p, EMPTY))
    assert (
        str(err.value)
        == "policy chose action 'a3' at Evidence(failed=['a3'], answers={}): unknown or already tried"
    )


# -- properties ----------------------------------------------------------------------------------------------------


@given(one_fix_per_fault())
@settings(max_examples=40)
def test_planner_matches_brute_force_on_one_fix_per_fault_instances(p: Problem) -> None:
    """Single fault, one fix per fault, one service: the re-planned planner's cost is exactly the optimum."""
    best = brute_force_cost(p)
    assert expected_cost(p, planner_policy(p)) == pytest.approx(best, rel=1e-9)
    assert plan(p).expected_cost == pytest.approx(best, rel=1e-9)
    assert optimal_cost(p) == pytest.approx(best, rel=1e-9)
    assert expected_cost(p, static_policy(p)) == pytest.approx(best, rel=1e-9)


@given(tiny_general())
@settings(max_examples=40)
def test_dp_oracle_matches_brute_force_on_tiny_instances(p: Problem) -> None:
    """The DP over evidence states finds the same optimum as evaluating every strategy tree one by one."""
    best = brute_force_cost(p)
    oracle = Oracle(p)
    assert oracle.value() == pytest.approx(best, rel=1e-9)
    assert expected_cost(p, oracle) == pytest.approx(best, rel=1e-9)


@given(tiny_general())
@settings(max_examples=40)
def test_no_policy_beats_the_oracle(p: Problem) -> None:
    """Every policy costs at least the optimum, and the planner's own estimate is that of an action plan it can
    carry out."""
    v = optimal_cost(p)
    for policy in (
        planner_policy(p),
        planner_policy(p, questions=False),
        authored_policy(p),
        static_policy(p),
    ):
        assert expected_cost(p, policy) >= v * (1 - 1e-9)
    assert plan(p, questions=False).expected_cost >= v * (1 - 1e-9)
