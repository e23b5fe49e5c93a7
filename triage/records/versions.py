"""Published tree versions: publish, list, diff, and the pinned libraries sessions replay against.

Publishing stores an immutable version (content and SHA-256). Saving against a stale base is refused with
:class:`~triage.errors.VersionConflict`, which carries the author's text so nothing is lost. A session pins
the versions of its tree and of every procedure it may call (:meth:`TreeVersions._pins_for`).

:class:`TreeVersions` is one half of :class:`~triage.records.store.Store`, which provides the transactions.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DBSession

from triage.errors import LibraryError, NotFound, VersionConflict
from triage.records.schema import TreeVersion, utcnow
from triage.trees.library import Library
from triage.trees.loader import LoadedTree, parse_tree
from triage.trees.model import CallNode, Tree, localize
from triage.walk.scenarios import build_library

__all__ = ["TreeVersions", "VersionInfo"]


@dataclass(frozen=True)
class VersionInfo:
    """One published version of a tree."""

    id: int
    tree_id: str
    version: int
    digest: str
    title: str
    category: str
    procedure: bool
    author: str
    note: str
    published_at: datetime
    path: str | None


def _info(row: TreeVersion) -> VersionInfo:
    return VersionInfo(
        row.id,
        row.tree_id,
        row.version,
        row.digest,
        row.title,
        row.category,
        row.procedure,
        row.author,
        row.note,
        row.published_at,
        row.path,
    )


def _latest_row(db: DBSession, tree_id: str, *, lock: bool = False) -> TreeVersion | None:
    q = (
        select(TreeVersion)
        .where(TreeVersion.tree_id == tree_id)
        .order_by(TreeVersion.version.desc())
        .limit(1)
    )
    return db.scalar(q.with_for_update() if lock else q)


class TreeVersions:
    """Publishing and reading tree versions; mixed into :class:`~triage.records.store.Store`."""

    # set by Store.__init__: parsed trees by version id (versions are immutable, so never stale)
    _trees: dict[int, Tree]
    _trees_lock: threading.Lock

    def tx(self) -> AbstractContextManager[DBSession]:
        """One transaction; :class:`~triage.records.store.Store` provides it."""
        raise NotImplementedError

    def publish(
        self,
        text: str,
        *,
        author: str,
        base_version: int | None = None,
        note: str = "",
        path: str | None = None,
        check_base: bool = True,
    ) -> VersionInfo:
        """Publish a tree's YAML as a new immutable version.

        ``base_version`` is the version the author started from (``None`` for a new tree). If someone
        published in between, :class:`VersionConflict` is raised and carries ``text``. The text must be a
        valid tree: :class:`~triage.errors.TreeError` lists its errors otherwise.
        """
        loaded = parse_tree(text, path or "<draft>")
        tree = loaded.raise_for_errors()
        with self.tx() as db:
            latest = _latest_row(db, tree.id, lock=True)
            latest_n = latest.version if latest else 0
            if check_base and (base_version or 0) != latest_n:
                raise VersionConflict(tree.id, base_version, latest_n, text)
            if latest is not None and latest.digest == loaded.digest:
                return _info(latest)
            row = TreeVersion(
                tree_id=tree.id,
                version=latest_n + 1,
                digest=loaded.digest,
                content=text,
                title=localize(tree.title, "en"),
                category=tree.category.value,
                procedure=tree.procedure,
                path=path,
                author=author,
                note=note,
                published_at=utcnow(),
            )
            db.add(row)
            try:
                db.flush()
            except IntegrityError as exc:  # another instance published the same number a moment ago
                raise VersionConflict(tree.id, base_version, latest_n + 1, text) from exc
            return _info(row)

    def sync(self, library: Library, author: str = "sync", only: set[str] | None = None) -> list[VersionInfo]:
        """Publish every valid tree of ``library`` (or of the files in ``only``) whose text changed."""
        out = []
        for tree_id, source in library.sources.items():
            if only is not None and source.path not in only:
                continue
            latest = self.latest_version(tree_id)
            if latest is not None and latest.digest == source.digest:
                continue
            out.append(
                self.publish(
                    source.text,
                    author=author,
                    base_version=latest.version if latest else None,
                    note="synced from file",
                    path=source.path,
                )
            )
        return out

    def versions(self, tree_id: str) -> list[VersionInfo]:
        """Every published version of a tree, oldest first."""
        with self.tx() as db:
            rows = db.scalars(
                select(TreeVersion).where(TreeVersion.tree_id == tree_id).order_by(TreeVersion.version)
            ).all()
            return [_info(r) for r in rows]

    def latest_version(self, tree_id: str) -> VersionInfo | None:
        """The newest published version of a tree, or ``None`` if it was never published."""
        with self.tx() as db:
            row = _latest_row(db, tree_id)
            return _info(row) if row else None

    def version_text(self, tree_id: str, version: int) -> str:
        """The YAML text of one published version."""
        with self.tx() as db:
            row = db.scalar(
                select(TreeVersion).where(TreeVersion.tree_id == tree_id, TreeVersion.version == version)
            )
            if row is None:
                raise NotFound(f"tree {tree_id!r} has no version {version}")
            return row.content

    def diff(self, tree_id: str, old: int, new: int) -> str:
        """A readable diff between two versions: which nodes changed, then the unified text diff."""
        a, b = self.version_text(tree_id, old), self.version_text(tree_id, new)
        ta, tb = parse_tree(a).tree, parse_tree(b).tree
        lines = [f"tree {tree_id}: version {old} -> {new}"]
        if ta is not None and tb is not None:
            na, nb = ta.by_id, tb.by_id
            added = sorted(set(nb) - set(na))
            removed = sorted(set(na) - set(nb))
            changed = sorted(k for k in set(na) & set(nb) if na[k] != nb[k])
            lines.append(f"nodes added: {', '.join(added) or '-'}")
            lines.append(f"nodes removed: {', '.join(removed) or '-'}")
            lines.append(f"nodes changed: {', '.join(changed) or '-'}")
        lines.append("")
        lines += difflib.unified_diff(
            a.splitlines(), b.splitlines(), f"{tree_id} v{old}", f"{tree_id} v{new}", lineterm=""
        )
        return "\n".join(lines) + "\n"

    def _tree_row(self, version_id: int) -> Tree:
        with self._trees_lock:
            cached = self._trees.get(version_id)
        if cached is not None:
            return cached
        with self.tx() as db:
            row = db.get(TreeVersion, version_id)
            if row is None:
                raise NotFound(f"no tree version with id {version_id}")
            content, path = row.content, row.path
        tree = parse_tree(content, path or f"<version {version_id}>").raise_for_errors()
        with self._trees_lock:
            self._trees[version_id] = tree
        return tree

    def latest_ids(self) -> dict[str, int]:
        """Tree id -> id of its latest version."""
        with self.tx() as db:
            sub = select(TreeVersion.tree_id, func.max(TreeVersion.version).label("v")).group_by(
                TreeVersion.tree_id
            )
            sub_q = sub.subquery()
            rows = db.execute(
                select(TreeVersion.tree_id, TreeVersion.id).join(
                    sub_q, (TreeVersion.tree_id == sub_q.c.tree_id) & (TreeVersion.version == sub_q.c.v)
                )
            ).all()
            return {r[0]: r[1] for r in rows}

    def library(self, pins: Mapping[str, int] | None = None) -> Library:
        """The published library: latest versions, or the pinned version ids given (a session's view)."""
        ids = dict(pins) if pins is not None else self.latest_ids()
        loaded = []
        for tree_id, version_id in sorted(ids.items()):
            tree = self._tree_row(version_id)
            lt = LoadedTree(path=f"{tree_id}@{version_id}", text="", tree=tree)
            loaded.append(lt)
        lib = build_library(loaded, scenarios=False)
        return lib

    def _pins_for(self, tree_id: str) -> dict[str, int]:
        """Latest version ids of the tree and every procedure it may call (transitively)."""
        latest = self.latest_ids()
        if tree_id not in latest:
            raise LibraryError(f"tree {tree_id!r} has not been published")
        pins: dict[str, int] = {}
        stack = [tree_id]
        while stack:
            tid = stack.pop()
            if tid in pins:
                continue
            if tid not in latest:
                raise LibraryError(f"tree {tree_id!r} calls {tid!r}, which has not been published")
            pins[tid] = latest[tid]
            tree = self._tree_row(latest[tid])
            stack += [n.procedure for n in tree.nodes if isinstance(n, CallNode)]
        return pins

    def _pinned_library(self, pins: Mapping[str, int]) -> dict[str, Tree]:
        return {tid: self._tree_row(vid) for tid, vid in pins.items()}

    @staticmethod
    def _version_number(db: DBSession, version_id: int) -> int:
        row = db.get(TreeVersion, version_id)
        assert row is not None
        return row.version
