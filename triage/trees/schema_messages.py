"""Schema problems in an author's words: pydantic's errors turned into diagnostics that name the field.

pydantic reports ``nodes.3.question.options.1.next`` and ``union_tag_invalid``; an author needs "option #2:
unknown field `nxt` (did you mean `next`?)" on the right line. :func:`precheck` catches what pydantic would
report poorly (not a mapping, unknown kinds, missing ids, a flood of unknown fields) before validation, and
:func:`translate` rewrites the rest. Both stop at :data:`MAX_REPORTED` messages, so a file of 100,000 bad
nodes costs the first hundred and a count, not a message each.

YAML reads some words as numbers (``0x80070005``, ``0o17``, ``1e3``) and a comma inside ``{...}`` as the end of
a field. Where that shows, the hint says so and quotes the value as the author wrote it (the loader reads that
back from the text: :class:`Written`); :func:`scenario_fact_problems` finds both in scenario facts, which take
any value and so raise no schema error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from pydantic import ValidationError

from triage.errors import Diagnostic, Severity, did_you_mean
from triage.trees.model import (
    LOCALE_PATTERN,
    NODE_KINDS,
    OUTCOME_KINDS,
    ActionNode,
    CallNode,
    CheckNode,
    CollectNode,
    DiagnosisOutcome,
    EscalateOutcome,
    Fact,
    Fault,
    FixGroupNode,
    HandoverOutcome,
    InstructionNode,
    LogicNode,
    LogicRule,
    Media,
    Option,
    PartLine,
    QuestionNode,
    RepairOutcome,
    RepeatNode,
    ResolvedOutcome,
    ReturnNode,
    Scenario,
    ShipPartOutcome,
    Tree,
    VisitOutcome,
    WaitNode,
)

__all__ = [
    "MAX_REPORTED",
    "Written",
    "error",
    "hidden_numbers",
    "number_form",
    "precheck",
    "scenario_fact_problems",
    "translate",
]


class Written(NamedTuple):
    """How a value is written in the file: a plain scalar's characters (else ``None``), and whether it sits
    inside brackets (``{...}`` or ``[...]``)."""

    text: str | None
    flow: bool


Loc = tuple[str | int, ...]
WrittenAt = Callable[[Iterable[Loc]], Mapping[Loc, Written]]
"""Reads back how the values at some locations are written (the loader's :func:`~triage.trees.loader.written_at`)."""

COMMA_HINT = "put the value in quotes: a comma inside {...} separates fields"

_LOCALE_RE = re.compile(LOCALE_PATTERN)

_KIND_MODELS: dict[str, type[Any]] = {
    "question": QuestionNode,
    "action": ActionNode,
    "instruction": InstructionNode,
    "wait": WaitNode,
    "check": CheckNode,
    "collect": CollectNode,
    "logic": LogicNode,
    "repeat": RepeatNode,
    "call": CallNode,
    "return": ReturnNode,
    "fix_group": FixGroupNode,
    "resolved": ResolvedOutcome,
    "escalate": EscalateOutcome,
    "visit": VisitOutcome,
    "ship_part": ShipPartOutcome,
    "repair": RepairOutcome,
    "diagnosis": DiagnosisOutcome,
    "handover": HandoverOutcome,
}
_SUB_MODELS: dict[str, type[Any]] = {
    "options": Option,
    "results": Option,
    "rules": LogicRule,
    "media": Media,
    "parts": PartLine,
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


def _texterror(raw: Any, loc: tuple[str | int, ...], how: Written | None = None) -> Diagnostic:
    """One clear message for a text field that is neither a string nor a locale map."""
    value = _lookup(raw, loc)
    name = next((p for p in reversed(loc) if isinstance(p, str)), "text")
    hint = "write plain text, or a map such as {en: ..., de: ...}"
    if isinstance(value, dict):
        bad = [k for k, v in value.items() if not isinstance(v, str) or not _LOCALE_RE.match(str(k))]
        got = f"a map with key {bad[0]!r}" if bad else "a map"
        if any(value.get(k) is None for k in bad):
            hint = "text with a comma or colon inside {...} must be in quotes"
    elif _is_number(value) or isinstance(value, bool):
        got = f"the {'boolean' if isinstance(value, bool) else 'number'} {value!r}"
        hint = _type_hint("string_type", value, f"`{name}`", how) or hint
    else:
        got = f"a {type(value).__name__}"
    return error("bad-text", f"`{name}` must be text or a map of locale to text (got {got})", loc, hint)


_PLACES = {
    "scenarios": "scenario",
    "faults": "fault",
    "options": "option",
    "results": "result",
    "rules": "rule",
    "media": "media item",
    "parts": "part",
}


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


def translate(raw: Any, exc: ValidationError, written: WrittenAt | None = None) -> list[Diagnostic]:
    """pydantic's errors as diagnostics that name the field; ``written`` reads back how values were written, so
    a hint can quote ``0x80070005`` rather than the number YAML made of it."""
    out: list[Diagnostic] = []
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    text_fields: set[tuple[str | int, ...]] = set()
    errors = _first_errors(exc, out)
    how = _how_written(raw, errors, written)
    for err in errors:
        full = tuple(err["loc"])
        member = next((i for i, p in enumerate(full) if p in ("str", "dict[constrained-str,str]")), None)
        if member is not None:
            where = _data_loc(full[:member])
            if where not in text_fields:
                text_fields.add(where)
                out.append(_texterror(raw, where, how.get(where)))
            continue
        loc = _data_loc(err["loc"])
        kind = err["type"]
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            continue  # reported with a better message by _precheck
        msg, hint, where = _worded(raw, err, loc, how.get(loc))
        prefix = _place(loc)
        if prefix:
            msg = f"{prefix}: {msg}"
        key = (where, msg)
        if key in seen:
            continue
        seen.add(key)
        out.append(error(f"schema-{kind}", msg, where, hint))
    return out


def _how_written(raw: Any, errors: list[Any], written: WrittenAt | None) -> Mapping[Loc, Written]:
    """How the values behind the errors worth a quoting hint are written: numbers where text is wanted,
    and unknown fields with no value (a comma inside ``{...}``)."""
    if written is None:
        return {}
    need: list[Loc] = []
    for err in errors:
        full = tuple(err["loc"])
        member = next((i for i, p in enumerate(full) if p in ("str", "dict[constrained-str,str]")), None)
        loc = _data_loc(full[:member] if member is not None else full)
        value = _lookup(raw, loc)
        if _is_number(value) or (err["type"] == "extra_forbidden" and value is None):
            need.append(loc)
    return written(need) if need else {}


def _worded(raw: Any, err: Any, loc: Loc, how: Written | None) -> tuple[str, str | None, Loc]:
    """One pydantic error in an author's words: the message, a hint, and where it is."""
    kind = err["type"]
    field_name = loc[-1] if loc else None
    parent = loc[:-1]
    if kind == "missing":
        return f"missing required field `{field_name}`", None, parent
    if kind == "extra_forbidden":
        model = _model_for(raw, parent)
        fields = list(model.model_fields) if model is not None else []
        hint = did_you_mean(str(field_name), fields) or (f"allowed: {', '.join(fields)}" if fields else None)
        if how is not None and how.flow and _lookup(raw, loc) is None:
            hint = COMMA_HINT
        return f"unknown field `{field_name}`", hint, loc
    text = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    label = _label(field_name, parent)
    if _whole(loc):  # a check on the node or item as a whole: its own words say what is wrong
        return text, None, loc
    return f"{label}: {text}{_shown(got)}", _type_hint(kind, got, label, how), loc


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_NUMBER_FORMS = (
    (re.compile(r"[-+]?0x[0-9a-fA-F_]+"), "a hexadecimal number"),
    (re.compile(r"[-+]?0o[0-7_]+"), "an octal number"),
    (re.compile(r"[-+]?0b[01_]+"), "a binary number"),
    (re.compile(r"[-+]?0[0-7_]+"), "an octal number (in YAML 1.1)"),
    (re.compile(r"[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+"), "a number with an exponent"),
    (
        re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"),
        "a time in minutes or seconds (in YAML 1.1)",
    ),
    (re.compile(r"[-+]?\.(?:inf|Inf|INF)"), "infinity"),
    (re.compile(r"\.(?:nan|NaN|NAN)"), "not-a-number"),
)
_HIDDEN_NUMBER = re.compile(r"\b0[xob][0-9a-fA-F_]|[0-9.][eE][-+]?[0-9]|\.(?:inf|Inf|INF|nan|NaN|NAN)\b")


def number_form(written: str) -> str | None:
    """What kind of number YAML makes of ``written``, if it is one of the forms that do not look like one:
    hexadecimal, octal, binary, an exponent, a base-60 time (``1:30``, 90 in YAML 1.1), infinity."""
    return next((what for form, what in _NUMBER_FORMS if form.fullmatch(written)), None)


def hidden_numbers(text: str) -> bool:
    """Whether a file's text holds something YAML may read as a number that does not look like one."""
    return _HIDDEN_NUMBER.search(text) is not None


def _quote_hint(written: str, label: str) -> str:
    """The hint for a value YAML read as a number: what it read, and the quoting that keeps it as written."""
    form = number_form(written)
    read = f"reads {written} as {form}" if form else f"reads {written} as a number"
    quoted = "'" + written.replace("'", "''") + "'"
    return f"YAML {read}; put it in quotes ({quoted}) to keep {label} as written"


def _type_hint(kind: str, got: Any, label: str = "it", how: Written | None = None) -> str | None:
    """Why YAML gave a number or a boolean where text was wanted, and the fix."""
    if kind != "string_type":
        return None
    if isinstance(got, bool):
        return "YAML reads true and false as booleans; put the word in quotes"
    if isinstance(got, int | float):
        if how is not None and how.text is not None:
            return _quote_hint(how.text, label)
        return "YAML read it as a number (0x..., 1e3 and 007 are numbers too); put it in quotes to keep it as written"
    return None


def scenario_fact_problems(
    raw: Mapping[str, Any], written: WrittenAt, numbers: bool = True
) -> list[Diagnostic]:
    """Scenario facts YAML did not read as written: a field with no value after a comma inside ``{...}`` (an
    error: the value was cut in two), and a number written as ``0x...``, ``1e3``... (a warning: likely meant
    as text). ``numbers`` says whether the file holds such a number at all (see :func:`hidden_numbers`)."""
    empty: list[Loc] = []
    counted: list[Loc] = []
    scenarios = raw.get("scenarios")
    for i, sc in enumerate(scenarios if isinstance(scenarios, list) else []):
        facts = sc.get("facts") if isinstance(sc, dict) else None
        for name, value in facts.items() if isinstance(facts, dict) else ():
            if value is None:
                empty.append(("scenarios", i, "facts", name))
            elif numbers and _is_number(value):
                counted.append(("scenarios", i, "facts", name))
    how = written([*empty, *counted]) if empty or counted else {}
    out = [
        error("scenario-comma", f"{_place(loc)}: fact `{loc[-1]}` has no value", loc, COMMA_HINT)
        for loc in empty
        if loc in how and how[loc].flow
    ]
    for loc in counted:
        text = how[loc].text if loc in how else None
        if text is not None and number_form(text):
            message = f"{_place(loc)}: fact `{loc[-1]}` is the number {_lookup(raw, loc)!r}"
            hint = _quote_hint(text, f"fact `{loc[-1]}`")
            out.append(
                Diagnostic(severity=Severity.WARNING, code="number-fact", message=message, loc=loc, hint=hint)
            )
    return out


def _label(field_name: str | int | None, parent: tuple[str | int, ...]) -> str:
    """How a message names the value: `field`, `field` item N (1-based) for a list item, else "value"."""
    if isinstance(field_name, str):
        return f"`{field_name}`"
    if isinstance(field_name, int) and parent and isinstance(parent[-1], str):
        return f"`{parent[-1]}` item {field_name + 1}"
    return "value"


def _whole(loc: Loc) -> bool:
    """Whether ``loc`` is a whole node or a whole item the message's prefix already names (``option #2``)."""
    return len(loc) >= 2 and isinstance(loc[-1], int) and (loc[-2] == "nodes" or loc[-2] in _PLACES)


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
