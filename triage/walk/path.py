"""Where a walk stands (:class:`Pos`) and the steps it has passed (:class:`Step`).

A position is a node in a tree under a stack of procedure calls; a session's path is the list of steps
it visited, answered or passed automatically, and its answers are what :meth:`Session.back` replays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["Answered", "Frame", "Pos", "Step"]


@dataclass(frozen=True)
class Frame:
    """A call in progress: the tree and call node to return to."""

    tree_id: str
    call_node: str


@dataclass(frozen=True)
class Pos:
    """Where the walk stands: a node in a tree, under a stack of calls."""

    tree_id: str
    node_id: str
    calls: tuple[Frame, ...] = ()
    group: str | None = None  # the fix group that chose this step (same tree), if any

    @property
    def key(self) -> str:
        """``'tree_id:node_id'``, as events name a step."""
        return f"{self.tree_id}:{self.node_id}"


@dataclass
class Step:
    """One visited node: interactive (with an answer) or passed automatically."""

    pos: Pos
    kind: str
    arrived_at: datetime
    answer: Any = None
    answered_at: datetime | None = None
    tried: bool = False
    auto: bool = False


@dataclass
class Answered:
    """One answer of the current walk: the step's key, the stored value, "already tried", and when."""

    pos_key: str
    value: Any
    tried: bool
    at: datetime
