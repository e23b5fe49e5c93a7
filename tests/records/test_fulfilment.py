"""Fulfilment records on SQLite and PostgreSQL: decisions create shipments, repairs and follow-ups once, a
changed decision cancels what it created (with the reason), and staff move each only forward."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from boxhelp import BOX, publish_box, walk

from triage.errors import LimitExceeded, NotFound, Refused
from triage.records.fulfilment import WALK, Fulfilment
from triage.records.store import Store


@pytest.fixture
def box(store_url: str) -> Iterator[Store]:
    """A fresh store (SQLite, then PostgreSQL) with only the box-help tree published."""
    st = publish_box(Store(store_url))
    yield st
    st.dispose()


def test_ship_part_creates_one_requested_shipment_with_a_readable_reference(box: Store) -> None:
    """A ship_part decision leaves one shipment: readable reference, the parts, requested, address unconfirmed."""
    s = walk(box, "remote", customer="C-7")
    [sh] = Fulfilment(box).shipments()
    assert re.fullmatch(r"SHP-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", sh.reference)
    assert (sh.session_id, sh.customer_id, sh.status) == (s.id, "C-7", "requested")
    assert sh.parts == [{"part": "remote-rc7", "quantity": 1}]
    assert (sh.address, sh.address_confirmed, sh.return_old, sh.updated_by) == (None, False, False, WALK)


def test_announcing_again_or_replaying_never_adds_a_second_row(box: Store) -> None:
    """Loading the session (a replay) and writing to it again (a note: the decision announced again) keeps one row each."""
    shipped = walk(box, "both")
    repaired = walk(box, "dead")
    for sid in (shipped.id, repaired.id):
        for _ in range(2):
            box.load_session(sid).add_note("customer called back")
    f = Fulfilment(box)
    assert [s.session_id for s in f.shipments()] == [shipped.id]
    assert f.shipments()[0].parts == [
        {"part": "remote-rc7", "quantity": 1},
        {"part": "psu-12v", "quantity": 2},
    ]
    assert f.shipments()[0].return_old is True
    assert [r.session_id for r in f.repairs()] == [repaired.id]


def test_going_back_cancels_the_shipment_with_the_reason_and_a_new_decision_makes_a_new_one(
    box: Store,
) -> None:
    """Back from ship_part cancels the requested shipment (saying why); another part makes a new shipment."""
    s = walk(box, "remote")
    first = Fulfilment(box).shipments()[0].reference
    s.back()
    [cancelled] = Fulfilment(box).shipments()
    assert (cancelled.reference, cancelled.status) == (first, "cancelled")
    assert cancelled.updated_by == "triage: the decision changed to an open walk"
    s.answer("both")
    later = Fulfilment(box).shipments(status=["requested"])
    assert [x.parts[-1]["part"] for x in later] == ["psu-12v"]
    assert later[0].reference != first
    s.back()
    s.answer("other")  # a diagnosis: nothing to ship
    assert [x.status for x in Fulfilment(box).shipments()] == ["cancelled", "cancelled"]


def test_a_shipment_already_shipped_is_not_called_off_by_a_changed_decision(box: Store) -> None:
    """Once the parcel left, going back leaves the shipment as it is: only requested ones are cancelled."""
    s = walk(box, "remote")
    f = Fulfilment(box)
    ref = f.shipments()[0].reference
    f.confirm_address(ref, "Hauptstr. 1\n10115 Berlin", "ana")
    f.move_shipment(ref, "shipped", "ana")
    s.back()
    assert f.shipment(ref).status == "shipped"


def test_repair_is_created_under_the_decisions_rma_and_reopened_when_the_walk_returns(box: Store) -> None:
    """repair -> one awaiting_device row under the RMA; back cancels it; the same decision reopens that row."""
    s = walk(box, "dead")
    assert s.decision is not None
    [r] = Fulfilment(box).repairs()
    assert (r.rma, r.depot, r.status) == (s.decision.rma, "tv-depot-north", "awaiting_device")
    s.back()
    assert [x.status for x in Fulfilment(box).repairs()] == ["cancelled"]
    assert Fulfilment(box).repairs()[0].updated_by == "triage: the decision changed to an open walk"
    s.answer("dead")
    assert [(x.rma, x.status) for x in Fulfilment(box).repairs()] == [(r.rma, "awaiting_device")]


def test_two_sessions_whose_rma_would_be_the_same_get_two_repairs(box: Store) -> None:
    """Session ids that begin alike give the same RMA; the second repair gets its own reference, not a failure."""
    for n in (1, 2):
        s = box.start_session(BOX, customer_id=f"C-rma-{n}", session_id=f"abcdefghij{n}")
        s.answer("dead")
    rmas = [r.rma for r in Fulfilment(box).repairs()]
    assert rmas[0] == "RMA-ABCDEFGHIJ"
    assert len(set(rmas)) == 2
    assert rmas[1].startswith("RMA-ABCDEFGHIJ-")


def test_resolved_with_follow_up_days_creates_a_follow_up_due_then(box: Store) -> None:
    """resolved with follow_up_days 3 -> one open follow-up due three days after the decision, once."""
    s = walk(box, "slow")
    s.answer("fixed")
    [fu] = Fulfilment(box).follow_ups()
    decided = box.session_row(s.id).decided_at
    assert decided is not None
    assert (fu.session_id, fu.status, fu.due_at) == (s.id, "open", decided + timedelta(days=3))
    assert fu.what == "Ask whether the picture stayed stable."
    s = box.load_session(s.id)
    s.add_note("all good")
    assert len(Fulfilment(box).follow_ups(status=None)) == 1
    s.back()
    [gone] = Fulfilment(box).follow_ups(status=None)
    assert (gone.status, gone.done_by) == ("cancelled", WALK)
    assert gone.result == "triage: the decision changed to an open walk"


def test_escalate_and_diagnosis_set_nothing_going(box: Store) -> None:
    """Decisions that ship, repair and check nothing leave no fulfilment rows."""
    walk(box, "other")
    walk(box, "slow", "not_fixed")
    f = Fulfilment(box)
    assert (f.shipments(), f.repairs(), f.follow_ups(status=None)) == ([], [], [])


def test_shipping_needs_a_confirmed_address_and_moves_only_forward(box: Store) -> None:
    """Shipped only after the address is confirmed; then delivered; backwards or twice is refused, naming why."""
    walk(box, "remote")
    f = Fulfilment(box)
    ref = f.shipments()[0].reference
    with pytest.raises(Refused, match=f"shipment {ref} has no confirmed address; confirm it before shipping"):
        f.move_shipment(ref, "shipped", "ana")
    with pytest.raises(
        Refused, match=f"shipment {ref} is requested; it can go to shipped or cancelled, not delivered"
    ):
        f.move_shipment(ref, "delivered", "ana")
    done = f.confirm_address(ref.lower(), "  Hauptstr. 1 \n\n 10115 Berlin ", "ana")
    assert (done.address, done.address_confirmed, done.updated_by) == (
        "Hauptstr. 1\n10115 Berlin",
        True,
        "ana",
    )
    assert f.move_shipment(ref, "shipped", "ben").updated_by == "ben"
    with pytest.raises(Refused, match=f"shipment {ref} is shipped; its address can no longer change"):
        f.confirm_address(ref, "Elsewhere 2", "ana")
    with pytest.raises(Refused, match=f"shipment {ref} is already shipped"):
        f.move_shipment(ref, "shipped", "ben")
    delivered = f.move_shipment(ref, "delivered", "cleo")
    assert (delivered.status, delivered.updated_by) == ("delivered", "cleo")
    assert delivered.updated_at >= done.updated_at
    with pytest.raises(Refused, match="it can go to returned, not cancelled"):
        f.move_shipment(ref, "cancelled", "cleo")


def test_addresses_and_names_are_held_to_their_limits(box: Store) -> None:
    """An empty, too long or too many-lined address is refused, as is a change by nobody."""
    walk(box, "remote")
    f = Fulfilment(box)
    ref = f.shipments()[0].reference
    with pytest.raises(Refused, match="an address is required"):
        f.confirm_address(ref, " \n ", "ana")
    with pytest.raises(LimitExceeded, match="a line of an address is at most 200 characters"):
        f.confirm_address(ref, "x" * 201, "ana")
    with pytest.raises(Refused, match="an address has at most 8 lines"):
        f.confirm_address(ref, "\n".join("line" for _ in range(9)), "ana")
    with pytest.raises(Refused, match="say who makes the change"):
        f.move_shipment(ref, "cancelled", " ")
    with pytest.raises(NotFound, match="no shipment 'SHP-NONE-NONE'"):
        f.move_shipment("SHP-NONE-NONE", "shipped", "ana")
    assert f.move_shipment(ref, "cancelled", "ana").status == "cancelled"


def test_repairs_move_received_repaired_returned(box: Store) -> None:
    """A repair goes awaiting_device -> received -> repaired -> returned, and no step is skipped."""
    s = walk(box, "dead")
    assert s.decision is not None
    assert s.decision.rma is not None
    f, rma = Fulfilment(box), s.decision.rma
    with pytest.raises(Refused, match=f"repair {rma} is awaiting_device; it can go to received or cancelled"):
        f.move_repair(rma, "repaired", "depot")
    for step in ("received", "repaired", "returned"):
        assert f.move_repair(rma, step, "depot").status == step
    with pytest.raises(Refused, match=f"repair {rma} is returned; it does not change any more"):
        f.move_repair(rma, "received", "depot")
    s.back()  # the device came and went back: a changed decision does not touch it
    assert f.repairs()[0].status == "returned"


def test_a_failed_follow_up_marks_the_session_not_resolved(box: Store) -> None:
    """Closing as failed sets the session's outcome truth to not_resolved; held leaves it; twice is refused."""
    held, failed = walk(box, "slow", "fixed"), walk(box, "slow", "fixed")
    f = Fulfilment(box)
    ids = {x.session_id: x.id for x in f.follow_ups()}
    f.close_follow_up(ids[held.id], True, "ana", "picture stable")
    closed = f.close_follow_up(ids[failed.id], False, "ana", "flickers again")
    assert (closed.status, closed.done_by, closed.result) == ("failed", "ana", "flickers again")
    assert box.session_row(failed.id).truth == "not_resolved"
    assert box.session_row(held.id).truth is None
    with pytest.raises(Refused, match=f"follow-up {ids[held.id]} is already held"):
        f.close_follow_up(ids[held.id], False, "ana")
    assert f.follow_ups() == []


def test_follow_ups_due_by_a_moment(box: Store) -> None:
    """`due_by` lists only the follow-ups due by then."""
    s = walk(box, "slow", "fixed")
    decided = box.session_row(s.id).decided_at
    assert decided is not None
    f = Fulfilment(box)
    assert f.follow_ups(due_by=decided + timedelta(days=2)) == []
    assert [x.session_id for x in f.follow_ups(due_by=decided + timedelta(days=3))] == [s.id]
