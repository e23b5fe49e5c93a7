"""Hand-offs: golden Markdown and JSON for a scripted session."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from libraries import mini
from markdown_it import MarkdownIt

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


ATTACK = "![t](https://attacker.example/t.png) [Verify login](https://evil.example)"
MD = MarkdownIt("commonmark", {"html": True})


def test_handoff_markdown_shows_typed_text_literally() -> None:
    """A customer id and a note full of Markdown read as typed in the hand-off: no image, link or heading."""
    s = Session.start(
        mini(), "mini", session_id="hostile-1", facts={"customer_id": "![c](https://a.example/c)"}
    )
    s.answer("no")
    s.add_note(ATTACK + "\n# not a heading\n- not a list")
    md = build_handoff(s).to_markdown()
    html = MD.render(md)
    assert "<img" not in html
    assert "<a " not in html
    assert "<h1>not a heading" not in html
    assert "- customer_id: `![c](https://a.example/c)`\n" in md
    assert (
        "- `![t](https://attacker.example/t.png)` \\[Verify `login](https://evil.example)`  \n"
        "\\# not a heading  \n\\- not a list\n"
    ) in md


def test_handoff_typed_answer_and_fact_are_escaped() -> None:
    """A typed answer (a text fact) is escaped in the step list and in the facts."""
    h = build_handoff(_scripted())
    steps = [
        st.model_copy(update={"answer": "*AB1234* <b>"}) if st.node_id == "account" else st for st in h.steps
    ]
    hostile = h.model_copy(update={"steps": steps, "facts": {**h.facts, "account": "*AB1234* <b>"}})
    md = hostile.to_markdown()
    assert "5. What is the account number? — **\\*AB1234\\* \\<b\\>**\n" in md
    assert "- account: \\*AB1234\\* \\<b\\>\n" in md
    assert "<b>" not in MD.render(md)
