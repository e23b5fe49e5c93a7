"""Visit commands: `triage technician` and `triage visit`, their usage errors, and the stores commands close."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from triage.cli.main import main
from triage.records.store import Store

# Red line light, restart and cable check fail, the line test (picked by hand: no simulated status) says
# "fault": a broadband-line visit.
LINE_FAULT = "all\nactive\nno\nyes\nfault\ndone\nready\nready\nnot_fixed\ndsl\nnot_fixed\nnot_fixed\nfault\n"


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out, inp=io.StringIO(stdin)), out.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A database with the shipped trees published."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run("publish", "--db", url)[0] == 0
    return url


@pytest.mark.parametrize("action", ["cancel", "reschedule", "close", "ics"])
@pytest.mark.parametrize("ref", [None, "abc", "1.5"])
def test_a_missing_or_malformed_visit_reference_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str, ref: str | None
) -> None:
    """`triage visit cancel|reschedule|close|ics` without a visit reference or booking number (or with
    something that is neither) says what to give, exit 2, no traceback, and opens no database."""
    url = f"sqlite:///{tmp_path / 'never.db'}"
    argv = ["visit", action, *([ref] if ref is not None else []), "--code", "line-fault", "--db", url]
    code, out = run(*argv)
    err = capsys.readouterr().err
    got = "none was given" if ref is None else f"got {ref!r}"
    assert (code, out) == (2, "")
    assert err.startswith("Usage: triage visit [OPTIONS] ACTION [REF]\n")
    assert err.endswith(
        f"Error: {action} needs the visit's reference REF, like `triage visit {action} K7P-4QX` (or its booking "
        f"number) ({got}); `triage visit list` shows them\n"
    )
    assert "Traceback" not in err
    assert not (tmp_path / "never.db").exists()


def test_a_visit_is_booked_exported_and_cancelled_by_number(db: str) -> None:
    """The numbered actions still work when the number is there: book a session's visit, export, cancel."""
    code, out = run(
        "technician", "add", "--name", "Ana", "--skill", "broadband-line", "--region", "north", "--db", db
    )
    assert (code, out) == (0, "technician #1 Ana: broadband-line in north\n")
    code, out = run("run", "no-internet", "--persist", "--db", db, stdin=LINE_FAULT)
    assert code == 0
    sid = out.splitlines()[0].rsplit(" ", 1)[1]
    code, out = run("visit", "book", sid, "--region", "north", "--db", db)
    assert code == 0
    assert re.fullmatch(r"visit [0-9A-Z]{3}-[0-9A-Z]{3} \(booking #1\): booked, .*\n", out)
    code, out = run("visit", "ics", "1", "--db", db)
    assert (code, out.splitlines()[0]) == (0, "BEGIN:VCALENDAR")
    code, out = run("visit", "cancel", "1", "--reason", "fixed by phone", "--db", db)
    assert (code, out.split(",")[0].split(": ")[1]) == (0, "cancelled")


def test_a_visit_is_moved_and_cancelled_by_its_reference(db: str) -> None:
    """`visit list` prints the reference; reschedule, ics and cancel take it (any case, no dash): the reference
    stays through the move, the calendar's SEQUENCE goes up and the cancellation is a METHOD:CANCEL."""
    run("technician", "add", "--name", "Ana", "--skill", "broadband-line", "--region", "north", "--db", db)
    sid = (
        run("run", "no-internet", "--persist", "--db", db, stdin=LINE_FAULT)[1]
        .splitlines()[0]
        .rsplit(" ", 1)[1]
    )
    ref = run("visit", "book", sid, "--region", "north", "--db", db)[1].split()[1]
    code, out = run("visit", "list", "--db", db)
    assert (code, out.split()[:3]) == (0, [ref, "#1", "booked"])
    typed = ref.lower().replace("-", "")
    code, out = run("visit", "reschedule", typed, "--db", db)
    assert (code, out.split(",")[0]) == (0, f"visit {ref} (booking #2): booked")
    code, out = run("visit", "ics", typed, "--db", db)
    unfolded = out.replace("\r\n ", "")
    assert (code, f"UID:{ref}@triage\r\n" in unfolded, "SEQUENCE:1\r\n" in unfolded) == (0, True, True)
    code, out = run("visit", "cancel", ref, "--reason", "fixed by phone", "--db", db)
    assert (code, out.split(",")[0]) == (0, f"visit {ref} (booking #2): cancelled")
    out = run("visit", "ics", ref, "--db", db)[1]
    assert ("METHOD:CANCEL\r\n" in out, "SEQUENCE:2\r\n" in out) == (True, True)
    code, _ = run("visit", "cancel", "ZZZ-ZZZ", "--db", db)
    assert code != 0


@pytest.fixture
def stores(monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], set[int]]:
    """Every Store the commands open (by id), and those they disposed."""
    opened: list[int] = []
    disposed: set[int] = set()
    init, dispose = Store.__init__, Store.dispose

    def tracked_init(self: Store, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        opened.append(id(self))

    def tracked_dispose(self: Store) -> None:
        disposed.add(id(self))
        dispose(self)

    monkeypatch.setattr(Store, "__init__", tracked_init)
    monkeypatch.setattr(Store, "dispose", tracked_dispose)
    return opened, disposed


COMMANDS = [
    ["db", "upgrade"],
    ["publish"],
    ["versions", "no-internet"],
    ["diff", "no-internet", "1", "1"],
    ["sessions"],
    ["resume", "SID"],
    ["cases"],
    ["case", "show", "1"],
    ["case", "claim", "1", "--user", "tom"],
    ["case", "note", "1", "checked", "--user", "tom"],
    ["case", "close", "1", "--code", "line-fault", "--user", "tom"],
    ["case", "claim", "99"],  # refused (no such case): closed all the same
    ["case", "take-over", "SID", "--user", "ann"],
    ["user", "list"],
    ["user", "roles", "nobody", "--role", "agent"],  # refused
    ["audit"],
    ["stats"],
    ["demo-data", "--days", "1", "--per-day", "1"],
    ["technician", "list"],
    ["visit", "list"],
    ["visit", "cancel", "99"],  # refused
]


def test_every_command_closes_the_store_it_opens(db: str, stores: tuple[list[int], set[int]]) -> None:
    """Each command that opens a Store disposes it before it returns, whether it succeeds or is refused."""
    wifi_only = "all\nactive\nno\nyes\nok\nonline\nnot_fixed\ndone\nready\nready\nnot_fixed\nwired_ok\nok\nnot_fixed\nnot_fixed\n"
    code, out = run("run", "no-internet", "--persist", "--db", db, stdin=wifi_only)  # escalates: case #1
    sid = out.splitlines()[0].rsplit(" ", 1)[1]
    opened, disposed = stores
    codes = []
    for argv in COMMANDS:
        before = len(opened)
        codes.append(run(*[sid if a == "SID" else a for a in argv], "--db", db, stdin="q\n")[0])
        assert len(opened) > before, argv
        assert set(opened[before:]) <= disposed, argv
    assert codes.count(2) == 3
