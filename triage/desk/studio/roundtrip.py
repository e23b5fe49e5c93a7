"""Round-trip YAML: read a draft keeping comments, key order and quoting, and write back only what changed.

ruamel.yaml's round-trip mode does most of it; :func:`rewrite` then splices the changed lines into the
author's text, so an untouched line keeps its bytes even where ruamel.yaml would spell it differently, and
keeps the author's gap before an end-of-line comment.

ruamel.yaml is pure Python and recursive (about four frames per nesting level, so ``[`` 250 deep raises
``RecursionError``), and it may raise ``ValueError`` on an integer of thousands of digits. So :func:`load` puts
every text through the loader's guard first (:mod:`triage.trees.yamlsafe`: the file-size limit and the alias
budget) plus a nesting limit of its own, :data:`MAX_DEPTH`, measured on libyaml's event stream (iterative C,
about 2% of a round-trip load); whatever still goes wrong inside ruamel.yaml becomes a :class:`DraftError`.
Nothing a pasted text holds raises anything else.
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
from triage.limits import limits
from triage.trees.yamlsafe import alias_budget_refusal, needs_scan, too_big

__all__ = ["MAX_DEPTH", "load", "rewrite"]

MAX_DEPTH = 64
"""Collections nested deeper than this are not read into the node form (tree files nest about 5 deep; ruamel.yaml
needs about 4 stack frames a level, so 64 levels stay far below Python's recursion limit, also inside Streamlit)."""

_DRAFT = "the draft"
_Events: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def _refuse(message: str, line: int | None = None) -> DraftError:
    where = f" (line {line})" if line is not None else ""
    return DraftError(
        f"the node form cannot read the draft{where}: {message}; fix it in the YAML editor first"
    )


def _at_end(mark: Any, text: str) -> bool:
    """Whether a parser's mark points past the last character that is not white space."""
    lines = text.rstrip().splitlines() or [""]
    return bool(mark.line >= len(lines) or (mark.line == len(lines) - 1 and mark.column >= len(lines[-1])))


def _not_yaml(exc: Exception, text: str) -> DraftError:
    """A syntax error (libyaml's or ruamel.yaml's: their marks look alike) as the line the author must fix."""
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", ""))
    opened = getattr(exc, "context_mark", None)
    ended = (
        "end of stream" in problem or "<stream end>" in problem or (mark is not None and _at_end(mark, text))
    )
    if opened is not None and ended:
        mark = opened  # an unclosed bracket or quote: where it opened
    where = f" (line {mark.line + 1})" if mark is not None else ""
    return DraftError(f"the draft is not valid YAML{where}: fix it in the YAML editor first")


def _too_deep(text: str) -> int | None:
    """The line where collections first nest deeper than :data:`MAX_DEPTH`, or ``None`` if they never do;
    a :class:`DraftError` if libyaml cannot read the text (then ruamel.yaml never sees it)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Events):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1 if event.start_mark is not None else None
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = str(getattr(exc, "problem", ""))
        # libyaml scans a flow collection's brackets before its first event, up to its own cap of 1,000 levels
        if mark is not None and "nesting depth" in problem:
            return int(mark.line) + 1
        raise _not_yaml(exc, text) from exc
    return None


def _guard(text: str) -> None:
    """Refuse, as a :class:`DraftError`, a text that could cost the round trip more than its size allows."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # a lone surrogate pasted into the editor
        raise _refuse("it holds a character that is not valid text") from exc
    if size > limits().tree_file_bytes:
        raise _refuse(too_big(_DRAFT, size).message)
    # depth first: the scan stops at MAX_DEPTH + 1 levels, so 20,000 brackets cost no more than 65
    line = _too_deep(text)
    if line is not None:
        raise _refuse(f"it nests lists and mappings more than {MAX_DEPTH} deep", line)
    refusal = alias_budget_refusal(text, _DRAFT) if needs_scan(text) else None
    if refusal is not None:
        raise _refuse(refusal.message, refusal.line)


def load(text: str) -> Any:
    """The draft as a round-trip document; :class:`DraftError` naming the line if it is not YAML or would cost
    more than its size allows (see the module docstring)."""
    _guard(text)
    try:
        return _yaml(text).load(text)
    except (ValueError, RecursionError) as exc:  # an int past sys.get_int_max_str_digits(); depth is guarded
        reason = str(exc).split(";")[0] or type(exc).__name__
        raise _refuse(f"it holds a value that cannot be read ({reason[:120]})") from exc
    except YAMLError as exc:
        raise _not_yaml(exc, text) from exc


def _dump(doc: Any, text: str) -> str:
    buf = io.StringIO()
    try:
        _yaml(text).dump(doc, buf)
    except RecursionError as exc:  # not expected after load's guard: still never anything but a DraftError
        raise _refuse("it nests too deep to be written back") from exc
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
        same = yaml.load(fixed, Loader=_Events) == yaml.load(new, Loader=_Events)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, ValueError, RecursionError):
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
