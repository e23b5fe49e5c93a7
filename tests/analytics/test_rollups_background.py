"""Compaction nobody waits for: a page read does a few changed days itself and leaves a big build to a
background thread; a big build goes a week per transaction, can be stopped between them, and still gives the
raw figures; ``triage stats --days`` asks for whole days, which the rollups answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from frozen_trees import frozen
from sqlalchemy import func, select

from triage import analytics
from triage.analytics.compaction import BATCH_DAYS, compact
from triage.cli.main import cli
from triage.desk.analytics import compact_in_background, period_start, refresh
from triage.records import rollups
from triage.records.schema import RollupCell, utcnow
from triage.records.store import Store

DAY = timedelta(days=1)
DAYS = BATCH_DAYS + 5  # two transactions' worth


def history(store: Store, end: datetime, days: int, hour: float = 9) -> None:
    """Two sessions a day for ``days`` days before ``end``, from ``hour`` hours into the day: one answered to
    the end of the router restart, one left half-way."""
    for d in range(days):
        at = end - (d + 1) * DAY + timedelta(hours=hour)
        for answers in (["all", "yes", "no", "green", "fixed"], ["all", "yes"]):
            s = store.start_session("no-internet", mode="agent", locale="en", now=at)
            ticks = iter(at + timedelta(seconds=20 * i) for i in range(1, 50))
            s.session.clock = lambda ticks=ticks: next(ticks)
            for a in answers:
                s.answer(a)


@pytest.fixture
def big(store_url: str) -> Iterator[Store]:
    """Twelve days of history ending now (the real clock: the page's refresh reads it)."""
    st = Store(store_url)
    st.sync(frozen())
    history(st, utcnow(), DAYS)
    yield st
    st.dispose()


def _cell_days(store: Store) -> int:
    with store.tx() as db:
        return db.scalar(select(func.count(func.distinct(RollupCell.day)))) or 0


def test_more_changed_days_than_allowed_are_left_alone(big: Store) -> None:
    """With ``max_days`` below the changed days nothing is written and the clock stays; without, all are done."""
    deferred = compact(big, max_days=3)
    assert deferred.deferred
    assert deferred.days >= DAYS
    assert deferred.as_of is None
    assert _cell_days(big) == 0
    done = compact(big)
    assert not done.deferred
    assert done.as_of is not None
    assert _cell_days(big) >= DAYS


def test_a_build_in_several_transactions_gives_the_raw_figures(big: Store) -> None:
    """Twelve days go in two transactions, and the figures equal the raw queries' for every period."""
    now = utcnow()
    done = compact(big, now=now)
    assert done.days > BATCH_DAYS
    for days in (0, 1, 7, 30):
        since = period_start(days, now)
        rolled = analytics.summary(big, since=since, now=now, top=100)
        assert rolled == analytics.summary(big, since=since, now=now, raw=True, top=100), days
        assert rolled.overall.sessions > 0 or days == 1


def test_a_stopped_build_keeps_its_clock_and_gives_back_the_lock(big: Store) -> None:
    """Asked to stop, a build ends after its first week: the clock is unchanged (raw figures answer), and
    the next run can take the lock at once and finish."""
    stop = threading.Event()
    stop.set()
    stopped = compact(big, stop=stop)
    assert stopped.stopped
    assert stopped.days == BATCH_DAYS
    assert stopped.as_of is None
    assert 0 < _cell_days(big) <= BATCH_DAYS
    again = compact(big)
    assert not again.skipped
    assert again.as_of is not None


def test_a_page_read_leaves_a_big_build_to_the_background(big: Store) -> None:
    """Too many changed days for a page read: a background thread builds them, and the read (which waits a
    moment when there is nothing to show yet) returns its clock."""
    fresh = refresh(big, inline_days=3)
    if fresh.updating:  # a busy machine: not built within the read's wait, so the raw tables answer
        assert fresh.as_of is None
        compact_in_background(big).join(60)  # the thread already running, not a second one
    with big.tx() as db:
        built = rollups.as_of(db)
    assert built is not None
    assert fresh.as_of in (built, None)
    assert _cell_days(big) >= DAYS


def test_a_page_read_shows_the_rollups_as_they_are_while_another_run_compacts(big: Store) -> None:
    """While another instance holds the lock the read says the figures are being updated, as of the last run."""
    first = compact(big)
    history(big, utcnow(), 1)  # new activity after it
    with big.tx() as db:
        assert rollups.take_lock(db, "another-instance", utcnow())
    fresh = refresh(big)
    assert fresh.updating
    assert fresh.as_of == first.as_of


def test_a_page_read_compacts_a_few_changed_days_itself(big: Store) -> None:
    """After the build, a day's new activity is compacted by the read itself: up to date, nothing pending."""
    compact_in_background(big).join(60)
    history(big, utcnow() + DAY, 1, hour=-0.1)  # six minutes ago: the sessions' updated_at moves
    before = analytics.summary(big).overall.sessions
    fresh = refresh(big)
    assert not fresh.updating
    assert fresh.as_of is not None
    assert analytics.summary(big).overall.sessions == before + 2


def test_stats_days_counts_whole_days_from_the_rollups(tmp_path: Path) -> None:
    """``triage stats --days 2`` asks from UTC midnight, so it reads the rollups: a session started after the
    last ``triage rollup`` is in ``--raw`` only, until the next run."""
    url = f"sqlite:///{tmp_path / 'triage.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["demo-data", "--days", "3", "--per-day", "10", "--db", url]).exit_code == 0
    assert runner.invoke(cli, ["rollup", "--db", url]).exit_code == 0

    def sessions(*flags: str) -> str:
        out = runner.invoke(cli, ["stats", "--days", "2", *flags, "--db", url])
        assert out.exit_code == 0, out.output
        lines = out.output.splitlines()
        return lines[lines.index("Overall") + 3]  # the figures under the headings

    assert sessions() == sessions("--raw")
    with Store(url) as st:
        st.start_session("no-internet", mode="agent", locale="en", now=datetime.now(UTC))
    assert sessions() != sessions("--raw")
    assert sessions("--compact") == sessions("--raw")


def test_a_read_that_finds_nothing_new_keeps_the_figures_key(big: Store) -> None:
    """Reads with nothing new move the clock but keep the key the page caches figures by; new activity
    moves the key, so the cached figures are never stale."""
    built = compact(big)
    first = refresh(big)
    again = refresh(big)
    assert first.as_of is not None
    assert again.as_of is not None
    assert built.as_of is not None
    assert again.as_of > first.as_of > built.as_of
    assert first.key == again.key == built.as_of
    history(big, utcnow() + DAY, 1, hour=-0.1)  # six minutes ago: today's day changes
    moved = refresh(big)
    assert moved.key == moved.as_of
    assert moved.key != first.key


def test_a_read_within_max_age_takes_the_rollups_as_they_are(big: Store) -> None:
    """Rollups compacted less than ``max_age`` ago are read without a compaction; without it, one runs."""
    built = compact(big)
    history(big, utcnow() + DAY, 1, hour=-0.1)
    recent = refresh(big, max_age=timedelta(minutes=1))
    assert (recent.as_of, recent.updating) == (built.as_of, False)
    assert recent.key == built.as_of
    assert analytics.summary(big).overall.sessions == analytics.summary(big, raw=True).overall.sessions - 2
    fresh = refresh(big)
    assert fresh.as_of is not None
    assert built.as_of is not None
    assert fresh.as_of > built.as_of
    assert analytics.summary(big).overall.sessions == analytics.summary(big, raw=True).overall.sessions
