"""Golden hand-offs for three typical walks of the shipped library: what tier 2, a dispatcher or the parts desk
reads, word for word. Each walk is one of the tree's own scenarios (so the answers stay the author's), run with
a fixed clock, session id and customer; a change to a tree's wording or order shows up here as a diff to review.

Regenerate after a deliberate change with ``UPDATE_GOLDEN=1 pytest tests/walk/test_library_handoffs.py`` and
read the diff before committing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from libraries import shipped

from triage import Session, build_handoff
from triage.trees.model import OutcomeKind

GOLDEN = Path(__file__).parents[1] / "data" / "golden"
LIB = shipped()

WALKS = [
    # (golden file, tree, scenario name, the customer's own words, the decision the walk must reach)
    (
        "handoff-slow-wifi-mesh.md",
        "slow-wifi",
        "far rooms get a mesh kit in the post",
        "The Wi-Fi is fine in the living room but dead in the kids' rooms upstairs.",
        OutcomeKind.SHIP_PART,
    ),
    (
        "handoff-line-drops-visit.md",
        "line-drops-slow-speed",
        "line fault survives the re-profile and the wiring checks",
        "The internet cuts out every evening for a few minutes, for two weeks now.",
        OutcomeKind.VISIT,
    ),
    (
        "handoff-sign-in-escalate.md",
        "cannot-sign-in",
        "lost 2fa phone and no access to the e-mail either",
        "My phone was stolen and now I can't get the code to log in.",
        OutcomeKind.ESCALATE,
    ),
]


def _clock() -> Callable[[], datetime]:
    now = [datetime(2026, 12, 7, 9, 0, tzinfo=UTC)]

    def tick() -> datetime:
        value = now[0]
        now[0] = value + timedelta(minutes=1)
        return value

    return tick


def _walk(tree_id: str, scenario: str, words: str) -> Session:
    tree = LIB.trees[tree_id]
    sc = next(s for s in tree.scenarios if s.name == scenario)
    facts = {"customer_id": "C-20417", "customer_words": words, **sc.facts}
    s = Session.start(
        LIB,
        tree_id,
        mode=sc.mode,
        locale=sc.locale,
        facts=facts,
        session_id=f"golden-{tree_id}",
        clock=_clock(),
    )
    for answer in sc.answers:
        s.submit(answer)
    return s


@pytest.mark.parametrize(("golden", "tree_id", "scenario", "words", "kind"), WALKS, ids=[w[0] for w in WALKS])
def test_handoff_of_a_typical_walk(
    golden: str, tree_id: str, scenario: str, words: str, kind: OutcomeKind
) -> None:
    """The walk ends in the expected decision, and its Markdown hand-off reads exactly as reviewed."""
    s = _walk(tree_id, scenario, words)
    assert s.decision is not None
    assert s.decision.kind is kind
    text = build_handoff(s, reference="K7P-4QX").to_markdown()
    # nobody has to re-ask: the customer's words, every step with its answer, the reason and the next action
    assert words in text
    assert len([line for line in text.splitlines() if line[:1].isdigit()]) == len(
        [p for p in s.path if not p.auto]
    )
    path = GOLDEN / golden
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
