"""Back-office queries and wording on SQLite and PostgreSQL: the tier-2 case list, visits that need booking,
slots to offer, and the add-a-technician form."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from libraries import NO_INTERNET_LINE_FAULT

from triage.desk.clock import waiting
from triage.desk.dispatch import (
    BookingFilter,
    booking_label,
    booking_row,
    day_board,
    days_for_reschedule,
    find_bookings,
    hours_text,
    local_span,
    needs_booking,
    parse_hours,
    parse_names,
    pending_label,
    pending_row,
    slot_label,
    slots_for_visit,
    technician_row,
)
from triage.desk.queue import CaseFilter, case_label, case_row, find_cases, handoff_markdown
from triage.errors import FormError
from triage.records.cases import Queue
from triage.records.store import Store, StoredSession
from triage.visits import Scheduler

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin
RESTART = [
    "all",
    "active",
    "no",
    "yes",
    "ok",
    "online",
    "not_fixed",
    "done",
    "ready",
    "ready",
]  # the router restart, problem still there
WIFI_ONLY = [
    *RESTART,
    "not_fixed",
    "wired_ok",
    "ok",
    "not_fixed",
    "not_fixed",
]  # tier 2, home-networking, normal
DNS_ONLY = [*RESTART, "not_fixed", "wired_fails", "dns_only"]  # self-service: tier 1
# visit, broadband-line, normal: two line tests find a fault around a restart, the cables and a re-profile
LINE_FAULT = list(NO_INTERNET_LINE_FAULT)
WET = ["online", "many", "yes", "wet"]  # tv-picture-freezing: visit, cable-tv, urgent (safety)


def walk(
    store: Store, answers: list[str], customer: str, tree: str = "no-internet", **kw: object
) -> StoredSession:
    s = store.start_session(tree, customer_id=customer, **kw)  # type: ignore[arg-type]
    for a in answers:
        s.answer(a)
    return s


def wet_tv(store: Store, customer: str, **kw: object) -> StoredSession:
    """Water at the TV socket: an urgent cable-tv visit."""
    return walk(store, WET, customer, "tv-picture-freezing", **kw)


def repeat_escalation(store: Store, customer: str) -> StoredSession:
    """A third contact within the window: tier 2, tier2-support, high priority."""
    for _ in range(2):
        store.start_session("slow-wifi", customer_id=customer)
    return store.start_session("slow-wifi", customer_id=customer)


# -- cases ----------------------------------------------------------------------------------------


def test_find_cases_filters_and_puts_the_most_urgent_first(store: Store) -> None:
    """Queue, status, tier, priority, "mine" and customer/session search each narrow the list; high before normal."""
    wifi = walk(store, WIFI_ONLY, "Q-1")
    dns = walk(store, DNS_ONLY, "Q-2", mode="self_service")
    repeat = repeat_escalation(store, "Q-3")
    q = Queue(store)
    ids = {c.session_id: c.id for c in q.list_cases(status=None)}
    c_wifi, c_dns, c_rep = ids[wifi.id], ids[dns.id], ids[repeat.id]

    assert [c.id for c in find_cases(store)] == [c_rep, c_wifi, c_dns]
    assert [c.id for c in find_cases(store, CaseFilter(queue="home-networking"))] == [c_wifi]
    assert [c.id for c in find_cases(store, CaseFilter(tier=1))] == [c_dns]
    assert [c.id for c in find_cases(store, CaseFilter(priority="high"))] == [c_rep]
    assert [c.id for c in find_cases(store, CaseFilter(search="q-2"))] == [c_dns]
    assert [c.id for c in find_cases(store, CaseFilter(search=wifi.id[:8].upper()))] == [c_wifi]
    assert find_cases(store, CaseFilter(search="Q-")) == []

    q.claim(c_wifi, "tom")
    q.claim(c_rep, "zoe")
    q.close(c_dns, "tom", "dns-misconfigured", "set DNS to automatic")
    assert [c.id for c in find_cases(store, CaseFilter(mine="tom"))] == [c_wifi]
    assert [c.id for c in find_cases(store, CaseFilter(mine="tom", status="all"))] == [c_wifi, c_dns]
    assert [c.id for c in find_cases(store, CaseFilter(status="claimed"))] == [c_rep, c_wifi]
    assert [c.id for c in find_cases(store, CaseFilter(status="open"))] == []
    closed = find_cases(store, CaseFilter(status="closed"))
    assert [(c.id, c.closure_code, c.claimed_by) for c in closed] == [(c_dns, "dns-misconfigured", "tom")]


def test_find_cases_refuses_unknown_filter_values(store: Store) -> None:
    """A status or priority outside the known ones is a FormError naming the valid values."""
    with pytest.raises(FormError) as info:
        find_cases(store, CaseFilter(status="done"))
    assert (
        str(info.value)
        == "case status must be one of active, open, claimed, closed, withdrawn, all (got 'done')"
    )
    with pytest.raises(FormError) as info:
        find_cases(store, CaseFilter(priority="asap"))
    assert str(info.value) == "priority must be one of urgent, high, normal, low (got 'asap')"


def test_case_row_and_label_word_a_case(store: Store) -> None:
    """A case's table line and picker label carry its number, priority, queue, customer and problem."""
    wifi = walk(store, WIFI_ONLY, "Q-7")
    case = find_cases(store)[0]
    row = case_row(case, now=case.created_at + timedelta(hours=3, minutes=5))
    assert row == {
        "reference": case.reference,
        "case": case.id,
        "priority": "normal",
        "queue": "home-networking",
        "tier": 2,
        "status": "open",
        "customer": "Q-7",
        "problem": "No internet connection",
        "waiting": "3 h 5 min",
        "claimed_by": "",
        "reason": case.reason,
        "outcome": "",
    }
    assert case_label(case) == f"{case.reference} · normal · home-networking · Q-7 · No internet connection"
    assert case.session_id == wifi.id


def test_handoff_markdown_moves_headings_down(store: Store) -> None:
    """The hand-off keeps every line; only its headings move down to the level asked for."""
    walk(store, WIFI_ONLY, "Q-8")
    case = find_cases(store)[0]
    original = case.handoff_markdown.splitlines()
    fitted = handoff_markdown(case, top_level=4).splitlines()
    assert [line for line in fitted if line.startswith("#")] == [
        "#### Hand-off: No internet connection",
        "##### What this walk found",
        "##### Facts",
        "##### Steps tried",
        "##### Notes",
    ]
    assert [line.lstrip("#") for line in fitted] == [line.lstrip("#") for line in original]
    assert handoff_markdown(case, top_level=1) == case.handoff_markdown
    with pytest.raises(FormError) as info:
        handoff_markdown(case, top_level=7)
    assert str(info.value) == "top_level must be a heading level from 1 to 6 (got 7)"


def test_waiting_is_coarse() -> None:
    """Minutes under an hour, hours and minutes under a day, then days and hours; never negative."""
    t0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    assert [
        waiting(t0, t0 + d)
        for d in (
            timedelta(seconds=59),
            timedelta(minutes=45),
            timedelta(hours=1),
            timedelta(days=1, minutes=90),
        )
    ] == ["0 min", "45 min", "1 h 0 min", "1 d 1 h"]
    assert waiting(t0, t0 - timedelta(hours=2)) == "0 min"


# -- visits ---------------------------------------------------------------------------------------


def crew(store: Store) -> Scheduler:
    sched = Scheduler(store)
    sched.add_technician("Ana Lima", ["broadband-line", "cable-tv"], ["north"])
    sched.add_technician("Ben Okafor", ["broadband-line", "cable-tv"], ["south"], timezone="Europe/London")
    return sched


def test_needs_booking_lists_visits_without_a_live_booking(store: Store) -> None:
    """Urgent first; a booked or closed visit leaves the list, a cancelled one comes back, a rescheduled one does not."""
    sched = crew(store)
    normal = walk(store, LINE_FAULT, "V-1", facts={"region": "north"})
    urgent = wet_tv(store, "V-2", facts={"region": "south"})
    unplaced = walk(store, LINE_FAULT, "V-3")
    walk(store, WIFI_ONLY, "V-4")  # an escalation: never a visit to book
    pending = needs_booking(store)
    assert [(p.session_id, p.customer_id, p.region, p.skill, p.urgency) for p in pending] == [
        (urgent.id, "V-2", "south", "cable-tv", "urgent"),
        (normal.id, "V-1", "north", "broadband-line", "normal"),
        (unplaced.id, "V-3", None, "broadband-line", "normal"),
    ]
    assert (pending[1].parts, pending[1].duration_minutes, pending[1].reason) == (
        ("dsl-filter", "line-cable"),
        90,
        "The second remote line test still shows a fault or no sync after a router restart, the cable checks"
        " and a remote line reset.",
    )

    b = sched.book_for_session(normal, now=NOW)
    sched.book_for_session(urgent, now=NOW)
    assert [p.session_id for p in needs_booking(store)] == [unplaced.id]
    moved = sched.reschedule(b.id, now=NOW)
    assert [p.session_id for p in needs_booking(store)] == [unplaced.id]
    sched.cancel(moved.id, "customer is away", now=NOW)
    assert [p.session_id for p in needs_booking(store)] == [normal.id, unplaced.id]


def test_pending_row_and_label(store: Store) -> None:
    """A waiting visit's table line and picker label name customer, problem, skill, urgency and region."""
    s = walk(store, LINE_FAULT, "V-9")
    p = needs_booking(store)[0]
    assert pending_row(p, now=p.decided_at + timedelta(minutes=20)) == {
        "session": s.id,
        "customer": "V-9",
        "contact": "-",
        "address": "-",
        "problem": "no-internet",
        "skill": "broadband-line",
        "urgency": "normal",
        "region": "-",
        "parts": "dsl-filter, line-cable",
        "waiting": "20 min",
        "outage": "",
    }
    assert pending_label(p) == "normal · V-9 · no-internet · broadband-line · ?"


def test_slots_for_visit_follow_urgency_and_region(store: Store) -> None:
    """An urgent visit may take today's next slot; a normal one starts the next working day."""
    sched = crew(store)
    wet_tv(store, "V-5", facts={"region": "north"})
    walk(store, LINE_FAULT, "V-6", facts={"region": "north"})
    urgent, normal = needs_booking(store)
    first_urgent = slots_for_visit(sched, urgent, "north", now=NOW)[0]
    first_normal = slots_for_visit(sched, normal, "north", now=NOW)[0]
    assert (first_urgent.technician_name, first_urgent.start) == (
        "Ana Lima",
        datetime(2025, 3, 3, 7, tzinfo=UTC),
    )
    assert first_normal.start == datetime(2025, 3, 4, 7, tzinfo=UTC)
    assert slots_for_visit(sched, normal, "north", days=1, now=NOW) == []


def test_days_for_reschedule_offer_other_free_slots(store: Store) -> None:
    """A booked visit is offered the free times of its skill and region over the next working days, by day;
    its own slot is taken, so not offered; moving keeps the reference."""
    sched = crew(store)
    s = walk(store, LINE_FAULT, "V-8", facts={"region": "north"})
    b = sched.book_for_session(s, now=NOW)
    days = days_for_reschedule(store, b, days=2, now=NOW)
    assert b.start == datetime(2025, 3, 4, 7, tzinfo=UTC)
    assert [d.label for d in days] == ["Tue 2025-03-04", "Wed 2025-03-05"]
    assert [c.slot.start.hour for c in days[0].slots] == [9, 11, 13]
    assert days[0].slots[0].time == "10:00–12:00 (CET) · Ana Lima"
    moved = sched.reschedule(b.reference, days[0].slots[0].slot, now=NOW)
    assert (moved.start, moved.reference, moved.sequence) == (
        datetime(2025, 3, 4, 9, tzinfo=UTC),
        b.reference,
        1,
    )


def test_bookings_are_worded_in_the_technicians_timezone(store: Store) -> None:
    """Rows, labels and slot labels show local wall-clock time and the zone; filters pass through."""
    sched = crew(store)
    zones = {t.id: t.timezone for t in sched.technicians()}
    s = walk(store, LINE_FAULT, "V-10", facts={"region": "south"})
    b = sched.book_for_session(s, address="Ring 1", now=NOW)
    assert booking_row(b, zones) == {
        "reference": b.reference,
        "when": "2025-03-04 08:00–10:00 (Europe/London)",
        "technician": "Ben Okafor",
        "status": "booked",
        "customer": "V-10",
        "contact": "-",
        "skill": "broadband-line",
        "urgency": "normal",
        "region": "south",
        "address": "Ring 1",
        "parts": "dsl-filter, line-cable",
    }
    assert (
        booking_label(b, zones)
        == f"{b.reference} · 2025-03-04 08:00–10:00 (Europe/London) · Ben Okafor · V-10 · booked"
    )
    assert day_board([b], zones) == [(date(2025, 3, 4), [b])]
    assert slot_label(b.slot, zones) == "2025-03-04 08:00–10:00 (Europe/London) · Ben Okafor"
    assert [x.id for x in find_bookings(sched, BookingFilter(day=date(2025, 3, 4)))] == [b.id]
    assert find_bookings(sched, BookingFilter(day=date(2025, 3, 5))) == []
    assert [
        x.id for x in find_bookings(sched, BookingFilter(day=date(2025, 3, 1), last_day=date(2025, 3, 4)))
    ] == [b.id]
    moved = sched.reschedule(b.reference, now=NOW)  # the board shows the visit once, where it is now
    assert [x.id for x in find_bookings(sched, BookingFilter(status=None))] == [moved.id]
    b = moved
    sched.cancel(b.id, "no longer needed", now=NOW)
    assert find_bookings(sched) == []
    assert [
        x.status for x in find_bookings(sched, BookingFilter(status=None, technician_id=b.technician_id))
    ] == ["cancelled"]


def test_local_span_across_midnight() -> None:
    """A span ending on another local day names the end's date too."""
    start = datetime(2025, 3, 3, 22, 0, tzinfo=UTC)
    assert local_span(start, start + timedelta(hours=2), "Europe/Berlin") == (
        "2025-03-03 23:00–2025-03-04 01:00 (Europe/Berlin)"
    )


# -- technicians ----------------------------------------------------------------------------------


def test_parse_hours_reads_ranges_and_single_days() -> None:
    """Day ranges and single days, ';' or ',' between parts, hours zero-padded, in weekday order."""
    assert parse_hours("sat 9:00-13:00, Mon-Fri 08:00-17:00") == {
        "mon": ["08:00", "17:00"],
        "tue": ["08:00", "17:00"],
        "wed": ["08:00", "17:00"],
        "thu": ["08:00", "17:00"],
        "fri": ["08:00", "17:00"],
        "sat": ["09:00", "13:00"],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "hours: give at least one working day, like 'mon-fri 08:00-17:00'"),
        (
            "weekdays 8-5",
            "hours: 'weekdays 8-5' is not a day or day range and a time range (expected e.g. 'mon-fri 08:00-17:00')",
        ),
        (
            "mon-fro 08:00-17:00",
            "hours: unknown weekday 'fro' in 'mon-fro 08:00-17:00' "
            "(expected one of mon, tue, wed, thu, fri, sat, sun; did you mean 'fri'?)",
        ),
        ("fri-mon 08:00-17:00", "hours: the day range fri-mon runs backwards (write it as mon-fri?)"),
    ],
)
def test_parse_hours_explains_what_it_cannot_read(text: str, message: str) -> None:
    """Each unreadable entry is a FormError quoting it and saying what would be valid."""
    with pytest.raises(FormError) as info:
        parse_hours(text)
    assert str(info.value) == message


def test_hours_text_round_trips() -> None:
    """Written hours read back to the same hours, with runs of equal consecutive days joined."""
    hours = {
        "mon": ["08:00", "17:00"],
        "tue": ["08:00", "17:00"],
        "thu": ["08:00", "17:00"],
        "sun": ["10:00", "14:00"],
    }
    text = hours_text(hours)
    assert text == "mon-tue 08:00-17:00; thu 08:00-17:00; sun 10:00-14:00"
    assert parse_hours(text) == hours


def test_parse_names_splits_on_commas_and_spaces() -> None:
    """Commas, semicolons and spaces separate names; duplicates go; nothing at all is a FormError."""
    assert parse_names("skills", " tv, broadband-line;tv  fibre ") == ["tv", "broadband-line", "fibre"]
    with pytest.raises(FormError) as info:
        parse_names("regions", " , ")
    assert str(info.value) == "regions: give at least one name, separated by commas (got ' , ')"


def test_technician_row(store: Store) -> None:
    """A technician's table line lists skills, regions and hours as typed in the form."""
    sched = Scheduler(store)
    t = sched.add_technician(
        "Cleo Park", ["fibre", "tv"], ["south"], hours=parse_hours("mon-fri 08:00-12:00")
    )
    assert technician_row(t) == {
        "name": "Cleo Park",
        "skills": "fibre, tv",
        "regions": "south",
        "hours": "mon-fri 08:00-12:00",
        "slot_minutes": 120,
        "timezone": "Europe/Berlin",
        "active": True,
    }
