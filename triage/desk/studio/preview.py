"""Live checks and the preview: a draft validated with the rest of the library, and walked in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from triage.desk.studio.folder import fresh
from triage.errors import Diagnostic, DraftError, Severity
from triage.trees.library import Library, ScenarioResult
from triage.trees.loader import LoadedTree, parse_tree
from triage.trees.model import Tree
from triage.walk.scenarios import build_library, run_scenarios
from triage.walk.session import Session

__all__ = ["DraftCheck", "check_draft", "start_preview"]


@dataclass
class DraftCheck:
    """A draft validated with the rest of the library: its messages, its scenario results, and the trees."""

    loaded: LoadedTree
    library: Library
    scenarios: list[ScenarioResult]

    @property
    def tree(self) -> Tree | None:
        """The draft's tree, if it parsed."""
        return self.loaded.tree

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every message, errors first, then by line."""
        return sorted(self.loaded.diagnostics, key=lambda d: (not d.is_error, d.line or 0))

    @property
    def errors(self) -> list[Diagnostic]:
        """The messages that stop a publish."""
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The messages an author should look at."""
        return [d for d in self.diagnostics if not d.is_error]

    @property
    def ok(self) -> bool:
        """The draft has no errors: it can be published."""
        return self.loaded.ok

    @property
    def previewable(self) -> bool:
        """The draft can be walked: it parsed and its graph holds (failing scenarios do not stop a preview)."""
        return self.tree is not None and all(d.code == "scenario-failed" for d in self.errors)

    def preview_trees(self) -> dict[str, Tree]:
        """The trees a preview walks on: the valid rest of the library plus the draft."""
        if not self.previewable or self.tree is None:
            raise DraftError("the draft has errors that stop a walk; fix the messages above first")
        return {**self.library.trees, self.tree.id: self.tree}


def check_draft(text: str, path: str, others: Sequence[LoadedTree]) -> DraftCheck:
    """Validate draft ``text`` (as the file ``path``) with ``others`` (see :func:`load_others`) as the rest.

    Every message names the file, line, node and a hint; the draft's scenario tests are run too.
    """
    loaded = parse_tree(text, path)
    lib = build_library([loaded, *(fresh(f) for f in others)], scenarios=False)
    results: list[ScenarioResult] = []
    if loaded.ok and loaded.tree is not None:
        results = run_scenarios(loaded.tree, lib.trees)
        loaded.add(
            Diagnostic(
                severity=Severity.ERROR,
                code="scenario-failed",
                message=f"scenario {r.name!r} failed: {r.message}",
                loc=("scenarios", i),
                hint="fix the tree or the scenario's answers",
            )
            for i, r in enumerate(results)
            if not r.passed
        )
        if not loaded.ok:
            lib.trees.pop(loaded.tree.id, None)
            lib.sources.pop(loaded.tree.id, None)
    return DraftCheck(loaded=loaded, library=lib, scenarios=results)


def start_preview(check: DraftCheck, mode: str = "agent", locale: str = "en") -> Session:
    """An in-memory walk of the draft (nothing is stored): a session on the draft plus the rest."""
    trees = check.preview_trees()
    assert check.tree is not None
    return Session.start(trees, check.tree.id, mode=mode, locale=locale)
