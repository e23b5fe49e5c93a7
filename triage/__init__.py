"""triage: a graph-based troubleshooting engine for technical support.

>>> from triage import load_library, Session
>>> lib = load_library()
>>> s = Session.start(lib, "no-internet", mode="agent")
>>> s.view().kind
'question'
"""

from __future__ import annotations

from triage.errors import (
    Diagnostic,
    InvalidAnswer,
    LibraryError,
    SessionClosed,
    SessionError,
    TreeError,
    TriageError,
)
from triage.trees.library import Library
from triage.trees.loader import load_tree, parse_tree, tree_from_text
from triage.trees.model import Audience, OutcomeKind, Tree
from triage.walk.handoff import Handoff, build_handoff
from triage.walk.policy import Decision, Policy, PolicyConfig
from triage.walk.scenarios import load_library, run_scenarios
from triage.walk.session import Event, Session, StepView

__all__ = [
    "Audience",
    "Decision",
    "Diagnostic",
    "Event",
    "Handoff",
    "InvalidAnswer",
    "Library",
    "LibraryError",
    "OutcomeKind",
    "Policy",
    "PolicyConfig",
    "Session",
    "SessionClosed",
    "SessionError",
    "StepView",
    "Tree",
    "TreeError",
    "TriageError",
    "build_handoff",
    "load_library",
    "load_tree",
    "parse_tree",
    "run_scenarios",
    "tree_from_text",
]
