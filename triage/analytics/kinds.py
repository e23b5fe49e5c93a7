"""What kind of step each node is, read from the published tree versions: only action nodes have fix rates.

Events store the node's id and the answer, not its kind, and answers alone cannot tell kinds apart: an
instruction's "I could not" is stored as ``"could_not"`` exactly like an action's, and a question may have
an option whose value is ``"fixed"``. So the kind comes from the trees: for each (tree id, node id) the
kind in the newest published version that has the node. A node that became an instruction in a later version
(a confirmation that was written as an action) then stops counting as a fix, old answers included — they
were confirmations all along.
"""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from triage.records.schema import TreeVersion
from triage.trees.loader import parse_tree

__all__ = ["NodeKinds", "node_kinds"]

NodeKinds = dict[tuple[str, str], str]
"""(tree id, node id) -> the node's kind (``action``, ``instruction``, ``wait``, ``check``, ...)."""

# digest -> {node id: kind}: a published version never changes, so its kinds are read once per process
_BY_DIGEST: dict[str, dict[str, str]] = {}
_LOCK = threading.Lock()


def _kinds_of(db: DBSession, version_id: int, digest: str) -> dict[str, str]:
    with _LOCK:
        known = _BY_DIGEST.get(digest)
    if known is not None:
        return known
    row = db.get(TreeVersion, version_id)
    tree = parse_tree(row.content, row.path or f"<version {version_id}>").tree if row is not None else None
    kinds: dict[str, str] = {n.id: str(n.kind) for n in tree.nodes} if tree is not None else {}
    with _LOCK:
        _BY_DIGEST[digest] = kinds
    return kinds


def node_kinds(db: DBSession) -> NodeKinds:
    """The kind of every node of every published tree (the newest version that has the node decides)."""
    versions = db.execute(
        select(TreeVersion.id, TreeVersion.tree_id, TreeVersion.digest).order_by(
            TreeVersion.tree_id, TreeVersion.version
        )
    ).all()
    out: NodeKinds = {}
    for version_id, tree_id, digest in versions:
        for node_id, kind in _kinds_of(db, version_id, digest).items():
            out[(tree_id, node_id)] = kind  # later versions overwrite earlier ones
    return out
