"""`triage customer forget|purge`: erase contact data by any id, or past the retention; counts out, data never."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from boxhelp import publish_box, walk

from triage.cli.main import main
from triage.desk import customers
from triage.records import audit
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


def _session_with_contact(db: str, customer: str) -> tuple[str, str]:
    """A session with a saved contact; its id and its reference."""
    with Store(db) as st:
        s = walk(st, "flicker", "fault", customer=customer)
        customers.save_contact(st, s.id, name="Ana Lopez", phone="+49 30 1234567", consent=True, locale="en")
        assert s.reference is not None
        return s.id, s.reference


def test_forget_by_reference_erases_and_audits(db: str) -> None:
    """A reference as read out on a call (any case, spaces) names the session; the output has counts only."""
    sid, ref = _session_with_contact(db, "C-1")
    code, out = run("customer", "forget", ref.lower().replace("-", " "), "--by", "dpo", "--db", db)
    assert code == 0
    assert out == (
        "forgotten: 1 contact(s), 0 visit address(es), 0 shipping address(es) and 0 outage notice(s) erased "
        "for 1 session(s)\n"
    )
    with Store(db) as st:
        assert customers.contact_for(st, sid) is None
        [line] = audit.entries(st)
    assert (line.event, line.actor) == ("contact_forgotten", "dpo")
    assert "Ana" not in line.detail


def test_forget_by_customer_id_and_by_session_id(db: str) -> None:
    """A customer id erases each of their sessions' contacts; a session id its own."""
    first, _ = _session_with_contact(db, "C-2")
    _session_with_contact(db, "C-2")
    other, _ = _session_with_contact(db, "C-3")
    assert run("customer", "forget", "C-2", "--db", db)[1].endswith("erased for 2 session(s)\n")
    assert run("customer", "forget", other, "--db", db)[1].startswith("forgotten: 1 contact(s)")
    with Store(db) as st:
        assert customers.contact_for(st, first) is None
        assert customers.contact_for(st, other) is None


def test_forget_an_unknown_id_is_one_line_and_exit_2(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing matched: said on standard error, nothing written."""
    assert run("customer", "forget", "C-404", "--db", db) == (2, "")
    assert capsys.readouterr().err == (
        "triage customer: no customer, session or case 'C-404'; give a customer id, a reference or a session id\n"
    )


def test_purge_keeps_recent_contacts_and_says_the_retention(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing older than the retention: nothing purged, the retention in force printed."""
    sid, _ = _session_with_contact(db, "C-4")
    monkeypatch.setenv("TRIAGE_CONTACT_RETENTION_DAYS", "30")
    code, out = run("customer", "purge", "--db", db)
    assert (code, out) == (
        0,
        "kept for 30 days; purged: 0 contact(s), 0 visit address(es), 0 shipping address(es) and 0 outage "
        "notice(s) erased for 0 session(s)\n",
    )
    with Store(db) as st:
        assert customers.contact_for(st, sid) is not None


def test_purge_with_a_bad_retention_is_refused(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A retention that is no number of days stops the purge with the variable named."""
    monkeypatch.setenv("TRIAGE_CONTACT_RETENTION_DAYS", "forever")
    assert run("customer", "purge", "--db", db) == (2, "")
    assert (
        "TRIAGE_CONTACT_RETENTION_DAYS must be a whole number of days (got 'forever')"
        in capsys.readouterr().err
    )


def test_start_up_purges_expired_contacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bootstrap() erases contacts past the retention (here: the row is back-dated past it)."""
    from sqlalchemy import update

    from triage.bootstrap import bootstrap
    from triage.records.schema import CustomerContact

    url = f"sqlite:///{tmp_path / 'boot.db'}"
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "a-long-enough-password-1")
    monkeypatch.setenv("TRIAGE_TREES", str(tmp_path / "no-trees"))
    (tmp_path / "no-trees").mkdir()
    with Store(url) as st:
        publish_box(st)
    sid, _ = _session_with_contact(url, "C-5")
    with Store(url) as st, st.tx() as dbs:
        dbs.execute(update(CustomerContact).values(created_at=datetime(2020, 1, 1, tzinfo=UTC)))
    boot = bootstrap(url, demo=False)
    try:
        assert customers.contact_for(boot.store, sid) is None
        assert "contacts_purged" in [e.event for e in audit.entries(boot.store)]
    finally:
        boot.store.dispose()
