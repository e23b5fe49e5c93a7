"""Demo data: weeks of plausible support history, so a fresh installation has something to show.

:func:`generate_demo_data` publishes the shipped trees and then simulates contacts day by day:

* customers start sessions on the shipped trees — common problems more often than rare ones — as agent
  calls or in self-service, in English or German, mostly in working hours;
* every session is walked by the real engine with a fake clock: options picked at random with a bias,
  actions fixing the problem about as often as the tree says they should, a few answers marked "already
  tried", notes, a step taken back now and then; some customers give up midway (drop-offs) or ask for a
  person;
* some customers come back about the same problem within the repeat window, so earlier "resolved"
  sessions turn into "not resolved" and a third contact escalates at once, as the store would do;
* tier 2 claims and closes most escalations with the fault actually found (through :class:`~triage.records.cases.Queue`);
* technicians (through :class:`~triage.visits.scheduling.Scheduler`) are booked for visits; past visits are closed
  with a closure code.

Sessions are written the way :class:`~triage.records.store.StoredSession` writes them — the engine's own events,
the same summary row, the case created by :func:`~triage.records.cases.sync_case` — but in one transaction instead
of one per step, so ~1,500 sessions take seconds. Everything is drawn from one random generator: the same
seed and ``now`` give the same history.
"""

from __future__ import annotations

import heapq
import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update

from triage.errors import BookingError, DemoError, InvalidAnswer, StoreError, TriageError
from triage.records.cases import Queue, sync_case
from triage.records.schema import Case, EventRow, SessionRow, utcnow
from triage.records.store import Store
from triage.trees.library import Library
from triage.trees.model import (
    ActionNode,
    Audience,
    CallNode,
    CollectNode,
    FactType,
    OutcomeKind,
    QuestionNode,
    Tree,
    VisitOutcome,
    localize,
)
from triage.visits.scheduling import Scheduler
from triage.walk.policy import Policy
from triage.walk.scenarios import load_library
from triage.walk.session import Session

__all__ = [
    "DEMO_PREFIX",
    "DemoError",
    "DemoReport",
    "answer_samples",
    "ensure_demo",
    "generate_demo_data",
    "session_rows",
    "simulate_walk",
]


@dataclass(frozen=True)
class DemoReport:
    """What :func:`generate_demo_data` wrote."""

    sessions: int
    events: int
    resolved: int
    escalated: int
    visits: int
    undecided: int
    repeat_contacts: int
    not_resolved: int
    cases: int
    cases_closed: int
    technicians: int
    bookings: int
    visits_closed: int
    first_started: datetime | None
    last_started: datetime | None


# -- answering like a person -----------------------------------------------------------------------

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
    """How long a person plausibly takes at a step."""
    if isinstance(node, ActionNode):
        base = (node.minutes or 2.0) * 60.0
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
            if isinstance(node, QuestionNode):
                s.submit(_choose_option(rng, node))
            elif isinstance(node, ActionNode):
                _act(rng, s, node, audience)
            elif isinstance(node, CollectNode):
                _collect(rng, s, node, samples.get(s.pos.key, ()))
        except InvalidAnswer:
            break  # nothing plausible fits: the person gives up here
    return s


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


# -- rows as the store writes them -----------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def session_rows(
    s: Session,
    *,
    pins: Mapping[str, int],
    root_version: int,
    customer_id: str | None = None,
    repeat_of: str | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``sessions`` row and ``events`` rows that :class:`~triage.records.store.StoredSession` would have written."""
    d = s.decision
    pos = s.pos
    row = {
        "id": s.id,
        "tree_id": s.tree_id,
        "root_version": root_version,
        "pins": dict(pins),
        "mode": s.mode.value,
        "locale": s.locale,
        "customer_id": customer_id,
        "status": "decided" if d else "open",
        "started_at": s.events[0].at,
        "updated_at": s.events[-1].at,
        "decided_at": s.events[-1].at if d else None,
        "steps": sum(1 for st in s.path if not st.auto),
        "last_tree": pos.tree_id if pos else None,
        "last_node": pos.node_id if pos else None,
        "decision_kind": d.kind.value if d else None,
        "decision_rule": d.rule if d else None,
        "decision_node": d.node_id if d else None,
        "decision": d.model_dump(mode="json") if d else None,
        "truth": None,
        "repeat_of": repeat_of,
        "true_fault": None,
        "closure_code": None,
        "closure_fix": None,
        "closure_source": None,
    }
    events = []
    for ev in s.events:
        tree_id, _, node_id = (ev.node or "").partition(":")
        events.append(
            {
                "session_id": s.id,
                "seq": ev.seq,
                "at": ev.at,
                "type": ev.type,
                "tree_id": tree_id or None,
                "node_id": node_id or None,
                "value": _plain(ev.value),
            }
        )
    return row, events


# -- the history -----------------------------------------------------------------------------------

_REGIONS = ("berlin", "hamburg", "munich")
_STAFF = ("Kim Berger", "Ole Hansen", "Priya Nair", "Tomasz Nowak")
_WEEKDAY_LOAD = (1.25, 1.1, 1.0, 1.0, 0.95, 0.7, 0.55)  # Monday is busiest, Sunday quietest
_HOURS = tuple(range(7, 22))  # contacts start between 07:00 and 21:59 UTC, mostly mid-morning
_HOUR_LOAD = (1, 3, 5, 6, 5, 4, 4, 4, 4, 4, 5, 5, 4, 2, 1)
_GENERIC_FAULTS = {
    "connectivity": ("line_fault", "router_fault", "wifi_settings", "provider_outage"),
    "hardware": ("component_failure", "cable_fault", "user_handling"),
    "software": ("corrupt_install", "account_locked", "config_error"),
}
_TECHNICIANS = (
    # name, categories of skills, regions, working days
    ("Anna Becker", ("connectivity",), ("berlin", "hamburg"), ("mon", "tue", "wed", "thu", "fri")),
    ("Jonas Weber", ("connectivity",), ("munich", "berlin"), ("mon", "tue", "wed", "thu", "fri")),
    ("Mia Schulz", ("hardware", "software"), ("berlin", "hamburg"), ("mon", "tue", "wed", "thu", "fri")),
    ("Lukas Fischer", ("hardware", "software"), ("munich",), ("mon", "tue", "wed", "thu", "fri")),
    ("Sofia Wagner", ("connectivity", "hardware", "software"), _REGIONS, ("tue", "wed", "thu", "fri", "sat")),
)
DEMO_PREFIX = "demo-"


@dataclass(frozen=True)
class _Customer:
    id: str
    locale: str
    region: str
    covered: bool
    self_service: float  # how likely this customer helps themselves online


@dataclass(frozen=True)
class _Contact:
    customer: _Customer
    tree_id: str


def _skills(library: Mapping[str, Tree], policy: Policy) -> dict[str, set[str]]:
    """Visit skills per tree category, from visit outcomes and technician-only actions."""
    out: dict[str, set[str]] = defaultdict(set)
    for tree in library.values():
        for node in tree.nodes:
            if isinstance(node, VisitOutcome):
                out[tree.category.value].add(node.skill)
            elif isinstance(node, ActionNode) and node.performer.value == "technician":
                out[tree.category.value].add(node.skill or policy.config.default_visit_skill)
    for cat in out.values():
        cat.add(policy.config.default_visit_skill)
    return out


def _faults(tree: Tree) -> tuple[list[str], list[float], dict[str, str]]:
    """Closure codes a tree's problems end in: its listed faults by prior, else generic ones."""
    if tree.faults:
        titles = {f.id: localize(f.title, "en") or f.id.replace("_", " ") for f in tree.faults}
        return [f.id for f in tree.faults], [max(f.prior, 0.01) for f in tree.faults], titles
    codes = list(_GENERIC_FAULTS[tree.category.value])
    return codes, [1.0] * len(codes), {c: c.replace("_", " ") for c in codes}


def _pins(library: Mapping[str, Tree], ids: Mapping[str, int], tree_id: str) -> dict[str, int]:
    pins: dict[str, int] = {}
    stack = [tree_id]
    while stack:
        tid = stack.pop()
        if tid not in pins:
            pins[tid] = ids[tid]
            stack += [n.procedure for n in library[tid].nodes if isinstance(n, CallNode)]
    return pins


class _History:
    """The state of one generation run: the random generator, the published trees, what was made so far."""

    def __init__(self, store: Store, rng: random.Random, now: datetime, library: Library) -> None:
        self.store = store
        self.rng = rng
        self.now = now
        ids = store.latest_ids()
        published = store.library()
        self.library: dict[str, Tree] = {tid: published[tid] for tid in ids if tid in library}
        self.versions = {v.tree_id: v.version for tid in self.library if (v := store.latest_version(tid))}
        offered = sorted(t.id for t in self.library.values() if not t.procedure)
        rng.shuffle(offered)  # which problems are common differs from seed to seed
        self.offered = offered
        self.popularity = [1.0 / (rank + 1) ** 0.8 for rank in range(len(offered))]
        self.pins = {tid: _pins(self.library, ids, tid) for tid in offered}
        self.samples = answer_samples(self.library)
        self.sessions: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.walks: dict[str, Session] = {}
        self.by_customer: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self.repeats = 0

    def customers(self, n: int) -> list[_Customer]:
        rng = self.rng
        return [
            _Customer(
                id=f"{DEMO_PREFIX}cust-{i:05d}",
                locale="de" if rng.random() < 0.4 else "en",
                region=rng.choice(_REGIONS),
                covered=rng.random() < 0.85,
                self_service=rng.choice((0.15, 0.45, 0.8)),
            )
            for i in range(n)
        ]

    def contact(self, when: datetime, c: _Contact) -> dict[str, Any]:
        """One session: the store's repeat-contact rule, then a walk, then its rows."""
        rng = self.rng
        tree = self.library[c.tree_id]
        wants_self = rng.random() < c.customer.self_service
        modes = [Audience(m) for m in tree.audiences]
        mode = Audience.SELF_SERVICE if wants_self else Audience.AGENT
        if mode not in modes:
            mode = modes[0]
        facts: dict[str, Any] = {
            "customer_id": c.customer.id,
            "region": c.customer.region,
            "visit_covered": c.customer.covered,
        }
        if "outage_in_area" in tree.facts:
            facts["outage_in_area"] = rng.random() < 0.04
        # what Store.start_session does: count earlier contacts in the repeat window, overturn "resolved"
        earlier = [
            s
            for s in self.by_customer[(c.customer.id, c.tree_id)]
            if s["started_at"] >= when - self.store.repeat_window
        ]
        repeat_of = None
        if earlier:
            facts["repeat_contacts"] = len(earlier)
            repeat_of = earlier[-1]["id"]
            self.repeats += 1
            for s in earlier:
                if s["decision_kind"] == "resolved":
                    s["truth"] = "not_resolved"
        sid = DEMO_PREFIX + uuid.UUID(int=rng.getrandbits(128), version=4).hex
        walk = simulate_walk(
            self.library,
            c.tree_id,
            rng=rng,
            start=when,
            mode=mode,
            locale=c.customer.locale,
            facts=facts,
            session_id=sid,
            policy=self.store.policy,
            samples=self.samples,
        )
        row, events = session_rows(
            walk,
            pins=self.pins[c.tree_id],
            root_version=self.versions[c.tree_id],
            customer_id=c.customer.id,
            repeat_of=repeat_of,
        )
        self.sessions.append(row)
        self.events += events
        self.by_customer[(c.customer.id, c.tree_id)].append(row)
        if walk.decision is not None and walk.decision.kind is not OutcomeKind.RESOLVED:
            self.walks[sid] = walk  # kept for the case hand-off and the visit booking
        return row

    def simulate(self, days: int, per_day: int) -> None:
        rng = self.rng
        begin = (self.now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
        expected = int(
            sum(per_day * _WEEKDAY_LOAD[(begin + timedelta(days=d)).weekday()] for d in range(days + 1))
        )
        people = self.customers(max(10, int(expected * 0.75)))
        queue: list[tuple[datetime, int, _Contact]] = []
        order = 0
        for d in range(days + 1):
            day = begin + timedelta(days=d)
            n = max(0, round(per_day * _WEEKDAY_LOAD[day.weekday()] * rng.uniform(0.85, 1.15)))
            for _ in range(n):
                at = day + timedelta(hours=rng.choices(_HOURS, _HOUR_LOAD)[0], seconds=rng.uniform(0, 3600))
                if not self.now - timedelta(days=days) <= at < self.now:
                    continue
                tree_id = rng.choices(self.offered, self.popularity)[0]
                heapq.heappush(queue, (at, order, _Contact(rng.choice(people), tree_id)))
                order += 1
        while queue:
            at, _, c = heapq.heappop(queue)
            row = self.contact(at, c)
            kind = row["decision_kind"]
            # the problem comes back (or the customer chases an open one): a repeat contact
            chance = {"resolved": 0.12, None: 0.15}.get(kind, 0.04)
            if rng.random() < chance:
                again = at + timedelta(hours=rng.uniform(3, 6 * 24))
                if again < self.now:
                    heapq.heappush(queue, (again, order, c))
                    order += 1

    def write(self) -> int:
        """Insert every session and event in one transaction; the store's own rule opens the cases."""
        with self.store.tx() as db:
            for i in range(0, len(self.sessions), 2000):
                db.execute(insert(SessionRow), self.sessions[i : i + 2000])
            for i in range(0, len(self.events), 20000):
                db.execute(insert(EventRow), self.events[i : i + 20000])
            for row in self.sessions:
                walk = self.walks.get(row["id"])
                if walk is not None and row["decision_kind"] == "escalate":
                    sync_case(db, walk)
            db.flush()
            return int(
                db.scalar(
                    select(func.count()).select_from(Case).where(Case.session_id.like(f"{DEMO_PREFIX}%"))
                )
                or 0
            )

    def work_cases(self) -> int:
        """Tier 2 (and tier 1) claim cases and close them with the fault found, as time allows."""
        rng = self.rng
        queue = Queue(self.store)
        trees = {r["id"]: r["tree_id"] for r in self.sessions}
        claimed: list[dict[str, Any]] = []
        closed: list[dict[str, Any]] = []
        for case in sorted(queue.list_cases(status="open", limit=100_000), key=lambda c: c.id):
            if not case.session_id.startswith(DEMO_PREFIX):
                continue
            claim_at = case.created_at + timedelta(minutes=rng.uniform(5, 8 * 60))
            close_at = claim_at + timedelta(minutes=rng.uniform(20, 2 * 24 * 60))
            if claim_at >= self.now:
                continue
            who = rng.choice(_STAFF)
            queue.claim(case.id, who)
            if close_at >= self.now or rng.random() < 0.04:
                claimed.append({"b_id": case.id, "b_claimed": claim_at})
                continue
            codes, weights, titles = _faults(self.library[trees[case.session_id]])
            code = rng.choices(codes, weights)[0]
            queue.close(
                case.id, who, code, f"Found: {titles[code]}; fixed remotely or by a specialist.", code
            )
            closed.append({"b_id": case.id, "b_claimed": claim_at, "b_closed": close_at})
        # the queue stamps the real clock; move the stamps back to when the work happened in the story
        table = Case.__table__
        assert isinstance(table, Table)
        with self.store.tx() as db:
            if claimed:
                db.connection().execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"))
                    .values(claimed_at=bindparam("b_claimed")),
                    claimed,
                )
            if closed:
                db.connection().execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"))
                    .values(claimed_at=bindparam("b_claimed"), closed_at=bindparam("b_closed")),
                    closed,
                )
        return len(closed)

    def technicians(self, scheduler: Scheduler) -> int:
        """The field team: enough technicians that every visit skill is covered in every region."""
        skills = _skills(self.library, self.store.policy)
        longest = max(
            [d.duration_minutes or 0 for w in self.walks.values() if (d := w.decision) is not None] + [120]
        )
        slot = 30 * math.ceil(longest / 30)
        have = {t.name for t in scheduler.technicians()}
        for name, cats, regions, workdays in _TECHNICIANS:
            if name in have:
                continue
            scheduler.add_technician(
                name,
                sorted(
                    set().union(*(skills.get(c, set()) for c in cats))
                    or {self.store.policy.config.default_visit_skill}
                ),
                list(regions),
                {day: ("08:00", "18:00") for day in workdays},
                slot_minutes=slot,
            )
        return len(_TECHNICIANS)

    def visits(self, scheduler: Scheduler) -> tuple[int, int]:
        """Book every visit decision when it was made; technicians close the visits that are over."""
        rng = self.rng
        booked = closed = 0
        visits = sorted(
            (r for r in self.sessions if r["decision_kind"] == "visit"), key=lambda r: r["decided_at"]
        )
        for row in visits:
            try:
                b = scheduler.book_for_session(row["id"], now=row["decided_at"])
            except (BookingError, StoreError):
                continue  # no free slot in the horizon: the dispatcher would call the customer back
            booked += 1
            if rng.random() < 0.04:
                # the customer cannot make it: moved to the next free slot a few hours later
                try:
                    b = scheduler.reschedule(b.id, now=min(b.start, row["decided_at"] + timedelta(hours=3)))
                    booked += 1
                except (BookingError, StoreError):
                    pass
            done = b.end + timedelta(minutes=rng.uniform(10, 180))
            if done >= self.now:
                continue  # still ahead (or under way): stays booked
            if rng.random() < 0.05:
                scheduler.cancel(b.id, "customer fixed it before the visit", now=b.start - timedelta(hours=2))
                continue
            codes, weights, titles = _faults(self.library[row["tree_id"]])
            code = rng.choices(codes, weights)[0]
            scheduler.close_visit(
                b.id, b.technician_name, code, f"On site: {titles[code]}; repaired.", fault=code, now=done
            )
            closed += 1
        return booked, closed


def generate_demo_data(
    store: Store,
    *,
    days: int = 42,
    sessions_per_day: int = 40,
    seed: int = 7,
    now: datetime | None = None,
) -> DemoReport:
    """Fill ``store`` with ``days`` of simulated history ending at ``now``, about ``sessions_per_day`` a day.

    Publishes the shipped trees first. The same ``seed`` and ``now`` give the same history. Demo sessions
    and customers have ids starting with ``demo-``; a store that already holds them is refused with
    :class:`DemoError`, so running twice never doubles the history.
    """
    if days < 1 or sessions_per_day < 1:
        raise ValueError(f"days and sessions_per_day must be at least 1 (got {days} and {sessions_per_day})")
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware (got {now!r})")
    now = now.astimezone(UTC)
    with store.tx() as db:
        if db.scalar(select(SessionRow.id).where(SessionRow.id.like(f"{DEMO_PREFIX}%")).limit(1)) is not None:
            raise DemoError("this store already holds demo data; use a fresh database for a new demo history")
    library = load_library()
    store.sync(library)
    history = _History(store, random.Random(seed), now, library)
    history.simulate(days, sessions_per_day)
    cases = history.write()
    cases_closed = history.work_cases()
    scheduler = Scheduler(store)
    technicians = history.technicians(scheduler)
    bookings, visits_closed = history.visits(scheduler)
    kinds = Counter(r["decision_kind"] for r in history.sessions)
    starts = [r["started_at"] for r in history.sessions]
    return DemoReport(
        sessions=len(history.sessions),
        events=len(history.events),
        resolved=kinds["resolved"],
        escalated=kinds["escalate"],
        visits=kinds["visit"],
        undecided=kinds[None],
        repeat_contacts=history.repeats,
        not_resolved=sum(1 for r in history.sessions if r["truth"] == "not_resolved"),
        cases=cases,
        cases_closed=cases_closed,
        technicians=technicians,
        bookings=bookings,
        visits_closed=visits_closed,
        first_started=min(starts, default=None),
        last_started=max(starts, default=None),
    )


def ensure_demo(
    store: Store,
    *,
    days: int = 42,
    sessions_per_day: int = 40,
    seed: int = 7,
    now: datetime | None = None,
) -> DemoReport | None:
    """Fill a store that has no sessions yet with demo history (first start with ``TRIAGE_DEMO=1``).

    A store with any session is left alone and ``None`` returned. The options are those of
    :func:`generate_demo_data`.
    """
    with store.tx() as db:
        if db.scalar(select(SessionRow.id).limit(1)) is not None:
            return None
    return generate_demo_data(store, days=days, sessions_per_day=sessions_per_day, seed=seed, now=now)
