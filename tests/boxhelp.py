"""The small tree the fulfilment and remote-check tests walk (``tests/data/fulfilment/box-help.yaml``).

Its first question leads to each outcome that sets fulfilment going: ``remote`` ships one part, ``both`` ships
two (returning the old one), ``dead`` is a send-in repair, ``flicker`` runs a remote line test (ok: resolved
with a follow-up in 3 days; fault: escalate), ``slow`` sends a remote refresh, ``other`` is a diagnosis.
"""

from __future__ import annotations

import functools
import uuid
from pathlib import Path

from triage.records.sessions import StoredSession
from triage.records.store import Store
from triage.trees.library import Library
from triage.walk.scenarios import load_library

BOX = "box-help"
FOLDER = Path(__file__).parent / "data" / "fulfilment"


@functools.cache
def box_library() -> Library:
    """The box-help tree, loaded and checked once."""
    lib = load_library([FOLDER])
    assert not lib.errors, lib.errors
    return lib


def publish_box(store: Store) -> Store:
    """Publish the box-help tree into ``store`` (beside whatever it holds); the store back."""
    store.sync(box_library())
    return store


def walk(store: Store, *answers: str, customer: str | None = None, **facts: object) -> StoredSession:
    """A stored agent session on box-help, answered with ``answers``; a new customer unless one is given.

    (The same customer three times on one tree would be a repeat contact, which escalates at once.)
    """
    s = store.start_session(BOX, customer_id=customer or f"C-{uuid.uuid4().hex[:8]}", facts=facts or None)
    for a in answers:
        s.answer(a)
    return s
