"""Outage storm: thousands of self-service customers arrive within minutes, on one PostgreSQL.

A broadband outage is declared in region ``north``. Customers arrive on a ramp (the arrival rate rises
linearly from zero, so half of them come in the last third of ``--ramp``) and do what the self-service page
does, through the same desk functions its callbacks and draws call (see ``triage/ui/views/self_service.py``):

* in the outage's region (most of them): the start page (``outages.known_regions``), "No internet connection"
  (``contact.start_for_customer`` with the outage facts), the decision screen drawn (the session loaded, the
  outage found for it with ``outages.outage_for_session``, the reference with ``contact.session_reference``);
  some leave a number for the outage notice (``outages.subscribe``, then the screen again); some come back
  later by the resume link (the screen again);
* elsewhere (``--walk-share`` of them): they walk on, step by step, as the tree's "restart fixes it" scenario
  does; each click loads the session, checks the step the page showed (``check_seen``) and answers; each draw
  loads it again and lets the provider's systems take a remote check (``remote.run_remote``).

Every click and the draw after it is one **step**. Worker processes stand for app instances: each has one
``Store`` (one connection pool, sized by the ``TRIAGE_DB_*`` settings) shared by ``--threads`` threads, as a
Streamlit server runs each browser's script in a thread. A customer "thinks" ``--think`` seconds (on average)
between steps; the next step is due then, whether or not a thread is free (an open workload: arrivals do not
wait for the server). *Service* latency runs from when a thread takes a step up to the end of its draw;
*response* latency from when the step was due (it includes waiting for a free thread in the instance).

Connections are sampled from ``pg_stat_activity`` every half second. Nothing is asserted, but the run ends with
FAILED if any step raised, or if the database does not hold what the customers did.

    python benchmarks/bench_storm.py --quick             # 300 customers, about half a minute
    python benchmarks/bench_storm.py                     # 10,000 customers over a 3-minute ramp
    python benchmarks/bench_storm.py --customers 10000 --workers 4 --threads 8 --ramp 180

PostgreSQL: ``--url``, else ``TRIAGE_TEST_PG_URL``, else a throw-away server (tests/pgserver.py); a fresh
database on it each run.
"""

from __future__ import annotations

import argparse
import heapq
import multiprocessing as mp
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402

from triage import Session, load_library  # noqa: E402
from triage.desk import contact, outages, remote  # noqa: E402
from triage.desk.sessions import load_session  # noqa: E402
from triage.records.pool import pool_settings  # noqa: E402
from triage.records.schema import EventRow, SessionRow  # noqa: E402
from triage.records.store import Store  # noqa: E402
from triage.trees.library import Library  # noqa: E402
from triage.trees.model import Audience  # noqa: E402
from triage.walk.systems import system_name  # noqa: E402

TREE = "no-internet"
OUTAGE_REGION, ELSEWHERE = "north", "south"
# the tree's scenario "restart fixes it" in self-service; the three remote checks answer as the scenario does
WALK = ["all", "active", "no", "yes", "ok", "online", "not_fixed", "done", "ready", "ready", "fixed"]
REMOTE = {"account_status": "active", "line_test": "ok", "router_status": "online"}
NOTICE_SHARE, RESUME_SHARE = 0.6, 0.3  # of the customers in the outage


# -- the customers --------------------------------------------------------------------------------


@dataclass
class Customer:
    """One customer's journey: what they do next and what the page showed them last."""

    number: int
    walks: bool  # outside the outage: walks the tree
    notice: bool  # leaves a number for the outage notice
    resume: bool  # comes back later by the link
    sid: str = ""
    seen: int = 0  # the event count of the last draw (a click carries it)
    node: str = ""  # the step the last draw showed
    visits: dict[str, int] = field(default_factory=dict)  # answers given per node, for repeated nodes
    stage: str = "start"


def arrivals(customers: int, ramp: float) -> list[float]:
    """Seconds after the start at which each customer arrives: the rate rises linearly over ``ramp``."""
    return [ramp * ((i + 0.5) / customers) ** 0.5 for i in range(customers)]


def walk_plan(lib: Library) -> dict[str, list[str]]:
    """For each node of the walk, the answers given there in order (a node may be reached twice)."""
    session = Session.start(lib, TREE, mode=Audience.SELF_SERVICE, facts={"region": ELSEWHERE})
    plan: dict[str, list[str]] = defaultdict(list)
    for answer in WALK:
        plan[session.view().node_id].append(answer)
        session.answer(answer)
    assert session.view().finished, "the walk must end in a decision"
    return dict(plan)


class Instance:
    """One app instance: a store (one pool) and what the page draws and its clicks call."""

    def __init__(self, url: str, lib: Library, plan: dict[str, list[str]], outage_id: int) -> None:
        self.store = Store(url, migrate=False)
        self.tree = lib.get_tree(TREE)
        self.plan = plan
        self.outage_id = outage_id
        self.systems = remote.provider_systems(self.store)
        self.counts = {"statements": 0, "checkouts": 0}  # what the steps cost the database, in round trips
        lock = threading.Lock()

        def count(what: str) -> Callable[..., None]:
            def bump(*_: Any) -> None:
                with lock:
                    self.counts[what] += 1

            return bump

        sa.event.listen(self.store.engine, "before_cursor_execute", count("statements"))
        sa.event.listen(self.store.engine.pool, "checkout", count("checkouts"))

    def draw(self, c: Customer) -> bool:
        """The session screen as the page draws it (a remote check run on arrival); True once decided."""
        stored = load_session(self.store, c.sid)
        if system_name(stored.session) is not None:
            at = stored.view().node_id
            ran = remote.run_remote(self.store, stored, self.systems)
            if ran is not None and stored.view().node_id != at:
                c.visits[at] = (
                    c.visits.get(at, 0) + 1
                )  # the check answered its step: the plan's answer is used
        view = stored.view()
        c.seen, c.node = stored.event_count, view.node_id
        if view.finished and view.decision is not None:
            if view.decision.outage:
                outages.outage_for_session(self.store, c.sid)
            contact.session_reference(self.store, c.sid)
            return True
        return False

    def start(self, c: Customer) -> bool:
        """The start page, the click on the problem, and the first draw."""
        outages.known_regions(self.store)
        region = ELSEWHERE if c.walks else OUTAGE_REGION
        stored = contact.start_for_customer(
            self.store, self.tree, region=region, customer_words="no internet since this morning"
        )
        c.sid = stored.id
        return self.draw(c)

    def answer(self, c: Customer) -> bool:
        """A click on the answer the plan gives at the step the page showed, then the draw."""
        n = c.visits.get(c.node, 0)
        value = self.plan[c.node][n]
        c.visits[c.node] = n + 1
        stored = load_session(self.store, c.sid)
        stored.check_seen(c.seen)
        stored.answer(value)
        return self.draw(c)

    def notice(self, c: Customer) -> bool:
        """ "Tell me when it's fixed" with a phone number, then the screen again."""
        outages.subscribe(self.store, self.outage_id, c.sid, f"+44 7700 9{c.number:05d}", "en")
        return self.draw(c)

    def step(self, c: Customer) -> str | None:
        """Do the customer's next step; the stage after it (``None``: they are done)."""
        if c.stage == "start":
            decided = self.start(c)
        elif c.stage == "walk":
            decided = self.answer(c)
        elif c.stage == "notice":
            self.notice(c)
            decided = True
        else:  # "resume": back by the link
            self.draw(c)
            return None
        return _next_stage(c, decided)


def _next_stage(c: Customer, decided: bool) -> str | None:
    if not decided:
        return "walk"
    if c.walks or c.stage == "resume":
        return None
    if c.notice and c.stage == "start":
        return "notice"
    return "resume" if c.resume else None


# -- one worker process -----------------------------------------------------------------------------


@dataclass
class Tally:
    """What one worker measured."""

    service: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    response: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    first: float = float("inf")
    last: float = 0.0


class Scheduler:
    """Steps due at given times, handed to the instance's threads as they come due."""

    def __init__(self, start: float, customers: list[tuple[float, Customer]], threads: int) -> None:
        self.heap = [(start + at, c.number, c) for at, c in customers]
        heapq.heapify(self.heap)
        self.cond = threading.Condition()
        self.open = len(customers)
        self.threads = threads

    def take(self) -> tuple[float, Customer] | None:
        """The next step when it is due (blocking); ``None`` when every customer is done."""
        with self.cond:
            while True:
                if self.open == 0:
                    return None
                if self.heap and self.heap[0][0] <= time.time():
                    due, _, c = heapq.heappop(self.heap)
                    return due, c
                wait = self.heap[0][0] - time.time() if self.heap else None
                self.cond.wait(timeout=wait)

    def again(self, c: Customer, due: float | None) -> None:
        """Schedule the customer's next step at ``due``; ``None``: the customer is done."""
        with self.cond:
            if due is None:
                self.open -= 1
            else:
                heapq.heappush(self.heap, (due, c.number, c))
            self.cond.notify_all()


def _serve(inst: Instance, sched: Scheduler, tally: Tally, think: float, rng: random.Random) -> None:
    while (item := sched.take()) is not None:
        due, c = item
        stage = c.stage
        began = time.time()
        try:
            nxt = inst.step(c)
        except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
            tally.errors.append(f"{stage} {c.sid}: {exc!r}")
            nxt = None
        ended = time.time()
        tally.service[stage].append((ended - began) * 1000)
        tally.response.append((ended - due) * 1000)
        tally.first, tally.last = min(tally.first, began), max(tally.last, ended)
        if nxt is None:
            sched.again(c, None)
            continue
        c.stage = nxt
        pause = think * (6 if nxt == "resume" else 1) * rng.uniform(0.5, 1.5)
        sched.again(c, ended + pause)


def worker(job: dict[str, Any], ready: Any, go: Any, out: Any) -> None:
    """One app instance: ``job['threads']`` threads serving its customers from ``job['start']`` on."""
    try:
        lib = load_library()
        inst = Instance(job["url"], lib, job["plan"], job["outage_id"])
        ready.put(True)
        start = go.get()
        sched = Scheduler(start, job["customers"], job["threads"])
        tally = Tally()
        threads = [
            threading.Thread(target=_serve, args=(inst, sched, tally, job["think"], random.Random(i)))
            for i in range(job["threads"])
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        inst.store.dispose()
        out.put((dict(tally.service), tally.response, tally.errors, tally.first, tally.last, inst.counts))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        ready.put(False)
        out.put(({}, [], [f"worker stopped: {exc!r}"], float("inf"), 0.0, {}))


# -- the parent ---------------------------------------------------------------------------------------


def prepare(url: str) -> tuple[dict[str, list[str]], int]:
    """Publish the trees, declare the outage, set the remote checks' answers; the walk plan and outage id."""
    lib = load_library()
    store = Store(url)
    try:
        store.sync(lib)
        outage = outages.declare(
            store,
            OUTAGE_REGION,
            "internet",
            who="storm",
            message={"en": "Broadband is down in the north; engineers are on it."},
        )
        for system, value in REMOTE.items():
            remote.set_remote_status(store, remote.EVERYONE, system, value)
    finally:
        store.dispose()
    return walk_plan(lib), outage.id


def customers(n: int, walk_share: float, seed: int) -> list[Customer]:
    """``n`` customers, ``walk_share`` of them outside the outage; who leaves a number and who comes back."""
    rng = random.Random(seed)
    return [
        Customer(
            i,
            walks=rng.random() < walk_share,
            notice=rng.random() < NOTICE_SHARE,
            resume=rng.random() < RESUME_SHARE,
        )
        for i in range(n)
    ]


@contextmanager
def sampling(url: str, every: float = 0.5) -> Iterator[list[tuple[int, int]]]:
    """Sample (connections, active) of the database from ``pg_stat_activity`` while the block runs."""
    samples: list[tuple[int, int]] = []
    stop = threading.Event()
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    query = sa.text(
        "SELECT count(*), count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )

    def run() -> None:
        with engine.connect() as conn:
            while not stop.wait(every):
                total, active = conn.execute(query).one()
                samples.append((int(total), int(active)))
                conn.rollback()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()
        engine.dispose()


def storm(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run the storm against ``url``; the merged figures."""
    plan, outage_id = prepare(url)
    people = customers(args.customers, args.walk_share, args.seed)
    at = arrivals(args.customers, args.ramp)
    ctx = mp.get_context("spawn")
    ready, go, out = ctx.Queue(), ctx.Queue(), ctx.Queue()
    procs = []
    for w in range(args.workers):
        mine = [(at[c.number], c) for c in people if c.number % args.workers == w]
        job = {"url": url, "plan": plan, "outage_id": outage_id, "customers": mine}
        job |= {"threads": args.threads, "think": args.think}
        procs.append(ctx.Process(target=worker, args=(job, ready, go, out)))
    for p in procs:
        p.start()
    if not all(ready.get() for _ in procs):
        raise SystemExit("FAILED: a worker could not start")
    start = time.time() + 0.5
    for _ in procs:
        go.put(start)
    with sampling(url) as samples:
        results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    return merge(results, samples, start) | {"people": people, "url": url}


def merge(results: list[Any], samples: list[tuple[int, int]], start: float) -> dict[str, Any]:
    """One set of figures from the workers' tallies and the connection samples."""
    service: dict[str, list[float]] = defaultdict(list)
    response: list[float] = []
    errors: list[str] = []
    counts: dict[str, int] = defaultdict(int)
    for svc, resp, errs, _first, _last, used in results:
        for stage, values in svc.items():
            service[stage].extend(values)
        response.extend(resp)
        errors.extend(errs)
        for what, n in used.items():
            counts[what] += n
    last = max(r[4] for r in results)
    return {
        "service": dict(service),
        "response": response,
        "errors": errors,
        "counts": dict(counts),
        "seconds": last - start,
        "connections": max((s[0] for s in samples), default=0),
        "active": max((s[1] for s in samples), default=0),
    }


def check_database(url: str, people: list[Customer]) -> list[str]:
    """What the database must hold after the storm: a session per customer, the walkers decided, the notices."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            sessions = conn.scalar(sa.select(sa.func.count()).select_from(SessionRow)) or 0
            decided = conn.scalar(
                sa.select(sa.func.count())
                .select_from(SessionRow)
                .where(SessionRow.decision_kind.is_not(None))
            )
            events = conn.scalar(sa.select(sa.func.count()).select_from(EventRow)) or 0
            notices = conn.scalar(sa.text("SELECT count(*) FROM outage_notices")) or 0
    finally:
        engine.dispose()
    want_notices = sum(1 for c in people if not c.walks and c.notice)
    problems = []
    if sessions != len(people):
        problems.append(f"{sessions} sessions stored for {len(people)} customers")
    if decided != len(people):
        problems.append(f"{decided} of {len(people)} sessions decided")
    if notices != want_notices:
        problems.append(f"{notices} outage notices stored, {want_notices} asked for")
    print(
        f"database: {sessions:,} sessions ({decided:,} decided), {events:,} events, {notices:,} outage notices"
    )
    return problems


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(r: dict[str, Any], args: argparse.Namespace) -> None:
    """Print the figures."""
    pool = pool_settings()
    steps = sum(len(v) for v in r["service"].values())
    walkers = sum(1 for c in r["people"] if c.walks)
    print(
        f"{args.customers:,} customers over a {args.ramp:.0f} s ramp ({walkers:,} walking the tree, the rest in the "
        f"outage); {args.workers} worker processes x {args.threads} threads; think time {args.think} s"
    )
    print(
        f"pool per process: {pool.size} + {pool.max_overflow} overflow (at most "
        f"{args.workers * pool.most} connections){'; behind PgBouncer' if pool.pgbouncer else ''}"
    )
    print(f"{'step':<10}{'count':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for stage in ("start", "walk", "notice", "resume"):
        v = r["service"].get(stage, [])
        if v:
            print(f"{stage:<10}{len(v):>9,}{statistics.median(v):>9.1f}{_pct(v, 0.99):>9.1f}{max(v):>9.1f}")
    every = [x for v in r["service"].values() for x in v]
    print(
        f"{'all steps':<10}{len(every):>9,}{statistics.median(every):>9.1f}{_pct(every, 0.99):>9.1f}{max(every):>9.1f}"
    )
    resp = r["response"]
    print(
        f"{'response':<10}{len(resp):>9,}{statistics.median(resp):>9.1f}{_pct(resp, 0.99):>9.1f}{max(resp):>9.1f}"
    )
    print(f"steps/s: {steps / r['seconds']:,.0f} ({steps:,} steps in {r['seconds']:.1f} s, ramp included)")
    used = r["counts"]
    print(
        f"per step: {used.get('statements', 0) / steps:.1f} statements in {used.get('checkouts', 0) / steps:.1f} "
        f"transactions (pool checkouts{', each with a ping first' if pool.pre_ping else ''})"
    )
    print(
        f"connections used (pg_stat_activity, max of samples): {r['connections']} open, {r['active']} active"
    )
    print(f"errors: {len(r['errors'])}")
    for e in r["errors"][:5]:
        print(f"  {e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=4, help="worker processes (app instances)")
    ap.add_argument("--threads", type=int, default=8, help="threads per worker (browsers served at once)")
    ap.add_argument("--ramp", type=float, default=180.0, help="seconds over which the customers arrive")
    ap.add_argument("--think", type=float, default=2.0, help="mean seconds between a customer's steps")
    ap.add_argument("--walk-share", type=float, default=0.1, help="customers outside the outage, walking on")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--url", help="a PostgreSQL server's URL (a fresh database is made on it)")
    ap.add_argument("--quick", action="store_true", help="300 customers, 2 workers, a 20 s ramp")
    args = ap.parse_args()
    if args.quick:
        args.customers, args.workers, args.ramp, args.think = 300, 2, 20.0, 1.0
    from dbfixtures import fresh_database
    from pgserver import postgres_server

    with _server(args.url, postgres_server) as server:
        r = storm(fresh_database(server), args)
        report(r, args)
        problems = check_database(r["url"], r["people"])
    if r["errors"] or problems:
        raise SystemExit("FAILED: " + "; ".join([*problems, f"{len(r['errors'])} steps raised"]))


@contextmanager
def _server(url: str | None, start: Callable[[], Any]) -> Iterator[str]:
    if url:
        yield url
        return
    with start() as server:
        yield server


if __name__ == "__main__":
    main()
