"""The analytics dashboard in Streamlit's AppTest: the figures are the analytics module's, a chosen tree shows
its funnel on the graph and its versions, filters narrow the figures, and agents cannot open the page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from staff_accounts import with_account
from streamlit.testing.v1 import AppTest

from triage.analytics import queries as analytics
from triage.analytics.labels import step_label, tree_label
from triage.demo import generate_demo_data
from triage.records.accounts import Identity
from triage.records.store import Store
from triage.trees.library import DEFAULT_TREES, Library
from triage.ui.common import boot
from triage.walk.scenarios import load_library

ROOT = Path(__file__).resolve().parents[2]
TIER2 = Identity("tier2", "Tier2", ("tier2",))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app database with two weeks of demo history ending now (built once for the module)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('analytics') / 'app.db'}"
    st = Store(url)
    generate_demo_data(st, days=14, sessions_per_day=20, seed=3)
    st.dispose()
    return url


@pytest.fixture
def db(history: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("TRIAGE_DATABASE_URL", history)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-password-1")
    monkeypatch.setenv("TRIAGE_DEMO", "0")
    st = Store(history)
    boot.clear()
    yield st
    boot.clear()
    st.dispose()


def dashboard(identity: Identity, locale: str = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["identity"] = with_account(identity)
    at.session_state["locale"] = locale
    at.run()
    pages = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
    if "analytics" not in pages:
        raise ValueError("the analytics page is not registered for this user")
    at._page_hash = pages["analytics"]
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def test_dashboard_shows_the_analytics_figures(db: Store) -> None:
    """The headline figures equal analytics.summary; the charts, tables and CSV downloads are drawn."""
    at = dashboard(TIER2)
    assert not at.exception
    o = analytics.summary(db).overall
    assert o.sessions > 100
    shown = metrics(at)
    assert shown["Sessions"] == f"{o.sessions:,}"
    assert (shown["Resolved"], shown["Escalated"], shown["Home visits"]) == (
        pct(o.resolution_rate),
        pct(o.escalation_rate),
        pct(o.visit_rate),
    )
    assert shown["First-contact resolution"] == pct(o.fcr_rate)
    assert [h.value for h in at.subheader][:4] == [
        "Outcome mix over time",
        "Most frequent problems",
        "Which fixes work",
        "Per tree",
    ]
    assert len(at.get("vega_lite_chart")) == 2  # outcomes over time, most frequent problems
    assert "Pick one tree above to see its funnel drawn on the graph." in [c.value for c in at.caption]
    assert not at.get("graphviz_chart")
    labels = [d.label for d in at.get("download_button")]
    assert labels[0] == "Download trees as CSV"
    assert len(labels) > 3


def test_a_chosen_tree_shows_its_funnel_and_versions(db: Store) -> None:
    """Picking a tree narrows the figures to it and draws its funnel on the graph with visit counts."""
    at = dashboard(TIER2)
    at.selectbox(key="an_tree").select("no-internet").run()
    assert not at.exception
    o = analytics.summary(db, tree_id="no-internet").overall
    assert metrics(at)["Sessions"] == f"{o.sessions:,}"
    heads = [h.value for h in at.subheader]
    assert "Per version of No internet connection" in heads
    assert "Where people stop: No internet connection" in heads
    dot = at.get("graphviz_chart")[0].proto.spec
    assert dot.startswith("digraph")
    assert '"all_devices"' in dot


def test_filters_narrow_the_figures(db: Store) -> None:
    """Self-service only, in German: the figures are the analytics module's for that slice."""
    at = dashboard(TIER2)
    at.selectbox(key="an_mode").select("self_service").run()
    at.selectbox(key="an_locale").select("de").run()
    o = analytics.summary(db, mode="self_service", locale="de").overall
    assert 0 < o.sessions < analytics.summary(db).overall.sessions
    assert metrics(at)["Sessions"] == f"{o.sessions:,}"


def test_an_agent_cannot_open_the_dashboard(db: Store) -> None:
    """The page is not registered for an agent, so it cannot be reached."""
    with pytest.raises(ValueError, match="not registered"):
        dashboard(Identity("agent", "Agent", ("agent",)))


def test_every_decision_kind_and_the_step_kinds_are_shown(db: Store) -> None:
    """The outcomes table lists every decision kind with the summary's counts; the drop-off table names each
    step's kind in words."""
    at = dashboard(TIER2)
    s = analytics.summary(db)
    heads = [h.value for h in at.subheader]
    assert {"How sessions ended", "Where people stop, by step"} <= set(heads)
    tables = {tuple(d.value.columns): d.value for d in at.dataframe}
    table = tables[("decision", "sessions", "share", "not resolved")]
    assert list(table["decision"]) == [
        "Resolved",
        "Escalate",
        "Home visit",
        "Part shipment",
        "Send-in repair",
        "Diagnosis",
        "Handover",
    ]
    assert list(table["sessions"]) == [o.sessions for o in s.outcomes]
    drops = tables[("tree", "step", "kind", "drop-offs", "answered", "drop-off rate")]
    lib = library()
    assert list(drops["step"]) == [step_label(lib, d.tree_id, d.node_id, "en").full for d in s.drop_offs]
    assert not set(drops["step"]) & {d.node_id for d in s.drop_offs}  # words, never ids
    assert set(drops["kind"]) <= {
        "Action",
        "Instruction",
        "Wait",
        "Remote check",
        "Question",
        "Input",
        "Step",
    }


def library() -> Library:
    """The published trees the dashboard names things from."""
    return load_library([DEFAULT_TREES])


def test_charts_and_tables_name_trees_and_steps_by_their_titles(db: Store) -> None:
    """Problems are bars named by the tree's title (shortened on the axis, in full in the tooltip); the fixes
    table names trees by title and steps by their words; the headings follow the reader's language."""
    at = dashboard(TIER2)
    s = analytics.summary(db)
    lib = library()
    (problems,) = [c for c in at.get("vega_lite_chart") if '"labelLimit"' in c.proto.spec]
    spec = json.loads(problems.proto.spec)
    assert spec["encoding"]["y"]["field"] == "problem"
    assert spec["encoding"]["tooltip"][0]["field"] == "title"
    bars = pa.ipc.open_stream(problems.proto.data.data).read_all().to_pylist()
    assert [b["title"] for b in bars] == [tree_label(lib, p.tree_id, "en").full for p in s.problems]
    assert all(len(b["problem"]) <= 36 and b["title"].startswith(b["problem"].rstrip("…")) for b in bars)
    tables = {tuple(d.value.columns): d.value for d in at.dataframe}
    fixes = tables[("tree", "step", "answered", "fixed", "fix rate")]
    assert list(fixes["step"]) == [step_label(lib, a.tree_id, a.node_id, "en").full for a in s.actions]
    assert list(fixes["tree"]) == [tree_label(lib, a.tree_id, "en").short for a in s.actions]

    german = {tuple(d.value.columns): d for d in dashboard(TIER2, locale="de").dataframe}
    drops = german[("tree", "step", "kind", "drop-offs", "answered", "drop-off rate")]
    headings = json.loads(drops.proto.columns)
    assert (headings["tree"]["label"], headings["step"]["label"]) == ("Baum", "Schritt")
    assert (
        drops.value["step"][0] == step_label(lib, s.drop_offs[0].tree_id, s.drop_offs[0].node_id, "de").full
    )
