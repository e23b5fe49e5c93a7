"""Flags on steps: an agent marks the step in front of them as wrong or unclear; authors see the flags beside
the node in the studio and resolve them.

:func:`flag_step` raises one on a session's current step (on the tree version that session walks);
:func:`open_flags` and :func:`flag_counts` are what the studio shows; :func:`resolve_flag` closes one.
"""

from __future__ import annotations

from triage.records.flags import FLAG_KINDS, Flags, FlagView
from triage.records.sessions import StoredSession
from triage.records.store import Store

__all__ = ["FLAG_KINDS", "FlagView", "flag_counts", "flag_step", "open_flags", "resolve_flag"]


def flag_step(store: Store, stored: StoredSession, kind: str, author: str, comment: str = "") -> FlagView:
    """Flag the session's current step as ``wrong`` or ``unclear``, on the tree version the session uses."""
    view = stored.view()
    pinned = stored.pins.get(view.tree_id)
    version = next((v.version for v in store.versions(view.tree_id) if v.id == pinned), None)
    return Flags(store).raise_flag(
        view.tree_id,
        view.node_id,
        kind,
        author,
        comment,
        session_id=stored.id,
        tree_version=version,
    )


def open_flags(store: Store, tree_id: str) -> list[FlagView]:
    """The open flags on a tree's steps."""
    return Flags(store).for_tree(tree_id)


def flag_counts(store: Store) -> dict[str, int]:
    """How many open flags each tree has, by tree id."""
    return Flags(store).counts()


def resolve_flag(store: Store, flag_id: int, user: str) -> FlagView:
    """``user`` marks a flag as dealt with."""
    return Flags(store).resolve(flag_id, user)
