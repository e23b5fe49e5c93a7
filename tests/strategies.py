"""Shared Hypothesis strategies: valid trees, walks through them, and answers that fit a step.

Trees are built as plain dicts (the shape of a tree file) and validated into
:class:`~triage.trees.model.Tree` objects. They are acyclic by construction: node ``i`` only links
to nodes after it. Every interior node is reachable because one link of each node (its
"spine" link, at a random place among its links) goes to the next node; outcomes nobody
links to are dropped. Hints are put on the start node and on most others, each a unique
marker string (:func:`hint_marker`), so a test can look for any of them in what a customer sees.
Some nodes and answers carry safety signs, and logic rules may route on the audience.

Optional extras (safety signs, translations, customer texts) are drawn so that they shrink
away: a minimal failing example shows only what the failure needs.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from triage.guidance import Action, Costs, Fault, Problem, Question, single_service
from triage.trees.model import Audience, Tree
from triage.walk.policy import Policy, PolicyConfig
from triage.walk.session import StepView

__all__ = [
    "CONDITION_TOKENS",
    "FACT_NAMES",
    "NODE_NAMES",
    "condition_expressions",
    "condition_texts",
    "hostile_conditions",
    "odd_fact_values",
    "odd_facts",
    "int_facts",
    "text_comparisons",
    "text_condition_expressions",
    "text_facts",
    "visit_maps",
    "one_fix_per_fault",
    "tiny_general",
    "ROOMY",
    "INTERIOR_KINDS",
    "OUTCOME_KINDS",
    "TEXT_PATTERNS",
    "answer_for",
    "dot_texts",
    "hint_marker",
    "node_targets",
    "policies",
    "session_facts",
    "session_ops",
    "session_settings",
    "step_answers",
    "tree_dicts",
    "trees",
    "walks",
]

INTERIOR_KINDS = ("question", "action", "collect", "logic")
OUTCOME_KINDS = ("resolved", "escalate", "visit")
NUMBER_SPAN = 1_000  # bounds used to draw a number when a collect step sets no min or max


def _letters(n: int, count: int, alphabet: str) -> str:
    out = []
    for _ in range(count):
        out.append(alphabet[n % len(alphabet)])
        n //= len(alphabet)
    return "".join(out)


TEXT_PATTERNS: dict[str, Callable[[int], str]] = {
    "[A-Z]{2}[0-9]{3}": lambda n: _letters(n, 2, string.ascii_uppercase) + f"{n % 1000:03d}",
    "[0-9]{4}-[0-9]{4}": lambda n: f"{n % 10_000:04d}-{(n * 7919) % 10_000:04d}",
    "[a-z]{3,6}": lambda n: _letters(n, 3 + n % 4, string.ascii_lowercase),
}
"""Patterns a text collect step may carry, each with a way to make a matching answer from an int."""

_LABELS = ("Yes", "No", "Not sure", "Sometimes", "Green", "Red", "Off", "Blinking", "Wi-Fi", "Cable")
_CHOICES = ("red", "green", "amber", "off", "blinking", "wifi", "cable")
_QUEUES = ("tier2-network", "billing", "tier3-hardware")
_SKILLS = ("fibre", "copper", "field-technician", "tv")
_FAULTS = ("router_hung", "loose_cable", "dns", "firmware")
_ACTION_ANSWERS = ("fixed", "not_fixed", "could_not", "yes", "No", "skip", "can't", True, False)
_BUILTIN_CONDITIONS = (
    "mode == 'agent'",
    "mode == 'self_service'",
    "mode in ['agent']",
    "visit_covered == false",
    "visit_covered == true",
    "repeat_contacts >= 1",
    "customer_id != null",
)


def hint_marker(node_id: str) -> str:
    """The hint text the strategy gives node ``node_id``: unique, so a test can search for it."""
    return f"AGENT-ONLY HINT <{node_id}>"


def _sometimes(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in ``one_in`` draws; shrinks to False, so a minimal example has no extras."""
    return draw(st.integers(0, one_in - 1)) == one_in - 1


def _text(draw: st.DrawFn, base: str) -> Any:
    if _sometimes(draw, 4):
        return {"en": base, "de": f"{base} (de)"}
    return base


def _common(draw: st.DrawFn, node_id: str, words: str, *, hint: bool, safety: int) -> dict[str, Any]:
    node: dict[str, Any] = {"id": node_id, "text": _text(draw, words)}
    if safety and _sometimes(draw, safety + 2):
        node["safety"] = f"smoke at {node_id}"
    if hint or draw(st.integers(0, 3)) > 0:  # hints on about three nodes in four
        marker = hint_marker(node_id)
        node["hint"] = {"en": marker, "de": marker} if draw(st.booleans()) else marker
    if _sometimes(draw, 3):
        node["customer_text"] = _text(draw, f"In plain words: {words}")
    return node


def _links(draw: st.DrawFn, count: int, spine: str, later: list[str]) -> list[str]:
    """``count`` link targets among ``later``, one of them (at a random place) ``spine``."""
    at = draw(st.integers(0, count - 1))
    return [spine if k == at else draw(st.sampled_from(later)) for k in range(count)]


def _condition_on(draw: st.DrawFn, fact: dict[str, Any]) -> str:
    """One condition reading ``fact`` (name, type and what values it can take)."""
    name, kind = fact["name"], fact["type"]
    if kind == "number":
        lo = fact["min"] if fact["min"] is not None else (fact["max"] - 10 if fact["max"] is not None else -5)
        hi = fact["max"] if fact["max"] is not None else lo + 10
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        return f"{name} {op} {draw(st.integers(int(lo) - 1, int(hi) + 1))}"
    if kind == "yesno":
        return draw(
            st.sampled_from([f"{name} == true", f"{name} == false", name, f"not {name}", f"{name} != true"])
        )
    if kind in ("choice", "option"):
        values = fact["values"]
        some = draw(st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True))
        listed = ", ".join(f"'{v}'" for v in some)
        return draw(
            st.sampled_from([f"{name} == '{some[0]}'", f"{name} in [{listed}]", f"{name} not in [{listed}]"])
        )
    # text: compare with a value the pattern allows, or look for a piece of it
    value = TEXT_PATTERNS[fact["pattern"]](draw(st.integers(0, 50))) if fact["pattern"] else "hello"
    return draw(st.sampled_from([f"{name} == '{value}'", f"{name} != '{value}'", f"'{value[:2]}' in {name}"]))


def _condition(draw: st.DrawFn, facts: list[dict[str, Any]], audience_rules: bool) -> str:
    builtins = [c for c in _BUILTIN_CONDITIONS if audience_rules or not c.startswith("mode ")]
    parts = []
    for _ in range(draw(st.integers(1, 2))):
        if facts and draw(st.integers(0, 4)) > 0:
            parts.append(_condition_on(draw, draw(st.sampled_from(facts))))
        else:
            parts.append(draw(st.sampled_from(builtins)))
    cond = f" {draw(st.sampled_from(['and', 'or']))} ".join(parts)
    if _sometimes(draw, 5):
        cond = f"not ({cond})"
    return cond


def _question(
    draw: st.DrawFn, i: int, node: dict[str, Any], spine: str, later: list[str], *, safety: int
) -> dict[str, Any]:
    count = draw(st.integers(2, 4))
    labels = draw(st.lists(st.sampled_from(_LABELS), min_size=count, max_size=count, unique=True))
    targets = _links(draw, count, spine, later)
    options = []
    for k, (label, target) in enumerate(zip(labels, targets, strict=True)):
        opt: dict[str, Any] = {"label": _text(draw, label), "next": target}
        if draw(st.booleans()):
            opt["value"] = f"v{k}"
        if safety and _sometimes(draw, safety):
            opt["safety"] = f"sparks when answering {label}"
        options.append(opt)
    node.update(kind="question", options=options)
    if draw(st.booleans()):
        node["fact"] = f"q{i}"
    return node


def _action(draw: st.DrawFn, node: dict[str, Any], spine: str, later: list[str]) -> dict[str, Any]:
    targets = _links(draw, draw(st.integers(2, 3)), spine, later)
    node.update(kind="action", on_fixed=targets[0], on_not_fixed=targets[1])
    if len(targets) == 3:
        node["on_could_not"] = targets[2]
    performer = draw(st.sampled_from(["customer", "customer", "customer", "agent", "technician"]))
    node["performer"] = performer
    if performer == "technician" and draw(st.booleans()):
        node["skill"] = draw(st.sampled_from(_SKILLS))
    minutes = draw(st.none() | st.integers(1, 30))
    if minutes is not None:
        node["minutes"] = minutes
    if draw(st.booleans()):
        node["check"] = _text(draw, "Does it work now?")
    return node


def _collect(
    draw: st.DrawFn, i: int, node: dict[str, Any], spine: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    kind = draw(st.sampled_from(["number", "yesno", "choice", "text"]))
    name = f"c{i}"
    node.update(kind="collect", fact=name, type=kind, next=spine)
    fact: dict[str, Any] = {"name": name, "type": kind}
    if kind == "number":
        lo = draw(st.integers(-10, 10))
        hi = lo + draw(st.integers(0, 20))
        fact["min"] = lo if draw(st.integers(0, 4)) > 0 else None
        fact["max"] = hi if draw(st.integers(0, 4)) > 0 else None
        for bound in ("min", "max"):
            if fact[bound] is not None:
                node[bound] = fact[bound]
    elif kind == "choice":
        values = draw(st.lists(st.sampled_from(_CHOICES), min_size=2, max_size=4, unique=True))
        node["choices"] = values
        fact["values"] = values
    elif kind == "text":
        pattern = draw(st.sampled_from([*TEXT_PATTERNS, None]))
        if pattern is not None:
            node["pattern"] = pattern
        fact["pattern"] = pattern
    if _sometimes(draw, 6):
        node["required"] = False
    return node, fact


def _outcome(draw: st.DrawFn, node: dict[str, Any], kind: str) -> dict[str, Any]:
    node.update(kind="outcome", outcome=kind)
    if draw(st.booleans()):
        node["reason"] = _text(draw, f"Ends as {kind}")
    if kind == "resolved":
        if draw(st.booleans()):
            node["fault"] = draw(st.sampled_from(_FAULTS))
    elif kind == "escalate":
        node["queue"] = draw(st.sampled_from(_QUEUES))
        node["tier"] = draw(st.integers(1, 4))
        node["priority"] = draw(st.sampled_from(["low", "normal", "high", "urgent"]))
    else:
        node["skill"] = draw(st.sampled_from(_SKILLS))
        node["urgency"] = draw(st.sampled_from(["low", "normal", "urgent"]))
        node["parts"] = draw(st.lists(st.sampled_from(["router", "cable", "psu"]), max_size=2, unique=True))
        node["duration_minutes"] = draw(st.integers(15, 240))
    return node


@st.composite
def tree_dicts(
    draw: st.DrawFn,
    max_steps: int = 8,
    max_outcomes: int = 4,
    safety: int = 10,
    audience_rules: bool = True,
    audience_gate: bool = False,
) -> dict[str, Any]:
    """A valid, acyclic tree as the dict a tree file holds, every node reachable from ``start``.

    About one answer in ``safety`` and one node in ``safety + 2`` carry a safety sign (none when
    ``safety`` is 0). With ``audience_rules``, logic rules may route on the built-in ``mode`` fact;
    with ``audience_gate``, the tree starts with a logic node that sends agents elsewhere.
    """
    kinds = draw(st.lists(st.sampled_from(INTERIOR_KINDS), min_size=1, max_size=max_steps))
    outcome_kinds = draw(st.lists(st.sampled_from(OUTCOME_KINDS), min_size=1, max_size=max_outcomes))
    interior = [f"{kind}{i}" for i, kind in enumerate(kinds)]
    outcomes = [f"{kind}-end{j}" for j, kind in enumerate(outcome_kinds)]
    ids = interior + outcomes
    facts: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for i, kind in enumerate(kinds):
        spine = interior[i + 1] if i + 1 < len(interior) else draw(st.sampled_from(outcomes))
        later = ids[i + 1 :]
        node = _common(draw, interior[i], f"Step {i}: a {kind}", hint=i == 0, safety=safety)
        if kind == "question":
            node = _question(draw, i, node, spine, later, safety=safety)
            if "fact" in node:
                values = [o.get("value") or _slug(o["label"]) for o in node["options"]]
                facts.append({"name": node["fact"], "type": "option", "values": values})
        elif kind == "action":
            node = _action(draw, node, spine, later)
        elif kind == "collect":
            node, fact = _collect(draw, i, node, spine)
            facts.append(fact)
        else:
            targets = _links(draw, draw(st.integers(2, 4)), spine, later)
            rules = [{"when": _condition(draw, facts, audience_rules), "next": t} for t in targets[:-1]]
            node.update(kind="logic", rules=rules, default=targets[-1])
        nodes.append(node)
    linked = {t for n in nodes for t in node_targets(n)}
    for node_id, kind in zip(outcomes, outcome_kinds, strict=True):
        if node_id in linked:
            nodes.append(
                _outcome(draw, _common(draw, node_id, f"The end: {kind}", hint=False, safety=safety), kind)
            )
    start = interior[0]
    if audience_gate:
        agents_go = draw(st.sampled_from([n["id"] for n in nodes[1:]] or [start]))
        gate = {
            "id": "audience-gate",
            "kind": "logic",
            "rules": [{"when": "mode == 'agent'", "next": agents_go}],
        }
        nodes.insert(0, {**gate, "default": start})
        start = "audience-gate"
    return {
        "id": "generated",
        "title": _text(draw, "A generated tree"),
        "category": draw(st.sampled_from(["hardware", "software", "connectivity"])),
        "start": start,
        "nodes": nodes,
    }


def _slug(label: Any) -> str:
    text = label["en"] if isinstance(label, dict) else label
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")  # as the model derives a missing value


def node_targets(node: dict[str, Any]) -> list[str]:
    """Every link target written in a node dict."""
    out = [o["next"] for o in node.get("options", [])] + [r["next"] for r in node.get("rules", [])]
    out += [node[k] for k in ("next", "default", "on_fixed", "on_not_fixed", "on_could_not") if k in node]
    return out


def trees(
    max_steps: int = 8,
    max_outcomes: int = 4,
    safety: int = 10,
    audience_rules: bool = True,
    audience_gate: bool = False,
) -> st.SearchStrategy[Tree]:
    """Valid trees as pydantic :class:`Tree` objects (see :func:`tree_dicts`)."""
    return tree_dicts(max_steps, max_outcomes, safety, audience_rules, audience_gate).map(Tree.model_validate)


def session_facts() -> st.SearchStrategy[dict[str, Any]]:
    """Facts a caller may give at session start (never ``repeat_contacts``, which ends it at once)."""
    return st.fixed_dictionaries(
        {},
        optional={
            "visit_covered": st.booleans(),
            "customer_id": st.from_regex(r"C[0-9]{4}", fullmatch=True),
            "region": st.sampled_from(["north", "south"]),
        },
    )


def session_settings() -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for :meth:`Session.start`: the audience, the locale and the starting facts."""
    return st.fixed_dictionaries(
        {
            "mode": st.sampled_from(list(Audience)),
            "locale": st.sampled_from(["en", "de"]),
            "facts": session_facts(),
        }
    )


ROOMY = Policy(PolicyConfig(step_budget={Audience.AGENT: 10_000, Audience.SELF_SERVICE: 10_000}))
"""A policy whose step budget never interferes with walks of the generated trees."""


def policies() -> st.SearchStrategy[Policy]:
    """The default policy, a roomy one, or one with a small step budget for one or both audiences."""
    budgets = st.dictionaries(st.sampled_from(list(Audience)), st.integers(1, 5))
    return st.just(Policy()) | st.just(ROOMY) | budgets.map(lambda b: Policy(PolicyConfig(step_budget=b)))


def walks(max_size: int = 30) -> st.SearchStrategy[list[int]]:
    """A random walk: answer choices; step ``k`` takes choice ``walk[k % len(walk)]`` (see :func:`answer_for`)."""
    return st.lists(st.integers(0, 10_000), min_size=1, max_size=max_size)


def _bounds(view: StepView) -> tuple[int, int]:
    assert view.field is not None
    lo = view.field.min if view.field.min is not None else -NUMBER_SPAN
    hi = view.field.max if view.field.max is not None else NUMBER_SPAN
    return math.ceil(lo), math.floor(hi)


def answer_for(view: StepView, choice: int) -> Any:
    """The answer choice number ``choice`` picks at this step: always valid for it."""
    if view.options:
        return view.options[choice % len(view.options)].value
    assert view.field is not None, f"step {view.node_id!r} ({view.kind}) takes no answer"
    if view.field.type == "number":
        lo, hi = _bounds(view)
        return lo + choice % (hi - lo + 1)
    if view.field.pattern is not None:
        return TEXT_PATTERNS[view.field.pattern](choice)
    return f"free text {choice}"


def step_answers(view: StepView) -> st.SearchStrategy[Any]:
    """Any answer valid for this step: an option value, a number within bounds, a text matching the pattern."""
    if view.kind == "question":
        # by value, by label in any letter case, or by number (1 for the first option)
        values = st.sampled_from([o.value for o in view.options])
        labels = st.sampled_from([o.label for o in view.options]).flatmap(
            lambda label: st.sampled_from([label, label.upper(), f"  {label.lower()} "])
        )
        return values | labels | st.integers(1, len(view.options)).map(str)
    if view.kind == "action":
        return st.sampled_from(_ACTION_ANSWERS)
    assert view.field is not None, f"step {view.node_id!r} ({view.kind}) takes no answer"
    if view.field.type == "choice":
        return st.sampled_from(view.field.choices).flatmap(lambda c: st.sampled_from([c, c.upper()]))
    spec = view.field
    if spec.type == "yesno":
        out: st.SearchStrategy[Any] = st.sampled_from(["yes", "no", "Yes", " no ", "y", "n"]) | st.booleans()
    elif spec.type == "number":
        lo, hi = _bounds(view)
        real_lo = spec.min if spec.min is not None else lo
        real_hi = spec.max if spec.max is not None else hi
        out = (
            st.integers(lo, hi)
            | st.floats(real_lo, real_hi, allow_nan=False, allow_infinity=False)
            | st.integers(lo, hi).map(str)
        )
    elif spec.pattern is not None:
        out = st.from_regex(spec.pattern, fullmatch=True)
    else:
        out = st.text(min_size=1, max_size=20).filter(str.strip)
    if not spec.required:
        out = out | st.just("")
    return out


def session_ops(max_size: int = 25, handover: bool = False) -> st.SearchStrategy[list[tuple[str, Any]]]:
    """What a person may do in a session, in order; a step that does not fit the moment is skipped.

    ``("answer", choice)`` answers with :func:`answer_for`, ``("back", n)`` goes back to answered step
    ``n`` modulo how many there are, and ``("note", text)`` may carry a blank note (which must be refused).
    With ``handover``, ``("handover", mode)`` hands the session to another audience.
    """
    ops = [
        st.tuples(st.just("answer"), st.integers(0, 10_000)),
        st.tuples(st.just("answer"), st.integers(0, 10_000)),
        st.tuples(st.just("answer"), st.integers(0, 10_000)),
        st.tuples(st.just("tried"), st.just(0)),
        st.tuples(st.just("back"), st.integers(0, 10_000)),
        st.tuples(st.just("back-last"), st.just(0)),
        st.tuples(st.just("restart"), st.just(0)),
        st.tuples(st.just("note"), st.text(max_size=12)),
        st.tuples(st.just("escalate"), st.just(0)),
    ]
    if handover:
        ops.append(st.tuples(st.just("handover"), st.sampled_from([a.value for a in Audience])))
    return st.lists(st.one_of(ops), max_size=max_size)


# what Graphviz reads specially inside a quoted string: the quote, the backslash and its escapes
# (\N, \G, \E, \T, \H, \L name things; \n, \l, \r break lines), a newline; and DOT's own punctuation
_DOT_SPECIALS = [
    '"',
    "\\",
    "\n",
    "\r",
    '\\"',
    "\\N",
    "\\G",
    "\\l",
    "\\n",
    "{",
    "}",
    ";",
    "->",
    "//",
    "#",
    "<b>",
]


def dot_texts() -> st.SearchStrategy[str]:
    """Any text, with the characters DOT and Graphviz read specially (quotes, backslashes, ``\\N``...) made likely."""
    return st.one_of(
        st.text(), st.lists(st.one_of(st.sampled_from(_DOT_SPECIALS), st.text(max_size=3))).map("".join)
    )


# -- guidance: planning problems ------------------------------------------------------------------

_fix_chance = st.floats(0.05, 1.0)
_step_cost = st.sampled_from([0.5, 1, 2, 3, 5, 8, 13])


@st.composite
def one_fix_per_fault(draw: st.DrawFn) -> Problem:
    """Single fault, each action fixing a fault of its own (imperfectly), one always-resolving service."""
    n = draw(st.integers(1, 5))
    extra = draw(st.integers(0, 2))
    raw = draw(st.lists(st.floats(0.01, 1.0), min_size=n + extra, max_size=n + extra))
    total = math.fsum(raw)
    faults = [Fault(f"f{i}", x / total) for i, x in enumerate(raw)]
    actions = [Action(f"a{i}", draw(_step_cost), {f"f{i}": draw(_fix_chance)}) for i in range(n)]
    service = draw(st.sampled_from([1, 5, 15, 40, 100]))
    return Problem(faults, actions, single_service(service))


@st.composite
def tiny_general(draw: st.DrawFn) -> Problem:
    """Dependent actions, fault classes with a two-level service, and up to one question with 2-3 answers."""
    m = draw(st.integers(2, 4))
    raw = draw(st.lists(st.floats(0.01, 1.0), min_size=m, max_size=m))
    total = math.fsum(raw)
    classes = draw(st.lists(st.sampled_from(["self", "tier2", "onsite"]), min_size=m, max_size=m))
    faults = [
        Fault(f"f{i}", x / total, resolved_by=c) for i, (x, c) in enumerate(zip(raw, classes, strict=True))
    ]
    k = draw(st.integers(0, 1))
    n = draw(st.integers(1, 3))
    actions = []
    for i in range(n):
        targets = draw(st.sets(st.integers(0, m - 1), min_size=1, max_size=2))
        actions.append(Action(f"a{i}", draw(_step_cost), {f"f{t}": draw(_fix_chance) for t in targets}))
    questions = []
    if k:
        answers = draw(st.integers(2, 3 if n <= 2 else 2))
        lik: dict[str, dict[str, float]] = {f"o{o}": {} for o in range(answers)}
        for f in faults:
            weights = draw(st.lists(st.floats(0.05, 1.0), min_size=answers, max_size=answers))
            s = math.fsum(weights)
            for o, x in enumerate(weights):
                lik[f"o{o}"][f.id] = x / s
        questions.append(Question("q", draw(st.sampled_from([0.5, 1, 2])), lik))
    costs = draw(st.sampled_from([Costs(15, 60), Costs(40, 200), Costs(5, 20, visit_penalty=10)]))
    return Problem(faults, actions, costs, questions)


# -- conditions: expression trees for the reference evaluator -------------------------------------

FACT_NAMES = ("a", "b", "lights", "n_1")
"""Fact names the generated conditions use."""

_atoms = st.one_of(
    st.integers(-30, 30).map(lambda n: ("int", n)),
    st.sampled_from(FACT_NAMES).map(lambda name: ("fact", name)),
)
_comparisons = st.tuples(st.just("cmp"), st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), _atoms, _atoms)
_memberships = st.tuples(st.just("in"), st.booleans(), _atoms, st.lists(_atoms, max_size=4))
condition_expressions = st.recursive(
    _atoms | _comparisons | _memberships,
    lambda inner: st.one_of(
        st.tuples(st.just("not"), inner),
        st.tuples(st.just("and"), inner, inner),
        st.tuples(st.just("or"), inner, inner),
        st.tuples(st.just("paren"), inner),
    ),
    max_leaves=12,
)
int_facts = st.fixed_dictionaries({}, optional={name: st.integers(-30, 30) for name in FACT_NAMES})

# text operators and functions: ("str", s) and ("call", name, arg) join the tags above; a text operator
# compares text-valued operands, and count() / visits() are ordered against integers
NODE_NAMES = ("restart", "reset_router", "check_cable")
"""Node ids the generated ``visits('...')`` calls name."""

_words = st.sampled_from(
    # words in several letter cases and pieces of them, so a drawn pair often matches but for case;
    # "ß", "ẞ" and "SS" are one word ignoring case, though lower() keeps them apart
    ("Power", "pOWER", "power", "DSL", "ß", "ẞ", "SS", "pow", "ER", "")
)
_named_facts = st.sampled_from(FACT_NAMES).map(lambda name: ("fact", name))
_texts = _words.map(lambda s: ("str", s)) | _named_facts
_text_operands = _texts | _named_facts | st.tuples(st.just("call"), st.just("lower"), _texts)
_numbers = st.one_of(
    st.tuples(st.just("call"), st.just("count"), _texts),
    st.tuples(st.just("call"), st.just("visits"), st.sampled_from(NODE_NAMES).map(lambda n: ("str", n))),
)
_text_comparisons = st.tuples(
    st.just("cmp"),
    st.sampled_from(["~=", "!~", "startswith", "endswith", "contains", "contains"]),
    _text_operands,
    _texts,
)
_count_comparisons = st.tuples(
    st.just("cmp"),
    st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
    _numbers,
    st.integers(0, 3).map(lambda n: ("int", n)),
)
text_comparisons = _text_comparisons | _count_comparisons
"""One text operator or one comparison of count() or visits() with a number."""
text_condition_expressions = st.recursive(
    text_comparisons,
    lambda inner: st.one_of(
        st.tuples(st.just("not"), inner),
        st.tuples(st.just("and"), inner, inner),
        st.tuples(st.just("or"), inner, inner),
        st.tuples(st.just("paren"), inner),
    ),
    max_leaves=8,
)
"""Expressions with text operators and function calls, in the shape of :data:`condition_expressions`."""

_multi_select = st.lists(_words | st.sampled_from([None, 1]), min_size=1, max_size=3)
_not_text = st.none() | st.booleans() | st.integers(-2, 2)
text_facts = st.fixed_dictionaries(
    {name: st.one_of(_words, _multi_select, _multi_select, _not_text) for name in FACT_NAMES}
)
"""Facts for text conditions, every name set (null among the values): text in any letter case, multi-select
lists (with a stray number or null) and values that are not text at all."""

visit_maps = st.dictionaries(st.sampled_from(NODE_NAMES) | st.text(max_size=4), st.integers())
"""How often a walk reached each node, as the engine passes it: any counts, and nodes no condition names."""


# -- conditions: hostile text for the parser and odd facts for the evaluator ------------------------

CONDITION_TOKENS = (
    *("and", "or", "not", "in", "true", "false", "null", *FACT_NAMES),
    *("(", ")", "[", "]", ",", "==", "!=", "<", "<=", ">", ">=", "=", "&&", "!"),
    *("0", "-7", "2.5", "007", "1.", "'x'", '"y"', "'it\\'s'", "'", '"', "\\", "\n", "\t"),
    *("~=", "!~", "~", "startswith", "endswith", "contains"),
    *("visits", "count", "lower", "vists", "'restart'"),
)
"""Tokens of the condition language, plus near misses an author (or an attacker) might type."""

condition_texts = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(CONDITION_TOKENS), st.text(max_size=3)),
        st.sampled_from(["", " ", "  "]),
    ),
    max_size=40,
).map(lambda parts: "".join(token + space for token, space in parts))
"""Random strings of condition tokens and arbitrary text, most of which do not parse."""

_HOSTILE_SHAPES: dict[str, Callable[[int], str]] = {
    "parentheses": lambda n: "(" * n + "a" + ")" * n,
    "open parentheses": lambda n: "(" * n + "a",
    "close parentheses": lambda n: "a" + ")" * n,
    "nots": lambda n: "not " * n + "a",
    "not in parentheses": lambda n: "not (" * n + "a == 1" + ")" * n,
    "nested lists": lambda n: "a in " + "[" * n + "1" + "]" * n,
    "and chain": lambda n: " and ".join(["a"] * (n + 1)),
    "or of ands": lambda n: " or ".join(["a and not b"] * (n + 1)),
    "compact chain": lambda n: "1and " * n + "1",
    "dangling and": lambda n: "a and " * n,
    "long list": lambda n: "a in [" + ", ".join(str(i) for i in range(n)) + "]",
    "long number": lambda n: "a == " + "9" * (10 * n),
    "long decimal": lambda n: "a < 1." + "5" * (10 * n),
    "comparison chain": lambda n: " == ".join(["a"] * (n + 1)),
    "long string": lambda n: "a == '" + "x" * (10 * n) + "'",
    "chain of calls": lambda n: " or ".join(["count(a) > visits('b')"] * (n + 1)),
    "calls in calls": lambda n: "count(" * n + "a" + ")" * n,
    "calls in parentheses": lambda n: "(" * n + "lower(a) startswith 'x'" + ")" * n,
    "long node id": lambda n: "visits('" + "n" * (10 * n) + "') > 0",
}


@st.composite
def hostile_conditions(draw: st.DrawFn, most: int = 700) -> str:
    """A condition of a hostile shape (deep, long, wide or huge), from well within the limits to far past them."""
    shape = draw(st.sampled_from(sorted(_HOSTILE_SHAPES)))
    return _HOSTILE_SHAPES[shape](draw(st.integers(0, most)))


odd_fact_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**63]),
    st.floats(),
    st.text(max_size=4),
    st.sampled_from(["yes", "No", "1e999", "nan", "-0", "٣"]),
    st.lists(st.integers(-3, 3), max_size=3),
    st.lists(st.sampled_from(["power", "DSL", "Wi-Fi", "", "ß"]), max_size=3),
)
"""Fact values of every type a session might hold, including ones no number or string compares with."""

odd_facts = st.dictionaries(st.sampled_from(FACT_NAMES), odd_fact_values)
