"""Drafts: an author's working copy of one tree file, and saving or publishing it without losing anyone's work.

A :class:`Draft` keeps what it was based on: the file's text when it was opened (or last saved) and the
published version the author started from. Saving refuses when the file changed on disk since; publishing
also refuses when someone published in between. Either way :class:`~triage.errors.DraftConflict` carries
the author's text and the other side's, so nothing is lost.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from triage.desk.studio.folder import parse_cached, raw_id, tree_file
from triage.errors import DraftConflict
from triage.errors import VersionConflict as StoreConflict
from triage.records.store import Store, VersionInfo

__all__ = ["Draft", "digest", "open_draft", "publish_draft", "save_draft", "text_diff"]


def digest(text: str) -> str:
    """SHA-256 of a text, as tree versions are identified."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_diff(old: str, new: str, old_name: str = "old", new_name: str = "new") -> str:
    """A unified line diff from ``old`` to ``new`` (empty when they are equal)."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="")
    out = "\n".join(lines)
    return out + "\n" if out else ""


@dataclass(frozen=True)
class Draft:
    """An author's working copy of one tree file.

    ``base_digest`` is the file's digest when it was opened (or last saved); ``base_version`` the
    published version the author started from (``None`` if the tree was never published). ``rev``
    counts edits, so an editor can tell a new text from the one it shows.
    """

    path: str
    rel: str
    tree_id: str | None
    text: str
    base_text: str
    base_version: int | None
    rev: int = 0

    @property
    def base_digest(self) -> str:
        """The digest of the text the draft is based on."""
        return digest(self.base_text)

    @property
    def dirty(self) -> bool:
        """The draft differs from the file as it was opened or last saved."""
        return self.text != self.base_text

    def with_text(self, text: str) -> Draft:
        """The draft with new text (the same draft if nothing changed)."""
        return self if text == self.text else replace(self, text=text, rev=self.rev + 1)

    def rebased(self, *, base_text: str | None = None, base_version: int | None = None) -> Draft:
        """The same text on a new base: after a save or publish, or once the author has merged a conflict."""
        return replace(
            self,
            base_text=self.base_text if base_text is None else base_text,
            base_version=self.base_version if base_version is None else base_version,
            rev=self.rev + 1,
        )


def open_draft(folder: str | Path, rel: str, store: Store | None = None) -> Draft:
    """Open the file ``rel`` of ``folder`` as a draft, based on its text now and the latest published version."""
    p = tree_file(folder, rel)
    text = p.read_text(encoding="utf-8")
    loaded = parse_cached(str(p), text)
    tree_id = loaded.tree.id if loaded.tree is not None else raw_id(loaded.raw)
    base_version = None
    if store is not None and tree_id:
        info = store.latest_version(tree_id)
        base_version = info.version if info is not None else None
    return Draft(path=str(p), rel=rel, tree_id=tree_id, text=text, base_text=text, base_version=base_version)


def _read(path: str) -> str:
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def _write(path: str, text: str) -> None:
    """Replace the file in one step, so a reader never sees half a file."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_disk(draft: Draft) -> str:
    current = _read(draft.path)
    if digest(current) != draft.base_digest:
        raise DraftConflict("file", draft.rel, draft.text, current, tree_id=draft.tree_id)
    return current


def save_draft(draft: Draft) -> Draft:
    """Write the draft to its file, errors and all; :class:`DraftConflict` if the file changed since it was opened."""
    current = _check_disk(draft)
    if current != draft.text:
        _write(draft.path, draft.text)
    return draft.rebased(base_text=draft.text)


def publish_draft(store: Store, draft: Draft, author: str, note: str = "") -> tuple[VersionInfo, Draft]:
    """Publish the draft as a new version, then save it to its file so the file and the library agree.

    :class:`DraftConflict` if the file changed on disk or someone published since the author's base
    version (the author's text is kept); :class:`~triage.errors.TreeError` if the draft has errors.
    """
    _check_disk(draft)
    try:
        info = store.publish(
            draft.text, author=author, base_version=draft.base_version, note=note, path=draft.path
        )
    except StoreConflict as exc:
        theirs = store.version_text(exc.tree_id, exc.latest) if exc.latest else ""
        raise DraftConflict(
            "published", draft.rel, draft.text, theirs, tree_id=exc.tree_id, latest=exc.latest
        ) from exc
    saved = save_draft(draft)
    return info, replace(saved, tree_id=info.tree_id, base_version=info.version)
