"""The ``triage`` command (click): one module per family, gathered into one group in :mod:`triage.cli.main`.

``trees`` (validate, run, show, export, list, schema), ``records`` (database, versions, sessions, cases,
accounts, stats, demo data), ``visits`` (technicians, bookings), ``planner`` (learned, simulate); ``terminal``
is the interactive walk they share, ``options`` the streams and options, ``progress`` the progress bar.

May import anything in :mod:`triage` except :mod:`triage.ui`.
"""

from __future__ import annotations

from triage.cli.main import cli, main

__all__ = ["cli", "main"]
