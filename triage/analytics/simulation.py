"""Tier-1 resolution, measured: simulated customers walk every customer-facing tree with the real engine.

For each tree, each simulated customer gets a hidden fault drawn from the tree's ``faults`` priors (seeded;
a tree without priors draws uniformly from the faults its steps and outcomes name, and says so), then walks
the tree through :class:`~triage.walk.session.Session`, answering as :mod:`.simulated_customer` describes.
Logic routes on facts, procedures are called and return, hand-overs are followed into the target tree with
the facts carried (the customer's fault stays if the target tree knows it, else one is drawn from its
priors), and the engine's policy applies as in a real session (who may do a step, the step budget, safety).

Modes: ``agent`` (a tier-1 agent walks with the customer), ``self_service`` (the customer alone; an
escalation is an escalation) and ``both`` (the customer starts alone; where self-service stops only
because a step needs an agent, or its step budget ran out, a tier-1 agent takes over the same session, as
:meth:`~triage.walk.session.Session.handover` does on the pages). Resolutions are counted by who was at the
keyboard when the walk ended.

Figures per tree: the share of walks ending in each decision kind, resolved split into self-service and
tier 1, the share *closed at the first line* (resolved, a part shipped, a send-in repair or a diagnosis the
customer acts on: no escalation, no visit), the mean handling minutes (the ``minutes`` of the actions and
instructions walked, plus the time of each wait), each with a 95% interval (Wilson for shares, normal for
minutes); walks that reached a line or cable visit (a visit whose skill names a line or cable) without
passing an outage check (a logic rule reading ``outage_in_area``) and a remote check (a ``check`` step that
gave a result) first; and, for trees of a service, the same customers again with an outage declared in
their area. The library's figures weight each tree by its call-volume share (:mod:`.volumes`).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from triage.analytics.simulated_customer import CustomerModel, Hidden
from triage.errors import LibraryError, SessionError
from triage.guidance.simulate import mean_ci
from triage.trees.model import (
    ActionNode,
    AnyNode,
    Audience,
    CallNode,
    CheckNode,
    InstructionNode,
    LogicNode,
    OutcomeKind,
    Tree,
    WaitNode,
)
from triage.walk.policy import Decision
from triage.walk.session import Session

__all__ = [
    "CLOSED_AT_FIRST_LINE",
    "KINDS",
    "MODES",
    "TARGET_FIRST_LINE",
    "TARGET_VISITS",
    "LibraryFigures",
    "Mode",
    "Share",
    "Target",
    "TreeFigures",
    "WalkResult",
    "is_line_skill",
    "simulate_library",
    "simulate_tree",
    "tree_faults",
    "wilson",
]

Mode = Literal["agent", "self_service", "both"]
MODES: tuple[Mode, ...] = ("agent", "self_service", "both")
KINDS = tuple(k.value for k in OutcomeKind)
"""Decision kinds in the order the figures list them; ``handover`` only where a hand-over could not be followed."""
CLOSED_AT_FIRST_LINE = ("resolved", "ship_part", "repair", "diagnosis")
"""Decisions that close the contact without an escalation or a visit."""
TARGET_FIRST_LINE = 0.85
"""The shipped library closes at least this share of contacts at the first line (volume-weighted)."""
TARGET_VISITS = 0.05
"""... and sends a technician to at most this share."""

MAX_HANDOVERS = 3  # hand-overs followed in one contact; more is a loop between trees, counted as "handover"
MAX_ANSWERS = 400  # answers in one contact before the walk counts as stuck
_TO_AGENT = frozenset({"performer", "budget"})  # self-service stops an agent takes over in mode "both"
# facts a hand-over never carries: the new session works them out (as triage.desk.handover.carried_facts)
_OWN_FACTS = frozenset({"mode", "locale", "repeat_contacts", "outage_in_area", "outage_eta"})
_ALWAYS_CARRIED = ("customer_id", "region", "customer_words")
_OUTAGE_FACTS = {"outage_in_area": True, "outage_eta": "2030-01-01T18:00:00+00:00"}


def is_line_skill(skill: str | None) -> bool:
    """A visit to the line or the cable network (``broadband-line``, ``cable-tv``): checks come first."""
    words = (skill or "").lower()
    return "line" in words or "cable" in words


# -- figures -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """A share with its 95% interval."""

    value: float
    low: float
    high: float


def wilson(hits: float, n: float, z: float = 1.96) -> Share:
    """The share ``hits / n`` with its Wilson score interval (sound at 0 and 1, where the normal one is not).

    >>> s = wilson(80, 100)
    >>> round(s.value, 2), round(s.low, 3), round(s.high, 3)
    (0.8, 0.711, 0.867)
    """
    if n <= 0:
        return Share(math.nan, math.nan, math.nan)
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Share(p, max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class WalkResult:
    """One simulated contact, from its first tree to its decision (through hand-overs)."""

    fault: str
    kind: str
    by: Audience
    minutes: float
    trees: tuple[str, ...]
    end: str
    outage_told: bool = False
    unchecked_line_visit: bool = False
    stuck: str | None = None


@dataclass(frozen=True)
class TreeFigures:
    """One tree's simulated contacts (see the module docstring for each figure)."""

    tree_id: str
    customers: int
    mode: Mode
    priors: Literal["authored", "uniform"]
    counts: Mapping[str, int]
    resolved_self_service: int
    resolved_agent: int
    minutes: float
    minutes_ci: float
    unchecked_line_visits: tuple[str, ...]
    stuck: tuple[str, ...]
    outage_told: int = 0
    outage: TreeFigures | None = None

    def share(self, kind: str) -> Share:
        """The share of contacts ending in ``kind``."""
        return wilson(self.counts.get(kind, 0), self.customers)

    @property
    def first_line(self) -> Share:
        """Closed at the first line: no escalation and no visit."""
        return wilson(sum(self.counts.get(k, 0) for k in CLOSED_AT_FIRST_LINE), self.customers)

    @property
    def self_service(self) -> Share:
        """Resolved by the customer alone."""
        return wilson(self.resolved_self_service, self.customers)

    @property
    def tier1(self) -> Share:
        """Resolved with a tier-1 agent."""
        return wilson(self.resolved_agent, self.customers)


@dataclass(frozen=True)
class Target:
    """One target of the shipped library and whether the figures meet it."""

    name: str
    goal: str
    value: float
    met: bool


@dataclass(frozen=True)
class LibraryFigures:
    """Every tree's figures and the library's, each tree weighted by its call-volume share."""

    trees: tuple[TreeFigures, ...]
    weights: Mapping[str, float]
    unweighted: tuple[str, ...] = field(default=())

    def _w(self) -> list[tuple[TreeFigures, float]]:
        pairs = [(f, self.weights.get(f.tree_id, 0.0)) for f in self.trees]
        total = math.fsum(w for _, w in pairs)
        return [(f, w / total) for f, w in pairs if w > 0] if total > 0 else []

    def _weighted(self, count: Callable[[TreeFigures], int]) -> Share:
        pairs = self._w()
        if not pairs:
            return Share(math.nan, math.nan, math.nan)
        p = math.fsum(w * count(f) / f.customers for f, w in pairs)
        # the effective number of contacts behind a weighted share (Kish): its interval is Wilson's at that n
        n_eff = 1.0 / math.fsum(w * w / f.customers for f, w in pairs)
        return wilson(p * n_eff, n_eff)

    def share(self, kind: str) -> Share:
        """The volume-weighted share of contacts ending in ``kind``."""
        return self._weighted(lambda f: f.counts.get(kind, 0))

    @property
    def first_line(self) -> Share:
        """The volume-weighted share closed at the first line."""
        return self._weighted(lambda f: sum(f.counts.get(k, 0) for k in CLOSED_AT_FIRST_LINE))

    @property
    def self_service(self) -> Share:
        return self._weighted(lambda f: f.resolved_self_service)

    @property
    def tier1(self) -> Share:
        return self._weighted(lambda f: f.resolved_agent)

    @property
    def minutes(self) -> tuple[float, float]:
        """Volume-weighted mean handling minutes and the half-width of its 95% interval."""
        pairs = self._w()
        mean = math.fsum(w * f.minutes for f, w in pairs)
        ci = math.sqrt(math.fsum((w * f.minutes_ci) ** 2 for f, w in pairs if not math.isnan(f.minutes_ci)))
        return mean, ci

    @property
    def unchecked_line_visits(self) -> int:
        """Simulated walks, over all trees, that reached a line or cable visit without the checks."""
        return sum(len(f.unchecked_line_visits) for f in self.trees)

    def targets(self) -> list[Target]:
        """The shipped library's targets, judged on the volume-weighted point figures."""
        first, visits, unchecked = (
            self.first_line.value,
            self.share("visit").value,
            self.unchecked_line_visits,
        )
        return [
            Target(
                "first_line",
                f">= {TARGET_FIRST_LINE:.0%} closed without escalation or visit",
                first,
                first >= TARGET_FIRST_LINE,
            ),
            Target("visits", f"<= {TARGET_VISITS:.0%} visits", visits, visits <= TARGET_VISITS),
            Target(
                "line_checks",
                "0 line or cable visits without the outage and remote checks",
                unchecked,
                unchecked == 0,
            ),
        ]


# -- the customers -----------------------------------------------------------------------------------------


def tree_faults(
    library: Mapping[str, Tree], tree: Tree
) -> tuple[list[tuple[str, float, str]], Literal["authored", "uniform"]]:
    """(fault id, prior, resolved_by) to draw from, and whether the priors are the author's.

    Without authored priors: every fault the tree's steps and outcomes (and its procedures') name, equally
    likely, except outages (a simulated outage is declared, not drawn); ``unknown`` if none is named.
    """
    if tree.faults and math.fsum(f.prior for f in tree.faults) > 0:
        return [(f.id, f.prior, f.resolved_by) for f in tree.faults], "authored"
    named: dict[str, None] = {}
    for t in _with_procedures(library, tree):
        for node in t.nodes:
            for fault in _named_faults(node):
                if "outage" not in fault:
                    named.setdefault(fault)
    ids = list(named) or ["unknown"]
    return [(f, 1.0 / len(ids), "self") for f in ids], "uniform"


def _with_procedures(library: Mapping[str, Tree], tree: Tree) -> list[Tree]:
    out, todo, seen = [], [tree.id], set()
    while todo:
        tid = todo.pop()
        if tid in seen or tid not in library:
            continue
        seen.add(tid)
        out.append(library[tid])
        todo += [n.procedure for n in library[tid].nodes if isinstance(n, CallNode)]
    return out


def _named_faults(node: AnyNode) -> list[str]:
    if isinstance(node, ActionNode):
        return [f for f, p in node.fixes.items() if p > 0]
    fault = getattr(node, "fault", None)
    return [fault] if isinstance(fault, str) else []


def _draw(faults: Sequence[tuple[str, float, str]], rng: random.Random) -> tuple[str, str]:
    total = math.fsum(p for _, p, _ in faults)
    u, acc = rng.random() * total, 0.0
    for fid, p, kind in faults:
        acc += p
        if u < acc:
            return fid, kind
    return faults[-1][0], faults[-1][2]


# -- one contact -------------------------------------------------------------------------------------------


@dataclass
class _Contact:
    """What one contact has done so far, across its sessions."""

    minutes: float = 0.0
    outage_checked: bool = False
    remote_checked: bool = False
    trees: list[str] = field(default_factory=list)

    def answered(self, node: AnyNode, answer: Any) -> None:
        if isinstance(node, ActionNode | InstructionNode):
            self.minutes += node.minutes or 0.0
        elif isinstance(node, WaitNode):
            self.minutes += node.seconds / 60.0
        elif isinstance(node, CheckNode) and answer != "unavailable":
            self.remote_checked = True

    def passed(self, s: Session) -> None:
        """The session's automatic steps: did a logic rule read the outage facts?"""
        for step in s.path:
            if step.kind == "logic":
                node = s.node_at(step.pos)
                if isinstance(node, LogicNode) and any("outage_in_area" in r.when for r in node.rules):
                    self.outage_checked = True


class _Walker:
    """Walks simulated customers through the library's trees, one contact at a time."""

    def __init__(self, library: Mapping[str, Tree], mode: Mode, outage: bool) -> None:
        self.library = library
        self.mode = mode
        self.outage = outage
        self.models: dict[str, CustomerModel] = {}
        self.faults: dict[str, list[tuple[str, float, str]]] = {}

    def model(self, tree_id: str) -> CustomerModel:
        if tree_id not in self.models:
            self.models[tree_id] = CustomerModel(self.library, tree_id)
        return self.models[tree_id]

    def faults_of(self, tree: Tree) -> list[tuple[str, float, str]]:
        if tree.id not in self.faults:
            self.faults[tree.id] = tree_faults(self.library, tree)[0]
        return self.faults[tree.id]

    def _start(self, tree: Tree, facts: Mapping[str, Any], mode: Audience | None = None) -> Session:
        if mode is None:
            self_first = self.mode != "agent" and Audience.SELF_SERVICE in tree.audiences
            mode = Audience.SELF_SERVICE if self_first else Audience.AGENT
        given = {**facts, **(_OUTAGE_FACTS if self.outage and tree.service else {})}
        return Session.start(self.library, tree.id, mode=mode, facts=given, session_id="simulated")

    def walk(self, tree_id: str, who: Hidden) -> WalkResult:
        """One contact from ``tree_id`` to its decision."""
        contact = _Contact(trees=[tree_id])
        s = self._start(self.library[tree_id], {"region": "simulated"})
        try:
            for _ in range(MAX_ANSWERS):
                if s.decision is None:
                    assert s.pos is not None
                    node = s.node
                    answer = self.model(s.tree_id).answer(
                        node, s.pos, s.facts, s.visit_counts(s.pos.tree_id), who
                    )
                    contact.answered(node, answer)
                    s.submit(answer)
                    continue
                nxt = self._after(s, s.decision, contact, who)
                if nxt is None:
                    return self._result(s, s.decision, contact, who)
                s = nxt
        except SessionError as exc:
            return WalkResult(
                who.fault, "stuck", s.mode, contact.minutes, tuple(contact.trees), _where(s), stuck=str(exc)
            )
        return WalkResult(
            who.fault,
            "stuck",
            s.mode,
            contact.minutes,
            tuple(contact.trees),
            _where(s),
            stuck=f"more than {MAX_ANSWERS} answers",
        )

    def _after(self, s: Session, d: Decision, contact: _Contact, who: Hidden) -> Session | None:
        """The session the contact goes on in after decision ``d``, or ``None`` where it ends there."""
        if (
            self.mode == "both"
            and s.mode is Audience.SELF_SERVICE
            and d.kind is OutcomeKind.ESCALATE
            and d.rule in _TO_AGENT
        ):
            s.handover(Audience.AGENT)
            return s
        target = self.library.get(d.handover_tree or "")
        if d.kind is not OutcomeKind.HANDOVER or target is None or len(contact.trees) > MAX_HANDOVERS:
            return None
        if s.mode not in target.audiences:
            return None
        contact.passed(s)
        contact.trees.append(target.id)
        faults = self.faults_of(target)
        if who.fault not in {f for f, _, _ in faults}:  # the problem is the other tree's: one of its faults
            who.fault, who.kind = _draw(faults, who.rng)
            who.fixed = False
        return self._start(target, _carried(s.facts, d.carry), s.mode)

    def _result(self, s: Session, d: Decision, contact: _Contact, who: Hidden) -> WalkResult:
        contact.passed(s)
        checked = contact.outage_checked and contact.remote_checked
        unchecked = d.kind is OutcomeKind.VISIT and is_line_skill(d.skill) and not checked
        return WalkResult(
            fault=who.fault,
            kind=d.kind.value,
            by=s.mode,
            minutes=contact.minutes,
            trees=tuple(contact.trees),
            end=f"{d.tree_id}:{d.node_id}",
            outage_told=d.outage,
            unchecked_line_visit=unchecked,
        )


def _where(s: Session) -> str:
    return s.pos.key if s.pos is not None else s.tree_id


def _carried(facts: Mapping[str, Any], carry: list[str] | None) -> dict[str, Any]:
    names = [n for n in facts if n not in _OWN_FACTS] if carry is None else [*carry, *_ALWAYS_CARRIED]
    return {n: facts[n] for n in dict.fromkeys(names) if n in facts and facts[n] is not None}


# -- a tree, the library -----------------------------------------------------------------------------------


def _figures(
    tree: Tree, mode: Mode, priors: Literal["authored", "uniform"], results: Sequence[WalkResult]
) -> TreeFigures:
    counts = Counter(r.kind for r in results)
    resolved = [r for r in results if r.kind == "resolved"]
    minutes, ci = mean_ci([r.minutes for r in results])
    return TreeFigures(
        tree_id=tree.id,
        customers=len(results),
        mode=mode,
        priors=priors,
        counts=dict(counts),
        resolved_self_service=sum(r.by is Audience.SELF_SERVICE for r in resolved),
        resolved_agent=sum(r.by is Audience.AGENT for r in resolved),
        minutes=minutes,
        minutes_ci=ci,
        unchecked_line_visits=tuple(
            f"fault {r.fault}: {' > '.join(r.trees)} ended at {r.end}"
            for r in results
            if r.unchecked_line_visit
        ),
        stuck=tuple(f"fault {r.fault}: at {r.end}: {r.stuck}" for r in results if r.stuck),
        outage_told=sum(r.outage_told for r in results),
    )


def simulate_tree(
    library: Mapping[str, Tree],
    tree_id: str,
    *,
    customers: int = 1000,
    seed: int = 0,
    mode: Mode = "both",
    with_outage: bool = True,
) -> TreeFigures:
    """``customers`` simulated contacts starting in ``tree_id`` (seeded), and for a tree of a service the
    same customers with an outage declared (``outage``)."""
    tree = library.get(tree_id)
    if tree is None:
        raise LibraryError(f"no tree {tree_id!r} in the library")
    if tree.procedure:
        raise LibraryError(f"{tree_id!r} is a procedure: simulate the trees that call it")
    if customers < 1:
        raise ValueError(f"customers must be at least 1 (got {customers})")
    faults, priors = tree_faults(library, tree)

    def run(outage: bool) -> list[WalkResult]:
        walker = _Walker(library, mode, outage)
        out = []
        for i in range(customers):
            # one generator per customer: the outage run meets the same customers with the same draws
            rng = random.Random(f"triage-library:{seed}:{tree_id}:{i}")
            fault, kind = _draw(faults, rng)
            out.append(walker.walk(tree_id, Hidden(fault, kind, rng)))
        return out

    figures = _figures(tree, mode, priors, run(False))
    if not (with_outage and tree.service):
        return figures
    return TreeFigures(**{**figures.__dict__, "outage": _figures(tree, mode, priors, run(True))})


def simulate_library(
    library: Mapping[str, Tree],
    weights: Mapping[str, float],
    *,
    customers: int = 1000,
    seed: int = 0,
    mode: Mode = "both",
    progress: Callable[[int, int, str], None] | None = None,
) -> LibraryFigures:
    """Every customer-facing tree of ``library``, weighted by its call-volume share in ``weights``."""
    trees = sorted((t for t in library.values() if not t.procedure), key=lambda t: t.id)
    out = []
    for i, tree in enumerate(trees, start=1):
        out.append(simulate_tree(library, tree.id, customers=customers, seed=seed, mode=mode))
        if progress is not None:
            progress(i, len(trees), tree.id)
    unweighted = tuple(t.id for t in trees if weights.get(t.id, 0.0) <= 0)
    return LibraryFigures(tuple(out), dict(weights), unweighted)
