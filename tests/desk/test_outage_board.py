"""The outage board's desk, on SQLite and a real PostgreSQL server: the start facts sessions get, who an outage
affects, the board, and the notices; a self-service visit in an outage region ends in an outage diagnosis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from outage_trees import LINE_VISIT, publish_line_down

from triage.desk import outages as board
from triage.desk.contact import start_for_agent, start_for_customer
from triage.errors import FormError, LimitExceeded, Refused
from triage.records.store import Store
from triage.trees.model import OutcomeKind, Tree
from triage.visits import Scheduler

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin
END = datetime(2025, 3, 3, 18, 0, tzinfo=UTC)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A store with the ``internet`` tree published and a line technician in Berlin and Potsdam."""
    st = Store(store_url)
    publish_line_down(st)
    Scheduler(st).add_technician("Ana Lima", ["broadband-line"], ["Berlin", "Potsdam"])
    yield st
    st.dispose()


def tree(store: Store) -> Tree:
    return store.library().get_tree("line-down")


def declare(store: Store, region: str = "Berlin", until: datetime | None = END) -> board.OutageView:
    return board.declare(
        store,
        region,
        "internet",
        who="sam",
        message={"en": "A cable was cut.", "de": "Ein Kabel ist durchtrennt."},
        start=NOW - timedelta(hours=1),
        until=until,
        now=NOW,
    )


def test_outage_facts_for_a_region_and_service(store: Store) -> None:
    """In the region and service: true with the expected end; elsewhere, or without either, false and no eta."""
    declare(store)
    assert board.outage_facts(store, " BERLIN", "internet", now=NOW) == {
        "outage_in_area": True,
        "outage_eta": "2025-03-03T18:00+00:00",
    }
    nothing = {"outage_in_area": False, "outage_eta": None}
    assert board.outage_facts(store, "Potsdam", "internet", now=NOW) == nothing
    assert board.outage_facts(store, "Berlin", "tv", now=NOW) == nothing
    assert board.outage_facts(store, None, "internet", now=NOW) == nothing
    declare(store, until=None)
    assert (
        board.outage_facts(store, "Berlin", "internet", now=NOW)["outage_eta"] is None
    )  # until further notice


def test_an_agent_session_starts_with_the_outage_facts_and_the_customers_words(store: Store) -> None:
    """The agent's start adds the outage facts for the region given and keeps the customer's words; its visit
    stands, marked as during an outage."""
    declare(store)
    s = start_for_agent(
        store, tree(store), {"region": "berlin"}, customer_words="  Internet dead since the storm ", now=NOW
    )
    facts = s.session.facts
    assert (facts["outage_in_area"], facts["outage_eta"]) == (True, "2025-03-03T18:00+00:00")
    assert facts["customer_words"] == "Internet dead since the storm"
    for a in LINE_VISIT:
        s.answer(a)
    assert s.decision is not None
    assert (s.decision.kind, s.decision.outage) == (OutcomeKind.VISIT, True)


def test_facts_the_caller_gave_are_not_overridden(store: Store) -> None:
    """An agent who says there is no outage is not second-guessed; no region, no outage facts at all."""
    declare(store)
    s = start_for_agent(store, tree(store), {"region": "Berlin", "outage_in_area": "no"}, now=NOW)
    assert s.session.facts["outage_in_area"] is False
    assert "outage_eta" not in s.session.facts
    unknown = start_for_agent(store, tree(store), {"region": ""}, now=NOW)
    assert "outage_in_area" not in unknown.session.facts
    assert board.with_outage_facts(store, "internet", {"region": "Berlin", "outage_eta": "x"}, now=NOW) == {
        "region": "Berlin",
        "outage_eta": "x",
        "outage_in_area": True,
    }


def test_the_customers_words_are_held_to_a_limit(store: Store) -> None:
    """Words longer than a typed answer are refused before anything is stored."""
    with pytest.raises(LimitExceeded, match="a description of the problem is at most 2,000 characters"):
        start_for_customer(store, tree(store), customer_words="x" * 2001)
    assert store.list_sessions() == []


def test_self_service_in_an_outage_region_ends_in_an_outage_diagnosis(store: Store) -> None:
    """A customer who picked an outage region and walks to a visit is told about the outage instead: a
    diagnosis with the rule "outage", and the board finds the outage for their session."""
    o = declare(store)
    s = start_for_customer(
        store, tree(store), region="Berlin", customer_words="no light", locale="de", now=NOW
    )
    assert s.session.facts["customer_words"] == "no light"
    for a in LINE_VISIT:
        s.answer(a)
    d = s.decision
    assert d is not None
    assert (d.kind, d.rule, d.outage, d.outage_eta) == (
        OutcomeKind.DIAGNOSIS,
        "outage",
        True,
        "2025-03-03T18:00+00:00",
    )
    found = board.outage_for_session(store, s.id, now=NOW)
    assert found is not None
    assert found.id == o.id
    n = board.subscribe(store, o.id, s.id, "ana@example.com", "de")
    assert (n.session_id, n.locale) == (s.id, "de")
    outside = start_for_customer(store, tree(store), region=None, now=NOW)
    for a in LINE_VISIT:
        outside.answer(a)
    assert outside.decision is not None
    assert outside.decision.kind is OutcomeKind.VISIT
    assert board.outage_for_session(store, outside.id, now=NOW) is None


def _visit(store: Store, region: str) -> str:
    s = start_for_agent(store, tree(store), {"region": region}, now=NOW)
    for a in LINE_VISIT:
        s.answer(a)
    return s.id


def test_affected_sessions_are_open_or_waiting_for_a_visit(store: Store) -> None:
    """Open sessions and unbooked visits in the region count; a booked visit, a resolved one, another region and
    a tree of no service do not."""
    o = declare(store)
    open_ = start_for_agent(store, tree(store), {"region": "BERLIN "}, now=NOW).id
    waiting = _visit(store, "Berlin")
    booked = _visit(store, "Berlin")
    Scheduler(store).book_for_session(booked, now=NOW, outage_override="the socket is burnt")
    resolved = start_for_agent(store, tree(store), {"region": "Berlin"}, now=NOW)
    resolved.answer("yes")
    _visit(store, "Potsdam")
    found = board.affected_sessions(store, o)
    assert {a.session_id: a.waiting_for_visit for a in found} == {open_: False, waiting: True}


def test_affected_bookings_by_session_service_or_skill_and_time(store: Store) -> None:
    """Booked visits in the region during the outage count, by their session's tree or else their skill; a
    visit after the expected end, a cancelled one, another skill or region do not."""
    sched = Scheduler(store)
    sched.add_technician("Cleo Park", ["tv"], ["Berlin"])
    o = declare(store, until=datetime(2025, 3, 5, 12, 0, tzinfo=UTC))
    by_session = sched.book_for_session(_visit(store, "Berlin"), now=NOW, outage_override="burnt socket")
    by_skill = sched.book("broadband-line", "Berlin", now=NOW)  # no session, no service: booked
    later = sched.book("broadband-line", "Berlin", now=NOW + timedelta(days=3))  # after the expected end
    cancelled = sched.book("broadband-line", "Berlin", now=NOW)
    sched.cancel(cancelled.id, "customer away")
    sched.book("tv", "Berlin", now=NOW)
    sched.book("broadband-line", "Potsdam", now=NOW)
    found = board.affected_bookings(store, o)
    assert [(b.booking_id, b.outage_override) for b in found] == [
        (by_session.id, "burnt socket"),
        (by_skill.id, None),
    ]
    assert later.id not in [b.booking_id for b in found]


def test_the_board_and_the_notices_to_send(store: Store) -> None:
    """The board lists each active outage with its sessions, bookings and notices; ending one moves its
    notices to the list to send, worded one customer a line."""
    o = declare(store)
    other = declare(store, "Potsdam")
    _visit(store, "Berlin")
    board.subscribe(store, o.id, None, "+49 30 1234567", "de")
    entries = {e.outage.id: e for e in board.board(store, now=NOW)}
    assert sorted(entries) == sorted([o.id, other.id])
    assert (len(entries[o.id].sessions), len(entries[o.id].notices)) == (1, 1)
    assert (len(entries[other.id].sessions), entries[other.id].notices) == (0, [])
    assert board.to_notify(store) == []
    sent = board.end(store, o.id, "kim")
    assert board.notice_lines(sent) == "+49 30 1234567\tde\t-\n"
    [(ended, notices)] = board.to_notify(store)
    assert (ended.id, [n.contact for n in notices]) == (o.id, ["+49 30 1234567"])
    assert [e.outage.id for e in board.board(store)] == [other.id]
    with pytest.raises(Refused, match="already ended"):
        board.end(store, o.id, "kim")


def test_known_regions_and_services(store: Store) -> None:
    """Regions come from technicians and outages, each once ignoring case; services from the trees."""
    declare(store, "potsdam")
    declare(store, "Cottbus")
    assert board.known_regions(store) == ["Berlin", "Cottbus", "Potsdam"]
    assert board.known_services(store) == ["internet"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-03 18:00", datetime(2025, 3, 3, 18, 0, tzinfo=UTC)),
        ("2025-03-03T09:30Z", datetime(2025, 3, 3, 9, 30, tzinfo=UTC)),
        ("2025-03-03 9:30 UTC", datetime(2025, 3, 3, 9, 30, tzinfo=UTC)),
        ("2025-03-03T19:00+01:00", datetime(2025, 3, 3, 18, 0, tzinfo=UTC)),
        ("2025-03-03", datetime(2025, 3, 3, 0, 0, tzinfo=UTC)),
        ("  ", None),
    ],
)
def test_parse_time(text: str, expected: datetime | None) -> None:
    """Times are UTC unless they name a zone; a day alone is its midnight; blank is none."""
    assert board.parse_time("--until", text) == expected


@pytest.mark.parametrize("text", ["tomorrow", "2025-13-01 10:00", "2025-03-03 25:00", "03.03.2025"])
def test_parse_time_refuses_what_it_cannot_read(text: str) -> None:
    """A time that cannot be read names the option and shows the form to use."""
    with pytest.raises(FormError) as exc:
        board.parse_time("--until", text)
    assert str(exc.value) == (
        f"--until: {text!r} is not a time; give it like 2025-03-03 18:00 (UTC) or 2025-03-03T18:00+01:00"
    )
