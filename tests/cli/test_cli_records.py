"""Records commands: publish, versions, diff, sessions, resume, cases."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from triage.cli.main import main
from triage.records.cases import Queue
from triage.records.store import Store
from triage.trees.library import DEFAULT_TREES
from triage.walk.scenarios import load_library

SHIPPED = len(load_library([DEFAULT_TREES], scenarios=False))


# every device, account active, no smell, lights on, line OK, router online; the remote restart and the
# power-cycle do not fix it; wired works; Wi-Fi on, remote optimisation and a rejoin fail: tier 2, home-networking
WIFI_ONLY = "all\nactive\nno\nyes\nok\nonline\nnot_fixed\ndone\nready\nready\nnot_fixed\nwired_ok\nok\nnot_fixed\nnot_fixed\n"


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out, inp=io.StringIO(stdin)), out.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    code, out = run("publish", "--db", url)
    assert code == 0
    assert out.splitlines()[-1] == f"{SHIPPED} tree(s) published, 0 unchanged"
    return url


def test_db_upgrade(tmp_path: Path) -> None:
    """`triage db upgrade` creates the database and says so."""
    code, out = run("db", "upgrade", "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert code == 0
    assert out.endswith("is at the latest schema\n")


def test_publish_again_is_a_no_op_and_versions_list(db: str, tmp_path: Path) -> None:
    """Publishing unchanged files publishes nothing; a changed file becomes version 2; diff shows it."""
    assert run("publish", "--db", db)[1].splitlines()[-1] == f"0 tree(s) published, {SHIPPED} unchanged"
    changed = tmp_path / "trees" / "no-internet.yaml"
    changed.parent.mkdir()
    text = (DEFAULT_TREES / "connectivity" / "no-internet.yaml").read_text(encoding="utf-8")
    changed.write_text(text.replace("Is any light on?", "Any light?"), encoding="utf-8")
    code, out = run("publish", str(changed.parent), "--db", db, "--author", "ann")
    assert (code, out.splitlines()[0][:32]) == (0, "published no-internet version 2 ")
    code, out = run("versions", "no-internet", "--db", db)
    assert [ln.split()[0] for ln in out.splitlines()] == ["v1", "v2"]
    code, out = run("diff", "no-internet", "1", "2", "--db", db)
    assert "nodes changed: power_light" in out


def test_persisted_walk_resume_and_case_flow(db: str) -> None:
    """A persisted self-service walk is resumed by its reference (typed loosely), escalates, and an agent takes
    it over by the same reference; the case is shown by its own reference."""
    code, out = run("run", "no-internet", "--persist", "--db", db, "--mode", "self_service", stdin="all\nq\n")
    assert code == 1
    session_id = out.splitlines()[-1].split("Session ")[1].split()[0]
    code, out = run("sessions", "--db", db)
    reference, listed_id = out.splitlines()[0].split()[:2]
    assert listed_id == session_id
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}", reference)
    assert "2 steps  at smell_check" in out
    code, out = run(
        "resume",
        reference.lower().replace("-", " "),
        "--db",
        db,
        stdin="no\nyes\nsteady\ndone\nready\nready\nnot_fixed\nwired_fails\ndns_only\n",
    )
    assert code == 0
    assert "== Decision: ESCALATE ==" in out
    code, out = run("cases", "--db", db)
    assert out.splitlines()[-1] == "1 case(s)"
    assert "tier1-support" in out
    case_ref = out.splitlines()[0].split()[0]
    assert case_ref != reference
    assert re.fullmatch(r"\w{3}-\w{3}", case_ref)
    code, out = run("case", "take-over", reference, "--user", "ann", "--db", db, stdin="fixed\n")
    assert code == 0
    assert "== Decision: RESOLVED ==" in out
    code, out = run("case", "show", case_ref, "--db", db)
    assert out.startswith(f"case {case_ref} (#1): closed,")
    assert "closure: handed-over" in out


def test_case_close_requires_code_and_refuses_twice(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Closing a case needs a closure code; closing it again is a clear error (exit 2)."""
    run("run", "no-internet", "--persist", "--db", db, stdin=WIFI_ONLY)  # escalates: case #1
    with Store(db) as st:
        (case,) = Queue(st).list_cases()
    assert case.reference is not None
    assert (
        run("case", "claim", "1", "--user", "tom", "--db", db)[1] == f"case {case.reference} claimed by tom\n"
    )
    assert run("case", "note", "1", "checked", "the", "line", "--user", "tom", "--db", db)[0] == 0
    assert run("case", "close", "1", "--user", "tom", "--code", "device-wifi-driver", "--db", db)[0] == 0
    code, _ = run("case", "close", "1", "--user", "tom", "--code", "x", "--db", db)
    assert code == 2
    assert "case 1 is already closed; it cannot be closed again" in capsys.readouterr().err


def test_unknown_session(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Resuming an unknown reference is a clear error, not a traceback."""
    assert run("resume", "nope", "--db", db)[0] == 2
    assert capsys.readouterr().err == (
        "triage resume: no session 'nope' (give its reference, like K7P-4QX, or at least the first 6 "
        "characters of its id)\n"
    )
    assert run("resume", "ZZZ-ZZZ", "--db", db)[0] == 2
    assert capsys.readouterr().err == (
        "triage resume: no session has the reference or an id starting with 'ZZZ-ZZZ'\n"
    )


def test_user_add_list_and_sign_in(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`triage user add` creates an account whose password signs in; bad roles are refused."""
    from triage.records.accounts import Accounts
    from triage.records.store import Store

    code, out = run(
        "user",
        "add",
        "ann",
        "--role",
        "agent",
        "--role",
        "author",
        "--password-stdin",
        "--db",
        db,
        stdin="s3cret-pass\n",
    )
    assert (code, out) == (0, "user ann created with roles agent, author\n")
    assert run("user", "list", "--db", db)[1] == "ann                  agent, author\n"
    assert Accounts(Store(db)).authenticate("ann", "s3cret-pass").roles == ("agent", "author")
    code, _ = run(
        "user", "add", "bob", "--role", "boss", "--password-stdin", "--db", db, stdin="s3cret-pass\n"
    )
    assert code == 2
    assert (
        "unknown role 'boss'; roles are: agent, tier2, dispatcher, author, admin" in capsys.readouterr().err
    )


class PageAnswers(io.StringIO):
    """The terminal's input: before line ``at`` is read, the web page answers ``value`` on the stored session."""

    def __init__(self, text: str, url: str, at: int, value: str) -> None:
        super().__init__(text)
        self.url, self.at, self.value, self.lines = url, at, value, 0

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        if self.lines == self.at:
            with Store(self.url) as st:
                (row,) = st.list_sessions()
                st.load_session(row.id).answer(self.value)
        self.lines += 1
        return super().readline(-1 if size is None else size)


def test_run_persist_says_what_changed_elsewhere_and_shows_the_step_it_stands_at(db: str) -> None:
    """`triage run --persist`: the page answers the burning-smell question while the terminal shows it; the
    terminal's own "no" is refused with what changed, the next step (a yes/no about the router's lights) is
    shown, and the walk goes on from there — the terminal's "no" never answers the lights question."""
    out = io.StringIO()
    inp = PageAnswers("all\nactive\nno\nyes\nq\n", db, at=2, value="no")
    code = main(["run", "no-internet", "--persist", "--db", db], out=out, inp=inp)
    text = out.getvalue()
    said = "  ! This session was changed elsewhere (an answer was given); here is where it stands now\n"
    assert code == 1
    assert said + "\n[step 4, " in text
    after = text.split(said, 1)[1].splitlines()
    assert after[1].endswith("] Look at the router. Is any light on?")
    assert "Traceback" not in text
    with Store(db) as st:
        (row,) = st.list_sessions()
        session = st.load_session(row.id).session
    assert [e.value for e in session.events if e.type == "answer"] == ["all", "active", "no", "yes"]
    assert session.decision is None
    assert session.view().node_id == "line_test"


def test_a_case_number_that_is_not_a_number_is_a_usage_error(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`triage case show abc` says what REF is (exit 2), no traceback."""
    code, _ = run("case", "show", "abc", "--db", db)
    err = capsys.readouterr().err
    assert code == 2
    assert err.endswith(
        "Error: show needs a case's reference or number, like `triage case show K7P-4QX`: "
        "no case 'abc' (give its reference, like K7P-4QX, or its number)\n"
    )
    assert "Traceback" not in err
