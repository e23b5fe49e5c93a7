"""triage: a graph-based troubleshooting engine for technical support.

>>> from triage import load_library, Session
>>> lib = load_library()
>>> s = Session.start(lib, "no-internet", mode="agent")
>>> s.view().kind
'question'
"""

from __future__ import annotations

from triage.engine import Event, Session, StepView
from triage.errors import (
    Diagnostic,
    InvalidAnswer,
    LibraryError,
    SessionClosed,
    SessionError,
    TreeError,
    TriageError,
)
from triage.handoff import Handoff, build_handoff
from triage.library import Library, load_library, run_scenarios
from triage.loader import load_tree, parse_tree, tree_from_text
from triage.model import Audience, OutcomeKind, Tree
from triage.policy import Decision, Policy, PolicyConfig

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
