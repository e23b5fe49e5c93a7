"""Analytics on SQLite and PostgreSQL: exact figures from a small history walked through the store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from frozen_trees import FROZEN, frozen

from triage.analytics import (
    ActionStats,
    BreakdownRow,
    DayOutcomes,
    DropOff,
    FaultCount,
    NodeStats,
    ProblemCount,
    TreeStats,
    action_stats,
    breakdown,
    csv_text,
    drop_offs,
    fault_counts,
    node_stats,
    outcomes_per_day,
    render_text,
    summary,
    to_csv,
    top_problems,
    tree_stats,
)
from triage.records.cases import Queue
from triage.records.store import Store, StoredSession

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=3)
TRIED = object()  # in a list of answers: "already tried" at this action
RESTART_FIXES = ["all", "yes", "no", "green", "fixed", "fixed"]
NO_INTERNET = (FROZEN / "no-internet.yaml").read_text(encoding="utf-8")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store with the frozen trees published (not the shipped ones, which change)."""
    st = Store(store_url)
    st.sync(frozen())
    yield st
    st.dispose()


def walk(
    store: Store,
    answers: list[object],
    *,
    at: datetime,
    gap: int,
    mode: str = "agent",
    locale: str = "en",
    customer: str | None = None,
) -> StoredSession:
    """A stored session of no-internet started at ``at``, each answer ``gap`` seconds after the last event."""
    s = store.start_session("no-internet", mode=mode, locale=locale, customer_id=customer, now=at)
    ticks = iter(at + timedelta(seconds=gap * i) for i in range(1, 100))
    s.session.clock = lambda: next(ticks)
    for a in answers:
        if a is TRIED:
            s.mark_tried()
        else:
            s.answer(a)
    return s


@dataclass
class History:
    resolved_then_repeated: StoredSession
    escalated: StoredSession
    visit: StoredSession
    abandoned: StoredSession
    repeat: StoredSession
    one_device: StoredSession


@pytest.fixture
def history(store: Store) -> History:
    """Six sessions with known answers and timings; tier 2 closes both escalations with a code."""
    h = History(
        # agent, customer c1: the router restart fixes it (6 answers, 30 s apart)
        resolved_then_repeated=walk(store, RESTART_FIXES, at=T0, gap=30, customer="c1"),
        # agent: the customer already restarted; wired works, so Wi-Fi goes to tier 2 (7 answers, 20 s)
        escalated=walk(
            store,
            ["all", "yes", "no", "green", "fixed", TRIED, "wired_ok"],
            at=T0 + timedelta(hours=1),
            gap=20,
        ),
        # self-service in German: no lights, socket fine, router dead -> visit (3 answers, 50 s)
        visit=walk(
            store,
            ["all", "no", "not_fixed"],
            at=T0 + timedelta(hours=2),
            gap=50,
            mode="self_service",
            locale="de",
        ),
        # agent: the call drops at the smell question (2 answers, 10 s) and the session stays open
        abandoned=walk(store, ["all", "yes"], at=T0 + timedelta(hours=3), gap=10),
        # self-service: only one device -> escalate to device support (1 answer, 60 s)
        one_device=walk(store, ["one"], at=T0 + timedelta(hours=4), gap=60, mode="self_service"),
        # customer c1 calls again the next day: the first "resolved" was not (6 answers, 40 s)
        repeat=walk(store, RESTART_FIXES, at=T0 + timedelta(days=1), gap=40, customer="c1"),
    )
    q = Queue(store)
    for s, code in ((h.escalated, "wifi_channel"), (h.one_device, "device_driver")):
        case = q.for_session(s.id)[0]
        q.claim(case.id, "tier2-kim")
        q.close(case.id, "tier2-kim", code, "fixed remotely")
    return h


OVERALL = TreeStats(
    tree_id="*",
    version=None,
    title="all trees",
    sessions=6,
    decided=5,
    abandoned=1,
    resolved=2,
    escalated=2,
    home_visits=1,
    parts_shipped=0,
    repairs=0,
    diagnoses=0,
    handovers=0,
    first_contact_resolved=1,
    resolution_rate=0.4,
    escalation_rate=0.4,
    visit_rate=0.2,
    fcr_rate=0.2,
    median_steps=6.0,  # decided sessions took 1, 3, 6, 6 and 7 steps
    median_minutes=2.5,  # 60, 140, 150, 180 and 240 seconds
)


def test_tree_figures(store: Store, history: History) -> None:
    """Per tree: counts, rates over decided sessions, FCR after a repeat contact, medians of steps and time."""
    rows = tree_stats(store, now=NOW)
    assert rows == [
        TreeStats(**{**OVERALL.__dict__, "tree_id": "no-internet", "title": "No internet connection"})
    ]


def test_repeat_contact_undoes_first_contact_resolution(store: Store, history: History) -> None:
    """Before the repeat contact both sessions that ended resolved count; after it only the second does."""
    before = tree_stats(store, until=T0 + timedelta(days=1), now=NOW)[0]
    assert (before.resolved, before.first_contact_resolved, before.fcr_rate) == (1, 0, 0.0)
    assert store.session_row(history.resolved_then_repeated.id).truth == "not_resolved"
    everything = tree_stats(store, now=NOW)[0]
    assert (everything.resolved, everything.first_contact_resolved) == (2, 1)


def test_tree_figures_per_version(store: Store, history: History) -> None:
    """Sessions on a newly published version are counted under that version, with its title."""
    store.publish(
        NO_INTERNET.replace('"No internet connection"', '"No internet"'), author="ann", base_version=1
    )
    walk(store, ["one"], at=T0 + timedelta(days=2), gap=5)
    rows = tree_stats(store, by_version=True, now=NOW)
    assert [(r.version, r.title, r.sessions, r.escalated, r.median_steps) for r in rows] == [
        (1, "No internet connection", 6, 2, 6.0),
        (2, "No internet", 1, 1, 1.0),
    ]
    assert [(r.version, r.sessions) for r in tree_stats(store, now=NOW)] == [(None, 7)]


def test_filters_select_sessions(store: Store, history: History) -> None:
    """Mode, locale, time window and tree filters narrow the sessions every figure is computed from."""
    self_service = tree_stats(store, mode="self_service", now=NOW)[0]
    assert (self_service.sessions, self_service.escalated, self_service.home_visits) == (2, 1, 1)
    assert self_service.median_minutes == 1.75  # 60 and 150 seconds
    german = tree_stats(store, locale="de", now=NOW)[0]
    assert (german.sessions, german.home_visits, german.median_steps) == (1, 1, 3.0)
    assert [r.sessions for r in tree_stats(store, since=T0 + timedelta(hours=2), now=NOW)] == [4]
    assert tree_stats(store, tree_id="slow-wifi", now=NOW) == []


def test_abandoned_means_open_and_idle_for_thirty_minutes(store: Store, history: History) -> None:
    """An open session counts as abandoned only once 30 minutes have passed since its last step."""
    last_step = store.session_row(history.abandoned.id).updated_at
    assert last_step == T0 + timedelta(hours=3, seconds=20)
    assert tree_stats(store, now=last_step + timedelta(minutes=30))[0].abandoned == 0
    assert tree_stats(store, now=last_step + timedelta(minutes=30, seconds=1))[0].abandoned == 1


def test_breakdown_by_mode_and_locale(store: Store, history: History) -> None:
    """Outcomes split by mode and by locale, most sessions first."""
    assert breakdown(store, "mode", now=NOW) == [
        BreakdownRow("mode", "agent", 4, 3, 2, 1, 0, 0, 0, 0, 0, 2 / 3, 1 / 3),
        BreakdownRow("mode", "self_service", 2, 2, 0, 1, 1, 0, 0, 0, 0, 0.0, 0.0),
    ]
    assert breakdown(store, "locale", now=NOW) == [
        BreakdownRow("locale", "en", 5, 4, 2, 2, 0, 0, 0, 0, 0, 0.5, 0.25),
        BreakdownRow("locale", "de", 1, 1, 0, 0, 1, 0, 0, 0, 0, 0.0, 0.0),
    ]
    with pytest.raises(ValueError, match="dimension must be 'mode' or 'locale' \\(got 'tree'\\)"):
        breakdown(store, "tree")


def test_node_visits_drop_offs_and_time_spent(store: Store, history: History) -> None:
    """Per node of a tree version: answers there, abandoned sessions stopped there, median seconds to answer."""
    rows = node_stats(store, tree_id="no-internet", version=1, now=NOW)
    assert rows == [
        NodeStats(
            "no-internet", 1, "no-internet", "all_devices", 6, 0, 0.0, 35.0, "question"
        ),  # 10 20 30 | 40 50 60
        NodeStats("no-internet", 1, "no-internet", "power_light", 5, 0, 0.0, 30.0, "question"),
        NodeStats("no-internet", 1, "no-internet", "dsl_light", 3, 0, 0.0, 30.0, "collect"),
        NodeStats("no-internet", 1, "no-internet", "smell_check", 3, 1, 0.25, 30.0, "question"),
        NodeStats("no-internet", 1, "power-cycle-router", "plug_in", 3, 0, 0.0, 30.0, "action"),
        NodeStats("no-internet", 1, "power-cycle-router", "unplug", 3, 0, 0.0, 30.0, "action"),
        NodeStats("no-internet", 1, "no-internet", "power_socket", 1, 0, 0.0, 50.0, "action"),
        NodeStats("no-internet", 1, "no-internet", "wired_or_wifi", 1, 0, 0.0, 20.0, "question"),
    ]
    assert node_stats(store, tree_id="no-internet", version=2, now=NOW) == []


def test_a_drop_off_at_a_step_nobody_answered(store: Store, history: History) -> None:
    """A session abandoned at its very first step still shows as a drop-off there, with no visits."""
    store.start_session("tv-no-signal", now=T0)
    # as many drop-offs, but a higher rate: listed first
    assert drop_offs(store, now=NOW) == [
        DropOff("tv-no-signal", "screen_message", 1, 0, 1.0, "question"),
        DropOff("no-internet", "smell_check", 1, 3, 0.25, "question"),
    ]
    first = node_stats(store, tree_id="tv-no-signal", now=NOW)
    assert first == [
        NodeStats("tv-no-signal", 1, "tv-no-signal", "screen_message", 0, 1, 1.0, None, "question")
    ]


def test_action_fix_rates(store: Store, history: History) -> None:
    """Each action node: answers, how many fixed it, and 'already tried' counted as not fixed."""
    assert action_stats(store) == [
        ActionStats("power-cycle-router", "plug_in", 3, 2, 0, 0, 1, 2 / 3),
        ActionStats("power-cycle-router", "unplug", 3, 3, 0, 0, 0, 1.0),
        ActionStats("no-internet", "power_socket", 1, 0, 1, 0, 0, 0.0),
    ]
    assert action_stats(store, mode="self_service") == [
        ActionStats("no-internet", "power_socket", 1, 0, 1, 0, 0, 0.0)
    ]


def test_problems_days_and_faults(store: Store, history: History) -> None:
    """Most frequent problems with titles, the outcome mix per day, and the true faults tier 2 found."""
    store.start_session("slow-wifi", now=T0)
    assert top_problems(store) == [
        ProblemCount("no-internet", "No internet connection", "connectivity", 6, 6 / 7),
        ProblemCount("slow-wifi", "Slow or dropping Wi-Fi", "connectivity", 1, 1 / 7),
    ]
    assert top_problems(store, limit=1)[0].tree_id == "no-internet"
    assert outcomes_per_day(store, tree_id="no-internet") == [
        DayOutcomes(T0.date(), 5, 1, 2, 1, 0, 0, 0, 0, 1),
        DayOutcomes(T0.date() + timedelta(days=1), 1, 1, 0, 0, 0, 0, 0, 0, 0),
    ]
    assert fault_counts(store) == [
        FaultCount("no-internet", "device_driver", 1),
        FaultCount("no-internet", "wifi_channel", 1),
    ]


def _quoted(*lines: str) -> str:
    """The CSV ``to_csv`` writes for these comma-separated lines: every field in double quotes."""
    return "".join(",".join(f'"{cell}"' for cell in line.split(",")) + "\n" for line in lines)


def test_csv_of_any_rows(store: Store, history: History) -> None:
    """CSV has the field names as header and one line per row, every field quoted; missing figures are empty."""
    assert to_csv(tree_stats(store, now=NOW)) == _quoted(
        "tree_id,version,title,sessions,decided,abandoned,resolved,escalated,home_visits,parts_shipped,repairs,"
        "diagnoses,handovers,first_contact_resolved,resolution_rate,escalation_rate,visit_rate,fcr_rate,"
        "median_steps,median_minutes",
        "no-internet,,No internet connection,6,5,1,2,2,1,0,0,0,0,1,0.4,0.4,0.2,0.2,6,2.5",
    )
    assert to_csv(action_stats(store)) == _quoted(
        "tree_id,node_id,answered,fixed,not_fixed,could_not,tried_before,fix_rate",
        "power-cycle-router,plug_in,3,2,0,0,1,0.6667",
        "power-cycle-router,unplug,3,3,0,0,0,1",
        "no-internet,power_socket,1,0,1,0,0,0",
    )
    assert to_csv(outcomes_per_day(store)) == _quoted(
        "day,sessions,resolved,escalated,home_visits,parts_shipped,repairs,diagnoses,handovers,undecided",
        "2026-03-02,5,1,2,1,0,0,0,0,1",
        "2026-03-03,1,1,0,0,0,0,0,0,0",
    )
    assert to_csv([]) == ""
    with pytest.raises(TypeError, match="to_csv takes rows of one type \\(got TreeStats and ActionStats\\)"):
        to_csv([*tree_stats(store, now=NOW), *action_stats(store)])


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("router-reset", "router-reset"),
        ("a;=1+2", "a;=1+2"),
        ("", ""),
    ],
)
def test_csv_text_neutralises_formula_starts(cell: str, written: str) -> None:
    """A cell that starts with = + - @ tab or CR gets a leading quote (OWASP); any other cell is unchanged."""
    assert csv_text(cell) == written


def test_csv_of_hostile_text_is_text_and_numbers_stay_numbers() -> None:
    """Typed text that looks like a formula is quoted and prefixed; a separator stays inside its quoted cell;
    a negative figure we computed is still a number."""
    rows = [
        FaultCount("no-internet", '=HYPERLINK("https://evil.example","x")', 2),
        FaultCount("no-internet", "a;=1+2", -1),
    ]
    assert to_csv(rows) == (
        '"tree_id","true_fault","sessions"\n'
        '"no-internet","\'=HYPERLINK(""https://evil.example"",""x"")","2"\n'
        '"no-internet","a;=1+2","-1"\n'
    )


def test_summary_bundles_the_main_figures(store: Store, history: History) -> None:
    """The summary holds the same figures as the separate queries, and names every table for CSV."""
    s = summary(store, now=NOW)
    assert s.overall == OVERALL
    assert list(s.trees) == tree_stats(store, now=NOW)
    assert list(s.actions) == action_stats(store)
    assert list(s.drop_offs) == drop_offs(store, now=NOW)
    assert list(s.modes) == breakdown(store, "mode", now=NOW)
    assert list(s.problems) == top_problems(store)
    assert list(s.days) == outcomes_per_day(store)
    assert list(s.faults) == fault_counts(store)
    assert sorted(s.tables()) == [
        "actions",
        "days",
        "drop_offs",
        "faults",
        "locales",
        "modes",
        "outcomes",
        "overall",
        "problems",
        "trees",
    ]
    assert summary(store, now=NOW, top=1).actions == s.actions[:1]


EXPECTED_TEXT = """\
Support statistics: all trees, all modes, all locales
computed 2026-03-05 09:00 UTC; rates are shares of decided sessions

Overall
  sessions  decided  abandoned  resolved  escalated  visit    FCR  median steps  median min
  --------  -------  ---------  --------  ---------  -----  -----  ------------  ----------
         6        5          1     40.0%      40.0%  20.0%  20.0%             6         2.5

Outcomes: decided sessions by decision (not resolved: overturned by a repeat contact or follow-up)
  decision   sessions  share  not resolved
  ---------  --------  -----  ------------
  resolved          2  40.0%             1
  escalate          2  40.0%             0
  visit             1  20.0%             0
  ship_part         0   0.0%             0
  repair            0   0.0%             0
  diagnosis         0   0.0%             0
  handover          0   0.0%             0

Trees
  tree         sessions  decided  abandoned  resolved  escalated  visit    FCR  med steps  med min
  -----------  --------  -------  ---------  --------  ---------  -----  -----  ---------  -------
  no-internet         6        5          1     40.0%      40.0%  20.0%  20.0%          6      2.5

Most frequent problems
  problem                 tree         category      sessions   share
  ----------------------  -----------  ------------  --------  ------
  No internet connection  no-internet  connectivity         6  100.0%

By mode
  mode          sessions  decided  resolved  escalated  visit    FCR
  ------------  --------  -------  --------  ---------  -----  -----
  agent                4        3     66.7%      33.3%   0.0%  33.3%
  self_service         2        2      0.0%      50.0%  50.0%   0.0%

By locale
  locale  sessions  decided  resolved  escalated   visit    FCR
  ------  --------  -------  --------  ---------  ------  -----
  en             5        4     50.0%      50.0%    0.0%  25.0%
  de             1        1      0.0%       0.0%  100.0%   0.0%

Actions: how often they fixed it
  tree                action        answered  fixed  not fixed  could not  tried before  fix rate
  ------------------  ------------  --------  -----  ---------  ---------  ------------  --------
  power-cycle-router  plug_in              3      2          0          0             1     66.7%
  power-cycle-router  unplug               3      3          0          0             0    100.0%
  no-internet         power_socket         1      0          1          0             0      0.0%

Drop-offs: open sessions idle for 30 minutes, by last step
  tree         step         kind      drop-offs  answered  drop-off rate
  -----------  -----------  --------  ---------  --------  -------------
  no-internet  smell_check  question          1         3          25.0%

True faults found at closure (top 3 per tree)
  tree         fault          sessions
  -----------  -------------  --------
  no-internet  device_driver         1
  no-internet  wifi_channel          1
"""


def test_render_text_is_aligned_tables(store: Store, history: History) -> None:
    """The terminal rendering: a header line, then one aligned table per section."""
    assert render_text(summary(store, now=NOW)) == EXPECTED_TEXT


def test_empty_store(store: Store) -> None:
    """With no sessions every count is zero, every rate and median is missing, and rendering still works."""
    s = summary(store, mode="agent", now=NOW)
    assert (s.overall.sessions, s.overall.resolution_rate, s.overall.median_steps) == (0, None, None)
    assert (s.trees, s.actions, s.drop_offs, s.days) == ((), (), (), ())
    text = render_text(s)
    assert text.splitlines()[0] == "Support statistics: all trees, mode agent, all locales"
    assert "Trees\n  (no sessions)\n" in text
