"""YAML with bounded cost: what a tree file may cost is checked before the fast parser builds anything.

The fast parser (ryaml, Rust's serde-yaml) expands every alias into a fresh copy, so a 15 KB file of a list of
3,000 items aliased 3,000 times costs 9 million nodes (2.2 s and 1 GB here; a few times more aborts the process
from inside Rust, which Python cannot catch), and its scanner is quadratic in flow nesting (``[[[[...`` 30,000
deep takes 1.8 s, 100,000 deep about 20 s). So before it runs:

- :func:`read_limited` reads at most ``limits().tree_file_bytes`` (+1) bytes, so a huge file (or a device that
  never ends) is refused without being read whole;
- :func:`alias_budget_refusal` walks the file's event stream from libyaml (PyYAML's C parser: iterative,
  fuzzed, nesting capped at 1,000 levels) and adds up how many nodes the aliases would copy, refusing the file
  once that passes ``limits().yaml_alias_nodes``. Nothing is built: an event is a few dozen bytes and is
  dropped at once. It runs only when the text holds an anchor (``&``) or brackets nested deep enough to be
  worth a look (:func:`needs_scan`), so a plain tree file pays one ``in`` test and one regular-expression pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

import yaml

from triage.errors import Diagnostic, Severity
from triage.limits import ENV_PREFIX, limits

__all__ = [
    "SCAN_BRACKETS",
    "SCAN_BRACKET_DEPTH",
    "alias_budget_refusal",
    "needs_scan",
    "read_limited",
    "too_big",
]

SCAN_BRACKETS = 1_000
"""A text with more opening brackets than this has its bracket depth counted (the 10k-node tree has 532)."""
SCAN_BRACKET_DEPTH = 64
"""Flow brackets nested deeper than this (counted naively, quotes and comments included) get the event scan:
serde-yaml needs 3 ms for 1,000 levels, and libyaml refuses more than 1,000."""

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# everything but the four bracket characters, dropped in C so the depth count loops over brackets only
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def too_big(path: str, size: int | None) -> Diagnostic:
    """The diagnostic for a file over ``limits().tree_file_bytes`` (``size`` when known)."""
    limit = limits().tree_file_bytes
    got = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    return Diagnostic(
        severity=Severity.ERROR,
        code="too-big",
        message=f"this file is {got}; a tree file is at most {limit:,} bytes "
        f"({ENV_PREFIX}TREE_FILE_BYTES), so it was not read",
        path=path,
        hint="split it into procedures (kind: call) in files of their own",
    )


def read_limited(path: Path) -> bytes | None:
    """The file's bytes, or ``None`` if it holds more than ``limits().tree_file_bytes`` (read no further)."""
    limit = limits().tree_file_bytes
    if path.stat().st_size > limit:
        return None
    with path.open("rb") as f:  # read at most one byte past the limit: a pipe or device says its size is 0
        data = f.read(limit + 1)
    return None if len(data) > limit else data


def needs_scan(text: str) -> bool:
    """Whether the text could cost more than its size: it holds an anchor, or deeply nested brackets."""
    if "&" in text:
        return True
    # serde-yaml reads any nesting of 1,000 brackets in 3 ms: only more than that is worth a depth count
    if text.count("[") + text.count("{") <= SCAN_BRACKETS:
        return False
    brackets = _NOT_BRACKETS.sub("", text)
    return max(accumulate(_DEPTH_STEP[c] for c in brackets)) > SCAN_BRACKET_DEPTH


@dataclass
class _Count:
    """Nodes in the collections still open, and in every anchored node seen whole."""

    budget: int
    copied: int = 0
    open: list[tuple[str | None, int]] = field(default_factory=lambda: [(None, 0)])
    anchors: dict[str, int] = field(default_factory=dict)

    def add(self, nodes: int) -> None:
        anchor, count = self.open[-1]
        self.open[-1] = (anchor, count + nodes)

    def close(self) -> None:
        anchor, count = self.open.pop()
        if anchor is not None:
            self.anchors[anchor] = count
        self.add(count)

    def alias(self, name: str) -> bool:
        """Count the copy an alias makes; ``False`` once the budget is spent."""
        # an anchor still open (``&a [*a]``) or never set is the parser's error to report: count one node
        size = self.anchors.get(name, 1)
        self.copied += size
        self.add(size)
        return self.copied <= self.budget


def _over_budget(text: str) -> yaml.AliasEvent | None:
    """The alias that spends the budget, or ``None`` if the file stays within it."""
    count = _Count(limits().yaml_alias_nodes)
    for event in yaml.parse(text, Loader=_Parser):
        if isinstance(event, yaml.ScalarEvent):
            count.add(1)
            if event.anchor is not None:
                count.anchors[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            count.open.append((event.anchor, 1))
        elif isinstance(event, yaml.CollectionEndEvent):
            count.close()
        elif isinstance(event, yaml.AliasEvent) and not count.alias(event.anchor or ""):
            return event
    return None


def alias_budget_refusal(text: str, path: str) -> Diagnostic | None:
    """A diagnostic if the aliases in ``text`` would copy more than ``limits().yaml_alias_nodes`` nodes, or the
    text is not YAML libyaml can read (then the fast parser never sees it); ``None`` if it may be parsed."""
    try:
        alias = _over_budget(text)
    except yaml.YAMLError as exc:
        return syntax_diagnostic(exc, path)
    if alias is None:
        return None
    budget = limits().yaml_alias_nodes
    return Diagnostic(
        severity=Severity.ERROR,
        code="yaml-aliases",
        message=f"YAML aliases (*name) in this file would copy more than {budget:,} nodes "
        f"({ENV_PREFIX}YAML_ALIAS_NODES), so it was not read",
        path=path,
        line=alias.start_mark.line + 1 if alias.start_mark is not None else None,
        hint="write the repeated part out once, or make it a procedure (kind: call)",
    )


def syntax_diagnostic(exc: yaml.YAMLError, path: str) -> Diagnostic:
    """PyYAML's account of a syntax error as a diagnostic: its marks point where the author must look."""
    if isinstance(exc, yaml.reader.ReaderError):  # a NUL or another control character: say which, and where
        ch = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        return Diagnostic(
            severity=Severity.ERROR,
            code="yaml",
            message=f"this file holds a character YAML does not allow (U+{ch:04X} at character {exc.position + 1:,})",
            path=path,
            hint="remove it: a tree file is plain UTF-8 text",
        )
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context_mark is not None and "end of stream" in problem:
        # an unclosed quote or bracket: point at where it opened, not at the end of the file
        what = context.removeprefix("while scanning ") if context else "a value"
        mark, problem = context_mark, f"{what} is never closed"
        context = None
    msg = f"this is not valid YAML: {problem}" + (f" ({context})" if context else "")
    return Diagnostic(
        severity=Severity.ERROR,
        code="yaml",
        message=msg,
        path=path,
        line=mark.line + 1 if mark is not None else None,
        hint="check the indentation and quoting on this line and the one before",
    )
