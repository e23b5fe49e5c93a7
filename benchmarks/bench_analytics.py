"""Analytics on a large history: `summary()` over 1,000,000 step events on SQLite.

Builds an SQLite database (migrated by the store) with enough sessions that their answer / "already tried"
events number at least ``--events`` (default 1,000,000), then times `triage.analytics.queries.summary()` (median of
``--runs``, default 3) against the target "< 2 s on SQLite".

The history is realistic, not random noise: a few thousand sessions are walked on the shipped trees by the
demo simulator (the real engine on a fake clock: biased answers, drop-offs, notes, going back), and those
walks are replayed as new sessions at random times over 90 days, with fresh session and customer ids. Rows
go in through SQLAlchemy Core ``executemany`` in one transaction, so every value is written by the same
type processors the store uses (UTC timestamps, JSON).

    python benchmarks/bench_analytics.py [--events 1000000] [--runs 3] [--db PATH] [--keep] [--browser N]
    python benchmarks/bench_analytics.py --pg [--events 10000000] [--runs 1] [--browser N]
    python benchmarks/bench_analytics.py --db PATH --page-only --browser N     # the page timing alone

``--pg`` writes the same history into PostgreSQL (``TRIAGE_TEST_PG_URL``, else a throw-away server from
``tests/pgserver.py``) with COPY. ``--browser N`` then serves the database with ``streamlit run app.py``, signs in
as admin in Chromium and opens the Analytics page N times: seconds from the click to the script's end and to
the last chart drawn (targets: < 1 s on SQLite over 1M step events, < 2 s on PostgreSQL over 10M).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import JSON, Table, insert, text  # noqa: E402
from sqlalchemy.engine import Dialect  # noqa: E402

from triage.analytics import render_text, summary  # noqa: E402
from triage.demo import answer_samples, session_rows, simulate_walk, tree_pins  # noqa: E402
from triage.records.schema import EventRow, SessionRow  # noqa: E402
from triage.records.store import Store  # noqa: E402
from triage.trees.model import Audience  # noqa: E402
from triage.walk.scenarios import load_library  # noqa: E402

TARGET_SECONDS = 2.0
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 90
_STEP_TYPES = ("answer", "tried")
_TIME_FIELDS = ("started_at", "updated_at", "decided_at")
Row = dict[str, Any]


def templates(store: Store, n: int, seed: int) -> list[tuple[Row, list[Row], int]]:
    """``n`` walks on the published trees, started at EPOCH: (session row, event rows, step events)."""
    rng = random.Random(seed)
    ids = store.latest_ids()
    lib = store.library()
    samples = answer_samples(lib)
    offered = sorted(t.id for t in lib.values() if not t.procedure)
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(offered))]
    out = []
    for i in range(n):
        tree_id = rng.choices(offered, weights)[0]
        mode = Audience.SELF_SERVICE if rng.random() < 0.45 else Audience.AGENT
        walk = simulate_walk(
            lib,
            tree_id,
            rng=rng,
            start=EPOCH,
            mode=mode if mode.value in lib[tree_id].audiences else Audience.AGENT,
            locale="de" if rng.random() < 0.4 else "en",
            facts={"region": "berlin", "visit_covered": rng.random() < 0.85},
            session_id=f"t{i}",
            samples=samples,
        )
        row, events = session_rows(walk, pins=tree_pins(lib, ids, tree_id), root_version=1)  # procedures too
        out.append((row, events, sum(1 for e in events if e["type"] in _STEP_TYPES)))
    return out


_EVENT_COLUMNS = ["session_id", "seq", "at", "type", "tree_id", "node_id", "value"]


@dataclass
class Template:
    """One simulated walk, ready to copy: JSON encoded once, times as offsets from its start."""

    row: Row
    events: list[tuple[int, timedelta, str, str | None, str | None, Any]]
    steps: int


class Encoder:
    """Values to what the DBAPI receives, by the columns' own SQLAlchemy bind processors (the store's exact
    encoding), for one compiled INSERT that the driver's ``executemany`` runs: no per-row statement work."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        compiled = insert(table).compile(dialect=dialect)
        self.sql = str(compiled)
        # positional drivers (sqlite3) name the INSERT's order; named ones (psycopg: COPY) the table's
        self.names = list(compiled.positiontup or [c.name for c in table.columns])
        self.procs = {c.name: c.type.bind_processor(dialect) for c in table.columns}
        if dialect.name == "postgresql":  # psycopg adapts JSON itself for a statement; COPY needs the text
            for c in table.columns:
                if isinstance(c.type, JSON):
                    self.procs[c.name] = json.dumps

    def value(self, column: str, v: Any) -> Any:
        proc = self.procs[column]
        return v if proc is None or v is None else proc(v)

    def row(self, row: Row, done: frozenset[str] = frozenset()) -> tuple[Any, ...]:
        """``done``: columns whose values are encoded already."""
        return tuple(row[n] if n in done else self.value(n, row.get(n)) for n in self.names)


def prepare(tpl: list[tuple[Row, list[Row], int]], s_enc: Encoder, e_enc: Encoder) -> list[Template]:
    out = []
    for row, events, steps in tpl:
        row = dict(
            row, pins=s_enc.value("pins", row["pins"]), decision=s_enc.value("decision", row["decision"])
        )
        evs = [
            (
                e["seq"],
                e["at"] - EPOCH,
                e["type"],
                e["tree_id"],
                e["node_id"],
                e_enc.value("value", e["value"]),
            )
            for e in events
        ]
        out.append(Template(row, evs, steps))
    return out


def history(
    tpl: list[Template], target: int, seed: int, s_enc: Encoder, e_enc: Encoder
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]], int]]:
    """Sessions copied from the templates at random start times until ``target`` step events are made.

    Yields (session tuple, event tuples, step events), encoded for the driver.
    """
    assert e_enc.names == _EVENT_COLUMNS, e_enc.names
    at = e_enc.procs["at"]
    assert at is not None
    rng = random.Random(seed)
    begin = NOW - timedelta(days=DAYS)
    made = n = 0
    while made < target:
        t = tpl[rng.randrange(len(tpl))]
        start = begin + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        pace = rng.uniform(0.6, 1.6)  # people differ: the same walk, faster or slower
        sid = f"b{n:08d}"
        new = dict(t.row, id=sid, customer_id=f"c{rng.randrange(target // 8):07d}")
        for f in _TIME_FIELDS:
            if new[f] is not None:
                new[f] = start + (new[f] - EPOCH) * pace
        kind = new["decision_kind"]
        if kind == "resolved" and rng.random() < 0.1:
            new["truth"] = "not_resolved"
        if kind in ("escalate", "visit") and rng.random() < 0.8:
            new["true_fault"] = new["closure_code"] = rng.choice(("line_fault", "psu_failed", "config_error"))
            new["closure_source"] = "tier2" if kind == "escalate" else "technician"
        events = [
            (sid, seq, at(start + off * pace), typ, tid, nid, val)
            for seq, off, typ, tid, nid, val in t.events
        ]
        yield s_enc.row(new, frozenset({"pins", "decision"})), events, t.steps
        made += t.steps
        n += 1


@dataclass
class Built:
    sessions: int = 0
    events: int = 0
    steps: int = 0
    walks_s: float = 0.0
    insert_s: float = 0.0
    index_s: float = 0.0
    analyze_s: float = 0.0
    cpu_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.walks_s + self.insert_s + self.index_s + self.analyze_s


def build(url: str, target: int, seed: int) -> Built:
    """Create the database; what went in and how long each part took."""
    out = Built()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    store = Store(url)
    store.sync(load_library())
    walks = templates(store, 3000, seed)
    out.walks_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    s_table, e_table = SessionRow.__table__, EventRow.__table__
    assert isinstance(s_table, Table)
    assert isinstance(e_table, Table)
    s_enc, e_enc = Encoder(s_table, store.engine.dialect), Encoder(e_table, store.engine.dialect)
    tpl = prepare(walks, s_enc, e_enc)
    first = None
    s_batch: list[tuple[Any, ...]] = []
    e_batch: list[tuple[Any, ...]] = []
    with store.engine.begin() as conn:
        # bulk load: secondary indexes are dropped and rebuilt afterwards from their own stored SQL (the
        # migrations' exact definitions), which sorts once instead of updating scattered pages per row
        conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MB for this connection
        indexes = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('sessions', 'events')"
        ).all()
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        for row, evs, n_steps in history(tpl, target, seed, s_enc, e_enc):
            first = first or evs[0][0]
            s_batch.append(row)
            e_batch += evs
            out.steps += n_steps
            if len(e_batch) >= 100_000:
                conn.exec_driver_sql(s_enc.sql, s_batch)
                conn.exec_driver_sql(e_enc.sql, e_batch)
                out.sessions, out.events = out.sessions + len(s_batch), out.events + len(e_batch)
                s_batch, e_batch = [], []
        if s_batch:
            conn.exec_driver_sql(s_enc.sql, s_batch)
            conn.exec_driver_sql(e_enc.sql, e_batch)
            out.sessions, out.events = out.sessions + len(s_batch), out.events + len(e_batch)
        out.insert_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _, sql in indexes:
            conn.exec_driver_sql(sql)
        out.index_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with store.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    out.analyze_s = time.perf_counter() - t0
    out.cpu_s = time.process_time() - cpu0
    # the rows are what the store writes: a session reads back through the ORM and replays against its tree
    assert first is not None
    replayed = store.load_session(first)
    assert replayed.session.events[0].at == store.session_row(first).started_at
    store.dispose()
    return out


_PG_INDEXES = """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    WHERE t.relname IN ('sessions', 'events')
    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"""


def build_pg(url: str, target: int, seed: int) -> Built:
    """The same history in PostgreSQL, written with COPY (psycopg's ``cursor.copy``): secondary indexes
    dropped first and rebuilt after, foreign-key triggers off for the load (``session_replication_role``)."""
    out = Built()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    store = Store(url)
    store.sync(load_library())
    walks = templates(store, 3000, seed)
    out.walks_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    s_table, e_table = SessionRow.__table__, EventRow.__table__
    assert isinstance(s_table, Table)
    assert isinstance(e_table, Table)
    s_enc, e_enc = Encoder(s_table, store.engine.dialect), Encoder(e_table, store.engine.dialect)
    tpl = prepare(walks, s_enc, e_enc)
    s_copy = f"COPY sessions ({', '.join(s_enc.names)}) FROM STDIN"
    e_copy = f"COPY events ({', '.join(e_enc.names)}) FROM STDIN"
    with store.engine.begin() as conn:
        indexes = conn.exec_driver_sql(_PG_INDEXES).all()
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        conn.exec_driver_sql("SET session_replication_role = replica")
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        s_batch: list[tuple[Any, ...]] = []
        e_batch: list[tuple[Any, ...]] = []

        def flush() -> None:
            with cur.copy(s_copy) as cp:
                for r in s_batch:
                    cp.write_row(r)
            with cur.copy(e_copy) as cp:
                for r in e_batch:
                    cp.write_row(r)
            out.sessions += len(s_batch)
            out.events += len(e_batch)
            s_batch.clear()
            e_batch.clear()

        for row, evs, n_steps in history(tpl, target, seed, s_enc, e_enc):
            s_batch.append(row)
            e_batch.extend(evs)
            out.steps += n_steps
            if len(e_batch) >= 200_000:
                flush()
        flush()
        conn.exec_driver_sql("SET session_replication_role = origin")
        out.insert_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        for _, sql in indexes:
            conn.exec_driver_sql(sql)
        out.index_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    out.analyze_s = time.perf_counter() - t0
    out.cpu_s = time.process_time() - cpu0
    store.dispose()
    return out


def _rollups(store: Store, runs: int, raw: Any) -> float:
    """Compaction from scratch, summary() from the rollups (must equal the raw figures), then an incremental
    compaction after touching one day's sessions; prints the figures, returns the rollup summary's median."""
    from sqlalchemy import func, select, update

    from triage.analytics.compaction import compact
    from triage.records.schema import EventRow as Ev

    full = compact(store, now=NOW)
    print(
        f"compaction from scratch: {full.days} days, {full.events:,} step events in {full.seconds:.2f} s "
        f"({full.events / max(full.seconds, 1e-9):,.0f} step events/s)"
    )
    walls = []
    rolled = None
    for _ in range(runs):
        t0 = time.perf_counter()
        rolled = summary(store, now=NOW)
        walls.append(time.perf_counter() - t0)
    assert rolled == raw, "rollup figures differ from the raw figures"
    med = statistics.median(walls)
    print(
        f"summary() from rollups: {', '.join(f'{t:.3f} s' for t in walls)}; median {med:.3f} s (same figures)"
    )
    # new activity on the last day: its sessions' updated_at moves, so the next run recomputes that day only
    last = NOW - timedelta(days=1)
    with store.tx() as db:
        n_events = (
            db.scalar(
                select(func.count())
                .select_from(Ev)
                .join(SessionRow, Ev.session_id == SessionRow.id)
                .where(SessionRow.started_at >= last, Ev.type.in_(_STEP_TYPES))
            )
            or 0
        )
        db.execute(
            update(SessionRow).where(SessionRow.started_at >= last).values(updated_at=SessionRow.updated_at)
        )
        db.execute(
            update(SessionRow)
            .where(SessionRow.started_at >= last, SessionRow.status == "decided")
            .values(updated_at=NOW - timedelta(minutes=1))
        )
    inc = compact(store, now=NOW + timedelta(minutes=1))
    per_k = inc.seconds / max(1, inc.events) * 1000
    print(
        f"incremental compaction: {inc.days} day(s), {inc.events:,} step events ({n_events:,} in the last 24 h) "
        f"in {inc.seconds:.2f} s: {per_k * 1000:.1f} ms per 1,000 step events"
    )
    return med


_LAST_CHART_DRAWN = """(n) => {
    const charts = document.querySelectorAll("[data-testid='stVegaLiteChart'], [data-testid='stArrowVegaLiteChart']");
    return charts.length >= n && [...charts].every((c) => c.querySelector("canvas, svg.marks"));
}"""


def browser_render(url: str, runs: int, log_dir: Path) -> list[tuple[float, float]]:
    """``streamlit run app.py`` on ``url``; signed in as admin in Chromium, the Analytics page opened ``runs``
    times: (seconds to the script's end, seconds to the last chart drawn) from the click, each run."""
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from e2e_helpers import sign_in, streamlit_server, wait_for_app
    from playwright.sync_api import sync_playwright

    out = []
    env = {"TRIAGE_DATABASE_URL": url, "TRIAGE_DEMO": "0"}
    with streamlit_server(env, log_dir) as address, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        sign_in(page, address, "admin")
        for _ in range(runs):
            page.goto(f"{address}/")  # a page without charts between two runs
            wait_for_app(page)
            t0 = time.perf_counter()
            page.get_by_test_id("stSidebarNav").get_by_text("Analytics").click()
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='running']", timeout=60_000)
            wait_for_app(page, timeout=120_000)
            script = time.perf_counter() - t0
            page.wait_for_function(_LAST_CHART_DRAWN, arg=2, timeout=120_000)
            out.append((script, time.perf_counter() - t0))
        browser.close()
    return out


def _built(b: Built, where: str) -> None:
    print(
        f"built {b.sessions:,} sessions, {b.events:,} events of which {b.steps:,} step events (answers and "
        f"'already tried') in {b.total_s:.1f} s: {b.walks_s:.1f} s walking 3,000 template sessions, "
        f"{b.insert_s:.1f} s {where} ({b.events / b.insert_s:,.0f} events/s), {b.index_s:.1f} s indexing, "
        f"{b.analyze_s:.1f} s ANALYZE ({b.cpu_s:.1f} s CPU in all)"
    )


def _sqlite(args: argparse.Namespace, stack: contextlib.ExitStack) -> str:
    if args.db is None:
        tmp = Path(tempfile.mkdtemp(prefix="triage-bench-"))
        args.db = tmp / "analytics.db"
        if not args.keep:
            stack.callback(shutil.rmtree, tmp, True)
        else:
            stack.callback(print, f"kept {args.db}")
    url = f"sqlite:///{args.db}"
    if args.db.exists():
        print(f"database: {args.db} (reused)")
    else:
        b = build(url, args.events, args.seed)
        print(f"database: {args.db} ({args.db.stat().st_size / 1e6:.0f} MB)")
        _built(b, "inserting")
    return url


def _postgres(args: argparse.Namespace, stack: contextlib.ExitStack) -> str:
    sys.path.insert(0, str(ROOT / "tests"))
    from pgserver import postgres_server

    url: str = stack.enter_context(postgres_server())
    probe = Store(url)
    with probe.tx() as db:
        have = db.scalar(text("SELECT count(*) FROM sessions")) or 0
    probe.dispose()
    if have:
        print(f"database: PostgreSQL, {have:,} sessions (reused)")
    else:
        b = build_pg(url, args.events, args.seed)
        print("database: PostgreSQL (TRIAGE_TEST_PG_URL or a throw-away server)")
        _built(b, "COPY")
    return url


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000, help="step events to create (default 1,000,000)")
    ap.add_argument("--runs", type=int, default=3, help="timed summary() runs (default 3)")
    ap.add_argument("--db", type=Path, help="SQLite file to use (reused if it exists)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary database")
    ap.add_argument(
        "--pg", action="store_true", help="PostgreSQL (TRIAGE_TEST_PG_URL, else a throw-away server)"
    )
    ap.add_argument("--browser", type=int, default=0, metavar="N", help="open the Analytics page N times")
    ap.add_argument(
        "--page-only",
        action="store_true",
        help="only the browser timing (a reused database whose rollups the app already keeps on its clock)",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--show", action="store_true", help="print the rendered summary")
    args = ap.parse_args(argv)

    with contextlib.ExitStack() as stack:
        url = _postgres(args, stack) if args.pg else _sqlite(args, stack)
        if not args.page_only:
            _measure(url, args)
        if args.browser:
            _browser(url, args.browser, "PostgreSQL" if args.pg else "SQLite")
    return 0


def _measure(url: str, args: argparse.Namespace) -> None:
    store = Store(url)
    walls, cpus = [], []
    result = None
    load = os.getloadavg()[0]
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = summary(store, now=NOW, raw=True)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    rolled = _rollups(store, args.runs, result)
    store.dispose()
    assert result is not None
    med = statistics.median(walls)
    db = "PostgreSQL" if args.pg else "SQLite"
    print(
        f"raw summary() runs: {', '.join(f'{t:.2f} s' for t in walls)} wall; "
        f"{', '.join(f'{t:.2f} s' for t in cpus)} CPU in this process"
    )
    verdict = "PASS" if rolled < TARGET_SECONDS else "MISS"
    print(f"raw summary() median of {args.runs}: {med:.2f} s (CPU {statistics.median(cpus):.2f} s) on {db}")
    print(
        f"raw {med:.2f} s vs rollups {rolled:.3f} s: {med / max(rolled, 1e-9):.0f}x   "
        f"target (rollups): < {TARGET_SECONDS:g} s   {verdict}"
    )
    cores = os.cpu_count() or 1
    if load > cores:
        print(
            f"note: load average {load:.1f} on {cores} CPUs while timing: wall times include waiting for a CPU"
        )
    print(f"covered: {result.overall.sessions:,} sessions, {result.overall.decided:,} decided")
    if args.show:
        print(render_text(result))


def _browser(url: str, runs: int, db: str) -> None:
    target = 2.0 if db == "PostgreSQL" else 1.0
    with tempfile.TemporaryDirectory(prefix="triage-bench-app-") as logs:
        times = browser_render(url, runs, Path(logs))
    load = os.getloadavg()
    print(
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} CPUs after the page runs"
    )
    for script, drawn in times:
        print(f"Analytics page in Chromium: script done {script:.2f} s, last chart drawn {drawn:.2f} s")
    med = statistics.median(d for _, d in times)
    verdict = "PASS" if med < target else "MISS"
    print(
        f"Analytics page, click to last chart, median of {len(times)}: {med:.2f} s (first {times[0][1]:.2f} s)"
        f"   target: < {target:g} s on {db}   {verdict}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
