"""The console helpers behind the agent and self-service pages, on a real SQLite store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from libraries import NO_INTERNET_LINE_FAULT

from triage.desk import contact as console
from triage.errors import InvalidAnswer, NotFound
from triage.records.cases import Queue
from triage.records.flags import Flags
from triage.records.store import Store
from triage.trees.library import Library

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin
# no-internet to its broadband-line visit (normal urgency): two line tests find a fault around a restart,
# the cables and a remote re-profile
LINE_FAULT = list(NO_INTERNET_LINE_FAULT)
WIFI_ONLY = [
    *["all", "active", "no", "yes", "ok", "online", "not_fixed", "done", "ready", "ready", "not_fixed"],
    *["wired_ok", "ok", "not_fixed", "not_fixed"],
]  # tier 2, home-networking


@pytest.fixture
def db(tmp_path: Path, shipped_lib: Library) -> Iterator[Store]:
    st = Store(f"sqlite:///{tmp_path / 'console.db'}")
    st.sync(shipped_lib)
    yield st
    st.dispose()


# -- finding a problem ----------------------------------------------------------------------------


def test_find_trees_ranks_symptom_words_and_filters_by_category(shipped_lib: Library) -> None:
    """Symptom words find their tree first; a category filter keeps only that category."""
    assert [r.id for r in console.find_trees(shipped_lib, "cannot browse")][0] == "no-internet"
    rows = console.find_trees(shipped_lib, "", category="hardware")
    assert {r.category for r in rows} == {"hardware"}
    assert "no-internet" not in [r.id for r in rows]


def test_find_trees_reads_the_locale(shipped_lib: Library) -> None:
    """A German query finds the German title, and the row is in German."""
    row = console.find_trees(shipped_lib, "Internetverbindung", locale="de")[0]
    assert (row.id, row.title, row.symptoms[0]) == (
        "no-internet",
        "Keine Internetverbindung",
        "kein Internet",
    )


def test_problems_by_category_holds_every_offered_tree_once_and_no_procedure(shipped_lib: Library) -> None:
    """The customer's list has every self-service tree once, by category, and no shared procedure."""
    groups = console.problems_by_category(shipped_lib, audience="self_service")
    ids = [r.id for rows in groups.values() for r in rows]
    assert list(groups) == ["hardware", "software", "connectivity"]
    assert sorted(ids) == sorted(t.id for t in shipped_lib.offered("self_service"))
    assert "power-cycle-router" not in ids
    titles = [r.title for r in groups["connectivity"]]
    assert titles == sorted(titles, key=str.lower)


# -- starting -------------------------------------------------------------------------------------


def test_known_facts_types_values_and_leaves_blanks_out(shipped_lib: Library) -> None:
    """Yes/no, numbers and text get their types; blank and "unknown" mean not set."""
    tree = shipped_lib["no-internet"]
    got = console.known_facts(
        tree,
        {
            "visit_covered": "no",
            "region": " north ",
            "outage_in_area": "yes",
            "plan": "",
            "repeat_contacts": "2",
        },
    )
    assert got == {"visit_covered": False, "region": "north", "outage_in_area": True, "repeat_contacts": 2}
    assert console.known_facts(tree, {"visit_covered": "unknown", "region": None}) == {}


def test_known_facts_refuses_a_value_that_does_not_fit(shipped_lib: Library) -> None:
    """A yes/no fact given something else is refused with the fact's name."""
    with pytest.raises(InvalidAnswer, match=r"^fact 'visit_covered': 'maybe' is not yes or no$"):
        console.known_facts(shipped_lib["no-internet"], {"visit_covered": "maybe"})
    with pytest.raises(InvalidAnswer, match=r"^fact 'repeat_contacts': 'two' is not a number$"):
        console.known_facts(shipped_lib["no-internet"], {"repeat_contacts": "two"})


# -- continuing -----------------------------------------------------------------------------------


def test_resolve_session_id_takes_an_id_a_prefix_or_a_link(db: Store) -> None:
    """The full id, its first 8 characters and the customer's resume link all name the session."""
    sid = db.start_session("no-internet", mode="self_service").id
    assert console.resolve_session_id(db, sid) == sid
    assert console.resolve_session_id(db, f"  {sid[:8]} ") == sid
    assert console.resolve_session_id(db, f"https://help.example/?s={sid}") == sid
    # a link from a real host is longer than any id; the id inside it is what counts
    link = f"https://self-service.support.example-broadband.de:8501/?s={sid}&lang=de"
    assert len(link) > 64
    assert console.resolve_session_id(db, link) == sid


def test_resolve_session_id_explains_what_did_not_match(db: Store) -> None:
    """A short reference, an unknown one and an empty one each get their own message."""
    with pytest.raises(
        NotFound,
        match=r"^no session 'abc' \(give its reference, like K7P-4QX, or at least the first 6 characters of its id\)$",
    ):
        console.resolve_session_id(db, "abc")
    with pytest.raises(NotFound, match=r"^no session has the reference or an id starting with 'ffffffffff'$"):
        console.resolve_session_id(db, "ffffffffff")
    with pytest.raises(
        NotFound, match=r"^give the session's reference, like K7P-4QX \(or the customer's link\)$"
    ):
        console.resolve_session_id(db, "  ")


def test_open_for_agent_reads_a_customer_escalation_and_take_over_continues_it(db: Store) -> None:
    """Opening an escalated self-service session changes nothing; taking it over continues it in agent mode at
    the customer's step and closes the case as handed over."""
    stored = db.start_session("no-internet", mode="self_service")
    stored.answer("all")
    stored.escalate_now()
    opened = console.open_for_agent(db, stored.id)
    assert (opened.escalated, opened.customer_active, opened.readonly) == (True, False, True)
    assert [c.status for c in Queue(db).for_session(stored.id)] == ["open"]
    taken = console.take_over(db, stored.id, "agent")
    view = taken.view()
    assert (view.mode.value, view.node_id, view.finished) == ("agent", "account_check", False)
    assert [c.answer for c in view.breadcrumb] == ["Yes, every device"]
    assert console.handed_over(taken)
    assert [(c.status, c.closure_code) for c in Queue(db).for_session(stored.id)] == [
        ("closed", "handed-over")
    ]
    again = console.open_for_agent(db, stored.id)
    assert (again.readonly, again.stored.view().node_id) == (False, "account_check")


def test_open_for_agent_leaves_a_customer_walk_in_progress_alone(db: Store) -> None:
    """A self-service walk still in progress is opened as it is, flagged as the customer's."""
    stored = db.start_session("no-internet", mode="self_service")
    opened = console.open_for_agent(db, stored.id)
    assert (opened.escalated, opened.customer_active) == (False, True)
    assert opened.stored.session.mode.value == "self_service"
    assert not console.handed_over(opened.stored)
    taken = console.take_over(db, stored.id, "agent")
    assert taken.session.mode.value == "agent"


# -- the decision ---------------------------------------------------------------------------------


def test_active_case_is_the_queued_escalation(db: Store) -> None:
    """An escalation's open case is found; a resolved session has none."""
    esc = db.start_session("no-internet", mode="agent")
    for a in WIFI_ONLY:
        esc.answer(a)
    case = console.active_case(db, esc.id)
    assert case is not None
    assert (case.queue, case.status) == ("home-networking", "open")
    ok = db.start_session("no-internet", mode="agent", facts={"outage_in_area": True})
    assert console.active_case(db, ok.id) is None


def test_handoff_files_carry_the_session(db: Store) -> None:
    """The hand-off comes as Markdown and JSON named after the session."""
    stored = db.start_session("no-internet", mode="agent")
    stored.add_note("customer on mobile")
    stored.answer("one")
    files = console.handoff_files(stored)
    assert files.markdown.startswith("# Hand-off: No internet connection\n")
    assert "- customer on mobile" in files.markdown
    assert json.loads(files.json)["session_id"] == stored.id
    ref = stored.reference
    assert (files.markdown_name, files.json_name) == (f"handoff-{ref}.md", f"handoff-{ref}.json")


def test_flag_step_names_the_step_version_and_session(db: Store) -> None:
    """A flag lands on the current step, the published version the session uses, and the session."""
    stored = db.start_session("no-internet", mode="agent")
    stored.answer("all")
    flag = console.flag_step(db, stored, "wrong", "agent", "lights differ on fibre")
    assert (flag.tree_id, flag.node_id, flag.tree_version, flag.session_id) == (
        "no-internet",
        "account_check",
        1,
        stored.id,
    )
    assert Flags(db).for_tree("no-internet")[0].comment == "lights differ on fibre"


# -- inputs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "example"),
    [
        ("[A-Za-z0-9-]{8,24}", "abcdefgh"),
        ("0x[0-9A-Fa-f]{8}", "0x01234567"),
        (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|[0-9]{8}", "abc@abc.abc"),
        (
            r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])",
            "250.250.250.250",
        ),
        (r"\d{3}-\w+", "012-abc"),
        ("[^0-9]{2}", "ab"),
    ],
)
def test_pattern_example_fits_the_pattern(pattern: str, example: str) -> None:
    """The example for each shipped_lib kind of pattern is readable and matches the pattern fully."""
    assert console.pattern_example(pattern) == example


def test_pattern_example_gives_up_on_back_references() -> None:
    """A pattern the example maker cannot follow gives no example rather than a wrong one."""
    assert console.pattern_example(r"(?P<x>ab)(?P=x)") is None


def test_every_shipped_text_pattern_has_an_example(shipped_lib: Library) -> None:
    """Every text step in the shipped_lib trees gets an example that its own pattern accepts."""
    patterns = [getattr(n, "pattern", None) for t in shipped_lib.values() for n in t.nodes]
    found = [p for p in patterns if p]
    assert found
    assert all(console.pattern_example(p) is not None for p in found)


def test_resume_link_replaces_the_query() -> None:
    """The link keeps the page's address and carries only the session and the page's language."""
    assert (
        console.resume_link("http://127.0.0.1:8501/help?lang=de&x=1", "s1")
        == "http://127.0.0.1:8501/help?s=s1&lang=de"
    )
