"""Analytics on a large history: `summary()` over 1,000,000 step events on SQLite.

Builds an SQLite database (migrated by the store) with enough sessions that their answer / "already tried"
events number at least ``--events`` (default 1,000,000), then times `triage.analytics.queries.summary()` (median of
``--runs``, default 3) against the target "< 2 s on SQLite".

The history is realistic, not random noise: a few thousand sessions are walked on the shipped trees by the
demo simulator (the real engine on a fake clock: biased answers, drop-offs, notes, going back), and those
walks are replayed as new sessions at random times over 90 days, with fresh session and customer ids. Rows
go in through SQLAlchemy Core ``executemany`` in one transaction, so every value is written by the same
type processors the store uses (UTC timestamps, JSON).

    python benchmarks/bench_analytics.py [--events 1000000] [--runs 3] [--db PATH] [--keep]
"""

from __future__ import annotations

import argparse
import os
import random
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

from sqlalchemy import Table, insert, text  # noqa: E402
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
        self.names = list(compiled.positiontup or [])
        self.procs = {c.name: c.type.bind_processor(dialect) for c in table.columns}

    def value(self, column: str, v: Any) -> Any:
        proc = self.procs[column]
        return v if proc is None or v is None else proc(v)

    def row(self, row: Row, done: frozenset[str] = frozenset()) -> tuple[Any, ...]:
        """``done``: columns whose values are encoded already."""
        return tuple(row[n] if n in done else self.value(n, row[n]) for n in self.names)


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000, help="step events to create (default 1,000,000)")
    ap.add_argument("--runs", type=int, default=3, help="timed summary() runs (default 3)")
    ap.add_argument("--db", type=Path, help="SQLite file to use (reused if it exists)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary database")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--show", action="store_true", help="print the rendered summary")
    args = ap.parse_args(argv)

    tmp = None
    if args.db is None:
        tmp = Path(tempfile.mkdtemp(prefix="triage-bench-"))
        args.db = tmp / "analytics.db"
    url = f"sqlite:///{args.db}"
    if args.db.exists():
        print(f"database: {args.db} (reused)")
    else:
        b = build(url, args.events, args.seed)
        size = args.db.stat().st_size / 1e6
        print(f"database: {args.db} ({size:.0f} MB)")
        print(
            f"built {b.sessions:,} sessions, {b.events:,} events of which {b.steps:,} step events (answers and "
            f"'already tried') in {b.total_s:.1f} s: {b.walks_s:.1f} s walking 3,000 template sessions, "
            f"{b.insert_s:.1f} s inserting ({b.events / b.insert_s:,.0f} events/s), {b.index_s:.1f} s indexing, "
            f"{b.analyze_s:.1f} s ANALYZE ({b.cpu_s:.1f} s CPU in all)"
        )

    store = Store(url)
    walls, cpus = [], []
    result = None
    load = os.getloadavg()[0]
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = summary(store, now=NOW)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    store.dispose()
    assert result is not None
    med = statistics.median(walls)
    print(
        f"summary() runs: {', '.join(f'{t:.2f} s' for t in walls)} wall; "
        f"{', '.join(f'{t:.2f} s' for t in cpus)} CPU (SQLite runs in this process)"
    )
    verdict = "PASS" if med < TARGET_SECONDS else "MISS"
    print(
        f"summary() median of {args.runs}: {med:.2f} s (CPU {statistics.median(cpus):.2f} s)   "
        f"target: < {TARGET_SECONDS:g} s on SQLite   {verdict}"
    )
    cores = os.cpu_count() or 1
    if load > cores:
        print(
            f"note: load average {load:.1f} on {cores} CPUs while timing: wall times include waiting for a CPU"
        )
    print(f"covered: {result.overall.sessions:,} sessions, {result.overall.decided:,} decided")
    if args.show:
        print(render_text(result))
    if tmp is not None and not args.keep:
        args.db.unlink()
        for extra in tmp.iterdir():
            extra.unlink()
        tmp.rmdir()
    elif tmp is not None:
        print(f"kept {args.db}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
