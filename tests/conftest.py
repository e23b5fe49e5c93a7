"""Test settings: the Hypothesis profiles.

``dev`` (the default) keeps the property tests quick on a laptop; ``ci`` (chosen when
``CI=true``) tries more examples. ``HYPOTHESIS_PROFILE=ci`` picks a profile by hand.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from libraries import mini, shipped

from triage.trees.library import Library

# Building a tree and walking it with networkx behind takes a few milliseconds, and the
# first example also pays for imports, so a per-example deadline would only be noise.
# One minimal example per failing test is enough to act on; shrinking several distinct
# failures of one engine bug would multiply the time a red run takes.
settings.register_profile("dev", max_examples=60, deadline=None, report_multiple_bugs=False)
settings.register_profile(
    "ci",
    max_examples=250,
    deadline=None,
    print_blob=True,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
)

# database fixtures (SQLite and a real PostgreSQL server) for the store tests
from dbfixtures import pg_server_url, store, store_url  # noqa: E402, F401


@pytest.fixture(scope="session")
def shipped_lib() -> Library:
    """The shipped trees, loaded and checked once for the whole run."""
    return shipped()


@pytest.fixture(scope="session")
def mini_lib() -> Library:
    """The small test trees (``tests/data/mini``), loaded and checked once for the whole run."""
    return mini()
