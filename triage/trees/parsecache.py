"""Parsed tree files kept by content: a file whose bytes did not change is not parsed again.

Start-up, ``triage validate`` after an edit, and the studio (which re-checks the whole folder on every edit)
read the same files over and over. The cache maps the SHA-256 of a file's bytes to what parsing produced (the
raw data, the tree and the parse diagnostics), so only changed files cost a parse. It lives in the process,
holds at most :data:`MAX_ENTRIES` results and :data:`MAX_TEXT_BYTES` of source between them, and forgets the
least recently used first. What it hands out is shared: trees are frozen models, and nothing changes ``raw``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from triage.errors import Diagnostic
from triage.trees.model import Tree

__all__ = ["MAX_ENTRIES", "MAX_TEXT_BYTES", "ParseCache", "Parsed", "content_key"]

MAX_ENTRIES = 512
"""Parse results kept at most (a library has dozens of files; the studio adds a draft per edit)."""
MAX_TEXT_BYTES = 128 * 1024 * 1024
"""Bytes of source text the kept results may stand for (a 10k-node tree is about 2 MB)."""


@dataclass(frozen=True)
class Parsed:
    """What parsing one text produced, whatever file it came from."""

    raw: Any
    tree: Tree | None
    diagnostics: tuple[Diagnostic, ...]
    size: int


def content_key(data: bytes) -> str:
    """The cache key of a file's bytes: their SHA-256, in hex."""
    return hashlib.sha256(data).hexdigest()


class ParseCache:
    """A bounded, thread-safe LRU of :class:`Parsed` results by key (see :func:`content_key`)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_TEXT_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._bytes = 0
        self._items: OrderedDict[object, Parsed] = OrderedDict()
        # the studio's script threads and start-up may parse at once
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: object) -> Parsed | None:
        """The result kept for ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: object, parsed: Parsed) -> None:
        """Keep ``parsed`` under ``key``, forgetting the least recently used results beyond the bounds."""
        if parsed.size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._items[key] = parsed
            self._bytes += parsed.size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.size

    def clear(self) -> None:
        """Forget every result (and the hit and miss counts)."""
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.hits = self.misses = 0
