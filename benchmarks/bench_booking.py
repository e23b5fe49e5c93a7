"""Booking throughput under contention: SQLite and PostgreSQL, 1 and 8 writer processes booking at once.

Every booking is a real automatic `Scheduler.book` for the same skill and region with urgency ``urgent``, so
all writers want the same earliest slot of a few technicians: each booking races the others, and a writer
that loses moves on to the next slot. Writers are separate processes (multiprocessing, spawn), each with its
own `Store`, started together at a barrier. After each run the database is checked: every booking must hold
its own slot ("double bookings: 0" counts overlapping live bookings of one technician, by SQL).

    python benchmarks/bench_booking.py [--bookings 50] [--writers 8] [--technicians 4] [--no-pg]

For PostgreSQL the script starts its own throw-away server (tests/pgserver.py), or uses
``TRIAGE_TEST_PG_URL``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import func, select  # noqa: E402

from triage.records.schema import Booking  # noqa: E402
from triage.records.store import Store  # noqa: E402
from triage.visits import Scheduler, count_double_bookings  # noqa: E402

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # a Monday morning: every slot ahead is free


def _writer(url: str, per_writer: int, barrier: Any, out: Any) -> None:
    """One writer process: its own store, then ``per_writer`` automatic bookings."""
    try:
        store = Store(url, migrate=False)
        sched = Scheduler(store)
        barrier.wait()
        t0 = time.time()
        for _ in range(per_writer):
            sched.book("broadband-line", "north", urgency="urgent", horizon_days=90, now=NOW)
        out.put((t0, time.time(), None))
        store.dispose()
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        out.put((0.0, 0.0, repr(exc)))


def run(url: str, writers: int, per_writer: int, technicians: int) -> dict[str, float]:
    """Book ``writers * per_writer`` visits from ``writers`` processes at once; check and return the figures."""
    store = Store(url)
    sched = Scheduler(store)
    for i in range(technicians):
        sched.add_technician(f"Tech {i + 1:02d}", ["broadband-line"], ["north"], slot_minutes=60)
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(writers), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, per_writer, barrier, out)) for _ in range(writers)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    errors = [r[2] for r in results if r[2]]
    if errors:
        raise SystemExit(f"FAILED: a writer stopped: {errors[0]}")
    elapsed = max(r[1] for r in results) - min(r[0] for r in results)
    with store.tx() as db:
        booked = db.scalar(select(func.count()).select_from(Booking).where(Booking.status == "booked")) or 0
        distinct = (
            db.scalar(
                select(func.count()).select_from(
                    select(Booking.technician_id, Booking.start)
                    .where(Booking.status == "booked")
                    .distinct()
                    .subquery()
                )
            )
            or 0
        )
        doubles = count_double_bookings(db)
        last = db.scalar(select(func.max(Booking.start)))
    store.dispose()
    expected = writers * per_writer
    if booked != expected or distinct != expected or doubles:
        raise SystemExit(
            f"FAILED: expected {expected} bookings in {expected} slots; found {booked} bookings in "
            f"{distinct} slots and {doubles} double bookings"
        )
    days = ((last - NOW).total_seconds() / 86400) if last else 0.0
    return {"rate": booked / elapsed, "booked": booked, "doubles": doubles, "seconds": elapsed, "days": days}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bookings", type=int, default=50, help="automatic bookings per thread")
    ap.add_argument("--writers", type=int, default=8, help="writer processes booking at once")
    ap.add_argument("--technicians", type=int, default=4)
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()

    plans = sorted({1, args.writers})
    rows: list[tuple[str, int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for writers in plans:
            rows.append(
                (
                    "sqlite",
                    writers,
                    run(f"sqlite:///{tmp}/b{writers}.db", writers, args.bookings, args.technicians),
                )
            )
    if not args.no_pg:
        from dbfixtures import fresh_database
        from pgserver import postgres_server

        with postgres_server() as server:
            for writers in plans:
                rows.append(
                    (
                        "postgresql",
                        writers,
                        run(fresh_database(server), writers, args.bookings, args.technicians),
                    )
                )
    print(
        f"{args.technicians} technicians, 60-minute slots, every booking 'urgent' (all writers want the same "
        f"earliest slot); {args.bookings} bookings per writer process"
    )
    print(f"{'backend':<12}{'writers':>8}{'bookings':>10}{'seconds':>9}{'bookings/s':>12}{'days filled':>13}")
    for backend, writers, r in rows:
        print(
            f"{backend:<12}{writers:>8}{int(r['booked']):>10}{r['seconds']:>9.2f}{r['rate']:>12,.0f}"
            f"{r['days']:>13.1f}"
        )
    print(f"double bookings: {sum(int(r['doubles']) for _, _, r in rows)}")


if __name__ == "__main__":
    main()
