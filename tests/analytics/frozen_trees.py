"""A frozen copy of the trees the analytics tests count on (``tests/analytics/trees``).

The shipped trees change as content is improved (a confirmation written as an action becomes an instruction),
and every such change would move the exact figures; these files keep the versions the tests walk.
"""

from __future__ import annotations

import functools
from pathlib import Path

from triage.trees.library import Library
from triage.walk.scenarios import load_library

FROZEN = Path(__file__).parent / "trees"


@functools.cache
def frozen() -> Library:
    """The frozen connectivity trees: no-internet and the trees and procedures the tests touch."""
    lib = load_library([FROZEN])
    assert not lib.errors, lib.errors
    return lib
