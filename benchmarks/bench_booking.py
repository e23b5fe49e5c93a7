"""Booking throughput under contention: SQLite and PostgreSQL, 1 and 8 threads booking at once.

Every booking is a real automatic `Scheduler.book` for the same skill and region with urgency ``urgent``, so
all threads want the same earliest slot of a few technicians: each booking races the others, and a thread
that loses moves on to the next slot. After each run the database is checked: every booking must hold its
own slot ("double bookings: 0" counts overlapping live bookings of one technician, by SQL).

    python benchmarks/bench_booking.py [--bookings 50] [--threads 8] [--technicians 4] [--no-pg]

For PostgreSQL the script starts its own throw-away server (tests/pgserver.py), or uses
``TRIAGE_TEST_PG_URL``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import func, select  # noqa: E402

from triage.records.schema import Booking  # noqa: E402
from triage.records.store import Store  # noqa: E402
from triage.visits import Scheduler, count_double_bookings  # noqa: E402

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # a Monday morning: every slot ahead is free


def run(url: str, threads: int, per_thread: int, technicians: int) -> dict[str, float]:
    """Book ``threads * per_thread`` visits from ``threads`` threads at once; check and return the figures."""
    store = Store(url)
    sched = Scheduler(store)
    for i in range(technicians):
        sched.add_technician(f"Tech {i + 1:02d}", ["broadband-line"], ["north"], slot_minutes=60)
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                sched.book("broadband-line", "north", urgency="urgent", horizon_days=90, now=NOW)
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
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
    expected = threads * per_thread
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
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--technicians", type=int, default=4)
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()

    plans = sorted({1, args.threads})
    rows: list[tuple[str, int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for threads in plans:
            rows.append(
                (
                    "sqlite",
                    threads,
                    run(f"sqlite:///{tmp}/b{threads}.db", threads, args.bookings, args.technicians),
                )
            )
    if not args.no_pg:
        from dbfixtures import fresh_database
        from pgserver import postgres_server

        with postgres_server() as server:
            for threads in plans:
                rows.append(
                    (
                        "postgresql",
                        threads,
                        run(fresh_database(server), threads, args.bookings, args.technicians),
                    )
                )
    print(
        f"{args.technicians} technicians, 60-minute slots, every booking 'urgent' (all threads want the same "
        f"earliest slot); {args.bookings} bookings per thread"
    )
    print(f"{'backend':<12}{'threads':>8}{'bookings':>10}{'seconds':>9}{'bookings/s':>12}{'days filled':>13}")
    for backend, threads, r in rows:
        print(
            f"{backend:<12}{threads:>8}{int(r['booked']):>10}{r['seconds']:>9.2f}{r['rate']:>12,.0f}"
            f"{r['days']:>13.1f}"
        )
    print(f"double bookings: {sum(int(r['doubles']) for _, _, r in rows)}")


if __name__ == "__main__":
    main()
