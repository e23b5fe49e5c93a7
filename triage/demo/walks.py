"""Walking a tree like a person would: biased picks, plausible values, notes, going back, giving up.

Every kind of step is answered: options, actions (fixed about as often as the tree says), instructions
(mostly done), waits (mostly ready, sometimes "not yet" until the fallback), remote checks (a result, the
first most often, now and then no answer), multi-selects (a few of the choices).

:func:`simulate_walk` drives the real engine on a fake clock; :func:`answer_samples` gives it the values
the tree authors used in their scenarios for free-text and number fields.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from triage.errors import InvalidAnswer, TriageError
from triage.trees.model import (
    UNAVAILABLE,
    ActionNode,
    AnyNode,
    Audience,
    CheckNode,
    CollectNode,
    FactType,
    InstructionNode,
    InstructionResult,
    QuestionNode,
    Tree,
    WaitNode,
    WaitResult,
)
from triage.walk.policy import Policy
from triage.walk.session import Session

__all__ = ["answer_samples", "simulate_walk"]

_NOTES = {
    "en": [
        "Customer was already on the phone with the shop about it.",
        "Customer is calm, happy to try things.",
        "Customer is in a hurry, call back preferred.",
        "Customer says this happened last month too.",
    ],
    "de": [
        "Kunde hat schon beim Händler angerufen.",
        "Kunde ist geduldig und probiert gern etwas aus.",
        "Kunde hat es eilig, Rückruf erwünscht.",
        "Laut Kunde passierte das letzten Monat schon einmal.",
    ],
}


def answer_samples(library: Mapping[str, Tree]) -> dict[str, list[Any]]:
    """Answers the authors gave at each collect step in their scenarios ('tree:node' -> values).

    Scenario answers are plausible by construction (they satisfy patterns and steer the logic), so the
    simulation reuses them for free-text and number fields instead of inventing values.
    """
    out: dict[str, list[Any]] = defaultdict(list)
    for tree in library.values():
        for sc in tree.scenarios:
            try:
                s = Session.start(library, tree.id, mode=sc.mode, locale=sc.locale, facts=sc.facts)
                for value in sc.answers:
                    if s.finished or s.pos is None:
                        break
                    if isinstance(s.node, CollectNode):
                        out[s.pos.key].append(value)
                    s.submit(value)
            except TriageError:
                continue
    return dict(out)


def _think_seconds(rng: random.Random, node: Any, mode: Audience) -> float:
    """How long a person plausibly takes at a step (a wait: its seconds, and a little more)."""
    if isinstance(node, WaitNode):
        return node.seconds * rng.uniform(1.0, 1.3)
    if isinstance(node, CheckNode):
        return node.timeout * rng.uniform(0.1, 0.6)
    if isinstance(node, ActionNode | InstructionNode):
        base = (node.minutes or (2.0 if isinstance(node, ActionNode) else 1.0)) * 60.0
        return base * rng.uniform(0.6, 1.7)
    base = 25.0 if isinstance(node, QuestionNode) else 50.0
    if mode is Audience.SELF_SERVICE:
        base *= 1.5
    return base * rng.lognormvariate(0.0, 0.5)


def _choose_option(rng: random.Random, node: QuestionNode) -> str:
    # authors put the common case first; a safety sign is rare
    weights = [(0.15 if o.safety else 1.0) / (i + 1) ** 0.7 for i, o in enumerate(node.options)]
    return rng.choices([o.value for o in node.options], weights)[0]


def _collect_candidates(rng: random.Random, node: CollectNode, samples: Sequence[Any]) -> list[Any]:
    """Answers to try at a collect step, most plausible first."""
    pool = list(samples)
    rng.shuffle(pool)
    if node.type is FactType.CHOICE:
        return [rng.choice(node.choices)] if node.choices else pool
    if node.type is FactType.YESNO:
        return [rng.random() < 0.5]
    if node.type is FactType.MULTI:
        picked = [c for c in node.choices if rng.random() < 0.5]
        return [picked or node.choices[:1], *pool]
    if node.type is FactType.NUMBER:
        lo = node.min if node.min is not None else 0.0
        hi = node.max if node.max is not None else max(lo + 100.0, 100.0)
        numbers = [float(v) for v in pool if isinstance(v, int | float) and not isinstance(v, bool)]
        numbers += [float(v) for v in pool if isinstance(v, str) and _is_number(v)]
        if numbers and rng.random() < 0.8:
            x = rng.choice(numbers) * rng.uniform(0.7, 1.3)
        else:
            x = rng.uniform(lo, min(hi, lo + 200.0))
        return [round(min(max(x, lo), hi)), *pool]
    if not node.required and rng.random() < 0.3:
        return [""]
    return [*pool, "demo"]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def simulate_walk(
    library: Mapping[str, Tree],
    tree_id: str,
    *,
    rng: random.Random,
    start: datetime,
    mode: Audience | str = Audience.AGENT,
    locale: str = "en",
    facts: Mapping[str, Any] | None = None,
    session_id: str | None = None,
    policy: Policy | None = None,
    samples: Mapping[str, Sequence[Any]] | None = None,
    give_up: float | None = None,
) -> Session:
    """Walk ``tree_id`` like a person would, on a fake clock that starts at ``start``; return the session.

    ``give_up`` is the chance per step that the person leaves the session open (a drop-off); by default
    4% per step in self-service and 1.2% with an agent.
    """
    audience = Audience(mode)
    clock = [start]
    s = Session.start(
        library,
        tree_id,
        mode=audience,
        locale=locale,
        facts=facts,
        policy=policy,
        session_id=session_id or uuid.UUID(int=rng.getrandbits(128), version=4).hex,
        clock=lambda: clock[0],
    )
    quit_p = give_up if give_up is not None else (0.04 if audience is Audience.SELF_SERVICE else 0.012)
    samples = samples or {}
    went_back = False
    for _ in range(200):  # every shipped walk ends long before; a bound keeps a bad tree from spinning
        if s.decision is not None or s.pos is None:
            break
        node = s.node
        if rng.random() < quit_p:
            break
        clock[0] += timedelta(seconds=_think_seconds(rng, node, audience))
        if audience is Audience.SELF_SERVICE and rng.random() < 0.015:
            s.escalate_now()
            break
        if audience is Audience.AGENT and rng.random() < 0.03:
            s.add_note(rng.choice(_NOTES.get(locale, _NOTES["en"])))
        if s.answers and not went_back and rng.random() < 0.025:
            went_back = True
            s.back()
            continue
        try:
            _answer(rng, s, node, audience, samples)
        except InvalidAnswer:
            break  # nothing plausible fits: the person gives up here
    return s


def _answer(
    rng: random.Random, s: Session, node: AnyNode, mode: Audience, samples: Mapping[str, Sequence[Any]]
) -> None:
    """Answer the step the session stands at, as the person would."""
    assert s.pos is not None
    if isinstance(node, QuestionNode):
        s.submit(_choose_option(rng, node))
    elif isinstance(node, ActionNode):
        _act(rng, s, node, mode)
    elif isinstance(node, CollectNode):
        _collect(rng, s, node, samples.get(s.pos.key, ()))
    else:
        s.submit(_other_answer(rng, node))


def _other_answer(rng: random.Random, node: AnyNode) -> str:
    """An instruction is mostly done, a wait mostly ready by the last try, a remote check gives a result."""
    if isinstance(node, InstructionNode):
        could_not = node.on_could_not is not None and rng.random() < 0.07
        return InstructionResult.COULD_NOT.value if could_not else InstructionResult.DONE.value
    if isinstance(node, WaitNode):
        return WaitResult.READY.value if rng.random() < 0.75 else WaitResult.NOT_YET.value
    if isinstance(node, CheckNode):
        if rng.random() < 0.05:  # the remote system did not answer
            return UNAVAILABLE
        # the first result is the common one (authors list "ok" first), like options
        weights = [1.0 / (i + 1) ** 1.2 for i in range(len(node.results))]
        return rng.choices([o.value for o in node.results], weights)[0]
    raise InvalidAnswer(f"step {node.id!r} is a {node.kind}, which a person does not answer")


def _act(rng: random.Random, s: Session, node: ActionNode, mode: Audience) -> None:
    p_fix = 0.7 * max(node.fixes.values()) if node.fixes else 0.4
    r = rng.random()
    if mode is Audience.AGENT and r < 0.06:
        s.mark_tried()
    elif r < 0.06 + p_fix:
        s.submit("fixed")
    elif r < 0.12 + p_fix:
        s.submit("could_not")
    else:
        s.submit("not_fixed")


def _collect(rng: random.Random, s: Session, node: CollectNode, samples: Sequence[Any]) -> None:
    last: InvalidAnswer | None = None
    for value in _collect_candidates(rng, node, samples):
        try:
            s.submit(value)
            return
        except InvalidAnswer as exc:
            last = exc
    raise last or InvalidAnswer("no plausible answer")
