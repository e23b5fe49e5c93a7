"""``triage rollup`` and ``triage stats --compact``: the rollups are built from the command line and give the
raw figures."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from triage.analytics.rows import Filters
from triage.analytics.sources import RollupSource, source_for
from triage.cli.main import cli
from triage.records.schema import utcnow
from triage.records.store import Store


def test_rollup_then_stats_prints_the_raw_figures(tmp_path: Path) -> None:
    """After ``triage rollup`` the stats (from the rollups) print exactly what ``--raw`` prints."""
    url = f"sqlite:///{tmp_path / 'triage.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["demo-data", "--days", "3", "--per-day", "10", "--db", url]).exit_code == 0
    first = runner.invoke(cli, ["rollup", "--db", url])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("rollups: ")
    assert "day(s) recomputed" in first.output
    assert runner.invoke(cli, ["rollup", "--db", url]).exit_code == 0  # a second run is harmless
    rolled = runner.invoke(cli, ["stats", "--compact", "--db", url])
    raw = runner.invoke(cli, ["stats", "--raw", "--db", url])
    assert rolled.exit_code == raw.exit_code == 0
    assert rolled.output.splitlines()[2:] == raw.output.splitlines()[2:]  # past the heading's clock
    with Store(url) as st, st.tx() as db:
        assert isinstance(source_for(db, Filters(), utcnow()), RollupSource)
