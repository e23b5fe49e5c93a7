"""Schema problems in an author's words: pydantic's errors turned into diagnostics that name the field.

pydantic reports ``nodes.3.question.options.1.next`` and ``union_tag_invalid``; an author needs "option #2:
unknown field `nxt` (did you mean `next`?)" on the right line. :func:`precheck` catches what pydantic would
report poorly (not a mapping, unknown kinds, missing ids, a flood of unknown fields) before validation, and
:func:`translate` rewrites the rest. Both stop at :data:`MAX_REPORTED` messages, so a file of 100,000 bad
nodes costs the first hundred and a count, not a message each.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from triage.errors import Diagnostic, Severity, did_you_mean
from triage.trees.model import (
    LOCALE_PATTERN,
    NODE_KINDS,
    OUTCOME_KINDS,
    ActionNode,
    CallNode,
    CollectNode,
    EscalateOutcome,
    Fact,
    Fault,
    FixGroupNode,
    LogicNode,
    LogicRule,
    Option,
    QuestionNode,
    ResolvedOutcome,
    ReturnNode,
    Scenario,
    Tree,
    VisitOutcome,
)

__all__ = ["MAX_REPORTED", "error", "precheck", "translate"]

_LOCALE_RE = re.compile(LOCALE_PATTERN)

_KIND_MODELS: dict[str, type[Any]] = {
    "question": QuestionNode,
    "action": ActionNode,
    "collect": CollectNode,
    "logic": LogicNode,
    "call": CallNode,
    "return": ReturnNode,
    "fix_group": FixGroupNode,
    "resolved": ResolvedOutcome,
    "escalate": EscalateOutcome,
    "visit": VisitOutcome,
}
_SUB_MODELS: dict[str, type[Any]] = {
    "options": Option,
    "rules": LogicRule,
    "scenarios": Scenario,
    "faults": Fault,
}


def error(code: str, message: str, loc: tuple[str | int, ...] = (), hint: str | None = None) -> Diagnostic:
    return Diagnostic(severity=Severity.ERROR, code=code, message=message, loc=loc, hint=hint)


MAX_REPORTED = 100
"""Errors reported per file at most: a file of 100,000 bad nodes gets the first ones and a count, in bounded time."""


def _too_many(count: int) -> Diagnostic:
    return error(
        "too-many-errors",
        f"and {count:,} more errors, not shown",
        hint="fix the ones shown first, then check again",
    )


def precheck(raw: Any) -> list[Diagnostic]:
    """Shape problems pydantic would report poorly: not a mapping, hundreds of unknown fields, unknown kinds,
    missing ids. A ``not-a-mapping`` or ``unknown-fields`` error means the file cannot be validated at all."""
    if not isinstance(raw, dict):
        found = type(raw).__name__ if raw is not None else "an empty file"
        return [error("not-a-mapping", f"a tree file must be a mapping of fields (got {found})")]
    fields = Tree.model_fields.keys()  # once: each access of model_fields builds a view
    unknown = [k for k in raw if k not in fields]
    if len(unknown) > MAX_REPORTED:
        # one message, not one each: listing pydantic's 300,000 errors alone takes seconds
        shown = ", ".join(f"`{k}`" for k in unknown[:5])
        allowed = f"allowed: {', '.join(Tree.model_fields)}"
        return [error("unknown-fields", f"{len(unknown):,} unknown fields ({shown}, ...)", hint=allowed)]
    nodes = raw.get("nodes")
    if not isinstance(nodes, list):
        return []
    out: list[Diagnostic] = []
    for i, node in enumerate(nodes):
        if len(out) >= MAX_REPORTED:
            return [*out, _too_many(len(nodes) - i)]
        out.extend(_node_problems(i, node))
    return out


def _node_problems(i: int, node: Any) -> list[Diagnostic]:
    if not isinstance(node, dict):
        return [error("bad-node", f"node #{i + 1} must be a mapping of fields", ("nodes", i))]
    out: list[Diagnostic] = []
    if "id" not in node:
        out.append(
            error("missing-id", f"node #{i + 1} has no `id`", ("nodes", i), "give every node a unique id")
        )
    kind = node.get("kind")
    if kind is None:
        out.append(
            error("missing-kind", "has no `kind`", ("nodes", i), f"use one of: {', '.join(NODE_KINDS)}")
        )
    elif kind not in NODE_KINDS:
        hint = did_you_mean(str(kind), NODE_KINDS) or f"use one of: {', '.join(NODE_KINDS)}"
        out.append(error("unknown-kind", f"unknown kind {kind!r}", ("nodes", i, "kind"), hint))
    elif kind == "outcome":
        outcome = node.get("outcome")
        if outcome not in OUTCOME_KINDS:
            got = "no `outcome`" if outcome is None else f"unknown outcome {outcome!r}"
            hint = (did_you_mean(str(outcome), OUTCOME_KINDS) if outcome else None) or (
                f"use one of: {', '.join(OUTCOME_KINDS)}"
            )
            out.append(error("unknown-outcome", got, ("nodes", i, "outcome"), hint))
    return out


def _model_for(raw: Any, loc: Sequence[str | int]) -> type[Any] | None:
    """The model class whose fields sit at ``loc`` in the raw data."""
    model: type[Any] | None = Tree
    cur = raw
    for part in loc:
        if isinstance(cur, dict):
            if part not in cur:
                return model
            cur = cur[part]
            if part == "nodes":
                model = None
            elif isinstance(part, str) and part in _SUB_MODELS:
                model = _SUB_MODELS[part]
            elif part == "facts" and model is Tree:
                model = None
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
            if model is None and isinstance(cur, dict):
                kind = cur.get("kind")
                key = cur.get("outcome") if kind == "outcome" else kind
                model = _KIND_MODELS.get(str(key)) or Fact
        else:
            return model
    return model


def _data_loc(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """Drop the discriminator tags pydantic puts in locations, keeping the path through the data."""
    loc = tuple(loc)
    if len(loc) > 2 and loc[0] == "nodes" and loc[2] in NODE_KINDS:
        # ("nodes", i, "question", ...) or ("nodes", i, "outcome", "escalate", ...)
        skip = 2 if loc[2] == "outcome" and len(loc) > 3 and loc[3] in OUTCOME_KINDS else 1
        loc = loc[:2] + loc[2 + skip :]
    # the location itself is already the path through the data once the tags are gone
    return loc


_MISSING = object()


def _child(cur: Any, part: str | int) -> Any:
    if isinstance(cur, dict):
        return cur.get(part, _MISSING)
    if isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
        return cur[part]
    return _MISSING


def _lookup(raw: Any, loc: Sequence[str | int]) -> Any:
    cur = raw
    for part in loc:
        cur = _child(cur, part)
        if cur is _MISSING:
            return None
    return cur


def _texterror(raw: Any, loc: tuple[str | int, ...]) -> Diagnostic:
    """One clear message for a text field that is neither a string nor a locale map."""
    value = _lookup(raw, loc)
    name = next((p for p in reversed(loc) if isinstance(p, str)), "text")
    hint = "write plain text, or a map such as {en: ..., de: ...}"
    if isinstance(value, dict):
        bad = [k for k, v in value.items() if not isinstance(v, str) or not _LOCALE_RE.match(str(k))]
        got = f"a map with key {bad[0]!r}" if bad else "a map"
        if any(value.get(k) is None for k in bad):
            hint = "text with a comma or colon inside {...} must be in quotes"
    else:
        got = f"a {type(value).__name__}"
    return error("bad-text", f"`{name}` must be text or a map of locale to text (got {got})", loc, hint)


_PLACES = {"scenarios": "scenario", "faults": "fault", "options": "option", "rules": "rule"}


def _place(loc: Sequence[str | int]) -> str:
    """Where outside a node's own fields an error sits, in words: 'scenario #2', 'option #1'."""
    words = []
    start = 2 if len(loc) >= 2 and loc[0] == "nodes" else 0
    for a, b in zip(loc[start:], loc[start + 1 :], strict=False):
        if isinstance(a, str) and isinstance(b, int) and a in _PLACES:
            words.append(f"{_PLACES[a]} #{b + 1}")
    if start == 0 and len(loc) >= 2 and loc[0] == "facts":
        words.append(f"fact {loc[1]!r}")
    return ", ".join(words)


def _first_errors(exc: ValidationError, out: list[Diagnostic]) -> list[Any]:
    """pydantic's first :data:`MAX_REPORTED` errors; a count of the rest goes to ``out``."""
    errors = exc.errors(include_url=False)
    if len(errors) > MAX_REPORTED:
        out.append(_too_many(len(errors) - MAX_REPORTED))
    return errors[:MAX_REPORTED]


def translate(raw: Any, exc: ValidationError) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    text_fields: set[tuple[str | int, ...]] = set()
    for err in _first_errors(exc, out):
        full = tuple(err["loc"])
        member = next((i for i, p in enumerate(full) if p in ("str", "dict[constrained-str,str]")), None)
        if member is not None:
            where = _data_loc(full[:member])
            if where not in text_fields:
                text_fields.add(where)
                out.append(_texterror(raw, where))
            continue
        loc = _data_loc(err["loc"])
        kind = err["type"]
        field_name = loc[-1] if loc else None
        parent = loc[:-1]
        if kind == "missing":
            msg, hint, where = f"missing required field `{field_name}`", None, parent
        elif kind == "extra_forbidden":
            model = _model_for(raw, parent)
            fields = list(model.model_fields) if model is not None else []
            msg = f"unknown field `{field_name}`"
            hint = did_you_mean(str(field_name), fields) or (
                f"allowed: {', '.join(fields)}" if fields else None
            )
            where = loc
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            continue  # reported with a better message by _precheck
        else:
            text = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = _shown(got)
            label = _label(field_name, parent)
            msg, hint, where = f"{label}: {text}{shown}", _type_hint(kind, got), loc
        prefix = _place(loc)
        if prefix:
            msg = f"{prefix}: {msg}"
        key = (where, msg)
        if key in seen:
            continue
        seen.add(key)
        out.append(error(f"schema-{kind}", msg, where, hint))
    return out


def _type_hint(kind: str, got: Any) -> str | None:
    """Why YAML gave a number or a boolean where text was wanted, and the fix."""
    if kind != "string_type":
        return None
    if isinstance(got, bool):
        return "YAML reads true and false as booleans; put the word in quotes"
    if isinstance(got, int | float):
        return "YAML read it as a number (0x..., 1e3 and 007 are numbers too); put it in quotes to keep it as written"
    return None


def _label(field_name: str | int | None, parent: tuple[str | int, ...]) -> str:
    """How a message names the value: `field`, `field` item N (1-based) for a list item, else "value"."""
    if isinstance(field_name, str):
        return f"`{field_name}`"
    if isinstance(field_name, int) and parent and isinstance(parent[-1], str):
        return f"`{parent[-1]}` item {field_name + 1}"
    return "value"


def _shown(value: Any) -> str:
    """`` (got ...)`` for a message: short, and never the whole of a 5 MB string."""
    if isinstance(value, dict | list) or value is None:
        return ""
    try:
        text = repr(value)
    except ValueError:  # an int past sys.get_int_max_str_digits() cannot be written out
        return " (got a number too long to show)"
    if len(text) > 80:
        text = f"{text[:60]}... ({len(text):,} characters)"
    return f" (got {text})"
