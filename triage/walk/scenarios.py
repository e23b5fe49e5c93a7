"""Scenario tests: walk a tree with its scripted answers and compare where it ends.

Also the library loaders everyone uses: the tree layer's loaders (:mod:`triage.trees.library`) with
the engine's scenario runner plugged in, so a tree whose scenarios fail is never offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from triage.errors import InvalidAnswer, SessionError
from triage.trees import library as _trees
from triage.trees.library import Library, ScenarioResult
from triage.trees.loader import LoadedTree
from triage.trees.model import Tree
from triage.walk.session import Session

__all__ = ["build_library", "library_from_texts", "load_library", "run_scenarios"]


def _feed(s: Session, answers: Sequence[Any]) -> None:
    """Answer the steps in order, whatever their kind; a refused answer names its number and the step."""
    for i, ans in enumerate(answers):
        if s.finished:
            raise SessionError(
                f"the walk ended at {s.decision.node_id if s.decision else None!r} "
                f"after {i} answers, but the scenario has {len(answers)}"
            )
        node = s.node
        try:
            s.submit(ans)
        except InvalidAnswer as exc:
            raise InvalidAnswer(f"answer {i + 1} ({ans!r}) at step {node.id!r} ({node.kind}): {exc}") from exc


def run_scenarios(tree: Tree, library: Mapping[str, Tree]) -> list[ScenarioResult]:
    """Run a tree's scenario tests: feed the answers in order, compare where the walk ends.

    Every step kind takes its answer the way a person gives it: an option's value, an action's ``fixed`` /
    ``not_fixed`` / ``could_not``, an instruction's ``done`` / ``could_not``, a wait's ``ready`` / ``not_yet``
    (a wait is answered like any step, never waited for), a remote check's result value (or ``unavailable``),
    a multi-select's list or its choices separated by commas. ``decision`` may be any outcome kind.
    """
    results = []
    for sc in tree.scenarios:
        try:
            s = Session.start(library, tree.id, mode=sc.mode, locale=sc.locale, facts=sc.facts)
            _feed(s, sc.answers)
        except SessionError as exc:
            results.append(ScenarioResult(tree.id, sc.name, False, str(exc)))
            continue
        d = s.decision
        if d is None:
            msg = f"the answers ran out at step {s.node.id!r} before an outcome"
            results.append(ScenarioResult(tree.id, sc.name, False, msg, s.node.id))
            continue
        problems = []
        if sc.expect is not None and d.node_id != sc.expect:
            problems.append(
                f"expected to end at {sc.expect!r} but ended at {d.node_id!r} ({d.kind.value}, {d.rule})"
            )
        if sc.decision is not None and d.kind != sc.decision:
            problems.append(f"expected decision {sc.decision.value!r} but got {d.kind.value!r}")
        results.append(ScenarioResult(tree.id, sc.name, not problems, "; ".join(problems) or "ok", d.node_id))
    return results


def build_library(loaded: Iterable[LoadedTree], scenarios: bool = True) -> Library:
    """Check loaded files together (and run their scenarios) and keep the valid trees."""
    return _trees.build_library(loaded, scenarios=run_scenarios if scenarios else None)


def load_library(
    paths: Iterable[str | Path] | None = None,
    *,
    scenarios: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
    support: Iterable[str | Path] = (),
) -> Library:
    """Load and check every tree file under ``paths`` (default: the shipped ``trees/`` folder).

    See :func:`triage.trees.library.load_library`; this one also runs every tree's scenarios.
    """
    return _trees.load_library(
        paths, scenarios=run_scenarios if scenarios else None, progress=progress, support=support
    )


def library_from_texts(texts: Mapping[str, str], scenarios: bool = True) -> Library:
    """A library from ``{path: yaml text}``, for previews and tests."""
    return _trees.library_from_texts(texts, scenarios=run_scenarios if scenarios else None)
