"""Learning: Dirichlet/Beta counts from authored numbers, updates from records, forgetting, Thompson draws."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from triage.errors import RecordError
from triage.guidance import Action, Costs, Fault, Problem, Question, authored_policy, worked_example
from triage.guidance.learning import Beliefs, LearnedRow, SessionRecord, learned_vs_authored
from triage.guidance.simulate import Sizes, draw_customers, generate, misspecify, run_session


def shared_steps() -> Problem:
    """A reboot that fixes two faults, a replug that fixes one, and a question about the lights."""
    return Problem(
        faults=[Fault("router", 0.5), Fault("cable", 0.3), Fault("line", 0.2, resolved_by="tier2")],
        actions=[Action("reboot", 2, {"router": 0.8, "cable": 0.4}), Action("replug", 1, {"cable": 0.9})],
        questions=[
            Question(
                "lights",
                1,
                {
                    "on": {"router": 0.9, "cable": 0.5, "line": 0.1},
                    "off": {"router": 0.1, "cable": 0.5, "line": 0.9},
                },
            )
        ],
        costs=Costs(escalation=15, visit=60),
    )


def params(p: Problem) -> list[float]:
    """Every probability of a problem, flattened in a fixed order."""
    out = [f.prior for f in p.faults]
    out += [a.fixes.get(f.id, 0.0) for a in p.actions for f in p.faults]
    out += [q.answers[o].get(f.id, 0.0) for q in p.questions for o in q.answers for f in p.faults]
    return out


def test_start_is_the_authored_model() -> None:
    """Before any record the posterior mean is the author's model, number for number."""
    p = shared_steps()
    assert params(Beliefs(p).mean()) == pytest.approx(params(p), abs=1e-12)
    assert Beliefs(p).mean().actions[0].fixes == {"router": pytest.approx(0.8), "cable": pytest.approx(0.4)}


def test_closure_code_counts_one_session_exactly() -> None:
    """A closure code adds 1 to its fault, a failure to each tried step and 1 to the answer given."""
    b = Beliefs(shared_steps(), prior_weight=10, fix_weight=10, answer_weight=10)
    weights = b.update(SessionRecord(failed=["reboot"], answers={"lights": "off"}, fault="line"))
    assert weights == {"line": 1.0}
    m = b.mean()
    assert [f.prior for f in m.faults] == pytest.approx([5 / 11, 3 / 11, 3 / 11])
    assert m.action("reboot").fixes == pytest.approx({"router": 0.8, "cable": 0.4})  # q = 0 for line stays 0
    assert m.question("lights").answers["off"]["line"] == pytest.approx(10 / 11)
    assert b.sessions == 1


def test_fixed_case_without_a_code_infers_the_fault_from_the_fixing_step() -> None:
    """Without a closure code the fault is the posterior given the steps that failed and the one that fixed it."""
    b = Beliefs(shared_steps())
    weights = b.fault_weights(SessionRecord(failed=["replug"], fixed_by="reboot"))
    # router: 0.5 * 1 * 0.8 = 0.4; cable: 0.3 * 0.1 * 0.4 = 0.012
    assert weights == pytest.approx({"router": 0.4 / 0.412, "cable": 0.012 / 0.412})
    b.update(SessionRecord(failed=["replug"], fixed_by="reboot"))
    m = b.mean()
    assert m.fault("router").prior == pytest.approx((5 + 0.4 / 0.412) / 11)
    assert m.action("reboot").fixes["router"] == pytest.approx((8 + 0.4 / 0.412) / (10 + 0.4 / 0.412))


def test_unresolved_case_without_a_code_is_counted_only_when_asked() -> None:
    """An escalated case without a closure code counts fractionally by default, not at all when switched off."""
    record = SessionRecord(failed=["reboot", "replug"])
    assert sum(Beliefs(shared_steps()).update(record).values()) == pytest.approx(1.0)
    off = Beliefs(shared_steps(), learn_unlabeled=False)
    assert off.update(record) == {}
    assert off.sessions == 0
    assert params(off.mean()) == pytest.approx(params(shared_steps()))


def test_forgetting_pulls_back_to_the_authored_counts() -> None:
    """Forgetting with 0 returns to the author's numbers; with 0.5 it halves the evidence."""
    b = Beliefs(worked_example(), prior_weight=10)
    for _ in range(10):
        b.update(SessionRecord(fault="other"))
    assert b.mean().fault("other").prior == pytest.approx(11 / 20)
    b.forget(0.5)
    assert b.mean().fault("other").prior == pytest.approx(6 / 15)
    b.forget(0.0)
    assert b.mean().fault("other").prior == pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"^forgetting factor must be in \[0, 1\] \(got 1.5\)$"):
        b.forget(1.5)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (SessionRecord(failed=["rebot"]), "record: unknown action 'rebot' (did you mean 'reboot'?)"),
        (SessionRecord(fixed_by="replgu"), "record: unknown action 'replgu' (did you mean 'replug'?)"),
        (SessionRecord(fault="routr"), "record: unknown fault 'routr' (did you mean 'router'?)"),
        (SessionRecord(answers={"light": "on"}), "record: unknown question 'light' (did you mean 'lights'?)"),
        (
            SessionRecord(answers={"lights": "of"}),
            "record: unknown answer to 'lights': 'of' (did you mean 'off'?)",
        ),
        (
            SessionRecord(failed=["reboot"], fixed_by="reboot"),
            "record: action 'reboot' is both failed and the one that fixed it",
        ),
    ],
)
def test_bad_records_are_named(record: SessionRecord, message: str) -> None:
    """A record naming something the model lacks is refused with the closest known id."""
    with pytest.raises(RecordError) as err:
        Beliefs(shared_steps()).update(record)
    assert str(err.value) == message


def test_bad_weight_is_refused() -> None:
    """A prior weight must be a positive number."""
    with pytest.raises(ValueError, match=r"^prior_weight must be a finite number > 0 \(got 0\)$"):
        Beliefs(shared_steps(), prior_weight=0)


def test_thompson_draws_are_valid_seeded_and_concentrate() -> None:
    """A draw is a valid model with the same structure, the same for the same seed, near the mean with much data."""
    b = Beliefs(shared_steps())
    a1, a2 = b.sample(random.Random(3)), b.sample(random.Random(3))
    assert params(a1) == params(a2)
    assert [x.id for x in a1.actions] == ["reboot", "replug"]
    assert params(a1) != pytest.approx(params(b.mean()), abs=1e-3)
    sure = Beliefs(shared_steps(), prior_weight=1e6, fix_weight=1e6, answer_weight=1e6)
    assert params(sure.sample(random.Random(3))) == pytest.approx(params(sure.mean()), abs=5e-3)


def test_learned_vs_authored_rows() -> None:
    """Rows give authored and learned values with the evidence behind them; min_change keeps the movers."""
    b = Beliefs(worked_example(), prior_weight=10, fix_weight=10)
    for _ in range(10):
        b.update(SessionRecord(failed=["a3"], fixed_by="a1", fault="f1"))
    rows = learned_vs_authored(b)
    assert rows[0] == LearnedRow("prior", "f1", None, None, 0.4, pytest.approx(14 / 20), pytest.approx(10.0))
    assert [(r.parameter, r.step, r.fault) for r in rows if r.parameter == "fix"] == [
        ("fix", "a1", "f1"),
        ("fix", "a2", "f2"),
        ("fix", "a3", "f3"),
    ]
    moved = learned_vs_authored(b, min_change=0.06)
    assert [(r.parameter, r.fault) for r in moved] == [("prior", "f1"), ("prior", "f2"), ("prior", "f3")]
    assert moved[0].change == pytest.approx(0.3)


@given(st.integers(0, 10_000))
@settings(max_examples=6)
def test_learning_moves_probabilities_toward_the_simulated_truth(seed: int) -> None:
    """From a badly misspecified model, 1,000 sessions with closure codes bring the fault prior and the
    well-observed fix probabilities closer to the truth that generated them."""
    sc = generate("C", seed, sizes=Sizes(faults=(4, 8), actions=(4, 6), questions=(1, 2)))
    truth = sc.truth
    model = misspecify(truth, random.Random(seed), kappa=5, logit_shift=1.0)
    b = Beliefs(model)
    policy = authored_policy(model)
    for c in draw_customers(truth, 1000, seed):
        r = run_session(truth, policy, c)
        b.update(SessionRecord(r.failed, r.fixed_by, r.answers, c.fault))
    learned = b.mean()

    def prior_gap(p: Problem) -> float:
        return math.fsum(abs(p.fault(f.id).prior - f.prior) for f in truth.faults) / 2

    assert prior_gap(learned) < prior_gap(model)
    seen = [r for r in b.rows() if r.parameter == "fix" and r.observations > 0]
    assume(seen)  # when every self-fixable fault is very rare, no step meets its fault in 1,000 sessions
    true_q = [truth.action(r.step or "").fixes.get(r.fault, 0.0) for r in seen]
    # error weighted by the evidence behind each estimate
    before = math.fsum(r.observations * abs(r.authored - t) for r, t in zip(seen, true_q, strict=True))
    after = math.fsum(r.observations * abs(r.learned - t) for r, t in zip(seen, true_q, strict=True))
    assert after < before
