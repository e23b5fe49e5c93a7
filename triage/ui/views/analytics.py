"""Analytics dashboard: the figures from triage.analytics.queries as charts a support manager reads at a glance.

Trees, steps and faults are named by their titles in the reader's language (:mod:`triage.analytics.labels`),
shortened to fit a phone's width; a chart's tooltip and a table cell's tooltip give the full text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from triage import analytics
from triage.desk.analytics import FRESH_FOR, period_start, refresh
from triage.i18n.formats import format_decimal
from triage.trees.export import funnel_dot
from triage.trees.library import Library
from triage.trees.model import Tree, localize
from triage.ui.common import library, page_guard, require, store, tr, ui_locale

# the outcome mix shows every decision kind: catalog key, the day row's field, colour
_SERIES = (
    ("an.resolved", "resolved", "#2e7d32"),
    ("an.escalated", "escalated", "#ef6c00"),
    ("an.visits", "home_visits", "#1565c0"),
    ("an.parts_shipped", "parts_shipped", "#6a1b9a"),
    ("an.repairs", "repairs", "#00838f"),
    ("an.diagnoses", "diagnoses", "#9e9d24"),
    ("an.handovers", "handovers", "#5d4037"),
)
_KINDS = ("action", "instruction", "wait", "check", "question", "collect")
# a table's column (the data's key, stable for exports and tests) -> its heading's catalog key
_HEADINGS = {
    "tree": "an.col.tree",
    "step": "an.col.step",
    "kind": "an.col.kind",
    "answered": "an.col.answered",
    "fixed": "an.col.fixed",
    "fix rate": "an.col.fix_rate",
    "drop-offs": "an.col.drop_offs",
    "drop-off rate": "an.col.drop_off_rate",
    "version": "an.col.version",
    "sessions": "an.col.sessions",
    "resolved": "an.col.resolved",
    "escalated": "an.col.escalated",
    "visits": "an.col.visits",
    "FCR": "an.col.fcr",
    "median steps": "an.col.median_steps",
    "median min": "an.col.median_min",
    "decision": "an.col.decision",
    "share": "an.col.share",
    "not resolved": "an.col.not_resolved",
    "fault": "an.col.fault",
    "mode": "an.col.mode",
    "locale": "an.col.locale",
}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _kind(kind: str) -> str:
    return tr(f"an.kind.{kind}" if kind in _KINDS else "an.kind.other")


def _table(rows: list[dict[str, Any]], key: str | None = None) -> None:
    """A table with headings in the reader's language; the words of a step get the widest column."""
    config: dict[str, Any] = {}
    for name, heading in _HEADINGS.items():
        if name == "step":
            config[name] = st.column_config.TextColumn(
                tr(heading), width="large", help=tr("an.col.step_help")
            )
        elif name in ("tree", "fault"):
            config[name] = st.column_config.TextColumn(tr(heading), width="medium")
        else:
            config[name] = st.column_config.Column(tr(heading))
    st.dataframe(rows, hide_index=True, width="stretch", column_config=config, key=key)


@page_guard
def render() -> None:
    require("analytics")
    st.title(tr("an.title"))
    lib, locale = library(), ui_locale()
    tree_id, filters = _filters(lib, locale)
    # compacted less than a minute ago: read as is; else a few changed days at most, more in the background
    fresh = refresh(store(), max_age=FRESH_FOR)
    if fresh.updating:  # the figures are exact either way: as of the last compaction, or from the raw tables
        at = fresh.as_of
        st.caption(tr("an.updating", time=f"{at.astimezone(UTC):%H:%M}") if at else tr("an.preparing"))
    key = tuple(sorted(filters.items()))
    s = _summary(fresh.key, key) if fresh.key else analytics.summary(store(), **filters)
    if s.overall.sessions == 0:
        st.info(tr("an.empty"))
        return
    _headline(s.overall)
    _over_time(s)
    st.subheader(tr("an.problems"))
    _problems(s.problems, lib, locale)
    st.subheader(tr("an.fixes"))  # full width: a step's words need the room
    _table(
        [
            {
                "tree": analytics.tree_label(lib, a.tree_id, locale).short,
                "step": analytics.step_label(lib, a.tree_id, a.node_id, locale).full,
                "answered": a.answered,
                "fixed": a.fixed,
                "fix rate": _pct(a.fix_rate),
            }
            for a in s.actions
        ]
    )
    st.subheader(tr("an.per_tree"))
    _table(_tree_rows(s.trees, lib, locale))
    _download("trees", s.trees)
    if tree_id:
        _one_tree(lib[tree_id], fresh.key, key, locale)
    else:
        st.caption(tr("an.funnel_hint"))
    _breakdowns(s)
    _endings(s, lib, locale)


@st.cache_data(show_spinner=False, max_entries=64)
def _summary(rows: datetime, filters: tuple[tuple[str, Any], ...]) -> analytics.Summary:
    """The figures of the rollups' rows (``Freshness.key``): a rerun with nothing new reads nothing again."""
    return analytics.summary(store(), **dict(filters))


@st.cache_data(show_spinner=False, max_entries=16)
def _tree_figures(
    rows: datetime, filters: tuple[tuple[str, Any], ...]
) -> tuple[list[analytics.TreeStats], list[analytics.NodeStats]]:
    """One tree's versions and its funnel, read once per rollup state and filters (the funnel reads steps)."""
    f = dict(filters)
    return analytics.tree_stats(store(), by_version=True, **f), analytics.node_stats(store(), **f)


def _download(name: str, rows: Sequence[Any]) -> None:
    """A CSV download of ``rows``, written when it is clicked rather than on every rerun."""
    st.download_button(
        tr("an.download", table=name),
        lambda: analytics.to_csv(rows),
        f"triage-{name}.csv",
        "text/csv",
        key=f"an_dl_{name}",
        on_click="ignore",
    )


def _filters(lib: Library, locale: str) -> tuple[str, dict[str, Any]]:
    cols = st.columns(4)
    tree_ids = [""] + [t.id for t in lib.offered()]
    tree_id = cols[0].selectbox(
        tr("an.tree"),
        tree_ids,
        format_func=lambda i: tr("an.all_trees") if not i else localize(lib[i].title, locale),
        key="an_tree",
    )
    periods = {d: tr("an.days", count=d) for d in (7, 30, 90)} | {0: tr("an.all_time")}
    days: int = (
        cols[1].selectbox(
            tr("an.period"), list(periods), index=3, format_func=lambda d: periods[int(d)], key="an_period"
        )
        or 0
    )
    mode = cols[2].selectbox(
        tr("an.mode"),
        ["", "agent", "self_service"],
        format_func=lambda m: tr(f"ui.agent.mode.{m}") if m else tr("an.any"),
        key="an_mode",
    )
    lang = cols[3].selectbox(
        tr("an.locale"), ["", "en", "de"], format_func=lambda m: m or tr("an.any"), key="an_locale"
    )
    filters = {
        "tree_id": tree_id or None,
        "since": period_start(days),  # whole days: the rollups answer them
        "mode": mode or None,
        "locale": lang or None,
    }
    return tree_id or "", filters


def _headline(o: analytics.TreeStats) -> None:
    figures = [
        (tr("an.sessions"), f"{o.sessions:,}"),
        (tr("an.resolved"), _pct(o.resolution_rate)),
        (tr("an.escalated"), _pct(o.escalation_rate)),
        (tr("an.visits"), _pct(o.visit_rate)),
        (tr("an.fcr"), _pct(o.fcr_rate)),
        (tr("an.median_steps"), "–" if o.median_steps is None else f"{o.median_steps:g}"),
        (
            tr("an.median_minutes"),
            "–" if o.median_minutes is None else format_decimal(o.median_minutes, ui_locale()),
        ),
    ]
    # each figure as wide as its label: they flow onto a second line rather than cut the label short
    with st.container(horizontal=True, gap="large"):
        for label, value in figures:
            st.metric(label, value, width="content")


def _over_time(s: analytics.Summary) -> None:
    st.subheader(tr("an.outcomes_over_time"))
    series = [(tr(key), field, color) for key, field, color in _SERIES]
    st.bar_chart(
        [
            {"day": d.day.isoformat(), **{label: getattr(d, field) for label, field, _ in series}}
            for d in s.days
        ],
        x="day",
        y=[label for label, _, _ in series],
        color=[color for _, _, color in series],
    )


def _problems(problems: Iterable[analytics.ProblemCount], lib: Mapping[str, Tree], locale: str) -> None:
    """Sessions per problem as bars named by the tree's title: short on the axis, in full in the tooltip."""
    sessions = tr("an.col.sessions")
    rows = []
    for p in problems:
        label = analytics.tree_label(lib, p.tree_id, locale) if p.tree_id in lib else None
        full = label.full if label else p.title or p.tree_id
        rows.append({"problem": analytics.shorten(full, 36), "title": full, "sessions": p.sessions})
    spec = {
        "mark": {"type": "bar", "color": "#1565c0"},
        "encoding": {
            "x": {"field": "sessions", "type": "quantitative", "title": sessions},
            "y": {
                "field": "problem",
                "type": "nominal",
                "sort": "-x",
                "title": None,
                "axis": {"labelLimit": 260},
            },
            "tooltip": [
                {"field": "title", "type": "nominal", "title": tr("an.col.tree")},
                {"field": "sessions", "type": "quantitative", "title": sessions},
            ],
        },
    }
    st.vega_lite_chart(rows, spec, width="stretch")


def _one_tree(tree: Tree, rows: datetime | None, filters: tuple[tuple[str, Any], ...], locale: str) -> None:
    title = localize(tree.title, locale)
    if rows is None:  # the raw tables answer (no rollups yet): nothing to key a cache by
        versions = analytics.tree_stats(store(), by_version=True, **dict(filters))
        nodes = analytics.node_stats(store(), **dict(filters))
    else:
        versions, nodes = _tree_figures(rows, filters)
    st.subheader(tr("an.per_version", tree=title))
    _table(_tree_rows(versions, library(), locale))
    st.subheader(tr("an.funnel", tree=title))
    visits: dict[str, int] = {}
    lost: dict[str, int] = {}
    for n in nodes:  # one row per version: add them up
        if n.node_tree == tree.id:
            visits[n.node_id] = visits.get(n.node_id, 0) + n.visits
            lost[n.node_id] = lost.get(n.node_id, 0) + n.drop_offs
    st.graphviz_chart(funnel_dot(tree, visits, lost, locale))


def _breakdowns(s: analytics.Summary) -> None:
    a, b = st.columns(2)
    with a:
        st.subheader(tr("an.by_mode"))
        _table([_breakdown(r) for r in s.modes])
    with b:
        st.subheader(tr("an.by_locale"))
        _table([_breakdown(r) for r in s.locales])


def _endings(s: analytics.Summary, lib: Mapping[str, Tree], locale: str) -> None:
    """How sessions ended, where people stop, the faults found, and every table as CSV."""
    st.subheader(tr("an.outcomes"))
    _table(
        [
            {
                "decision": tr(f"decision.{o.kind}"),
                "sessions": o.sessions,
                "share": _pct(o.share),
                "not resolved": o.not_resolved,
            }
            for o in s.outcomes
        ],
        key="an_outcomes",
    )
    st.subheader(tr("an.drop_offs"))
    st.caption(tr("an.drop_offs_hint"))
    _table(
        [
            {
                "tree": analytics.tree_label(lib, d.tree_id, locale).short,
                "step": analytics.step_label(lib, d.tree_id, d.node_id, locale).full,
                "kind": _kind(d.kind),
                "drop-offs": d.drop_offs,
                "answered": d.visits,
                "drop-off rate": _pct(d.drop_off_rate),
            }
            for d in s.drop_offs
        ],
        key="an_drop_offs",
    )
    st.subheader(tr("an.faults"))
    _table(
        [
            {
                "tree": analytics.tree_label(lib, f.tree_id, locale).short,
                "fault": analytics.fault_label(lib, f.tree_id, f.true_fault, locale).full,
                "sessions": f.sessions,
            }
            for f in s.faults
        ]
    )
    for name, rows in s.tables().items():
        if name != "trees" and rows:
            _download(name, rows)


def _tree_rows(
    rows: Iterable[analytics.TreeStats], lib: Mapping[str, Tree], locale: str
) -> list[dict[str, object]]:
    return [
        {
            "tree": analytics.tree_label(lib, r.tree_id, locale).short,
            "version": r.version or tr("an.all_versions"),
            "sessions": r.sessions,
            "resolved": _pct(r.resolution_rate),
            "escalated": _pct(r.escalation_rate),
            "visits": _pct(r.visit_rate),
            "FCR": _pct(r.fcr_rate),
            "median steps": r.median_steps,
            "median min": r.median_minutes,
        }
        for r in rows
    ]


def _breakdown(r: analytics.BreakdownRow) -> dict[str, object]:
    value = tr(f"ui.agent.mode.{r.value}") if r.dimension == "mode" else r.value
    return {
        r.dimension: value,
        "sessions": r.sessions,
        "resolved": _pct(r.resolution_rate),
        "FCR": _pct(r.fcr_rate),
    }
