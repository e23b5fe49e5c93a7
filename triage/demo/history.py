"""One run of demo history: customers, contacts day by day, then the cases and home visits they lead to.

:class:`History` holds the random generator, the published trees and every row made so far; the steps of
:func:`~triage.demo.generate_demo_data` are its methods, in order.
"""

from __future__ import annotations

import heapq
import math
import random
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update

from triage.demo.rows import session_rows, tree_pins
from triage.demo.walks import answer_samples, simulate_walk
from triage.errors import BookingError, StoreError
from triage.records.cases import Queue, sync_case
from triage.records.fulfilment import sync_fulfilment
from triage.records.refs import ALPHABET, LENGTH
from triage.records.schema import Case, EventRow, SessionRow
from triage.records.store import Store
from triage.trees.library import Library
from triage.trees.model import ActionNode, Audience, OutcomeKind, Tree, VisitOutcome, localize
from triage.visits import Scheduler
from triage.walk.policy import Policy
from triage.walk.session import Session

__all__ = ["DEMO_PREFIX", "History"]

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
_START_FACTS = ("customer_id", "region", "visit_covered", "outage_in_area", "repeat_contacts")


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
    carried: tuple[tuple[str, Any], ...] = ()  # facts a handover brought from the tree before


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


def _fresh_reference(rng: random.Random, taken: set[str]) -> str:
    """A reference (``K7P-4QX``) drawn from the demo's seeded generator, not yet in ``taken`` (which it joins)."""
    while True:
        code = "".join(rng.choice(ALPHABET) for _ in range(LENGTH))
        ref = f"{code[:3]}-{code[3:]}"
        if ref not in taken:
            taken.add(ref)
            return ref


def _fulfils(walk: Session) -> bool:
    """Whether the walk's decision sets fulfilment going (a part to ship, a repair, a follow-up)."""
    d = walk.decision
    if d is None:
        return False
    return d.kind in (OutcomeKind.SHIP_PART, OutcomeKind.REPAIR) or bool(d.follow_up_days)


class History:
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
        self.pins = {tid: tree_pins(self.library, ids, tid) for tid in offered}
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
        if tree.service is not None or "outage_in_area" in tree.facts:
            facts["outage_in_area"] = rng.random() < 0.04
        facts.update(dict(c.carried))
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
            follow = self._handed_over(row, c)
            if follow is not None:  # the same call goes on in the tree the walk handed over to
                then = row["decided_at"] + timedelta(seconds=rng.uniform(20, 120))
                if then < self.now:
                    heapq.heappush(queue, (then, order, follow))
                    order += 1
                continue
            # the problem comes back (or the customer chases an open one): a repeat contact
            chance = {"resolved": 0.12, None: 0.15}.get(kind, 0.04)
            if rng.random() < chance:
                again = at + timedelta(hours=rng.uniform(3, 6 * 24))
                if again < self.now:
                    heapq.heappush(queue, (again, order, _Contact(c.customer, c.tree_id)))
                    order += 1

    def _handed_over(self, row: Mapping[str, Any], c: _Contact) -> _Contact | None:
        """The contact a handover decision leads to: the target tree, with the facts it carries."""
        d = row["decision"] or {}
        target = d.get("handover_tree") if row["decision_kind"] == OutcomeKind.HANDOVER.value else None
        if target not in self.pins or row["decided_at"] is None:
            return None
        walk = self.walks[row["id"]]
        carry = d.get("carry")
        names = [n for n in walk.facts if n not in ("mode", "locale")] if carry is None else list(carry)
        keep = {n: walk.facts[n] for n in names if walk.facts.get(n) is not None and n not in _START_FACTS}
        return _Contact(c.customer, str(target), tuple(sorted(keep.items())))

    def write(self) -> int:
        """Insert every session and event in one transaction; the store's own rule opens the cases."""
        with self.store.tx() as db:
            # every session gets its reference as it is written (never on a later read), unique in the table
            taken = {r for r in db.scalars(select(SessionRow.reference)) if r is not None}
            for row in self.sessions:
                row["reference"] = _fresh_reference(self.rng, taken)
            for i in range(0, len(self.sessions), 2000):
                db.execute(insert(SessionRow), self.sessions[i : i + 2000])
            for i in range(0, len(self.events), 20000):
                db.execute(insert(EventRow), self.events[i : i + 20000])
            for row in self.sessions:
                walk = self.walks.get(row["id"])
                if walk is not None and row["decision_kind"] == "escalate":
                    sync_case(db, walk)
                elif walk is not None and _fulfils(
                    walk
                ):  # a shipment, repair or follow-up, as the store makes
                    sync_fulfilment(db, walk)
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
