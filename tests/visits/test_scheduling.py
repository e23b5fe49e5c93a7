"""Home visits on SQLite and a real PostgreSQL server: technicians, slots, booking races, cancel,
reschedule, closure and .ics export."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from dbfixtures import BACKENDS, fresh_database
from libraries import NO_INTERNET_LINE_FAULT
from sqlalchemy import func, select

from triage.errors import BookingError, LimitExceeded, NoFreeSlot, NotFound, SlotTaken
from triage.records.schema import Booking, SessionRow
from triage.records.store import Store
from triage.visits import Scheduler, Slot, count_double_bookings, fold_line, ics_text

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin
MON = date(2025, 3, 3)
LINE_FAULT = list(NO_INTERNET_LINE_FAULT)


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def add_crew(sched: Scheduler) -> None:
    """Ana: line and TV in the north, 08-17 Berlin; Ben: line in north and south, 09-17; Cleo: fibre, mornings."""
    sched.add_technician("Ana Lima", ["broadband-line", "tv"], ["north"])
    sched.add_technician(
        "Ben Okafor", ["broadband-line"], ["north", "south"], hours={d: ["09:00", "17:00"] for d in WEEKDAYS5}
    )
    sched.add_technician(
        "Cleo Park",
        ["fibre"],
        ["south"],
        hours={"mon": ["08:00", "12:00"]},
        slot_minutes=60,
        timezone="Europe/London",
    )


WEEKDAYS5 = ("mon", "tue", "wed", "thu", "fri")


@pytest.fixture
def bare(store_url: str) -> Iterator[Store]:
    """A migrated, empty store (no trees): enough for scheduling without sessions."""
    st = Store(store_url)
    yield st
    st.dispose()


@pytest.fixture
def sched(bare: Store) -> Scheduler:
    """A scheduler with the three-person crew."""
    s = Scheduler(bare)
    add_crew(s)
    return s


@pytest.fixture(scope="module", params=BACKENDS)
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scheduler]:
    """One crewed scheduler per backend for the whole module, for checks that write nothing."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'triage.db'}"
    else:
        url = fresh_database(request.getfixturevalue("pg_server_url"))
    st = Store(url)
    s = Scheduler(st)
    add_crew(s)
    yield s
    st.dispose()


def slot_of(sched: Scheduler, name: str, start: datetime) -> Slot:
    tech = next(t for t in sched.technicians() if t.name == name)
    return Slot(tech.id, name, start, start + timedelta(minutes=tech.slot_minutes))


def live_rows(store: Store) -> list[tuple[int, datetime, str]]:
    with store.tx() as db:
        rows = db.execute(select(Booking.technician_id, Booking.start, Booking.status).order_by(Booking.id))
        return [(r[0], r[1], r[2]) for r in rows]


# -- technicians ----------------------------------------------------------------------------------


def test_technicians_are_stored_with_normalized_hours(sched: Scheduler) -> None:
    """Technicians come back by name, hours in weekday order as zero-padded wall-clock times."""
    sched.add_technician(
        "Dora", [" tv "], ["east"], hours={"fri": ["9:00", "13:00"], "mon": ["7:30", "24:00"]}
    )
    techs = {t.name: t for t in sched.technicians()}
    assert [t.name for t in sched.technicians()] == ["Ana Lima", "Ben Okafor", "Cleo Park", "Dora"]
    dora = techs["Dora"]
    assert (dora.skills, dora.regions, dora.slot_minutes, dora.timezone, dora.active) == (
        ("tv",),
        ("east",),
        120,
        "Europe/Berlin",
        True,
    )
    assert list(dora.hours.items()) == [("mon", ("07:30", "24:00")), ("fri", ("09:00", "13:00"))]
    assert techs["Ana Lima"].hours == {d: ("08:00", "17:00") for d in WEEKDAYS5}


BAD_TECHNICIANS: list[tuple[dict[str, Any], str]] = [
    (
        {"hours": {"mon": ["08:00", "25:00"]}},
        "technician 'Eve': hours for 'mon': '25:00' is not a time of day (expected 'HH:MM' from 00:00 to 24:00)",
    ),
    (
        {"hours": {"mon": ["24:00", "25:00"]}},
        "technician 'Eve': hours for 'mon': '24:00' is not a time of day (expected 'HH:MM' from 00:00 to 23:59)",
    ),
    (
        {"hours": {"tue": ["17:00", "08:00"]}},
        "technician 'Eve': hours for 'tue': end 08:00 is not after start 17:00",
    ),
    (
        {"hours": {"monday": ["08:00", "17:00"]}},
        "technician 'Eve': hours: unknown weekday 'monday' "
        "(expected one of mon, tue, wed, thu, fri, sat, sun; did you mean 'mon'?)",
    ),
    (
        {"hours": {"mon": "08:00-17:00"}},
        "technician 'Eve': hours for 'mon' must be [start, end] like ['08:00', '17:00'] (got '08:00-17:00')",
    ),
    (
        {"hours": {"sat": ["09:00", "10:00"]}},
        "technician 'Eve': hours for 'sat' (09:00-10:00) are shorter than one 120-minute slot",
    ),
    ({"hours": {}}, "technician 'Eve': no working hours given (expected e.g. {'mon': ['08:00', '17:00']})"),
    ({"skills": []}, "technician 'Eve': skills must name at least one skill (got [])"),
    (
        {"skills": "tv"},
        "technician 'Eve': skills must be a list of names, like ['skill-a', 'skill-b'] (got 'tv')",
    ),
    (
        {"regions": ["north", " "]},
        "technician 'Eve': regions must be non-empty names (got ' ' in ['north', ' '])",
    ),
    (
        {"slot_minutes": 0},
        "technician 'Eve': slot_minutes must be a whole number of minutes from 15 to 720 (got 0)",
    ),
    (
        {"timezone": "Europe/Berln"},
        "technician 'Eve': unknown timezone 'Europe/Berln' (did you mean 'Europe/Berlin'?)",
    ),
    ({"name": "  "}, "a technician needs a name (got '')"),
    (
        {"name": "N" * 101},
        "a technician's name may be at most 100 characters (got 101: 'NNNNNNNNNNNNNNNNNNNN'...)",
    ),
    (
        {"skills": ["s" * 120]},
        "technician 'Eve': skills may be at most 100 characters (got 120: 'ssssssssssssssssssss'...)",
    ),
    ({"name": "Ana Lima"}, "a technician named 'Ana Lima' already exists; choose another name"),
]


@pytest.mark.parametrize(("change", "message"), BAD_TECHNICIANS, ids=[m[:40] for _, m in BAD_TECHNICIANS])
def test_invalid_technician_is_refused_with_a_clear_message(
    shared: Scheduler, change: dict[str, Any], message: str
) -> None:
    """A bad technician is refused with a message naming what is wrong and what is expected; nothing is stored."""
    args: dict[str, Any] = {"name": "Eve", "skills": ["tv"], "regions": ["north"], **change}
    with pytest.raises(BookingError) as info:
        shared.add_technician(**args)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)
    assert [t.name for t in shared.technicians()] == ["Ana Lima", "Ben Okafor", "Cleo Park"]


# -- slots ----------------------------------------------------------------------------------------


def test_free_slots_come_from_working_hours_sorted_by_start_then_technician(shared: Scheduler) -> None:
    """Monday's slots for a line visit in the north interleave Ana (08:00 Berlin on) and Ben (09:00 on), in UTC."""
    slots = shared.free_slots("broadband-line", "north", utc(3, 0), utc(4, 0), now=NOW)
    assert [(s.start.isoformat(), s.technician_name) for s in slots] == [
        ("2025-03-03T07:00:00+00:00", "Ana Lima"),
        ("2025-03-03T08:00:00+00:00", "Ben Okafor"),
        ("2025-03-03T09:00:00+00:00", "Ana Lima"),
        ("2025-03-03T10:00:00+00:00", "Ben Okafor"),
        ("2025-03-03T11:00:00+00:00", "Ana Lima"),
        ("2025-03-03T12:00:00+00:00", "Ben Okafor"),
        ("2025-03-03T13:00:00+00:00", "Ana Lima"),
        ("2025-03-03T14:00:00+00:00", "Ben Okafor"),
    ]
    assert all(s.end - s.start == timedelta(hours=2) and s.start.tzinfo is UTC for s in slots)
    assert str(slots[0]) == "Mon 2025-03-03 07:00-09:00 UTC with Ana Lima"


def test_free_slots_follow_the_technicians_timezone_across_summer_time(shared: Scheduler) -> None:
    """08:00 in Berlin is 07:00 UTC before the clocks change on 30 March and 06:00 UTC after."""
    slots = shared.free_slots("tv", "north", utc(28, 0), utc(1, 0, month=4), now=NOW)
    assert [s.start.strftime("%a %d %H:%M") for s in slots] == [
        "Fri 28 07:00",
        "Fri 28 09:00",
        "Fri 28 11:00",
        "Fri 28 13:00",
        "Mon 31 06:00",
        "Mon 31 08:00",
        "Mon 31 10:00",
        "Mon 31 12:00",
    ]
    london = shared.free_slots("fibre", "south", utc(3, 0), utc(4, 0), now=NOW)
    assert [s.start.strftime("%H:%M") for s in london] == ["08:00", "09:00", "10:00", "11:00"]


def test_free_slots_skip_slots_that_have_begun(shared: Scheduler) -> None:
    """At 07:30 UTC Ana's 07:00 slot has begun, so the first free slot is Ben's at 08:00."""
    slots = shared.free_slots("broadband-line", "north", utc(3, 0), utc(3, 10), now=utc(3, 7, 30))
    assert [(s.start.hour, s.technician_name) for s in slots] == [(8, "Ben Okafor"), (9, "Ana Lima")]


@pytest.mark.parametrize(
    ("skill", "region", "message"),
    [
        (
            "fibre",
            "north",
            "no technician with skill 'fibre' works in region 'north' (skills there: broadband-line, tv)",
        ),
        ("tv", "west", "no technician works in region 'west' (regions: north, south)"),
    ],
)
def test_unknown_skill_or_region_names_what_is_there(
    shared: Scheduler, skill: str, region: str, message: str
) -> None:
    """Asking for a skill or region nobody covers says which skills or regions there are."""
    with pytest.raises(BookingError) as info:
        shared.free_slots(skill, region, now=NOW)
    assert str(info.value) == message
    with pytest.raises(BookingError) as info:
        shared.book(skill, region, urgency="urgent", now=NOW)
    assert str(info.value) == message


def test_bad_windows_and_times_are_refused(shared: Scheduler) -> None:
    """Naive datetimes, an end before the start and an unknown urgency are refused by name."""
    with pytest.raises(BookingError) as info:
        shared.free_slots("tv", "north", datetime(2025, 3, 3, 8), now=NOW)
    assert str(info.value) == (
        "start must be timezone-aware, e.g. datetime(..., tzinfo=UTC) (got naive 2025-03-03 08:00:00)"
    )
    with pytest.raises(BookingError) as info:
        shared.free_slots("tv", "north", utc(4, 0), utc(3, 0), now=NOW)
    assert str(info.value) == "end Mon 2025-03-03 00:00 UTC is not after start Tue 2025-03-04 00:00 UTC"
    with pytest.raises(BookingError) as info:
        shared.book("tv", "north", urgency="asap", now=NOW)
    assert str(info.value) == "urgency must be one of urgent, normal, low (got 'asap')"
    with pytest.raises(BookingError) as info:
        shared.book("tv", "north", duration_minutes=180, now=NOW)
    assert str(info.value) == (
        "a 180-minute visit does not fit the slots of any technician with skill 'tv' in region 'north' "
        "(longest slot: 120 minutes)"
    )


# -- booking --------------------------------------------------------------------------------------


def test_urgency_sets_how_soon_an_automatic_booking_lands(sched: Scheduler) -> None:
    """Urgent takes the first slot from now, normal the next day's first, low the first slot three days on."""
    low = sched.book("broadband-line", "north", urgency="low", now=NOW)
    normal = sched.book("broadband-line", "north", urgency="normal", now=NOW)
    urgent = sched.book("broadband-line", "north", urgency="urgent", now=NOW)
    urgent2 = sched.book("broadband-line", "north", urgency="urgent", now=NOW)
    assert [(b.start, b.technician_name, b.urgency) for b in (urgent, urgent2, normal, low)] == [
        (utc(3, 7), "Ana Lima", "urgent"),
        (utc(3, 8), "Ben Okafor", "urgent"),
        (utc(4, 7), "Ana Lima", "normal"),
        (utc(6, 7), "Ana Lima", "low"),
    ]
    assert (urgent.end, urgent.status, urgent.created_at) == (utc(3, 9), "booked", NOW)
    normal_slots = sched.free_slots(
        "broadband-line", "north", utc(3, 0), utc(5, 0), urgency="normal", now=NOW
    )
    assert [(s.start, s.technician_name) for s in normal_slots[:2]] == [
        (utc(4, 8), "Ben Okafor"),
        (utc(4, 9), "Ana Lima"),
    ]


def test_explicit_slot_is_booked_and_then_taken(sched: Scheduler) -> None:
    """An explicit free slot is booked; asking for it again gives SlotTaken naming the slot and technician."""
    slot = slot_of(sched, "Ben Okafor", utc(3, 10))
    b = sched.book(
        "broadband-line",
        "south",
        urgency="urgent",
        slot=slot,
        customer_id="C-7",
        address="Ring 1",
        parts=["router"],
        now=NOW,
    )
    assert (b.technician_name, b.start, b.end, b.region, b.parts, b.customer_id, b.address) == (
        "Ben Okafor",
        utc(3, 10),
        utc(3, 12),
        "south",
        ("router",),
        "C-7",
        "Ring 1",
    )
    with pytest.raises(SlotTaken) as info:
        sched.book("broadband-line", "north", urgency="urgent", slot=slot, now=NOW)
    assert str(info.value) == (
        "the slot Mon 2025-03-03 10:00-12:00 UTC with 'Ben Okafor' is already booked; pick another free slot"
    )
    assert (info.value.technician, info.value.start) == ("Ben Okafor", utc(3, 10))
    free = sched.free_slots("broadband-line", "north", utc(3, 9), utc(3, 13), now=NOW)
    assert [(s.start.hour, s.technician_name) for s in free] == [
        (9, "Ana Lima"),
        (11, "Ana Lima"),
        (12, "Ben Okafor"),
    ]


def test_invalid_explicit_slots_are_refused(shared: Scheduler) -> None:
    """Wrong skill, wrong region, an off-grid time, a day off, a begun slot and a too-early slot are each refused."""
    ana = slot_of(shared, "Ana Lima", utc(3, 9))
    cleo = slot_of(shared, "Cleo Park", utc(3, 9))
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"skill": "fibre", "region": "south", "slot": ana},
            "technician 'Ana Lima' does not have skill 'fibre' (skills: broadband-line, tv)",
        ),
        (
            {"skill": "tv", "region": "south", "slot": ana},
            "technician 'Ana Lima' does not work in region 'south' (regions: north)",
        ),
        (
            {"skill": "fibre", "region": "south", "slot": cleo, "duration_minutes": 90},
            "a 90-minute visit does not fit the 60-minute slots of technician 'Cleo Park'",
        ),
        (
            {"skill": "tv", "region": "north", "slot": slot_of(shared, "Ana Lima", utc(3, 8))},
            "Mon 2025-03-03 08:00 UTC is not a slot start of technician 'Ana Lima' "
            "(slots that day start at 07:00, 09:00, 11:00, 13:00 UTC)",
        ),
        (
            {"skill": "tv", "region": "north", "slot": slot_of(shared, "Ana Lima", utc(8, 7))},
            "Sat 2025-03-08 07:00 UTC is not a slot start of technician 'Ana Lima' (Ana Lima does not work that day)",
        ),
        (
            {
                "skill": "tv",
                "region": "north",
                "urgency": "urgent",
                "slot": slot_of(shared, "Ana Lima", utc(3, 7)),
            },
            "the slot Mon 2025-03-03 07:00 UTC has already begun (now Mon 2025-03-03 07:30 UTC); pick a later slot",
        ),
        (
            {"skill": "tv", "region": "north", "slot": ana},
            "the slot Mon 2025-03-03 09:00 UTC is too soon for a normal visit: normal visits start the next day "
            "(from Tue 2025-03-04 00:00 Europe/Berlin); earlier slots stay free for urgent ones",
        ),
        (
            {
                "skill": "tv",
                "region": "north",
                "urgency": "low",
                "slot": slot_of(shared, "Ana Lima", utc(5, 7)),
            },
            "the slot Wed 2025-03-05 07:00 UTC is too soon for a low visit: low visits start 3 days on "
            "(from Thu 2025-03-06 00:00 Europe/Berlin); earlier slots stay free for urgent ones",
        ),
    ]
    for kwargs, message in cases:
        with pytest.raises(BookingError) as info:
            shared.book(**kwargs, now=utc(3, 7, 30))
        assert str(info.value) == message
    with pytest.raises(NotFound) as nf:
        shared.book("tv", "north", slot=Slot(999, "Nobody", utc(4, 7), utc(4, 9)), now=NOW)
    assert str(nf.value) == "no technician with id 999"
    assert shared.bookings() == []


def test_no_free_slot_within_the_horizon(sched: Scheduler) -> None:
    """When every slot in the horizon is gone, the error says so and how to widen the search."""
    for _ in range(4):
        sched.book("fibre", "south", urgency="urgent", horizon_days=1, now=NOW)
    with pytest.raises(NoFreeSlot) as info:
        sched.book("fibre", "south", urgency="urgent", horizon_days=1, now=NOW)
    assert str(info.value) == (
        "no free slot for an urgent visit with skill 'fibre' in region 'south' until Tue 2025-03-04 06:00 UTC "
        "(1 technician(s) checked); book further ahead or add technicians"
    )
    assert isinstance(info.value, BookingError)
    assert isinstance(info.value, LookupError)


# -- cancel and reschedule ------------------------------------------------------------------------


def test_cancel_frees_the_slot_and_keeps_the_reason(sched: Scheduler) -> None:
    """A cancelled booking keeps its reason and time; its slot is free again; cancelling twice is refused."""
    b = sched.book("tv", "north", urgency="urgent", now=NOW)
    c = sched.cancel(b.id, "customer is away", now=utc(3, 6, 5))
    assert (c.status, c.cancel_reason, c.cancelled_at) == ("cancelled", "customer is away", utc(3, 6, 5))
    again = sched.book("tv", "north", urgency="urgent", now=NOW)
    assert (again.start, again.technician_name) == (b.start, b.technician_name)
    with pytest.raises(BookingError) as info:
        sched.cancel(b.id, "twice")
    assert (
        str(info.value)
        == f"booking {b.id} was cancelled (customer is away); only a booked visit can be cancelled"
    )
    with pytest.raises(BookingError) as info:
        sched.cancel(again.id, "  ")
    assert str(info.value) == f"cancelling booking {again.id} needs a reason (got an empty one)"
    with pytest.raises(NotFound) as nf:
        sched.cancel(4242, "gone")
    assert str(nf.value) == "no booking 4242"


def test_reschedule_moves_the_visit_in_one_transaction(sched: Scheduler) -> None:
    """Rescheduling cancels the old booking and books the new one, linked both ways."""
    b = sched.book("broadband-line", "north", urgency="normal", customer_id="C-1", address="Ring 1", now=NOW)
    assert (b.start, b.technician_name) == (utc(4, 7), "Ana Lima")
    moved = sched.reschedule(b.id, slot_of(sched, "Ben Okafor", utc(5, 12)), now=NOW)
    assert (moved.start, moved.technician_name, moved.rescheduled_from, moved.status) == (
        utc(5, 12),
        "Ben Okafor",
        b.id,
        "booked",
    )
    assert (moved.skill, moved.region, moved.urgency, moved.customer_id, moved.address) == (
        "broadband-line",
        "north",
        "normal",
        "C-1",
        "Ring 1",
    )
    old = sched.booking(b.id)
    assert (old.status, old.cancel_reason) == ("cancelled", f"rescheduled as booking {moved.id}")
    auto = sched.reschedule(moved.id, now=NOW)
    assert (auto.start, auto.technician_name, auto.rescheduled_from) == (utc(4, 7), "Ana Lima", moved.id)
    assert [x.id for x in sched.bookings(status="booked")] == [auto.id]


def test_failed_reschedule_leaves_the_original_booking_intact(sched: Scheduler) -> None:
    """A reschedule into a taken slot, or an invalid one, changes nothing: the original stays booked."""
    b = sched.book("broadband-line", "north", urgency="urgent", now=NOW)
    other = sched.book("broadband-line", "north", urgency="urgent", now=NOW)
    before = live_rows(sched.store)
    with pytest.raises(SlotTaken):
        sched.reschedule(b.id, other.slot, now=NOW)
    with pytest.raises(BookingError) as info:
        sched.reschedule(b.id, slot_of(sched, "Cleo Park", utc(3, 9)), now=NOW)
    assert str(info.value) == "technician 'Cleo Park' does not have skill 'broadband-line' (skills: fibre)"
    with pytest.raises(BookingError) as info:
        sched.reschedule(b.id, b.slot, now=NOW)
    assert str(info.value) == f"booking {b.id} is already in that slot; pick another one"
    assert live_rows(sched.store) == before
    assert sched.booking(b.id).status == "booked"
    sched.cancel(other.id, "no longer needed", now=NOW)
    with pytest.raises(BookingError) as info:
        sched.reschedule(other.id, now=NOW)
    assert str(info.value) == (
        f"booking {other.id} was cancelled (no longer needed); only a booked visit can be rescheduled"
    )


def test_bookings_filter_by_status_technician_day_and_session(sched: Scheduler) -> None:
    """Bookings list by start; filters pick status, technician, local calendar day and session."""
    a = sched.book("broadband-line", "north", urgency="urgent", now=NOW)
    b = sched.book("broadband-line", "north", urgency="urgent", now=NOW)
    c = sched.book("broadband-line", "north", urgency="low", now=NOW)
    sched.cancel(b.id, "duplicate", now=NOW)
    assert [x.id for x in sched.bookings()] == [a.id, b.id, c.id]
    assert [x.id for x in sched.bookings(status="booked")] == [a.id, c.id]
    assert [x.id for x in sched.bookings(technician_id=b.technician_id)] == [b.id]
    assert [x.id for x in sched.bookings(day=MON)] == [a.id, b.id]
    assert [x.id for x in sched.bookings(day=date(2025, 3, 6))] == [c.id]
    assert sched.bookings(session_id="nope") == []
    with pytest.raises(BookingError) as info:
        sched.bookings(status="open")
    assert str(info.value) == "status must be one of booked, cancelled, closed (got 'open')"


# -- sessions and closure -------------------------------------------------------------------------


def test_book_for_session_reads_the_visit_decision(store: Store) -> None:
    """A visit decision books its skill, urgency and parts, with the session's region and customer, once."""
    sched = Scheduler(store)
    add_crew(sched)
    s = store.start_session("no-internet", customer_id="C-42", facts={"region": "north"})
    for a in LINE_FAULT:
        s.answer(a)
    b = sched.book_for_session(s, address="Ring 1, Hof", now=NOW)
    assert (b.skill, b.urgency, b.parts, b.region, b.customer_id, b.session_id, b.start) == (
        "broadband-line",
        "normal",
        ("dsl-filter", "line-cable"),
        "north",
        "C-42",
        s.id,
        utc(4, 7),
    )
    with pytest.raises(BookingError) as info:
        sched.book_for_session(s, "south", now=NOW)
    assert str(info.value) == (
        f"session {s.id!r} already has visit {b.reference} (booking {b.id}, Tue 2025-03-04 07:00-09:00 UTC "
        "with 'Ana Lima'); "
        "reschedule or cancel it instead of booking again"
    )
    assert [x.id for x in sched.bookings(session_id=s.id)] == [b.id]
    moved = sched.reschedule(b.id, now=NOW)
    assert (moved.session_id, moved.start, moved.technician_name) == (s.id, utc(4, 8), "Ben Okafor")


def test_book_for_session_refuses_sessions_without_a_visit(store: Store) -> None:
    """An undecided session, a resolved one and one with no region are refused, and nothing is booked."""
    sched = Scheduler(store)
    add_crew(sched)
    open_ = store.start_session("no-internet")
    with pytest.raises(BookingError) as info:
        sched.book_for_session(open_, "north", now=NOW)
    assert str(info.value) == (
        f"session {open_.id!r} has no decision yet; finish the diagnosis before booking a visit"
    )
    resolved = store.start_session("no-internet", facts={"outage_in_area": True})
    with pytest.raises(BookingError) as info:
        sched.book_for_session(resolved.id, "north", now=NOW)
    assert str(info.value) == (
        f"session {resolved.id!r} ended in 'diagnosis', not a visit; only a visit decision can be booked"
    )
    visit = store.start_session("no-internet")
    for a in LINE_FAULT:
        visit.answer(a)
    with pytest.raises(BookingError) as info:
        sched.book_for_session(visit, now=NOW)
    assert str(info.value) == f"session {visit.id!r} has no 'region' fact; give the region of the visit"
    with pytest.raises(NotFound) as nf:
        sched.book("tv", "north", session_id="no-such-session", now=NOW)
    assert str(nf.value) == "no session 'no-such-session'"
    assert sched.bookings() == []


def test_technician_closes_the_visit_and_the_session_learns_the_fault(store: Store) -> None:
    """Closing stores code and fix on the booking and on the session; twice, too early, or by another is refused."""
    sched = Scheduler(store)
    add_crew(sched)
    s = store.start_session("no-internet", facts={"region": "north"})
    for a in LINE_FAULT:
        s.answer(a)
    b = sched.book_for_session(s, now=NOW)
    with pytest.raises(BookingError) as info:
        sched.close_visit(b.id, "Ana Lima", "line-fault", "", now=NOW)
    assert str(info.value) == (
        f"booking {b.id} starts Tue 2025-03-04 07:00 UTC; it cannot be closed before then "
        "(now Mon 2025-03-03 06:00 UTC)"
    )
    with pytest.raises(BookingError) as info:
        sched.close_visit(b.id, "Ben Okafor", "line-fault", "", now=utc(4, 8))
    assert str(info.value) == (
        f"booking {b.id} is assigned to 'Ana Lima', not 'Ben Okafor'; only the assigned technician closes it"
    )
    with pytest.raises(BookingError) as info:
        sched.close_visit(b.id, "Ana Lima", " ", "", now=utc(4, 8))
    assert str(info.value) == f"closing booking {b.id} needs a closure code: name the fault actually found"
    with pytest.raises(LimitExceeded) as limit:
        sched.close_visit(b.id, "Ana Lima", "x" * 101, "", now=utc(4, 8))
    assert str(limit.value) == "a closure code is at most 64 characters (got 101); shorten it"
    done = sched.close_visit(b.id, "Ana Lima", "corroded-socket", "replaced the wall socket", now=utc(4, 8))
    assert (done.status, done.closed_by, done.closed_at, done.closure_code, done.closure_fix) == (
        "closed",
        "Ana Lima",
        utc(4, 8),
        "corroded-socket",
        "replaced the wall socket",
    )
    row = store.session_row(s.id)
    assert (row.closure_code, row.closure_fix, row.closure_source, row.true_fault) == (
        "corroded-socket",
        "replaced the wall socket",
        "technician",
        "corroded-socket",
    )
    with pytest.raises(BookingError) as info:
        sched.close_visit(b.id, "Ana Lima", "again", "", now=utc(4, 9))
    assert str(info.value) == (
        f"booking {b.id} was closed by Ana Lima with code 'corroded-socket'; only a booked visit can be closed"
    )
    free = sched.free_slots("broadband-line", "north", utc(4, 7), utc(4, 8), now=utc(4, 6))
    assert free == []  # a closed visit still occupies its slot


def test_cancelled_visit_cannot_be_closed(sched: Scheduler) -> None:
    """A cancelled booking is refused at closing, with the reason it was cancelled."""
    b = sched.book("tv", "north", urgency="urgent", now=NOW)
    sched.cancel(b.id, "fixed remotely", now=NOW)
    with pytest.raises(BookingError) as info:
        sched.close_visit(b.id, "Ana Lima", "line-fault", "", now=utc(3, 8))
    assert (
        str(info.value) == f"booking {b.id} was cancelled (fixed remotely); only a booked visit can be closed"
    )


# -- calendar -------------------------------------------------------------------------------------


def unfold(text: str) -> list[str]:
    """RFC 5545 unfolding: a CRLF followed by one space continues the previous line."""
    return text.replace("\r\n ", "").split("\r\n")


def test_ics_is_a_valid_calendar_event(sched: Scheduler) -> None:
    """The export is one VEVENT in UTC with escaped text, CRLF line ends and lines folded at 75 octets."""
    address = "Hauptstraße 5, Hinterhaus; 3. OG \\ links\nKlingel: Lima – bitte zweimal läuten, Hund im Hof"
    b = sched.book(
        "broadband-line",
        "north",
        urgency="urgent",
        parts=["dsl-filter", "line-cable"],
        session_id=None,
        customer_id="C-9",
        address=address,
        now=NOW,
    )
    text = sched.ics(b.id, now=utc(3, 6, 30))
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    physical = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in physical)
    assert any(line.startswith(" ") for line in physical)  # the long lines really were folded
    text.encode("utf-8")  # folding never splits a character
    ref = b.reference
    assert unfold(text)[:-1] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//triage//home visits//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{ref}@triage",
        "DTSTAMP:20250303T063000Z",
        "DTSTART:20250303T070000Z",
        "DTEND:20250303T090000Z",
        "SEQUENCE:0",
        "STATUS:CONFIRMED",
        f"SUMMARY:Home visit {ref}: broadband-line (urgent)",
        f"DESCRIPTION:Visit: {ref}\\nSkill: broadband-line (urgent)\\nParts: dsl-filter\\, line-cable\\n"
        "Customer: C-9\\nAddress: Hauptstraße 5\\, Hinterhaus\\; 3. OG \\\\ links\\nKlingel: Lima – bitte "
        "zweimal läuten\\, Hund im Hof\\nTechnician: Ana Lima",
        "LOCATION:Hauptstraße 5\\, Hinterhaus\\; 3. OG \\\\ links\\nKlingel: Lima – bitte zweimal läuten\\, "
        "Hund im Hof",
        "ORGANIZER;CN=Home visits:mailto:visits@triage.invalid",
        "END:VEVENT",
        "END:VCALENDAR",
    ]


def test_ics_of_a_rescheduled_visit_updates_the_same_event(sched: Scheduler) -> None:
    """A rescheduled visit keeps its reference as the UID with a higher SEQUENCE; the old booking number
    exports where the visit is now, never a stale copy."""
    b = sched.book("tv", "north", urgency="urgent", now=NOW)
    moved = sched.reschedule(b.id, now=utc(3, 6, 10))
    old, new = unfold(sched.ics(b.id, now=NOW)), unfold(sched.ics(moved.id, now=NOW))
    assert old == new
    assert [line for line in new if line.startswith(("METHOD", "UID", "SEQUENCE", "STATUS", "DTSTART"))] == [
        "METHOD:REQUEST",
        f"UID:{b.reference}@triage",
        "DTSTART:20250303T090000Z",
        "SEQUENCE:1",
        "STATUS:CONFIRMED",
    ]
    assert moved.reference == b.reference
    assert not any(line.startswith("LOCATION") for line in new)


def test_fold_line_and_text_escaping() -> None:
    """Folding keeps every physical line within 75 octets without splitting characters; escaping covers , ; \\ and newlines."""
    line = "DESCRIPTION:" + "ä" * 100
    folded = fold_line(line)
    parts = folded.split("\r\n")
    assert [len(p.encode()) for p in parts] == [74, 75, 65]
    assert folded.replace("\r\n ", "") == line
    assert fold_line("SUMMARY:short") == "SUMMARY:short"
    assert fold_line("X:" + "a" * 73) == "X:" + "a" * 73
    assert fold_line("X:" + "a" * 74) == "X:" + "a" * 73 + "\r\n a"
    assert ics_text("a,b;c\\d\r\ne\nf\rg\x07") == "a\\,b\\;c\\\\d\\ne\\nf\\ng "


# -- races ----------------------------------------------------------------------------------------


def test_sixteen_threads_race_for_one_slot_and_exactly_one_wins(sched: Scheduler) -> None:
    """16 threads, each with its own Store, book the same slot at once: one booking, 15 SlotTaken, one row."""
    slot = slot_of(sched, "Ana Lima", utc(3, 9))
    stores = [Store(sched.store.url, migrate=False) for _ in range(16)]
    barrier = threading.Barrier(16)
    results: list[tuple[str, str]] = []
    lock = threading.Lock()

    def run(st: Store) -> None:
        barrier.wait(timeout=30)
        try:
            b = Scheduler(st).book("broadband-line", "north", urgency="urgent", slot=slot, now=NOW)
            out = ("booked", str(b.id))
        except SlotTaken as exc:
            out = ("taken", str(exc))
        except Exception as exc:  # any other failure fails the test below
            out = ("error", repr(exc))
        with lock:
            results.append(out)

    threads = [threading.Thread(target=run, args=(st,)) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for st in stores:
        st.dispose()
    assert sorted(kind for kind, _ in results) == ["booked"] + ["taken"] * 15, results
    assert {msg for kind, msg in results if kind == "taken"} == {
        "the slot Mon 2025-03-03 09:00-11:00 UTC with 'Ana Lima' is already booked; pick another free slot"
    }
    assert live_rows(sched.store) == [(slot.technician_id, utc(3, 9), "booked")]


def _book_in_process(url: str, slot: Slot, barrier: Any, results: Any) -> None:
    """One process of the race: open the store, wait for the others, book the slot, report on the queue."""
    st = Store(url)
    try:
        barrier.wait(timeout=60)
        try:
            b = Scheduler(st).book("broadband-line", "north", urgency="urgent", slot=slot, now=NOW)
            results.put((os.getpid(), "booked", str(b.id)))
        except SlotTaken as exc:
            results.put((os.getpid(), "taken", str(exc)))
        except Exception as exc:  # reported to the parent, which fails the test
            results.put((os.getpid(), "error", repr(exc)))
    finally:
        st.dispose()


@pytest.fixture(scope="module")
def spawned() -> Iterator[tuple[Any, Any]]:
    """Six 'spawn' worker processes and a manager for their barrier and queue, shared by both backends."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(6) as pool:
        yield manager, pool


def test_six_processes_race_for_one_slot_and_exactly_one_wins(
    sched: Scheduler, spawned: tuple[Any, Any]
) -> None:
    """6 spawned processes, each opening the store, book the same slot at once: exactly one wins."""
    manager, pool = spawned
    slot = slot_of(sched, "Ben Okafor", utc(3, 12))
    barrier, results = manager.Barrier(6), manager.Queue()
    # chunksize 1 and a barrier of 6: each of the 6 workers must hold one attempt, or none gets past the barrier
    done = pool.starmap_async(_book_in_process, [(sched.store.url, slot, barrier, results)] * 6, chunksize=1)
    done.get(timeout=120)
    got = [results.get(timeout=5) for _ in range(6)]
    assert len({pid for pid, _, _ in got}) == 6
    assert sorted(kind for _, kind, _ in got) == ["booked"] + ["taken"] * 5, got
    assert live_rows(sched.store) == [(slot.technician_id, utc(3, 12), "booked")]


def test_ten_threads_booking_automatically_get_the_ten_earliest_slots(sched: Scheduler) -> None:
    """10 automatic bookings at once each move on after a lost race and end in 10 distinct slots, the earliest ones."""
    expected = sched.free_slots("broadband-line", "north", utc(3, 0), utc(8, 0), urgency="urgent", now=NOW)[
        :10
    ]
    barrier = threading.Barrier(10)
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait(timeout=30)
        try:
            out: Any = sched.book("broadband-line", "north", urgency="urgent", now=NOW)
        except Exception as exc:  # reported below
            out = exc
        with lock:
            results.append(out)

    threads = [threading.Thread(target=run) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(not isinstance(r, BaseException) for r in results), results
    got = sorted((b.start, b.technician_name) for b in results)
    assert got == [(s.start, s.technician_name) for s in expected]
    with sched.store.tx() as db:
        assert count_double_bookings(db) == 0
        assert db.scalar(select(func.count()).select_from(Booking).where(Booking.status == "booked")) == 10


def test_session_row_is_untouched_by_refused_bookings(store: Store) -> None:
    """A refused booking for a real session writes nothing: no booking row, no change to the session."""
    sched = Scheduler(store)
    add_crew(sched)
    s = store.start_session("no-internet", facts={"region": "north"})
    for a in LINE_FAULT:
        s.answer(a)
    before = store.session_row(s.id)
    with pytest.raises(BookingError):
        sched.book_for_session(s, slot=slot_of(sched, "Cleo Park", utc(4, 9)), now=NOW)
    with store.tx() as db:
        assert db.scalar(select(func.count()).select_from(Booking)) == 0
        after = db.get(SessionRow, s.id)
        assert after is not None
        assert (after.closure_code, after.updated_at, after.status) == (
            None,
            before.updated_at,
            before.status,
        )


def test_closure_codes_have_the_same_limit_on_both_databases(sched: Scheduler) -> None:
    """A visit's closure code and fault are held to limits().code and its fix to limits().note, with
    LimitExceeded before anything is written; a code of exactly the limit closes the visit."""
    b = sched.book("tv", "north", urgency="urgent", now=NOW)
    at = b.start + timedelta(hours=1)
    with pytest.raises(LimitExceeded) as info:
        sched.close_visit(b.id, "Ana Lima", "c" * 65, "", now=at)
    assert str(info.value) == "a closure code is at most 64 characters (got 65); shorten it"
    with pytest.raises(LimitExceeded) as info:
        sched.close_visit(
            b.id, "Ana Lima", "c" * 80, "", now=at
        )  # under the 100-character column, still over
    assert str(info.value) == "a closure code is at most 64 characters (got 80); shorten it"
    with pytest.raises(LimitExceeded) as info:
        sched.close_visit(b.id, "Ana Lima", "line-fault", "", fault="f" * 65, now=at)
    assert str(info.value) == "a fault is at most 64 characters (got 65); shorten it"
    with pytest.raises(LimitExceeded) as info:
        sched.close_visit(b.id, "Ana Lima", "line-fault", "x" * 4_001, now=at)
    assert str(info.value) == "a closure fix is at most 4,000 characters (got 4,001); shorten it"
    assert sched.booking(b.id).status == "booked"
    done = sched.close_visit(b.id, "Ana Lima", "c" * 64, "x" * 4_000, now=at)
    assert (done.status, done.closure_code, done.closure_fix) == ("closed", "c" * 64, "x" * 4_000)


def test_a_region_is_found_however_it_is_typed(sched: Scheduler) -> None:
    """A customer types "NORTH " or "North" for the technicians' "north": the same slots, and the booking keeps
    the region as the technicians' list spells it, so dispatch finds it."""
    typed = sched.free_slots("tv", " NORTH ", now=NOW)
    assert typed == sched.free_slots("tv", "north", now=NOW)
    assert typed
    booking = sched.book("tv", "North", urgency="normal", now=NOW)
    assert booking.region == "north"
    with pytest.raises(BookingError) as info:
        sched.book("tv", "Nord", urgency="normal", now=NOW)
    assert "no technician works in region 'Nord'" in str(info.value)
