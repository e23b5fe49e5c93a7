"""Graph checks across trees: calls, cycles, lint, broken procedures."""

from __future__ import annotations

import textwrap

from triage.walk.scenarios import library_from_texts


def _tree(tree_id: str, body: str, procedure: bool = False) -> str:
    head = f"id: {tree_id}\ntitle: {tree_id}\ncategory: software\n" + (
        "procedure: true\n" if procedure else ""
    )
    return head + textwrap.dedent(body)


CALLER = """
start: go
nodes:
  - id: go
    kind: call
    procedure: {proc}
    next: done
  - id: done
    kind: outcome
    outcome: resolved
    text: Done.
    reason: ok
"""

PROC_CALLING = """
start: go
nodes:
  - id: go
    kind: call
    procedure: {proc}
    next: back
  - id: back
    kind: return
"""


def _messages(lib, path):  # type: ignore[no-untyped-def]
    return [str(d) for d in lib.files[path].diagnostics]


def test_call_cycle_between_trees_is_an_error() -> None:
    """Two procedures calling each other are both rejected, naming the cycle."""
    lib = library_from_texts(
        {
            "a.yaml": _tree("a", PROC_CALLING.format(proc="b"), procedure=True),
            "b.yaml": _tree("b", PROC_CALLING.format(proc="a"), procedure=True),
        }
    )
    assert (
        "a.yaml:10: node 'go': calls form a cycle: a -> b -> a (a procedure must not call back its caller)"
        in _messages(lib, "a.yaml")
    )
    assert len(lib) == 0


def test_calling_a_broken_procedure_breaks_the_caller() -> None:
    """A tree is not offered when a procedure it calls has errors."""
    broken = _tree("p", "start: nowhere\nnodes:\n  - {id: back, kind: return}\n", procedure=True)
    lib = library_from_texts({"p.yaml": broken, "main.yaml": _tree("main", CALLER.format(proc="p"))})
    assert "main" not in lib
    assert "p" not in lib
    assert _messages(lib, "main.yaml") == [
        "main.yaml:9: node 'go': calls 'p', which has errors (fix p.yaml first)"
    ]
    assert _messages(lib, "p.yaml") == [
        "p.yaml:5: start node 'nowhere' does not exist (set `start` to the id of the first step)"
    ]


def test_return_outside_procedure() -> None:
    """A return node in an ordinary tree is an error with a hint."""
    body = "start: a\nnodes:\n  - {id: a, kind: return}\n  - {id: b, kind: outcome, outcome: resolved, text: x, reason: y}\n"
    lib = library_from_texts({"t.yaml": _tree("t", body)})
    msgs = _messages(lib, "t.yaml")
    assert (
        "t.yaml:6: node 'a': a `return` node is only allowed in a procedure (set `procedure: true` on the tree, or use an outcome)"
        in msgs
    )


def test_lint_warnings() -> None:
    """One-option questions, actions without minutes, outcomes without reason, missing translations warn."""
    body = """
    locales: [en, de]
    start: q
    nodes:
      - id: q
        kind: question
        text: {en: Ready?, de: Bereit?}
        options:
          - {label: {en: "Yes", de: "Ja"}, next: act}
      - id: act
        kind: action
        text: Do it.
        on_fixed: done
        on_not_fixed: done
      - id: done
        kind: outcome
        outcome: resolved
        text: {en: Done., de: Fertig.}
    """
    lib = library_from_texts({"w.yaml": _tree("w", body)})
    assert "w" in lib  # warnings do not stop a tree
    assert _messages(lib, "w.yaml") == [
        "w.yaml:8: warning: node 'q': question has only one option (add options, or make it an action)",
        "w.yaml:13: warning: node 'act': action has no `minutes` (say how long it usually takes)",
        "w.yaml:15: warning: node 'act': `text` has no 'de' translation (the tree declares locales ['en', 'de'])",
        "w.yaml:18: warning: node 'done': outcome has no `reason` (say why the session ends here)",
        "w.yaml:5: warning: 'de' is declared but 2 of 5 texts have no de translation (the en text is shown instead)"
        " (translate them (`triage i18n export --locale de --tree w`), or drop 'de' from `locales`)",
    ]


def test_an_outcome_naming_an_unknown_fault_warns() -> None:
    """A resolved or hand-over outcome's `fault` must be one the tree lists (a typo would skew the figures)."""
    body = """
    start: q
    faults:
      - {id: hung, prior: 0.6}
      - {id: elsewhere, prior: 0.4}
    nodes:
      - id: q
        kind: question
        text: Which?
        options:
          - {label: "A", next: done}
          - {label: "B", next: other}
      - id: done
        kind: outcome
        outcome: resolved
        fault: hunng
        text: Done.
        reason: ok
      - id: other
        kind: outcome
        outcome: handover
        tree: t2
        fault: elsewhere
        text: Over to the other guide.
        reason: another problem
    """
    other = _tree(
        "t2", "start: d\nnodes:\n  - {id: d, kind: outcome, outcome: resolved, text: D., reason: ok}\n"
    )
    lib = library_from_texts({"w.yaml": _tree("w", body), "t2.yaml": other})
    assert _messages(lib, "w.yaml") == [
        "w.yaml:19: warning: node 'done': `fault` names 'hunng', which is not under the tree's `faults` "
        "(did you mean 'hung'?)",
    ]


def test_duplicate_tree_ids() -> None:
    """Two files with the same tree id: the second is rejected, naming the first."""
    text = _tree(
        "same", "start: done\nnodes:\n  - {id: done, kind: outcome, outcome: resolved, text: x, reason: y}\n"
    )
    lib = library_from_texts({"one.yaml": text, "two.yaml": text})
    assert (
        "two.yaml:1: tree id 'same' is already used by one.yaml (tree ids must be unique across the library)"
        in _messages(lib, "two.yaml")
    )
    assert list(lib) == ["same"]
