"""Hand-offs: golden Markdown and JSON for a scripted session."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from libraries import mini

from triage import Session, build_handoff

HERE = Path(__file__).parents[1]  # tests/
GOLDEN = HERE / "data" / "golden"


def _clock():  # type: ignore[no-untyped-def]
    now = [datetime(2026, 11, 2, 9, 0, tzinfo=UTC)]

    def tick() -> datetime:
        value = now[0]
        now[0] = value + timedelta(minutes=1)
        return value

    return tick


def _scripted() -> Session:
    lib = mini()
    s = Session.start(lib, "mini", session_id="golden-1", facts={"customer_id": "C-1001"}, clock=_clock())
    s.answer("no")
    s.answer(5)
    s.mark_tried()
    s.add_note("Customer already restarted the router twice this morning.")
    s.answer("not_fixed")
    s.answer("AB1234")
    return s


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_handoff_markdown_golden() -> None:
    """The Markdown hand-off names symptom, facts, every step and its result, notes, reason and next action."""
    _check("handoff-mini.md", build_handoff(_scripted()).to_markdown())


def test_handoff_json_golden() -> None:
    """The JSON hand-off carries the same content for systems."""
    _check("handoff-mini.json", build_handoff(_scripted()).to_json() + "\n")


def test_handoff_json_is_valid_and_complete() -> None:
    """The JSON parses and carries the decision's routing fields."""
    data = json.loads(build_handoff(_scripted()).to_json())
    assert data["decision"]["queue"] == "network"
    assert [s["node_id"] for s in data["steps"]] == ["smell", "lights", "unplug", "reset", "account"]


@pytest.mark.parametrize("mode", ["agent", "self_service"])
def test_transcript_golden(mode: str) -> None:
    """A walk's breadcrumb reads the same every time (golden transcript) in both modes."""
    lib = mini()
    s = Session.start(lib, "mini", mode=mode, session_id="t", clock=_clock())
    lines = []
    for answer in ("no", 5, "not_fixed", "not_fixed", "AB1234"):
        if s.finished:
            break
        v = s.view()
        lines.append(f"{v.step_number}. [{v.kind}] {v.text}" + (f" (hint: {v.hint})" if v.hint else ""))
        s.answer(answer)
    d = s.view().decision
    assert d is not None
    lines.append(f"=> {d.kind.value} ({d.rule}): {d.reason}")
    _check(f"transcript-mini-{mode}.txt", "\n".join(lines) + "\n")
