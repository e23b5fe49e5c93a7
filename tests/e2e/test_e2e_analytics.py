"""In a real browser: a support manager reads the analytics dashboard over simulated history.

This module runs its own server on a database filled with two weeks of demo history (`triage demo-data`), so
the shared e2e server's queue and bookings are not touched. The page's picture goes to the ``screenshots`` folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import fold_menu, password, screenshot, sign_in, streamlit_server, wait_for_app
from playwright.sync_api import Page, expect

from triage.analytics import queries as analytics
from triage.demo import generate_demo_data
from triage.records.accounts import Accounts
from triage.records.store import Store


@pytest.fixture(scope="module")
def history_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server on a database with demo history and a tier-2 account; (URL, database URL)."""
    base: Path = tmp_path_factory.mktemp("analytics")
    url = f"sqlite:///{base / 'app.db'}"
    st = Store(url)
    generate_demo_data(st, days=14, sessions_per_day=25, seed=5)
    Accounts(st).create("tier2", password("tier2"), ["tier2"], "Tier2")
    st.dispose()
    with streamlit_server({"TRIAGE_DATABASE_URL": url, "TRIAGE_DEMO": "0"}, base) as address:
        yield address, url


def test_manager_reads_the_dashboard_and_a_trees_funnel(
    page: Page, history_app: tuple[str, str], screenshots: Path
) -> None:
    """The figures match the analytics module; picking a tree draws its funnel on the graph."""
    address, url = history_app
    st = Store(url)
    try:
        overall = analytics.summary(st).overall
        tree = analytics.summary(st, tree_id="no-internet").overall
    finally:
        st.dispose()
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, address, "tier2")
    page.get_by_test_id("stSidebarNav").get_by_text("Analytics").click()
    wait_for_app(page)
    sessions = page.get_by_test_id("stMetric").filter(has_text="Sessions")
    expect(sessions.get_by_test_id("stMetricValue")).to_have_text(f"{overall.sessions:,}")
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)
    page.wait_for_timeout(500)  # let the charts finish drawing before the picture
    page.screenshot(path=str(screenshots / "analytics.png"))

    page.get_by_test_id("stSelectbox").filter(has_text="Tree").click()
    page.get_by_role("option", name="No internet connection").click()
    wait_for_app(page)
    expect(sessions.get_by_test_id("stMetricValue")).to_have_text(f"{tree.sessions:,}")
    expect(page.get_by_role("heading", name="Where people stop: No internet connection")).to_be_visible()
    expect(page.get_by_test_id("stGraphVizChart").locator("svg")).to_be_visible()


@pytest.mark.parametrize("size", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_the_dashboard_names_trees_and_steps_in_words_that_fit(
    page: Page, history_app: tuple[str, str], screenshots: Path, size: dict[str, int]
) -> None:
    """At desktop and phone sizes: no sideways scrolling; the most frequent problem's bar shows the tree's full
    title in its tooltip (the tables' words are AppTest's: the grid draws on a canvas)."""
    address, url = history_app
    st = Store(url)
    try:
        top = analytics.summary(st).problems[0]
    finally:
        st.dispose()
    page.set_viewport_size(size)
    sign_in(page, address, "tier2")
    page.goto(f"{address}/analytics")
    wait_for_app(page)
    fold_menu(page)
    chart = page.get_by_test_id("stVegaLiteChart").nth(1)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # the chart draws after the page settles
    box = chart.bounding_box()
    assert box is not None
    tooltip = page.locator("#vg-tooltip-element")
    for step in range(4, 40, 4):  # the longest bar is the first: hover down its band until the tooltip shows
        page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + step)
        if tooltip.is_visible() and top.title in tooltip.inner_text():
            break
    expect(tooltip).to_contain_text(top.title)
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    name = "analytics-phone.png" if size["width"] < 768 else "analytics-desktop.png"
    screenshot(page, screenshots / name, height=3200)
