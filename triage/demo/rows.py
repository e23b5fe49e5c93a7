"""The rows a simulated session leaves in the store, as :class:`~triage.records.store.StoredSession` writes them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from triage.trees.model import CallNode, Tree
from triage.walk.session import Session

__all__ = ["session_rows", "tree_pins"]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def session_rows(
    s: Session,
    *,
    pins: Mapping[str, int],
    root_version: int,
    customer_id: str | None = None,
    repeat_of: str | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``sessions`` row and ``events`` rows that :class:`~triage.records.store.StoredSession` would have written."""
    d = s.decision
    pos = s.pos
    row = {
        "id": s.id,
        "tree_id": s.tree_id,
        "root_version": root_version,
        "pins": dict(pins),
        "mode": s.mode.value,
        "locale": s.locale,
        "customer_id": customer_id,
        "status": "decided" if d else "open",
        "started_at": s.events[0].at,
        "updated_at": s.events[-1].at,
        "decided_at": s.events[-1].at if d else None,
        "steps": sum(1 for st in s.path if not st.auto),
        "last_tree": pos.tree_id if pos else None,
        "last_node": pos.node_id if pos else None,
        "decision_kind": d.kind.value if d else None,
        "decision_rule": d.rule if d else None,
        "decision_node": d.node_id if d else None,
        "decision": d.model_dump(mode="json") if d else None,
        "truth": None,
        "repeat_of": repeat_of,
        "true_fault": None,
        "closure_code": None,
        "closure_fix": None,
        "closure_source": None,
    }
    events = []
    for ev in s.events:
        tree_id, _, node_id = (ev.node or "").partition(":")
        events.append(
            {
                "session_id": s.id,
                "seq": ev.seq,
                "at": ev.at,
                "type": ev.type,
                "tree_id": tree_id or None,
                "node_id": node_id or None,
                "value": _plain(ev.value),
            }
        )
    return row, events


def tree_pins(library: Mapping[str, Tree], ids: Mapping[str, int], tree_id: str) -> dict[str, int]:
    """The versions a session on ``tree_id`` pins: ``ids`` of the tree and of every procedure it calls."""
    pins: dict[str, int] = {}
    stack = [tree_id]
    while stack:
        tid = stack.pop()
        if tid not in pins:
            pins[tid] = ids[tid]
            stack += [n.procedure for n in library[tid].nodes if isinstance(n, CallNode)]
    return pins
