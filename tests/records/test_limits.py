"""Size limits and locales where people's words enter the records, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from triage.desk import booking, contact, queue
from triage.errors import InvalidLocale, LimitExceeded, Refused
from triage.limits import limits
from triage.records.cases import Queue
from triage.records.flags import Flags
from triage.records.schema import CaseNote, EventRow, SessionRow
from triage.records.store import Store, StoredSession
from triage.visits import Slot

TYPED = """\
id: typed
title: {en: Typed answer}
category: software
symptoms: [typed]
locales: [en]
start: ask
nodes:
  - id: ask
    kind: collect
    text: {en: What does the screen say?}
    fact: said
    type: text
    next: done
  - id: done
    kind: outcome
    outcome: escalate
    queue: tier2-support
    text: {en: Passed on.}
    reason: {en: The screen said something.}
"""


@pytest.fixture(autouse=True)
def fresh_limits() -> Iterator[None]:
    """Every test reads the limits from its own environment (monkeypatched variables included)."""
    limits.cache_clear()
    yield
    limits.cache_clear()


@pytest.fixture
def typed(store: Store) -> Store:
    """The store with a one-step tree that takes a typed answer and escalates."""
    store.publish(TYPED, author="test")
    return store


def events(store: Store, session_id: str) -> int:
    with store.tx() as db:
        return int(db.scalar(select(func.count()).where(EventRow.session_id == session_id)) or 0)


def test_the_defaults_fit_the_database_columns() -> None:
    """The default limits are no longer than the columns they are stored in (so PostgreSQL never refuses first)."""
    lim = limits()
    assert (lim.identifier, lim.code, lim.name) == (64, 64, 64)
    assert SessionRow.__table__.c.id.type.length == 64  # type: ignore[attr-defined]
    assert SessionRow.__table__.c.customer_id.type.length >= lim.identifier  # type: ignore[attr-defined]
    assert SessionRow.__table__.c.closure_code.type.length >= lim.code  # type: ignore[attr-defined]


@pytest.mark.parametrize("length", [65, 150])
def test_a_long_customer_id_is_refused_the_same_on_both_databases(store: Store, length: int) -> None:
    """A customer id over 64 characters is a LimitExceeded naming the field, and nothing is stored."""
    with pytest.raises(LimitExceeded) as exc:
        store.start_session("no-internet", customer_id="C" * length)
    assert str(exc.value) == f"a customer id is at most 64 characters (got {length}); shorten it"
    assert store.list_sessions() == []


def test_a_customer_id_at_the_limit_is_kept_whole(store: Store) -> None:
    """64 characters are accepted and read back unchanged on both databases."""
    stored = store.start_session("no-internet", customer_id="C" * 64)
    assert store.session_row(stored.id).customer_id == "C" * 64


def test_session_ids_given_by_people_have_a_limit(store: Store) -> None:
    """A chosen session id over 64 characters is refused when starting and when loading; a taken one is refused."""
    with pytest.raises(LimitExceeded, match="^a session id is at most 64 characters"):
        store.start_session("no-internet", session_id="s" * 65)
    with pytest.raises(LimitExceeded, match="^a session id is at most 64 characters"):
        store.load_session("s" * 5000)
    stored = store.start_session("no-internet", session_id="s" * 64)
    assert store.load_session("s" * 64).id == stored.id
    with pytest.raises(Refused) as exc:
        store.start_session("no-internet", session_id="s" * 64)
    assert str(exc.value) == f"there is already a session {'s' * 64!r}; give another id, or none"


def test_notes_on_a_session_have_a_limit(store: Store) -> None:
    """A note over 4,000 characters is refused and nothing is written; one at the limit is kept."""
    stored = store.start_session("no-internet")
    with pytest.raises(LimitExceeded) as exc:
        stored.add_note("n" * 50_000)
    assert str(exc.value) == "a note is at most 4,000 characters (got 50,000); shorten it"
    assert events(store, stored.id) == 1
    stored.add_note("n" * 4_000)
    assert store.load_session(stored.id).session.notes == ["n" * 4_000]


def test_typed_answers_have_a_limit(typed: Store) -> None:
    """A 2 MB typed answer is refused before it can become a 4 MB case; one at the limit is stored."""
    stored = typed.start_session("typed")
    with pytest.raises(LimitExceeded) as exc:
        stored.answer("x" * 2_000_000)
    assert str(exc.value) == "a typed answer is at most 2,000 characters (got 2,000,000); shorten it"
    assert events(typed, stored.id) == 1
    stored.answer("x" * 2_000)
    assert typed.load_session(stored.id).session.facts["said"] == "x" * 2_000


def test_start_facts_have_limits(store: Store) -> None:
    """A start fact's text is a typed answer, its name an identifier."""
    with pytest.raises(LimitExceeded, match="^a value of fact 'plan' is at most 2,000 characters"):
        store.start_session("no-internet", facts={"plan": "p" * 2_001})
    with pytest.raises(LimitExceeded, match="^a fact name is at most 64 characters"):
        store.start_session("no-internet", facts={"f" * 65: 1})


def test_case_notes_and_closure_codes_have_limits(typed: Store) -> None:
    """Case notes, closure codes and fixes are held to their limits on both databases; nothing half-written."""
    stored = typed.start_session("typed")
    stored.answer("blue screen")
    q = Queue(typed)
    case_id = q.for_session(stored.id)[0].id
    with pytest.raises(LimitExceeded, match="^a note is at most 4,000 characters"):
        q.add_note(case_id, "tom", "n" * 4_001)
    with pytest.raises(LimitExceeded) as exc:
        q.close(case_id, "tom", "c" * 150)
    assert str(exc.value) == "a closure code is at most 64 characters (got 150); shorten it"
    with pytest.raises(LimitExceeded, match="^a closure fix is at most 4,000 characters"):
        q.close(case_id, "tom", "disk-full", fix="f" * 4_001)
    with typed.tx() as db:
        assert db.scalar(select(func.count()).select_from(CaseNote)) == 0
    assert q.get(case_id).status == "open"
    closed = q.close(case_id, "tom", "c" * 64, fix="f" * 4_000)
    assert (closed.status, closed.closure_code) == ("closed", "c" * 64)
    assert typed.session_row(stored.id).closure_code == "c" * 64


def test_the_desk_holds_what_staff_type_to_the_limits(typed: Store) -> None:
    """Start facts, a session id to open, a case search, a flag's comment, a region and an address."""
    tree = typed.library({"typed": typed.latest_ids()["typed"]})["typed"]
    with pytest.raises(LimitExceeded, match="^a value of fact 'plan' is at most 2,000 characters"):
        contact.known_facts(tree, {"plan": "p" * 2_001})
    with pytest.raises(LimitExceeded, match="^a session id is at most 64 characters"):
        contact.resolve_session_id(typed, "x" * 65)
    with pytest.raises(LimitExceeded, match="^a search is at most 64 characters"):
        queue.find_cases(typed, queue.CaseFilter(search="x" * 65))
    stored: StoredSession = typed.start_session("typed")
    with pytest.raises(LimitExceeded, match="^a flag comment is at most 4,000 characters"):
        contact.flag_step(typed, stored, "unclear", "ann", "c" * 4_001)
    assert contact.flag_step(typed, stored, "unclear", "ann", "c" * 4_000).comment == "c" * 4_000
    slot = Slot(1, "Ana", datetime(2025, 3, 3, 8, tzinfo=UTC), datetime(2025, 3, 3, 10, tzinfo=UTC))
    with pytest.raises(LimitExceeded, match="^a region is at most 64 characters"):
        booking.book_visit(typed, stored.id, slot, "r" * 65)
    with pytest.raises(LimitExceeded, match="^a visit address is at most 200 characters"):
        booking.book_visit(typed, stored.id, slot, "north", address="a" * 201)


def test_limits_are_set_from_the_environment(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """TRIAGE_LIMIT_NOTE lowers the note limit; a lowered limit never locks a stored session out."""
    stored = store.start_session("no-internet")
    stored.add_note("twenty characters!!!")
    monkeypatch.setenv("TRIAGE_LIMIT_NOTE", "10")
    limits.cache_clear()
    with pytest.raises(LimitExceeded, match=r"^a note is at most 10 characters \(got 11\)"):
        stored.add_note("n" * 11)
    assert store.load_session(stored.id).session.notes == ["twenty characters!!!"]


@pytest.mark.parametrize(("name", "value", "column"), [("IDENTIFIER", "65", 64), ("CODE", "101", 100)])
def test_a_limit_cannot_exceed_its_column(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, column: int
) -> None:
    """A limit set above its database column is refused, so SQLite cannot keep what PostgreSQL would refuse."""
    monkeypatch.setenv(f"TRIAGE_LIMIT_{name}", value)
    with pytest.raises(LimitExceeded) as exc:
        limits()
    assert str(exc.value) == (
        f"TRIAGE_LIMIT_{name} must be at most {column}, the size of its database column (got {value!r})"
    )


@pytest.mark.parametrize("tag", ["de", "en", "pt-BR", "zh-Hant-TW"])
def test_known_locales_start_a_session(store: Store, tag: str) -> None:
    """A well-formed language tag Babel knows is accepted and stored as given."""
    stored = store.start_session("no-internet", locale=tag)
    assert store.session_row(stored.id).locale == tag


@pytest.mark.parametrize("tag", ["../../etc", "xx-YY-zz-!!", "xx", "en_US", "", "de-" + "x" * 40])
def test_other_locales_are_refused(store: Store, tag: str) -> None:
    """Paths, garbage, unknown languages and over-long tags are an InvalidLocale, and nothing is stored."""
    with pytest.raises(InvalidLocale):
        store.start_session("no-internet", locale=tag)
    assert store.list_sessions() == []


def test_a_flag_comment_is_held_to_the_note_limit_by_the_records(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flags.raise_flag checks the comment itself (not only the desk): over limits().note is refused and
    nothing is stored; a lowered limit applies at once."""
    flags = Flags(store)
    with pytest.raises(LimitExceeded) as exc:
        flags.raise_flag("no-internet", "power_light", "unclear", "ann", "c" * 4_001)
    assert str(exc.value) == "a flag comment is at most 4,000 characters (got 4,001); shorten it"
    assert flags.for_tree("no-internet") == []
    assert flags.raise_flag("no-internet", "power_light", "wrong", "ann", "c" * 4_000).comment == "c" * 4_000
    monkeypatch.setenv("TRIAGE_LIMIT_NOTE", "10")
    limits.cache_clear()
    with pytest.raises(LimitExceeded, match=r"^a flag comment is at most 10 characters \(got 11\)"):
        flags.raise_flag("no-internet", "power_light", "wrong", "ann", "c" * 11)
    assert len(flags.for_tree("no-internet")) == 1
