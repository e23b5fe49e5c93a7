"""`triage outage`: declare, list with affected counts, notices, end; usage errors are one line and exit 2,
refusals one line and exit 1."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from outage_trees import LINE_VISIT, publish_line_down

from triage.cli.main import main
from triage.desk import outages
from triage.records.store import Store


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out, inp=io.StringIO("")), out.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A database with the internet tree published and one open session in Berlin."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(url) as st:
        publish_line_down(st)
        st.start_session("line-down", facts={"region": "berlin"})
    return url


def test_declare_list_notices_and_end(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An outage declared from the terminal is listed with its affected session; ending it prints the customers
    to notify, and the list then shows it only with --all."""
    code, out = run(
        "outage", "declare", "--region", "Berlin", "--service", "internet", "--start", "2025-03-03 07:00",
        "--until", "2025-03-03T19:00+01:00", "--message", "A cable was cut.", "--message-in", "de", "Kabel kaputt.",
        "--by", "sam", "--db", db,
    )  # fmt: skip
    assert (code, out) == (
        0,
        "outage #1: internet in Berlin from 2025-03-03 07:00 UTC until 2025-03-03 18:00 UTC\n",
    )
    with Store(db) as st:
        o = outages.get(st, 1)
        assert (o.message, o.declared_by) == ({"en": "A cable was cut.", "de": "Kabel kaputt."}, "sam")
        outages.subscribe(st, 1, None, "ana@example.com", "de")
    code, out = run("outage", "list", "--db", db)
    assert code == 0
    assert " ".join(out.split()) == (
        "#1 Berlin internet 2025-03-03 07:00 -> 2025-03-03 18:00 UTC active sessions 1 bookings 0 notices 1"
    )
    assert run("outage", "notices", "1", "--db", db) == (0, "ana@example.com\tde\t-\n")
    assert run("outage", "end", "1", "--by", "kim", "--db", db) == (
        0,
        "outage #1 ended; 1 customer(s) to notify\nana@example.com\tde\t-\n",
    )
    assert run("outage", "list", "--db", db) == (0, "")
    code, out = run("outage", "list", "--all", "--db", db)
    assert "ended" in out.split()
    assert "sessions" not in out.split()
    assert capsys.readouterr().err == ""


def test_a_visit_session_counts_on_the_list(db: str) -> None:
    """A session waiting for its visit is counted as affected until the visit is booked."""
    with Store(db) as st:
        s = st.start_session("line-down", facts={"region": "Berlin"})
        for a in LINE_VISIT:
            s.answer(a)
    run("outage", "declare", "--region", "BERLIN", "--service", "internet", "--message", "Cut.", "--db", db)
    code, out = run("outage", "list", "--db", db)
    assert "sessions 2" in " ".join(out.split())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["declare", "--service", "internet", "--message", "m"],
            "triage outage declare: Missing option '--region'.",
        ),
        (
            ["declare", "--region", "B", "--service", "internet", "--message", "m", "--until", "soon"],
            "triage outage declare: --until: 'soon' is not a time; give it like 2025-03-03 18:00 (UTC) or "
            "2025-03-03T18:00+01:00",
        ),
        (["end", "abc"], "triage outage end: Invalid value for 'ID': 'abc' is not a valid integer."),
        (["notices"], "triage outage notices: Missing argument 'ID'."),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    db: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """A missing option, an unreadable time or an id that is no number: one line on standard error, exit 2."""
    assert run("outage", *argv, "--db", db) == (2, "")
    assert capsys.readouterr().err == message + "\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["end", "9"], "triage outage end: no outage 9; `triage outage list --all` shows them"),
        (["notices", "9"], "triage outage notices: no outage 9; `triage outage list --all` shows them"),
        (
            ["declare", "--region", "B", "--service", "internet", "--message", " "],
            "triage outage declare: an outage message needs an English text (other languages fall back to it)",
        ),
        (
            ["declare", "--region", "B", "--service", "tv", "--message", "m", "--start", "2025-03-03 10:00",
             "--until", "2025-03-03 09:00"],
            "triage outage declare: the expected end Mon 2025-03-03 09:00 UTC is not after the start Mon 2025-03-03 "
            "10:00 UTC; give a later end, or none for until further notice",
        ),
    ],
)  # fmt: skip
def test_refusals_are_one_line_and_exit_1(
    db: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """No such outage, a message without English, an end before the start: one line, exit 1, nothing written."""
    assert run("outage", *argv, "--db", db) == (1, "")
    assert capsys.readouterr().err == message + "\n"
    with Store(db) as st:
        assert outages.every(st) == []


def test_ending_twice_is_refused(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The second end says who ended it and when."""
    run("outage", "declare", "--region", "B", "--service", "tv", "--message", "m", "--by", "sam", "--db", db)
    assert run("outage", "end", "1", "--by", "kim", "--db", db)[0] == 0
    assert run("outage", "end", "1", "--db", db) == (1, "")
    assert capsys.readouterr().err.startswith("triage outage end: outage 1 was already ended by kim at ")
