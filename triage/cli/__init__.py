"""The ``triage`` command: one module per family (trees, records, planner).

May import anything in :mod:`triage` except :mod:`triage.ui`.
"""

from __future__ import annotations

from triage.cli.main import main

__all__ = ["main"]
