"""The tree folder as the studio lists it: each file checked with the rest, its open flags and published version.

Parsing a file is cached by its path and text, so listing the folder again after one edit re-parses one file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from triage.errors import Diagnostic, DraftError
from triage.records.store import Store
from triage.trees.loader import LoadedTree, find_tree_files, load_tree, parse_tree
from triage.trees.model import localize
from triage.walk.scenarios import load_library

__all__ = [
    "TreeStatus",
    "annotate",
    "flags_by_node",
    "folder_stamp",
    "fresh",
    "load_others",
    "parse_cached",
    "published_versions",
    "raw_id",
    "tree_file",
    "tree_statuses",
]


@dataclass(frozen=True)
class TreeStatus:
    """One tree file as the studio lists it."""

    rel: str
    path: str
    tree_id: str | None
    title: str
    ok: bool
    errors: list[Diagnostic]
    warnings: list[Diagnostic]
    open_flags: int = 0
    published: int | None = None

    @property
    def offered(self) -> bool:
        """Whether agents and customers can run it: a published version exists (only valid trees publish)."""
        return self.published is not None


def tree_file(folder: str | Path, rel: str) -> Path:
    """The tree file ``rel`` inside ``folder``; :class:`DraftError` for anything outside or not a tree file."""
    root = Path(folder).resolve()
    p = (root / rel).resolve()
    if root not in p.parents or p.suffix not in (".yaml", ".yml") or not p.is_file():
        raise DraftError(f"{rel!r} is not a tree file in {folder}")
    return p


def tree_statuses(
    folder: str | Path,
    *,
    support: Iterable[str | Path] = (),
    flag_counts: Mapping[str, int] | None = None,
    published: Mapping[str, int] | None = None,
) -> list[TreeStatus]:
    """Every tree file under ``folder``, checked together (procedures may come from ``support``).

    Messages name files by their path inside ``folder``, as the studio shows them.
    """
    root = Path(folder)
    lib = load_library([root], support=support)
    flag_counts = flag_counts or {}
    published = published or {}
    out = []
    for path in sorted(lib.named):
        f = lib.files[path]
        tree_id = f.tree.id if f.tree is not None else raw_id(f.raw)
        title = localize(f.tree.title, "en") if f.tree is not None else ""
        rel = Path(path).resolve().relative_to(root.resolve()).as_posix()
        out.append(
            TreeStatus(
                rel=rel,
                path=path,
                tree_id=tree_id,
                title=title,
                ok=f.ok,
                errors=[d.model_copy(update={"path": rel}) for d in f.errors],
                warnings=[d.model_copy(update={"path": rel}) for d in f.warnings],
                open_flags=flag_counts.get(tree_id or "", 0),
                published=published.get(tree_id or ""),
            )
        )
    return out


def folder_stamp(folder: str | Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when any tree file under ``folder`` changes: path, size and modification time of each."""
    out = []
    for p in find_tree_files([folder]):
        try:
            stat = p.stat()
        except OSError:
            continue
        out.append((str(p), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


def annotate(
    statuses: Iterable[TreeStatus], flag_counts: Mapping[str, int], published: Mapping[str, int]
) -> list[TreeStatus]:
    """The statuses with today's open flags and published versions (checks are cached; these are not)."""
    return [
        replace(s, open_flags=flag_counts.get(s.tree_id or "", 0), published=published.get(s.tree_id or ""))
        for s in statuses
    ]


def flags_by_node(flags: Iterable[Any]) -> dict[str, int]:
    """How many of ``flags`` (anything with a ``node_id``) sit on each node."""
    out: dict[str, int] = {}
    for f in flags:
        out[f.node_id] = out.get(f.node_id, 0) + 1
    return out


def published_versions(store: Store, tree_ids: Iterable[str | None]) -> dict[str, int]:
    """The latest published version number of each tree id that has one."""
    out = {}
    for tid in tree_ids:
        if tid:
            info = store.latest_version(tid)
            if info is not None:
                out[tid] = info.version
    return out


def raw_id(raw: Any) -> str | None:
    """The ``id`` written in a file's raw data, when the file did not make a tree."""
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


@lru_cache(maxsize=512)
def parse_cached(path: str, text: str) -> LoadedTree:
    """The file ``path`` with this ``text``, parsed once; hand :func:`fresh` copies to anything that adds to it."""
    return parse_tree(text, path)


def fresh(f: LoadedTree) -> LoadedTree:
    """A copy of a parsed file with its own list of diagnostics."""
    # build_library adds diagnostics to the objects it gets: hand it copies of the cached parse
    return LoadedTree(path=f.path, text=f.text, tree=f.tree, diagnostics=list(f.diagnostics), raw=f.raw)


def load_others(
    folder: str | Path, exclude: str | Path, support: Iterable[str | Path] = ()
) -> list[LoadedTree]:
    """The rest of the library beside one file: every tree file under ``folder`` but ``exclude``.

    ``support`` folders only lend trees (procedures) whose ids the folder does not have.
    """
    skip = Path(exclude).resolve()
    own = [_read_tree(p) for p in find_tree_files([folder]) if p.resolve() != skip]
    ids = {f.tree.id for f in own if f.tree is not None}
    lent = []
    for p in find_tree_files(support):
        if p.resolve() == skip:
            continue
        f = _read_tree(p)
        if f.tree is not None and f.tree.id not in ids:
            ids.add(f.tree.id)
            lent.append(f)
    return own + lent


def _read_tree(p: Path) -> LoadedTree:
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return load_tree(p)
    return fresh(parse_cached(str(p), text))
