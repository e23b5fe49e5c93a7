"""Rollups on SQLite and PostgreSQL: figures from the rollups equal the raw queries', before and after more
history arrives, whatever changed it (new sessions, outcome truth, closures), and compaction is safe to repeat."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from frozen_trees import FROZEN, frozen
from sqlalchemy import func, select, update

from triage import analytics
from triage.analytics.compaction import compact
from triage.analytics.sources import RawSource, RollupSource, source_for
from triage.records import rollups
from triage.records.cases import Queue
from triage.records.schema import RollupAnswer, RollupCell, RollupDirty, SessionRow
from triage.records.store import Store

NOW = datetime(2026, 6, 17, 15, 30, tzinfo=UTC)
DAY = timedelta(days=1)
MIDNIGHT = datetime(2026, 6, 14, tzinfo=UTC)
TRIED = object()  # in a script: "already tried" at this action


SCRIPTS: list[list[object]] = [
    ["all", "yes", "no", "green", "fixed", "fixed"],  # resolved by the router restart
    ["all", "yes", "no", "green", "fixed", TRIED, "wired_ok"],  # escalated to tier 2
    ["all", "no", "not_fixed"],  # a home visit
    ["all", "yes"],  # the call drops: open, abandoned once idle
    ["one"],  # device support
]
NO_INTERNET = (FROZEN / "no-internet.yaml").read_text(encoding="utf-8")


def walk(store: Store, answers: list[object], at: datetime, gap: int, **kw: Any) -> str:
    """A stored session of no-internet started at ``at``, each answer ``gap`` seconds after the last."""
    s = store.start_session("no-internet", now=at, **kw)
    ticks = iter(at + timedelta(seconds=gap * i) for i in range(1, 100))
    s.session.clock = lambda: next(ticks)
    for a in answers:
        if s.session.decision is not None:  # a third contact goes straight to tier 2
            break
        if a is TRIED:
            s.mark_tried()
        else:
            s.answer(a)
    return s.id


def generate(store: Store, rng: random.Random, n: int, start: datetime, hours: float) -> None:
    """``n`` sessions at random times in ``hours`` from ``start``: every script, mode and locale, repeat
    contacts of a few customers (outcome truth), and tier 2 closing escalations with a fault."""
    for _ in range(n):
        at = start + timedelta(seconds=rng.uniform(0, hours * 3600))
        script = rng.choice(SCRIPTS)
        walk(
            store,
            script,
            at,
            rng.randint(5, 90),
            mode=rng.choice(["agent", "self_service"]),
            locale=rng.choice(["en", "de"]),
            customer_id=f"c{rng.randint(1, n // 3)}",
        )
    q = Queue(store)
    for case in q.list_cases():
        if rng.random() < 0.7:
            q.claim(case.id, "tier2-kim")
            q.close(case.id, "tier2-kim", rng.choice(["wifi_channel", "line_fault"]), "fixed remotely")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """Five days of generated history ending at NOW on two versions of no-internet (agents and self-service,
    English and German); some sessions idle within the last half hour."""
    st = Store(store_url)
    st.sync(frozen())
    rng = random.Random(5)
    generate(st, rng, 40, NOW - 5 * DAY, 60)
    st.publish(NO_INTERNET.replace('"No internet connection"', '"No internet"'), author="ann", base_version=1)
    generate(st, rng, 30, NOW - 2 * DAY, 47.5)
    walk(st, ["all", "yes"], NOW - timedelta(minutes=10), 5)  # goes idle after the compaction at NOW
    yield st
    st.dispose()


def _selections(store: Store) -> list[dict[str, Any]]:
    with store.tx() as db:
        tree = db.scalar(
            select(SessionRow.tree_id).group_by(SessionRow.tree_id).order_by(func.count().desc())
        )
    return [
        {},
        {"mode": "self_service"},
        {"mode": "agent", "locale": "de"},
        {"locale": "en"},
        {"tree_id": tree},
        {"since": MIDNIGHT},
        {"since": MIDNIGHT - 2 * DAY, "until": MIDNIGHT, "mode": "agent"},
    ]


def _everything(store: Store, now: datetime, raw: bool, sel: dict[str, Any]) -> dict[str, Any]:
    """Every figure the dashboard and ``triage stats`` show for one selection."""
    s = analytics.summary(store, now=now, raw=raw, top=1000, **sel)
    return {
        "summary": s.tables(),
        "versions": analytics.tree_stats(store, by_version=True, now=now, raw=raw, **sel),
        "modes": analytics.breakdown(store, "mode", now=now, raw=raw, **sel),
        "problems": analytics.top_problems(store, raw=raw, **sel),
        "days": analytics.outcomes_per_day(store, raw=raw, **sel),
        "faults": analytics.fault_counts(store, raw=raw, **sel),
        "drop_offs": analytics.drop_offs(store, now=now, raw=raw, **sel),
    }


def _assert_same(store: Store, now: datetime) -> None:
    for sel in _selections(store):
        assert _everything(store, now, False, sel) == _everything(store, now, True, sel), sel


def test_rollups_give_the_raw_figures_for_every_split(store: Store) -> None:
    """After compaction, every figure for every selection (tree, mode, locale, days) equals the raw query's."""
    done = compact(store, now=NOW)
    assert not done.skipped
    assert done.days >= 5
    assert done.events > 0
    with store.tx() as db:
        assert isinstance(source_for(db, analytics.Filters(), NOW), RollupSource)
        assert db.scalar(select(func.count()).select_from(RollupCell)) > 0
        per_version = db.execute(
            select(RollupCell.root_version, RollupCell.mode, RollupCell.locale).distinct()
        ).all()
    assert {m for _, m, _ in per_version} == {"agent", "self_service"}
    assert {loc for _, _, loc in per_version} == {"en", "de"}
    _assert_same(store, NOW)
    # two hours on, sessions idle since the compaction count as abandoned, from the sessions table
    _assert_same(store, NOW + timedelta(hours=2))


def test_the_dashboard_reads_the_rollups_not_the_raw_tables(store: Store) -> None:
    """Sessions added after a compaction are not in the figures until the next one: the rollups are read."""
    compact(store, now=NOW)
    before = analytics.summary(store, now=NOW + timedelta(hours=1)).overall.sessions
    later = NOW + timedelta(minutes=20)
    s = store.start_session("no-internet", mode="self_service", locale="de", now=later)
    s.session.clock = lambda: later
    assert analytics.summary(store, now=NOW + timedelta(hours=1)).overall.sessions == before
    assert analytics.summary(store, now=NOW + timedelta(hours=1), raw=True).overall.sessions == before + 1
    compact(store, now=NOW + timedelta(hours=1))
    assert analytics.summary(store, now=NOW + timedelta(hours=1)).overall.sessions == before + 1


def test_more_history_then_compaction_again_still_matches(store: Store) -> None:
    """New sessions, outcome truth overturned and a closure's fault (no updated_at change) are all caught."""
    compact(store, now=NOW)
    later = NOW + timedelta(minutes=10)
    for i, (mode, locale) in enumerate([("agent", "en"), ("self_service", "de"), ("agent", "de")]):
        at = later + timedelta(minutes=i)
        s = store.start_session("no-internet", mode=mode, locale=locale, now=at)
        ticks = iter(at + timedelta(seconds=30 * k) for k in range(1, 100))
        s.session.clock = lambda ticks=ticks: next(ticks)
        s.answer("all")
    with store.tx() as db:
        old = db.execute(
            select(SessionRow.id, SessionRow.started_at)
            .where(SessionRow.decision_kind == "resolved", SessionRow.truth.is_(None))
            .order_by(SessionRow.started_at)
            .limit(1)
        ).one()
        db.execute(update(SessionRow).where(SessionRow.id == old.id).values(truth="not_resolved"))
        closed = db.scalar(
            select(SessionRow.id)
            .where(SessionRow.decision_kind == "escalate", SessionRow.true_fault.is_(None))
            .order_by(SessionRow.started_at)
            .limit(1)
        )
        if closed is not None:
            db.execute(update(SessionRow).where(SessionRow.id == closed).values(true_fault="line_fault"))
    with store.tx() as db:  # the trigger marked the old session's start day
        assert old.started_at.astimezone(UTC).date().isoformat() in set(db.scalars(select(RollupDirty.day)))
    assert analytics.summary(store, now=NOW + DAY) != analytics.summary(store, now=NOW + DAY, raw=True)
    second = compact(store, now=NOW + timedelta(hours=1))
    assert 1 <= second.days < 6  # only the changed days, not the whole history
    _assert_same(store, NOW + timedelta(hours=1))
    _assert_same(store, NOW + DAY)


def test_compacting_twice_changes_nothing(store: Store) -> None:
    """A second run over the same history leaves the same rollup rows (it is safe to repeat)."""
    compact(store, now=NOW)

    def rows() -> list[Any]:
        with store.tx() as db:
            cells = db.execute(select(RollupCell).order_by(RollupCell.day)).scalars().all()
            answers = db.scalar(select(func.sum(RollupAnswer.answered)))
            return sorted(
                [(c.day, c.tree_id, c.mode, c.locale, c.steps, c.sessions, c.abandoned) for c in cells]
            ) + [answers]

    first = rows()
    again = compact(store, now=NOW)
    assert not again.skipped
    assert rows() == first


def test_another_instance_holding_the_lock_is_left_to_finish(store: Store) -> None:
    """While one instance compacts, another's run is skipped; a lapsed lock (a crashed run) is taken over."""
    with store.tx() as db:
        assert rollups.take_lock(db, "other-instance", NOW)
    skipped = compact(store, now=NOW)
    assert skipped.skipped
    assert skipped.days == 0
    with store.tx() as db:
        assert rollups.as_of(db) is None
    taken = compact(store, now=NOW + rollups.LOCK_FOR + timedelta(seconds=1))
    assert not taken.skipped
    assert taken.days >= 5


def test_periods_not_on_midnight_and_past_clocks_read_the_raw_tables(store: Store) -> None:
    """Rollups are per day and as of their compaction: anything else is answered exactly from the raw tables."""
    compact(store, now=NOW)
    with store.tx() as db:
        odd = analytics.Filters(since=MIDNIGHT + timedelta(hours=9))
        assert isinstance(source_for(db, odd, NOW), RawSource)
        assert isinstance(source_for(db, analytics.Filters(), NOW - timedelta(hours=1)), RawSource)
    since = MIDNIGHT + timedelta(hours=9)
    assert analytics.summary(store, since=since, now=NOW) == analytics.summary(
        store, since=since, now=NOW, raw=True
    )
