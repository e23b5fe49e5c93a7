"""The Fulfilment desk: what the page lists, what the decision panel reads, and the moves staff make."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from boxhelp import publish_box, walk

from triage.desk import fulfilment as ful
from triage.errors import Refused
from triage.records.store import Store


@pytest.fixture
def box(store_url: str) -> Iterator[Store]:
    """A fresh store (SQLite, then PostgreSQL) with only the box-help tree published."""
    st = publish_box(Store(store_url))
    yield st
    st.dispose()


def test_the_worklist_holds_what_staff_still_act_on(box: Store) -> None:
    """Requested and shipped shipments, repairs not back yet, follow-ups due: delivered and cancelled drop out."""
    kept = walk(box, "remote", customer="C-kept")
    done = walk(box, "both", customer="C-done")
    dropped = walk(box, "remote", customer="C-dropped")
    repair = walk(box, "dead", customer="C-repair")
    check = walk(box, "slow", "fixed", customer="C-check")
    dropped.back()
    ref = ful.session_fulfilment(box, done.id).shipment
    assert ref is not None
    ful.confirm_address(box, ref.reference, "Hafenstr. 2\n20457 Hamburg", "ana")
    ful.ship(box, ref.reference, "ana")
    later = datetime.now(UTC) + timedelta(days=4)
    work = ful.worklist(box, later)
    assert [(s.session_id, s.status) for s in work.shipments] == [
        (kept.id, "requested"),
        (done.id, "shipped"),
    ]
    assert [r.session_id for r in work.repairs] == [repair.id]
    assert [f.session_id for f in work.follow_ups] == [check.id]
    assert ful.follow_ups_due(box) == []  # due in three days, not now
    ful.deliver(box, ref.reference, "ben")
    assert [s.session_id for s in ful.worklist(box, later).shipments] == [kept.id]
    assert [s.status for s in ful.shipments(box, None)].count("cancelled") == 1


def test_session_fulfilment_is_what_the_decision_panel_reads(box: Store) -> None:
    """The panel reads the session's live shipment, repair or follow-up, never a cancelled one."""
    s = walk(box, "remote")
    first = ful.session_fulfilment(box, s.id)
    assert first.shipment is not None
    assert (first.repair, first.follow_up) == (None, None)
    s.back()
    assert ful.session_fulfilment(box, s.id).shipment is None
    s.answer("dead")
    assert s.decision is not None
    repair = ful.session_fulfilment(box, s.id).repair
    assert repair is not None
    assert repair.rma == s.decision.rma
    fixed = walk(box, "slow", "fixed")
    follow_up = ful.session_fulfilment(box, fixed.id).follow_up
    assert follow_up is not None
    assert follow_up.status == "open"


def test_table_rows_and_words(box: Store) -> None:
    """Rows give the page plain values: parts in one line, the address on one line, the date in the reader's language."""
    s = walk(box, "both", customer="C-rows")
    sh = ful.session_fulfilment(box, s.id).shipment
    assert sh is not None
    confirmed = ful.confirm_address(box, sh.reference, "Hafenstr. 2\n20457 Hamburg", "ana")
    row = ful.shipment_row(confirmed)
    assert {
        k: row[k] for k in ("reference", "status", "customer", "parts", "return_old", "address", "confirmed")
    } == {
        "reference": sh.reference,
        "status": "requested",
        "customer": "C-rows",
        "parts": "1 x remote-rc7, 2 x psu-12v",
        "return_old": True,
        "address": "Hafenstr. 2, 20457 Hamburg",
        "confirmed": True,
    }
    fixed = walk(box, "slow", "fixed")
    fu = ful.session_fulfilment(box, fixed.id).follow_up
    assert fu is not None
    assert ful.follow_up_row(fu)["what"] == "Ask whether the picture stayed stable."
    due = fu.due_at.date()
    assert ful.due_date(fu, "de") == f"{due.day}. {_GERMAN_MONTHS[due.month - 1]} {due.year}"
    assert ful.due_date(fu, "not a locale") == due.isoformat()


_GERMAN_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)


def test_a_failed_follow_up_turns_the_session_not_resolved(box: Store) -> None:
    """Closing a due follow-up as failed marks the session not resolved; it leaves the due list."""
    s = walk(box, "slow", "fixed")
    later = datetime.now(UTC) + timedelta(days=4)
    [due] = ful.follow_ups_due(box, later)
    closed = ful.close_follow_up(box, due.id, False, "ana", "picture flickers again")
    assert closed.status == "failed"
    assert box.session_row(s.id).truth == "not_resolved"
    assert ful.follow_ups_due(box, later) == []
    assert ful.open_follow_ups(box) == []


def test_repairs_move_through_the_desk(box: Store) -> None:
    """The desk moves a repair on and refuses a skipped step."""
    s = walk(box, "dead")
    assert s.decision is not None
    rma = s.decision.rma or ""
    with pytest.raises(Refused, match="it can go to received or cancelled, not returned"):
        ful.move_repair(box, rma, "returned", "depot")
    assert ful.move_repair(box, rma, "received", "depot").status == "received"
    assert [r.status for r in ful.repairs(box)] == ["received"]
