"""Analytics dashboard: the figures from triage.analytics.queries as charts a support manager reads at a glance."""

from __future__ import annotations

from typing import Any

import streamlit as st

from triage import analytics
from triage.desk.clock import days_ago
from triage.trees.export import funnel_dot
from triage.trees.model import localize
from triage.ui.common import library, page_guard, require, store, tr

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


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _kind(kind: str) -> str:
    return tr(f"an.kind.{kind}" if kind in _KINDS else "an.kind.other")


@page_guard
def render() -> None:
    require("analytics")
    st.title(tr("an.title"))
    lib = library()
    trees = lib.offered()
    cols = st.columns(4)
    tree_ids = [""] + [t.id for t in trees]
    tree_id = cols[0].selectbox(
        tr("an.tree"),
        tree_ids,
        format_func=lambda i: tr("an.all_trees") if not i else localize(lib[i].title, "en"),
        key="an_tree",
    )
    periods = {7: tr("an.days", n=7), 30: tr("an.days", n=30), 90: tr("an.days", n=90), 0: tr("an.all_time")}
    options: list[int] = [7, 30, 90, 0]
    days: int = (
        cols[1].selectbox(
            tr("an.period"), options, index=3, format_func=lambda d: periods[int(d)], key="an_period"
        )
        or 0
    )
    mode = cols[2].selectbox(
        tr("an.mode"), ["", "agent", "self_service"], format_func=lambda m: m or tr("an.any"), key="an_mode"
    )
    locale = cols[3].selectbox(
        tr("an.locale"), ["", "en", "de"], format_func=lambda m: m or tr("an.any"), key="an_locale"
    )
    since = days_ago(days)
    filters: dict[str, Any] = {
        "tree_id": tree_id or None,
        "since": since,
        "mode": mode or None,
        "locale": locale or None,
    }
    s = analytics.summary(store(), **filters)
    o = s.overall
    if o.sessions == 0:
        st.info(tr("an.empty"))
        return

    k = st.columns(7)
    k[0].metric(tr("an.sessions"), f"{o.sessions:,}")
    k[1].metric(tr("an.resolved"), _pct(o.resolution_rate))
    k[2].metric(tr("an.escalated"), _pct(o.escalation_rate))
    k[3].metric(tr("an.visits"), _pct(o.visit_rate))
    k[4].metric(tr("an.fcr"), _pct(o.fcr_rate))
    k[5].metric(tr("an.median_steps"), "–" if o.median_steps is None else f"{o.median_steps:g}")
    k[6].metric(tr("an.median_minutes"), "–" if o.median_minutes is None else f"{o.median_minutes:.1f}")

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

    left, right = st.columns(2)
    with left:
        st.subheader(tr("an.problems"))
        st.bar_chart(
            [{"problem": p.title, "sessions": p.sessions} for p in s.problems],
            x="problem",
            y="sessions",
            horizontal=True,
        )
    with right:
        st.subheader(tr("an.fixes"))
        st.dataframe(
            [
                {
                    "tree": a.tree_id,
                    "step": a.node_id,
                    "answered": a.answered,
                    "fixed": a.fixed,
                    "fix rate": _pct(a.fix_rate),
                }
                for a in s.actions
            ],
            hide_index=True,
            width="stretch",
        )

    st.subheader(tr("an.per_tree"))
    st.dataframe(_tree_rows(s.trees), hide_index=True, width="stretch")
    st.download_button(
        tr("an.download", table="trees"),
        analytics.to_csv(s.trees),
        "triage-trees.csv",
        "text/csv",
        key="an_dl_trees",
    )

    if tree_id:
        st.subheader(tr("an.per_version", tree=tree_id))
        versions = analytics.tree_stats(store(), by_version=True, **filters)
        st.dataframe(_tree_rows(versions), hide_index=True, width="stretch")
        st.subheader(tr("an.funnel", tree=tree_id))
        nodes = analytics.node_stats(store(), **filters)
        visits: dict[str, int] = {}
        lost: dict[str, int] = {}
        for n in nodes:  # one row per version: add them up
            if n.node_tree == tree_id:
                visits[n.node_id] = visits.get(n.node_id, 0) + n.visits
                lost[n.node_id] = lost.get(n.node_id, 0) + n.drop_offs
        st.graphviz_chart(funnel_dot(lib[tree_id], visits, lost))
    else:
        st.caption(tr("an.funnel_hint"))

    a, b = st.columns(2)
    with a:
        st.subheader(tr("an.by_mode"))
        st.dataframe([_breakdown(r) for r in s.modes], hide_index=True, width="stretch")
    with b:
        st.subheader(tr("an.by_locale"))
        st.dataframe([_breakdown(r) for r in s.locales], hide_index=True, width="stretch")
    st.subheader(tr("an.outcomes"))
    st.dataframe(
        [
            {
                "decision": tr(f"decision.{o.kind}"),
                "sessions": o.sessions,
                "share": _pct(o.share),
                "not resolved": o.not_resolved,
            }
            for o in s.outcomes
        ],
        hide_index=True,
        width="stretch",
        key="an_outcomes",
    )
    st.subheader(tr("an.drop_offs"))
    st.caption(tr("an.drop_offs_hint"))
    st.dataframe(
        [
            {
                "tree": d.tree_id,
                "step": d.node_id,
                "kind": _kind(d.kind),
                "drop-offs": d.drop_offs,
                "answered": d.visits,
                "drop-off rate": _pct(d.drop_off_rate),
            }
            for d in s.drop_offs
        ],
        hide_index=True,
        width="stretch",
        key="an_drop_offs",
    )
    st.subheader(tr("an.faults"))
    st.dataframe(
        [{"tree": f.tree_id, "fault": f.true_fault, "sessions": f.sessions} for f in s.faults],
        hide_index=True,
        width="stretch",
    )
    for name, rows in s.tables().items():
        if name != "trees" and rows:
            st.download_button(
                tr("an.download", table=name),
                analytics.to_csv(rows),
                f"triage-{name}.csv",
                "text/csv",
                key=f"an_dl_{name}",
            )


def _tree_rows(rows: object) -> list[dict[str, object]]:
    return [
        {
            "tree": r.tree_id,
            "version": r.version or "all",
            "sessions": r.sessions,
            "resolved": _pct(r.resolution_rate),
            "escalated": _pct(r.escalation_rate),
            "visits": _pct(r.visit_rate),
            "FCR": _pct(r.fcr_rate),
            "median steps": r.median_steps,
            "median min": r.median_minutes,
        }
        for r in rows  # type: ignore[attr-defined]
    ]


def _breakdown(r: analytics.BreakdownRow) -> dict[str, object]:
    return {
        r.dimension: r.value,
        "sessions": r.sessions,
        "resolved": _pct(r.resolution_rate),
        "FCR": _pct(r.fcr_rate),
    }
