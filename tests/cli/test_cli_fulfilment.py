"""Fulfilment commands: `triage shipments`, `triage follow-ups` and `triage remote`, their refusals and usage errors."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from boxhelp import publish_box, walk

from triage.cli.main import main
from triage.records.store import Store


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out, inp=io.StringIO("")), out.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A database with the box-help tree published."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(url) as st:
        publish_box(st)
    return url


def test_a_shipment_is_listed_confirmed_shipped_and_delivered(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """list shows the requested shipment; ship is refused until the address is confirmed; then ship, deliver."""
    with Store(db) as st:
        walk(st, "both", customer="C-42")
    code, out = run("shipments", "list", "--db", db)
    assert code == 0
    [line] = out.splitlines()
    ref = line.split()[0]
    assert re.fullmatch(r"SHP-\w{4}-\w{4}", ref)
    assert "requested" in line
    assert "customer C-42  1 x remote-rc7, 2 x psu-12v  address: - (not confirmed)" in line

    code, out = run("shipments", "ship", ref, "--db", db)
    assert (code, out) == (2, "")
    assert capsys.readouterr().err == (
        f"triage shipments: shipment {ref} has no confirmed address; confirm it before shipping\n"
    )
    code, out = run(
        "shipments", "confirm", ref, "--address", "Hauptstr. 1; 10115 Berlin", "--by", "ana", "--db", db
    )
    assert code == 0
    assert out.endswith("address: Hauptstr. 1, 10115 Berlin (confirmed)\n")
    assert run("shipments", "ship", ref, "--db", db)[1].startswith(f"{ref}  shipped ")
    assert run("shipments", "deliver", ref, "--db", db)[1].startswith(f"{ref}  delivered ")
    assert run("shipments", "list", "--db", db) == (0, "")  # nothing left to act on
    assert run("shipments", "list", "--all", "--db", db)[1].startswith(f"{ref}  delivered ")


def test_shipment_commands_without_a_reference_are_usage_errors(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """ship without REF, or confirm without --address, says what to give (exit 2)."""
    assert run("shipments", "ship", "--db", db) == (2, "")
    assert "Error: give the shipment reference REF, like `triage shipments ship SHP-4K7Q-92XD`" in (
        capsys.readouterr().err
    )
    assert run("shipments", "confirm", "SHP-AAAA-BBBB", "--db", db) == (2, "")
    assert "Error: give --address" in capsys.readouterr().err


def test_follow_ups_due_and_closed(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """due lists nothing before the day (all with --all); close ID failed marks the session not resolved."""
    with Store(db) as st:
        s = walk(st, "slow", "fixed", customer="C-9")
        decided = st.session_row(s.id).decided_at
    assert decided is not None
    assert run("follow-ups", "due", "--db", db) == (0, "")
    code, out = run("follow-ups", "due", "--all", "--db", db)
    due = (decided + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    assert (code, out) == (
        0,
        f"#1     due {due}  customer C-9  session {s.id}  Ask whether the picture stayed stable.\n",
    )
    assert run("follow-ups", "close", "1", "failed", "--result", "flickers again", "--db", db) == (
        0,
        "follow-up #1: failed\n",
    )
    with Store(db) as st:
        assert st.session_row(s.id).truth == "not_resolved"
    assert run("follow-ups", "close", "1", "held", "--db", db) == (2, "")
    assert (
        capsys.readouterr().err
        == "triage follow-ups: follow-up 1 is already failed; it cannot be closed again\n"
    )
    assert run("follow-ups", "close", "x", "--db", db) == (2, "")
    assert "Error: give the follow-up number and held or failed" in capsys.readouterr().err


def test_remote_status_set_list_unset(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """set writes what the demo provider answers, list shows it, a wrong value is refused naming the right ones."""
    assert run("remote", "set", "*", "line_test", "ok", "--db", db) == (0, "* line_test: ok\n")
    assert run(
        "remote", "set", "C-1", "line_test", "fault", "--detail", "no sync", "--delay", "2", "--db", db
    ) == (
        0,
        "C-1 line_test: fault\n",
    )
    code, out = run("remote", "list", "--db", db)
    assert (code, out.splitlines()) == (
        0,
        [
            "*                    line_test      ok",
            "C-1                  line_test      fault  after 2 s  (no sync)",
        ],
    )
    assert run("remote", "set", "C-1", "line_test", "broken", "--db", db) == (2, "")
    assert capsys.readouterr().err == "triage remote: line_test gives ok, fault, no_sync (got 'broken')\n"
    assert run("remote", "unset", "C-1", "line_test", "--db", db) == (0, "C-1 line_test: removed\n")
    assert run("remote", "list", "--db", db)[1] == "*                    line_test      ok\n"
    assert run("remote", "set", "C-1", "--db", db) == (2, "")
    assert "Error: give SYSTEM" in capsys.readouterr().err
