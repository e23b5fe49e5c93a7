"""Planner commands: `triage learned` (learned beside authored numbers) and `triage simulate`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from triage.cli.main import main
from triage.cli.progress import ProgressBar
from triage.records.store import Store

TREE = "email-not-syncing"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out, inp=io.StringIO("")), out.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run("publish", "--db", url)[0] == 0
    return url


def test_learned_prints_authored_beside_learned(db: str) -> None:
    """Two sessions fixed by re-entering the password move its prior and fix chance, and the table says so."""
    store = Store(db)
    try:
        for _ in range(2):
            session = store.start_session(TREE)
            for answer in ("all", "yes", "fixed"):
                session.answer(answer)
    finally:
        store.dispose()
    code, out = run("learned", TREE, "--db", db, "--min-change", "0.01")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == (
        "email-not-syncing v1, fix group fixes: 2 sessions, 0 with a closure code naming the fault"
    )
    assert lines[1].split() == ["parameter", "fault", "step", "authored", "learned", "change", "observations"]
    rows = {tuple(ln.split()[:3]): ln.split()[3:] for ln in lines[2:-1]}
    assert rows[("prior", "wrong_password", "-")] == ["0.350", "0.458", "+0.108", "2.0"]
    assert rows[("fix", "wrong_password", "reenter_password")] == ["0.900", "0.917", "+0.017", "2.0"]
    assert lines[-1].startswith("to adopt: copy the learned values into the tree file")


def test_learned_with_no_records_and_bad_input(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """No sessions: nothing moved; an unknown group is named with a hint; an unpublished tree is refused."""
    code, out = run("learned", TREE, "--db", db, "--min-change", "0.001")
    assert (code, out.splitlines()[-1]) == (0, "no number moved by 0.001 or more")
    assert run("learned", TREE, "--db", db, "--group", "fixs")[0] == 2
    assert "has no fix group 'fixs' (did you mean 'fixes'?)" in capsys.readouterr().err
    assert run("learned", "no-internet", "--db", db) == (
        1,
        "tree 'no-internet' has no fix group: nothing is learned for it\n",
    )
    with pytest.raises(SystemExit, match="has not been published"):
        run("learned", "no-such-tree", "--db", db)


def test_simulate_family_a_planner_is_optimal() -> None:
    """On single-fault one-fix-per-fault instances the planner's mean ratio to the optimum is exactly 1."""
    code, out = run("simulate", "--family", "A", "--instances", "3", "--customers", "20", "--no-progress")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "3 instances, seeds 0-2"
    chart = lines[lines.index("mean ratio to the optimum (exact; the bar is the excess over 1)") + 1 :]
    ratios = {ln.split()[0]: float(ln.split()[1]) for ln in chart}
    assert ratios["planner"] == ratios["optimal"] == 1.0
    assert ratios["authored"] > 1.0
    assert "simulated customers, common random numbers (mean ± 95% CI across 60 sessions)" in lines


def test_simulate_a_tree_group_and_bad_input() -> None:
    """A real tree's fix group simulates; unknown policies and families are named."""
    code, out = run(
        "simulate", "--tree", TREE, "--customers", "0", "--policies", "planner,optimal", "--no-progress"
    )
    assert code == 0
    assert out.startswith("tree email-not-syncing, fix group fixes: 5 faults, ")
    assert "simulated customers" not in out
    with pytest.raises(SystemExit, match="unknown policy 'plan'"):
        run("simulate", "--policies", "plan")
    with pytest.raises(SystemExit, match="unknown family 'Z'"):
        run("simulate", "--family", "Z")
    with pytest.raises(SystemExit, match="give --group"):
        run("simulate", "--tree", "no-internet")


def test_progress_bar_draws_in_place() -> None:
    """The bar redraws on one line, padding over longer text, and ends the line when done."""
    stream = io.StringIO()
    bar = ProgressBar(stream, width=4)
    bar(1, 2, "long label")
    bar(2, 2, "x")
    assert stream.getvalue() == "\r[##..] 1/2 long label\r[####] 2/2 x         \n"
