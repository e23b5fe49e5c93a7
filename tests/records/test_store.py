"""The store, on SQLite and a real PostgreSQL server: versions, persistent sessions, outcome truth, cases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from libraries import shipped

from triage import TreeError
from triage.errors import CaseRefused, NotFound, StoreUnavailable, VersionConflict
from triage.records.cases import Queue
from triage.records.store import Store
from triage.trees.library import DEFAULT_TREES

ROOT = Path(__file__).resolve().parents[2]
NO_INTERNET = (DEFAULT_TREES / "connectivity" / "no-internet.yaml").read_text(encoding="utf-8")
RESTART = ["all", "active", "no", "yes", "ok", "online", "not_fixed", "done", "ready", "ready"]
WIFI_ONLY = [*RESTART, "not_fixed", "wired_ok", "ok", "not_fixed", "not_fixed"]
ESCALATE_DNS = [*RESTART, "not_fixed", "wired_fails", "dns_only"]
RESTART_FIXES = [*RESTART, "fixed"]


def test_first_use_creates_the_database(tmp_path: Path) -> None:
    """Opening a store on a missing SQLite file creates and migrates it."""
    path = tmp_path / "sub" / "new.db"
    path.parent.mkdir()
    st = Store(f"sqlite:///{path}")
    assert path.exists()
    assert st.versions("no-internet") == []
    st.dispose()


def test_publish_is_versioned_and_immutable(store: Store) -> None:
    """Publishing a change stores version 2 beside version 1; republishing the same text changes nothing."""
    v1 = store.latest_version("no-internet")
    assert v1 is not None
    assert v1.version == 1
    changed = NO_INTERNET.replace("Is any light on?", "Is at least one light on?")
    v2 = store.publish(changed, author="ann", base_version=1, note="clearer wording")
    assert (v2.version, v2.author, v2.note) == (2, "ann", "clearer wording")
    assert store.publish(changed, author="ann", base_version=2).version == 2
    assert [v.version for v in store.versions("no-internet")] == [1, 2]
    assert store.version_text("no-internet", 1) == NO_INTERNET


def test_stale_base_is_a_conflict_that_keeps_the_text(store: Store) -> None:
    """Saving against an old version is refused, and the error carries the author's text."""
    store.publish(NO_INTERNET.replace("Is any light on?", "Any light?"), author="ann", base_version=1)
    mine = NO_INTERNET.replace("Is any light on?", "Do you see a light?")
    with pytest.raises(VersionConflict) as exc:
        store.publish(mine, author="bob", base_version=1)
    assert exc.value.text == mine
    assert (exc.value.base, exc.value.latest) == (1, 2)
    assert "was published as version 2 while you edited version 1; your text is kept" in str(exc.value)


def test_publishing_a_broken_tree_is_refused(store: Store) -> None:
    """Invalid YAML is refused with the tree error, and nothing is stored."""
    with pytest.raises(TreeError, match="this is not valid YAML"):
        store.publish("id: x\ntitle: 'unclosed\n", author="ann")
    assert store.versions("x") == []


def test_diff_names_changed_nodes(store: Store) -> None:
    """The diff between two versions lists changed nodes and shows the text change."""
    store.publish(NO_INTERNET.replace("Is any light on?", "Any light?"), author="ann", base_version=1)
    diff = store.diff("no-internet", 1, 2)
    assert diff.splitlines()[:4] == [
        "tree no-internet: version 1 -> 2",
        "nodes added: -",
        "nodes removed: -",
        "nodes changed: power_light",
    ]
    assert '-    text: {en: "Look at the router. Is any light on?"' in diff
    assert '+    text: {en: "Look at the router. Any light?"' in diff


def test_session_survives_and_resumes_by_id(store: Store) -> None:
    """Every step is stored as it happens: a new Store instance resumes the session at the same step."""
    s = store.start_session("no-internet", mode="self_service", locale="de", customer_id="C1")
    s.answer("all")
    s.add_note("ruft vom Handy an")
    s.answer("active")
    with Store(store.url) as other:
        again = other.load_session(s.id)
        assert again.view().model_dump() == s.view().model_dump()
        assert again.view().node_id == "smell_check"
    row = store.session_row(s.id)
    assert (row.status, row.steps, row.last_node, row.mode, row.locale) == (
        "open",
        2,
        "smell_check",
        "self_service",
        "de",
    )


def test_in_flight_session_keeps_its_tree_version(store: Store) -> None:
    """A session started on version 1 keeps walking version 1 after version 2 is published."""
    s = store.start_session("no-internet")
    for a in ["all", "active", "no"]:
        s.answer(a)
    store.publish(NO_INTERNET.replace("Is any light on?", "Any light?"), author="ann", base_version=1)
    resumed = store.load_session(s.id)
    assert resumed.view().text == "Look at the router. Is any light on?"
    fresh = store.start_session("no-internet")
    fresh.answer("all")
    fresh.answer("active")
    assert fresh.answer("no").text == "Look at the router. Any light?"
    assert store.session_row(s.id).root_version == 1


def test_unknown_session_id(store: Store) -> None:
    """Loading an unknown session is a NotFound naming the id."""
    with pytest.raises(NotFound, match="no session 'nope'"):
        store.load_session("nope")


def test_escalation_creates_a_case_with_the_handoff(store: Store) -> None:
    """An escalate decision puts a case in the decision's queue, carrying the full hand-off."""
    s = store.start_session("no-internet", customer_id="C2")
    for a in WIFI_ONLY:
        s.answer(a)
    cases = Queue(store).list_cases(queue="home-networking")
    assert len(cases) == 1
    c = cases[0]
    assert (c.session_id, c.tier, c.priority, c.status) == (s.id, 2, "normal", "open")
    assert c.handoff["facts"]["line_result"] == "ok"
    assert [st["node_id"] for st in c.handoff["steps"]][:2] == ["all_devices", "account_check"]
    assert "## Steps tried" in c.handoff_markdown


def test_case_lifecycle(store: Store) -> None:
    """Tier 2 claims, notes and closes a case with a closure code; the session records the real fault."""
    s = store.start_session("no-internet", customer_id="C3")
    for a in WIFI_ONLY:
        s.answer(a)
    q = Queue(store)
    case_id = q.list_cases()[0].id
    q.claim(case_id, "tier2-tom")
    with pytest.raises(CaseRefused, match=f"case {case_id} is claimed by tier2-tom; it cannot be claimed"):
        q.claim(case_id, "tier2-zoe")
    q.add_note(case_id, "tier2-tom", "Channel 13 congested; moved to 1.")
    closed = q.close(case_id, "tier2-tom", "wifi-channel-congestion", "moved to channel 1")
    assert (closed.status, closed.closure_code) == ("closed", "wifi-channel-congestion")
    with pytest.raises(CaseRefused, match=f"case {case_id} is already closed; it cannot be closed again"):
        q.close(case_id, "tier2-tom", "again")
    assert q.get(case_id).notes[0][1:] == ("tier2-tom", "Channel 13 congested; moved to 1.")
    row = store.session_row(s.id)
    assert (row.closure_code, row.closure_fix, row.closure_source) == (
        "wifi-channel-congestion",
        "moved to channel 1",
        "tier2",
    )


def test_going_back_withdraws_an_unclaimed_case(store: Store) -> None:
    """If the agent goes back and the decision changes, the open case is withdrawn."""
    s = store.start_session("no-internet")
    for a in WIFI_ONLY:
        s.answer(a)
    s.back()
    q = Queue(store)
    assert [c.status for c in q.for_session(s.id)] == ["withdrawn"]
    s.answer("not_fixed")
    assert [c.status for c in q.for_session(s.id)] == ["withdrawn", "open"]


def test_the_store_tells_its_listeners_about_decisions(tmp_path: Path) -> None:
    """A store tells its own listeners when a decision comes or goes; without the queue's, no case is made."""
    st = Store(f"sqlite:///{tmp_path / 'quiet.db'}", listeners=[])
    st.sync(shipped())
    heard: list[tuple[bool, str | None, str | None]] = []
    st.on_decision(lambda news: heard.append((news.first, news.previous, news.kind)))
    s = st.start_session("no-internet")
    for a in WIFI_ONLY:
        s.answer(a)
    s.back()
    assert heard == [(True, None, None), (False, None, "escalate"), (False, "escalate", None)]
    assert Queue(st).for_session(s.id) == []
    st.dispose()


def test_self_service_escalation_is_picked_up_by_an_agent(store: Store) -> None:
    """A customer who escalates hands over the same session: the agent continues at their step, answers intact."""
    s = store.start_session("no-internet", mode="self_service", customer_id="C4")
    for a in ESCALATE_DNS:
        s.answer(a)
    assert s.decision is not None
    assert (s.decision.rule, s.decision.queue) == ("performer", "tier1-support")
    q = Queue(store)
    case = q.list_cases(queue="tier1-support")[0]
    taken = q.take_over(case.session_id, "agent-ann")
    v = taken.view()
    assert (v.mode.value, v.node_id, v.finished, v.hint is not None) == ("agent", "reset_dns", False, True)
    assert [c.answer for c in v.breadcrumb][:2] == ["Yes, every device", "Active"]
    assert q.get(case.id).closure_code == "handed-over"
    assert taken.answer("fixed").decision.node_id == "fixed_dns"  # type: ignore[union-attr]


def test_repeat_contact_marks_earlier_resolution_not_resolved(store: Store) -> None:
    """A second contact from the same customer about the same problem within the window undoes 'resolved'."""
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    first = store.start_session("no-internet", customer_id="C5", now=t0)
    for a in RESTART_FIXES:
        first.answer(a)
    assert first.decision is not None
    assert first.decision.kind.value == "resolved"
    assert store.session_row(first.id).truth is None
    second = store.start_session("no-internet", customer_id="C5", now=t0 + timedelta(days=2))
    assert store.session_row(first.id).truth == "not_resolved"
    assert (store.session_row(second.id).repeat_of, second.session.facts["repeat_contacts"]) == (first.id, 1)
    late = store.start_session("no-internet", customer_id="C6", now=t0)
    for a in RESTART_FIXES:
        late.answer(a)
    assert late.decision is not None
    assert late.decision.kind.value == "resolved"
    store.start_session("no-internet", customer_id="C6", now=t0 + timedelta(days=8))
    assert store.session_row(late.id).truth is None


def test_second_repeat_contact_escalates(store: Store) -> None:
    """On the third contact within the window the policy escalates at once."""
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for i in range(2):
        store.start_session(
            "no-internet", customer_id="C7", facts={"outage_in_area": True}, now=t0 + timedelta(hours=i)
        )
    third = store.start_session("no-internet", customer_id="C7", now=t0 + timedelta(hours=5))
    assert third.decision is not None
    assert (third.decision.rule, third.decision.kind.value) == ("repeat-contact", "escalate")


def test_unreachable_database_is_a_clear_error() -> None:
    """A PostgreSQL URL with nothing listening gives StoreUnavailable naming the database, no traceback soup."""
    with pytest.raises(
        StoreUnavailable,
        match=r"cannot open the database at postgresql\+psycopg://nobody:\*\*\*@127.0.0.1:9/",
    ):
        Store("postgresql+psycopg://nobody:secret@127.0.0.1:9/triage?connect_timeout=2")


def test_locked_database_loses_nothing(tmp_path: Path) -> None:
    """While another writer holds the SQLite lock, a step fails clearly, the session does not move, and retrying works."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'l.db'}"

    st = Store(url)
    st.sync(shipped())
    s = st.start_session("no-internet")
    for a in ["all", "active", "no"]:
        s.answer(a)
    st.engine.dispose()
    blocker = sqlite3.connect(tmp_path / "l.db", timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        # make the store give up quickly instead of waiting 15 s for the lock
        from sqlalchemy import event

        @event.listens_for(st.engine, "connect")
        def _short(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            dbapi_conn.execute("PRAGMA busy_timeout=200")

        with pytest.raises(StoreUnavailable, match="nothing was saved"):
            s.answer("yes")
        assert s.view().node_id == "power_light"
    finally:
        blocker.rollback()
        blocker.close()
    assert s.answer("yes").node_id == "line_test"
    assert Store(url).load_session(s.id).view().node_id == "line_test"


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from triage.records.store import Store
    st = Store(sys.argv[1])
    s = st.start_session("no-internet", customer_id="K1")
    for a in ["all", "active", "no", "yes", "ok", "offline", "done"]:
        s.answer(a)
    print(s.id, flush=True)
    time.sleep(60)
    """
)


def test_kill_9_mid_walk_loses_no_answered_step(store: Store) -> None:
    """A process killed with SIGKILL in the middle of a walk loses none of the steps it answered."""
    with subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, store.url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as proc:
        assert proc.stdout is not None
        session_id = proc.stdout.readline().strip()
        time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    resumed = store.load_session(session_id)
    crumbs = [c.node_id for c in resumed.view().breadcrumb]
    assert crumbs == [
        "all_devices",
        "account_check",
        "smell_check",
        "power_light",
        "line_test",
        "router_check",
        "unplug",
    ]
    assert resumed.view().node_id == "drain"
