"""Account commands: `triage user roles|deactivate|reactivate` and `triage audit`."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from triage.cli.main import main
from triage.errors import AuthError
from triage.records.accounts import Accounts
from triage.records.store import Store


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out, inp=io.StringIO(stdin)), out.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> str:
    """An empty database with one agent, ann (created with the CLI)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    code, _ = run(
        "user", "add", "ann", "--role", "agent", "--password-stdin", "--db", url, stdin="ann-password\n"
    )
    assert code == 0
    return url


def test_deactivate_and_reactivate(db: str) -> None:
    """A deactivated user cannot sign in and is marked in the list; reactivated, they can again."""
    code, out = run("user", "deactivate", "ann", "--db", db)
    assert (code, out) == (
        0,
        "user ann deactivated: cannot sign in; open pages lose access on their next run\n",
    )
    assert run("user", "list", "--db", db)[1] == "ann                  agent  (deactivated)\n"
    with Store(db) as st, pytest.raises(AuthError, match="^wrong username or password$"):
        Accounts(st).authenticate("ann", "ann-password")
    assert run("user", "reactivate", "ANN", "--db", db) == (0, "user ANN reactivated\n")
    with Store(db) as st:
        assert Accounts(st).authenticate("ann", "ann-password").username == "ann"


def test_roles_change_and_refusals(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`user roles` sets the roles; no --role, an unknown user and a look-alike name are clear errors."""
    assert run("user", "roles", "ann", "--role", "tier2", "--role", "agent", "--db", db) == (
        0,
        "user ann now has roles tier2, agent\n",
    )
    with pytest.raises(
        SystemExit, match=r"^triage user roles: give the new roles with --role \(repeatable\)$"
    ):
        run("user", "roles", "ann", "--db", db)
    assert run("user", "deactivate", "nobody", "--db", db)[0] == 2
    assert capsys.readouterr().err == "triage user: no user 'nobody'\n"
    code, _ = run("user", "add", "\u0430nn", "--password-stdin", "--db", db, stdin="long-enough\n")
    assert code == 2
    assert capsys.readouterr().err == (
        "triage user: user name 'аnn' mixes scripts: U+0430 CYRILLIC SMALL LETTER A is Cyrillic, "
        "the rest is Latin; use letters of one script\n"
    )


def _lines(out: str) -> list[str]:
    """The audit lines without their timestamps."""
    return [re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d  ", "", line) for line in out.splitlines()]


def test_audit_lists_changes_and_failures_newest_first(db: str) -> None:
    """`triage audit` prints sign-ins, failures with their internal reason, and account changes; it filters."""
    with Store(db) as st:
        acc = Accounts(st)
        acc.authenticate("ann", "ann-password", client="198.51.100.7")
        with pytest.raises(AuthError):
            acc.authenticate("a\u202enn", "x-password", client="203.0.113.9")
    run("user", "roles", "ann", "--role", "tier2", "--db", db)
    code, out = run("audit", "--db", db)
    assert code == 0
    assert _lines(out) == [
        "roles_changed    ann by cli: agent -> tier2",
        "sign_in_failed   a\\u202enn from 203.0.113.9: unknown user",  # typed control characters stay inert
        "signed_in        ann from 198.51.100.7",
        "user_added       ann by cli: roles: agent",
        "4 line(s)",
    ]
    assert _lines(run("audit", "--user", "ANN", "--limit", "2", "--db", db)[1]) == [
        "roles_changed    ann by cli: agent -> tier2",
        "signed_in        ann from 198.51.100.7",
        "2 line(s)",
    ]
    assert run("audit", "--since", "1h", "--db", db)[1].endswith("4 line(s)\n")
    assert run("audit", "--since", "2999-01-01", "--db", db)[1] == "0 line(s)\n"


def test_audit_refuses_a_bad_since(db: str) -> None:
    """An unreadable --since is one clear line (click prints a SystemExit's message), not a traceback."""
    with pytest.raises(
        SystemExit, match="^triage audit: --since 'yesterday' is not a date, a time, or 30m / 24h / 7d$"
    ):
        run("audit", "--since", "yesterday", "--db", db)
