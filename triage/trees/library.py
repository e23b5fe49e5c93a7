"""The tree library: every tree file under some folders, checked together.

:func:`load_library` reads the files, checks each tree's graph, checks calls between
trees, and runs every tree's scenario tests with the runner it is given (the engine's, see
:mod:`triage.walk.scenarios`: this layer cannot walk a tree). A tree with errors is kept aside in
``broken`` (so an author sees why) and never offered to agents or customers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from triage.errors import Diagnostic, LibraryError, Severity, did_you_mean
from triage.trees.checks import KNOWN_SYSTEMS, check_tree
from triage.trees.loader import LoadedTree, find_tree_files, gc_paused, load_tree, parse_tree
from triage.trees.media import find_media_folder
from triage.trees.model import CallNode, Category, Tree, localize
from triage.trees.search import search_trees
from triage.trees.translations import translation_findings

__all__ = [
    "DEFAULT_TREES",
    "Library",
    "ScenarioResult",
    "ScenarioRunner",
    "build_library",
    "library_from_texts",
    "load_library",
]

DEFAULT_TREES = Path(__file__).resolve().parents[2] / "trees"


@dataclass
class ScenarioResult:
    tree_id: str
    name: str
    passed: bool
    message: str
    reached: str | None = None


ScenarioRunner = Callable[[Tree, Mapping[str, Tree]], "list[ScenarioResult]"]
"""Runs a tree's scenario tests against a library (the engine's, from :mod:`triage.walk.scenarios`)."""


@dataclass
class Library(Mapping[str, Tree]):
    """Valid trees by id (a read-only mapping), plus the files that did not make it."""

    files: dict[str, LoadedTree] = field(default_factory=dict)
    trees: dict[str, Tree] = field(default_factory=dict)
    sources: dict[str, LoadedTree] = field(default_factory=dict)
    named: set[str] = field(default_factory=set)

    def __getitem__(self, tree_id: str) -> Tree:
        return self.trees[tree_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.trees)

    def __len__(self) -> int:
        return len(self.trees)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for f in self.files.values() for d in f.diagnostics]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def broken(self) -> dict[str, LoadedTree]:
        """Files with errors, by path."""
        return {p: f for p, f in self.files.items() if not f.ok}

    def get_tree(self, tree_id: str) -> Tree:
        """The tree, or :class:`LibraryError` saying whether it is broken or unknown."""
        if tree_id in self.trees:
            return self.trees[tree_id]
        for f in self.files.values():
            if f.tree is not None and f.tree.id == tree_id:
                raise LibraryError(f"tree {tree_id!r} ({f.path}) has errors; run `triage validate {f.path}`")
        hint = did_you_mean(tree_id, self.trees)
        raise LibraryError(f"no tree {tree_id!r} in the library" + (f" ({hint})" if hint else ""))

    def resolve(self, ref: str) -> Tree:
        """A tree by id or by file path."""
        if ref in self.trees or ref not in self.files and not Path(ref).exists():
            return self.get_tree(ref)
        path = str(Path(ref))
        for p, f in self.files.items():
            if Path(p).resolve() == Path(path).resolve():
                if f.tree is None or not f.ok:
                    raise LibraryError(f"{p} has errors; run `triage validate {p}`")
                return f.tree
        raise LibraryError(f"{ref} is not a tree file of this library")

    def digest(self, tree_id: str) -> str:
        return self.sources[tree_id].digest

    def offered(self, audience: str | None = None, include_procedures: bool = False) -> list[Tree]:
        """Trees to offer in a picker: valid, not procedures, and open to ``audience``."""
        out = [
            t
            for t in self.trees.values()
            if (include_procedures or not t.procedure) and (audience is None or audience in t.audiences)
        ]
        return sorted(out, key=lambda t: (t.category.value, localize(t.title, "en")))

    def by_category(self) -> dict[Category, list[Tree]]:
        out: dict[Category, list[Tree]] = {c: [] for c in Category}
        for t in self.offered(include_procedures=True):
            out[t.category].append(t)
        return out

    def search(self, query: str, audience: str | None = None, locale: str | None = "en") -> list[Tree]:
        """Trees matching a customer's words, best first (see :func:`triage.trees.search.search_trees`).

        ``locale`` is the language of the words; ``None`` detects it from them. Procedures are never listed; a
        blank query lists every tree open to ``audience`` (:meth:`offered`).
        """
        if not query.strip():
            return self.offered(audience)
        return [hit.tree for hit in search_trees(self, query, locale=locale, audience=audience)]


def _scenario_diagnostics(
    loaded: LoadedTree, library: Mapping[str, Tree], run: ScenarioRunner
) -> list[Diagnostic]:
    assert loaded.tree is not None
    out = []
    for i, r in enumerate(run(loaded.tree, library)):
        if not r.passed:
            out.append(
                Diagnostic(
                    severity=Severity.ERROR,
                    code="scenario-failed",
                    message=f"scenario {r.name!r} failed: {r.message}",
                    loc=("scenarios", i),
                    hint="fix the tree or the scenario's answers",
                )
            )
    return out


def build_library(
    loaded: Iterable[LoadedTree],
    scenarios: ScenarioRunner | None = None,
    *,
    roots: Iterable[str | Path] = (),
    systems: Collection[str] | None = KNOWN_SYSTEMS,
) -> Library:
    """Check loaded files together and keep the valid trees.

    ``scenarios`` runs each tree's scenario tests; the tree layer cannot walk a tree, so the
    engine's runner is passed in (:func:`triage.walk.scenarios.load_library` does that).
    A file on disk shows pictures from the ``media/`` folder of the ``roots`` folder it lies under, or the
    nearest one above it (:func:`~triage.trees.media.find_media_folder`); a text with no file has none (its
    pictures' files are not looked at). ``systems`` names the remote checks and actions trees may use (see
    :func:`~triage.trees.checks.check_tree`).
    """
    with gc_paused():
        return _build_library(loaded, scenarios, [Path(r) for r in roots], systems)


def _build_library(
    loaded: Iterable[LoadedTree],
    scenarios: ScenarioRunner | None,
    roots: list[Path],
    systems: Collection[str] | None,
) -> Library:
    lib = Library()
    by_id = _index_trees(loaded, lib)
    all_trees = {tid: f.tree for tid, f in by_id.items() if f.tree is not None}
    for f in by_id.values():
        assert f.tree is not None
        media = _media_folder(f, roots)
        f.add(check_tree(f.tree, all_trees, media_folder=media, systems=systems))
        f.add(translation_findings(f.tree, f.path))
    good = _without_broken_calls(by_id)
    if scenarios is not None:
        valid = {tid: f.tree for tid, f in good.items() if f.tree is not None}
        for f in good.values():
            f.add(_scenario_diagnostics(f, valid, scenarios))
        good = {tid: f for tid, f in good.items() if f.ok}
    for tid, f in good.items():
        assert f.tree is not None
        lib.trees[tid] = f.tree
        lib.sources[tid] = f
    return lib


def _media_folder(f: LoadedTree, roots: list[Path]) -> Path | None:
    """The ``media/`` folder of a file on disk (``None`` for a text that is no file, or a tree with no pictures)."""
    assert f.tree is not None
    if not any(n.media for n in f.tree.nodes):
        return None  # nothing to look for: no file system calls for the (many) trees without pictures
    path = Path(f.path)
    if not path.is_file():
        return None
    root = next((r for r in roots if r in path.parents), None)
    return find_media_folder(path, root)


def _index_trees(loaded: Iterable[LoadedTree], lib: Library) -> dict[str, LoadedTree]:
    """Record every file in ``lib.files``; return the files that hold a tree, by tree id.

    A tree id used before is an error on the later file, which is left out; a file named otherwise
    than its tree id gets a warning.
    """
    by_id: dict[str, LoadedTree] = {}
    for f in loaded:
        lib.files[f.path] = f
        if f.tree is None:
            continue
        other = by_id.get(f.tree.id)
        if other is not None:
            f.add([_duplicate_tree(f.tree, other)])
            continue
        by_id[f.tree.id] = f
        stem = Path(f.path).stem
        if f.path != "<tree>" and stem != f.tree.id:
            f.add([_file_name(stem, f.tree)])
    return by_id


def _duplicate_tree(tree: Tree, other: LoadedTree) -> Diagnostic:
    return Diagnostic(
        severity=Severity.ERROR,
        code="duplicate-tree",
        message=f"tree id {tree.id!r} is already used by {other.path}",
        loc=("id",),
        hint="tree ids must be unique across the library",
    )


def _file_name(stem: str, tree: Tree) -> Diagnostic:
    return Diagnostic(
        severity=Severity.WARNING,
        code="file-name",
        message=f"file name {stem!r} differs from the tree id {tree.id!r}",
        loc=("id",),
        hint=f"name the file {tree.id}.yaml so authors find it",
    )


def _without_broken_calls(by_id: Mapping[str, LoadedTree]) -> dict[str, LoadedTree]:
    """The files without errors, less those that call a broken procedure (each gets an error saying so).

    A caller of a caller of a broken procedure is broken too: repeat until nothing changes.
    """
    good = {tid: f for tid, f in by_id.items() if f.ok}
    changed = True
    while changed:
        changed = False
        for tid, f in list(good.items()):
            assert f.tree is not None
            bad_calls = [(i, p) for i, p in _calls(f.tree) if p in by_id and p not in good]
            if bad_calls:
                i, proc = bad_calls[0]
                f.add(
                    [
                        Diagnostic(
                            severity=Severity.ERROR,
                            code="broken-procedure",
                            message=f"calls {proc!r}, which has errors",
                            loc=("nodes", i, "procedure"),
                            hint=f"fix {by_id[proc].path} first",
                        )
                    ]
                )
                del good[tid]
                changed = True
    return good


def _calls(tree: Tree) -> list[tuple[int, str]]:
    return [(i, n.procedure) for i, n in enumerate(tree.nodes) if isinstance(n, CallNode)]


def load_library(
    paths: Iterable[str | Path] | None = None,
    *,
    scenarios: ScenarioRunner | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    support: Iterable[str | Path] = (),
    systems: Collection[str] | None = KNOWN_SYSTEMS,
) -> Library:
    """Load and check every tree file under ``paths`` (default: the shipped ``trees/`` folder).

    ``support`` folders only lend procedures the named files call: a support file whose tree id a
    named file already has (an edited copy of a shipped tree) is left out, and the library's
    ``named`` set says which files were asked for. A file's pictures are looked for in the ``media/``
    folder of the folder it was found under (or the nearest one above a file named on its own).
    """
    paths = list(paths) if paths is not None else [DEFAULT_TREES]
    support = list(support)
    files = find_tree_files(paths)
    named = {f.resolve() for f in files}
    loaded = []
    for i, p in enumerate(files):
        if progress is not None:
            progress(i, len(files), str(p))
        loaded.append(load_tree(p))
    ids = {f.tree.id for f in loaded if f.tree is not None}
    for p in find_tree_files(support):
        if p.resolve() in named:
            continue
        extra = load_tree(p)
        if extra.tree is not None and extra.tree.id not in ids:
            loaded.append(extra)
            ids.add(extra.tree.id)
    roots = [Path(p) for p in [*paths, *support] if Path(p).is_dir()]
    lib = build_library(loaded, scenarios=scenarios, roots=roots, systems=systems)
    lib.named = {str(p) for p in files}
    return lib


def library_from_texts(texts: Mapping[str, str], scenarios: ScenarioRunner | None = None) -> Library:
    """A library from ``{path: yaml text}``, for previews and tests."""
    return build_library([parse_tree(text, path) for path, text in texts.items()], scenarios=scenarios)
