"""Remote checks through the desk, on SQLite and PostgreSQL: the demo provider answers from ``remote_status``
(the customer's row, else everyone's), a slow answer times out, what a check gives is written like an answer,
and a real provider plugs in with ``TRIAGE_SYSTEMS=module:function``."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from boxhelp import BOX, publish_box, walk

from triage.demo.remote import LINE_FAULT, LINE_OK, seed_remote_status
from triage.desk import remote
from triage.errors import LimitExceeded, NotFound, Refused, SessionConflict
from triage.records.store import Store
from triage.trees.model import Audience, OutcomeKind
from triage.walk.systems import Systems


@pytest.fixture
def box(store_url: str) -> Iterator[Store]:
    """A fresh store (SQLite, then PostgreSQL) with only the box-help tree published and everyone's line test fine."""
    st = publish_box(Store(store_url))
    remote.set_remote_status(st, "*", "line_test", "ok")
    yield st
    st.dispose()


def test_a_check_answers_from_the_customers_row_else_everyones(box: Store) -> None:
    """The demo line test gives the customer's own row (fault) or, without one, the row for everyone (ok)."""
    remote.set_remote_status(box, "C-fault", "line_test", "fault", detail="no sync since 06:12")
    systems = remote.demo_systems(box)
    assert systems.run("line_test", {"customer_id": "C-fault"}, 5).value == "fault"
    assert systems.run("line_test", {"customer_id": "C-other"}, 5).value == "ok"
    assert systems.run("line_test", {}, 5).value == "ok"
    gone = systems.run("box_status", {"customer_id": "C-other"}, 5)
    assert (gone.ok, gone.detail) == (False, "the demo provider has no box_status status for this customer")
    assert systems.run("refresh_box", {}, 5).value == "sent"
    assert systems.run("reboot_router", {}, 5).value == "sent"


def test_run_remote_answers_the_check_and_writes_it(box: Store) -> None:
    """At the line test, the customer's fault answers the step (escalate) and the answer is stored."""
    remote.set_remote_status(box, "C-fault", "line_test", "fault")
    s = walk(box, "flicker", customer="C-fault")
    before = s.event_count
    result = remote.run_remote(box, s)
    assert result is not None
    assert (result.name, result.ok, result.value) == ("line_test", True, "fault")
    assert s.decision is not None
    assert s.decision.kind is OutcomeKind.ESCALATE
    again = box.load_session(s.id)
    assert again.event_count == before + 1
    assert again.session.events[-1].value == "fault"
    assert box.session_row(s.id).decision_kind == "escalate"


def test_an_ok_line_goes_on_to_a_resolved_decision_with_a_follow_up(box: Store) -> None:
    """A fine line answers ok: resolved with a follow-up, which the fulfilment listener creates."""
    s = walk(box, "flicker")
    result = remote.run_remote(box, s)
    assert result is not None
    assert result.value == "ok"
    assert s.decision is not None
    assert s.decision.follow_up_days == 3
    from triage.desk.fulfilment import session_fulfilment

    assert session_fulfilment(box, s.id).follow_up is not None


def test_a_step_without_a_remote_system_runs_nothing(box: Store) -> None:
    """At a plain question there is nothing to run: None, and nothing is written."""
    s = box.start_session(BOX, customer_id="C-plain")
    before = s.event_count
    assert remote.run_remote(box, s) is None
    assert box.load_session(s.id).event_count == before


def test_a_remote_action_is_noted_and_the_step_stays_for_the_person(box: Store) -> None:
    """refresh_box answers sent; the session notes it and still asks whether it fixed it."""
    s = walk(box, "slow")
    result = remote.run_remote(box, s)
    assert result is not None
    assert (result.ok, result.value) == (True, "sent")
    again = box.load_session(s.id)
    assert again.view().node_id == "refresh"
    assert again.session.notes[-1].startswith("Remote action refresh_box: sent")


def test_a_slow_check_times_out_agent_picks_by_hand_customer_goes_on(box: Store) -> None:
    """delay_seconds longer than the check's timeout: the agent's step stays open; self-service goes to on_unavailable."""
    remote.set_remote_status(box, "C-slow", "line_test", "ok", delay_seconds=1.5)
    agent = walk(box, "flicker", customer="C-slow")
    result = remote.run_remote(box, agent)
    assert result is not None
    assert (result.ok, result.detail) == (False, "no answer within 1 s")
    assert box.load_session(agent.id).view().node_id == "line"  # the manual fallback: the agent picks
    customer = box.start_session(BOX, mode=Audience.SELF_SERVICE, customer_id="C-slow")
    customer.answer("flicker")
    remote.run_remote(box, customer)
    stored = box.load_session(customer.id)
    assert stored.decision is not None
    assert stored.decision.kind is OutcomeKind.ESCALATE  # on_unavailable
    assert "Remote check line_test: no answer within 1 s; no result." in stored.session.notes[-1]


def test_run_system_is_refused_when_another_writer_moved_the_session(box: Store) -> None:
    """A check run on a session someone else changed meanwhile writes nothing and names the change."""
    s = walk(box, "flicker")
    other = box.load_session(s.id)
    other.add_note("called from the shop")
    with pytest.raises(SessionConflict, match="a note was added"):
        s.run_system(remote.demo_systems(box))
    stored = box.load_session(s.id)
    assert stored.view().node_id == "line"
    assert stored.decision is None


def test_status_is_set_checked_and_removed(box: Store) -> None:
    """Set replaces a row; values, systems and delays are checked, naming what is allowed; unset removes."""
    remote.set_remote_status(box, "C-1", "box_status", "offline")
    remote.set_remote_status(box, "C-1", "box_status", "updating", detail="firmware 4.2", delay_seconds=2)
    [row] = remote.remote_status(box, "C-1")
    assert (row.system, row.value, row.detail, row.delay_seconds) == (
        "box_status",
        "updating",
        "firmware 4.2",
        2.0,
    )
    with pytest.raises(Refused, match=r"line_test gives ok, fault, no_sync \(got 'okay'\)"):
        remote.set_remote_status(box, "C-1", "line_test", "okay")
    with pytest.raises(Refused, match="'refresh_box' always answers sent"):
        remote.set_remote_status(box, "C-1", "refresh_box", "failed")
    with pytest.raises(Refused, match="'dns_check' is not one of the demo provider's checks"):
        remote.set_remote_status(box, "C-1", "dns_check", "ok")
    with pytest.raises(Refused, match="a simulated delay is between 0 and 120 seconds"):
        remote.set_remote_status(box, "C-1", "line_test", "ok", delay_seconds=121)
    with pytest.raises(LimitExceeded, match="a customer id is at most 64 characters"):
        remote.set_remote_status(box, "C" * 65, "line_test", "ok")
    remote.remove_remote_status(box, "C-1", "box_status")
    assert remote.remote_status(box, "C-1") == []
    with pytest.raises(NotFound, match="no remote status for C-1 box_status"):
        remote.remove_remote_status(box, "C-1", "box_status")


def test_the_demo_data_has_a_line_fault_and_a_line_that_is_fine(box: Store) -> None:
    """After seeding, one demo customer's line test finds a fault and another's is fine."""
    seed_remote_status(box)
    seed_remote_status(box)  # seeding again replaces, never doubles
    systems = remote.demo_systems(box)
    assert systems.run("line_test", {"customer_id": LINE_FAULT}, 5).value == "fault"
    assert systems.run("line_test", {"customer_id": LINE_OK}, 5).value == "ok"
    assert len([r for r in remote.remote_status(box) if r.customer_id == LINE_FAULT]) == 2


_PROVIDER = """
from triage.walk.systems import Systems

def systems(store):
    return Systems({"line_test": lambda facts: "no_sync" if facts.get("customer_id") == "C-far" else "ok"})

def mapping(store):
    return {"line_test": lambda facts: "fault"}

def wrong(store):
    return 42
"""


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real provider's module on the import path; its name."""
    (tmp_path / "acme_network.py").write_text(textwrap.dedent(_PROVIDER), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "acme_network"


def test_a_real_provider_plugs_in_with_triage_systems(
    box: Store, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TRIAGE_SYSTEMS=module:function: run_remote asks that provider instead of the demo one."""
    monkeypatch.setenv(remote.ENV_SYSTEMS, f"{provider}:systems")
    assert remote.provider_systems(box).names == frozenset({"line_test"})
    s = walk(box, "flicker", customer="C-far")
    result = remote.run_remote(box, s)
    assert result is not None
    assert result.value == "no_sync"
    assert remote.provider_systems(box, f"{provider}:mapping").run("line_test", {}, 5).value == "fault"
    monkeypatch.delenv(remote.ENV_SYSTEMS)
    assert "refresh_box" in remote.provider_systems(box).names  # unset: the demo provider


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "acme_network",
            "TRIAGE_SYSTEMS='acme_network' names no function; set TRIAGE_SYSTEMS to package.module:function",
        ),
        ("no_such_module_x:f", "TRIAGE_SYSTEMS='no_such_module_x:f': cannot import 'no_such_module_x'"),
        (
            "acme_network:missing",
            "TRIAGE_SYSTEMS='acme_network:missing': acme_network has no function 'missing'",
        ),
        (
            "acme_network:wrong",
            "TRIAGE_SYSTEMS='acme_network:wrong' gave a int; the function must return Systems",
        ),
    ],
)
def test_a_wrong_provider_setting_says_what_to_set(
    box: Store, provider: str, setting: str, message: str
) -> None:
    """A setting that names no usable function is refused with what was wrong and what to set."""
    with pytest.raises(Refused) as caught:
        remote.provider_systems(box, setting)
    assert str(caught.value).startswith(message)


def test_explicit_systems_win_over_the_setting(box: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """run_remote with systems given uses them, whatever TRIAGE_SYSTEMS says."""
    monkeypatch.setenv(remote.ENV_SYSTEMS, "no_such_module_x:f")
    s = walk(box, "flicker")
    result = remote.run_remote(box, s, Systems({"line_test": lambda facts: "fault"}))
    assert result is not None
    assert result.value == "fault"


def test_the_remote_call_holds_no_database_connection(box: Store) -> None:
    """While the provider is asked (which may take its whole timeout), the session holds no connection."""
    seen: list[int] = []

    def line_test(facts: object) -> str:
        seen.append(box.engine.pool.checkedout())  # type: ignore[attr-defined]
        return "ok"

    s = walk(box, "flicker")
    result = s.run_system(Systems({"line_test": line_test}))
    assert result is not None
    assert result.value == "ok"
    assert seen == [0]
    assert box.load_session(s.id).decision is not None
