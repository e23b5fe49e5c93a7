"""Persisted steps per second: SQLite and PostgreSQL, with 1 and 8 concurrent writers.

Every step is a real `StoredSession.answer` (one transaction: the event row, the session summary and, when
a decision comes or goes, the queue's case sync). Baseline in the same run: the same walks in memory
(`Session.answer`), so the ratio shows what durability costs.

    python benchmarks/bench_store.py [--steps 400] [--no-pg]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from triage import Session, load_library  # noqa: E402
from triage.records.store import Store  # noqa: E402

# a walk of the shipped no-internet tree that takes 11 answers (the power-cycle's instruction and two waits
# included) and ends in a line visit; no provider runs here, so the line test's result is answered by hand
WALK = ["all", "yes", "no", "green", "done", "ready", "ready", "not_fixed", "wired_fails", "nothing", "fault"]


def in_memory(steps: int) -> float:
    lib = load_library()
    done = 0
    t0 = time.perf_counter()
    while done < steps:
        s = Session.start(lib, "no-internet")
        for a in WALK:
            s.answer(a)
            done += 1
    return done / (time.perf_counter() - t0)


def persisted(url: str, writers: int, steps_per_writer: int) -> tuple[float, int]:
    store = Store(url)
    store.sync(load_library())
    errors: list[BaseException] = []
    counts = [0] * writers
    barrier = threading.Barrier(writers)

    def work(i: int) -> None:
        try:
            barrier.wait()
            while counts[i] < steps_per_writer:
                s = store.start_session("no-internet", customer_id=f"bench-{i}-{counts[i]}")
                for a in WALK:
                    s.answer(a)
                    counts[i] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(writers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    total = sum(counts)
    with store.engine.connect() as conn:
        from sqlalchemy import text

        stored = conn.execute(text("SELECT count(*) FROM events WHERE type = 'answer'")).scalar_one()
    store.dispose()
    return total / elapsed, int(stored)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=400, help="answered steps per writer")
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()

    print(f"in-memory baseline: {in_memory(args.steps * 4):,.0f} steps/s")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for writers in (1, 8):
            url = f"sqlite:///{tmp}/bench-{writers}.db"
            rate, stored = persisted(url, writers, args.steps)
            rows.append(("sqlite", writers, rate, stored))
    if not args.no_pg:
        from dbfixtures import fresh_database
        from pgserver import postgres_server

        with postgres_server() as server:
            for writers in (1, 8):
                rate, stored = persisted(fresh_database(server), writers, args.steps)
                rows.append(("postgresql", writers, rate, stored))
    print(f"{'backend':<12}{'writers':>8}{'steps/s':>12}{'answers stored':>16}")
    for backend, writers, rate, stored in rows:
        print(f"{backend:<12}{writers:>8}{rate:>12,.0f}{stored:>16,}")


if __name__ == "__main__":
    main()
