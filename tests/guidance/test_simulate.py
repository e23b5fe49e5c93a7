"""Simulator: seeded scenario families, exact metrics, customers with common random numbers, summaries."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.guidance import (
    Action,
    Costs,
    Fault,
    Oracle,
    Problem,
    authored_policy,
    expected_cost,
    planner_policy,
    worked_example,
)
from triage.guidance.simulate import (
    Evaluation,
    InstanceResult,
    Scenario,
    Sizes,
    draw_customers,
    evaluate,
    generate,
    learning_track,
    make_policies,
    mean_ci,
    monte_carlo,
    run_instances,
    run_session,
    suite,
    summarize,
)

SMALL = Sizes(faults=(3, 6), actions=(2, 5), questions=(1, 2))


def router_line() -> Problem:
    """The optimum escalates at once; the authored flow tries the router reset first."""
    return Problem(
        faults=[Fault("router", 0.2), Fault("line", 0.8, resolved_by="tier2")],
        actions=[Action("reset_router", 10, {"router": 0.5})],
        costs=Costs(escalation=15, visit=60),
    )


# -- scenarios -----------------------------------------------------------------------------------------------


def test_generation_is_seeded() -> None:
    """The same family and seed give the same instance; another seed gives another."""
    assert generate("C", 3) == generate("C", 3)
    assert generate("C", 3) != generate("C", 4)


def test_family_a_has_one_fix_per_fault_and_one_service() -> None:
    """Family A: each action fixes one fault of its own, no questions, a service that resolves everything."""
    for sc in suite("A", 20):
        p = sc.truth
        targets = [f for a in p.actions for f in a.fixes]
        assert all(len(a.fixes) == 1 for a in p.actions)
        assert len(set(targets)) == len(targets)
        assert p.questions == ()
        assert {p.tier2_resolve(f.id) for f in p.faults} == {1.0}
        assert p.costs.escalation == p.costs.visit
        assert sc.model is sc.truth


@pytest.mark.parametrize(("family", "escalation", "visit"), [("B", 15, 60), ("C", 15, 60), ("D", 40, 200)])
def test_general_families_follow_the_protocol(family: str, escalation: float, visit: float) -> None:
    """B-D: steps fix one or two self-fixable faults with q in [0.5, 0.95]; questions only in C and D."""
    for sc in suite(family, 20):  # type: ignore[arg-type]
        p = sc.truth
        assert (p.costs.escalation, p.costs.visit) == (escalation, visit)
        assert 4 <= len(p.faults) <= 12
        assert 4 <= len(p.actions) <= 10
        assert (len(p.questions) == 0) == (family == "B")
        assert len(p.questions) <= 4
        for a in p.actions:
            assert 1 <= len(a.fixes) <= 2
            assert all(p.fault(f).resolved_by == "self" and 0.5 <= q <= 0.95 for f, q in a.fixes.items())
        chances = [math.fsum(p.fault(f).prior * q for f, q in a.fixes.items()) for a in p.actions]
        assert chances == sorted(chances, reverse=True)  # authored: most likely first


def test_family_e_misspecifies_only_the_probabilities() -> None:
    """Family E: the model keeps ids, costs and questions but its prior and fix probabilities differ."""
    sc = generate("E", 1, kappa=10)
    t, m = sc.truth, sc.model
    assert [f.id for f in t.faults] == [f.id for f in m.faults]
    assert [(a.id, a.cost, set(a.fixes)) for a in t.actions] == [
        (a.id, a.cost, set(a.fixes)) for a in m.actions
    ]
    assert t.questions == m.questions
    assert [f.prior for f in t.faults] != [f.prior for f in m.faults]
    assert all(t.action(a.id).fixes != a.fixes for a in m.actions)


def test_unknown_family_and_policy_are_named() -> None:
    """An unknown family or policy name is refused with the known ones listed."""
    with pytest.raises(ValueError, match=r"^unknown scenario family 'Z' \(known: A, B, C, D, E\)$"):
        generate("Z", 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^unknown policy 'greedy' \(known: authored, "):
        make_policies(generate("B", 0), ["greedy"])


# -- exact metrics ---------------------------------------------------------------------------------------------


def test_worked_example_metrics_are_exact() -> None:
    """§5.3: the planner takes 2.3 expected steps at 12.6; the authored order 1.9 steps at 16.5."""
    p = worked_example()
    best = evaluate(p, planner_policy(p), oracle=Oracle(p))
    authored = evaluate(p, authored_policy(p), oracle=Oracle(p))
    assert (best.cost, best.steps, best.actions, best.questions) == pytest.approx((12.6, 2.3, 2.3, 0.0))
    assert (authored.cost, authored.steps) == pytest.approx((16.5, 1.9))
    for ev in (best, authored):
        assert ev.self_resolved == pytest.approx(0.9)
        assert (ev.escalated, ev.visited, ev.missed_escalation) == pytest.approx((0.1, 0.0, 0.0))
        # the 0.1 no step fixes is a tier-2 fault and tier 2 resolves it
        assert ev.correct_outcome == pytest.approx(1.0)


def test_hindsight_rates_of_an_authored_flow() -> None:
    """Trying the reset before escalating is a missed escalation for the line fault (0.8); the self-fixable
    router fault that the reset misses is an unnecessary escalation (0.1)."""
    p = router_line()
    ev = evaluate(p, authored_policy(p), oracle=Oracle(p))
    assert ev == Evaluation(
        cost=pytest.approx(10 + 0.9 * 21),
        steps=pytest.approx(1.0),
        actions=pytest.approx(1.0),
        questions=0.0,
        self_resolved=pytest.approx(0.1),
        escalated=pytest.approx(0.9),
        visited=pytest.approx(0.09),
        correct_outcome=pytest.approx(0.1 + 0.8 * 0.9),
        unnecessary_escalation=pytest.approx(0.1),
        unnecessary_visit=pytest.approx(0.09),
        missed_escalation=pytest.approx(0.8),
    )
    assert math.isnan(evaluate(p, authored_policy(p)).missed_escalation)


@given(st.sampled_from("ABCDE"), st.integers(0, 10_000))
@settings(max_examples=25)
def test_exact_metrics_agree_with_expected_cost(family: str, seed: int) -> None:
    """The metrics walker and the planner's expected_cost give the same cost; probabilities stay in [0, 1]."""
    sc = generate(family, seed, sizes=SMALL)  # type: ignore[arg-type]
    pol = planner_policy(sc.model)
    ev = evaluate(sc.truth, pol, oracle=Oracle(sc.truth))
    assert ev.cost == pytest.approx(expected_cost(sc.truth, pol), rel=1e-9)
    assert ev.steps == pytest.approx(ev.actions + ev.questions)
    for x in (ev.self_resolved, ev.escalated, ev.visited, ev.correct_outcome, ev.missed_escalation):
        assert -1e-12 <= x <= 1 + 1e-12
    # a session is fixed by a step or stopped (escalated or visited), never both
    assert ev.self_resolved + ev.escalated <= 1 + 1e-9
    assert ev.self_resolved + ev.visited <= 1 + 1e-9
    assert ev.unnecessary_visit <= ev.visited + 1e-12
    assert ev.unnecessary_escalation <= ev.escalated + 1e-12


# -- customers -------------------------------------------------------------------------------------------------


def test_monte_carlo_agrees_with_the_exact_cost() -> None:
    """Over 4,000 simulated customers each policy's mean cost is within 4 standard errors of its exact cost."""
    sc = generate("C", 7)
    oracle = Oracle(sc.truth)
    pols = make_policies(sc, ["authored", "planner_q", "optimal"], oracle=oracle)
    rows = monte_carlo(sc.truth, pols, draw_customers(sc.truth, 4000, seed=1), oracle=oracle)
    assert [r.policy for r in rows] == ["authored", "planner_q", "optimal"]
    for r in rows:
        exact = evaluate(sc.truth, pols[r.policy], oracle=oracle)
        assert abs(r.cost - exact.cost) <= 4 * r.cost_ci / 1.96
        assert abs(r.self_resolved - exact.self_resolved) <= 0.03
        assert abs(r.steps - exact.steps) <= 0.15


@given(st.integers(0, 10_000))
@settings(max_examples=15)
def test_common_random_numbers_give_the_same_step_outcome_across_policies(seed: int) -> None:
    """A step tried by two policies on the same customer fixes it under both or under neither."""
    sc = generate("C", seed, sizes=SMALL)
    pols = make_policies(sc, ["authored", "cheapest_first", "planner_q"])
    for c in draw_customers(sc.truth, 30, seed):
        outcomes: dict[str, bool] = {}
        for pol in pols.values():
            r = run_session(sc.truth, pol, c)
            assert r.fault == c.fault
            for a in r.failed:
                assert outcomes.setdefault(a, False) is False
            if r.fixed_by is not None:
                assert outcomes.setdefault(r.fixed_by, True) is True


def test_session_costs_add_up() -> None:
    """A customer the reset does not fix pays the reset, the escalation and, if tier 2 fails, the visit."""
    p = router_line()
    [c] = draw_customers(p, 1, seed=0)
    c = type(c)(fault="router", action_draws={"reset_router": 0.9}, answer_draws={}, tier2_draw=0.95)
    r = run_session(p, authored_policy(p), c)
    assert (r.cost, r.failed, r.fixed_by, r.outcome, r.escalated, r.steps) == (
        10 + 15 + 60,
        ("reset_router",),
        None,
        "visit",
        True,
        1,
    )


# -- runs and summaries ----------------------------------------------------------------------------------------


def test_run_instances_reports_progress_and_the_optimum() -> None:
    """Every policy is evaluated on every scenario; progress is reported per scenario; optimal has ratio 1."""
    seen: list[tuple[int, int, str]] = []
    scenarios = suite("B", 3, sizes=SMALL)
    rows = run_instances(scenarios, ["authored", "planner", "optimal"], progress=lambda *a: seen.append(a))
    assert seen == [(1, 3, "family B seed 0"), (2, 3, "family B seed 1"), (3, 3, "family B seed 2")]
    assert [(r.seed, r.policy) for r in rows[:3]] == [(0, "authored"), (0, "planner"), (0, "optimal")]
    assert all(r.ratio == pytest.approx(1.0) for r in rows if r.policy == "optimal")
    assert all(r.ratio >= 1 - 1e-9 for r in rows)


def _result(seed: int, policy: str, cost: float, optimum: float) -> InstanceResult:
    ev = Evaluation(cost, 1.0, 1.0, 0.0, 0.5, 0.5, 0.1, 0.9, 0.2, 0.1, 0.0)
    return InstanceResult("B", seed, policy, ev, optimum)


def test_summary_rows_pair_each_instance_with_its_authored_cost() -> None:
    """Ratios, quantiles, the optimal share and the paired improvement over the authored flow are exact."""
    results = [
        _result(0, "authored", 20.0, 10.0),
        _result(0, "planner", 10.0, 10.0),
        _result(1, "authored", 40.0, 20.0),
        _result(1, "planner", 30.0, 20.0),
    ]
    authored, planner = summarize(results)
    assert (planner.family, planner.policy, planner.instances) == ("B", "planner", 2)
    assert (planner.ratio, planner.ratio_median, planner.ratio_max, planner.optimal_share) == (
        1.25,
        1.25,
        1.5,
        0.5,
    )
    assert planner.ratio_p90 == pytest.approx(1.45)
    assert planner.improvement == pytest.approx((0.5 + 0.25) / 2)
    assert (authored.ratio, authored.improvement) == (2.0, 0.0)
    assert planner.cost == 20.0
    [pooled] = summarize([r for r in results if r.policy == "planner"], family="B-D")
    assert pooled.family == "B-D"
    assert math.isnan(pooled.improvement)


def test_mean_ci() -> None:
    """The 95% half-width is 1.96 standard errors; one value has no interval, none has no mean."""
    assert mean_ci([1.0, 3.0]) == (2.0, pytest.approx(1.96 * math.sqrt(2) / math.sqrt(2)))
    assert mean_ci([5.0])[0] == 5.0
    assert math.isnan(mean_ci([5.0])[1])
    assert math.isnan(mean_ci([])[0])


def test_learning_track_regret_is_exact_and_never_negative() -> None:
    """Each session's regret is its policy's exact cost minus the optimum, so it is never below zero; a learner
    that never updates has constant regret."""
    sc = generate("E", 2, sizes=SMALL, kappa=10)
    fixed = learning_track(sc, sessions=20, sampler="authored")
    assert len(set(fixed.regret)) == 1
    assert fixed.regret[0] == pytest.approx(expected_cost(sc.truth, planner_policy(sc.model)) - fixed.optimum)
    learned = learning_track(sc, sessions=40, sampler="thompson")
    assert len(learned.regret) == 40
    assert min(learned.regret) >= -1e-9
    assert learned.beliefs.sessions == 40
    assert learned.cumulative == pytest.approx(math.fsum(learned.regret))
    assert learned.window(0, 10) == pytest.approx(math.fsum(learned.regret[:10]) / 10)


def test_scenario_is_plain_data() -> None:
    """A scenario holds its truth and model; outside family E they are the same object."""
    sc = generate("B", 0)
    assert isinstance(sc, Scenario)
    assert sc.model is sc.truth
    assert (sc.family, sc.seed) == ("B", 0)
