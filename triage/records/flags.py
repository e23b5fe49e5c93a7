"""Flags: an agent marks a step as wrong or unclear from the console; authors see it beside the node."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from triage.errors import NotFound, Refused
from triage.limits import check_length, limits
from triage.records.schema import Flag, utcnow

if TYPE_CHECKING:
    from triage.records.store import Store

__all__ = ["FLAG_KINDS", "FlagView", "Flags"]

FLAG_KINDS = ("wrong", "unclear")


@dataclass(frozen=True)
class FlagView:
    """A flag as stored."""

    id: int
    tree_id: str
    tree_version: int | None
    node_id: str
    session_id: str | None
    kind: str
    comment: str
    author: str
    created_at: datetime
    status: str


def _view(f: Flag) -> FlagView:
    return FlagView(
        f.id,
        f.tree_id,
        f.tree_version,
        f.node_id,
        f.session_id,
        f.kind,
        f.comment,
        f.author,
        f.created_at,
        f.status,
    )


class Flags:
    """Raise, list and resolve flags on tree steps."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def raise_flag(
        self,
        tree_id: str,
        node_id: str,
        kind: str,
        author: str,
        comment: str = "",
        session_id: str | None = None,
        tree_version: int | None = None,
    ) -> FlagView:
        """Flag step ``node_id`` of a tree as ``wrong`` or ``unclear``, with an optional comment.

        The comment is a note (at most ``limits().note`` characters, else
        :class:`~triage.errors.LimitExceeded`), checked here so every front end gets the same limit.
        """
        if kind not in FLAG_KINDS:
            raise Refused(f"a flag is {' or '.join(FLAG_KINDS)} (got {kind!r})")
        check_length("flag comment", comment, limit=limits().note)
        with self.store.tx() as db:
            f = Flag(
                tree_id=tree_id,
                tree_version=tree_version,
                node_id=node_id,
                session_id=session_id,
                kind=kind,
                comment=comment.strip(),
                author=author,
                created_at=utcnow(),
                status="open",
            )
            db.add(f)
            db.flush()
            return _view(f)

    def for_tree(self, tree_id: str, status: str | None = "open") -> list[FlagView]:
        """The flags on a tree's steps (open ones by default), oldest first."""
        with self.store.tx() as db:
            q = select(Flag).where(Flag.tree_id == tree_id).order_by(Flag.created_at)
            if status:
                q = q.where(Flag.status == status)
            return [_view(f) for f in db.scalars(q).all()]

    def counts(self, status: str = "open") -> dict[str, int]:
        """Open flags per tree id."""
        with self.store.tx() as db:
            rows = db.execute(
                select(Flag.tree_id, func.count()).where(Flag.status == status).group_by(Flag.tree_id)
            ).all()
            return {r[0]: int(r[1]) for r in rows}

    def resolve(self, flag_id: int, user: str) -> FlagView:
        """Mark an open flag resolved by ``user``."""
        with self.store.tx() as db:
            f = db.get(Flag, flag_id)
            if f is None:
                raise NotFound(f"no flag {flag_id}")
            if f.status != "open":
                raise Refused(f"flag {flag_id} is already {f.status}")
            f.status, f.resolved_by, f.resolved_at = "resolved", user, utcnow()
            return _view(f)
