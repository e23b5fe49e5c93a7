"""A hand-over to another guide: :func:`triage.desk.handover.continue_with`, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from triage.desk.handover import continuation_id, continue_with
from triage.errors import LibraryError, Refused
from triage.records.store import Store
from triage.trees.library import Library, library_from_texts

FIRST = """
id: first
title: First guide
category: hardware
locales: [en]
start: model
nodes:
  - id: model
    kind: collect
    text: Which model is it?
    fact: model
    type: text
    next: where
  - id: where
    kind: question
    text: Where next?
    options:
      - {label: Second, value: second, next: to_second}
      - {label: Everything, value: all, next: to_second_all}
      - {label: Agents only, value: agents, next: to_agents}
      - {label: Missing, value: missing, next: to_missing}
      - {label: Done, value: done, next: done}
  - id: to_second
    kind: outcome
    outcome: handover
    text: Continue with the second guide.
    tree: second
    carry: [model, not_set]
  - id: to_second_all
    kind: outcome
    outcome: handover
    text: Continue with the second guide, with everything.
    tree: second
  - id: to_agents
    kind: outcome
    outcome: handover
    text: Only agents go on.
    tree: agents
  - id: to_missing
    kind: outcome
    outcome: handover
    text: A guide that is not published.
    tree: second
  - id: done
    kind: outcome
    outcome: resolved
    text: Done.
"""

SECOND = """
id: second
title: Second guide
category: hardware
locales: [en]
start: ok
nodes:
  - id: ok
    kind: question
    text: Is it fine now?
    options:
      - {label: "Yes", value: "yes", next: fine}
  - id: fine
    kind: outcome
    outcome: resolved
    text: Fine.
"""

AGENTS = SECOND.replace("id: second", "id: agents").replace(
    "locales: [en]", "locales: [en]\naudiences: [agent]"
)


@pytest.fixture
def library() -> Library:
    lib = library_from_texts({"first.yaml": FIRST, "second.yaml": SECOND, "agents.yaml": AGENTS})
    assert not lib.errors, lib.errors
    return lib


@pytest.fixture
def db(store_url: str, library: Library) -> Iterator[Store]:
    st = Store(store_url)
    st.sync(library)
    yield st
    st.dispose()


def test_continue_carries_the_named_facts_and_always_who_where_and_their_words(
    db: Store, library: Library
) -> None:
    """``carry`` picks the facts (an unset one is skipped); customer id, region and words always go along;
    mode and locale stay; each session names the other in a note."""
    stored = db.start_session(
        "first",
        mode="self_service",
        locale="de",
        customer_id="C-7",
        facts={"region": "north", "customer_words": "Bild weg", "plan": "gold"},
    )
    stored.answer("X-100")
    stored.answer("second")
    new = continue_with(db, library, stored)
    s = new.session
    assert (s.tree_id, s.mode.value, s.locale) == ("second", "self_service", "de")
    facts = {k: v for k, v in s.facts.items() if k not in ("mode", "locale")}
    assert facts == {"model": "X-100", "customer_id": "C-7", "region": "north", "customer_words": "Bild weg"}
    assert s.notes == [f"Continued from session {stored.id} (tree first), which handed over to this guide."]
    assert db.load_session(stored.id).session.notes == [f"Continued in session {new.id} (tree second)."]
    assert db.session_row(new.id).customer_id == "C-7"


def test_without_carry_every_gathered_fact_goes_but_not_what_a_start_works_out(
    db: Store, library: Library
) -> None:
    stored = db.start_session(
        "first", mode="agent", customer_id="C-8", facts={"plan": "gold", "outage_in_area": False}
    )
    stored.answer("X-200")
    stored.answer("all")
    facts = continue_with(db, library, stored).session.facts
    assert {k: v for k, v in facts.items() if k not in ("mode", "locale")} == {
        "plan": "gold",
        "model": "X-200",
        "customer_id": "C-8",
    }


def test_a_second_click_opens_the_same_session_and_a_new_decision_a_new_one(
    db: Store, library: Library
) -> None:
    """Two clicks (or tabs) give one session; after a restart and a new hand-over, a new one."""
    stored = db.start_session("first", mode="agent", customer_id="C-9")
    stored.answer("X-1")
    stored.answer("second")
    first = continue_with(db, library, stored)
    again = continue_with(db, library, db.load_session(stored.id))
    assert again.id == first.id
    assert len(again.session.notes) == 1
    stored = db.load_session(stored.id)
    stored.restart()
    stored.answer("X-2")
    stored.answer("second")
    assert continuation_id(stored) != first.id
    other = continue_with(db, library, stored)
    assert other.id != first.id
    assert other.session.facts["model"] == "X-2"


def test_refusals_say_why(db: Store, library: Library) -> None:
    """Not a hand-over, a guide not offered to the audience, a guide not published: each says so."""
    stored = db.start_session("first", mode="self_service", customer_id="C-10")
    stored.answer("X")
    stored.answer("done")
    with pytest.raises(Refused, match="^this session did not end in a hand-over to another guide$"):
        continue_with(db, library, stored)
    stored.restart()
    stored.answer("X")
    stored.answer("agents")
    with pytest.raises(Refused, match="^the guide 'agents' is not offered in self_service mode$"):
        continue_with(db, library, stored)
    stored.restart()
    stored.answer("X")
    stored.answer("missing")
    smaller = library_from_texts({"first.yaml": FIRST, "agents.yaml": AGENTS})
    with pytest.raises(LibraryError, match="^the hand-over goes to 'second', which is not published; "):
        continue_with(db, smaller, stored)
