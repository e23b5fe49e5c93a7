"""The tree libraries the tests share, each loaded and checked once per run.

``shipped()`` is the product's own ``trees/`` folder; ``mini()`` the two small trees in ``tests/data/mini``.
``conftest.py`` hands them out as session-scoped fixtures (``shipped_lib``, ``mini_lib``); module-level code
(parametrize lists, the store fixtures) calls the functions. A library is read-only once built.
"""

from __future__ import annotations

import functools
from pathlib import Path

from triage.trees.library import Library
from triage.walk.scenarios import load_library

TESTS = Path(__file__).parent
MINI = TESTS / "data" / "mini"

NO_INTERNET_LINE_FAULT = (
    *("all", "active", "no", "yes"),  # every device, account active, no burning smell, lights on
    "fault",  # the remote line test finds a fault
    *("done", "ready", "ready", "not_fixed"),  # the router restart (power-cycle-router) does not help
    *("dsl", "not_fixed", "not_fixed"),  # the DSL cables, then the remote line re-profile, do not help
    "fault",  # the second line test still finds it
)
"""The answers that walk the shipped no-internet tree to its one technician visit (broadband-line, normal)."""


@functools.cache
def shipped() -> Library:
    """The shipped trees, checked (scenarios included); a failure here fails every test that uses them."""
    lib = load_library()
    assert not lib.errors, lib.errors
    return lib


@functools.cache
def mini() -> Library:
    """The small test trees in ``tests/data/mini``."""
    lib = load_library([MINI])
    assert not lib.errors, lib.errors
    return lib
