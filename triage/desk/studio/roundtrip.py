"""Round-trip YAML: read a draft keeping comments, key order and quoting, and write back only what changed.

ruamel.yaml's round-trip mode does most of it; :func:`rewrite` then splices the changed lines into the
author's text, so an untouched line keeps its bytes even where ruamel.yaml would spell it differently, and
keeps the author's gap before an end-of-line comment.
"""

from __future__ import annotations

import difflib
import io
import re
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from triage.errors import DraftError

__all__ = ["load", "rewrite"]


_KEY_BLOCK = re.compile(r"^( *)[^\s#-][^#]*:\s*(#.*)?$")


def _indentation(text: str) -> tuple[int, int, int]:
    """Guess (mapping, sequence, offset) indentation from the text, as ruamel.yaml's ``indent()`` takes it."""
    mapping, sequence, offset = 2, 4, 2
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    seen_seq = seen_map = False
    for a, b in zip(lines, lines[1:], strict=False):
        m = _KEY_BLOCK.match(a)
        if not m:
            continue
        ia = len(m.group(1))
        ib = len(b) - len(b.lstrip(" "))
        if b.lstrip().startswith("- ") and not seen_seq and ib >= ia:
            offset = ib - ia
            rest = b.lstrip()[1:]
            sequence = offset + 1 + (len(rest) - len(rest.lstrip(" ")))
            seen_seq = True
        elif not b.lstrip().startswith("-") and ib > ia and not seen_map:
            mapping = ib - ia
            seen_map = True
        if seen_seq and seen_map:
            break
    return mapping, max(sequence, offset + 2), offset


def _yaml(text: str) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap an author's long line
    mapping, sequence, offset = _indentation(text)
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


def load(text: str) -> Any:
    """The draft as a round-trip document; :class:`DraftError` naming the line if it is not YAML."""
    try:
        return _yaml(text).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = str(getattr(exc, "problem", ""))
        opened = getattr(exc, "context_mark", None)
        if opened is not None and ("end of stream" in problem or "<stream end>" in problem):
            mark = opened  # an unclosed bracket or quote: where it opened
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise DraftError(f"the draft is not valid YAML{where}: fix it in the YAML editor first") from exc


def _dump(doc: Any, text: str) -> str:
    buf = io.StringIO()
    _yaml(text).dump(doc, buf)
    return buf.getvalue()


_EOL_COMMENT = re.compile(r"(?P<gap>[ \t]+)(?P<comment>#[^\n]*)(?P<end>\n?)$")


def _keep_gaps(original: str, new: str) -> str:
    """On lines whose value changed, keep the author's gap before an end-of-line comment.

    ruamel.yaml keeps a comment's column, so a shorter value leaves a wide gap and a longer one a single
    space; an author who wrote ``value   # note`` expects ``new value   # note``.
    """
    o, n = original.splitlines(keepends=True), new.splitlines(keepends=True)
    out = list(n)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, o, n, autojunk=False).get_opcodes():
        if tag != "replace" or i2 - i1 != j2 - j1:
            continue
        for a, j in zip(o[i1:i2], range(j1, j2), strict=True):
            ma, mb = _EOL_COMMENT.search(a), _EOL_COMMENT.search(n[j])
            if ma and mb and ma["comment"] == mb["comment"] and ma["gap"] != mb["gap"]:
                out[j] = n[j][: mb.start()] + ma["gap"] + mb["comment"] + mb["end"]
    fixed = "".join(out)
    if fixed == new:
        return new
    try:  # only whitespace before comments may change: the data must read the same
        same = yaml.safe_load(fixed) == yaml.safe_load(new)
    except yaml.YAMLError:
        same = False
    return fixed if same else new


def _splice(original: str, base: str, new: str) -> str:
    """Apply the change ``base -> new`` (two dumps) to ``original``, keeping every untouched line's bytes.

    ruamel.yaml reproduces most files exactly (then this is just ``new``); where it would reformat some
    line the author never touched, that line keeps its original spelling.
    """
    if base == original:
        return new
    o, b, n = (s.splitlines(keepends=True) for s in (original, base, new))
    to_orig: dict[int, int] = {}
    for blk in difflib.SequenceMatcher(None, b, o, autojunk=False).get_matching_blocks():
        for k in range(blk.size):
            to_orig[blk.a + k] = blk.b + k
    out = list(o)
    # apply hunks from the end so earlier indices stay valid
    for tag, i1, i2, j1, j2 in reversed(difflib.SequenceMatcher(None, b, n, autojunk=False).get_opcodes()):
        if tag == "equal":
            continue
        if i1 == i2:  # insertion before base line i1
            at = to_orig.get(i1, len(o)) if i1 < len(b) else len(o)
            if i1 < len(b) and i1 not in to_orig:
                return new
            out[at:at] = n[j1:j2]
            continue
        span = [to_orig.get(i) for i in range(i1, i2)]
        if any(s is None for s in span) or span != list(range(span[0] or 0, (span[0] or 0) + len(span))):
            return new  # the lines to change were themselves reformatted: fall back to the full dump
        first = span[0] or 0
        out[first : first + len(span)] = n[j1:j2]
    return "".join(out)


def rewrite(text: str, doc: Any) -> str:
    """``text`` with the changes made to ``doc`` (a :func:`load` of it), every untouched line kept as it was."""
    return _keep_gaps(text, _splice(text, _dump(load(text), text), _dump(doc, text)))
