"""Persisted steps per second: SQLite and PostgreSQL, 1 and 8 writer processes, with a profile of one step.

Every step is a real `StoredSession.answer` (one transaction: the event row, the session summary and, when
a decision comes or goes, the listeners' work). The walk is independent of shipped content: a tree generated
by `gen_tree.py` (``--nodes``, default 400: 18 answers from the start to a resolved outcome), published into a
fresh database, walked by every writer with fresh customers. Baseline in the same run: the same walks in
memory (`Session.answer`), so the ratio shows what durability costs.

Writers are separate processes (multiprocessing, spawn), each with its own `Store` and connection pool, started
together at a barrier; the rate is all answers stored / (last finish - first start). After each run the answers
in the database are counted: no step may be lost.

The profile (``--profile``, on by default) walks one writer with SQLAlchemy event listeners and cProfile and
prints, per answered step: statements by kind, time in the driver's execute and commit, and the top functions.

    python benchmarks/bench_store.py [--steps 400] [--nodes 400] [--no-pg] [--no-profile]
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import multiprocessing as mp
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gen_tree import generate_tree, plan_walk, write_tree_yaml  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from triage import Session, load_library  # noqa: E402
from triage.records.store import Store  # noqa: E402

TREE_ID = "bench-store-walk"
TARGET_SQLITE_RATIO = 3.0  # persisted step at most 3x the in-memory step
TARGET_PG_SCALE = 4.0  # eight writer processes at least 4x one writer


def make_tree(directory: Path, nodes: int) -> tuple[Path, list[Any]]:
    """A generated tree file of its own and the answers that walk it to its resolved outcome."""
    tree = generate_tree(nodes, seed=7, tree_id=TREE_ID)
    path = write_tree_yaml(tree, directory / f"{TREE_ID}.yaml")
    return path, [answer for _, answer, _ in plan_walk(tree)]


def in_memory(tree: Path, walk: list[Any], steps: int) -> float:
    """Steps per second of the same walks, in memory."""
    lib = load_library([tree], scenarios=False)
    done = 0
    t0 = time.perf_counter()
    while done < steps:
        s = Session.start(lib, TREE_ID)
        for a in walk:
            s.answer(a)
            done += 1
    return done / (time.perf_counter() - t0)


def _writer(url: str, walk: list[Any], steps: int, name: str, barrier: Any, out: Any) -> None:
    """One writer process: its own store, then walks until ``steps`` answers are stored."""
    try:
        store = Store(url, migrate=False)
        done = 0
        barrier.wait()
        t0, cpu0 = time.time(), time.process_time()
        while done < steps:
            s = store.start_session(TREE_ID, customer_id=f"{name}-{done}")
            for a in walk:
                s.answer(a)
                done += 1
        out.put((name, done, t0, time.time(), time.process_time() - cpu0, None))
        store.dispose()
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        out.put((name, 0, 0.0, 0.0, 0.0, repr(exc)))


def persisted(
    url: str, tree: Path, walk: list[Any], writers: int, steps: int
) -> tuple[float, float, int, int]:
    """(steps/s over all writers, writer CPU ms per step, answers walked, answers found in the database)."""
    store = Store(url)
    store.sync(load_library([tree], scenarios=False))
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(writers), ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(url, walk, steps, f"w{i}", barrier, out)) for i in range(writers)
    ]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    errors = [r[5] for r in results if r[5]]
    if errors:
        raise SystemExit(f"FAILED: a writer stopped: {errors[0]}")
    total = sum(r[1] for r in results)
    elapsed = max(r[3] for r in results) - min(r[2] for r in results)
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM events WHERE type = 'answer'")).scalar_one()
    store.dispose()
    return total / elapsed, sum(r[4] for r in results) / total * 1e3, total, int(stored)


def sqlite_floor(directory: Path, steps: int) -> float:
    """Steps/s of the bare driver doing a step's SQL (BEGIN, insert an event, update a summary, COMMIT) with
    the store's pragmas: what no Python above the driver can beat."""
    import sqlite3

    con = sqlite3.connect(directory / "floor.db", isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        con.execute(f"PRAGMA {pragma}")
    con.execute("CREATE TABLE s (id TEXT PRIMARY KEY, updated_at TEXT, steps INT, last_node TEXT)")
    con.execute(
        "CREATE TABLE e (sid TEXT REFERENCES s(id), seq INT, at TEXT, type TEXT, node TEXT, value TEXT,"
        " PRIMARY KEY (sid, seq))"
    )
    con.execute("INSERT INTO s VALUES ('x', '', 0, '')")
    t0 = time.perf_counter()
    for i in range(steps):
        con.execute("BEGIN")
        con.execute("INSERT INTO e VALUES ('x', ?, '2025-01-01 00:00:00', 'answer', 'n', '\"yes\"')", (i,))
        con.execute("UPDATE s SET updated_at = ?, steps = ?, last_node = ? WHERE id = 'x'", ("2025", i, "n"))
        con.execute("COMMIT")
    rate = steps / (time.perf_counter() - t0)
    con.close()
    return rate


def profile(url: str, tree: Path, walk: list[Any], steps: int) -> None:
    """One writer, instrumented: statements per step, driver time, and cProfile's top functions."""
    store = Store(url)
    store.sync(load_library([tree], scenarios=False))
    kinds: collections.Counter[str] = collections.Counter()
    spent = {"execute": 0.0}
    started: list[float] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        table = words[2] if words[0] in ("INSERT", "DELETE") else words[1]
        kinds[f"{words[0]} {table if words[0] != 'SELECT' else ''}".strip()] += 1
        started.append(time.perf_counter())

    @event.listens_for(store.engine, "after_cursor_execute")
    def _after(*_: Any) -> None:
        spent["execute"] += time.perf_counter() - started.pop()

    def run(n: int) -> int:
        done = 0
        while done < n:
            s = store.start_session(TREE_ID, customer_id=f"prof-{time.perf_counter_ns()}")
            for a in walk:
                s.answer(a)
                done += 1
        return done

    run(len(walk) * 2)  # warm caches
    kinds.clear()
    spent["execute"] = 0.0
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    done = run(steps)
    prof.disable()
    elapsed = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    commit = sum(
        v[3] for k, v in stats.stats.items() if k[2] == "<method 'commit' of 'sqlite3.Connection' objects>"
    )  # type: ignore[attr-defined]
    commit += sum(v[3] for k, v in stats.stats.items() if k[2] == "commit" and "psycopg" in k[0])  # type: ignore[attr-defined]
    print(
        f"  {store.dialect}: {done} answers (sessions started included), under cProfile {elapsed / done * 1e3:.2f} ms/step"
    )
    print(f"    statements per answered step: {sum(kinds.values()) / done:.2f}")
    for kind, n in kinds.most_common():
        print(f"      {n / done:6.3f}  {kind}")
    print(
        f"    driver execute {spent['execute'] / done * 1e3:.3f} ms/step, driver commit {commit / done * 1e3:.3f} ms/step"
    )
    print("    top functions by own time:")
    stats.sort_stats("tottime").print_stats(12)
    store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=400, help="answered steps per writer")
    ap.add_argument("--nodes", type=int, default=400, help="size of the generated tree walked")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-profile", action="store_true")
    args = ap.parse_args()

    rows: list[tuple[str, int, float, float, int, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tree, walk = make_tree(Path(tmp), args.nodes)
        memory = in_memory(tree, walk, args.steps * 4)
        print(f"walk: {len(walk)} answers on a generated {args.nodes}-node tree")
        print(f"in-memory baseline: {memory:,.0f} steps/s ({1e3 / memory:.3f} ms/step)")
        floor = sqlite_floor(Path(tmp), args.steps * 4)
        print(
            f"SQLite driver floor (bare sqlite3, same pragmas): {floor:,.0f} steps/s ({1e3 / floor:.3f} ms/step)"
        )
        for writers in (1, 8):
            url = f"sqlite:///{tmp}/bench-{writers}.db"
            rows.append(("sqlite", writers, *persisted(url, tree, walk, writers, args.steps)))
        if not args.no_profile:
            print("\nprofile of one writer:")
            profile(f"sqlite:///{tmp}/profile.db", tree, walk, args.steps)
        if not args.no_pg:
            from dbfixtures import fresh_database
            from pgserver import postgres_server

            with postgres_server() as server:
                for writers in (1, 8):
                    rows.append(
                        (
                            "postgresql",
                            writers,
                            *persisted(fresh_database(server), tree, walk, writers, args.steps),
                        )
                    )
                if not args.no_profile:
                    profile(fresh_database(server), tree, walk, args.steps)
    print(
        f"\n{'backend':<12}{'writers':>8}{'steps/s':>10}{'ms/step':>9}{'x memory':>10}{'cpu ms/step':>12}"
        f"{'walked':>8}{'stored':>8}"
    )
    rate = {}
    for backend, writers, r, cpu, walked, stored in rows:
        rate[backend, writers] = r
        print(
            f"{backend:<12}{writers:>8}{r:>10,.0f}{1e3 / r:>9.2f}{memory / r:>10.1f}{cpu:>12.3f}"
            f"{walked:>8,}{stored:>8,}"
        )
        if stored != walked:
            print(f"FAILED: {walked - stored} steps lost on {backend} with {writers} writers")
    print("  (cpu ms/step: the writer processes' own CPU, not the database server's)")
    print("\ntargets:")
    ratio = memory / rate["sqlite", 1]
    print(
        f"  {'PASS' if ratio <= TARGET_SQLITE_RATIO else 'MISS'} SQLite persisted step {ratio:.1f}x the in-memory step (<= {TARGET_SQLITE_RATIO:g}x)"
    )
    print(
        f"  SQLite 8 writers / 1 writer: {rate['sqlite', 8] / rate['sqlite', 1]:.2f}x (one file, one writer at a time)"
    )
    if ("postgresql", 1) in rate:
        scale = rate["postgresql", 8] / rate["postgresql", 1]
        print(
            f"  {'PASS' if scale >= TARGET_PG_SCALE else 'MISS'} PostgreSQL 8 writer processes {scale:.2f}x one writer (>= {TARGET_PG_SCALE:g}x)"
        )


if __name__ == "__main__":
    main()
